"""Candidate pairs: the stage's SQL run in an in-memory DuckDB on tiny hand-made tables."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from reprints.config import CandidateConfig
from reprints.stages.candidates import exact_duplicate_pairs_sql, shared_ngram_pairs_sql


def shingles(rows: list[tuple[int, int]]) -> pa.Table:
    docs, hs = zip(*rows) if rows else ((), ())
    return pa.table({"doc": pa.array(docs, pa.int64()), "h": pa.array(hs, pa.uint64())})


def run(sql: str, **tables: pa.Table) -> list[tuple]:
    con = duckdb.connect()
    try:
        for name, table in tables.items():
            con.register(name, table)
        return sorted(tuple(r) for r in con.sql(sql).fetchall())
    finally:
        con.close()


def test_pairs_sharing_enough_ngrams():
    rows = []
    rows += [(0, h) for h in range(1, 11)]          # doc 0: 1..10
    rows += [(1, h) for h in range(1, 6)]           # doc 1 shares 5 with 0
    rows += [(2, h) for h in (1, 2, 3, 4, 100)]     # doc 2 shares 4 with 0 and with 1
    rows += [(3, h) for h in range(200, 210)]       # doc 3 shares nothing
    got = run(shared_ngram_pairs_sql(CandidateConfig(min_shared=5)), shingles=shingles(rows))
    assert got == [(0, 1, 5, 0)]
    got = run(shared_ngram_pairs_sql(CandidateConfig(min_shared=4)), shingles=shingles(rows))
    assert got == [(0, 1, 5, 0), (0, 2, 4, 0), (1, 2, 4, 0)]


def test_pairs_are_ordered_a_lt_b():
    rows = [(5, h) for h in range(6)] + [(2, h) for h in range(6)]
    assert run(shared_ngram_pairs_sql(CandidateConfig()), shingles=shingles(rows)) == [(2, 5, 6, 0)]


def test_frequent_ngrams_are_capped():
    config = CandidateConfig(max_df=3, min_shared=2)
    rows = []
    for d in range(4):                  # hash 999 and 998 in 4 documents: above max_df, ignored
        rows += [(d, 999), (d, 998)]
    rows += [(0, 1), (1, 1)]            # one rare shared n-gram between 0 and 1
    rows += [(2, 7), (3, 7), (2, 8), (3, 8)]  # two rare shared n-grams between 2 and 3
    assert run(shared_ngram_pairs_sql(config), shingles=shingles(rows)) == [(2, 3, 2, 0)]
    # Exactly max_df documents is still kept.
    rows = [(d, 999) for d in range(3)] + [(d, 998) for d in range(3)]
    assert run(shared_ngram_pairs_sql(config), shingles=shingles(rows)) == [(0, 1, 2, 0), (0, 2, 2, 0), (1, 2, 2, 0)]


def test_common_ngrams_are_counted():
    """Shared n-grams in more than common_df documents are counted apart (the formula test)."""
    config = CandidateConfig(max_df=10, min_shared=2, common_df=3)
    rows = [(d, 500) for d in range(5)] + [(d, 501) for d in range(4)]  # in 5 and 4 documents: common
    rows += [(0, 1), (1, 1), (0, 2), (1, 2), (0, 3), (1, 3)]  # three rare ones shared by 0 and 1
    got = {(a, b): (n, c) for a, b, n, c in run(shared_ngram_pairs_sql(config), shingles=shingles(rows))}
    assert got[(0, 1)] == (5, 2)
    assert got[(2, 3)] == (2, 2)
    assert (3, 4) not in got  # one n-gram shared: below min_shared


def test_empty_shingles():
    assert run(shared_ngram_pairs_sql(CandidateConfig()), shingles=shingles([])) == []


def fingerprints(fps: list[int], n_words: list[int]) -> pa.Table:
    return pa.table({"doc": pa.array(range(len(fps)), pa.int64()), "fp": pa.array(fps, pa.uint64()),
                     "n_words": pa.array(n_words, pa.int64())})


def test_exact_duplicates_all_pairs_in_small_groups():
    fp = fingerprints([7, 8, 7, 9, 7, 8], [5] * 6)
    got = run(exact_duplicate_pairs_sql(CandidateConfig(), 1), fingerprints=fp)
    assert got == [(0, 2), (0, 4), (1, 5), (2, 4)]


def test_exact_duplicates_large_group_is_a_star():
    fp = fingerprints([42] * 6 + [1, 1], [3] * 8)
    got = run(exact_duplicate_pairs_sql(CandidateConfig(max_df=4), 1), fingerprints=fp)
    assert got == [(0, 1), (0, 2), (0, 3), (0, 4), (0, 5), (6, 7)]


def test_exact_duplicates_ignore_wordless_documents():
    fp = fingerprints([1, 1, 2, 2], [0, 0, 4, 4])
    assert run(exact_duplicate_pairs_sql(CandidateConfig(), 1), fingerprints=fp) == [(2, 3)]


def test_exact_duplicates_need_min_words():
    """Identical bodies shorter than one shingle ("Reuter" and "REUTER") are no duplicates."""
    fp = fingerprints([1, 1, 2, 2], [1, 1, 5, 5])
    assert run(exact_duplicate_pairs_sql(CandidateConfig(), 5), fingerprints=fp) == [(2, 3)]


@pytest.mark.parametrize("fps", [[1, 2, 3], [10]])
def test_no_duplicates(fps):
    fp = fingerprints(fps, [3] * len(fps))
    assert run(exact_duplicate_pairs_sql(CandidateConfig(), 1), fingerprints=fp) == []


def test_large_uint64_hashes():
    big = 2**64 - 5
    rows = [(0, big - k) for k in range(5)] + [(1, big - k) for k in range(5)]
    assert run(shared_ngram_pairs_sql(CandidateConfig()), shingles=shingles(rows)) == [(0, 1, 5, 0)]
    fp = fingerprints([big, big], [2, 2])
    assert run(exact_duplicate_pairs_sql(CandidateConfig(), 1), fingerprints=fp) == [(0, 1)]
