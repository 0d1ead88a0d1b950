#!/usr/bin/env python
"""Project a Spark scan of a large collection onto a cluster from the measured scaling curve.

    .venv/bin/python benchmarks/project_scale.py --results benchmarks/out/scale_curve*.json \\
        --documents 100000000 --executors 10 50 200 --cores 4

Input: the JSON written by ``bench_scale.py --engines spark`` (per-stage seconds at each N on
``local[C]``). Method, per stage: its cost per document at the largest measured size, in
core-seconds (seconds x C cores of the measuring master, divided by N; fixed costs such as job
start-up are included, so this is an upper bound), times the documents to scan, spread over
executors x cores at a parallel efficiency (default 0.6: network shuffles and stragglers that
a single machine's local mode does not have). Assumes the stage costs stay linear in the
collection size, which the measured curve supports and which holds when reprint clusters do not
grow with the collection (the document-frequency cap bounds the pairs one n-gram creates); see
docs/scaling.md.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path


def stage_costs(rows: list[dict]) -> tuple[int, int, dict[str, float]]:
    """(cores, largest N, {stage: core-seconds per document at the largest N})."""
    spark = sorted((r for r in rows if r.get("engine") == "spark" and "score" in r), key=lambda r: r["n"])
    if not spark:
        raise SystemExit("no Spark results in the given files")
    large = spark[-1]
    match = re.search(r"local\[(\d+)\]", large["run"].get("master") or "local[2]")
    cores = int(match.group(1)) if match else 2
    return cores, large["n"], {stage: v["seconds"] * cores / large["n"] for stage, v in large["run"]["stages"].items()}


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
    print("| stage | core-s per 1k docs | " + " | ".join(f"{e} x {args.cores} cores" for e in args.executors) + " |")
    print("|---|---|" + "---|" * len(args.executors))
    totals = [0.0] * len(args.executors)
    for stage, per_doc in costs.items():
        cells = []
        for k, e in enumerate(args.executors):
            seconds = per_doc * args.documents / (e * args.cores * args.efficiency)
            totals[k] += seconds
            cells.append(f"{seconds / 60:,.0f} min")
        print(f"| {stage} | {per_doc * 1000:.2f} | " + " | ".join(cells) + " |")
    print("| **total** | | " + " | ".join(f"**{t / 3600:,.1f} h**" for t in totals) + " |")
    core_hours = sum(costs.values()) * args.documents / 3600 / args.efficiency
    print(f"\nabout {core_hours:,.0f} core-hours at efficiency {args.efficiency}")


if __name__ == "__main__":
    main()
