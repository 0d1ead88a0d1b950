"""Command line: each command parses its options and calls the Python API, nothing more."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Find reprinted and reused passages in document collections.")


@app.callback()
def _root() -> None:
    """reprints: which documents reprint which, and exactly which passages they share."""


@app.command()
def scan(
    corpus: List[str] = typer.Argument(..., help="Folders of .txt files, or .jsonl[.gz] / .parquet / .csv files."),
    out: Path = typer.Option(..., "--out", "-o", help="Run directory to write (documents, pairs, passages, clusters .parquet + run.json)."),
    id_field: str = typer.Option("id", help="Field holding the document id in tabular inputs."),
    text_field: str = typer.Option("text", help="Field holding the text."),
    source_field: str = typer.Option("source", help="Field holding the outlet / series."),
    date_field: str = typer.Option("date", help="Field holding the date (ISO 8601 preferred)."),
    min_words: int = typer.Option(20, help="Minimum matched words for a passage."),
    max_df: int = typer.Option(100, help="Ignore n-grams found in more documents than this."),
    workers: int = typer.Option(0, help="Worker processes (0: one per CPU core)."),
    overwrite: bool = typer.Option(False, help="Replace an existing run directory."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars; print only the summary."),
    json_summary: bool = typer.Option(False, "--json", help="Print the summary as JSON instead of a table."),
) -> None:
    """Find every reprinted passage in CORPUS and write the run to --out."""
    from rich.console import Console

    from reprints import api
    from reprints.config import ScanConfig
    from reprints.io.writers import OutputExistsError
    from reprints.progress import Reporter, RichReporter
    from reprints.summary import print_summary

    config = ScanConfig().replace(
        read={"id_field": id_field, "text_field": text_field, "source_field": source_field,
              "date_field": date_field},
        align={"min_words": min_words},
        candidates={"max_df": max_df},
        engine={"workers": workers},
    )
    err = Console(stderr=True)
    reporter = Reporter() if (quiet or json_summary) else RichReporter(err)
    try:
        result = api.scan(corpus, config=config, out=out, overwrite=overwrite, reporter=reporter)
    except (api.NoDocumentsError, OutputExistsError) as error:
        _stop(reporter)
        err.print(f"[red]error:[/red] {error}", highlight=False)
        raise typer.Exit(2)
    except KeyboardInterrupt:
        _stop(reporter)
        err.print("[red]interrupted[/red]: no run directory was written")
        raise typer.Exit(130)
    _stop(reporter)
    if json_summary:
        typer.echo(json.dumps(result.summary, indent=2, ensure_ascii=False))
    else:
        print_summary(result.summary, str(result.out))


def _stop(reporter) -> None:
    stop = getattr(reporter, "stop", None)
    if stop:
        stop()


def main() -> None:
    try:
        app()
    except BrokenPipeError:  # e.g. piped into head
        sys.stderr.close()


if __name__ == "__main__":
    main()
