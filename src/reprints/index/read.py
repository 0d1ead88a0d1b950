"""Reading the index: the tables as a scan returns them, counts, one document, one cluster.
Each function takes a cursor (its own connection) and reads the last committed state."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from reprints.index.add import CLUSTER_COLUMNS, PAIR_COLUMNS, document_arrays, local_numbers, passages_of, texts_in_order
from reprints.index.schema import arrow, one
from reprints.stages import report_tables


def tables(con) -> dict[str, pa.Table]:
    """pairs, passages and clusters as ``reprints.scan`` returns them."""
    passages = passages_of(con)
    docs = np.unique(np.concatenate([passages["a"], passages["b"]]))
    _, texts, _ = texts_in_order(con, docs)
    arr = document_arrays(con, docs)
    return {"pairs": arrow(con.execute(f"SELECT {PAIR_COLUMNS} FROM pairs ORDER BY a, b")),
            "passages": report_tables.passages_table(arr["ids"], texts, local_numbers(docs, passages)),
            "clusters": arrow(con.execute(f'SELECT {CLUSTER_COLUMNS} FROM clusters '
                                          'ORDER BY cluster_id, NOT is_origin, doc_id, "begin"'))}


def stats(con) -> dict[str, Any]:
    """Counts and the largest clusters (the caller adds path and configuration)."""
    row = one(con.execute("""SELECT (SELECT count(*) FROM documents), (SELECT coalesce(sum(length), 0) FROM documents),
        (SELECT count(*) FROM shingles), (SELECT count(*) FROM frequent), (SELECT count(*) FROM cand_shared),
        (SELECT count(*) FROM pairs), (SELECT count(*) FROM passages),
        (SELECT count(DISTINCT cluster_id) FROM clusters),
        (SELECT count(DISTINCT source) FROM documents)"""))
    kinds = dict(con.execute("SELECT kind, count(*) FROM passages GROUP BY kind ORDER BY kind").fetchall())
    top = con.execute("""SELECT cluster_id, cluster_size, cluster_docs, origin_doc_id, snippet FROM clusters
                         WHERE is_origin ORDER BY cluster_id LIMIT 5""").fetchall()
    keys = ("documents", "characters", "shingles", "boilerplate_lines", "candidate_pairs", "document_pairs",
            "passages", "clusters", "sources")
    out = {k: int(v) for k, v in zip(keys, row)}
    out["passage_kinds"] = kinds
    out["largest_clusters"] = [{"cluster_id": c, "members": s, "documents": d, "origin": o, "snippet": sn}
                               for c, s, d, o, sn in top]
    return out


def document(con, doc_id: str, with_text: bool = True) -> dict[str, Any] | None:
    """A document, its passages and its cluster spans."""
    row = one(con.execute("""SELECT doc, doc_id, source, date, url, meta, length, n_words, text FROM documents
                         WHERE doc_id = ?""", [doc_id]))
    if row is None:
        return None
    doc, _, source, date, url, meta, length, n_words, text = row
    passages = con.execute("""
        SELECT p.*, da.doc_id AS id_a, db.doc_id AS id_b FROM passages p
        JOIN documents da ON da.doc = p.a JOIN documents db ON db.doc = p.b
        WHERE p.a = ? OR p.b = ? ORDER BY p.a, p.b, p.begin_a""", [doc, doc]).df()
    clusters = con.execute("""SELECT cluster_id, "begin", "end", is_origin, origin_doc_id, cluster_size, cluster_docs
                              FROM clusters WHERE doc_id = ? ORDER BY "begin" """, [doc_id]).df()
    out_passages = []
    for p in passages.itertuples(index=False):
        mine_a = p.a == doc
        begin, end = (p.begin_a, p.end_a) if mine_a else (p.begin_b, p.end_b)
        other = p.id_b if mine_a else p.id_a
        ob, oe = (p.begin_b, p.end_b) if mine_a else (p.begin_a, p.end_a)
        out_passages.append({"begin": int(begin), "end": int(end), "other_doc_id": other, "other_begin": int(ob),
                             "other_end": int(oe), "matched_words": int(p.matched), "similarity": float(p.similarity),
                             "kind": p.kind, "cluster_id": _cluster_at(clusters, int(begin), int(end))})
    out = {"doc_id": doc_id, "source": source, "date": date, "url": url,
           "meta": json.loads(meta) if meta else None, "length": int(length), "words": int(n_words),
           "passages": out_passages,
           "clusters": [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
                        for r in clusters.to_dict("records")]}
    if with_text:
        out["text"] = text
    return out


def cluster(con, cluster_id: int) -> list[dict[str, Any]] | None:
    """The member spans of a cluster, origin first."""
    rows = arrow(con.execute(f"""SELECT {CLUSTER_COLUMNS} FROM clusters WHERE cluster_id = ?
                          ORDER BY NOT is_origin, doc_id, "begin" """, [int(cluster_id)])).to_pylist()
    return rows or None


def _cluster_at(clusters: pd.DataFrame, begin: int, end: int) -> int | None:
    """The cluster of the member span that overlaps [begin, end) most."""
    if clusters.empty:
        return None
    b = clusters["begin"].to_numpy(np.int64)
    e = clusters["end"].to_numpy(np.int64)
    overlap = np.minimum(e, end) - np.maximum(b, begin)
    k = int(np.argmax(overlap))
    return int(clusters["cluster_id"].iloc[k]) if overlap[k] > 0 else None
