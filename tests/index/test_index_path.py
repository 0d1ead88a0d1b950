"""An index path is an index or a new name; anything else is refused with a clear message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

STORIES = Path(__file__).resolve().parents[2] / "examples" / "wire" / "stories.jsonl"


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "reprints", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


@pytest.mark.parametrize("name, content, message", [
    ("docs.jsonl", b'{"id": "a", "text": "x"}\n', "not a reprints index (not a DuckDB file)"),
    ("docs.csv", b"id,text\na,x\n", "not a reprints index (not a DuckDB file)"),
    ("docs.parquet", b"PAR1" + b"\0" * 40 + b"PAR1", "not a reprints index (not a DuckDB file)"),
    ("empty.duckdb", b"", "empty file, not an index"),
])
def test_a_file_that_is_not_an_index_is_refused_and_left_alone(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    for args in (["index", "add", path, STORIES], ["index", "stats", path], ["index", "query", path, STORIES]):
        proc = cli(*args)
        assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert path.read_bytes() == content


def test_a_folder_or_a_path_below_a_file_is_refused(tmp_path):
    proc = cli("index", "add", tmp_path, STORIES)
    assert proc.returncode == 2 and "is a folder, not an index file" in proc.stderr
    (tmp_path / "f").write_text("x")
    proc = cli("index", "add", tmp_path / "f" / "ix.duckdb", STORIES)
    assert proc.returncode == 2 and "is a file, not a folder" in proc.stderr


def test_a_new_name_becomes_an_index_and_work_stays_beside_it(tmp_path):
    index = tmp_path / "ix.duckdb"
    assert cli("index", "add", index, STORIES).returncode == 0
    assert cli("index", "stats", index).returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".wal")) == ["ix.duckdb", "ix.duckdb.postings"]
