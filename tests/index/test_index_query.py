"""``Index.query`` answers from an in-memory snapshot and cached candidate words; these tests
compare it with a straightforward reference that reads everything from DuckDB and tokenises
every candidate afresh (the implementation before the snapshot), and check that every kind of
add (new documents, replaced texts, boilerplate that changes) makes queries see the new state."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from reprints.config import ScanConfig
from reprints.index import Index
from reprints.index.store import _cluster_at
from reprints.stages import align as align_stage
from reprints.stages import boilerplate, formula, shingle
from reprints.stages.normalise import string_key, tokenize

from test_index_store import _templated_corpus


def reference_query(index: Index, text: str, source: str | None = None, limit: int = 10) -> dict:
    config = index.config
    con = index.reader()
    try:
        frequent = np.sort(con.execute("SELECT key FROM frequent").df()["key"].to_numpy().astype(np.uint64))
        tokens = tokenize([text])
        mask = boilerplate.boilerplate_mask(tokens, np.array([string_key(source)], np.uint64), frequent,
                                            config.boilerplate)
        _, grams = shingle.document_shingles(tokens, config.shingle.ngram, mask)
        grams = np.unique(grams)
        n_words = len(tokens.hashes)
        shared, prone = {}, set()
        if len(grams):
            con.register("q", pa.table({"h": pa.array(grams, pa.uint64())}))
            c = config.candidates
            # The query as the newest document: rare n-grams pair it with every holder, frequent ones
            # link it to their last frequent_links holders in date order and to their first.
            rows = con.execute(f"""
                WITH df AS (SELECT h, count(*) + 1 AS df FROM shingles GROUP BY h),
                held AS (SELECT s.doc, s.h, df.df, d.date_key,
                                row_number() OVER (PARTITION BY s.h ORDER BY d.date_key, s.doc) AS pos,
                                row_number() OVER (PARTITION BY s.h ORDER BY d.date_key DESC, s.doc DESC) AS back
                         FROM shingles s JOIN q USING (h) JOIN df USING (h) JOIN documents d USING (doc)),
                counted AS (SELECT doc, df > {c.common_df} AS common, df <= {c.max_df} AS rare FROM held
                            WHERE df <= {c.max_df} OR back <= {c.frequent_links} OR (pos = 1 AND {c.frequent_links} > 0))
                SELECT doc, count(*), count(CASE WHEN common THEN 1 END) FROM counted GROUP BY doc
                HAVING count(CASE WHEN rare THEN 1 END) >= {c.min_shared}
                    OR count(CASE WHEN NOT rare THEN 1 END) >= {c.frequent_min_shared}""").fetchall()
            con.unregister("q")
            shared = {doc: n for doc, n, _ in rows}
            prone = {doc for doc, n, common in rows if common >= config.pairs.formula_share * n > 0}
        exact = set()
        if n_words >= config.shingle.ngram:
            fp = int(shingle.document_fingerprints(tokens)[0])
            exact = {r[0] for r in con.execute("SELECT doc FROM documents WHERE fp = ? AND n_words >= ?",
                                               [fp, config.shingle.ngram]).fetchall()}
            if len(exact) + 1 > config.candidates.max_df:
                exact = {min(exact)}
        q_words = align_stage.DocWords.from_tokens(tokens, mask)
        matches = []
        ranked = sorted(set(shared) | exact, key=lambda d: (d not in exact, -shared.get(d, 0), d))
        for doc in ranked[:limit]:
            doc_id, dtext, dkey, dsource, ddate = con.execute(
                "SELECT doc_id, text, source_key, source, date FROM documents WHERE doc = ?", [doc]).fetchone()
            dt = tokenize([dtext])
            dmask = boilerplate.boilerplate_mask(dt, np.array([dkey], np.uint64), frequent, config.boilerplate)
            d_words = align_stage.DocWords.from_tokens(dt, dmask)
            if doc in exact:
                m = align_stage.whole_document_match(d_words, q_words)
                found = [m] if m else []
            else:  # the scan's one rule for templates (labelled "template" by default)
                found = formula.align_unless_formula(d_words, q_words, dtext, text, doc in prone, config)
            if not found:
                continue
            clusters = con.execute('SELECT cluster_id, "begin", "end" FROM clusters WHERE doc_id = ?', [doc_id]).df()
            matches.append({"doc_id": doc_id, "source": dsource, "date": ddate,
                            "shared_ngrams": int(shared.get(doc, 0)), "exact_duplicate": doc in exact,
                            "passages": [{
                                "begin": m.b_begin, "end": m.b_end, "doc_begin": m.a_begin, "doc_end": m.a_end,
                                "matched_words": m.matched_words, "similarity": m.similarity, "kind": m.kind,
                                "text": text[m.b_begin:m.b_end],
                                "cluster_id": _cluster_at(clusters, m.a_begin, m.a_end)} for m in found]})
        ids = sorted({p["cluster_id"] for m in matches for p in m["passages"] if p["cluster_id"] is not None})
        clusters = [dict(zip(("cluster_id", "members", "documents", "origin_doc_id", "origin_source", "origin_date",
                              "origin_begin", "origin_end"), con.execute(
            """SELECT cluster_id, cluster_size, cluster_docs, doc_id, source, date, "begin", "end" FROM clusters
               WHERE cluster_id = ? AND is_origin""", [cid]).fetchone())) for cid in ids]
    finally:
        con.close()
    return {"length": len(text), "words": n_words, "candidates": len(ranked), "limit": limit,
            "documents": len(matches), "matches": matches, "clusters": clusters}


def _queries(rows: list[dict]) -> list[tuple[str, str | None]]:
    out = []
    for k, r in enumerate(rows):
        text = r["text"]
        out.append((text, r.get("source")))
        out.append(("Breaking, from our wires.\n\n" + text[: len(text) // 2], None))
        if k % 3 == 0:
            out.append((text[len(text) // 3:] + "\n" + rows[(k + 1) % len(rows)]["text"][:400], r.get("source")))
    return out


def _same(index: Index, queries) -> int:
    matched = 0
    for text, source in queries:
        got = index.query(text, source)
        assert got == reference_query(index, text, source), (text[:80], source)
        matched += got["documents"]
    return matched


def test_query_equals_reference_across_adds(tmp_path, wire_rows):
    queries = _queries(wire_rows)
    with Index(tmp_path / "ix.duckdb") as index:
        index.add(wire_rows[:7])
        _same(index, queries)  # builds the snapshot and caches candidates' words
        index.add(wire_rows[7:])  # rebuilt after the add
        assert _same(index, queries) > 0
        # A replaced text under a known id: its cached words must not be reused.
        target = wire_rows[0]
        changed = dict(target, text="An entirely new text for this id. " * 5 + target["text"][500:])
        assert index.add([changed]).replaced == [target["id"]]
        _same(index, queries + [(changed["text"], None)])
    # Read-only, freshly opened: the same answers.
    with Index(tmp_path / "ix.duckdb", read_only=True) as index:
        _same(index, queries)


def test_query_sees_boilerplate_that_changes_with_an_add(tmp_path):
    config = ScanConfig().replace(boilerplate={"min_docs": 3}, candidates={"max_df": 6})
    rows = _templated_corpus(14)
    queries = [(r["text"], r["source"]) for r in rows] + [(r["text"], None) for r in rows[::4]]
    with Index(tmp_path / "ix.duckdb", config=config) as index:
        index.add(rows[:4])
        _same(index, queries)
        index.add(rows[4:9])  # the sign-off becomes boilerplate: masks of cached words change
        assert index.stats()["boilerplate_lines"] > 0
        _same(index, queries)
        index.add(rows[9:])
        _same(index, queries)


def test_query_after_add_sees_new_document(tmp_path, wire_rows):
    with Index(tmp_path / "ix.duckdb") as index:
        index.add(wire_rows[1:])
        text = wire_rows[0]["text"]
        assert wire_rows[0]["id"] not in {m["doc_id"] for m in index.query(text)["matches"]}
        snapshot = index._snap
        index.add(wire_rows[:1])
        assert index._snap is not snapshot and index._snap.version == index._version
        assert wire_rows[0]["id"] in {m["doc_id"] for m in index.query(text)["matches"]}
        # re-adding known documents unchanged writes nothing: the snapshot stays
        snapshot = index._snap
        assert index.add(wire_rows[:3]).unchanged == [r["id"] for r in wire_rows[:3]]
        assert index._snap is snapshot and index.query(text) == reference_query(index, text)
