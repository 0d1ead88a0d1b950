"""A persistent reprint index in one DuckDB file.

The index holds every document with its text, the per-document line keys that boilerplate
detection counts, the n-gram shingles and fingerprints, the candidate pairs, the aligned
passages and the derived pairs and clusters tables. Adding documents reuses the scan's own
stage functions (tokenise, boilerplate, shingle, candidate SQL, aligner, clusters), so an
index built in several batches holds the same pairs, passages and clusters as one
``reprints.scan`` over all of the documents in the same order.

An add looks only at what its documents can change (``index/add.py`` says how for each
step): the counts of their line keys, the documents whose boilerplate mask changed, the
candidate rows of pairs with a new, re-shingled or otherwise affected side (the n-grams
whose document frequency crossed a cap, the exact-duplicate groups), the alignment of the
pairs that are new or changed, their pair statistics, and the clusters holding a document whose
passages changed. The modules: ``schema`` (tables), ``add`` (the steps), ``read`` (tables, stats,
documents, clusters), ``snapshot`` (what queries read), and this one (the index object: its
connection, the write lock and transaction, the crash-safety points).

Every add runs in one DuckDB transaction: a process killed in the middle leaves the index as
it was before the add, and running the same add again completes it. Re-adding a document
with a known id and the same text changes nothing; with another text the old version is
replaced (its pairs and passages recomputed).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa

from reprints.config import QUERY_LIMIT, ScanConfig
from reprints.engines import local, tasks
from reprints.index import add as steps
from reprints.index import read
from reprints.index.postings import LINES, Segments, into_table as _into_table
from reprints.index.read import _cluster_at  # noqa: F401  (tests use it)
from reprints.index.schema import SCHEMA, SCHEMA_VERSION, IndexError_, arrow as _arrow, check_index_path, one as _one
from reprints.index.snapshot import Snapshot as _Snapshot
from reprints.io import readers, workspace
from reprints.progress import Reporter
from reprints.records import Document, Skip
from reprints.stages import cluster, report_tables
from reprints.stages.normalise import string_key

#: The points an add passes, in this order: ``begin`` (its transaction is open, nothing written),
#: then, each once its writes are done, ``boilerplate`` (documents and line keys stored, frequent
#: lines recomputed), ``shingle``, ``candidates`` (candidate pairs stored, stale passages
#: dropped), ``align`` (new passages stored), ``cluster`` (pairs and clusters rebuilt: all is
#: written, COMMIT comes next), and ``committed`` (after COMMIT, before the query snapshot is
#: rebuilt). An add with no new or changed document passes only ``begin`` and ``committed``.
ADD_POINTS = ("begin", "boilerplate", "shingle", "candidates", "align", "cluster", "committed")

#: A hook for tests, None otherwise (then it costs one global lookup per point). When set, every
#: add calls it with the name of each point of ``ADD_POINTS`` it reaches, in the thread that
#: runs the add and under the write lock. A test can record the points, block at one (to answer
#: queries while the add is held there, or to SIGKILL the process there), or raise (before
#: ``committed`` the add is then rolled back).
on_stage: Callable[[str], None] | None = None


def _reached(point: str) -> None:
    hook = on_stage
    if hook is not None:
        hook(point)


@dataclass
class AddResult:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    reshingled: int = 0
    aligned_pairs: int = 0
    candidate_focus: int = 0  # documents whose candidate pairs the add recomputed
    passages: int = 0
    clusters: int = 0
    documents: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": len(self.added), "replaced": self.replaced, "unchanged": len(self.unchanged),
            "skipped": self.skipped, "reshingled_documents": self.reshingled,
            "aligned_pairs": self.aligned_pairs, "candidate_focus": self.candidate_focus, "documents": self.documents, "passages": self.passages,
            "clusters": self.clusters,
        }


class Index:
    """One DuckDB file. Writes are serialised by a lock; reads use their own cursors and see
    the last committed state, so queries are answered while an add runs."""

    def __init__(self, path: str | Path, config: ScanConfig | None = None, read_only: bool = False):
        import duckdb

        self.path = Path(path)
        self.read_only = read_only
        if read_only and not self.path.exists():
            raise FileNotFoundError(f"no index at {self.path}")
        check_index_path(self.path)
        self.con = duckdb.connect(str(self.path), read_only=read_only)
        self.lock = threading.Lock()
        self._writer = None  # the one cursor that writes (under the lock)
        self._version = 0  # bumped after every committed add: the query snapshot below is then stale
        self._snap: _Snapshot | None = None  # what queries read, built on the first query
        self._snap_lock = threading.Lock()  # one snapshot build at a time
        # (version, documents its add changed, the postings (h, doc) it stored for them)
        self._changed: tuple[int, np.ndarray, tuple[np.ndarray, np.ndarray]] | None = None
        self._add_changed: tuple[np.ndarray, tuple[np.ndarray, np.ndarray]] | None = None
        self._segments = Segments(self.path)  # postings by n-gram for adds (index/postings.py)
        self._lines = Segments(self.path, LINES)  # and by boilerplate key (line_keys)
        if not read_only:
            self.con.execute("BEGIN")
            for stmt in SCHEMA:
                self.con.execute(stmt)
            self.con.execute("COMMIT")
        stored = self._meta("config")
        if stored is None:
            self.config = config or ScanConfig()
            if not read_only:
                self.con.execute("INSERT INTO meta VALUES ('config', ?), ('schema_version', ?)",
                                 [json.dumps(self.config.to_dict()), str(SCHEMA_VERSION)])
        else:
            self.config = ScanConfig.from_dict(json.loads(stored))
            version = self._meta("schema_version")
            if version != str(SCHEMA_VERSION):
                raise IndexError_(f"{self.path}: index schema version {version}, expected {SCHEMA_VERSION}")

    def _meta(self, key: str) -> str | None:
        try:
            row = _one(self.con.execute("SELECT value FROM meta WHERE key = ?", [key]))
        except Exception as error:  # a DuckDB file that is no index
            raise IndexError_(f"{self.path} is not a reprints index: {error}") from error
        return row[0] if row else None

    def close(self) -> None:
        """Close the database; the query snapshot and the mapped segments go with it (an Index
        object still referenced after its ``with`` block then holds no memory of the index)."""
        if self._writer is not None:
            self._writer.close()
        self.con.close()
        self._snap = None
        self._segments.close()
        self._lines.close()

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def reader(self):
        """A cursor for reading (its own connection to the same database)."""
        return self.con.cursor()

    # --- adding ----------------------------------------------------------------------

    def read(self, inputs: Any) -> tuple[list[Document], list[Skip]]:
        docs: list[Document] = []
        skips: list[Skip] = []
        for item in readers.read_documents(inputs, self.config.read):
            (docs if isinstance(item, Document) else skips).append(item)
        return docs, skips

    def add(self, inputs: Any, workers: int = 1, reporter: Reporter | None = None) -> AddResult:
        """Add documents (anything ``reprints.scan`` reads) in one transaction."""
        if self.read_only:
            raise IndexError_("index opened read-only")
        docs, skips = self.read(inputs)
        return self.add_documents(docs, skips, workers=workers, reporter=reporter)

    def add_documents(self, docs: list[Document], skips: list[Skip] | None = None, workers: int = 1,
                      reporter: Reporter | None = None) -> AddResult:
        with self.lock:
            if self._writer is None:
                self._writer = self.con.cursor()
            con = self._writer
            con.execute("BEGIN")
            try:
                _reached("begin")
                result = self._add(con, docs, skips or [], workers, reporter or Reporter())
                con.execute("COMMIT")
                self._segments.committed()
                self._lines.committed()
                if result.added or result.replaced:  # else nothing was written: the snapshot stays
                    self._version += 1
                    self._changed = (self._version, *self._add_changed)
            except BaseException:
                try:
                    con.execute("ROLLBACK")
                except Exception:
                    pass
                self._segments.rolled_back()
                self._lines.rolled_back()
                raise
            _reached("committed")
            if self._snap is not None and not self._is_current(self._snap):
                # Where queries are being answered (the server), build their new snapshot now,
                # still under the write lock (so it is exactly this version); queries meanwhile
                # read the previous one. If this fails, the next query builds it.
                try:
                    self._snapshot(wait=True, changed=self._changed)
                except Exception:
                    pass
        return result

    def _is_current(self, snap: "_Snapshot | None") -> bool:
        """Whether ``snap`` is the query snapshot of the last committed add."""
        return snap is not None and snap.version == self._version

    def _probe(self, con, segments: dict, grams: np.ndarray, added: tuple[np.ndarray, np.ndarray],
               dead: np.ndarray, ranks: steps.Ranks) -> None:
        """Every live posting of ``grams`` after this add's postings were appended (``added``:
        their (h, doc); ``dead``: the documents whose earlier postings it retired), into temporary
        table ``probe_postings``, and their documents' ranks into ``ranks``. Where queries are being
        answered, their snapshot of the last committed version holds every posting in memory and is
        read instead of the segment files (a server's add then reads no file it may have evicted:
        1.1–2.3 s of the add at 1M)."""
        snap = self._snap
        if not self._is_current(snap):
            h, doc = self._segments.find(con, segments, grams)
        else:
            grams = np.unique(np.asarray(grams, dtype=np.uint64))
            h, doc = snap.postings_of(grams)
            before = ~np.isin(doc, dead)
            new_h, new_doc = added
            mine = np.isin(new_h, grams)
            h, doc = np.concatenate([h[before], new_h[mine]]), np.concatenate([doc[before], new_doc[mine]])
        _into_table(con, "probe_postings", doc, h)
        ranks.need(doc)

    def _add(self, con, docs: list[Document], skips: list[Skip], workers: int, reporter: Reporter) -> AddResult:
        config = self.config
        result = AddResult(skipped=[{"input": s.origin, "doc_id": s.doc_id, "reason": s.reason} for s in skips])
        known = _stored_texts(con, [d.doc_id for d in docs])
        new_docs: list[Document] = []
        for d in docs:
            if d.doc_id in known:
                if known[d.doc_id] == d.text:
                    result.unchanged.append(d.doc_id)
                    continue
                result.replaced.append(d.doc_id)
            else:
                result.added.append(d.doc_id)
            new_docs.append(d)
        if not new_docs:
            result.documents, result.passages, result.clusters = self._counts(con)
            return result

        # Replaced documents leave everything behind them; what they held is remembered, since
        # the counts of their line keys and n-grams, and their exact-duplicate groups, change.
        segments, lines = self._segments.begin(con), self._lines.begin(con)
        steps.start_removed(con)
        gone = np.zeros(0, dtype=np.int64)
        if result.replaced:
            con.register("gone_ids", pa.table({"doc_id": pa.array(result.replaced, pa.string())}))
            gone = np.array([r[0] for r in con.execute(
                "SELECT doc FROM documents WHERE doc_id IN (SELECT doc_id FROM gone_ids)").fetchall()], np.int64)
            con.unregister("gone_ids")
        gone_keys, gone_grams, gone_fps = self._held_by(con, gone)
        gone_partners = np.zeros(0, dtype=np.int64)
        if len(gone):
            steps.remember_postings(con, gone)  # where they stood among frequent n-grams' holders
            gone_partners = steps.candidate_partners(con, gone)  # their sources' choices change
            self._delete_docs(con, gone)

        start = _one(con.execute("SELECT coalesce(max(doc) + 1, 0) FROM documents"))[0]
        n_new = len(new_docs)
        new_idx = np.arange(start, start + n_new, dtype=np.int64)
        texts = [d.text for d in new_docs]
        source_keys = np.array([string_key(d.source) for d in new_docs], dtype=np.uint64)
        batch = config.engine.batch_docs
        with reporter.stage("boilerplate", total=n_new, unit="docs") as r:
            line_docs, line_keys = [np.zeros(0, np.int64)], [np.zeros(0, np.uint64)]
            for lo in range(0, n_new, batch):
                hi = min(lo + batch, n_new)
                d, k = tasks.doc_line_keys(texts[lo:hi], source_keys[lo:hi], config)
                line_docs.append(new_idx[lo + d])
                line_keys.append(k.astype(np.uint64))
                r.advance(hi - lo)
        self._insert_documents(con, new_docs, new_idx, texts, source_keys)
        new_keys, new_key_docs = np.concatenate(line_keys), np.concatenate(line_docs)
        con.register("new_lines", pa.table({"doc": pa.array(new_key_docs, pa.int64()),
                                            "key": pa.array(new_keys, pa.uint64())}))
        con.execute("INSERT INTO line_keys SELECT doc, key FROM new_lines")
        con.unregister("new_lines")
        self._lines.append(con, lines, new_key_docs, new_keys, dead=gone)
        # Only the counts of the keys the new and removed documents hold have changed.
        touched = np.concatenate([new_keys, gone_keys])  # made distinct by find and update_frequent
        frequent, affected = steps.update_frequent(con, touched, self._lines.find(con, lines, touched), start, config)
        result.reshingled = int(len(affected))
        dirty = np.concatenate([affected.astype(np.int64), new_idx])
        _reached("boilerplate")

        # Shingles and fingerprints of the new and re-shingled documents.
        old_keys, old_grams, old_fps = self._held_by(con, affected, line_keys=False)
        with reporter.stage("shingle", total=len(dirty), unit="docs") as r:
            if len(affected):
                steps.remember_postings(con, affected)
                self._delete_where_doc(con, "shingles", affected)
            new_grams, new_holders = [np.zeros(0, np.uint64)], [np.zeros(0, np.int64)]
            new_fps = [np.zeros(0, np.uint64)]  # of the shingled documents long enough to have one
            for lo in range(0, len(dirty), batch):
                part = dirty[lo:lo + batch]
                part_texts, part_keys = self._texts(con, part, new_idx, texts, source_keys)
                d, grams, fps, n_words, n_grams = tasks.shingles(part_texts, part_keys, frequent, config)
                con.register("new_sh", pa.table({"doc": pa.array(part[d], pa.int64()), "h": pa.array(grams, pa.uint64())}))
                con.execute("INSERT INTO shingles SELECT doc, h FROM new_sh")
                con.unregister("new_sh")
                new_grams.append(grams.astype(np.uint64))
                new_fps.append(np.asarray(fps, np.uint64)[np.asarray(n_words) >= config.shingle.ngram])
                new_holders.append(part[d].astype(np.int64))
                stats = pa.table({
                    "doc": pa.array(part, pa.int64()),
                    "n_words": pa.array(n_words, pa.int64()),
                    "n_grams": pa.array(n_grams, pa.int64()),
                    "fp": pa.array(fps, pa.uint64()),
                })
                con.register("stats", stats)
                con.execute("""UPDATE documents SET n_words = s.n_words, n_grams = s.n_grams, fp = s.fp
                               FROM stats s WHERE documents.doc = s.doc""")
                con.unregister("stats")
                r.advance(len(part))
            added, dead = (np.concatenate(new_grams), np.concatenate(new_holders)), np.concatenate([gone, affected])
            self._segments.append(con, segments, added[1], added[0], dead=dead)
        _reached("shingle")

        # Candidates for the pairs this add can change; align what is new or touched.
        with reporter.stage("candidates", total=None, unit="pairs") as r:
            grams, delta = _gram_delta(np.concatenate(new_grams), np.concatenate([gone_grams, old_grams]))
            ranks = steps.Ranks(con)
            try:
                self._probe(con, segments, grams, added, dead, ranks)  # no scan of all shingles
                focus = np.unique(np.concatenate([dirty, steps.crossing_holders(con, grams, delta, config),
                                                  steps.moved_holders(con, dirty, ranks, config)]))
                groups = steps.exact_group_members(con, np.concatenate(new_fps + [gone_fps, old_fps]),
                                                   config.shingle.ngram)
                focus = np.unique(np.concatenate([focus, groups]))
                others = np.setdiff1d(focus, dirty)
                if len(others):
                    self._probe(con, segments, steps.unprobed_grams(con, others, grams), added, dead, ranks)
                result.candidate_focus = int(len(focus))
                old_shared, old_exact, shared, exact, focus = steps.focused_candidates(con, focus, groups,
                                                                                       gone_partners, ranks, config)
            finally:
                con.execute("DROP TABLE IF EXISTS probe_postings")
                con.execute(f"DROP TABLE IF EXISTS {steps.REMOVED}")
                ranks.drop()
            r.advance(len(shared) + len(exact))
        old_eff = steps.effective_pairs(old_shared, old_exact, config)
        new_eff = steps.effective_pairs(shared, exact, config)
        todo, drop = steps.pairs_to_align(old_eff, new_eff, np.unique(dirty))
        if len(drop):
            con.register("drop_pairs", pa.Table.from_pandas(drop, preserve_index=False))
            con.execute("DELETE FROM passages WHERE EXISTS (SELECT 1 FROM drop_pairs k WHERE k.a = passages.a AND k.b = passages.b)")
            con.unregister("drop_pairs")
        _reached("candidates")

        needed = np.unique(np.concatenate([todo["a"].to_numpy(np.int64), todo["b"].to_numpy(np.int64)]))
        needed, needed_texts, needed_keys = steps.texts_in_order(con, needed)
        found = _align_pairs(needed, needed_texts, needed_keys, frequent, config, todo, workers, reporter, self.path)
        result.aligned_pairs = len(todo)
        if len(found["a"]):
            con.register("new_p", pa.table({k: (pa.array(found[k].tolist(), pa.string()) if k == "kind" else found[k])
                                            for k in tasks.PASSAGE_COLUMNS}))
            con.execute("INSERT INTO passages SELECT a, b, begin_a, end_a, begin_b, end_b, matched, similarity, kind FROM new_p")
            con.unregister("new_p")
        _reached("align")

        with reporter.stage("cluster", total=1, unit="") as r:
            steps.update_pairs(con, np.unique(np.concatenate([focus, gone])), config)
            steps.update_clusters(con, np.concatenate([drop["a"].to_numpy(np.int64), drop["b"].to_numpy(np.int64),
                                                       gone]))
            r.advance()
        _reached("cluster")
        result.documents, result.passages, result.clusters = self._counts(con)
        self._add_changed = (np.unique(np.concatenate([gone, dirty])), added)  # for the query snapshot
        return result

    def _texts(self, con, part: np.ndarray, new_idx: np.ndarray, texts: list[str], source_keys: np.ndarray
               ) -> tuple[list[str], np.ndarray]:
        """Texts and source keys of documents ``part`` (new ones from memory, older ones read)."""
        start = int(new_idx[0]) if len(new_idx) else 0
        old, stored, stored_keys = steps.texts_in_order(con, part[part < start])
        at = dict(zip(old.tolist(), range(len(old))))
        out_texts = [texts[d - start] if d >= start else stored[at[d]] for d in part.tolist()]
        out_keys = np.array([source_keys[d - start] if d >= start else stored_keys[at[d]] for d in part.tolist()],
                            dtype=np.uint64)
        return out_texts, out_keys

    def _held_by(self, con, docs: np.ndarray, line_keys: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The line keys (one per row, as counted), n-grams and fingerprints that ``docs`` hold."""
        empty = (np.zeros(0, np.uint64),) * 3
        if len(docs) == 0:
            return empty
        con.register("held_docs", pa.table({"doc": pa.array(np.asarray(docs, np.int64), pa.int64())}))
        try:
            keys = (_arrow(con.execute("SELECT key FROM line_keys SEMI JOIN held_docs USING (doc)"))
                    .column("key").to_numpy().astype(np.uint64)) if line_keys else empty[0]
            grams = _arrow(con.execute("SELECT h FROM shingles SEMI JOIN held_docs USING (doc)")).column("h")
            fps = _arrow(con.execute(f"""SELECT fp FROM documents SEMI JOIN held_docs USING (doc)
                                        WHERE n_words >= {int(self.config.shingle.ngram)}""")).column("fp")
        finally:
            con.unregister("held_docs")
        return keys, grams.to_numpy().astype(np.uint64), fps.to_numpy().astype(np.uint64)

    def _insert_documents(self, con, new_docs: list[Document], new_idx: np.ndarray, texts: list[str],
                          source_keys: np.ndarray) -> None:
        doc_rows = pa.table({
            "doc": pa.array(new_idx, pa.int64()),
            "doc_id": pa.array([d.doc_id for d in new_docs], pa.string()),
            "text": pa.array(texts, pa.string()),
            "source": pa.array([d.source for d in new_docs], pa.string()),
            "source_key": pa.array(source_keys, pa.uint64()),
            "date": pa.array([d.date for d in new_docs], pa.string()),
            "url": pa.array([d.url for d in new_docs], pa.string()),
            "meta": pa.array([json.dumps(d.meta, ensure_ascii=False) if d.meta else None for d in new_docs], pa.string()),
            "input": pa.array([d.origin for d in new_docs], pa.string()),
            "warning": pa.array([d.warning for d in new_docs], pa.string()),
            "length": pa.array([len(t) for t in texts], pa.int64()),
            "date_key": pa.array(cluster.date_keys(report_tables.parse_dates([d.date for d in new_docs])[0]),
                                 pa.int64()),
        })
        con.register("new_docs", doc_rows)
        con.execute("""INSERT INTO documents SELECT doc, doc_id, text, source, source_key, date, url, meta, input,
                       warning, length, 0, 0, 0, date_key FROM new_docs""")
        con.unregister("new_docs")

    def _counts(self, con) -> tuple[int, int, int]:
        return tuple(_one(con.execute("""SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM passages),
                                    (SELECT count(DISTINCT cluster_id) FROM clusters)""")))

    def _delete_where_doc(self, con, table: str, docs: np.ndarray) -> None:
        con.register("del_docs", pa.table({"doc": pa.array(np.asarray(docs, np.int64), pa.int64())}))
        con.execute(f"DELETE FROM {table} WHERE doc IN (SELECT doc FROM del_docs)")
        con.unregister("del_docs")

    def _delete_docs(self, con, docs: np.ndarray) -> None:
        arr = np.asarray(docs, np.int64)
        for table in ("documents", "line_keys", "shingles"):
            self._delete_where_doc(con, table, arr)
        con.register("del_docs", pa.table({"doc": pa.array(arr, pa.int64())}))
        for table in ("passages", "cand_pre", "cand_shared", "cand_exact", "pairs"):
            con.execute(f"DELETE FROM {table} WHERE a IN (SELECT doc FROM del_docs) OR b IN (SELECT doc FROM del_docs)")
        con.unregister("del_docs")

    # --- reading ---------------------------------------------------------------------

    def _read(self, fn, *args):
        con = self.reader()
        try:
            return fn(con, *args)
        finally:
            con.close()

    def tables(self) -> dict[str, pa.Table]:
        """pairs, passages and clusters as ``reprints.scan`` returns them."""
        return self._read(read.tables)

    def stats(self) -> dict[str, Any]:
        out = self._read(read.stats)
        out["path"] = str(self.path)
        out["config"] = self.config.to_dict()
        return out

    def document(self, doc_id: str, with_text: bool = True) -> dict[str, Any] | None:
        return self._read(read.document, doc_id, with_text)

    def cluster(self, cluster_id: int) -> list[dict[str, Any]] | None:
        return self._read(read.cluster, cluster_id)

    # --- querying ----------------------------------------------------------------------

    def _snapshot(self, wait: bool = False, changed: tuple | None = None) -> "_Snapshot":
        """What queries read, as of the last committed add (held in memory, rebuilt after each
        add). While another thread builds the next one, a query reads the previous one: the
        state before the add that is just being made visible.

        ``changed`` (version, documents the add to that version changed, the postings it stored
        for them) is given only by the add itself, under the write lock: the database is then
        exactly that version, and a snapshot of the version before is advanced by those documents
        instead of loaded whole."""
        snap = self._snap
        if self._is_current(snap):
            return snap
        if not self._snap_lock.acquire(blocking=wait or snap is None):
            return snap  # type: ignore[return-value]  (snap is not None here)
        try:
            snap = self._snap
            if not self._is_current(snap):
                version = self._version  # read before the data: a newer commit only makes it rebuild again
                con = self.reader()
                try:
                    if snap is not None and changed is not None and changed[0] == version == snap.version + 1:
                        snap = _Snapshot.advance(snap, con, version, self.config, *changed[1:])
                    else:
                        snap = _Snapshot.load(con, version, self.config, previous=snap)
                finally:
                    con.close()
                self._snap = snap
            return snap
        finally:
            self._snap_lock.release()

    def query(self, text: str, source: str | None = None, limit: int = QUERY_LIMIT) -> dict[str, Any]:
        """The indexed documents sharing passages with ``text``, without adding it.

        The text is matched as if it were the newest document of the index: same tokens,
        boilerplate mask (with the index's frequent lines and the given source), shingles,
        candidate rule (n-grams in at most ``max_df`` documents counting the query pair it with
        every holder, more frequent ones with their last ``frequent_links`` holders in date order
        and their first) and aligner; it is side B of every passage. The answer is bounded: the
        best ``limit`` candidates are aligned (``candidates`` counts them all), and ``clusters``
        gives each matched cluster's size and origin (docs/service.md, "Query output").

        Everything but the query's own text comes from the in-memory snapshot of the last
        committed add (no database round trip), and the candidates' words (tokens, boilerplate
        mask, seed index) are cached there, so only the query text is tokenised."""
        return self._snapshot().query(text, source, limit)

    def query_snapshot(self) -> "_Snapshot":
        """The current query snapshot (``.query(text, source)``; ``.version``), for answering
        queries in forked processes (the server's ``--workers``)."""
        return self._snapshot()


#: Up to this many ids, stored documents are looked up by a list of values; more, by a join. At
#: 1,000,000 documents (benchmarks/RESULTS.md): 110 ids 11 ms against 28 ms, equal at about 400,
#: 1,100 ids 66 ms against 31 ms.
_ID_LIST_MAX = 400


def _stored_texts(con, ids: list[str]) -> dict[str, str]:
    """The stored text of each of ``ids`` that is stored."""
    if not ids:
        return {}
    if len(ids) <= _ID_LIST_MAX:
        return dict(con.execute(f"SELECT doc_id, text FROM documents WHERE doc_id IN ({', '.join('?' * len(ids))})",
                                ids).fetchall())
    con.register("incoming_ids", pa.table({"doc_id": pa.array(ids, pa.string())}))
    try:
        return dict(con.execute(
            "SELECT d.doc_id, d.text FROM documents d SEMI JOIN incoming_ids i ON d.doc_id = i.doc_id").fetchall())
    finally:
        con.unregister("incoming_ids")


def _gram_delta(added: np.ndarray, removed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct n-grams and how many holders each gained (shingle rows are distinct per document)."""
    grams, inverse = np.unique(np.concatenate([added, removed]).astype(np.uint64), return_inverse=True)
    sign = np.concatenate([np.ones(len(added), np.int64), -np.ones(len(removed), np.int64)])
    return grams, np.bincount(inverse, weights=sign, minlength=len(grams)).astype(np.int64)


def _align_pairs(docs: np.ndarray, texts: list[str], source_keys: np.ndarray, frequent: np.ndarray,
                 config: ScanConfig, todo: pd.DataFrame, workers: int, reporter: Reporter,
                 index_path: Path) -> dict[str, np.ndarray]:
    """Align pairs ``todo`` of documents ``docs`` (sorted; their ``texts`` and ``source_keys``)
    with the local engine's alignment (forked processes with ``workers`` > 1, as from the command
    line; this thread otherwise, as in the server); passages by document number."""
    if todo.empty:
        return tasks.passage_columns([])
    pairs = steps.local_numbers(docs, {"a": todo["a"].to_numpy(np.int64), "b": todo["b"].to_numpy(np.int64)})
    with workspace.work_dir(near=index_path) as workdir:
        found = local.align_in_pool(pairs["a"], pairs["b"], todo["exact"].to_numpy(bool), todo["prone"].to_numpy(bool),
                                    local.CorpusArrays(texts, source_keys), frequent, config, workers, reporter,
                                    Path(workdir))
    return dict(found, a=docs[found["a"]], b=docs[found["b"]])


def open_index(path: str | Path, config: ScanConfig | None = None, read_only: bool = False) -> Index:
    return Index(path, config=config, read_only=read_only)


def documents_from_dicts(rows: Iterable[dict[str, Any]], config: ScanConfig) -> tuple[list[Document], list[Skip]]:
    docs: list[Document] = []
    skips: list[Skip] = []
    for item in readers.read_documents(list(rows), config.read):
        (docs if isinstance(item, Document) else skips).append(item)
    return docs, skips
