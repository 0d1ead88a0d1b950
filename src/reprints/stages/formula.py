"""Formula text: pairs of documents that share a template, not a story.

Two eurobond announcements ("The bonds will be issued in denominations of 5,000 dlrs and
listed in Luxembourg. Fees total 1-7/8 pct…") or two weekly market reports share long
stretches of words, yet neither reprints the other: what differs are the figures and names
that fill the template. Three signs together mark such a pair (thresholds in `PairConfig`):

1. most of the n-grams the pair shares are common in the collection (phrasing many documents
   use), which the candidate stage counts for every engine (`CandidateConfig.common_df`);
2. every passage its words make is edited, below ``formula_similarity``;
3. the words that differ are not near-misses of each other. Reprints with OCR noise or typos
   differ in misspellings of the same words ("Dslacroix" / "Delacroix"); filled templates in
   other words and numbers altogether.

Only 1 is known before alignment; a pair that has it is aligned word by word first, and its
passages are dropped when 2 and 3 hold too (`is_formula`, `align_unless_formula`).

A template filled in with other figures can also be used by only a few documents, and its
words can agree almost entirely ("The Treasury said it will sell 6.4 billion dlrs of 13-week
bills on April 6" / "… 6.8 billion dlrs … on June 8"). What gives it away is what reprints never
do: 4. the numbers its passages align differ more often than they agree, and more often than
the other words do (`other_figures`, checked for every pair).
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

from reprints import _native
from reprints.config import PairConfig, ScanConfig
from reprints.stages import align as align_stage

_WORD = re.compile(r"\w+")
NEAR_MISS_CUTOFF = 0.7  # difflib's similarity of two spellings of one word


def formula_prone(shared: np.ndarray, common: np.ndarray, config: PairConfig) -> np.ndarray:
    """Per candidate pair: are most of its shared n-grams common phrasing (sign 1)?"""
    if config.formula_share <= 0:
        return np.zeros(len(shared), dtype=bool)
    return np.asarray(common, dtype=np.float64) >= config.formula_share * np.asarray(shared, dtype=np.float64)


def near_miss_share(text_a: str, text_b: str) -> float:
    """Share of the words that differ between two passages (a word of one side absent from the
    other, case aside) that have a near-miss spelling among the other side's differing words
    (difflib similarity ≥ ``NEAR_MISS_CUTOFF``, `_native.near_misses`; words past 64 characters
    are compared by their first 64). Numbers are never near-misses. 1.0 when nothing differs.
    Each distinct differing word is looked up once."""
    words_a = [w.casefold() for w in _WORD.findall(text_a)]
    words_b = [w.casefold() for w in _WORD.findall(text_b)]
    set_a, set_b = set(words_a), set(words_b)
    only_a = Counter(w for w in words_a if w not in set_b)
    only_b = Counter(w for w in words_b if w not in set_a)
    total = sum(only_a.values()) + sum(only_b.values())
    if total == 0:
        return 1.0
    near = 0
    for only, pool in ((only_a, list(only_b)), (only_b, list(only_a))):
        words = [w for w in only if not w.isdigit()]
        near += sum(only[w] for w, hit in zip(words, _native.near_misses(words, pool, NEAR_MISS_CUTOFF)) if hit)
    return near / total


def is_formula(passages: list, text_a: str, text_b: str, config: PairConfig) -> bool:
    """Signs 2 and 3 for the word passages (``PassageMatch``) of a formula-prone pair."""
    if not passages:
        return False
    for p in passages:
        if p.kind == "verbatim" or p.similarity >= config.formula_similarity:
            return False
        if near_miss_share(text_a[p.a_begin:p.a_end], text_b[p.b_begin:p.b_end]) >= config.formula_near_miss:
            return False
    return True


def other_figures(passages: list, config: PairConfig) -> bool:
    """Sign 4, for any pair: its passages repeat the words but not the figures. Over all its
    passages, at least ``figures_differ`` numbers are aligned against other numbers, no fewer
    than are matched, and no fewer than the other words that differ: a weekly report, a bond
    issue or a dividend notice filled in with other figures. A reprint keeps its facts; an
    update or correction changes a few numbers among many that stay, and OCR noise changes
    words as much as numbers."""
    if config.figures_differ <= 0 or not passages:
        return False
    agree = sum(p.numbers_agree for p in passages)
    differ = sum(p.numbers_differ for p in passages)
    words = sum(p.words_differ for p in passages)
    return differ >= config.figures_differ and differ >= agree and differ >= words


def align_unless_formula(a: align_stage.DocWords, b: align_stage.DocWords, text_a: str, text_b: str,
                         prone: bool, config: ScanConfig) -> list:
    """A candidate pair's passages as a scan aligns them (`align.align_related`); none for a
    pair ``prone`` to be formula text whose word passages show it (`is_formula`), nor for a
    pair whose passages hold other figures (`other_figures`)."""
    accept = (lambda found: not is_formula(found, text_a, text_b, config.pairs)) if prone else None
    found = align_stage.align_related(a, b, config.align, accept=accept)
    return [] if other_figures(found, config.pairs) else found
