"""Postings by key that an add looks up without reading every stored row.

The ``shingles`` table in the DuckDB file stays the record of which n-grams each document holds,
and ``line_keys`` of which boilerplate keys (of lines and templated sentences). Finding every
holder of an add's n-grams (or counting the holders of its keys) in them is one pass over all
rows, which grows with the index; so the same postings are also kept, sorted by key, in
*segments* beside the file (``NAME.postings/``, the line keys in its subfolder ``lines/``), where a
lookup is a search per key:

* every add writes one segment with the postings of the documents it shingled (new and
  re-shingled ones; for lines, new ones), and records in the kind's tombstone table
  (``posting_tombs``, ``line_tombs``) that the older postings of those documents, and of the
  documents it removed, are dead (``doc``, ``seg``: postings of ``doc`` in segments labelled below
  ``seg`` are dead); a document number the add reuses is then alive only in its new segment;
* segments are merged, newest first, while the one before the newest is at most ``MERGE_FACTOR``
  times its size (so there are about log(N) of them and each posting is rewritten about as often);
  a merge drops dead postings, and once it reaches the oldest segment the tombstones it applied
  are no longer needed;
* a search finds each key first in the segment's *fence* (every ``FENCE_STRIDE``-th key, held in
  memory; a file beside large segments, computed on opening small ones), then within one stretch
  of ``FENCE_STRIDE`` keys of the memory-mapped file: one or two pages per key, however large
  the segment (`_native.fenced_bounds`). Opened segments stay open (their files never change);
* which segments make up the index, their sizes and labels are stored in the ``meta`` table, in
  the add's transaction; a segment file is written (and synced) before that transaction commits
  and removed only after a commit that no longer names it. Files named by no committed state
  (an add rolled back or killed) are removed when the index is next written.

The segments are derived data: if they are missing or do not match (an index file copied without
them, or written before they existed), the next add rebuilds them from their table in one pass.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from reprints import _native
from reprints.index.schema import arrow, one

#: A segment is merged into the one before it while that one is at most this many times larger.
MERGE_FACTOR = 4

#: Every this many keys of a segment, one is held in memory (its fence): 512 keys are one page.
FENCE_STRIDE = 512

#: Segments of at least this many postings keep their fence in a file (smaller ones' fences are
#: read from the segment when it is opened: a few hundred pages at most).
FENCE_FILE_ROWS = 1 << 20


@dataclass(frozen=True)
class Kind:
    """What one set of segments holds: its state's key in ``meta``, its tombstone table, the SQL
    that gives every posting (h, doc) sorted (to rebuild from), and its folder's name inside
    ``NAME.postings/`` ("" for that folder itself)."""

    meta_key: str
    tombs: str
    source: str
    subfolder: str


NGRAMS = Kind("postings", "posting_tombs", "SELECT h, doc FROM shingles ORDER BY h, doc", "")
LINES = Kind("line_postings", "line_tombs", "SELECT key AS h, doc FROM line_keys ORDER BY key, doc", "lines")


def folder_for(index_path: Path) -> Path:
    """Where the segments of the index at ``index_path`` live."""
    return Path(str(index_path) + ".postings")


@dataclass
class _Open:
    """One segment's keys and documents (memory-mapped) and its fence (in memory)."""

    h: np.ndarray
    doc: np.ndarray
    fence: np.ndarray


class Segments:
    """The segments of one kind of one index as committed, and what the add in progress changes.

    State (in ``meta``): ``token`` (random, names this index's files, so that another index's
    folder is never taken for this one's), ``next`` (the next file number), ``label`` (the last
    add's label) and ``segments``: ``[file number, label, rows]`` oldest first."""

    def __init__(self, index_path: Path, kind: Kind = NGRAMS):
        self.kind = kind
        self.folder = folder_for(index_path) / kind.subfolder if kind.subfolder else folder_for(index_path)
        self._written: list[Path] = []  # by the add in progress
        self._obsolete: list[Path] = []  # named by the state the add in progress replaces
        self._open: dict[Path, _Open] = {}  # by h path: segment files never change once written

    # --- state -------------------------------------------------------------------------

    def _state(self, con) -> dict | None:
        row = one(con.execute("SELECT value FROM meta WHERE key = ?", [self.kind.meta_key]))
        return json.loads(row[0]) if row else None

    def _save(self, con, state: dict) -> None:
        con.execute("DELETE FROM meta WHERE key = ?", [self.kind.meta_key])
        con.execute("INSERT INTO meta VALUES (?, ?)", [self.kind.meta_key, json.dumps(state)])

    def _paths(self, state: dict, number: int) -> tuple[Path, Path, Path]:
        """The files of segment ``number``: keys, documents, fence (present for large segments)."""
        stem = self.folder / f"{state['token']}-{number:08d}"
        return stem.with_suffix(".h.npy"), stem.with_suffix(".doc.npy"), stem.with_suffix(".fence.npy")

    def _load(self, state: dict, number: int) -> _Open:
        h_path, doc_path, fence_path = self._paths(state, number)
        seg = self._open.get(h_path)
        if seg is None:
            h = np.load(h_path, mmap_mode="r")
            fence = np.load(fence_path) if fence_path.exists() else None
            if fence is None or len(fence) != _fence_length(len(h)):
                fence = _fence_of(h)
                if len(h) >= FENCE_FILE_ROWS:  # a segment written before fences were: once only
                    _save_synced(fence_path, fence)
            seg = _Open(h, np.load(doc_path, mmap_mode="r"), fence)
            self._open[h_path] = seg
        return seg

    def _valid(self, state: dict | None) -> bool:
        if state is None:
            return False
        try:
            for number, _, rows in state["segments"]:
                seg = self._load(state, number)
                if len(seg.h) != rows or len(seg.doc) != rows:
                    return False
        except (OSError, ValueError):
            return False
        return True

    def _write(self, state: dict, h: np.ndarray, doc: np.ndarray) -> int:
        """A new segment's files (sorted by ``h``; with its fence if large); returns its number."""
        number = int(state["next"])
        state["next"] = number + 1
        self.folder.mkdir(parents=True, exist_ok=True)
        h = np.ascontiguousarray(h, dtype=np.uint64)
        h_path, doc_path, fence_path = self._paths(state, number)
        files = [(h_path, h), (doc_path, doc.astype(np.int64))]
        if len(h) >= FENCE_FILE_ROWS:
            files.append((fence_path, _fence_of(h)))
        for path, values in files:
            _save_synced(path, values)
            self._written.append(path)
        return number

    # --- an add ------------------------------------------------------------------------

    def begin(self, con) -> dict:
        """The state an add starts from: the committed one, or segments rebuilt from ``shingles``
        when there are none that match (then every tombstone goes too)."""
        self._written, self._obsolete = [], []
        state = self._state(con)
        if self._valid(state):
            self._remove_strays(state)
            return state
        state = {"token": secrets.token_hex(6), "next": 0, "label": 0, "segments": []}
        con.execute(f"DELETE FROM {self.kind.tombs}")
        table = arrow(con.execute(self.kind.source))
        if table.num_rows:
            h = table.column("h").to_numpy().astype(np.uint64)
            doc = table.column("doc").to_numpy().astype(np.int64)
            del table
            state["segments"].append([self._write(state, h, doc), 0, len(h)])
        self._save(con, state)
        return state

    def append(self, con, state: dict, docs: np.ndarray, grams: np.ndarray, dead: np.ndarray) -> None:
        """Record the add's postings (``docs``[i] holds ``grams``[i]) as a new segment and mark the
        older postings of ``dead`` (documents removed or re-shingled) as dead; merge as the rule says."""
        label = int(state["label"]) + 1
        state["label"] = label
        dead = np.unique(np.asarray(dead, dtype=np.int64))
        if len(dead):
            con.register("dead_docs", pa.table({"doc": pa.array(dead, pa.int64())}))
            try:
                con.execute(f"DELETE FROM {self.kind.tombs} WHERE doc IN (SELECT doc FROM dead_docs)")
                con.execute(f"INSERT INTO {self.kind.tombs} SELECT doc, {label} FROM dead_docs")
            finally:
                con.unregister("dead_docs")
        if len(grams):
            order = np.argsort(grams, kind="stable")
            grams, docs = np.asarray(grams, np.uint64)[order], np.asarray(docs, np.int64)[order]
            state["segments"].append([self._write(state, grams, docs), label, len(grams)])
        while len(state["segments"]) >= 2 and state["segments"][-2][2] <= MERGE_FACTOR * state["segments"][-1][2]:
            self._merge_last_two(con, state)
        self._save(con, state)

    def _merge_last_two(self, con, state: dict) -> None:
        segments = state["segments"]
        (old_n, _, _), (new_n, new_label, _) = segments[-2], segments[-1]
        oldest = len(segments) == 2
        tomb_docs, tomb_labels = self._tombs(con)
        parts = []
        for (number, label, _) in (segments[-2], segments[-1]):
            seg = self._load(state, number)
            h, doc = np.asarray(seg.h), np.asarray(seg.doc)
            live = _alive(doc, label, tomb_docs, tomb_labels)
            parts.append((h[live], doc[live]))
        (h1, d1), (h2, d2) = parts
        pos = np.searchsorted(h1, h2, side="right")
        h, doc = np.insert(h1, pos, h2), np.insert(d1, pos, d2)
        del parts, h1, d1, h2, d2
        number = self._write(state, h, doc)
        self._obsolete += [p for n in (old_n, new_n) for p in self._paths(state, n)]
        state["segments"] = segments[:-2] + [[number, new_label, len(h)]]
        if oldest:  # every posting a tombstone up to this label can kill is gone
            con.execute(f"DELETE FROM {self.kind.tombs} WHERE seg <= {int(new_label)}")

    def _tombs(self, con) -> tuple[np.ndarray, np.ndarray]:
        table = arrow(con.execute(f"SELECT doc, seg FROM {self.kind.tombs} ORDER BY doc"))
        return (table.column("doc").to_numpy().astype(np.int64), table.column("seg").to_numpy().astype(np.int64))

    def find(self, con, state: dict, grams: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every live posting of the keys ``grams``: (keys, documents), segment after segment."""
        grams = np.unique(np.asarray(grams, dtype=np.uint64))
        tomb_docs, tomb_labels = self._tombs(con)
        found_h, found_doc = [np.zeros(0, np.uint64)], [np.zeros(0, np.int64)]
        for number, label, rows in state["segments"]:
            if rows == 0 or len(grams) == 0:
                continue
            seg = self._load(state, number)
            take = ranges(*_native.fenced_bounds(seg.h, seg.fence, FENCE_STRIDE, grams))
            h, doc = np.asarray(seg.h[take]), np.asarray(seg.doc[take])
            live = _alive(doc, label, tomb_docs, tomb_labels)
            found_h.append(h[live])
            found_doc.append(doc[live])
        return np.concatenate(found_h), np.concatenate(found_doc)

    def close(self) -> None:
        """Forget the opened segments (their memory maps close once no array holds them)."""
        self._open.clear()

    # --- after the transaction ---------------------------------------------------------

    def committed(self) -> None:
        """The add committed: files its state no longer names go."""
        self._remove(self._obsolete)

    def rolled_back(self) -> None:
        """The add was rolled back: the files it wrote go."""
        self._remove(self._written)

    def _remove(self, paths: list[Path]) -> None:
        for path in paths:
            self._open.pop(path, None)
            path.unlink(missing_ok=True)
        self._written, self._obsolete = [], []

    def _remove_strays(self, state: dict) -> None:
        """Remove segment files the committed ``state`` does not name (left by an add killed before
        or after its commit); other files in the folder are left alone."""
        if not self.folder.is_dir():
            return
        named = {p.name for n, _, _ in state["segments"] for p in self._paths(state, n)}
        for path in self.folder.iterdir():
            if path.name.endswith((".npy", ".npy.tmp")) and path.name not in named:
                self._open.pop(path, None)
                path.unlink(missing_ok=True)


def into_table(con, table: str, doc: np.ndarray, h: np.ndarray) -> None:
    """Postings (doc, h) into temporary table ``table`` (created, or added to)."""
    con.register("found_postings", pa.table({"doc": pa.array(doc, pa.int64()), "h": pa.array(h, pa.uint64())}))
    try:
        con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} (doc BIGINT, h UBIGINT)")
        con.execute(f"INSERT INTO {table} SELECT doc, h FROM found_postings")
    finally:
        con.unregister("found_postings")


def _save_synced(path: Path, values: np.ndarray) -> None:
    """``values`` into ``path`` (a .npy file), whole or not at all, synced to disk."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        np.save(handle, values)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _fence_length(rows: int) -> int:
    return (rows + FENCE_STRIDE - 1) // FENCE_STRIDE


def _fence_of(h: np.ndarray) -> np.ndarray:
    """Every ``FENCE_STRIDE``-th key of sorted keys ``h``, in memory (`_native.fenced_bounds`)."""
    return np.ascontiguousarray(h[::FENCE_STRIDE], dtype=np.uint64)


def _alive(doc: np.ndarray, label: int, tomb_docs: np.ndarray, tomb_labels: np.ndarray) -> np.ndarray:
    """Which postings of a segment labelled ``label`` are alive under the tombstones (``tomb_docs``
    sorted): a document's postings in segments labelled below its tombstone's are dead. The one
    rule of lookups and merges."""
    if len(tomb_docs) == 0:
        return np.ones(len(doc), dtype=bool)
    k = np.searchsorted(tomb_docs, doc)
    hit = k < len(tomb_docs)
    hit[hit] = tomb_docs[k[hit]] == doc[hit]
    alive = np.ones(len(doc), dtype=bool)
    alive[hit] = label >= tomb_labels[k[hit]]
    return alive


def ranges(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The positions lo[i] .. hi[i] - 1 of every i, concatenated."""
    sizes = (hi - lo).astype(np.int64)
    keep = sizes > 0
    lo, sizes = lo[keep].astype(np.int64), sizes[keep]
    if len(sizes) == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.repeat(lo - np.concatenate([[0], np.cumsum(sizes)[:-1]]), sizes)
    return starts + np.arange(int(sizes.sum()), dtype=np.int64)
