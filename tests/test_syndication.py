"""Syndication at scale, generated (`reprints.evaluate.syndication`): a story carried by more
outlets than ``max_df`` stays one cluster with the right origin, in a number of pairs linear in
the carriers; a copy tree's lineage is recovered; a formula shared by many documents makes no
pairs; any two members can be compared on demand."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

import reprints
from reprints.cli import app
from reprints.compare import compare, compare_texts
from reprints.config import ScanConfig
from reprints.evaluate import syndication

STORIES = Path(__file__).resolve().parents[1] / "examples" / "wire" / "stories.jsonl"
WIRE = [json.loads(line) for line in STORIES.read_text(encoding="utf-8").splitlines()]
STORY = max(WIRE, key=lambda r: len(r["text"]))["text"]
VOCABULARY = sorted({w.lower() for r in WIRE for w in r["text"].split() if w.isalpha() and len(w) > 3})
# max_df 10: a story in 40 outlets is "frequent", as one in 10,000 is with the default 100.
SMALL_DF = ScanConfig().replace(candidates={"max_df": 10})


def background() -> list[dict]:
    """The wire stories of other events (the port strike's own reports would be the true origin)."""
    return [{k: r.get(k) for k in ("id", "text", "source", "date")} for r in WIRE if "port-strike" not in r["id"]]


def offsets_right(result: reprints.Result, texts: dict[str, str]) -> bool:
    return all(texts[p["doc_a"]][p["begin_a"]:p["end_a"]] == p["text_a"]
               and texts[p["doc_b"]][p["begin_b"]:p["end_b"]] == p["text_b"] for p in result.passages.to_pylist())


@pytest.fixture(scope="module")
def carried():
    generated = syndication.carriers(STORY, 40, VOCABULARY, seed=11)
    rows = [c.row() for c in generated] + background()
    return generated, rows, reprints.scan(rows, SMALL_DF)


def test_a_story_in_more_outlets_than_max_df_is_one_cluster_with_the_earliest_as_origin(carried):
    generated, rows, result = carried
    got = syndication.score(result.clusters, generated)
    assert got["recalled"] == 40 and got["clusters"] == 1 and got["origin_right"], got
    # Linear output: each carrier is aligned with at most max_sources earlier partners and the earliest.
    story_pairs = [p for p in result.pairs.to_pylist() if p["doc_a"].startswith("carrier")]
    assert len(story_pairs) <= (SMALL_DF.candidates.max_sources + 1) * 40 < 40 * 39 // 2
    assert offsets_right(result, {r["id"]: r["text"] for r in rows})


def test_without_frequent_links_the_story_falls_apart(carried):
    """passim's behaviour (frequent n-grams dropped) loses the edited carriers: the test above can fail."""
    generated, rows, _ = carried
    result = reprints.scan(rows, SMALL_DF.replace(candidates={"max_df": 10, "frequent_links": 0}))
    got = syndication.score(result.clusters, generated)
    assert got["recalled"] < 40 or got["clusters"] > 1


def test_lineage_of_a_copy_tree_is_recovered():
    generated = syndication.copy_tree(STORY, 50, VOCABULARY, seed=5)
    result = reprints.scan([c.row() for c in generated] + background(), SMALL_DF)
    got = syndication.score(result.clusters, generated)
    assert got["recalled"] == 50 and got["lineage_accuracy"] >= 0.9, got
    rows = [r for r in result.clusters.to_pylist() if r["doc_id"].startswith("copy-")]
    origin = [r for r in rows if r["is_origin"]]
    assert [r["doc_id"] for r in origin] == ["copy-00000"] and origin[0]["source_reason"] == "origin"
    by_id = {c.doc_id: c for c in generated}
    for r in rows:
        if r["source_doc_id"]:  # a source is dated no later, and its span is its member span
            assert by_id[r["source_doc_id"]].date <= by_id[r["doc_id"]].date and r["source_score"] > 0
            assert any(m["doc_id"] == r["source_doc_id"] and (m["begin"], m["end"]) == (r["source_begin"], r["source_end"])
                       for m in rows)


def test_undated_copies_get_no_source_and_say_why():
    generated = syndication.copy_tree(STORY, 8, VOCABULARY, seed=2)
    rows = [c.row() for c in generated]
    for r in rows:
        if r["id"] in ("copy-00003", "copy-00005"):
            r["date"] = None
    result = reprints.scan(rows)
    reasons = {r["doc_id"]: r["source_reason"] for r in result.clusters.to_pylist()}
    assert reasons["copy-00003"] == reasons["copy-00005"] == "undated"
    assert reasons["copy-00000"] == "origin"


def test_a_formula_in_many_documents_makes_no_pairs():
    """60 different short stories from 60 outlets, each with the same formula sentences (a
    statement attribution and a sign-off): frequent n-grams, but no reprint pairs."""
    rng = random.Random(3)
    formula = ("The company said in a statement on Monday that it expected the deal to close. "
               "Reporting by the business desk; editing by the news desk.")
    rows = []
    for k in range(60):
        own = " ".join(rng.choice(VOCABULARY) for _ in range(80))
        rows.append({"id": f"f{k}", "source": f"outlet-{k}", "date": f"2024-03-{1 + k % 28:02d}",
                     "text": f"{own[:200]}. {formula} {own[200:]}."})
    result = reprints.scan(rows, SMALL_DF)
    assert result.pairs.num_rows == 0 and result.clusters.num_rows == 0


def test_any_two_members_are_compared_on_demand(carried, tmp_path):
    generated, rows, _ = carried
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = reprints.scan(corpus, SMALL_DF, out=tmp_path / "run")
    paired = {(p["doc_a"], p["doc_b"]) for p in result.pairs.to_pylist()}
    ids = sorted(c.doc_id for c in generated)
    a, b = next((x, y) for x in ids for y in ids if x < y and (x, y) not in paired)  # not aligned by the scan
    found = compare(tmp_path / "run", a, b)
    texts = {r["id"]: r["text"] for r in rows}
    assert found.passages and len(found.shared_clusters) == 1
    assert all(texts[a][p["begin_a"]:p["end_a"]] == p["text_a"] and texts[b][p["begin_b"]:p["end_b"]] == p["text_b"]
               for p in found.passages)
    out = CliRunner().invoke(app, ["compare", str(tmp_path / "run"), a, b, "--json"])
    assert out.exit_code == 0 and json.loads(out.output)["passages"] == found.passages
    missing = CliRunner().invoke(app, ["compare", str(tmp_path / "run"), a, "no-such-doc"])
    assert missing.exit_code == 2 and "no-such-doc" in missing.output
    # Two unrelated texts share nothing; a text and itself is one whole-document passage.
    assert compare_texts(texts[a], background()[0]["text"]).passages == []
    assert len(compare_texts(texts[a], texts[a]).passages) == 1
