"""An add touches only what its documents can change, and the index still equals one scan.

The corpora are built so that every incremental rule is exercised: n-grams whose document
frequency crosses ``max_df`` and ``common_df`` as documents arrive (pairs of older documents
lose or change candidates), exact-duplicate groups that grow past ``max_df`` (a star), lines
that become boilerplate (older documents re-shingled), and documents replaced by another text
(what they held leaves with them)."""

from __future__ import annotations

import random

import pytest

import reprints
from reprints.config import ScanConfig
from reprints.index import Index

CONFIG = ScanConfig().replace(boilerplate={"min_docs": 3}, candidates={"max_df": 5, "common_df": 3, "min_shared": 3},
                              align={"min_words": 12})


def _corpus(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    words = ("harbour strike union vessel cargo minister river flood warning bank rate percent market shares "
             "council vote budget school road bridge rail storm").split()

    def phrase(k: int) -> str:
        return " ".join(rng.choice(words) + str(rng.randint(0, 99)) for _ in range(k))

    stories = [phrase(40) for _ in range(5)]
    formula = phrase(8)  # a phrase in many documents: crosses common_df, then max_df
    rows = []
    for k in range(n):
        kind = rng.random()
        if kind < 0.15 and rows:  # an exact duplicate of an earlier document
            text = rng.choice(rows)["text"]
        else:
            story = rng.choice(stories)
            toks = story.split()
            for _ in range(rng.randint(0, 3)):
                toks[rng.randrange(len(toks))] = "edit" + str(rng.randint(0, 9))
            parts = [phrase(rng.randint(10, 30)), " ".join(toks[rng.randint(0, 10):])]
            if rng.random() < 0.6:
                parts.insert(rng.randint(0, 2), formula)
            parts.append("Subscribe to the Courier for more")  # becomes boilerplate of its source
            text = "\n".join(parts)
        rows.append({"id": f"d{k:03d}", "text": text, "source": "Courier" if k % 3 else "Gazette",
                     "date": f"2024-02-{1 + k % 28:02d}"})
    return rows


def _same(index: Index, scan: reprints.Result) -> None:
    got = index.tables()
    for name in ("pairs", "passages", "clusters"):
        assert got[name].to_pylist() == getattr(scan, name).to_pylist(), name


# The candidate rules an add handles: the default (frequent n-grams linked in date order, each
# document's max_sources earlier partners: order-dependent, candidates over every posting) and the
# pairs-of-one-n-gram rule (candidates only for the focus of the add).
RULES = {"order-dependent": CONFIG,
         "one-ngram": CONFIG.replace(candidates={"frequent_links": 0, "max_sources": 0})}


@pytest.mark.parametrize("rule", sorted(RULES))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_batches_with_replacements_equal_one_scan(tmp_path, seed, rule):
    config = RULES[rule]
    rng = random.Random(seed)
    rows = _corpus(36, seed)
    order: list[dict] = []  # the documents as one scan would read them: a replaced one is read last
    with Index(tmp_path / "ix.duckdb", config=config) as index:
        at = 0
        while at < len(rows):
            size = rng.choice([1, 1, 2, 5, 9])
            batch = rows[at:at + size]
            at += size
            if order and rng.random() < 0.3:  # replace an indexed document with another text
                old = rng.choice(order)
                new = dict(old, text=rng.choice(rows)["text"] + "\nA correction was added to this story")
                batch = batch + [new]
                order = [r for r in order if r["id"] != old["id"]]
            result = index.add(batch)
            order.extend(batch)
            scan = reprints.scan(order, config=config)
            _same(index, scan)
            assert result.documents == len(order)
    assert scan.passages.num_rows > 0 and scan.clusters.num_rows > 0
    assert any(r["exact_duplicate"] for r in scan.pairs.to_pylist())


def test_an_ngram_crossing_max_df_drops_older_pairs(tmp_path):
    """Two older documents paired only by an n-gram run stop being a pair once the run is in more
    than max_df documents: the add of unrelated documents changes an older pair."""
    config = ScanConfig().replace(candidates={"max_df": 3, "min_shared": 3}, align={"min_words": 5})
    shared = "the quick brown fox jumps over the lazy dog near the river bank today"
    rows = [{"id": f"o{k}", "text": f"{shared} " + " ".join(f"w{k}x{j}" for j in range(20))}
            for k in range(2)]
    later = [{"id": f"n{k}", "text": f"unrelated lead {k} {shared} " + " ".join(f"v{k}y{j}" for j in range(20))}
             for k in range(3)]
    with Index(tmp_path / "ix.duckdb", config=config) as index:
        index.add(rows)
        assert index.tables()["pairs"].num_rows == 1
        index.add(later)
        _same(index, reprints.scan(rows + later, config=config))
        assert index.tables()["pairs"].num_rows == 0


def _snapshot_state(snap) -> dict:
    hashes, docs = snap.postings()
    return {"frequent": snap.frequent.tolist(), "postings": list(zip(hashes.tolist(), docs.tolist())),
            "doc_ids": list(snap.doc_ids), "sources": list(snap.sources), "dates": list(snap.dates),
            "texts": list(snap.texts), "source_keys": snap.source_keys.tolist(),
            "by_fingerprint": {fp: sorted(group) for fp, group in snap.by_fingerprint.items()},
            "clusters": {d: snap.cluster_spans(d) for d in range(len(snap.doc_ids))},
            "cluster_info": {c: snap.cluster_info(c) for c in range(len(snap.doc_ids) * 4)},
            "date_keys": snap.date_keys.tolist()}


@pytest.mark.parametrize("compact", ["never", "always"])
@pytest.mark.parametrize("seed", [4, 5])
def test_query_snapshot_advanced_by_an_add_equals_one_loaded_whole(tmp_path, seed, compact, monkeypatch):
    """Where queries are answered, an add advances their snapshot by the documents it changed
    (their base postings dead, their new ones in the delta, merged into the base when the delta
    grows; entries re-read); its postings, entries and answers must equal the snapshot loaded
    from the file."""
    from reprints.index.snapshot import Snapshot

    monkeypatch.setattr(Snapshot, "COMPACT_SHARE", 1e9 if compact == "never" else 0.0)
    rng = random.Random(seed)
    rows = _corpus(30, seed)
    with Index(tmp_path / "ix.duckdb", config=CONFIG) as index:
        index.add(rows[:6])
        index.query_snapshot()  # as the server does: from now on each add builds the next one
        at, advanced = 6, 0
        while at < len(rows):
            size = rng.choice([1, 3, 7])
            batch = rows[at:at + size]
            at += size
            if rng.random() < 0.4:
                old = rng.choice(rows[:at - size])
                batch = batch + [dict(old, text=rng.choice(rows)["text"] + "\nUpdated at noon")]
            before = index._snap.version
            index.add(batch)
            snap = index._snap
            assert snap.version == before + 1
            advanced += 1
            con = index.reader()
            try:
                whole = Snapshot.load(con, snap.version, CONFIG)
            finally:
                con.close()
            assert _snapshot_state(snap) == _snapshot_state(whole)
            if compact == "always":
                assert len(snap.delta_h) == 0 and len(snap.dead) == 0
            else:
                assert len(snap.dead) > 0  # the documents changed since the load
            text = rng.choice(rows[:at])["text"]
            assert snap.query(text) == whole.query(text)
        assert advanced >= 3
