"""Checks on real corpora from the shared data folder (skipped where it is absent).

The folder is ``$REPRINTS_DATA`` if set, else ``shared/data`` beside the repository
(``/work/shared/data`` for a checkout at ``/work/main``).
"""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from pathlib import Path

import pytest

import reprints


def data_dir() -> Path:
    env = os.environ.get("REPRINTS_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "shared" / "data"


DATA = data_dir()
WORD = re.compile(r"[^\W_]+")


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"real-data file {path} is absent (set REPRINTS_DATA to the folder holding "
                    f"seeds/ and reuters21578/)")
    return path


# --- seeds: two reports of one summit, sharing four paragraphs ------------------------------

@pytest.fixture(scope="module")
def seeds():
    folder = need(DATA / "seeds")
    files = sorted(folder.glob("*.txt"))
    if len(files) < 2:
        pytest.skip(f"{folder} does not hold the two seed texts")
    texts = {f.stem: f.read_bytes().decode("utf-8") for f in files}
    return texts, reprints.scan(folder)


def _seed_id(texts: dict[str, str], prefix: str) -> str:
    (doc_id,) = [k for k in texts if k.startswith(prefix)]
    return doc_id


def test_seeds_form_one_cluster(seeds):
    texts, result = seeds
    clusters = result.clusters.to_pylist()
    assert len({c["cluster_id"] for c in clusters}) == 1
    assert {c["doc_id"] for c in clusters} == {_seed_id(texts, "000_"), _seed_id(texts, "001_")}


def test_seeds_passage_covers_the_shared_paragraphs(seeds):
    texts, result = seeds
    first = "Leaders of Russia, Turkey and Iran on Friday discussed"
    last = "lay down (their) weapons"
    span = {}
    for prefix in ("000_", "001_"):
        doc_id = _seed_id(texts, prefix)
        text = texts[doc_id]
        start = text.index(first)
        end = text.index(last, start) + len(last)
        span[doc_id] = (start, end)

    def covers(row, side):
        lo, hi = span[row[f"doc_{side}"]]
        return row[f"begin_{side}"] <= lo and row[f"end_{side}"] >= hi

    rows = result.passages.to_pylist()
    assert any(covers(r, "a") and covers(r, "b") for r in rows), [
        (r["doc_a"], r["begin_a"], r["end_a"], r["doc_b"], r["begin_b"], r["end_b"]) for r in rows]


def test_seeds_passages_exclude_site_chrome(seeds):
    _, result = seeds
    assert result.passages.num_rows > 0
    for row in result.passages.to_pylist():
        for text in (row["text_a"], row["text_b"]):
            for chrome in ("2 min read", "Follow us on Twitter", "The opinions expressed in reader contributions"):
                assert chrome not in text


def test_seeds_offsets(seeds, assert_offsets):
    texts, result = seeds
    assert assert_offsets(result, texts) > 0


# --- Reuters-21578: 19k newswire bodies with many exact and near duplicates ----------------

@pytest.fixture(scope="module")
def reuters():
    path = need(DATA / "reuters21578" / "reuters21578.jsonl")
    rows = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            r = json.loads(line)
            body = r.get("body")
            if body and body.strip():
                rows.append({"id": str(r["newid"]), "text": body, "date": r.get("date")})
    return rows, reprints.scan(rows)


def test_reuters_reads_every_body(reuters):
    rows, result = reuters
    assert result.summary["documents_read"] == len(rows)
    assert result.summary["documents_skipped"] == 0


def test_reuters_identical_bodies_are_all_paired(reuters):
    rows, result = reuters
    groups = defaultdict(list)
    for r in rows:
        groups[" ".join(r["text"].split())].append(r["id"])
    groups = [ids for ids in groups.values() if len(ids) > 1]
    assert len(groups) == 279
    pairs = set(zip(result.pairs.column("doc_a").to_pylist(), result.pairs.column("doc_b").to_pylist()))
    missing = [(x, y) for ids in groups for k, x in enumerate(ids) for y in ids[k + 1:]
               if (x, y) not in pairs and (y, x) not in pairs]
    assert not missing, f"{len(missing)} identical-body pairs not reported, e.g. {missing[:5]}"


def test_reuters_offsets_sample(reuters, assert_offsets):
    rows, result = reuters
    texts = {r["id"]: r["text"] for r in rows}
    assert assert_offsets(result, texts, sample=500) == min(500, result.passages.num_rows)


def test_reuters_signoff_alone_makes_no_passage(reuters):
    _, result = reuters
    for row in result.passages.to_pylist():
        for text in (row["text_a"], row["text_b"]):
            words = [w.lower() for w in WORD.findall(text)]
            other = [w for w in words if w not in ("reuter", "reuters")]
            assert other and len(other) >= len(words) / 2, f"passage {row['passage_id']} is mostly the sign-off: {text!r}"


def test_reuters_signoff_alone_makes_no_pair(reuters):
    """Every reported pair shares more than the trailing 'Reuter': the same words without it,
    or at least one five-word run that does not include it."""
    rows, result = reuters
    texts = {r["id"]: r["text"] for r in rows}
    cache: dict[str, tuple[tuple[str, ...], set]] = {}

    def words(doc_id: str):
        if doc_id not in cache:
            w = tuple(x.lower() for x in WORD.findall(texts[doc_id]) if x.lower() not in ("reuter", "reuters"))
            cache[doc_id] = (w, {w[k:k + 5] for k in range(len(w) - 4)})
        return cache[doc_id]

    bad = []
    for a, b in zip(result.pairs.column("doc_a").to_pylist(), result.pairs.column("doc_b").to_pylist()):
        (wa, ga), (wb, gb) = words(a), words(b)
        if not ((wa and wa == wb) or (ga & gb)):
            bad.append((a, b))
    assert not bad, f"{len(bad)} pairs share nothing but the sign-off, e.g. {bad[:5]}"


def test_reuters_clusters_are_consistent(reuters):
    _, result = reuters
    clusters = result.clusters
    assert clusters.num_rows > 0
    origins = clusters.filter(clusters.column("is_origin"))
    assert origins.num_rows == len(set(clusters.column("cluster_id").to_pylist()))
    assert min(clusters.column("cluster_docs").to_pylist()) >= 2
