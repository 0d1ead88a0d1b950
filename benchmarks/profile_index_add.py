#!/usr/bin/env python
"""    python benchmarks/profile_index_add.py N OUT

Build (or reuse) an index of the first N articles of OUT/scale_{N+301}.jsonl (written by
bench_index.py), then time an add of 100 and an add of 1 (each on a fresh copy of the built
index) with a timer around each step of ``index/add.py`` and the index's own helpers (nested:
``focused_candidates`` includes ``pair_rows``, ``choose_sources`` ...)."""
import functools
import json
import os
import shutil
import sys
import time
from pathlib import Path

from reprints.index import Index, add as steps, postings, store

n, out = int(sys.argv[1]), Path(sys.argv[2])
base, work = out / f"prof{n}.duckdb", out / f"prof{n}_work.duckdb"
rows = [json.loads(line) for _, line in zip(range(n + 301), open(out / f"scale_{n + 301}.jsonl", encoding="utf-8"))]
if not base.exists():
    t = time.perf_counter()
    with Index(base) as ix:
        ix.add(rows[:n], workers=2)
    print("build", round(time.perf_counter() - t, 2), flush=True)
timers = {}
def wrap(mod, name):
    fn = getattr(mod, name)
    @functools.wraps(fn)
    def inner(*a, **k):
        t = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            timers[name] = timers.get(name, 0) + time.perf_counter() - t
    setattr(mod, name, inner)
for name in ("crossing_holders", "moved_holders", "exact_group_members", "unprobed_grams",
             "focused_candidates", "choose_sources", "pair_rows", "update_pairs", "update_clusters", "update_frequent",
             "texts_of", "rank_view", "remember_postings", "_later_docs", "document_arrays", "passages_of", "_cluster_docs"):
    wrap(steps, name)
for cls, name in [(store.Index, n) for n in ("_insert_documents", "_held_by", "_counts")] + [
        (postings.Segments, n) for n in ("begin", "append", "lookup", "_merge_last_two")]:
    fn = getattr(cls, name)
    def mk(fn, name):
        def inner(self, *a, **k):
            t = time.perf_counter()
            try:
                return fn(self, *a, **k)
            finally:
                timers[name] = timers.get(name, 0) + time.perf_counter() - t
        return inner
    setattr(cls, name, mk(fn, name))
for label, batch in (("add_100", rows[n + 1:n + 101]), ("add_1", rows[n:n + 1])):
    shutil.copy(base, work)
    shutil.rmtree(postings.folder_for(work), ignore_errors=True)
    if postings.folder_for(base).exists():
        shutil.copytree(postings.folder_for(base), postings.folder_for(work))
    os.sync()  # the copy's dirty pages would otherwise be flushed by the add's first fsync
    timers.clear()
    with Index(work) as ix:
        t = time.perf_counter()
        ix.add(batch, workers=2)
        total = time.perf_counter() - t
    print(label, round(total, 3), {k: round(v, 3) for k, v in sorted(timers.items(), key=lambda kv: -kv[1])}, flush=True)
