"""Turn engine output (document indices, offsets) into the four user-facing tables.

Pairs get Jaccard and containment from shared n-gram counts and coverage from the union of
their passages; clusters come from `stages.cluster`. Every table speaks in the user's
``doc_id`` strings and code-point offsets into the texts as given.
"""

from __future__ import annotations

import datetime
import json
import re
import warnings as warnings_module
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from reprints import records
from reprints.config import ScanConfig
from reprints.records import Document, Skip
from reprints.stages import cluster
from reprints.stages.arrays import unique_pairs
from reprints.stages.formula import TEMPLATE

_WS = re.compile(r"\s+")


@dataclass
class Tables:
    documents: pa.Table
    pairs: pa.Table
    passages: pa.Table
    clusters: pa.Table


def _to_seconds(parsed: pd.Series) -> np.ndarray:
    return parsed.dt.tz_localize(None).to_numpy().astype("datetime64[s]")


def _guess_format(values: pd.Series) -> str | None:
    from pandas.tseries.api import guess_datetime_format

    for value in values.head(1).astype(str):
        # The guesser does not know upper-case month names ("26-FEB-1987"); parsing does.
        return guess_datetime_format(value) or guess_datetime_format(value.title())
    return None


def _iso_outside_pandas_range(values: list[str | None], out: np.ndarray) -> None:
    """Fill in ISO 8601 dates that pandas 2 cannot hold (before 1677 or after 2262: its
    timestamps are nanoseconds; pandas 3 parses them itself), in place."""
    for i in np.flatnonzero(np.isnat(out)).tolist():
        value = values[i]
        if not isinstance(value, str):
            continue
        try:
            moment = datetime.datetime.fromisoformat(value.strip())
        except ValueError:
            continue
        if moment.tzinfo is not None:
            moment = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        out[i] = np.datetime64(moment.replace(microsecond=0), "s")


def parse_dates(values: list[str | None]) -> tuple[np.ndarray, list[str | None]]:
    """datetime64[s] per value (NaT where absent or unreadable), and a warning per value.

    ISO 8601 first (fast); anything else is tried as a free-form date ("26-FEB-1987 15:01").
    Time zones are converted to UTC; dates without one are taken as UTC.
    """
    series = pd.Series(values, dtype="object")
    out = _to_seconds(pd.to_datetime(series, errors="coerce", utc=True, format="ISO8601"))
    # Then one format guessed from the data and applied to all (fast), then each on its own.
    for fmt in (_guess_format(series[np.isnat(out) & series.notna().to_numpy()]), "mixed"):
        if fmt is None:
            continue
        retry = np.isnat(out) & series.notna().to_numpy()
        if not retry.any():
            break
        with warnings_module.catch_warnings():
            warnings_module.simplefilter("ignore")
            out[retry] = _to_seconds(pd.to_datetime(series[retry], errors="coerce", utc=True, format=fmt))
    _iso_outside_pandas_range(values, out)
    warnings = [
        f"date '{v}' not understood; treated as undated" if v is not None and bad else None
        for v, bad in zip(values, np.isnat(out).tolist())
    ]
    return out, warnings


def snippet(text: str, limit: int = 160) -> str:
    """The start of ``text`` with whitespace runs made single spaces, cut to ``limit``
    characters with an ellipsis. Reads only as much of a long text as it needs."""
    size = max(2 * limit, 64)
    while True:
        flat = _WS.sub(" ", text[:size]).strip()
        if len(flat) > limit:
            return flat[: limit - 1].rstrip() + "…"
        if size >= len(text):
            return flat
        size *= 4


def documents_table(docs: list[Document], skips: list[Skip], n_words: np.ndarray,
                    date_warnings: list[str | None], lengths: list[int] | None = None) -> pa.Table:
    """One row per document read (its words counted), then one per input skipped (with why).
    ``lengths``: the documents' text lengths, where their texts are not at hand (Spark)."""
    none = [None] * len(skips)
    columns = {
        "doc_id": [d.doc_id for d in docs] + [s.doc_id for s in skips],
        "source": [d.source for d in docs] + none,
        "date": [d.date for d in docs] + none,
        "url": [d.url for d in docs] + none,
        "length": ([len(d.text) for d in docs] if lengths is None else list(lengths)) + none,
        "words": n_words.tolist() + none,
        "input": [d.origin for d in docs] + [s.origin for s in skips],
        "skip_reason": [None] * len(docs) + [s.reason for s in skips],
        "warning": ["; ".join(w for w in (d.warning, dw) if w) or None for d, dw in zip(docs, date_warnings)] + none,
        "meta": [json.dumps(d.meta, ensure_ascii=False) if d.meta else None for d in docs] + none,
    }
    return pa.table(columns, schema=records.DOCUMENTS)


def _coverage(key: np.ndarray, begin: np.ndarray, end: np.ndarray, n_keys: int) -> np.ndarray:
    """Characters covered by the union of spans, per key."""
    covered = np.zeros(n_keys, dtype=np.int64)
    if len(key):
        _, seg_key, seg_begin, seg_end = cluster.merge_spans(key, begin, end)
        np.add.at(covered, seg_key, seg_end - seg_begin)
    return covered


def pairs_table(ids: np.ndarray, lengths: np.ndarray, n_grams: np.ndarray, candidates: dict, passages: dict,
                config: ScanConfig) -> pa.Table:
    """The pairs of ``candidates`` (one row per pair: a, b, exact, shared, as
    `stages.candidates.exact_wins_sql` gives them) that have a passage, are exact duplicates or
    near-duplicates by Jaccard, with their measures."""
    a, b = np.asarray(candidates["a"], dtype=np.int64), np.asarray(candidates["b"], dtype=np.int64)
    exact_dup = np.asarray(candidates["exact"], dtype=bool)
    shared_ngrams = np.asarray(candidates["shared"], dtype=np.int64)
    na, nb, s = n_grams[a].astype(float), n_grams[b].astype(float), shared_ngrams.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        jaccard = np.where(na + nb - s > 0, s / (na + nb - s), 0.0)
        cont_a = np.where(na > 0, s / na, 0.0)
        cont_b = np.where(nb > 0, s / nb, 0.0)
    jaccard[exact_dup], cont_a[exact_dup], cont_b[exact_dup] = 1.0, 1.0, 1.0

    # Coverage: union of each pair's passage spans on each side.
    n = len(a)
    pair_index = pd.Series(np.arange(n), index=pd.MultiIndex.from_arrays([a, b]))
    n_pass = np.zeros(n, dtype=np.int64)
    n_template = np.zeros(n, dtype=np.int64)
    cov_a = np.zeros(n)
    cov_b = np.zeros(n)
    if len(passages["a"]):
        p = pair_index.reindex(pd.MultiIndex.from_arrays([passages["a"], passages["b"]])).to_numpy()
        p = p.astype(np.int64)
        np.add.at(n_pass, p, 1)
        if "kind" in passages:
            np.add.at(n_template, p, np.asarray(passages["kind"], dtype=object) == TEMPLATE)
        cov_a = _coverage(p, passages["begin_a"], passages["end_a"], n) / np.maximum(lengths[a], 1)
        cov_b = _coverage(p, passages["begin_b"], passages["end_b"], n) / np.maximum(lengths[b], 1)

    keep = (n_pass > 0) | exact_dup | (jaccard >= config.pairs.near_duplicate_jaccard)
    table = pa.table({
        "doc_a": pa.array(ids[a[keep]], pa.string()),
        "doc_b": pa.array(ids[b[keep]], pa.string()),
        "jaccard": np.round(jaccard[keep], 4), "containment_a": np.round(cont_a[keep], 4),
        "containment_b": np.round(cont_b[keep], 4), "coverage_a": np.round(cov_a[keep], 4),
        "coverage_b": np.round(cov_b[keep], 4), "shared_ngrams": shared_ngrams[keep],
        "passages": n_pass[keep], "exact_duplicate": exact_dup[keep],
        "kind": pa.array(np.where((n_pass > 0) & (n_template == n_pass), TEMPLATE, "reprint")[keep], pa.string()),
    })
    return table.cast(records.PAIRS)


def passages_table(ids: np.ndarray, texts: list[str], passages: dict) -> pa.Table:
    a, b = passages["a"], passages["b"]
    order = np.lexsort((passages["begin_b"], b, passages["begin_a"], a))
    cols = {k: v[order] for k, v in passages.items()}
    text_a = [texts[d][s:e] for d, s, e in zip(cols["a"].tolist(), cols["begin_a"].tolist(), cols["end_a"].tolist())]
    text_b = [texts[d][s:e] for d, s, e in zip(cols["b"].tolist(), cols["begin_b"].tolist(), cols["end_b"].tolist())]
    return pa.table({
        "passage_id": np.arange(len(order), dtype=np.int64),
        "doc_a": pa.array(ids[cols["a"]], pa.string()), "begin_a": cols["begin_a"], "end_a": cols["end_a"],
        "doc_b": pa.array(ids[cols["b"]], pa.string()), "begin_b": cols["begin_b"], "end_b": cols["end_b"],
        "matched_words": cols["matched"], "similarity": cols["similarity"],
        "kind": pa.array(cols["kind"].tolist(), pa.string()),
        "text_a": pa.array(text_a, pa.string()), "text_b": pa.array(text_b, pa.string()),
    }, schema=records.PASSAGES)


def reprint_passages(passages: dict) -> dict:
    """The passages that make reprint clusters: all but those of filled-in templates (kind
    "template", `stages.formula.classify`)."""
    if "kind" not in passages or not len(passages["kind"]):
        return passages
    keep = np.asarray(passages["kind"], dtype=object) != TEMPLATE
    return passages if keep.all() else {k: np.asarray(v)[keep] for k, v in passages.items()}


def clusters_table(ids: np.ndarray, texts: list[str], sources: list[str | None], raw_dates: list[str | None],
                   dates: np.ndarray, passages: dict, lineage: bool = False) -> pa.Table:
    """One row per member span of a reprint cluster (`records.CLUSTER_MEMBERS`); with
    ``lineage`` (which needs the passages' ``matched`` words and ``similarity``) also each member's most likely
    source (`records.CLUSTERS`, `cluster.choose_sources`)."""
    schema = records.CLUSTERS if lineage else records.CLUSTER_MEMBERS
    passages = reprint_passages(passages)
    docs = np.concatenate([passages["a"], passages["b"]]).astype(np.int64)
    begins = np.concatenate([passages["begin_a"], passages["begin_b"]]).astype(np.int64)
    ends = np.concatenate([passages["end_a"], passages["end_b"]]).astype(np.int64)
    if len(docs) == 0:
        return schema.empty_table()
    segment, seg_doc, seg_begin, seg_end = cluster.merge_spans(docs, begins, ends)
    half = len(passages["a"])
    component = cluster.connected_components(len(seg_doc), segment[:half], segment[half:])
    origin = cluster.choose_origins(component, dates[seg_doc], seg_end - seg_begin, seg_doc)
    if lineage:
        ranks = cluster.date_ranks(dates)[seg_doc]
        source, shared, reasons = cluster.choose_sources(
            ranks, ~np.isnat(dates[seg_doc]), origin == np.arange(len(seg_doc)), segment[:half], segment[half:],
            cluster.shared_words(passages["matched"], passages["similarity"]))

    # Stable cluster ids: larger clusters first, then by their smallest segment.
    n_seg = len(seg_doc)
    size = np.bincount(component, minlength=n_seg)
    docs_per = np.bincount(unique_pairs(component, seg_doc)[0], minlength=n_seg)
    roots = np.unique(component)
    ranked = roots[np.lexsort((roots, -size[roots]))]
    cluster_id = np.zeros(n_seg, dtype=np.int64)
    cluster_id[ranked] = np.arange(len(ranked))

    rows = []
    for s in range(len(seg_doc)):
        c = int(component[s])
        d = int(seg_doc[s])
        o = int(origin[s])
        row = {
            "cluster_id": int(cluster_id[c]), "doc_id": str(ids[d]), "begin": int(seg_begin[s]), "end": int(seg_end[s]),
            "source": sources[d], "date": raw_dates[d], "is_origin": o == s,
            "origin_doc_id": str(ids[seg_doc[o]]), "cluster_size": int(size[c]), "cluster_docs": int(docs_per[c]),
            "snippet": snippet(texts[d][seg_begin[s]: seg_end[s]]),
        }
        if lineage:
            row.update(lineage_row(s, source, shared, reasons, ids, seg_doc, seg_begin, seg_end))
        rows.append(row)
    rows.sort(key=lambda r: (r["cluster_id"], not r["is_origin"], r["doc_id"], r["begin"]))
    return pa.Table.from_pylist(rows, schema=schema)


def lineage_row(member: int, source: np.ndarray, shared: np.ndarray, reasons: list[str | None], ids: np.ndarray,
                seg_doc: np.ndarray, seg_begin: np.ndarray, seg_end: np.ndarray) -> dict[str, Any]:
    """The lineage columns of one cluster member (`cluster.choose_sources`' answer for it)."""
    t = int(source[member])
    if t < 0:
        return {"source_doc_id": None, "source_begin": None, "source_end": None, "source_score": None,
                "source_reason": reasons[member]}
    return {"source_doc_id": str(ids[seg_doc[t]]), "source_begin": int(seg_begin[t]), "source_end": int(seg_end[t]),
            "source_score": float(shared[member]), "source_reason": None}


def run_summary(documents: pa.Table, pairs: pa.Table, passages: pa.Table, clusters: pa.Table,
                boilerplate_lines: int, candidate_pairs: int, timings: dict[str, float], wall: float) -> dict[str, Any]:
    """The summary of a run, from its four tables (the same for every engine)."""
    skipped = documents.filter(documents.column("skip_reason").is_valid())
    reasons: dict[str, int] = {}
    for reason in skipped.column("skip_reason").to_pylist():
        key = records.skip_reason_key(reason)
        reasons[key] = reasons.get(key, 0) + 1
    kinds: dict[str, int] = {}
    for k in passages.column("kind").to_pylist():
        kinds[k] = kinds.get(k, 0) + 1
    sizes, top = [], []
    if clusters.num_rows:
        sizes = np.bincount(clusters.column("cluster_id").to_numpy()).tolist()
        top = [{"cluster_id": r["cluster_id"], "members": r["cluster_size"], "documents": r["cluster_docs"],
                "origin": r["origin_doc_id"], "date": r["date"], "snippet": r["snippet"]}
               for r in clusters.filter(clusters.column("is_origin")).slice(0, 5).to_pylist()]
    return {
        "documents_read": documents.num_rows - skipped.num_rows,
        "documents_skipped": skipped.num_rows,
        "skip_reasons": reasons,
        "skipped": [{"input": r["input"], "doc_id": r["doc_id"], "reason": r["skip_reason"]}
                    for r in skipped.slice(0, 20).to_pylist()],
        "documents_with_warnings": sum(1 for w in documents.column("warning").to_pylist() if w),
        "characters": int(sum(x for x in documents.column("length").to_pylist() if x)),
        "boilerplate_lines": int(boilerplate_lines),
        "candidate_pairs": int(candidate_pairs),
        "document_pairs": pairs.num_rows,
        "exact_duplicate_pairs": int(sum(pairs.column("exact_duplicate").to_pylist())),
        "template_pairs": int(sum(k == TEMPLATE for k in pairs.column("kind").to_pylist())),
        "passages": passages.num_rows,
        "passage_kinds": kinds,
        "clusters": len(sizes),
        "cluster_sizes": sizes,
        "largest_clusters": top,
        "seconds_per_stage": {k: round(v, 3) for k, v in timings.items()},
        "seconds": round(wall, 3),
    }
