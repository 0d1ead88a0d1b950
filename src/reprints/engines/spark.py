"""The Spark engine: the stages of the local engine, run as Spark jobs.

Per-batch work (tokenising, boilerplate keys, shingles, alignment, span merging, the pair
measures, snippets) calls the same functions as the local engine (``engines.tasks`` and
``stages``) inside ``mapInArrow``; the candidate pairs are the very SQL text of
``stages.candidates`` run as Spark SQL; connected components are iterative min-label
propagation with pointer jumping, as joins. Nothing that grows with the collection is
collected to the driver: only counts, and one count per partition to number rows densely.

Hashes (uint64) travel as int64 with the same bits; equality and grouping are unaffected.
"""

from __future__ import annotations

import json
import os
import uuid
from typing import Any, Iterator

import numpy as np
import pyarrow as pa

from reprints import __version__
from reprints.config import ScanConfig
from reprints.engines import tasks
from reprints.io import readers
from reprints.progress import Reporter
from reprints import records
from reprints.records import Document, Skip
from reprints.stages import boilerplate, candidates, cluster, formula, report_tables
from reprints.stages.arrays import sorted_isin
from reprints.stages.normalise import string_key

# Prepared documents: ``doc`` numbers them 0..n-1 in read order, as the local engine does.
DOCS_SCHEMA = ("doc long, doc_id string, text string, source string, date string, url string, "
               "meta string, origin string, warning string")
PREPARED_SCHEMA = ("row long, ok boolean, doc_id string, text string, source string, date string, url string, "
                   "meta string, origin string, warning string, skip_reason string, capture string, digest long")


def _i64(values: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.uint64).view(np.int64)


def _u64(values: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.int64).view(np.uint64)


def _source_keys(sources: list[str | None]) -> np.ndarray:
    cache: dict[str | None, int] = {}
    return np.array([cache.setdefault(s, string_key(s)) for s in sources], dtype=np.uint64)


def _frequent(lists: list[Any]) -> np.ndarray:
    """Sorted boilerplate keys (uint64) of the documents of a batch: the union of their own."""
    keys = [np.asarray(k, dtype=np.int64) for k in lists if k is not None and len(k)]
    if not keys:
        return np.zeros(0, dtype=np.uint64)
    return np.unique(_u64(np.concatenate(keys)))


def with_index(df, name: str):
    """``df`` with a dense 0..n-1 column in its current order (one count per partition collected)."""
    from pyspark.sql import functions as F

    df = df.withColumn("_pid", F.spark_partition_id()).withColumn("_mid", F.monotonically_increasing_id())
    df = df.localCheckpoint()
    counts = dict(df.groupBy("_pid").count().collect())
    offsets, total = {}, 0
    for pid in sorted(counts):
        offsets[pid] = total
        total += counts[pid]
    spark = df.sparkSession
    offset_df = spark.createDataFrame([(p, o) for p, o in offsets.items()] or [(0, 0)], "_pid int, _off long")
    low = F.col("_mid").bitwiseAND(F.lit((1 << 33) - 1))
    out = (df.join(F.broadcast(offset_df), "_pid")
           .withColumn(name, F.col("_off") + low)
           .drop("_pid", "_mid", "_off"))
    return out


class StageStore:
    """Where stage outputs live. Without a folder: ``localCheckpoint`` (lineage cut, nothing
    kept). With one: each stage is written there as Parquet with a completion marker, and a
    later run with the same folder and configuration reads finished stages back instead of
    computing them again, so an interrupted run resumes from its last finished stage.
    The folder must be on a file system the driver sees as local (a shared mount on a cluster).
    """

    MARKER = "_REPRINTS_COMPLETE"

    def __init__(self, spark, folder=None, config: ScanConfig | None = None, inputs: Any = None,
                 reporter: Reporter | None = None):
        from pathlib import Path

        self.spark = spark
        self.reporter = reporter or Reporter()
        self.folder = None if folder is None else Path(folder)
        # A stage is reused only by the same configuration, inputs and reprints version (another
        # version may write a stage with other columns).
        self.key = json.dumps({"config": (config or ScanConfig()).to_dict(), "inputs": inputs,
                               "version": __version__}, sort_keys=True, default=str)
        self.reused: list[str] = []
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)

    def done(self, name: str) -> bool:
        if self.folder is None:
            return False
        marker = self.folder / name / self.MARKER
        return marker.exists() and marker.read_text(encoding="utf-8") == self.key

    def __call__(self, name: str, build):
        """The stage ``name``, computed now (its time is the reporter's stage ``name``)."""
        with self.reporter.stage(name, total=None, unit=""):
            if self.folder is None:
                return build().localCheckpoint()
            path = self.folder / name
            if self.done(name):
                self.reused.append(name)
                return self.spark.read.parquet(str(path))
            import shutil

            shutil.rmtree(path, ignore_errors=True)
            build().write.mode("overwrite").parquet(str(path))
            (path / self.MARKER).write_text(self.key, encoding="utf-8")
            return self.spark.read.parquet(str(path))


# --- inputs -----------------------------------------------------------------------------

# Up to this many repeated ids are dropped by a broadcast join (row numbers only, 8 bytes each);
# more (a collection that is mostly repeats) take a shuffle join and a sort by read order.
_BROADCAST_REPEATS = 2_000_000


class PageTally:
    """Web pages extracted in the executors (and on the driver), for the summary's ``web_pages``:
    Spark accumulators, read once the documents stage has run (a retried task counts again)."""

    def __init__(self, spark):
        context = spark.sparkContext
        self.pages, self.documents, self.seconds = context.accumulator(0), context.accumulator(0), context.accumulator(0.0)

    def counted(self, items: Iterator[Any]) -> Iterator[Any]:
        """``items`` as they come, the pages extracted while making them added up."""
        from reprints.io.html import counting_pages

        with counting_pages() as counts:
            yield from items
        self.pages.add(counts.pages)
        self.documents.add(counts.documents)
        self.seconds.add(counts.seconds)

    def summary(self) -> dict[str, Any]:
        from reprints.io.html import PageCounts

        return PageCounts(self.pages.value, self.documents.value, self.seconds.value).summary()


def tallied(items: Iterator[Any], tally: PageTally | None) -> Iterator[Any]:
    """``items``, with the pages extracted while making them added up in ``tally`` if one is given."""
    return tally.counted(items) if tally is not None else items


def prepare(df, config: ScanConfig, tally: PageTally | None = None):
    """Rows of any DataFrame → (documents with ``DOCS_SCHEMA``, skips (origin, reason, doc_id, row)),
    both still to be computed (a ``StageStore`` stage keeps them).

    Each row goes through the readers' own checks (``row_to_document``, surrogate repair,
    empty, too long; an HTML field extracted); a repeated id is skipped after its first reading,
    as the readers do.
    """
    read = config.read
    indexed = with_index(df, "_row")

    def rows(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            out = []
            for row in batch.to_pylist():
                number = row.pop("_row")
                item = readers.row_to_document(row, f"row {number + 1}", read)
                out.append(prepared_row(number, readers.checked(item, {}, read) if isinstance(item, Document) else item))
            yield pa.RecordBatch.from_pylist(out, schema=_arrow_schema(PREPARED_SCHEMA))

    return first_readings(indexed.mapInArrow(lambda batches: tallied(rows(batches), tally), PREPARED_SCHEMA))


# A task reads files until they hold this many bytes (a WARC or ARC archive is always one task).
_FILES_PER_TASK_BYTES = 64 << 20
_FILES_PER_TASK = 2_000


def read_files(spark, units: list, config: ScanConfig, tally: PageTally | None = None):
    """Files and folders (`readers.ReadUnit`s, in read order) → (documents, skips) as `prepare`
    gives them, read in the executors: one task per archive or per batch of other files, web
    pages extracted where they are read. Each item is numbered by its unit and its place there,
    so the first reading of a repeated id is the one a local read keeps."""
    read = config.read

    def rows(batches: Iterator[list]) -> Iterator[tuple]:
        from reprints.io.html import finish

        for batch in batches:
            for number, unit in batch:
                for place, item in enumerate(finish(readers.unit_items(unit, read))):
                    row = prepared_row((number << 32) + place, readers.checked(item, {}, read))
                    yield tuple(row.values())

    tasks = _file_tasks(units)
    items = spark.sparkContext.parallelize(tasks, len(tasks)).mapPartitions(lambda batches: tallied(rows(batches), tally))
    return first_readings(spark.createDataFrame(items, PREPARED_SCHEMA))


def _file_tasks(units: list) -> list[list]:
    """Numbered units grouped into tasks: an archive alone, other files up to a size or count."""
    tasks: list[list] = []
    batch: list = []
    size = 0
    for number, unit in enumerate(units):
        if readers.is_archive(unit):
            tasks.append([(number, unit)])
            continue
        try:
            size += os.stat(unit.path).st_size if unit.reason is None else 0
        except OSError:  # the task says why it cannot be read
            pass
        batch.append((number, unit))
        if size >= _FILES_PER_TASK_BYTES or len(batch) >= _FILES_PER_TASK:
            tasks.append(batch)
            batch, size = [], 0
    if batch or not tasks:
        tasks.append(batch)
    return tasks


def prepared_row(number: int, item: Document | Skip) -> dict[str, Any]:
    """One read item as a row of ``PREPARED_SCHEMA``."""
    if isinstance(item, Document):
        capture = readers.capture_date(item)
        return {"row": number, "ok": True, "doc_id": item.doc_id, "text": item.text,
                "source": item.source, "date": item.date, "url": item.url,
                "meta": json.dumps(item.meta, ensure_ascii=False) if item.meta else None,
                "origin": item.origin, "warning": item.warning, "skip_reason": None,
                "capture": capture, "digest": readers.text_digest(item.text) if capture else None}
    return {"row": number, "ok": False, "doc_id": item.doc_id, "text": None, "source": None,
            "date": None, "url": None, "meta": None, "origin": item.origin, "warning": None,
            "skip_reason": item.reason, "capture": None, "digest": None}


def first_readings(rows):
    """Prepared rows → (documents, skips), repeated ids decided as `readers._check` decides them:
    a repeated id is skipped after its first good reading (skipped rows claim no id); a later
    capture of a web page is skipped if its text is the first capture's, else kept under
    `readers.recapture_id` (unless that id is taken too). Ranked on ids, row numbers and text
    digests alone."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    # Rows stay in read order inside each partition from here on; texts are never shuffled.
    rows = rows.localCheckpoint()
    by_id = Window.partitionBy("doc_id").orderBy("row")
    ranked = (rows.filter("ok").select("row", "doc_id", "origin", "capture", "digest")
              .withColumn("_rank", F.row_number().over(by_id))
              .withColumn("_first", F.first("origin").over(by_id))
              .withColumn("_first_digest", F.first("digest").over(by_id)))
    later = F.col("_rank") > 1
    unchanged = F.col("capture").isNotNull() & (F.col("digest") == F.col("_first_digest"))
    renamed = later & F.col("capture").isNotNull() & ~F.coalesce(unchanged, F.lit(False))
    # Renamed captures compete with every first reading for their new id, in read order.
    claims = (ranked.filter(~later | renamed)
              .select("row", "origin", F.col("doc_id").alias("_old"),
                      F.when(renamed, F.concat("doc_id", F.lit(readers.RECAPTURE_SEPARATOR), "capture"))
                      .otherwise(F.col("doc_id")).alias("doc_id"))
              .withColumn("_rank", F.row_number().over(by_id))
              .withColumn("_first", F.first("origin").over(by_id)))
    duplicate = F.concat(F.lit("duplicate id (first read from "), F.col("_first"), F.lit(")"))
    repeats = (ranked.filter(later & ~renamed)
               .select("row", "origin", "doc_id", F.when(F.coalesce(unchanged, F.lit(False)), F.concat(F.lit(readers.SAME_CAPTURE), F.col("_first"), F.lit(")")))
                       .otherwise(duplicate).alias("reason"))
               .unionByName(claims.filter("_rank > 1").select("row", "origin", "doc_id", duplicate.alias("reason")))
               ).localCheckpoint()
    renames = claims.filter("_rank = 1 AND doc_id <> _old").select("row", F.col("doc_id").alias("_new")).localCheckpoint()
    n_repeats, n_renames = repeats.count(), renames.count()
    skips = rows.filter(~F.col("ok")).select("origin", F.col("skip_reason").alias("reason"), "doc_id", "row") \
        .unionByName(repeats.select("origin", "reason", "doc_id", "row"))
    good = rows.filter("ok")
    small = n_repeats + n_renames <= _BROADCAST_REPEATS  # broadcast joins keep the read order
    if n_repeats:
        good = good.join(F.broadcast(repeats.select("row")) if small else repeats.select("row"), "row", "left_anti")
    if n_renames:
        good = (good.join(F.broadcast(renames) if small else renames, "row", "left")
                .withColumn("doc_id", F.coalesce("_new", "doc_id")).drop("_new"))
    if (n_repeats or n_renames) and not small:
        good = good.orderBy("row")
    docs = spread(with_index(good, "doc").select(*[c.split()[0] for c in DOCS_SCHEMA.split(", ")]), "doc")
    return docs, skips  # not materialised: the caller keeps them as its "documents" stage


def spread(df, key: str):
    """``df`` over at least as many partitions as the session runs tasks at once, in ``key`` order
    (ranges of ``key``, sorted inside each): one big input file is read by one task, and the
    per-document stages after it would otherwise run on one core."""
    cores = df.sparkSession.sparkContext.defaultParallelism
    if df.rdd.getNumPartitions() >= cores:
        return df
    return df.repartitionByRange(2 * cores, key).sortWithinPartitions(key)


def _arrow_schema(ddl: str) -> pa.Schema:
    types = {"long": pa.int64(), "string": pa.string(), "boolean": pa.bool_(), "double": pa.float64(),
             "int": pa.int32(), "array<long>": pa.list_(pa.int64())}
    return pa.schema([(name, types[kind]) for name, kind in (f.split(" ", 1) for f in ddl.split(", "))])


# --- the stages -------------------------------------------------------------------------

_LINE_KEYS = "doc long, key long"
_SHINGLES = "doc long, length long, n_words long, n_grams long, fp long, hs array<long>"
_PASSAGES = records.spark_ddl(records.ALIGNED_PASSAGES) + ", text_a string, text_b string"


def find_matches(docs, config: ScanConfig, store: StageStore | None = None) -> dict[str, Any]:
    """Boilerplate → shingles → candidates → passages over prepared documents (``DOCS_SCHEMA``).

    Returns DataFrames by document index: ``docs`` (with ``bp``, ``length``, ``n_words``,
    ``n_grams``), ``candidates`` (`candidates.exact_wins_sql`), ``passages`` (``_PASSAGES`` plus ``pid``), and the
    number of boilerplate keys.
    """
    from pyspark.sql import functions as F

    spark = docs.sparkSession
    store = store or StageStore(spark)

    parts = partition_keys(spark, int(spark.conf.get("spark.sql.shuffle.partitions")))

    def line_keys_fn(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            d, keys = tasks.doc_line_keys(batch.column("text").to_pylist(),
                                          _source_keys(batch.column("source").to_pylist()), config)
            rows = np.empty(len(d), _LINE_KEY)
            rows["doc"], rows["key"] = batch.column("doc").to_numpy()[d], _i64(keys)
            yield from packed(rows, rows["key"], parts)

    def frequent_fn(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        rows = unpacked(batches, _LINE_KEY)  # every holder of a key is in this part
        chosen = rows[sorted_isin(rows["key"], boilerplate.frequent_keys([rows["key"]], config.boilerplate))]
        yield pa.RecordBatch.from_arrays([pa.array(chosen["doc"]), pa.array(chosen["key"])], names=["doc", "key"])

    doc_bp = store("boilerplate", lambda: by_part(docs.select("doc", "text", "source").mapInArrow(line_keys_fn, _PACKED),
                                                  parts)
                   .mapInArrow(frequent_fn, _LINE_KEYS).groupBy("doc").agg(F.collect_list("key").alias("bp")))
    docs = docs.join(doc_bp, "doc", "left")

    def shingle_fn(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            index = batch.column("doc").to_numpy()
            texts = batch.column("text").to_pylist()
            d, grams, fps, words, n_grams = tasks.shingles(
                texts, _source_keys(batch.column("source").to_pylist()),
                _frequent(batch.column("bp").to_pylist()), config)
            bounds = np.searchsorted(d, np.arange(len(texts) + 1))  # d is sorted by document
            hs = pa.ListArray.from_arrays(pa.array(bounds.astype(np.int32)), pa.array(_i64(grams)))
            yield pa.RecordBatch.from_arrays(
                [pa.array(index), pa.array(np.array([len(t) for t in texts], np.int64)),
                 pa.array(words.astype(np.int64)), pa.array(n_grams.astype(np.int64)), pa.array(_i64(fps)), hs],
                names=["doc", "length", "n_words", "n_grams", "fp", "hs"])

    shingled = store("shingle", lambda: docs.select("doc", "text", "source", "bp").mapInArrow(shingle_fn, _SHINGLES))
    tag = uuid.uuid4().hex[:10]
    fingerprints_view = f"reprints_fingerprints_{tag}"
    shingled.select("doc", "fp", "n_words").createOrReplaceTempView(fingerprints_view)
    ranks_view = f"reprints_ranks_{tag}"
    ranks = store("ranks", lambda: date_ranks(docs))
    ranks.createOrReplaceTempView(ranks_view)
    shared = store("candidates_shared", lambda: shared_ngram_pairs(shingled, ranks, config, ranks_view, parts))
    exact = store("candidates_exact", lambda: spark.sql(
        candidates.exact_duplicate_pairs_sql(config.candidates, config.shingle.ngram, fingerprints=fingerprints_view)))
    docs = docs.join(shingled.select("doc", "length", "n_words", "n_grams"), "doc")

    shared.createOrReplaceTempView(f"reprints_shared_{tag}")
    exact.createOrReplaceTempView(f"reprints_exact_{tag}")
    found = store("candidates", lambda: spark.sql(candidates.exact_wins_sql(f"reprints_shared_{tag}",
                                                                                f"reprints_exact_{tag}")))
    side = docs.select("doc", "text", "source", "bp")
    pairs = (found.join(side.toDF("a", "text_a", "source_a", "bp_a"), "a")
                  .join(side.toDF("b", "text_b", "source_b", "bp_b"), "b"))
    batch_pairs = max(1, int(config.engine.batch_pairs))

    def align_fn(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        schema = _arrow_schema(_PASSAGES)
        for whole in batches:
            for lo in range(0, whole.num_rows, batch_pairs):
                batch = whole.slice(lo, batch_pairs)
                a, b = batch.column("a").to_numpy(), batch.column("b").to_numpy()
                text, source, bp = {}, {}, {}
                for col in ("a", "b"):
                    for d, t, s, k in zip(batch.column(col).to_pylist(), batch.column(f"text_{col}").to_pylist(),
                                          batch.column(f"source_{col}").to_pylist(),
                                          batch.column(f"bp_{col}").to_pylist()):
                        text[d], source[d], bp[d] = t, s, k
                order = np.lexsort((b, a))
                ids = np.array(sorted(text), dtype=np.int64)
                exact = np.asarray(batch.column("exact").to_pylist(), bool)
                rows = tasks.align_pairs(a[order], b[order], exact[order],
                                         ids, [text[d] for d in ids.tolist()],
                                         _source_keys([source[d] for d in ids.tolist()]),
                                         _frequent([bp[d] for d in ids.tolist()]), config,
                                         formula.formula_prone(batch.column("shared").to_numpy(),
                                                               batch.column("common").to_numpy(), config.pairs,
                                                               exact)[order])
                out = [dict(zip(tasks.PASSAGE_COLUMNS, r)) for r in rows]
                for r in out:
                    r["text_a"] = text[r["a"]][r["begin_a"]:r["end_a"]]
                    r["text_b"] = text[r["b"]][r["begin_b"]:r["end_b"]]
                yield pa.RecordBatch.from_pylist(out, schema=schema)

    # Aligned once, then sorted: a sort samples its input first, which would run the aligner twice.
    passages = store("align", lambda: with_index(pairs.mapInArrow(align_fn, _PASSAGES).localCheckpoint()
                                                 .orderBy("a", "begin_a", "b", "begin_b"), "pid"))
    boilerplate_lines = doc_bp.select(F.explode("bp").alias("key")).distinct().count()
    return {"docs": docs, "candidates": found, "passages": passages,
            "boilerplate_lines": boilerplate_lines, "ranks": ranks}


_PAIR_COUNTS = ", ".join(f"{c} long" for c in candidates.PAIR_COUNT_COLUMNS)  # all counts and doc numbers

# Rows that travel between tasks by the million (postings, line keys) go packed in blobs of at
# most this many, not one row each: a row costs the JVM its handling, shuffle and Arrow conversion.
_ROWS_PER_BLOB = 1 << 20
_POSTING = np.dtype([("doc", np.int64), ("h", np.int64), ("rank", np.int64)])
_LINE_KEY = np.dtype([("doc", np.int64), ("key", np.int64)])
_PACKED = "part long, blob binary"


def partition_keys(spark, parts: int) -> np.ndarray:
    """For each partition p of ``repartition(parts, key)``, a key that Spark's hash partitioning
    sends to p: rows keyed ``keys[p]`` make partition p alone (found among the first integers by
    Spark's own hash; as many as there are partitions)."""
    from pyspark.sql import functions as F

    keys: dict[int, int] = {}
    tried = 0
    while len(keys) < parts:
        found = (spark.range(tried, tried + 64 * parts)
                 .select("id", F.expr(f"pmod(hash(id), {parts})").alias("p"))
                 .groupBy("p").agg(F.min("id").alias("id")).collect())
        for row in found:
            keys.setdefault(row["p"], row["id"])
        tried += 64 * parts
    return np.array([keys[p] for p in range(parts)], dtype=np.int64)


def packed(rows: np.ndarray, by: np.ndarray, keys: np.ndarray) -> Iterator[pa.RecordBatch]:
    """(part, blob) batches: ``rows`` (a structured array) split into ``len(keys)`` parts by the
    hash ``by``, each part's rows packed in blobs keyed ``keys[part]``; `unpacked` reads them."""
    parts = len(keys)
    part = (np.ascontiguousarray(by).view(np.uint64) % np.uint64(parts)).astype(np.int64)
    order = np.argsort(part, kind="stable")
    bounds = np.searchsorted(part[order], np.arange(parts + 1))
    for p in range(parts):
        chosen = order[bounds[p]:bounds[p + 1]]
        blobs = [rows[chosen[lo:lo + _ROWS_PER_BLOB]].tobytes() for lo in range(0, len(chosen), _ROWS_PER_BLOB)]
        if blobs:
            yield pa.RecordBatch.from_arrays([pa.array(np.full(len(blobs), keys[p])), pa.array(blobs, pa.binary())],
                                             names=["part", "blob"])


def unpacked(batches: Iterator[pa.RecordBatch], dtype: np.dtype) -> np.ndarray:
    """Every row of the (part, blob) batches of a partition, as one structured array."""
    blobs = [blob for batch in batches for blob in batch.column("blob").to_pylist()]
    return np.frombuffer(b"".join(blobs), dtype=dtype)


def by_part(df, keys: np.ndarray):
    """``df`` of (part, blob) rows with each part in a partition of its own."""
    return df.repartition(len(keys), "part")


def posting_parts(batches: Iterator[pa.RecordBatch], keys: np.ndarray) -> Iterator[pa.RecordBatch]:
    """Documents (doc, rank, hs) → their postings (`_POSTING`) packed by n-gram (`packed`)."""
    for batch in batches:
        hs = batch.column("hs")
        h = np.asarray(hs.flatten().to_numpy(zero_copy_only=False), dtype=np.int64)
        counts = np.asarray(hs.value_lengths().fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64)
        postings = np.empty(len(h), _POSTING)
        postings["doc"] = np.repeat(batch.column("doc").to_numpy(), counts)
        postings["h"] = h
        postings["rank"] = np.repeat(batch.column("rank").to_numpy(), counts)
        yield from packed(postings, h, keys)


def shared_ngram_pairs(shingled, ranks, config: ScanConfig, ranks_view: str, parts: np.ndarray):
    """`candidates.shared_ngram_pairs_sql` in two steps: the postings, split into parts by n-gram
    (every holder of an n-gram in one part), are counted per pair in each task by DuckDB running
    `candidates.ngram_pair_counts_sql` on its part (a posting self-join in a compiled engine, no
    shuffle of pair rows before they are grouped); Spark SQL then sums the parts' counts and
    chooses the candidates (`candidates.candidates_from_counts_sql`). Same SQL, same result as one
    query over all postings.

    The postings cross from task to task packed in blobs (`posting_parts`), a few rows per part
    and batch of documents, each part in a partition of its own: a row per posting would cost
    the JVM a row's handling, shuffle and Arrow conversion for each of the ~150 n-grams of
    every document."""
    spark = shingled.sparkSession
    postings = by_part(shingled.select("doc", "hs").join(ranks.select("doc", "rank"), "doc")
                       .mapInArrow(lambda batches: posting_parts(batches, parts), _PACKED), parts)
    count_sql = candidates.ngram_pair_counts_sql(config.candidates, "part", ranks="part_ranks")

    def count_fn(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import duckdb

        part = unpacked(batches, _POSTING)
        if not len(part):
            return
        con = duckdb.connect(config={"threads": 1})
        try:
            con.register("part_rows", pa.table({name: part[name] for name in _POSTING.names}))
            con.execute("CREATE TEMP VIEW part AS SELECT doc, h FROM part_rows")
            con.execute("CREATE TEMP VIEW part_ranks AS SELECT DISTINCT doc, rank FROM part_rows")
            yield from con.sql(count_sql).to_arrow_table().to_batches()
        finally:
            con.close()

    counts = postings.mapInArrow(count_fn, _PAIR_COUNTS)
    tag = uuid.uuid4().hex[:10]
    counts.createOrReplaceTempView(f"reprints_pair_counts_{tag}")
    return spark.sql(candidates.candidates_from_counts_sql(config.candidates, f"reprints_pair_counts_{tag}",
                                                           ranks=ranks_view))


def connected_components(edges, max_rounds: int = 200):
    """(node, label): the smallest node of each node's component, for nodes in ``edges(u, v)``.

    Min-label propagation with pointer jumping, as joins: every round each edge pulls both
    ends to the smaller label, then every label jumps to its label's label. Only the number
    of changed labels reaches the driver.
    """
    from pyspark.sql import functions as F

    edges = edges.select("u", "v").localCheckpoint()
    labels = (edges.select(F.col("u").alias("node")).union(edges.select(F.col("v").alias("node")))
              .distinct().withColumn("label", F.col("node"))).localCheckpoint()
    for _ in range(max_rounds):
        lu = labels.toDF("u", "lu")
        lv = labels.toDF("v", "lv")
        low = edges.join(lu, "u").join(lv, "v").select("u", "v", F.least("lu", "lv").alias("m"))
        pulled = (labels.union(low.select(F.col("u").alias("node"), F.col("m").alias("label")))
                  .union(low.select(F.col("v").alias("node"), F.col("m").alias("label")))
                  .groupBy("node").agg(F.min("label").alias("label")))
        jumped = (pulled.alias("x").join(pulled.alias("y"), F.col("x.label") == F.col("y.node"))
                  .select(F.col("x.node").alias("node"), F.least(F.col("x.label"), F.col("y.label")).alias("label")))
        jumped = jumped.localCheckpoint()
        changed = jumped.join(labels.toDF("node", "old"), "node").filter(F.col("label") != F.col("old")).count()
        labels = jumped
        if changed == 0:
            return labels
    raise RuntimeError(f"connected components did not converge in {max_rounds} rounds")


def date_ranks(docs):
    """(doc, rank, date_key, date_warning): each document's place in date order, earliest first,
    undated last, ties in input order (as `stages.cluster.date_ranks`), and its parsed date."""
    from pyspark.sql import functions as F

    dated = _dates(docs).localCheckpoint()  # parsed once, not again for the sort's sample
    ordered = dated.orderBy(F.col("date_key").asc_nulls_last(), F.col("doc"))
    return with_index(ordered, "rank").select("doc", "rank", "date_key", "date_warning").localCheckpoint()


def origins_and_sources(members, edges, ranks):
    """(seg, is_origin, source_doc_id, source_begin, source_end, source_score, source_reason) per
    cluster member: the local rules (`stages.cluster.choose_origins`, then `choose_sources`) run on
    the members and passages of every cluster of a partition at once, as the local engine runs
    them on all clusters (``members``: seg, comp, doc, doc_id, seg_begin, seg_end, date_key;
    ``edges``: u, v, matched, similarity per passage; ``ranks``: doc, rank). Members and passages
    travel as one table, partitioned by cluster."""
    from pyspark.sql import functions as F

    nodes = members.join(ranks.select("doc", "rank"), "doc").select(
        "comp", "seg", "doc", "rank", "date_key", (F.col("seg_end") - F.col("seg_begin")).alias("length"))
    links = (edges.join(members.select(F.col("seg").alias("u"), "comp"), "u")
             .select("comp", "u", "v", "matched", F.col("similarity").cast("double").alias("similarity")))
    both = nodes.unionByName(links, allowMissingColumns=True).repartition("comp")

    def choose(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow.compute as pc

        parts = [b for b in batches if b.num_rows]
        if not parts:
            return
        table = pa.Table.from_batches(parts)
        is_node = pc.is_valid(table.column("seg"))
        node, link = table.filter(is_node), table.filter(pc.invert(is_node))
        node = node.take(pc.sort_indices(node.column("seg")))
        seg = node.column("seg").to_numpy()
        seconds = node.column("date_key")
        dates = np.where(seconds.is_valid().to_numpy(zero_copy_only=False),
                         seconds.fill_null(0).to_numpy().astype("datetime64[s]"), np.datetime64("NaT"))
        origin = cluster.choose_origins(node.column("comp").to_numpy(), dates, node.column("length").to_numpy(),
                                        node.column("doc").to_numpy())
        is_origin = origin == np.arange(len(seg))
        source, shared, reasons = cluster.choose_sources(
            node.column("rank").to_numpy(), ~np.isnat(dates), is_origin,
            np.searchsorted(seg, link.column("u").to_numpy()), np.searchsorted(seg, link.column("v").to_numpy()),
            cluster.shared_words(link.column("matched").to_numpy(), link.column("similarity").to_numpy()))
        yield pa.RecordBatch.from_arrays(
            [pa.array(seg), pa.array(is_origin), pa.array(np.where(source >= 0, seg[np.maximum(source, 0)], -1)),
             pa.array(shared, mask=source < 0), pa.array(reasons, pa.string())],
            names=["seg", "is_origin", "source_seg", "source_score", "source_reason"])

    chosen = both.mapInArrow(choose, "seg long, is_origin boolean, source_seg long, source_score double, "
                                     "source_reason string")
    found = members.select(F.col("seg").alias("source_seg"), F.col("doc_id").alias("source_doc_id"),
                           F.col("seg_begin").alias("source_begin"), F.col("seg_end").alias("source_end"))
    return (chosen.join(found, "source_seg", "left")
            .select("seg", "is_origin", "source_doc_id", "source_begin", "source_end", "source_score", "source_reason"))


def _dates(docs):
    """(doc, date_key seconds or null, date_warning), with the local engine's date parser."""
    def fn(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            parsed, warnings = report_tables.parse_dates(batch.column("date").to_pylist())
            seconds = parsed.astype(np.int64)
            yield pa.RecordBatch.from_arrays(
                [batch.column("doc"), pa.array(seconds, mask=np.isnat(parsed)), pa.array(warnings, pa.string())],
                names=["doc", "date_key", "date_warning"])

    return docs.select("doc", "date").mapInArrow(fn, "doc long, date_key long, date_warning string")


def report(docs, matches: dict[str, Any], config: ScanConfig) -> dict[str, Any]:
    """The four user tables (as in ``records``) plus the ordering keys ``_a``/``_b``/``_order``."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    texts = docs.select("doc", "text")  # the documents stage: not copied again with the columns below
    docs = (matches["docs"].drop("text", "bp").join(matches["ranks"].select("doc", "date_key", "date_warning"), "doc")
            .localCheckpoint())
    passages = matches["passages"]
    ids = docs.select("doc", "doc_id")

    # passages
    passages_out = (passages.join(ids.toDF("a", "doc_a"), "a").join(ids.toDF("b", "doc_b"), "b")
                    .select(F.col("pid").alias("passage_id"), "doc_a", "begin_a", "end_a", "doc_b", "begin_b",
                            "end_b", F.col("matched").alias("matched_words"), "similarity", "kind",
                            "text_a", "text_b"))

    # pairs: the local pairs_table on batches of whole pairs, each with all its passages
    cand = matches["candidates"].select("a", "b", "exact", "shared")
    spans = passages.groupBy("a", "b").agg(F.collect_list(F.struct("begin_a", "end_a", "begin_b", "end_b", "kind")).alias("spans"))
    info = docs.select("doc", "doc_id", "length", "n_grams")
    cand = (cand.join(spans, ["a", "b"], "left").join(info.toDF("a", "id_a", "length_a", "n_grams_a"), "a")
            .join(info.toDF("b", "id_b", "length_b", "n_grams_b"), "b"))

    def pairs_fn(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            n = batch.num_rows
            col = {name: batch.column(name) for name in batch.schema.names}
            ids_local = np.array(col["id_a"].to_pylist() + col["id_b"].to_pylist(), dtype=object)
            lengths = np.concatenate([col["length_a"].to_numpy(), col["length_b"].to_numpy()]).astype(np.int64)
            n_grams = np.concatenate([col["n_grams_a"].to_numpy(), col["n_grams_b"].to_numpy()]).astype(np.int64)
            a_local, b_local = np.arange(n, dtype=np.int64), np.arange(n, 2 * n, dtype=np.int64)
            span_lists = col["spans"].to_pylist()
            counts = np.array([len(s or []) for s in span_lists], dtype=np.int64)
            flat = [s for spans_ in span_lists for s in (spans_ or [])]
            passages_local = {"a": np.repeat(a_local, counts), "b": np.repeat(b_local, counts)}
            for key in ("begin_a", "end_a", "begin_b", "end_b"):
                passages_local[key] = np.array([s[key] for s in flat], dtype=np.int64)
            passages_local["kind"] = np.array([s["kind"] for s in flat], dtype=object)
            table = report_tables.pairs_table(
                ids_local, lengths, n_grams, {"a": a_local, "b": b_local, "exact": col["exact"].to_pylist(),
                                              "shared": col["shared"].to_numpy()}, passages_local, config)
            index = dict(zip(zip(col["id_a"].to_pylist(), col["id_b"].to_pylist()),
                             zip(col["a"].to_pylist(), col["b"].to_pylist())))
            keys = [index[k] for k in zip(table.column("doc_a").to_pylist(), table.column("doc_b").to_pylist())]
            table = table.append_column("_a", pa.array([k[0] for k in keys], pa.int64()))
            table = table.append_column("_b", pa.array([k[1] for k in keys], pa.int64()))
            yield from table.to_batches()

    pairs_out = cand.mapInArrow(pairs_fn, records.spark_ddl(records.PAIRS) + ", _a long, _b long")

    # clusters: merge spans per document, number segments, components, origins; the passages
    # of filled-in templates make no clusters (as `report_tables.reprint_passages`)
    passages = passages.filter(F.col("kind") != formula.TEMPLATE)
    sides = (passages.select("pid", F.lit(0).alias("side"), F.col("a").alias("doc"), F.col("begin_a").alias("begin"),
                             F.col("end_a").alias("end"))
             .union(passages.select("pid", F.lit(1).alias("side"), F.col("b").alias("doc"),
                                    F.col("begin_b").alias("begin"), F.col("end_b").alias("end"))))

    def merge_fn(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        parts = [b for b in batches if b.num_rows]
        if not parts:
            return
        table = pa.Table.from_batches(parts)
        doc = table.column("doc").to_numpy()
        segment, seg_doc, seg_begin, seg_end = cluster.merge_spans(doc, table.column("begin").to_numpy(),
                                                                   table.column("end").to_numpy())
        yield pa.RecordBatch.from_arrays(
            [pa.array(table.column("pid").to_numpy()), pa.array(table.column("side").to_numpy()), pa.array(doc),
             pa.array(seg_begin[segment]), pa.array(seg_end[segment])],
            names=["pid", "side", "doc", "seg_begin", "seg_end"])

    merged = (sides.repartition("doc")
              .mapInArrow(merge_fn, "pid long, side int, doc long, seg_begin long, seg_end long")).localCheckpoint()
    segments = with_index(merged.select("doc", "seg_begin", "seg_end").distinct().orderBy("doc", "seg_begin"), "seg")
    segments = segments.localCheckpoint()
    span_seg = merged.join(segments.select("doc", "seg_begin", "seg"), ["doc", "seg_begin"])
    edges = (span_seg.filter("side = 0").select("pid", F.col("seg").alias("u"))
             .join(span_seg.filter("side = 1").select("pid", F.col("seg").alias("v")), "pid"))
    labels = connected_components(edges)
    members = (segments.join(labels.toDF("seg", "comp"), "seg")
               .join(docs.select("doc", "doc_id", "source", "date", "date_key"), "doc"))
    weighted = edges.join(passages.select("pid", "matched", "similarity"), "pid")
    members = members.localCheckpoint()
    members = members.join(origins_and_sources(members, weighted, matches["ranks"]), "seg").localCheckpoint()
    by_comp = Window.partitionBy("comp")
    members = (members.withColumn("cluster_size", F.count(F.lit(1)).over(by_comp))
               .withColumn("cluster_docs", F.size(F.collect_set("doc").over(by_comp)).cast("long"))
               .withColumn("origin_doc_id", F.first(F.when(F.col("is_origin"), F.col("doc_id")), ignorenulls=True)
                           .over(by_comp.rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing))))
    # Cluster ids as `report_tables.clusters_table` numbers them: larger first, then by smallest segment.
    comps = members.select("comp", "cluster_size").distinct().orderBy(F.col("cluster_size").desc(), F.col("comp"))
    comps = with_index(comps, "cluster_id").select("comp", "cluster_id")
    members = members.join(comps, "comp").join(texts, "doc")

    def snippet_fn(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            snippets = [report_tables.snippet(t[b:e]) for t, b, e in zip(
                batch.column("text").to_pylist(), batch.column("seg_begin").to_pylist(),
                batch.column("seg_end").to_pylist())]
            batch = batch.drop_columns(["text"]) if hasattr(batch, "drop_columns") else pa.RecordBatch.from_arrays(
                [batch.column(n) for n in batch.schema.names if n != "text"],
                names=[n for n in batch.schema.names if n != "text"])
            yield pa.RecordBatch.from_arrays(list(batch.columns) + [pa.array(snippets, pa.string())],
                                             names=batch.schema.names + ["snippet"])

    cols = ["cluster_id", "doc_id", "seg_begin", "seg_end", "source", "date", "is_origin", "origin_doc_id",
            "cluster_size", "cluster_docs", "source_doc_id", "source_begin", "source_end", "source_score",
            "source_reason", "text"]
    clusters_out = (members.select(*cols)
                    .mapInArrow(snippet_fn, "cluster_id long, doc_id string, seg_begin long, seg_end long, "
                                            "source string, date string, is_origin boolean, origin_doc_id string, "
                                            "cluster_size long, cluster_docs long, source_doc_id string, "
                                            "source_begin long, source_end long, source_score double, "
                                            "source_reason string, snippet string")
                    .withColumnRenamed("seg_begin", "begin").withColumnRenamed("seg_end", "end"))

    # documents: the local documents_table on batches
    def docs_fn(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            rows = batch.to_pylist()
            # The texts are not at hand here (the columns were checkpointed without them): their
            # lengths are passed instead.
            found = [Document(doc_id=r["doc_id"], text="", source=r["source"], date=r["date"], url=r["url"],
                              meta=json.loads(r["meta"]) if r["meta"] else {}, origin=r["origin"],
                              warning=r["warning"]) for r in rows]
            table = report_tables.documents_table(found, [], np.array([r["n_words"] for r in rows], np.int64),
                                                  [r["date_warning"] for r in rows], [r["length"] for r in rows])
            table = table.append_column("_order", pa.array([r["doc"] for r in rows], pa.int64()))
            yield from table.to_batches()

    documents_out = docs.mapInArrow(docs_fn, records.spark_ddl(records.DOCUMENTS) + ", _order long")
    return {"documents": documents_out, "pairs": pairs_out, "passages": passages_out, "clusters": clusters_out}


def skip_rows(skips, order_offset: int = 0):
    """Skips (origin, reason, doc_id, row) as documents-table rows, after the documents."""
    from pyspark.sql import functions as F

    nulls = {f.name: F.lit(None).cast(records.spark_ddl(pa.schema([f])).split()[1]) for f in records.DOCUMENTS}
    nulls.update({"doc_id": F.col("doc_id"), "input": F.col("origin"), "skip_reason": F.col("reason")})
    return skips.select(*[nulls[f.name].alias(f.name) for f in records.DOCUMENTS],
                        (F.lit(1 << 62) + F.col("row")).alias("_order"))


def scan_documents(docs, skips, config: ScanConfig, store: StageStore | None = None) -> dict[str, Any]:
    """Prepared documents and skips → the four tables (with ordering keys) and the counts."""
    matches = find_matches(docs, config, store)
    with (store.reporter if store is not None else Reporter()).stage("cluster", total=None, unit=""):
        tables = report(docs, matches, config)  # pairs, clusters and their sources (the ordered tables: later)
    if skips is not None:
        tables["documents"] = tables["documents"].unionByName(skip_rows(skips))
    tables["_boilerplate_lines"] = matches["boilerplate_lines"]
    tables["_candidate_pairs"] = matches["candidates"].count()
    return tables


ORDER = {
    "documents": ["_order"],
    "pairs": ["_a", "_b"],
    "passages": ["passage_id"],
    "clusters": ["cluster_id", "_not_origin", "doc_id", "begin"],
}


def ordered(name: str, df):
    """A user table in the local engine's row order, without the ordering columns."""
    from pyspark.sql import functions as F

    df = df.localCheckpoint()  # its Python steps run once, not again for the sort's sample
    if name == "clusters":
        df = df.withColumn("_not_origin", ~F.col("is_origin"))
    schema = {"documents": records.DOCUMENTS, "pairs": records.PAIRS, "passages": records.PASSAGES,
              "clusters": records.CLUSTERS}[name]
    return df.orderBy(*ORDER[name]).select(*schema.names)
