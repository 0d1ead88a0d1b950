"""What a query reads: an in-memory snapshot of the index as of its last committed add."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import numpy as np
import pyarrow as pa

from reprints.config import QUERY_LIMIT, ScanConfig
from reprints.engines import tasks
from reprints.index.chunked import Column, Groups
from reprints.index.postings import ranges as _ranges
from reprints.index.schema import arrow as _arrow
from reprints.stages import align as align_stage
from reprints.stages import candidates, formula, shingle
from reprints.stages.normalise import string_key


#: Cluster member spans, and per cluster its size and origin (read whole with every snapshot).
CLUSTERS_SQL = ('SELECT doc, doc_id, cluster_id, "begin", "end", is_origin, cluster_size, cluster_docs, source, date '
                'FROM clusters')


class Snapshot:
    """What a query reads, loaded in one read transaction after an add: the boilerplate keys,
    the postings (n-gram hash → documents, sorted by hash), fingerprints, each document's id,
    source, date, source key and text, and the cluster member spans by document. Candidates'
    ``DocWords`` (tokens, boilerplate mask, and the seed index the aligner caches on them) are
    built on first use and kept in a bounded LRU; a new snapshot with the same boilerplate
    keys takes over those whose document is unchanged."""

    WORDS_CACHE = 20_000  # documents; about 20 kB each for a 500-word article

    def __init__(self, version: int, config: ScanConfig):
        self.version = version
        self.config = config
        self._words: OrderedDict[int, align_stage.DocWords] = OrderedDict()
        self._words_lock = threading.Lock()

    @classmethod
    def load(cls, con, version: int, config: ScanConfig, previous: "Snapshot | None" = None) -> "Snapshot":
        snap = cls(version, config)
        con.execute("BEGIN TRANSACTION")  # one consistent view over all the reads below
        try:
            snap.frequent = np.sort(_arrow(con.execute("SELECT key FROM frequent")).column("key")
                                    .to_numpy().astype(np.uint64))
            table = _arrow(con.execute("SELECT h, doc FROM shingles ORDER BY h, doc"))
            snap._set_base(table.column("h").to_numpy().astype(np.uint64), table.column("doc").to_numpy())
            del table
            docs = _arrow(con.execute(
                "SELECT doc, doc_id, source, date, source_key, text, fp, n_words, date_key FROM documents ORDER BY doc"))
            clusters = _arrow(con.execute(CLUSTERS_SQL))
        finally:
            con.execute("COMMIT")
        numbers = docs.column("doc").to_pylist()
        n = numbers[-1] + 1 if numbers else 0
        for name, attr in (("doc_id", "doc_ids"), ("source", "sources"), ("date", "dates"), ("text", "texts")):
            values = docs.column(name).to_pylist()
            if len(numbers) != n:  # numbers left free by removed documents hold None
                full = [None] * n
                for d, v in zip(numbers, values):
                    full[d] = v
                values = full
            setattr(snap, attr, Column(values))
        snap.source_keys = np.zeros(n, dtype=np.uint64)
        snap.source_keys[numbers] = docs.column("source_key").to_numpy().astype(np.uint64)
        snap.date_keys = np.zeros(n, dtype=np.int64)
        snap.date_keys[numbers] = docs.column("date_key").to_numpy().astype(np.int64)
        ngram = config.shingle.ngram
        long_enough = np.array(docs.column("n_words").to_pylist(), dtype=np.int64) >= ngram if numbers else np.zeros(0, bool)
        snap.fps = np.zeros(n, dtype=np.uint64)
        snap.has_fp = np.zeros(n, dtype=bool)
        fp_docs = np.array(numbers, dtype=np.int64)[long_enough]
        snap.fps[fp_docs] = docs.column("fp").filter(pa.array(long_enough)).to_numpy().astype(np.uint64)
        snap.has_fp[fp_docs] = True
        snap.by_fingerprint = Groups.of(fp_docs.tolist(), snap.fps[fp_docs].tolist())
        snap._fill_clusters(clusters)
        snap._take_words(previous, n)
        return snap

    def _set_base(self, hashes: np.ndarray, docs: np.ndarray) -> None:
        """Base postings from (h, doc) sorted by (h, doc): the distinct hashes (``keys``), where
        each one's documents start in ``docs``, and the documents (32-bit numbers while they fit:
        about 16 bytes per distinct hash); no dead documents, no delta."""
        small = len(hashes) < 2**31 and (len(docs) == 0 or int(docs.max()) < 2**31)
        self.docs = docs.astype(np.int32 if small else np.int64)
        starts = np.flatnonzero(hashes[1:] != hashes[:-1]) + 1 if len(hashes) else np.zeros(0, np.int64)
        self.keys = hashes[np.concatenate([[0], starts]).astype(np.int64)] if len(hashes) else hashes
        self.starts = np.concatenate([[0], starts, [len(hashes)]]).astype(np.int32 if small else np.int64)
        self.dead = np.zeros(0, dtype=np.int64)
        self.delta_h, self.delta_doc = np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)

    def postings(self) -> tuple[np.ndarray, np.ndarray]:
        """Every live posting (h, doc), sorted by (h, doc): the base without its dead documents,
        with the delta merged in."""
        hashes = np.repeat(self.keys, np.diff(self.starts.astype(np.int64)))
        docs = self.docs.astype(np.int64)
        if len(self.dead):
            keep = ~np.isin(docs, self.dead)
            hashes, docs = hashes[keep], docs[keep]
        if len(self.delta_h):
            base = len(hashes)
            hashes, docs = np.concatenate([hashes, self.delta_h]), np.concatenate([docs, self.delta_doc])
            order = np.argsort(hashes, kind="stable")  # two sorted runs: a linear merge
            hashes, docs = hashes[order], docs[order]
            # Within an n-gram, base documents came first: sort the documents of the n-grams the
            # delta holds (h is equal inside each, so only the documents move).
            run = np.concatenate([[0], np.cumsum(hashes[1:] != hashes[:-1])])
            touched = np.zeros(int(run[-1]) + 1 if len(run) else 0, dtype=bool)
            touched[run[order >= base]] = True
            at = np.flatnonzero(touched[run])
            docs[at] = docs[at][np.lexsort((docs[at], run[at]))]
        return hashes, docs

    #: The delta (postings of documents changed since the base was built) is merged into the base
    #: once it holds more than this share of the base's postings (or the changed documents this
    #: share of all documents): an add then costs in proportion
    #: to what it changed, and the merge's linear pass is spread over many adds.
    COMPACT_SHARE = 0.05

    @classmethod
    def advance(cls, previous: "Snapshot", con, version: int, config: ScanConfig, changed: np.ndarray,
                postings: tuple[np.ndarray, np.ndarray]) -> "Snapshot":
        """The snapshot ``load`` would give, from ``previous`` and the documents an add changed
        (added, re-shingled or removed: ``changed``; ``postings``: the (h, doc) the add stored for
        them, so not read again), reading only theirs: their base postings are marked dead and
        their new ones go to the delta (merged into the base now and then, `COMPACT_SHARE`); their
        entries and fingerprints are re-read; cluster spans are read again (every cluster's id may
        move: ids rank clusters by size). Per-document entries and fingerprint groups are shared
        with ``previous`` (`chunked`): only what the add changed is copied."""
        snap = cls(version, config)
        changed = np.unique(np.asarray(changed, dtype=np.int64))
        con.register("snap_changed", pa.table({"doc": pa.array(changed, pa.int64())}))
        con.execute("BEGIN TRANSACTION")
        try:
            snap.frequent = np.sort(_arrow(con.execute("SELECT key FROM frequent")).column("key")
                                    .to_numpy().astype(np.uint64))
            docs = _arrow(con.execute("""SELECT doc, doc_id, source, date, source_key, text, date_key, fp, n_words
                                         FROM documents SEMI JOIN snap_changed USING (doc) ORDER BY doc"""))
            n = int(con.execute("SELECT coalesce(max(doc) + 1, 0) FROM documents").fetchall()[0][0])
            clusters = _arrow(con.execute(CLUSTERS_SQL))
        finally:
            con.execute("COMMIT")
            con.unregister("snap_changed")
        # Postings: the base is shared with the previous snapshot; the changed documents' base
        # postings are dead and their current ones replace theirs in the delta.
        snap.keys, snap.starts, snap.docs = previous.keys, previous.starts, previous.docs
        snap.dead = np.union1d(previous.dead, changed)
        keep = ~np.isin(previous.delta_doc, changed)
        hashes = np.concatenate([previous.delta_h[keep], np.asarray(postings[0], dtype=np.uint64)])
        holders = np.concatenate([previous.delta_doc[keep], np.asarray(postings[1], dtype=np.int64)])
        order = np.lexsort((holders, hashes))
        snap.delta_h, snap.delta_doc = hashes[order], holders[order]
        if len(snap.delta_h) > cls.COMPACT_SHARE * len(snap.docs) or len(snap.dead) > cls.COMPACT_SHARE * n:
            snap._set_base(*snap.postings())
        # Documents: the previous entries, the changed ones re-read (None where removed).
        grow = max(0, n - len(previous.doc_ids))
        snap.doc_ids, snap.sources = previous.doc_ids.grown(n), previous.sources.grown(n)
        snap.dates, snap.texts = previous.dates.grown(n), previous.texts.grown(n)
        snap.source_keys = np.concatenate([previous.source_keys, np.zeros(grow, np.uint64)])
        snap.date_keys = np.concatenate([previous.date_keys, np.zeros(grow, np.int64)])
        snap.fps = np.concatenate([previous.fps, np.zeros(grow, np.uint64)])
        snap.has_fp = np.concatenate([previous.has_fp, np.zeros(grow, bool)])
        inside = changed[changed < len(snap.source_keys)]
        for target in (snap.doc_ids, snap.sources, snap.dates, snap.texts):
            for d in inside.tolist():
                target[d] = None
        snap.source_keys[inside], snap.date_keys[inside] = 0, 0
        numbers = docs.column("doc").to_pylist()
        for name, target in (("doc_id", snap.doc_ids), ("source", snap.sources), ("date", snap.dates),
                             ("text", snap.texts)):
            for d, v in zip(numbers, docs.column(name).to_pylist()):
                target[d] = v
        snap.source_keys[numbers] = docs.column("source_key").to_numpy().astype(np.uint64)
        snap.date_keys[numbers] = docs.column("date_key").to_numpy().astype(np.int64)
        # Exact-duplicate groups: the changed documents leave their old groups and join their new ones
        # (the groups are new lists, so the previous snapshot's stay as they were).
        snap.by_fingerprint = previous.by_fingerprint.copy()
        touched: dict[int, set[int]] = {}
        was = changed[changed < len(previous.has_fp)]
        for d in was[previous.has_fp[was]].tolist():
            touched.setdefault(int(previous.fps[d]), set()).add(d)
        snap.has_fp[inside] = False
        long_enough = docs.column("n_words").to_numpy() >= int(config.shingle.ngram)
        joining: dict[int, set[int]] = {}
        for d, fp, ok in zip(numbers, docs.column("fp").to_pylist(), long_enough.tolist()):
            if ok:
                joining.setdefault(fp, set()).add(d)
                snap.fps[d], snap.has_fp[d] = fp, True
                touched.setdefault(fp, set())
        for fp, leaving in touched.items():
            group = sorted({d for d in snap.by_fingerprint.get(fp, ()) if d not in leaving} | joining.get(fp, set()))
            snap.by_fingerprint.set(fp, group)
        snap._fill_clusters(clusters)
        snap._take_words(previous, n)
        return snap

    def _fill_clusters(self, clusters: pa.Table) -> None:
        """Cluster member rows sorted by document (the table's order kept within one: ties go to
        the first), and each cluster's origin row: arrays, so that a snapshot advanced by an add
        reads them again without a Python pass over every row."""
        order = np.argsort(clusters.column("doc").to_numpy(), kind="stable")
        self._clusters = clusters.take(pa.array(order, pa.int64()))
        self._cluster_doc = self._clusters.column("doc").to_numpy().astype(np.int64)
        self._cluster_span = np.stack([self._clusters.column(k).to_numpy().astype(np.int64)
                                       for k in ("begin", "end", "cluster_id")], axis=1) if len(order) else np.zeros((0, 3), np.int64)
        ids = self._cluster_span[:, 2]
        origin = np.flatnonzero(self._clusters.column("is_origin").to_numpy(zero_copy_only=False))
        self._origin_row = np.full(int(ids.max()) + 1 if len(ids) else 0, -1, dtype=np.int64)
        self._origin_row[ids[origin]] = origin

    def cluster_spans(self, doc: int) -> list[tuple[int, int, int]]:
        """(begin, end, cluster id) of the cluster members in document ``doc``."""
        lo, hi = np.searchsorted(self._cluster_doc, [doc, doc + 1])
        return [tuple(row) for row in self._cluster_span[lo:hi].tolist()]

    def cluster_info(self, cluster_id: int) -> dict | None:
        """A cluster's size and origin, as a query answer gives it."""
        row = int(self._origin_row[cluster_id]) if 0 <= cluster_id < len(self._origin_row) else -1
        if row < 0:
            return None
        get = {k: self._clusters.column(k)[row].as_py() for k in
               ("doc_id", "begin", "end", "cluster_size", "cluster_docs", "source", "date")}
        return {"cluster_id": int(cluster_id), "members": get["cluster_size"], "documents": get["cluster_docs"],
                "origin_doc_id": get["doc_id"], "origin_source": get["source"], "origin_date": get["date"],
                "origin_begin": get["begin"], "origin_end": get["end"]}

    def _take_words(self, previous: "Snapshot | None", n: int) -> None:
        """Keep the cached words of documents whose text, source and boilerplate are unchanged."""
        if previous is not None and np.array_equal(previous.frequent, self.frequent):
            with previous._words_lock:
                kept = list(previous._words.items())
            for d, words in kept:
                if (d < n and self.texts[d] is not None and d < len(previous.texts) and self.texts[d] == previous.texts[d]
                        and self.source_keys[d] == previous.source_keys[d]):
                    self._words[d] = words

    def words(self, doc: int) -> align_stage.DocWords:
        """A document's words as the aligner needs them, masked as a scan masks them."""
        with self._words_lock:
            words = self._words.get(doc)
            if words is not None:
                self._words.move_to_end(doc)
                return words
        tokens, mask = tasks.masked_tokens([self.texts[doc]], self.source_keys[doc:doc + 1], self.frequent,
                                           self.config)
        words = align_stage.DocWords.from_tokens(tokens, mask)
        with self._words_lock:
            self._words[doc] = words
            while len(self._words) > self.WORDS_CACHE:
                self._words.popitem(last=False)
        return words

    def _shared_with(self, grams: np.ndarray) -> list[tuple[int, int, int]]:
        """(document, shared n-grams, common ones) for the indexed documents that are candidates
        with the query's ``grams`` under the scan's rule (`stages/candidates.py`), the query
        counted as the newest document: an n-gram in at most ``max_df`` documents (counting the
        query) pairs it with every holder; a more frequent one links it to the
        ``frequent_links`` holders last in date order and to the first. A document is a
        candidate with at least ``min_shared`` of the first or ``frequent_min_shared`` links;
        its count is both. Postings are held in memory: the distinct hashes sorted (one binary
        search per n-gram) and each one's documents; the work per frequent n-gram is a pass
        over its holders' date keys."""
        config = self.config.candidates
        gram_of, holders = self._holders(grams)
        if len(holders) == 0:
            return []
        sizes = np.bincount(gram_of, minlength=len(grams))
        rare_gram = candidates.is_rare(sizes + 1, config)  # the query counted as a holder
        common_gram = candidates.is_common(sizes + 1, config)
        rare = rare_gram[gram_of]
        rare_docs = holders[rare]
        rare_common = common_gram[gram_of][rare]
        links = int(config.frequent_links)
        linked_docs, linked_common = [np.zeros(0, np.int64)], [np.zeros(0, bool)]
        if links > 0:
            bounds = np.concatenate([[0], np.cumsum(sizes)])
            for g in np.flatnonzero(~rare_gram & (sizes > 0)).tolist():
                chosen = _first_and_last(holders[bounds[g]:bounds[g + 1]], self.date_keys, links)
                linked_docs.append(chosen)
                linked_common.append(np.full(len(chosen), common_gram[g]))
        linked_docs, linked_common = np.concatenate(linked_docs), np.concatenate(linked_common)
        every = np.concatenate([rare_docs, linked_docs])
        if len(every) == 0:
            return []
        found, inverse = np.unique(every, return_inverse=True)
        is_rare = np.concatenate([np.ones(len(rare_docs), bool), np.zeros(len(linked_docs), bool)])
        n_rare = np.bincount(inverse, weights=is_rare, minlength=len(found))
        n_all = np.bincount(inverse, minlength=len(found))
        common = np.bincount(inverse, weights=np.concatenate([rare_common, linked_common]), minlength=len(found))
        ok = candidates.is_candidate(n_rare, n_all - n_rare, config)
        return list(zip(found[ok].tolist(), n_all[ok].astype(np.int64).tolist(), common[ok].astype(np.int64).tolist()))

    def postings_of(self, grams: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(h, doc) of every live posting of the sorted, distinct ``grams``: what the index's
        segments hold for them at this snapshot's version, read from memory."""
        gram_of, docs = self._holders(grams)
        return grams[gram_of], docs

    def _holders(self, grams: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(index into ``grams``, document) of every live holder of the sorted, distinct ``grams``,
        sorted by (index, document): the base's holders but its dead documents, and the delta's."""
        parts_g, parts_d = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
        if len(self.keys):
            at = np.searchsorted(self.keys, grams)
            known = at < len(self.keys)
            known[known] = self.keys[at[known]] == grams[known]
            which = np.flatnonzero(known)
            lo = self.starts[at[which]].astype(np.int64)
            hi = self.starts[at[which] + 1].astype(np.int64)
            parts_g.append(np.repeat(which, hi - lo))
            parts_d.append(self.docs[_ranges(lo, hi)].astype(np.int64))
            if len(self.dead):
                keep = ~np.isin(parts_d[-1], self.dead)
                parts_g[-1], parts_d[-1] = parts_g[-1][keep], parts_d[-1][keep]
        if len(self.delta_h):
            lo = np.searchsorted(self.delta_h, grams, side="left")
            hi = np.searchsorted(self.delta_h, grams, side="right")
            parts_g.append(np.repeat(np.arange(len(grams)), hi - lo))
            parts_d.append(self.delta_doc[_ranges(lo, hi)])
        gram_of, docs = np.concatenate(parts_g), np.concatenate(parts_d)
        if len(parts_g) > 2:  # base and delta: interleave
            order = np.lexsort((docs, gram_of))
            gram_of, docs = gram_of[order], docs[order]
        return gram_of, docs

    def query(self, text: str, source: str | None = None, limit: int = QUERY_LIMIT) -> dict[str, Any]:
        """``Index.query`` on this snapshot."""
        config = self.config
        snap = self
        skey = np.array([string_key(source)], dtype=np.uint64)
        tokens, mask = tasks.masked_tokens([text], skey, snap.frequent, config)
        _, grams = shingle.document_shingles(tokens, config.shingle.ngram, mask)
        n_words = len(tokens.hashes)
        shared = self._shared_with(np.unique(grams))
        exact: set[int] = set()
        if n_words >= config.shingle.ngram:
            fp = int(shingle.document_fingerprints(tokens)[0])
            group = snap.by_fingerprint.get(fp, ())
            # As in the scan, a group of more than max_df (the query counted) is linked to its first.
            exact = set(group) if candidates.is_rare(len(group) + 1, config.candidates) else {min(group)}
        shared_n = {doc: n for doc, n, _ in shared}
        prone_of = dict(zip(shared_n, formula.formula_prone(np.array([n for _, n, _ in shared]),
                                                            np.array([c for _, _, c in shared]), config.pairs).tolist()))
        # The best ``limit`` candidates: exact duplicates, then by shared n-grams, then the oldest.
        ranked = sorted(set(shared_n) | exact, key=lambda d: (d not in exact, -shared_n.get(d, 0), d))
        q_words = align_stage.DocWords.from_tokens(tokens, mask)
        matches = []
        for doc in ranked[:max(0, int(limit))]:
            d_words = snap.words(doc)
            if doc in exact:
                m = align_stage.whole_document_match(d_words, q_words)
                found = [m] if m else []
            else:
                found = formula.align_unless_formula(d_words, q_words, snap.texts[doc], text,
                                                     prone_of.get(doc, False), config)
            if not found:
                continue
            doc_id, dsource, ddate = snap.doc_ids[doc], snap.sources[doc], snap.dates[doc]
            spans = snap.cluster_spans(doc)
            passages = [{
                "begin": m.b_begin, "end": m.b_end, "doc_begin": m.a_begin, "doc_end": m.a_end,
                "matched_words": m.matched_words, "similarity": m.similarity, "kind": m.kind,
                "text": text[m.b_begin:m.b_end],
                "cluster_id": _cluster_at_spans(spans, m.a_begin, m.a_end),
            } for m in found]
            matches.append({"doc_id": doc_id, "source": dsource, "date": ddate,
                            "shared_ngrams": int(shared_n.get(doc, 0)), "exact_duplicate": doc in exact,
                            "passages": passages})
        ids = sorted({p["cluster_id"] for m in matches for p in m["passages"] if p["cluster_id"] is not None})
        return {"length": len(text), "words": n_words, "candidates": len(ranked), "limit": int(limit),
                "documents": len(matches), "matches": matches,
                "clusters": [info for info in map(snap.cluster_info, ids) if info is not None]}


def _first_and_last(holders: np.ndarray, date_keys: np.ndarray, k: int) -> np.ndarray:
    """Of ``holders`` (sorted by document number), the first in date order and the last ``k``
    (order: date key, then document number), distinct: in O(holders), no sort."""
    if len(holders) <= k + 1:
        return holders
    keys = date_keys[holders]
    first = holders[keys == keys.min()][0]  # ties: the lowest document number
    cut = np.partition(keys, len(keys) - k)[len(keys) - k]  # the k-th largest key
    above = holders[keys > cut]
    tied = holders[keys == cut][::-1][:k - len(above)]  # ties: the highest document numbers last
    return np.unique(np.concatenate([above, tied, [first]]))


def _cluster_at_spans(spans: list[tuple[int, int, int]], begin: int, end: int) -> int | None:
    """The same over (begin, end, cluster_id) spans: the first of those overlapping most."""
    best, best_overlap = None, 0
    for b, e, cid in spans:
        overlap = min(e, end) - max(b, begin)
        if overlap > best_overlap:
            best, best_overlap = cid, overlap
    return int(best) if best is not None else None
