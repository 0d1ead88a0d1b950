"""``reprints dedup`` on Spark: the local dedup's stage functions (`reprints.dedup`), run as
Spark jobs, giving the same files (docs/dedup.md, "On Spark").

* read: as the Spark scan reads (`reprints.spark._documents_frame`: skips with the readers'
  reasons, documents numbered 0..n-1 in read order);
* tokenise: `dedup.tokenise_batch` per batch of documents in ``mapInArrow``;
* keep order: each document's global rank from the same keys as `dedup.keep_order`
  (`dedup.date_keys`, `dedup.field_key`, ties in read order), sorted by Spark;
* pairs (documents, both): `dedup.similar_pairs`' exact prefix-filter join as DataFrame joins
  over n-gram postings: n-gram document frequencies, each document's n-grams ranked rarest
  first (ties by the unsigned hash, the local order), its prefix joined to the postings, and
  each candidate's shared n-grams counted by a join;
* components: documents linked by an exact copy, a similar pair or a shared passage window
  (`engines.spark.connected_components`); a document alone in none is kept untouched;
* decide: the local `dedup.decide` on each component (``applyInArrow``), with the global
  ranks and the pairs found above. A document's decision depends only on the documents it
  is linked to, and `decide` visits them in the same relative order, so the removals are
  the local engine's;
* write: removed, kept and skipped rows streamed in input order from Spark to the files the
  local engine writes (kept as `dedup.kept_row` makes it; parquet types unified over the
  batches), and the same summary (`dedup.summary_fields`) and run.json.

Nothing that grows with the collection is collected to the driver except through the
streamed output. Hashes (uint64) travel as int64 with the same bits.
"""

from __future__ import annotations

import json
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import reprints.dedup  # noqa: F401  (the module; `reprints.dedup` the attribute is the function)
from reprints.api import NoDocumentsError, input_paths
from reprints.config import DedupConfig, DuplicateConfig
from reprints.engines.spark import StageStore, _i64, _u64, connected_components, with_index
from reprints.progress import Reporter
from reprints.records import Document, Skip, skip_reason_key

local = sys.modules["reprints.dedup"]

_TOKENS = pa.schema([("doc", pa.int64()), ("fp", pa.int64()), ("words", pa.int64()), ("n_grams", pa.int64()),
                     ("sh", pa.list_(pa.int64())), ("win_pos", pa.list_(pa.int32())),
                     ("win_h", pa.list_(pa.int64()))])
_TOKENS_DDL = ("doc long, fp long, words long, n_grams long, sh array<long>, win_pos array<int>, "
               "win_h array<long>")
_DECISIONS = pa.schema([("doc", pa.int64()), ("reason", pa.string()), ("kept", pa.int64()),
                        ("similarity", pa.float64()), ("begin", pa.int64()), ("end", pa.int64()),
                        ("kept_begin", pa.int64()), ("kept_end", pa.int64()), ("characters", pa.int64()),
                        ("bytes", pa.int64())])
_DECISIONS_DDL = ("doc long, reason string, kept long, similarity double, begin long, end long, kept_begin long, "
                  "kept_end long, characters long, bytes long")
_SIGN = -(1 << 63)  # h XOR this orders int64 bits as the unsigned hashes are ordered locally
_EPS = local._EPS
_STREAM_ROWS = 10_000  # rows per batch written while streaming


def _lists(bounds: np.ndarray, values: pa.Array) -> pa.ListArray:
    return pa.ListArray.from_arrays(pa.array(bounds.astype(np.int32)), values)


def tokenised(docs, cfg: DuplicateConfig):
    """(doc, fp, words, n_grams, sh, win_pos, win_h): `dedup.tokenise_batch` per batch."""
    def fn(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            texts = batch.column("text").to_pylist()
            n = len(texts)
            found = local.tokenise_batch(texts, cfg)
            none = np.zeros(n + 1, dtype=np.int64)
            sh_bounds = np.searchsorted(found["sh_doc"], np.arange(n + 1)) if "sh_doc" in found else none
            win_bounds = np.searchsorted(found["win_doc"], np.arange(n + 1)) if "win_doc" in found else none
            yield pa.RecordBatch.from_arrays([
                batch.column("doc"), pa.array(_i64(found["fp"])), pa.array(found["words"].astype(np.int64)),
                pa.array(np.diff(sh_bounds).astype(np.int64)),
                _lists(sh_bounds, pa.array(_i64(found.get("sh_h", np.zeros(0, np.uint64))), pa.int64())),
                _lists(win_bounds, pa.array(found.get("win_pos", np.zeros(0, np.int32)).astype(np.int32), pa.int32())),
                _lists(win_bounds, pa.array(_i64(found.get("win_h", np.zeros(0, np.uint64))), pa.int64())),
            ], schema=_TOKENS)

    return docs.select("doc", "text").mapInArrow(fn, _TOKENS_DDL)


def _doc_fields(row: dict[str, Any]) -> Document:
    return Document(doc_id=row["doc_id"], text=row.get("text") or "", source=row["source"], date=row["date"],
                    url=row["url"], meta=json.loads(row["meta"]) if row["meta"] else {}, origin=row.get("origin") or "")


def keep_ranks(docs, tok, config: DedupConfig):
    """(doc, rank): each document's place in keep order, as `dedup.keep_order` gives it."""
    from pyspark.sql import functions as F

    policy = config.dedup.keep
    if policy == "first":
        return docs.select("doc", F.col("doc").alias("rank"))
    if policy == "longest":
        ordered = tok.select("doc", "words").orderBy(F.col("words").desc(), "doc")
    elif policy == "earliest":
        def dates(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            for batch in batches:
                undated, seconds = local.date_keys(batch.column("date").to_pylist())
                yield pa.RecordBatch.from_arrays([batch.column("doc"), pa.array(undated), pa.array(seconds)],
                                                 names=["doc", "undated", "seconds"])

        ordered = (docs.select("doc", "date").mapInArrow(dates, "doc long, undated boolean, seconds long")
                   .orderBy("undated", "seconds", "doc"))
    else:
        name = config.dedup.keep_field
        largest = not policy.startswith("field:-")

        def keys(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            for batch in batches:
                out = {"doc": [], "missing": [], "kind": [], "number": [], "text": []}
                for row in batch.to_pylist():
                    missing, kind, key = local.field_key(local._field_value(_doc_fields(row), name, config))
                    out["doc"].append(row["doc"])
                    out["missing"].append(missing)
                    out["kind"].append(kind)
                    out["number"].append(float(key) if kind == 0 and not missing else None)
                    out["text"].append(key if kind > 0 else None)
                yield pa.RecordBatch.from_pydict(out, schema=pa.schema([
                    ("doc", pa.int64()), ("missing", pa.int32()), ("kind", pa.int32()), ("number", pa.float64()),
                    ("text", pa.string())]))

        found = docs.select("doc", "doc_id", "source", "date", "url", "meta").mapInArrow(
            keys, "doc long, missing int, kind int, number double, text string").localCheckpoint()
        if found.filter("missing = 0").limit(1).count() == 0:
            raise local.DedupError(f"keep policy {policy}: no document has a field {name!r}")
        direction = (lambda c: F.col(c).desc()) if largest else (lambda c: F.col(c).asc())
        ordered = found.orderBy("missing", "kind", direction("number"), direction("text"), "doc")
    return with_index(ordered.select("doc"), "rank").select("doc", "rank")


def similar_pairs(tok, leads, config: DuplicateConfig):
    """(a, b, shared) with a < b: `dedup.similar_pairs` of the exact groups' leads, as joins;
    and the candidate pairs (a DataFrame of a, b) whose count the summary gives."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    threshold, containment = float(config.threshold), float(config.containment)
    stats = tok.select("doc", F.col("n_grams").alias("size")).join(leads, "doc", "left_semi")
    tau = F.lit(threshold)
    if containment > 0:
        tau = F.when(F.col("size") >= int(config.min_contained_ngrams), F.lit(min(threshold, containment))).otherwise(tau)
    stats = stats.withColumn("tau", tau).withColumn(
        "prefix", F.least(F.col("size") - F.ceil(F.col("tau") * F.col("size") - F.lit(_EPS)) + 1, F.col("size")))
    sh = tok.select("doc", F.explode("sh").alias("h")).join(leads, "doc", "left_semi")
    df = sh.groupBy("h").agg(F.count(F.lit(1)).alias("df"))
    rarest = Window.partitionBy("doc").orderBy("df", F.col("h").bitwiseXOR(F.lit(_SIGN)))
    prefix = (sh.join(df, "h").join(stats, "doc").withColumn("pos", F.row_number().over(rarest))
              .filter((F.col("pos") <= F.col("prefix")) & (F.col("df") > 1))
              .select(F.col("doc").alias("x"), "h", "tau", F.col("size").alias("size_x")))
    postings = sh.join(stats.select("doc", "size"), "doc").select(F.col("doc").alias("y"), "h",
                                                                    F.col("size").alias("size_y"))
    candidates = (prefix.join(postings, "h")
                  .filter((F.col("y") != F.col("x")) & (F.col("size_y") >= F.col("tau") * F.col("size_x") - F.lit(_EPS)))
                  .select(F.least("x", "y").alias("a"), F.greatest("x", "y").alias("b")).distinct()).localCheckpoint()
    shared = (candidates.join(sh.toDF("a", "h"), "a").join(sh.toDF("b", "h"), ["b", "h"])
              .groupBy("a", "b").agg(F.count(F.lit(1)).alias("shared")))
    sizes = stats.select("doc", "size")
    pairs = shared.join(sizes.toDF("a", "size_a"), "a").join(sizes.toDF("b", "size_b"), "b")
    union = F.col("size_a") + F.col("size_b") - F.col("shared")
    jaccard = F.when(union > 0, F.col("shared") / F.greatest(union, F.lit(1))).otherwise(F.lit(0.0))
    small = F.least("size_a", "size_b")
    keep = jaccard >= threshold - _EPS
    if containment > 0:
        keep = keep | ((F.col("shared") / F.greatest(small, F.lit(1)) >= containment - _EPS)
                       & (small >= int(config.min_contained_ngrams)))
    return pairs.filter(keep).select("a", "b", "shared"), candidates


def shared_windows(tok):
    """(doc, pos, h) of the passage windows found in two or more documents, and edges (u, v)
    linking each document holding one to the first document holding it."""
    from pyspark.sql import functions as F

    win = (tok.select("doc", F.explode(F.arrays_zip("win_pos", "win_h")).alias("w"))
           .select("doc", F.col("w.win_pos").alias("pos"), F.col("w.win_h").alias("h")))
    held = win.select("h", "doc").distinct()
    shared = (held.groupBy("h").agg(F.count(F.lit(1)).alias("n"), F.min("doc").alias("first"))
              .filter("n >= 2").select("h", "first")).localCheckpoint()
    edges = (held.join(shared, "h").filter(F.col("doc") != F.col("first"))
             .select(F.col("doc").alias("u"), F.col("first").alias("v")).distinct())
    return win.join(shared.select("h"), "h", "left_semi"), edges


def _decide_component(cfg: DuplicateConfig, doc_level: bool, passages: bool):
    """The function run on each component's documents: `dedup.decide` on them."""
    def fn(table: pa.Table) -> pa.Table:
        table = table.sort_by("doc")
        doc = table.column("doc").to_numpy()
        texts = table.column("text").to_pylist()
        place = {d: k for k, d in enumerate(doc.tolist())}
        found: dict[str, np.ndarray] = {"fp": _u64(table.column("fp").to_numpy()),
                                        "words": table.column("words").to_numpy().astype(np.int64)}
        if passages:
            lists = table.column("windows").to_pylist()
            counts = np.array([len(w or ()) for w in lists], dtype=np.int64)
            flat = [w for ws in lists for w in (ws or ())]
            found["win_doc"] = np.repeat(np.arange(len(doc), dtype=np.int32), counts)
            found["win_pos"] = np.array([w["pos"] for w in flat], dtype=np.int32)
            found["win_h"] = _u64(np.array([w["h"] for w in flat], dtype=np.int64))
        pairs = None
        if doc_level:
            lists = table.column("pairs").to_pylist()
            a, b, shared = [], [], []
            for k, ps in enumerate(lists):
                for p in ps or ():
                    a.append(k)
                    b.append(place[p["b"]])
                    shared.append(p["shared"])
            a_, b_, s_ = (np.array(v, dtype=np.int64) for v in (a, b, shared))
            order = np.lexsort((b_, a_))
            pairs = local.DocumentPairs(a_[order], b_[order], s_[order],
                                        table.column("n_grams").to_numpy().astype(np.int64))
        docs = [Document(doc_id="", text=t) for t in texts]
        decisions = local.decide(docs, found, table.column("rank").to_numpy().astype(np.int64), cfg, Reporter(), pairs)
        rows = {name: [] for name in _DECISIONS.names}
        for r in decisions.removals:
            text = texts[r.doc]
            part = text if r.begin is None else text[r.begin:r.end]
            for name, value in (("doc", int(doc[r.doc])), ("reason", r.reason), ("kept", int(doc[r.kept])),
                                ("similarity", float(r.similarity)), ("begin", r.begin), ("end", r.end),
                                ("kept_begin", r.kept_begin), ("kept_end", r.kept_end),
                                ("characters", len(part)), ("bytes", local._utf8(part))):
                rows[name].append(value)
        return pa.table(rows, schema=_DECISIONS)

    return fn


@contextmanager
def _no_constraint_propagation(spark):
    """Spark 4's optimizer fails on the unions of `connected_components` over these edges
    (``NoSuchElementException: key not found`` in ``UnionBase.rewriteConstraints``: the
    checkpointed edges keep the constraints of their filters); without constraint propagation
    it plans them. The session's setting is restored afterwards."""
    key = "spark.sql.constraintPropagation.enabled"
    before = spark.conf.get(key, None)
    spark.conf.set(key, "false")
    try:
        yield
    finally:
        if before is None:
            spark.conf.unset(key)
        else:
            spark.conf.set(key, before)


def decisions(docs, config: DedupConfig, store: StageStore) -> dict[str, Any]:
    """Tokenise, rank, pair, link and decide: the removals (``_DECISIONS`` rows) and the counts."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    cfg = config.dedup
    doc_level, passages = cfg.mode != "passages", cfg.mode != "documents"
    tok = store("tokenise", lambda: tokenised(docs, cfg))
    ranks = store("rank", lambda: keep_ranks(docs, tok, config))

    # exact groups: the first in keep order leads (with passages alone, only documents that can hold a passage)
    grouped = tok.select("doc", "fp", "words").join(ranks, "doc")
    if not doc_level:
        grouped = grouped.filter(F.col("words") >= int(cfg.passage_words))
    by_fp = Window.partitionBy("fp").orderBy("rank")
    grouped = grouped.withColumn("lead", F.first("doc").over(by_fp)).localCheckpoint()
    edges = grouped.filter(F.col("doc") != F.col("lead")).select(F.col("doc").alias("u"), F.col("lead").alias("v"))
    counts = {"candidates": 0, "pairs": 0}
    pairs = windows = None
    if doc_level:
        leads = grouped.filter(F.col("doc") == F.col("lead")).select("doc")
        with store.reporter.stage("pairs", total=None, unit=""):
            pairs, candidates = similar_pairs(tok, leads, cfg)
            pairs = pairs.localCheckpoint()
            counts["candidates"], counts["pairs"] = candidates.count(), pairs.count()
        edges = edges.unionByName(pairs.select(F.col("a").alias("u"), F.col("b").alias("v")))
    if passages:
        with store.reporter.stage("windows", total=None, unit=""):
            windows, window_edges = shared_windows(tok)
            windows = windows.localCheckpoint()
        edges = edges.unionByName(window_edges)
    with store.reporter.stage("components", total=None, unit=""), _no_constraint_propagation(docs.sparkSession):
        labels = connected_components(edges.localCheckpoint())
    members = labels.select(F.col("node").alias("doc"), F.col("label").alias("comp"))
    parts = (members.join(docs.select("doc", "text"), "doc")
             .join(tok.select("doc", "fp", "words", "n_grams"), "doc").join(ranks, "doc"))
    schema = ["doc", "comp", "text", "fp", "words", "n_grams", "rank"]
    if doc_level:
        lists = pairs.groupBy("a").agg(F.collect_list(F.struct("b", "shared")).alias("pairs"))
        parts = parts.join(lists.withColumnRenamed("a", "doc"), "doc", "left")
        schema.append("pairs")
    if passages:
        lists = windows.groupBy("doc").agg(F.collect_list(F.struct("pos", "h")).alias("windows"))
        parts = parts.join(lists, "doc", "left")
        schema.append("windows")
    removals = store("decide", lambda: parts.select(*schema).groupBy("comp").applyInArrow(
        _decide_component(cfg, doc_level, passages), _DECISIONS_DDL))
    return {"removals": removals, **counts}


# --- output -----------------------------------------------------------------------------------

def _stream(df, columns: list[str]) -> Iterator[list[dict[str, Any]]]:
    """Rows of ``df`` (already in order) in batches, partition by partition."""
    batch: list[dict[str, Any]] = []
    for row in df.select(*columns).toLocalIterator():
        batch.append(row.asDict())
        if len(batch) >= _STREAM_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


def _unified(types: list[pa.DataType | None]) -> pa.DataType | None:
    """One type for a column whose batches had ``types`` (None: a batch with no one type), or
    None when there is none: then the column is JSON text, as `dedup._column` makes it."""
    if not types or any(t is None for t in types):
        return None
    try:
        return pa.unify_schemas([pa.schema([("x", t)]) for t in types], promote_options="permissive").field("x").type
    except (pa.ArrowInvalid, pa.ArrowTypeError, NotImplementedError):
        return None


def _typed(values: list[Any], kind: pa.DataType | None) -> pa.Array:
    return local.json_text(values) if kind is None else pa.array(values, kind)


class _Kept:
    """The kept documents in input order, streamed: a first pass for the columns (and their
    parquet types), a second for the rows."""

    def __init__(self, kept, config: DedupConfig) -> None:
        self.kept, self.config = kept, config

    def rows(self, present: set[str], extra: dict[str, None], with_text: bool = True
             ) -> Iterator[list[dict[str, Any]]]:
        """Batches of `dedup.kept_row` rows (``present`` and ``extra`` noted as it notes them)."""
        columns = ["doc_id", "source", "date", "url", "meta"] + (["text", "cuts"] if with_text else [])
        for batch in _stream(self.kept, columns):
            out = []
            for row in batch:
                cuts = sorted((c["begin"], c["end"]) for c in row["cuts"]) if with_text and row["cuts"] else None
                out.append(local.kept_row(_doc_fields(row), cuts, self.config, present, extra))
            yield out

    def columns(self) -> tuple[list[str], dict[str, pa.DataType | None]]:
        """The columns of the kept file and the parquet type of each (None: JSON text)."""
        present: set[str] = set()
        extra: dict[str, None] = {}
        types: dict[str, list] = {}
        for batch in self.rows(present, extra, with_text=False):
            for name in {k for row in batch for k in row}:
                try:
                    types.setdefault(name, []).append(pa.array([row.get(name) for row in batch]).type)
                except local.NO_ONE_TYPE:
                    types.setdefault(name, []).append(None)
        columns = local.kept_columns(present, extra, self.config)
        named = local.text_fields(self.config)
        return columns, {name: pa.string() if name in named else _unified(types.get(name, [])) for name in columns}

    def write(self, path: Path, fmt: str) -> None:
        columns, kinds = self.columns()
        if fmt == "jsonl":
            with open(path, "w", encoding="utf-8", newline="\n") as handle:
                for batch in self.rows(set(), {}):
                    for row in batch:
                        handle.write(json.dumps({k: row[k] for k in columns if k in row}, ensure_ascii=False))
                        handle.write("\n")
            return
        schema = pa.schema([(name, pa.string() if kinds[name] is None else kinds[name]) for name in columns])
        with pq.ParquetWriter(path, schema, compression="zstd") as writer:
            for batch in self.rows(set(), {}):
                writer.write_table(pa.table({name: _typed([row.get(name) for row in batch], kinds[name])
                                             for name in columns}, schema=schema))

    def table(self) -> pa.Table:
        """All kept rows as `dedup.kept_table` makes them (for a result kept in memory)."""
        present: set[str] = set()
        extra: dict[str, None] = {}
        rows = [row for batch in self.rows(present, extra) for row in batch]
        return local.kept_table(rows, local.kept_columns(present, extra, self.config), self.config)


def _write_rows(path: Path, batches: Iterator[list[dict[str, Any]]], schema: pa.Schema) -> None:
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        wrote = False
        for batch in batches:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            wrote = True
        if not wrote:
            writer.write_table(schema.empty_table())


def dedup(documents: Any, config: DedupConfig, out: Path | None, overwrite: bool, reporter: Reporter | None,
          master: str = "local[*]", spark=None) -> local.DedupResult:
    """`reprints.dedup` with ``engine="spark"`` (``out`` already checked and claimed)."""
    from pyspark.sql import functions as F

    from reprints import spark as reprints_spark
    from reprints.engines import spark as engine
    from reprints.io import writers

    reporter = reporter or Reporter()
    started = time.perf_counter()
    paths = input_paths(documents)
    if isinstance(paths, list):
        documents = paths
    spark = spark or reprints_spark.session(master)
    store = StageStore(spark, reporter=reporter)
    frames: list = []

    def read(k: int):
        if not frames:
            frames.extend(reprints_spark._documents_frame(spark, documents, config, engine.PageTally(spark)))
        return frames[k]

    docs = store("read", lambda: read(0))
    skips = store("skips", lambda: read(1)).orderBy("row")
    totals = docs.agg(F.count(F.lit(1)).alias("n"), F.sum(F.octet_length("text")).alias("bytes")).collect()[0]
    n_docs, bytes_in = int(totals["n"]), int(totals["bytes"] or 0)
    if n_docs == 0:
        first = skips.limit(20).collect()
        raise NoDocumentsError([Skip(r["origin"], r["reason"], r["doc_id"]) for r in first])
    found = decisions(docs, config, store)
    removals = found["removals"]

    with reporter.stage("write", total=1, unit=""):
        ids = docs.select("doc", "doc_id", F.col("origin").alias("input"))
        removed = (removals.join(ids, "doc").join(ids.select(F.col("doc").alias("kept"),
                                                             F.col("doc_id").alias("kept_doc_id")), "kept")
                   .orderBy("doc", F.col("begin").asc_nulls_first()))
        whole = removals.filter(F.col("begin").isNull()).select("doc")
        cuts = (removals.filter(F.col("begin").isNotNull()).groupBy("doc")
                .agg(F.collect_list(F.struct("begin", "end")).alias("cuts")))
        kept = _Kept(docs.join(whole, "doc", "left_anti").join(cuts, "doc", "left").orderBy("doc").localCheckpoint(),
                     config)
        skipped_rows = skips.select(F.col("origin").alias("input"), "doc_id", "reason")
        tally = {(r["whole"], r["reason"]): (r["n"], r["bytes"], r["docs"]) for r in removals.groupBy(
            F.col("begin").isNull().alias("whole"), "reason").agg(
            F.count(F.lit(1)).alias("n"), F.sum("bytes").alias("bytes"), F.countDistinct("doc").alias("docs")).collect()}
        reasons = {reason: n for (whole_, reason), (n, _, _) in tally.items() if whole_}
        spans = sum(n for (whole_, _), (n, _, _) in tally.items() if not whole_)
        cut = sum(d for (whole_, _), (_, _, d) in tally.items() if not whole_)  # spans have one reason
        bytes_removed = sum(int(b or 0) for _, b, _ in tally.values())
        skip_counts: dict[str, int] = {}
        first_skips: list[Skip] = []
        n_skipped = 0

        def skip_batches() -> Iterator[list[dict[str, Any]]]:
            nonlocal n_skipped
            for batch in _stream(skipped_rows, ["input", "doc_id", "reason"]):
                for row in batch:
                    key = skip_reason_key(row["reason"])
                    skip_counts[key] = skip_counts.get(key, 0) + 1
                    if len(first_skips) < 20:
                        first_skips.append(Skip(row["input"], row["reason"], row["doc_id"]))
                n_skipped += len(batch)
                yield batch

        removed_columns = local.REMOVED.names
        fmt = local.output_format(config, paths)

        def summary() -> dict[str, Any]:
            return local.summary_fields(config, n_docs, first_skips, n_skipped, skip_counts,
                                        n_docs - sum(reasons.values()), reasons, spans, cut, found["candidates"],
                                        found["pairs"], bytes_in, bytes_removed, reporter.timings,
                                        time.perf_counter() - started)

        if out is None:
            skipped = pa.Table.from_pylist([r for b in skip_batches() for r in b], schema=local.SKIPPED)
            result = local.DedupResult(kept.table(), pa.Table.from_pylist(
                [r for b in _stream(removed, removed_columns) for r in b], schema=local.REMOVED), skipped, summary(),
                format=fmt)
        else:
            result = local.DedupResult(None, None, None, {}, format=fmt)

            def write(tmp: Path) -> None:
                kept.write(tmp / f"kept.{fmt}", fmt)
                _write_rows(tmp / "removed.parquet", _stream(removed, removed_columns), local.REMOVED)
                _write_rows(tmp / "skipped.parquet", skip_batches(), local.SKIPPED)
                result.summary = summary()
                import pyspark

                info.update(local.run_info(config, paths, fmt, result.summary, {
                    "engine": "spark", "spark_master": spark.sparkContext.master,
                    "versions": {"pyspark": pyspark.__version__, "spark": spark.version}}))

            info: dict[str, Any] = {}  # filled by write(): the summary counts the skips as they are written
            result.out = writers.write_directory(out, write, info, overwrite=overwrite)
    result.summary["seconds_per_stage"] = {k: round(v, 3) for k, v in reporter.timings.items()}
    result.summary["seconds"] = round(time.perf_counter() - started, 3)
    return result
