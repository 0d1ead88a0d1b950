"""The persistent index: adding in batches gives what one scan gives; re-adds; queries."""

from __future__ import annotations

import random

import pytest

import reprints
from reprints.config import ScanConfig
from reprints.index import Index, store


@pytest.mark.parametrize("cuts", [(9,), (5, 12), (1, 2)])
def test_batches_equal_one_scan(tmp_path, wire_rows, same_as_scan, cuts):
    scan = reprints.scan(wire_rows)
    assert scan.passages.num_rows > 0 and scan.clusters.num_rows > 0
    bounds = (0, *cuts, len(wire_rows))
    with Index(tmp_path / "ix.duckdb") as index:
        for lo, hi in zip(bounds, bounds[1:]):
            result = index.add(wire_rows[lo:hi])
            assert len(result.added) == hi - lo
        same_as_scan(index, scan)
    # It persists: reopened, the same.
    with Index(tmp_path / "ix.duckdb", read_only=True) as index:
        same_as_scan(index, scan)


def _templated_corpus(n: int, seed: int = 3) -> list[dict]:
    """Documents of one source sharing a sign-off line, some sharing body text with others."""
    rng = random.Random(seed)
    words = ("harbour strike union vessel cargo minister river flood warning bank rate "
             "percent market shares council vote budget school road bridge rail storm").split()
    bodies = [" ".join(rng.choice(words) + str(rng.randint(0, 999)) for _ in range(60)) for _ in range(6)]
    rows = []
    for k in range(n):
        body = bodies[k % len(bodies)]
        if k % 3 == 0:  # an edit, so that pairs are 'edited'
            toks = body.split()
            toks[rng.randrange(len(toks))] = "changed"
            body = " ".join(toks)
        own = " ".join(rng.choice(words) + str(rng.randint(1000, 9999)) for _ in range(30))
        rows.append({"id": f"d{k:03d}", "source": "Gazette" if k % 2 else "Courier",
                     "text": f"{own}\n{body}\nFollow the Gazette and Courier on every platform today\n",
                     "date": f"2024-01-{1 + k % 27:02d}"})
    return rows


def test_boilerplate_that_becomes_frequent_reshingles_older_documents(tmp_path, same_as_scan):
    # Three documents per source make a line boilerplate; n-grams in more than 6 documents are capped.
    config = ScanConfig().replace(boilerplate={"min_docs": 3}, candidates={"max_df": 6})
    rows = _templated_corpus(14)
    scan = reprints.scan(rows, config=config)
    with Index(tmp_path / "ix.duckdb", config=config) as index:
        first = index.add(rows[:4])   # two per source: the sign-off is not boilerplate yet
        second = index.add(rows[4:9])
        third = index.add(rows[9:])
        assert first.reshingled == 0
        assert second.reshingled > 0  # the sign-off became boilerplate: older documents re-shingled
        assert index.stats()["boilerplate_lines"] > 0
        assert third.documents == 14
        same_as_scan(index, scan)


@pytest.mark.parametrize("id_list_max", [1000, 1])
def test_readd_same_text_changes_nothing_and_changed_text_replaces(tmp_path, wire_rows, same_as_scan, monkeypatch,
                                                                    id_list_max):
    # Stored documents are found by a list of ids up to a size, by a join beyond: both ways.
    monkeypatch.setattr(store, "_ID_LIST_MAX", id_list_max)
    with Index(tmp_path / "ix.duckdb") as index:
        index.add(wire_rows)
        before = index.tables()
        again = index.add(wire_rows[:5])
        assert again.unchanged == [r["id"] for r in wire_rows[:5]] and not again.added and not again.replaced
        after = index.tables()
        for name in before:
            assert before[name].to_pylist() == after[name].to_pylist()

        # A changed text replaces the old version; the index then equals a scan in which
        # the new version was read last.
        target = next(r for r in wire_rows if r["id"] == "nw-port-strike")
        changed = dict(target, text=target["text"].replace("dockworkers", "dock workers", 2))
        replaced = index.add([changed])
        assert replaced.replaced == ["nw-port-strike"] and not replaced.added
        expected = reprints.scan([r for r in wire_rows if r["id"] != "nw-port-strike"] + [changed])
        same_as_scan(index, expected)
        doc = index.document("nw-port-strike")
        assert doc["text"] == changed["text"]
        assert index.stats()["documents"] == len(wire_rows)


def test_query_matches_without_adding(tmp_path, wire_rows):
    with Index(tmp_path / "ix.duckdb") as index:
        index.add(wire_rows)
        n_before = index.stats()["documents"]
        source = next(r for r in wire_rows if r["id"] == "nw-port-strike")
        text = "Breaking, from our wires.\n\n" + source["text"][:1200]
        found = index.query(text)
        assert index.stats()["documents"] == n_before
        by_id = {m["doc_id"]: m for m in found["matches"]}
        assert "nw-port-strike" in by_id
        clusters = index.tables()["clusters"].to_pylist()
        for match in found["matches"]:
            doc_text = index.document(match["doc_id"])["text"]
            for p in match["passages"]:
                assert text[p["begin"]:p["end"]] == p["text"]
                # the two sides say the same thing (verbatim: same words)
                if p["kind"] == "verbatim":
                    assert doc_text[p["doc_begin"]:p["doc_end"]].split() == p["text"].split()
                if p["cluster_id"] is not None:
                    members = [c for c in clusters if c["cluster_id"] == p["cluster_id"] and c["doc_id"] == match["doc_id"]]
                    assert any(c["begin"] < p["doc_end"] and p["doc_begin"] < c["end"] for c in members)
        assert any(p["cluster_id"] is not None for p in by_id["nw-port-strike"]["passages"])
        assert index.query("Nothing in common with anything indexed at all, really.")["matches"] == []


def test_document_and_cluster_lookup(tmp_path, wire_rows):
    with Index(tmp_path / "ix.duckdb") as index:
        index.add(wire_rows)
        doc = index.document("nw-port-strike")
        assert doc["passages"] and doc["clusters"]
        for p in doc["passages"]:
            other = index.document(p["other_doc_id"], with_text=True)
            assert other is not None and p["end"] > p["begin"]
        cluster = index.cluster(doc["clusters"][0]["cluster_id"])
        assert any(m["doc_id"] == "nw-port-strike" for m in cluster)
        assert index.document("no-such-id") is None and index.cluster(10_000) is None


def test_query_sees_documents_added_after_an_earlier_query(tmp_path, wire_rows):
    with Index(tmp_path / "ix.duckdb") as index:
        index.add(wire_rows[1:])
        text = wire_rows[0]["text"]
        before = {m["doc_id"] for m in index.query(text)["matches"]}
        assert wire_rows[0]["id"] not in before
        index.add(wire_rows[:1])
        after = index.query(text)["matches"]
        exact = next(m for m in after if m["doc_id"] == wire_rows[0]["id"])
        assert exact["exact_duplicate"] and exact["passages"][0]["begin"] == 0
        assert {m["doc_id"] for m in after} - {wire_rows[0]["id"]} == before


def test_a_closed_index_holds_no_snapshot_or_segments(tmp_path, wire_rows):
    """An Index still referenced after its ``with`` block (a notebook's variable, a benchmark's
    loop) lets the query snapshot and the mapped postings go: they can be gigabytes."""
    import gc
    import weakref

    with Index(tmp_path / "ix.duckdb") as index:
        index.add(wire_rows[:4])
        index.add(wire_rows[4:])  # looks postings up: segments opened
        snapshot = weakref.ref(index.query_snapshot())
        segment = weakref.ref(next(iter(index._segments._open.values())))
    gc.collect()
    assert snapshot() is None and segment() is None
