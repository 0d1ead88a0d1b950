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


def test_frequent_ngrams_are_capped_when_links_are_off():
    config = CandidateConfig(max_df=3, min_shared=2, frequent_links=0)
    rows = []
    for d in range(4):                  # hash 999 and 998 in 4 documents: above max_df, ignored
        rows += [(d, 999), (d, 998)]
    rows += [(0, 1), (1, 1)]            # one rare shared n-gram between 0 and 1
    rows += [(2, 7), (3, 7), (2, 8), (3, 8)]  # two rare shared n-grams between 2 and 3
    assert run(shared_ngram_pairs_sql(config), shingles=shingles(rows)) == [(2, 3, 2, 0)]
    # Exactly max_df documents is still kept.
    rows = [(d, 999) for d in range(3)] + [(d, 998) for d in range(3)]
    assert run(shared_ngram_pairs_sql(config), shingles=shingles(rows)) == [(0, 1, 2, 0), (0, 2, 2, 0), (1, 2, 2, 0)]


def ranks(order: list[int]) -> pa.Table:
    """Ranks table: ``order`` lists documents from earliest to latest."""
    return pa.table({"doc": pa.array(order, pa.int64()), "rank": pa.array(range(len(order)), pa.int64())})


def test_a_story_in_more_than_max_df_documents_links_each_holder_to_a_few_earlier_ones():
    """60 carriers of one 30-n-gram story (df 60 > max_df 10): each is paired with the two
    holders before it and the first, never all 1,770 pairs; every pair shares the whole run."""
    config = CandidateConfig(max_df=10, min_shared=5, frequent_links=2, max_sources=0, frequent_min_shared=10)
    rows = [(d, h) for d in range(60) for h in range(1000, 1030)]
    got = run(shared_ngram_pairs_sql(config), shingles=shingles(rows))
    expected = {(d - k, d) for d in range(1, 60) for k in (1, 2) if d - k >= 0} | {(0, d) for d in range(1, 60)}
    assert {(a, b) for a, b, _, _ in got} == expected
    assert all(n == 30 and c == 30 for _, _, n, c in got)  # every shared n-gram is frequent, so common
    assert len(got) <= 3 * 60


def test_edited_carriers_still_pair_through_frequent_ngrams():
    """Each carrier drops its own stretch of the story (an edit): a carrier still shares most
    of the run with its neighbours, so it is linked to them and to the first carrier."""
    config = CandidateConfig(max_df=10, min_shared=5, frequent_links=2, max_sources=0, frequent_min_shared=10)
    story = list(range(1000, 1040))
    rows = []
    for d in range(40):
        dropped = set(story[d % 30: d % 30 + 8])
        rows += [(d, h) for h in story if h not in dropped]
    got = run(shared_ngram_pairs_sql(config), shingles=shingles(rows))
    linked = {(a, b) for a, b, _, _ in got}
    assert all((0, d) in linked or d == 0 for d in range(40))
    assert all((d - 1, d) in linked for d in range(1, 40))
    assert len(got) <= 3 * 40


def test_a_formula_in_many_documents_makes_no_pairs():
    """Three formula n-grams ("said in a statement on"), each in 30 documents of 40: a
    document is linked to other neighbours for each, and no pair reaches min_shared."""
    config = CandidateConfig(max_df=10, min_shared=5, frequent_links=3, max_sources=0)
    rows = []
    for f, h in enumerate((7001, 7002, 7003)):
        rows += [(d, h) for d in range(40) if (d + f) % 4 != 0]
    rows += [(d, 10_000 + d) for d in range(40)]  # each document's own text
    assert run(shared_ngram_pairs_sql(config), shingles=shingles(rows)) == []


def test_a_short_run_of_frequent_ngrams_is_a_formula_not_a_candidate():
    """Two sentences every document prints (a statement attribution, a sign-off: 21 5-grams)
    link neighbours, but fewer than frequent_min_shared (30) of them; a rare run of the same
    length is a candidate (min_shared 5)."""
    config = CandidateConfig(max_df=10, min_shared=5, frequent_links=2, max_sources=0)
    rows = [(d, h) for d in range(40) for h in range(500, 521)]
    assert run(shared_ngram_pairs_sql(config), shingles=shingles(rows)) == []
    rows = [(d, h) for d in range(40) for h in range(500, 530)]  # a 34-word run
    assert len(run(shared_ngram_pairs_sql(config), shingles=shingles(rows))) > 0
    rows = [(d, h) for d in range(5) for h in range(500, 521)]  # in 5 documents: rare
    assert len(run(shared_ngram_pairs_sql(config), shingles=shingles(rows))) == 10


def test_frequent_links_follow_date_order():
    """With ranks, "before" means earlier in date order, not a smaller document number."""
    config = CandidateConfig(max_df=3, min_shared=5, frequent_links=1, max_sources=0, frequent_min_shared=5)
    rows = [(d, h) for d in range(6) for h in range(100, 110)]
    order = [5, 4, 3, 2, 1, 0]  # document 5 is the earliest
    got = run(shared_ngram_pairs_sql(config, ranks="ranks"), shingles=shingles(rows), ranks=ranks(order))
    assert {(a, b) for a, b, _, _ in got} == {(4, 5), (3, 4), (2, 3), (1, 2), (0, 1)} | {(d, 5) for d in range(4)}


def test_each_document_keeps_its_likeliest_sources_and_its_earliest_partner():
    """Document 9 shares n-grams with 8 earlier documents (1..8 of them): with max_sources 2 it
    keeps the two sharing most (8 and 7) and the earliest (1); later documents are unaffected."""
    config = CandidateConfig(max_df=100, min_shared=1, frequent_links=0, max_sources=2)
    rows = []
    for d in range(1, 9):
        rows += [(d, 100 * d + k) for k in range(d)] + [(9, 100 * d + k) for k in range(d)]
    got = run(shared_ngram_pairs_sql(config), shingles=shingles(rows))
    assert [(a, b, n) for a, b, n, _ in got] == [(1, 9, 1), (7, 9, 7), (8, 9, 8)]
    # The same with every pair kept.
    assert len(run(shared_ngram_pairs_sql(CandidateConfig(max_df=100, min_shared=1, frequent_links=0,
                                                          max_sources=0)), shingles=shingles(rows))) == 8


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


@pytest.mark.parametrize("max_df, common_df, min_shared, frequent_min_shared", [(100, 10, 5, 30), (3, 1, 2, 2)])
def test_each_rule_reads_the_same_as_sql_and_as_numpy(max_df, common_df, min_shared, frequent_min_shared):
    """The thresholds are written once (`is_rare`, `is_common`, `is_candidate`): the engines' SQL
    renders them through `Sql`, the index's queries apply them to numpy arrays; both must agree."""
    import numpy as np

    from reprints.stages.candidates import Sql, is_candidate, is_common, is_rare

    config = CandidateConfig(max_df=max_df, common_df=common_df, min_shared=min_shared,
                             frequent_min_shared=frequent_min_shared)
    x = np.arange(0, 130, dtype=np.int64)
    y = (x * 7) % 53  # rare counts low where linking counts are high, and the reverse
    table = pa.table({"x": x, "y": y})
    rules = {"rare": (is_rare(Sql("x"), config), is_rare(x, config)),
             "frequent": (~is_rare(Sql("x"), config), ~is_rare(x, config)),
             "common": (is_common(Sql("x"), config), is_common(x, config)),
             "candidate": (is_candidate(Sql("x"), Sql("y"), config), is_candidate(x, y, config))}
    con = duckdb.connect()
    try:
        con.register("t", table)
        for name, (sql, numbers) in rules.items():
            got = np.array([r[0] for r in con.sql(f"SELECT {sql} FROM t ORDER BY x").fetchall()])
            assert got.tolist() == numbers.tolist(), name
            assert 0 < numbers.sum() < len(x), name  # the grid crosses every threshold
    finally:
        con.close()
