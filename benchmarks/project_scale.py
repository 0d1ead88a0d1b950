#!/usr/bin/env python
"""Project a Spark scan of a large collection onto a cluster from the measured scaling curve.

    .venv/bin/python benchmarks/project_scale.py --results benchmarks/out/scale_curve*.json \\
        --documents 100000000 --executors 10 50 200 --cores 4

Input: the JSON written by ``bench_scale.py --engines spark`` (per-stage seconds at each N on
``local[C]``). Method, per stage: the marginal cost per document between the two largest
measured sizes, in core-seconds (seconds x C cores of the measuring master), times the
documents to scan, spread over executors x cores at a parallel efficiency (default 0.6:
network shuffles and stragglers that a single machine's local mode does not have); plus the
stage's fixed cost measured at the largest size minus its marginal part (job start-up, driver
work), which does not shrink with executors. Assumes the stage costs stay linear in the
collection size, which holds when reprint clusters do not grow with the collection (the
document-frequency cap bounds the pairs one n-gram creates); see docs/scaling.md.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path


def stage_costs(rows: list[dict]) -> tuple[int, int, dict[str, tuple[float, float]]]:
    """(cores, largest N, {stage: (fixed seconds, marginal core-seconds per document)})."""
    spark = sorted((r for r in rows if r.get("engine") == "spark" and "score" in r), key=lambda r: r["n"])
    if len(spark) < 2:
        raise SystemExit("need Spark results at two sizes or more")
    small, large = spark[-2], spark[-1]
    master = large["run"].get("master") or "local[2]"
    match = re.search(r"local\[(\d+)\]", master)
    cores = int(match.group(1)) if match else 2
    costs = {}
    for stage, big in large["run"]["stages"].items():
        little = small["run"]["stages"].get(stage, {"seconds": 0.0})
        slope = max(0.0, (big["seconds"] - little["seconds"]) / (large["n"] - small["n"]))
        fixed = max(0.0, big["seconds"] - slope * large["n"])
        costs[stage] = (fixed, slope * cores)
    return cores, large["n"], costs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", nargs="+", default=[str(Path(__file__).parent / "out" / "scale_curve.json")],
                    help="bench_scale.py result files (rows are pooled)")
    ap.add_argument("--documents", type=int, default=100_000_000)
    ap.add_argument("--executors", type=int, nargs="+", default=[10, 50, 200])
    ap.add_argument("--cores", type=int, default=4, help="cores per executor")
    ap.add_argument("--efficiency", type=float, default=0.6, help="parallel efficiency on a cluster")
    args = ap.parse_args()
    rows = [row for path in args.results for row in json.loads(Path(path).read_text())["rows"]]
    cores, largest, costs = stage_costs(rows)
    print(f"measured on local[{cores}] up to {largest:,} documents; projecting {args.documents:,} documents\n")
    print("| stage | fixed s | core-s per 1k docs | " + " | ".join(f"{e} x {args.cores} cores" for e in args.executors) + " |")
    print("|---|---|---|" + "---|" * len(args.executors))
    totals = [0.0] * len(args.executors)
    for stage, (fixed, per_doc) in costs.items():
        cells = []
        for k, e in enumerate(args.executors):
            seconds = fixed + per_doc * args.documents / (e * args.cores * args.efficiency)
            totals[k] += seconds
            cells.append(f"{seconds / 60:,.0f} min")
        print(f"| {stage} | {fixed:.1f} | {per_doc * 1000:.2f} | " + " | ".join(cells) + " |")
    print("| **total** | | | " + " | ".join(f"**{t / 3600:,.1f} h**" for t in totals) + " |")
    core_hours = sum(per_doc for _, per_doc in costs.values()) * args.documents / 3600 / args.efficiency
    print(f"\nabout {core_hours:,.0f} core-hours at efficiency {args.efficiency}")


if __name__ == "__main__":
    main()
