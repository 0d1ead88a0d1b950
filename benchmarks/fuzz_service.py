"""Fuzz ``reprints serve`` over HTTP with several random seeds, and try it with hostile clients.

Builds an index of ``examples/wire`` in a temporary folder, starts ``reprints serve`` on
loopback in its own process (bearer token, ``--max-body-bytes 100000 --max-text-chars 20000``,
``--log-level warning``; ``--server-workers N`` for forked query workers) and runs, for each
seed in ``--seeds``:

1. **schemathesis** (its CLI, ``schemathesis run``) on the server's OpenAPI schema: every check
   (``--checks all``), positive and negative data (``--mode all``), all phases (examples,
   coverage, fuzzing, stateful: the schema's links lead from POST /documents and POST /query to
   GET /documents/{id} and GET /clusters/{id}), ``--max-examples`` per operation. Failures
   accepted as the API's design are listed, with the reason, in ``fuzz_service_baseline.json``
   (``--baseline``); anything else fails the run.
2. **hypothesis, by hand**, for what schemathesis does not generate (it sends valid UTF-8 text,
   no lone surrogates): POST /query with wire stories carrying lone surrogates ("\\ud800" as
   JSON escapes), control characters and odd code points inside the passages that match;
   POST /documents with such texts, ids and metadata, then GET of every id the add accepted;
   GET /documents/{id} with arbitrary percent-encoded bytes; POST bodies of arbitrary bytes.
   Every answer must be below 500, valid UTF-8 JSON, an error of the shape
   ``{"error", "detail"}``; a query's offsets must index the text as sent (a lone surrogate
   counts one code point, as the U+FFFD that replaces it); an accepted id must be fetchable.

Then (unless ``--no-hostile``) the issue-13 clients once, against a server of their own with the
default limits: 40 connections without a token each sending a whole 9.9 MB body (the server's
memory before and at its peak, and the answers), and 150 connections that send half a request
line and stop (how many the server closes within 30 s, and when the last one went). Finally the server must still answer /health, and its log must hold
no traceback. Prints a summary and writes ``--out``/fuzz_service_results.json.

    .venv/bin/python benchmarks/fuzz_service.py --seeds 1,2,3,4,5 --max-examples 100
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from _common import code_state, machine_info, write_json  # noqa: E402

WIRE = ROOT / "examples" / "wire" / "stories.jsonl"
BASELINE = ROOT / "benchmarks" / "fuzz_service_baseline.json"
MAX_BODY, MAX_TEXT = 100_000, 20_000
_SURROGATE = re.compile("[\ud800-\udfff]")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_rss_mb(pid: int) -> float:
    import psutil

    proc = psutil.Process(pid)
    procs = [proc] + proc.children(recursive=True)
    return round(sum(p.memory_info().rss for p in procs) / 2**20, 1)


class Server:
    def __init__(self, workdir: Path, workers: int, small_limits: bool = True, name: str = "server"):
        self.port = free_port()
        self.token = secrets.token_urlsafe(24)
        self.log_path = workdir / f"{name}.log"
        index = workdir / f"{name}.duckdb"
        subprocess.run([sys.executable, "-m", "reprints", "index", "add", str(index), str(WIRE)], check=True,
                       capture_output=True)
        cmd = [sys.executable, "-m", "reprints", "serve", str(index), "--port", str(self.port), "--log-level", "warning"]
        if small_limits:
            cmd += ["--max-body-bytes", str(MAX_BODY), "--max-text-chars", str(MAX_TEXT)]
        if workers:
            cmd += ["--workers", str(workers)]
        env = dict(os.environ, REPRINTS_TOKEN=self.token, PYTHONWARNINGS="ignore::FutureWarning")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while not self.healthy():
            if time.time() > deadline or self.proc.poll() is not None:
                sys.exit(f"server did not start; see {self.log_path}")
            time.sleep(0.2)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def healthy(self) -> bool:
        import httpx

        try:
            return httpx.get(self.url + "/health", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


# --- 1. schemathesis ---------------------------------------------------------------------


def run_schemathesis(server: Server, seed: int, examples: int, outdir: Path, baseline: Path | None) -> dict:
    exe = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or shutil.which("schemathesis")
    if exe is None:
        sys.exit("schemathesis is not installed (pip install schemathesis)")
    report = outdir / f"schemathesis-seed{seed}.json"
    cmd = [exe, "run", server.url + "/openapi.json", "-H", f"Authorization: Bearer {server.token}",
           "--checks", "all", "--mode", "all", "--seed", str(seed), "--max-examples", str(examples),
           "--continue-on-failure", "--generation-database", "none", "--request-timeout", "30",
           "--report", "json", "--report-json-path", str(report), "--no-color", "--workers", "1"]
    if baseline is not None:
        cmd += ["--baseline", str(baseline)]
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    (outdir / f"schemathesis-seed{seed}.txt").write_text(done.stdout + done.stderr)
    data = json.loads(report.read_text()) if report.exists() else {}
    return {
        "seed": seed, "exit_code": done.returncode, "seconds": round(seconds, 1),
        "generated": data.get("test_cases", {}).get("generated"),
        "failures": [{"code": f.get("code"), "title": f.get("title"), "count": f.get("count"),
                      "operations": f.get("operations")} for f in data.get("failures", [])],
        "errors": data.get("errors", []),
        "baseline": data.get("baseline"),
        "warnings": {k: v for k, v in (data.get("warnings") or {}).items() if v},
    }


# --- 2. hypothesis, by hand --------------------------------------------------------------


class Findings:
    def __init__(self):
        self.items: list[dict] = []
        self.requests = 0
        self.statuses: dict[str, dict[int, int]] = {}  # by operation

    def note(self, where: str, status: int) -> None:
        self.requests += 1
        counts = self.statuses.setdefault(where, {})
        counts[status] = counts.get(status, 0) + 1

    def add(self, kind: str, what: str, request: object, response: object) -> None:
        if len(self.items) < 50 and not any(i["kind"] == kind and i["what"] == what for i in self.items):
            self.items.append({"kind": kind, "what": what, "request": repr(request)[:500],
                               "response": repr(response)[:500]})


def check_answer(r, findings: Findings, where: str, request: object) -> dict | None:
    """The answer is below 500, valid UTF-8 JSON, and an error has the error shape."""
    findings.note(where, r.status_code)
    if r.status_code >= 500:
        findings.add("5xx", f"{where}: {r.status_code}", request, r.content[:300])
        return None
    try:
        body = json.loads(r.content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        findings.add("not UTF-8 JSON", f"{where}: {type(err).__name__}", request, r.content[:300])
        return None
    if r.status_code >= 400 and not (isinstance(body, dict) and isinstance(body.get("error"), str)
                                     and set(body) == {"error", "detail"}):
        findings.add("error shape", f"{where}: {r.status_code}", request, body)
    return body


def hand_fuzz(server: Server, seed: int, examples: int) -> dict:
    import httpx
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hseed
    from hypothesis import strategies as st

    stories = [json.loads(line)["text"] for line in WIRE.read_text(encoding="utf-8").splitlines() if line.strip()]
    findings = Findings()
    client = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {server.token}"}, timeout=60)
    json_headers = {"Content-Type": "application/json"}

    surrogate = st.integers(0xD800, 0xDFFF).map(chr)
    control = st.integers(0, 0x1F).map(chr) | st.sampled_from(["\x7f", "\x85", "\u2028", "\ufeff", "\u200b"])
    odd = surrogate | control | st.text(max_size=4) | st.sampled_from(["\U0001F600", "e\u0301", "\ufffd", "\\u", '"'])
    wild = st.lists(st.text(max_size=12) | odd, max_size=12).map("".join)
    printable = st.text(st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=20)

    @st.composite
    def story_text(draw):
        story = draw(st.sampled_from(stories))
        begin = draw(st.integers(0, len(story) // 2))
        text = story[begin:begin + draw(st.integers(100, 2000))]
        for _ in range(draw(st.integers(0, 6))):
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(odd) + text[at:]
        return text

    def as_read(value: object) -> object:
        return json.loads(json.dumps(value, ensure_ascii=True))

    def send(path: str, value: object):
        body = json.dumps(value, ensure_ascii=True).encode("ascii")  # lone surrogates as "\ud800" escapes
        return client.post(path, content=body, headers=json_headers)

    common = settings(max_examples=examples, deadline=None, database=None, derandomize=False,
                      suppress_health_check=list(HealthCheck))

    @hseed(seed)
    @common
    @given(text=story_text() | wild, source=st.none() | wild)
    def queries(text, source):
        # as the server reads it: a high and a low surrogate side by side are one code point in JSON
        request = as_read({"text": text, **({"source": source} if source is not None else {})})
        text, source = request["text"], request.get("source")
        r = send("/query", request)
        answer = check_answer(r, findings, "POST /query", request)
        if answer is None or r.status_code != 200:
            if r.status_code != 200:
                findings.add("refused", f"POST /query: {r.status_code}", request, answer)
            return
        repaired = _SURROGATE.sub("\ufffd", text)
        if answer["length"] != len(text):
            findings.add("offsets", "POST /query: length differs from the text's", request, answer["length"])
        for match in answer["matches"]:
            for p in match["passages"]:
                if p["text"] != repaired[p["begin"]:p["end"]]:
                    findings.add("offsets", "POST /query: passage text is not text[begin:end]", request, p)
        repaired_any = bool(_SURROGATE.search(text)) or bool(source and _SURROGATE.search(source))
        if repaired_any != bool(answer.get("warnings")):
            findings.add("warnings", "POST /query: warnings do not say what was replaced", request, answer.get("warnings"))

    counter = {"n": 0}

    @hseed(seed)
    @common
    @given(docs=st.lists(st.tuples(
        st.dictionaries(wild, wild | st.integers() | st.none() | st.lists(wild, max_size=2), max_size=2),
        st.fixed_dictionaries({"id": wild | printable | printable, "text": story_text() | story_text() | wild},
                              optional={"source": wild, "date": wild, "title": wild}),
    ).map(lambda extra_doc: {**extra_doc[0], **extra_doc[1]}), min_size=1, max_size=3))
    def documents(docs):
        counter["n"] += 1
        for k, d in enumerate(docs):  # mostly distinct ids across examples; the wild ones as drawn
            if d["id"] and counter["n"] % 2:
                d["id"] = f"{d['id']}~{seed}.{counter['n']}.{k}"
        request = as_read({"documents": docs})
        docs = request["documents"]
        r = send("/documents", request)
        answer = check_answer(r, findings, "POST /documents", request)
        if answer is None or r.status_code != 200:
            return
        texts = {d["id"]: d["text"] for d in docs}
        for doc_id in answer["added_ids"] + answer["replaced"]:
            g = client.get("/documents/" + quote(doc_id, safe="").replace(".", "%2E"))
            got = check_answer(g, findings, "GET /documents/{id}", doc_id)
            if got is None:
                continue
            if g.status_code != 200 or got.get("doc_id") != doc_id:
                findings.add("id not fetchable", f"GET /documents/{{id}}: {g.status_code}", doc_id, got)
            elif doc_id in texts and got["text"] != _SURROGATE.sub("\ufffd", texts[doc_id]):
                findings.add("text", "GET /documents/{id}: text differs from the text sent (repaired)", doc_id,
                             got["text"][:100])

    @hseed(seed)
    @common
    @given(raw=st.binary(max_size=300), path=st.sampled_from(["/query", "/documents"]))
    def raw_bodies(raw, path):
        r = client.post(path, content=raw, headers=json_headers)
        check_answer(r, findings, f"POST {path} (raw bytes)", raw)

    @hseed(seed)
    @common
    @given(raw=st.binary(min_size=1, max_size=40))
    def get_paths(raw):
        r = client.get("/documents/" + quote(raw, safe=""))
        answer = check_answer(r, findings, "GET /documents/{bytes}", raw)
        if answer is not None and r.status_code not in (200, 404, 422):
            findings.add("status", f"GET /documents/{{bytes}}: {r.status_code}", raw, answer)

    started = time.perf_counter()
    for test in (queries, documents, raw_bodies, get_paths):
        test()
    client.close()
    return {"seed": seed, "requests": findings.requests, "statuses": {w: dict(sorted(c.items())) for w, c in findings.statuses.items()},
            "findings": findings.items, "seconds": round(time.perf_counter() - started, 1)}


# --- 3. hostile clients (issue 13) -------------------------------------------------------


def hostile(server: Server) -> dict:
    import threading

    out: dict = {}
    before = tree_rss_mb(server.proc.pid)
    size = 9_900_000
    head = ("POST /documents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {size}\r\n\r\n").encode()
    body = b'{"documents": [{"id": "x", "text": "' + b"a" * (size - 40) + b'"}]}'
    body = body[:size].ljust(size, b" ")
    socks = [socket.create_connection(("127.0.0.1", server.port), timeout=60) for _ in range(40)]
    sent = []

    def blast(sock):  # the whole body, as the clients did; the server may answer first
        try:
            sock.sendall(head + body)
            sent.append(True)
        except OSError:
            sent.append(False)

    threads = [threading.Thread(target=blast, args=(sk,)) for sk in socks]
    for t in threads:
        t.start()
    peak = before
    while any(t.is_alive() for t in threads):
        peak = max(peak, tree_rss_mb(server.proc.pid))
        time.sleep(0.05)
    statuses = []
    for sk in socks:
        try:
            data = sk.recv(4096)
            statuses.append(int(data.split()[1]) if data.startswith(b"HTTP/1.1 ") else repr(data[:20]))
        except OSError as err:
            statuses.append(type(err).__name__)
        peak = max(peak, tree_rss_mb(server.proc.pid))
        sk.close()
    out["unauthenticated_9.9MB_bodies"] = {"connections": 40, "bodies_sent_whole": sum(sent),
                                           "statuses": sorted(set(map(str, statuses))),
                                           "server_rss_mb_before": before, "server_rss_mb_peak": peak}
    # slow request lines: the server's header timeout (10 s by default) closes them; waited
    # for together, for at most 30 s
    import selectors

    slow = []
    for _ in range(150):
        sk = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        sk.sendall(b"POST /query HT")
        sk.setblocking(False)
        slow.append(sk)
    started = time.perf_counter()
    closed_after = []
    with selectors.DefaultSelector() as sel:
        for sk in slow:
            sel.register(sk, selectors.EVENT_READ)
        while sel.get_map() and time.perf_counter() - started < 30:
            for key, _ in sel.select(timeout=0.5):
                try:
                    data = key.fileobj.recv(4096)
                except OSError:
                    data = b""
                if not data:
                    closed_after.append(time.perf_counter() - started)
                    sel.unregister(key.fileobj)
    for sk in slow:
        sk.close()
    out["slow_request_lines"] = {"connections": 150, "closed_by_server_within_30s": len(closed_after),
                                 "last_closed_after_s": round(max(closed_after), 1) if closed_after else None}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="1,2,3,4,5", help="comma-separated random seeds")
    parser.add_argument("--max-examples", type=int, default=100, help="schemathesis examples per operation and seed")
    parser.add_argument("--hand-examples", type=int, default=150, help="hypothesis examples per hand-written test and seed")
    parser.add_argument("--server-workers", type=int, default=0, help="reprints serve --workers")
    parser.add_argument("--baseline", default=str(BASELINE), help="accepted schemathesis failures ('' for none)")
    parser.add_argument("--no-hostile", action="store_true", help="skip the hostile-client checks")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "fuzz_service"))
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    outdir = Path(args.out)
    outdir.mkdir(parents=True, exist_ok=True)
    baseline = Path(args.baseline) if args.baseline else None

    results: dict = {"machine": machine_info(), "code": code_state(), "command": " ".join(sys.argv),
                     "server_workers": args.server_workers, "schemathesis": [], "hand": []}
    with tempfile.TemporaryDirectory(prefix="fuzz-service-") as tmp:
        server = Server(Path(tmp), args.server_workers)
        try:
            for seed in seeds:
                st_result = run_schemathesis(server, seed, args.max_examples, outdir, baseline)
                results["schemathesis"].append(st_result)
                print(f"seed {seed}: schemathesis {st_result['generated']} cases, exit {st_result['exit_code']}, "
                      f"failures {[(f['code'], f['operations']) for f in st_result['failures']]}, "
                      f"{st_result['seconds']} s", flush=True)
                hand = hand_fuzz(server, seed, args.hand_examples)
                results["hand"].append(hand)
                print(f"seed {seed}: by hand {hand['requests']} requests {hand['statuses']}, "
                      f"{len(hand['findings'])} findings, {hand['seconds']} s", flush=True)
                for item in hand["findings"]:
                    print("   ", item["kind"], "|", item["what"], "|", item["request"][:200], flush=True)
            results["healthy_after"] = server.healthy()
        finally:
            server.stop()
            log = server.log_path.read_text(errors="replace")
            shutil.copy(server.log_path, outdir / "server.log")
        if not args.no_hostile:  # a server of its own, with the default limits (a 10 MB body is allowed)
            target = Server(Path(tmp), args.server_workers, small_limits=False, name="hostile")
            try:
                results["hostile"] = hostile(target)
                print("hostile:", json.dumps(results["hostile"]), flush=True)
                results["healthy_after"] = results["healthy_after"] and target.healthy()
            finally:
                target.stop()
                log += target.log_path.read_text(errors="replace")
    results["server_log_tracebacks"] = log.count("Traceback")
    results["server_log_lines"] = len(log.splitlines())
    results["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    write_json(outdir / "fuzz_service_results.json", results)
    failed = (any(r["exit_code"] != 0 for r in results["schemathesis"])
              or any(h["findings"] for h in results["hand"])
              or results["server_log_tracebacks"] or not results["healthy_after"])
    print(f"git {results['code'].get('git_head')} (src dirty: {results['code'].get('src_dirty')}), load "
          f"{results['machine']['loadavg_at_start']} -> {results['loadavg_at_end']}; server healthy after: "
          f"{results['healthy_after']}; tracebacks in its log: {results['server_log_tracebacks']}; "
          f"{'FOUND PROBLEMS' if failed else 'nothing found'}; details in {outdir}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
