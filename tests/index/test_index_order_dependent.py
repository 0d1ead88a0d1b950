"""Adds under the order-dependent candidate rule recompute only the candidates they can change.

Under the default rule a frequent n-gram links each holder, in date order, to the
``frequent_links`` holders before it and to the first holder, and each document keeps its
``max_sources`` best earlier partners and its earliest (`stages/candidates.py`). An add can then
change pairs of documents it shares nothing with; the index recomputes the candidates of the
documents whose links moved and re-chooses the sources of those whose candidate rows changed.
After every add here the stored candidate tables equal the candidate SQL run over all of the
index's postings, and the pairs, passages and clusters equal one scan. Small caps (``max_df`` 3,
one or two links, two sources) make a story of a few carriers "frequent"."""

from __future__ import annotations

import random

import pytest

import reprints
from reprints.config import ScanConfig
from reprints.index import Index
from reprints.stages import candidates

CONFIG = ScanConfig().replace(
    boilerplate={"min_docs": 50},
    candidates={"max_df": 3, "common_df": 2, "min_shared": 3, "frequent_links": 1, "frequent_min_shared": 3,
                "max_sources": 2},
    align={"min_words": 8})

_rng = random.Random(18)
_WORDS = [f"w{k}" for k in range(400)]
STORY = " ".join(_rng.choice(_WORDS) for _ in range(60))


def _carrier(k: int, day: int, edits: int = 2) -> dict:
    rng = random.Random(k)
    toks = STORY.split()
    for _ in range(edits):
        toks[rng.randrange(len(toks))] = f"edit{k}x{rng.randint(0, 99)}"
    intro = " ".join(f"own{k}y{j}" for j in range(12))
    return {"id": f"c{k:03d}", "text": f"{intro}\n{' '.join(toks)}", "source": f"outlet{k % 4}",
            "date": f"2024-03-{day:02d}T{k % 24:02d}:00:00Z"}


def _other(k: int, day: int) -> dict:
    rng = random.Random(1000 + k)
    return {"id": f"o{k:03d}", "text": " ".join(f"z{rng.randint(0, 10**6)}" for _ in range(40)), "source": "wire",
            "date": f"2024-03-{day:02d}T12:00:00Z"}


def _stored(con, sql: str) -> list:
    return sorted(tuple(r) for r in con.execute(sql).fetchall())


def _check(index: Index, order: list[dict]) -> None:
    """The stored candidates equal the candidate SQL over every stored posting, and the tables
    equal one scan over the documents in index order (offsets checked against the texts)."""
    con = index.reader()
    try:
        con.execute("CREATE OR REPLACE TEMP VIEW all_ranks AS SELECT doc, date_key AS rank FROM documents")
        c = index.config.candidates
        assert _stored(con, "SELECT a, b, shared, common FROM cand_pre") == _stored(
            con, candidates.candidate_pairs_sql(c, "shingles", ranks="all_ranks"))
        assert _stored(con, "SELECT a, b, shared, common FROM cand_shared") == _stored(
            con, candidates.shared_ngram_pairs_sql(c, "shingles", ranks="all_ranks"))
    finally:
        con.close()
    got, scan = index.tables(), reprints.scan(order, config=index.config)
    for name in ("pairs", "passages", "clusters"):
        assert got[name].to_pylist() == getattr(scan, name).to_pylist(), name
    texts = {r["id"]: r["text"] for r in order}
    for p in got["passages"].to_pylist():
        assert texts[p["doc_a"]][p["begin_a"]:p["end_a"]] == p["text_a"]
        assert texts[p["doc_b"]][p["begin_b"]:p["end_b"]] == p["text_b"]


def _build(tmp_path, rows: list[dict]) -> Index:
    index = Index(tmp_path / "ix.duckdb", config=CONFIG)
    index.add(rows)
    return index


def test_adds_dated_later_than_everything_recompute_a_few_documents(tmp_path):
    """The common case: carriers arrive in date order; each add's candidate focus is the new
    document and the holders just before it, not the whole story."""
    rows = [_carrier(k, 1 + k // 4) for k in range(12)] + [_other(k, 2) for k in range(4)]
    order = list(rows)
    with _build(tmp_path, rows) as index:
        _check(index, order)
        assert index.tables()["clusters"].num_rows > 0
        for k in range(12, 18):
            row = _carrier(k, 10 + k)
            result = index.add([row])
            order.append(row)
            _check(index, order)
            assert result.candidate_focus < len(order) // 2, result.candidate_focus


def test_back_dated_add_becomes_the_first_holder(tmp_path):
    """A carrier dated before every other becomes the first holder of the story's n-grams:
    every holder's link to the first moves to it, and the origin changes."""
    rows = [_carrier(k, 5 + k // 3) for k in range(10)]
    order = list(rows)
    with _build(tmp_path, rows) as index:
        _check(index, order)
        first = _carrier(50, 1)
        index.add([first])
        order.append(first)
        _check(index, order)
        origins = {r["origin_doc_id"] for r in index.tables()["clusters"].to_pylist()}
        assert first["id"] in origins
        middle = _carrier(51, 6)  # back-dated into the middle of the story
        index.add([middle])
        order.append(middle)
        _check(index, order)


@pytest.mark.parametrize("which", [0, 4, 9])
def test_replacing_a_holder_of_a_frequent_ngram(tmp_path, which):
    """A holder of the story (the first, one in the middle, the last) is replaced by an unrelated
    text: the holders after it are linked past it, or to the new first."""
    rows = [_carrier(k, 1 + k) for k in range(10)]
    with _build(tmp_path, rows) as index:
        replaced = dict(rows[which], text=_other(which, 1)["text"])
        index.add([replaced])
        order = [r for r in rows if r["id"] != replaced["id"]] + [replaced]
        _check(index, order)
        back = dict(replaced, text=rows[which]["text"] + " and a correction")
        index.add([back])  # and back into the story, in its old place in date order
        order = [r for r in order if r["id"] != back["id"]] + [back]
        _check(index, order)


def test_an_add_pushes_earlier_partners_past_max_sources(tmp_path):
    """Documents sharing a rare passage with a late one: each new earlier-dated partner that shares
    more displaces one of its max_sources sources, though the late document itself is unchanged."""
    config = CONFIG.replace(candidates={"max_df": 20})  # every n-gram rare: partners by shared count
    late = _carrier(0, 28, edits=0)
    with Index(tmp_path / "ix.duckdb", config=config) as index:
        order = [late]
        index.add([late])
        for k, edits in enumerate([12, 9, 6, 3, 1], start=1):  # later adds share more with `late`
            row = _carrier(k, k, edits=edits)
            index.add([row])
            order.append(row)
            _check(index, order)
        con = index.reader()
        try:
            sources = con.execute("""SELECT count(*) FROM cand_shared WHERE a = 0 OR b = 0""").fetchall()[0][0]
            partners = con.execute("""SELECT count(*) FROM cand_pre WHERE a = 0 OR b = 0""").fetchall()[0][0]
        finally:
            con.close()
        assert partners == 5 and sources == 3  # two best and the earliest of five earlier partners


def test_an_index_of_the_schema_before_is_refused_with_a_message(tmp_path):
    """Schema 6 stores date keys and the candidates before selection: an index written before
    (no cand_pre table, no date keys) cannot be added to; opening it says so."""
    from reprints.index.schema import SCHEMA_VERSION, IndexError_

    path = tmp_path / "ix.duckdb"
    with Index(path, config=CONFIG) as index:
        index.add([_carrier(0, 1)])
        index.con.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
    with pytest.raises(IndexError_, match=f"schema version 5, expected {SCHEMA_VERSION}"):
        Index(path)
