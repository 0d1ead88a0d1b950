"""Bad input never stops a run: each bad item is skipped (or repaired and flagged) with a
reason in ``result.documents.skip_reason`` and ``summary["skip_reasons"]``."""

from __future__ import annotations

import builtins
import json
import os
from pathlib import Path

import pytest

import reprints
from reprints import NoDocumentsError


def good_folder(tmp_path: Path, articles: list[dict]) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    for a in articles:
        (root / f"{a['id']}.txt").write_text(a["text"], encoding="utf-8")
    return root


def assert_skipped(result, reason: str, doc_id: str | None = None, count: int = 1):
    rows = [r for r in result.documents.to_pylist() if r["skip_reason"] and reason in r["skip_reason"]]
    assert len(rows) == count, (reason, result.documents.to_pylist())
    if doc_id is not None:
        assert all(r["doc_id"] == doc_id for r in rows), rows
    keys = [k for k in result.summary["skip_reasons"] if reason in k]
    assert keys, (reason, result.summary["skip_reasons"])
    assert sum(result.summary["skip_reasons"][k] for k in keys) == count
    assert result.summary["documents_skipped"] == sum(result.summary["skip_reasons"].values())
    assert any(reason in s["reason"] for s in result.summary["skipped"])
    # The good documents are still scanned.
    assert result.passages.num_rows > 0
    return rows


def test_unreadable_file(tmp_path, articles):
    root = good_folder(tmp_path, articles)
    locked = root / "locked.txt"
    locked.write_text("secret words", encoding="utf-8")
    locked.chmod(0)
    try:
        try:
            locked.read_bytes()
            pytest.skip("running with privileges that read a chmod 000 file (root)")
        except PermissionError:
            pass
        result = reprints.scan(root)
        assert_skipped(result, "cannot read file", "locked")
    finally:
        locked.chmod(0o644)


def test_unreadable_file_simulated(tmp_path, articles, monkeypatch):
    """The same path as above without needing a non-root user: reading raises EACCES."""
    root = good_folder(tmp_path, articles)
    locked = root / "locked.txt"
    locked.write_text("secret words", encoding="utf-8")
    real = builtins.open

    def fake_open(file, *args, **kwargs):
        if isinstance(file, (str, Path)) and Path(file) == locked:
            raise PermissionError(13, "Permission denied", str(file))
        return real(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", fake_open)
    result = reprints.scan(root)
    (row,) = assert_skipped(result, "cannot read file", "locked")
    assert "Permission denied" in row["skip_reason"]
    assert row["input"] == str(locked)


def test_binary_file(tmp_path, articles):
    root = good_folder(tmp_path, articles)
    (root / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    result = reprints.scan(root)
    assert_skipped(result, "binary file", "image")


def test_invalid_utf8_is_kept_with_replacement_and_warning(tmp_path, articles, assert_offsets):
    root = good_folder(tmp_path, articles)
    # hill-gazette again, with one stray Latin-1 byte before the shared passage.
    text = articles[1]["text"]
    raw = text.encode("utf-8")
    cut = raw.index("Zoë".encode("utf-8"))
    data = raw[:cut] + b"caf\xe9 " + raw[cut:]
    (root / "latin1-damage.txt").write_bytes(data)
    result = reprints.scan(root)
    docs = {r["doc_id"]: r for r in result.documents.to_pylist()}
    row = docs["latin1-damage"]
    assert row["skip_reason"] is None
    assert row["warning"] and "invalid UTF-8" in row["warning"]
    assert result.summary["documents_with_warnings"] == 1
    assert result.summary["documents_skipped"] == 0
    decoded = data.decode("utf-8", errors="replace")
    assert "caf\ufffd " in decoded and row["length"] == len(decoded)
    texts = {a["id"]: a["text"] for a in articles} | {"latin1-damage": decoded}
    assert_offsets(result, texts)
    assert any("latin1-damage" in (p["doc_a"], p["doc_b"]) for p in result.passages.to_pylist())


def test_lone_surrogate_escape_in_jsonl(tmp_path, articles, assert_offsets):
    """JSON may escape a lone UTF-16 surrogate ("\\ud83d", half an emoji, common in scraped
    posts); json.loads turns it into a str that cannot be encoded as UTF-8. The run must not
    raise: the document is kept with the character replaced (U+FFFD, one code point, offsets
    unchanged) and a warning, or skipped with a reason."""
    rows = [dict(a) for a in articles]
    rows[1]["text"] = rows[1]["text"].replace("hiker from", "hiker \ud83d from")
    path = tmp_path / "scraped.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="ascii")
    result = reprints.scan(path)
    row = next(r for r in result.documents.to_pylist() if r["doc_id"] == "hill-gazette")
    assert row["warning"] or row["skip_reason"], row
    if row["skip_reason"] is None:
        texts = {r["id"]: r["text"].replace("\ud83d", "\ufffd") for r in rows}
        assert_offsets(result, texts)


def test_empty_document(tmp_path, articles):
    root = good_folder(tmp_path, articles)
    (root / "empty.txt").write_bytes(b"")
    result = reprints.scan(root)
    assert_skipped(result, "empty document", "empty")


def test_whitespace_only_document(tmp_path, articles):
    root = good_folder(tmp_path, articles)
    (root / "blank.txt").write_text(" \r\n\t\n   \u00a0\u2003\n", encoding="utf-8")
    result = reprints.scan(root)
    assert_skipped(result, "empty document", "blank")


def test_punctuation_only_document(articles):
    rows = [dict(a) for a in articles] + [{"id": "dots", "text": "... --- !!! 😀"}]
    result = reprints.scan(rows)
    assert_skipped(result, "no letters or digits", "dots")


def test_duplicate_ids(tmp_path, articles):
    rows = [dict(a) for a in articles] + [dict(articles[0], text="A different text entirely.")]
    result = reprints.scan(rows)
    (row,) = assert_skipped(result, "duplicate id", articles[0]["id"])
    assert "first read from" in row["skip_reason"]
    # The first one is kept.
    kept = [r for r in result.documents.to_pylist() if r["doc_id"] == articles[0]["id"] and r["skip_reason"] is None]
    assert len(kept) == 1 and kept[0]["length"] == len(articles[0]["text"])


def _jsonl(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_malformed_jsonl_line(tmp_path, articles):
    lines = [json.dumps(a) for a in articles]
    lines.insert(2, '{"id": "broken", "text": "unterminated')
    path = _jsonl(tmp_path, lines)
    result = reprints.scan(path)
    (row,) = assert_skipped(result, "malformed JSON line")
    assert row["input"] == f"{path}:3"


def test_jsonl_line_that_is_not_an_object(tmp_path, articles):
    lines = [json.dumps(a) for a in articles] + ['["a", "list"]']
    result = reprints.scan(_jsonl(tmp_path, lines))
    assert_skipped(result, "not an object")


def test_row_without_text_field(tmp_path, articles):
    lines = [json.dumps(a) for a in articles] + [json.dumps({"id": "no-text", "body": "wrong field"})]
    result = reprints.scan(_jsonl(tmp_path, lines))
    (row,) = assert_skipped(result, "no 'text' field", "no-text")
    assert "--text-field" in row["skip_reason"]


def test_row_with_null_text(articles):
    rows = [dict(a) for a in articles] + [{"id": "null-text", "text": None}]
    result = reprints.scan(rows)
    assert_skipped(result, "no 'text' field", "null-text")


def test_row_without_id_field(articles):
    rows = [dict(a) for a in articles] + [{"text": "no id here at all"}]
    result = reprints.scan(rows)
    assert_skipped(result, "no 'id' field")


def test_row_with_non_string_text(tmp_path, articles):
    lines = [json.dumps(a) for a in articles] + [json.dumps({"id": "numeric", "text": 12345})]
    result = reprints.scan(_jsonl(tmp_path, lines))
    (row,) = assert_skipped(result, "not a string", "numeric")
    assert "int" in row["skip_reason"]


def test_missing_input_path_mixed_with_valid_one(tmp_path, articles):
    root = good_folder(tmp_path, articles)
    missing = tmp_path / "does-not-exist.jsonl"
    result = reprints.scan([missing, root])
    (row,) = assert_skipped(result, "path not found")
    assert row["input"] == str(missing)


def test_unsupported_extension_in_folder(tmp_path, articles):
    root = good_folder(tmp_path, articles)
    (root / "report.pdf").write_bytes(b"%PDF-1.4 fake")
    (root / "notes.docx").write_bytes(b"PK fake")
    result = reprints.scan(root)
    rows = assert_skipped(result, "unsupported file type", count=2)
    assert {Path(r["input"]).name for r in rows} == {"report.pdf", "notes.docx"}
    assert any("'.pdf'" in r["skip_reason"] for r in rows)


def test_all_inputs_bad_raises_with_reasons(tmp_path):
    root = tmp_path / "bad"
    root.mkdir()
    (root / "empty.txt").write_bytes(b"")
    (root / "binary.txt").write_bytes(b"\x00\x01\x02")
    (root / "x.pdf").write_bytes(b"%PDF")
    with pytest.raises(NoDocumentsError) as err:
        reprints.scan([root, tmp_path / "missing"])
    message = str(err.value)
    for reason in ("empty document", "binary file", "unsupported file type", "path not found"):
        assert reason in message, message
    assert len(err.value.skips) == 4


def test_all_bad_rows_raise(articles):
    with pytest.raises(NoDocumentsError, match="no 'text' field"):
        reprints.scan([{"id": "a"}, {"id": "b", "text": None}])


def test_no_input_at_all_raises(tmp_path):
    empty = tmp_path / "empty-folder"
    empty.mkdir()
    with pytest.raises(NoDocumentsError):
        reprints.scan(empty)
    with pytest.raises(NoDocumentsError):
        reprints.scan([])


def test_bad_input_does_not_create_output(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(NoDocumentsError):
        reprints.scan([{"id": "a", "text": ""}], out=out)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_skips_are_written_to_the_run(tmp_path, articles):
    root = good_folder(tmp_path, articles)
    (root / "empty.txt").write_bytes(b"")
    out = tmp_path / "run"
    reprints.scan(root, out=out)
    import pyarrow.parquet as pq

    docs = pq.read_table(out / "documents.parquet").to_pylist()
    assert [r["doc_id"] for r in docs if r["skip_reason"]] == ["empty"]
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["summary"]["skip_reasons"] == {"empty document": 1}


# --- Folders: every file is read or skipped (issue 13) ---------------------------------------------


def test_hidden_files_and_folders_are_reported(tmp_path, articles):
    root = good_folder(tmp_path, articles)
    (root / ".notes.txt").write_text("hidden words", encoding="utf-8")
    (root / ".cache").mkdir()
    (root / ".cache" / "x.txt").write_text("hidden words", encoding="utf-8")
    result = reprints.scan(root)
    assert_skipped(result, "hidden file", count=1)
    assert_skipped(result, "hidden folder", count=1)


def test_symlinked_folder_is_read_and_a_loop_reported(tmp_path, articles):
    root = good_folder(tmp_path, articles[:2])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for a in articles[2:]:
        (elsewhere / f"{a['id']}.txt").write_text(a["text"], encoding="utf-8")
    (root / "more").symlink_to(elsewhere, target_is_directory=True)
    (elsewhere / "back").symlink_to(root, target_is_directory=True)
    result = reprints.scan(root)
    assert result.summary["documents_read"] == len(articles)
    assert {f"more/{a['id']}" for a in articles[2:]} <= set(result.documents.column("doc_id").to_pylist())
    assert_skipped(result, "symlink loop")


def test_unreadable_folder_simulated(tmp_path, articles, monkeypatch):
    root = good_folder(tmp_path, articles)
    locked = root / "locked"
    locked.mkdir()
    (locked / "secret.txt").write_text("secret words", encoding="utf-8")
    real = os.scandir

    def scandir(path="."):
        if isinstance(path, (str, os.PathLike)) and os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = reprints.scan(root)
    (row,) = assert_skipped(result, "cannot read folder")
    assert row["input"] == str(locked) and "Permission denied" in row["skip_reason"]


def test_utf16_file_is_read(tmp_path, articles, assert_offsets):
    root = good_folder(tmp_path, articles)
    (root / "hill-gazette.txt").unlink()
    text = articles[1]["text"]
    (root / "wide.txt").write_bytes(text.encode("utf-16"))
    result = reprints.scan(root)
    assert result.summary["documents_skipped"] == 0
    texts = {a["id"]: a["text"] for a in articles if a["id"] != "hill-gazette"} | {"wide": text}
    assert_offsets(result, texts)
    assert any("wide" in (p["doc_a"], p["doc_b"]) for p in result.passages.to_pylist())


def test_bad_id_is_skipped_with_the_id_rule(articles):
    rows = [dict(a) for a in articles] + [{"id": "two\nlines", "text": "some words"}]
    result = reprints.scan(rows)
    assert_skipped(result, "control character U+000A")


def test_non_string_metadata_is_json_in_the_run(tmp_path, articles):
    rows = [dict(a, tags=["x", "y"], info={"page": 3}, raw=b"bytes") for a in articles]
    rows[0]["id"] = 7
    out = tmp_path / "run"
    reprints.scan(rows, out=out)
    import pyarrow.parquet as pq

    docs = {r["doc_id"]: r for r in pq.read_table(out / "documents.parquet").to_pylist()}
    assert "7" in docs
    assert json.loads(docs["7"]["meta"]) == {"tags": ["x", "y"], "info": {"page": 3}, "raw": "bytes"}
