#!/usr/bin/env python
"""impresso 1900: reprints on the passages that passim found reprinted between Swiss newspapers.

    python benchmarks/bench_impresso.py [--data ../shared/data/impresso-passim-1900] [--out benchmarks/out]

The data (impresso's tutorial sample, passim's output on one year of four French-language Swiss
papers) holds 16,101 OCR-noisy passage rows in 5,458 passim clusters (15,868 distinct passages). Each passage is given to
``reprints.scan`` as a document (id = article id @ offset, source = the paper, date = the issue date).
reprints' document pairs are joined into groups (connected components) and compared with passim's
clusters: pairwise precision / recall / F1 and the adjusted Rand index over all passages (a passage
reprints pairs with nothing is a group of its own), and the share of passim's same-cluster pairs
that reprints pairs directly. passim's clusters are passim's answer, not a gold standard: recall
says how much of what passim links reprints links too; "precision" how much of what reprints links
passim links too.

The run is repeated with the formula tests off (``PairConfig.formula_share = 0``,
``figures_differ = 0``; the CLI's ``--keep-formula``) to show what those tests cost on noisy
reprints of common texts (the obituary notices, official announcements and advertisements that
fill passim's largest clusters), and with ``BoilerplateConfig.max_share = 0.5`` (the CLI's
``--boilerplate-share 0.5``: advertisements a paper runs again and again are then reprints, not
boilerplate).
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _common  # noqa: E402

DEFAULT_DATA = HERE.parent.parent / "shared" / "data" / "impresso-passim-1900"


def load_passages(data: Path) -> list[dict]:
    """passim's passages, each once: 233 (article, offset) passages sit in two clusters; the first
    row read is kept."""
    rows, seen = [], set()
    for path in sorted(glob.glob(str(data / "passim-output" / "out.json" / "*.json"))):
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                # One article can hold several reprinted passages: a passage is its article and offset.
                key = f"{r['id']}@{r['begin']}"
                if key not in seen:
                    seen.add(key)
                    rows.append({"id": key, "text": r["text"], "date": r.get("date"),
                                 "source": r.get("series"), "cluster": r["cluster"]})
    return rows


def groups(ids: list[str], pairs: list[tuple[str, str]]) -> dict[str, int]:
    """Connected components of the pair graph; every id is in one."""
    parent = {i: i for i in ids}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    label: dict[str, int] = {}
    return {i: label.setdefault(find(i), len(label)) for i in ids}


def evaluate(rows: list[dict], config, name: str) -> dict:
    import reprints
    from reprints.evaluate.clusters import cluster_metrics

    docs = [{k: r[k] for k in ("id", "text", "date", "source")} for r in rows]
    started = time.perf_counter()
    result = reprints.scan(docs, config=config)
    wall = time.perf_counter() - started
    pairs = list(zip(result.pairs.column("doc_a").to_pylist(), result.pairs.column("doc_b").to_pylist()))
    gold = {r["id"]: r["cluster"] for r in rows}
    pred = groups([r["id"] for r in rows], pairs)
    metrics = cluster_metrics(pred, gold, missing="singleton")
    same = sum(1 for a, b in pairs if gold[a] == gold[b])
    sizes: dict[int, int] = {}
    for c in gold.values():
        sizes[c] = sizes.get(c, 0) + 1
    gold_pairs = sum(n * (n - 1) // 2 for n in sizes.values())
    out = {"name": name, "wall_s": round(wall, 2), "documents": len(rows), "reported_pairs": len(pairs),
           "direct_pairs_in_same_passim_cluster": same, "passim_pairs": gold_pairs,
           "direct_pair_recall": round(same / gold_pairs, 4) if gold_pairs else None,
           "direct_pair_precision": round(same / len(pairs), 4) if pairs else None,
           **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in metrics.items()}}
    print(json.dumps(out))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, default=HERE / "out")
    args = ap.parse_args()
    if not (args.data / "passim-output").exists():
        raise SystemExit(f"no impresso data at {args.data} (passim-output/out.json expected)")
    from reprints.config import ScanConfig

    rows = load_passages(args.data)
    print(f"{len(rows)} passages in {len({r['cluster'] for r in rows})} passim clusters")
    runs = [evaluate(rows, ScanConfig(), "default"),
            evaluate(rows, ScanConfig().replace(pairs={"formula_share": 0.0, "figures_differ": 0}),
                     "formula tests off"),
            evaluate(rows, ScanConfig().replace(boilerplate={"max_share": 0.5}), "boilerplate share 0.5")]
    args.out.mkdir(parents=True, exist_ok=True)
    _common.write_json(args.out / "impresso_results.json",
                       {"machine": _common.machine_info(), "runs": runs,
                        "command": "python benchmarks/bench_impresso.py"})


if __name__ == "__main__":
    main()
