"""Passage alignment between two documents: the one implementation every engine calls.

1. Word seeds: positions where the same normalised word n-gram (3 words by default) starts
   in A and in B. N-grams on boilerplate lines never seed; n-grams repeated more than a few
   times in either document are dropped (they would tie every copy to every other); lone
   seeds, off any chain of matches, are dropped as chance.
2. Sentence seeds (paraphrase mode): sentence pairs whose content-word stems are similar
   (weighted cosine and Dice, after Sanchez-Perez et al., PAN 2014). They find re-worded,
   re-translated and summarised reuse that shares no run of words.
3. Passages: seeds (word ranges in A and B) are split into groups wherever neighbours are
   more than ``max_gap`` words apart, alternately along A and along B, until no group splits
   further (the divide-and-split scheme of Sanchez-Perez et al.). Because splitting looks at
   each document separately, passages in any order are found, swapped paragraphs included.
   Stray runs at the ends of a group are trimmed.
4. Each group whose seeds cover at least ``min_words`` words on both sides, densely, is a
   passage from its first to its last seeded word: boundaries are words, mapped back to
   code-point offsets in the texts as given.
5. Plagiarism profile only (each off in a scan): summaries gathered from re-worded pieces
   spread over B, with all of B as their source when they span most of it; re-worded passages
   grown by loosely similar neighbouring sentences; each passage of A credited to one passage
   of B and each stretch of B credited once (``overlaps="best"``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable

import numpy as np

from reprints import _native
from reprints.config import AlignConfig
from reprints.stages.arrays import new_runs
from reprints.stages.shingle import ngram_hashes

# A seed: first and last word in A, first and last word in B (inclusive), and for a
# sentence seed its cosine similarity (0.0 for word seeds).
Seed = tuple[int, int, int, int, float]


class DocWords:
    """The words of one document as alignment needs them."""

    __slots__ = ("hashes", "begins", "ends", "masked", "stems", "sentence_end", "numeric", "_seeds", "_sentences")

    def __init__(self, hashes: np.ndarray, begins: np.ndarray, ends: np.ndarray, masked: np.ndarray,
                 stems: np.ndarray | None = None, sentence_end: np.ndarray | None = None,
                 numeric: np.ndarray | None = None):
        self.hashes = hashes  # uint64, normalised word hashes
        self.begins = begins  # int64, code-point offsets into the text as given
        self.ends = ends
        self.masked = masked  # bool, True on boilerplate lines
        self.stems = hashes if stems is None else stems  # uint64, truncation stems
        if sentence_end is None:
            sentence_end = np.zeros(len(hashes), dtype=bool)
            sentence_end[-1:] = True
        self.sentence_end = sentence_end
        self.numeric = np.zeros(len(hashes), dtype=bool) if numeric is None else numeric  # bool: holds a digit
        self._seeds: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
        self._sentences: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None

    @classmethod
    def from_tokens(cls, tokens, masked: np.ndarray | None = None) -> "DocWords":
        mask = np.zeros(len(tokens.hashes), dtype=bool) if masked is None else masked
        return cls(tokens.hashes, tokens.begins, tokens.ends, mask, tokens.stems, tokens.sentence_end, tokens.numeric)

    def seed_grams(self, n: int, max_repeats: int) -> tuple[np.ndarray, np.ndarray]:
        """The n-grams that can seed a match, sorted by hash, and where each starts (see
        `seed_grams`). Built once per document and reused for every pair it is aligned in."""
        key = (n, max_repeats)
        if key not in self._seeds:
            grams, pos, _ = seed_grams(self.hashes, self.masked, n, max_repeats)
            self._seeds[key] = (grams, pos)
        return self._seeds[key]

    def set_seed_grams(self, n: int, max_repeats: int, grams: np.ndarray, pos: np.ndarray) -> None:
        """Seed n-grams worked out for a whole batch at once (`seed_grams` with ``doc_bounds``)."""
        self._seeds[(n, max_repeats)] = (grams, pos)

    def sentence_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """First and last word of every sentence."""
        first, last, _, _ = self.sentence_stems()
        return first, last

    def sentence_stems(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """First and last word of every sentence, and the distinct (sentence, stem) pairs of
        the unmasked words, sorted by stem (see `sentence_stems`); worked out once per document."""
        if self._sentences is None:
            first, last, _, sent, stems, _ = sentence_stems(
                self.stems, self.sentence_end, self.masked, np.array([0, len(self.hashes)], dtype=np.int64))
            self._sentences = (first, last, sent, stems)
        return self._sentences

    def set_sentence_stems(self, first: np.ndarray, last: np.ndarray, sent: np.ndarray, stems: np.ndarray) -> None:
        """Sentence stems worked out for a whole batch at once (`sentence_stems`)."""
        self._sentences = (first, last, sent, stems)


def sentence_stems(stems: np.ndarray, sentence_end: np.ndarray, masked: np.ndarray, doc_bounds: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sentences of a batch of documents and the stems in them: per document, the first and
    last word of each sentence (``first[first_bounds[d]:first_bounds[d+1]]``, likewise
    ``last``; words and sentences numbered within the document), and its distinct (sentence,
    stem) pairs of unmasked words sorted by stem, then sentence (``sent``/``stems``, split by
    ``pair_bounds``). A document's last word always ends a sentence."""
    n_docs = len(doc_bounds) - 1
    n = len(stems)
    sizes = np.diff(doc_bounds)
    token_doc = np.repeat(np.arange(n_docs, dtype=np.int64), sizes)
    ends = sentence_end.copy()
    ends[doc_bounds[1:][sizes > 0] - 1] = True
    last_global = np.flatnonzero(ends)
    first_global = np.concatenate([[0], last_global[:-1] + 1]).astype(np.int64)[: len(last_global)]
    sentence_doc = token_doc[last_global]
    first_bounds = np.searchsorted(sentence_doc, np.arange(n_docs + 1), side="left")
    offset = doc_bounds[sentence_doc]
    first, last = first_global - offset, last_global - offset
    sentence = np.cumsum(np.concatenate([[0], ends[:-1]])).astype(np.int64) if n else np.zeros(0, np.int64)
    local = sentence - first_bounds[token_doc]
    keep = ~masked
    keys, values, doc = stems[keep].copy(), local[keep], token_doc[keep]
    pair_bounds = np.searchsorted(doc, np.arange(n_docs + 1), side="left")
    _native.sort_in_segments(keys, values, pair_bounds)
    new = new_runs(pair_bounds, keys, values)
    keys, values, doc = keys[new], values[new], doc[new]
    pair_bounds = np.searchsorted(doc, np.arange(n_docs + 1), side="left")
    return first, last, first_bounds, values, keys, pair_bounds


def seed_grams(hashes: np.ndarray, masked: np.ndarray, n: int, max_repeats: int,
               doc_bounds: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The n-grams of unmasked words occurring at most ``max_repeats`` times in their
    document, sorted by document, then hash, then position: (hashes, start word within the
    document, per-document bounds into both). ``doc_bounds`` splits a batch of documents as
    in `Tokens` (one document if not given)."""
    if doc_bounds is None:
        doc_bounds = np.array([0, len(hashes)], dtype=np.int64)
    n_docs = len(doc_bounds) - 1
    token_doc = np.repeat(np.arange(n_docs, dtype=np.int64), np.diff(doc_bounds))
    starts, grams = ngram_hashes(hashes, n, ~masked, token_doc)
    doc = token_doc[starts]
    pos = (starts - doc_bounds[doc]).astype(np.int64)
    bounds = np.searchsorted(doc, np.arange(n_docs + 1), side="left")
    _native.sort_in_segments(grams, pos, bounds)
    segment = np.flatnonzero(new_runs(bounds, grams))
    counts = np.diff(np.append(segment, len(grams)))
    keep = np.repeat(counts <= max_repeats, counts)
    grams, pos, doc = grams[keep], pos[keep], doc[keep]
    bounds = np.searchsorted(doc, np.arange(n_docs + 1), side="left")
    return grams, pos, bounds


@dataclass(frozen=True)
class PassageMatch:
    """A passage shared by documents A and B; word indices inclusive, offsets half-open."""

    a_first: int
    a_last: int
    b_first: int
    b_last: int
    a_begin: int
    a_end: int
    b_begin: int
    b_end: int
    matched_words: int
    similarity: float
    kind: str
    summary: bool = False  # gathered from re-worded pieces spread over B (``summaries``)
    # What the word alignment says of the passage's numbers (`_native.matching_figures`):
    # numbers matched, numbers replaced by other numbers, other words replaced by other words.
    numbers_agree: int = 0
    numbers_differ: int = 0
    words_differ: int = 0


# --- word seeds -------------------------------------------------------------------------

def word_runs(a: DocWords, b: DocWords, config: AlignConfig) -> list[Seed]:
    """Word seeds (the same normalised n-gram starting at word i of A and word j of B) on
    chains of matches, merged into runs: maximal stretches of one diagonal (the same offset
    between A and B) covered by overlapping or adjacent matching n-grams.

    N-grams repeated more than ``max_seed_repeats`` times in either document do not seed
    (they would tie every copy to every other), nor do n-grams on boilerplate lines. A lone
    matching n-gram ("in Syria's Idlib") is what unrelated text on one topic shares; reuse
    shows as chains: n+1 consecutive matching words, or n-grams around a substituted word.
    So a seed is kept only with a neighbour on its diagonal at most n+1 words away. Kept
    seeds that overlap or touch become one run: a 200-word copy is one run, not 198 seeds,
    and the words covered on each side are unchanged, so everything downstream (gaps,
    coverage, extents) sees the same words at a fraction of the cost. Pairs sharing fewer
    distinct n-grams than ``min_words`` needs get no runs. Compiled: `_native.word_runs`.
    """
    n = config.seed_ngram
    grams_a, pos_a = a.seed_grams(n, config.max_seed_repeats)
    grams_b, pos_b = b.seed_grams(n, config.max_seed_repeats)
    return _native.word_runs(grams_a, pos_a, grams_b, pos_b, n, -(-config.min_words // n))


# --- sentence seeds -----------------------------------------------------------------------

class SentencePairs:
    """Sentence pairs of A and B sharing content-word stems (as many as ``sentence_pairs`` was
    asked for), with their weighted cosine and Dice; any other pair has similarity 0."""

    __slots__ = ("first_a", "last_a", "first_b", "last_b", "x", "y", "cosine", "dice", "shared", "_lookup")

    def __init__(self, first_a, last_a, first_b, last_b, x, y, cosine, dice, shared):
        self.first_a, self.last_a, self.first_b, self.last_b = first_a, last_a, first_b, last_b
        self.x, self.y, self.cosine, self.dice, self.shared = x, y, cosine, dice, shared
        self._lookup: dict[tuple[int, int], tuple[float, float, int]] | None = None

    def get(self, sa: int, sb: int) -> tuple[float, float, int]:
        """(cosine, dice, shared stems) of sentence ``sa`` of A and ``sb`` of B."""
        if self._lookup is None:
            self._lookup = dict(zip(zip(self.x.tolist(), self.y.tolist()),
                                    zip(self.cosine.tolist(), self.dice.tolist(), self.shared.tolist())))
        return self._lookup.get((sa, sb), (0.0, 0.0, 0))


def sentence_pairs(a: DocWords, b: DocWords, min_shared: int = 1) -> SentencePairs | None:
    """Weighted cosine and Dice of the content-word stems of every sentence pair sharing at
    least ``min_shared`` of them.

    Stem weights are inverse sentence frequencies over both documents, so that function words
    ("the", "und", "les") weigh nothing in any language and topical words weigh most; stems
    in more than a quarter of all sentences are ignored outright.
    """
    if len(a.hashes) == 0 or len(b.hashes) == 0:
        return None
    first_a, last_a, sent_a, stems_a = a.sentence_stems()
    first_b, last_b, sent_b, stems_b = b.sentence_stems()
    found = _native.sentence_similarity(stems_a, sent_a, len(first_a), stems_b, sent_b, len(first_b), min_shared)
    if found is None:
        return None
    return SentencePairs(first_a, last_a, first_b, last_b, *found)


def sentence_seeds(a: DocWords, b: DocWords, config: AlignConfig,
                   pairs: SentencePairs | None = None) -> list[Seed]:
    """Sentence pairs similar enough to be reuse: weighted cosine and Dice of their stems
    (``sentence_pairs``) reach ``sentence_cosine`` and ``sentence_dice``."""
    sp = sentence_pairs(a, b, config.sentence_min_shared) if pairs is None else pairs
    if sp is None:
        return []
    ok = (sp.shared >= config.sentence_min_shared) & (sp.cosine >= config.sentence_cosine) \
        & (sp.dice >= config.sentence_dice)
    first_a, last_a, first_b, last_b = sp.first_a, sp.last_a, sp.first_b, sp.last_b
    return [(int(first_a[p]), int(last_a[p]), int(first_b[q]), int(last_b[q]), max(c, 1e-6))
            for p, q, c in zip(sp.x[ok].tolist(), sp.y[ok].tolist(), sp.cosine[ok].tolist())]


def _split_sentence_seeds(word_seeds: list[Seed], candidates: list[Seed], a: DocWords, b: DocWords,
                          config: AlignConfig) -> tuple[list[Seed], list[Seed]]:
    """Sentence seeds as (primary, secondary).

    A sentence seed whose sentence on one side holds word matches that all lead somewhere
    else on the other side is a second rendering of text that already has its passage (a
    quote re-translated further down): it is kept, but grouped apart, so that it cannot
    stretch that passage. Every other sentence seed joins the word seeds (translated,
    shuffled or heavily edited reuse, where both kinds of evidence point the same way).
    """
    if not candidates or not word_seeds:
        return candidates, []
    first_a, _ = a.sentence_bounds()
    first_b, _ = b.sentence_bounds()
    width = len(first_b)
    # Sentence pairs that word matches link (a chance shared 3-gram does not count), and per
    # sentence the range of the other side its word matches reach.
    both, b_of_a, a_of_b = _native.sentence_links(word_seeds, config.seed_ngram, first_a, first_b)
    reach = config.max_gap
    primary, secondary = [], []
    starts = np.array([(seed[0], seed[2]) for seed in candidates], dtype=np.int64)
    sentences_a = (np.searchsorted(first_a, starts[:, 0], side="right") - 1).tolist()
    sentences_b = (np.searchsorted(first_b, starts[:, 1], side="right") - 1).tolist()
    for seed, sa, sb in zip(candidates, sentences_a, sentences_b):
        far_b = sa in b_of_a and (b_of_a[sa][0] > seed[3] + reach or b_of_a[sa][1] < seed[2] - reach)
        far_a = sb in a_of_b and (a_of_b[sb][0] > seed[1] + reach or a_of_b[sb][1] < seed[0] - reach)
        if (far_a or far_b) and sa * width + sb not in both:
            secondary.append(seed)
        else:
            primary.append(seed)
    return primary, secondary


# --- grouping -----------------------------------------------------------------------------
# Grouping works on plain lists: seed groups are small (tens to hundreds), where a Python
# loop beats the per-call cost of numpy several times over.

def _split_by_gaps(members: list[int], seeds: list[Seed], side: int, limit: int,
                   sentence_limit: int | None = None, n: int = 1) -> tuple[list[list[int]], list[tuple[int, int, int]]]:
    """Split seeds (sorted along one document) wherever more than ``limit`` words are unseeded
    (``sentence_limit`` where the seed reaching furthest before the gap, or the first after
    it, is a sentence seed). Of seeds reaching equally far, the one whose last n-gram starts
    last counts (a word run's last n-gram starts ``n - 1`` words before its end), a sentence
    seed on a tie. Returns the parts and, per part, its first and last word along that
    document and the number of words its seeds cover there."""
    lo_at, hi_at = 2 * side, 2 * side + 1
    wide = limit if sentence_limit is None else sentence_limit
    ordered = sorted(members, key=lambda m: seeds[m][lo_at])
    parts, extents, start = [], [], 0
    seed = seeds[ordered[0]]
    first, reach = seed[lo_at], seed[hi_at]
    covered = reach - first + 1
    # The seed holding the reach: (where its last n-gram starts, whether it is a sentence).
    held = (seed[lo_at], True) if seed[4] > 0 else (reach - n + 1, False)
    for k in range(1, len(ordered)):
        seed = seeds[ordered[k]]
        lo, hi = seed[lo_at], seed[hi_at]
        is_sentence = seed[4] > 0
        if lo - reach - 1 > (wide if (is_sentence or held[1]) else limit):
            parts.append(ordered[start:k])
            extents.append((first, reach, covered))
            start, first, covered = k, lo, 0
        if hi > reach:
            covered += hi - max(lo, reach + 1) + 1
            reach = hi
            held = (lo, True) if is_sentence else (hi - n + 1, False)
        elif hi == reach and sentence_limit is not None:
            held = max(held, (lo, True) if is_sentence else (hi - n + 1, False))
    parts.append(ordered[start:])
    extents.append((first, reach, covered))
    return parts, extents


def group_seeds(seeds: list[Seed], config: AlignConfig, min_cover: int = 0) -> list[list[int]]:
    """Split seeds into passages: groups with no gap wider than ``max_gap`` words in A or B
    (``max_sentence_gap`` next to a sentence seed: summaries skip whole sentences).

    A group covering fewer than ``min_cover`` words on either side is dropped as soon as it
    appears: splitting and trimming only shrink a group, so it could never become a passage.
    """
    pending = [list(range(len(seeds)))] if seeds else []
    done: list[list[int]] = []
    while pending:
        members = pending.pop()
        for side in (0, 1):
            parts, extents = _split_by_gaps(members, seeds, side, config.max_gap, config.max_sentence_gap,
                                            config.seed_ngram)
            if len(parts) > 1:
                pending.extend(p for p, e in zip(parts, extents) if e[2] >= min_cover)
                break
            if extents[0][2] < min_cover:
                break
        else:
            done.append(members)
    return done


def _trim_ends(members: list[int], seeds: list[Seed], side: int, keep_sentences: bool = False) -> list[int]:
    """Drop stray runs of seeds at both ends of a passage, along one document.

    Sorted along the document, seeds form runs of unbroken coverage (one unmatched word
    allowed). An end run that covers no more words than the gap separating it from the next
    run is a chance match next to the passage ("…Putin said. [18 new words] in Syria's
    Idlib"), not part of it; with ``keep_sentences``, an end run holding a sentence seed is kept.
    """
    runs, extents = _split_by_gaps(members, seeds, side, 1)
    if len(runs) < 2:
        return runs[0]
    first = [e[0] for e in extents]
    last = [e[1] + 1 for e in extents]  # run extents, half-open
    lo, hi = 0, len(runs)
    while hi - lo >= 2:
        size_lo, size_hi = last[lo] - first[lo], last[hi - 1] - first[hi - 1]
        stray_lo = size_lo <= first[lo + 1] - last[lo] and not (keep_sentences and any(seeds[m][4] for m in runs[lo]))
        stray_hi = size_hi <= first[hi - 1] - last[hi - 2] and not (keep_sentences and any(seeds[m][4] for m in runs[hi - 1]))
        if stray_lo and (not stray_hi or size_lo <= size_hi):  # the smaller stray end first
            lo += 1
        elif stray_hi:
            hi -= 1
        else:
            break
    return [m for r in runs[lo:hi] for m in r]


def _union_length(spans: list[tuple[int, int]]) -> int:
    """Number of words in the union of inclusive word ranges."""
    total, reach = 0, -1
    for lo, hi in sorted(spans):
        if hi > reach:
            total += hi - max(lo, reach + 1) + 1
            reach = hi
    return total


def _covered(seeds: list[Seed], side: int) -> int:
    """Number of words covered by the seeds on one side."""
    return _union_length([(s[2 * side], s[2 * side + 1]) for s in seeds])


# --- the aligner --------------------------------------------------------------------------

def align_pair(a: DocWords, b: DocWords, config: AlignConfig, paraphrase: bool | None = None) -> list[PassageMatch]:
    """Every passage shared by A and B, in order of A.

    ``paraphrase`` (default: whether ``config.paraphrase`` is "all") adds sentence seeds.
    """
    if paraphrase is None:
        paraphrase = config.paraphrase == "all"
    return _align(a, b, config, word_runs(a, b, config), paraphrase)


def _align(a: DocWords, b: DocWords, config: AlignConfig, runs: list[Seed], paraphrase: bool,
           probe: bool = False) -> list[PassageMatch]:
    """The passages that word runs (and, with ``paraphrase``, sentence seeds) make. With
    ``probe``, only whether there is one: the first passage found, its similarity unmeasured."""
    seeds = list(runs)
    groups: list[list[Seed]] = []
    sp = None
    if paraphrase:
        # Extension looks at sentence pairs sharing one stem; seeds need sentence_min_shared.
        sp = sentence_pairs(a, b, 1 if config.extend_cosine > 0 else config.sentence_min_shared)
        candidates = sentence_seeds(a, b, config, sp)
        primary, secondary = _split_sentence_seeds(seeds, candidates, a, b, config)
        seeds.extend(primary)
        groups = [[secondary[m] for m in g] for g in group_seeds(secondary, config)]
    elif not seeds or _covered(seeds, 0) < config.min_words:
        return []
    second = {id(g) for g in groups}  # second renderings: their sentence seeds stay trimmable
    # Gathering summaries looks at every group, however small; otherwise a group that cannot
    # hold min_words matched words is dropped while grouping.
    min_cover = 0 if paraphrase and config.summaries else config.min_words
    groups.extend([seeds[m] for m in g] for g in group_seeds(seeds, config, min_cover))
    if probe:
        for g in groups:
            found = _passage(a, b, g, config, measure=False)
            if found is not None:
                return [found]
        return []
    summaries: list[list[Seed]] = []
    if paraphrase and config.summaries:
        groups, summaries = _gather_summaries(groups, config)
    found = [p for p in (_passage(a, b, g, config, second=id(g) in second) for g in groups)
             if p is not None]
    found += [p for p in (_passage(a, b, g, config, summary=True) for g in summaries)
              if p is not None]
    if sp is not None and config.extend_cosine > 0 and found:
        found = _extend(found, a, b, sp, config)
    if config.summary_source > 0 and found:
        found = [_whole_source(p, b, config) for p in found]
    found.sort(key=lambda p: (p.a_first, p.b_first))
    if config.overlaps == "best":
        found = _best_of_overlapping(found, b)
    return found


SNAP_WORDS = 6


def _sentence_of(first: np.ndarray, word: int) -> int:
    return int(np.searchsorted(first, word, side="right")) - 1


def _extend(found: list[PassageMatch], a: DocWords, b: DocWords, sp: SentencePairs,
            config: AlignConfig) -> list[PassageMatch]:
    """Grow each passage by whole sentences while the sentence before it (after it) in A and
    the one before it (after it) in B are alike (cosine of their stems at least
    ``extend_cosine``): next to a passage, a sentence pair far less similar than a seed is
    still the same reuse (a translation's or an obfuscation's boundary sentences), while
    verbatim reuse ends where the next sentences differ outright. Passages that then overlap
    on both sides become one."""
    first_a, last_a, first_b, last_b = sp.first_a, sp.last_a, sp.first_b, sp.last_b
    na, nb = len(first_a), len(first_b)

    def alike(x: int, y: int) -> bool:
        if not (0 <= x < na and 0 <= y < nb):
            return False
        cosine = sp.get(x, y)[0]
        return cosine >= config.extend_cosine

    grown = []
    for m in found:
        a0, a1, b0, b1 = m.a_first, m.a_last, m.b_first, m.b_last
        if m.kind != "paraphrase" and m.similarity >= 0.9:  # a copy ends where copying ends
            grown.append([a0, a1, b0, b1, m])
            continue
        # A re-worded passage that starts or ends within a few words of a sentence boundary
        # takes the whole sentence (its first or last words were re-worded away).
        sa0, sa1 = _sentence_of(first_a, a0), _sentence_of(first_a, a1)
        sb0, sb1 = _sentence_of(first_b, b0), _sentence_of(first_b, b1)
        if a0 - first_a[sa0] <= SNAP_WORDS:
            a0 = int(first_a[sa0])
        if last_a[sa1] - a1 <= SNAP_WORDS:
            a1 = int(last_a[sa1])
        if b0 - first_b[sb0] <= SNAP_WORDS:
            b0 = int(first_b[sb0])
        if last_b[sb1] - b1 <= SNAP_WORDS:
            b1 = int(last_b[sb1])
        while True:  # backwards; a sentence split in two on one side is skipped over
            x = int(np.searchsorted(first_a, a0, side="right")) - 2
            y = int(np.searchsorted(first_b, b0, side="right")) - 2
            step = next(((x - i, y - j) for i, j in ((0, 0), (1, 0), (0, 1)) if alike(x - i, y - j)), None)
            if step is None:
                break
            a0, b0 = int(first_a[step[0]]), int(first_b[step[1]])
        while True:
            x = int(np.searchsorted(first_a, a1, side="right"))
            y = int(np.searchsorted(first_b, b1, side="right"))
            step = next(((x + i, y + j) for i, j in ((0, 0), (1, 0), (0, 1)) if alike(x + i, y + j)), None)
            if step is None:
                break
            a1, b1 = int(last_a[step[0]]), int(last_b[step[1]])
        grown.append([a0, a1, b0, b1, m])
    # Passages overlapping in A and in B after growing are one passage.
    grown.sort(key=lambda g: (g[0], g[2]))
    merged: list[list] = []
    for g in grown:
        for h in merged:
            if g[0] <= h[1] + 1 and h[0] <= g[1] + 1 and g[2] <= h[3] + 1 and h[2] <= g[3] + 1:
                h[0], h[1], h[2], h[3] = min(h[0], g[0]), max(h[1], g[1]), min(h[2], g[2]), max(h[3], g[3])
                h.append(g[4])
                break
        else:
            merged.append(g)
    out = []
    for a0, a1, b0, b1, *parts in merged:
        m = parts[0]
        if len(parts) == 1 and (a0, a1, b0, b1) == (m.a_first, m.a_last, m.b_first, m.b_last):
            out.append(m)
            continue
        best = max(parts, key=lambda p: p.matched_words)
        out.append(PassageMatch(
            a0, a1, b0, b1, int(a.begins[a0]), int(a.ends[a1]), int(b.begins[b0]), int(b.ends[b1]),
            sum(p.matched_words for p in parts), best.similarity, best.kind, all(p.summary for p in parts),
            sum(p.numbers_agree for p in parts), sum(p.numbers_differ for p in parts),
            sum(p.words_differ for p in parts)))
    return out


def _whole_source(p: PassageMatch, b: DocWords, config: AlignConfig) -> PassageMatch:
    """A summary condenses its whole source: a passage whose B side is at least
    ``summary_length_ratio`` times longer than its A side and spans at least
    ``summary_source`` of B's words has all of B as its source (the rest is what the summary
    left out)."""
    len_a, len_b = p.a_last - p.a_first + 1, p.b_last - p.b_first + 1
    n = len(b.hashes)
    if len_b < config.summary_length_ratio * len_a or len_b < config.summary_source * n:
        return p
    return dataclasses.replace(p, b_first=0, b_last=n - 1, b_begin=int(b.begins[0]), b_end=int(b.ends[n - 1]))


def _best_of_overlapping(found: list[PassageMatch], b: DocWords) -> list[PassageMatch]:
    """One source per passage of A, and each stretch of B credited once, as plagiarism
    detection asks (a scan keeps every rendering).

    Most matched words first, gathered summaries after every other passage (their parts are
    loose sentence matches, weaker evidence than any one passage): a passage overlapping a kept one in A is dropped; one
    overlapping kept passages in B loses that part of B if what is left is one stretch at
    its start or end (a boundary pushed into a neighbour's source), and is dropped otherwise
    (a second rendering of source text already credited: a repeated quote or footer).
    """
    kept: list[PassageMatch] = []
    for p in sorted(found, key=lambda p: (p.summary, -p.matched_words, p.a_first)):
        if any(p.a_begin < q.a_end and q.a_begin < p.a_end for q in kept):
            continue
        taken = [(q.b_first, q.b_last) for q in kept if q.b_first <= p.b_last and p.b_first <= q.b_last]
        if taken:
            lo = min(t[0] for t in taken)
            hi = max(t[1] for t in taken)
            if lo > p.b_first and hi >= p.b_last:
                b_first, b_last = p.b_first, lo - 1
            elif hi < p.b_last and lo <= p.b_first:
                b_first, b_last = hi + 1, p.b_last
            else:
                continue
            if 2 * (b_last - b_first + 1) < p.b_last - p.b_first + 1:
                continue
            p = dataclasses.replace(p, b_first=b_first, b_last=b_last, b_begin=int(b.begins[b_first]),
                                    b_end=int(b.ends[b_last]))
        kept.append(p)
    return sorted(kept, key=lambda p: (p.a_first, p.b_first))


def _extent(group: list[Seed], side: int) -> tuple[int, int]:
    """First and last word of a passage on one side.

    Where the passage starts (or ends) with a sentence seed, and the copy inside that
    sentence is word for word from some point on (or up to some point), the word matches set
    the boundary: "TEHRAN -- Leaders of…" begins at "Leaders" when the sentence was copied
    but its dateline was not. A re-worded sentence, with scattered word matches, keeps its
    sentence boundary.
    """
    lo_at, hi_at = 2 * side, 2 * side + 1
    first, last = min(s[lo_at] for s in group), max(s[hi_at] for s in group)
    words = [(s[lo_at], s[hi_at]) for s in group if not s[4]]
    for s in group:
        if not s[4] or (s[lo_at] != first and s[hi_at] != last):
            continue
        inside = [(max(lo, s[lo_at]), min(hi, s[hi_at])) for lo, hi in words if lo <= s[hi_at] and hi >= s[lo_at]]
        if not inside:
            continue
        matched = _union_length(inside)
        if s[lo_at] == first:
            start = min(lo for lo, _ in inside)
            if 10 * matched >= 9 * (s[hi_at] - start + 1):  # copied word for word from ``start`` on
                first = start
        if s[hi_at] == last:
            end = max(hi for _, hi in inside)
            if 10 * matched >= 9 * (end - s[lo_at] + 1):
                last = end
    return first, last


def _clip(group: list[Seed], a_first: int, a_last: int, b_first: int, b_last: int) -> list[Seed]:
    return [(max(s[0], a_first), min(s[1], a_last), max(s[2], b_first), min(s[3], b_last), s[4])
            for s in group if s[0] <= a_last and s[1] >= a_first and s[2] <= b_last and s[3] >= b_first]


def _gather_summaries(groups: list[list[Seed]], config: AlignConfig) -> tuple[list[list[Seed]], list[list[Seed]]]:
    """Groups that share one stretch of A but lie apart in B: a summary, whose sentences each
    condense (or copy a piece of) a different part of the source. Merged when there are at
    least ``summary_min_parts`` of them and together they span ``summary_ratio`` times as
    many words of B as of A. Returns (other groups, summaries)."""
    others: list[list[Seed]] = []
    runs: list[list[list[Seed]]] = []
    reach = -1
    for g in sorted(groups, key=lambda g: min(s[0] for s in g)):
        lo, hi = min(s[0] for s in g), max(s[1] for s in g)
        if runs and lo - reach - 1 <= config.max_gap:
            runs[-1].append(g)
            reach = max(reach, hi)
        else:
            runs.append([g])
            reach = hi
    summaries = []
    for run in runs:
        seeds = [s for g in run for s in g]
        span_a = max(s[1] for s in seeds) - min(s[0] for s in seeds) + 1
        span_b = max(s[3] for s in seeds) - min(s[2] for s in seeds) + 1
        # A passage copied word for word, with a few stray matches around it, is no summary.
        main = max(run, key=lambda g: max(s[1] for s in g) - min(s[0] for s in g))
        main_span = max(s[1] for s in main) - min(s[0] for s in main) + 1
        copied = main_span >= 0.6 * span_a and _covered([s for s in main if not s[4]], 0) >= 0.8 * main_span
        # One passage spanning the whole stretch of A, not itself summary-shaped, with matches
        # elsewhere in B inside it, is that passage (a translation with stray sentence
        # matches), not a summary.
        main_b = max(s[3] for s in main) - min(s[2] for s in main) + 1
        copied = copied or (main_span >= span_a and main_b < config.summary_ratio * main_span)
        # Nor are fewer than ``summary_min_parts`` passages copied word for word one after
        # another, with stray matches (groups of less than half a passage) between them.
        large = [g for g in run if 2 * _covered(g, 0) >= config.min_words]
        copied = copied or (len(large) < config.summary_min_parts and all(
            _covered([s for s in g if not s[4]], 0) >= 0.8 * _covered(g, 0) for g in large))
        if len(run) >= config.summary_min_parts and span_b >= config.summary_ratio * span_a and not copied:
            summaries.append(seeds)
        else:
            others.extend(run)
    return others, summaries


def _overlap(spans: list[tuple[int, int]], lo: int, hi: int) -> int:
    """Number of words of ``lo..hi`` inside the union of inclusive word ranges."""
    inside = [(max(a, lo), min(b, hi)) for a, b in spans if a <= hi and b >= lo]
    return _union_length(inside) if inside else 0


def _one_to_one(seeds: list[Seed], n: int) -> list[Seed]:
    """Within a passage each word maps to one place on the other side.

    Word seeds form chains along diagonals; longest first, a chain is kept unless half of
    it, on one side only, is already mapped by what was kept: a phrase list repeated in the source ("Ideographs Extension A" twice) must not pull the passage onto
    its second occurrence. (Half-mapped on both sides is the same mapping again: kept.)
    """
    words = sorted((s for s in seeds if not s[4]), key=lambda s: (s[2] - s[0], s[0]))
    chains: list[list[Seed]] = []
    for s in words:
        last = chains[-1][-1] if chains else None
        if last is not None and last[2] - last[0] == s[2] - s[0] and s[0] <= last[1] + 2:
            chains[-1].append(s)
        else:
            chains.append([s])
    chains.sort(key=lambda c: -(c[-1][1] - c[0][0]))
    if len(chains) < 2:
        return seeds
    taken_a: list[tuple[int, int]] = []
    taken_b: list[tuple[int, int]] = []
    kept: list[Seed] = []
    for chain in chains:  # a chain lies on one diagonal: its first seed starts it, its last ends it
        lo_a, hi_a, lo_b, hi_b = chain[0][0], chain[-1][1], chain[0][2], chain[-1][3]
        done_a = 2 * _overlap(taken_a, lo_a, hi_a) > hi_a - lo_a + 1
        done_b = 2 * _overlap(taken_b, lo_b, hi_b) > hi_b - lo_b + 1
        if done_a != done_b:  # mapped already on one side only: a second rendering
            continue
        kept.extend(chain)
        taken_a.append((lo_a, hi_a))
        taken_b.append((lo_b, hi_b))
    runs = [(w[0], w[1] - n + 1, w[2] - w[0]) for w in kept]  # first and last n-gram start, shift
    for s in seeds:
        if not s[4]:
            continue
        # A sentence seed whose word matches (the n-grams of the runs that start inside it)
        # mostly lead elsewhere in B is a second rendering too.
        inside = consistent = 0
        for first, last, shift in runs:
            if first > s[1] or last < s[0]:
                continue
            inside += min(last, s[1]) - max(first, s[0]) + 1
            consistent += max(0, min(last, s[1], s[3] - shift) - max(first, s[0], s[2] - shift) + 1)
        if 2 * consistent >= inside:
            kept.append(s)
    return kept


def _passage(a: DocWords, b: DocWords, seeds: list[Seed], config: AlignConfig,
             summary: bool = False, second: bool = False, measure: bool = True) -> PassageMatch | None:
    """The passage a group of seeds makes, or None if it is not one. A summary keeps the
    gaps of its longer side (they are what the summary left out). Without ``measure`` its
    kind and similarity are not worked out (they read "unmeasured" and 0)."""
    # Trimming and clipping only take words away: a group covering too few cannot pass.
    if min(_covered(seeds, 0), _covered(seeds, 1)) < config.min_words:
        return None
    seeds = _one_to_one(seeds, config.seed_ngram)
    members = list(range(len(seeds)))
    # A sentence seed at the end of a re-worded passage is evidence, not a stray match
    # (``keep_sentence_ends``); a word-for-word copy ends where its word matches end.
    keep = False
    if config.keep_sentence_ends and not second:
        words = [s for s in seeds if not s[4]]
        keep = not words or _covered(words, 0) < 0.8 * (max(s[1] for s in words) - min(s[0] for s in words) + 1)
    for _ in range(4):  # trimming along one side can expose a stray end on the other
        before = len(members)
        members = _trim_ends(members, seeds, 0, keep)
        if not summary:
            members = _trim_ends(members, seeds, 1, keep)
        if len(members) == before:
            break
    group = [seeds[m] for m in members]
    a_first, a_last = _extent(group, 0)
    b_first, b_last = _extent(group, 1)
    group = _clip(group, a_first, a_last, b_first, b_last)
    cov_a, cov_b = _covered(group, 0), _covered(group, 1)
    matched = min(cov_a, cov_b)
    if matched < config.min_words:
        return None
    len_a, len_b = a_last - a_first + 1, b_last - b_first + 1
    words = [s for s in group if not s[4]]
    sentences = [s[4] for s in group if s[4]]
    if sentences:
        # Summaries leave most of the longer side unmatched: ask density of one side.
        if max(cov_a / len_a, cov_b / len_b) < config.min_density:
            return None
        if not words and len(sentences) == 1 and sentences[0] < config.single_sentence_cosine:
            return None
    elif matched < config.min_density * max(len_a, len_b):
        return None
    agree = differ = words_differ = 0
    if not measure:
        kind, similarity = "unmeasured", 0.0
    else:
        words_a, words_b = a.hashes[a_first : a_last + 1], b.hashes[b_first : b_last + 1]
        numeric_a = a.numeric[a_first : a_last + 1]
        if len_a == len_b and np.array_equal(words_a, words_b):
            kind, similarity, agree = "verbatim", 1.0, int(np.count_nonzero(numeric_a))
        else:  # share of words in blocks common to both sides (difflib's ratio, 2·matches / total)
            kind = "edited"
            similarity, agree, differ, words_differ = _native.matching_figures(
                words_a, numeric_a.view(np.uint8), words_b, b.numeric[b_first : b_last + 1].view(np.uint8))
        # A paraphrase's figures count too: a template whose numbers break every word seed
        # ("estimated Canada's 1986/87 wheat crop at 31.85 mln tonnes") aligns by its sentences.
        if sentences and _covered(words, 0) + _covered(words, 1) < (len_a + len_b) / 2:
            kind, similarity = "paraphrase", sum(sentences) / len(sentences)
    return PassageMatch(
        a_first, a_last, b_first, b_last,
        int(a.begins[a_first]), int(a.ends[a_last]), int(b.begins[b_first]), int(b.ends[b_last]),
        matched, round(similarity, 4), kind, summary, agree, differ, words_differ,
    )


def align_related(a: DocWords, b: DocWords, config: AlignConfig,
                  accept: Callable[[list[PassageMatch]], bool] | None = None) -> list[PassageMatch]:
    """Align a candidate pair as a scan does: word seeds first; sentence seeds too when the
    pair is known to share text (``paraphrase="related"``) or always (``"all"``).

    ``accept``, if given, sees the pair's word passages (measured) first; a pair it refuses has
    no passages (the formula test, `stages.formula`)."""
    runs = word_runs(a, b, config)
    if config.paraphrase == "related":
        if accept is None:
            related = bool(_align(a, b, config, runs, False, probe=True))
        else:
            words_only = _align(a, b, config, runs, False)
            related = bool(words_only) and accept(words_only)
        return _align(a, b, config, runs, True) if related else []
    found = _align(a, b, config, runs, config.paraphrase == "all")
    return found if accept is None or not found or accept(found) else []


def whole_document_match(a: DocWords, b: DocWords) -> PassageMatch | None:
    """The passage of two documents known to be exact duplicates (same normalised words)."""
    if len(a.hashes) == 0 or len(b.hashes) == 0:
        return None
    last = len(a.hashes) - 1
    return PassageMatch(
        0, last, 0, len(b.hashes) - 1,
        int(a.begins[0]), int(a.ends[-1]), int(b.begins[0]), int(b.ends[-1]),
        len(a.hashes), 1.0, "verbatim",
    )


def doc_words(text: str) -> DocWords:
    """A single text's words, without boilerplate masking (for aligning two given texts)."""
    from reprints.stages.normalise import tokenize

    return DocWords.from_tokens(tokenize([text]))


def align_texts(text_a: str, text_b: str, config: AlignConfig | None = None) -> list[PassageMatch]:
    """Every passage shared by two texts, with code-point offsets into each."""
    config = config or AlignConfig()
    return align_pair(doc_words(text_a), doc_words(text_b), config, paraphrase=config.paraphrase != "off")
