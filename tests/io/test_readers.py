"""Readers: every input format gives the same documents, texts kept exactly as stored, and a
scan over each of them gives passages whose offsets point into those texts."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import reprints
from reprints.config import ReadConfig
from reprints.io.readers import read_documents
from reprints.records import Document, Skip

# valley-post is stored with Windows line endings wherever the format can hold them, so the
# passage it shares with the others contains "\r\n\r\n" on one side and "\n\n" on the other.
CRLF_IDS = {"valley-post", "river-herald"}


def _crlf(article: dict) -> dict:
    article = dict(article)
    if article["id"] in CRLF_IDS:
        article["text"] = article["text"].replace("\n", "\r\n")
    return article


def write_txt_folder(tmp: Path, articles: list[dict]):
    root = tmp / "corpus"
    root.mkdir()
    for a in map(_crlf, articles):
        (root / f"{a['id']}.txt").write_bytes(a["text"].encode("utf-8"))
    texts = {a["id"]: _crlf(a)["text"] for a in articles}
    return root, texts


def write_jsonl(tmp: Path, articles: list[dict], ensure_ascii: bool = False):
    path = tmp / "corpus.jsonl"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        for a in map(_crlf, articles):
            handle.write(json.dumps(a, ensure_ascii=ensure_ascii) + "\n")
    return path, {a["id"]: _crlf(a)["text"] for a in articles}


def write_jsonl_ascii(tmp: Path, articles: list[dict]):
    # \uXXXX escapes, emoji as surrogate pairs: the reader must still give code points.
    return write_jsonl(tmp, articles, ensure_ascii=True)


def write_jsonl_gz(tmp: Path, articles: list[dict]):
    path = tmp / "corpus.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8", newline="") as handle:
        for a in map(_crlf, articles):
            handle.write(json.dumps(a, ensure_ascii=False) + "\r\n")  # CRLF-terminated lines too
    return path, {a["id"]: _crlf(a)["text"] for a in articles}


def write_csv(tmp: Path, articles: list[dict]):
    path = tmp / "corpus.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "source", "date", "text"])
        writer.writeheader()
        for a in map(_crlf, articles):
            writer.writerow(a)  # texts hold "\n\n" / "\r\n\r\n": quoted fields with newlines
    raw = path.read_text(encoding="utf-8")
    assert raw.count("\n") > len(articles) + 1  # embedded newlines really are in the file
    return path, {a["id"]: _crlf(a)["text"] for a in articles}


def write_parquet(tmp: Path, articles: list[dict]):
    path = tmp / "corpus.parquet"
    pq.write_table(pa.Table.from_pylist([_crlf(a) for a in articles]), path)
    return path, {a["id"]: _crlf(a)["text"] for a in articles}


def as_dicts(tmp: Path, articles: list[dict]):
    return [_crlf(a) for a in articles], {a["id"]: _crlf(a)["text"] for a in articles}


def as_generator(tmp: Path, articles: list[dict]):
    return (_crlf(a) for a in articles), {a["id"]: _crlf(a)["text"] for a in articles}


def as_documents(tmp: Path, articles: list[dict]):
    docs = [Document(doc_id=a["id"], text=a["text"], source=a["source"], date=a["date"]) for a in map(_crlf, articles)]
    return docs, {a["id"]: _crlf(a)["text"] for a in articles}


def as_dataframe(tmp: Path, articles: list[dict]):
    df = pd.DataFrame([_crlf(a) for a in articles], index=[10, 20, 30, 40])
    return df, {a["id"]: _crlf(a)["text"] for a in articles}


def as_arrow(tmp: Path, articles: list[dict]):
    return pa.Table.from_pylist([_crlf(a) for a in articles]), {a["id"]: _crlf(a)["text"] for a in articles}


def as_list_of_paths(tmp: Path, articles: list[dict]):
    first = tmp / "part1.jsonl"
    first.write_text(json.dumps(_crlf(articles[0]), ensure_ascii=False) + "\n", encoding="utf-8")
    second = tmp / "part2.parquet"
    pq.write_table(pa.Table.from_pylist([_crlf(a) for a in articles[1:]]), second)
    return [str(first), second], {a["id"]: _crlf(a)["text"] for a in articles}


WRITERS = {
    "txt-folder": write_txt_folder,
    "jsonl": write_jsonl,
    "jsonl-ascii-escapes": write_jsonl_ascii,
    "jsonl.gz": write_jsonl_gz,
    "csv": write_csv,
    "parquet": write_parquet,
    "list-of-dicts": as_dicts,
    "generator-of-dicts": as_generator,
    "list-of-documents": as_documents,
    "pandas": as_dataframe,
    "arrow": as_arrow,
    "list-of-paths": as_list_of_paths,
}


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_scan_every_reader_path(fmt, tmp_path, articles, reprint_pairs, assert_offsets, pairs_of, passage_pairs_of):
    inputs, texts = WRITERS[fmt](tmp_path, articles)
    result = reprints.scan(inputs)
    docs = result.documents.to_pylist()
    assert sorted(r["doc_id"] for r in docs) == sorted(texts)
    assert all(r["skip_reason"] is None for r in docs)
    assert all(r["warning"] is None for r in docs)
    assert result.summary["documents_read"] == len(texts)
    assert result.summary["documents_skipped"] == 0
    assert pairs_of(result) == reprint_pairs
    assert passage_pairs_of(result) == reprint_pairs
    kinds = {frozenset((r["doc_a"], r["doc_b"])): r["kind"] for r in result.passages.to_pylist()}
    assert kinds[frozenset(("valley-post", "hill-gazette"))] == "verbatim"
    assert kinds[frozenset(("valley-post", "river-herald"))] == "edited"
    assert_offsets(result, texts)
    # Text passes through byte-exact: CRLF line endings and non-ASCII are kept.
    p = next(r for r in result.passages.to_pylist() if {r["doc_a"], r["doc_b"]} == {"valley-post", "hill-gazette"})
    crlf_side = p["text_a"] if p["doc_a"] == "valley-post" else p["text_b"]
    lf_side = p["text_b"] if p["doc_a"] == "valley-post" else p["text_a"]
    assert "\r\n\r\n" in crlf_side and "\r" not in lf_side
    assert "Zürich" in lf_side and "Hélène Müller" in lf_side
    # The cluster's origin is the earliest article (sources and dates survive every path
    # that has them; a plain folder of .txt has no dates, then the longest span wins).
    origins = set(result.clusters.filter(result.clusters.column("is_origin")).column("doc_id").to_pylist())
    assert len(set(result.clusters.column("cluster_id").to_pylist())) == 1
    if fmt != "txt-folder":
        assert origins == {"valley-post"}
        sources = {r["doc_id"]: r["source"] for r in docs}
        assert sources["hill-gazette"] == "Hill Gazette"


def _read(inputs, config=ReadConfig()):
    return list(read_documents(inputs, config))


def test_txt_folder_ids_are_relative_paths_without_suffix(tmp_path):
    root = tmp_path / "c"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "a.txt").write_text("alpha text", encoding="utf-8")
    (root / "sub" / "b.TXT").write_text("beta text", encoding="utf-8")
    (root / "sub" / "deeper" / "c.d.txt").write_text("gamma text", encoding="utf-8")
    (root / ".hidden.txt").write_text("hidden", encoding="utf-8")
    (root / ".git").mkdir()
    (root / ".git" / "x.txt").write_text("hidden too", encoding="utf-8")
    items = _read(root)
    docs = [i for i in items if isinstance(i, Document)]
    assert [i.doc_id for i in docs] == ["a", "sub/b", "sub/deeper/c.d"]
    assert docs[0].origin == str(root / "a.txt")
    # Hidden files and folders are not read, and say so (a folder once).
    skips = {Path(i.origin).name: i.reason for i in items if isinstance(i, Skip)}
    assert skips == {".git": "hidden folder (name starts with '.'), not read",
                     ".hidden.txt": "hidden file (name starts with '.'), not read"}


def test_single_txt_file(tmp_path):
    path = tmp_path / "note.v2.txt"
    path.write_bytes("Ünïcode\r\nline two\r\n".encode("utf-8"))
    (doc,) = _read(path)
    assert doc.doc_id == "note.v2" and doc.text == "Ünïcode\r\nline two\r\n"


def test_table_fields_are_configurable(tmp_path):
    path = tmp_path / "r.ndjson"
    rows = [{"newid": 17, "body": "some body text", "outlet": "Wire", "when": "1987-02-26", "title": "T", "url": "u"}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    config = ReadConfig(id_field="newid", text_field="body", source_field="outlet", date_field="when")
    (doc,) = _read(path, config)
    assert (doc.doc_id, doc.text, doc.source, doc.date, doc.url) == ("17", "some body text", "Wire", "1987-02-26", "u")
    assert doc.meta == {"title": "T"}
    assert doc.origin == f"{path}:1"


def test_meta_reaches_documents_table(articles):
    rows = [dict(a, title=f"title of {a['id']}", page=3) for a in articles]
    result = reprints.scan(rows)
    meta = {r["doc_id"]: json.loads(r["meta"]) for r in result.documents.to_pylist()}
    assert meta["hill-gazette"] == {"title": "title of hill-gazette", "page": 3}


def test_parquet_timestamps_and_integer_ids(tmp_path):
    import datetime as dt

    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({
        "id": pa.array([1, 2], pa.int64()),
        "text": ["first words here", "second words here"],
        "date": pa.array([dt.datetime(2024, 3, 4, 10, 30), None], pa.timestamp("s")),
    }), path)
    a, b = _read(path)
    assert (a.doc_id, a.date) == ("1", "2024-03-04T10:30:00")
    assert (b.doc_id, b.date) == ("2", None)


def test_csv_with_utf8_bom(tmp_path):
    """Spreadsheet programs write CSV with a UTF-8 byte-order mark; the first column is still
    'id', not '\\ufeffid'."""
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffid,text\r\n1,\"first line\r\nsecond line\"\r\n".encode("utf-8"))
    items = _read(path)
    assert [type(i) for i in items] == [Document], items
    assert items[0].doc_id == "1" and items[0].text == "first line\r\nsecond line"


def test_jsonl_with_utf8_bom(tmp_path):
    """A byte-order mark at the start of a JSONL file must not cost the first document."""
    path = tmp_path / "bom.jsonl"
    path.write_bytes("\ufeff".encode("utf-8") + b'{"id": "1", "text": "hello there"}\n{"id": "2", "text": "hi"}\n')
    items = _read(path)
    assert [type(i) for i in items] == [Document, Document], items


def test_invalid_utf8_in_one_jsonl_line_flags_only_that_document(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b'{"id": "ok", "text": "fine text"}\n{"id": "bad", "text": "caf\xe9 text"}\n')
    ok, bad = _read(path)
    assert ok.warning is None
    assert bad.text == "caf\ufffd text" and "invalid UTF-8" in bad.warning


def test_truncated_gzip_keeps_what_was_read(tmp_path):
    path = tmp_path / "cut.jsonl.gz"
    payload = "".join(json.dumps({"id": str(k), "text": f"document number {k} " * 50}) + "\n" for k in range(200))
    data = gzip.compress(payload.encode("utf-8"))
    path.write_bytes(data[: len(data) // 2])
    items = _read(path)
    assert isinstance(items[-1], Skip) and "cannot read file" in items[-1].reason
    assert any(isinstance(i, Document) for i in items)
