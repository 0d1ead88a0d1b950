#!/usr/bin/env python
"""Clough & Stevenson short-answer corpus: how much of each answer the aligner ties to its
Wikipedia source, per level of copying (cut > light > heavy > non).

    python benchmarks/bench_clough.py --data ../shared/data/clough-stevenson

Each answer (``gXpY_taskZ.txt``) is aligned with ``orig_taskZ.txt`` by the one aligner, in the
scan profile (``AlignConfig()``, word seeds plus sentence seeds) and in the plagiarism profile;
coverage = characters of the answer inside aligned passages / answer length. Prints the mean
and median per category, and checks the expected order. (Two "cut" answers, g2pE_taskc and
g4pD_taskb, were copied from parts of Wikipedia that the given source excerpt does not contain:
they cover nothing of it, which pulls the "cut" mean below "light".)
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import time
from collections import defaultdict
from pathlib import Path

from reprints.config import AlignConfig, plagiarism_profile
from reprints.stages.align import align_pair, doc_words

ORDER = ["cut", "light", "heavy", "non"]


def coverage(answer: str, source: str, config: AlignConfig) -> float:
    matches = align_pair(doc_words(answer), doc_words(source), config, paraphrase=config.paraphrase != "off")
    spans = sorted((m.a_begin, m.a_end) for m in matches)
    covered, reach = 0, 0
    for lo, hi in spans:
        if hi > reach:
            covered += hi - max(lo, reach)
            reach = hi
    return covered / max(len(answer), 1)


def run(data: Path, config: AlignConfig) -> dict[str, float]:
    by_category: dict[str, list[float]] = defaultdict(list)
    with open(data / "file_information.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["Category"] == "orig":
                continue
            answer = (data / row["File"]).read_text(encoding="utf-8", errors="replace")
            source = (data / f"orig_task{row['Task']}.txt").read_text(encoding="utf-8", errors="replace")
            by_category[row["Category"]].append(coverage(answer, source, config))
    return {c: {"mean": round(statistics.mean(v), 3), "median": round(statistics.median(v), 3),
                "answers": len(v), "uncovered": sum(1 for x in v if x == 0)}
            for c, v in sorted(by_category.items()) if v}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data" / "clough-stevenson")
    args = parser.parse_args()
    if not (args.data / "file_information.csv").exists():
        raise SystemExit(f"no Clough & Stevenson corpus at {args.data}")
    results = {}
    for name, config in (("scan profile", AlignConfig()), ("plagiarism profile", plagiarism_profile())):
        start = time.perf_counter()
        stats = run(args.data, config)
        results[name] = stats | {
            f"{m} order cut > light > heavy > non": all(stats[a][m] > stats[b][m] for a, b in zip(ORDER, ORDER[1:]))
            for m in ("mean", "median")} | {"seconds": round(time.perf_counter() - start, 2)}
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
