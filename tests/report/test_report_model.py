"""The report's data model, word diffs and HTML page, without a browser."""

from __future__ import annotations

import json
import re
import shutil

import pyarrow.parquet as pq
import pytest

import reprints
from reprints.report import NotARunError, build_model, write_report
from reprints.report.diff import word_diff
from reprints.report.html import embed_json, render

from reportkit import PAYLOAD_BREAKOUT, WIRE, astral_rows, scan_jsonl, template_rows


# --- word diff -------------------------------------------------------------------------------

def test_word_diff_identical_and_whitespace_only():
    assert word_diff("the same words", "the same words") == []
    assert word_diff("two\n\nparagraphs here", "two\nparagraphs  here") == []


def test_word_diff_changed_inserted_deleted_with_offsets():
    a = "The board confirmed on Tuesday that the old dam will be drained."
    b = "The board said on Tuesday that the dam will be fully drained."
    ops = word_diff(a, b, 100, 1000)
    by_op = {op[0]: op for op in ops}
    assert set(by_op) == {"chg", "del", "ins"}
    _, a0, a1, b0, b1 = by_op["chg"]
    assert a[a0 - 100:a1 - 100] == "confirmed" and b[b0 - 1000:b1 - 1000] == "said"
    _, a0, a1, b0, b1 = by_op["del"]
    assert a[a0 - 100:a1 - 100] == "old" and b0 == b1 and b[b0 - 1000:].startswith("dam")
    _, a0, a1, b0, b1 = by_op["ins"]
    assert b[b0 - 1000:b1 - 1000] == "fully" and a0 == a1 and a[a0 - 100:].startswith("drained")


def test_word_diff_offsets_are_code_points():
    a = "😀 𠀋 the river rose fast today"
    b = "😀 𠀋 the river rose slowly today"
    [(op, a0, a1, b0, b1)] = word_diff(a, b)
    assert op == "chg" and a[a0:a1] == "fast" and b[b0:b1] == "slowly"


# --- embedding -------------------------------------------------------------------------------

def test_embedded_json_cannot_close_the_script_element():
    data = {"text": PAYLOAD_BREAKOUT + " </SCRIPT > <!-- --> & \u2028"}
    out = embed_json(data)
    assert "<" not in out and ">" not in out
    assert json.loads(out) == data


def test_page_is_self_contained(wire_run):
    page = render(build_model(wire_run), "t")
    assert page.count("<script") == 2  # the data block and the page's own script
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<link" not in page and "@import" not in page
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "default-src &#x27;none&#x27;" in policy and "unsafe-inline" not in policy


# --- the model ------------------------------------------------------------------------------

def test_wire_model_has_texts_clusters_and_diffs(wire_run):
    model = build_model(wire_run)
    assert model["meta"]["texts"] == "all" and model["meta"]["texts_note"] is None
    docs, P = model["docs"], model["passages"]
    passages = pq.read_table(wire_run / "passages.parquet").to_pylist()
    assert len(P["id"]) == len(passages)
    for i, row in enumerate(passages):
        a, b = P["a"][i], P["b"][i]
        assert docs["id"][a] == row["doc_a"] and docs["id"][b] == row["doc_b"]
        assert docs["text"][a][row["begin_a"]:row["end_a"]] == row["text_a"]
        assert docs["text"][b][row["begin_b"]:row["end_b"]] == row["text_b"]
        assert P["cluster"][i] is not None
        assert P["text_a"][i] is None  # texts embedded: no duplicate passage text
        if row["text_a"] != row["text_b"] and row["kind"] == "edited":
            assert P["diff"][i], f"edited passage {row['passage_id']} has no word diff"
    clusters = pq.read_table(wire_run / "clusters.parquet").to_pylist()
    assert len(model["members"]["doc"]) == len(clusters)
    C, M = model["clusters"], model["members"]
    for c in range(len(C["id"])):
        first, count = C["first"][c], C["count"][c]
        assert all(M["cluster"][m] == c for m in range(first, first + count))
        assert M["origin"][first] == 1 and C["origin"][c] == first  # origin first
        days = [docs["day"][M["doc"][m]] for m in range(first + 1, first + count)]
        assert days == sorted(days)
    # Only documents that share text are in the report.
    assert len(docs["id"]) < 19


def test_texts_missing_falls_back_to_passages(tmp_path):
    src = tmp_path / "stories.jsonl"
    shutil.copy(WIRE, src)
    out = tmp_path / "run"
    reprints.scan(str(src), out=out)
    src.unlink()
    model = build_model(out)
    assert model["meta"]["texts"] == "none"
    assert "not found" in model["meta"]["texts_note"]
    assert all(t is None for t in model["docs"]["text"])
    passages = pq.read_table(out / "passages.parquet").to_pylist()
    assert model["passages"]["text_a"] == [p["text_a"] for p in passages]
    assert model["passages"]["text_b"] == [p["text_b"] for p in passages]


def test_changed_input_is_detected(tmp_path):
    src = tmp_path / "stories.jsonl"
    shutil.copy(WIRE, src)
    out = tmp_path / "run"
    reprints.scan(str(src), out=out)
    rows = [json.loads(line) for line in src.read_text(encoding="utf-8").splitlines()]
    rows[0]["text"] = "Inserted at the start. " + rows[0]["text"]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    model = build_model(out)
    assert model["meta"]["texts"] == "partial" and "changed since the scan" in model["meta"]["texts_note"]
    i = model["docs"]["id"].index(rows[0]["id"])
    assert model["docs"]["text"][i] is None


def test_python_objects_and_given_texts(tmp_path):
    rows = astral_rows()
    out = tmp_path / "run"
    reprints.scan(rows, out=out)
    model = build_model(out)
    assert model["meta"]["texts"] == "none" and "Python objects" in model["meta"]["texts_note"]
    model = build_model(out, texts={r["id"]: r["text"] for r in rows})
    assert model["meta"]["texts"] == "all"


def test_write_report_and_errors(tmp_path, wire_run):
    path = write_report(wire_run, tmp_path / "sub" / "r.html")
    assert path.exists() and path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    with pytest.raises(NotARunError):
        write_report(tmp_path, tmp_path / "x.html")


def test_astral_run_model(tmp_path):
    out = scan_jsonl(tmp_path, "astral", astral_rows())
    model = build_model(out)
    assert model["meta"]["texts"] == "all"
    assert any(model["passages"]["diff"])


def test_template_pairs_are_counted_apart(tmp_path):
    """Two notices of other companies are a template pair; the model counts their pairs and
    passages apart from the reprint and keeps their passages (the report lists them apart)."""
    run = scan_jsonl(tmp_path, "forms", template_rows())
    model = build_model(run)
    stats = model["meta"]["stats"]
    kinds = [model["kinds"][k] for k in model["passages"]["kind"]]
    assert stats["document_pairs"] == 3 and stats["template_pairs"] == 2
    assert stats["template_passages"] == kinds.count("template") == 2
    # the template passages are in no cluster; the reprint's is
    clustered = sorted((kind, c is not None) for kind, c in zip(kinds, model["passages"]["cluster"]))
    assert clustered == [("template", False), ("template", False), ("verbatim", True)]
