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

import dataclasses
import re
from collections import Counter

import numpy as np

from reprints import _native
from reprints.config import PairConfig, ScanConfig
from reprints.stages import align as align_stage

_WORD = re.compile(r"\w+")
NEAR_MISS_CUTOFF = 0.7  # difflib's similarity of two spellings of one word
TEMPLATE = "template"  # the passage kind of a pair that shares only a filled-in template
TEMPLATE_MAX_WORDS = 1000  # forms are short; longer documents are not compared whole (`other_content`)
# Whole documents differ in more words than passages, and more of them are near-misses by
# chance ("offering" / "offerings"); 90 % of OCR-noisy reprints measured for the formula test
# (benchmarks/RESULTS.md) have at least this share of near-misses.
WHOLE_NEAR_MISS = 0.2
SHORT_SUBSTITUTION = 4  # words: a name, a figure or a date put in place of another (`whole_substitutions`)


def formula_prone(shared: np.ndarray, common: np.ndarray, config: PairConfig,
                  exact: np.ndarray | None = None) -> np.ndarray:
    """Per candidate pair: are most of its shared n-grams common phrasing (sign 1)? Never for
    an ``exact`` duplicate pair (`candidates.exact_wins_sql`): it is aligned whole."""
    if config.formula_share <= 0:
        return np.zeros(len(shared), dtype=bool)
    prone = np.asarray(common, dtype=np.float64) >= config.formula_share * np.asarray(shared, dtype=np.float64)
    return prone if exact is None else prone & ~np.asarray(exact, dtype=bool)


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


_MONTHS = frozenset("january february march april may june july august september october november december "
                    "jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday "
                    "friday saturday sunday".split())


def is_slot(word: str) -> bool:
    """A word that fills a template rather than writes it: a number (any digit), a date word
    (month, weekday) or a capitalised name. Case is the only sign of a name, so in a script
    without case only numbers and dates count."""
    return any(c.isdigit() for c in word) or word[:1].isupper() or word.casefold() in _MONTHS


def substitutions(passages: list, text_a: str, text_b: str) -> tuple[int, int, int, int]:
    """What differs inside a pair's passages, on difflib's word alignment of each passage
    (words are runs of letters and digits, compared case aside): (slot words that differ, other words that
    differ, slot words that agree, other words that agree), counting both sides' words of each
    unequal stretch and one side's of each equal one. Slot words are `is_slot`."""
    total = [0, 0, 0, 0]
    for p in passages:
        counts = _word_differences(_WORD.findall(text_a[p.a_begin:p.a_end]), _WORD.findall(text_b[p.b_begin:p.b_end]))
        total = [t + c for t, c in zip(total, counts[:4])]
    return total[0], total[1], total[2], total[3]


def _word_differences(words_a: list[str], words_b: list[str]) -> tuple[int, int, int, int, int, int]:
    """On difflib's alignment of two word lists (case aside): (slot words that differ, other words
    that differ, slot words that agree, other words that agree, slot words of short substitutions,
    other words of short substitutions). Both sides' words of an unequal stretch count, one side's
    of an equal one; a short substitution replaces at most ``SHORT_SUBSTITUTION`` words by at
    most as many. `substitutions` and `whole_substitutions` read it."""
    from difflib import SequenceMatcher

    slot_diff = prose_diff = slot_same = prose_same = slot_sub = prose_sub = 0
    matcher = SequenceMatcher(None, [w.casefold() for w in words_a], [w.casefold() for w in words_b], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            slots = sum(map(is_slot, words_a[i1:i2]))
            slot_same += slots
            prose_same += (i2 - i1) - slots
            continue
        short = tag == "replace" and max(i2 - i1, j2 - j1) <= SHORT_SUBSTITUTION
        for words in (words_a[i1:i2], words_b[j1:j2]):
            slots = sum(map(is_slot, words))
            slot_diff += slots
            prose_diff += len(words) - slots
            if short:
                slot_sub += slots
                prose_sub += len(words) - slots
    return slot_diff, prose_diff, slot_same, prose_same, slot_sub, prose_sub


def other_fillers(passages: list, text_a: str, text_b: str, config: PairConfig) -> bool:
    """Sign 5, for any pair: what differs inside its passages is names, figures and dates in
    the same prose, the fill of a template (two companies' dividend notices, two days' money
    market reports). At least ``template_slots`` slot words differ (`substitutions`), they are
    at least ``template_slot_share`` of all the words that differ and at least half as many as
    the slot words the two sides share, and fewer than ``formula_near_miss`` of the differing
    words of each passage are near-misses of each other (`near_miss_share`): a reprint keeps its
    names and figures and an update changes a few of many, an edit changes ordinary words too,
    and OCR noise misspells the same names and figures."""
    if config.template_slots <= 0 or not passages:
        return False
    slot_diff, prose_diff, slot_same, _ = substitutions(passages, text_a, text_b)
    if not (slot_diff >= config.template_slots and slot_diff >= config.template_slot_share * (slot_diff + prose_diff)
            and 2 * slot_diff >= slot_same):
        return False
    # OCR noise and typos also change capitalised words and digits, into near-misses of themselves
    return all(near_miss_share(text_a[p.a_begin:p.a_end], text_b[p.b_begin:p.b_end]) < config.formula_near_miss
               for p in passages)


def covers(passages: list, text_a: str, text_b: str) -> tuple[float, float]:
    """The shares of document A and of document B that a pair's passages cover."""
    cover = []
    for begin, end, text in (("a_begin", "a_end", text_a), ("b_begin", "b_end", text_b)):
        spans = sorted((getattr(p, begin), getattr(p, end)) for p in passages)
        covered, reach = 0, 0
        for lo, hi in spans:
            lo = max(lo, reach)
            if hi > lo:
                covered += hi - lo
                reach = hi
        cover.append(covered / max(1, len(text)))
    return cover[0], cover[1]


def shared_cover(passages: list, text_a: str, text_b: str) -> float:
    """The smaller of the two shares of its document that a pair's passages cover."""
    return min(covers(passages, text_a, text_b))


def common_phrasing(passages: list, text_a: str, text_b: str, prone: bool, config: PairConfig) -> bool:
    """Sign 7: a pair ``prone`` to be formula text (most of its shared n-grams are common
    phrasing, sign 1) whose passages cover less than ``formula_cover`` of each document. Each
    document is mostly its own text, and what the two share is phrasing many documents use: two
    debt offerings' "… basis points over the off-the-run 9-1/4 pct Treasury bonds of 2016.
    Non-refundable for 10 years …" inside two different stories, two days' money-market notices
    that agree on one sentence. A reprint, whole or shortened, covers most of the shorter text,
    and a story carried in a digest covers most of its own item; a passage one story quotes from
    another is rarely common phrasing. Fewer than ``WHOLE_NEAR_MISS`` of the words that differ
    between the two documents may be near-misses of each other (OCR noise, as `other_content`)."""
    if not prone or config.formula_cover <= 0 or max(covers(passages, text_a, text_b)) >= config.formula_cover:
        return False
    # OCR'd reprints of a notice many papers print are common phrasing too, and their passages
    # break at the misspellings: their differing words are near-misses of each other
    return near_miss_share(text_a, text_b) < WHOLE_NEAR_MISS


def whole_substitutions(words_a: list[str], words_b: list[str]) -> tuple[int, int, int, int, int]:
    """What differs between two whole documents, on difflib's alignment of their words (case
    aside): (slot words that differ, other words that differ, slot words that agree, slot words
    of short substitutions, other words of short substitutions). A short substitution is a
    stretch of at most ``SHORT_SUBSTITUTION`` words of one replaced by at most as many of the
    other: a name, a figure or a date put in place of another, not a sentence rewritten or a
    paragraph added. Both sides' words of an unequal stretch count, one side's of an equal one."""
    slot_diff, prose_diff, slot_same, _, slot_sub, prose_sub = _word_differences(words_a, words_b)
    return slot_diff, prose_diff, slot_same, slot_sub, prose_sub


def other_content(text_a: str, text_b: str, config: PairConfig) -> bool:
    """Sign 6, for any pair of documents of at most ``TEMPLATE_MAX_WORDS`` words: the two
    documents, read whole, differ mostly in names, figures and dates (`whole_substitutions`),
    and fewer than ``WHOLE_NEAR_MISS`` of the differing words are near-misses of each other
    (OCR noise). Either

    * at least ``template_slots`` slot words differ, they are at least
      ``template_slot_share`` of the words that differ, and fewer than
      ``template_names_shared`` of the distinct slot words of the document with fewer of them
      are in the other: two issues of one form for other companies, days or places; or
    * at least ``template_slots`` slot words are in short substitutions, they are at least
      ``template_substituted`` of the words of short substitutions and of the slot words of the
      two (substituted or agreeing): a report of other days or figures in the same table or
      sentences, whatever else either document adds.

    A reprint, shortened or updated, keeps its names and figures (an update changes a few of
    many); a rewritten one substitutes sentences, not names; two stories that share a quote
    differ mostly in prose."""
    if config.template_slots <= 0:
        return False
    words_a, words_b = _WORD.findall(text_a), _WORD.findall(text_b)
    if max(len(words_a), len(words_b)) > TEMPLATE_MAX_WORDS:
        return False
    slot_diff, prose_diff, slot_same, slot_sub, prose_sub = whole_substitutions(words_a, words_b)
    filled = False
    if slot_diff >= config.template_slots and slot_diff >= config.template_slot_share * (slot_diff + prose_diff):
        names_a = {w.casefold() for w in words_a if is_slot(w)}
        names_b = {w.casefold() for w in words_b if is_slot(w)}
        fewer, more = (names_a, names_b) if len(names_a) <= len(names_b) else (names_b, names_a)
        filled = len(fewer & more) < config.template_names_shared * len(fewer)
    if not filled:
        share = config.template_substituted
        filled = (slot_sub >= config.template_slots and slot_sub >= share * (slot_sub + prose_sub)
                  and slot_sub >= share * (slot_sub + slot_same))
    return filled and near_miss_share(text_a, text_b) < WHOLE_NEAR_MISS


def classify(a: align_stage.DocWords, b: align_stage.DocWords, text_a: str, text_b: str,
             prone: bool, config: ScanConfig) -> tuple[list, bool]:
    """A candidate pair's passages as a scan aligns them (`align.align_related`), and whether
    they are a filled-in template: a pair ``prone`` to be formula text whose word passages show
    it (`is_formula`) or whose passages cover little of either document (`common_phrasing`), a
    pair whose passages hold other figures (`other_figures`), or a pair
    whose passages cover at least ``template_coverage`` of each document (a form is most of
    its document; an item of a digest or a quoted paragraph is not) and that holds other names,
    figures and dates in the same prose, inside its passages (`other_fillers`) or over the
    whole documents (`other_content`). The one rule every engine and the index apply."""
    formula_words: list[bool] = []

    def accept(found: list) -> bool:
        formula_words.append(is_formula(found, text_a, text_b, config.pairs))
        return config.pairs.templates != "drop" or not formula_words[-1]

    found = align_stage.align_related(a, b, config.align, accept=accept if prone else None)
    if not found:
        return [], False
    pairs = config.pairs
    template = any(formula_words) or common_phrasing(found, text_a, text_b, prone, pairs) or other_figures(found, pairs) or (
        shared_cover(found, text_a, text_b) >= pairs.template_coverage
        and (other_fillers(found, text_a, text_b, pairs) or other_content(text_a, text_b, pairs)))
    return found, template


def align_unless_formula(a: align_stage.DocWords, b: align_stage.DocWords, text_a: str, text_b: str,
                         prone: bool, config: ScanConfig) -> list:
    """A candidate pair's passages as a scan reports them (`classify`): a template's with kind
    "template" (``pairs.templates = "label"``, the default), none (``"drop"``), or as they are
    aligned (``"reprint"``)."""
    found, template = classify(a, b, text_a, text_b, prone, config)
    if not template or config.pairs.templates == "reprint":
        return found
    if config.pairs.templates == "drop":
        return []
    return [dataclasses.replace(p, kind=TEMPLATE) for p in found]
