"""Command line for ``reprints dedup``: parse the options (defaults, help and limits from
`config.DuplicateConfig`), call `reprints.dedup`, print the summary."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated, Any, List, Optional

import typer

from reprints.cli_options import (DateField, HtmlField, IdField, SourceField, TextField, Workers, apply_options,
                                  check_engine, fail, field_option, load_config, progress)
from reprints.config import ConfigError, DedupConfig, DuplicateConfig


def _option(name: str, *flags: str) -> Any:
    f = next(f for f in dataclasses.fields(DuplicateConfig) if f.name == name)
    option = field_option(f, f"dedup.{name}")
    if flags:  # the parameter's name is not the flag (format is a Python builtin)
        option.param_decls = flags
    return option


Mode = Annotated[Optional[str], _option("mode")]
Threshold = Annotated[Optional[float], _option("threshold")]
Containment = Annotated[Optional[float], _option("containment")]
MinContained = Annotated[Optional[int], _option("min_contained_ngrams")]
Keep = Annotated[Optional[str], _option("keep")]
Ngram = Annotated[Optional[int], _option("ngram")]
PassageWords = Annotated[Optional[int], _option("passage_words")]
MinWords = Annotated[Optional[int], _option("min_words")]
Format = Annotated[Optional[str], _option("format", "--format")]


def dedup(
    corpus: Optional[List[str]] = typer.Argument(
        None, help="What `reprints scan` reads: folders, .jsonl[.gz] / .parquet / .csv files, web pages and "
        "archives (may be left out with a --config run.json whose inputs were paths)."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder to write: kept.parquet or kept.jsonl, removed.parquet, "
                             "skipped.parquet, run.json."),
    config_file: Optional[Path] = typer.Option(
        None, "--config", help="Repeat a dedup run: take the configuration (and inputs) from its run.json, or a JSON "
        "object of configuration sections (read, dedup, engine); options given here override it."),
    mode: Mode = None,
    threshold: Threshold = None,
    containment: Containment = None,
    min_contained_ngrams: MinContained = None,
    keep: Keep = None,
    ngram: Ngram = None,
    passage_words: PassageWords = None,
    min_words: MinWords = None,
    output_format: Format = None,
    id_field: IdField = None,
    text_field: TextField = None,
    source_field: SourceField = None,
    date_field: DateField = None,
    html_field: HtmlField = None,
    workers: Workers = None,
    engine: str = typer.Option("local", help="local (this machine) or spark: the same stage functions on Spark, "
                               "the same files (docs/dedup.md, \"On Spark\")."),
    master: Optional[str] = typer.Option(None, help="Spark master with --engine spark: local[4], spark://host:7077, "
                                         "yarn (default local[*])."),
    overwrite: bool = typer.Option(False, help="Replace an existing output folder (one a dedup or scan run wrote)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars; print only the summary."),
    json_summary: bool = typer.Option(False, "--json", help="Print the summary as JSON instead of a table."),
) -> None:
    """Write CORPUS back without its duplicates: kept documents with all their fields, and a row
    for every removed document or passage saying which kept document it duplicates."""
    from rich.console import Console

    from reprints.api import NoDocumentsError
    from reprints.dedup import DedupError, dedup as run
    from reprints.io.writers import OutputExistsError

    try:
        config, inputs = load_config(config_file, DedupConfig) if config_file else (DedupConfig(), None)
        config = apply_options(config, id_field=id_field, text_field=text_field, source_field=source_field,
                               date_field=date_field, html_field=html_field, workers=workers)
        given = {"mode": mode, "threshold": threshold, "containment": containment,
                 "min_contained_ngrams": min_contained_ngrams, "keep": keep, "ngram": ngram,
                 "passage_words": passage_words, "min_words": min_words, "format": output_format}
        config = config.replace(dedup={k: v for k, v in given.items() if v is not None})
    except ConfigError as error:
        hint = (" (a scan's run.json? --config takes the run.json of a dedup run, or sections read, dedup, engine)"
                if "unknown configuration section" in str(error) else "")
        fail(f"{error}{hint}")
    corpus = corpus or inputs
    if not corpus:
        fail("nothing to deduplicate: give CORPUS, or --config with a run.json whose inputs were paths")
    from reprints.api import ENGINES

    check_engine(engine, master, ENGINES)
    with progress(quiet or json_summary, (NoDocumentsError, OutputExistsError, DedupError),
                  "interrupted: no output folder was written") as reporter:
        result = run(corpus, config=config, out=out, overwrite=overwrite, reporter=reporter, engine=engine,
                     master=master)
    if json_summary:
        typer.echo(json.dumps(result.summary, indent=2, ensure_ascii=False))
    else:
        Console().print(render(result.summary, str(result.out), result.format))


def render(summary: dict[str, Any], out: str, fmt: str) -> Any:
    """The summary as a rich panel; every text shown as written (no markup is read in it)."""
    from rich.console import Group
    from rich.panel import Panel

    from reprints.summary import counts_grid, skipped_parts

    removed = ", ".join(f"{v:,} {k}" for k, v in summary["removed_by_reason"].items()) or "none"
    share = summary["bytes_removed"] / max(summary["bytes_in"], 1)
    rows = [
        ("mode", f"{summary['mode']}, keep {summary['keep']}"),
        ("documents in", f"{summary['documents_in']:,}"),
        ("skipped", f"{summary['documents_skipped']:,}"),
        ("kept", f"{summary['documents_kept']:,}" + (f"  ({summary['documents_cut']:,} with passages cut)"
                                                      if summary["documents_cut"] else "")),
        ("removed", f"{summary['documents_removed']:,}  ({removed})"),
    ]
    if summary["mode"] != "documents":
        rows.append(("passages cut", f"{summary['passages_removed']:,}"))
    rows += [
        ("bytes removed", f"{summary['bytes_removed']:,} of {summary['bytes_in']:,} ({share:.1%})"),
        ("time", f"{summary['seconds']:.1f} s  (" + ", ".join(
            f"{k} {v:.1f}" for k, v in summary["seconds_per_stage"].items()) + ")"),
        ("written to", f"{out}  (kept.{fmt}, removed.parquet, skipped.parquet, run.json)"),
    ]
    parts: list[Any] = [counts_grid(rows), *skipped_parts(summary)]
    return Panel(Group(*parts), title="reprints dedup", expand=False)
