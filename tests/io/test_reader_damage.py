"""Damaged and adversarial input (issue 13): every file and row is read or skipped with a
reason, nothing is merged or lost silently, nothing raises, and limits hold while streaming."""

from __future__ import annotations

import csv
import datetime as dt
import errno
import gzip
import io
import json
import math
import os
import random
import threading
import tracemalloc
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import reprints
from reprints.config import ReadConfig
from reprints.io.readers import read_documents
from reprints.records import Document, Skip, doc_id_problem


def _read(inputs, config=ReadConfig()):
    return list(read_documents(inputs, config))


def _split(items):
    return [i for i in items if isinstance(i, Document)], [i for i in items if isinstance(i, Skip)]


# --- 1. CSV: a stray quote must not merge the rest of the file into one document ----------------


def test_csv_stray_quote_with_no_other_quotes_in_the_file(tmp_path):
    """The sweep's case: a `"` at the start of a field in row 2 of a 1,000-row CSV made rows 2-1,000
    one document (the quoted field ran to the end of the file), with no skip and no warning."""
    lines = ["id,text"] + [f"{k},row {k} says hello to the readers" for k in range(1, 1001)]
    lines[2] = '2,"row 2 says hello to the readers'
    path = tmp_path / "stray.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    docs, skips = _split(_read(path))
    assert [d.doc_id for d in docs] == ["1"] + [str(k) for k in range(3, 1001)]
    assert all(d.text == f"row {d.doc_id} says hello to the readers" for d in docs)
    (skip,) = skips
    assert skip.origin == f"{path}:3", skip  # line 3 of the file: row 2
    assert "malformed CSV" in skip.reason and "quote" in skip.reason, skip.reason


def test_csv_stray_quote_among_quoted_fields(tmp_path):
    """Texts with commas are quoted by every CSV writer; a stray quote in an unquoted field then
    pairs with the next row's opening quote."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["id", "source", "date", "text"])
    for k in range(1, 51):
        writer.writerow([f"doc-{k}", "Wire", "1990-01-01", f"Row {k}, with a comma,\nand a second line."])
    raw = out.getvalue().replace("doc-7,Wire,", 'doc-7,"Wire,', 1)
    path = tmp_path / "quoted.csv"
    path.write_bytes(raw.encode("utf-8"))
    docs, skips = _split(_read(path))
    assert [d.doc_id for d in docs] == [f"doc-{k}" for k in range(1, 51) if k != 7]
    assert all(d.text == f"Row {d.doc_id[4:]}, with a comma,\nand a second line." for d in docs)
    assert len(skips) >= 1 and all("malformed CSV" in s.reason or "fields" in s.reason for s in skips), skips
    assert skips[0].origin == f"{path}:14"  # header, then two lines per row: doc-7 starts on line 14
    # What is left of doc-7 (its second line) is reported too, never silently dropped or merged.
    assert all(s.origin.startswith(f"{path}:") for s in skips)


def test_scan_reports_the_damaged_csv_row(tmp_path, articles):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "source", "date", "text"])
    for a in articles:
        writer.writerow([a["id"], a["source"], a["date"], a["text"]])
    writer.writerow(["broken", "Wire", "2024-05-09", "no quotes here"])
    for k in range(20):
        writer.writerow([f"filler-{k}", "Wire", "2024-05-09", f"filler text number {k}"])
    raw = out.getvalue().replace("broken,Wire,", 'broken,"Wire,')
    path = tmp_path / "corpus.csv"
    path.write_text(raw, encoding="utf-8", newline="")
    result = reprints.scan(path)
    assert result.summary["documents_read"] == len(articles) + 20
    assert result.summary["documents_skipped"] == 1
    (row,) = [r for r in result.documents.to_pylist() if r["skip_reason"]]
    assert "malformed CSV" in row["skip_reason"] and row["input"].startswith(f"{path}:")
    longest = max(len(a["text"]) for a in articles)
    assert max(r["length"] for r in result.documents.to_pylist() if r["length"]) <= longest


def test_csv_rows_with_the_wrong_number_of_fields_are_skipped(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("id,text,source\n1,first text,Wire\n2,second text,Wire,extra\n3,third text\n"
                    "4,fourth text,Post\n", encoding="utf-8")
    docs, skips = _split(_read(path))
    assert [d.doc_id for d in docs] == ["1", "4"]
    assert all(None not in d.meta and "null" not in d.meta for d in docs)
    assert [s.origin for s in skips] == [f"{path}:3", f"{path}:4"]
    assert "4 fields" in skips[0].reason and "3" in skips[0].reason
    assert "2 fields" in skips[1].reason
    assert [s.doc_id for s in skips] == ["2", "3"]


def test_csv_origins_are_lines(tmp_path):
    """A CSV record is found by its first line (quoted fields may hold newlines)."""
    path = tmp_path / "lines.csv"
    path.write_text('id,text\n1,"two\nlines"\n2,one line\n', encoding="utf-8")
    a, b = _read(path)
    assert (a.origin, b.origin) == (f"{path}:2", f"{path}:4")


def test_csv_duplicate_column_names_keep_both_values(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("id,text,page,page\n1,some text,3,4\n", encoding="utf-8")
    (doc,) = _read(path)
    assert doc.meta == {"page": "3", "page.1": "4"}


def test_empty_table_files_are_reported(tmp_path):
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "blank.jsonl").write_bytes(b"\n  \n")
    (tmp_path / "header-only.csv").write_text("id,text\n", encoding="utf-8")
    (tmp_path / "nothing.csv").write_bytes(b"")
    skips = _read(tmp_path)
    names = sorted(Path(s.origin).name for s in skips)
    assert names == ["blank.jsonl", "empty.jsonl", "header-only.csv", "nothing.csv"]
    assert all(isinstance(s, Skip) and "no rows" in s.reason for s in skips), skips


# --- 2. Folders: links followed, loops reported, nothing vanishes ---------------------------------


def _deep_folder(base: Path, total: int) -> list[str]:
    """Folders below ``base`` whose path is longer than ``total`` bytes, a .txt file at the bottom;
    made through directory descriptors, since the full path cannot be opened."""
    names = []
    fd = os.open(base, os.O_RDONLY)
    try:
        while len(str(base)) + sum(len(n) + 1 for n in names) <= total:
            name = "d" * 200
            os.mkdir(name, dir_fd=fd)
            child = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = child
            names.append(name)
        file_fd = os.open("deep.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(file_fd, b"words deep down")
        os.close(file_fd)
    finally:
        os.close(fd)
    return names


def test_folder_every_file_is_read_or_skipped(tmp_path, monkeypatch):
    """The sweep's folder: five files, of which a plain walk read one and reported none."""
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "plain.txt").write_text("plain words", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "linked.txt").write_text("linked words", encoding="utf-8")
    (root / "link").symlink_to(elsewhere, target_is_directory=True)
    (root / ".hidden.txt").write_text("hidden words", encoding="utf-8")
    locked = root / "locked"
    locked.mkdir()
    (locked / "locked.txt").write_text("locked words", encoding="utf-8")
    deep = root / "deep"
    deep.mkdir()
    _deep_folder(deep, os.pathconf(str(root), "PC_PATH_MAX"))

    real_scandir = os.scandir

    def scandir(path="."):
        if isinstance(path, (str, os.PathLike)) and os.fspath(path) == str(locked):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    docs, skips = _split(_read(root))
    assert sorted(d.doc_id for d in docs) == ["link/linked", "plain"]
    reasons = {Path(s.origin).name[:20]: s.reason for s in skips}
    assert len(skips) == 3, skips
    assert "hidden" in reasons[".hidden.txt"]
    assert "cannot read folder" in reasons["locked"] and "Permission denied" in reasons["locked"]
    deep_skip = next(s for s in skips if s.origin.startswith(str(deep)))
    assert "path longer than the system allows" in deep_skip.reason, deep_skip


def test_symlink_loops_and_repeats_are_reported_not_followed(tmp_path):
    root = tmp_path / "corpus"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a.txt").write_text("alpha words", encoding="utf-8")
    (root / "sub" / "up").symlink_to(root, target_is_directory=True)  # a loop
    (root / "twin").symlink_to(root / "sub", target_is_directory=True)  # the same folder again
    (root / "gone.txt").symlink_to(tmp_path / "missing.txt")
    (root / "file-link.txt").symlink_to(root / "sub" / "a.txt")
    docs, skips = _split(_read(root))
    assert sorted(d.doc_id for d in docs) == ["file-link", "sub/a"]
    reasons = {Path(s.origin).relative_to(root).as_posix(): s.reason for s in skips}
    assert set(reasons) == {"sub/up", "twin", "gone.txt"}, reasons
    assert "symlink loop" in reasons["sub/up"]
    assert "already read" in reasons["twin"] and str(root / "sub") in reasons["twin"]
    assert "broken symlink" in reasons["gone.txt"]


def test_hidden_folders_are_one_skip_each(tmp_path):
    root = tmp_path / "corpus"
    (root / ".git" / "objects").mkdir(parents=True)
    (root / ".git" / "objects" / "x.txt").write_text("hidden words", encoding="utf-8")
    (root / "a.txt").write_text("alpha words", encoding="utf-8")
    docs, skips = _split(_read(root))
    assert [d.doc_id for d in docs] == ["a"]
    (skip,) = skips
    assert skip.origin == str(root / ".git") and "hidden folder" in skip.reason


def test_a_hidden_root_is_read(tmp_path):
    root = tmp_path / ".corpus"
    root.mkdir()
    (root / "a.txt").write_text("alpha words", encoding="utf-8")
    (doc,) = _read(root)
    assert doc.doc_id == "a"


def test_fifo_in_a_folder_is_skipped_not_read(tmp_path):
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "a.txt").write_text("alpha words", encoding="utf-8")
    os.mkfifo(root / "pipe.txt")
    found = []
    reader = threading.Thread(target=lambda: found.extend(_read(root)), daemon=True)
    reader.start()
    reader.join(20)
    if reader.is_alive():  # unblock the reader stuck on the FIFO, then fail
        with open(root / "pipe.txt", "wb"):
            pass
        pytest.fail("reading a folder with a FIFO in it blocked")
    docs, skips = _split(found)
    assert [d.doc_id for d in docs] == ["a"]
    (skip,) = skips
    assert "not a regular file" in skip.reason


def test_file_name_that_is_not_utf8(tmp_path):
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "a.txt").write_text("alpha words", encoding="utf-8")
    name = os.fsdecode(b"caf\xe9.txt")  # surrogate-escaped on a UTF-8 file system
    try:
        (root / name).write_text("beta words", encoding="utf-8")
    except (OSError, UnicodeEncodeError):
        pytest.skip("file system refuses names that are not UTF-8")
    docs, skips = _split(_read(root))
    assert [d.doc_id for d in docs] == ["a"]
    (skip,) = skips
    assert "surrogate" in skip.reason and "\ufffd" in skip.origin
    assert skip.origin.encode("utf-8")  # writable as UTF-8: no lone surrogate left


# --- 3. Damaged gzip: keep what was read, say the rest is lost --------------------------------------


def _payload(n: int = 300) -> bytes:
    rng = random.Random(13)
    words = ["harbour", "council", "river", "storm", "ferry", "market", "school", "bridge", "winter", "wheat"]
    lines = [json.dumps({"id": str(k), "text": " ".join(rng.choice(words) for _ in range(80))}) for k in range(n)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _corrupted_gzip() -> bytes:
    data = gzip.compress(_payload(), mtime=0)
    for pos in range(len(data) // 8, len(data) - 8):
        damaged = bytearray(data)
        damaged[pos] ^= 0xFF
        try:
            gzip.decompress(bytes(damaged))
        except zlib.error:
            return bytes(damaged)
        except Exception:
            continue
    raise AssertionError("no position gives a zlib error")


def test_corrupted_gzip_keeps_lines_read_before_the_damage(tmp_path):
    path = tmp_path / "flipped.jsonl.gz"
    path.write_bytes(_corrupted_gzip())
    items = _read(path)
    docs, skips = _split(items)
    assert len(docs) > 10
    assert [d.doc_id for d in docs[:10]] == [str(k) for k in range(10)]
    last = items[-1]
    assert isinstance(last, Skip) and last.origin == str(path)
    assert "cannot read file" in last.reason and "rest of the file" in last.reason, last.reason


def test_corrupted_gzip_does_not_stop_the_scan(tmp_path, articles):
    path = tmp_path / "flipped.jsonl.gz"
    path.write_bytes(_corrupted_gzip())
    good = tmp_path / "good.jsonl"
    good.write_text("\n".join(json.dumps(a) for a in articles) + "\n", encoding="utf-8")
    result = reprints.scan([path, good])
    assert any("rest of the file" in k for k in result.summary["skip_reasons"])
    assert result.passages.num_rows > 0


def test_gzip_with_a_bad_checksum_is_reported(tmp_path):
    data = bytearray(gzip.compress(_payload(20), mtime=0))
    data[-8] ^= 0xFF  # the CRC-32 in the trailer
    path = tmp_path / "crc.jsonl.gz"
    path.write_bytes(bytes(data))
    items = _read(path)
    assert isinstance(items[-1], Skip) and "cannot read file" in items[-1].reason
    assert sum(isinstance(i, Document) for i in items) == 20


# --- 4. Limits while streaming ---------------------------------------------------------------------


def _peak_while(fn):
    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


BIG = 30_000_000  # characters in the one huge line; the limit is a few thousand


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".jsonl", ".csv"])
def test_huge_line_is_skipped_without_being_held(tmp_path, suffix):
    path = tmp_path / f"bomb{suffix}"
    opener = gzip.open if suffix.endswith(".gz") else open
    with opener(path, "wb") as handle:
        if suffix == ".csv":
            handle.write(b"id,text\nbefore,words before\nhuge,")
        else:
            handle.write(b'{"id": "before", "text": "words before"}\n{"id": "huge", "text": "')
        chunk = b"a" * 1_000_000
        for _ in range(BIG // len(chunk)):
            handle.write(chunk)
        handle.write(b"\n" if suffix == ".csv" else b'"}\n')
        handle.write(b"after,words after\n" if suffix == ".csv" else b'{"id": "after", "text": "words after"}\n')
    config = ReadConfig(max_chars=1000)
    items, peak = _peak_while(lambda: _read(path, config))
    docs, skips = _split(items)
    assert [d.doc_id for d in docs] == ["before", "after"]
    (skip,) = skips
    assert "longer than" in skip.reason and skip.origin.endswith(":2" if suffix != ".csv" else ":3"), skip
    assert peak < 4_000_000, f"{peak:,} bytes held for a {BIG:,}-character line"


def test_huge_text_file_is_skipped_without_being_read(tmp_path):
    path = tmp_path / "big.txt"
    with open(path, "wb") as handle:
        handle.write(b"x" * 5_000_000)
    items, peak = _peak_while(lambda: _read(path, ReadConfig(max_chars=1000)))
    (skip,) = items
    assert isinstance(skip, Skip) and "longer than 1,000 characters" in skip.reason
    assert peak < 1_000_000


def test_text_file_at_the_limit_is_read(tmp_path):
    path = tmp_path / "limit.txt"
    path.write_text("é" * 1000, encoding="utf-8")  # 2,000 bytes, 1,000 characters
    (doc,) = _read(path, ReadConfig(max_chars=1000))
    assert isinstance(doc, Document) and len(doc.text) == 1000


def test_long_csv_row_made_of_many_lines_is_skipped(tmp_path):
    path = tmp_path / "long.csv"
    long_text = "\n".join(["many words on a line"] * 2000)
    path.write_text(f'id,text\n1,short text\n2,"{long_text}"\n3,short again\n', encoding="utf-8")
    items = _read(path, ReadConfig(max_chars=100))
    docs, skips = _split(items)
    assert {"1", "3"} <= {d.doc_id for d in docs}
    assert skips[0].origin == f"{path}:3" and "longer than" in skips[0].reason
    assert all(len(d.text) <= 100 for d in docs)


def test_parquet_text_over_the_limit_is_skipped(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "text": ["short words", "x" * 5000]}), path)
    a, b = _read(path, ReadConfig(max_chars=1000))
    assert isinstance(a, Document) and isinstance(b, Skip)
    assert b.doc_id == "b" and "longer than 1,000 characters" in b.reason


# --- 5. UTF-16 and UTF-32 with a byte-order mark ---------------------------------------------------

TEXT = "Grüße aus Zürich 😀\r\nzweite Zeile, ein Beispiel.\n"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_text_files_are_decoded_by_their_bom(tmp_path, encoding):
    data = TEXT.encode(encoding)
    if not encoding.endswith(("le", "be")):
        pass  # the codec wrote its own BOM
    else:
        data = "\ufeff".encode(encoding) + data
    path = tmp_path / "wide.txt"
    path.write_bytes(data)
    (doc,) = _read(path)
    assert isinstance(doc, Document), doc
    assert doc.text == TEXT and doc.warning is None


def test_utf16_without_bom_is_still_binary(tmp_path):
    path = tmp_path / "nobom.txt"
    path.write_bytes(TEXT.encode("utf-16-le"))
    (skip,) = _read(path)
    assert isinstance(skip, Skip) and "binary" in skip.reason


def test_utf16_damaged_is_kept_with_a_warning(tmp_path):
    path = tmp_path / "odd.txt"
    path.write_bytes(TEXT.encode("utf-16") + b"\x00")  # an odd number of bytes
    (doc,) = _read(path)
    assert doc.text == TEXT + "\ufffd" and "invalid UTF-16" in doc.warning


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_utf16_table_files(tmp_path, encoding):
    jsonl = tmp_path / "t.jsonl"
    jsonl.write_bytes((json.dumps({"id": "a", "text": TEXT}, ensure_ascii=False) + "\n").encode(encoding))
    csv_path = tmp_path / "t.csv"
    out = io.StringIO()
    csv.writer(out).writerows([["id", "text"], ["b", TEXT]])
    csv_path.write_bytes(out.getvalue().encode(encoding))
    a, b = _read([jsonl, csv_path])
    assert (a.doc_id, a.text, a.warning) == ("a", TEXT, None)
    assert (b.doc_id, b.text, b.warning) == ("b", TEXT, None)


# --- 6. Ids and metadata keep their values ---------------------------------------------------------


def test_metadata_stays_json(tmp_path):
    path = tmp_path / "m.jsonl"
    row = {"id": 7, "text": "seven words", "tags": ["a", "b"], "nested": {"k": 1, "deeper": [None, True, 2.5]},
           "none": None, "count": 3}
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    (doc,) = _read(path)
    assert doc.doc_id == "7"
    assert doc.meta == {"tags": ["a", "b"], "nested": {"k": 1, "deeper": [None, True, 2.5]}, "none": None, "count": 3}
    result = reprints.scan([path, {"id": "other", "text": "other words"}])
    meta = {r["doc_id"]: r["meta"] for r in result.documents.to_pylist()}
    assert json.loads(meta["7"]) == doc.meta


def test_python_values_become_json_values():
    import numpy as np

    rows = [{"id": b"bin1", "text": "bytes id", "raw": b"caf\xc3\xa9", "bad": b"\xff\x00",
             "when": dt.datetime(2024, 3, 4, 10, 30), "nan": float("nan"), "np": np.int64(5),
             "arr": np.array([1, 2]), "tuple": (1, "x"), "set": {3}},
            {"id": 7.0, "text": "float id"},
            {"id": np.int32(8), "text": "numpy id"},
            {"id": {"nested": 1}, "text": "dict id"},
            {"id": ["x"], "text": "list id"},
            {"id": True, "text": "bool id"},
            {"id": float("nan"), "text": "nan id"},
            {"id": b"\xff\xfe", "text": "undecodable bytes id"}]
    items = _read(rows)
    docs, skips = _split(items)
    assert [d.doc_id for d in docs] == ["bin1", "7", "8"]
    meta = docs[0].meta
    assert meta == {"raw": "café", "bad": "\\xff\x00", "when": "2024-03-04T10:30:00", "nan": None, "np": 5,
                    "arr": [1, 2], "tuple": [1, "x"], "set": [3]}
    json.dumps(meta, allow_nan=False)
    reasons = [s.reason for s in skips]
    assert "'id' is a dict" in reasons[0] and "'id' is a list" in reasons[1] and "'id' is a bool" in reasons[2]
    assert "no 'id' field" in reasons[3]
    assert "not valid UTF-8" in reasons[4]


def test_source_date_and_url_are_text(tmp_path):
    rows = [{"id": "a", "text": "words here", "source": {"name": "Wire"}, "date": float("nan"), "url": b"http://x"}]
    (doc,) = _read(rows)
    assert (doc.source, doc.date, doc.url) == ('{"name": "Wire"}', None, "http://x")


def test_parquet_binary_and_struct_columns(tmp_path):
    path = tmp_path / "b.parquet"
    pq.write_table(pa.table({
        "id": pa.array([b"a1", b"a2"], pa.binary()),
        "text": ["first words", "second words"],
        "info": pa.array([{"page": 1, "tags": ["x"]}, {"page": 2, "tags": []}]),
        "when": pa.array([dt.date(2020, 1, 2), None]),
    }), path)
    a, b = _read(path)
    assert (a.doc_id, b.doc_id) == ("a1", "a2")
    assert a.meta == {"info": {"page": 1, "tags": ["x"]}, "when": "2020-01-02"}


def test_deeply_nested_json_is_skipped_not_raised(tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_text(json.dumps({"id": "ok", "text": "fine words"}) + "\n"
                    + '{"id": "deep", "text": "x", "m": ' + "[" * 100_000 + "]" * 100_000 + "}\n", encoding="utf-8")
    docs, skips = _split(_read(path))
    assert [d.doc_id for d in docs] == ["ok"]
    (skip,) = skips
    assert "malformed JSON line" in skip.reason


def test_huge_integer_in_json_is_skipped_not_raised(tmp_path):
    path = tmp_path / "int.jsonl"
    path.write_text('{"id": "a", "text": "words", "n": ' + "9" * 5000 + "}\n", encoding="utf-8")
    (skip,) = _read(path)
    assert isinstance(skip, Skip) and "malformed JSON line" in skip.reason


# --- 7. Ids follow records.doc_id_problem ------------------------------------------------------------

BAD_IDS = ["a\nb", "tab\there", "   ", "x" * 1001, "del\x7f", "half \ud83d emoji"]


@pytest.mark.parametrize("bad", BAD_IDS, ids=["newline", "tab", "blank", "long", "del", "surrogate"])
def test_ids_that_break_the_rule_are_skipped_with_its_reason(tmp_path, bad):
    path = tmp_path / "ids.jsonl"
    path.write_text(json.dumps({"id": bad, "text": "some words"}) + "\n"
                    + json.dumps({"id": "good", "text": "other words"}) + "\n", encoding="utf-8")
    skip, doc = _read(path)
    assert isinstance(skip, Skip) and skip.reason == doc_id_problem(bad)
    assert skip.doc_id is None or skip.doc_id.encode("utf-8")
    assert doc.doc_id == "good"


def test_bad_ids_in_every_input_kind(tmp_path):
    (tmp_path / "c.csv").write_text('id,text\n"x\ny",csv words\n', encoding="utf-8")
    pq.write_table(pa.table({"id": ["p\tq"], "text": ["parquet words"]}), tmp_path / "p.parquet")
    items = _read([tmp_path / "c.csv", tmp_path / "p.parquet", Document("d\re", "doc words")])
    assert [type(i) for i in items] == [Skip, Skip, Skip]
    assert all("control character" in i.reason for i in items)


def test_txt_file_name_with_a_control_character(tmp_path):
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "tab\there.txt").write_text("tab words", encoding="utf-8")
    (skip,) = _read(root)
    assert isinstance(skip, Skip) and "U+0009" in skip.reason


def test_lone_surrogate_everywhere_is_writable(tmp_path):
    """No surrogate reaches an output table: documents.parquet is UTF-8."""
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps({"id": "\udc80", "body": "x"}) + "\n"
                    + json.dumps({"id": "ok", "text": "words \ud800", "m": {"k": ["\udfff"]}}) + "\n", encoding="utf-8")
    items = _read(path)
    for item in items:
        for value in vars(item).values():
            json.dumps(value, ensure_ascii=False).encode("utf-8")
    doc = items[-1]
    assert doc.meta == {"m": {"k": ["\ufffd"]}} and doc.text == "words \ufffd"


def test_nan_float_ids_are_missing_and_inf_ids_skipped():
    docs, skips = _split(_read([{"id": math.inf, "text": "x words"}]))
    assert not docs and "'id'" in skips[0].reason
