"""Command line: each command parses its options and calls the Python API, nothing more."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from reprints.cli_options import (KEEP_FORMULA, BoilerplateShare, Templates, DateField, HtmlField, IdField, MaxDf, MinWords,
                                  Paraphrase, SourceField, TextField, Workers, apply_options, check_engine, fail, load_config, show,
                                  progress, stop_reporter)
from reprints.config import ConfigError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Find reprinted and reused passages in document collections.")


def _print_version(value: bool) -> None:
    if value:
        from reprints.versions import version_text

        typer.echo(version_text())
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version,
                                 help="Print the versions of reprints and its main dependencies, and exit."),
) -> None:
    """reprints: which documents reprint which, and exactly which passages they share."""


@app.command()
def scan(
    corpus: Optional[List[str]] = typer.Argument(
        None, help="Folders of .txt / .html files, .jsonl[.gz] / .parquet / .csv files, .html pages or "
        ".warc[.gz] / .arc[.gz] web archives (may be left out with a "
        "--config run.json whose inputs were paths: they are read again)."),
    out: Path = typer.Option(..., "--out", "-o", help="Run directory to write (documents, pairs, passages, clusters .parquet + run.json)."),
    config_file: Optional[Path] = typer.Option(
        None, "--config", help="Repeat a run: take the configuration from this run.json (or a JSON object of "
        "configuration sections); options given here override it."),
    id_field: IdField = None,
    text_field: TextField = None,
    source_field: SourceField = None,
    date_field: DateField = None,
    html_field: HtmlField = None,
    min_words: MinWords = None,
    max_df: MaxDf = None,
    paraphrase: Paraphrase = None,
    templates: Templates = None,
    keep_formula: bool = typer.Option(False, help="Turn every template test off: pairs that share only filled-in "
                                      "templates (bond terms, market reports with other figures and names) are "
                                      "aligned and reported as reprints; labelled \"template\" by default."),
    boilerplate_share: BoilerplateShare = None,
    workers: Workers = None,
    engine: str = typer.Option("local", help="local (this machine) or spark."),
    master: Optional[str] = typer.Option(None, help="Spark master with --engine spark: local[4], spark://host:7077, "
                                         "yarn (default local[*])."),
    workdir: Optional[Path] = typer.Option(None, help="Folder for the stages' intermediate data (either engine; "
                                           "default beside --out). Spark keeps finished stages there: rerunning "
                                           "with the same folder resumes."),
    overwrite: bool = typer.Option(False, help="Replace an existing run directory."),
    report: Optional[Path] = typer.Option(None, help="Also write the HTML report of the run to this file."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars; print only the summary."),
    json_summary: bool = typer.Option(False, "--json", help="Print the summary as JSON instead of a table."),
) -> None:
    """Find every reprinted passage in CORPUS and write the run to --out."""

    from reprints import api
    from reprints.config import ScanConfig
    from reprints.io.writers import OutputExistsError
    from reprints.summary import print_summary

    try:
        config, inputs = load_config(config_file) if config_file else (ScanConfig(), None)
        config = apply_options(config, id_field=id_field, text_field=text_field, source_field=source_field,
                               date_field=date_field, html_field=html_field, min_words=min_words, max_df=max_df, paraphrase=paraphrase,
                               boilerplate_share=boilerplate_share, workers=workers, templates=templates)
        if keep_formula:
            config = config.replace(pairs=KEEP_FORMULA)
    except ConfigError as error:
        fail(str(error))
    corpus = corpus or inputs
    if not corpus:
        fail("nothing to scan: give CORPUS, or --config with a run.json whose inputs were paths")
    check_engine(engine, master, api.ENGINES)
    with progress(quiet or json_summary, (api.NoDocumentsError, OutputExistsError),
                  "interrupted: no run directory was written") as reporter:
        result = api.scan(corpus, config=config, out=out, overwrite=overwrite, reporter=reporter, workdir=workdir,
                          engine=engine, master=master)
    if json_summary:
        typer.echo(json.dumps(result.summary, indent=2, ensure_ascii=False))
    else:
        print_summary(result.summary, str(result.out))
    if report is not None:
        from reprints.report import write_report

        written = write_report(result.out, report)
        show(f"report written to {written}")


@app.command("report")
def report_command(
    run_dir: Path = typer.Argument(..., help="A run directory written by `reprints scan --out`."),
    out: Path = typer.Option(Path("report.html"), "--out", "-o", help="The HTML file to write."),
) -> None:
    """Write a self-contained HTML report of a run: clusters, origins, side-by-side passages."""
    from reprints.report import NotARunError, write_report

    try:
        written = write_report(run_dir, out)
    except NotARunError as error:
        fail(str(error))
    typer.echo(f"report written to {written}")


@app.command("compare")
def compare_command(
    run_dir: Path = typer.Argument(..., help="A run directory written by `reprints scan --out`."),
    doc_a: str = typer.Argument(..., help="A document id of the run."),
    doc_b: str = typer.Argument(..., help="Another document id of the run."),
    json_out: bool = typer.Option(False, "--json", help="Print the passages as JSON."),
) -> None:
    """Do A and B share text? Align two documents of a run on demand (a big cluster's
    passages.parquet links each member to its likeliest sources, not to every other member)."""
    from reprints.compare import compare

    if not (run_dir / "run.json").is_file():
        fail(f"{run_dir} is not a run directory (no run.json)")
    try:
        found = compare(run_dir, doc_a, doc_b)
    except KeyError as error:
        fail(error.args[0])
    if json_out:
        typer.echo(json.dumps(found.to_dict(), indent=2, ensure_ascii=False))
        return
    clusters = ", ".join(map(str, found.shared_clusters)) or "none"
    typer.echo(f"{doc_a} and {doc_b}: {len(found.passages)} shared passage(s); clusters holding both: {clusters}")
    for p in found.passages:
        typer.echo(f"  {doc_a}[{p['begin_a']}:{p['end_a']}] ~ {doc_b}[{p['begin_b']}:{p['end_b']}]  "
                   f"{p['kind']}, {p['matched_words']} words, similarity {p['similarity']}")


from reprints.cli_index import index_app, serve as serve_command  # noqa: E402  (heavy imports are lazy)

app.add_typer(index_app, name="index")
app.command("serve")(serve_command)
from reprints.cli_dedup import dedup as dedup_command  # noqa: E402

app.command("dedup")(dedup_command)

evaluate_app = typer.Typer(no_args_is_help=True, help="Measure reprints on labelled data.")
app.add_typer(evaluate_app, name="evaluate")


@evaluate_app.command("pan")
def evaluate_pan(
    corpus_dir: Path = typer.Argument(..., help="A PAN text-alignment corpus (pairs, src/, susp/, truth XML per type)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write detections as PAN XML here, one file per pair."),
    fold: Optional[int] = typer.Option(None, help="Only fold 0 or 1 of a deterministic two-fold split of the pairs."),
    workers: Workers = None,
    json_out: bool = typer.Option(False, "--json", help="Print the full result as JSON."),
) -> None:
    """Align every pair of a PAN corpus and print PlagDet, precision, recall and granularity,
    overall and per obfuscation type."""
    from rich.console import Console
    from rich.table import Table

    from rich.text import Text

    from reprints.config import ScanConfig, plagiarism_profile
    from reprints.evaluate.pan import evaluate_pan as run
    from reprints.progress import Reporter, RichReporter

    if not corpus_dir.is_dir() or not (corpus_dir / "pairs").exists():
        fail(f"{corpus_dir} is not a PAN corpus (no 'pairs' file)")
    if fold not in (None, 0, 1):
        fail(f"--fold must be 0 or 1, not {fold}")
    try:
        workers = apply_options(ScanConfig(), workers=workers).engine.workers
    except ConfigError as error:
        fail(str(error))
    reporter = Reporter() if json_out else RichReporter(Console(stderr=True))
    result = run(corpus_dir, plagiarism_profile(), out=out, workers=workers, progress=reporter, fold=fold)
    stop_reporter(reporter)
    if json_out:
        typer.echo(json.dumps(result, indent=2))
        return
    table = Table(title=Text(f"PAN text alignment: {corpus_dir}"), show_lines=False)
    for column in ("type", "pairs", "cases", "detections", "precision", "recall", "granularity", "PlagDet"):
        table.add_column(column, justify="left" if column == "type" else "right")

    def row(name: str, m: dict) -> None:
        table.add_row(name, str(m["pairs"]), str(m["cases"]), str(m["detections"]), f"{m['precision']:.3f}",
                      f"{m['recall']:.3f}", f"{m['granularity']:.3f}", f"{m['plagdet']:.3f}")

    for name, m in result["by_type"].items():
        row(name, m)
    row("overall", result["overall"])
    Console().print(table)
    typer.echo(f"{result['pairs']} pairs in {result['seconds']:.1f} s" + (f"; detections written to {out}" if out else ""))


@evaluate_app.command("clusters")
def evaluate_clusters(
    pred: Path = typer.Argument(..., help="Predicted assignment (.parquet/.jsonl/.csv with id and cluster columns)."),
    gold: Path = typer.Argument(..., help="Gold assignment, same format."),
    id_col: str = typer.Option("id", help="Id column."),
    cluster_col: str = typer.Option("cluster", help="Cluster column."),
) -> None:
    """Adjusted Rand index and pairwise precision, recall and F1 between two clusterings."""
    from reprints.evaluate.clusters import cluster_metrics, load_assignment

    try:
        p = load_assignment(pred, id_col, cluster_col)
        g = load_assignment(gold, id_col, cluster_col)
    except (OSError, KeyError, ValueError) as error:
        fail(str(error))
    typer.echo(json.dumps(cluster_metrics(p, g), indent=2))


def main() -> None:
    try:
        app()
    except BrokenPipeError:  # e.g. piped into head
        sys.stderr.close()


if __name__ == "__main__":
    main()
