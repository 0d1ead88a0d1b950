"""``reprints.dedup``: a corpus given back without its duplicates (docs/dedup.md).

Documents are read as a scan reads them (skips and their reasons included), tokenised by the
scan's tokeniser into folded word hashes with code-point spans, and compared in two ways:

* document level (``mode`` documents or both): word n-gram shingles (the scan's, without the
  boilerplate mask: a document is compared on every word it gives back), exact duplicates by
  the scan's fingerprint of the whole word sequence, and near-duplicate / contained pairs from
  an exact set-similarity join: a prefix filter over n-grams ordered rarest first finds every
  pair that can reach the thresholds, and each candidate's shared n-grams are counted exactly;
* passage level (``mode`` passages or both): every run of ``passage_words`` words is hashed
  (a rolling hash of the word hashes); runs found in two or more documents are looked up in
  the runs of the documents kept so far.

Documents are then decided one at a time, in keep order (the ``keep`` policy, ties in input
order), except that a document is decided only after every longer document that contains it.
A document is removed when it is an exact duplicate, a near duplicate (Jaccard ≥
``threshold``) or contained (share ≥ ``containment`` of its n-grams) of a document already
*kept*; the row names that kept document. Decisions are never revisited, so every removed
document names a kept one it duplicates, and the result does not depend on the worker count.
Passages of a document that a kept document already holds are cut; a document left with
fewer than ``min_words`` words is removed.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
import json
import math
import os
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from reprints import __version__
from reprints.api import NoDocumentsError, check_engine, input_paths
from reprints.api import _read as read_input
from reprints.config import DedupConfig, DuplicateConfig
from reprints.engines import local
from reprints.io import workspace, writers
from reprints.progress import Reporter
from reprints.records import Document, Skip, skip_reason_key
from reprints.stages import report_tables, shingle
from reprints.stages.arrays import sorted_isin, unique_pairs
from reprints.stages.normalise import _POWERS, mix64, tokenize

EXACT = "exact"
NEAR = "near-duplicate"
CONTAINED = "contained"
PASSAGE = "repeated passage"
TOO_SHORT = "too short after removal"
REASONS = (EXACT, NEAR, CONTAINED, PASSAGE, TOO_SHORT)

REMOVED = pa.schema([
    ("doc_id", pa.string()),
    ("reason", pa.string()),
    ("kept_doc_id", pa.string()),
    ("similarity", pa.float64()),
    ("begin", pa.int64()),
    ("end", pa.int64()),
    ("kept_begin", pa.int64()),
    ("kept_end", pa.int64()),
    ("characters", pa.int64()),
    ("input", pa.string()),
])

SKIPPED = pa.schema([
    ("input", pa.string()),
    ("doc_id", pa.string()),
    ("reason", pa.string()),
])

_EPS = 1e-9
_JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson")


class DedupError(ValueError):
    """The documents cannot be deduplicated as configured (e.g. ``keep=field:NAME`` and no
    document has NAME); the message says why."""


@dataclass
class DedupResult:
    """Kept documents (all their fields, input order), removed documents and spans, skipped
    input, the summary, and where they were written."""

    kept: pa.Table
    removed: pa.Table
    skipped: pa.Table
    summary: dict[str, Any] = field(default_factory=dict)
    out: Path | None = None
    format: str = "parquet"


def dedup(documents: Any, config: DedupConfig | None = None, out: str | Path | None = None,
          overwrite: bool = False, reporter: Reporter | None = None, engine: str = "local",
          master: str | None = None, spark: Any = None) -> DedupResult:
    """``documents`` without their duplicates (see the module's docstring and docs/dedup.md).

    ``documents``: what `reprints.scan` takes (paths, dicts, `Document`s, tables).
    ``config``: a `DedupConfig` (or a `DuplicateConfig` for its ``dedup`` section). With
    ``out`` the folder (kept, removed, skipped, run.json) is written atomically, held for
    this run alone; it is checked before any work.
    ``engine``: ``local`` (this machine) or ``spark`` (`reprints.engines.spark_dedup`: the same
    stage functions and the same files; ``master`` e.g. ``local[4]`` or ``spark://host:7077``,
    or ``spark`` an existing SparkSession). With Spark and ``out``, the files are streamed to
    the folder and the result's tables are left out (None): read them from the folder.
    """
    if isinstance(config, DuplicateConfig):
        config = DedupConfig(dedup=config)
    config = config or DedupConfig()
    check_engine(engine, master, spark, DedupError)
    if engine == "spark":
        from reprints.engines import spark_dedup

        run = lambda target: spark_dedup.dedup(documents, config, target, overwrite, reporter,  # noqa: E731
                                               master or "local[*]", spark)
    else:
        run = lambda target: _dedup(documents, config, target, overwrite, reporter)  # noqa: E731
    if out is None:
        return run(None)
    writers.check_target(Path(out), overwrite)
    with workspace.claim(Path(out)):
        return run(Path(out))


# --- reading and tokenising ----------------------------------------------------------------

_STATE: dict[str, Any] = {}


def _tokenise_task(span: tuple[int, int]) -> dict[str, np.ndarray]:
    lo, hi = span
    return tokenise_batch(_STATE["texts"][lo:hi], _STATE["config"], lo)


def tokenise_batch(texts: list[str], cfg: DuplicateConfig, lo: int = 0) -> dict[str, np.ndarray]:
    """Per batch of documents (numbered from ``lo``): fingerprints, word counts, distinct n-gram
    shingles and passage-window hashes (each as the mode needs). Both engines call it."""
    tokens = tokenize(texts)
    found = {"fp": shingle.document_fingerprints(tokens), "words": np.diff(tokens.doc_bounds)}
    token_doc = tokens.doc_of_token()
    if cfg.mode != "passages":
        starts, grams = shingle.ngram_hashes(tokens.hashes, cfg.ngram, None, token_doc)
        docs, grams = unique_pairs(token_doc[starts], grams)
        found["sh_doc"], found["sh_h"] = (docs + lo).astype(np.int32), grams
    if cfg.mode != "documents":
        starts, windows = window_hashes(tokens.hashes, cfg.passage_words, token_doc)
        docs = token_doc[starts]
        found["win_doc"] = (docs + lo).astype(np.int32)
        found["win_pos"] = (starts - tokens.doc_bounds[docs]).astype(np.int32)
        found["win_h"] = windows
    return found


def window_hashes(hashes: np.ndarray, n: int, token_doc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(start token, hash) of every run of ``n`` consecutive words within one document: a
    polynomial hash of the word hashes from prefix sums (`normalise.sequence_hash`'s), so a
    50-word window costs what a 5-word one does."""
    total = len(hashes)
    count = total - n + 1
    if count <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.uint64)
    fwd, inv = _POWERS.upto(total + 1)
    prefix = np.zeros(total + 1, dtype=np.uint64)
    np.cumsum(hashes * fwd[:total], out=prefix[1:])
    starts = np.flatnonzero(token_doc[:count] == token_doc[n - 1:])
    return starts, mix64((prefix[starts + n] - prefix[starts]) * inv[starts] + np.uint64(n))


def _tokenise(texts: list[str], config: DedupConfig, reporter: Reporter) -> dict[str, np.ndarray]:
    n = len(texts)
    size = config.engine.batch_docs
    spans = [(lo, min(lo + size, n)) for lo in range(0, n, size)]
    workers = config.engine.workers or os.cpu_count() or 1
    parts = []
    _STATE.update(texts=texts, config=config.dedup)
    try:
        with reporter.stage("tokenise", total=n, unit="docs") as r:
            for (lo, hi), part in zip(spans, local._imap(_tokenise_task, spans, workers)):
                parts.append(part)
                r.advance(hi - lo)
    finally:
        _STATE.clear()
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


# --- keep order ------------------------------------------------------------------------------

def _field_value(doc: Document, name: str, config: DedupConfig) -> Any:
    read = config.read
    named = {read.id_field: doc.doc_id, read.source_field: doc.source, read.date_field: doc.date, "url": doc.url}
    return named[name] if name in named else doc.meta.get(name)


def keep_order(docs: list[Document], words: np.ndarray, config: DedupConfig) -> np.ndarray:
    """Each document's rank in keep order (0 = kept first): the ``keep`` policy, ties in input
    order."""
    n = len(docs)
    index = np.arange(n)
    policy = config.dedup.keep
    if policy == "first":
        order = index
    elif policy == "longest":
        order = np.lexsort((index, -words.astype(np.int64)))
    elif policy == "earliest":
        undated, seconds = date_keys([d.date for d in docs])
        order = np.lexsort((index, seconds, undated))
    else:
        name = config.dedup.keep_field
        largest = not policy.startswith("field:-")
        values = [_field_value(d, name, config) for d in docs]
        if all(v is None for v in values):
            raise DedupError(f"keep policy {policy}: no document has a field {name!r}")
        keys = [_sort_key(v, largest) for v in values]
        order = np.array(sorted(index.tolist(), key=lambda i: (keys[i], i)), dtype=np.int64)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = index
    return rank


def date_keys(dates: list[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """(undated, seconds since the epoch, 0 when undated) per date, for ``keep=earliest``: the
    scan's date parser. Both engines call it."""
    parsed, _ = report_tables.parse_dates(dates)
    undated = np.isnat(parsed)
    return undated, np.where(undated, 0, parsed.astype("datetime64[s]").astype(np.int64))


def field_key(value: Any) -> tuple[int, int, Any]:
    """(missing, kind, value) of a ``keep=field:NAME`` value: missing values (None, NaN) are 1,
    then kind 0 numbers, 1 text, 2 other values (as JSON text with sorted keys). Both engines
    sort on it (the Spark engine compares numbers as doubles)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return (1, 0, None)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, 0, value)
    if isinstance(value, str):
        return (0, 1, value)
    return (0, 2, json.dumps(value, sort_keys=True, ensure_ascii=False))


def _sort_key(value: Any, largest: bool) -> tuple:
    """Missing values last; numbers before text before other values; largest (or smallest)
    first within each."""
    missing, kind, key = field_key(value)
    if missing:
        return (1, 0, 0)
    if kind == 0:
        return (0, 0, -key if largest else key)
    return (0, kind, _Descending(key) if largest else key)


class _Descending:
    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __lt__(self, other: "_Descending") -> bool:
        return self.value > other.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and self.value == other.value


# --- document level ------------------------------------------------------------------------

def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The concatenation of ``arange(s, s + c)`` for each start and count."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(counts) - counts
    return np.repeat(starts - offsets, counts) + np.arange(total, dtype=np.int64)


@dataclass
class DocumentPairs:
    """Pairs of distinct-text documents (``a < b``, representatives of exact groups) that are
    near duplicates or where one contains the other, with their shared n-gram counts."""

    a: np.ndarray
    b: np.ndarray
    shared: np.ndarray
    size: np.ndarray  # n-grams per document
    candidates: int = 0

    def jaccard(self) -> np.ndarray:
        union = self.size[self.a] + self.size[self.b] - self.shared
        return np.where(union > 0, self.shared / np.maximum(union, 1), 0.0)


def similar_pairs(sh_doc: np.ndarray, sh_h: np.ndarray, n_docs: int, threshold: float,
                  containment: float, min_contained: int = 1, chunk: int = 1_000_000) -> DocumentPairs:
    """Every pair of documents (among those whose shingles are given) with Jaccard ≥
    ``threshold`` or containment of one in the other ≥ ``containment`` (0: off), exactly;
    containment counts only where the smaller document has at least ``min_contained`` n-grams.

    Prefix filter: with each document's n-grams ordered rarest first, a document x whose
    share ≥ τ (τ = the smaller threshold) of n-grams are in y has one of its first
    ``|x| − ⌈τ|x|⌉ + 1`` n-grams in y; so candidates are x's prefix n-grams looked up in every
    document of size ≥ τ|x| (τ per document: a document too small to be contained only needs
    the Jaccard's). Rare n-grams come first, so the postings read are short. Then
    each candidate's shared n-grams are counted (the smaller side's n-grams looked up in the
    larger's), ``chunk`` lookups at a time.
    """
    size = np.bincount(sh_doc, minlength=n_docs).astype(np.int64)
    empty = np.zeros(0, np.int64)
    if len(sh_h) == 0:
        return DocumentPairs(empty, empty, empty, size)
    total = len(sh_h)
    # Dense n-gram ids by sorting the hashes once; that order is also the postings' (stable:
    # documents ascending within an n-gram).
    # Memory: the arrays are freed as soon as they are used up (the caller hands them over), and
    # ids are 32-bit where they fit, so the peak stays near 30 bytes an n-gram.
    by_h = np.argsort(sh_h, kind="stable")
    sorted_h = sh_h[by_h]
    del sh_h
    new_h = np.ones(total, dtype=bool)
    np.not_equal(sorted_h[1:], sorted_h[:-1], out=new_h[1:])
    del sorted_h
    post_start = np.append(np.flatnonzero(new_h), total)
    n_h = len(post_start) - 1
    df = np.diff(post_start)
    post_doc = sh_doc[by_h].astype(np.int32 if n_docs < 2**31 else np.int64)
    hid = np.empty(total, dtype=np.int32 if n_h < 2**31 else np.int64)
    hid[by_h] = np.cumsum(new_h) - 1
    del by_h, new_h

    # Rarity rank of each n-gram (fewest documents first, ties by id: deterministic); each
    # document's n-grams as sorted (document, rank) keys, so its rarest come first.
    by_rank = np.argsort(df, kind="stable")
    rare_rank = np.empty(n_h, dtype=np.int64)
    rare_rank[by_rank] = np.arange(n_h)
    doc_keys = sh_doc.astype(np.int64)
    del sh_doc
    doc_keys *= n_h
    doc_keys += rare_rank[hid]
    del hid, rare_rank
    doc_keys.sort()
    doc_start = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(size, out=doc_start[1:])
    tau = np.full(n_docs, threshold)
    if containment > 0:
        tau[size >= min_contained] = min(threshold, containment)
    prefix_len = np.minimum(size - np.ceil(tau * size - _EPS).astype(np.int64) + 1, size)
    px_doc = np.repeat(np.arange(n_docs, dtype=np.int64), prefix_len)
    px_h = by_rank[doc_keys[_ranges(doc_start[:-1], prefix_len)] - px_doc * n_h]
    del by_rank
    common = df[px_h] > 1  # an n-gram in one document pairs nothing
    px_doc, px_h = px_doc[common], px_h[common]

    keys = [empty]
    counts = df[px_h]
    cum = np.cumsum(counts)
    lo = 0
    while lo < len(px_h):
        hi = max(int(np.searchsorted(cum, (cum[lo - 1] if lo else 0) + chunk, side="right")), lo + 1)
        x = np.repeat(px_doc[lo:hi], counts[lo:hi])
        y = post_doc[_ranges(post_start[px_h[lo:hi]], counts[lo:hi])].astype(np.int64)
        ok = (y != x) & (size[y] >= tau[x] * size[x] - _EPS)
        x, y = x[ok], y[ok]
        keys.append(np.unique(np.minimum(x, y) * n_docs + np.maximum(x, y)))
        lo = hi
    del post_doc
    pair_keys = np.unique(np.concatenate(keys))
    n_candidates = len(pair_keys)
    a, b = pair_keys // n_docs, pair_keys % n_docs

    # Count shared n-grams: the smaller side's (document, rank) keys moved to the larger
    # side's document and looked up among the sorted keys.
    small = np.where(size[a] <= size[b], a, b)
    large = np.where(size[a] <= size[b], b, a)
    shared = np.zeros(len(a), dtype=np.int64)
    per_pair = size[small]
    cum = np.cumsum(per_pair)
    lo = 0
    while lo < len(a):
        hi = max(int(np.searchsorted(cum, (cum[lo - 1] if lo else 0) + chunk, side="right")), lo + 1)
        idx = _ranges(doc_start[small[lo:hi]], per_pair[lo:hi])
        owner = np.repeat(np.arange(hi - lo), per_pair[lo:hi])
        moved = doc_keys[idx] + (large[lo:hi] - small[lo:hi])[owner] * n_h
        shared[lo:hi] = np.bincount(owner[sorted_isin(moved, doc_keys)], minlength=hi - lo)
        lo = hi
    pairs = DocumentPairs(a, b, shared, size, n_candidates)
    jaccard = pairs.jaccard()
    contained = shared / np.maximum(size[small], 1)
    keep = (jaccard >= threshold - _EPS) | ((containment > 0) & (contained >= containment - _EPS)
                                             & (size[small] >= min_contained))
    return DocumentPairs(a[keep], b[keep], shared[keep], size, n_candidates)


# --- deciding ----------------------------------------------------------------------------------

@dataclass
class Removal:
    doc: int
    reason: str
    kept: int
    similarity: float
    begin: int | None = None
    end: int | None = None
    kept_begin: int | None = None
    kept_end: int | None = None


@dataclass
class Decisions:
    kept: np.ndarray  # bool per document
    removals: list[Removal]
    cuts: dict[int, list[tuple[int, int]]]  # kept document -> spans cut (begin, end), in order
    pairs: int = 0
    candidates: int = 0


class _Passages:
    """Passage cutting against the windows of the documents kept so far."""

    def __init__(self, texts: list[str], found: dict[str, np.ndarray], config: DuplicateConfig) -> None:
        self.n = config.passage_words
        self.min_words = config.min_words
        # handed over: the windows of every position are dropped once the shared ones are picked
        doc, pos, h = found.pop("win_doc"), found.pop("win_pos"), found.pop("win_h")
        # Only windows found in two or more documents can be cut or make a cut.
        _, uh = unique_pairs(doc, h)
        uh.sort()
        repeated = np.zeros(len(uh), dtype=bool)
        np.equal(uh[1:], uh[:-1], out=repeated[1:])
        shared = np.unique(uh[repeated])
        del uh, repeated
        keep = sorted_isin(h, shared)
        doc, pos, h = doc[keep], pos[keep], h[keep]
        order = np.lexsort((pos, doc))
        doc, pos, h = doc[order], pos[order], h[order]
        starts = np.searchsorted(doc, np.arange(len(texts) + 1))
        self.windows = {d: (pos[starts[d]:starts[d + 1]], h[starts[d]:starts[d + 1]])
                        for d in np.unique(doc).tolist()}
        needed = sorted(self.windows)
        tokens = tokenize([texts[d] for d in needed])
        self.spans = {d: (tokens.begins[tokens.doc_bounds[k]:tokens.doc_bounds[k + 1]],
                          tokens.ends[tokens.doc_bounds[k]:tokens.doc_bounds[k + 1]])
                      for k, d in enumerate(needed)}
        self.registry: dict[int, tuple[int, int]] = {}

    def cut(self, d: int) -> tuple[list[Removal], list[tuple[int, int]], int | None]:
        """The spans of ``d`` that documents kept so far hold (not yet applied), as removals and
        as word ranges, and the kept document covering most of their words."""
        if d not in self.windows:
            return [], [], None
        pos, h = self.windows[d]
        n = self.n
        segments: list[list[int]] = []  # [source doc, first word, last window start, source first word]
        get = self.registry.get
        for p, key in zip(pos.tolist(), h.tolist()):
            source = get(key)
            if source is None:
                continue
            s, sp = source
            last = segments[-1] if segments else None
            if last is not None and last[0] == s and last[2] == p - 1 and last[3] + (p - last[1]) == sp:
                last[2] = p
            else:
                segments.append([s, p, p, sp])
        if not segments:
            return [], [], None
        begins, ends = self.spans[d]
        removals = []
        ranges = []
        by_source: dict[int, int] = {}
        previous_end = 0  # first word not yet cut
        for s, first, last_start, source_first in segments:
            end_word = last_start + n  # exclusive
            shift = max(0, previous_end - first)
            first += shift
            if first >= end_word:
                continue
            source_first += shift
            source_end = source_first + (end_word - first)
            sb, se = self.spans[s]
            removals.append(Removal(d, PASSAGE, s, 1.0, int(begins[first]), int(ends[end_word - 1]),
                                    int(sb[source_first]), int(se[source_end - 1])))
            ranges.append((first, end_word))
            by_source[s] = by_source.get(s, 0) + end_word - first
            previous_end = end_word
        main = max(by_source, key=lambda s: (by_source[s], -s))
        return removals, ranges, main

    def register(self, d: int, ranges: list[tuple[int, int]]) -> None:
        """Make the windows of kept document ``d`` that no cut (word ``ranges``) touches
        findable."""
        if d not in self.windows:
            return
        pos, h = self.windows[d]
        if ranges:
            cut = np.zeros(len(self.spans[d][0]), dtype=bool)
            for first, end in ranges:
                cut[first:end] = True
            bad = np.concatenate([[0], np.cumsum(cut)])
            clean = bad[pos + self.n] - bad[pos] == 0
            pos, h = pos[clean], h[clean]
        setdefault = self.registry.setdefault
        for p, key in zip(pos.tolist(), h.tolist()):
            setdefault(key, (d, p))


def exact_groups(fingerprints: np.ndarray, eligible: np.ndarray | None = None) -> np.ndarray:
    """Group number of each document (0, 1, ... dense): documents with the same fingerprint
    share one, among the ``eligible`` (all when None); every other document is alone."""
    _, group = np.unique(fingerprints, return_inverse=True)
    group = group.astype(np.int64).reshape(-1)
    if eligible is not None and not eligible.all():
        alone = np.flatnonzero(~eligible)
        group[alone] = group.max(initial=-1) + 1 + np.arange(len(alone))
        _, group = np.unique(group, return_inverse=True)
        group = group.astype(np.int64).reshape(-1)
    return group


def decide(docs: list[Document], found: dict[str, np.ndarray], rank: np.ndarray, config: DuplicateConfig,
           reporter: Reporter, pairs: DocumentPairs | None = None) -> Decisions:
    """Which documents are kept, which are removed and why, which spans are cut.

    ``pairs``: the `similar_pairs` of the exact groups' leads when already found (the Spark
    engine finds them with a join and decides each connected component of documents here);
    otherwise they are found here from ``found``'s shingles."""
    n = len(docs)
    texts = [d.text for d in docs]
    words = found["words"]
    doc_level = config.mode != "passages"
    passages = _Passages(texts, found, config) if config.mode != "documents" else None

    # Exact groups: documents with the same word sequence; the group's first in keep order leads.
    # With passages alone, only documents long enough to hold a passage are grouped: a copy
    # of a kept one is removed as exact (cutting would have taken all of it), while shorter
    # texts are left as passage removal leaves any text shorter than a passage.
    group = exact_groups(found["fp"], None if doc_level else words >= config.passage_words)
    n_groups = int(group.max()) + 1 if n else 0
    members: list[list[int]] = [[] for _ in range(n_groups)]
    group_of = group.tolist()
    for d in np.argsort(rank, kind="stable").tolist():
        members[group_of[d]].append(d)
    lead = np.array([m[0] for m in members], dtype=np.int64)

    # Edges by group, only for the groups that have any (most have none).
    near: dict[int, list[tuple[float, int]]] = defaultdict(list)
    containers: dict[int, list[tuple[float, int]]] = defaultdict(list)
    indegree = np.zeros(n_groups, dtype=np.int64)
    contains: dict[int, list[int]] = defaultdict(list)
    n_pairs = n_candidates = 0
    if doc_level and pairs is not None:
        n_pairs, n_candidates = len(pairs.a), pairs.candidates
    elif doc_level:
        with reporter.stage("pairs", total=None, unit="pairs") as r:
            is_lead = np.zeros(n, dtype=bool)
            is_lead[lead] = True
            sh_doc, sh_h = found.pop("sh_doc"), found.pop("sh_h")  # handed over: similar_pairs frees them
            keep = is_lead[sh_doc]
            if not keep.all():
                sh_doc, sh_h = sh_doc[keep], sh_h[keep]
            del keep
            pairs = similar_pairs(sh_doc, sh_h, n, config.threshold, config.containment,
                                  config.min_contained_ngrams)
            del sh_doc, sh_h
            n_pairs, n_candidates = len(pairs.a), pairs.candidates
            r.advance(n_pairs)
    if doc_level:
        jaccard = pairs.jaccard()
        size = pairs.size
        for a, b, s, j in zip(pairs.a.tolist(), pairs.b.tolist(), pairs.shared.tolist(), jaccard.tolist()):
            ga, gb = int(group[a]), int(group[b])
            if j >= config.threshold - _EPS:
                near[ga].append((j, gb))
                near[gb].append((j, ga))
                continue
            # a contains b, or b contains a: the larger (then the earlier in keep order) contains
            if (size[a], -rank[a]) > (size[b], -rank[b]):
                outer, inner = ga, gb
            else:
                outer, inner = gb, ga
            share = s / max(int(size[lead[inner]]), 1)
            if share >= config.containment - _EPS:
                containers[inner].append((share, outer))
                contains[outer].append(inner)
                indegree[inner] += 1

    kept = np.zeros(n, dtype=bool)
    keeper = np.full(n_groups, -1, dtype=np.int64)
    removals: list[Removal] = []
    cuts: dict[int, list[tuple[int, int]]] = {}
    heap = [(int(rank[lead[g]]), g) for g in range(n_groups) if indegree[g] == 0]
    heapq.heapify(heap)
    with reporter.stage("decide", total=n, unit="docs") as r:
        while heap:
            _, g = heapq.heappop(heap)
            found_doc = _document_match(g, near, containers, keeper, rank)
            for d in members[g]:
                if keeper[g] >= 0:
                    removals.append(Removal(d, EXACT, int(keeper[g]), 1.0))
                elif found_doc is not None:
                    reason, other, similarity = found_doc
                    removals.append(Removal(d, reason, other, similarity))
                elif passages is None:
                    kept[d], keeper[g] = True, d
                else:
                    spans, ranges, main = passages.cut(d)
                    covered = sum(e - f for f, e in ranges)
                    if spans and int(words[d]) - covered < config.min_words:
                        removals.append(Removal(d, TOO_SHORT, main, round(covered / max(int(words[d]), 1), 4)))
                        continue
                    kept[d], keeper[g] = True, d
                    removals.extend(spans)
                    if spans:
                        cuts[d] = [(s.begin, s.end) for s in spans]
                    passages.register(d, ranges)
                r.advance()
            for inner in contains.get(g, ()):
                indegree[inner] -= 1
                if indegree[inner] == 0:
                    heapq.heappush(heap, (int(rank[lead[inner]]), inner))
    return Decisions(kept, removals, cuts, n_pairs, n_candidates)


def _document_match(g: int, near: dict, containers: dict, keeper: np.ndarray, rank: np.ndarray
                    ) -> tuple[str, int, float] | None:
    """The kept document that group ``g`` near-duplicates (highest Jaccard), else the kept
    document containing it (highest share); ties go to the one kept first."""
    for reason, edges in ((NEAR, near.get(g, ())), (CONTAINED, containers.get(g, ()))):
        best = None
        for similarity, other in edges:
            k = int(keeper[other])
            if k < 0:
                continue
            key = (-similarity, int(rank[k]))
            if best is None or key < best[0]:
                best = (key, k, similarity)
        if best is not None:
            return reason, best[1], round(float(best[2]), 4)
    return None


# --- output ------------------------------------------------------------------------------------

def cut_text(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` without the (ordered, disjoint) spans."""
    parts, at = [], 0
    for begin, end in spans:
        parts.append(text[at:begin])
        at = end
    parts.append(text[at:])
    return "".join(parts)


def kept_rows(docs: list[Document], kept: np.ndarray, cuts: dict[int, list[tuple[int, int]]],
              config: DedupConfig) -> tuple[list[dict[str, Any]], list[str]]:
    """Each kept document as a row of all its fields (in input order), and the column names:
    id, text, source, date, url (those any document has), then the other fields in the
    order first seen."""
    rows = []
    extra: dict[str, None] = {}
    present: set[str] = set()
    for d in np.flatnonzero(kept).tolist():
        rows.append(kept_row(docs[d], cuts.get(d), config, present, extra))
    return rows, kept_columns(present, extra, config)


def _optional_fields(config: DedupConfig) -> list[tuple[str, str]]:
    read = config.read
    return [(read.source_field, "source"), (read.date_field, "date"), ("url", "url")]


def kept_row(doc: Document, cuts: list[tuple[int, int]] | None, config: DedupConfig, present: set[str],
             extra: dict[str, None]) -> dict[str, Any]:
    """A kept document as a row of all its fields, its text without the ``cuts`` (if any); the
    optional fields it has are added to ``present``, its other fields to ``extra`` (in the order
    first seen), for `kept_columns`."""
    read = config.read
    row = {read.id_field: doc.doc_id, read.text_field: cut_text(doc.text, cuts) if cuts else doc.text}
    for name, attr in _optional_fields(config):
        value = getattr(doc, attr)
        if value is not None and name not in row:
            row[name] = value
            present.add(name)
    for key, value in doc.meta.items():
        if key not in row:
            row[key] = value
            extra.setdefault(key)
    return row


def kept_columns(present: set[str], extra: dict[str, None], config: DedupConfig) -> list[str]:
    """The columns of the kept file: id, text, source, date, url (those any document has), then
    the other fields in the order first seen."""
    read = config.read
    named = [read.id_field, read.text_field]
    columns = named + [name for name, _ in _optional_fields(config) if name in present and name not in named]
    return columns + [k for k in extra if k not in columns]


#: What Arrow raises for values of no one type (a number in one row, an object in another).
NO_ONE_TYPE = (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError, ValueError)


def json_text(values: list[Any]) -> pa.Array:
    """Values of one field as text: strings as they are, anything else as JSON (None stays null)."""
    return pa.array([None if v is None else v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                     for v in values], pa.string())


def _column(values: list[Any]) -> pa.Array:
    """Values of one field as an Arrow array of their own type; as JSON text where they have no
    one type (a number in one row, an object in another)."""
    try:
        return pa.array(values)
    except NO_ONE_TYPE:
        return json_text(values)


def text_fields(config: DedupConfig) -> set[str]:
    """The kept file's columns that are always text: id, text, source, date and url."""
    read = config.read
    return {read.id_field, read.text_field, read.source_field, read.date_field, "url"}


def kept_table(rows: list[dict[str, Any]], columns: list[str], config: DedupConfig) -> pa.Table:
    arrays, named = {}, text_fields(config)
    for name in columns:
        values = [row.get(name) for row in rows]
        if name in named:
            arrays[name] = pa.array(values, pa.string())
        else:
            arrays[name] = _column(values)
    return pa.table(arrays)


def removed_table(docs: list[Document], removals: list[Removal]) -> pa.Table:
    removals = sorted(removals, key=lambda r: (r.doc, -1 if r.begin is None else r.begin))
    return pa.table({
        "doc_id": [docs[r.doc].doc_id for r in removals],
        "reason": [r.reason for r in removals],
        "kept_doc_id": [docs[r.kept].doc_id for r in removals],
        "similarity": [float(r.similarity) for r in removals],
        "begin": [r.begin for r in removals],
        "end": [r.end for r in removals],
        "kept_begin": [r.kept_begin for r in removals],
        "kept_end": [r.kept_end for r in removals],
        "characters": [len(docs[r.doc].text) if r.begin is None else r.end - r.begin for r in removals],
        "input": [docs[r.doc].origin for r in removals],
    }, schema=REMOVED)


def skipped_table(skips: list[Skip]) -> pa.Table:
    return pa.table({"input": [s.origin for s in skips], "doc_id": [s.doc_id for s in skips],
                     "reason": [s.reason for s in skips]}, schema=SKIPPED)


def output_format(config: DedupConfig, paths: list[str] | str) -> str:
    """parquet or jsonl: as configured; ``auto`` is jsonl when every input is a JSONL file."""
    chosen = config.dedup.format
    if chosen != "auto":
        return chosen
    if isinstance(paths, list) and paths and all(p.lower().endswith(_JSONL_SUFFIXES) for p in paths):
        return "jsonl"
    return "parquet"


def write_kept(path: Path, rows: list[dict[str, Any]], columns: list[str], table: pa.Table, fmt: str) -> None:
    if fmt == "jsonl":
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            for row in rows:
                handle.write(json.dumps({k: row[k] for k in columns if k in row}, ensure_ascii=False))
                handle.write("\n")
    else:
        pq.write_table(table, path, compression="zstd")


def _utf8(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def summarise(docs: list[Document], skips: list[Skip], decisions: Decisions, config: DedupConfig,
              timings: dict[str, float], wall: float) -> dict[str, Any]:
    reasons: dict[str, int] = {}
    spans = 0
    bytes_removed = 0
    for r in decisions.removals:
        text = docs[r.doc].text
        if r.begin is None:
            reasons[r.reason] = reasons.get(r.reason, 0) + 1
            bytes_removed += _utf8(text)
        else:
            spans += 1
            bytes_removed += _utf8(text[r.begin:r.end])
    skip_reasons: dict[str, int] = {}
    for s in skips:
        key = skip_reason_key(s.reason)
        skip_reasons[key] = skip_reasons.get(key, 0) + 1
    return summary_fields(config, len(docs), skips[:20], len(skips), skip_reasons, int(decisions.kept.sum()), reasons,
                          spans, len(decisions.cuts), int(decisions.candidates), int(decisions.pairs),
                          sum(_utf8(d.text) for d in docs), bytes_removed, timings, wall)


def summary_fields(config: DedupConfig, documents_in: int, first_skips: list[Skip], n_skipped: int,
                   skip_reasons: dict[str, int], kept: int, reasons: dict[str, int], spans: int, cut: int,
                   candidates: int, pairs: int, bytes_in: int, bytes_removed: int, timings: dict[str, float],
                   wall: float) -> dict[str, Any]:
    """The summary of a dedup run from its counts (both engines)."""
    return {
        "mode": config.dedup.mode,
        "keep": config.dedup.keep,
        "documents_in": documents_in,
        "documents_skipped": n_skipped,
        "skip_reasons": skip_reasons,
        "skipped": [{"input": s.origin, "doc_id": s.doc_id, "reason": s.reason} for s in first_skips],
        "documents_kept": kept,
        "documents_removed": int(sum(reasons.values())),
        "removed_by_reason": {k: reasons[k] for k in REASONS if k in reasons},
        "passages_removed": spans,
        "documents_cut": cut,
        "candidate_pairs": candidates,
        "similar_pairs": pairs,
        "bytes_in": bytes_in,
        "bytes_removed": bytes_removed,
        "bytes_kept": bytes_in - bytes_removed,
        "seconds_per_stage": {k: round(v, 3) for k, v in timings.items()},
        "seconds": round(wall, 3),
    }


def _dedup(documents: Any, config: DedupConfig, out: Path | None, overwrite: bool,
           reporter: Reporter | None) -> DedupResult:
    reporter = reporter or Reporter()
    started = time.perf_counter()
    paths = input_paths(documents)
    if isinstance(paths, list):
        documents = paths
    docs, skips = read_input(documents, config, reporter)  # the scan's read stage (web pages in workers)
    if not docs:
        raise NoDocumentsError(skips)
    found = _tokenise([d.text for d in docs], config, reporter)
    rank = keep_order(docs, found["words"], config)
    decisions = decide(docs, found, rank, config.dedup, reporter)

    with reporter.stage("write", total=1, unit="") as r:
        rows, columns = kept_rows(docs, decisions.kept, decisions.cuts, config)
        fmt = output_format(config, paths)
        kept = kept_table(rows, columns, config)
        removed = removed_table(docs, decisions.removals)
        skipped = skipped_table(skips)
        summary = summarise(docs, skips, decisions, config, reporter.timings, time.perf_counter() - started)
        result = DedupResult(kept, removed, skipped, summary, format=fmt)
        if out is not None:
            def write(tmp: Path) -> None:
                write_kept(tmp / f"kept.{fmt}", rows, columns, kept, fmt)
                pq.write_table(removed, tmp / "removed.parquet", compression="zstd")
                pq.write_table(skipped, tmp / "skipped.parquet", compression="zstd")

            result.out = writers.write_directory(out, write, run_info(config, paths, fmt, summary), overwrite=overwrite)
        r.advance()
    summary["seconds_per_stage"] = {k: round(v, 3) for k, v in reporter.timings.items()}
    summary["seconds"] = round(time.perf_counter() - started, 3)
    return result


def run_info(config: DedupConfig, paths: Any, fmt: str, summary: dict[str, Any],
             engine: dict[str, Any] | None = None) -> dict[str, Any]:
    """run.json of a dedup run (``engine``: what a Spark run adds: engine, master, versions)."""
    from reprints.versions import dependency_versions

    info = {
        "command": "dedup",
        "reprints_version": __version__,
        "config": config.to_dict(),
        "inputs": paths,
        "output": f"kept.{fmt}",
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": dependency_versions(optional=False),
        "summary": summary,
        "complete": True,
    }
    for key, value in (engine or {}).items():
        info[key] = {**info[key], **value} if isinstance(value, dict) and key in info else value
    return info


__all__ = ["dedup", "DedupResult", "DedupError", "similar_pairs", "window_hashes", "keep_order", "cut_text",
           "REASONS"]
