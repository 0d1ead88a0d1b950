"""Query worker processes for ``reprints serve --workers N``.

A DuckDB file has one writer process, so the workers never open the index: the server process
builds the index's in-memory query snapshot (postings, boilerplate keys, document fields,
cluster spans; see ``reprints.index.store``) and forks N processes that inherit it
copy-on-write and answer POST /query from it. Everything else (HTTP, auth, limits, adds,
lookups) stays in the server process, exactly as with one process.

After every add the server builds the new snapshot and forks a new set of workers before the
add's answer is sent; the old set finishes the queries it holds and exits. Queries that arrive
meanwhile are answered from the old snapshot: the last state before the add became visible,
as in one process. A worker that dies (killed, out of memory) breaks only its set: the query
is answered in the server process and a new set is forked. Workers exit when the server
process is gone (they watch their parent), so a killed server leaves no orphans.
"""

from __future__ import annotations

import asyncio
import gc
import json
import multiprocessing as mp
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from reprints.index.store import Index

# The snapshot a forked worker answers from: set in the server just before it forks.
_SNAPSHOT: Any = None


def _worker_init(parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        signal.set_wakeup_fd(-1)  # inherited from the server's event loop
    except ValueError:
        pass
    gc.unfreeze()
    if _SNAPSHOT is not None:
        _SNAPSHOT._words_lock = threading.Lock()  # another server thread may have held it at fork

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def _worker_ready() -> int:
    return os.getpid()


def encode(answer: dict[str, Any]) -> bytes:
    """JSON as Starlette's JSONResponse renders it."""
    return json.dumps(answer, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode("utf-8")


def _worker_query(text: str, source: str | None) -> bytes:
    return encode(_SNAPSHOT.query(text, source))  # encoded here: the server process has the HTTP work


class QueryWorkers:
    """N forked processes answering queries from the index's snapshot."""

    def __init__(self, index: Index, processes: int):
        if processes < 1:
            raise ValueError("query workers: at least one process")
        if "fork" not in mp.get_all_start_methods():
            raise RuntimeError("query worker processes need fork (Linux, macOS)")
        self.index = index
        self.processes = processes
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._snapshot = None
        self._closed = False

    def refresh(self) -> None:
        """Fork a new set of workers if the index's snapshot changed (after an add)."""
        snapshot = self.index.query_snapshot()
        with self._lock:
            if self._closed or (self._pool is not None and self._snapshot is snapshot):
                return
            old = self._pool
            self._pool = self._fork(snapshot)
            self._snapshot = snapshot
        if old is not None:
            old.shutdown(wait=False)

    def _fork(self, snapshot) -> ProcessPoolExecutor:
        global _SNAPSHOT
        _SNAPSHOT = snapshot
        gc.freeze()  # workers' garbage collections then leave the inherited objects' pages shared
        try:
            pool = ProcessPoolExecutor(self.processes, mp_context=mp.get_context("fork"),
                                       initializer=_worker_init, initargs=(os.getpid(),))
            pool.submit(_worker_ready).result()  # with fork, every process starts on the first submit
        finally:
            gc.unfreeze()
            _SNAPSHOT = None
        return pool

    def _here(self, text: str, source: str | None) -> bytes:
        return encode(self.index.query(text, source))

    async def query(self, text: str, source: str | None) -> bytes:
        """The answer to a query, as JSON bytes."""
        if self.index._version != getattr(self._snapshot, "version", None):
            # An add committed whose answer has not yet forked new workers (or it failed to):
            # answer here, from the index's own snapshot, and fork new workers.
            await asyncio.to_thread(self.refresh)
        pool = self._pool
        if pool is None:
            return await asyncio.to_thread(self._here, text, source)
        try:
            return await asyncio.wrap_future(pool.submit(_worker_query, text, source))
        except (BrokenProcessPool, RuntimeError) as error:  # a worker died, or the set was just replaced
            if isinstance(error, BrokenProcessPool):
                with self._lock:
                    if self._pool is pool:
                        self._pool = None
                        self._snapshot = None
                await asyncio.to_thread(self.refresh)
            return await asyncio.to_thread(self._here, text, source)

    def pids(self) -> list[int]:
        """The worker processes of the current set."""
        pool = self._pool
        return sorted(getattr(pool, "_processes", None) or {}) if pool is not None else []

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
