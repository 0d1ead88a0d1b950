"""End to end on the hand-made wire corpus (examples/wire), whose planted reuse is known, and
the run directory written with ``out=``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import reprints
from reprints.engines import local
from reprints.io.writers import OutputExistsError, read_run

WIRE = Path(__file__).resolve().parents[1] / "examples" / "wire"
STORIES = WIRE / "stories.jsonl"
TABLES = ("documents", "pairs", "passages", "clusters")


def load_stories() -> list[dict]:
    return [json.loads(line) for line in STORIES.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_truth() -> list[dict]:
    return json.loads((WIRE / "TRUTH.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def wire_result():
    return reprints.scan(STORIES)


@pytest.fixture(scope="module")
def wire_texts() -> dict[str, str]:
    return {s["id"]: s["text"] for s in load_stories()}


def _span(text: str, sub: str) -> tuple[int, int]:
    assert text.count(sub) == 1, "TRUTH substring must occur exactly once"
    start = text.index(sub)
    return start, start + len(sub)


def _overlap(p: tuple[int, int], t: tuple[int, int]) -> int:
    return max(0, min(p[1], t[1]) - max(p[0], t[0]))


TRUTH = load_truth()
REQUIRED = [t for t in TRUTH if t["kind"] in ("verbatim", "edited")]


def test_truth_is_consistent(wire_texts):
    assert len(TRUTH) == 17
    for t in TRUTH:
        _span(wire_texts[t["a"]], t["a_text"])
        _span(wire_texts[t["b"]], t["b_text"])


@pytest.mark.parametrize("truth", REQUIRED, ids=[f"{t['a']}~{t['b']}#{k}" for k, t in enumerate(REQUIRED)])
def test_every_planted_reuse_is_found(truth, wire_result, wire_texts):
    ta = _span(wire_texts[truth["a"]], truth["a_text"])
    tb = _span(wire_texts[truth["b"]], truth["b_text"])
    best = 0.0
    for p in wire_result.passages.to_pylist():
        if (p["doc_a"], p["doc_b"]) == (truth["a"], truth["b"]):
            sa, sb = (p["begin_a"], p["end_a"]), (p["begin_b"], p["end_b"])
        elif (p["doc_b"], p["doc_a"]) == (truth["a"], truth["b"]):
            sa, sb = (p["begin_b"], p["end_b"]), (p["begin_a"], p["end_a"])
        else:
            continue
        score = min(_overlap(sa, ta) / (ta[1] - ta[0]), _overlap(sb, tb) / (tb[1] - tb[0]))
        best = max(best, score)
    assert best >= 0.8, f"{truth['kind']} {truth['a']} → {truth['b']}: best overlap {best:.2f}"


def test_no_passage_or_pair_between_unrelated_documents(wire_result):
    related = {frozenset((t["a"], t["b"])) for t in TRUTH}
    for p in wire_result.passages.to_pylist():
        assert frozenset((p["doc_a"], p["doc_b"])) in related, (p["doc_a"], p["doc_b"], p["text_a"][:80])
    for p in wire_result.pairs.to_pylist():
        assert frozenset((p["doc_a"], p["doc_b"])) in related, (p["doc_a"], p["doc_b"])


def test_every_related_pair_is_reported(wire_result):
    related = {frozenset((t["a"], t["b"])) for t in REQUIRED}
    pairs = {frozenset((p["doc_a"], p["doc_b"])) for p in wire_result.pairs.to_pylist()}
    assert related <= pairs


def test_harbor_daily_boilerplate_is_not_in_passages(wire_result):
    for p in wire_result.passages.to_pylist():
        for text in (p["text_a"], p["text_b"]):
            assert "3 min read" not in text and "Follow Harbor Daily" not in text


def test_wire_offsets(wire_result, wire_texts, assert_offsets):
    assert assert_offsets(wire_result, wire_texts) > 0


def test_wire_clusters_have_northwire_origins(wire_result):
    stories = {s["id"]: s for s in load_stories()}
    rows = wire_result.clusters.to_pylist()
    by_cluster: dict[int, list[dict]] = {}
    for r in rows:
        by_cluster.setdefault(r["cluster_id"], []).append(r)
    # Each wire story's reprints, directly from TRUTH.
    expected = {}
    for t in TRUTH:
        if "derived_via" not in t:
            expected.setdefault(t["a"], set()).update({t["a"], t["b"]})
    found = {}
    for cid, members in by_cluster.items():
        origins = [m for m in members if m["is_origin"]]
        assert len(origins) == 1, f"cluster {cid} has {len(origins)} origin rows"
        origin = origins[0]["doc_id"]
        assert {m["origin_doc_id"] for m in members} == {origin}
        assert stories[origin]["source"] == "Northwire"
        found[origin] = {m["doc_id"] for m in members}
        assert all(m["cluster_size"] == len(members) for m in members)
        assert all(m["cluster_docs"] == len(found[origin]) for m in members)
    assert found == expected


def test_summary(wire_result):
    s = wire_result.summary
    assert s["documents_read"] == 19 and s["documents_skipped"] == 0
    assert s["passages"] == wire_result.passages.num_rows
    assert s["document_pairs"] == wire_result.pairs.num_rows
    assert sum(s["passage_kinds"].values()) == s["passages"]
    assert s["clusters"] == len(set(wire_result.clusters.column("cluster_id").to_pylist()))


def test_scan_is_deterministic(wire_result):
    again = reprints.scan(STORIES)
    for name in TABLES:
        assert getattr(again, name).equals(getattr(wire_result, name)), name


def test_scan_with_one_worker_gives_the_same_tables(wire_result):
    config = reprints.ScanConfig().replace(engine={"workers": 1})
    again = reprints.scan(STORIES, config)
    for name in TABLES:
        assert getattr(again, name).equals(getattr(wire_result, name)), name


@pytest.mark.parametrize("workers", [1, 2])
def test_scan_small_batches_uses_the_pool_and_gives_the_same_tables(wire_result, workers, monkeypatch):
    """Many word-table parts, more than a worker keeps mapped at a time (it drops and maps them
    again): the same tables."""
    monkeypatch.setattr(local, "_OPEN_TABLES", 2)
    config = reprints.ScanConfig().replace(engine={"workers": workers, "batch_docs": 3, "batch_pairs": 2})
    again = reprints.scan(STORIES, config)
    for name in TABLES:
        assert getattr(again, name).equals(getattr(wire_result, name)), name


# --- the run directory -------------------------------------------------------------------

def test_out_writes_tables_and_run_json(tmp_path, wire_result):
    out = tmp_path / "runs" / "wire"
    result = reprints.scan(STORIES, out=out)
    assert result.out == out
    assert sorted(p.name for p in out.iterdir()) == sorted([f"{t}.parquet" for t in TABLES] + ["run.json"])
    for name in TABLES:
        assert pq.read_table(out / f"{name}.parquet").equals(getattr(result, name)), name
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["complete"] is True
    assert run["reprints_version"] == reprints.__version__
    assert run["config"] == reprints.ScanConfig().to_dict()
    assert reprints.ScanConfig.from_dict(run["config"]) == reprints.ScanConfig()
    assert run["summary"]["passages"] == result.passages.num_rows
    assert run["inputs"] == [os.path.abspath(STORIES)]
    assert set(read_run(out)) == set(TABLES)
    # Nothing else is left beside the run directory.
    assert [p.name for p in out.parent.iterdir()] == ["wire"]


def test_second_scan_to_same_out_without_overwrite_raises(tmp_path):
    out = tmp_path / "run"
    reprints.scan(STORIES, out=out)
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    with pytest.raises(OutputExistsError):
        reprints.scan(STORIES, out=out)
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before


def test_overwrite_replaces_the_run(tmp_path, articles):
    out = tmp_path / "run"
    reprints.scan(STORIES, out=out)
    result = reprints.scan(articles, out=out, overwrite=True)
    assert pq.read_table(out / "documents.parquet").num_rows == len(articles)
    assert result.out == out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_out_refuses_a_foreign_non_empty_directory(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    with pytest.raises(OutputExistsError):
        reprints.scan(STORIES, out=out, overwrite=True)
    assert (out / "precious.txt").read_text() == "keep me"


def _no_complete_partial(parent: Path, name: str):
    for p in parent.iterdir():
        if p.name != name:
            assert not (p / "run.json").exists(), f"{p} looks like a complete run"
            assert not p.name.startswith(f".{name}.partial"), f"partial directory {p} left behind"


def test_failure_mid_scan_leaves_no_output(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("alignment exploded")

    monkeypatch.setattr(local.align_stage, "align_related", boom)
    out = tmp_path / "run"
    with pytest.raises(RuntimeError, match="alignment exploded"):
        reprints.scan(STORIES, out=out)
    assert not out.exists()
    _no_complete_partial(tmp_path, "run")


def test_failure_while_building_tables_leaves_no_output(tmp_path, monkeypatch):
    from reprints.stages import report_tables

    def boom(*args, **kwargs):
        raise RuntimeError("clusters exploded")

    monkeypatch.setattr(report_tables, "clusters_table", boom)
    out = tmp_path / "run"
    with pytest.raises(RuntimeError, match="clusters exploded"):
        reprints.scan(STORIES, out=out)
    assert not out.exists()
    _no_complete_partial(tmp_path, "run")


def test_failure_while_writing_leaves_no_output_and_keeps_old_run(tmp_path, monkeypatch):
    from reprints.io import writers

    out = tmp_path / "run"
    reprints.scan(STORIES, out=out)
    old = (out / "run.json").read_bytes()

    real_write = writers.pq.write_table
    calls = {"n": 0}

    def flaky(table, where, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return real_write(table, where, **kwargs)

    monkeypatch.setattr(writers.pq, "write_table", flaky)
    with pytest.raises(OSError, match="disk full"):
        reprints.scan(STORIES, out=out, overwrite=True)
    assert (out / "run.json").read_bytes() == old  # the previous complete run is untouched
    _no_complete_partial(tmp_path, "run")

    fresh = tmp_path / "fresh"
    calls["n"] = 0
    with pytest.raises(OSError, match="disk full"):
        reprints.scan(STORIES, out=fresh)
    assert not fresh.exists()
    _no_complete_partial(tmp_path, "run")


# --- more end-to-end behaviour on hand-made corpora -----------------------------------------

def test_origin_is_earliest_even_for_historical_dates(articles):
    """Documents dated before 1677 (outside pandas' nanosecond range) still order by date."""
    docs = [dict(a) for a in articles[:3]]
    docs[0]["date"] = "1789-07-14"
    docs[1]["date"] = "1620-11-11"   # the earliest
    docs[2]["date"] = "1850-01-01"
    result = reprints.scan(docs)
    origins = set(result.clusters.filter(result.clusters.column("is_origin")).column("doc_id").to_pylist())
    assert origins == {docs[1]["id"]}


def test_origin_uses_time_zones(articles):
    docs = [dict(a) for a in articles[:2]]
    docs[0]["date"] = "2024-05-01T23:30:00-05:00"  # 04:30 UTC on the 2nd
    docs[1]["date"] = "2024-05-02T03:00:00+00:00"  # earlier in UTC
    result = reprints.scan(docs)
    origins = set(result.clusters.filter(result.clusters.column("is_origin")).column("doc_id").to_pylist())
    assert origins == {docs[1]["id"]}


def test_exact_duplicates_are_paired_and_marked(articles, assert_offsets):
    brief = "Markets closed higher on Friday."
    docs = [dict(a) for a in articles] + [
        {"id": "brief-1", "text": brief}, {"id": "brief-2", "text": "MARKETS closed higher on friday"},
    ]
    result = reprints.scan(docs)
    pairs = {frozenset((p["doc_a"], p["doc_b"])): p for p in result.pairs.to_pylist()}
    dup = pairs[frozenset(("brief-1", "brief-2"))]
    assert dup["exact_duplicate"] is True and dup["jaccard"] == 1.0
    assert_offsets(result, {d["id"]: d["text"] for d in docs})


def test_a_single_document_scans_cleanly(articles):
    result = reprints.scan(articles[:1])
    assert result.passages.num_rows == 0 and result.pairs.num_rows == 0 and result.clusters.num_rows == 0
    assert result.summary["documents_read"] == 1
