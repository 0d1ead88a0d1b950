"""Property tests of the readers (Hypothesis, derandomized so every run tries the same inputs):
random bytes, random JSON lines, random CSV quoting and damage, random Unicode with lone
surrogates, combining marks and line separators. For every input:

- no exception escapes;
- every file gives at least one item, and every item is a document or a skip with a reason;
- every JSONL line and every row of an undamaged CSV is read or skipped exactly once, at its
  own line; a CSV damaged at one line still reads every row before it exactly;
- a document's text is a valid string (no lone surrogate: it can be written as UTF-8), within
  ``max_chars``, and where a row gave it, it is that text with each lone surrogate replaced by
  U+FFFD, one code point for one, so offsets into it are offsets into the original;
- the documents table with every document and skip can be written to Parquet.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import re
import tempfile
from pathlib import Path
from unittest import mock

import numpy as np
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reprints.config import ReadConfig
from reprints.io.readers import read_documents
from reprints.records import Document, Skip, doc_id_problem
from reprints.stages import report_tables

SETTINGS = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

SURROGATE = re.compile("[\ud800-\udfff]")
NASTY = ["\u0301", "\u0308", "\u20dd", "\ud800", "\udfff", "\ud83d", "\ude00", "\r", "\n", "\r\n", "\u2028",
         "\u0085", "\x00", "\x1f", "\ufeff", "\ufffd", '"', "'", ",", ";", "\\", "{", "}", "😀", "e\u0301", " ", "\t"]
chars = st.one_of(st.characters(blacklist_categories=()), st.sampled_from(NASTY))
texts = st.lists(st.one_of(chars, st.sampled_from(["word", "Zürich", "新聞", "and"])), max_size=40).map("".join)
no_surrogates = texts.map(lambda t: SURROGATE.sub("", t))
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                         st.floats(allow_nan=False, allow_infinity=False), texts)
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=4)), max_leaves=12)
configs = st.sampled_from([ReadConfig(), ReadConfig(max_chars=40), ReadConfig(max_chars=1)])
BOMS = [codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE]


def read(inputs, config: ReadConfig) -> list[Document | Skip]:
    """All items, with the invariants every item must meet checked on each."""
    with mock.patch("reprints.io.rows.LINE_SLACK", 64):  # small limits: the over-long paths run
        items = list(read_documents(inputs, config))
    docs = [i for i in items if isinstance(i, Document)]
    skips = [i for i in items if isinstance(i, Skip)]
    assert len(docs) + len(skips) == len(items)
    for skip in skips:
        assert isinstance(skip.reason, str) and skip.reason.strip(), skip
        assert isinstance(skip.origin, str) and skip.origin
    for doc in docs:
        assert isinstance(doc.text, str) and len(doc.text) <= config.max_chars
        assert not SURROGATE.search(doc.text), doc
        assert doc_id_problem(doc.doc_id) is None, doc
        json.dumps(doc.meta, ensure_ascii=False, allow_nan=False).encode("utf-8")
    # The documents table, as a run writes it, holds every document and skip.
    table = report_tables.documents_table(docs, skips, np.zeros(len(docs), dtype=np.int64), [None] * len(docs))
    pq.write_table(table, io.BytesIO())
    assert table.num_rows == len(items)
    return items


def line_of(origin: str, path: Path) -> int | None:
    prefix = f"{path}:"
    return int(origin[len(prefix):]) if origin.startswith(prefix) else None


def repaired(text: str) -> str:
    return SURROGATE.sub("\ufffd", text)


def gzip_variant(data: bytes, how: str, at: int) -> bytes:
    packed = gzip.compress(data, mtime=0)
    if how == "truncated":
        return packed[: max(1, at % len(packed))]
    if how == "flipped":
        damaged = bytearray(packed)
        damaged[10 + at % (len(packed) - 10)] ^= 0xFF
        return bytes(damaged)
    return packed


# --- random bytes in every kind of file ------------------------------------------------------------


@SETTINGS
@given(data=st.one_of(st.binary(max_size=600),
                      st.builds(lambda bom, rest: bom + rest, st.sampled_from(BOMS), st.binary(max_size=300))),
       suffix=st.sampled_from([".txt", ".jsonl", ".ndjson", ".csv", ".jsonl.gz", ".parquet", ".bin"]),
       how=st.sampled_from(["whole", "truncated", "flipped", "not gzip"]), at=st.integers(0, 10**6), config=configs)
def test_random_bytes(data, suffix, how, at, config):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"f{suffix}"
        if suffix.endswith(".gz") and how != "not gzip":
            path.write_bytes(gzip_variant(data, how, at))
        else:
            path.write_bytes(data)
        items = read(path, config)
        assert items, "a file gave nothing at all"
        if suffix == ".txt":
            assert len(items) == 1
        plain = suffix in (".jsonl", ".ndjson") or (suffix == ".jsonl.gz" and how == "whole")
        if plain and not data.startswith(tuple(BOMS[1:])):
            # One item per non-blank line, at that line (a line is what ends in "\n").
            body = data.removeprefix(codecs.BOM_UTF8).decode("utf-8", "replace")
            lines = [n for n, line in enumerate(body.split("\n"), start=1) if line.strip()]
            got = [line_of(i.origin, path) for i in items]
            if lines:
                assert got == lines, (got, lines)
            else:
                assert got == [None] and "no rows" in items[0].reason


# --- random JSON lines ----------------------------------------------------------------------------

ids = st.one_of(texts, st.integers(-10**6, 10**6), st.floats(), st.booleans(), st.none(),
                st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
rows = st.one_of(
    st.fixed_dictionaries({"id": ids, "text": st.one_of(texts, texts, st.integers(), st.none())},
                          optional={"source": json_values, "date": json_values, "url": json_values,
                                    "meta": json_values, "title": texts}),
    json_values,  # not an object, mostly
    texts.map(lambda t: "{" + t),  # not JSON
)


def expected_id(value) -> str | None:
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
        return None
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    return str(value)


@SETTINGS
@given(rows=st.lists(st.tuples(rows, st.booleans(), st.sampled_from(["\n", "\r\n"]), st.integers(0, 2)), max_size=12),
       gz=st.booleans(), config=configs)
def test_random_json_lines(rows, gz, config):
    lines, expected = [], {}
    for row, ascii_only, end, blanks in rows:
        lines.extend([" \t \n"] * blanks)
        if isinstance(row, str) and row.startswith("{"):
            line = SURROGATE.sub("", row).replace("\n", " ")  # not JSON; one line of it
        else:
            # Lone surrogates only as \u escapes: a UTF-8 file cannot hold them.
            surrogates = bool(SURROGATE.search(json.dumps(row, ensure_ascii=False)))
            line = json.dumps(row, ensure_ascii=ascii_only or surrogates)
        lines.append(line + end)
        expected[len(lines)] = row
    data = "".join(lines).encode("utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("rows.jsonl.gz" if gz else "rows.jsonl")
        path.write_bytes(gzip.compress(data) if gz else data)
        items = read(path, config)
        if not expected:
            assert len(items) == 1 and "no rows" in items[0].reason
            return
        assert [line_of(i.origin, path) for i in items] == sorted(expected)
        for item in items:
            row = expected[line_of(item.origin, path)]
            if isinstance(item, Document):
                assert isinstance(row, dict) and isinstance(row["text"], str)
                assert item.doc_id == expected_id(row["id"])
                assert len(item.text) == len(row["text"]) and item.text == repaired(row["text"])
                assert ("surrogate" in (item.warning or "")) == bool(SURROGATE.search(row["text"]))
            elif isinstance(row, dict) and isinstance(row.get("text"), str) and expected_id(row["id"]) is not None:
                # A well-formed row is skipped only for its id, its text or a limit, and says which.
                assert any(word in item.reason for word in ("id", "empty", "letters", "longer", "duplicate")), item


# --- random CSV --------------------------------------------------------------------------------------

QUOTING = [csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]
cells = no_surrogates
TERMINATOR = re.compile(r"\r\n|\r|\n")


def write_csv(header: list[str], body: list[list[str]], quoting: int, end: str) -> tuple[str, list[int]]:
    """The CSV text, and the line each row of ``body`` starts on."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=quoting, lineterminator=end)
    writer.writerow(header)
    starts = []
    for row in body:
        starts.append(len(TERMINATOR.findall(out.getvalue())) + 1)
        writer.writerow(row)
    return out.getvalue(), starts


@SETTINGS
@given(body=st.lists(st.tuples(st.one_of(st.integers(0, 10**6).map(str), cells), cells, cells), max_size=10),
       quoting=st.sampled_from(QUOTING), end=st.sampled_from(["\n", "\r\n"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32"]),
       damage=st.one_of(st.none(), st.tuples(st.sampled_from(['"', "", ",", "\n"]), st.integers(0, 10**6))),
       config=configs)
def test_random_csv(body, quoting, end, encoding, damage, config):
    rows = [list(r) for r in body]
    if quoting == csv.QUOTE_MINIMAL and end == "\n":
        # Python's writer then leaves a bare "\r" unquoted, which every CSV reader takes for a line end.
        rows = [[cell.replace("\r", " ") for cell in row] for row in rows]
    text, starts = write_csv(["id", "text", "note"], rows, quoting, end)
    damaged_at = None
    if damage is not None and rows:
        insert, at = damage
        header_end = text.index(end) + len(end)
        pos = header_end + at % (len(text) - header_end + 1)
        if insert:
            text = text[:pos] + insert + text[pos:]
        elif pos < len(text):
            text = text[:pos] + text[pos + 1:]  # a character lost
        damaged_at = len(TERMINATOR.findall(text[:pos])) + 1
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rows.csv"
        path.write_bytes(text.encode(encoding))
        items = read(path, config)
        assert items
        if not rows:
            assert len(items) == 1 and "no rows" in items[0].reason
            return
        by_line = {line_of(i.origin, path): i for i in items}
        # A row over the limit is skipped and its later lines read again as rows (a runaway quote
        # looks the same): from there on, like damage.
        over = [line_of(i.origin, path) for i in items if isinstance(i, Skip) and "CSV row longer" in i.reason]
        if over:
            damaged_at = min(over + ([damaged_at] if damaged_at is not None else []))
        for row, start in zip(rows, starts):
            next_start = starts[starts.index(start) + 1] if start != starts[-1] else None
            if damaged_at is not None and (next_start is None or next_start > damaged_at or start >= damaged_at):
                continue  # this row may hold the damage, or follow it
            item = by_line[start]
            expected = expected_id(row[0]) if row[0] else None
            if isinstance(item, Document):
                assert (item.doc_id, item.text, item.meta) == (expected, row[1], {"note": row[2]})
            else:
                assert expected is None or doc_id_problem(expected) or not re.search(r"[^\W_]", row[1]) \
                    or len(row[1]) > config.max_chars or "duplicate" in item.reason or "longer" in item.reason, item
        if damaged_at is None:
            # Every row is read or skipped exactly once, at its own line, and nothing else is reported.
            assert sorted(by_line) == starts and len(items) == len(rows)


# --- random folders --------------------------------------------------------------------------------

names = st.text(alphabet=st.sampled_from("ab.-_ é\t"), min_size=1, max_size=6).filter(lambda n: n not in (".", ".."))


@SETTINGS
@given(files=st.lists(st.tuples(st.lists(names, min_size=1, max_size=3),
                                st.sampled_from([".txt", ".csv", ".jsonl", ".md", ""]), st.binary(max_size=80)),
                      max_size=8),
       config=configs)
def test_random_folders(files, config):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "corpus"
        root.mkdir()
        written = set()
        for parts, suffix, data in files:
            path = root.joinpath(*parts[:-1], parts[-1] + suffix)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                if path.exists():
                    continue
                path.write_bytes(data)
            except (FileExistsError, NotADirectoryError, IsADirectoryError):
                continue  # a name already taken by a folder or file of the other kind
            written.add(path)
        items = read(root, config)
        # Every file written is accounted for: by an item from it, or by a skip of a hidden
        # folder above it.
        origins = {re.sub(r"(:\d+|#\d+)$", "", i.origin) for i in items}
        for path in written:
            above = [path] + [p for p in path.parents if root in p.parents]
            assert any(str(p) in origins for p in above), (path, origins)
