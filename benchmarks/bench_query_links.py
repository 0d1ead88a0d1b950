#!/usr/bin/env python
"""    python benchmarks/bench_query_links.py

What choosing a query's links costs for a story of 2,200 carriers: the first and the last 3 holders
in date order of each of 250 frequent n-grams, by a sort per n-gram (before) and by a partition
(`index/snapshot.py: _first_and_last`, now); best of 5."""
import time, numpy as np
from reprints.index.snapshot import _first_and_last
rng = np.random.default_rng(1)
n_docs, holders_per, grams, k = 12000, 2200, 250, 3
date_keys = rng.integers(0, 10**9, size=n_docs)
slices = [np.sort(rng.choice(n_docs, holders_per, replace=False)) for _ in range(grams)]
def old(h):
    order = np.lexsort((h, date_keys[h])); return np.unique(np.concatenate([h[order[-k:]], h[order[:1]]]))
for name, fn in (("sort (before)", old), ("partition (now)", lambda h: _first_and_last(h, date_keys, k))):
    best = 1e9
    for _ in range(5):
        t = time.perf_counter(); [fn(h) for h in slices]; best = min(best, time.perf_counter() - t)
    print(name, round(best * 1000, 1), "ms for", grams, "n-grams of", holders_per, "holders")
