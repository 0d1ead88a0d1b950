"""Read documents from folders of .txt files, JSONL (optionally gzipped), Parquet and CSV files,
Python dicts and pandas / Arrow tables.

Every input either becomes a `Document` or a `Skip` with a reason a person can act on: a
missing path, an unreadable, binary or hidden file, a folder that cannot be listed, a symlink
loop, a malformed JSONL line or CSV row, damaged compressed data, a row without a usable id or
text, an empty or over-long document, a duplicate id. Nothing is dropped silently. Text is
kept exactly as given (no newline translation), so offsets point at the characters the user
has; invalid UTF-8 is decoded with U+FFFD replacement characters and the document is flagged;
UTF-16 and UTF-32 files are decoded by their byte-order mark. Limits (``max_chars``) hold
while reading: nothing longer is ever held whole.

The formats live beside this module: `walk` (folders), `decoding` (encodings, bounded lines),
`jsonl`, `csvfile`, `arrow` (Parquet, Arrow, pandas), `rows` (a row to a document) and
`values` (ids and metadata as strings and JSON values); web pages (`html`: .html files and
rows with an HTML field, their main text by `extract`) and crawls (`warc`: WARC and ARC files).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from reprints.config import ReadConfig
from reprints.io.arrow import read_parquet, read_table
from reprints.io.csvfile import read_csv
from reprints.io.decoding import decode, os_error, read_bounded, sniff
from reprints.io.html import HTML_SUFFIXES, finish, html_file_item
from reprints.io.jsonl import read_jsonl
from reprints.io.rows import row_to_document, too_long  # noqa: F401  (row_to_document: the Spark engine's)
from reprints.io.values import clean, has_surrogate, id_text, json_value
from reprints.io.walk import walk
from reprints.io.warc import ARCHIVE_SUFFIXES, archive_items
from reprints.records import Document, Skip, doc_id_problem
from reprints.stages.normalise import string_key

TABLE_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".parquet", ".csv")
TEXT_SUFFIXES = (".txt",)
WEB_SUFFIXES = HTML_SUFFIXES + ARCHIVE_SUFFIXES  # web pages and crawls: io/html.py, io/warc.py
_BINARY_PROBE = 8192
_HAS_WORD = re.compile(r"[^\W_]")


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in TABLE_SUFFIXES + TEXT_SUFFIXES + WEB_SUFFIXES:
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


def _read_text_file(path: Path, doc_id: str, config: ReadConfig) -> Document | Skip:
    # UTF-8 takes at most 4 bytes a character, UTF-16 and UTF-32 too: a larger file cannot
    # hold a text within max_chars, and is not read.
    try:
        data = read_bounded(path, 4 * config.max_chars + 4)
    except OSError as err:
        return Skip(str(path), f"cannot read file: {os_error(err)}", doc_id)
    if data is None:
        return Skip(str(path), too_long(config), doc_id)
    encoding = sniff(data[:4], keep_utf8_bom=True)
    if encoding == "utf-8" and b"\x00" in data[:_BINARY_PROBE]:
        return Skip(str(path), "binary file (contains NUL bytes), not text", doc_id)
    text, warning = decode(data, encoding)
    return Document(doc_id=doc_id, text=text, origin=str(path), warning=warning)


def _read_table_file(path: Path, config: ReadConfig) -> Iterator[Document | Skip]:
    suffix = _suffix(path)
    if suffix in (".jsonl", ".jsonl.gz", ".ndjson"):
        yield from read_jsonl(path, config)
    elif suffix == ".csv":
        yield from read_csv(path, config)
    else:
        yield from read_parquet(path, config)


@dataclass(frozen=True)
class ReadUnit:
    """One entry of the inputs, read on its own: a file, with the folder it was found in (its
    ids are relative to that folder; None for a file given itself), or why it is not read.
    A folder is read as its units in order; the Spark engine reads units in its tasks."""

    path: str
    root: str | None = None
    reason: str | None = None


def read_units(path: str | os.PathLike) -> Iterator[ReadUnit]:
    """The units of one path: a folder's entries (`walk` order), or the path itself."""
    p = Path(path)
    try:
        is_dir = stat.S_ISDIR(os.stat(p).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        yield ReadUnit(str(p), reason="path not found")
        return
    except (OSError, ValueError) as err:
        yield ReadUnit(str(p), reason=f"cannot read path: {os_error(err) if isinstance(err, OSError) else err}")
        return
    if not is_dir:
        yield ReadUnit(str(p))
        return
    for entry, reason in walk(p):
        yield ReadUnit(str(entry), str(p), reason)


def is_archive(unit: ReadUnit) -> bool:
    return unit.reason is None and _suffix(Path(unit.path)) in ARCHIVE_SUFFIXES


def unit_items(unit: ReadUnit, config: ReadConfig) -> Iterator[Any]:
    """A unit's documents and skips, web pages still to extract (`html.Page`)."""
    if unit.reason is not None:
        yield Skip(unit.path, unit.reason)
        return
    path = Path(unit.path)
    suffix = _suffix(path)
    if unit.root is None:  # a file given itself: any other suffix is read as text
        name = path.name[: -len(suffix)] if suffix in HTML_SUFFIXES else (
            path.name.rsplit(".", 1)[0] if "." in path.name else path.name)
    else:
        name = path.relative_to(unit.root).as_posix()[: -len(suffix) or None]
    if suffix in TABLE_SUFFIXES:
        yield from _read_table_file(path, config)
    elif suffix in HTML_SUFFIXES:
        yield html_file_item(path, name)
    elif suffix in ARCHIVE_SUFFIXES:
        yield from archive_items(path, config)
    elif suffix in TEXT_SUFFIXES or unit.root is None:
        yield _read_text_file(path, name, config)
    else:
        yield Skip(str(path), f"unsupported file type '{suffix or path.name}' (reads .txt, "
                              + ", ".join(TABLE_SUFFIXES + WEB_SUFFIXES) + ")")


def read_path(path: str | os.PathLike, config: ReadConfig) -> Iterator[Document | Skip]:
    """Documents from one path: a folder, a table file, a web page or archive, or a single text file."""
    return finish(_path_items(path, config))


def _path_items(path: str | os.PathLike, config: ReadConfig) -> Iterator[Any]:
    """`read_path`'s items, web pages still to extract (`html.Page`)."""
    for unit in read_units(path):
        yield from unit_items(unit, config)


def read_documents(inputs: Any, config: ReadConfig) -> Iterator[Document | Skip]:
    """Every document and skip from ``inputs``, ids checked for duplicates and texts for content.

    ``inputs`` is a path, a list of paths, an iterable of dicts or `Document`s, or a pandas
    DataFrame / Arrow table.
    """
    seen: dict[str, tuple[str, int | None]] = {}  # id -> (first origin, text digest of a capture)
    # Web pages come as `html.Page`s, extracted by `finish` in order (in workers under `page_workers`).
    for item in finish(_raw_items(inputs, config)):
        yield checked(item, seen, config)


def checked(item: Document | Skip, seen: dict[str, tuple[str, int | None]], config: ReadConfig) -> Document | Skip:
    """An item as read, checked: a document against `_check` (ids in ``seen``), a skip made
    writable."""
    return _check(item, seen, config) if isinstance(item, Document) else _clean_skip(item)


def _raw_items(inputs: Any, config: ReadConfig) -> Iterator[Document | Skip]:
    if isinstance(inputs, (str, os.PathLike)):
        yield from _path_items(inputs, config)
        return
    if hasattr(inputs, "to_batches") or hasattr(inputs, "iloc"):
        yield from read_table(inputs, config)
        return
    for number, item in enumerate(inputs, start=1):
        if isinstance(item, (str, os.PathLike)):
            yield from _path_items(item, config)
        elif isinstance(item, Document):
            if not isinstance(item.meta, dict):
                item.meta = {"meta": item.meta} if item.meta is not None else {}
            try:
                item.meta = json_value(item.meta)
            except RecursionError:
                yield Skip(item.origin or f"item {number}", "metadata nested too deeply to read")
                continue
            item.origin = item.origin or f"item {number}"
            yield item
        else:
            yield row_to_document(item, f"item {number}", config)


def _clean_skip(skip: Skip) -> Skip:
    """A skip's strings without lone surrogates (file names that are not UTF-8), so that it can
    be written."""
    skip.origin = clean(str(skip.origin))
    skip.reason = clean(str(skip.reason))
    if skip.doc_id is not None:
        skip.doc_id = clean(str(skip.doc_id))
    return skip


def _repair_surrogates(doc: Document) -> None:
    """Lone UTF-16 surrogates (JSON "\\ud83d", half an emoji) cannot be written as UTF-8;
    each becomes U+FFFD, one code point for one, so offsets are unchanged."""
    if has_surrogate(doc.text):
        doc.text = clean(doc.text)
        note = "lone UTF-16 surrogates replaced by U+FFFD"
        doc.warning = f"{doc.warning}; {note}" if doc.warning else note
    for name in ("source", "date", "url", "origin", "warning"):
        value = getattr(doc, name)
        if value is not None:
            setattr(doc, name, clean(str(value)))


def _check(doc: Document, seen: dict[str, tuple[str, int | None]], config: ReadConfig) -> Document | Skip:
    """A document as read, or why it cannot be one: an id against `records.doc_id_problem` (the
    one rule for ids), a text without words, over ``max_chars`` or a repeated id."""
    if not isinstance(doc.doc_id, str):  # a Document made by hand
        doc_id, problem = id_text(doc.doc_id)
        if doc_id is None:
            return _clean_skip(Skip(doc.origin, f"'doc_id' {problem or 'is missing'}"))
        doc.doc_id = doc_id
    problem = doc_id_problem(doc.doc_id)
    if problem:
        return _clean_skip(Skip(doc.origin, problem, doc.doc_id))
    if not isinstance(doc.text, str):
        return _clean_skip(Skip(doc.origin, f"text is a {type(doc.text).__name__}, not a string", doc.doc_id))
    _repair_surrogates(doc)
    if doc.doc_id in seen:
        first, first_digest = seen[doc.doc_id]
        capture = capture_date(doc)
        if capture is None:
            return Skip(doc.origin, f"duplicate id (first read from {first})", doc.doc_id)
        if text_digest(doc.text) == first_digest:
            return Skip(doc.origin, same_capture(first), doc.doc_id)
        doc.doc_id = recapture_id(doc.doc_id, capture)  # the page changed: a new version
        if doc.doc_id in seen:
            return Skip(doc.origin, f"duplicate id (first read from {seen[doc.doc_id][0]})", doc.doc_id)
    if not _HAS_WORD.search(doc.text):  # not recorded as seen: a later real document may use the id
        reason = "empty document" if not doc.text.strip() else "no letters or digits to compare"
        return Skip(doc.origin, reason, doc.doc_id)
    if len(doc.text) > config.max_chars:
        return Skip(doc.origin, too_long(config), doc.doc_id)
    seen[doc.doc_id] = (doc.origin, text_digest(doc.text) if capture_date(doc) else None)
    return doc


# --- pages captured more than once -------------------------------------------------------------
# A crawl may fetch one URL several times. A later capture with the same text as the first is
# skipped (`same_capture`); a changed page is a new version, its id the URL and the capture's
# date (`recapture_id`). Both engines decide it with these functions.

def capture_date(doc: Document) -> str | None:
    """When a page read from a web archive was captured (its WARC-Date), else None."""
    return doc.meta.get("warc_date") if isinstance(doc.meta, dict) else None


def text_digest(text: str) -> int:
    return string_key(text)


RECAPTURE_SEPARATOR = "@"  # a changed capture's id: URL@WARC-Date
SAME_CAPTURE = "same page captured again, text unchanged (first read from "


def recapture_id(doc_id: str, capture: str) -> str:
    return f"{doc_id}{RECAPTURE_SEPARATOR}{capture}"


def same_capture(first: str) -> str:
    return f"{SAME_CAPTURE}{first})"
