"""The Python API: ``reprints.scan(documents, config=None) -> Result``."""

from __future__ import annotations

import os
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from reprints import __version__
from reprints.config import ScanConfig
from reprints.engines import local
from reprints.io import readers, workspace, writers
from reprints.io.html import counting_pages, page_workers
from reprints.progress import Reporter
from reprints.records import Document, Skip
from reprints.stages import report_tables
from reprints.versions import dependency_versions


class NoDocumentsError(Exception):
    """Nothing readable was found in the inputs; the skips say why."""

    def __init__(self, skips: list[Skip]):
        self.skips = skips
        lines = [f"  {s.origin}: {s.reason}" for s in skips[:10]]
        more = f"\n  … and {len(skips) - 10} more" if len(skips) > 10 else ""
        super().__init__("no documents to scan" + (":\n" + "\n".join(lines) + more if skips else ""))


@dataclass
class Result:
    """The four tables of a scan (Arrow), a readable summary, and where they were written."""

    documents: pa.Table
    pairs: pa.Table
    passages: pa.Table
    clusters: pa.Table
    summary: dict[str, Any] = field(default_factory=dict)
    out: Path | None = None

    def to_pandas(self, name: str):
        return getattr(self, name).to_pandas()

    @property
    def tables(self) -> dict[str, pa.Table]:
        return {n: getattr(self, n) for n in writers.TABLE_FILES}


def _read(documents: Any, config: ScanConfig, reporter: Reporter) -> tuple[list[Document], list[Skip]]:
    docs: list[Document] = []
    skips: list[Skip] = []
    # Web pages are extracted in the engine's worker processes (extraction is most of a crawl's read).
    with reporter.stage("read", total=None, unit="docs") as r, \
            page_workers(config.engine.workers or os.cpu_count() or 1):
        for item in readers.read_documents(documents, config.read):
            (docs if isinstance(item, Document) else skips).append(item)
            r.advance()
    return docs, skips


ENGINES = ("local", "spark")


class EngineError(ValueError):
    """An engine that does not exist, or one whose dependencies are missing."""


def check_engine(engine: str, master: str | None, spark: Any, error: type[ValueError] = EngineError) -> None:
    """Refuse (with ``error``) an engine that does not exist, Spark settings without Spark, and
    Spark without pyspark: `scan` and `reprints.dedup` both ask here."""
    if engine not in ENGINES:
        raise error(f"engine must be {' or '.join(repr(e) for e in ENGINES)}, not {engine!r}")
    if engine != "spark" and (master is not None or spark is not None):
        raise error("master and spark are settings of engine='spark'")
    if engine == "spark":
        try:
            import pyspark  # noqa: F401
        except ImportError:
            raise error("engine 'spark' needs pyspark: pip install 'reprints[spark]'") from None


def scan(documents: Any, config: ScanConfig | None = None, out: str | Path | None = None,
         overwrite: bool = False, reporter: Reporter | None = None, workdir: str | Path | None = None,
         engine: str = "local", master: str | None = None, spark: Any = None) -> Result:
    """Find every reprinted passage in ``documents``.

    ``documents``: a path (folder, .txt, .jsonl[.gz], .parquet, .csv), a list of paths, an
    iterable of dicts (fields per ``config.read``) or `Document`s, or a pandas / Arrow table.
    With ``out`` the run directory is written (atomically) as well; ``out`` is checked before
    any work and held for this run alone (a second run onto it fails at once).

    ``engine``: ``"local"`` (this machine: a process pool and DuckDB) or ``"spark"`` (Apache
    Spark: ``master`` such as ``local[4]``, ``spark://host:7077`` or ``yarn``, default
    ``local[*]``; or an existing SparkSession as ``spark``). Both give the same tables.

    ``workdir``: the folder for the stages' intermediate data, on either engine (default: beside
    ``out``, else the system temp folder). The local engine works in a fresh folder inside it and
    removes it at the end; Spark keeps each finished stage there, so that a rerun with the same
    ``workdir``, inputs and configuration resumes (docs/scaling.md).
    """
    check_engine(engine, master, spark)
    if engine == "spark":
        from reprints import spark as spark_engine

        return spark_engine.run(documents, config=config, out=out, overwrite=overwrite,
                                master=master or "local[*]", spark=spark, workdir=workdir, reporter=reporter)
    if out is None:
        return _scan(documents, config, None, overwrite, reporter, workdir)
    writers.check_target(Path(out), overwrite)
    with workspace.claim(Path(out)):
        return _scan(documents, config, Path(out), overwrite, reporter, workdir)


def _scan(documents: Any, config: ScanConfig | None, out: Path | None, overwrite: bool,
          reporter: Reporter | None, workdir: str | Path | None) -> Result:
    config = config or ScanConfig()
    reporter = reporter or Reporter()
    started = time.perf_counter()
    paths = input_paths(documents)
    if isinstance(paths, list):
        documents = paths  # read as absolute paths: documents.parquet's `input` then means the same from anywhere
    with counting_pages() as pages:
        docs, skips = _read(documents, config, reporter)
    if not docs:
        raise NoDocumentsError(skips)

    texts = [d.text for d in docs]
    ids = np.array([d.doc_id for d in docs], dtype=object)
    raw_dates = [d.date for d in docs]
    dates, date_warnings = report_tables.parse_dates(raw_dates)
    corpus = local.corpus_arrays(texts, (d.source for d in docs), dates)
    with workspace.work_dir(near=out, explicit=workdir) as tmp:
        matches = local.find_matches(corpus, config, tmp, reporter)

    with reporter.stage("cluster", total=1, unit="") as r:
        lengths = np.array([len(t) for t in texts], dtype=np.int64)
        tables = report_tables.Tables(
            documents=report_tables.documents_table(docs, skips, matches.n_words, date_warnings),
            pairs=report_tables.pairs_table(ids, lengths, matches.n_grams, matches.candidates, matches.passages,
                                            config),
            passages=report_tables.passages_table(ids, texts, matches.passages),
            clusters=report_tables.clusters_table(ids, texts, [d.source for d in docs], raw_dates, dates,
                                                  matches.passages, lineage=True),
        )
        r.advance()
    summary = report_tables.run_summary(tables.documents, tables.pairs, tables.passages, tables.clusters,
                                        matches.boilerplate_lines,
                                        len(matches.candidates["a"]),
                                        reporter.timings, time.perf_counter() - started)
    summary.update(pages.summary())
    result = Result(tables.documents, tables.pairs, tables.passages, tables.clusters, summary)
    if out is not None:
        run_info = {
            "reprints_version": __version__,
            "engine": "local",
            "config": config.to_dict(),
            "inputs": paths,
            "python": platform.python_version(),
            "platform": platform.platform(),
            "versions": dependency_versions(optional=False),
            "summary": summary,
            "complete": True,
        }
        result.out = writers.write_run(Path(out), result.tables, run_info, overwrite=overwrite)
    return result


def input_paths(documents: Any) -> list[str] | str:
    """What run.json records as the inputs: absolute paths (so that the run can be repeated and
    its report find the texts from any folder), or "python objects"."""
    if isinstance(documents, (str, Path)):
        documents = [documents]
    if isinstance(documents, (list, tuple)) and documents and all(isinstance(p, (str, Path)) for p in documents):
        return [os.path.abspath(p) for p in documents]
    return "python objects"
