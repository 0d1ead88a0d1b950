"""Read documents from folders of .txt files, JSONL (optionally gzipped), Parquet and CSV files,
Python dicts and pandas / Arrow tables.

Every input either becomes a `Document` or a `Skip` with a reason a person can act on: a
missing path, an unreadable or binary file, a malformed JSONL line, a row without text, an
empty document, a duplicate id. Nothing is dropped silently. Text is kept exactly as given
(no newline translation), so offsets point at the characters the user has; invalid UTF-8 is
decoded with U+FFFD replacement characters and the document is flagged.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
from pathlib import Path
from typing import Any, Iterable, Iterator

from reprints.config import ReadConfig
from reprints.records import Document, Skip

TABLE_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".parquet", ".csv")
TEXT_SUFFIXES = (".txt",)
_BINARY_PROBE = 8192
_BOM = b"\xef\xbb\xbf"  # UTF-8 byte-order mark: framing in table files, not content
_HAS_WORD = re.compile(r"[^\W_]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in TABLE_SUFFIXES + TEXT_SUFFIXES:
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


def _decode(data: bytes) -> tuple[str, str | None]:
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as err:
        text = data.decode("utf-8", errors="replace")
        return text, f"invalid UTF-8 at byte {err.start}; undecodable bytes replaced by U+FFFD"


def _looks_binary(data: bytes) -> bool:
    return b"\x00" in data[:_BINARY_PROBE]


def _scalar(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def row_to_document(row: dict[str, Any], origin: str, config: ReadConfig) -> Document | Skip:
    """Map one row to a document with the configured field names, or say why it can't be."""
    if not isinstance(row, dict):
        return Skip(origin, f"row is a JSON {type(row).__name__}, not an object")
    raw_id = row.get(config.id_field)
    doc_id = None if raw_id is None else str(_scalar(raw_id))
    if doc_id is None or doc_id == "":
        return Skip(origin, f"no '{config.id_field}' field (set the id field with --id-field)")
    if config.text_field not in row or row[config.text_field] is None:
        return Skip(origin, f"no '{config.text_field}' field (set the text field with --text-field)", doc_id)
    text = row[config.text_field]
    if not isinstance(text, str):
        return Skip(origin, f"'{config.text_field}' is a {type(text).__name__}, not a string", doc_id)
    taken = {config.id_field, config.text_field, config.source_field, config.date_field, "url"}
    source = row.get(config.source_field)
    date = row.get(config.date_field)
    url = row.get("url")
    meta = {k: _scalar(v) for k, v in row.items() if k not in taken}
    return Document(
        doc_id=doc_id,
        text=text,
        source=None if source is None else str(_scalar(source)),
        date=None if date is None else str(_scalar(date)),
        url=None if url is None else str(_scalar(url)),
        meta=meta,
        origin=origin,
    )


def _read_text_file(path: Path, doc_id: str) -> Document | Skip:
    try:
        data = path.read_bytes()
    except OSError as err:
        return Skip(str(path), f"cannot read file: {err.strerror or err}", doc_id)
    if _looks_binary(data):
        return Skip(str(path), "binary file (contains NUL bytes), not text", doc_id)
    text, warning = _decode(data)
    return Document(doc_id=doc_id, text=text, origin=str(path), warning=warning)


def _read_jsonl(path: Path, config: ReadConfig) -> Iterator[Document | Skip]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                origin = f"{path}:{number}"
                if number == 1 and raw.startswith(_BOM):
                    raw = raw[len(_BOM):]
                if not raw.strip():
                    continue
                line, warning = _decode(raw)
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as err:
                    yield Skip(origin, f"malformed JSON line: {err.msg} at column {err.colno}")
                    continue
                item = row_to_document(row, origin, config)
                if isinstance(item, Document) and warning:
                    item.warning = warning
                yield item
    except (OSError, EOFError) as err:
        yield Skip(str(path), f"cannot read file: {getattr(err, 'strerror', None) or err}")


def _read_csv(path: Path, config: ReadConfig) -> Iterator[Document | Skip]:
    try:
        data = path.read_bytes()
    except OSError as err:
        yield Skip(str(path), f"cannot read file: {err.strerror or err}")
        return
    text, warning = _decode(data.removeprefix(_BOM))
    csv.field_size_limit(2**31 - 1)
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        for number, row in enumerate(reader, start=1):
            item = row_to_document(row, f"{path}#{number}", config)
            if isinstance(item, Document) and warning:
                item.warning = warning
            yield item
    except csv.Error as err:
        yield Skip(str(path), f"malformed CSV: {err}")


def _read_parquet(path: Path, config: ReadConfig) -> Iterator[Document | Skip]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
        number = 0
        for batch in parquet.iter_batches(batch_size=4096):
            for row in batch.to_pylist():
                number += 1
                yield row_to_document(row, f"{path}#{number}", config)
    except Exception as err:  # pyarrow raises several types for damaged files
        yield Skip(str(path), f"cannot read Parquet file: {err}")


def _read_table_file(path: Path, config: ReadConfig) -> Iterator[Document | Skip]:
    suffix = _suffix(path)
    if suffix in (".jsonl", ".jsonl.gz", ".ndjson"):
        yield from _read_jsonl(path, config)
    elif suffix == ".csv":
        yield from _read_csv(path, config)
    else:
        yield from _read_parquet(path, config)


def _read_folder(root: Path, config: ReadConfig) -> Iterator[Document | Skip]:
    files = []
    for folder, dirs, names in os.walk(root, onerror=None):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        files.extend(Path(folder) / n for n in names if not n.startswith("."))
    for path in sorted(files):
        suffix = _suffix(path)
        if suffix in TEXT_SUFFIXES:
            doc_id = path.relative_to(root).as_posix()[: -len(suffix)]
            yield _read_text_file(path, doc_id)
        elif suffix in TABLE_SUFFIXES:
            yield from _read_table_file(path, config)
        else:
            yield Skip(str(path), f"unsupported file type '{suffix or path.name}' (reads .txt, "
                                  + ", ".join(TABLE_SUFFIXES) + ")")


def read_path(path: str | os.PathLike, config: ReadConfig) -> Iterator[Document | Skip]:
    """Documents from one path: a folder, a table file or a single text file."""
    p = Path(path)
    if not p.exists():
        yield Skip(str(p), "path not found")
    elif p.is_dir():
        yield from _read_folder(p, config)
    elif _suffix(p) in TABLE_SUFFIXES:
        yield from _read_table_file(p, config)
    else:
        yield _read_text_file(p, p.name.rsplit(".", 1)[0] if "." in p.name else p.name)


def _read_table(table: Any, config: ReadConfig) -> Iterator[Document | Skip]:
    import pyarrow as pa

    if not isinstance(table, pa.Table):
        table = pa.Table.from_pandas(table, preserve_index=False)
    number = 0
    for batch in table.to_batches(max_chunksize=4096):
        for row in batch.to_pylist():
            number += 1
            yield row_to_document(row, f"row {number}", config)


def read_documents(inputs: Any, config: ReadConfig) -> Iterator[Document | Skip]:
    """Every document and skip from ``inputs``, ids checked for duplicates and texts for content.

    ``inputs`` is a path, a list of paths, an iterable of dicts or `Document`s, or a pandas
    DataFrame / Arrow table.
    """
    seen: dict[str, str] = {}
    for item in _raw_items(inputs, config):
        if isinstance(item, Document):
            item = _check(item, seen, config)
        yield item


def _raw_items(inputs: Any, config: ReadConfig) -> Iterator[Document | Skip]:
    if isinstance(inputs, (str, os.PathLike)):
        yield from read_path(inputs, config)
        return
    if hasattr(inputs, "to_batches") or hasattr(inputs, "iloc"):
        yield from _read_table(inputs, config)
        return
    for number, item in enumerate(inputs, start=1):
        if isinstance(item, (str, os.PathLike)):
            yield from read_path(item, config)
        elif isinstance(item, Document):
            yield item
        else:
            yield row_to_document(item, f"item {number}", config)


def _repair_surrogates(doc: Document) -> None:
    """Lone UTF-16 surrogates (JSON "\\ud83d", half an emoji) cannot be written as UTF-8;
    each becomes U+FFFD, one code point for one, so offsets are unchanged."""
    if not doc.text.isascii() and _SURROGATE.search(doc.text):
        doc.text = _SURROGATE.sub("\ufffd", doc.text)
        note = "lone UTF-16 surrogates replaced by U+FFFD"
        doc.warning = f"{doc.warning}; {note}" if doc.warning else note
    for name in ("doc_id", "source", "date", "url"):
        value = getattr(doc, name)
        if value is not None and _SURROGATE.search(value):
            setattr(doc, name, _SURROGATE.sub("\ufffd", value))
    if doc.meta:
        doc.meta = {k: _SURROGATE.sub("\ufffd", v) if isinstance(v, str) else v for k, v in doc.meta.items()}


def _check(doc: Document, seen: dict[str, str], config: ReadConfig) -> Document | Skip:
    _repair_surrogates(doc)
    if doc.doc_id in seen:
        return Skip(doc.origin, f"duplicate id (first read from {seen[doc.doc_id]})", doc.doc_id)
    if not _HAS_WORD.search(doc.text):  # not recorded as seen: a later real document may use the id
        reason = "empty document" if not doc.text.strip() else "no letters or digits to compare"
        return Skip(doc.origin, reason, doc.doc_id)
    if len(doc.text) > config.max_chars:
        return Skip(doc.origin, f"longer than {config.max_chars:,} characters", doc.doc_id)
    seen[doc.doc_id] = doc.origin
    return doc


def iter_in_batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
