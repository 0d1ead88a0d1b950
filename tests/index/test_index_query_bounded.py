"""A query against a story carried by hundreds of indexed documents gets a bounded answer: the
story's cluster (its size, the number of carriers, its origin) and the best few carriers, with
the number of candidates; the passages' offsets point at the right characters on both sides.

The story's n-grams are in more than ``max_df`` documents, so, as in a scan, the query (the
newest document) is linked to the last ``frequent_links`` carriers in date order and the first,
not paired with every carrier."""

from __future__ import annotations

import random

from reprints.config import ScanConfig
from reprints.index import Index

from test_index_query import reference_query

CONFIG = ScanConfig().replace(boilerplate={"min_docs": 1000},
                              candidates={"max_df": 20, "max_sources": 3, "frequent_min_shared": 20},
                              align={"min_words": 10})
CARRIERS = 240

_rng = random.Random(14)
STORY = " ".join(f"s{_rng.randint(0, 5000)}" for _ in range(70)) + "."


def _carriers() -> list[dict]:
    rows = []
    for k in range(CARRIERS):
        rng = random.Random(k)
        toks = STORY.split()
        if k % 2:  # every other carrier lightly edited; the even ones carry the story unchanged
            toks[rng.randrange(len(toks))] = f"edit{k}"
        intro = " ".join(f"lead{k}w{j}" for j in range(8))
        rows.append({"id": f"c{k:03d}", "text": f"{intro}.\n{' '.join(toks)}", "source": f"outlet{k % 7}",
                     "date": f"2024-05-{1 + k // 24:02d}T{k % 24:02d}:00:00Z"})
    others = [{"id": f"x{k}", "text": " ".join(f"o{k}v{j}" for j in range(50)), "source": "wire",
               "date": "2024-05-03T00:00:00Z"} for k in range(10)]
    return rows + others


def test_query_against_a_story_of_hundreds_of_carriers_is_bounded(tmp_path):
    rows = _carriers()
    texts = {r["id"]: r["text"] for r in rows}
    query = "A new introduction for this query.\n" + STORY + "\nAnd our own ending."
    with Index(tmp_path / "ix.duckdb", config=CONFIG) as index:
        index.add(rows)
        for limit in (3, 10):
            got = index.query(query, limit=limit)
            assert got == reference_query(index, query, limit=limit)
            assert 0 < got["documents"] <= limit and got["candidates"] <= CONFIG.candidates.frequent_links + 1
            # The story's one cluster: every carrier, the earliest as origin.
            assert len(got["clusters"]) == 1
            story = got["clusters"][0]
            assert story["documents"] == CARRIERS and story["origin_doc_id"] == "c000"
            assert "c000" in {m["doc_id"] for m in got["matches"]}  # the origin is among the best
            for m in got["matches"]:
                for p in m["passages"]:
                    assert query[p["begin"]:p["end"]] == p["text"]
                    assert p["cluster_id"] == story["cluster_id"]
                    if int(m["doc_id"][1:]) % 2 == 0:  # an unedited carrier: the same characters
                        assert texts[m["doc_id"]][p["doc_begin"]:p["doc_end"]] == p["text"]
            origin = texts[story["origin_doc_id"]][story["origin_begin"]:story["origin_end"]]
            assert origin.startswith(STORY.split()[0]) and origin.endswith(STORY.split()[-1].rstrip("."))
        assert index.query(query, limit=0)["matches"] == []


def test_first_and_last_holders_in_date_order_with_ties():
    """The query's links (first holder and last k in date order, ties by document number) are
    picked without sorting: the same as a sort, many dates tied."""
    import numpy as np

    from reprints.index.snapshot import _first_and_last

    rng = np.random.default_rng(18)
    date_keys = rng.integers(0, 5, size=300)
    for _ in range(200):
        holders = np.sort(rng.choice(300, size=int(rng.integers(1, 40)), replace=False))
        k = int(rng.integers(1, 5))
        order = np.lexsort((holders, date_keys[holders]))
        want = np.unique(np.concatenate([holders[order[-k:]], holders[order[:1]]]))
        assert _first_and_last(holders, date_keys, k).tolist() == want.tolist()
