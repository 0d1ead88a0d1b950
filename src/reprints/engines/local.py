"""The embedded engine: a process pool for the per-document and per-pair stages, DuckDB for
the joins, Parquet between them. It only moves batches; all logic lives in ``stages``.

Worker processes are forked after the corpus is in memory, so they read the texts from the
parent's pages instead of receiving pickled copies; tasks name ranges of documents or chunks
of pairs. Results come back in task order, so a run is deterministic whatever the pool does.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from reprints.config import ScanConfig
from reprints.progress import Reporter
from reprints.engines import tasks as batch_tasks
from reprints.stages import align as align_stage  # noqa: F401  (the aligner the tasks call; tests patch it here)
from reprints.stages import boilerplate, candidates, cluster, formula
from reprints.stages.align import DocWords
from reprints.stages.normalise import string_key
from reprints.stages.word_table import WordTable

# Set in the parent before workers fork; read by the task functions below.
_STATE: dict[str, Any] = {}


@dataclass
class CorpusArrays:
    texts: list[str]
    source_keys: np.ndarray  # uint64 per document
    ranks: np.ndarray | None = None  # place in date order (`cluster.date_ranks`); None: input order


@dataclass
class MatchRows:
    """What the engine hands back: candidate pairs and aligned passages, by document index."""

    n_words: np.ndarray
    n_grams: np.ndarray
    candidates: dict[str, np.ndarray]  # a, b, exact, shared, common (`candidates.exact_wins_sql`)
    passages: dict[str, np.ndarray]  # a, b, begin_a, end_a, begin_b, end_b, matched, similarity, kind
    boilerplate_lines: int


def worker_count(config: ScanConfig) -> int:
    return config.engine.workers or os.cpu_count() or 1


def _imap(fn: Callable[[Any], Any], tasks: list[Any], workers: int) -> Iterator[Any]:
    if workers <= 1 or len(tasks) <= 1 or "fork" not in mp.get_all_start_methods():
        yield from map(fn, tasks)
        return
    with mp.get_context("fork").Pool(min(workers, len(tasks))) as pool:
        yield from pool.imap(fn, tasks)


def _ranges(n: int, size: int) -> list[tuple[int, int]]:
    return [(lo, min(lo + size, n)) for lo in range(0, n, size)]


# --- per-batch tasks (run in workers) -------------------------------------------------

def _line_keys_task(span: tuple[int, int]) -> np.ndarray:
    lo, hi = span
    corpus: CorpusArrays = _STATE["corpus"]
    return batch_tasks.line_keys(corpus.texts[lo:hi], corpus.source_keys[lo:hi], _STATE["config"])


def _shingle_task(task: tuple[int, int, str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lo, hi, path = task
    corpus: CorpusArrays = _STATE["corpus"]
    docs, grams, fingerprints, words, n_grams = batch_tasks.shingles(
        corpus.texts[lo:hi], corpus.source_keys[lo:hi], _STATE["frequent"], _STATE["config"])
    table = pa.table({"doc": pa.array(docs + lo, pa.int64()), "h": pa.array(grams, pa.uint64())})
    # Hashes are all distinct: a dictionary would only cost time (3x the write).
    pq.write_table(table, path, compression="zstd", use_dictionary=["doc"])
    return fingerprints, words, n_grams


def _words_task(task: tuple[np.ndarray, str]) -> int:
    docs, path = task
    corpus: CorpusArrays = _STATE["corpus"]
    table = batch_tasks.word_table([corpus.texts[d] for d in docs.tolist()], corpus.source_keys[docs],
                                   _STATE["frequent"], _STATE["config"])
    table.save(Path(path))
    return len(docs)


_OPEN_TABLES = 256  # word tables a worker keeps mapped (one file descriptor each)


def _stored_words(docs: np.ndarray) -> dict[int, DocWords]:
    """Documents' prepared words from the tables the words stage wrote (mapped once per
    process, at most ``_OPEN_TABLES`` at a time)."""
    needed, size, directory = _STATE["words"]
    tables = _STATE.setdefault("tables", {})
    found = {}
    at = np.searchsorted(needed, docs)
    for d, part, k in zip(docs.tolist(), (at // size).tolist(), (at % size).tolist()):
        if part not in tables:
            if len(tables) >= _OPEN_TABLES:
                tables.clear()  # documents already cut out keep their own mapping alive
            tables[part] = WordTable.load(directory / f"part-{part:06d}.words")
        found[d] = tables[part].doc(k)
    return found


def _align_task(task: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]) -> list[tuple]:
    pair_a, pair_b, exact, prone = task
    corpus: CorpusArrays = _STATE["corpus"]
    docs = np.unique(np.concatenate([pair_a, pair_b]))
    return batch_tasks.align_words(pair_a, pair_b, exact, _stored_words(docs), corpus.texts, _STATE["config"], prone)


# --- the engine -------------------------------------------------------------------------

def corpus_arrays(texts: list[str], sources: Iterable[str | None], dates: np.ndarray | None = None) -> CorpusArrays:
    """The corpus as the tasks read it; ``dates`` (datetime64, NaT where undated) set the date
    order in which the candidate step links holders of frequent n-grams."""
    keys = {}
    source_keys = np.array([keys.setdefault(s, string_key(s)) for s in sources], dtype=np.uint64)
    return CorpusArrays(texts, source_keys, None if dates is None else cluster.date_ranks(dates))


def find_matches(corpus: CorpusArrays, config: ScanConfig, workdir: Path, reporter: Reporter) -> MatchRows:
    """Boilerplate → shingles → candidate pairs → passages, for documents 0..n-1."""
    import duckdb

    n = len(corpus.texts)
    workers = worker_count(config)
    batches = _ranges(n, config.engine.batch_docs)
    _STATE.update(corpus=corpus, config=config, frequent=np.zeros(0, np.uint64))
    try:
        with reporter.stage("boilerplate", total=n, unit="docs") as r:
            keys = []
            for (lo, hi), found in zip(batches, _imap(_line_keys_task, batches, workers)):
                keys.append(found)
                r.advance(hi - lo)
            frequent = boilerplate.frequent_keys(keys, config.boilerplate)
            _STATE["frequent"] = frequent

        shingle_dir = workdir / "shingles"
        shingle_dir.mkdir(parents=True, exist_ok=True)
        tasks = [(lo, hi, str(shingle_dir / f"part-{k:06d}.parquet")) for k, (lo, hi) in enumerate(batches)]
        parts: list[tuple[np.ndarray, ...]] = []
        with reporter.stage("shingle", total=n, unit="docs") as r:
            for (lo, hi, _), part in zip(tasks, _imap(_shingle_task, tasks, workers)):
                parts.append(part)
                r.advance(hi - lo)
        fingerprints, words, grams = (np.concatenate(col) for col in zip(*parts))

        with reporter.stage("candidates", total=None, unit="pairs") as r:
            con = duckdb.connect()
            con.execute(f"SET threads = {max(1, workers)}")
            con.execute(f"SET temp_directory = '{workdir / 'duckdb-tmp'}'")
            con.execute("SET preserve_insertion_order = false")
            con.execute(f"CREATE VIEW shingles AS SELECT * FROM read_parquet('{shingle_dir}/*.parquet')")
            fp_table = pa.table({"doc": pa.array(np.arange(n), pa.int64()),
                                 "fp": pa.array(fingerprints, pa.uint64()),
                                 "n_words": pa.array(words, pa.int64())})
            con.register("fingerprints", fp_table)
            ranks = None
            if corpus.ranks is not None:
                ranks = "ranks"
                con.register(ranks, pa.table({"doc": pa.array(np.arange(n), pa.int64()),
                                              "rank": pa.array(corpus.ranks, pa.int64())}))
            con.sql(f"CREATE TEMP TABLE shared_pairs AS {candidates.shared_ngram_pairs_sql(config.candidates, ranks=ranks)}")
            con.sql("CREATE TEMP TABLE exact_pairs AS "
                    + candidates.exact_duplicate_pairs_sql(config.candidates, config.shingle.ngram))
            found = con.sql(candidates.exact_wins_sql() + " ORDER BY a, b").to_arrow_table()
            con.close()
            r.advance(found.num_rows)
        pairs = {k: found.column(k).to_numpy(zero_copy_only=False) for k in ("a", "b", "exact", "shared", "common")}

        passages = align_in_pool(pairs["a"].astype(np.int64), pairs["b"].astype(np.int64), pairs["exact"],
                                 formula.formula_prone(pairs["shared"], pairs["common"], config.pairs, pairs["exact"]),
                                 corpus, frequent, config, workers, reporter, workdir)
    finally:
        _STATE.clear()
    return MatchRows(words, grams, pairs, passages, len(frequent))


def align_in_pool(a: np.ndarray, b: np.ndarray, is_exact: np.ndarray, prone: np.ndarray, corpus: CorpusArrays,
                  frequent: np.ndarray, config: ScanConfig, workers: int, reporter: Reporter,
                  workdir: Path) -> dict[str, np.ndarray]:
    """Passages of the pairs (a, b), aligned in (a, b) order in batches of
    ``config.engine.batch_pairs``, in ``workers`` forked processes (this one if 1); exact
    duplicate pairs get their whole-document passage, pairs ``prone`` to be formula text are
    tested for it. The scan and the index both call it.

    The words of every document in a pair are prepared once first (stage "words":
    `WordTable`s written to ``workdir``, which the workers map)."""
    order = np.lexsort((b, a))
    a, b, is_exact, prone = a[order], b[order], is_exact[order], prone[order]
    size = config.engine.batch_pairs
    tasks = [(a[lo:hi], b[lo:hi], is_exact[lo:hi], prone[lo:hi]) for lo, hi in _ranges(len(a), size)]
    rows: list[tuple] = []
    previous = dict(_STATE)
    _STATE.clear()
    _STATE.update(corpus=corpus, frequent=frequent, config=config)
    try:
        if len(a):
            _STATE["words"] = _prepare_words(np.unique(np.concatenate([a, b])), workdir / "words", config,
                                             workers, reporter)
        with reporter.stage("align", total=len(a), unit="pairs") as r:
            for task, found in zip(tasks, _imap(_align_task, tasks, workers)):
                rows.extend(found)
                r.advance(len(task[0]))
    finally:
        _STATE.clear()
        _STATE.update(previous)
    return batch_tasks.passage_columns(rows)


def _prepare_words(needed: np.ndarray, directory: Path, config: ScanConfig, workers: int,
                   reporter: Reporter) -> tuple[np.ndarray, int, Path]:
    """Write the `WordTable`s of the documents ``needed`` (sorted), ``batch_docs`` a part."""
    size = config.engine.batch_docs
    directory.mkdir(parents=True, exist_ok=True)
    tasks = [(needed[lo:hi], str(directory / f"part-{k:06d}.words"))
             for k, (lo, hi) in enumerate(_ranges(len(needed), size))]
    with reporter.stage("words", total=len(needed), unit="docs") as r:
        for done in _imap(_words_task, tasks, workers):
            r.advance(done)
    return needed, size, directory
