# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled inner loops, each the only implementation of what it does; the modules that call
them hold the rest:

* ``tokenize_texts``: one pass over the characters of a batch (``stages.normalise``);
* ``matching_figures`` (difflib's ratio and what it aligns of numbers), ``word_runs``,
  ``sentence_similarity``, ``sentence_links``: the aligner's per-pair work on word hashes
  (``stages.align``);
* ``unit_keys``: the lines and template sentences of a batch, keyed (``stages.boilerplate``);
* ``near_misses``: difflib's close-match test on short words (``stages.formula``);
* ``distinct_in_segments``, ``sort_in_segments``: per-document sorting (``stages.arrays``,
  ``stages.align``);
* ``fenced_bounds``: where keys start and end in a large sorted array on disk, through a fence
  held in memory (``index.postings``).
"""

from cpython.unicode cimport PyUnicode_READ, PyUnicode_KIND, PyUnicode_DATA, PyUnicode_GET_LENGTH
from libc.math cimport log, sqrt
from libc.stdint cimport uint64_t, int64_t, uint32_t, uint8_t
from libc.stdlib cimport qsort

import numpy as np

cdef uint64_t _P = 0x100000001B3
cdef int _STEM_CHARS = 5
cdef uint32_t _UNKNOWN = 0xFFFFFFFF
STEM_CHARS = _STEM_CHARS  # folded characters a stem hashes
UNKNOWN_CODE = _UNKNOWN  # a character-table entry not yet filled in (``tokenize_texts``)


cdef inline uint64_t _mix64(uint64_t x) nogil:
    x = (x ^ (x >> 30)) * <uint64_t>0xBF58476D1CE4E5B9
    x = (x ^ (x >> 27)) * <uint64_t>0x94D049BB133111EB
    return x ^ (x >> 31)


cdef inline bint _is_stop(Py_UCS4 c) nogil:
    """A sentence-ending mark: . ! ? ; and the full stops of other scripts (CJK 。！？；and their
    full- and half-width forms, Devanagari । ॥, Arabic ؟ ۔, Khmer ។ ៕, Myanmar ။, Armenian ։,
    Ethiopic ።, the Greek question mark)."""
    return (c == 0x2E or c == 0x21 or c == 0x3F or c == 0x3B
            or c == 0x3002 or c == 0xFF01 or c == 0xFF1F or c == 0xFF0E or c == 0xFF1B or c == 0xFF61
            or c == 0x0964 or c == 0x0965 or c == 0x061F or c == 0x06D4 or c == 0x17D4 or c == 0x17D5
            or c == 0x104B or c == 0x0589 or c == 0x1362 or c == 0x037E)


# Scripts written without spaces between words (``normalise.script_class``): their words are
# cut into units of a few characters where a hash of two neighbouring (folded) characters
# says so, or where the script changes. Per class: the chance, in 256ths, that a unit ends
# between two characters (so a unit holds 256/x characters on average), and the longest unit.
cdef int _N_CLASSES = 5
cdef uint64_t[5] _UNIT_END = [0, 128, 85, 64, 64]
cdef int[5] _UNIT_MAX = [0, 6, 8, 10, 12]
UNIT_END = [int(x) for x in _UNIT_END[:_N_CLASSES]]
UNIT_MAX = [int(x) for x in _UNIT_MAX[:_N_CLASSES]]
cdef int _SEA = 4  # Thai, Lao, Khmer, Myanmar: a space between two of their letters ends a sentence


cdef uint32_t _classify(Py_UCS4 c, uint32_t[::1] table, fold_char, dict cache):
    """(folded code point << 4) | (script class << 1) | is_word for one character, asking
    ``fold_char`` once."""
    cdef uint32_t code
    if c < 0x10000:
        code = table[c]
        if code == _UNKNOWN:
            is_word, fold, cls = fold_char(chr(c))
            code = (<uint32_t>fold << 4) | (<uint32_t>cls << 1) | (1 if is_word else 0)
            table[c] = code
        return code
    if c not in cache:
        is_word, fold, cls = fold_char(chr(c))
        cache[c] = (<uint32_t>fold << 4) | (<uint32_t>cls << 1) | (1 if is_word else 0)
    return cache[c]


def tokenize_texts(list texts, uint32_t[::1] table, fold_char):
    """Words of every text in one pass over its characters.

    ``table[cp]`` is ``(folded code point << 4) | (script class << 1) | is_word`` for a BMP
    code point, or 0xFFFFFFFF where not yet known: ``fold_char(ch) -> (is_word, folded,
    script class)`` then fills it (and answers for code points beyond the BMP). In scripts
    written without spaces (class > 0) a run of letters is cut into units: where the class
    changes (Han to kana, kana to Latin, digits to Han), where a hash of the two folded letters
    on either side falls below the class's ``_UNIT_END`` share, or where a unit reaches
    ``_UNIT_MAX`` letters; combining marks stay with the letter before them. Returns the
    arrays of ``normalise.Tokens`` (hashes, begins, ends, line, doc_bounds, stems,
    sentence_end, numeric).
    """
    cdef Py_ssize_t n_docs = len(texts)
    cdef Py_ssize_t total = 0
    cdef object text
    for text in texts:
        total += PyUnicode_GET_LENGTH(text)
    cdef Py_ssize_t cap = total + n_docs + 1  # units of unspaced scripts may be one character each
    hashes_arr = np.empty(cap, dtype=np.uint64)
    stems_arr = np.empty(cap, dtype=np.uint64)
    begins_arr = np.empty(cap, dtype=np.int64)
    ends_arr = np.empty(cap, dtype=np.int64)
    line_arr = np.empty(cap, dtype=np.int64)
    flags_arr = np.zeros(cap, dtype=np.uint8)  # bit 0: sentence ends after, bit 1: numeric
    bounds_arr = np.empty(n_docs + 1, dtype=np.int64)
    cdef uint64_t[::1] hashes = hashes_arr
    cdef uint64_t[::1] stems = stems_arr
    cdef int64_t[::1] begins = begins_arr
    cdef int64_t[::1] ends = ends_arr
    cdef int64_t[::1] line = line_arr
    cdef uint8_t[::1] flags = flags_arr
    cdef int64_t[::1] bounds = bounds_arr
    cdef Py_ssize_t d, k, length, w = 0
    cdef int kind
    cdef void* data
    cdef Py_UCS4 c
    cdef uint32_t code, folded, prev_folded
    cdef bint in_word, numeric, word, cut
    cdef uint64_t h, stem, power
    cdef int ranked, cls, unit_cls, last_cls, unit_len
    cdef int64_t newlines = 0, gap_newlines
    cdef bint gap_stop, gap_space
    cdef Py_ssize_t j, skip
    cdef dict cache = {}
    for d in range(n_docs):
        text = texts[d]
        bounds[d] = w
        length = PyUnicode_GET_LENGTH(text)
        kind = PyUnicode_KIND(text)
        data = PyUnicode_DATA(text)
        in_word = False
        gap_stop = gap_space = False
        gap_newlines = 0
        h = stem = 0
        power = 1
        ranked = 0
        numeric = False
        skip = 0
        unit_cls = last_cls = -1
        unit_len = 0
        prev_folded = 0
        for k in range(length + 1):
            if skip:  # inside a line-end hyphenation: the word goes on after it
                skip -= 1
                if PyUnicode_READ(kind, data, k) == 0x0A:
                    newlines += 1
                continue
            if k < length:
                c = PyUnicode_READ(kind, data, k)
                code = _classify(c, table, fold_char, cache)
                word = code & 1
                if not word and in_word and c == 0x2D:
                    # "facili-\nter": a hyphen that ends a line inside a word joins its halves.
                    j = k + 1
                    if j < length and PyUnicode_READ(kind, data, j) == 0x0D:
                        j += 1
                    if (j + 1 < length and PyUnicode_READ(kind, data, j) == 0x0A
                            and _classify(PyUnicode_READ(kind, data, j + 1), table, fold_char, cache) & 1):
                        skip = j - k
                        continue
            else:
                c = 0x0A  # the end of a document ends its last word, line and sentence
                word = False
                code = 0
            folded = code >> 4
            cls = (code >> 1) & 7
            cut = False
            if word and in_word and folded != 0 and unit_cls >= 0:
                # A unit of an unspaced script ends between two letters (never before a mark).
                if cls != unit_cls:
                    cut = unit_cls > 0 or cls > 0
                elif cls > 0:
                    cut = (unit_len >= _UNIT_MAX[cls]
                           or (_mix64(<uint64_t>prev_folded * _P + folded) >> 56) < _UNIT_END[cls])
            if cut or not word:
                if in_word:
                    in_word = False
                    ends[w] = k
                    hashes[w] = _mix64(h)
                    stems[w] = _mix64(stem + <uint64_t>_STEM_CHARS)
                    flags[w] = 2 if numeric else 0
                    w += 1
                    gap_stop = gap_space = False
                    gap_newlines = 0
                    last_cls = unit_cls
                if not word:
                    if c == 0x0A:
                        newlines += 1
                        gap_newlines += 1
                    elif _is_stop(c):
                        gap_stop = True
                    elif c == 0x20 or c == 0x3000:
                        gap_space = True
                    continue
            if not in_word:
                if w > bounds[d] and (gap_stop or gap_newlines >= 2
                                      or (gap_space and cls == _SEA and last_cls == _SEA)):
                    flags[w - 1] |= 1
                in_word = True
                begins[w] = k
                line[w] = newlines
                h = stem = 0
                power = 1
                ranked = 0
                numeric = False
                unit_cls = -1
                unit_len = 0
            if folded != 0:
                h += folded * power
                if ranked < _STEM_CHARS:
                    stem += folded * power
                power *= _P
                ranked += 1
                if unit_cls != cls:
                    unit_cls = cls
                unit_len += 1
                prev_folded = folded
            if 0x30 <= c <= 0x39:
                numeric = True
        if w > bounds[d]:
            flags[w - 1] |= 1
    bounds[n_docs] = w
    sentence_end = (flags_arr[:w] & 1).astype(bool)
    numeric_arr = (flags_arr[:w] & 2).astype(bool)
    return (hashes_arr[:w].copy(), begins_arr[:w].copy(), ends_arr[:w].copy(), line_arr[:w].copy(),
            bounds_arr, stems_arr[:w].copy(), sentence_end, numeric_arr)


cdef Py_ssize_t _longest_match(const uint64_t[::1] a, Py_ssize_t alo, Py_ssize_t ahi, Py_ssize_t blo, Py_ssize_t bhi,
                               const int64_t[::1] starts, const int64_t[::1] stops, const int64_t[::1] places,
                               int64_t[::1] prev_len, int64_t[::1] prev_row, int64_t[::1] cur_len,
                               int64_t[::1] cur_row, int64_t* step, Py_ssize_t* best_i,
                               Py_ssize_t* best_j) noexcept nogil:
    """difflib.SequenceMatcher.find_longest_match without junk: the longest block equal in
    a[alo:ahi] and b[blo:bhi], earliest in a, then in b, on ties. Run lengths ending at each
    place of b are kept for the previous row only, stamped with a step number that grows
    across calls (and skips one between calls), so nothing is ever cleared."""
    cdef Py_ssize_t i, t, j, k, best = 0
    cdef int64_t[::1] swap
    best_i[0] = alo
    best_j[0] = blo
    step[0] += 1
    for i in range(alo, ahi):
        step[0] += 1
        for t in range(starts[i], stops[i]):
            j = places[t]
            if j < blo:
                continue
            if j >= bhi:
                break
            k = 1
            if j > 0 and prev_row[j - 1] == step[0] - 1:
                k = prev_len[j - 1] + 1
            cur_len[j] = k
            cur_row[j] = step[0]
            if k > best:
                best_i[0] = i - k + 1
                best_j[0] = j - k + 1
                best = k
        swap = prev_len
        prev_len = cur_len
        cur_len = swap
        swap = prev_row
        prev_row = cur_row
        cur_row = swap
    return best


cdef Py_ssize_t _matching_blocks(const uint64_t[::1] a, const uint64_t[::1] b, int64_t[:, ::1] blocks):
    """difflib's matching blocks of a and b (without junk), as rows (i, j, k) in ``blocks``
    (at least len(a) + len(b) + 1 rows), in no particular order; returns how many."""
    cdef Py_ssize_t la = a.shape[0], lb = b.shape[0]
    order_arr = np.argsort(np.asarray(b), kind="stable")
    sorted_b = np.asarray(b)[order_arr]
    lo_arr = np.searchsorted(sorted_b, np.asarray(a), side="left").astype(np.int64)
    hi_arr = np.searchsorted(sorted_b, np.asarray(a), side="right").astype(np.int64)
    cdef const int64_t[::1] starts = lo_arr
    cdef const int64_t[::1] stops = hi_arr
    cdef const int64_t[::1] places = order_arr.astype(np.int64)
    cdef int64_t[::1] prev_len = np.zeros(lb + 1, dtype=np.int64)
    cdef int64_t[::1] prev_row = np.full(lb + 1, -1, dtype=np.int64)
    cdef int64_t[::1] cur_len = np.zeros(lb + 1, dtype=np.int64)
    cdef int64_t[::1] cur_row = np.full(lb + 1, -1, dtype=np.int64)
    cdef Py_ssize_t found = 0, alo, ahi, blo, bhi, i, j, k, top = 1
    cdef int64_t step = 0
    stack_arr = np.empty((la + lb + 2) * 4, dtype=np.int64)
    cdef int64_t[::1] stack = stack_arr
    stack[0] = 0
    stack[1] = la
    stack[2] = 0
    stack[3] = lb
    with nogil:
        while top > 0:
            top -= 1
            alo = stack[4 * top]
            ahi = stack[4 * top + 1]
            blo = stack[4 * top + 2]
            bhi = stack[4 * top + 3]
            k = _longest_match(a, alo, ahi, blo, bhi, starts, stops, places, prev_len, prev_row,
                               cur_len, cur_row, &step, &i, &j)
            if k == 0:
                continue
            blocks[found, 0] = i
            blocks[found, 1] = j
            blocks[found, 2] = k
            found += 1
            if alo < i and blo < j:
                stack[4 * top] = alo
                stack[4 * top + 1] = i
                stack[4 * top + 2] = blo
                stack[4 * top + 3] = j
                top += 1
            if i + k < ahi and j + k < bhi:
                stack[4 * top] = i + k
                stack[4 * top + 1] = ahi
                stack[4 * top + 2] = j + k
                stack[4 * top + 3] = bhi
                top += 1
    return found


def matching_figures(const uint64_t[::1] a, const uint8_t[::1] numeric_a, const uint64_t[::1] b,
                     const uint8_t[::1] numeric_b):
    """``difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()`` of two sequences of word
    hashes (twice the words in matching blocks over the words of both) and what that alignment
    says of their numbers: (ratio, numbers inside matching blocks, numbers replaced by other
    numbers, other words replaced by other words). Between two consecutive matching blocks,
    the words left on both sides are replaced one by one: min(numbers on each side) numbers
    and min(other words on each side) words (difflib's "replace" opcodes)."""
    cdef Py_ssize_t la = a.shape[0], lb = b.shape[0], n, t, u, matched = 0
    cdef Py_ssize_t agree = 0, differ = 0, words_differ = 0, pa = 0, pb = 0, i, j, k, na, nb
    if la + lb == 0:
        return 1.0, 0, 0, 0
    blocks_arr = np.empty((la + lb + 1, 3), dtype=np.int64)
    cdef int64_t[:, ::1] blocks = blocks_arr
    n = _matching_blocks(a, b, blocks)
    blocks_arr[n, 0], blocks_arr[n, 1], blocks_arr[n, 2] = la, lb, 0  # the end, as difflib's sentinel
    order = np.argsort(blocks_arr[: n + 1, 0], kind="stable")
    cdef const int64_t[::1] by_a = order
    for t in range(n + 1):
        i, j, k = blocks[by_a[t], 0], blocks[by_a[t], 1], blocks[by_a[t], 2]
        if i > pa and j > pb:  # a replaced stretch
            na = nb = 0
            for u in range(pa, i):
                na += numeric_a[u]
            for u in range(pb, j):
                nb += numeric_b[u]
            differ += min(na, nb)
            words_differ += min(i - pa - na, j - pb - nb)
        for u in range(i, i + k):
            agree += numeric_a[u]
        matched += k
        pa, pb = i + k, j + k
    return 2.0 * matched / (la + lb), agree, differ, words_differ


cdef inline Py_ssize_t _run_end(const uint64_t[::1] values, Py_ssize_t start) noexcept nogil:
    """End of the run of values equal to ``values[start]`` in a sorted array."""
    cdef Py_ssize_t end = start + 1
    while end < values.shape[0] and values[end] == values[start]:
        end += 1
    return end


def word_runs(const uint64_t[::1] grams_a, const int64_t[::1] pos_a, const uint64_t[::1] grams_b,
              const int64_t[::1] pos_b, Py_ssize_t n, Py_ssize_t min_common):
    """Word seeds of two documents merged into runs along diagonals (see ``align.word_runs``).

    ``grams_x``/``pos_x``: a document's n-gram hashes sorted by hash (ties by position) and
    where each starts. Returns (first, last in A, first, last in B, 0.0) per run, sorted; no
    runs when fewer than ``min_common`` distinct n-grams are shared.
    """
    cdef Py_ssize_t na = grams_a.shape[0], nb = grams_b.shape[0]
    cdef Py_ssize_t x, y, x_end, y_end, u, v, k = 0, common = 0, count = 0
    cdef int64_t span = 1, offset
    for u in range(na):
        span = max(span, pos_a[u] + 1)
    offset = span  # diagonals q - p are > -span: (q - p + offset) * span + p orders by diagonal, then p
    keys_arr = np.empty(0, dtype=np.int64)
    cdef int64_t[::1] keys = keys_arr
    # Two merges of the sorted lists: the first counts the seeds (and the distinct shared
    # n-grams), the second writes them.
    for fill in range(2):
        x = y = 0
        while x < na and y < nb:
            if grams_a[x] < grams_b[y]:
                x += 1
            elif grams_a[x] > grams_b[y]:
                y += 1
            else:
                x_end = _run_end(grams_a, x)
                y_end = _run_end(grams_b, y)
                if fill:
                    for u in range(x, x_end):
                        for v in range(y, y_end):
                            keys[k] = (pos_b[v] - pos_a[u] + offset) * span + pos_a[u]
                            k += 1
                else:
                    common += 1
                    count += (x_end - x) * (y_end - y)
                x, y = x_end, y_end
        if not fill:
            if common < min_common or count == 0:
                return []
            keys_arr = np.empty(count, dtype=np.int64)
            keys = keys_arr
    keys_arr.sort()
    # Keep seeds with a neighbour on their diagonal at most n + 1 words away; merge kept
    # seeds that overlap or touch.
    cdef list runs = []
    cdef int64_t d, p, prev_d = -1, prev_p = 0, next_d, next_p, run_lo = -1, run_hi = -1, run_d = -1
    cdef bint supported
    for u in range(count):
        d = keys[u] // span
        p = keys[u] - d * span
        supported = u > 0 and prev_d == d and p - prev_p <= n + 1
        if not supported and u + 1 < count:
            next_d = keys[u + 1] // span
            next_p = keys[u + 1] - next_d * span
            supported = next_d == d and next_p - p <= n + 1
        prev_d, prev_p = d, p
        if not supported:
            continue
        if run_lo >= 0 and run_d == d and p <= run_hi + 1:
            run_hi = p + n - 1
        else:
            if run_lo >= 0:
                runs.append((run_lo, run_hi, run_d))
            run_lo, run_hi, run_d = p, p + n - 1, d
    if run_lo >= 0:
        runs.append((run_lo, run_hi, run_d))
    runs.sort()
    return [(lo, hi, lo + dd - offset, hi + dd - offset, 0.0) for lo, hi, dd in runs]


def unit_keys(const uint64_t[::1] hashes, const uint8_t[::1] numeric, const int64_t[::1] line,
              const uint8_t[::1] sentence_end, const int64_t[::1] begins, const int64_t[::1] ends,
              const int64_t[::1] doc_bounds, const uint64_t[::1] source_keys, uint64_t number_word,
              uint64_t sentence_salt):
    """The boilerplate units of a batch (see ``boilerplate.unit_keys``): its lines and its
    sentences, each as (first word, key), in word order.

    A line's key hashes its words, a sentence's its words as a template (a number is
    ``number_word``, a run of numbers one number); both hashes are ``normalise.sequence_hash``
    of those words, mixed with the document's source key (and ``sentence_salt``). A sentence
    ends after a word ending one, unless the word and the next are numbers one character apart
    (a decimal point), and at the end of a document.
    """
    cdef Py_ssize_t n = hashes.shape[0], i, j, d = 0, kept, n_lines = 0, n_sentences = 0
    cdef uint64_t acc, power
    line_start_arr = np.empty(n, dtype=np.int64)
    line_key_arr = np.empty(n, dtype=np.uint64)
    sentence_start_arr = np.empty(n, dtype=np.int64)
    sentence_key_arr = np.empty(n, dtype=np.uint64)
    cdef int64_t[::1] line_start = line_start_arr, sentence_start = sentence_start_arr
    cdef uint64_t[::1] line_key = line_key_arr, sentence_key = sentence_key_arr
    with nogil:
        i = 0
        while i < n:  # lines
            while doc_bounds[d + 1] <= i:
                d += 1
            acc, power, j = 0, 1, i
            while j < n and line[j] == line[i]:
                acc += hashes[j] * power
                power *= _P
                j += 1
            line_start[n_lines] = i
            line_key[n_lines] = _mix64(_mix64(acc + <uint64_t>(j - i)) ^ source_keys[d])
            n_lines += 1
            i = j
        i, d = 0, 0
        while i < n:  # sentences
            while doc_bounds[d + 1] <= i:
                d += 1
            acc, power, kept, j = 0, 1, 0, i
            while True:
                if not (j > i and numeric[j] and numeric[j - 1]):  # a run of numbers is one
                    acc += (number_word if numeric[j] else hashes[j]) * power
                    power *= _P
                    kept += 1
                j += 1
                if j >= doc_bounds[d + 1]:
                    break
                if sentence_end[j - 1] and not (numeric[j - 1] and numeric[j] and begins[j] - ends[j - 1] == 1):
                    break
            sentence_start[n_sentences] = i
            sentence_key[n_sentences] = _mix64(_mix64(acc + <uint64_t>kept) ^ source_keys[d] ^ sentence_salt)
            n_sentences += 1
            i = j
    return (line_start_arr[:n_lines].copy(), line_key_arr[:n_lines].copy(),
            sentence_start_arr[:n_sentences].copy(), sentence_key_arr[:n_sentences].copy())


cdef inline Py_ssize_t _sentence_at(const int64_t[::1] first, int64_t word) noexcept nogil:
    """Index of the sentence holding ``word``: the last ``first[k] <= word`` (``first[0]`` is 0)."""
    cdef Py_ssize_t lo = 0, hi = first.shape[0], mid
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if first[mid] <= word:
            lo = mid
        else:
            hi = mid
    return lo


def sentence_links(list runs, Py_ssize_t n, const int64_t[::1] first_a, const int64_t[::1] first_b):
    """Where the n-gram matches of word runs fall, by sentence (see
    ``align._split_sentence_seeds``). A run (first, last in A, first in B, ...) holds the
    matches starting at words i = first..last-n+1 of A and i + shift of B.

    Returns (the sentence pairs, as ``sa * len(first_b) + sb``, holding at least 3 matches;
    per sentence of A, the lowest and highest B word its matches start at; per sentence of B,
    the same in A).
    """
    cdef Py_ssize_t na = first_a.shape[0], nb = first_b.shape[0], sa, sb
    cdef int64_t i, last, shift, stop, end_a, end_b
    cdef dict counts = {}, b_of_a = {}, a_of_b = {}
    for run in runs:
        i, last, shift = run[0], run[1] - n + 1, run[2] - run[0]
        if last < i:
            continue
        sa = _sentence_at(first_a, i)
        sb = _sentence_at(first_b, i + shift)
        while i <= last:
            # The stretch of matches that stays in sentence sa of A and sb of B.
            while sa + 1 < na and first_a[sa + 1] <= i:
                sa += 1
            while sb + 1 < nb and first_b[sb + 1] <= i + shift:
                sb += 1
            end_a = first_a[sa + 1] - 1 if sa + 1 < na else last
            end_b = first_b[sb + 1] - 1 - shift if sb + 1 < nb else last
            stop = min(last, end_a, end_b)
            key = sa * nb + sb
            counts[key] = counts.get(key, 0) + (stop - i + 1)
            lo_hi = b_of_a.get(sa)
            b_of_a[sa] = (i + shift, stop + shift) if lo_hi is None else \
                (min(lo_hi[0], i + shift), max(lo_hi[1], stop + shift))
            lo_hi = a_of_b.get(sb)
            a_of_b[sb] = (i, stop) if lo_hi is None else (min(lo_hi[0], i), max(lo_hi[1], stop))
            i = stop + 1
    return {key for key, count in counts.items() if count >= 3}, b_of_a, a_of_b


cdef int _compare_u64(const void* x, const void* y) noexcept nogil:
    cdef uint64_t a = (<const uint64_t*>x)[0], b = (<const uint64_t*>y)[0]
    return (a > b) - (a < b)


def distinct_in_segments(uint64_t[::1] values, const int64_t[::1] bounds):
    """Sort each segment ``values[bounds[k]:bounds[k+1]]`` in place and drop repeats within
    it. Returns (the distinct values, segment after segment, and how many each segment has)."""
    cdef Py_ssize_t n_seg = bounds.shape[0] - 1, k, i, lo, hi, out = 0
    counts_arr = np.zeros(max(n_seg, 0), dtype=np.int64)
    cdef int64_t[::1] counts = counts_arr
    with nogil:
        for k in range(n_seg):
            lo, hi = bounds[k], bounds[k + 1]
            if hi <= lo:
                continue
            qsort(&values[lo], hi - lo, sizeof(uint64_t), _compare_u64)
            values[out] = values[lo]
            out += 1
            counts[k] = 1
            for i in range(lo + 1, hi):
                if values[i] != values[out - 1]:
                    values[out] = values[i]
                    out += 1
                    counts[k] += 1
    return np.asarray(values)[:out].copy(), counts_arr


cdef inline Py_ssize_t _first_at_least(const uint64_t[::1] values, Py_ssize_t lo, Py_ssize_t hi,
                                       uint64_t key, bint strict) noexcept nogil:
    """The first position in [lo, hi) whose value is >= ``key`` (> ``key`` if ``strict``), or hi."""
    cdef Py_ssize_t mid
    while lo < hi:
        mid = lo + (hi - lo) // 2
        if values[mid] < key or (strict and values[mid] == key):
            lo = mid + 1
        else:
            hi = mid
    return lo


def fenced_bounds(const uint64_t[::1] values, const uint64_t[::1] fence, Py_ssize_t stride,
                  const uint64_t[::1] keys):
    """(lo, hi): where each of ``keys`` starts and ends in ``values`` (sorted), as numpy's
    ``searchsorted`` left and right give them. ``fence`` is ``values[::stride]``, held in memory:
    each key is found in it first, then within one stretch of ``stride`` values, so a search
    touches one or two pages of ``values`` (which may be a memory map of a file many times the
    size of the machine's caches) instead of one per halving. The end is found by stepping on
    from the start (most keys have a few holders), by a second search past a few."""
    cdef Py_ssize_t n = values.shape[0], m = keys.shape[0], f = fence.shape[0], i, j, a, b, k, near
    cdef uint64_t key
    if stride < 1 or f != (n + stride - 1) // stride:
        raise ValueError(f"fence of {f} values does not fit {n} values at stride {stride}")
    lo_arr = np.empty(m, dtype=np.int64)
    hi_arr = np.empty(m, dtype=np.int64)
    cdef int64_t[::1] lo = lo_arr
    cdef int64_t[::1] hi = hi_arr
    with nogil:
        for i in range(m):
            key = keys[i]
            # values[j * stride] is the first fenced value at least key: the start is after
            # (j - 1) * stride and at most j * stride.
            j = _first_at_least(fence, 0, f, key, False)
            a = (j - 1) * stride if j > 0 else 0
            b = j * stride if j * stride < n else n
            k = _first_at_least(values, a, b, key, False)
            lo[i] = k
            near = k + 8 if k + 8 < n else n
            while k < near and values[k] == key:
                k += 1
            if k == near and k < n and values[k] == key:
                j = _first_at_least(fence, 0, f, key, True)  # the same, past key
                a = (j - 1) * stride if j > 0 else 0
                b = j * stride if j * stride < n else n
                k = _first_at_least(values, a if a > k else k, b, key, True)
            hi[i] = k
    return lo_arr, hi_arr


def sentence_similarity(const uint64_t[::1] stems_a, const int64_t[::1] sent_a, Py_ssize_t na,
                        const uint64_t[::1] stems_b, const int64_t[::1] sent_b, Py_ssize_t nb,
                        Py_ssize_t min_shared):
    """Weighted cosine and Dice of the stems of every sentence pair of A and B sharing at
    least ``min_shared`` stems (see ``align.sentence_pairs``).

    ``stems_x``/``sent_x``: a document's distinct (sentence, stem) pairs sorted by stem, and
    ``nx`` its number of sentences. A stem weighs log(sentences / sentences holding it), over
    both documents; stems in more than a quarter of the sentences (and at least 3) weigh
    nothing. Returns (x, y, cosine, dice, shared) ordered by sentence of A, then of B, or
    None where no sentence pair shares a stem of any weight.
    """
    cdef Py_ssize_t n_sent = na + nb
    cdef double cutoff = max(2.0, 0.25 * n_sent)
    cdef Py_ssize_t la = stems_a.shape[0], lb = stems_b.shape[0]
    norm_a_arr = np.zeros(na, dtype=np.float64)
    norm_b_arr = np.zeros(nb, dtype=np.float64)
    size_a_arr = np.zeros(na, dtype=np.int64)
    size_b_arr = np.zeros(nb, dtype=np.int64)
    dot_arr = np.zeros(na * nb, dtype=np.float64)
    shared_arr = np.zeros(na * nb, dtype=np.int64)
    cdef double[::1] norm_a = norm_a_arr, norm_b = norm_b_arr, dot = dot_arr
    cdef int64_t[::1] size_a = size_a_arr, size_b = size_b_arr, shared = shared_arr
    cdef Py_ssize_t x = 0, y = 0, x_end, y_end, u, v, ca, cb
    cdef uint64_t g
    cdef double w, w2
    with nogil:
        while x < la or y < lb:
            if y >= lb or (x < la and stems_a[x] < stems_b[y]):
                g = stems_a[x]
            else:
                g = stems_b[y]
            x_end = _run_end(stems_a, x) if x < la and stems_a[x] == g else x
            y_end = _run_end(stems_b, y) if y < lb and stems_b[y] == g else y
            ca, cb = x_end - x, y_end - y
            if ca + cb <= cutoff and ca + cb < n_sent:
                w = log(<double>n_sent / (ca + cb))
                w2 = w * w
                for u in range(x, x_end):
                    norm_a[sent_a[u]] += w2
                    size_a[sent_a[u]] += 1
                for v in range(y, y_end):
                    norm_b[sent_b[v]] += w2
                    size_b[sent_b[v]] += 1
                for u in range(x, x_end):
                    for v in range(y, y_end):
                        dot[sent_a[u] * nb + sent_b[v]] += w2
                        shared[sent_a[u] * nb + sent_b[v]] += 1
            x, y = x_end, y_end
    if not shared_arr.any():
        return None  # no sentence pair shares a weighed stem
    cand = np.flatnonzero(shared_arr >= max(1, min_shared))
    xs, ys = cand // nb, cand % nb
    cosine = dot_arr[cand] / np.maximum(np.sqrt(norm_a_arr[xs]) * np.sqrt(norm_b_arr[ys]), 1e-12)
    dice = 2 * shared_arr[cand] / (size_a_arr[xs] + size_b_arr[ys])
    return xs, ys, cosine, dice, shared_arr[cand]


cdef struct KeyValue:
    uint64_t key
    int64_t value


cdef int _compare_key_value(const void* x, const void* y) noexcept nogil:
    cdef const KeyValue* a = <const KeyValue*>x
    cdef const KeyValue* b = <const KeyValue*>y
    if a.key != b.key:
        return (a.key > b.key) - (a.key < b.key)
    return (a.value > b.value) - (a.value < b.value)


def sort_in_segments(uint64_t[::1] keys, int64_t[::1] values, const int64_t[::1] bounds):
    """Sort (key, value) pairs by key, then value, within each segment
    ``[bounds[k], bounds[k+1])``, in place."""
    cdef Py_ssize_t n = keys.shape[0], i, k, lo, hi
    cdef KeyValue* buf
    pairs_arr = np.empty(n * 2, dtype=np.int64)  # room for n KeyValue records
    cdef int64_t[::1] raw = pairs_arr
    if n == 0:
        return
    buf = <KeyValue*>&raw[0]
    with nogil:
        for i in range(n):
            buf[i].key = keys[i]
            buf[i].value = values[i]
        for k in range(bounds.shape[0] - 1):
            lo, hi = bounds[k], bounds[k + 1]
            if hi - lo > 1:
                qsort(&buf[lo], hi - lo, sizeof(KeyValue), _compare_key_value)
        for i in range(n):
            keys[i] = buf[i].key
            values[i] = buf[i].value


cdef Py_ssize_t _common_chars(const Py_UCS4* a, Py_ssize_t alo, Py_ssize_t ahi,
                              const Py_UCS4* b, Py_ssize_t blo, Py_ssize_t bhi) noexcept nogil:
    """Characters in difflib's matching blocks of a[alo:ahi] and b[blo:bhi] (no junk): the
    longest common block (earliest in a, then in b), then the same on each side of it."""
    cdef Py_ssize_t i, j, k, run, best = 0, bi = alo, bj = blo
    for i in range(alo, ahi):
        for j in range(blo, bhi):
            run = 0
            while i + run < ahi and j + run < bhi and a[i + run] == b[j + run]:
                run += 1
            if run > best:
                best, bi, bj = run, i, j
    if best == 0:
        return 0
    return best + _common_chars(a, alo, bi, b, blo, bj) + _common_chars(a, bi + best, ahi, b, bj + best, bhi)


def near_misses(list words, list pool, double cutoff):
    """For each word: does ``pool`` hold a word whose difflib similarity to it (2 × characters in
    matching blocks / characters of both) reaches ``cutoff``? ``difflib.get_close_matches``'s
    test, for short words."""
    cdef list out = []
    cdef Py_ssize_t la, lb, m, k
    cdef Py_UCS4[64] wa
    cdef Py_UCS4[64] wb
    cdef bint found
    cdef str w, c
    for w in words:
        la = min(len(w), 64)
        for k in range(la):
            wa[k] = w[k]
        found = False
        for c in pool:
            lb = min(len(c), 64)
            if 2.0 * min(la, lb) < cutoff * (la + lb):
                continue
            for k in range(lb):
                wb[k] = c[k]
            m = _common_chars(wb, 0, lb, wa, 0, la)  # difflib compares candidate (a) with word (b)
            if 2.0 * m >= cutoff * (la + lb):
                found = True
                break
        out.append(found)
    return out
