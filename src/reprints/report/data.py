"""The report's data model: one JSON-ready dict built from a run directory.

Tables are stored column-wise (one list per field) so that a run of ten thousand clusters
stays a few megabytes and parses fast in the browser. Documents are referred to by their
index in ``docs``, clusters by their index in ``clusters``, passages by their index in
``passages``. Every offset is in code points, as in the run's tables; the page converts
them to UTF-16 string indices itself.

The run directory does not store document texts. They are read again from the inputs
recorded in ``run.json`` (only those of documents that take part in a passage), checked
against the passages' own text, and left out, with a note the page shows, where the inputs
are gone or changed: the page then shows the passages' text only.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections import defaultdict
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pyarrow.parquet as pq

from reprints.report.diff import word_diff

MODEL_VERSION = 1
# Document text embedded in one report, in code points, before the remaining documents are
# shown as passages only (about as many bytes in the HTML file for mostly-ASCII text).
MAX_TEXT_CHARS = 40_000_000


class NotARunError(Exception):
    """The folder is not a reprints run directory."""


def _read_table(run_dir: Path, name: str) -> list[dict[str, Any]]:
    path = run_dir / f"{name}.parquet"
    if not path.exists():
        raise NotARunError(f"{run_dir} is not a reprints run directory: {path.name} is missing")
    return pq.read_table(path).to_pylist()


def _days(values: list[str | None]) -> list[int | None]:
    """Days since 1970-01-01 of each date string (None where absent or not understood)."""
    from reprints.stages.report_tables import parse_dates

    if not values:
        return []
    parsed, _ = parse_dates(values)
    days = parsed.astype("datetime64[D]")
    missing = np.isnat(days).tolist()
    return [None if gone else d for d, gone in zip(days.astype(np.int64).tolist(), missing)]


def _title(meta: str | None) -> str | None:
    if not meta:
        return None
    try:
        value = json.loads(meta)
    except ValueError:
        return None
    if isinstance(value, dict):
        for key in ("title", "headline", "name"):
            if isinstance(value.get(key), str) and value[key].strip():
                return value[key]
    return None


def _input_paths(run_info: dict[str, Any], run_dir: Path) -> tuple[list[Path], str | None]:
    """The recorded input paths, resolved; or a note saying why there are none."""
    inputs = run_info.get("inputs")
    if isinstance(inputs, str):
        if inputs == "python objects":
            return [], "the scan was given Python objects, not files, so the document texts are not on disk"
        inputs = [inputs]
    if not isinstance(inputs, list) or not inputs:
        return [], "run.json records no inputs"
    found, missing = [], []
    for raw in inputs:
        path = Path(raw)
        candidates = [path] if path.is_absolute() else [path, run_dir.parent / path, run_dir / path]
        hit = next((c for c in candidates if c.exists()), None)
        if hit is None:
            missing.append(str(raw))
        else:
            found.append(hit)
    note = None
    if missing:
        note = "input" + ("s" if len(missing) > 1 else "") + " not found: " + ", ".join(missing[:5])
        if len(missing) > 5:
            note += f" and {len(missing) - 5} more"
    return found, note


def read_texts(run_dir: Path, run_info: dict[str, Any], wanted: set[str]) -> tuple[dict[str, str], str | None]:
    """Texts of the ``wanted`` documents read again from the run's inputs, and a note on any problem."""
    from reprints.config import ReadConfig
    from reprints.io.html import only_pages
    from reprints.io.readers import read_documents
    from reprints.records import Document

    paths, note = _input_paths(run_info, run_dir)
    if not paths:
        return {}, note
    try:
        read = dict((run_info.get("config") or {}).get("read") or {})
        known = set(ReadConfig.__dataclass_fields__)
        config = ReadConfig(**{k: v for k, v in read.items() if k in known})
        texts = {}
        with only_pages(wanted):  # web pages of other documents are not extracted again
            for item in read_documents(paths, config):
                if isinstance(item, Document) and item.doc_id in wanted:
                    texts[item.doc_id] = item.text
        return texts, note
    except Exception as err:  # a damaged input must not stop the report
        return {}, f"the inputs could not be read again ({type(err).__name__}: {err})"


def _verify(texts: dict[str, str], passages: list[dict[str, Any]]) -> set[str]:
    """Documents whose text does not hold their passages at the recorded offsets."""
    bad = set()
    for p in passages:
        for side in ("a", "b"):
            doc = p[f"doc_{side}"]
            text = texts.get(doc)
            if text is not None and text[p[f"begin_{side}"]:p[f"end_{side}"]] != p[f"text_{side}"]:
                bad.add(doc)
    return bad


def _segment_index(members: list[dict[str, Any]]) -> dict[str, list[tuple[int, int, int]]]:
    by_doc: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for m in members:
        by_doc[m["doc_id"]].append((m["begin"], m["end"], m["cluster_id"]))
    for spans in by_doc.values():
        spans.sort()
    return by_doc


def _cluster_of(index: dict[str, list[tuple[int, int, int]]], doc: str, begin: int, end: int) -> int | None:
    for b, e, cid in index.get(doc, ()):
        if b <= begin and end <= e:
            return cid
        if b > begin:
            break
    return None


def build_model(run_dir: str | Path, texts: Mapping[str, str] | None = None,
                max_text_chars: int = MAX_TEXT_CHARS) -> dict[str, Any]:
    """The report's data for the run in ``run_dir``.

    ``texts`` (doc_id -> text) skips reading the inputs again, e.g. right after a scan.
    """
    run_dir = Path(run_dir)
    run_json = run_dir / "run.json"
    if not run_json.exists():
        raise NotARunError(f"{run_dir} is not a reprints run directory: run.json is missing")
    run_info = json.loads(run_json.read_text(encoding="utf-8"))
    documents = _read_table(run_dir, "documents")
    pairs = _read_table(run_dir, "pairs")
    passages = _read_table(run_dir, "passages")
    members = _read_table(run_dir, "clusters")

    # Documents that take part in a passage or a cluster, in order of first appearance
    # (members come by cluster id, i.e. largest cluster first).
    read_docs = {d["doc_id"]: d for d in documents if not d.get("skip_reason")}
    doc_index: dict[str, int] = {}
    for m in members:
        doc_index.setdefault(m["doc_id"], len(doc_index))
    for p in passages:
        doc_index.setdefault(p["doc_a"], len(doc_index))
        doc_index.setdefault(p["doc_b"], len(doc_index))
    doc_ids = list(doc_index)
    rows = [read_docs.get(d, {}) for d in doc_ids]
    raw_dates = [r.get("date") for r in rows]
    read_ids = list(read_docs)
    day_of = dict(zip(read_ids, _days([read_docs[d].get("date") for d in read_ids])))
    days = [day_of.get(d) for d in doc_ids]
    sources = sorted({r.get("source") for r in read_docs.values() if r.get("source")})
    source_index = {s: i for i, s in enumerate(sources)}

    # Texts: given, or read again from the inputs; checked against the passages.
    wanted = set(p["doc_a"] for p in passages) | set(p["doc_b"] for p in passages)
    notes = []
    if texts is None:
        got, note = read_texts(run_dir, run_info, wanted) if wanted else ({}, None)
        if note:
            notes.append(note)
    else:
        got = {k: v for k, v in texts.items() if k in wanted}
    changed = _verify(got, passages)
    if changed:
        notes.append(f"{len(changed)} document(s) changed since the scan")
    doc_texts: list[str | None] = [None] * len(doc_ids)
    budget = max_text_chars
    over_budget = 0
    for d in doc_ids:
        text = got.get(d)
        if text is None or d in changed:
            continue
        if len(text) > budget:
            over_budget += 1
            continue
        budget -= len(text)
        doc_texts[doc_index[d]] = text
    if over_budget:
        notes.append(f"{over_budget} document(s) left out to keep the report under "
                     f"{max_text_chars:,} characters of text")
    have = sum(1 for d in wanted if doc_texts[doc_index[d]] is not None)
    text_state = "all" if have == len(wanted) else ("none" if have == 0 else "partial")

    # Clusters: members grouped by cluster, origin first, then by date.
    members.sort(key=lambda m: (m["cluster_id"], not m["is_origin"],
                                days[doc_index[m["doc_id"]]] if days[doc_index[m["doc_id"]]] is not None else 1 << 40,
                                m["doc_id"], m["begin"]))
    cluster_ids: list[int] = []
    cluster_pos: dict[int, int] = {}
    firsts: list[int] = []
    counts: list[int] = []
    origins: list[int] = []
    for i, m in enumerate(members):
        cid = m["cluster_id"]
        if cid not in cluster_pos:
            cluster_pos[cid] = len(cluster_ids)
            cluster_ids.append(cid)
            firsts.append(i)
            counts.append(0)
            origins.append(i)
        counts[cluster_pos[cid]] += 1
        if m["is_origin"]:
            origins[cluster_pos[cid]] = i
    n_docs = [len({members[j]["doc_id"] for j in range(f, f + c)}) for f, c in zip(firsts, counts)]
    # Lineage: each member's source member (runs written before lineage have none).
    member_at = {(m["cluster_id"], m["doc_id"], m["begin"]): i for i, m in enumerate(members)}
    m_source = [member_at.get((m["cluster_id"], m.get("source_doc_id"), m.get("source_begin")))
                for m in members]

    # Passages: their cluster, the word diff of edited ones, and their text where a side's
    # document text is not embedded.
    segments = _segment_index(members)
    kinds = sorted({p["kind"] for p in passages})
    kind_index = {k: i for i, k in enumerate(kinds)}
    p_cluster, p_diff, p_text_a, p_text_b = [], [], [], []
    for p in passages:
        # a template pair's passages make no cluster (a side may lie in one through another pair)
        cid = None if p["kind"] == "template" else _cluster_of(segments, p["doc_a"], p["begin_a"], p["end_a"])
        p_cluster.append(cluster_pos.get(cid) if cid is not None else None)
        ops = word_diff(p["text_a"], p["text_b"], p["begin_a"], p["begin_b"])
        p_diff.append([list(op) for op in ops] if ops else None)
        missing = doc_texts[doc_index[p["doc_a"]]] is None or doc_texts[doc_index[p["doc_b"]]] is None
        p_text_a.append(p["text_a"] if missing else None)
        p_text_b.append(p["text_b"] if missing else None)

    summary = dict(run_info.get("summary") or {})
    kinds_count: dict[str, int] = defaultdict(int)
    for p in passages:
        kinds_count[p["kind"]] += 1
    stats = {
        "documents_read": summary.get("documents_read", len(read_docs)),
        "documents_skipped": summary.get("documents_skipped", len(documents) - len(read_docs)),
        "document_pairs": len(pairs),
        "exact_duplicate_pairs": sum(1 for p in pairs if p.get("exact_duplicate")),
        "template_pairs": sum(1 for p in pairs if p.get("kind") == "template"),
        "template_passages": kinds_count.get("template", 0),
        "passages": len(passages),
        "passage_kinds": dict(kinds_count),
        "clusters": len(cluster_ids),
        "sources": len(sources),
        "documents_in_clusters": len(doc_ids),
    }
    all_days = [d for d in day_of.values() if d is not None]
    align = ((run_info.get("config") or {}).get("align") or {})
    return {
        "version": MODEL_VERSION,
        "meta": {
            "run": run_dir.resolve().name,
            "generated": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "reprints_version": run_info.get("reprints_version"),
            "inputs": run_info.get("inputs"),
            "texts": text_state,
            "texts_note": "; ".join(notes) or None,
            "min_words": align.get("min_words"),
            "first_day": min(all_days) if all_days else None,
            "last_day": max(all_days) if all_days else None,
            "stats": stats,
        },
        "kinds": kinds,
        "sources": sources,
        "docs": {
            "id": doc_ids,
            "source": [source_index.get(r.get("source"), -1) for r in rows],
            "date": raw_dates,
            "day": days,
            "title": [_title(r.get("meta")) for r in rows],
            "url": [r.get("url") for r in rows],
            "length": [r.get("length") for r in rows],
            "text": doc_texts,
        },
        "clusters": {
            "id": cluster_ids,
            "first": firsts,
            "count": counts,
            "origin": origins,
            "docs": n_docs,
        },
        "members": {
            "cluster": [cluster_pos[m["cluster_id"]] for m in members],
            "doc": [doc_index[m["doc_id"]] for m in members],
            "begin": [m["begin"] for m in members],
            "end": [m["end"] for m in members],
            "origin": [1 if m["is_origin"] else 0 for m in members],
            "snippet": [m["snippet"] for m in members],
            "source": m_source,
            "source_score": [m.get("source_score") for m in members],
            "source_reason": [m.get("source_reason") for m in members],
        },
        "passages": {
            "id": [p["passage_id"] for p in passages],
            "a": [doc_index[p["doc_a"]] for p in passages],
            "begin_a": [p["begin_a"] for p in passages],
            "end_a": [p["end_a"] for p in passages],
            "b": [doc_index[p["doc_b"]] for p in passages],
            "begin_b": [p["begin_b"] for p in passages],
            "end_b": [p["end_b"] for p in passages],
            "words": [p["matched_words"] for p in passages],
            "similarity": [None if p["similarity"] is None else round(p["similarity"], 4) for p in passages],
            "kind": [kind_index[p["kind"]] for p in passages],
            "cluster": p_cluster,
            "diff": p_diff,
            "text_a": p_text_a,
            "text_b": p_text_b,
        },
    }

