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


def date_keys(dates: np.ndarray) -> np.ndarray:
    """Seconds since the epoch per date (undated: the largest int64, after every date): date
    order is the order of (key, input position)."""
    undated = np.isnat(dates)
    return np.where(undated, np.iinfo(np.int64).max, dates.astype("datetime64[s]").astype(np.int64))


def date_ranks(dates: np.ndarray) -> np.ndarray:
    """Each document's place (0..n-1) in date order: earliest first, undated last, ties in
    input order. The candidate step links holders of frequent n-grams, and picks each
    document's earlier partners, in this order; lineage looks for sources in it."""
    key = date_keys(dates)
    order = np.lexsort((np.arange(len(dates)), key))
    ranks = np.empty(len(dates), dtype=np.int64)
    ranks[order] = np.arange(len(dates))
    return ranks


def choose_origins(component: np.ndarray, dates: np.ndarray, lengths: np.ndarray,
                   doc_rank: np.ndarray) -> np.ndarray:
    """Index of the origin member of each member's component.

    Earliest date first (undated members come after dated ones), then the longest span,
    then the smallest document rank so that ties break the same way on every run.
    """
    order = np.lexsort((doc_rank, -lengths, date_keys(dates), component))
    comp_sorted = component[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = comp_sorted[1:] != comp_sorted[:-1]
    origin_of_comp = dict(zip(comp_sorted[first].tolist(), order[first].tolist()))
    return np.array([origin_of_comp[c] for c in component.tolist()], dtype=np.int64)


#: Why a member has no source (``source_reason``); null where it has one.
NO_SOURCE_ORIGIN = "origin"
NO_SOURCE_UNDATED = "undated"
NO_SOURCE_NOT_LINKED = "no earlier dated member shares text with it"


def shared_words(matched: np.ndarray, similarity: np.ndarray) -> np.ndarray:
    """The words a passage's two sides have in common: its matched words times its similarity.
    A copy shares all but its own edits with its parent and fewer with a sibling, which lacks
    what the sibling changed; matched words alone count changed words as matched."""
    return np.round(np.asarray(matched, dtype=np.float64) * np.asarray(similarity, dtype=np.float64), 3)


def choose_sources(ranks: np.ndarray, dated: np.ndarray, is_origin: np.ndarray, edge_u: np.ndarray,
                   edge_v: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str | None]]:
    """Who took it from whom: for each member (segment) of a cluster, its most likely source.

    ``ranks``, ``dated``, ``is_origin``: per member (its document's place in date order,
    `date_ranks`; whether it is dated; whether it is its cluster's origin). ``edge_u``,
    ``edge_v``, ``weight``: per aligned passage, the two members it links and the words it
    shares (`shared_words`). The source of a dated member other than the origin is the dated
    member before it in date order (ties of date in input order) that shares the most words
    with it, over all passages between the two; ties go to the earliest. Returns the source
    index per member (-1 for none), the words shared with it (0 for none), and a reason where
    there is none (`NO_SOURCE_*`).
    """
    n = len(ranks)
    source = np.full(n, -1, dtype=np.int64)
    shared = np.zeros(n, dtype=np.float64)
    if len(edge_u):
        member = np.concatenate([edge_u, edge_v]).astype(np.int64)
        other = np.concatenate([edge_v, edge_u]).astype(np.int64)
        w = np.concatenate([weight, weight]).astype(np.float64)
        ok = dated[member] & dated[other] & (ranks[other] < ranks[member]) & ~is_origin[member]
        member, other, w = member[ok], other[ok], w[ok]
        if len(member):
            # Sum the weight of every passage between the same two members.
            order = np.lexsort((other, member))
            member, other, w = member[order], other[order], w[order]
            new = np.ones(len(member), dtype=bool)
            new[1:] = (member[1:] != member[:-1]) | (other[1:] != other[:-1])
            starts = np.flatnonzero(new)
            total = np.add.reduceat(w, starts)
            member, other = member[starts], other[starts]
            # Per member: the most shared words, then the earliest candidate.
            best = np.lexsort((other, ranks[other], -total, member))
            first = np.ones(len(best), dtype=bool)
            first[1:] = member[best][1:] != member[best][:-1]
            pick = best[first]
            source[member[pick]] = other[pick]
            shared[member[pick]] = total[pick]
    reasons: list[str | None] = [None] * n
    for i in np.flatnonzero(source < 0).tolist():
        reasons[i] = (NO_SOURCE_ORIGIN if is_origin[i] else NO_SOURCE_UNDATED if not dated[i]
                      else NO_SOURCE_NOT_LINKED)
    return source, shared, reasons
