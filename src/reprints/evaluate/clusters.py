"""Clusterings against gold clusters: adjusted Rand index and pairwise precision / recall / F1.

Both clusterings are ``{item id: cluster label}``; labels are only compared for equality
within one side, so the two sides may use unrelated labels.

Items on one side only: with ``missing="intersect"`` (the default) the measures are computed
on the items both sides assign, and the counts of items left out are reported
(``pred_only``, ``gold_only``); with ``missing="singleton"`` every item of either side is
evaluated and an item absent from one side is a cluster of its own there (a system that
leaves an item out "did not cluster it").

Pairwise measures count unordered pairs of items placed in the same cluster:
precision = same-cluster pairs in both / same-cluster pairs in ``pred``, recall = ... / in
``gold``. With no same-cluster pair in ``pred`` precision is 1 (nothing wrong was claimed);
with none in ``gold`` recall is 1; F1 is their harmonic mean (0 when both are 0).

ARI is Hubert and Arabie's (1985) adjusted Rand index from the contingency table
(n_ij items in pred cluster i and gold cluster j, a_i and b_j its margins, N = n choose 2):

    ARI = (sum C(n_ij,2) - sum C(a_i,2) sum C(b_j,2) / N)
          / (1/2 (sum C(a_i,2) + sum C(b_j,2)) - sum C(a_i,2) sum C(b_j,2) / N)

When the denominator is 0 (both sides all singletons, or both one cluster; or fewer than two
items) the clusterings agree and ARI is 1, as in scikit-learn.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Hashable, Mapping

import numpy as np


def _factorize(labels: list[Hashable]) -> np.ndarray:
    codes: dict[Hashable, int] = {}
    return np.fromiter((codes.setdefault(x, len(codes)) for x in labels), dtype=np.int64, count=len(labels))


def _pairs(counts: np.ndarray) -> float:
    counts = counts.astype(np.float64)
    return float(np.sum(counts * (counts - 1) / 2))


def contingency(pred_labels: list[Hashable], gold_labels: list[Hashable]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The contingency table, sparse: counts of its non-empty cells, its row and column sums.

    Row i is a pred cluster, column j a gold cluster, cell (i, j) the items in both. Only
    non-empty cells are kept, so a million singletons cost a million cells, not 10^12.
    """
    p, g = _factorize(pred_labels), _factorize(gold_labels)
    if len(p) == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z
    cells = np.unique(p * (int(g.max()) + 1) + g, return_counts=True)[1]
    return cells, np.bincount(p), np.bincount(g)


def _measures(cells: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> dict[str, float]:
    n = int(rows.sum())
    same_both = _pairs(cells)
    same_pred = _pairs(rows)
    same_gold = _pairs(cols)
    total = n * (n - 1) / 2
    expected = same_pred * same_gold / total if total else 0.0
    max_index = (same_pred + same_gold) / 2
    ari = 1.0 if max_index == expected else (same_both - expected) / (max_index - expected)
    precision = same_both / same_pred if same_pred else 1.0
    recall = same_both / same_gold if same_gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "ari": float(ari),
        "pairwise_precision": float(precision),
        "pairwise_recall": float(recall),
        "pairwise_f1": float(f1),
        "pairs_pred": int(same_pred),
        "pairs_gold": int(same_gold),
        "pairs_both": int(same_both),
    }


def adjusted_rand_index(pred_labels: list[Hashable], gold_labels: list[Hashable]) -> float:
    """ARI of two labelings of the same items (equal-length sequences)."""
    if len(pred_labels) != len(gold_labels):
        raise ValueError("labelings differ in length")
    return _measures(*contingency(list(pred_labels), list(gold_labels)))["ari"]


class _Singleton:
    """A label equal only to itself: an item left out of one side, clustered alone there."""

    __slots__ = ()


def cluster_metrics(
    pred: Mapping[Hashable, Hashable],
    gold: Mapping[Hashable, Hashable],
    missing: str = "intersect",
) -> dict[str, Any]:
    """ARI and pairwise precision / recall / F1 of ``pred`` against ``gold`` (module doc)."""
    if missing not in ("intersect", "singleton"):
        raise ValueError("missing must be 'intersect' or 'singleton'")
    pred_only = [k for k in pred if k not in gold]
    gold_only = [k for k in gold if k not in pred]
    if missing == "intersect":
        items = [k for k in gold if k in pred]
        p = [pred[k] for k in items]
        g = [gold[k] for k in items]
    else:
        items = list(gold) + pred_only
        p = [pred[k] if k in pred else _Singleton() for k in items]
        g = [gold[k] if k in gold else _Singleton() for k in items]
    cells, rows, cols = contingency(p, g)
    result = _measures(cells, rows, cols)
    result.update(
        {
            "items": len(items),
            "pred_only": len(pred_only),
            "gold_only": len(gold_only),
            "clusters_pred": len(rows),
            "clusters_gold": len(cols),
            "missing": missing,
        }
    )
    return result


def _is_null(value: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists and other non-scalars are labels, not nulls
        return False


def load_assignment(
    path: str | os.PathLike, id_col: str = "id", cluster_col: str = "cluster"
) -> dict[str, Hashable]:
    """``{id: cluster}`` from a .parquet, .jsonl / .ndjson or .csv / .tsv file.

    Ids are turned into strings (so that a CSV's ``"17"`` and a parquet's ``17`` name the same
    item). A row whose cluster is missing (null / NaN / empty) is a cluster of its own. An id
    given twice with different clusters is an error.
    """
    import pandas as pd

    path = Path(path)
    suffix = "".join(path.suffixes[-2:]) if path.suffix in (".gz", ".zst") else path.suffix
    suffix = suffix.lower()
    if suffix.startswith(".parquet"):
        df = pd.read_parquet(path, columns=[id_col, cluster_col])
    elif suffix.startswith((".jsonl", ".ndjson")):
        df = pd.read_json(path, lines=True, dtype=False)
    elif suffix.startswith(".csv"):
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    elif suffix.startswith(".tsv"):
        df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, na_values=[""])
    else:
        raise ValueError(f"{path}: unknown format (parquet, jsonl, csv or tsv)")
    for col in (id_col, cluster_col):
        if col not in df.columns:
            raise KeyError(f"{path}: no column {col!r} (columns: {list(df.columns)})")
    result: dict[str, Hashable] = {}
    for ident, cluster in zip(df[id_col].tolist(), df[cluster_col].tolist()):
        key = str(ident)
        if _is_null(cluster) or cluster == "":
            cluster = _Singleton()
        elif isinstance(cluster, float) and cluster.is_integer():
            cluster = int(cluster)  # an integer column with nulls comes back as float
        if key in result:
            if isinstance(cluster, _Singleton) and isinstance(result[key], _Singleton):
                continue
            if result[key] != cluster:
                raise ValueError(f"{path}: id {key!r} has two clusters")
        result[key] = cluster
    return result
