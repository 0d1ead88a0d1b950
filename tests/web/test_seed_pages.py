"""The two seed articles published as pages of two sites, with the chrome real sites put around
an article (cookie banners, menus, scripts, "most read" lists, share bars, comments, footers),
read as .html files and from a WARC written here: the four paragraphs they share are found with
exact offsets into the extracted texts, and no chrome is in any text or passage.

Pages are built at test time from the seed texts in the shared data folder (skipped when absent).
"""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import reprints
from reprints.config import ReadConfig
from reprints.io.readers import read_documents
from reprints.records import Document

from webkit import SHARED_FIRST, SHARED_LAST, page_response, record, seed_pages


@pytest.fixture(scope="module")
def pages() -> list[dict]:
    return seed_pages()


def _texts(inputs, config=ReadConfig()) -> dict[str, Document]:
    return {d.doc_id: d for d in read_documents(inputs, config) if isinstance(d, Document)}


def _shared_paragraphs(pages: list[dict]) -> list[str]:
    """Paragraphs of the first article that the second carries too (after its dateline)."""
    other = "\n".join(pages[1]["body"]).replace("TEHRAN -- ", "")
    return [p for p in pages[0]["body"] if p in other]


def _check_reprint(result, docs: dict[str, Document], pages: list[dict], ids: list[str], assert_offsets) -> None:
    texts = {k: d.text for k, d in docs.items()}
    assert assert_offsets(result, texts) > 0
    shared = _shared_paragraphs(pages)
    assert len(shared) == 4, shared
    passages = result.passages.to_pylist()
    for paragraph in shared:
        # Each shared paragraph sits, at an exact offset in both extracted texts, inside one passage
        # (from its first word to its last: a passage starts and ends on words, not on quotes).
        lead = len(paragraph) - len(paragraph.lstrip('"\' '))
        words = paragraph.strip('"\'.,;: ')
        where = {doc_id: texts[doc_id].index(paragraph) + lead for doc_id in ids}
        assert all(texts[d][where[d]:where[d] + len(words)] == words for d in ids)
        assert any(all(p[f"begin_{s}"] <= where[p[f"doc_{s}"]] and where[p[f"doc_{s}"]] + len(words) <= p[f"end_{s}"]
                       for s in "ab") for p in passages if {p["doc_a"], p["doc_b"]} == set(ids)), paragraph[:50]
    span = {d: (texts[d].index(SHARED_FIRST), texts[d].index(SHARED_LAST) + len(SHARED_LAST)) for d in ids}
    assert any(all(p[f"begin_{s}"] <= span[p[f"doc_{s}"]][0] and p[f"end_{s}"] >= span[p[f"doc_{s}"]][1]
                   for s in "ab") for p in passages)
    chrome = pages[0]["chrome"] + pages[1]["chrome"] + ["2 min read", "Conversations", "pageview", "Most read"]
    for doc_id, page in zip(ids, pages):
        for line in page["chrome"]:
            assert line not in texts[doc_id], (doc_id, line)
    for p in passages:
        for text in (p["text_a"], p["text_b"]):
            assert not [c for c in chrome if c in text]


def test_pages_as_html_files(tmp_path, pages, assert_offsets):
    folder = tmp_path / "pages"
    (folder / "meridian").mkdir(parents=True)
    (folder / "eurasia").mkdir()
    (folder / "meridian" / "idlib.html").write_text(pages[0]["html"], encoding="utf-8")
    (folder / "eurasia" / "idlib.html.gz").write_bytes(gzip.compress(pages[1]["html"].encode("utf-8"), mtime=0))
    ids = ["meridian/idlib", "eurasia/idlib"]
    docs = _texts(folder)
    assert sorted(docs) == sorted(ids)
    result = reprints.scan(folder)
    _check_reprint(result, docs, pages, ids, assert_offsets)
    rows = {r["doc_id"]: r for r in result.documents.to_pylist()}
    for doc_id, page in zip(ids, pages):
        row = rows[doc_id]
        assert (row["url"], row["source"], row["date"]) == (page["url"], page["site"], page["date"])
        meta = json.loads(row["meta"])
        assert meta["title"].startswith(page["title"]) and meta["date_from"] == "page"
        assert meta["language"] in ("en", "en-GB") and meta["charset_from"] == "meta"
    # Given directly, a page's id is its file name without the suffix.
    assert list(_texts(folder / "eurasia" / "idlib.html.gz")) == ["idlib"]


def _crawl(pages: list[dict]) -> bytes:
    """A crawl as a crawler writes it: warcinfo, request/response pairs, and records that are no pages."""
    records = [record("warcinfo", "", b"software: test-crawler/1.0\r\nformat: WARC File Format 1.0\r\n",
                      headers=[("Content-Type", "application/warc-fields")])]
    for number, page in enumerate(pages):
        records.append(record("request", page["url"]))
        records.append(page_response(page["url"], page["html"], record_id=f"00000000-0000-4000-8000-00000000000{number}"))
    records += [
        record("request", "https://www.meridian-news.com/missing"),
        page_response("https://www.meridian-news.com/missing", "<html><body><h1>Page not found</h1></body></html>",
                      status="404 Not Found"),
        page_response("https://eurasiatimes.co.uk/old-link", b"", status="301 Moved Permanently",
                      extra_headers=[("Location", "https://eurasiatimes.co.uk/world/")]),
        page_response("https://www.meridian-news.com/images/summit.jpg", b"\xff\xd8\xff\xe0" + bytes(300),
                      charset=None, content_type="image/jpeg"),
        page_response("https://eurasiatimes.co.uk/report.pdf", b"%PDF-1.4\n" + bytes(200), charset=None,
                      content_type="application/pdf"),
        record("metadata", "https://www.meridian-news.com/news/", b"outlink: https://www.meridian-news.com/a\r\n",
               headers=[("Content-Type", "application/warc-fields")]),
        record("revisit", pages[0]["url"], b"", extra=[("WARC-Profile", "http://netpreserve.org/warc/1.0/revisit/"
                                                         "identical-payload-digest")]),
    ]
    return b"".join(records)


def test_pages_in_a_warc(tmp_path, pages, assert_offsets):
    path = tmp_path / "crawl-00001.warc.gz"
    path.write_bytes(_crawl(pages))
    ids = [p["url"] for p in pages]
    docs = _texts(path)
    assert list(docs) == ids
    result = reprints.scan(path)
    _check_reprint(result, docs, pages, ids, assert_offsets)
    summary = result.summary
    assert summary["documents_read"] == 2
    assert summary["skip_reasons"] == {
        "warc: warcinfo record (not a response)": 1, "warc: request record (not a response)": 3,
        "warc: HTTP 404": 1, "warc: HTTP 301": 1, "warc: content type image/jpeg": 1,
        "warc: content type application/pdf": 1, "warc: metadata record (not a response)": 1,
        "warc: revisit record (not a response)": 1}
    from warcio.archiveiterator import ArchiveIterator

    rows = {r["doc_id"]: r for r in result.documents.to_pylist()}
    for number, page in enumerate(pages):
        row = rows[page["url"]]
        meta = json.loads(row["meta"])
        assert (row["source"], row["date"], meta["date_from"]) == (page["site"], page["date"], "page")
        assert meta["warc_record_id"] == f"urn:uuid:00000000-0000-4000-8000-00000000000{number}"
        assert row["input"] == f"{path}@{meta['warc_offset']}"
        with open(path, "rb") as handle:  # the offset is where a WARC tool finds the record
            handle.seek(meta["warc_offset"])
            found = next(iter(ArchiveIterator(handle)))
            assert found.rec_headers.get_header("WARC-Target-URI") == page["url"]


def test_the_report_reads_the_same_texts_again(tmp_path, pages):
    """The run directory holds no texts: the report reads the archive again and must find every
    passage at its offsets; pages link to their URL, with their title."""
    from reprints.report.data import build_model, read_texts

    path = tmp_path / "crawl.warc.gz"
    path.write_bytes(_crawl(pages))
    run = tmp_path / "run"
    result = reprints.scan(path, out=run)
    run_info = json.loads((run / "run.json").read_text(encoding="utf-8"))
    texts, note = read_texts(run, run_info, {p["url"] for p in pages})
    assert note is None and texts == {k: d.text for k, d in _texts(path).items()}
    model = build_model(run)
    docs = model["docs"]
    for page in pages:
        d = docs["id"].index(page["url"])
        assert docs["url"][d] == page["url"] and docs["title"][d].startswith(page["title"])
    assert result.passages.num_rows > 0 and model["meta"]["texts_note"] is None
    for page in pages:  # the whole texts are in the report, not only the passages
        assert docs["text"][docs["id"].index(page["url"])] == texts[page["url"]]
    # Reading again, only the pages asked for are extracted (extraction is the cost of a crawl).
    from reprints.io.html import NOT_WANTED, only_pages

    with only_pages({pages[1]["url"]}):
        again = list(read_documents(path, ReadConfig()))
    assert [d.doc_id for d in again if isinstance(d, Document)] == [pages[1]["url"]]
    assert [s.doc_id for s in again if getattr(s, "reason", None) == NOT_WANTED] == [pages[0]["url"]]


def test_rows_with_an_html_field(tmp_path, pages, assert_offsets):
    """JSONL and Parquet rows holding the page's HTML (--html-field): the row's own fields win."""
    rows = [{"id": p["stem"], "html": p["html"], "source": f"outlet-{n}"} for n, p in enumerate(pages)]
    jsonl = tmp_path / "pages.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    parquet = tmp_path / "pages.parquet"
    pq.write_table(pa.Table.from_pylist(rows), parquet)
    config = ReadConfig(html_field="html")
    ids = [p["stem"] for p in pages]
    for path in (jsonl, parquet):
        docs = _texts(path, config)
        assert list(docs) == ids
        result = reprints.scan(path, config=reprints.ScanConfig().replace(read={"html_field": "html"}))
        _check_reprint(result, docs, pages, ids, assert_offsets)
        got = {r["doc_id"]: r for r in result.documents.to_pylist()}
        assert [got[i]["source"] for i in ids] == ["outlet-0", "outlet-1"]
        assert [got[i]["url"] for i in ids] == [p["url"] for p in pages]
        assert all("html" not in json.loads(got[i]["meta"]) for i in ids)


def test_html_field_on_the_command_line(tmp_path, pages):
    from typer.testing import CliRunner

    from reprints import cli

    path = tmp_path / "pages.jsonl"
    path.write_text("".join(json.dumps({"id": p["stem"], "page": p["html"]}) + "\n" for p in pages), encoding="utf-8")
    out = tmp_path / "run"
    result = CliRunner().invoke(cli.app, ["scan", str(path), "--out", str(out), "--html-field", "page", "-q"])
    assert result.exit_code == 0, result.output
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["config"]["read"]["html_field"] == "page" and run["summary"]["passages"] > 0
    # Without it the rows have no text field: each is skipped, and nothing is readable.
    result = CliRunner().invoke(cli.app, ["scan", str(path), "--out", str(tmp_path / "run2"), "-q"])
    assert result.exit_code == 2 and "no 'text' field" in result.output
