"""The steps of an add, each touching only what the new or changed documents can change.

Every step calls the stage functions the engines call (tokenise, boilerplate keys, shingles,
the candidate SQL of ``stages/candidates.py``, the aligner, ``report_tables``); what is
particular to the index is only *which* rows each step has to look at:

* boilerplate: only the line keys of the added and removed documents can change their counts;
  the frequent set changes only by those keys, and only documents holding a key that changed
  status are re-shingled ("dirty", with the new ones);
* candidates: stored in two tables as the two steps of ``stages/candidates.py`` make them:
  ``cand_pre`` (pairs sharing enough n-grams) and ``cand_shared`` (each document's chosen
  sources among them). A pair's counts change only if one side is dirty, or both hold an n-gram
  whose document frequency crossed ``max_df`` or ``common_df``, or one side is among the
  ``frequent_links`` holders just after a holder of a frequent n-gram that was inserted or
  removed (its links moved, `moved_holders`). The *focus* is those documents and the members of
  the exact-duplicate groups the dirty documents were or are in. The candidate SQL runs over the
  postings of the focus's n-grams only (every holder of each, so document frequencies and
  positions are exact), and its rows with a side in the focus are exactly the full query's rows
  for those pairs; the documents that are the later side of a changed row choose their sources
  again from their stored rows (`choose_sources`); all other pairs keep their rows, passages and
  pair statistics;
* align: only pairs with a dirty side, and pairs whose kind (exact, formula-prone) changed or
  that are new; only their documents' texts are read;
* pairs: the statistics of the pairs with a side in the focus are recomputed;
* clusters: only those holding a document whose passages changed are recomputed (with every
  cluster that shares a document with them, until closed), from their own passages; cluster ids,
  which rank all clusters by size, are renumbered in one SQL update.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from reprints.config import ScanConfig
from reprints.engines import tasks
from reprints.index.schema import arrow, docs_table
from reprints.stages import boilerplate, candidates, formula, report_tables


@dataclass
class Focus:
    dirty: np.ndarray  # new and re-shingled documents
    docs: np.ndarray  # dirty + holders of n-grams that crossed a cap + their exact-duplicate groups


def with_docs(con, name: str, docs: np.ndarray):
    """Register ``docs`` as a one-column table ``name(doc)``; returns a context that drops it."""
    con.register(name, docs_table(docs))

    class _Drop:
        def __enter__(self):
            return name

        def __exit__(self, *exc):
            con.unregister(name)

    return _Drop()


# --- boilerplate -----------------------------------------------------------------------

def update_frequent(con, touched_keys: np.ndarray, holders: tuple[np.ndarray, np.ndarray], start: int,
                    config: ScanConfig) -> tuple[np.ndarray, np.ndarray]:
    """Bring the frequent (boilerplate) keys up to date after the line keys of ``touched_keys``
    changed; ``holders``: every (key, document) of them as stored now (the line segments,
    `postings.Segments.find`). Returns (all frequent keys sorted, older documents whose mask changed)."""
    keys = np.unique(np.asarray(touched_keys, dtype=np.uint64))
    frequent = np.sort(arrow(con.execute("SELECT key FROM frequent")).column("key").to_numpy().astype(np.uint64))
    held_key, held_doc = holders
    was = np.isin(keys, frequent)
    now = boilerplate.is_frequent(np.bincount(np.searchsorted(keys, held_key), minlength=len(keys)),
                                  config.boilerplate)
    joined, left = keys[now & ~was], keys[was & ~now]
    changed = np.concatenate([joined, left])
    affected = np.unique(held_doc[np.isin(held_key, changed) & (held_doc < int(start))])
    if len(changed):
        con.register("changed_keys", pa.table({"key": pa.array(changed, pa.uint64())}))
        con.register("joined_keys", pa.table({"key": pa.array(joined, pa.uint64())}))
        try:
            con.execute("DELETE FROM frequent WHERE key IN (SELECT key FROM changed_keys)")
            con.execute("INSERT INTO frequent SELECT key FROM joined_keys")
        finally:
            con.unregister("changed_keys")
            con.unregister("joined_keys")
        frequent = np.sort(np.concatenate([frequent[~np.isin(frequent, left)], joined]))
    return frequent, affected.astype(np.int64)


# --- texts -----------------------------------------------------------------------------

def texts_in_order(con, docs: np.ndarray) -> tuple[np.ndarray, list[str], np.ndarray]:
    """(document numbers, texts, source keys) of the stored documents among ``docs``, ordered by number."""
    if len(docs) == 0:
        return np.zeros(0, np.int64), [], np.zeros(0, np.uint64)
    with with_docs(con, "want_docs", np.unique(np.asarray(docs, dtype=np.int64))):
        table = arrow(con.execute("SELECT doc, text, source_key FROM documents SEMI JOIN want_docs USING (doc) ORDER BY doc"))
    return (table.column("doc").to_numpy().astype(np.int64), table.column("text").to_pylist(),
            table.column("source_key").to_numpy().astype(np.uint64))


def local_numbers(docs: np.ndarray, rows: dict) -> dict:
    """``rows`` (passage or candidate columns) with their document numbers ``a`` and ``b``
    replaced by positions in ``docs`` (sorted, holding every one of them): the stage functions
    then index arrays of len(docs), not of the whole index."""
    return {k: (np.searchsorted(docs, np.asarray(v, dtype=np.int64)) if k in ("a", "b") else v)
            for k, v in rows.items()}


# --- candidates ------------------------------------------------------------------------

def crossing_holders(con, grams: np.ndarray, delta: np.ndarray, config: ScanConfig,
                     postings: str = "probe_postings") -> np.ndarray:
    """Documents holding an n-gram whose document frequency crossed ``max_df`` or ``common_df``
    by this add. ``grams``: the n-grams of the documents shingled or removed (distinct), ``delta``:
    how many holders each gained (negative: lost); ``postings``: every posting of them
    (`postings.Segments.find`)."""
    if len(grams) == 0:
        return np.zeros(0, dtype=np.int64)
    con.register("delta_grams", pa.table({"h": pa.array(grams, pa.uint64()), "delta": pa.array(delta, pa.int64())}))
    try:
        c, now, before = config.candidates, candidates.Sql("n"), candidates.Sql("before")
        crossed = ((candidates.is_rare(now, c) != candidates.is_rare(before, c))
                   | (candidates.is_common(now, c) != candidates.is_common(before, c)))
        rows = arrow(con.execute(f"""
            WITH now AS (SELECT h, count(*) AS n FROM {postings} GROUP BY h),
            both_ AS (SELECT g.h, coalesce(now.n, 0) AS n, coalesce(now.n, 0) - g.delta AS before
                      FROM delta_grams g LEFT JOIN now ON now.h = g.h),
            crossed AS (SELECT h FROM both_ WHERE {crossed})
            SELECT DISTINCT p.doc FROM {postings} p SEMI JOIN crossed ON p.h = crossed.h ORDER BY p.doc"""))
    finally:
        con.unregister("delta_grams")
    return rows.column("doc").to_numpy().astype(np.int64)


def unprobed_grams(con, focus: np.ndarray, probed: np.ndarray) -> np.ndarray:
    """The n-grams the ``focus`` documents hold that were not ``probed`` (documents in the focus
    only through a crossing n-gram or an exact group): their postings are still to be loaded."""
    with with_docs(con, "extra_docs", focus):
        con.register("probed_grams", pa.table({"h": pa.array(np.asarray(probed, np.uint64), pa.uint64())}))
        try:
            grams = arrow(con.execute("""SELECT DISTINCT h FROM shingles SEMI JOIN extra_docs USING (doc)
                                         ANTI JOIN probed_grams USING (h)""")).column("h").to_numpy()
        finally:
            con.unregister("probed_grams")
    return grams.astype(np.uint64)


def exact_group_members(con, fps: np.ndarray, min_words: int) -> np.ndarray:
    """Every document in an exact-duplicate group (same fingerprint) with a fingerprint among
    ``fps``: those of the documents shingled now (long enough to have one), and of the documents
    re-shingled or removed, as they were."""
    con.register("group_fps", pa.table({"fp": pa.array(np.unique(np.asarray(fps, np.uint64)), pa.uint64())}))
    try:
        rows = arrow(con.execute(f"""SELECT doc FROM documents SEMI JOIN group_fps USING (fp)
                                     WHERE n_words >= {int(min_words)} ORDER BY doc"""))
    finally:
        con.unregister("group_fps")
    return rows.column("doc").to_numpy().astype(np.int64)


def _frame(table: pa.Table, columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({k: table.column(k).to_numpy().astype(np.int64) for k in columns})


def pair_rows(con, table: str, focus: str, columns: tuple[str, ...]) -> pd.DataFrame:
    """The rows of candidate table ``table`` with a side in the registered ``focus`` documents."""
    cols = ", ".join(columns)
    return _frame(arrow(con.execute(f"""SELECT {cols} FROM {table} WHERE a IN (SELECT doc FROM {focus})
                                        OR b IN (SELECT doc FROM {focus}) ORDER BY a, b""")), columns)


REMOVED = "removed_postings"


class Ranks:
    """Temporary table ``index_ranks(doc, rank)``: the date key of each document the add's SQL
    orders (`cluster.date_keys`, stored at insert), read for those documents only, as each step
    names them (`need`) — a join with every stored document's key would cost a pass over all of
    them per statement. The candidate SQL orders by (rank, doc), which is the order of a scan's
    `cluster.date_ranks` over the documents in index order: inserting a document changes no other
    document's place relative to the rest, so no other rank has to be rewritten."""

    name = "index_ranks"

    def __init__(self, con):
        self.con = con
        self.held = np.zeros(0, dtype=np.int64)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {self.name} (doc BIGINT, rank BIGINT)")

    def need(self, docs: np.ndarray) -> str:
        """The table's name, once it holds the rank of every one of ``docs`` (stored documents)."""
        missing = np.setdiff1d(np.asarray(docs, dtype=np.int64), self.held)
        if len(missing):
            with with_docs(self.con, "rank_docs", missing):
                self.con.execute(f"""INSERT INTO {self.name} SELECT doc, date_key FROM documents
                                     SEMI JOIN rank_docs USING (doc)""")
            self.held = np.union1d(self.held, missing)
        return self.name

    def drop(self) -> None:
        self.con.execute(f"DROP TABLE IF EXISTS {self.name}")


def start_removed(con) -> None:
    """An empty temporary table ``removed_postings(doc, h, rank)`` for an add (`remember_postings`)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {REMOVED} (doc BIGINT, h UBIGINT, rank BIGINT)")


def remember_postings(con, docs: np.ndarray) -> None:
    """Keep the postings (doc, h, rank) of ``docs``, about to be removed or re-shingled, in temporary
    table ``removed_postings`` (`start_removed`): where they stood among each frequent n-gram's holders."""
    with with_docs(con, "remember_docs", docs):
        con.execute(f"""INSERT INTO {REMOVED} SELECT s.doc, s.h, d.date_key AS rank FROM shingles s
                        JOIN (SELECT doc, date_key FROM documents SEMI JOIN remember_docs USING (doc)) d USING (doc)""")


def moved_holders(con, dirty: np.ndarray, ranks: Ranks, config: ScanConfig,
                  postings: str = "probe_postings") -> np.ndarray:
    """Documents whose frequent-n-gram links (`candidates`: each holder, in date order, linked to the
    ``frequent_links`` holders before it and to the first) changed because holders were inserted
    (the ``dirty`` documents holding the n-gram now) or removed (``removed_postings``) before them:
    the ``frequent_links`` holders after each inserted or removed one. ``postings``: every posting
    of the n-grams that changed.

    A change of first holder needs nothing more: every pair whose link to the first moved has the
    old or the new first on a side, and both are in the focus already. An inserted first is dirty
    and the old first is now second, within the links after it; a removed first leaves (its
    partners re-choose their sources) and the new first is the holder just after it.
    """
    links = int(config.candidates.frequent_links)
    frequent = ~candidates.is_rare(candidates.Sql("count(*)"), config.candidates)
    if links <= 0:
        return np.zeros(0, dtype=np.int64)
    with with_docs(con, "moved_dirty", dirty):
        rows = arrow(con.execute(f"""
            WITH df AS (SELECT h FROM {postings} GROUP BY h HAVING {frequent}),
            holders AS (SELECT p.doc, p.h, r.rank, p.doc IN (SELECT doc FROM moved_dirty) AS inserted,
                               row_number() OVER (PARTITION BY p.h ORDER BY r.rank, p.doc) AS pos
                        FROM {postings} p SEMI JOIN df USING (h) JOIN {ranks.name} r USING (doc)),
            gone AS (SELECT g.doc, g.h, g.rank FROM {REMOVED} g SEMI JOIN df USING (h)),
            stream AS (SELECT h, rank, doc, 1 AS holder FROM holders UNION ALL SELECT h, rank, doc, 0 FROM gone),
            counted AS (SELECT h, holder, sum(holder) OVER (PARTITION BY h ORDER BY rank, doc, holder
                                                            ROWS UNBOUNDED PRECEDING) AS upto FROM stream),
            ranges AS (SELECT h, pos + 1 AS lo, pos + {links} AS hi FROM holders WHERE inserted
                       UNION ALL SELECT h, upto + 1, upto + {links} FROM counted WHERE holder = 0),
            window_ AS (SELECT DISTINCT x.doc FROM holders x JOIN ranges g ON x.h = g.h AND x.pos BETWEEN g.lo AND g.hi)
            SELECT doc FROM window_"""))
    return np.unique(rows.column("doc").to_numpy().astype(np.int64))


def _later_docs(con, pairs: pd.DataFrame, ranks: Ranks) -> np.ndarray:
    """The later side (in date order) of each pair (a, b), for pairs of stored documents."""
    if pairs.empty:
        return np.zeros(0, dtype=np.int64)
    table = ranks.need(np.concatenate([pairs["a"].to_numpy(np.int64), pairs["b"].to_numpy(np.int64)]))
    con.register("later_pairs", pa.Table.from_pandas(pairs[["a", "b"]], preserve_index=False))
    try:
        later = candidates.later_sql("p.a", "p.b", "ra.rank", "rb.rank")
        rows = arrow(con.execute(f"""SELECT DISTINCT {later} AS doc FROM later_pairs p
                                     JOIN {table} ra ON ra.doc = p.a JOIN {table} rb ON rb.doc = p.b"""))
    finally:
        con.unregister("later_pairs")
    return rows.column("doc").to_numpy().astype(np.int64)


def _changed_rows(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Pairs (a, b) whose row is in one of ``old`` and ``new`` and not the same in the other."""
    both = old.merge(new, on=list(old.columns), how="outer", indicator=True)
    return both[both["_merge"] != "both"][["a", "b"]].drop_duplicates()


def choose_sources(con, later: np.ndarray, ranks: Ranks, config: ScanConfig) -> None:
    """Redo the choice of sources (``candidates.source_selection_sql``) of the ``later`` documents,
    from their rows in ``cand_pre``: their rows in ``cand_shared`` are replaced."""
    if len(later) == 0:
        return
    with with_docs(con, "later_docs", later):
        con.execute("""CREATE OR REPLACE TEMP TABLE later_rows AS SELECT * FROM cand_pre
                       WHERE a IN (SELECT doc FROM later_docs) OR b IN (SELECT doc FROM later_docs)""")
        con.execute("""CREATE OR REPLACE TEMP TABLE chosen_rows AS SELECT a, b FROM cand_shared
                       WHERE a IN (SELECT doc FROM later_docs) OR b IN (SELECT doc FROM later_docs)""")
        try:
            sides = arrow(con.execute("SELECT a, b FROM later_rows UNION ALL SELECT a, b FROM chosen_rows"))
            table = ranks.need(np.concatenate([sides.column("a").to_numpy(), sides.column("b").to_numpy()]))
            side = candidates.later_sql("s.a", "s.b", "ra.rank", "rb.rank")
            con.execute(f"""DELETE FROM cand_shared WHERE EXISTS (
                                SELECT 1 FROM (SELECT s.a, s.b FROM chosen_rows s
                                               JOIN {table} ra ON ra.doc = s.a JOIN {table} rb ON rb.doc = s.b
                                               WHERE {side} IN (SELECT doc FROM later_docs)) k
                                WHERE k.a = cand_shared.a AND k.b = cand_shared.b)""")
            con.execute(f"""INSERT INTO cand_shared
                            {candidates.source_selection_sql(config.candidates, "later_rows", table, "later_docs")}""")
        finally:
            con.execute("DROP TABLE IF EXISTS later_rows")
            con.execute("DROP TABLE IF EXISTS chosen_rows")


def candidate_partners(con, docs: np.ndarray) -> np.ndarray:
    """Every document with a candidate row (before selection) with one of ``docs``."""
    with with_docs(con, "partner_docs", docs):
        rows = arrow(con.execute("""SELECT a AS doc FROM cand_pre WHERE b IN (SELECT doc FROM partner_docs)
                                    UNION SELECT b FROM cand_pre WHERE a IN (SELECT doc FROM partner_docs)"""))
    return np.setdiff1d(rows.column("doc").to_numpy().astype(np.int64), np.asarray(docs, np.int64))


def focused_candidates(con, focus: np.ndarray, exact_groups: np.ndarray, gone_partners: np.ndarray,
                       ranks: Ranks, config: ScanConfig, postings: str = "probe_postings"
                       ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Replace the candidate rows (before selection, ``cand_pre``) of pairs with a side in
    ``focus`` by the candidate SQL's over ``postings`` (every posting of every n-gram the focus
    holds; ``ranks`` holding their documents), redo the choice of sources of every document whose
    rows changed (the later side of each changed row, and the partners of removed documents,
    ``gone_partners``), and replace the exact-duplicate rows of the groups ``exact_groups``.
    Returns (old shared, old exact, new shared, new exact) rows of the pairs with a side in the
    widened focus, and that focus."""
    shared_cols, exact_cols = ("a", "b", "shared", "common"), ("a", "b")
    with with_docs(con, "focus_docs", focus):
        old_pre = pair_rows(con, "cand_pre", "focus_docs", shared_cols)
        # ``postings`` holds every posting of every n-gram a focus document holds: document
        # frequencies and holder positions are exact, and so are the counts of every pair with a
        # side in the focus.
        rows = arrow(con.execute(candidates.candidate_pairs_sql(config.candidates, postings, ranks=ranks.name,
                                                                focus="focus_docs")))
        new_pre = _frame(rows, shared_cols).sort_values(["a", "b"]).reset_index(drop=True)
        later = np.union1d(_later_docs(con, _changed_rows(old_pre, new_pre), ranks), gone_partners)
        wide = np.unique(np.concatenate([focus, later, exact_groups]).astype(np.int64))
        with with_docs(con, "wide_docs", wide):
            old_shared = pair_rows(con, "cand_shared", "wide_docs", shared_cols)
            old_exact = pair_rows(con, "cand_exact", "wide_docs", exact_cols)
        con.execute("DELETE FROM cand_pre WHERE a IN (SELECT doc FROM focus_docs) OR b IN (SELECT doc FROM focus_docs)")
    con.register("new_pre", rows)
    con.execute("INSERT INTO cand_pre SELECT a, b, shared, common FROM new_pre")
    con.unregister("new_pre")
    choose_sources(con, later, ranks, config)
    with with_docs(con, "group_docs", exact_groups):
        con.execute("""CREATE TEMP TABLE fingerprints AS SELECT doc, fp, n_words FROM documents
                       SEMI JOIN group_docs USING (doc)""")
        try:
            exact = arrow(con.execute(candidates.exact_duplicate_pairs_sql(config.candidates, config.shingle.ngram)))
        finally:
            con.execute("DROP TABLE fingerprints")
        con.execute("DELETE FROM cand_exact WHERE a IN (SELECT doc FROM group_docs)")
    con.register("new_exact", exact)
    con.execute("INSERT INTO cand_exact SELECT a, b FROM new_exact")
    con.unregister("new_exact")
    with with_docs(con, "wide_docs", wide):
        new_shared = pair_rows(con, "cand_shared", "wide_docs", shared_cols)
        new_exact = pair_rows(con, "cand_exact", "wide_docs", exact_cols)
    return old_shared, old_exact, new_shared, new_exact, wide


_scratch = None  # an in-memory DuckDB for SQL over frames (opening one costs a tenth of a second)


def candidate_rows(shared: pd.DataFrame, exact: pd.DataFrame) -> pd.DataFrame:
    """One row per candidate pair (a, b, exact, shared, common) of candidate rows ``shared``
    (a, b, shared, common) and ``exact`` (a, b), merged as the scan merges them
    (`candidates.exact_wins_sql`), ordered by (a, b)."""
    global _scratch
    import duckdb

    if _scratch is None:
        _scratch = duckdb.connect()
    con = _scratch.cursor()  # its own cursor: adds and reads in other threads do not share one
    try:
        con.register("shared_pairs", shared[["a", "b", "shared", "common"]])
        con.register("exact_pairs", exact[["a", "b"]])
        return con.execute(candidates.exact_wins_sql() + " ORDER BY a, b").df()
    finally:
        con.close()


def effective_pairs(shared: pd.DataFrame, exact: pd.DataFrame, config: ScanConfig) -> pd.DataFrame:
    """Pairs as the aligner sees them: exact duplicates aligned whole, others by seeds, and
    whether they are prone to be formula text (a pair whose answer changes as documents
    arrive is aligned again, so that the index stays equal to one scan)."""
    rows = candidate_rows(shared, exact)
    exact_ = rows["exact"].to_numpy(bool)
    return pd.DataFrame({"a": rows["a"].to_numpy(np.int64), "b": rows["b"].to_numpy(np.int64), "exact": exact_,
                         "prone": formula.formula_prone(rows["shared"].to_numpy(), rows["common"].to_numpy(),
                                                        config.pairs, exact_)})


def pairs_to_align(old: pd.DataFrame, new: pd.DataFrame, dirty: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(pairs to align, pairs of ``old`` or ``new`` whose passages are dropped first): pairs
    with a dirty side, new pairs and pairs whose kind changed are aligned; the passages of
    those and of pairs that are no longer candidates go."""
    touched = np.isin(new["a"], dirty) | np.isin(new["b"], dirty)
    merged = new.merge(old, on=["a", "b", "exact", "prone"], how="left", indicator=True)
    todo = new[touched | (merged["_merge"] == "left_only").to_numpy()]
    keep = new[~(touched | (merged["_merge"] == "left_only").to_numpy())][["a", "b"]]
    every = pd.concat([old[["a", "b"]], new[["a", "b"]]]).drop_duplicates()
    drop = every.merge(keep, on=["a", "b"], how="left", indicator=True)
    return todo.reset_index(drop=True), drop[drop["_merge"] == "left_only"][["a", "b"]].reset_index(drop=True)


# --- reports ---------------------------------------------------------------------------

def passages_of(con, where: str = "") -> dict[str, np.ndarray]:
    table = arrow(con.execute(f"SELECT * FROM passages {where} ORDER BY a, b, begin_a, begin_b"))
    if table.num_rows == 0:
        return tasks.passage_columns([])
    out = {k: table.column(k).to_numpy().astype(np.int64) for k in tasks.PASSAGE_COLUMNS[:7]}
    out["similarity"] = table.column("similarity").to_numpy().astype(np.float64)
    out["kind"] = np.array(table.column("kind").to_pylist(), dtype=object)
    return out


def document_arrays(con, docs: np.ndarray, texts: bool = False) -> dict:
    """ids, sources, raw dates, n-gram counts and lengths (and ``texts`` if asked) of the stored
    documents ``docs`` (sorted, distinct), in that order (`local_numbers` gives the positions)."""
    with with_docs(con, "arr_docs", docs):
        table = arrow(con.execute(f"""SELECT doc_id, source, date, n_grams, length{', text' if texts else ''}
                                      FROM documents SEMI JOIN arr_docs USING (doc) ORDER BY doc"""))
    out = {"ids": np.array(table.column("doc_id").to_pylist(), dtype=object),
           "sources": table.column("source").to_pylist(), "raw_dates": table.column("date").to_pylist(),
           "n_grams": table.column("n_grams").to_numpy().astype(np.int64),
           "lengths": table.column("length").to_numpy().astype(np.int64)}
    if texts:
        out["texts"] = table.column("text").to_pylist()
    return out


def update_pairs(con, focus: np.ndarray, config: ScanConfig) -> None:
    """Recompute the pairs rows (``report_tables.pairs_table``) of the pairs with a side in ``focus``."""
    with with_docs(con, "pair_focus", focus):
        rows = candidate_rows(pair_rows(con, "cand_shared", "pair_focus", ("a", "b", "shared", "common")),
                              pair_rows(con, "cand_exact", "pair_focus", ("a", "b")))
        passages = passages_of(con, "WHERE a IN (SELECT doc FROM pair_focus) OR b IN (SELECT doc FROM pair_focus)")
        con.execute("DELETE FROM pairs WHERE a IN (SELECT doc FROM pair_focus) OR b IN (SELECT doc FROM pair_focus)")
    docs = np.unique(np.concatenate([rows["a"], rows["b"]]).astype(np.int64))
    arr = document_arrays(con, docs)
    table = report_tables.pairs_table(arr["ids"], arr["lengths"], arr["n_grams"],
                                      local_numbers(docs, {k: rows[k].to_numpy() for k in ("a", "b", "exact", "shared")}),
                                      local_numbers(docs, passages), config)
    number = dict(zip(arr["ids"].tolist(), docs.tolist()))
    a = pa.array([number[x] for x in table.column("doc_a").to_pylist()], pa.int64())
    b = pa.array([number[x] for x in table.column("doc_b").to_pylist()], pa.int64())
    con.register("new_pairs", table.append_column("a", a).append_column("b", b))
    con.execute(f"INSERT INTO pairs SELECT {PAIR_COLUMNS}, a, b FROM new_pairs")
    con.unregister("new_pairs")


PAIR_COLUMNS = ("doc_a, doc_b, jaccard, containment_a, containment_b, coverage_a, coverage_b, shared_ngrams, "
                "passages, exact_duplicate, kind")


CLUSTER_COLUMNS = ('cluster_id, doc_id, "begin", "end", source, date, is_origin, origin_doc_id, cluster_size, '
                   'cluster_docs, snippet, source_doc_id, source_begin, source_end, source_score, source_reason')


def _cluster_docs(con, docs: np.ndarray) -> np.ndarray:
    """``docs`` and every document in a cluster with a member in them, until no cluster is left
    half in: the passages touching these documents are then exactly those of their clusters."""
    docs = np.unique(np.asarray(docs, dtype=np.int64))
    while True:
        with with_docs(con, "cluster_docs_", docs):
            more = arrow(con.execute("""SELECT DISTINCT c.doc FROM clusters c SEMI JOIN
                (SELECT first_doc, first_begin FROM clusters SEMI JOIN cluster_docs_ USING (doc)) k
                ON c.first_doc = k.first_doc AND c.first_begin = k.first_begin""")).column("doc").to_numpy()
        grown = np.union1d(docs, more.astype(np.int64))
        if len(grown) == len(docs):
            return docs
        docs = grown


def update_clusters(con, touched: np.ndarray) -> None:
    """Recompute the clusters (``report_tables.clusters_table``) that hold a document whose
    passages changed (``touched``), from their passages; other clusters keep their rows. Cluster
    ids rank all clusters by size, then by their first segment (document, begin), as a scan
    numbers them: they are renumbered over the whole table (one SQL update)."""
    docs = _cluster_docs(con, touched)
    with with_docs(con, "recluster", docs):
        passages = passages_of(con, "WHERE a IN (SELECT doc FROM recluster) OR b IN (SELECT doc FROM recluster)")
        con.execute("DELETE FROM clusters WHERE doc IN (SELECT doc FROM recluster)")
    members = np.unique(np.concatenate([passages["a"], passages["b"]]))
    if len(members):
        arr = document_arrays(con, members, texts=True)
        dates, _ = report_tables.parse_dates(arr["raw_dates"])
        table = report_tables.clusters_table(arr["ids"], arr["texts"], arr["sources"], arr["raw_dates"], dates,
                                             local_numbers(members, passages), lineage=True)
        number = dict(zip(arr["ids"].tolist(), members.tolist()))
        doc = np.array([number[x] for x in table.column("doc_id").to_pylist()], dtype=np.int64)
        begin = table.column("begin").to_numpy()
        local_id = table.column("cluster_id").to_numpy()
        order = np.lexsort((begin, doc, local_id))  # each cluster's first segment: smallest (doc, begin)
        first = np.ones(len(order), dtype=bool)
        first[1:] = local_id[order][1:] != local_id[order][:-1]
        head = order[first]
        first_doc = np.zeros(int(local_id.max()) + 1, dtype=np.int64)
        first_begin = np.zeros_like(first_doc)
        first_doc[local_id[head]], first_begin[local_id[head]] = doc[head], begin[head]
        table = (table.append_column("doc", pa.array(doc, pa.int64()))
                 .append_column("first_doc", pa.array(first_doc[local_id], pa.int64()))
                 .append_column("first_begin", pa.array(first_begin[local_id], pa.int64())))
        con.register("new_clusters", table)
        con.execute(f"INSERT INTO clusters SELECT {CLUSTER_COLUMNS}, doc, first_doc, first_begin FROM new_clusters")
        con.unregister("new_clusters")
    con.execute("""UPDATE clusters SET cluster_id = r.id FROM (
                       SELECT first_doc, first_begin,
                              row_number() OVER (ORDER BY cluster_size DESC, first_doc, first_begin) - 1 AS id
                       FROM (SELECT DISTINCT first_doc, first_begin, cluster_size FROM clusters)) r
                   WHERE clusters.first_doc = r.first_doc AND clusters.first_begin = r.first_begin
                     AND clusters.cluster_id <> r.id""")
