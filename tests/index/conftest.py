from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WIRE = ROOT / "examples" / "wire" / "stories.jsonl"


@pytest.fixture(scope="session")
def wire_rows() -> list[dict]:
    return [json.loads(line) for line in WIRE.read_text(encoding="utf-8").splitlines() if line.strip()]


def span_rows(table, cols):
    return table.select(cols).to_pylist()


PASSAGE_COLS = ["doc_a", "begin_a", "end_a", "doc_b", "begin_b", "end_b", "kind", "matched_words", "similarity"]
CLUSTER_COLS = ["cluster_id", "doc_id", "begin", "end", "is_origin", "origin_doc_id", "cluster_size", "cluster_docs"]


def assert_same_as_scan(index, scan_result):
    got = index.tables()
    assert span_rows(got["passages"], PASSAGE_COLS) == span_rows(scan_result.passages, PASSAGE_COLS)
    assert got["pairs"].to_pylist() == scan_result.pairs.to_pylist()
    assert span_rows(got["clusters"], CLUSTER_COLS) == span_rows(scan_result.clusters, CLUSTER_COLS)


@pytest.fixture
def same_as_scan():
    return assert_same_as_scan
