"""Do A and B share text? Align any two documents on demand.

A scan does not align every pair of a big cluster: each member is aligned with its likeliest
sources and the earliest partner (`stages.candidates`), so ``passages.parquet`` holds a
spanning set of links, not all N²/2. Two members of one cluster share text through the
cluster, and `compare` gives their own passages when they are wanted: the scan's aligner and
formula tests, on the two texts, with the run's configuration.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from reprints.config import ScanConfig
from reprints.engines import tasks
from reprints.stages.normalise import string_key


@dataclass
class Comparison:
    """The passages two documents share (code-point offsets into each), and the clusters
    (of a run) that hold both."""

    doc_a: str
    doc_b: str
    passages: list[dict[str, Any]]
    shared_clusters: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"doc_a": self.doc_a, "doc_b": self.doc_b, "passages": self.passages,
                "shared_clusters": self.shared_clusters}


def compare_texts(text_a: str, text_b: str, config: ScanConfig | None = None, doc_a: str = "a",
                  doc_b: str = "b") -> Comparison:
    """The passages ``text_a`` and ``text_b`` share, as a scan aligns a candidate pair (no
    collection-wide boilerplate: with two texts nothing recurs)."""
    config = config or ScanConfig()
    keys, frequent = np.array([string_key(None)] * 2, dtype=np.uint64), np.zeros(0, np.uint64)
    # Exact duplicates (the same normalised words) get one whole-document passage, as in a scan.
    _, _, fingerprints, words, _ = tasks.shingles([text_a, text_b], keys, frequent, config)
    exact = np.array([fingerprints[0] == fingerprints[1] and min(words) >= config.shingle.ngram])
    rows = tasks.align_pairs(np.array([0]), np.array([1]), exact, np.array([0, 1]), [text_a, text_b], keys,
                             frequent, config)
    passages = [{"begin_a": r[2], "end_a": r[3], "begin_b": r[4], "end_b": r[5], "matched_words": r[6],
                 "similarity": round(float(r[7]), 4), "kind": r[8], "text_a": text_a[r[2]:r[3]],
                 "text_b": text_b[r[4]:r[5]]} for r in rows]
    return Comparison(doc_a, doc_b, passages)


def compare(run_dir: str | Path, doc_a: str, doc_b: str) -> Comparison:
    """Align documents ``doc_a`` and ``doc_b`` of the run in ``run_dir``: their texts are read
    again from the run's inputs, with its configuration; ``shared_clusters`` lists the clusters
    of ``clusters.parquet`` that hold both. Raises ``KeyError`` naming a document the inputs no
    longer hold."""
    from reprints.report.data import read_texts

    run_dir = Path(run_dir)
    run_info = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    texts, note = read_texts(run_dir, run_info, {doc_a, doc_b})
    for d in (doc_a, doc_b):
        if d not in texts:
            raise KeyError(f"document {d!r} is not in the run's inputs" + (f" ({note})" if note else ""))
    config = ScanConfig.from_dict(run_info.get("config") or {})
    result = compare_texts(texts[doc_a], texts[doc_b], config, doc_a, doc_b)
    clusters = pq.read_table(run_dir / "clusters.parquet", columns=["cluster_id", "doc_id"]).to_pylist()
    of_a = {r["cluster_id"] for r in clusters if r["doc_id"] == doc_a}
    of_b = {r["cluster_id"] for r in clusters if r["doc_id"] == doc_b}
    result.shared_clusters = sorted(of_a & of_b)
    return result
