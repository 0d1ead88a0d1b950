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
from reprints.stages import align as align_stage
from reprints.stages import boilerplate, candidates, shingle
from reprints.stages.normalise import Tokens, string_key, tokenize

# Set in the parent before workers fork; read by the task functions below.
_STATE: dict[str, Any] = {}


@dataclass
class CorpusArrays:
    texts: list[str]
    source_keys: np.ndarray  # uint64 per document


@dataclass
class MatchRows:
    """What the engine hands back: candidate pairs and aligned passages, by document index."""

    n_words: np.ndarray
    n_grams: np.ndarray
    shared: dict[str, np.ndarray]  # a, b, shared
    exact: dict[str, np.ndarray]  # a, b
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

def _tokens(lo: int, hi: int) -> Tokens:
    return tokenize(_STATE["corpus"].texts[lo:hi])


def _line_keys_task(span: tuple[int, int]) -> np.ndarray:
    lo, hi = span
    config: ScanConfig = _STATE["config"]
    return boilerplate.line_keys(_tokens(lo, hi), _STATE["corpus"].source_keys[lo:hi], config.boilerplate)


def _shingle_task(task: tuple[int, int, str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lo, hi, path = task
    config: ScanConfig = _STATE["config"]
    tokens = _tokens(lo, hi)
    mask = boilerplate.boilerplate_mask(tokens, _STATE["corpus"].source_keys[lo:hi], _STATE["frequent"])
    docs, grams = shingle.document_shingles(tokens, config.shingle.ngram, mask)
    table = pa.table({"doc": pa.array(docs + lo, pa.int64()), "h": pa.array(grams, pa.uint64())})
    pq.write_table(table, path, compression="zstd")
    n_grams = np.bincount(docs, minlength=hi - lo)
    return shingle.document_fingerprints(tokens), np.diff(tokens.doc_bounds), n_grams


def _align_task(task: tuple[np.ndarray, np.ndarray, np.ndarray]) -> list[tuple]:
    pair_a, pair_b, exact = task
    config: ScanConfig = _STATE["config"]
    corpus: CorpusArrays = _STATE["corpus"]
    docs = np.unique(np.concatenate([pair_a, pair_b]))
    tokens = tokenize([corpus.texts[d] for d in docs])
    mask = boilerplate.boilerplate_mask(tokens, corpus.source_keys[docs], _STATE["frequent"])
    cache: dict[int, align_stage.DocWords] = {}

    def words(d: int) -> align_stage.DocWords:
        if d not in cache:
            k = int(np.searchsorted(docs, d))
            lo, hi = tokens.doc_bounds[k], tokens.doc_bounds[k + 1]
            cache[d] = align_stage.DocWords(tokens.hashes[lo:hi], tokens.begins[lo:hi], tokens.ends[lo:hi],
                                            mask[lo:hi], tokens.stems[lo:hi], tokens.sentence_end[lo:hi])
        return cache[d]

    rows = []
    for a, b, is_exact in zip(pair_a.tolist(), pair_b.tolist(), exact.tolist()):
        if is_exact:
            match = align_stage.whole_document_match(words(a), words(b))
            matches = [match] if match else []
        else:
            matches = align_stage.align_related(words(a), words(b), config.align)
        rows.extend((a, b, m.a_begin, m.a_end, m.b_begin, m.b_end, m.matched_words,
                     m.similarity, m.kind) for m in matches)
    return rows


# --- the engine -------------------------------------------------------------------------

def corpus_arrays(texts: list[str], sources: Iterable[str | None]) -> CorpusArrays:
    keys = {}
    source_keys = np.array([keys.setdefault(s, string_key(s)) for s in sources], dtype=np.uint64)
    return CorpusArrays(texts, source_keys)


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
            if tasks:
                con.execute(f"CREATE VIEW shingles AS SELECT * FROM read_parquet('{shingle_dir}/*.parquet')")
            else:
                con.execute("CREATE TABLE shingles (doc BIGINT, h UBIGINT)")
            fp_table = pa.table({"doc": pa.array(np.arange(n), pa.int64()),
                                 "fp": pa.array(fingerprints, pa.uint64()),
                                 "n_words": pa.array(words, pa.int64())})
            con.register("fingerprints", fp_table)
            shared = con.sql(candidates.shared_ngram_pairs_sql(config.candidates)
                                 + " ORDER BY a, b").to_arrow_table()
            exact = con.sql(candidates.exact_duplicate_pairs_sql(config.candidates, config.shingle.ngram)
                                + " ORDER BY a, b").to_arrow_table()
            con.close()
            r.advance(shared.num_rows + exact.num_rows)
        shared_cols = {k: shared.column(k).to_numpy() for k in ("a", "b", "shared")}
        exact_cols = {k: exact.column(k).to_numpy() for k in ("a", "b")}

        passages = _align(shared_cols, exact_cols, config, workers, reporter)
    finally:
        _STATE.clear()
    return MatchRows(words, grams, shared_cols, exact_cols, passages, len(frequent))


def _align(shared: dict[str, np.ndarray], exact: dict[str, np.ndarray], config: ScanConfig,
           workers: int, reporter: Reporter) -> dict[str, np.ndarray]:
    a = np.concatenate([shared["a"], exact["a"]]).astype(np.int64)
    b = np.concatenate([shared["b"], exact["b"]]).astype(np.int64)
    is_exact = np.concatenate([np.zeros(len(shared["a"]), bool), np.ones(len(exact["a"]), bool)])
    # Exact pairs are also shared-n-gram pairs; align each pair once, the exact way.
    keys = (a << 32) | b
    drop = ~is_exact & np.isin(keys, keys[is_exact])
    a, b, is_exact = a[~drop], b[~drop], is_exact[~drop]
    order = np.lexsort((b, a))
    a, b, is_exact = a[order], b[order], is_exact[order]
    size = config.engine.batch_pairs
    tasks = [(a[lo:hi], b[lo:hi], is_exact[lo:hi]) for lo, hi in _ranges(len(a), size)]
    rows: list[tuple] = []
    with reporter.stage("align", total=len(a), unit="pairs") as r:
        for task, found in zip(tasks, _imap(_align_task, tasks, workers)):
            rows.extend(found)
            r.advance(len(task[0]))
    names = ("a", "b", "begin_a", "end_a", "begin_b", "end_b", "matched", "similarity", "kind")
    if not rows:
        return {k: np.zeros(0, dtype=object if k == "kind" else np.float64 if k == "similarity" else np.int64)
                for k in names}
    columns = list(zip(*rows))
    out = {k: np.array(col, dtype=np.int64) for k, col in zip(names[:7], columns[:7])}
    out["similarity"] = np.array(columns[7], dtype=np.float64)
    out["kind"] = np.array(columns[8], dtype=object)
    return out
