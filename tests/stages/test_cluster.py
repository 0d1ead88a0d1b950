"""Clusters: span merging, connected components and origin choice on small graphs."""

from __future__ import annotations

import random

import numpy as np
import pytest

from reprints.stages.cluster import choose_origins, connected_components, merge_spans


def arr(*values):
    return np.array(values, dtype=np.int64)


def segments(doc, begin, end):
    seg, d, b, e = merge_spans(arr(*doc), arr(*begin), arr(*end))
    return seg.tolist(), list(zip(d.tolist(), b.tolist(), e.tolist()))


def test_merge_overlapping_spans_per_document():
    seg, segs = segments([0, 0, 1, 0], [0, 5, 0, 20], [10, 15, 5, 30])
    assert segs == [(0, 0, 15), (0, 20, 30), (1, 0, 5)]
    assert seg == [0, 0, 2, 1]


def test_nested_and_chained_spans_merge_into_one():
    # [0,100) contains [10,20); [50,60) starts after [10,20) ended but inside [0,100).
    seg, segs = segments([3, 3, 3, 3], [0, 10, 50, 95], [100, 20, 60, 130])
    assert segs == [(3, 0, 130)]
    assert seg == [0, 0, 0, 0]


def test_touching_spans_stay_separate():
    _, segs = segments([0, 0], [0, 10], [10, 20])
    assert segs == [(0, 0, 10), (0, 10, 20)]


def test_spans_never_merge_across_documents():
    # A long span in doc 0 must not swallow a span of doc 1 that starts at a lower offset.
    _, segs = segments([0, 1, 1], [0, 5, 50], [1000, 10, 60])
    assert segs == [(0, 0, 1000), (1, 5, 10), (1, 50, 60)]


def test_merge_empty():
    seg, d, b, e = merge_spans(arr(), arr(), arr())
    assert len(seg) == len(d) == len(b) == len(e) == 0


def test_merge_matches_brute_force():
    rng = random.Random(7)
    doc, begin, end = [], [], []
    for _ in range(300):
        d = rng.randrange(5)
        b = rng.randrange(500)
        doc.append(d), begin.append(b), end.append(b + rng.randrange(1, 40))
    seg, segs = segments(doc, begin, end)
    for k in range(len(doc)):
        d, b, e = segs[seg[k]]
        assert d == doc[k] and b <= begin[k] and end[k] <= e
    # Segments of one document are disjoint and sorted.
    for (d1, b1, e1), (d2, b2, e2) in zip(segs, segs[1:]):
        assert (d1, b1) < (d2, b2)
        if d1 == d2:
            assert e1 <= b2
    # Every covered point is covered by the union of the input spans.
    for d, b, e in segs:
        covered = np.zeros(e - b, bool)
        for k in range(len(doc)):
            if doc[k] == d and b <= begin[k] < e:
                covered[begin[k] - b: end[k] - b] = True
        assert covered.all()


def test_connected_components_small_graph():
    label = connected_components(7, arr(0, 1, 4, 6), arr(1, 2, 5, 5))
    assert label.tolist() == [0, 0, 0, 3, 4, 4, 4]


def test_connected_components_no_edges():
    assert connected_components(3, arr(), arr()).tolist() == [0, 1, 2]


def test_connected_components_long_shuffled_chain():
    n = 500
    edges = [(k, k + 1) for k in range(n - 1)]
    random.Random(1).shuffle(edges)
    left = arr(*[max(e) for e in edges])  # point edges "backwards" too
    right = arr(*[min(e) for e in edges])
    assert connected_components(n, left, right).tolist() == [0] * n


def test_connected_components_matches_union_find():
    rng = random.Random(3)
    n = 200
    left = arr(*[rng.randrange(n) for _ in range(150)])
    right = arr(*[rng.randrange(n) for _ in range(150)])
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for x, y in zip(left.tolist(), right.tolist()):
        rx, ry = find(x), find(y)
        parent[max(rx, ry)] = min(rx, ry)
    expected = [min(k for k in range(n) if find(k) == find(x)) for x in range(n)]
    assert connected_components(n, left, right).tolist() == expected


def dates(*values):
    return np.array([np.datetime64(v, "s") if v else np.datetime64("NaT", "s") for v in values])


def test_origin_is_earliest_date():
    comp = arr(0, 0, 0)
    origin = choose_origins(comp, dates("2024-03-05", "2024-03-04T12:00:00", "2024-03-04T13:00:00"),
                            arr(10, 5, 500), arr(0, 1, 2))
    assert origin.tolist() == [1, 1, 1]


def test_origin_same_date_then_longest():
    comp = arr(0, 0, 0)
    origin = choose_origins(comp, dates("2024-03-04", "2024-03-04", "2024-03-04"), arr(10, 50, 20), arr(0, 1, 2))
    assert origin.tolist() == [1, 1, 1]


def test_undated_members_come_after_dated_ones():
    comp = arr(0, 0, 0)
    origin = choose_origins(comp, dates(None, "2030-01-01", None), arr(900, 1, 900), arr(0, 1, 2))
    assert origin.tolist() == [1, 1, 1]


def test_all_undated_longest_then_rank():
    comp = arr(0, 0, 0, 1, 1)
    origin = choose_origins(comp, dates(None, None, None, None, None), arr(5, 9, 9, 3, 3), arr(4, 3, 2, 1, 0))
    # component 0: members 1 and 2 tie on length; the smaller rank (member 2, rank 2) wins.
    # component 1: tie on length; member 4 has rank 0.
    assert origin.tolist() == [2, 2, 2, 4, 4]


def test_origins_per_component():
    comp = arr(0, 5, 0, 5)
    origin = choose_origins(comp, dates("2024-01-02", "2024-01-01", "2024-01-01", "2024-01-03"),
                            arr(1, 1, 1, 1), arr(0, 1, 2, 3))
    assert origin.tolist() == [2, 1, 2, 1]


@pytest.mark.parametrize("n", [1, 2])
def test_single_member_components(n):
    comp = arr(*range(n))
    origin = choose_origins(comp, dates(*([None] * n)), arr(*([1] * n)), arr(*range(n)))
    assert origin.tolist() == list(range(n))


# --- lineage ------------------------------------------------------------------------------

def test_date_ranks_put_undated_last_and_break_ties_in_input_order():
    from reprints.stages.cluster import date_ranks

    got = date_ranks(dates("2024-03-05", None, "2024-03-04", "2024-03-05", None))
    assert got.tolist() == [1, 3, 0, 2, 4]


def sources(ranks, dated, origin, edges):
    from reprints.stages.cluster import choose_sources

    u, v, w = zip(*edges) if edges else ((), (), ())
    src, shared, reasons = choose_sources(arr(*ranks), np.array(dated, bool), np.array(origin, bool), arr(*u), arr(*v),
                                          np.array(w, dtype=np.float64))
    return src.tolist(), shared.tolist(), reasons


def test_source_is_the_earlier_member_sharing_most():
    # 0 is the origin; 2 took from 1 (shares 300) rather than from 0 (280); 3 (later than 2) is no source of 2.
    src, shared, reasons = sources([0, 1, 2, 3], [1, 1, 1, 1], [1, 0, 0, 0],
                                   [(0, 1, 300), (0, 2, 280), (1, 2, 300), (2, 3, 310), (0, 3, 100)])
    assert src == [-1, 0, 1, 2] and shared == [0, 300, 300, 310]
    assert reasons == ["origin", None, None, None]


def test_source_sums_passages_and_ties_go_to_the_earliest():
    # 3 shares 200 with 1 in two passages and 200 with 2 in one: a tie, and 1 is earlier.
    src, _, _ = sources([0, 1, 2, 3], [1, 1, 1, 1], [1, 0, 0, 0],
                        [(0, 1, 50), (0, 2, 50), (1, 3, 120), (1, 3, 80), (2, 3, 200)])
    assert src[3] == 1
    # Input order breaks a tie of dates: ranks say who came first.
    src, _, _ = sources([0, 2, 1], [1, 1, 1], [1, 0, 0], [(0, 1, 10), (0, 2, 10), (1, 2, 50)])
    assert src == [-1, 2, 0]


def test_no_source_for_undated_members_nor_from_undated_members():
    src, _, reasons = sources([0, 1, 2, 3], [1, 1, 0, 1], [1, 0, 0, 0], [(0, 1, 10), (0, 2, 10), (2, 3, 99)])
    assert src == [-1, 0, -1, -1]
    assert reasons == ["origin", None, "undated", "no earlier dated member shares text with it"]


def test_shared_words_weigh_matched_words_by_similarity():
    from reprints.stages.cluster import shared_words

    assert shared_words(arr(308, 308), np.array([0.99, 0.981])).tolist() == [304.92, 302.148]
