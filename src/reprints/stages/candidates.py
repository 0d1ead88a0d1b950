"""Candidate document pairs: which pairs share enough n-grams to be worth aligning.

Postings (n-gram → documents), counted three ways:

* an n-gram in at most ``max_df`` documents pairs every two of its holders (as passim does);
* an n-gram in more documents (a formula, a sign-off, or a story carried by hundreds of
  outlets) does not pair all its holders, which would cost df² pairs: each holder, taken in
  date order, is linked to the ``frequent_links`` holders just before it and to the first
  holder. A carried story shares long runs of such n-grams with its neighbours in date order
  and with the earliest carrier, so these pairs collect many counts; a formula ("said in a
  statement on") links each document to other neighbours for each of its few n-grams, so its
  pairs stay below ``min_shared``. Cost and output grow linearly with the number of holders.
* a pair is a candidate when it shares at least ``min_shared`` rare n-grams, or at least
  ``frequent_min_shared`` frequent n-grams link it (a long run: a formula or a sign-off of
  two sentences is shorter); its count is both together. Then each document keeps, among its candidate partners
  dated before it, the ``max_sources`` sharing most (its likely sources) and the earliest
  (the likely origin): a story with N carriers gives O(N) pairs to align, not N²/2.

Exact duplicates (same normalised word sequence) are paired separately so that they are
found even when their n-grams are masked or too few; `exact_wins_sql` merges the two into
one row per pair, the exact way winning (the rule every engine and the index apply).

The stage is SQL over relations, so every engine runs the very same query:
``shingles(doc BIGINT, h UBIGINT)`` with distinct rows,
``fingerprints(doc BIGINT, fp UBIGINT, n_words BIGINT)``, and optionally
``ranks(doc BIGINT, rank BIGINT)``: each document's place in date order (`stages.cluster.date_ranks`,
or the date keys of `cluster.date_keys`: equal ranks are ordered by document number). Without
``ranks`` the document number is its rank.

The query is two steps, each its own function so that the index can run them apart
(`index/add.py`): `candidate_pairs_sql` (the pairs and their counts) and
`source_selection_sql` (each document's choice of sources among them);
`shared_ngram_pairs_sql` is both in one query, as the local engine runs it. The counts are
sums over n-grams, so the first step splits further: `ngram_pair_counts_sql` counts the pairs
of any part of the postings that holds every holder of its n-grams, and
`candidates_from_counts_sql` sums the parts and selects (the Spark engine counts each part in
its own task).
"""

from __future__ import annotations

from reprints.config import CandidateConfig


class Sql(str):
    """A SQL expression the rule functions below compare and combine as they do numpy arrays:
    ``is_rare(Sql("df.n"), config)`` is the text ``(df.n <= 100)``. So the SQL of every engine
    and the numpy of the index's queries apply one written rule."""

    def _op(self, op: str, other: object) -> "Sql":
        return Sql(f"({self} {op} {other})")

    def __le__(self, other: object) -> "Sql":  # type: ignore[override]
        return self._op("<=", other)

    def __gt__(self, other: object) -> "Sql":  # type: ignore[override]
        return self._op(">", other)

    def __ge__(self, other: object) -> "Sql":  # type: ignore[override]
        return self._op(">=", other)

    def __ne__(self, other: object) -> "Sql":  # type: ignore[override]
        return self._op("<>", other)

    def __or__(self, other: object) -> "Sql":
        return self._op("OR", other)

    def __invert__(self) -> "Sql":
        return Sql(f"(NOT {self})")


def is_rare(holders, config: CandidateConfig):
    """Whether an n-gram (or an exact-duplicate group) of ``holders`` documents pairs every two of
    them; a more frequent one links each holder to a few others only (numpy or `Sql`)."""
    return holders <= int(config.max_df)


def is_common(holders, config: CandidateConfig):
    """Whether an n-gram of ``holders`` documents is common (formula-prone text, `stages.formula`)."""
    return holders > int(config.common_df)


def is_candidate(rare_shared, linked, config: CandidateConfig):
    """Whether a pair sharing ``rare_shared`` rare n-grams and linked by ``linked`` frequent ones
    is a candidate (numpy or `Sql`)."""
    return (rare_shared >= int(config.min_shared)) | (linked >= int(config.frequent_min_shared))


def _frequent_links_sql(links: int) -> str:
    """(earlier, later, n) rows: each holder of a frequent n-gram linked to the ``links``
    holders before it and to the first (equi-joins on the holder's position: no df² join)."""
    parts = [f"""SELECT x.doc AS earlier, y.doc AS later, y.n FROM frequent y
                 JOIN frequent x ON x.h = y.h AND x.pos = y.pos - {k}""" for k in range(1, links + 1)]
    parts.append(f"""SELECT x.doc AS earlier, y.doc AS later, y.n FROM frequent y
                     JOIN (SELECT doc, h FROM frequent WHERE pos = 1) x ON x.h = y.h AND y.pos > {links + 1}""")
    return "\nUNION ALL\n".join(parts)


def _count_ctes(config: CandidateConfig, shingles: str, ranks: str | None, focus: str | None) -> str:
    """The CTEs ending in ``counted`` (`PAIR_COUNT_COLUMNS`): per pair, its shared n-grams of
    ``shingles``, before any threshold."""
    links = int(config.frequent_links)
    rank_join = f"JOIN {ranks} r ON r.doc = s.doc" if ranks else ""
    rank_col = "r.rank" if ranks else "s.doc"
    frequent = ""
    linked = ""
    if links > 0:
        frequent = f""",
        frequent AS (
            SELECT s.doc, s.h, df.n, row_number() OVER (PARTITION BY s.h ORDER BY {rank_col}, s.doc) AS pos
            FROM {shingles} s JOIN df ON s.h = df.h {rank_join} WHERE {~is_rare(Sql("df.n"), config)}
        ),
        links AS ({_frequent_links_sql(links)})"""
        linked = f"""
            UNION ALL
            SELECT least(earlier, later) AS a, greatest(earlier, later) AS b, {is_common(Sql("n"), config)} AS common,
                   TRUE AS linked
            FROM links"""
    rows = "pair_rows"
    focused = ""
    if focus:
        focused = f""",
        focused_rows AS (SELECT * FROM pair_rows WHERE a IN (SELECT doc FROM {focus}) OR b IN (SELECT doc FROM {focus}))"""
        rows = "focused_rows"
    return f"""
        df AS (SELECT h, count(*) AS n FROM {shingles} GROUP BY h HAVING count(*) >= 2),
        rare AS (SELECT s.doc, s.h, df.n FROM {shingles} s JOIN df ON s.h = df.h WHERE {is_rare(Sql("df.n"), config)}){frequent},
        pair_rows AS (
            SELECT x.doc AS a, y.doc AS b, {is_common(Sql("x.n"), config)} AS common, FALSE AS linked
            FROM rare x JOIN rare y ON x.h = y.h AND x.doc < y.doc{linked}
        ){focused},
        counted AS (
            SELECT a, b, count(*) AS shared, count(CASE WHEN common THEN 1 END) AS common,
                   count(CASE WHEN NOT linked THEN 1 END) AS rare_shared, count(CASE WHEN linked THEN 1 END) AS linked
            FROM {rows} GROUP BY a, b
        )"""


def _pairs_cte(config: CandidateConfig, counts: str) -> str:
    """The CTE ``pairs(a, b, shared, common)``: the pairs of ``counts`` (one part or many, summed)
    sharing at least ``min_shared`` rare or ``frequent_min_shared`` linking n-grams."""
    return f"""
        pairs AS (
            SELECT a, b, CAST(sum(shared) AS BIGINT) AS shared, CAST(sum(common) AS BIGINT) AS common
            FROM {counts} GROUP BY a, b
            HAVING {is_candidate(Sql("sum(rare_shared)"), Sql("sum(linked)"), config)}
        )"""


def _candidate_ctes(config: CandidateConfig, shingles: str, ranks: str | None, focus: str | None) -> str:
    """The CTEs ending in ``pairs(a, b, shared, common)``: the candidates before selection."""
    return f"{_count_ctes(config, shingles, ranks, focus)},{_pairs_cte(config, 'counted')}"


#: Columns of `ngram_pair_counts_sql`: per pair, its n-grams shared, common, rare and linking.
PAIR_COUNT_COLUMNS = ("a", "b", "shared", "common", "rare_shared", "linked")


def ngram_pair_counts_sql(config: CandidateConfig, shingles: str = "shingles", ranks: str | None = None) -> str:
    """Per pair (a < b) sharing an n-gram of ``shingles``: the n-grams it shares, how many of them
    are common, rare (pairing every two holders) and frequent-linking (`PAIR_COUNT_COLUMNS`).

    Every figure is a count over n-grams, and each n-gram's pairs depend only on its own holders
    (its document frequency, their date ranks): ``shingles`` may therefore be split into parts
    by n-gram (every holder of an n-gram in the same part), each part counted on its own, and the
    parts' rows summed by `candidates_from_counts_sql`, as the Spark engine does."""
    return f"WITH {_count_ctes(config, shingles, ranks, None)}\n        SELECT {', '.join(PAIR_COUNT_COLUMNS)} FROM counted"


def _selection_ctes(config: CandidateConfig, pairs: str, ranks: str | None, later_in: str | None) -> str:
    """The CTEs ending in ``chosen``: each later document's candidate rows numbered by how much
    they share (``best_pos``) and by the partner's date (``earliest_pos``)."""
    if ranks:
        placed = f"""SELECT p.a, p.b, p.shared, p.common, ra.rank AS rank_a, rb.rank AS rank_b
                     FROM {pairs} p JOIN {ranks} ra ON ra.doc = p.a JOIN {ranks} rb ON rb.doc = p.b"""
    else:
        placed = f"SELECT a, b, shared, common, a AS rank_a, b AS rank_b FROM {pairs}"
    later = later_sql("a", "b", "rank_a", "rank_b")
    only = f"WHERE {later} IN (SELECT doc FROM {later_in})" if later_in else ""
    return f"""
        placed AS ({placed}),
        sided AS (
            SELECT a, b, shared, common, {later} AS later, least(rank_a, rank_b) AS earlier_rank,
                   CASE WHEN rank_a > rank_b THEN b ELSE a END AS earlier
            FROM placed {only}
        ),
        chosen AS (
            SELECT a, b, shared, common,
                   row_number() OVER (PARTITION BY later ORDER BY shared DESC, earlier_rank, earlier) AS best_pos,
                   row_number() OVER (PARTITION BY later ORDER BY earlier_rank, earlier) AS earliest_pos
            FROM sided
        )"""


def _chosen(config: CandidateConfig) -> str:
    return f"SELECT a, b, shared, common FROM chosen WHERE best_pos <= {int(config.max_sources)} OR earliest_pos = 1"


def later_sql(a: str, b: str, rank_a: str, rank_b: str) -> str:
    """The later side of pair ``a < b`` in date order (equal ranks: the higher document number)."""
    return f"CASE WHEN {rank_a} > {rank_b} THEN {a} ELSE {b} END"


def candidate_pairs_sql(config: CandidateConfig, shingles: str = "shingles", ranks: str | None = None,
                        focus: str | None = None) -> str:
    """Pairs (a < b) with the number of n-grams they share (rare ones, and frequent ones that
    link them; at least ``min_shared`` rare or ``frequent_min_shared`` linking), and how many of
    those are common (in more than ``common_df`` documents): the candidates before each document
    picks its sources (`source_selection_sql`).

    ``focus`` (a table of ``doc``): only the pairs with a side in it (the index recomputes those
    from every posting of the n-grams its documents hold: their counts are then exact)."""
    return f"WITH {_candidate_ctes(config, shingles, ranks, focus)}\n        SELECT a, b, shared, common FROM pairs"


def source_selection_sql(config: CandidateConfig, pairs: str, ranks: str | None = None,
                         later_in: str | None = None) -> str:
    """Of candidate rows ``pairs(a, b, shared, common)`` (`candidate_pairs_sql`), each document
    keeps, among its partners dated before it, the ``max_sources`` sharing most (ties to the
    earliest) and its earliest; every row when ``max_sources`` is 0.

    ``later_in`` (a table of ``doc``): only the choices of those documents, made from their rows
    in ``pairs`` (the index redoes the choice of the documents whose candidate rows changed)."""
    if int(config.max_sources) <= 0:
        if not later_in:
            return f"SELECT a, b, shared, common FROM {pairs}"
        return f"WITH {_selection_ctes(config, pairs, ranks, later_in)}\n        SELECT a, b, shared, common FROM chosen"
    return f"WITH {_selection_ctes(config, pairs, ranks, later_in)}\n        {_chosen(config)}"


def shared_ngram_pairs_sql(config: CandidateConfig, shingles: str = "shingles", ranks: str | None = None) -> str:
    """The candidate pairs (a < b, shared, common) of a scan: `candidate_pairs_sql`, then each
    document's choice of its sources (`source_selection_sql`), in one query."""
    return _selected(config, _candidate_ctes(config, shingles, ranks, None), ranks)


def candidates_from_counts_sql(config: CandidateConfig, counts: str, ranks: str | None = None) -> str:
    """`shared_ngram_pairs_sql`'s answer from the rows of `ngram_pair_counts_sql` in table
    ``counts`` (the parts of the postings counted apart, here summed)."""
    return _selected(config, _pairs_cte(config, counts), ranks)


def _selected(config: CandidateConfig, pairs_ctes: str, ranks: str | None) -> str:
    if int(config.max_sources) <= 0:
        return f"WITH {pairs_ctes}\n        SELECT a, b, shared, common FROM pairs"
    return f"WITH {pairs_ctes},{_selection_ctes(config, 'pairs', ranks, None)}\n        {_chosen(config)}"


def exact_duplicate_pairs_sql(config: CandidateConfig, min_words: int, fingerprints: str = "fingerprints") -> str:
    """Pairs (a < b) of documents with identical normalised text of at least ``min_words``
    words (one shingle: two bodies holding only a sign-off such as "Reuter" are no reprint).

    A group larger than ``max_df`` is linked as a star around its first member instead of
    all-pairs, so a collection of ten thousand identical notices costs 10k pairs, not 50M.
    """
    return f"""
        WITH ranked AS (
            SELECT doc, fp,
                   row_number() OVER (PARTITION BY fp ORDER BY doc) AS rank,
                   count(*) OVER (PARTITION BY fp) AS size
            FROM {fingerprints} WHERE n_words >= {int(min_words)}
        )
        SELECT x.doc AS a, y.doc AS b
        FROM ranked x JOIN ranked y ON x.fp = y.fp AND x.doc < y.doc
        WHERE x.size > 1 AND {is_rare(Sql("x.size"), config) | Sql("x.rank = 1")}
    """


def exact_wins_sql(shared: str = "shared_pairs", exact: str = "exact_pairs") -> str:
    """One row per candidate pair (a, b, exact, shared, common) from the rows of
    `shared_ngram_pairs_sql` (table ``shared``) and `exact_duplicate_pairs_sql` (table ``exact``):
    a pair in both is an exact duplicate (aligned whole, never tested as formula text) and keeps
    its shared n-gram counts (0 when it has none)."""
    return f"""
        SELECT a, b, bool_or(exact) AS exact, CAST(max(shared) AS BIGINT) AS shared,
               CAST(max(common) AS BIGINT) AS common
        FROM (SELECT a, b, FALSE AS exact, shared, common FROM {shared}
              UNION ALL
              SELECT a, b, TRUE AS exact, CAST(0 AS BIGINT) AS shared, CAST(0 AS BIGINT) AS common FROM {exact}) u
        GROUP BY a, b
    """
