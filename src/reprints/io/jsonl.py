"""JSONL / NDJSON files, plain or gzipped, read line by line in bounded pieces.

Each non-blank line is a document or a skip (origin ``file:line``). A line longer than
`rows.line_limit` is read through and skipped without being held whole, so a small gzip that
expands to one enormous line costs no memory. Damaged or truncated compressed data ends the
file with a skip saying after which line the rest was lost; the lines before it are kept.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Callable, Iterator

from reprints.config import ReadConfig
from reprints.io.decoding import Lines, open_binary, read_error
from reprints.io.rows import line_limit, line_too_long, row_to_document
from reprints.records import Document, Skip

READ_ERRORS = (OSError, EOFError, zlib.error)


def lost_rest(path: Path, err: BaseException, lines: int) -> Skip:
    """The skip for a file whose reading failed after ``lines`` lines."""
    detail = read_error(err)
    if "CRC check failed" in detail or "Incorrect length" in detail:
        return Skip(str(path), f"cannot read file: {detail}; the {lines:,} lines read from it may be damaged")
    if not lines:
        return Skip(str(path), f"cannot read file: {detail}")
    return Skip(str(path), f"cannot read file after line {lines:,}: {detail}; the rest of the file is unreadable")


def close(handle) -> None:
    if handle is not None:
        try:
            handle.close()
        except READ_ERRORS:
            pass


def read_line_file(path: Path, config: ReadConfig, newline: str,
                   records: Callable[[Lines], Iterator[Document | Skip]]) -> Iterator[Document | Skip]:
    """What every file of lines shares (JSONL, CSV): ``records`` reads the file's lines into
    documents and skips; a read error (damage, truncation) keeps what came before it and says how
    far reading got; a file that gave nothing says so."""
    produced = 0
    raw = lines = None
    try:
        raw = open_binary(path)
        lines = Lines(raw, line_limit(config), newline=newline)
        for item in records(lines):
            produced += 1
            yield item
    except READ_ERRORS as err:
        produced += 1
        yield lost_rest(path, err, lines.number if lines is not None else 0)
    finally:
        close(lines or raw)
    if not produced:
        yield Skip(str(path), "no rows in file")


def read_jsonl(path: Path, config: ReadConfig) -> Iterator[Document | Skip]:
    return read_line_file(path, config, "\n", lambda lines: _json_records(path, lines, config))


def _json_records(path: Path, lines: Lines, config: ReadConfig) -> Iterator[Document | Skip]:
    for number, line, warning in lines:
        origin = f"{path}:{number}"
        if line is None:
            yield Skip(origin, line_too_long(config))
            continue
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            yield Skip(origin, f"malformed JSON line: {err.msg} at column {err.colno}")
            continue
        except RecursionError:
            yield Skip(origin, "malformed JSON line: nested too deeply")
            continue
        except ValueError as err:  # e.g. an integer of more than 4,300 digits
            yield Skip(origin, f"malformed JSON line: {err}")
            continue
        item = row_to_document(row, origin, config)
        if isinstance(item, Document) and warning:
            item.warning = warning
        yield item
