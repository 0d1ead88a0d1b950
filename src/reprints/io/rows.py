"""One row (a JSON object, a CSV record, a Parquet / Arrow / pandas row, a dict) to a
`Document`, or a `Skip` saying why it cannot be one; and the size limits of rows."""

from __future__ import annotations

from typing import Any

from reprints.config import ReadConfig
from reprints.io.values import clean, id_text, json_value, key_text, text_value
from reprints.records import Document, Skip


# Characters a JSONL line or CSV row may have beyond its text, for the other fields.
LINE_SLACK = 65_536


def line_limit(config: ReadConfig) -> int:
    """The most characters a JSONL line or CSV row may have; a longer one is read through in
    bounded pieces and skipped, never held whole. Room for a text of ``max_chars`` written
    entirely as \\uXXXX escapes, and `LINE_SLACK` for the other fields."""
    return 6 * config.max_chars + LINE_SLACK


def line_too_long(config: ReadConfig) -> str:
    return f"line longer than {line_limit(config):,} characters (max_chars {config.max_chars:,}); not read"


def too_long(config: ReadConfig) -> str:
    """The reason for a text over ``max_chars`` (the same wherever it is found)."""
    return f"longer than {config.max_chars:,} characters"


def row_id(row: dict[str, Any], config: ReadConfig) -> str | None:
    """The row's id as a string for a skip's record, when it has a usable one."""
    try:
        doc_id, _ = id_text(row.get(config.id_field))
    except Exception:  # a skip's id is a courtesy; never let it fail the read
        return None
    return None if doc_id is None else clean(doc_id)


def row_to_document(row: Any, origin: str, config: ReadConfig) -> Document | Skip:
    """Map one row to a document with the configured field names, or say why it can't be."""
    if not isinstance(row, dict):
        return Skip(origin, f"row is a JSON {type(row).__name__}, not an object")
    try:
        return _row_to_document(row, origin, config)
    except RecursionError:
        return Skip(origin, "row nested too deeply to read", row_id(row, config))


def _row_to_document(row: dict[str, Any], origin: str, config: ReadConfig) -> Document | Skip:
    doc_id, problem = id_text(row.get(config.id_field))
    if problem:
        return Skip(origin, f"'{config.id_field}' {problem}")
    if doc_id is None or doc_id == "":
        return Skip(origin, f"no '{config.id_field}' field (set the id field with --id-field)")
    field, what = (config.html_field, "HTML") if config.html_field else (config.text_field, "text")
    if field not in row or row[field] is None:
        return Skip(origin, f"no '{field}' field (set the {what} field with --{what.lower()}-field)", clean(doc_id))
    text = row[field]
    if not isinstance(text, str) and not (config.html_field and isinstance(text, bytes)):
        return Skip(origin, f"'{field}' is a {type(text).__name__}, not a string", clean(doc_id))
    taken = {config.id_field, field, config.text_field, config.source_field, config.date_field, "url"}
    doc = Document(
        doc_id=doc_id,
        text=text if isinstance(text, str) else "",
        source=text_value(row.get(config.source_field)),
        date=text_value(row.get(config.date_field)),
        url=text_value(row.get("url")),
        meta={key_text(k): json_value(v) for k, v in row.items() if k not in taken},
        origin=origin,
    )
    if config.html_field:  # the text is the main text of the row's HTML (io/html.py)
        from reprints.io.html import html_row

        return html_row(doc, text)
    return doc
