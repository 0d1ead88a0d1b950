"""Bounded load test of ``reprints serve`` on loopback.

Builds (or reuses) an index of the Reuters-21578 bodies (id = newid, text = body), starts the
service in its own process with a bearer token on 127.0.0.1, and sends a fixed budget of
POST /query requests from a thread pool: the text is a Reuters article of about 500 words
(so it has matches in the index). Prints queries/s and latency percentiles, and the index
build time.

    .venv/bin/python benchmarks/bench_service.py --data /work/shared/data/reuters21578/reuters21578.jsonl \
        --queries 2000 --concurrency 8
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

DEFAULT_DATA = "/work/shared/data/reuters21578/reuters21578.jsonl"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_rows(path: str) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            rows.append({"id": str(rec["newid"]), "text": rec.get("body") or ""})
    return rows


def pick_query(rows: list[dict], words: int) -> dict:
    """The article whose word count is closest to ``words``."""
    return min((r for r in rows if r["text"]), key=lambda r: (abs(len(r["text"].split()) - words), r["id"]))


def build_index(path: Path, rows: list[dict], workers: int) -> dict:
    from reprints.index import Index

    started = time.perf_counter()
    with Index(path) as index:
        result = index.add(rows, workers=workers)
        stats = index.stats()
    return {"seconds": round(time.perf_counter() - started, 2), "added": len(result.added),
            "skipped": len(result.skipped), "passages": stats["passages"], "clusters": stats["clusters"],
            "shingles": stats["shingles"]}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, int(round(q * (len(ordered) - 1)))))
    return ordered[k]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=DEFAULT_DATA)
    parser.add_argument("--index", default=None, help="Index file to build or reuse (default: a temporary one).")
    parser.add_argument("--queries", type=int, default=2000, help="Request budget.")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--words", type=int, default=500, help="Length of the query article.")
    parser.add_argument("--workers", type=int, default=0, help="Worker processes for the index build.")
    parser.add_argument("--out", default=None, help="Write the result as JSON here.")
    args = parser.parse_args()

    if not Path(args.data).exists():
        sys.exit(f"no data at {args.data}")
    rows = load_rows(args.data)
    query = pick_query(rows, args.words)
    tmp = tempfile.TemporaryDirectory(prefix="reprints-bench-")
    index_path = Path(args.index) if args.index else Path(tmp.name) / "reuters.duckdb"
    build = None
    if not index_path.exists():
        print(f"building index of {len(rows)} records at {index_path} …", flush=True)
        build = build_index(index_path, rows, args.workers or os.cpu_count() or 1)
        print(f"built in {build['seconds']} s: {build}", flush=True)

    token = secrets.token_urlsafe(24)
    port = free_port()
    env = dict(os.environ, REPRINTS_TOKEN=token)
    server = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from reprints.service.app import serve; "
         "serve(sys.argv[1], host='127.0.0.1', port=int(sys.argv[2]), log_level='warning')",
         str(index_path), str(port)], env=env)
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"}
    try:
        deadline = time.time() + 60
        while True:
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline or server.poll() is not None:
                sys.exit("server did not start")
            time.sleep(0.1)

        body = {"text": query["text"]}
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            first = client.post("/query", json=body)
            first.raise_for_status()
            matched = first.json()
            for _ in range(20):  # warm-up
                client.post("/query", json=body).raise_for_status()

        latencies: list[float] = []
        errors = 0
        lock = threading.Lock()
        budget = iter(range(args.queries))

        def worker() -> None:
            nonlocal errors
            with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
                while True:
                    with lock:
                        if next(budget, None) is None:
                            return
                    started = time.perf_counter()
                    try:
                        ok = client.post("/query", json=body).status_code == 200
                    except httpx.HTTPError:
                        ok = False
                    elapsed = time.perf_counter() - started
                    with lock:
                        latencies.append(elapsed)
                        errors += not ok

        started = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            for _ in range(args.concurrency):
                pool.submit(worker)
        wall = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
        tmp.cleanup()

    result = {
        "queries": len(latencies), "concurrency": args.concurrency, "errors": errors,
        "wall_s": round(wall, 2), "queries_per_s": round(len(latencies) / wall, 1),
        "p50_ms": round(1000 * percentile(latencies, 0.5), 1),
        "p90_ms": round(1000 * percentile(latencies, 0.9), 1),
        "p99_ms": round(1000 * percentile(latencies, 0.99), 1),
        "mean_ms": round(1000 * statistics.fmean(latencies), 1),
        "query_doc": query["id"], "query_words": len(query["text"].split()),
        "matched_documents": matched["documents"],
        "index_build": build, "nproc": os.cpu_count(),
    }
    print(json.dumps(result, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
