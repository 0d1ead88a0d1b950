#!/usr/bin/env python
"""A sample of the passages ``reprints dedup --mode both`` cuts from Reuters-21578 bodies, to be judged by
hand (issue 17: "a hand-judged sample of removals where no truth exists": the document removals are scored
against an exact Jaccard/containment truth in bench_dedup.py, the passage cuts are not).

    .venv/bin/python benchmarks/judge_dedup_passages.py --sample 25 --seed 1717 > /tmp/cuts.txt
    .venv/bin/python benchmarks/judge_dedup_passages.py --judgments benchmarks/judgments/reuters_dedup_passages.csv

The first prints, for each sampled cut, the removed span of the later document and the span of the kept
document it repeats (``kept_begin``/``kept_end``), with a few words around each, and whether the two spans
are the same text after folding case and whitespace. The judge writes one CSV row per cut (``doc_id``,
``begin``, ``verdict``: yes = the cut text is the kept document's text, word for word (case, punctuation and
line breaks aside), so cutting it loses nothing the corpus does not keep; partial = mostly, but the cut holds
words the kept span does not; no = not a repeat; ``edge_fragment``: yes where the cut starts or ends inside a
sentence and leaves a fragment of it in the document; ``reason``). The second reads such a file and gives the
shares with Wilson 95 % intervals.
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_reuters import DEFAULT_DATA, load_docs  # noqa: E402


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def _wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return 0.0, 0.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return round(centre - half, 3), round(centre + half, 3)


def sample(data: str, size: int, seed: int) -> None:
    import reprints
    from reprints.config import DedupConfig

    docs = load_docs(data)
    texts = {d["id"]: d["text"] for d in docs}
    result = reprints.dedup(docs, config=DedupConfig().replace(dedup={"mode": "both"}))
    cuts = [r for r in result.removed.to_pylist() if r["begin"] is not None]
    print(f"{len(cuts)} passages cut from {len({c['doc_id'] for c in cuts})} documents; sample of "
          f"{min(size, len(cuts))} (random.Random({seed}))\n")
    for k, c in enumerate(random.Random(seed).sample(cuts, min(size, len(cuts)))):
        a, b = texts[c["doc_id"]], texts[c["kept_doc_id"]]
        cut, kept = a[c["begin"]:c["end"]], b[c["kept_begin"]:c["kept_end"]]
        print(f"## {k + 1}. {c['doc_id']} [{c['begin']}:{c['end']}] ({len(cut.split())} words) repeats "
              f"{c['kept_doc_id']} [{c['kept_begin']}:{c['kept_end']}]; same text when folded: {_fold(cut) == _fold(kept)}")
        print(f"   cut:  ...{a[max(0, c['begin'] - 80):c['begin']]!r} [[{cut}]] {a[c['end']:c['end'] + 80]!r}...")
        print(f"   kept: ...{b[max(0, c['kept_begin'] - 80):c['kept_begin']]!r} [[{kept}]] {b[c['kept_end']:c['kept_end'] + 80]!r}...")
        print(f"   rest of the cut document: {len(a) - (c['end'] - c['begin'])} of {len(a)} characters\n")


def shares(path: Path) -> None:
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    n = len(rows)
    for verdict in ("yes", "partial", "no"):
        k = sum(r["verdict"] == verdict for r in rows)
        print(f"{verdict}: {k}/{n} = {k / n:.2f} (95 % CI {_wilson(k, n)})")
    k = sum(r.get("edge_fragment") == "yes" for r in rows)
    print(f"a sentence fragment left at an edge: {k}/{n} = {k / n:.2f} (95 % CI {_wilson(k, n)})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--sample", type=int, default=25)
    ap.add_argument("--seed", type=int, default=1717)
    ap.add_argument("--judgments", help="a judged CSV: print the shares instead of sampling")
    args = ap.parse_args()
    if args.judgments:
        shares(Path(args.judgments))
    else:
        sample(args.data, args.sample, args.seed)


if __name__ == "__main__":
    main()
