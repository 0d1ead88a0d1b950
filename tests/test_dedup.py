"""reprints dedup (issue 17): exact, near-duplicate and contained documents removed with the
kept document they duplicate named, repeated passages cut at exact offsets, every input field
kept, bad input listed, the same result on every run and with any worker count.

The documents are made here from invented words (``w<seed>x<i>``: each a distinct word, so
that the number of shared word 5-grams, and with it the Jaccard, is known exactly), plus the
hand-made wire stories in examples/wire."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import reprints
from reprints import cli
from reprints.config import ConfigError, DedupConfig, DuplicateConfig
from reprints.dedup import DedupError, cut_text

REPO = Path(__file__).resolve().parents[1]
STORIES = REPO / "examples" / "wire" / "stories.jsonl"
runner = CliRunner()


def invoke(*args):
    return runner.invoke(cli.app, [str(a) for a in args], catch_exceptions=False)


def words(seed: int | str, n: int) -> list[str]:
    return [f"w{seed}x{i}" for i in range(n)]


def text(*parts: list[str]) -> str:
    return " ".join(w for part in parts for w in part) + "."


def run(docs, **settings):
    return reprints.dedup(docs, config=DedupConfig().replace(dedup=settings, engine={"workers": 1}))


def removed(result) -> dict[str, dict]:
    """Document rows of removed.parquet by doc_id."""
    return {r["doc_id"]: r for r in result.removed.to_pylist() if r["begin"] is None}


def kept_ids(result) -> list[str]:
    return result.kept.column("id").to_pylist()


def check_consistent(result, docs: list[dict]) -> None:
    """Every document is kept or removed once; a removed one names a kept document; spans are
    ordered, disjoint and cut from the kept text exactly."""
    ids = [d["id"] for d in docs]
    kept = kept_ids(result)
    gone = removed(result)
    assert sorted(kept + list(gone)) == sorted(ids)
    assert kept == [i for i in ids if i in set(kept)]  # input order
    for row in gone.values():
        assert row["kept_doc_id"] in kept
    texts = {d["id"]: d["text"] for d in docs}
    kept_text = dict(zip(kept, result.kept.column("text").to_pylist()))
    spans: dict[str, list] = {}
    for row in result.removed.to_pylist():
        if row["begin"] is not None:
            assert row["doc_id"] in kept and row["kept_doc_id"] in kept and row["kept_doc_id"] != row["doc_id"]
            spans.setdefault(row["doc_id"], []).append(row)
    for doc_id, rows in spans.items():
        bounds = [(r["begin"], r["end"]) for r in rows]
        assert bounds == sorted(bounds) and all(e <= b2 for (_, e), (b2, _) in zip(bounds, bounds[1:]))
        assert kept_text[doc_id] == cut_text(texts[doc_id], bounds)
        for r in rows:
            assert r["characters"] == r["end"] - r["begin"]
    for doc_id in kept:
        if doc_id not in spans:
            assert kept_text[doc_id] == texts[doc_id]


# --- document level -----------------------------------------------------------------------

def test_exact_duplicates_are_removed_naming_the_first():
    a = text(words(1, 30))
    docs = [{"id": "a", "text": a}, {"id": "other", "text": text(words(2, 30))},
            {"id": "b", "text": a.upper().replace(" ", "  ,")},  # the same words
            {"id": "c", "text": a}]
    result = run(docs)
    gone = removed(result)
    assert kept_ids(result) == ["a", "other"]
    assert {k: (r["reason"], r["kept_doc_id"], r["similarity"]) for k, r in gone.items()} == {
        "b": ("exact", "a", 1.0), "c": ("exact", "a", 1.0)}
    assert result.summary["removed_by_reason"] == {"exact": 2}
    check_consistent(result, docs)


def test_short_exact_duplicates_are_removed_too():
    docs = [{"id": "a", "text": "Qtly div 10 cts"}, {"id": "b", "text": "QTLY DIV 10 CTS."}]
    assert removed(run(docs))["b"]["reason"] == "exact"


def _near_pair(tail: int) -> list[dict]:
    # 44 shared words, then `tail` words of each document's own: 40 shared 5-grams of 40 + tail each.
    shared = words("s", 44)
    return [{"id": "a", "text": text(shared, words("a", tail))}, {"id": "b", "text": text(shared, words("b", tail))}]


def test_a_near_duplicate_at_the_threshold_is_removed_and_one_below_is_kept():
    at = run(_near_pair(5))  # Jaccard 40 / (45 + 45 - 40) = 0.8 exactly; containment 40/45 < 0.9
    assert kept_ids(at) == ["a"]
    assert removed(at)["b"]["reason"] == "near-duplicate" and removed(at)["b"]["similarity"] == 0.8
    below = run(_near_pair(6))  # 40 / 52 = 0.769
    assert kept_ids(below) == ["a", "b"] and below.removed.num_rows == 0
    assert kept_ids(run(_near_pair(6), threshold=0.75)) == ["a"]
    assert kept_ids(run(_near_pair(5), threshold=0.81)) == ["a", "b"]


def test_a_short_document_inside_a_longer_one_is_contained_even_when_read_first():
    body = words("long", 200)
    docs = [{"id": "brief", "text": text(body[50:90])}, {"id": "other", "text": text(words("o", 50))},
            {"id": "full", "text": text(body)}]
    result = run(docs)
    assert kept_ids(result) == ["other", "full"]
    row = removed(result)["brief"]
    assert (row["reason"], row["kept_doc_id"], row["similarity"]) == ("contained", "full", 1.0)
    assert kept_ids(run(docs, containment=0)) == ["brief", "other", "full"]  # 0: off
    check_consistent(result, docs)


def test_containment_needs_a_meaningful_size():
    # 24 words are 20 distinct 5-grams (the default minimum); 23 words are 19.
    body = words("long", 200)
    docs = [{"id": "brief24", "text": text(body[10:34])}, {"id": "brief23", "text": text(body[100:123])},
            {"id": "tiny", "text": text(body[150:160])}, {"id": "full", "text": text(body)}]
    result = run(docs)
    assert kept_ids(result) == ["brief23", "tiny", "full"]
    assert {k: (r["reason"], r["kept_doc_id"]) for k, r in removed(result).items()} == {
        "brief24": ("contained", "full")}
    check_consistent(result, docs)
    everything = run(docs, min_contained_ngrams=1)
    assert kept_ids(everything) == ["full"]
    assert {r["reason"] for r in removed(everything).values()} == {"contained"}
    assert kept_ids(run(docs, min_contained_ngrams=21)) == ["brief24", "brief23", "tiny", "full"]
    # an exact copy of a tiny document is still removed as exact
    twin = run([{"id": "t1", "text": "Qtly div 10 cts"}, {"id": "full", "text": text(body)},
                {"id": "t2", "text": "qtly div 10 cts."}])
    assert kept_ids(twin) == ["t1", "full"] and removed(twin)["t2"]["reason"] == "exact"


def test_a_chain_removes_only_what_duplicates_a_kept_document():
    # a ~ b (J 0.8), b ~ c (J 0.8), but a and c share fewer: c is kept, b names a.
    base = words("s", 200)
    a = text(base[0:100])
    b = text(base[10:110])
    c = text(base[20:120])
    docs = [{"id": "a", "text": a}, {"id": "b", "text": b}, {"id": "c", "text": c}]
    result = run(docs, threshold=0.8, containment=0)
    assert kept_ids(result) == ["a", "c"]
    assert removed(result)["b"]["kept_doc_id"] == "a" and removed(result)["b"]["similarity"] >= 0.8
    check_consistent(result, docs)


def test_keep_policies(tmp_path):
    shared = words("s", 60)
    docs = [
        {"id": "first", "text": text(shared), "date": "2024-03-05", "score": 2},
        {"id": "longer", "text": text(shared, words("x", 4)), "date": "2024-03-06", "score": 9},
        {"id": "earliest", "text": text(words("y", 2), shared), "date": "2024-03-01", "score": None},
        {"id": "undated", "text": text(shared, words("z", 1)), "score": 5},
    ]
    expect = {"first": "first", "longest": "longer", "earliest": "earliest", "field:score": "longer",
              "field:-score": "first"}
    for policy, winner in expect.items():
        result = run(docs, keep=policy)
        assert kept_ids(result) == [winner], policy
        assert {r["kept_doc_id"] for r in removed(result).values()} == {winner}
        check_consistent(result, docs)
    with pytest.raises(DedupError, match="no document has a field 'rank'"):
        run(docs, keep="field:rank")
    with pytest.raises(ConfigError, match="dedup.keep must be one of first, earliest, longest or field:NAME"):
        DuplicateConfig(keep="newest")


def test_chain_with_the_middle_kept_first():
    base = words("s", 200)
    docs = [{"id": "a", "text": text(base[0:100]), "p": 1}, {"id": "b", "text": text(base[10:110]), "p": 9},
            {"id": "c", "text": text(base[20:120]), "p": 2}]
    result = run(docs, containment=0, keep="field:p")
    assert kept_ids(result) == ["b"]
    assert {k: r["kept_doc_id"] for k, r in removed(result).items()} == {"a": "b", "c": "b"}


def test_the_wire_stories():
    result = reprints.dedup(STORIES, config=DedupConfig().replace(engine={"workers": 1}))
    rows = {k: (r["reason"], r["kept_doc_id"]) for k, r in removed(result).items()}
    assert rows == {"hd-port-strike": ("near-duplicate", "nw-port-strike"),
                    "hd-rate-decision": ("near-duplicate", "nw-rate-decision"),
                    "ml-rate-decision": ("contained", "nw-rate-decision"),
                    "nw-flood-warning": ("contained", "nw-flood-update")}
    assert result.summary["documents_in"] == 19 and result.summary["documents_kept"] == 15


# --- passage level -----------------------------------------------------------------------

def _passage_docs() -> tuple[list[dict], str]:
    passage = " ".join(words("p", 60))
    docs = [
        {"id": "a", "text": f"Intro {text(words('a', 30))}\n\n{passage}.\n\n{text(words('a2', 30))}"},
        {"id": "b", "text": f"{text(words('b', 40))} “Quoted” — {passage}; {text(words('b2', 25))}"},
        {"id": "c", "text": f"{passage} {text(words('c', 10))}"},  # 10 words left after the cut
        {"id": "d", "text": text(words("d", 80))},
    ]
    return docs, passage


def test_repeated_passages_are_cut_at_exact_offsets():
    docs, passage = _passage_docs()
    result = run(docs, mode="passages")
    spans = [r for r in result.removed.to_pylist() if r["begin"] is not None]
    assert len(spans) == 1
    span = spans[0]
    b = docs[1]["text"]
    assert (span["doc_id"], span["reason"], span["kept_doc_id"]) == ("b", "repeated passage", "a")
    assert b[span["begin"]:span["end"]] == passage
    assert docs[0]["text"][span["kept_begin"]:span["kept_end"]] == passage
    kept = dict(zip(kept_ids(result), result.kept.column("text").to_pylist()))
    assert kept["b"] == b[:span["begin"]] + b[span["end"]:]
    assert kept["a"] == docs[0]["text"] and kept["d"] == docs[3]["text"]
    gone = removed(result)
    assert gone["c"]["reason"] == "too short after removal" and gone["c"]["kept_doc_id"] == "a"
    assert gone["c"]["similarity"] == round(60 / 70, 4)
    assert result.summary["passages_removed"] == 1 and result.summary["documents_cut"] == 1
    check_consistent(result, docs)
    # fewer words needed: c keeps its 10 words
    kept = dict(zip(*[run(docs, mode="passages", min_words=5).kept.column(c).to_pylist() for c in ("id", "text")]))
    assert kept["c"] == docs[2]["text"][len(passage):]


def test_an_exact_copy_is_reported_as_exact_in_passage_mode():
    docs, passage = _passage_docs()
    copy = docs[0]["text"].upper().replace("\n\n", " ")  # the same words
    docs += [{"id": "copy", "text": copy}, {"id": "short", "text": "Qtly div 10 cts"},
             {"id": "short2", "text": "QTLY DIV 10 CTS."}]
    result = run(docs, mode="passages")
    gone = removed(result)
    assert (gone["copy"]["reason"], gone["copy"]["kept_doc_id"], gone["copy"]["similarity"]) == ("exact", "a", 1.0)
    assert gone["c"]["reason"] == "too short after removal"  # not a copy: a passage and 10 words of its own
    assert "short2" in kept_ids(result)  # shorter than a passage: passage removal leaves it
    assert not [r for r in result.removed.to_pylist() if r["doc_id"] == "copy" and r["begin"] is not None]
    assert result.summary["removed_by_reason"] == {"exact": 1, "too short after removal": 1}
    check_consistent(result, docs)


def test_passages_shorter_than_the_setting_stay():
    docs, _ = _passage_docs()
    result = run(docs, mode="passages", passage_words=61)
    assert result.removed.num_rows == 0 and kept_ids(result) == ["a", "b", "c", "d"]


def test_a_passage_from_two_kept_documents_names_each():
    p1, p2 = words("p", 55), words("q", 55)
    docs = [{"id": "a", "text": text(words("a", 20), p1, words("a2", 20))},
            {"id": "b", "text": text(words("b", 20), p2, words("b2", 20))},
            {"id": "c", "text": text(words("c", 30), p1, p2, words("c2", 30))}]
    result = run(docs, mode="passages")
    spans = [(r["kept_doc_id"], r["end"] - r["begin"]) for r in result.removed.to_pylist()]
    c = docs[2]["text"]
    assert spans == [("a", len(" ".join(p1))), ("b", len(" ".join(p2)))]
    rows = result.removed.to_pylist()
    assert c[rows[0]["begin"]:rows[0]["end"]] == " ".join(p1)
    assert c[rows[1]["begin"]:rows[1]["end"]] == " ".join(p2)
    check_consistent(result, docs)


def test_both_modes_together():
    docs, passage = _passage_docs()
    docs.append({"id": "a-copy", "text": docs[0]["text"]})
    result = run(docs, mode="both")
    gone = removed(result)
    assert gone["a-copy"]["reason"] == "exact" and gone["a-copy"]["kept_doc_id"] == "a"
    # c: 56 of its 66 5-grams are a's (0.85 < 0.9, not contained); its passage is cut, 10 words are left
    assert gone["c"]["reason"] == "too short after removal" and gone["c"]["kept_doc_id"] == "a"
    assert [r["doc_id"] for r in result.removed.to_pylist() if r["begin"] is not None] == ["b"]
    check_consistent(result, docs)


# --- fields, formats, repeats -------------------------------------------------------------

ROWS = [
    {"id": "n1", "text": text(words(1, 40)), "source": "Wire", "date": "2024-01-02", "title": "One",
     "tags": ["a", "b"], "meta": {"x": 1, "y": [1, 2]}, "score": 1.5, "flag": True, "empty": None},
    {"id": "n2", "text": text(words(1, 40)), "source": "Paper", "date": "2024-01-03", "title": "Two",
     "tags": [], "meta": {"x": 2, "y": []}, "score": 2.0, "flag": False, "empty": None},
    {"id": "n3", "text": "Ünïcode “text” with emoji 😟 and enough words to be its own document here.",
     "source": "Paper", "title": "Three", "tags": ["c"], "meta": {"x": 3, "y": [3]}, "score": -1.0, "flag": True,
     "empty": None},
    {"id": "n4", "text": text(words(4, 12)), "title": "Four", "tags": ["d"], "meta": {"x": 4, "y": [4]},
     "score": 0.25, "flag": False, "empty": None},
]


def _write_jsonl(path: Path, rows: list[dict], extra_lines: tuple[str, ...] = ()) -> Path:
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        for line in extra_lines:
            handle.write(line + "\n")
    return path


def test_kept_jsonl_holds_every_input_field_in_input_order(tmp_path):
    source = _write_jsonl(tmp_path / "in.jsonl", ROWS)
    result = invoke("dedup", source, "--out", tmp_path / "out", "-q")
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "out" / "kept.parquet").exists()
    kept = [json.loads(line) for line in (tmp_path / "out" / "kept.jsonl").read_text(encoding="utf-8").splitlines()]
    expect = [r for r in ROWS if r["id"] != "n2"]
    assert kept == expect
    assert [list(r) for r in kept] == [list(r) for r in expect]  # field order as read
    gone = pq.read_table(tmp_path / "out" / "removed.parquet").to_pylist()
    assert [(r["doc_id"], r["reason"], r["kept_doc_id"], r["input"]) for r in gone] == [
        ("n2", "exact", "n1", f"{source}:2")]


def test_kept_parquet_holds_every_field_with_its_type(tmp_path):
    source = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist(ROWS), source)
    result = invoke("dedup", source, "--out", tmp_path / "out", "-q")
    assert result.exit_code == 0, result.output
    kept = pq.read_table(tmp_path / "out" / "kept.parquet")
    assert kept.column_names == ["id", "text", "source", "date", "title", "tags", "meta", "score", "flag", "empty"]
    rows = kept.to_pylist()
    assert [r["id"] for r in rows] == ["n1", "n3", "n4"]
    assert rows[0]["tags"] == ["a", "b"] and rows[0]["meta"] == {"x": 1, "y": [1, 2]} and rows[0]["score"] == 1.5
    assert rows[2]["source"] is None and rows[1]["text"] == ROWS[2]["text"]
    assert kept.schema.field("flag").type == pa.bool_() and kept.schema.field("score").type == pa.float64()
    # --format jsonl for Parquet input, and parquet for JSONL input
    assert invoke("dedup", source, "--out", tmp_path / "j", "--format", "jsonl", "-q").exit_code == 0
    assert (tmp_path / "j" / "kept.jsonl").exists()
    jsonl = _write_jsonl(tmp_path / "in.jsonl", ROWS)
    assert invoke("dedup", jsonl, "--out", tmp_path / "p", "--format", "parquet", "-q").exit_code == 0
    assert pq.read_table(tmp_path / "p" / "kept.parquet").to_pylist() == rows


def test_mixed_field_types_become_json_text(tmp_path):
    rows = [{"id": "a", "text": text(words(1, 10)), "x": 1}, {"id": "b", "text": text(words(2, 10)), "x": {"k": 1}}]
    result = run(rows)
    assert result.kept.column("x").to_pylist() == ["1", '{"k": 1}']


def test_bad_input_is_listed_never_dropped_silently(tmp_path):
    source = _write_jsonl(tmp_path / "in.jsonl", ROWS[:1], extra_lines=(
        "{not json", json.dumps({"text": "no id here"}), json.dumps({"id": "e", "text": "   "}),
        json.dumps({"id": "n1", "text": "a duplicate id"}), json.dumps({"id": "t", "text": 7})))
    result = invoke("dedup", source, tmp_path / "missing.jsonl", "--out", tmp_path / "out", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["documents_in"] == 1 and summary["documents_skipped"] == 6
    skipped = pq.read_table(tmp_path / "out" / "skipped.parquet").to_pylist()
    reasons = [(r["input"].rsplit("/", 1)[-1], r["reason"].split(":")[0]) for r in skipped]
    assert reasons == [("in.jsonl:2", "malformed JSON line"), ("in.jsonl:3", "no 'id' field (set the id field with --id-field)"),
                       ("in.jsonl:4", "empty document"), ("in.jsonl:5", "duplicate id (first read from " + str(source)),
                       ("in.jsonl:6", "'text' is a int, not a string"), ("missing.jsonl", "path not found")]
    assert sum(summary["skip_reasons"].values()) == 6


def test_a_run_is_repeated_from_its_run_json(tmp_path, monkeypatch):
    docs, _ = _passage_docs()
    source = _write_jsonl(tmp_path / "in.jsonl", docs + ROWS)
    first = tmp_path / "first"
    assert invoke("dedup", source, "--out", first, "--mode", "both", "--keep", "longest", "--threshold", "0.7",
                  "-q").exit_code == 0
    run_info = json.loads((first / "run.json").read_text())
    assert run_info["inputs"] == [str(source)] and run_info["config"]["dedup"]["keep"] == "longest"
    assert run_info["summary"]["documents_in"] == 8 and run_info["versions"]
    monkeypatch.chdir(tmp_path)
    again = invoke("dedup", "--config", first / "run.json", "--out", "again", "-q")
    assert again.exit_code == 0, again.output
    for name in ("kept.jsonl", "removed.parquet", "skipped.parquet"):
        assert (first / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name
    changed = invoke("dedup", "--config", first / "run.json", "--out", "changed", "--mode", "documents", "-q")
    assert changed.exit_code == 0
    config = json.loads((tmp_path / "changed" / "run.json").read_text())["config"]["dedup"]
    assert config["mode"] == "documents" and config["keep"] == "longest" and config["threshold"] == 0.7


def test_the_same_result_with_any_worker_count():
    docs, _ = _passage_docs()
    docs = docs + ROWS + [{"id": f"s{i}", "text": text(words("s", 30 + i))} for i in range(12)]
    results = [reprints.dedup(docs, config=DedupConfig().replace(dedup={"mode": "both"},
                                                                  engine={"workers": w, "batch_docs": b}))
               for w, b in ((1, 2000), (2, 3), (3, 1))]
    for other in results[1:]:
        assert other.kept == results[0].kept and other.removed == results[0].removed
    check_consistent(results[0], docs)
    assert results[0].summary["removed_by_reason"]["near-duplicate"] > 5


def test_the_api_takes_a_duplicate_config_and_writes_the_folder(tmp_path):
    result = reprints.dedup(ROWS, config=DuplicateConfig(threshold=0.9), out=tmp_path / "out")
    assert result.out == tmp_path / "out" and kept_ids(result) == ["n1", "n3", "n4"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "kept.parquet", "removed.parquet", "run.json", "skipped.parquet"]
    assert json.loads((tmp_path / "out" / "run.json").read_text())["inputs"] == "python objects"


# --- command line errors ----------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["--mode", "pages"], "dedup.mode must be one of documents, passages, both, not 'pages'"),
    (["--threshold", "1.5"], "dedup.threshold must be between 0.01 and 1, not 1.5"),
    (["--containment", "-0.1"], "dedup.containment must be between 0 and 1, not -0.1"),
    (["--keep", "newest"], "dedup.keep must be one of first, earliest, longest or field:NAME, not 'newest'"),
    (["--passage-words", "2"], "dedup.passage_words must be at least 5, not 2"),
    (["--format", "csv"], "dedup.format must be one of auto, parquet, jsonl, not 'csv'"),
    (["--ngram", "13"], "dedup.ngram must be between 1 and 12, not 13"),
    (["--keep", "field:nope"], "keep policy field:nope: no document has a field 'nope'"),
])
def test_bad_options_are_clear_errors(tmp_path, args, message):
    result = invoke("dedup", STORIES, "--out", tmp_path / "out", *args)
    assert result.exit_code == 2 and f"error: {message}" in result.output
    assert not (tmp_path / "out").exists()


def test_other_command_line_errors(tmp_path):
    result = invoke("dedup", STORIES, "--out", tmp_path / "out", "--engine", "dask")
    assert result.exit_code == 2 and "--engine must be local or spark, not 'dask'" in result.output
    result = invoke("dedup", STORIES, "--out", tmp_path / "out", "--master", "local[2]")
    assert result.exit_code == 2 and "--master is a setting of --engine spark" in result.output
    with pytest.raises(DedupError, match="engine must be 'local' or 'spark', not 'dask'"):
        reprints.dedup(str(STORIES), engine="dask")
    result = invoke("dedup", "--out", tmp_path / "out")
    assert result.exit_code == 2 and "nothing to deduplicate" in result.output
    result = invoke("dedup", tmp_path / "missing.jsonl", "--out", tmp_path / "out")
    assert result.exit_code == 2 and "no documents to scan" in result.output and "path not found" in result.output
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").write_text("mine")
    result = invoke("dedup", STORIES, "--out", tmp_path / "taken")
    assert result.exit_code == 2 and "already exists" in result.output
    scan_run = tmp_path / "scan.json"
    scan_run.write_text(json.dumps({"config": {"align": {"min_words": 30}}, "inputs": [str(STORIES)]}))
    result = invoke("dedup", "--config", scan_run, "--out", tmp_path / "out")
    assert result.exit_code == 2 and "unknown configuration section 'align'" in result.output
    assert "a scan's run.json?" in result.output


def test_the_summary_is_printed(tmp_path):
    result = invoke("dedup", STORIES, "--out", tmp_path / "out", "-q", "--mode", "both")
    assert result.exit_code == 0
    for text_ in ("documents in", "19", "kept", "15", "2 near-duplicate, 2 contained", "bytes removed", "time"):
        assert text_ in result.output


def test_every_dedup_setting_refuses_a_wrong_type_or_a_value_out_of_its_limits():
    import dataclasses

    DuplicateConfig()
    for f in dataclasses.fields(DuplicateConfig):
        meta = f.metadata
        bad = [{"int": "3", "float": "0.5", "str": 7}[f.type]]
        if meta.get("choices"):
            bad.append("no-such-choice")
        if meta.get("min") is not None:
            bad.append(meta["min"] - 1 if f.type == "int" else meta["min"] - 0.005)
        if meta.get("max") is not None:
            bad.append(meta["max"] + 1 if f.type == "int" else meta["max"] + 0.5)
        for value in bad:
            with pytest.raises(ConfigError, match=rf"dedup\.{f.name} must"):
                DuplicateConfig(**{f.name: value})
        assert f.metadata["help"], f.name  # every setting has its help for the command line
    with pytest.raises(ConfigError, match="unknown field dedup.treshold"):
        DedupConfig().replace(dedup={"treshold": 0.5})


def test_a_document_repeating_itself_is_not_cut():
    passage = words("p", 60)
    docs = [{"id": "a", "text": text(passage, words("a", 5), passage)}, {"id": "b", "text": text(words("b", 70))}]
    result = run(docs, mode="both")
    assert result.removed.num_rows == 0 and kept_ids(result) == ["a", "b"]
