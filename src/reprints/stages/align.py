"""Passage alignment between two documents: the one implementation every engine calls.

1. Seeds: positions (i in A, j in B) where the same normalised word n-gram starts (3 words
   by default). N-grams on boilerplate lines never seed; n-grams repeated more than a few
   times in either document are dropped (they would tie every copy to every other).
2. Passages: seeds are split into groups wherever two neighbours are more than ``max_gap``
   words apart, alternately along A and along B, until no group splits further (the
   divide-and-split scheme of Sanchez-Perez et al., PAN 2014). Because splitting looks at
   each document separately, passages in any order are found, swapped paragraphs included.
3. Each group whose seeds cover at least ``min_words`` words on both sides, and cover them
   densely, is a passage from its first to its last seeded word: boundaries are words, mapped
   back to code-point offsets in the texts as given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reprints.config import AlignConfig
from reprints.stages.shingle import ngram_hashes


class DocWords:
    """The words of one document as alignment needs them."""

    __slots__ = ("hashes", "begins", "ends", "masked", "_seeds")

    def __init__(self, hashes: np.ndarray, begins: np.ndarray, ends: np.ndarray, masked: np.ndarray):
        self.hashes = hashes  # uint64, normalised word hashes
        self.begins = begins  # int64, code-point offsets into the text as given
        self.ends = ends
        self.masked = masked  # bool, True on boilerplate lines
        self._seeds: dict[tuple[int, int], dict[int, list[int]]] = {}

    def seed_index(self, n: int, max_repeats: int) -> dict[int, list[int]]:
        """n-gram hash → start words, for n-grams occurring at most ``max_repeats`` times.

        Built once per document and reused for every pair it is aligned in. A dict, because
        intersecting two of them is a set operation in C, and documents share few n-grams.
        """
        key = (n, max_repeats)
        if key not in self._seeds:
            pos, grams = ngram_hashes(self.hashes, n, ~self.masked)
            order = np.argsort(grams, kind="stable")
            values, first, count = np.unique(grams[order], return_index=True, return_counts=True)
            positions = pos[order].tolist()
            index = dict(zip(values[count == 1].tolist(), ([p] for p in pos[order][first[count == 1]].tolist())))
            for v, f, c in zip(values.tolist(), first.tolist(), count.tolist()):
                if 1 < c <= max_repeats:
                    index[v] = positions[f : f + c]
            self._seeds[key] = index
        return self._seeds[key]


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


def _seeds(a: DocWords, b: DocWords, config: AlignConfig, min_seeds: int) -> tuple[list[int], list[int]]:
    """Positions (i in A, j in B) where the same n-gram starts; empty if too few to matter."""
    index_a = a.seed_index(config.seed_ngram, config.max_seed_repeats)
    index_b = b.seed_index(config.seed_ngram, config.max_seed_repeats)
    common = index_a.keys() & index_b.keys()
    if len(common) < min_seeds:
        return [], []
    i: list[int] = []
    j: list[int] = []
    for g in common:
        pa, pb = index_a[g], index_b[g]
        if len(pa) == 1 and len(pb) == 1:
            i.append(pa[0])
            j.append(pb[0])
        else:
            for p in pa:
                for q in pb:
                    i.append(p)
                    j.append(q)
    return i, j


# Grouping works on plain lists: seed groups are small (tens to hundreds), where a Python
# loop beats the per-call cost of numpy several times over.

def _split_by_gaps(members: list[int], coord: list[int], limit: int) -> list[list[int]]:
    ordered = sorted(members, key=coord.__getitem__)
    parts, start = [], 0
    for k in range(1, len(ordered)):
        if coord[ordered[k]] - coord[ordered[k - 1]] > limit:
            parts.append(ordered[start:k])
            start = k
    parts.append(ordered[start:])
    return parts


def group_seeds(i: list[int], j: list[int], config: AlignConfig) -> list[list[int]]:
    """Split seeds into passages: groups with no gap wider than ``max_gap`` words in A or B."""
    limit = config.max_gap + config.seed_ngram
    pending = [list(range(len(i)))] if len(i) else []
    done: list[list[int]] = []
    while pending:
        members = pending.pop()
        parts = _split_by_gaps(members, i, limit)
        if len(parts) == 1:
            parts = _split_by_gaps(members, j, limit)
            if len(parts) == 1:
                done.append(members)
                continue
        pending.extend(parts)
    return done


def _supported(i: list[int], j: list[int], n: int) -> tuple[list[int], list[int]]:
    """The seeds with a neighbour on the same diagonal at most one word further on or back.

    A lone matching n-gram ("in Syria's Idlib") is what unrelated text on one topic shares;
    reuse shows as chains: n+1 consecutive matching words, or n-grams around a substituted
    word. Dropping lone seeds keeps chance matches from stretching a passage's ends.
    """
    seeds = set(zip(i, j))
    kept = []
    for p, q in seeds:
        if (p + 1, q + 1) in seeds or (p - 1, q - 1) in seeds:  # the common case: a chain
            kept.append((p, q))
            continue
        for k in range(2, n + 2):
            if (p + k, q + k) in seeds or (p - k, q - k) in seeds:
                kept.append((p, q))
                break
    kept.sort()
    return [p for p, _ in kept], [q for _, q in kept]


def _trim_ends(members: list[int], coord: list[int], n: int) -> list[int]:
    """Drop stray runs of seeds at both ends of a passage, along one document.

    Sorted along the document, seeds form runs of unbroken coverage. An end run that covers
    no more words than the gap separating it from the next run is a chance match next to
    the passage ("…Putin said. [18 new words] in Syria's Idlib"), not part of it.
    """
    runs = _split_by_gaps(members, coord, n + 1)
    if len(runs) < 2:
        return runs[0]
    first = [coord[r[0]] for r in runs]
    last = [coord[r[-1]] + n for r in runs]  # run extents, half-open
    lo, hi = 0, len(runs)
    while hi - lo >= 2:
        if last[lo] - first[lo] <= first[lo + 1] - last[lo]:
            lo += 1
        elif last[hi - 1] - first[hi - 1] <= first[hi - 1] - last[hi - 2]:
            hi -= 1
        else:
            break
    return [m for r in runs[lo:hi] for m in r]


def _covered(starts: list[int], n: int) -> int:
    """Number of words covered by n-grams starting at ``starts``."""
    return len({s + k for s in starts for k in range(n)})


def align_pair(a: DocWords, b: DocWords, config: AlignConfig) -> list[PassageMatch]:
    """Every passage shared by A and B, in order of A."""
    n = config.seed_ngram
    # Seeds of n words each can cover min_words words only if there are enough of them.
    min_seeds = -(-config.min_words // n)
    i, j = _supported(*_seeds(a, b, config, min_seeds), n)
    if len(i) < min_seeds:
        return []
    found = []
    for members in group_seeds(i, j, config):
        if len(members) < min_seeds:
            continue
        for _ in range(4):  # trimming along one side can expose a stray end on the other
            before = len(members)
            members = _trim_ends(_trim_ends(members, i, n), j, n)
            if len(members) == before:
                break
        si, sj = [i[m] for m in members], [j[m] for m in members]
        a_first, a_last = min(si), max(si) + n - 1
        b_first, b_last = min(sj), max(sj) + n - 1
        cov_a, cov_b = _covered(si, n), _covered(sj, n)
        matched = min(cov_a, cov_b)
        if matched < config.min_words:
            continue
        len_a, len_b = a_last - a_first + 1, b_last - b_first + 1
        if matched < config.min_density * max(len_a, len_b):
            continue
        same = len_a == len_b and np.array_equal(
            a.hashes[a_first : a_last + 1], b.hashes[b_first : b_last + 1]
        )
        found.append(
            PassageMatch(
                a_first, a_last, b_first, b_last,
                int(a.begins[a_first]), int(a.ends[a_last]),
                int(b.begins[b_first]), int(b.ends[b_last]),
                matched,
                round((cov_a + cov_b) / (len_a + len_b), 4),
                "verbatim" if same else "edited",
            )
        )
    found.sort(key=lambda p: (p.a_first, p.b_first))
    return found


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

    t = tokenize([text])
    return DocWords(t.hashes, t.begins, t.ends, np.zeros(len(t.hashes), dtype=bool))


def align_texts(text_a: str, text_b: str, config: AlignConfig | None = None) -> list[PassageMatch]:
    """Every passage shared by two texts, with code-point offsets into each."""
    return align_pair(doc_words(text_a), doc_words(text_b), config or AlignConfig())
