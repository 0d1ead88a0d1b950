#!/usr/bin/env python
"""    python benchmarks/profile_index_add.py N OUT [REPEAT]

Build (or reuse) an index of the first N articles of OUT/scale_{N+301}.jsonl (written by
bench_index.py; built in adds of 50,000 beyond that), then, REPEAT times (default 1), each on a
fresh copy of the built index and with the k-th of three batches of the 100 articles after the
first N + 1 (so that the pairs aligned vary as they would):

* ``add_100_first``: an add of 100 right after opening the index (what one ``reprints index add``
  command does);
* ``add_1`` then ``add_100_open``: an add of 1 after opening, then the add of 100 in the same open
  index (what a process that keeps the index open and adds all day does: what ``bench_index.py``
  measures);
* ``add_1_serving`` then ``add_100_serving``: the same with the query snapshot loaded first (so
  each add advances it too, as the server's does);

with the work each add did (documents whose candidate pairs it recomputed, pairs aligned, documents
re-shingled) and a timer around each step of ``index/add.py``, the index's own helpers, the
alignment of the pairs found (``_align_pairs``), the add inside its transaction (``_add``; the rest,
``commit_and_after``, is the commit and the snapshot's advance) and the advance itself (nested:
``focused_candidates`` includes ``pair_rows``, ``choose_sources`` ...). Prints each add and the
median of each kind.

As on a machine that serves one index, the process holds only the articles it adds (not the
corpus) and only the working copy is left in the page cache (the original's pages are dropped
after each copy)."""
import functools
import statistics
import json
import os
import shutil
import sys
import time
from pathlib import Path

from reprints.index import Index, add as steps, postings, snapshot, store

n, out = int(sys.argv[1]), Path(sys.argv[2])
repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 1
BUILD_BATCH = 50_000
base, work = out / f"prof{n}.duckdb", out / f"prof{n}_work.duckdb"


def read_rows(lo: int, hi: int) -> list[dict]:
    with open(out / f"scale_{n + 301}.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for k, line in zip(range(hi), handle) if k >= lo]


if not base.exists():
    t = time.perf_counter()
    with Index(base) as ix:
        for lo in range(0, n, BUILD_BATCH):
            ix.add(read_rows(lo, min(n, lo + BUILD_BATCH)), workers=2)
    print("build", round(time.perf_counter() - t, 2), flush=True)
# Only the articles added below are held (not the corpus: its memory would not be the index's).
rows = [None] * n + read_rows(n, n + 301)
timers = {}


def timed_call(name, fn):
    """``fn``, adding its time to ``timers[name]`` (functions and methods alike)."""
    @functools.wraps(fn)
    def inner(*a, **k):
        t = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            timers[name] = timers.get(name, 0) + time.perf_counter() - t
    return inner


for owner, names in [
        (steps, ("crossing_holders", "moved_holders", "exact_group_members", "unprobed_grams", "focused_candidates",
                 "choose_sources", "pair_rows", "update_pairs", "update_clusters", "update_frequent",
                 "texts_in_order", "remember_postings", "_later_docs", "document_arrays", "passages_of",
                 "_cluster_docs")),
        # the pairs' alignment: what it costs depends on the pairs found, not on the index
        (store, ("_align_pairs", "_stored_texts")),
        (store.tasks, ("doc_line_keys", "shingles")),
        # ``_add`` is the add inside its transaction: the rest of the total is the commit (and the advance)
        (store.Index, ("_add", "_insert_documents", "_held_by", "_counts")),
        (postings.Segments, ("begin", "append", "find", "_merge_last_two")),
        (snapshot.Snapshot, ("_set_base", "_fill_clusters", "_take_words", "postings"))]:
    for name in names:
        setattr(owner, name, timed_call(name, getattr(owner, name)))
# A classmethod: bound to the class when read, so kept as a static method.
snapshot.Snapshot.advance = staticmethod(timed_call("advance", snapshot.Snapshot.advance))
seconds: dict[str, list[float]] = {}
batches = [rows[n + 1 + 100 * k:n + 101 + 100 * k] for k in range(3)]


def fresh_copy():
    shutil.copy(base, work)
    shutil.rmtree(postings.folder_for(work), ignore_errors=True)
    if postings.folder_for(base).exists():
        shutil.copytree(postings.folder_for(base), postings.folder_for(work))
    os.sync()  # the copy's dirty pages would otherwise be flushed by the add's first fsync
    for path in [base, *postings.folder_for(base).rglob("*")]:
        if path.is_file():  # only the copy in the page cache, as on a machine serving one index
            fd = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)
    return Index(work)


def timed(ix, label, batch):
    timers.clear()
    t = time.perf_counter()
    result = ix.add(batch, workers=2)
    total = time.perf_counter() - t
    seconds.setdefault(label, []).append(total)
    timers["commit_and_after"] = total - timers.get("_add", 0.0)  # the commit's syncs, the snapshot's advance
    done = {"focus": result.candidate_focus, "pairs": result.aligned_pairs, "reshingled": result.reshingled}
    print(label, round(total, 3), f"load {os.getloadavg()[0]:.2f}", "work", done,
          {k: round(v, 3) for k, v in sorted(timers.items(), key=lambda kv: -kv[1])}, flush=True)


for k in range(repeat):
    with fresh_copy() as ix:
        timed(ix, "add_100_first", batches[k % 3])
    with fresh_copy() as ix:
        timed(ix, "add_1", rows[n:n + 1])
        timed(ix, "add_100_open", batches[k % 3])
    with fresh_copy() as ix:
        t = time.perf_counter()
        ix.query_snapshot()
        print("snapshot load", round(time.perf_counter() - t, 3), flush=True)
        timed(ix, "add_1_serving", rows[n:n + 1])
        timed(ix, "add_100_serving", batches[(k + 1) % 3])
print("median", {label: round(statistics.median(v), 3) for label, v in seconds.items()}, flush=True)
