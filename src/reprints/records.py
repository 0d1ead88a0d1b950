"""The records reprints reads and writes, and the Arrow schemas of its output tables.

Ids are the user's own ``doc_id`` strings, never row positions. Every span is
``(doc_id, begin, end)`` in code points of the document's text as the user gave it, so
``text[begin:end]`` is the passage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa


def doc_id_problem(doc_id: str) -> str | None:
    """Why ``doc_id`` cannot be a document id, or None when it can: the one rule every reader,
    the index and the service apply. An id is a non-empty string of at most 1,000 code points,
    not "." or ".." (which URL clients remove from a path),
    with no control characters (a newline or tab could not be written in a URL path, a CSV
    cell or a log line and be read back as the same id) and no lone surrogates (not UTF-8)."""
    if not isinstance(doc_id, str) or not doc_id.strip():
        return "empty id"
    if doc_id in (".", ".."):
        return f"id {doc_id!r} cannot be a URL path segment (GET /documents/{doc_id} would lose it)"
    if len(doc_id) > 1000:
        return f"id longer than 1,000 characters ({len(doc_id):,})"
    for ch in doc_id:
        code = ord(ch)
        if code < 0x20 or 0x7F <= code < 0xA0:
            return f"id contains the control character U+{code:04X}"
        if 0xD800 <= code < 0xE000:
            return f"id contains the lone surrogate U+{code:04X}"
    return None


@dataclass
class Document:
    doc_id: str
    text: str
    source: str | None = None
    date: str | None = None
    url: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    origin: str = ""  # where it was read: "file", "file:line", "file#row"
    warning: str | None = None  # kept, but something about it was repaired (e.g. bad UTF-8)


@dataclass
class Skip:
    """Input that did not become a document, and why."""

    origin: str
    reason: str
    doc_id: str | None = None


def skip_reason_key(reason: str) -> str:
    """A `Skip`'s reason as a summary counts it: a repeated id's without where it was first read
    (`io.readers` writes "duplicate id (first read from …)")."""
    return reason.split(" (first read")[0]


DOCUMENTS = pa.schema([
    ("doc_id", pa.string()),
    ("source", pa.string()),
    ("date", pa.string()),
    ("url", pa.string()),
    ("length", pa.int64()),
    ("words", pa.int64()),
    ("input", pa.string()),
    ("skip_reason", pa.string()),
    ("warning", pa.string()),
    ("meta", pa.string()),
])

PAIRS = pa.schema([
    ("doc_a", pa.string()),
    ("doc_b", pa.string()),
    ("jaccard", pa.float64()),
    ("containment_a", pa.float64()),
    ("containment_b", pa.float64()),
    ("coverage_a", pa.float64()),
    ("coverage_b", pa.float64()),
    ("shared_ngrams", pa.int64()),
    ("passages", pa.int64()),
    ("exact_duplicate", pa.bool_()),
    ("kind", pa.string()),  # "reprint", or "template": every passage of the pair is a filled-in template
])

PASSAGES = pa.schema([
    ("passage_id", pa.int64()),
    ("doc_a", pa.string()),
    ("begin_a", pa.int64()),
    ("end_a", pa.int64()),
    ("doc_b", pa.string()),
    ("begin_b", pa.int64()),
    ("end_b", pa.int64()),
    ("matched_words", pa.int64()),
    ("similarity", pa.float64()),
    ("kind", pa.string()),
    ("text_a", pa.string()),
    ("text_b", pa.string()),
])

CLUSTER_MEMBERS = pa.schema([
    ("cluster_id", pa.int64()),
    ("doc_id", pa.string()),
    ("begin", pa.int64()),
    ("end", pa.int64()),
    ("source", pa.string()),
    ("date", pa.string()),
    ("is_origin", pa.bool_()),
    ("origin_doc_id", pa.string()),
    ("cluster_size", pa.int64()),
    ("cluster_docs", pa.int64()),
    ("snippet", pa.string()),
])

# clusters.parquet: each member with its most likely source ("who took it from whom",
# `stages.cluster.choose_sources`): the span of the earlier dated member sharing the most words
# with it (``source_score``: those words, matched words × similarity summed over the passages
# between the two); null with ``source_reason`` for the origin, undated members and members no
# earlier dated member shares text with.
CLUSTERS = pa.schema(list(CLUSTER_MEMBERS) + [
    ("source_doc_id", pa.string()),
    ("source_begin", pa.int64()),
    ("source_end", pa.int64()),
    ("source_score", pa.float64()),
    ("source_reason", pa.string()),
])


# --- Hand-off tables between stages (documents by number 0..n-1 in read order) --------------
# Every engine and the index pass these between stages; Spark declares its DataFrames from them
# (`spark_ddl`). Hashes are uint64 here; Spark carries them as long with the same bits.

# `stages.candidates.exact_wins_sql`: one row per candidate pair, a < b.
CANDIDATE_PAIRS = pa.schema([
    ("a", pa.int64()),
    ("b", pa.int64()),
    ("exact", pa.bool_()),  # exact duplicates (aligned whole; they win over shared n-grams)
    ("shared", pa.int64()),  # n-grams the two share (rare, and frequent ones linking them)
    ("common", pa.int64()),  # of those, how many are common phrasing (`formula.formula_prone`)
])

# `engines.tasks.align_pairs`: one row per aligned passage, offsets into the texts as given.
ALIGNED_PASSAGES = pa.schema([
    ("a", pa.int64()),
    ("b", pa.int64()),
    ("begin_a", pa.int64()),
    ("end_a", pa.int64()),
    ("begin_b", pa.int64()),
    ("end_b", pa.int64()),
    ("matched", pa.int64()),
    ("similarity", pa.float64()),
    ("kind", pa.string()),
])

_SPARK_TYPES = {pa.string(): "string", pa.int64(): "long", pa.uint64(): "long", pa.float64(): "double",
                pa.bool_(): "boolean", pa.int32(): "int"}


def spark_ddl(schema: pa.Schema) -> str:
    """A schema as the DDL string Spark's ``mapInArrow`` takes (uint64 as long, same bits)."""
    return ", ".join(f"{f.name} {_SPARK_TYPES[f.type]}" for f in schema)
