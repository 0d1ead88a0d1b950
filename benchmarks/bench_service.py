"""Bounded load test of ``reprints serve`` on loopback.

Builds (or reuses) an index of the Reuters-21578 bodies (id = newid, text = body), starts the
service in its own process (``reprints serve`` with a bearer token on 127.0.0.1) and sends
POST /query requests with a real HTTP load generator, bounded in time and connections:

* ``--client wrk`` (default): `wrk <https://github.com/wg/wrk>`_ (Debian package ``wrk``:
  ``apt-get install -y wrk``) with a Lua script that sends the queries in turn, each with its
  JSON body and the bearer header, for ``--duration`` seconds over ``--connections``
  connections from one wrk thread (so the generator takes little of the CPU the server needs);
* ``--client python``: a cheap Python client (raw HTTP/1.1 keep-alive over sockets, one thread
  per connection), bounded by a request budget (``--queries``), for machines without wrk.

The queries are ``--articles`` different Reuters articles of about ``--words`` words (400–600
by default; fixed seed), each sent in turn, so that nothing can answer from a cache of query
results (the service keeps none). Every article is in the index, so each query has at least
its own exact duplicate to align. Prints queries/s, p50/p90/p99 latency, errors, and the
1-minute load average before and after (the machine is shared).

    .venv/bin/python benchmarks/bench_service.py --index /tmp/reuters.duckdb --duration 30 --connections 8
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

DEFAULT_DATA = "/work/shared/data/reuters21578/reuters21578.jsonl"

# wrk: each connection sends the bodies in turn (from its own offset); done() prints a JSON summary.
WRK_LUA = r"""
local bodies = {}
for line in io.lines("%(bodies)s") do bodies[#bodies + 1] = line end
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %(token)s"}
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  threads[#threads + 1] = thread
end

function init(args)
  counter = id * 7919
  statuses = {}
end

function request()
  counter = counter + 1
  return wrk.format("POST", "/query", headers, bodies[(counter %% #bodies) + 1])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\nRESULT {"requests": %%d, "duration_us": %%d, "connect_errors": %%d, "read_errors": %%d, ' ..
    '"write_errors": %%d, "status_errors": %%d, "timeouts": %%d, "p50_us": %%d, "p90_us": %%d, ' ..
    '"p99_us": %%d, "max_us": %%d, "mean_us": %%.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
"""


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


def pick_queries(rows: list[dict], words: int, n: int, seed: int = 21578) -> list[dict]:
    """``n`` articles of ``words`` ± 20 % words (the closest ones if there are too few)."""
    lo, hi = 0.8 * words, 1.2 * words
    pool = sorted((r for r in rows if lo <= len(r["text"].split()) <= hi), key=lambda r: r["id"])
    if len(pool) < n:
        pool = sorted((r for r in rows if r["text"]), key=lambda r: (abs(len(r["text"].split()) - words), r["id"]))[:n]
    return random.Random(seed).sample(pool, n)


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


def load1() -> float:
    return os.getloadavg()[0]


def tree_cpu(pid: int, children: bool = True) -> float | None:
    """CPU seconds (user + system) used so far by a process and (``children``) its live children."""
    try:
        import psutil
    except ImportError:
        return None
    proc = psutil.Process(pid)
    total = 0.0
    for p in [proc] + (proc.children(recursive=True) if children else []):
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def own_children_cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def post(sock: socket.socket, port: int, token: str, body: bytes) -> tuple[int, bytes]:
    """One POST /query on a keep-alive socket; (status, response body)."""
    head = (f"POST /query HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    sock.sendall(head + body)
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    header, _, rest = buf.partition(b"\r\n\r\n")
    lines = header.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = next(int(v) for k, _, v in (ln.partition(b":") for ln in lines[1:]) if k.strip().lower() == b"content-length")
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        rest += chunk
    return status, rest[:length]


def run_python(port: int, token: str, bodies: list[bytes], queries: int, connections: int) -> dict:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    budget = iter(range(queries))

    def worker(offset: int) -> None:
        nonlocal errors
        sock = socket.create_connection(("127.0.0.1", port))
        k = offset
        try:
            while True:
                with lock:
                    if next(budget, None) is None:
                        return
                k += 1
                started = time.perf_counter()
                try:
                    ok = post(sock, port, token, bodies[k % len(bodies)])[0] == 200
                except OSError:
                    ok = False
                    sock.close()
                    sock = socket.create_connection(("127.0.0.1", port))
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    errors += not ok
        finally:
            sock.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(c * 7919,)) for c in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return {"requests": len(latencies), "errors": errors, "wall_s": round(wall, 2),
            "queries_per_s": round(len(latencies) / wall, 1),
            "p50_ms": round(1000 * percentile(latencies, 0.5), 1), "p90_ms": round(1000 * percentile(latencies, 0.9), 1),
            "p99_ms": round(1000 * percentile(latencies, 0.99), 1), "max_ms": round(1000 * max(latencies), 1)}


def run_wrk(port: int, token: str, bodies_file: Path, duration: int, connections: int, workdir: Path) -> dict:
    script = workdir / "query.lua"
    script.write_text(WRK_LUA % {"bodies": str(bodies_file), "token": token})
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s", str(script),
           f"http://127.0.0.1:{port}/query"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        sys.exit(f"wrk gave no result:\n{out.stdout}\n{out.stderr}")
    r = json.loads(line[len("RESULT "):])
    errors = r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["status_errors"] + r["timeouts"]
    wall = r["duration_us"] / 1e6
    return {"requests": r["requests"], "errors": errors, "error_kinds": {k: r[k] for k in (
                "connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")},
            "wall_s": round(wall, 2), "queries_per_s": round(r["requests"] / wall, 1),
            "p50_ms": round(r["p50_us"] / 1000, 1), "p90_ms": round(r["p90_us"] / 1000, 1),
            "p99_ms": round(r["p99_us"] / 1000, 1), "max_ms": round(r["max_us"] / 1000, 1),
            "wrk": " ".join(cmd[:-3] + ["query.lua", cmd[-1]])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=DEFAULT_DATA)
    parser.add_argument("--index", default=None, help="Index file to build or reuse (default: a temporary one).")
    parser.add_argument("--client", choices=("wrk", "python"), default="wrk")
    parser.add_argument("--duration", type=int, default=30, help="Seconds of load (wrk).")
    parser.add_argument("--queries", type=int, default=3000, help="Request budget (python client).")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--words", type=int, default=500, help="Length of the query articles.")
    parser.add_argument("--articles", type=int, default=100, help="Different query articles.")
    parser.add_argument("--server-workers", type=int, default=None,
                        help="reprints serve --workers (default: the server's default).")
    parser.add_argument("--workers", type=int, default=0, help="Worker processes for the index build.")
    parser.add_argument("--reprints", default=str(Path(sys.executable).with_name("reprints")),
                        help="The reprints command that serves (to compare versions).")
    parser.add_argument("--out", default=None, help="Write the result as JSON here.")
    args = parser.parse_args()

    if args.client == "wrk" and shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk (Debian), or use --client python")
    if not Path(args.data).exists():
        sys.exit(f"no data at {args.data}")
    rows = load_rows(args.data)
    queries = pick_queries(rows, args.words, args.articles)
    tmp = tempfile.TemporaryDirectory(prefix="reprints-bench-")
    workdir = Path(tmp.name)
    index_path = Path(args.index) if args.index else workdir / "reuters.duckdb"
    build = None
    if not index_path.exists():
        print(f"building index of {len(rows)} records at {index_path} …", flush=True)
        build = build_index(index_path, rows, args.workers or os.cpu_count() or 1)
        print(f"built in {build['seconds']} s: {build}", flush=True)

    bodies = [json.dumps({"text": q["text"]}).encode() for q in queries]
    bodies_file = workdir / "bodies.jsonl"
    bodies_file.write_bytes(b"\n".join(bodies) + b"\n")
    token = secrets.token_urlsafe(24)
    port = free_port()
    env = dict(os.environ, REPRINTS_TOKEN=token)
    cmd = [args.reprints, "serve", str(index_path), "--port", str(port), "--log-level", "warning"]
    if args.server_workers is not None:
        cmd += ["--workers", str(args.server_workers)]
    server = subprocess.Popen(cmd, env=env)
    try:
        deadline = time.time() + 120
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                    s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                    if b" 200 " in s.recv(4096):
                        break
            except OSError:
                pass
            if time.time() > deadline or server.poll() is not None:
                sys.exit("server did not start")
            time.sleep(0.2)

        # Warm-up: every article once (loads the query snapshot; checks that each one matches).
        matched = []
        with socket.create_connection(("127.0.0.1", port)) as sock:
            for body in bodies:
                status, answer = post(sock, port, token, body)
                if status != 200:
                    sys.exit(f"warm-up query failed: {status} {answer[:300]!r}")
                matched.append(json.loads(answer)["documents"])

        load_before = load1()
        server_cpu, client_cpu = tree_cpu(server.pid), own_children_cpu()
        main_cpu = tree_cpu(server.pid, children=False)
        if args.client == "wrk":
            result = run_wrk(port, token, bodies_file, args.duration, args.connections, workdir)
            client_cpu = own_children_cpu() - client_cpu
        else:
            started = time.process_time()
            result = run_python(port, token, bodies, args.queries, args.connections)
            client_cpu = time.process_time() - started
        if server_cpu is not None:
            server_cpu = tree_cpu(server.pid) - server_cpu
            main_cpu = tree_cpu(server.pid, children=False) - main_cpu
        load_after = load1()
    finally:
        server.terminate()
        server.wait(timeout=30)
        tmp.cleanup()

    result.update({
        "client": args.client, "connections": args.connections,
        "server_workers": args.server_workers, "query_articles": len(queries),
        "query_words_min": min(len(q["text"].split()) for q in queries),
        "query_words_max": max(len(q["text"].split()) for q in queries),
        "matched_documents_mean": round(sum(matched) / len(matched), 2),
        "load1_before": round(load_before, 2), "load1_after": round(load_after, 2),
        # CPU time per answered query: the server's (all its processes) and the load generator's.
        "server_cpu_ms_per_query": round(1000 * server_cpu / max(1, result["requests"]), 2) if server_cpu else None,
        "server_main_cpu_ms_per_query": round(1000 * main_cpu / max(1, result["requests"]), 2) if server_cpu else None,
        "client_cpu_ms_per_query": round(1000 * client_cpu / max(1, result["requests"]), 2),
        "index_build": build, "nproc": os.cpu_count(),
    })
    print(json.dumps(result, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
