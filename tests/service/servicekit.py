"""Helpers for the service tests (a module of its own: test modules import from it, never
from conftest, whose module name is shared by every conftest.py in the tree)."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WIRE = ROOT / "examples" / "wire" / "stories.jsonl"
TOKEN = "test-token-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """A real uvicorn server on 127.0.0.1 in a thread."""

    def __init__(self, app):
        import uvicorn

        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.thread.start()
        deadline = time.time() + 20
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=10)


def queries_during_add(url: str, headers: dict, batch: list[dict], text: str, expect_doc: str,
                       check=None) -> tuple[object, int, float]:
    """POST ``batch`` to /documents in a thread and keep querying ``text`` until it is answered;
    every query must succeed and match ``expect_doc``; ``check(client)`` runs after each query
    answered while the add was still running. Returns (add response, queries answered during
    the add, add seconds)."""
    import httpx

    done = {}

    def add():
        started = time.perf_counter()
        done["response"] = httpx.post(url + "/documents", json={"documents": batch}, headers=headers, timeout=300)
        done["seconds"] = time.perf_counter() - started

    writer = threading.Thread(target=add)
    writer.start()
    answered_during = 0
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        time.sleep(0.2)
        while writer.is_alive():
            r = client.post("/query", json={"text": text})
            assert r.status_code == 200
            assert expect_doc in {m["doc_id"] for m in r.json()["matches"]}
            if writer.is_alive():
                answered_during += 1
                if check is not None:
                    check(client)
    writer.join()
    return done["response"], answered_during, done["seconds"]
