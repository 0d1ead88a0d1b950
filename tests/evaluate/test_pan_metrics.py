"""PAN measures against hand-computed values, and the PAN corpus reader / evaluator end to end.

Annotation spans are half-open: ``A("s", 0, 100, "r", 0, 100)`` is chars 0..99 of the
suspicious document s and 0..99 of the source r (200 chars in all).
"""

from __future__ import annotations

import math

import pytest

from reprints.evaluate.pan import (
    DETECTION_TAG,
    Annotation as A,
    evaluate_pan,
    fold_of,
    granularity,
    load_pan_corpus,
    macro_avg_precision,
    macro_avg_recall,
    micro_avg_recall_and_precision,
    pan_measures,
    plagdet_score,
    read_pan_xml,
    type_name,
    union_length,
    write_pan_xml,
)

CASE = A("s", 0, 100, "r", 0, 100)


def measures(cases, dets):
    m = pan_measures(cases, dets)
    return m["precision"], m["recall"], m["granularity"], m["plagdet"]


def test_union_length():
    assert union_length([]) == 0
    assert union_length([(0, 10)]) == 10
    assert union_length([(5, 15), (0, 10)]) == 15  # overlapping
    assert union_length([(0, 10), (10, 20)]) == 20  # touching
    assert union_length([(0, 10), (20, 25), (3, 4)]) == 15  # contained, disjoint
    assert union_length([(7, 7), (9, 3)]) == 0  # empty intervals


def test_perfect_detection():
    assert measures([CASE], [CASE]) == (1.0, 1.0, 1.0, 1.0)
    assert micro_avg_recall_and_precision([CASE], [CASE]) == (1.0, 1.0)


def test_half_overlap():
    # Detection shifted by 50 on both sides: 50 + 50 of the case's 200 chars are covered,
    # and 50 + 50 of the detection's 200 chars are plagiarised.
    det = A("s", 50, 100, "r", 50, 100)
    p, r, g, pd = measures([CASE], [det])
    assert (p, r, g) == (0.5, 0.5, 1.0)
    assert pd == pytest.approx(0.5)  # F1 = 0.5, log2(1 + 1) = 1
    assert micro_avg_recall_and_precision([CASE], [det]) == (0.5, 0.5)


def test_asymmetric_overlap():
    # Detection covers the case's first 50 suspicious chars and all 100 source chars, plus
    # 100 source chars beyond the case: recall = (50 + 100) / 200, precision = 150 / 250.
    det = A("s", 0, 50, "r", 0, 200)
    p, r, g, pd = measures([CASE], [det])
    assert r == pytest.approx(0.75)
    assert p == pytest.approx(0.6)
    assert g == 1.0
    assert pd == pytest.approx(2 * 0.75 * 0.6 / 1.35)


def test_one_case_two_detections():
    d1, d2 = A("s", 0, 50, "r", 0, 50), A("s", 50, 50, "r", 50, 50)
    p, r, g, pd = measures([CASE], [d1, d2])
    assert (p, r, g) == (1.0, 1.0, 2.0)
    assert pd == pytest.approx(1 / math.log2(3))


def test_overlapping_detections_count_chars_once():
    d1, d2 = A("s", 0, 60, "r", 0, 60), A("s", 40, 60, "r", 40, 60)
    p, r, g, _ = measures([CASE], [d1, d2])
    assert (p, r, g) == (1.0, 1.0, 2.0)  # recall 1, not 1.2


def test_duplicate_detections_count_once():
    # The official script reads annotations into a set.
    assert measures([CASE], [CASE, CASE]) == (1.0, 1.0, 1.0, 1.0)


def test_detection_without_case_lowers_precision():
    stray = A("s", 500, 100, "r", 500, 100)
    p, r, g, pd = measures([CASE], [CASE, stray])
    assert (p, r, g) == (0.5, 1.0, 1.0)
    assert pd == pytest.approx(2 / 3)
    assert pan_measures([CASE], [CASE, stray])["unmatched_detections"] == 1
    assert micro_avg_recall_and_precision([CASE], [CASE, stray]) == (1.0, 0.5)


def test_overlap_must_hold_in_both_documents():
    only_susp = A("s", 0, 100, "r", 500, 100)  # right suspicious span, wrong source span
    other_src = A("s", 0, 100, "r2", 0, 100)  # right spans, other source document
    other_susp = A("s2", 0, 100, "r", 0, 100)
    for det in (only_susp, other_src, other_susp):
        assert measures([CASE], [det]) == (0.0, 0.0, 1.0, 0.0)


def test_no_detections_and_no_cases():
    # The script's conventions for empty sets.
    assert measures([CASE], []) == (0.0, 0.0, 1.0, 0.0)
    assert measures([], []) == (1.0, 1.0, 1.0, 1.0)
    assert measures([], [CASE]) == (0.0, 0.0, 1.0, 0.0)


def test_granularity_over_several_cases():
    c1, c2, c3 = CASE, A("s", 200, 100, "r", 200, 100), A("s", 400, 100, "r", 400, 100)
    dets = [A("s", 0, 50, "r", 0, 50), A("s", 50, 50, "r", 50, 50), A("s", 200, 100, "r", 200, 100)]
    # c1 by two detections, c2 by one, c3 by none: (2 + 1) / 2 detected cases.
    assert granularity([c1, c2, c3], dets) == 1.5
    assert macro_avg_recall([c1, c2, c3], dets) == pytest.approx(2 / 3)
    assert macro_avg_precision([c1, c2, c3], dets) == 1.0
    m = pan_measures([c1, c2, c3], dets)
    assert (m["cases"], m["detections"], m["detected_cases"]) == (3, 3, 2)


def test_official_script_vectors():
    # The external-annotation cases of the unit tests in pan09 performance measures v1.3.
    ann1 = A("tref1", 0, 100, "sref1", 0, 100)
    ann3 = A("tref1", 100, 100, "sref1", 100, 100)
    ann4 = A("tref1", 0, 200, "sref1", 0, 200)
    ann7 = A("tref2", 0, 100, "sref2", 0, 100)
    ann9 = A("tref2", 50, 100, "sref2", 50, 100)
    ann10 = A("tref2", 25, 75, "sref2", 25, 75)
    assert macro_avg_recall([ann1, ann7], [ann1]) == 0.5
    assert macro_avg_recall([ann1], [ann7]) == 0
    assert macro_avg_recall([ann7], [ann9]) == 0.5
    assert macro_avg_recall([ann7], [ann10]) == 0.75
    assert macro_avg_recall([ann7], [ann9, ann10]) == 0.75
    assert macro_avg_recall([ann1], [ann3]) == 0
    assert macro_avg_recall([ann1], [ann4, ann7]) == 1
    assert macro_avg_precision([ann1, ann7], [ann1]) == 1
    assert macro_avg_precision([ann1], [ann4]) == 0.5
    assert macro_avg_precision([ann7], [ann10]) == 1
    assert macro_avg_precision([ann7], [ann9, ann10]) == 0.75
    assert macro_avg_precision([ann1], [ann3, ann4]) == 0.25
    assert plagdet_score(0, 0, 1) == 0
    assert plagdet_score(0, 1, 1) == 0
    assert plagdet_score(1, 1, 1) == 1
    assert plagdet_score(0.5, 1, 1) == pytest.approx(2 / 3)
    assert plagdet_score(1, 1, 2) == pytest.approx(0.63092975)
    assert plagdet_score(0.25, 0.75, 2) == pytest.approx(0.23659865)
    assert plagdet_score(1, 1, 0.5) == 0  # granularity below 1 is invalid


def test_type_names():
    assert type_name("01-no-plagiarism") == "no-plagiarism"
    assert type_name("02-no-obfuscation") == "none"
    assert type_name("03-random-obfuscation") == "random"
    assert type_name("04-translation-obfuscation") == "translation"
    assert type_name("05-summary-obfuscation") == "summary"


def test_xml_round_trip(tmp_path):
    dets = [A("suspicious-document00001.txt", 10, 20, "source-document00002.txt", 30, 40),
            A("suspicious-document00001.txt", 100, 5, "source-document00002.txt", 0, 7)]
    path = tmp_path / "suspicious-document00001-source-document00002.xml"
    write_pan_xml(path, "suspicious-document00001.txt", dets)
    assert read_pan_xml(path, DETECTION_TAG) == dets
    assert read_pan_xml(path, "plagiarism") == dets  # the script matches names by suffix
    write_pan_xml(path, "suspicious-document00001.txt", [])
    assert read_pan_xml(path, DETECTION_TAG) == []


# ---------------------------------------------------------------------------------------------
# A tiny corpus in the PAN 2013 layout. All text invented for this test.

SOURCE_1 = (
    "Harbour notes for the spring season.\n\n"
    "The ferry company announced on Monday that the northern pier at Lindqvist Bay will close "
    "for six weeks while divers replace the rotten oak pilings that have held up the landing "
    "stage since the old cannery shut its doors a century ago, and passengers should use the "
    "temporary pontoon beside the fish market instead.\n\n"
    "Tide tables and timetables follow on the next page."
)
PASSAGE = SOURCE_1[SOURCE_1.index("The ferry") : SOURCE_1.index("instead.") + len("instead.")]

SUSP_1 = (
    "Zürich résumé: café owners say “business is slow” 😀 this week.\r\n\r\n"
    + PASSAGE
    + "\r\n\r\nIn other news the choir rehearses on Thursday evenings in the library hall."
)

SOURCE_2 = (
    "Gardening diary. The tomatoes on the south wall ripened early this year, and the beans "
    "climbed the trellis faster than the sweet peas did, which surprised everyone at the "
    "allotment society meeting held in the draughty church hall on Wednesday night."
)
SUSP_2 = (
    "Chess club results. The junior team drew three matches and lost two, but the captain "
    "praised the youngest player, who defended a difficult rook ending for over an hour "
    "before her opponent finally offered a draw late in the evening session."
)

SOURCE_3 = (
    "Weather outlook. A band of heavy rain will move in from the west on Saturday morning, "
    "bringing strong gusts to exposed coasts and hills, before clearing to bright spells and "
    "scattered showers by Sunday afternoon across most of the region."
)
SUSP_3 = (
    "Weekend planner. Forecasters warn that a band of heavy rain will move in from the west "
    "on Saturday morning, bringing strong gusts to the exposed coasts and hills, before "
    "clearing to bright spells and some scattered showers by Sunday afternoon across most of "
    "the region. Bring an umbrella to the market."
)


def _xml_truth(susp, src, cases):
    lines = [f'<document reference="{susp}">', '<feature name="about" authors="x" />']
    for (toff, tlen, soff, slen), obf in cases:
        lines.append(
            f'<feature name="plagiarism" obfuscation="{obf}" this_offset="{toff}" '
            f'this_length="{tlen}" source_reference="{src}" source_offset="{soff}" '
            f'source_length="{slen}" />'
        )
    lines.append("</document>")
    return "\n".join(lines)


@pytest.fixture
def pan_corpus(tmp_path):
    root = tmp_path / "pan"
    (root / "src").mkdir(parents=True)
    (root / "susp").mkdir()
    docs = {
        ("suspicious-document00001.txt", "source-document00001.txt"): (SUSP_1, SOURCE_1, "02-no-obfuscation", "none"),
        ("suspicious-document00002.txt", "source-document00002.txt"): (SUSP_2, SOURCE_2, "01-no-plagiarism", None),
        ("suspicious-document00003.txt", "source-document00003.txt"): (SUSP_3, SOURCE_3, "03-random-obfuscation", "random"),
    }
    for (susp, src), (t_susp, t_src, folder, obf) in docs.items():
        # newline="" keeps the CRLF of SUSP_1 as written
        with open(root / "susp" / susp, "w", encoding="utf-8", newline="") as f:
            f.write(t_susp)
        with open(root / "src" / src, "w", encoding="utf-8", newline="") as f:
            f.write(t_src)
        cases = []
        if susp.endswith("1.txt"):
            cases = [((t_susp.index(PASSAGE), len(PASSAGE), t_src.index(PASSAGE), len(PASSAGE)), obf)]
        elif obf == "random":
            b_s, e_s = t_susp.index("a band"), t_susp.index("the region.") + len("the region.")
            b_r, e_r = t_src.index("A band"), t_src.index("the region.") + len("the region.")
            cases = [((b_s, e_s - b_s, b_r, e_r - b_r), obf)]
        name = f"{susp[:-4]}-{src[:-4]}.xml"
        for sub in (folder, "all"):
            (root / sub).mkdir(exist_ok=True)
            (root / sub / name).write_text(_xml_truth(susp, src, cases), encoding="utf-8")
            with open(root / sub / "pairs", "a", encoding="utf-8") as f:
                f.write(f"{susp} {src}\n")
    (root / "pairs").write_text("".join(f"{s} {r}\n" for s, r in docs), encoding="utf-8")
    return root


def test_load_pan_corpus(pan_corpus):
    corpus = load_pan_corpus(pan_corpus)
    assert corpus.types == ("no-plagiarism", "none", "random")
    assert [p.type for p in corpus.pairs] == ["none", "no-plagiarism", "random"]
    assert [len(p.cases) for p in corpus.pairs] == [1, 0, 1]
    first = corpus.pairs[0]
    assert first.name == "suspicious-document00001-source-document00001"
    text = corpus.susp_text(first)
    assert "\r\n" in text  # no newline translation
    case = first.cases[0]
    # Offsets are code points: the passage starts after the emoji and accents.
    assert text[case.this_offset : case.this_end] == PASSAGE
    assert corpus.src_text(first)[case.source_offset : case.source_end] == PASSAGE


def test_folds_and_subsets(pan_corpus):
    corpus = load_pan_corpus(pan_corpus)
    names = [p.name for p in corpus.pairs]
    f0 = [p.name for p in corpus.subset(fold=0).pairs]
    f1 = [p.name for p in corpus.subset(fold=1).pairs]
    assert sorted(f0 + f1) == sorted(names) and not set(f0) & set(f1)
    assert all(fold_of(p.susp, p.src) == 0 for p in corpus.subset(fold=0).pairs)
    assert fold_of("a.txt", "b.txt") == fold_of("a.txt", "b.txt")  # deterministic
    picked = corpus.subset(["suspicious-document00003-source-document00003.xml",
                            "suspicious-document00001.txt source-document00001.txt"])
    assert [p.name for p in picked.pairs] == [names[0], names[2]]
    with pytest.raises(KeyError):
        corpus.subset(["suspicious-document09999-source-document00001"])


def test_evaluate_pan_end_to_end(pan_corpus, tmp_path):
    out = tmp_path / "detections"
    result = evaluate_pan(pan_corpus, out=out, workers=1)
    assert result["pairs"] == 3
    by_type = result["by_type"]
    assert set(by_type) == {"no-plagiarism", "none", "random"}
    assert by_type["no-plagiarism"]["false_positives"] == 0
    assert by_type["no-plagiarism"]["precision"] == 1.0  # no cases, no detections
    none = by_type["none"]
    assert none["cases"] == 1 and none["detections"] == 1 and none["granularity"] == 1.0
    assert none["recall"] > 0.95 and none["precision"] > 0.95
    rnd = by_type["random"]
    assert rnd["detected_cases"] == 1 and rnd["recall"] > 0.8
    assert result["overall"]["cases"] == 2 and result["overall"]["pairs"] == 3
    assert isinstance(result["seconds"], float) and result["seconds"] >= 0  # reported, not a check on speed

    # One XML per pair, named like the truth, readable by the official reader; scoring the
    # files read back gives the same figures.
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted(p.name + ".xml" for p in load_pan_corpus(pan_corpus).pairs)
    corpus = load_pan_corpus(pan_corpus)
    dets = [d for p in corpus.pairs for d in read_pan_xml(out / f"{p.name}.xml", DETECTION_TAG)]
    cases = [c for p in corpus.pairs for c in p.cases]
    again = pan_measures(cases, dets)
    for key in ("precision", "recall", "granularity", "plagdet"):
        assert again[key] == pytest.approx(result["overall"][key])

    # The same figures from a fork pool, and from one fold only.
    pooled = evaluate_pan(pan_corpus, workers=2)
    assert pooled["overall"] == {**result["overall"], "align_seconds": pooled["overall"]["align_seconds"]}
    fold = evaluate_pan(pan_corpus, workers=1, fold=0)
    assert fold["pairs"] == len(corpus.subset(fold=0).pairs)


def test_evaluate_pan_false_positive_on_no_plagiarism(pan_corpus, tmp_path):
    # Make the no-plagiarism pair share the ferry passage: its detections are false positives,
    # and the type scores 0 (detections but no cases, as in the official script).
    susp = pan_corpus / "susp" / "suspicious-document00002.txt"
    src = pan_corpus / "src" / "source-document00002.txt"
    susp.write_text(SUSP_2 + " " + PASSAGE, encoding="utf-8")
    src.write_text(PASSAGE + " " + SOURCE_2, encoding="utf-8")
    result = evaluate_pan(pan_corpus, workers=1, pairs_subset=["suspicious-document00002-source-document00002"])
    nop = result["by_type"]["no-plagiarism"]
    assert nop["false_positives"] == 1 and nop["unmatched_detections"] == 1
    assert (nop["precision"], nop["recall"], nop["plagdet"]) == (0.0, 0.0, 0.0)
    assert set(result["by_type"]) == {"no-plagiarism"}
