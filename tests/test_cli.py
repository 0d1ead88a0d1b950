"""The command line: ``reprints scan CORPUS... --out DIR`` with its field and overwrite flags.

Runs the real entry point in a subprocess (``python -m reprints``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

pytest.importorskip("reprints.cli")

STORIES = Path(__file__).resolve().parents[1] / "examples" / "wire" / "stories.jsonl"
RUN_FILES = sorted(["documents.parquet", "pairs.parquet", "passages.parquet", "clusters.parquet", "run.json"])


def cli(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "reprints", *map(str, args)], capture_output=True,
                          text=True, timeout=120)


def test_scan_writes_run_and_prints_json_summary(tmp_path):
    out = tmp_path / "run"
    proc = cli("scan", STORIES, "--out", out, "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["documents_read"] == 19 and summary["passages"] > 0
    assert sorted(p.name for p in out.iterdir()) == RUN_FILES
    assert pq.read_table(out / "passages.parquet").num_rows == summary["passages"]


def test_keep_formula_turns_the_formula_test_off(tmp_path):
    out = tmp_path / "run"
    assert cli("scan", STORIES, "--out", out, "--quiet", "--keep-formula").returncode == 0
    config = json.loads((out / "run.json").read_text())["config"]
    assert config["pairs"]["formula_share"] == 0.0
    assert cli("scan", STORIES, "--out", out, "--quiet", "--overwrite").returncode == 0
    assert json.loads((out / "run.json").read_text())["config"]["pairs"]["formula_share"] == 0.5


def test_existing_out_needs_overwrite(tmp_path):
    out = tmp_path / "run"
    assert cli("scan", STORIES, "--out", out, "--quiet").returncode == 0
    proc = cli("scan", STORIES, "--out", out, "--quiet")
    assert proc.returncode != 0
    assert "exists" in proc.stderr
    proc = cli("scan", STORIES, "--out", out, "--quiet", "--overwrite")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == RUN_FILES


def test_field_flags_and_several_inputs(tmp_path, articles):
    renamed = [{"key": a["id"], "body": a["text"], "outlet": a["source"], "when": a["date"]} for a in articles]
    first = tmp_path / "one.jsonl"
    first.write_text("\n".join(json.dumps(r) for r in renamed[:2]) + "\n", encoding="utf-8")
    second = tmp_path / "two.csv"
    import csv

    with open(second, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["key", "body", "outlet", "when"])
        writer.writeheader()
        writer.writerows(renamed[2:])
    out = tmp_path / "run"
    proc = cli("scan", first, second, "--out", out, "--json", "--id-field", "key", "--text-field", "body",
               "--source-field", "outlet", "--date-field", "when")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["documents_read"] == len(articles)
    docs = pq.read_table(out / "documents.parquet").to_pylist()
    assert {d["doc_id"]: d["source"] for d in docs}["hill-gazette"] == "Hill Gazette"
    clusters = pq.read_table(out / "clusters.parquet").to_pylist()
    assert {c["origin_doc_id"] for c in clusters} == {"valley-post"}
    texts = {a["id"]: a["text"] for a in articles}
    for p in pq.read_table(out / "passages.parquet").to_pylist():
        assert p["text_a"] == texts[p["doc_a"]][p["begin_a"]:p["end_a"]]
        assert p["text_b"] == texts[p["doc_b"]][p["begin_b"]:p["end_b"]]


def test_nothing_readable_fails_with_reasons(tmp_path):
    missing = tmp_path / "missing.jsonl"
    out = tmp_path / "run"
    proc = cli("scan", missing, "--out", out, "--quiet")
    assert proc.returncode != 0
    assert "path not found" in proc.stderr
    assert not out.exists()
