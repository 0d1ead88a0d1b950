"""Small vectorised helpers shared by the stages."""

from __future__ import annotations

import numpy as np

from reprints import _native


def unique_pairs(first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (first, second) pairs, sorted by first then second; ``first`` holds
    non-negative integers (documents, sentences), ``second`` 64-bit keys or non-negative
    integers."""
    if len(first) == 0:
        return first, second
    if np.any(first[1:] < first[:-1]):
        order = np.argsort(first, kind="stable")
        first, second = first[order], second[order]
    starts = segment_starts(first)
    bounds = np.append(starts, len(first)).astype(np.int64)
    unsigned = second.dtype == np.uint64
    if not unsigned and len(second) and second.min() < 0:
        raise ValueError("unique_pairs: negative second values")
    values, counts = _native.distinct_in_segments(np.array(second, dtype=np.uint64), bounds)
    return np.repeat(first[starts], counts), values if unsigned else values.astype(second.dtype)


def sorted_isin(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """``np.isin`` for a set that is already sorted (binary search, no copy of the set)."""
    if len(sorted_set) == 0:
        return np.zeros(len(values), dtype=bool)
    pos = np.searchsorted(sorted_set, values)
    pos[pos == len(sorted_set)] = 0
    return sorted_set[pos] == values


def segment_starts(keys: np.ndarray) -> np.ndarray:
    """Indices where a run of equal values starts in a sorted array."""
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))


def new_runs(bounds: np.ndarray, *columns: np.ndarray) -> np.ndarray:
    """For rows sorted within segments ``[bounds[k], bounds[k+1])``: True where a run of equal
    rows starts (a row differing from the one before it in any column, or a segment's first)."""
    n = len(columns[0])
    new = np.ones(n, dtype=bool)
    if n > 1:
        new[1:] = np.logical_or.reduce([c[1:] != c[:-1] for c in columns])
    inner = bounds[1:-1]
    new[inner[inner < n]] = True
    return new
