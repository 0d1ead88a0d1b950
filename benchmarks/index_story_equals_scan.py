#!/usr/bin/env python
"""    python benchmarks/index_story_equals_scan.py OUT/scale_10301.jsonl

A check at a larger size than the tests: a story of 300 edited carriers (each its own outlet)
among 200 background articles, default config, built in four adds (build, 60 carriers dated after
everything, 40 dated before everything, 5 carriers replaced); after each the index equals one scan."""
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_index  # noqa: E402
import reprints  # noqa: E402
from reprints.index import Index  # noqa: E402
# A corpus of bench_scale.py (bench_index.py writes one: OUT/scale_10301.jsonl).
rows = [json.loads(line) for _, line in zip(range(10301), open(sys.argv[1], encoding="utf-8"))]
background = rows[:200]
dates = sorted(r["date"] for r in background)
rng = random.Random(5)
story, carriers = bench_index._story_carriers(rows, 300, [rng.choice(dates) for _ in range(300)], 1)
_, latest = bench_index._story_carriers(rows, 60, [f"2100-01-01T00:00:{k:02d}" for k in range(60)], 2)
_, earliest = bench_index._story_carriers(rows, 40, [f"1900-01-01T00:00:{k:02d}" for k in range(40)], 3)
replaced = [dict(c, text=background[k]["text"] + " (corrected)") for k, c in enumerate(carriers[:5])]
order = []
tmp = tempfile.TemporaryDirectory()
with Index(Path(tmp.name) / "index.duckdb") as ix:
    for name, batch in (("build", background + carriers), ("latest", latest), ("earliest", earliest), ("replace", replaced)):
        t = time.perf_counter()
        res = ix.add(batch, workers=2)
        took = time.perf_counter() - t
        ids = {r["id"] for r in batch}
        order = [r for r in order if r["id"] not in ids] + batch
        scan = reprints.scan(order)
        got = ix.tables()
        same = all(got[n].to_pylist() == getattr(scan, n).to_pylist() for n in ("pairs", "passages", "clusters"))
        top = max((r["cluster_docs"] for r in got["clusters"].to_pylist()), default=0)
        print(name, "add", round(took, 2), "s, focus", res.candidate_focus, "aligned", res.aligned_pairs,
              "| equal to one scan:", same, "| pairs", got["pairs"].num_rows, "largest cluster docs", top, flush=True)
        assert same
