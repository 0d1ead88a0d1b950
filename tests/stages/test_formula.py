"""Formula text: templates filled with other figures and names are not reprints; noisy
reprints of one text, however common, are."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pyarrow.compute as pc

import reprints
from reprints.config import PairConfig, ScanConfig
from reprints.stages import formula
from reprints.stages.align import PassageMatch

CFG = PairConfig()


def test_near_miss_share():
    ocr = formula.near_miss_share("the Council of State met on Tuesday in Lausanne",
                                  "tbe Councll of Stale met on Tuesday in Lausaune")
    template = formula.near_miss_share("issued by Hydro Quebec at 99.75 pct with 1-7/8 pct fees",
                                       "issued by Nordic Investment Bank at 101 pct with 2 pct fees")
    assert ocr >= 0.7  # the differing words are misspellings of each other ("tbe" is too short to tell)
    assert template < 0.15
    assert formula.near_miss_share("same words here", "Same words HERE") == 1.0
    assert formula.near_miss_share("paid 1987 dlrs", "paid 1988 dlrs") == 0.0  # numbers are no near-misses


def test_formula_prone():
    prone = formula.formula_prone(np.array([10, 10, 10]), np.array([4, 5, 9]), CFG)
    assert prone.tolist() == [False, True, True]
    off = replace(CFG, formula_share=0.0)
    assert not formula.formula_prone(np.array([10]), np.array([10]), off).any()


def _passage(kind: str, similarity: float) -> PassageMatch:
    return PassageMatch(0, 3, 0, 3, 0, 20, 0, 20, 4, similarity, kind)


def test_is_formula_needs_every_sign():
    a = "issued by Hydro Quebec"
    b = "issued by Nordic Bank"
    assert formula.is_formula([_passage("edited", 0.7)], a, b, CFG)
    assert not formula.is_formula([_passage("verbatim", 1.0)], a, b, CFG)
    assert not formula.is_formula([_passage("edited", 0.9)], a, b, CFG)
    assert not formula.is_formula([_passage("edited", 0.7)], "issued by Hydro Quebec", "issued by Hydre Quebek", CFG)
    assert not formula.is_formula([], a, b, CFG)


_NAMES = ["Hydro Quebec", "Nordic Investment Bank", "Toyota Motor Credit", "Province of Manitoba",
          "Christiania Bank", "Kingdom of Denmark", "Credit National", "Nomura Finance", "Zenchiku Corp",
          "Ente Nazionale", "Saab Scania", "Woolwich Building Society", "Unilever Australia", "Walt Disney Co"]


def _bond(k: int, rng: random.Random) -> str:
    name = _NAMES[k]
    return (f"{name} is issuing a {rng.randint(50, 300)} mln dlr eurobond due {rng.randint(1990, 1999)} "
            f"paying {rng.randint(6, 11)}-{rng.choice(['1/4', '3/8', '1/2', '5/8'])} pct and priced at "
            f"{rng.randint(99, 102)}-{rng.choice(['1/4', '1/2', '3/4'])}, lead manager "
            f"{_NAMES[(k + 5) % len(_NAMES)]} said. The non-callable bonds will be issued in denominations "
            f"of {rng.choice([1000, 5000, 10000])} dlrs and will be listed in {rng.choice(['Luxembourg', 'London'])}. "
            f"Fees total {rng.randint(1, 2)}-{rng.choice(['1/8', '7/8', '5/8'])} pct, comprising "
            f"{rng.randint(1, 2)}-{rng.choice(['1/4', '3/8'])} pct selling concession and "
            f"{rng.choice(['5/8', '3/4', '1/2'])} pct management and underwriting combined. "
            f"Payment date is {rng.choice(['April', 'May', 'June'])} {rng.randint(1, 28)}. "
            f"{name} was last in the market in {rng.choice(['January', 'February', 'March'])}.")


_VIRAL = ("The committee of the cantonal hospital announces with deep regret that the old bridge over the "
          "river will be closed from Monday until the repairs ordered by the engineers of the federal railways "
          "are finished, which is expected to take three weeks if the weather allows the masons to work; "
          "travellers are asked to use the ferry near the mill, which will run every half hour from six in "
          "the morning until nine in the evening at no charge.")


def _ocr(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    for k, w in enumerate(words):
        if len(w) > 3 and rng.random() < 0.2:  # one character misread in every fifth word
            i = rng.randrange(len(w))
            words[k] = w[:i] + rng.choice("ilnrcue") + w[i + 1:]
    return " ".join(words)


def _reprint_pairs(result) -> set[tuple[str, str]]:
    t = result.pairs.filter(pc.equal(result.pairs.column("kind"), "reprint"))
    return set(zip(t.column("doc_a").to_pylist(), t.column("doc_b").to_pylist()))


def test_templates_are_labelled_and_noisy_reprints_kept():
    rng = random.Random(3)
    docs = [{"id": f"bond{k:02d}", "text": _bond(k, rng)} for k in range(len(_NAMES))]
    docs += [{"id": f"paper{k:02d}", "text": f"Local news number {k}. " + _ocr(_VIRAL, rng)} for k in range(14)]
    result = reprints.scan(docs)
    pairs = _reprint_pairs(result)
    bond_pairs = {p for p in pairs if p[0].startswith("bond") and p[1].startswith("bond")}
    paper_pairs = {p for p in pairs if p[0].startswith("paper") and p[1].startswith("paper")}
    assert paper_pairs and len(paper_pairs) >= 0.9 * 14 * 13 / 2, len(paper_pairs)
    # The bond pairs are reported, labelled, with their passages labelled too, and make no cluster.
    templates = result.pairs.filter(pc.equal(result.pairs.column("kind"), "template"))
    labelled = set(zip(templates.column("doc_a").to_pylist(), templates.column("doc_b").to_pylist()))
    assert labelled and all(a.startswith("bond") and b.startswith("bond") for a, b in labelled)
    kinds = {(a, b): k for a, b, k in zip(*(result.passages.column(c).to_pylist() for c in ("doc_a", "doc_b", "kind")))}
    assert all(kinds[p] == "template" for p in labelled)
    assert not any(d.startswith("bond") for d in result.clusters.column("doc_id").to_pylist())
    assert result.summary["template_pairs"] == len(labelled)
    # "drop" reports none of them, "reprint" reports them as reprints (in clusters).
    dropped = reprints.scan(docs, config=ScanConfig().replace(pairs={"templates": "drop"}))
    assert set(dropped.pairs.column("kind").to_pylist()) == {"reprint"} and _reprint_pairs(dropped) == pairs
    as_reprints = reprints.scan(docs, config=ScanConfig().replace(pairs={"templates": "reprint"}))
    assert labelled <= _reprint_pairs(as_reprints)
    assert any(d.startswith("bond") for d in as_reprints.clusters.column("doc_id").to_pylist())
    # Without the tests, the bond announcements pair up with each other.
    off = ScanConfig().replace(pairs={"formula_share": 0.0, "figures_differ": 0, "template_slots": 0})
    unfiltered = reprints.scan(docs, config=off)
    unfiltered_bonds = [a for a, b in zip(unfiltered.pairs.column("doc_a").to_pylist(),
                                         unfiltered.pairs.column("doc_b").to_pylist())
                        if a.startswith("bond") and b.startswith("bond")]
    assert len(unfiltered_bonds) >= 20
    assert len(bond_pairs) <= 0.1 * len(unfiltered_bonds), (len(bond_pairs), len(unfiltered_bonds))



def _figures(agree: int, differ: int, words: int) -> PassageMatch:
    return PassageMatch(0, 3, 0, 3, 0, 20, 0, 20, 4, 0.9, "edited", False, agree, differ, words)


def test_other_figures_needs_numbers_that_mostly_differ():
    assert formula.other_figures([_figures(1, 3, 0)], CFG)
    assert formula.other_figures([_figures(2, 1, 0), _figures(0, 2, 1)], CFG)  # summed over the pair's passages
    assert not formula.other_figures([_figures(0, 1, 0)], CFG)  # one number: a correction or a misprint
    assert not formula.other_figures([_figures(5, 2, 0)], CFG)  # an update: a few figures among many
    assert not formula.other_figures([_figures(0, 3, 4)], CFG)  # noise changes words as much as numbers
    assert not formula.other_figures([_figures(0, 3, 0)], replace(CFG, figures_differ=0))
    assert not formula.other_figures([], CFG)


_AUCTION = ("The Treasury said it will sell {0} billion dlrs of 13-week bills and {1} billion dlrs of 26-week "
            "bills at its regular auction on {2}, to refund {3} billion dlrs of maturing bills and to raise "
            "about {4} mln dlrs in new cash. The bills will be issued on {5} and mature in three and six months. "
            "Tenders will be received at Federal Reserve banks and branches until one o'clock New York time.")


def test_reports_with_other_figures_are_dropped_and_updates_kept():
    """Three weekly auction notices (too few for their phrasing to be common) share all their
    words but no figure: no pair. An update of one of them that changes one figure, and a
    correction that changes two of many, still pair with it."""
    weeks = [("6.4", "6.6", "April 6", "12.8", "150", "April 9"),
             ("6.8", "6.2", "June 8", "12.4", "600", "June 11"),
             ("7.2", "7.0", "July 13", "13.9", "300", "July 16")]
    docs = [{"id": f"week{k}", "text": _AUCTION.format(*w)} for k, w in enumerate(weeks)]
    docs.append({"id": "week0-update", "text": _AUCTION.format("6.4", "6.6", "April 6", "12.8", "250", "April 9")})
    docs.append({"id": "week1-corrected", "text": "CORRECTED - " + _AUCTION.format("6.8", "6.2", "June 9", "12.4", "600",
                                                                                 "June 12")})
    result = reprints.scan(docs)
    pairs = _reprint_pairs(result)
    assert ("week0", "week0-update") in pairs
    assert ("week1", "week1-corrected") in pairs
    assert not {p for p in pairs if "-" not in p[0] + p[1]}, pairs
    off = ScanConfig().replace(pairs={"figures_differ": 0, "template_slots": 0})
    unfiltered = _reprint_pairs(reprints.scan(docs, config=off))
    assert {("week0", "week1"), ("week0", "week2"), ("week1", "week2")} <= unfiltered


def test_substitutions_count_names_figures_and_dates_apart():
    a = "Acme Corp said its board declared a quarterly dividend of 12 cts payable April 1."
    b = "Zenith Inc said its board declared a quarterly dividend of 15 cts payable June 3."
    p = PassageMatch(0, 0, 0, 0, 0, len(a), 0, len(b), 14, 0.8, "edited")
    slot_diff, prose_diff, slot_same, prose_same = formula.substitutions([p], a, b)
    assert (slot_diff, prose_diff) == (10, 0)  # Acme Corp 12 April 1 / Zenith Inc 15 June 3
    assert slot_same == 0 and prose_same == 10
    assert formula.is_slot("April") and formula.is_slot("1-7/8") and formula.is_slot("Quebec")
    assert not formula.is_slot("dividend") and formula.is_slot("june")  # a month whatever its case


def _pm(a: str, b: str) -> PassageMatch:
    return PassageMatch(0, 0, 0, 0, 0, len(a), 0, len(b), 10, 0.8, "edited")


def test_other_fillers_tells_a_filled_template_from_a_reprint():
    notice = "{} said its board declared a quarterly dividend of {} cts a share, payable {} to holders of record {}."
    a = notice.format("Acme Corp", "12", "April 1", "March 15")
    b = notice.format("Zenith Inc", "15", "June 3", "May 20")
    assert formula.other_fillers([_pm(a, b)], a, b, CFG)
    # A reprint keeps its names and figures: an edit of prose, or one figure updated among many.
    edited = a.replace("said its board declared", "announced that its directors had declared")
    assert not formula.other_fillers([_pm(a, edited)], a, edited, CFG)
    update = a.replace("12 cts", "13 cts")
    assert not formula.other_fillers([_pm(a, update)], a, update, CFG)
    # OCR noise misspells the same names and figures: near-misses, not other fillers.
    ocr_a = "Acme Corporation of Lausanne said on Tuesday the Council of State met in Geneva"
    ocr_b = "Acme Corporatlon of Lausaune said on Tuesday the Councll of Stale met in Geneua"
    assert not formula.other_fillers([_pm(ocr_a, ocr_b)], ocr_a, ocr_b, CFG)
    assert not formula.other_fillers([_pm(a, b)], a, b, replace(CFG, template_slots=0))
    assert not formula.other_fillers([], a, b, CFG)


def test_a_template_pair_with_few_documents_is_labelled_in_every_mode_of_report():
    """Two dividend notices of different companies (too few for their words to be common
    phrasing): labelled template by the slot test alone, kept out of clusters; a reprint of one
    of them is a reprint."""
    notice = ("{} said its board declared a quarterly dividend of {} cts a share, payable {} to holders of record "
              "{}. The company said the dividend is unchanged from the previous quarter and that it expects "
              "earnings for the year to be in line with the forecast it gave in its annual report to shareholders.")
    docs = [{"id": "acme", "text": notice.format("Acme Corp", "12", "April 1", "March 15")},
            {"id": "zenith", "text": notice.format("Zenith Inc", "15", "June 3", "May 20")},
            {"id": "acme-reprint", "text": "NEW YORK - " + notice.format("Acme Corp", "12", "April 1", "March 15")}]
    result = reprints.scan(docs, config=ScanConfig().replace(pairs={"figures_differ": 0}))
    kinds = {frozenset(p): k for *p, k in zip(*(result.pairs.column(c).to_pylist() for c in ("doc_a", "doc_b", "kind")))}
    assert kinds == {frozenset({"acme", "acme-reprint"}): "reprint", frozenset({"acme", "zenith"}): "template",
                     frozenset({"acme-reprint", "zenith"}): "template"}, kinds
    assert "zenith" not in result.clusters.column("doc_id").to_pylist()
    assert {"acme", "acme-reprint"} <= set(result.clusters.column("doc_id").to_pylist())


_TENDER = ("The Bank of England said it provided the money market with {0} mln stg assistance this {1}. This "
           "compares with the Bank's revised shortage forecast of around {2} mln stg. The central bank purchased "
           "bank bills outright comprising {3} mln stg in band one at 9-7/8 pct and {4} mln stg in band two at "
           "9-13/16 pct.")


def test_other_content_reads_the_whole_documents():
    a = _TENDER.format(181, "morning", 400, 65, 114)
    b = "LONDON - " + _TENDER.format(345, "afternoon", 800, 58, 227) + " Dealers said the market was quiet."
    assert formula.other_content(a, b, CFG)  # other figures and times in the same sentences
    update = _TENDER.format(181, "morning", 400, 65, 115)  # one figure of many corrected
    assert not formula.other_content(a, update, CFG)
    story = ("Sterling rose against the dollar in quiet trading as dealers awaited the budget, and gilts "
             "firmed on hopes of lower interest rates. ")
    digest = story * 3 + a + " " + story  # the notice carried whole inside a longer text
    assert not formula.other_content(a, digest, CFG)
    assert not formula.other_content(a, b, replace(CFG, template_slots=0))
    slot_diff, prose_diff, slot_same, slot_sub, prose_sub = formula.whole_substitutions(
        formula._WORD.findall(a), formula._WORD.findall(b))
    assert slot_sub == 8 and prose_sub == 2 and slot_same > 0  # 181/345, 400/800, 65/58, 114/227; morning/afternoon
    long = " ".join(["word"] * (formula.TEMPLATE_MAX_WORDS + 1))
    assert not formula.other_content(a + long, b + long, CFG)  # long documents are not read whole


def test_shared_cover_is_the_smaller_side():
    p = PassageMatch(0, 0, 0, 0, 0, 50, 10, 20, 5, 1.0, "verbatim")
    q = PassageMatch(0, 0, 0, 0, 40, 60, 15, 30, 5, 1.0, "verbatim")
    assert formula.shared_cover([p, q], "x" * 100, "y" * 40) == 0.5  # A: 60/100; B: 20/40


_TERMS = ("The debentures were priced to yield 112 basis points over the off-the-run 9-1/4 pct Treasury bonds of "
          "2016. Non-refundable for 10 years, the issue is rated A-3 by Moody's and A-minus by Standard and Poor's.")


def _around(story: str, terms: str) -> tuple[str, int]:
    """A document: ``story`` then ``terms``, and where the terms begin."""
    text = story + " " + terms
    return text, len(story) + 1


def test_common_phrasing_needs_common_words_little_cover_and_no_ocr():
    """Two different debt offerings share the terms sentence many offerings print: a template when
    the pair is formula-prone and the sentence is less than half of each document; a story carried
    whole (most of one document), a pair of uncommon words, or OCR'd copies are not."""
    gte = ("GTE Corp is raising 250 mln dlrs through an offering of debentures due 2017, said sole underwriter "
           "UBS Securities Inc, which won the issue in competitive bidding against syndicates led by major houses. "
           "UBS has become the second foreign firm to manage an issue in the domestic debt market this year.")
    coke = ("Coca-Cola Enterprises Inc is raising 600 mln dlrs through offerings of notes and debentures, said lead "
            "manager Salomon Brothers Inc. The notes are non-callable for seven years and the sinking fund for the "
            "debentures will retire five pct of them a year, giving them an average life of 21.5 years.")
    a, a0 = _around(gte, _TERMS)
    b, b0 = _around(coke, _TERMS)
    terms = PassageMatch(0, 0, 0, 0, a0, len(a), b0, len(b), 30, 1.0, "verbatim")
    assert max(formula.covers([terms], a, b)) < 0.5
    assert formula.common_phrasing([terms], a, b, True, CFG)
    assert not formula.common_phrasing([terms], a, b, False, CFG)  # its words are not common phrasing
    assert not formula.common_phrasing([terms], a, b, True, replace(CFG, formula_cover=0.0))  # off
    # the terms carried with most of one document (a shortened reprint, a digest's item)
    short, s0 = _around("GTE sells debentures.", _TERMS)
    carried = PassageMatch(0, 0, 0, 0, s0, len(short), b0, len(b), 30, 1.0, "verbatim")
    assert not formula.common_phrasing([carried], short, b, True, CFG)
    # OCR'd copies of one notice: their differing words are misspellings of each other
    rng = random.Random(3)
    ocr_a, ocr_b = _ocr(gte, rng), _ocr(gte, rng)
    x, x0 = _around(ocr_a, _TERMS)
    y, y0 = _around(ocr_b + " " + coke, _TERMS)
    noisy = PassageMatch(0, 0, 0, 0, x0, len(x), y0, len(y), 30, 1.0, "verbatim")
    assert max(formula.covers([noisy], x, y)) < 0.5
    assert formula.near_miss_share(x, y) >= formula.WHOLE_NEAR_MISS
    assert not formula.common_phrasing([noisy], x, y, True, CFG)
