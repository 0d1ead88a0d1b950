"""Reprint clusters: passages that share text, grouped transitively, with their origin.

Each passage links a span in one document to a span in another. Within a document,
overlapping spans are merged into one segment (the wire story's paragraph that fifty outlets
took); segments linked by passages form a cluster (connected components). The origin is the
earliest dated member, else the longest.

Connected components use label propagation with pointer jumping on numpy arrays: every
round each edge pulls both ends to the smaller label, then labels jump to their label's
label. It needs O(log n) rounds in practice and no graph object in memory, and a join-based
engine can run the same rounds (large-star / small-star).
"""

from __future__ import annotations

import numpy as np


def merge_spans(doc: np.ndarray, begin: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Segment id of each span, and the segments (doc, begin, end), overlapping spans merged."""
    if len(doc) == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z, z
    order = np.lexsort((begin, doc))
    d, b, e = doc[order], begin[order], end[order]
    # Running maximum of ends within each document: shift documents apart so that one
    # cumulative maximum over the whole array never leaks from one document into the next.
    offset = (np.max(end) + 1) * d
    run_end = np.maximum.accumulate(e + offset) - offset
    new = np.ones(len(d), dtype=bool)
    new[1:] = (d[1:] != d[:-1]) | (b[1:] >= run_end[:-1])
    seg_sorted = np.cumsum(new) - 1
    segment = np.empty(len(d), dtype=np.int64)
    segment[order] = seg_sorted
    n_seg = int(seg_sorted[-1]) + 1
    seg_doc = d[new]
    seg_begin = b[new]
    seg_end = np.full(n_seg, -1, dtype=np.int64)
    np.maximum.at(seg_end, seg_sorted, e)
    return segment, seg_doc, seg_begin, seg_end


def connected_components(n_nodes: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Component label (the smallest node id in it) of every node."""
    label = np.arange(n_nodes, dtype=np.int64)
    if len(left) == 0:
        return label
    while True:
        low = np.minimum(label[left], label[right])
        new = label.copy()
        np.minimum.at(new, left, low)
        np.minimum.at(new, right, low)
        new = new[new]  # pointer jumping
        while True:
            jumped = new[new]
            if np.array_equal(jumped, new):
                break
            new = jumped
        if np.array_equal(new, label):
            return label
        label = new


def choose_origins(component: np.ndarray, dates: np.ndarray, lengths: np.ndarray,
                   doc_rank: np.ndarray) -> np.ndarray:
    """Index of the origin member of each member's component.

    Earliest date first (undated members come after dated ones), then the longest span,
    then the smallest document rank so that ties break the same way on every run.
    """
    undated = np.isnat(dates)
    date_key = np.where(undated, np.iinfo(np.int64).max, dates.astype("datetime64[s]").astype(np.int64))
    order = np.lexsort((doc_rank, -lengths, date_key, component))
    comp_sorted = component[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = comp_sorted[1:] != comp_sorted[:-1]
    origin_of_comp = dict(zip(comp_sorted[first].tolist(), order[first].tolist()))
    return np.array([origin_of_comp[c] for c in component.tolist()], dtype=np.int64)
