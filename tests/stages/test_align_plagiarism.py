"""The plagiarism profile's passage rules: sentence extension, one credit per source stretch,
summaries whose source is the whole document. The scan profile leaves all of them off."""

from __future__ import annotations

import dataclasses

import numpy as np

from reprints.config import AlignConfig, plagiarism_profile
from reprints.stages.align import (DocWords, PassageMatch, _best_of_overlapping, _whole_source,
                                   align_texts)
from reprints.stages.normalise import tokenize

PLAG = plagiarism_profile()

# A passage of five sentences; in the "translated" copy the middle three are lightly re-worded
# (sentence seeds), the first and last heavily (a few shared content words only).
SOURCE = [
    "Harbour pilots guided the damaged tanker past the breakwater at dawn on Tuesday.",
    "Engineers inspected the cracked hull plates while divers surveyed the propeller shaft.",
    "The shipping company said its insurers would cover every repair to the vessel.",
    "Port authorities closed the northern channel for two days to clear spilled diesel.",
    "Fishermen complained that the closure cost them a week of lobster catches.",
]
COPY = [
    "At sunrise on Tuesday the tanker, badly hurt, was brought in by harbour crews.",
    "Engineers examined cracked hull plates and divers checked the propeller shaft.",
    "Its insurers will pay for every repair of the vessel, the shipping company said.",
    "For two days port authorities shut the northern channel to clear spilled diesel.",
    "Boat owners grumbled that they lost seven days of lobster work to the closure.",
]


def filler(prefix: str, n: int) -> str:
    """n sentences of words that occur nowhere else."""
    return " ".join(" ".join(f"{prefix}{k}w{j}" for j in range(8)) + "." for k in range(n))


def words(text: str) -> DocWords:
    t = tokenize([text])
    return DocWords.from_tokens(t, np.zeros(len(t.hashes), bool))


def test_scan_profile_leaves_the_plagiarism_rules_off():
    cfg = AlignConfig()
    assert cfg.extend_cosine == 0 and cfg.summary_source == 0 and not cfg.keep_sentence_ends
    assert cfg.overlaps == "keep" and not cfg.summaries
    assert PLAG.extend_cosine > 0 and PLAG.summary_source > 0 and PLAG.keep_sentence_ends


def test_boundary_sentences_join_a_reworded_passage():
    a = f"{filler('qa', 6)} {' '.join(COPY)} {filler('ra', 6)}"
    b = f"{filler('qb', 4)} {' '.join(SOURCE)} {filler('rb', 4)}"
    grown = align_texts(a, b, PLAG)
    plain = align_texts(a, b, dataclasses.replace(PLAG, extend_cosine=0.0))
    assert len(grown) == 1 and len(plain) == 1
    g, p = grown[0], plain[0]
    assert g.a_begin <= a.index(COPY[0]) and g.a_end >= a.index(COPY[-1]) + len(COPY[-1]) - 1
    assert g.b_begin <= b.index(SOURCE[0]) and g.b_end >= b.index(SOURCE[-1]) + len(SOURCE[-1]) - 1
    assert (p.a_begin, p.a_end) != (g.a_begin, g.a_end)  # the extension did the work
    # ... and it stops at unrelated sentences.
    assert g.a_begin >= a.index(COPY[0]) and g.a_end <= a.index(COPY[-1]) + len(COPY[-1])


def _match(a0, a1, b0, b1, matched, summary=False):
    return PassageMatch(a0, a1, b0, b1, a0, a1 + 1, b0, b1 + 1, matched, 0.5, "edited", summary)


class _B:
    """Stand-in for DocWords where word k spans offsets k..k+1."""

    def __init__(self, n):
        self.begins = np.arange(n)
        self.ends = np.arange(n) + 1
        self.hashes = np.zeros(n, np.uint64)


def test_a_source_stretch_is_credited_once():
    b = _B(1000)
    real = _match(100, 199, 500, 599, 90)
    footer_again = _match(700, 759, 510, 569, 40)  # the same source text, a second time in A
    pushed = _match(300, 399, 420, 529, 60)  # its end pushed into the first passage's source
    kept = _best_of_overlapping([real, footer_again, pushed], b)
    assert [(m.a_first, m.b_first, m.b_last) for m in kept] == [(100, 500, 599), (300, 420, 499)]


def test_summaries_yield_to_other_passages():
    b = _B(1000)
    summary = _match(100, 199, 0, 899, 120, summary=True)
    passage = _match(150, 249, 300, 399, 80)
    kept = _best_of_overlapping([summary, passage], b)
    assert kept == [passage]


def test_a_summary_shaped_passage_has_the_whole_source():
    b = _B(1000)
    summary = _match(100, 149, 200, 799, 40)  # 50 words of A condense 600 of B's 1000
    whole = _whole_source(summary, b, PLAG)
    assert (whole.b_first, whole.b_last, whole.b_begin, whole.b_end) == (0, 999, 0, 1000)
    one_to_one = _match(100, 399, 200, 499, 250)  # a translation: as long in A as in B
    assert _whole_source(one_to_one, b, PLAG) is one_to_one
    narrow = _match(100, 149, 200, 349, 40)  # summary-shaped but only 15% of the source
    assert _whole_source(narrow, b, PLAG) is narrow
