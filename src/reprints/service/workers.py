"""Query worker processes for ``reprints serve --workers N``.

A DuckDB file has one writer process, so the workers never open the index: the server process
builds the index's in-memory query snapshot (postings, boilerplate keys, document fields,
cluster spans; see ``reprints.index.store``) and forks N processes that inherit it
copy-on-write and answer POST /query from it. Everything else (HTTP, auth, limits, adds,
lookups) stays in the server process, exactly as with one process.

Each worker talks to the server over its own socket pair: a query goes down as a pickled
``(text, source, limit)``, the answer comes back as the JSON bytes to send. The server's event loop
reads and writes those sockets itself (no helper threads, no pool machinery). A forked worker
closes every inherited file descriptor but its socket (the listening socket, client
connections, the DuckDB file), so it holds nothing of the server's; when the server process
ends, SIGKILL included, the worker reads end-of-file and exits.

After every add the server builds the new snapshot and forks a new set of workers before the
add is answered; the old set finishes the queries it holds and is then closed. Queries that
arrive meanwhile are answered from the old snapshot: the last state before the add became
visible, as in one process. A worker that dies (killed, out of memory) is dropped: its query
is answered in the server process and a new set is forked.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import pickle
import re
import signal
import socket
import threading
from typing import Any

from reprints.config import QUERY_LIMIT
from reprints.index.store import Index

_HEADER = 4  # bytes of big-endian length before every message


_SURROGATE = re.compile("[\ud800-\udfff]")


def encode(answer: dict[str, Any]) -> bytes:
    """JSON as Starlette's JSONResponse renders it; a lone surrogate (which UTF-8 cannot hold)
    is sent as U+FFFD, as by the app's ``SafeJSONResponse``."""
    text = json.dumps(answer, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text).encode("utf-8")


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def _worker_main(sock: socket.socket, snapshot) -> None:
    """A forked worker: answer queries from ``snapshot`` until the socket closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        signal.set_wakeup_fd(-1)  # inherited from the server's event loop
    except ValueError:
        pass
    fd = sock.fileno()
    os.closerange(3, fd)  # everything inherited but our socket (and stdio)
    os.closerange(fd + 1, 1 << 20)
    snapshot._words_lock = threading.Lock()  # another server thread may have held it at fork
    while True:
        header = _recv_exact(sock, _HEADER)
        if header is None:
            return
        payload = _recv_exact(sock, int.from_bytes(header, "big"))
        if payload is None:
            return
        try:
            text, source, limit = pickle.loads(payload)
            out = b"\x00" + encode(snapshot.query(text, source, limit))
        except Exception as error:  # answered as a server error, as in one process
            out = b"\x01" + f"{type(error).__name__}: {error}".encode("utf-8", "replace")
        sock.sendall(len(out).to_bytes(_HEADER, "big") + out)


class WorkerError(RuntimeError):
    """A query failed inside a worker process."""


class _Worker:
    def __init__(self, pid: int, sock: socket.socket):
        self.pid = pid
        self.sock = sock


class _Set:
    """The workers forked with one snapshot. Only the event loop touches ``idle``, ``waiting``
    and ``alive``; ``None`` in ``idle`` says that no worker of the set is left."""

    def __init__(self, snapshot, workers: list[_Worker]):
        self.snapshot = snapshot
        self.workers = workers
        self.idle: asyncio.Queue[_Worker | None] = asyncio.Queue()
        for w in workers:
            self.idle.put_nowait(w)
        self.waiting = 0  # queries waiting for an idle worker of this set
        self.alive = len(workers)
        self.retired = False  # a newer set answers new queries
        self.broken = False  # a worker was lost: fork a new set


class QueryWorkers:
    """N forked processes answering queries from the index's snapshot."""

    def __init__(self, index: Index, processes: int):
        if processes < 1:
            raise ValueError("query workers: at least one process")
        if not hasattr(os, "fork"):
            raise RuntimeError("query worker processes need fork (Linux, macOS)")
        self.index = index
        self.processes = processes
        self._lock = threading.Lock()
        self._set: _Set | None = None
        self._retired: list[_Set] = []
        self._exited: list[int] = []  # closed workers not yet reaped
        self._closed = False

    # --- forking (any thread) ------------------------------------------------------------

    def refresh(self) -> None:
        """Fork a new set of workers if the index's snapshot changed (after an add)."""
        snapshot = self.index.query_snapshot()
        with self._lock:
            if self._closed or (self._set is not None and self._set.snapshot is snapshot and not self._set.broken):
                return
            old, self._set = self._set, self._fork(snapshot)
            if old is not None:
                old.retired = True
                self._retired.append(old)

    def _fork(self, snapshot) -> _Set:
        workers = []
        gc.freeze()  # workers' garbage collections then leave the inherited objects' pages shared
        try:
            for _ in range(self.processes):
                parent, child = socket.socketpair()
                pid = os.fork()
                if pid == 0:  # the worker
                    code = 0
                    try:
                        parent.close()
                        _worker_main(child, snapshot)
                    except BaseException:
                        code = 1
                    finally:
                        os._exit(code)
                child.close()
                parent.setblocking(False)
                workers.append(_Worker(pid, parent))
        finally:
            gc.unfreeze()
        return _Set(snapshot, workers)

    def pids(self) -> list[int]:
        """The worker processes of the current set."""
        current = self._set
        return sorted(w.pid for w in current.workers) if current is not None else []

    # --- answering (the event loop) ------------------------------------------------------

    def _here(self, text: str, source: str | None, limit: int = QUERY_LIMIT) -> bytes:
        return encode(self.index.query(text, source, limit))

    def _finish(self, s: _Set, w: _Worker) -> None:
        """Close a worker's socket (it exits on end-of-file); collect it later."""
        try:
            w.sock.close()
        except OSError:
            pass
        self._exited.append(w.pid)
        s.alive -= 1
        if s.alive == 0:
            s.idle.put_nowait(None)  # wakes any query still waiting on this set

    def _reap(self) -> None:
        """Close the idle workers of retired sets nobody waits on; collect exited processes."""
        with self._lock:
            retired = list(self._retired)
        for s in retired:
            if s.waiting == 0:
                while not s.idle.empty():
                    w = s.idle.get_nowait()
                    if w is not None:
                        self._finish(s, w)
            if s.alive == 0:
                with self._lock:
                    if s in self._retired:
                        self._retired.remove(s)
        still = []
        for pid in self._exited:
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                continue
            if done == 0:
                still.append(pid)
        self._exited = still

    async def query(self, text: str, source: str | None, limit: int = QUERY_LIMIT) -> bytes:
        """The answer to a query, as JSON bytes."""
        current = self._set
        if current is None or current.broken or self.index._version != current.snapshot.version:
            # An add committed whose answer has not yet forked new workers (or that failed to),
            # or a worker was lost: fork anew (the snapshot is read from the index first).
            await asyncio.to_thread(self.refresh)
            current = self._set
            if current is None:  # closed
                return await asyncio.to_thread(self._here, text, source, limit)
        if self._retired or self._exited:
            self._reap()
        current.waiting += 1
        try:
            w = await current.idle.get()
        finally:
            current.waiting -= 1
        if w is None:  # no worker left in this set: pass the word on, answer here
            current.idle.put_nowait(None)
            return await asyncio.to_thread(self._here, text, source, limit)
        loop = asyncio.get_running_loop()
        try:
            payload = pickle.dumps((text, source, limit), protocol=pickle.HIGHEST_PROTOCOL)
            await loop.sock_sendall(w.sock, len(payload).to_bytes(_HEADER, "big") + payload)
            size = int.from_bytes(await self._recv(loop, w.sock, _HEADER), "big")
            answer = await self._recv(loop, w.sock, size)
        except (OSError, EOFError):  # the worker died: drop it, answer here; the next query forks anew
            current.broken = True
            self._finish(current, w)
            return await asyncio.to_thread(self._here, text, source, limit)
        except BaseException:  # cancelled mid-exchange: the socket's state is unknown
            current.broken = True
            self._finish(current, w)
            raise
        if current.retired and current.waiting == 0:
            self._finish(current, w)
        else:
            current.idle.put_nowait(w)
        if answer[:1] != b"\x00":
            raise WorkerError(answer[1:].decode("utf-8", "replace"))
        return answer[1:]

    @staticmethod
    async def _recv(loop, sock: socket.socket, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            chunk = await loop.sock_recv(sock, min(n - len(buf), 1 << 20))
            if not chunk:
                raise EOFError("query worker closed its socket")
            buf += chunk
        return bytes(buf)

    def close(self) -> None:
        """Close every worker (they exit on end-of-file) and collect them."""
        with self._lock:
            self._closed = True
            sets = ([self._set] if self._set is not None else []) + self._retired
            self._set, self._retired = None, []
        pids = list(self._exited)
        for s in sets:
            for w in s.workers:
                try:
                    w.sock.close()
                except OSError:
                    pass
                pids.append(w.pid)
        for pid in pids:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        self._exited = []
