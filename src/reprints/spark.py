"""reprints on Apache Spark: ``reprints.spark.scan(dataframe, config) -> dict of DataFrames``.

Use it inside an existing SparkSession::

    import reprints.spark
    tables = reprints.spark.scan(spark.read.parquet("corpus/"))    # columns id, text, source, date, ...
    tables["passages"].write.parquet("passages/")

The stages are those of the local engine (see ``reprints.engines.spark``); the results are
the same rows. ``run`` is the command-line entry: it reads inputs, scans them on Spark and
writes the same run directory as the local engine.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Iterator

from reprints.config import ScanConfig

TABLES = ("documents", "pairs", "passages", "clusters")


def scan(dataframe, config: ScanConfig | None = None) -> dict[str, Any]:
    """The four tables of a scan of ``dataframe`` (one row per document, fields per
    ``config.read``: ``id``, ``text``, ``source``, ``date`` by default; other columns are kept
    as metadata), as Spark DataFrames with the local engine's columns and row order."""
    from reprints.engines import spark as engine

    config = config or ScanConfig()
    prepared, skips = engine.prepare(dataframe, config)
    store = engine.StageStore(dataframe.sparkSession)
    docs = store("documents", lambda: prepared)
    tables = engine.scan_documents(docs, skips, config, store)
    return {name: engine.ordered(name, tables[name]) for name in TABLES}


def session(master: str = "local[*]", app_name: str = "reprints", conf: dict[str, str] | None = None):
    """A SparkSession for ``master`` whose Python workers run this interpreter."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in {"spark.ui.enabled": "false", "spark.sql.execution.arrow.pyspark.enabled": "true",
                       "spark.ui.showConsoleProgress": "false",  # reprints shows its own stages
                       **(conf or {})}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def _documents_frame(spark, inputs: Any, config: ScanConfig, tally=None):
    """Inputs → (prepared documents, skips). Parquet files and folders of Parquet are read by
    Spark; other files and folders by ``reprints.io.readers`` in the executors (one task per
    archive or batch of files, `engine.read_files`); rows and `Document`s on the driver. Pages
    extracted are added up in ``tally`` (an `engine.PageTally`) when given."""
    from reprints.engines import spark as engine
    from reprints.io import readers

    paths = inputs if isinstance(inputs, (list, tuple)) else [inputs]
    if paths and all(isinstance(p, (str, Path)) and str(p).endswith(".parquet") for p in paths):
        return engine.prepare(spark.read.parquet(*[str(p) for p in paths]), config, tally)
    if paths and all(isinstance(p, (str, os.PathLike)) for p in paths):
        return engine.read_files(spark, [unit for p in paths for unit in readers.read_units(p)], config, tally)
    rows = _driver_rows(inputs, config)
    rows = spark.createDataFrame(list(engine.tallied(rows, tally)), engine.PREPARED_SCHEMA)
    return engine.first_readings(rows)


def _driver_rows(inputs: Any, config: ScanConfig) -> Iterator[tuple]:
    """Rows, dicts, `Document`s or tables given in Python, read on the driver as prepared rows."""
    from reprints.engines import spark as engine
    from reprints.io import readers

    for number, item in enumerate(readers.read_documents(inputs, config.read)):
        yield tuple(engine.prepared_row(number, item).values())


def _to_arrow(df):
    import pyarrow as pa

    if hasattr(df, "toArrow"):
        return df.toArrow()
    return pa.Table.from_pandas(df.toPandas(), preserve_index=False)


def run(inputs: Any, config: ScanConfig | None = None, out: str | Path | None = None, overwrite: bool = False,
        master: str = "local[*]", spark=None, workdir: str | Path | None = None, reporter=None):
    """Scan ``inputs`` on Spark and (with ``out``) write the run directory; returns a
    ``reprints.api.Result`` (Arrow tables, summary, run directory) as ``reprints.scan`` does. The output tables are gathered on the driver to be written as the
    local engine writes them; for collections whose output does not fit there, use `scan` and
    write its DataFrames with Spark.

    ``workdir``: keep each finished stage there (Parquet + completion marker); running again
    with the same ``workdir`` and configuration resumes from the last finished stage.
    ``reporter`` (a ``reprints.progress.Reporter``) sees each stage start and end; the
    summary's ``seconds_per_stage`` comes from it. ``out`` is checked first and held for this
    run alone, as in ``reprints.scan``.
    """
    from reprints.io import workspace, writers

    if out is None:
        return _run(inputs, config, None, overwrite, master, spark, workdir, reporter)
    writers.check_target(Path(out), overwrite)
    with workspace.claim(Path(out)):
        return _run(inputs, config, out, overwrite, master, spark, workdir, reporter)


def _run(inputs: Any, config: ScanConfig | None, out: str | Path | None, overwrite: bool, master: str, spark,
         workdir: str | Path | None, reporter):
    from reprints import __version__
    from reprints.api import input_paths
    from reprints.engines import spark as engine
    from reprints.io import writers
    from reprints.progress import Reporter
    from reprints.records import CLUSTERS, DOCUMENTS, PAIRS, PASSAGES
    from reprints.stages import report_tables
    from reprints.versions import dependency_versions

    config = config or ScanConfig()
    reporter = reporter or Reporter()
    started = time.perf_counter()
    spark = spark or session(master)
    store = engine.StageStore(spark, workdir, config, [str(p) for p in inputs] if isinstance(inputs, (list, tuple))
                              else str(inputs), reporter)
    frames: list = []
    tally = engine.PageTally(spark)

    def read(k: int):
        if not frames:
            frames.extend(_documents_frame(spark, inputs, config, tally))
        return frames[k]

    docs = store("documents", lambda: read(0))
    skips = store("skips", lambda: read(1))
    if docs.limit(1).count() == 0:
        from reprints.api import NoDocumentsError
        from reprints.records import Skip

        first = skips.orderBy("row").limit(20).collect()
        raise NoDocumentsError([Skip(r["origin"], r["reason"], r["doc_id"]) for r in first])
    tables = engine.scan_documents(docs, skips, config, store)
    schemas = {"documents": DOCUMENTS, "pairs": PAIRS, "passages": PASSAGES, "clusters": CLUSTERS}
    with reporter.stage("report", total=None, unit=""):  # pairs, clusters, ordering, gathered to the driver
        arrow = {name: _to_arrow(engine.ordered(name, tables[name])).cast(schemas[name]) for name in TABLES}
    summary = report_tables.run_summary(arrow["documents"], arrow["pairs"], arrow["passages"], arrow["clusters"],
                                        tables["_boilerplate_lines"], tables["_candidate_pairs"],
                                        reporter.timings, time.perf_counter() - started)
    from reprints.api import Result

    summary.update(tally.summary())  # none on a run that resumed after reading
    result = Result(arrow["documents"], arrow["pairs"], arrow["passages"], arrow["clusters"], summary)
    result.summary["resumed_stages"] = list(store.reused)
    if out is not None:
        import pyspark

        run_info = {
            "reprints_version": __version__,
            "engine": "spark",
            "spark_master": spark.sparkContext.master,
            "config": config.to_dict(),
            "inputs": input_paths(inputs),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "versions": {**dependency_versions(optional=False), "pyspark": pyspark.__version__, "spark": spark.version},
            "summary": summary,
            "complete": True,
        }
        result.out = writers.write_run(Path(out), arrow, run_info, overwrite=overwrite)
    return result
