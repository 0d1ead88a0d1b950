#!/usr/bin/env python
"""The index at size: build to N articles, add 1 and 100 more, query under load.

    python benchmarks/bench_index.py --sizes 10000 100000 --out benchmarks/out/

For each N (one fresh process each, so memory is per size): the synthetic corpus of
``bench_scale.py`` (real Reuters/PAN sentences, 5 % planted reprints, dated one minute apart) of
N + 301 documents; the first N are added in one add (``build``; in adds of ``--build-batch``
documents if given), then 1 more (``add_1``), then 100 more (``add_100``), both dated after
everything (the common case), then 100 more dated back into the index's range at random
(``add_100_back_dated``: their frequent n-grams' links move), each timed with its stages and the
number of documents whose candidates it recomputed (``focus``). Then the query snapshot is loaded and ``--queries``
queries (a 60-150-word stretch of a random indexed article inside new text) are answered one
after another (latency p50/p99), by ``--threads`` threads at once and by as many forked query
processes (``reprints serve --workers N``'s, the snapshot inherited) (queries/s: the throughput under load); then 100 more are added while the snapshot exists (``add_100_serving``:
the add as the server makes it, advancing the snapshot too).

With ``--story C`` the build also holds C carriers of one story (a corpus article of at least
250 words, three words edited per copy, each in its own outlet with its own 40-word intro and outro, dated at random
in the index's range), and afterwards: ``story_add_100_latest`` (100 more carriers dated after
everything: each becomes the newest holder of the story's n-grams), ``story_add_100_back_dated``
(100 dated before everything: the first holder of every story n-gram changes, so every carrier's
link to the first moves), and a query with the story (answer size, latency). Reported: the index file's size (with its postings folder) and the process's peak memory per
indexed article.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _common  # noqa: E402
import bench_scale  # noqa: E402


def _rows(path: Path, n: int) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            rows.append(json.loads(line))
            if len(rows) == n:
                break
    return rows


def _queries(rows: list[dict], n: int, seed: int = 18) -> list[str]:
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        words = rng.choice(rows)["text"].split()
        if len(words) < 80:
            continue
        k = rng.randint(60, min(150, len(words)))
        at = rng.randint(0, len(words) - k)
        out.append("An introduction written for the query. " + " ".join(words[at:at + k]) + " And a new ending.")
    return out


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def _story_carriers(rows: list[dict], count: int, dates: list[str], seed: int) -> tuple[str, list[dict]]:
    """The story (the first article of at least 250 words) and ``count`` edited carriers of it,
    each wrapped in words of other articles and dated ``dates[k]``."""
    rng = random.Random(seed)
    story = next(r["text"] for r in rows if len(r["text"].split()) >= 250)
    words = [w for r in rows[:2000] for w in r["text"].split()]
    out = []
    for k in range(count):
        toks = story.split()
        for _ in range(3):
            toks[rng.randrange(len(toks))] = f"edit{k}x{rng.randint(0, 999)}"
        intro = " ".join(rng.choice(words) for _ in range(40))
        outro = " ".join(rng.choice(words) for _ in range(40))
        out.append({"id": f"story{seed}-{k}", "text": f"{intro}\n\n{' '.join(toks)}\n\n{outro}",
                    "source": f"outlet{seed}-{k}", "date": dates[k]})
    return story, out


def timed_add(index, batch: list, workers: int):
    """One add, timed: (wall seconds, the add's stage seconds, what it aligned and focused on, load and peak
    RSS; the add's own answer)."""
    from reprints.progress import Reporter

    reporter = Reporter()
    t = time.perf_counter()
    added = index.add(batch, workers=workers, reporter=reporter)
    return {"seconds": round(time.perf_counter() - t, 3),
            "stages": {k: round(v, 3) for k, v in reporter.timings.items()},
            "aligned_pairs": added.aligned_pairs, "reshingled": added.reshingled, "focus": added.candidate_focus,
            "load1": round(os.getloadavg()[0], 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}, added


def _queries_per_s_forked(index, texts: list[str], processes: int) -> float:
    """Queries/s answered by ``processes`` forked query workers (``reprints serve --workers N``'s
    ``QueryWorkers``, the snapshot inherited), ``processes`` queries in flight at a time."""
    import asyncio

    from reprints.service.workers import QueryWorkers

    workers = QueryWorkers(index, processes)
    try:
        workers.refresh()

        async def client(part: list[str]) -> None:
            for text in part:
                await workers.query(text, None)

        async def run_all() -> float:
            await workers.query(texts[0], None)  # every worker forked and answering
            t = time.perf_counter()
            await asyncio.gather(*(client(texts[k::processes]) for k in range(processes)))
            return time.perf_counter() - t

        return round(len(texts) / asyncio.run(run_all()), 1)
    finally:
        workers.close()


def measure(n: int, out: Path, queries: int, threads: int, workers: int, build_batch: int = 0,
            story: int = 0) -> dict:
    from reprints.index import Index
    from reprints.index.postings import folder_for as postings_folder

    corpus = out / f"scale_{n + 301}.jsonl"
    rows = _rows(corpus, n + 301)
    rng = random.Random(n)
    dates = sorted(r["date"] for r in rows[:n] if r.get("date"))
    back_dated = [dict(r, date=rng.choice(dates)) for r in rows[n + 201:n + 301]]
    build_rows = rows[:n]
    if story:
        story_text, carriers = _story_carriers(rows, story, [rng.choice(dates) for _ in range(story)], 1)
        _, latest = _story_carriers(rows, 100, [f"2100-01-01T00:{k // 60:02d}:{k % 60:02d}" for k in range(100)], 2)
        _, earliest = _story_carriers(rows, 100, [f"1900-01-01T00:{k // 60:02d}:{k % 60:02d}" for k in range(100)], 3)
        build_rows = build_rows + carriers
    result: dict = {"n": n, "machine": _common.machine_info(), "story_carriers": story}
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        path = Path(tmp) / "index.duckdb"
        with Index(path) as index:
            step = build_batch or len(build_rows)
            builds = [(f"build_{k}" if step < len(build_rows) else "build", build_rows[k:k + step])
                      for k in range(0, len(build_rows), step)]
            for name, batch in builds + [("add_1", rows[n:n + 1]), ("add_100", rows[n + 1:n + 101]),
                                         ("add_100_back_dated", back_dated)]:
                result[name], added = timed_add(index, batch, workers)
                print(n, name, result[name], flush=True)
            if step < len(build_rows):
                result["build"] = {"seconds": round(sum(result[b]["seconds"] for b, _ in builds), 3),
                                   "adds": len(builds), "batch": step}
            if story:
                for name, batch in (("story_add_100_latest", latest), ("story_add_100_back_dated", earliest)):
                    result[name], added = timed_add(index, batch, workers)
                    print(n, name, result[name], flush=True)
                snap = index.query_snapshot()
                snap.query(story_text)
                t = time.perf_counter()
                answer = snap.query("A new introduction to the story.\n\n" + story_text)
                result["story_query"] = {"ms": round(1000 * (time.perf_counter() - t), 2),
                                         "candidates": answer["candidates"], "documents": answer["documents"],
                                         "clusters": [{k: c[k] for k in ("cluster_id", "documents", "origin_doc_id")}
                                                      for c in answer["clusters"]],
                                         "json_bytes": len(json.dumps(answer))}
                print(n, "story_query", result["story_query"], flush=True)
            result["documents"], result["passages"] = added.documents, added.passages
            t = time.perf_counter()
            snap = index.query_snapshot()
            result["snapshot_seconds"] = round(time.perf_counter() - t, 3)
            texts = _queries(rows[:n], queries)
            snap.query(texts[0])  # warm
            lat = []
            for text in texts:
                t = time.perf_counter()
                snap.query(text)
                lat.append(time.perf_counter() - t)
            result["query_p50_ms"] = round(1000 * _pct(lat, 0.5), 2)
            result["query_p99_ms"] = round(1000 * _pct(lat, 0.99), 2)
            # The same queries, same snapshot, without the frequent n-grams' links (the query rule
            # before issue 18's session 7): what the links cost a query, on the same machine.
            config, lat0 = snap.config, []
            snap.config = config.replace(candidates={"frequent_links": 0})
            for text in texts:
                t = time.perf_counter()
                snap.query(text)
                lat0.append(time.perf_counter() - t)
            snap.config = config
            result["query_no_links_p50_ms"] = round(1000 * _pct(lat0, 0.5), 2)
            result["query_no_links_p99_ms"] = round(1000 * _pct(lat0, 0.99), 2)
            done = [0]
            lock = threading.Lock()

            def run(part: list[str]) -> None:
                for text in part:
                    snap.query(text)
                    with lock:
                        done[0] += 1

            parts = [texts[k::threads] for k in range(threads)]
            t = time.perf_counter()
            pool = [threading.Thread(target=run, args=(p,)) for p in parts]
            for th in pool:
                th.start()
            for th in pool:
                th.join()
            result["queries_per_s"] = round(done[0] / (time.perf_counter() - t), 1)
            result["query_threads"] = threads
            result["queries_per_s_processes"] = _queries_per_s_forked(index, texts, threads)
            result["query_load1"] = round(os.getloadavg()[0], 2)
            # As in the server: queries are being answered, so the add also advances their snapshot.
            t = time.perf_counter()
            index.add(rows[n + 101:n + 201], workers=workers)
            result["add_100_serving"] = {"seconds": round(time.perf_counter() - t, 3),
                                         "load1": round(os.getloadavg()[0], 2)}
            assert index.query_snapshot().version == snap.version + 1
        size = path.stat().st_size
        wal = path.with_suffix(path.suffix + ".wal")
        size += wal.stat().st_size if wal.exists() else 0
        folder = postings_folder(path)
        result["postings_folder_bytes"] = sum(f.stat().st_size for f in folder.iterdir()) if folder.is_dir() else 0
        size += result["postings_folder_bytes"]
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result["disk_bytes_per_article"] = round(size / n)
    result["peak_rss_bytes_per_article"] = round(peak_kb * 1024 / n)
    result["peak_rss_mb"] = round(peak_kb / 1024)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    ap.add_argument("--out", default=str(HERE / "out"))
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2, help="alignment processes of an add")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--build-batch", type=int, default=0, help="build in adds of this many documents (0: one add)")
    ap.add_argument("--story", type=int, default=0, help="carriers of one story in the build (0: none)")
    ap.add_argument("--_worker", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args._worker:
        print("RESULT " + json.dumps(measure(args._worker, out, args.queries, args.threads, args.workers,
                                             args.build_batch, args.story)), flush=True)
        return
    pool = bench_scale.build_pool(bench_scale.REUTERS, bench_scale.PAN_SRC, out / "pool.pkl")
    results = []
    for n in args.sizes:
        bench_scale.build_corpus(n + 301, pool, args.seed, out)
        done = subprocess.run([sys.executable, __file__, "--_worker", str(n), "--out", str(out), "--queries",
                               str(args.queries), "--threads", str(args.threads), "--workers", str(args.workers),
                               "--build-batch", str(args.build_batch), "--story", str(args.story)],
                              capture_output=True, text=True)
        sys.stderr.write(done.stderr[-3000:])
        line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")), None)
        if line is None:
            print(done.stdout[-3000:])
            raise SystemExit(f"size {n} failed")
        results.append(json.loads(line[len("RESULT "):]))
        _common.write_json(out / "index_results.json", results)
        print(json.dumps({k: v for k, v in results[-1].items() if k != "machine"}, indent=1), flush=True)


if __name__ == "__main__":
    main()
