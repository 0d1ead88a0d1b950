"""``reprints serve --workers N``: queries answered by forked processes holding the index's
query snapshot; adds, auth and lookups stay in the server process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading

import httpx
import pytest

from servicekit import GUARD_S, TOKEN, AddGate, LiveServer, free_port, queries_during_add, wait_until
from reprints.index import Index, store
from reprints.service.app import Limits, create_app
from reprints.service.workers import QueryWorkers

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forked query workers; /proc")

# ``reprints serve`` whose adds print each point they reach (``store.ADD_POINTS``) and block at
# the point named by argv[1] until the process is killed.
SERVE_SCRIPT = """
import sys
import threading
from reprints.cli import main
from reprints.index import store
stop_at = sys.argv[1]


def reached(point):
    print(point, flush=True)
    if point == stop_at:
        threading.Event().wait()


store.on_stage = reached
sys.argv = ["reprints", *sys.argv[2:]]
sys.exit(main())
"""
def _children(pid: int) -> set[int]:
    """Live (not zombie) child processes of ``pid``, from /proc."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.add(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_workers_answer_as_the_index_does_and_see_adds(tmp_path, wire_rows):
    index = Index(tmp_path / "ix.duckdb")
    index.add(wire_rows[1:])
    workers = QueryWorkers(index, 2)
    workers.refresh()
    try:
        with LiveServer(create_app(index, TOKEN, Limits(), workers)) as server:
            headers = {"Authorization": f"Bearer {TOKEN}"}
            with httpx.Client(base_url=server.url, headers=headers, timeout=60) as client:
                assert len(workers.pids()) == 2
                for row in wire_rows[:8]:
                    r = client.post("/query", json={"text": row["text"], "source": row.get("source")})
                    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
                    assert r.json() == index.query(row["text"], row.get("source"))
                assert httpx.post(server.url + "/query", json={"text": "x"}).status_code == 401
                assert client.post("/query", json={"text": 5}).status_code == 422
                text = wire_rows[0]["text"]
                assert wire_rows[0]["id"] not in {m["doc_id"] for m in client.post("/query", json={"text": text}).json()["matches"]}
                # a keep-alive connection open while the add forks new workers
                raw = socket.create_connection(("127.0.0.1", server.port), timeout=10)
                raw.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                assert b" 200 " in raw.recv(65536)
                # an add forks new workers with the new snapshot before it answers
                assert client.post("/documents", json={"documents": wire_rows[:1]}).status_code == 200
                after = client.post("/query", json={"text": text}).json()
                assert after == index.query(text)
                # workers forked while serving hold none of the server's descriptors (listening
                # socket, client connections, DuckDB file): only stdio and their own socket
                wait_until(lambda: all(len(os.listdir(f"/proc/{pid}/fd")) <= 4 for pid in workers.pids()),
                            "workers kept the server's descriptors")
                # so a connection the server closes is closed for the client at once
                with raw:
                    raw.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    got = b""
                    while chunk := raw.recv(65536):
                        got += chunk
                    assert b" 200 " in got
                exact = next(m for m in after["matches"] if m["doc_id"] == wire_rows[0]["id"])
                assert exact["exact_duplicate"]
                # a worker that dies breaks only its set: the query is answered, new workers forked
                for pid in workers.pids():
                    os.kill(pid, signal.SIGKILL)
                r = client.post("/query", json={"text": text})
                assert r.status_code == 200 and r.json() == after
                assert client.post("/query", json={"text": text}).json() == after
    finally:
        workers.close()
        index.close()


def test_queries_answered_by_workers_while_an_add_runs(tmp_path, wire_rows, monkeypatch):
    sys.path.insert(0, str(os.path.join(os.path.dirname(__file__), "..", "index")))
    from test_index_kill import _variants

    index = Index(tmp_path / "ix.duckdb")
    index.add(wire_rows)
    batch = _variants(wire_rows, per_story=4)
    source = next(r for r in wire_rows if r["id"] == "nw-port-strike")
    old_answer = index.query(source["text"])
    workers = QueryWorkers(index, 2)
    workers.refresh()
    gate = AddGate(store.ADD_POINTS)  # held at every point, up to after its COMMIT
    monkeypatch.setattr(store, "on_stage", gate)
    try:
        with LiveServer(create_app(index, TOKEN, Limits(max_batch=1000), workers)) as server:
            headers = {"Authorization": f"Bearer {TOKEN}"}
            old_pids = workers.pids()

            def last_committed_state(client, point, answer):
                if point != "committed":  # the workers forked before the add answer, from the old snapshot
                    assert answer == old_answer and workers.pids() == old_pids, point
                else:  # committed, not yet answered: the old state or the new one, never a mix
                    assert answer in (old_answer, index.query(source["text"]))

            response, answered_during = queries_during_add(server.url, headers, batch, source["text"],
                                                           "nw-port-strike", gate, check=last_committed_state)
            assert response.status_code == 200, response.text
            assert answered_during == 2 * len(store.ADD_POINTS)
            assert set(workers.pids()).isdisjoint(old_pids)
            with httpx.Client(base_url=server.url, headers=headers, timeout=60) as client:
                # the new reprints are seen by the (new) workers
                found = {m["doc_id"] for m in client.post("/query", json={"text": source["text"]}).json()["matches"]}
                assert found == {m["doc_id"] for m in index.query(source["text"])["matches"]}
                assert len(found) > 1 + 4 - 1
    finally:
        workers.close()
        index.close()


def test_killed_server_leaves_no_workers_and_a_consistent_index(tmp_path, wire_rows):
    path = tmp_path / "ix.duckdb"
    with Index(path) as index:
        index.add(wire_rows[:10])
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVE_SCRIPT, "candidates", "serve", str(path), "--port", str(port),
                               "--workers", "2", "--log-level", "warning"],
                              env=dict(os.environ, REPRINTS_TOKEN=TOKEN), stdout=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    adding = None
    try:
        def up() -> bool:
            assert server.poll() is None, "server did not start"
            try:
                return httpx.get(url + "/health", timeout=GUARD_S).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(up, "server did not start")
        assert httpx.post(url + "/query", json={"text": wire_rows[0]["text"]}, headers=headers).status_code == 200
        workers = _children(server.pid)
        assert len(workers) >= 2
        # killed in the middle of an add: held at a stage boundary, its candidates written
        adding = threading.Thread(target=lambda: _quietly(lambda: httpx.post(
            url + "/documents", json={"documents": wire_rows[10:]}, headers=headers, timeout=GUARD_S)))
        adding.start()
        passed = [server.stdout.readline().strip() for _ in store.ADD_POINTS[:4]]  # blocks until printed
        assert passed == ["begin", "boilerplate", "shingle", "candidates"], passed
        server.send_signal(signal.SIGKILL)
        server.wait()
        adding.join()
        wait_until(lambda: not any(_alive(p) for p in workers), "query workers outlived the killed server")
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        if adding is not None:
            adding.join()
        server.stdout.close()
    with Index(path) as index:  # none of the add
        assert index.stats()["documents"] == 10
        index.add(wire_rows)
        assert index.stats()["documents"] == len(wire_rows)


def _quietly(call):
    try:
        call()
    except httpx.HTTPError:
        pass
