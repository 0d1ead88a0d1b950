"""The Spark engine gives the local engine's pairs, passages (offsets included), clusters and
documents, on the example wire corpus and on a sample of Reuters-21578.

One local Spark session (local[2], small shuffles, no UI) serves the whole module; the
resume test also starts one child run (its own session) and kills it mid-run.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed (pip install -e '.[spark]')")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("no Java runtime for Spark", allow_module_level=True)

import reprints  # noqa: E402
import reprints.spark as reprints_spark  # noqa: E402
from reprints.config import ScanConfig  # noqa: E402
from reprints.io import writers  # noqa: E402
from standalone import assert_job_output  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
STORIES = REPO / "examples" / "wire" / "stories.jsonl"
REUTERS = REPO.parent / "shared" / "data" / "reuters21578" / "reuters21578.jsonl"
TABLES = ("documents", "pairs", "passages", "clusters")


@pytest.fixture(scope="module")
def spark():
    session = reprints_spark.session("local[2]", app_name="reprints-tests", conf={
        "spark.sql.shuffle.partitions": "2", "spark.default.parallelism": "2",
        "spark.driver.memory": "1g", "spark.sql.adaptive.enabled": "false",
        "spark.ui.showConsoleProgress": "false"})
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _same(spark_tables: dict, local: reprints.Result) -> None:
    for name in ("pairs", "passages", "clusters", "documents"):
        got, want = spark_tables[name], getattr(local, name)
        assert got.schema.equals(want.schema), name
        assert got.num_rows == want.num_rows, (name, got.num_rows, want.num_rows)
        assert got.to_pylist() == want.to_pylist(), name


def _reuters_sample(n: int = 2000) -> list[dict]:
    rows = []
    with open(REUTERS, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row.get("body"):
                rows.append({"id": str(row["newid"]), "text": row["body"], "date": row.get("date")})
    random.Random(4).shuffle(rows)
    return rows[:n]


def _syndicated(carriers: int, copies: int) -> list[dict]:
    """Rows of a wire story carried by ``carriers`` outlets and of a tree of ``copies`` copies."""
    from reprints.evaluate import syndication

    wire = [json.loads(line) for line in STORIES.read_text(encoding="utf-8").splitlines()]
    story = max(wire, key=lambda r: len(r["text"]))["text"]
    vocabulary = sorted({w.lower() for r in wire for w in r["text"].split() if w.isalpha() and len(w) > 3})
    generated = (syndication.carriers(story, carriers, vocabulary, seed=3)
                 + syndication.copy_tree(story, copies, vocabulary, seed=4))
    return [c.row() for c in generated]


@pytest.mark.skipif(not REUTERS.exists(), reason=f"Reuters-21578 not found at {REUTERS}")
def test_reuters_sample_identical_via_dataframe(spark):
    rows = _reuters_sample()
    # Bad rows are skipped with the readers' reasons, in both engines.
    rows[10:10] = [{"id": "no-text", "text": None, "date": None}, {"id": rows[3]["id"], "text": "a repeat", "date": None},
                   {"id": "empty", "text": "   ", "date": None}, {"id": None, "text": "no id here", "date": None}]
    rows.insert(0, {"id": rows[20]["id"], "text": "", "date": None})  # skipped: does not claim the id
    # A story carried by more outlets than max_df (its n-grams are linked to a few earlier
    # holders, each carrier keeps its likeliest sources) and a copy tree (lineage).
    rows += _syndicated(105, 20)  # each from its own outlet (one source's recurring lines are boilerplate)
    rows = [{"id": r["id"], "text": r["text"], "date": r["date"], "source": r.get("source")} for r in rows]
    local = reprints.scan(pa.Table.from_pylist(rows))
    assert local.passages.num_rows > 50 and local.clusters.num_rows > 50
    story = [r for r in local.clusters.to_pylist() if r["doc_id"].startswith("carrier-")]
    assert len({r["cluster_id"] for r in story}) == 1 and len({r["doc_id"] for r in story}) == 105
    assert sum(1 for r in local.clusters.to_pylist() if r["doc_id"].startswith("copy-") and r["source_doc_id"]) >= 15
    assert local.summary["documents_skipped"] == 5
    # Filled-in forms are labelled, not clustered, the same way in both engines (`formula.classify`).
    templates = local.pairs.filter(pc.equal(local.pairs.column("kind"), "template"))
    assert templates.num_rows >= 5 and local.summary["template_pairs"] == templates.num_rows
    # Through the public DataFrame API, as inside an existing session.
    # Read order ranks documents (origin ties, as in the local engine): rows stay in order.
    df = spark.createDataFrame(rows, "id string, text string, date string, source string")
    tables = reprints_spark.scan(df)
    got = {name: reprints_spark._to_arrow(tables[name]).cast(getattr(local, name).schema) for name in TABLES}
    _same(got, local)


def test_many_repeated_ids_take_the_shuffle_path_and_keep_read_order(spark, monkeypatch):
    """Past the broadcast limit, repeated ids are dropped by a shuffle join and the documents
    re-sorted by read order: same tables as the local engine."""
    from reprints.engines import spark as spark_engine

    monkeypatch.setattr(spark_engine, "_BROADCAST_REPEATS", 0)
    rows = [json.loads(line) for line in STORIES.read_text(encoding="utf-8").splitlines() if line.strip()]
    repeats = [dict(r, text=r["text"] + " (again)") for r in rows[::3]]
    rows = rows[:4] + repeats + rows[4:]
    local = reprints.scan(pa.Table.from_pylist(rows))
    assert local.summary["documents_skipped"] == len(repeats) >= 3  # some repeats precede their first reading
    table = pa.Table.from_pylist(rows)
    tables = reprints_spark.scan(spark.createDataFrame(table.to_pandas(), ", ".join(
        f"{name} string" for name in table.column_names)))
    got = {name: reprints_spark._to_arrow(tables[name]).cast(getattr(local, name).schema) for name in TABLES}
    _same(got, local)


_CHILD = """
import sys
import threading
import reprints.spark as rs
from reprints.config import ScanConfig
from reprints.progress import Reporter


class HeldAfterShingle(Reporter):
    def _close(self, name):
        if name == "shingle":  # the stage's Parquet and completion marker are written
            print("shingle done", flush=True)
            threading.Event().wait()  # held here until the test kills this process


spark = rs.session("local[2]", conf={"spark.sql.shuffle.partitions": "2", "spark.driver.memory": "512m",
                                     "spark.ui.showConsoleProgress": "false"})
rs.run(sys.argv[1], ScanConfig(), out=sys.argv[2], spark=spark, workdir=sys.argv[3], reporter=HeldAfterShingle())
"""


def test_wire_examples_killed_run_resumes_and_matches_local(spark, tmp_path):
    import signal
    import subprocess
    import sys

    work, out = tmp_path / "work", tmp_path / "run"
    marker = work / "shingle" / "_REPRINTS_COMPLETE"
    # The child is held right after its shingle stage (by its reporter) until it is killed, so
    # the kill lands there whatever the machine's speed.
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(STORIES), str(out), str(work)],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        for line in child.stdout:  # blocks until the child prints (or exits: end of file)
            if line.strip() == "shingle done":
                break
        assert marker.exists(), "the child never finished the shingle stage"
        os.killpg(child.pid, signal.SIGKILL)  # the driver and its JVM, mid-run
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()
    assert not out.exists()
    finished = {p.parent.name for p in work.glob("*/_REPRINTS_COMPLETE")}
    assert finished == {"documents", "skips", "boilerplate", "shingle"}  # and nothing after it

    result = reprints_spark.run(STORIES, ScanConfig(), out=out, spark=spark, workdir=work)
    assert set(result.summary["resumed_stages"]) == finished
    local = reprints.scan(STORIES)
    assert local.passages.num_rows > 0 and local.clusters.num_rows > 0
    _same(result.tables, local)
    written = writers.read_run(out)
    for name in TABLES:
        assert written[name].equals(getattr(local, name)), name
    info = json.loads((out / "run.json").read_text())
    assert info["engine"] == "spark" and info["complete"]
    for key in ("documents_read", "documents_skipped", "candidate_pairs", "document_pairs", "passages",
                "passage_kinds", "clusters", "cluster_sizes", "largest_clusters", "boilerplate_lines"):
        assert info["summary"][key] == local.summary[key], key


def test_spark_submit_job_writes_parquet_tables_then_marker(spark, tmp_path):
    """`reprints.spark_job` (the spark-submit entry): Parquet in, one Parquet folder per table
    out, the completion marker last; the rows are the local engine's; an existing output
    folder is refused."""
    import pyarrow.parquet as pq

    from reprints import spark_job

    corpus = tmp_path / "corpus.parquet"
    rows = [json.loads(line) for line in STORIES.read_text(encoding="utf-8").splitlines() if line.strip()]
    pq.write_table(pa.Table.from_pylist(rows), corpus)
    out = tmp_path / "run"
    assert spark_job.main([str(corpus), "--out", str(out), "--min-words", "20"], spark=spark) == 0
    assert spark_job.is_complete(spark, str(out))
    info = json.loads((out / spark_job.MARKER).read_text(encoding="utf-8"))
    assert info["inputs"] == [str(corpus)] and info["config"]["align"]["min_words"] == 20
    local = reprints.scan(str(corpus))
    assert_job_output(out, local)
    assert local.passages.num_rows > 0
    assert spark_job.main([str(corpus), "--out", str(out)], spark=spark) == 2


def _harbour_pages() -> list[tuple[str, str]]:
    """Three news pages (URL, HTML) that share two paragraphs."""
    shared = ("<p>The harbour authority said on Monday that the northern quay will close for repairs from March, "
              "moving the ferry service to the old pier for at least six weeks while divers inspect the piles.</p>"
              "<p>Fishermen who moor along the quay were offered berths in the marina at the same fee, a "
              "spokeswoman said, adding that the repair was planned last year after storm damage.</p>")
    openings = ["Visitors to the coast found the promenade closed by the council.",
                "A long queue formed outside the bakery before dawn on Sunday.",
                "Teachers at the grammar school voted to accept the new timetable."]
    return [(f"https://www.{site}.com/harbour", f"<html><head><title>{site}</title></head><body><nav>Home</nav>"
             f"<article><h1>Harbour news</h1><p>{opening}</p>{shared}</article></body></html>")
            for site, opening in zip(("tidings", "courier", "gazette"), openings)]


def _write_warc(archive: Path, pages: list[tuple[str, str]], dates: list[str] | None = None) -> Path:
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(archive, "wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for number, (url, page) in enumerate(pages):
            body = page.encode("utf-8")
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body),
                                                          http_headers=http,
                                                          warc_headers_dict={"WARC-Date": dates[number] if dates
                                                                             else "2019-01-02T03:04:05Z"}))
    return archive


def test_web_pages_and_archives_match_local(spark, tmp_path):
    """Web input (issue 15): a WARC is read by the readers in an executor task; Parquet rows with an
    HTML field (--html-field) are read by Spark and extracted in the executors. Both give the
    documents a local read gives (the stages after reading are the engines' shared parity)."""
    import pyarrow.parquet as pq

    pages = _harbour_pages()
    archive = _write_warc(tmp_path / "crawl.warc.gz", pages)
    # The archive goes through the readers in a task: the same documents as a local read.
    from reprints.io.readers import read_documents
    from reprints.records import Document

    docs, _ = reprints_spark._documents_frame(spark, archive, ScanConfig())
    want_warc = [(d.doc_id, d.text, d.url, d.source) for d in read_documents(archive, ScanConfig().read)
                 if isinstance(d, Document)]
    assert [(r["doc_id"], r["text"], r["url"], r["source"]) for r in docs.orderBy("doc").collect()] == want_warc
    assert len(want_warc) == 3 and reprints.scan(archive).passages.num_rows == 3
    table = tmp_path / "pages.parquet"
    pq.write_table(pa.Table.from_pylist([{"id": url, "html": page} for url, page in pages]), table)
    config = ScanConfig().replace(read={"html_field": "html"})
    docs, _ = reprints_spark._documents_frame(spark, [str(table)], config)  # Spark reads the Parquet itself
    want = [(d.doc_id, d.text, d.url, d.source) for d in read_documents(table, config.read) if isinstance(d, Document)]
    assert [(r["doc_id"], r["text"], r["url"], r["source"]) for r in docs.orderBy("doc").collect()] == want
    assert [text for _, text, _, _ in want] == [d[1] for d in want_warc] and len(want) == 3


def test_files_are_read_in_tasks_as_a_local_read_reads_them(spark, tmp_path, monkeypatch):
    """A folder is read in the executors (an archive per task, other files in batches, here two
    to a task): the same documents, skips in read order, passages and clusters as a local read,
    ids repeated across tasks included (the first reading wins, as it does locally)."""
    from reprints.engines import spark as spark_engine
    from reprints.io.readers import read_units

    monkeypatch.setattr(spark_engine, "_FILES_PER_TASK", 2)
    folder = tmp_path / "corpus"
    (folder / "wire").mkdir(parents=True)
    stories = [json.loads(line) for line in STORIES.read_text(encoding="utf-8").splitlines()]
    for story in stories[:8]:
        (folder / "wire" / f"{story['id']}.txt").write_text(story["text"], encoding="utf-8")
    rows = [{"id": f"wire/{s['id']}", "text": s["text"], "date": s["date"]} for s in stories[6:]]  # two repeat
    (folder / "wire" / "more.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    _write_warc(folder / "crawl.warc.gz", _harbour_pages())
    _, html = _harbour_pages()[0]
    (folder / "saved.html").write_text(html, encoding="utf-8")
    (folder / "notes.md").write_text("not read", encoding="utf-8")
    first, changed = _harbour_pages()[1], _harbour_pages()[2][1].replace("bakery", "harbour")
    _write_warc(folder / "recrawl.warc.gz", [first, first, (first[0], changed), first],  # captured again
                ["2019-01-03T00:00:00Z", "2019-01-04T00:00:00Z", "2019-01-05T00:00:00Z", "2019-01-06T00:00:00Z"])
    (folder / "wire" / "empty.txt").write_text("", encoding="utf-8")
    (folder / ".hidden.txt").write_text("hidden", encoding="utf-8")

    local = reprints.scan(folder)
    result = reprints_spark.run(folder, ScanConfig(), spark=spark)
    _same({name: getattr(result, name) for name in TABLES}, local)
    assert len(spark_engine._file_tasks(list(read_units(folder)))) >= 5  # really spread over tasks
    reasons = " | ".join(r for r in local.documents.column("skip_reason").to_pylist() if r)
    for reason in ("duplicate id", "unsupported file type", "hidden file", "empty document",
                   "same page captured again"):
        assert reason in reasons
    assert f"{first[0]}@2019-01-05T00:00:00Z" in local.documents.column("doc_id").to_pylist()
    extracted = {key: value for key, value in local.summary["web_pages"].items() if key != "extraction_cpu_seconds"}
    assert extracted == {"extracted": 8, "documents": 8, "skipped": 0}  # 3 + 4 captures + the saved page
    assert {key: result.summary["web_pages"][key] for key in extracted} == extracted
    assert local.passages.num_rows > 0 and result.summary["documents_read"] == local.summary["documents_read"]


def test_every_script_identical_and_offsets_exact(spark):
    """Issue 16: the articles of tests/data/scripts_news.json (Chinese Simplified and Traditional,
    Japanese quoting English, Thai, Korean, Arabic, Russian, Hindi) give the local engine's tables
    on Spark, every passage the text at its offsets."""
    fixture = Path(__file__).resolve().parents[1] / "data" / "scripts_news.json"
    rows = [d for lang in json.loads(fixture.read_text(encoding="utf-8")).values() for d in lang["docs"]]
    local = reprints.scan(pa.Table.from_pylist(rows))
    assert local.passages.num_rows == 7
    df = spark.createDataFrame(rows, "id string, source string, date string, text string")
    tables = reprints_spark.scan(df)
    got = {name: reprints_spark._to_arrow(tables[name]).cast(getattr(local, name).schema) for name in TABLES}
    _same(got, local)
    texts = {d["id"]: d["text"] for d in rows}
    for p in got["passages"].to_pylist():
        assert texts[p["doc_a"]][p["begin_a"]:p["end_a"]] == p["text_a"]
        assert texts[p["doc_b"]][p["begin_b"]:p["end_b"]] == p["text_b"]


# --- reprints dedup on Spark (issue 17) -----------------------------------------------------------

def _dedup_corpus(path: Path) -> Path:
    """A JSONL file with an exact, a near, a contained and a repeated-passage duplicate, a
    document alone, and bad lines (no text, blank text, a repeated id, broken JSON)."""
    def words(seed: int, n: int) -> list[str]:
        return [f"w{seed}x{i}" for i in range(n)]

    def text(*parts: list[str]) -> str:
        return " ".join(w for part in parts for w in part) + "."

    a, b = words(1, 60), words(2, 100)
    rows = [
        {"id": "a", "text": text(a), "score": 3, "date": "2020-01-05"},
        {"id": "alone", "text": text(words(9, 30)), "score": 1, "date": "2020-01-01"},
        {"id": "a-copy", "text": "  " + text(a) + "  ", "score": 7, "date": "2020-01-02"},
        {"id": "a-near", "text": text(a[:-1], ["changed"]), "score": 5, "tag": "x"},
        {"id": "inside", "text": "(" + text(b[20:50]) + ")", "score": 9, "date": "2019-12-31"},
        {"id": "b", "text": text(b), "score": 2, "date": "2020-02-01"},
        {"id": "no-text", "text": None},
        {"id": "host", "text": "Intro: " + text(words(3, 40)) + " " + text(b[30:90]) + " " + text(words(4, 40)),
         "score": 4.5, "date": "2021-01-01"},
        {"id": "host2", "text": text(words(5, 30)) + "\n" + text(b[30:90]) + " tail " + text(words(6, 20)),
         "score": "high"},
        {"id": "b", "text": "a repeated id"},
        {"id": "blank", "text": "   "},
    ]
    lines = [json.dumps(r) for r in rows]
    lines.insert(3, "{broken json")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("mode, keep, fmt", [("documents", "first", "parquet"), ("passages", "longest", "auto"),
                                             ("both", "field:score", "parquet")])
def test_dedup_on_spark_writes_the_local_files(spark, tmp_path, mode, keep, fmt):
    """`reprints dedup --engine spark` (the same stage functions, pairs by joins, decisions per
    connected component) writes the local engine's kept, removed and skipped files and summary;
    removed spans are the characters at their offsets."""
    import pyarrow.parquet as pq

    from reprints.config import DedupConfig

    corpus = _dedup_corpus(tmp_path / "corpus.jsonl")
    config = DedupConfig().replace(dedup={"mode": mode, "keep": keep, "format": fmt}, engine={"workers": 1})
    reprints.dedup([str(corpus)], config=config, out=tmp_path / "local")
    on_spark = reprints.dedup([str(corpus)], config=config, out=tmp_path / "spark", engine="spark", spark=spark)
    assert on_spark.kept is None and on_spark.out == tmp_path / "spark"
    kept = "kept.jsonl" if fmt == "auto" else "kept.parquet"
    if fmt == "auto":  # JSONL in, JSONL out: the same bytes
        assert (tmp_path / "spark" / kept).read_bytes() == (tmp_path / "local" / kept).read_bytes()
    for name in ([kept] if fmt != "auto" else []) + ["removed.parquet", "skipped.parquet"]:
        got, want = pq.read_table(tmp_path / "spark" / name), pq.read_table(tmp_path / "local" / name)
        assert got.schema.equals(want.schema), name
        assert got.to_pylist() == want.to_pylist(), name
    summaries = [json.loads((tmp_path / run / "run.json").read_text())["summary"] for run in ("local", "spark")]
    for s in summaries:
        s.pop("seconds"), s.pop("seconds_per_stage")
    assert summaries[0] == summaries[1]
    info = json.loads((tmp_path / "spark" / "run.json").read_text())
    assert info["engine"] == "spark" and info["complete"]

    # what was removed, and the offsets of the cut spans
    texts = {}
    for line in corpus.read_text(encoding="utf-8").splitlines():
        row = json.loads(line) if line.startswith('{"') else {}
        if isinstance(row.get("text"), str):
            texts.setdefault(row["id"], row["text"])
    removed = pq.read_table(tmp_path / "spark" / "removed.parquet").to_pylist()
    reasons = {(r["doc_id"], r["reason"]) for r in removed}
    assert summaries[1]["documents_skipped"] == 4
    if mode != "passages":
        assert {"exact", "near-duplicate", "contained"} <= {reason for _, reason in reasons}
    spans = [r for r in removed if r["begin"] is not None]
    if mode != "documents":
        assert len(spans) >= 1
    for r in spans:
        assert r["reason"] == "repeated passage"
        cut = texts[r["doc_id"]][r["begin"]:r["end"]]
        assert cut == texts[r["kept_doc_id"]][r["kept_begin"]:r["kept_end"]]
        assert cut.startswith("w2x") and cut.endswith("x89") and r["characters"] == len(cut)
