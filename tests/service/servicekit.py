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


GUARD_S = 120  # how long a wait for a condition may take before the test gives up: against hangs, not a speed limit


def wait_until(condition, what: str) -> None:
    """Return once ``condition()`` is true; fail with ``what`` if it is not within GUARD_S (a hang)."""
    deadline = time.monotonic() + GUARD_S
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """A real uvicorn server on 127.0.0.1 in a thread, configured as ``reprints serve`` runs it
    (``uvicorn_config``: the connection cap, header and body deadlines of ``limits``)."""

    def __init__(self, app, limits=None):
        import uvicorn

        from reprints.service.app import Limits, uvicorn_config

        self.port = free_port()
        self.server = uvicorn.Server(uvicorn_config(app, limits or Limits(), host="127.0.0.1", port=self.port,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.thread.start()

        def started() -> bool:
            if not self.thread.is_alive():
                raise RuntimeError("server did not start")
            return self.server.started

        wait_until(started, "server did not start")
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=10)


class AddGate:
    """Holds adds at named points: installed as ``reprints.index.store.on_stage``, it blocks the
    adding thread at each of ``points`` (names from ``store.ADD_POINTS``) until the test
    releases it, so that the test can act while the add is provably held there."""

    def __init__(self, points):
        self.points = list(points)
        self.passed: list[str] = []
        self._reached = {p: threading.Event() for p in self.points}
        self._go = {p: threading.Event() for p in self.points}

    def __call__(self, point: str) -> None:
        self.passed.append(point)
        if point in self._reached:
            self._reached[point].set()
            self._go[point].wait()

    def wait(self, point: str, adding: threading.Thread) -> None:
        """Until the add is held at ``point``; fails if the adding thread ends first."""
        while not self._reached[point].wait(timeout=0.1):
            assert adding.is_alive(), f"the add ended without reaching {point!r} (passed {self.passed})"

    def release(self, point: str) -> None:
        self._go[point].set()

    def release_all(self) -> None:
        for go in self._go.values():
            go.set()


def queries_during_add(url: str, headers: dict, batch: list[dict], text: str, expect_doc: str,
                       gate: AddGate, per_point: int = 2, check=None) -> tuple[object, int]:
    """POST ``batch`` to /documents in a thread; at each of the gate's points, while the add is
    held there, query ``text`` ``per_point`` times: every query must succeed and match
    ``expect_doc``, and ``check(client, point, answer)`` runs after each. ``gate`` must be
    installed as ``reprints.index.store.on_stage``. Returns (add response, queries answered
    while the add was held)."""
    import httpx

    done = {}

    def add():
        try:
            done["response"] = httpx.post(url + "/documents", json={"documents": batch}, headers=headers, timeout=300)
        except BaseException as error:  # reported below, in the test's thread
            done["error"] = error

    writer = threading.Thread(target=add)
    writer.start()
    answered_during = 0
    try:
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            for point in gate.points:
                gate.wait(point, writer)
                for _ in range(per_point):
                    r = client.post("/query", json={"text": text})
                    assert r.status_code == 200, (point, r.text)
                    answer = r.json()
                    assert expect_doc in {m["doc_id"] for m in answer["matches"]}, point
                    assert writer.is_alive() and "response" not in done  # still held at ``point``
                    answered_during += 1
                    if check is not None:
                        check(client, point, answer)
                gate.release(point)
    finally:
        gate.release_all()  # never leave the add blocked, even when an assertion failed
        writer.join()
    if "error" in done:
        raise done["error"]
    return done["response"], answered_during
