"""What a query reads: an in-memory snapshot of the index as of its last committed add."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import numpy as np

from reprints.config import ScanConfig
from reprints.engines import tasks
from reprints.index.schema import arrow as _arrow
from reprints.stages import align as align_stage
from reprints.stages import formula, shingle
from reprints.stages.normalise import string_key


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
            hashes = table.column("h").to_numpy().astype(np.uint64)
            docs_ = table.column("doc").to_numpy()
            del table
            # Postings: the distinct hashes, where each one's documents start in ``docs``, and
            # the documents (32-bit numbers while they fit: about 16 bytes per distinct hash).
            small = len(hashes) < 2**31 and (len(docs_) == 0 or int(docs_.max()) < 2**31)
            snap.docs = docs_.astype(np.int32 if small else np.int64)
            del docs_
            starts = np.flatnonzero(hashes[1:] != hashes[:-1]) + 1 if len(hashes) else np.zeros(0, np.int64)
            snap.keys = hashes[np.concatenate([[0], starts]).astype(np.int64)] if len(hashes) else hashes
            snap.starts = np.concatenate([[0], starts, [len(hashes)]]).astype(np.int32 if small else np.int64)
            del hashes, starts
            docs = _arrow(con.execute(
                "SELECT doc, doc_id, source, date, source_key, text, fp, n_words FROM documents ORDER BY doc"))
            clusters = _arrow(con.execute('SELECT doc_id, cluster_id, "begin", "end" FROM clusters'))
        finally:
            con.execute("COMMIT")
        numbers = docs.column("doc").to_pylist()
        n = numbers[-1] + 1 if numbers else 0
        snap.doc_ids = [None] * n
        snap.sources = [None] * n
        snap.dates = [None] * n
        snap.texts = [None] * n
        snap.source_keys = np.zeros(n, dtype=np.uint64)
        for name, target in (("doc_id", snap.doc_ids), ("source", snap.sources), ("date", snap.dates),
                             ("text", snap.texts)):
            for d, v in zip(numbers, docs.column(name).to_pylist()):
                target[d] = v
        snap.source_keys[numbers] = docs.column("source_key").to_numpy().astype(np.uint64)
        # Exact duplicates: documents of at least one shingle's words, by fingerprint.
        snap.by_fingerprint = {}
        ngram = config.shingle.ngram
        for d, fp, nw in zip(numbers, docs.column("fp").to_pylist(), docs.column("n_words").to_pylist()):
            if nw >= ngram:
                snap.by_fingerprint.setdefault(fp, []).append(d)
        # Cluster member spans by document, in the table's order (ties go to the first, as before).
        snap.clusters = {}
        for doc_id, cid, b, e in zip(*(clusters.column(k).to_pylist() for k in ("doc_id", "cluster_id", "begin", "end"))):
            snap.clusters.setdefault(doc_id, []).append((b, e, cid))
        if previous is not None and np.array_equal(previous.frequent, snap.frequent):
            with previous._words_lock:
                kept = list(previous._words.items())
            for d, words in kept:
                if (d < n and snap.texts[d] is not None and snap.texts[d] == previous.texts[d]
                        and snap.source_keys[d] == previous.source_keys[d]):
                    snap._words[d] = words
        return snap

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
        """(document, shared n-grams, common ones) for indexed documents sharing at least ``min_shared`` of
        ``grams`` that occur in at most ``max_df`` documents counting the query: the scan's
        candidate rule. Postings are held in memory: the distinct hashes sorted (one binary
        search per n-gram) and each one's documents."""
        keys, starts, docs = self.keys, self.starts, self.docs
        config = self.config.candidates
        if len(keys) == 0:
            return []
        at = np.searchsorted(keys, grams)
        known = at < len(keys)
        known[known] = keys[at[known]] == grams[known]
        at = at[known]
        lo, hi = starts[at], starts[at + 1]
        keep = hi - lo + 1 <= config.max_df
        lo, hi = lo[keep], hi[keep]
        if len(lo) == 0:
            return []
        sizes = hi - lo
        idx = np.repeat(lo - np.concatenate([[0], np.cumsum(sizes)[:-1]]), sizes) + np.arange(int(sizes.sum()))
        found, inverse, counts = np.unique(docs[idx], return_inverse=True, return_counts=True)
        # Common: in more than common_df documents, the query counted as one of them.
        common = np.bincount(inverse, weights=np.repeat(sizes + 1 > config.common_df, sizes), minlength=len(found))
        ok = counts >= config.min_shared
        return list(zip(found[ok].tolist(), counts[ok].tolist(), common[ok].astype(np.int64).tolist()))

    def query(self, text: str, source: str | None = None) -> dict[str, Any]:
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
            exact = set(snap.by_fingerprint.get(fp, ()))
        shared_n = {doc: n for doc, n, _ in shared}
        prone_of = dict(zip(shared_n, formula.formula_prone(np.array([n for _, n, _ in shared]),
                                                            np.array([c for _, _, c in shared]), config.pairs).tolist()))
        q_words = align_stage.DocWords.from_tokens(tokens, mask)
        matches = []
        for doc in sorted(set(shared_n) | exact):
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
            spans = snap.clusters.get(doc_id)
            passages = [{
                "begin": m.b_begin, "end": m.b_end, "doc_begin": m.a_begin, "doc_end": m.a_end,
                "matched_words": m.matched_words, "similarity": m.similarity, "kind": m.kind,
                "text": text[m.b_begin:m.b_end],
                "cluster_id": _cluster_at_spans(spans, m.a_begin, m.a_end) if spans is not None else None,
            } for m in found]
            matches.append({"doc_id": doc_id, "source": dsource, "date": ddate,
                            "shared_ngrams": int(shared_n.get(doc, 0)), "exact_duplicate": doc in exact,
                            "passages": passages})
        return {"length": len(text), "words": n_words, "documents": len(matches), "matches": matches}


def _cluster_at_spans(spans: list[tuple[int, int, int]], begin: int, end: int) -> int | None:
    """The same over (begin, end, cluster_id) spans: the first of those overlapping most."""
    best, best_overlap = None, 0
    for b, e, cid in spans:
        overlap = min(e, end) - max(b, begin)
        if overlap > best_overlap:
            best, best_overlap = cid, overlap
    return int(best) if best is not None else None
