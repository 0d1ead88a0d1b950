"""Command line for the persistent index and the HTTP service:
``reprints index add|query|stats`` (``index_app``) and ``reprints serve`` (``serve``)."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Annotated, List, Optional

import typer

from reprints.cli_options import (DateField, HtmlField, IdField, MaxDf, MinWords, SourceField, TextField, Workers,
                                  apply_options, fail, field_option)
from reprints.config import MAX_QUERY_LIMIT, QUERY_LIMIT, ConfigError
from reprints.service.limits import Limits

index_app = typer.Typer(no_args_is_help=True, help="A persistent reprint index in one DuckDB file.")


def _open(path: Path, create: bool = False, read_only: bool = False, config=None):
    from reprints.index import Index, IndexError_

    if not create and not path.exists():
        fail(f"no index at {path}")
    try:
        return Index(path, config=config, read_only=read_only)
    except IndexError_ as error:
        fail(str(error))
    except Exception as error:  # e.g. the file is locked by a running server
        fail(f"cannot open {path}: {error}")


@index_app.command("add")
def add(
    index: Path = typer.Argument(..., help="The index file (created if missing)."),
    corpus: List[str] = typer.Argument(..., help="Folders of .txt / .html files, .jsonl[.gz] / .parquet / .csv "
                                       "files, .html pages or .warc[.gz] / .arc[.gz] web archives."),
    id_field: IdField = "id",
    text_field: TextField = "text",
    source_field: SourceField = "source",
    date_field: DateField = "date",
    html_field: HtmlField = None,
    min_words: MinWords = None,
    max_df: MaxDf = None,
    workers: Workers = None,
) -> None:
    """Add documents to INDEX in one transaction. Known ids with the same text are left alone;
    with another text the old version is replaced. --min-words and --max-df are fixed when the
    index is created. Prints a JSON summary."""
    import os

    from reprints.config import ScanConfig

    fields = {"id_field": id_field, "text_field": text_field, "source_field": source_field, "date_field": date_field,
              "html_field": html_field}
    try:
        config = apply_options(ScanConfig(), min_words=min_words, max_df=max_df, workers=workers)
    except ConfigError as error:
        fail(str(error))
    ix = _open(index, create=True, config=config)
    try:
        # Field names are per add: the stored configuration governs matching, not reading.
        ix.config = apply_options(ix.config, **fields)
        result = ix.add(corpus, workers=config.engine.workers or os.cpu_count() or 1)
    except ConfigError as error:
        fail(str(error))
    except KeyboardInterrupt:
        typer.echo("interrupted: nothing of this add was written", err=True)
        raise typer.Exit(130)
    finally:
        ix.close()
    out = result.to_dict()
    for doc_id in result.replaced:
        typer.echo(f"replaced {doc_id}: its text changed; its pairs and passages were recomputed", err=True)
    typer.echo(json.dumps(out, indent=2, ensure_ascii=False))


@index_app.command("query")
def query(
    index: Path = typer.Argument(..., help="The index file."),
    file: str = typer.Argument(..., help="A text file, or - for standard input."),
    source: Optional[str] = typer.Option(None, help="Source of the text (boilerplate is per source)."),
    limit: int = typer.Option(QUERY_LIMIT, min=0, max=MAX_QUERY_LIMIT,
                              help="At most this many matching documents, best first (`candidates` counts all)."),
) -> None:
    """Print as JSON the indexed documents sharing passages with the text (the best LIMIT), the
    passages with offsets on both sides, and the clusters they fall in (size, origin). Nothing is added."""
    if file == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            data = Path(file).read_bytes()
        except OSError as error:
            fail(str(error))
    text = data.decode("utf-8", errors="replace")
    ix = _open(index, read_only=True)
    try:
        typer.echo(json.dumps(ix.query(text, source, limit), indent=2, ensure_ascii=False))
    finally:
        ix.close()


@index_app.command("stats")
def stats(index: Path = typer.Argument(..., help="The index file.")) -> None:
    """Summarise the index as JSON: documents, shingles, pairs, passages, clusters."""
    ix = _open(index, read_only=True)
    try:
        typer.echo(json.dumps(ix.stats(), indent=2, ensure_ascii=False))
    finally:
        ix.close()


def _limit(name: str):
    return field_option(next(f for f in dataclasses.fields(Limits) if f.name == name), f"Limits.{name}")


def serve(
    index: Path = typer.Argument(..., help="The index file (created if missing)."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on; anything but loopback needs a token."),
    port: int = typer.Option(8000, help="Port (0: any free port; the log says which)."),
    token_file: Optional[Path] = typer.Option(None, help="File whose first line is the bearer token "
                                              "(else env REPRINTS_TOKEN)."),
    max_body_bytes: Annotated[Optional[int], _limit("max_body_bytes")] = None,
    max_text_chars: Annotated[Optional[int], _limit("max_text_chars")] = None,
    max_batch: Annotated[Optional[int], _limit("max_batch")] = None,
    max_connections: Annotated[Optional[int], _limit("max_connections")] = None,
    header_timeout: Annotated[Optional[float], _limit("header_timeout")] = None,
    body_timeout: Annotated[Optional[float], _limit("body_timeout")] = None,
    keep_alive_timeout: Annotated[Optional[float], _limit("keep_alive_timeout")] = None,
    max_header_bytes: Annotated[Optional[int], _limit("max_header_bytes")] = None,
    log_level: str = typer.Option("info", help="uvicorn log level (warning: no line per request)."),
    workers: int = typer.Option(0, min=0, help="Processes answering POST /query, forked with the index's query "
                                "snapshot (0: all in the server process). About one per CPU core."),
) -> None:
    """Serve INDEX over HTTP: POST /documents, POST /query, GET /documents/{id},
    GET /clusters/{id}, GET /health; OpenAPI at /openapi.json and /docs."""
    given = {"max_body_bytes": max_body_bytes, "max_text_chars": max_text_chars, "max_batch": max_batch,
             "max_connections": max_connections, "header_timeout": header_timeout, "body_timeout": body_timeout,
             "keep_alive_timeout": keep_alive_timeout, "max_header_bytes": max_header_bytes}
    try:
        limits = Limits(**{name: value for name, value in given.items() if value is not None})
    except ConfigError as error:
        fail(str(error))
    try:
        from reprints.service.app import serve as run
    except ImportError as error:
        fail(f"{error}; install the service extra: pip install 'reprints[service]'")
    try:
        run(str(index), host=host, port=port, token_file=str(token_file) if token_file else None,
            limits=limits, log_level=log_level, workers=workers)
    except (PermissionError, ValueError, OSError) as error:
        fail(str(error))
