"""Cluster measures against hand-computed values."""

from __future__ import annotations

import json
from math import comb

import pandas as pd
import pytest

from reprints.evaluate.clusters import adjusted_rand_index, cluster_metrics, load_assignment


def _ari_textbook(pred: list, gold: list) -> float:
    """Hubert-Arabie ARI from a contingency table built with plain Python."""
    n = len(pred)
    cells: dict = {}
    for p, g in zip(pred, gold):
        cells[(p, g)] = cells.get((p, g), 0) + 1
    a = {p: pred.count(p) for p in set(pred)}
    b = {g: gold.count(g) for g in set(gold)}
    index = sum(comb(v, 2) for v in cells.values())
    sa, sb = sum(comb(v, 2) for v in a.values()), sum(comb(v, 2) for v in b.values())
    expected = sa * sb / comb(n, 2)
    return (index - expected) / ((sa + sb) / 2 - expected)


def test_identical_and_permuted_labels():
    gold = {"a": 1, "b": 1, "c": 2, "d": 2, "e": 3}
    assert cluster_metrics(gold, gold)["ari"] == 1.0
    renamed = {k: {1: "x", 2: "y", 3: "z"}[v] for k, v in gold.items()}
    m = cluster_metrics(renamed, gold)
    assert m["ari"] == pytest.approx(1.0)
    assert (m["pairwise_precision"], m["pairwise_recall"], m["pairwise_f1"]) == (1.0, 1.0, 1.0)


def test_known_small_example():
    # pred: {a,b,c} {d,e,f}; gold: {a,b} {c,d} {e,f}
    # Contingency rows (pred) x cols (gold): [[2,1,0],[0,1,2]].
    # sum C(n_ij,2) = 1 + 1 = 2; rows: C(3,2)*2 = 6; cols: 1 * 3 = 3; C(6,2) = 15.
    # expected = 6 * 3 / 15 = 1.2; max = (6 + 3) / 2 = 4.5; ARI = (2 - 1.2) / (4.5 - 1.2) = 0.8 / 3.3.
    pred = {"a": 0, "b": 0, "c": 0, "d": 1, "e": 1, "f": 1}
    gold = {"a": "x", "b": "x", "c": "y", "d": "y", "e": "z", "f": "z"}
    m = cluster_metrics(pred, gold)
    assert m["ari"] == pytest.approx(0.8 / 3.3)
    assert m["ari"] == pytest.approx(_ari_textbook(list(pred.values()), list(gold.values())))
    # Pairs: pred has 6 same-cluster pairs, gold 3, both 2 ({a,b} and {e,f}).
    assert (m["pairs_pred"], m["pairs_gold"], m["pairs_both"]) == (6, 3, 2)
    assert m["pairwise_precision"] == pytest.approx(2 / 6)
    assert m["pairwise_recall"] == pytest.approx(2 / 3)
    assert m["pairwise_f1"] == pytest.approx(2 * (1 / 3) * (2 / 3) / (1 / 3 + 2 / 3))
    assert (m["clusters_pred"], m["clusters_gold"], m["items"]) == (2, 3, 6)


def test_ari_against_textbook_formula():
    pred = [0, 0, 1, 1, 1, 2, 2, 0, 3, 3, 1, 2]
    gold = [5, 5, 5, 6, 6, 6, 7, 7, 7, 8, 8, 8]
    assert adjusted_rand_index(pred, gold) == pytest.approx(_ari_textbook(pred, gold))


def test_ari_can_be_negative():
    # pred {a,b} {c,d}; gold {a,c} {b,d}: no same-cluster pair agrees.
    # index 0, expected 2 * 2 / 6 = 2/3, max 2: ARI = -2/3 / (4/3) = -0.5.
    assert adjusted_rand_index(["p", "p", "q", "q"], ["x", "y", "x", "y"]) == pytest.approx(-0.5)


def test_degenerate_clusterings():
    singles = {k: k for k in "abcd"}
    one = {k: 0 for k in "abcd"}
    assert cluster_metrics(singles, singles)["ari"] == 1.0
    assert cluster_metrics(one, one)["ari"] == 1.0
    m = cluster_metrics(singles, one)
    assert m["ari"] == 0.0
    # pred claims no pair: precision is vacuously 1, recall 0.
    assert (m["pairwise_precision"], m["pairwise_recall"]) == (1.0, 0.0)
    assert cluster_metrics({}, {})["ari"] == 1.0


def test_items_on_one_side():
    pred = {"a": 0, "b": 0, "c": 1, "z": 0}
    gold = {"a": 0, "b": 0, "c": 1, "y": 1}
    inter = cluster_metrics(pred, gold)
    assert (inter["items"], inter["pred_only"], inter["gold_only"]) == (3, 1, 1)
    assert inter["ari"] == 1.0
    single = cluster_metrics(pred, gold, missing="singleton")
    assert single["items"] == 5
    # pred pairs: ab, az, bz; gold pairs: ab, cy; shared: ab.
    assert (single["pairs_pred"], single["pairs_gold"], single["pairs_both"]) == (3, 2, 1)
    with pytest.raises(ValueError):
        cluster_metrics(pred, gold, missing="drop")


def test_load_assignment_formats(tmp_path):
    rows = [{"id": 1, "cluster": 10}, {"id": 2, "cluster": 10}, {"id": 3, "cluster": None}, {"id": 4, "cluster": None}]
    df = pd.DataFrame(rows)
    df.to_parquet(tmp_path / "a.parquet")
    (tmp_path / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (tmp_path / "a.csv").write_text("id,cluster\n1,10\n2,10\n3,\n4,\n", encoding="utf-8")
    gold = {"1": "g", "2": "g", "3": "h", "4": "i"}
    for name in ("a.parquet", "a.jsonl", "a.csv"):
        got = load_assignment(tmp_path / name)
        assert set(got) == {"1", "2", "3", "4"}  # ids as strings
        assert got["1"] == got["2"]
        assert got["3"] != got["4"]  # missing cluster: a cluster of its own
        assert cluster_metrics(got, gold)["ari"] == 1.0
    (tmp_path / "b.csv").write_text("doc,group\nx,1\ny,2\n", encoding="utf-8")
    assert load_assignment(tmp_path / "b.csv", id_col="doc", cluster_col="group") == {"x": "1", "y": "2"}
    with pytest.raises(KeyError):
        load_assignment(tmp_path / "b.csv")
