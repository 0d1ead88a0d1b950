"""CSV files (a header row, then one document per row), read so that damage costs only the
damaged rows and never merges rows silently.

Quoting is parsed strictly. A record that breaks it (a quoted field never closed, a quote
inside a quoted field that is not doubled: the marks of a stray ``"``), a record with a
different number of fields than the header, and a record longer than `rows.line_limit` are
skipped with the reason, and reading starts again on the line after the record's first line,
so the rows a stray quote would have swallowed are read as rows. A CSV file cannot always tell
a stray quote from a quoted field with line breaks (the file is then valid CSV with other
rows); these checks catch a quote that runs to the end of the file or into another quoted field.

Each row's origin is ``file:line``, the line its record starts on (quoted fields may hold line
breaks, so a row number would not find it). A header row that cannot be read skips the file.
"""

from __future__ import annotations

import csv
from collections import deque
from pathlib import Path
from typing import Iterator

from reprints.config import ReadConfig
from reprints.io.decoding import Lines
from reprints.io.jsonl import read_line_file
from reprints.io.rows import line_limit, line_too_long, row_id, row_to_document
from reprints.io.values import clean
from reprints.records import Document, Skip

csv.field_size_limit(2**31 - 1)  # rows are bounded by line_limit, while they are read

_Line = tuple[int, "str | None", "str | None"]  # (number, line or None when too long, warning)


class _LineTooLong(Exception):
    def __init__(self, line: _Line):
        self.line = line


class _RecordTooLong(Exception):
    pass


class _Feed:
    """The lines a `csv.reader` parses, remembering those of the record being parsed so that a
    broken record can be read again from its second line."""

    def __init__(self, lines: Lines, limit: int):
        self.lines = lines
        self.limit = limit
        self.again: deque[_Line] = deque()
        self.record: list[_Line] = []
        self.size = 0

    def start(self) -> None:
        self.record = []
        self.size = 0

    def __iter__(self) -> "_Feed":
        return self

    def __next__(self) -> str:
        line = self.again.popleft() if self.again else next(self.lines)
        if line[1] is None:
            raise _LineTooLong(line)
        self.record.append(line)
        self.size += len(line[1])
        if self.size > self.limit:
            raise _RecordTooLong()
        return line[1]

    def retry_after_first(self, *more: _Line) -> None:
        """Read the current record's lines again from its second one (then ``more``)."""
        self.again.extendleft(reversed(self.record[1:] + list(more)))


def _quote_error(err: csv.Error) -> str:
    message = str(err)
    if "unexpected end of data" in message:
        return "malformed CSV: a quoted field is never closed (a stray quote?)"
    if "expected after" in message:
        return "malformed CSV: a quote inside a quoted field is not doubled (a stray quote?)"
    return f"malformed CSV: {message}"


def _names(header: list[str]) -> list[str]:
    """Column names, a repeated one numbered as pandas does (page, page.1, ...)."""
    names: list[str] = []
    counts: dict[str, int] = {}
    for name in header:
        name = clean(name)
        if name in counts:
            counts[name] += 1
            new = f"{name}.{counts[name]}"
            while new in counts:
                counts[name] += 1
                new = f"{name}.{counts[name]}"
            name = new
        counts.setdefault(name, 0)
        names.append(name)
    return names


def read_csv(path: Path, config: ReadConfig) -> Iterator[Document | Skip]:
    return read_line_file(path, config, "", lambda lines: _csv_records(path, lines, config))


def _csv_records(path: Path, lines: Lines, config: ReadConfig) -> Iterator[Document | Skip]:
    limit = line_limit(config)
    feed = _Feed(lines, limit)
    header: list[str] | None = None
    reader = csv.reader(feed, strict=True)
    while True:
        feed.start()
        try:
            record = next(reader)
        except StopIteration:
            break
        except (csv.Error, _RecordTooLong, _LineTooLong) as err:
            reader = csv.reader(feed, strict=True)  # a fresh parser for what follows
            if header is None:
                reason = "CSV header longer than the limit" if not isinstance(err, csv.Error) else _quote_error(err)
                yield Skip(str(path), f"cannot read the header row: {reason}")
                return
            if isinstance(err, _LineTooLong) and not feed.record:
                yield Skip(f"{path}:{err.line[0]}", line_too_long(config))
                continue
            if isinstance(err, csv.Error):
                reason = _quote_error(err)
            else:
                reason = f"CSV row longer than {limit:,} characters (max_chars {config.max_chars:,}); not read"
            yield Skip(f"{path}:{feed.record[0][0]}", reason)
            feed.retry_after_first(*([err.line] if isinstance(err, _LineTooLong) else []))
            continue
        if not record or (len(record) == 1 and not record[0].strip()):  # a blank line
            continue
        first = feed.record[0][0]
        if header is None:
            header = _names(record)
            continue
        row = dict(zip(header, record))
        if len(record) != len(header):
            fields = f"{len(record)} field" + ("s" if len(record) != 1 else "")
            yield Skip(f"{path}:{first}", f"malformed CSV row: {fields} where the header has {len(header)}",
                       row_id(row, config))
            continue
        item = row_to_document(row, f"{path}:{first}", config)
        warning = next((w for _, _, w in feed.record if w), None)
        if isinstance(item, Document) and warning:
            item.warning = warning
        yield item
