"""The index's tables in its DuckDB file, and small helpers to read them."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa

#: 2: cand_shared.common (the formula test); 3: pairs with other figures dropped; 4: pairs keep
#: their document numbers (a, b), and cluster members theirs (doc) and their cluster's first segment
#: (first_doc, first_begin), so that an add rewrites only the pairs and clusters it touched; 5: words
#: of scripts without spaces cut into units, Traditional Chinese folded (stored shingles changed), and
#: cluster members' lineage (source_doc_id ... source_reason), pairs.kind (template pairs labelled,
#: not dropped); 6: documents.date_key (date order without reading every date) and cand_pre (the
#: candidate pairs before each document chooses its sources), so that an add recomputes only the
#: candidates it can change under the order-dependent rule.
SCHEMA_VERSION = 6

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    """CREATE TABLE IF NOT EXISTS documents (
        doc BIGINT PRIMARY KEY, doc_id VARCHAR UNIQUE, text VARCHAR, source VARCHAR, source_key UBIGINT,
        date VARCHAR, url VARCHAR, meta VARCHAR, input VARCHAR, warning VARCHAR,
        length BIGINT, n_words BIGINT, n_grams BIGINT, fp UBIGINT, date_key BIGINT)""",
    "CREATE TABLE IF NOT EXISTS line_keys (doc BIGINT, key UBIGINT)",
    "CREATE TABLE IF NOT EXISTS frequent (key UBIGINT)",
    "CREATE TABLE IF NOT EXISTS shingles (doc BIGINT, h UBIGINT)",
    "CREATE TABLE IF NOT EXISTS posting_tombs (doc BIGINT, seg BIGINT)",  # index/postings.py
    "CREATE TABLE IF NOT EXISTS line_tombs (doc BIGINT, seg BIGINT)",  # index/postings.py
    "CREATE TABLE IF NOT EXISTS cand_pre (a BIGINT, b BIGINT, shared BIGINT, common BIGINT)",
    "CREATE TABLE IF NOT EXISTS cand_shared (a BIGINT, b BIGINT, shared BIGINT, common BIGINT)",
    "CREATE TABLE IF NOT EXISTS cand_exact (a BIGINT, b BIGINT)",
    """CREATE TABLE IF NOT EXISTS passages (a BIGINT, b BIGINT, begin_a BIGINT, end_a BIGINT,
        begin_b BIGINT, end_b BIGINT, matched BIGINT, similarity DOUBLE, kind VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS pairs (doc_a VARCHAR, doc_b VARCHAR, jaccard DOUBLE, containment_a DOUBLE,
        containment_b DOUBLE, coverage_a DOUBLE, coverage_b DOUBLE, shared_ngrams BIGINT, passages BIGINT,
        exact_duplicate BOOLEAN, kind VARCHAR, a BIGINT, b BIGINT)""",
    """CREATE TABLE IF NOT EXISTS clusters (cluster_id BIGINT, doc_id VARCHAR, "begin" BIGINT, "end" BIGINT,
        source VARCHAR, date VARCHAR, is_origin BOOLEAN, origin_doc_id VARCHAR, cluster_size BIGINT,
        cluster_docs BIGINT, snippet VARCHAR, source_doc_id VARCHAR, source_begin BIGINT, source_end BIGINT,
        source_score DOUBLE, source_reason VARCHAR, doc BIGINT, first_doc BIGINT, first_begin BIGINT)""",
]


class IndexError_(Exception):
    """The index file cannot be used (wrong version, not an index)."""


def check_index_path(path: Path) -> None:
    """An index path is a DuckDB file or a new name: DuckDB would open a .jsonl, .csv or .parquet
    file as an in-memory database over it, and an add would then save nothing."""
    if path.is_dir():
        raise IndexError_(f"{path} is a folder, not an index file")
    if not path.exists():
        if path.parent.exists() and not path.parent.is_dir():
            raise IndexError_(f"cannot create {path}: {path.parent} is a file, not a folder")
        return
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError as error:
        raise IndexError_(f"cannot read {path}: {error.strerror}") from None
    if len(head) == 0:
        raise IndexError_(f"{path} is an empty file, not an index; remove it or give a new name")
    if head[8:12] != b"DUCK":
        raise IndexError_(f"{path} is not a reprints index (not a DuckDB file); give a new name to create one")


def arrow(cursor) -> pa.Table:
    with warnings.catch_warnings():  # DuckDB 2 notes the copy; results here are small or needed whole
        warnings.simplefilter("ignore", UserWarning)
        return cursor.to_arrow_table()


def one(cursor) -> tuple | None:
    """The first row, reading the whole result (DuckDB 2 keeps a connection busy otherwise)."""
    rows = cursor.fetchall()
    return rows[0] if rows else None


def docs_table(docs) -> pa.Table:
    """Document numbers as a one-column Arrow table ``doc``, to register and join with."""
    return pa.table({"doc": pa.array(np.asarray(docs, dtype=np.int64), pa.int64())})
