"""Containers a query snapshot shares with the snapshot it was advanced from.

An add advances the server's snapshot by the documents it changed (`snapshot.Snapshot.advance`),
while queries may still be reading the snapshot before it, which must not change. Copying each
per-document list and the fingerprint groups whole costs a pass over the index per add (50 ms at
1,000,000 documents); these containers are split into chunks that a copy shares, and a chunk is
copied only when the new snapshot first changes a value in it (copy on write).
"""

from __future__ import annotations

from typing import Any, Iterator

#: Values per chunk of a `Column` (a power of two).
CHUNK = 1024

#: Dictionaries a `Groups` is split into (a power of two), by the fingerprint's low bits.
SHARDS = 4096


class Column:
    """A list of values by document number (``values``; ``None`` where there is none) made of
    chunks of `CHUNK` values; `grown` gives a copy that shares them."""

    def __init__(self, values: list[Any]):
        self._chunks = [values[lo:lo + CHUNK] for lo in range(0, len(values), CHUNK)]
        if self._chunks:
            self._chunks[-1] += [None] * (CHUNK - len(self._chunks[-1]))
        self._n = len(values)
        self._own = set(range(len(self._chunks)))  # chunks no other column holds

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, d: int) -> Any:
        if not 0 <= d < self._n:
            raise IndexError(d)
        return self._chunks[d // CHUNK][d % CHUNK]

    def __setitem__(self, d: int, value: Any) -> None:
        if not 0 <= d < self._n:
            raise IndexError(d)
        c = d // CHUNK
        if c not in self._own:
            self._chunks[c] = list(self._chunks[c])
            self._own.add(c)
        self._chunks[c][d % CHUNK] = value

    def __iter__(self) -> Iterator[Any]:
        for c, chunk in enumerate(self._chunks):
            yield from chunk[:min(CHUNK, self._n - c * CHUNK)]

    def grown(self, n: int) -> "Column":
        """A copy of ``n`` values (``None`` beyond this one's) sharing this one's chunks."""
        copy = Column.__new__(Column)
        copy._chunks, copy._n, copy._own = list(self._chunks), max(n, self._n), set()
        while len(copy._chunks) * CHUNK < copy._n:
            copy._own.add(len(copy._chunks))
            copy._chunks.append([None] * CHUNK)
        return copy


class Groups:
    """Documents by fingerprint (each group a sorted list), in `SHARDS` dictionaries; `copy`
    shares them, and a shard is copied when the copy first changes a group in it."""

    def __init__(self):
        self._shards: list[dict[int, list[int]]] = [{} for _ in range(SHARDS)]
        self._own: set[int] = set(range(SHARDS))

    @classmethod
    def of(cls, docs: list[int], fps: list[int]) -> "Groups":
        """The groups of documents ``docs`` (in ascending order) with fingerprints ``fps``."""
        groups = cls()
        for d, fp in zip(docs, fps):
            groups._shards[fp % SHARDS].setdefault(fp, []).append(d)
        return groups

    def get(self, fp: int, default: Any = None) -> Any:
        return self._shards[fp % SHARDS].get(fp, default)

    def set(self, fp: int, group: list[int]) -> None:
        """Group ``fp`` becomes ``group`` (sorted); an empty one is removed."""
        s = fp % SHARDS
        if s not in self._own:
            self._shards[s] = dict(self._shards[s])
            self._own.add(s)
        if group:
            self._shards[s][fp] = group
        else:
            self._shards[s].pop(fp, None)

    def items(self) -> Iterator[tuple[int, list[int]]]:
        for shard in self._shards:
            yield from shard.items()

    def copy(self) -> "Groups":
        copy = Groups.__new__(Groups)
        copy._shards, copy._own = list(self._shards), set()
        return copy
