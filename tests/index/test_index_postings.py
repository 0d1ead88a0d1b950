"""The postings an add looks up (index/postings.py: sorted segments beside the DuckDB file) are
exactly the stored shingles (n-grams) and line keys (lines) after every add, replacement,
re-shingling and merge, found through fences of any stride, in memory or in a file; they are
rebuilt when missing; files of rolled-back adds and strays are removed."""

from __future__ import annotations

import random
import shutil

import numpy as np
import pytest
from test_index_incremental import CONFIG, _corpus, _same

import reprints
from reprints import _native
from reprints.index import Index, postings, store
from reprints.index.postings import folder_for


def _lookup_equals_shingles(ix: Index) -> None:
    """Both kinds of segments give every stored row of their table, and nothing else, for a
    lookup of every key stored and of keys not stored."""
    con = ix.reader()
    try:
        for segments, table, key in ((ix._segments, "shingles", "h"), (ix._lines, "line_keys", "key")):
            stored = con.execute(f"SELECT doc, {key} FROM {table} ORDER BY doc, {key}").fetchall()
            grams = np.unique(np.array([h for _, h in stored] + [1, 2**64 - 1], dtype=np.uint64))
            h, doc = segments.find(con, segments._state(con), grams)
            found = sorted(zip(doc.tolist(), h.tolist()))
            assert found == stored, table
    finally:
        con.close()


def _segments(ix: Index, lines: bool = False) -> list:
    con = ix.reader()
    try:
        return (ix._lines if lines else ix._segments)._state(con)["segments"]
    finally:
        con.close()


def test_fenced_bounds_are_numpys_searchsorted():
    rng = np.random.default_rng(3)
    for n in (0, 1, 7, 512, 513, 5000):
        values = np.sort(rng.integers(0, 300, n).astype(np.uint64))
        keys = rng.integers(0, 310, 400).astype(np.uint64)
        for stride in (1, 2, 5, 512):
            lo, hi = _native.fenced_bounds(values, np.ascontiguousarray(values[::stride]), stride, keys)
            assert (lo == np.searchsorted(values, keys, "left")).all()
            assert (hi == np.searchsorted(values, keys, "right")).all()
    with pytest.raises(ValueError, match="does not fit"):
        _native.fenced_bounds(np.arange(10, dtype=np.uint64), np.zeros(1, np.uint64), 2, keys)


@pytest.mark.parametrize("seed, stride, fence_file_rows", [(4, 3, 0), (5, 512, 1 << 20)])
def test_segments_hold_the_stored_postings_through_adds_replacements_and_merges(tmp_path, monkeypatch, seed,
                                                                               stride, fence_file_rows):
    monkeypatch.setattr(postings, "FENCE_STRIDE", stride)
    monkeypatch.setattr(postings, "FENCE_FILE_ROWS", fence_file_rows)
    rng = random.Random(seed)
    rows = _corpus(90, seed)
    live: dict[str, dict] = {}
    adds, reshingled, replaced, merged = 0, 0, 0, False
    with Index(tmp_path / "ix.duckdb", config=CONFIG) as ix:
        k = 0
        while k < len(rows):
            batch = rows[k:k + rng.randint(1, 12)]
            k += len(batch)
            if live and rng.random() < 0.4:  # a stored document comes again with another text
                old = live[rng.choice(sorted(live))]
                batch = batch + [dict(old, text=old["text"] + "\nA correction was appended to this story.")]
            result = ix.add(batch)
            adds += 1
            reshingled += result.reshingled
            replaced += len(result.replaced)
            for r in batch:  # a replaced document is the newest in the index, as in a scan in this order
                live.pop(r["id"], None)
                live[r["id"]] = r
            before = len(_segments(ix))
            _lookup_equals_shingles(ix)
            merged = merged or before < adds
        assert reshingled and replaced, "the corpus must re-shingle and replace documents"
        assert merged and len(_segments(ix)) <= 4, _segments(ix)
        fences = list(folder_for(ix.path).rglob("*.fence.npy"))
        every = len(_segments(ix)) + len(_segments(ix, lines=True))
        assert len(fences) == (every if fence_file_rows == 0 else 0), fences
        _same(ix, reprints.scan(list(live.values()), config=CONFIG))


@pytest.mark.parametrize("missing", ["folder", "lines of an older version"])
def test_missing_segments_are_rebuilt_from_the_stored_rows(tmp_path, missing):
    import duckdb

    rows = _corpus(40, 6)
    path = tmp_path / "ix.duckdb"
    with Index(path, config=CONFIG) as ix:
        ix.add(rows[:20])
    if missing == "folder":
        shutil.rmtree(folder_for(path))
    else:  # an index written before line keys had segments: no state, no folder, no tombstone table
        shutil.rmtree(folder_for(path) / "lines")
        con = duckdb.connect(str(path))
        con.execute("DELETE FROM meta WHERE key = 'line_postings'")
        con.execute("DROP TABLE line_tombs")
        con.close()
    with Index(path) as ix:
        ix.add(rows[20:])
        _lookup_equals_shingles(ix)
        _same(ix, reprints.scan(rows, config=CONFIG))


def test_rolled_back_adds_and_stray_files_leave_no_segment_files(tmp_path):
    rows = _corpus(30, 7)
    path = tmp_path / "ix.duckdb"
    folder = folder_for(path)
    with Index(path, config=CONFIG) as ix:
        ix.add(rows[:10])
        kept = sorted(p.name for p in folder.iterdir())

        def fail(point: str) -> None:
            if point == "candidates":
                raise RuntimeError("stopped here")

        store.on_stage = fail
        try:
            with pytest.raises(RuntimeError, match="stopped here"):
                ix.add(rows[10:20])
        finally:
            store.on_stage = None
        assert sorted(p.name for p in folder.iterdir()) == kept
        stray = folder / (kept[0].split("-")[0] + "-99999999.h.npy")
        stray.write_bytes(b"left by a killed add")
        ix.add(rows[10:])
        assert not stray.exists()
        _lookup_equals_shingles(ix)
        _same(ix, reprints.scan(rows, config=CONFIG))


@pytest.mark.parametrize("seed", [4, 5])
def test_a_serving_add_reads_from_the_snapshot_the_postings_the_segments_hold(tmp_path, seed, monkeypatch):
    """Where queries are being answered, an add looks its n-grams up in the query snapshot (memory)
    instead of the segment files: at every lookup of every add (replacements, re-shingling and
    merges included) both give the same postings, and the index still equals one scan."""
    from collections import Counter

    original = store.Index._probe
    from_snapshot = []

    def both_ways(self, con, segments, grams, added, dead, ranks):
        def rows(table: str) -> Counter:
            exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?",
                                 [table]).fetchall()[0][0]
            return Counter(con.execute(f"SELECT doc, h FROM {table}").fetchall()) if exists else Counter()

        before = rows("probe_postings")
        from_snapshot.append(self._snap is not None and self._snap.version == self._version)
        original(self, con, segments, grams, added, dead, ranks)
        h, doc = self._segments.find(con, segments, grams)
        assert rows("probe_postings") - before == Counter(zip(doc.tolist(), h.tolist()))

    monkeypatch.setattr(store.Index, "_probe", both_ways)
    rng = random.Random(seed)
    rows = _corpus(90, seed)
    live: dict[str, dict] = {}
    with Index(tmp_path / "ix.duckdb", config=CONFIG) as ix:
        k = 0
        while k < len(rows):
            batch = rows[k:k + rng.randint(1, 12)]
            k += len(batch)
            if live and rng.random() < 0.4:
                old = live[rng.choice(sorted(live))]
                batch = batch + [dict(old, text=old["text"] + "\nA correction was appended to this story.")]
            ix.add(batch)
            ix.query_snapshot()  # as a server does: later adds advance it
            for r in batch:
                live.pop(r["id"], None)
                live[r["id"]] = r
        _same(ix, reprints.scan(list(live.values()), config=CONFIG))
    assert from_snapshot.count(True) >= len(from_snapshot) - 2, from_snapshot  # all but the first add's
