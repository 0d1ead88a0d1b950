"""A persistent reprint index in one DuckDB file.

The index holds every document with its text, the per-document line keys that boilerplate
detection counts, the n-gram shingles and fingerprints, the candidate pairs, the aligned
passages and the derived pairs and clusters tables. Adding documents reuses the scan's own
stage functions (tokenise, boilerplate, shingle, candidate SQL, aligner, clusters), so an
index built in several batches holds the same pairs, passages and clusters as one
``reprints.scan`` over all of the documents in the same order.

How an add stays equal to one scan:

* boilerplate: line keys are stored per document; the frequent set is recomputed over all of
  them. Documents whose lines became (or stopped being) boilerplate are re-shingled and
  their pairs re-aligned, exactly as if the scan had seen the whole collection at once;
* candidates: the scan's candidate SQL runs over all stored shingles, because the
  document-frequency cap means a new document can also remove an old pair (an n-gram that
  now occurs in more than ``max_df`` documents no longer counts). Pairs that are new, or
  that involve a new or re-shingled document, are aligned; passages of pairs that are no
  longer candidates are dropped; every other pair keeps its passages (alignment depends
  only on the two texts and their boilerplate masks);
* clusters and pair statistics are recomputed over all passages with ``report_tables``.

Every add runs in one DuckDB transaction: a process killed in the middle leaves the index as
it was before the add, and running the same add again completes it. Re-adding a document
with a known id and the same text changes nothing; with another text the old version is
replaced (its pairs and passages recomputed).
"""

from __future__ import annotations

import json
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa

from reprints.config import ScanConfig
from reprints.engines import local, tasks
from reprints.io import readers, workspace
from reprints.progress import Reporter
from reprints.records import Document, Skip
from reprints.stages import align as align_stage
from reprints.stages import candidates, formula, report_tables, shingle
from reprints.stages.normalise import string_key

SCHEMA_VERSION = 5  # 2: cand_shared.common (the formula test); 3: pairs with other figures dropped;
# 4: words of unspaced scripts cut into units, Traditional Chinese folded (stored shingles changed);
# 5: pairs.kind, template pairs labelled (kind "template") instead of dropped

_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    """CREATE TABLE IF NOT EXISTS documents (
        doc BIGINT PRIMARY KEY, doc_id VARCHAR UNIQUE, text VARCHAR, source VARCHAR, source_key UBIGINT,
        date VARCHAR, url VARCHAR, meta VARCHAR, input VARCHAR, warning VARCHAR,
        length BIGINT, n_words BIGINT, n_grams BIGINT, fp UBIGINT)""",
    "CREATE TABLE IF NOT EXISTS line_keys (doc BIGINT, key UBIGINT)",
    "CREATE TABLE IF NOT EXISTS frequent (key UBIGINT)",
    "CREATE TABLE IF NOT EXISTS shingles (doc BIGINT, h UBIGINT)",
    "CREATE TABLE IF NOT EXISTS cand_shared (a BIGINT, b BIGINT, shared BIGINT, common BIGINT)",
    "CREATE TABLE IF NOT EXISTS cand_exact (a BIGINT, b BIGINT)",
    """CREATE TABLE IF NOT EXISTS passages (a BIGINT, b BIGINT, begin_a BIGINT, end_a BIGINT,
        begin_b BIGINT, end_b BIGINT, matched BIGINT, similarity DOUBLE, kind VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS pairs (doc_a VARCHAR, doc_b VARCHAR, jaccard DOUBLE, containment_a DOUBLE,
        containment_b DOUBLE, coverage_a DOUBLE, coverage_b DOUBLE, shared_ngrams BIGINT, passages BIGINT,
        exact_duplicate BOOLEAN, kind VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS clusters (cluster_id BIGINT, doc_id VARCHAR, "begin" BIGINT, "end" BIGINT,
        source VARCHAR, date VARCHAR, is_origin BOOLEAN, origin_doc_id VARCHAR, cluster_size BIGINT,
        cluster_docs BIGINT, snippet VARCHAR)""",
]



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


class IndexError_(Exception):
    """The index file cannot be used (wrong version, not an index)."""


def _check_index_path(path: Path) -> None:
    """An index path is a DuckDB file or a new name: DuckDB would open a .jsonl, .csv or .parquet
    file as an in-memory database over it, and an add would then save nothing."""
    if path.is_dir():
        raise IndexError_(f"{path} is a folder, not an index file")
    if not path.exists():
        if path.parent.exists() and not path.parent.is_dir():
            raise IndexError_(f"cannot create {path}: {path.parent} is a file, not a folder")
        return
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError as error:
        raise IndexError_(f"cannot read {path}: {error.strerror}") from None
    if len(head) == 0:
        raise IndexError_(f"{path} is an empty file, not an index; remove it or give a new name")
    if head[8:12] != b"DUCK":
        raise IndexError_(f"{path} is not a reprints index (not a DuckDB file); give a new name to create one")


@dataclass
class AddResult:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    reshingled: int = 0
    aligned_pairs: int = 0
    passages: int = 0
    clusters: int = 0
    documents: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": len(self.added), "replaced": self.replaced, "unchanged": len(self.unchanged),
            "skipped": self.skipped, "reshingled_documents": self.reshingled,
            "aligned_pairs": self.aligned_pairs, "documents": self.documents, "passages": self.passages,
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
        _check_index_path(self.path)
        self.con = duckdb.connect(str(self.path), read_only=read_only)
        self.lock = threading.Lock()
        self._writer = None  # the one cursor that writes (under the lock)
        self._version = 0  # bumped after every committed add: the query snapshot below is then stale
        self._snap: _Snapshot | None = None  # what queries read, built on the first query
        self._snap_lock = threading.Lock()  # one snapshot build at a time
        if not read_only:
            self.con.execute("BEGIN")
            for stmt in _SCHEMA:
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
        if self._writer is not None:
            self._writer.close()
        self.con.close()

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
                if result.added or result.replaced:  # else nothing was written: the snapshot stays
                    self._version += 1
            except BaseException:
                try:
                    con.execute("ROLLBACK")
                except Exception:
                    pass
                raise
            _reached("committed")
            if self._snap is not None and self._snap.version != self._version:
                # Where queries are being answered (the server), build their new snapshot now,
                # still under the write lock (so it is exactly this version); queries meanwhile
                # read the previous one. If this fails, the next query builds it.
                try:
                    self._snapshot(wait=True)
                except Exception:
                    pass
        return result

    def _add(self, con, docs: list[Document], skips: list[Skip], workers: int, reporter: Reporter) -> AddResult:
        config = self.config
        result = AddResult(skipped=[{"input": s.origin, "doc_id": s.doc_id, "reason": s.reason} for s in skips])
        known = {}
        if docs:
            ids = pa.table({"doc_id": pa.array([d.doc_id for d in docs], pa.string())})
            con.register("incoming_ids", ids)
            known = dict(con.execute(
                "SELECT d.doc_id, d.text FROM documents d SEMI JOIN incoming_ids i ON d.doc_id = i.doc_id").fetchall())
            con.unregister("incoming_ids")
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

        # Replaced documents leave everything behind them.
        if result.replaced:
            con.register("gone_ids", pa.table({"doc_id": pa.array(result.replaced, pa.string())}))
            gone = [r[0] for r in con.execute(
                "SELECT doc FROM documents WHERE doc_id IN (SELECT doc_id FROM gone_ids)").fetchall()]
            con.unregister("gone_ids")
            self._delete_docs(con, gone)

        start = _one(con.execute("SELECT coalesce(max(doc) + 1, 0) FROM documents"))[0]
        n_new = len(new_docs)
        new_idx = np.arange(start, start + n_new, dtype=np.int64)
        texts = [d.text for d in new_docs]
        source_keys = np.array([string_key(d.source) for d in new_docs], dtype=np.uint64)
        batch = config.engine.batch_docs
        with reporter.stage("boilerplate", total=n_new, unit="docs") as r:
            line_docs, line_keys = [], []
            for lo in range(0, n_new, batch):
                hi = min(lo + batch, n_new)
                d, k = tasks.doc_line_keys(texts[lo:hi], source_keys[lo:hi], config)
                line_docs.append(new_idx[lo + d])
                line_keys.append(k.astype(np.uint64))
                r.advance(hi - lo)
            if not line_docs:
                line_docs, line_keys = [np.zeros(0, np.int64)], [np.zeros(0, np.uint64)]
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
        })
        con.register("new_docs", doc_rows)
        con.execute("""INSERT INTO documents SELECT doc, doc_id, text, source, source_key, date, url, meta, input,
                       warning, length, 0, 0, 0 FROM new_docs""")
        con.unregister("new_docs")
        lk = pa.table({"doc": pa.array(np.concatenate(line_docs), pa.int64()),
                       "key": pa.array(np.concatenate(line_keys), pa.uint64())})
        con.register("new_lines", lk)
        con.execute("INSERT INTO line_keys SELECT doc, key FROM new_lines")
        con.unregister("new_lines")

        # Boilerplate over the whole index; documents whose mask changed are re-shingled.
        old_frequent = _arrow(con.execute("SELECT key FROM frequent")).column("key").to_numpy()
        frequent = np.sort(_arrow(con.execute(
            f"SELECT key FROM line_keys GROUP BY key HAVING count(*) >= {int(config.boilerplate.min_docs)}"
        )).column("key").to_numpy().astype(np.uint64))
        changed_keys = np.setxor1d(old_frequent.astype(np.uint64), frequent)
        affected = np.zeros(0, dtype=np.int64)
        if len(changed_keys):
            con.register("changed_keys", pa.table({"key": pa.array(changed_keys, pa.uint64())}))
            affected = _arrow(con.execute(f"""SELECT DISTINCT doc FROM line_keys SEMI JOIN changed_keys USING (key)
                                       WHERE doc < {int(start)} ORDER BY doc""")).column("doc").to_numpy()
            con.unregister("changed_keys")
            con.execute("DELETE FROM frequent")
            con.register("freq", pa.table({"key": pa.array(frequent, pa.uint64())}))
            con.execute("INSERT INTO frequent SELECT key FROM freq")
            con.unregister("freq")
        result.reshingled = int(len(affected))
        dirty = np.concatenate([affected.astype(np.int64), new_idx])
        _reached("boilerplate")

        # Shingles and fingerprints of the new and re-shingled documents.
        all_texts, all_keys = self._corpus(con)
        with reporter.stage("shingle", total=len(dirty), unit="docs") as r:
            if len(affected):
                self._delete_where_doc(con, "shingles", affected)
            for lo in range(0, len(dirty), batch):
                part = dirty[lo:lo + batch]
                d, grams, fps, n_words, n_grams = tasks.shingles([all_texts[d] for d in part.tolist()],
                                                                 all_keys[part], frequent, config)
                con.register("new_sh", pa.table({"doc": pa.array(part[d], pa.int64()), "h": pa.array(grams, pa.uint64())}))
                con.execute("INSERT INTO shingles SELECT doc, h FROM new_sh")
                con.unregister("new_sh")
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
        _reached("shingle")

        # Candidates over the whole index; align what is new or touched.
        with reporter.stage("candidates", total=None, unit="pairs") as r:
            old_shared = con.execute("SELECT a, b, shared, common FROM cand_shared").df()
            old_exact = con.execute("SELECT a, b FROM cand_exact").df()
            con.execute("CREATE TEMP TABLE fingerprints AS SELECT doc, fp, n_words FROM documents")
            shared = con.execute(candidates.shared_ngram_pairs_sql(config.candidates) + " ORDER BY a, b").df()
            exact = con.execute(candidates.exact_duplicate_pairs_sql(config.candidates, config.shingle.ngram)
                                + " ORDER BY a, b").df()
            con.execute("DROP TABLE fingerprints")
            r.advance(len(shared) + len(exact))
        old_eff = _effective(old_shared, old_exact, config)
        new_eff = _effective(shared, exact, config)
        dirty_set = np.unique(dirty)
        touched = np.isin(new_eff["a"], dirty_set) | np.isin(new_eff["b"], dirty_set)
        merged = new_eff.merge(old_eff, on=["a", "b", "exact", "prone"], how="left", indicator=True)
        is_new_pair = (merged["_merge"] == "left_only").to_numpy()
        todo = new_eff[touched | is_new_pair]
        # Drop passages of pairs that are re-aligned or no longer candidates.
        keep_pairs = new_eff[~(touched | is_new_pair)][["a", "b"]]
        con.register("keep_pairs", pa.Table.from_pandas(keep_pairs, preserve_index=False))
        con.execute("DELETE FROM passages WHERE NOT EXISTS (SELECT 1 FROM keep_pairs k WHERE k.a = passages.a AND k.b = passages.b)")
        con.unregister("keep_pairs")
        con.execute("DELETE FROM cand_shared")
        con.execute("DELETE FROM cand_exact")
        con.register("sh", pa.Table.from_pandas(shared, preserve_index=False))
        con.execute("INSERT INTO cand_shared SELECT a, b, shared, common FROM sh")
        con.unregister("sh")
        con.register("ex", pa.Table.from_pandas(exact, preserve_index=False))
        con.execute("INSERT INTO cand_exact SELECT a, b FROM ex")
        con.unregister("ex")
        _reached("candidates")

        found = _align_pairs(all_texts, all_keys, frequent, config, todo, workers, reporter, self.path)
        result.aligned_pairs = len(todo)
        if len(found["a"]):
            con.register("new_p", pa.table({k: (pa.array(found[k].tolist(), pa.string()) if k == "kind" else found[k])
                                            for k in tasks.PASSAGE_COLUMNS}))
            con.execute("INSERT INTO passages SELECT a, b, begin_a, end_a, begin_b, end_b, matched, similarity, kind FROM new_p")
            con.unregister("new_p")
        _reached("align")

        with reporter.stage("cluster", total=1, unit="") as r:
            self._rebuild_reports(con, all_texts)
            r.advance()
        _reached("cluster")
        result.documents, result.passages, result.clusters = self._counts(con)
        return result

    def _counts(self, con) -> tuple[int, int, int]:
        return tuple(_one(con.execute("""SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM passages),
                                    (SELECT count(DISTINCT cluster_id) FROM clusters)""")))

    def _delete_where_doc(self, con, table: str, docs: np.ndarray) -> None:
        con.register("del_docs", pa.table({"doc": pa.array(np.asarray(docs, np.int64), pa.int64())}))
        con.execute(f"DELETE FROM {table} WHERE doc IN (SELECT doc FROM del_docs)")
        con.unregister("del_docs")

    def _delete_docs(self, con, docs: list[int]) -> None:
        arr = np.asarray(docs, np.int64)
        for table in ("documents", "line_keys", "shingles"):
            self._delete_where_doc(con, table, arr)
        con.register("del_docs", pa.table({"doc": pa.array(arr, pa.int64())}))
        for table in ("passages", "cand_shared", "cand_exact"):
            con.execute(f"DELETE FROM {table} WHERE a IN (SELECT doc FROM del_docs) OR b IN (SELECT doc FROM del_docs)")
        con.unregister("del_docs")

    def _corpus(self, con) -> tuple[list[str], np.ndarray]:
        """Texts and source keys indexed by document number (gaps of replaced documents empty)."""
        table = _arrow(con.execute("SELECT doc, text, source_key FROM documents ORDER BY doc"))
        docs = table.column("doc").to_numpy()
        n = int(docs[-1]) + 1 if len(docs) else 0
        texts = [""] * n
        for d, t in zip(docs.tolist(), table.column("text").to_pylist()):
            texts[d] = t
        keys = np.zeros(n, dtype=np.uint64)
        keys[docs] = table.column("source_key").to_numpy().astype(np.uint64)
        return texts, keys

    def _documents_frame(self, con) -> pd.DataFrame:
        return con.execute("SELECT doc, doc_id, source, date, n_grams, length FROM documents ORDER BY doc").df()

    def _passages(self, con) -> dict[str, np.ndarray]:
        df = con.execute("SELECT * FROM passages ORDER BY a, b, begin_a, begin_b").df()
        if df.empty:
            return tasks.passage_columns([])
        out = {k: df[k].to_numpy(np.int64) for k in tasks.PASSAGE_COLUMNS[:7]}
        out["similarity"] = df["similarity"].to_numpy(np.float64)
        out["kind"] = df["kind"].to_numpy(object)
        return out

    def _arrays(self, con, texts: list[str]) -> dict[str, Any]:
        df = self._documents_frame(con)
        n = len(texts)
        ids = np.full(n, "", dtype=object)
        sources: list[str | None] = [None] * n
        raw_dates: list[str | None] = [None] * n
        n_grams = np.zeros(n, dtype=np.int64)
        lengths = np.zeros(n, dtype=np.int64)
        docs = df["doc"].to_numpy(np.int64)
        ids[docs] = df["doc_id"].to_numpy(object)
        for d, s, dt in zip(docs.tolist(), df["source"].tolist(), df["date"].tolist()):
            sources[d] = s if isinstance(s, str) else None
            raw_dates[d] = dt if isinstance(dt, str) else None
        n_grams[docs] = df["n_grams"].to_numpy(np.int64)
        lengths[docs] = df["length"].to_numpy(np.int64)
        return {"ids": ids, "sources": sources, "raw_dates": raw_dates, "n_grams": n_grams, "lengths": lengths}

    def _rebuild_reports(self, con, texts: list[str]) -> None:
        arr = self._arrays(con, texts)
        passages = self._passages(con)
        shared = con.execute("SELECT a, b, shared FROM cand_shared ORDER BY a, b").df()
        exact = con.execute("SELECT a, b FROM cand_exact ORDER BY a, b").df()
        shared_cols = {k: shared[k].to_numpy(np.int64) for k in ("a", "b", "shared")}
        exact_cols = {k: exact[k].to_numpy(np.int64) for k in ("a", "b")}
        pairs = report_tables.pairs_table(arr["ids"], arr["lengths"], arr["n_grams"], shared_cols, exact_cols,
                                          passages, self.config)
        dates, _ = report_tables.parse_dates(arr["raw_dates"])
        clusters = report_tables.clusters_table(arr["ids"], texts, arr["sources"], arr["raw_dates"], dates, passages)
        con.execute("DELETE FROM pairs")
        con.execute("DELETE FROM clusters")
        con.register("new_pairs", pairs)
        con.execute("INSERT INTO pairs SELECT * FROM new_pairs")
        con.unregister("new_pairs")
        con.register("new_clusters", clusters)
        con.execute("INSERT INTO clusters SELECT * FROM new_clusters")
        con.unregister("new_clusters")

    # --- reading ---------------------------------------------------------------------

    def tables(self) -> dict[str, pa.Table]:
        """pairs, passages and clusters as ``reprints.scan`` returns them."""
        con = self.reader()
        try:
            texts, _ = self._corpus(con)
            arr = self._arrays(con, texts)
            passages = report_tables.passages_table(arr["ids"], texts, self._passages(con))
            pairs = _arrow(con.execute("SELECT * FROM pairs"))
            clusters = _arrow(con.execute('SELECT * FROM clusters ORDER BY cluster_id, NOT is_origin, doc_id, "begin"'))
        finally:
            con.close()
        return {"pairs": pairs, "passages": passages, "clusters": clusters}

    def stats(self) -> dict[str, Any]:
        con = self.reader()
        try:
            row = _one(con.execute("""SELECT (SELECT count(*) FROM documents), (SELECT coalesce(sum(length), 0) FROM documents),
                (SELECT count(*) FROM shingles), (SELECT count(*) FROM frequent), (SELECT count(*) FROM cand_shared),
                (SELECT count(*) FROM pairs), (SELECT count(*) FROM passages),
                (SELECT count(DISTINCT cluster_id) FROM clusters),
                (SELECT count(DISTINCT source) FROM documents)"""))
            kinds = dict(con.execute("SELECT kind, count(*) FROM passages GROUP BY kind ORDER BY kind").fetchall())
            top = con.execute("""SELECT cluster_id, cluster_size, cluster_docs, origin_doc_id, snippet FROM clusters
                                 WHERE is_origin ORDER BY cluster_id LIMIT 5""").fetchall()
        finally:
            con.close()
        keys = ("documents", "characters", "shingles", "boilerplate_lines", "candidate_pairs", "document_pairs",
                "passages", "clusters", "sources")
        out = {k: int(v) for k, v in zip(keys, row)}
        out["passage_kinds"] = kinds
        out["largest_clusters"] = [{"cluster_id": c, "members": s, "documents": d, "origin": o, "snippet": sn}
                                   for c, s, d, o, sn in top]
        out["path"] = str(self.path)
        out["config"] = self.config.to_dict()
        return out

    def document(self, doc_id: str, with_text: bool = True) -> dict[str, Any] | None:
        con = self.reader()
        try:
            row = _one(con.execute("""SELECT doc, doc_id, source, date, url, meta, length, n_words, text FROM documents
                                 WHERE doc_id = ?""", [doc_id]))
            if row is None:
                return None
            doc, _, source, date, url, meta, length, n_words, text = row
            passages = con.execute("""
                SELECT p.*, da.doc_id AS id_a, db.doc_id AS id_b FROM passages p
                JOIN documents da ON da.doc = p.a JOIN documents db ON db.doc = p.b
                WHERE p.a = ? OR p.b = ? ORDER BY p.a, p.b, p.begin_a""", [doc, doc]).df()
            clusters = con.execute("""SELECT cluster_id, "begin", "end", is_origin, origin_doc_id, cluster_size, cluster_docs
                                      FROM clusters WHERE doc_id = ? ORDER BY "begin" """, [doc_id]).df()
        finally:
            con.close()
        out_passages = []
        for p in passages.itertuples(index=False):
            mine_a = p.a == doc
            begin, end = (p.begin_a, p.end_a) if mine_a else (p.begin_b, p.end_b)
            other = p.id_b if mine_a else p.id_a
            ob, oe = (p.begin_b, p.end_b) if mine_a else (p.begin_a, p.end_a)
            out_passages.append({"begin": int(begin), "end": int(end), "other_doc_id": other, "other_begin": int(ob),
                                 "other_end": int(oe), "matched_words": int(p.matched), "similarity": float(p.similarity),
                                 "kind": p.kind, "cluster_id": _cluster_at(clusters, int(begin), int(end))})
        out = {"doc_id": doc_id, "source": source, "date": date, "url": url,
               "meta": json.loads(meta) if meta else None, "length": int(length), "words": int(n_words),
               "passages": out_passages,
               "clusters": [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
                            for r in clusters.to_dict("records")]}
        if with_text:
            out["text"] = text
        return out

    def cluster(self, cluster_id: int) -> list[dict[str, Any]] | None:
        con = self.reader()
        try:
            rows = _arrow(con.execute("""SELECT * FROM clusters WHERE cluster_id = ?
                                  ORDER BY NOT is_origin, doc_id, "begin" """, [int(cluster_id)])).to_pylist()
        finally:
            con.close()
        return rows or None

    # --- querying ----------------------------------------------------------------------

    def _snapshot(self, wait: bool = False) -> "_Snapshot":
        """What queries read, as of the last committed add (held in memory, rebuilt after each
        add). While another thread builds the next one, a query reads the previous one: the
        state before the add that is just being made visible."""
        snap = self._snap
        if snap is not None and snap.version == self._version:
            return snap
        if not self._snap_lock.acquire(blocking=wait or snap is None):
            return snap  # type: ignore[return-value]  (snap is not None here)
        try:
            snap = self._snap
            if snap is None or snap.version != self._version:
                version = self._version  # read before the data: a newer commit only makes it rebuild again
                con = self.reader()
                try:
                    snap = _Snapshot.load(con, version, self.config, previous=snap)
                finally:
                    con.close()
                self._snap = snap
            return snap
        finally:
            self._snap_lock.release()

    def query(self, text: str, source: str | None = None) -> dict[str, Any]:
        """The indexed documents sharing passages with ``text``, without adding it.

        The text is matched as if it were the newest document of the index: same tokens,
        boilerplate mask (with the index's frequent lines and the given source), shingles,
        candidate rule (n-grams in at most ``max_df`` documents counting the query,
        ``min_shared`` shared) and aligner; it is side B of every passage.

        Everything but the query's own text comes from the in-memory snapshot of the last
        committed add (no database round trip), and the candidates' words (tokens, boilerplate
        mask, seed index) are cached there, so only the query text is tokenised."""
        return self._snapshot().query(text, source)

    def query_snapshot(self) -> "_Snapshot":
        """The current query snapshot (``.query(text, source)``; ``.version``), for answering
        queries in forked processes (the server's ``--workers``)."""
        return self._snapshot()


class _Snapshot:
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
    def load(cls, con, version: int, config: ScanConfig, previous: "_Snapshot | None" = None) -> "_Snapshot":
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


def _arrow(cursor) -> pa.Table:
    with warnings.catch_warnings():  # DuckDB 2 notes the copy; results here are small or needed whole
        warnings.simplefilter("ignore", UserWarning)
        return cursor.to_arrow_table()


def _one(cursor) -> tuple | None:
    """The first row, reading the whole result (DuckDB 2 keeps a connection busy otherwise)."""
    rows = cursor.fetchall()
    return rows[0] if rows else None


def _cluster_at(clusters: pd.DataFrame, begin: int, end: int) -> int | None:
    """The cluster of the member span that overlaps [begin, end) most."""
    if clusters.empty:
        return None
    b = clusters["begin"].to_numpy(np.int64)
    e = clusters["end"].to_numpy(np.int64)
    overlap = np.minimum(e, end) - np.maximum(b, begin)
    k = int(np.argmax(overlap))
    return int(clusters["cluster_id"].iloc[k]) if overlap[k] > 0 else None


def _cluster_at_spans(spans: list[tuple[int, int, int]], begin: int, end: int) -> int | None:
    """The same over (begin, end, cluster_id) spans: the first of those overlapping most."""
    best, best_overlap = None, 0
    for b, e, cid in spans:
        overlap = min(e, end) - max(b, begin)
        if overlap > best_overlap:
            best, best_overlap = cid, overlap
    return int(best) if best is not None else None


def _effective(shared: pd.DataFrame, exact: pd.DataFrame, config: ScanConfig) -> pd.DataFrame:
    """Pairs as the aligner sees them: exact duplicates aligned whole, others by seeds, and
    whether they are prone to be formula text (a pair whose answer changes as documents
    arrive is aligned again, so that the index stays equal to one scan)."""
    ex = pd.DataFrame({"a": exact["a"].to_numpy(np.int64), "b": exact["b"].to_numpy(np.int64), "exact": True,
                       "prone": False})
    sh = pd.DataFrame({"a": shared["a"].to_numpy(np.int64), "b": shared["b"].to_numpy(np.int64), "exact": False,
                       "prone": formula.formula_prone(shared["shared"].to_numpy(), shared["common"].to_numpy(),
                                                      config.pairs)})
    both = pd.concat([ex, sh], ignore_index=True)
    both = both.drop_duplicates(subset=["a", "b"], keep="first")  # exact wins, as in the scan
    return both.reset_index(drop=True)


def _align_pairs(texts: list[str], source_keys: np.ndarray, frequent: np.ndarray, config: ScanConfig,
                 todo: pd.DataFrame, workers: int, reporter: Reporter, index_path: Path) -> dict[str, np.ndarray]:
    """Align pairs with the local engine's alignment (forked processes with ``workers`` > 1, as
    from the command line; this thread otherwise, as in the server)."""
    if todo.empty:
        return tasks.passage_columns([])
    with workspace.work_dir(near=index_path) as workdir:
        return local.align_in_pool(todo["a"].to_numpy(np.int64), todo["b"].to_numpy(np.int64),
                                   todo["exact"].to_numpy(bool), todo["prone"].to_numpy(bool),
                                   local.CorpusArrays(texts, source_keys), frequent, config, workers, reporter,
                                   Path(workdir))


def open_index(path: str | Path, config: ScanConfig | None = None, read_only: bool = False) -> Index:
    return Index(path, config=config, read_only=read_only)


def documents_from_dicts(rows: Iterable[dict[str, Any]], config: ScanConfig) -> tuple[list[Document], list[Skip]]:
    docs: list[Document] = []
    skips: list[Skip] = []
    for item in readers.read_documents(list(rows), config.read):
        (docs if isinstance(item, Document) else skips).append(item)
    return docs, skips
