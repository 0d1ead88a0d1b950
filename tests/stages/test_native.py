"""The compiled inner loops (reprints._native) against plain-Python references."""

from __future__ import annotations

import difflib
import random
import unicodedata

import numpy as np
import pytest

from reprints import _native
from reprints.config import AlignConfig
from reprints.stages import align
from reprints.stages.arrays import unique_pairs
from reprints.stages import boilerplate
from reprints.stages.normalise import STEM_CHARS, _fold_char, mix64, sequence_hash, tokenize


@pytest.mark.parametrize("seed", range(4))
def test_matching_figures_follow_difflib(seed):
    """The ratio is difflib's; the figures count numbers and other words along difflib's opcodes."""
    rng = random.Random(seed)
    for _ in range(500):
        k = rng.randint(1, 8)
        a = [rng.randint(0, k) for _ in range(rng.randint(0, 40))]
        b = [rng.randint(0, k) for _ in range(rng.randint(0, 40))]
        numeric = {w for w in range(k + 1) if rng.random() < 0.4}  # which "words" are numbers
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
        agree = differ = words = 0
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op == "equal":
                agree += sum(w in numeric for w in a[i1:i2])
            elif op == "replace":
                na, nb = sum(w in numeric for w in a[i1:i2]), sum(w in numeric for w in b[j1:j2])
                differ += min(na, nb)
                words += min(i2 - i1 - na, j2 - j1 - nb)
        hashes = [np.array(x, dtype=np.uint64) for x in (a, b)]
        flags = [np.array([w in numeric for w in x], dtype=np.uint8) for x in (a, b)]
        got = _native.matching_figures(hashes[0], flags[0], hashes[1], flags[1])
        assert got[0] == pytest.approx(matcher.ratio(), abs=1e-12), (a, b)
        assert got[1:] == (agree, differ, words), (a, b, numeric)


def _reference_letter_runs(text: str) -> list[tuple[int, int]]:
    """(begin, end) of each maximal run of letters, digits and combining marks; a hyphen ending a
    line between two word characters ("faci-\nliter", also before "\r\n") joins them."""
    def is_word(ch: str) -> bool:
        return ch.isalnum() or unicodedata.category(ch)[0] == "M"

    out, begin, k = [], None, 0
    while k <= len(text):
        ch = text[k] if k < len(text) else " "
        if is_word(ch):
            begin = k if begin is None else begin
        elif begin is not None:
            for joint in ("-\n", "-\r\n"):
                if text.startswith(joint, k) and k + len(joint) < len(text) and is_word(text[k + len(joint)]):
                    k += len(joint)
                    break
            else:
                out.append((begin, k))
                begin = None
                k += 1
            continue
        k += 1
    return out


def _reference_words(text: str) -> list[tuple[int, int, bool]]:
    """(begin, end, numeric) of each word: a run of word characters, those of unspaced scripts
    cut into units where the script class changes, where the folded pair of letters on either
    side hashes below the class's share, or where a unit reaches its longest; never before a
    combining mark."""
    out = []
    for begin, end in _reference_letter_runs(text):
        start, cls, prev, letters = begin, None, 0, 0
        for k in range(begin, end):
            is_word, folded, c = _fold_char(text[k])
            if not is_word or folded == 0:
                continue
            if cls is not None:
                pair = int(mix64(np.array([(prev * 0x100000001B3 + folded) % 2**64], dtype=np.uint64))[0])
                if (c != cls and (c or cls)) or (c == cls and c and (
                        letters >= _native.UNIT_MAX[c] or (pair >> 56) < _native.UNIT_END[c])):
                    out.append((start, k))
                    start, letters = k, 0
            cls, prev, letters = c, folded, letters + 1
        out.append((start, end))
    return [(b, e, any("0" <= c <= "9" for c in text[b:e])) for b, e in out]


_STOPS = ".!?;\u3002\uff01\uff1f\uff0e\uff1b\uff61\u0964\u0965\u061f\u06d4\u17d4\u17d5\u104b\u0589\u1362\u037e"


def _reference_sentence_ends(text: str, spans: list[tuple[int, int, bool]]) -> list[bool]:
    ends = []
    for (begin, end, _), nxt in zip(spans, spans[1:] + [None]):
        gap = text[end:nxt[0]] if nxt else ""
        last_letter = [c for c in text[begin:end] if _fold_char(c)[1]][-1:]  # a word's class is its letters'
        thai_space = (nxt is not None and any(c in " \u3000" for c in gap) and bool(last_letter)
                      and _fold_char(last_letter[0])[2] == 4 and _fold_char(text[nxt[0]])[2] == 4)
        ends.append(nxt is None or any(c in _STOPS for c in gap) or gap.count("\n") >= 2 or thai_space)
    return ends


@pytest.mark.parametrize("seed", range(3))
def test_tokeniser_spans_and_sentences_match_a_character_by_character_reference(seed):
    rng = random.Random(seed)
    alphabet = list("abc XYZ.!?;\n\n 12,3.5 éÉe\u0301İıß\u3002中文\uff01\u0964\U0001D400\U0001F600-–'’"
                    "國语語言的了はをがのカタナｶﾞー々ไทยภาษาก่อน\u0e31ລາວ ។؟") + ["-\n", "-\r\n"]
    for _ in range(300):
        texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(rng.randint(1, 4))]
        tokens = tokenize(texts)
        for d, text in enumerate(texts):
            lo, hi = tokens.doc_bounds[d], tokens.doc_bounds[d + 1]
            spans = _reference_words(text)
            assert list(zip(tokens.begins[lo:hi].tolist(), tokens.ends[lo:hi].tolist(),
                            tokens.numeric[lo:hi].tolist())) == spans, text
            assert tokens.sentence_end[lo:hi].tolist() == _reference_sentence_ends(text, spans), text


def test_folded_hash_and_stem():
    t = tokenize(["Résumé RESUME resume Resumes governing government"])
    h, s = t.hashes.tolist(), t.stems.tolist()
    assert h[0] == h[1] == h[2] != h[3]  # case and accents folded; a longer word differs
    assert s[0] == s[3]  # same first STEM_CHARS folded letters
    assert STEM_CHARS == 5 and s[4] == s[5]  # "gover"


def test_distinct_in_segments_and_unique_pairs():
    rng = np.random.default_rng(5)
    for _ in range(200):
        n = int(rng.integers(0, 300))
        first = rng.integers(0, 7, n)
        second = rng.integers(0, 9, n).astype(np.uint64)
        a, b = unique_pairs(first, second)
        assert list(zip(a.tolist(), b.tolist())) == sorted(set(zip(first.tolist(), second.tolist())))


def test_sort_in_segments():
    keys = np.array([5, 3, 3, 9, 1, 1, 0], dtype=np.uint64)
    values = np.array([0, 2, 1, 7, 4, 3, 8], dtype=np.int64)
    _native.sort_in_segments(keys, values, np.array([0, 4, 6, 7], dtype=np.int64))
    assert keys.tolist() == [3, 3, 5, 9, 1, 1, 0]
    assert values.tolist() == [1, 2, 0, 7, 3, 4, 8]


def _reference_runs(a: align.DocWords, b: align.DocWords, config: AlignConfig) -> list[tuple]:
    """Word runs from first principles: every matching n-gram, kept with a neighbour on its
    diagonal at most n + 1 words away, overlapping or touching ones merged."""
    n = config.seed_ngram
    grams_a, pos_a = a.seed_grams(n, config.max_seed_repeats)
    grams_b, pos_b = b.seed_grams(n, config.max_seed_repeats)
    at_b: dict[int, list[int]] = {}
    for g, q in zip(grams_b.tolist(), pos_b.tolist()):
        at_b.setdefault(g, []).append(q)
    if len(set(grams_a.tolist()) & set(at_b)) < -(-config.min_words // n):
        return []
    seeds = {(p, q) for g, p in zip(grams_a.tolist(), pos_a.tolist()) for q in at_b.get(g, [])}
    kept = sorted((p, q) for p, q in seeds
                  if any((p + k, q + k) in seeds or (p - k, q - k) in seeds for k in range(1, n + 2)))
    runs: list[list[int]] = []
    for p, q in sorted(kept, key=lambda s: (s[1] - s[0], s[0])):
        if runs and runs[-1][2] == q - p and p <= runs[-1][1] + 1:
            runs[-1][1] = p + n - 1
        else:
            runs.append([p, p + n - 1, q - p])
    return sorted((lo, hi, lo + d, hi + d, 0.0) for lo, hi, d in runs)


def test_word_runs_match_the_reference():
    rng = random.Random(11)
    vocab = [f"w{k}" for k in range(12)]
    config = AlignConfig(min_words=6)
    for _ in range(300):
        base = [rng.choice(vocab) for _ in range(rng.randint(0, 60))]
        other = list(base)
        for _ in range(rng.randint(0, 15)):  # edits: substitutions, insertions, deletions
            k = rng.randrange(len(other) + 1)
            op = rng.random()
            if op < 0.4 and k < len(other):
                other[k] = rng.choice(vocab)
            elif op < 0.7:
                other.insert(k, rng.choice(vocab))
            elif k < len(other):
                del other[k]
        a, b = align.doc_words(" ".join(base)), align.doc_words(" ".join(other))
        assert align.word_runs(a, b, config) == _reference_runs(a, b, config)



def _reference_sentence_links(runs: list[tuple], n: int, first_a: np.ndarray, first_b: np.ndarray):
    """Every n-gram match of the runs, one by one: its sentences on both sides, counted."""
    counts: dict[int, int] = {}
    b_of_a: dict[int, tuple[int, int]] = {}
    a_of_b: dict[int, tuple[int, int]] = {}
    for lo, hi, lo_b, _, _ in runs:
        for i in range(lo, hi - n + 2):
            j = i + lo_b - lo
            sa = int(np.searchsorted(first_a, i, side="right")) - 1
            sb = int(np.searchsorted(first_b, j, side="right")) - 1
            counts[sa * len(first_b) + sb] = counts.get(sa * len(first_b) + sb, 0) + 1
            low, high = b_of_a.get(sa, (j, j))
            b_of_a[sa] = (min(low, j), max(high, j))
            low, high = a_of_b.get(sb, (i, i))
            a_of_b[sb] = (min(low, i), max(high, i))
    return {k for k, c in counts.items() if c >= 3}, b_of_a, a_of_b


def test_sentence_links_match_the_reference():
    rng = random.Random(5)
    vocab = [f"w{k}" for k in range(10)] + ["end.", "stop!"]
    config = AlignConfig(min_words=4)
    checked = 0
    for _ in range(300):
        base = [rng.choice(vocab) for _ in range(rng.randint(0, 80))]
        other = list(base)
        for _ in range(rng.randint(0, 12)):
            k = rng.randrange(len(other) + 1)
            if rng.random() < 0.5 and k < len(other):
                other[k] = rng.choice(vocab)
            else:
                other.insert(k, rng.choice(vocab))
        a, b = align.doc_words(" ".join(base)), align.doc_words(" ".join(other))
        runs = align.word_runs(a, b, config)
        first_a, first_b = a.sentence_bounds()[0], b.sentence_bounds()[0]
        for n in (1, config.seed_ngram):
            got = _native.sentence_links(runs, n, first_a, first_b)
            assert got == _reference_sentence_links(runs, n, first_a, first_b)
        checked += bool(runs)
    assert checked > 100



def _reference_unit_keys(tokens, source_keys: np.ndarray) -> tuple[np.ndarray, ...]:
    """Lines and template sentences keyed with whole-array numpy operations (the vectorised
    form `_native.unit_keys` replaced): prefix sums of the polynomial hash per unit."""
    n = len(tokens.hashes)
    doc = tokens.doc_of_token()

    def keys(values: np.ndarray, bounds: np.ndarray, starts: np.ndarray, salt: np.uint64) -> np.ndarray:
        return mix64(sequence_hash(values, bounds) ^ source_keys[doc[starts]] ^ salt)

    line_starts = np.flatnonzero(np.diff(tokens.line, prepend=-1) != 0)
    line_keys = keys(tokens.hashes, np.append(line_starts, n), line_starts, np.uint64(0))
    ends = tokens.sentence_end[:-1] & ~(tokens.numeric[:-1] & tokens.numeric[1:]
                                         & (tokens.begins[1:] - tokens.ends[:-1] == 1))
    starts = np.concatenate([[0], np.flatnonzero(ends | (np.diff(doc) != 0)) + 1]).astype(np.int64)
    unit = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, n)))
    follows_number = np.zeros(n, dtype=bool)
    follows_number[1:] = tokens.numeric[1:] & tokens.numeric[:-1] & (unit[1:] == unit[:-1])
    keep = ~follows_number
    template = np.where(tokens.numeric, boilerplate._NUMBER, tokens.hashes)[keep]
    kept_before = np.concatenate([[0], np.cumsum(keep)])
    bounds = np.append(kept_before[starts], kept_before[-1]).astype(np.int64)
    return line_starts, line_keys, starts, keys(template, bounds, starts, boilerplate._SENTENCE_SALT)


def test_unit_keys_match_the_vectorised_reference():
    rng = random.Random(3)
    words = ["Prices", "rose", "5", "1-1/4", "0.5", "pct", "to", "12", "dlrs", "end.", "Reuter", "5,000"]
    texts = []
    for _ in range(60):
        lines = [" ".join(rng.choice(words) for _ in range(rng.randint(0, 12))) for _ in range(rng.randint(0, 6))]
        texts.append(rng.choice(["\n", "\n\n", ". "]).join(lines))
    tokens = tokenize(texts)
    sources = np.array([rng.choice([1, 2, 2**63 + 5]) for _ in texts], dtype=np.uint64)
    got = boilerplate.unit_keys(tokens, sources)
    want = _reference_unit_keys(tokens, sources)
    assert all(len(x) == 0 for x in boilerplate.unit_keys(tokenize(["", " .. "]), sources[:2]))
    assert len(got[0]) > 100 and len(got[2]) > 100
    for g, w in zip(got, want):
        assert g.tolist() == w.tolist()



@pytest.mark.parametrize("alphabet", ["ab", "abcde", "abcdefghij"])
def test_near_misses_are_difflibs_close_matches(alphabet):
    rng = random.Random(len(alphabet))
    for _ in range(2000):
        word = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        pool = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))) for _ in range(rng.randint(0, 4))]
        want = bool(difflib.get_close_matches(word, pool, n=1, cutoff=0.7))
        assert _native.near_misses([word], pool, 0.7) == [want], (word, pool)
