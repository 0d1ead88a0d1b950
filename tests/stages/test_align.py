"""Passage alignment between two documents, on hand-made texts whose answer is known."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest

from reprints.config import AlignConfig
from reprints.stages.align import DocWords, align_pair, group_seeds, whole_document_match
from reprints.stages.normalise import tokenize

CFG = AlignConfig()

P1 = ("Shipping agents warned that a stoppage lasting more than a week could push freight "
      "rates sharply higher and leave supermarkets short of imported fruit before the spring "
      "holidays, while farmers feared that grain already loaded on barges would spoil.")  # 40 words
P2 = ("The mayor told councillors that the new tram line would open in stages, beginning "
      "with the northern loop through the university district, and that fares would be frozen "
      "for two years to win back passengers lost during the long construction works.")  # 41 words


def filler(prefix: str, n: int) -> str:
    """n words that occur nowhere else (each a distinct made-up token)."""
    return " ".join(f"{prefix}{k}x" for k in range(n))


def doc(text: str, masked: np.ndarray | None = None) -> DocWords:
    t = tokenize([text])
    mask = np.zeros(len(t.hashes), bool) if masked is None else masked
    return DocWords.from_tokens(t, mask)


def span_of(text: str, passage: str) -> tuple[int, int]:
    """Code-point span of ``passage`` in ``text``, from its first word to its last word."""
    start = text.index(passage)
    core = passage.rstrip(".,;:!?\"' ")
    return start, start + len(core)


def test_verbatim_passage_offsets_exact():
    a = f"{filler('qa', 30)}. {P1} {filler('ra', 30)}"
    b = f"{filler('qb', 10)}: {P1} {filler('rb', 50)}"
    found = align_pair(doc(a), doc(b), CFG)
    assert len(found) == 1
    m = found[0]
    assert (m.a_begin, m.a_end) == span_of(a, P1)
    assert (m.b_begin, m.b_end) == span_of(b, P1)
    assert a[m.a_begin:m.a_end] == b[m.b_begin:m.b_end] == P1.rstrip(".")
    assert m.kind == "verbatim"
    assert m.matched_words == len(P1.split())
    assert m.similarity == 1.0


def test_two_passages_in_swapped_order():
    a = f"{filler('qa', 15)} {P1} {filler('ra', 60)} {P2} {filler('sa', 15)}"
    b = f"{filler('qb', 15)} {P2} {filler('rb', 60)} {P1} {filler('sb', 15)}"
    found = align_pair(doc(a), doc(b), CFG)
    assert len(found) == 2
    got = sorted(((m.a_begin, m.a_end), (m.b_begin, m.b_end)) for m in found)
    want = sorted([(span_of(a, P1), span_of(b, P1)), (span_of(a, P2), span_of(b, P2))])
    assert got == want
    assert all(m.kind == "verbatim" for m in found)
    # Results come in order of A.
    assert [m.a_begin for m in found] == sorted(m.a_begin for m in found)


def test_passage_embedded_in_long_unrelated_text():
    a = f"{filler('qa', 3000)} {P2} {filler('ra', 3000)}"
    b = f"{P2}"
    found = align_pair(doc(a), doc(b), CFG)
    assert len(found) == 1
    assert (found[0].a_begin, found[0].a_end) == span_of(a, P2)
    assert (found[0].b_begin, found[0].b_end) == (0, len(P2) - 1)


def test_edited_passage_is_found_as_edited():
    edited = (P1.replace("could push", "might push").replace("sharply", "much")
              .replace("supermarkets", "grocers").replace("already", "now")
              .replace(" before the spring holidays,", " before the holidays,"))
    a = f"{filler('qa', 30)} {P1} {filler('ra', 30)}"
    b = f"{filler('qb', 30)} {edited} {filler('rb', 30)}"
    found = align_pair(doc(a), doc(b), CFG)
    assert len(found) == 1
    m = found[0]
    assert m.kind == "edited"
    assert (m.a_begin, m.a_end) == span_of(a, P1)
    assert (m.b_begin, m.b_end) == span_of(b, edited)
    assert CFG.min_words <= m.matched_words < len(P1.split())
    assert 0.5 < m.similarity < 1.0


def test_unrelated_texts_give_nothing():
    a = f"{P1} {filler('qa', 50)}"
    b = f"{P2} {filler('qb', 50)}"
    assert align_pair(doc(a), doc(b), CFG) == []


def test_short_shared_phrase_is_not_a_passage():
    phrase = "the prime minister said on Tuesday that talks would resume next week"  # 12 words
    a = f"{filler('qa', 40)} {phrase} {filler('ra', 40)}"
    b = f"{filler('qb', 40)} {phrase} {filler('rb', 40)}"
    assert align_pair(doc(a), doc(b), CFG) == []


def test_scattered_common_phrases_are_not_a_passage():
    phrases = ["in the end", "at the same time", "on the other hand", "as well as", "for the first time",
               "in order to", "at the end of the day", "by the way"]
    a = " ".join(f"{p} {filler('qa' + str(k), 25)}" for k, p in enumerate(phrases))
    b = " ".join(f"{p} {filler('qb' + str(k), 25)}" for k, p in enumerate(phrases))
    assert align_pair(doc(a), doc(b), CFG) == []


def test_masked_words_do_not_seed():
    a = f"{filler('qa', 10)} {P1}"
    b = f"{filler('qb', 10)} {P1}"
    ta = tokenize([a])
    mask = np.zeros(len(ta.hashes), bool)
    mask[10:] = True  # P1 in A sits on boilerplate lines
    assert align_pair(doc(a, mask), doc(b), CFG) == []


def test_passage_repeated_in_one_document():
    a = f"{P1} {filler('qa', 40)} {P1}"
    b = f"{filler('qb', 20)} {P1}"
    found = align_pair(doc(a), doc(b), CFG)
    spans_a = sorted((m.a_begin, m.a_end) for m in found)
    first = span_of(a, P1)
    second_start = a.index(P1, first[0] + 1)
    assert spans_a == [first, (second_start, second_start + first[1] - first[0])]
    assert all((m.b_begin, m.b_end) == span_of(b, P1) for m in found)


def test_non_ascii_passage_offsets():
    passage = ("Die Bürgermeisterin von Köln erklärte am Montag, dass die Straßenbahn über die "
               "Brücke erst im Frühjahr wieder fahren werde, weil Gutachter an mehreren Pfeilern "
               "Risse gefunden hätten und die Reparatur länger dauere als geplant.")
    a = f"😀 «{filler('qa', 10)}» — {passage} 🎉 {filler('ra', 10)}"
    b = f"𝔘𝔫𝔦 {filler('qb', 5)}\n\n{passage}"
    found = align_pair(doc(a), doc(b), CFG)
    assert len(found) == 1
    m = found[0]
    assert a[m.a_begin:m.a_end] == passage.rstrip(".")
    assert b[m.b_begin:m.b_end] == passage.rstrip(".")


def test_nfc_and_nfd_copies_of_a_passage_align_verbatim():
    """The same French passage, once composed (NFC) and once decomposed (NFD), is the same
    text after accent folding and should align as one verbatim passage."""
    passage = ("Le préfet a annoncé mercredi que la célèbre église de Saint-Étienne rouvrira "
               "après les fêtes : les échafaudages seront retirés dès que les vitraux réparés "
               "auront été reposés, a précisé la députée chargée du dossier à l'Assemblée générale.")
    a = unicodedata.normalize("NFC", f"{filler('qa', 10)} {passage}")
    b = unicodedata.normalize("NFD", f"{filler('qb', 10)} {passage}")
    found = align_pair(doc(a), doc(b), CFG)
    assert len(found) == 1
    m = found[0]
    assert unicodedata.normalize("NFC", b[m.b_begin:m.b_end]) == a[m.a_begin:m.a_end] == passage.rstrip(".")
    assert m.kind == "verbatim"


def test_whole_document_match():
    a = "  Markets closed higher.\n Reuter\n"
    b = "MARKETS closed higher — REUTER"
    m = whole_document_match(doc(a), doc(b))
    assert (m.a_begin, m.a_end) == (2, len(a.rstrip()))
    assert (m.b_begin, m.b_end) == (0, len(b))
    assert m.kind == "verbatim" and m.similarity == 1.0 and m.matched_words == 4
    assert whole_document_match(doc("..."), doc(b)) is None


@pytest.mark.parametrize("i, j, groups", [
    ([0, 1, 2, 3], [10, 11, 12, 13], [[0, 1, 2, 3]]),
    # a gap wider than max_gap + seed_ngram (23) along A splits
    ([0, 1, 2, 50, 51, 52], [0, 1, 2, 3, 4, 5], [[0, 1, 2], [3, 4, 5]]),
    # the same along B only
    ([0, 1, 2, 3, 4, 5], [0, 1, 2, 50, 51, 52], [[0, 1, 2], [3, 4, 5]]),
    # swapped blocks: close in A, far apart in B
    ([0, 1, 2, 5, 6, 7], [100, 101, 102, 0, 1, 2], [[0, 1, 2], [3, 4, 5]]),
    # a gap of exactly the limit does not split
    ([0, 23], [0, 23], [[0, 1]]),
])
def test_group_seeds(i, j, groups):
    n = CFG.seed_ngram
    got = group_seeds([(p, p + n - 1, q, q + n - 1, 0.0) for p, q in zip(i, j)], CFG)
    assert sorted(sorted(int(x) for x in g) for g in got) == groups


def test_group_seeds_empty():
    assert list(group_seeds([], CFG)) == []


def test_align_texts_matches_align_pair():
    from reprints.stages import align as align_module

    align_texts = getattr(align_module, "align_texts", None)
    if align_texts is None:
        pytest.skip("reprints.stages.align.align_texts is not available")
    a = f"{filler('qa', 15)} {P1} {filler('ra', 60)} {P2} {filler('sa', 15)}"
    b = f"{filler('qb', 15)} {P2} {filler('rb', 60)} {P1} {filler('sb', 15)}"
    got = [(m.a_begin, m.a_end, m.b_begin, m.b_end, m.kind) for m in align_texts(a, b)]
    want = [(m.a_begin, m.a_end, m.b_begin, m.b_end, m.kind) for m in align_pair(doc(a), doc(b), CFG)]
    assert got == want and len(got) == 2


def test_loosely_edited_passage_without_sentence_seeds():
    """A rewritten notice whose word seeds cover between 40% and 50% of the passage: it passes
    the density filter but is under the paraphrase threshold, and has no sentence seeds when
    paraphrase mode is off. Raised ZeroDivisionError in align_pair (average over no sentence
    seeds) and so killed a whole scan of Reuters-21578."""
    a = ("The harbour authority issued 3.75 million\nVaresian crowns of river bonds (RB), bringing the total\n"
         "so far this season to 41.9 million, a port official told\nreporters.\n    The new RB have terms of nine "
         "months and one and three\nyears and carry coupons ranging from 2.1 pct to 4.45 pct.\n    The sales are "
         "aimed at slowing the growth of dock\nlending, which is the result of heavy grain export\nreceipts, the "
         "official said.\n")
    b = ("The harbour authority issued 6.02 million\nVaresian crowns' worth of river bonds (rb's), bringing\n"
         "sales so far this season to 97.3 million crowns against 12\nmillion sold a season earlier, a port "
         "spokeswoman said.\n    The new rb's, with terms of nine months, one and three\nyears, carry coupons of "
         "2.35 to 4.4 pct.\n    The sales are intended to help slow the growth of dock\nlending resulting from "
         "heavy grain export receipts\nwhich the authority said today had reached a record 88 million crowns.\n")
    found = align_pair(doc(a), doc(b), CFG)
    assert len(found) <= 1
    for m in found:
        assert m.kind in ("edited", "paraphrase")
        assert 0.0 < m.similarity <= 1.0
        assert a[m.a_begin].isalnum() and a[m.a_end - 1].isalnum()
        assert b[m.b_begin].isalnum() and b[m.b_end - 1].isalnum()


def test_passage_inside_a_huge_unpunctuated_sentence_is_found_with_paraphrase_on():
    """A sentence seed over a 400-word unpunctuated 'sentence' (a word list) must not dilute a
    verbatim passage inside it into nothing (a regression seen on the scale benchmark)."""
    word_list = " ".join(f"tag{k}x" for k in range(200))
    a = f"{filler('qa', 20)}. {P1} {filler('ra', 20)}."
    b = f"{word_list} {P1} {word_list}"
    for paraphrase in (False, True):
        found = align_pair(doc(a), doc(b), CFG, paraphrase=paraphrase)
        assert len(found) == 1, (paraphrase, found)
        m = found[0]
        assert a[m.a_begin:m.a_end] == b[m.b_begin:m.b_end] == P1.rstrip(".")
