#!/usr/bin/env python
"""Reuters-21578: the precision of the pairs reprints reports as reprints (not templates), judged by reading.

    python benchmarks/judge_reuters_templates.py --out /tmp/judge            # scan, draw, write texts to read
    python benchmarks/judge_reuters_templates.py --out /tmp/judge --reuse    # re-evaluate the pairs already written

Scans the 19,043 Reuters bodies (as `bench_reuters.py`: id = newid, text = body, date) with the default
configuration and takes the pairs of ``pairs.parquet`` whose ``kind`` is ``reprint``. Then:

* keeps: how many of the pairs judged ``yes`` in any file of ``benchmarks/judgments/`` are still reported as
  reprints (the issue's bar: at least 97 %), and how many judged ``partial`` and ``no`` are;
* draws a uniform random sample (``random.Random(--seed).sample`` of the reprint pairs sorted by their two
  numeric ids, each pair written with the smaller id first) of ``--size`` pairs, and writes both full texts of
  each to ``<out>/sample.txt`` for a person to judge;
* with ``--judgments FILE`` (a CSV: doc_a, doc_b, judgment, reason; judgment yes / partial / no, the scale of
  ``benchmarks/judgments/``), reports the shares of the sample with 95 % Wilson intervals: yes, partial, yes +
  partial (genuine text reuse) and no (a filled-in form), and lists sample pairs not judged yet.
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_reuters import DEFAULT_DATA, load_docs, wilson  # noqa: E402


def ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if int(a) < int(b) else (b, a)


def judged_files() -> dict[tuple[str, str], str]:
    """Every judged pair of benchmarks/judgments/ (the first file, by name, that judges a pair wins)."""
    out: dict[tuple[str, str], str] = {}
    for path in sorted(glob.glob(str(HERE / "judgments" / "*.csv"))):
        with open(path, encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                out.setdefault(ordered(row["doc_a"], row["doc_b"]), row["judgment"])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=1416)
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--judgments", type=Path, help="the sample's judgments (CSV) to evaluate")
    ap.add_argument("--reuse", action="store_true", help="read <out>/pairs.json instead of scanning")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    docs = {d["id"]: d for d in load_docs(args.data)}
    pairs_file = args.out / "pairs.json"
    if args.reuse:
        kinds = {tuple(k.split(",")): v for k, v in json.loads(pairs_file.read_text()).items()}
    else:
        import reprints

        started = time.perf_counter()
        result = reprints.scan(list(docs.values()))
        print(f"scan {time.perf_counter() - started:.1f} s")
        cols = (result.pairs.column(c).to_pylist() for c in ("doc_a", "doc_b", "kind"))
        kinds = {ordered(a, b): k for a, b, k in zip(*cols)}
        pairs_file.write_text(json.dumps({f"{a},{b}": k for (a, b), k in kinds.items()}))
    reprint = sorted((p for p, k in kinds.items() if k == "reprint"), key=lambda p: (int(p[0]), int(p[1])))
    print(f"pairs {len(kinds):,}: {len(reprint):,} reprint, {len(kinds) - len(reprint):,} template")

    judged = judged_files()
    for judgment in ("yes", "partial", "no"):
        pairs = [p for p, j in judged.items() if j == judgment]
        kept = sum(1 for p in pairs if kinds.get(p) == "reprint")
        print(f"judged {judgment} in benchmarks/judgments/: {kept}/{len(pairs)} reported as reprints")

    sample = random.Random(args.seed).sample(reprint, min(args.size, len(reprint)))
    with open(args.out / "sample.txt", "w", encoding="utf-8") as fh:
        for k, (a, b) in enumerate(sample):
            fh.write(f"##### {k} pair {a},{b}\n")
            for d in (a, b):
                fh.write(f"=== {d} | {docs[d]['date']}\n{docs[d]['text'].strip()}\n\n")
    print(f"sample of {len(sample)} (seed {args.seed}) written to {args.out / 'sample.txt'}")
    if args.judgments:
        with open(args.judgments, encoding="utf-8") as fh:
            given = {ordered(r["doc_a"], r["doc_b"]): r["judgment"] for r in csv.DictReader(fh)}
        got = [given.get(p) for p in sample]
        missing = [p for p, g in zip(sample, got) if g is None]
        n = len(sample) - len(missing)
        counts = Counter(g for g in got if g)
        for name, k in (("yes", counts["yes"]), ("partial", counts["partial"]),
                        ("yes + partial", counts["yes"] + counts["partial"]), ("no", counts["no"])):
            lo, hi = wilson(k, n)
            print(f"  {name:14s} {k:3d}/{n}  {k / max(1, n):.2f}  (95 % Wilson {lo:.2f}-{hi:.2f})")
        if missing:
            print(f"  not judged yet: {len(missing)}: {missing[:20]}")


if __name__ == "__main__":
    main()
