"""Web archives as crawlers write them, good and broken: every record is a page or a counted skip,
a damaged or truncated record costs only itself, nothing is printed and nothing raises.

The shared sample archives (warcio's test data) are read where present; every other archive here
is written by the test, damage included.
"""

from __future__ import annotations

import gzip
import io
import os
import random
import tracemalloc
from collections import Counter
from pathlib import Path

import pytest

from reprints.config import ReadConfig
from reprints.io.readers import read_documents
from reprints.io.warc import read_archive
from reprints.records import Document, Skip

from webkit import DATA, chunked, gzip_bytes, need, page_response, record

SAMPLES = DATA / "warc-samples"

ARTICLE = ("<p>The harbour authority said on Monday that the northern quay will close for repairs from March, "
           "moving the ferry service to the old pier for at least six weeks while divers inspect the piles.</p>"
           "<p>Fishermen who moor along the quay were offered berths in the marina at the same fee, a spokeswoman "
           "said, adding that the repair was planned last year after storm damage in the autumn.</p>")


def page(n: int, extra: str = "") -> str:
    return (f"<html><head><title>Harbour story {n}</title></head><body><nav><a href='/'>Home</a></nav>"
            f"<article><h1>Harbour story {n}</h1>{ARTICLE}<p>Story number {n} ends here with its own words.</p>"
            f"{extra}</article><footer>Harbour Times</footer></body></html>")


def url(n: int) -> str:
    return f"https://www.harbour-times.com/story/{n}"


def _read(path: Path) -> tuple[list[Document], list[Skip]]:
    items = list(read_documents(path, ReadConfig()))
    return [d for d in items if isinstance(d, Document)], [s for s in items if isinstance(s, Skip)]


def _reasons(skips: list[Skip]) -> Counter:
    return Counter(s.reason for s in skips)


# --- the shared samples -------------------------------------------------------------------------

# pages each sample holds (the broken ones included: what a reader must still take from them)
SAMPLE_PAGES = {
    "bad.arc": 0, "example-bad-non-chunked.warc.gz": 1, "example-digest.warc": 0,
    "example-iana.org-chunked.warc": 1, "example-resource.warc.gz": 1, "example-space-in-target-uri.warc.gz": 0,
    "example-space-in-url.arc": 1, "example-trunc.warc": 1, "example-wget-bad-target-uri.warc.gz": 1,
    "example-wrong-chunks.warc.gz": 1, "example.arc": 1, "example.arc.gz": 1, "example.warc": 1,
    "example.warc.gz": 1, "post-test.warc.gz": 0,
}


def test_every_sample_archive_is_read_without_a_traceback(capfd):
    folder = need(SAMPLES)
    for name, pages in SAMPLE_PAGES.items():
        docs, skips = _read(folder / name)
        assert len(docs) == pages, (name, docs, skips)
        for doc in docs:
            assert doc.url and doc.url.startswith("http") and doc.text.strip() and doc.meta["date_from"] == "archive"
            assert doc.source in ("example.com", "iana.org")
        for skip in skips:
            assert skip.reason.startswith("warc: ") and skip.origin.startswith(str(folder / name) + "@")
    # Given as a file of its own, the renamed broken archive is still read (as text: a binary file).
    docs, skips = _read(folder / "example-bad.warc.gz.bad")
    assert not docs and [s.reason for s in skips] == ["binary file (contains NUL bytes), not text"]
    # The whole folder: files read one after another, the same URL read once.
    docs, skips = _read(folder)
    assert {d.doc_id for d in docs} == {"http://example.com/", "http://www.iana.org/", "http://example.com/index.cfm?"
                                        "FuseAction=Email&EmailTitle=Examples%20From%20The%20Live%20Web&IsPopUp=False"}
    counts = _reasons(skips)
    assert counts["warc: request record (not a response)"] >= 10 and counts["warc: content type application/json"] == 3
    # bad.arc: ARC records whose lengths are -1, 1 and "abc"
    assert counts["warc: damaged record (no Content-Length); skipped to the next one"] == 3
    assert counts["warc: stray bytes after a record (its Content-Length may be wrong)"] == 1  # example-trunc.warc
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # warcio's notes are reasons here, not lines on the terminal


def test_sample_details():
    folder = need(SAMPLES)
    (doc,), _ = _read(folder / "example-iana.org-chunked.warc")  # chunked transfer encoding
    assert doc.doc_id == "http://www.iana.org/" and "Domain Names" in doc.text
    assert doc.meta["charset_from"] == "http" and doc.meta["canonical_url"] == "http://iana.org/"
    (doc,), _ = _read(folder / "example.warc.gz")
    assert doc.meta["warc_offset"] == 784 and doc.meta["warc_record_id"] == "urn:uuid:a9c51e3e-0221-11e7-bf66-0242ac120005"
    assert doc.date == "2017-03-06T04:02:06Z" and doc.meta["title"] == "Example Domain"
    (doc,), _ = _read(folder / "example.arc")
    assert "warc_record_id" not in doc.meta  # ARC records have none (warcio would invent a random one)
    (doc,), _ = _read(folder / "example-wrong-chunks.warc.gz")  # gzip members that split records
    assert doc.meta["warc_offset"] == 0 and "illustrative examples" in doc.text
    (doc,), _ = _read(folder / "example-bad-non-chunked.warc.gz")  # one gzip stream for all records
    assert doc.meta["warc_offset_uncompressed"] == 1197 and "(in the decompressed stream)" in doc.origin
    (doc,), _ = _read(folder / "example-space-in-url.arc")  # ends 12 bytes early, after the whole page
    assert "ends 12 bytes into the record's framing" in doc.warning
    # Reading twice gives the same documents (the report reads inputs again).
    assert _read(folder / "example.warc.gz") == _read(folder / "example.warc.gz")


# --- damage written here ---------------------------------------------------------------------

def _members(count: int) -> list[bytes]:
    return [record("warcinfo", "", b"software: test\r\n", headers=[("Content-Type", "application/warc-fields")])] + [
        page_response(url(n), page(n)) for n in range(count)]


def _corrupt(member: bytes) -> bytes:
    middle = len(member) // 2
    return member[:middle] + bytes(b ^ 0x5A for b in member[middle:middle + 40]) + member[middle + 40:]


def test_a_damaged_gzip_member_costs_only_its_record(tmp_path):
    members = _members(5)
    members[3] = _corrupt(members[3])  # the page of story 2
    path = tmp_path / "damaged.warc.gz"
    path.write_bytes(b"".join(members))
    docs, skips = _read(path)
    assert [d.doc_id for d in docs] == [url(0), url(1), url(3), url(4)]
    assert _reasons(skips)["warc: damaged gzip data; skipped to the next gzip member"] == 1
    offsets = [d.meta["warc_offset"] for d in docs]
    starts = [sum(len(m) for m in members[:i]) for i in (1, 2, 4, 5)]
    assert offsets == starts  # records after the damage keep their file offsets


def test_bytes_between_gzip_members_and_a_truncated_end(tmp_path):
    members = _members(4)
    data = b"".join(members[:3]) + b"\x00garbage that is not gzip\n" + members[3]
    path = tmp_path / "gap.warc.gz"
    path.write_bytes(data + page_response(url(9), page(9))[:300])  # the last record cut off
    docs, skips = _read(path)
    assert [d.doc_id for d in docs] == [url(0), url(1), url(2)]
    reasons = _reasons(skips)
    assert reasons["warc: bytes that are not gzip data between members; skipped"] == 1
    assert reasons["warc: record cut off (the file ends inside it)"] == 1
    # A plain archive cut inside a record's payload.
    plain = b"".join(page_response(url(n), page(n), gzipped=False) for n in range(3))
    path = tmp_path / "cut.warc"
    path.write_bytes(plain[:-200])
    docs, skips = _read(path)
    assert [d.doc_id for d in docs] == [url(0), url(1)]
    assert [s.reason for s in skips] == ["warc: record cut off (the file ends inside it)"]


def test_damaged_records_in_a_plain_archive(tmp_path):
    records = [page_response(url(n), page(n), gzipped=False) for n in range(5)]
    # Record 1 claims 400 more bytes than it holds: it swallows the start of record 2.
    records[1] = records[1].replace(b"Content-Length: %d\r\n" % (len(records[1].split(b"\r\n\r\n", 1)[1]) - 4),
                                    b"Content-Length: %d\r\n" % (len(records[1].split(b"\r\n\r\n", 1)[1]) + 396), 1)
    # Record 3's header is damaged.
    records[3] = records[3].replace(b"WARC-Type: response", b"WARC-Type response", 1).replace(
        b"Content-Length:", b"Content-Lngth:", 1)
    path = tmp_path / "damaged.warc"
    path.write_bytes(b"".join(records) + b"trailing junk\r\n")
    docs, skips = _read(path)
    got = [d.doc_id for d in docs]
    assert url(0) in got and url(4) in got and url(3) not in got
    assert all(s.reason.startswith("warc: ") for s in skips) and skips
    # Not an archive at all, and an empty one.
    (tmp_path / "notes.warc").write_text("meeting notes, not an archive\n" * 10, encoding="utf-8")
    (tmp_path / "empty.warc.gz").write_bytes(b"")
    assert [s.reason for s in _read(tmp_path / "notes.warc")[1]] == ["warc: not a WARC or ARC file"]
    assert [s.reason for s in _read(tmp_path / "empty.warc.gz")[1]] == ["empty file"]


def test_encodings_and_charsets_in_archives(tmp_path):
    import brotli

    from reprints.io.html import too_large

    accented = "<p>Le café du port, très apprécié des pêcheurs, ferme « pour travaux » jusqu’à l’été.</p>"
    body = page(1, accented).encode("utf-8")
    cp1252 = page(2, accented).encode("cp1252")
    records = [
        # chunked transfer encoding over gzip content encoding
        record("response", url(1), chunked(gzip_bytes(body)), headers=[
            ("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")]),
        # declared UTF-8 in the header, the bytes are windows-1252
        page_response(url(2), cp1252, charset="utf-8"),
        # declared only in a meta tag
        page_response(url(3), page(3, accented).replace("<head>", "<head><meta charset='windows-1252'>")
                      .encode("cp1252"), charset=None),
        # declared nowhere: detected
        page_response(url(4), cp1252, charset=None),
        # gzip content encoding that is damaged
        record("response", url(5), gzip_bytes(body)[:60] + bytes(200), headers=[
            ("Content-Type", "text/html"), ("Content-Encoding", "gzip")]),
        # a page the crawler truncated
        page_response(url(6), page(6), extra_headers=[]),
        # brotli content encoding, as served by most sites today
        record("response", url(8), brotli.compress(page(8, accented).encode("utf-8")), headers=[
            ("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "br")]),
        # a brotli bomb: 30 MB of markup in a few kilobytes
        record("response", url(9), brotli.compress(b"<html><body>" + b"<p>x</p>" * 3_750_000), headers=[
            ("Content-Type", "text/html"), ("Content-Encoding", "br")]),
        # a content encoding warcio does not decode
        record("response", url(7), b"(\xb5/\xfd" + bytes(100), headers=[
            ("Content-Type", "text/html"), ("Content-Encoding", "zstd")]),
    ]
    records[-4] = record("response", url(6), page(6).encode(), headers=[("Content-Type", "text/html")],
                         extra=[("WARC-Truncated", "length")])
    path = tmp_path / "encodings.warc.gz"
    path.write_bytes(b"".join(records))
    docs, skips = _read(path)
    by = {d.doc_id: d for d in docs}
    assert sorted(by) == [url(1), url(2), url(3), url(4), url(6), url(8)]
    for n in (1, 2, 3, 4, 8):
        assert "Le café du port, très apprécié des pêcheurs" in by[url(n)].text, n
    assert (by[url(1)].meta["charset_from"], by[url(1)].warning) == ("http", None)
    assert by[url(2)].meta["charset_from"] == "detected" and "does not fit the bytes" in by[url(2)].warning
    assert by[url(3)].meta["charset_from"] == "meta" and by[url(3)].warning is None
    assert by[url(4)].meta["charset"] == "cp1252" and by[url(4)].meta["charset_from"] == "detected"
    assert "WARC-Truncated: length" in by[url(6)].warning
    assert [s.reason for s in skips] == ["warc: damaged content-encoding data", too_large(),
                                         "warc: content encoding zstd not decoded"]


def test_bad_pages_in_an_archive_are_skipped_with_reasons(tmp_path):
    deep = "<html><body>" + "<div>" * 1000 + ARTICLE + "</div>" * 1000 + "</body></html>"
    links = "<html><body><nav>" + "".join(f"<a href='/{i}'>Section {i}</a> " for i in range(50)) + "</nav></body></html>"
    records = [
        page_response(url(0), page(0)),
        page_response(url(1), links),  # no main text: a page of links
        page_response(url(9), "<html><head><title>Loading</title><script>app()</script></head><body></body></html>"),
        page_response(url(2), b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20, charset=None),  # an image served as HTML
        page_response(url(3), bytes(range(256)) * 40, charset=None),  # binary noise served as HTML
        page_response(url(4), deep),  # markup nested 1,000 levels deep
        page_response(url(5), "<html><body><p>" + "x" * (50 * 1024 * 1024) + "</p></body></html>"),  # a 50 MB page
        record("response", url(6), page(6).encode(), headers=[]),  # no Content-Type, starts like HTML
        record("response", url(7), b"just some words\n", headers=[]),  # no Content-Type, not HTML
        page_response(url(8), page(8)),
    ]
    path = tmp_path / "bad-pages.warc.gz"
    path.write_bytes(b"".join(records))
    docs, skips = _read(path)
    assert [d.doc_id for d in docs] == [url(0), url(6), url(8)]
    assert {s.doc_id: s.reason for s in skips} == {
        url(1): "html: no main text found (only short lines: menus, link lists)",
        url(9): "html: no main text found",
        url(2): "html: binary content (a PNG image), not a page",
        url(3): "html: binary content, not a page",
        url(4): "html: markup nested more than 255 levels deep; no main text found",
        url(5): "html: page larger than 20 MB; not extracted",
        url(7): "warc: content type missing and not HTML",
    }


def test_html_files_that_are_not_pages(tmp_path):
    (tmp_path / "big.html").write_bytes(b"<html><body><p>" + b"y" * (50 * 1024 * 1024) + b"</p></body></html>")
    (tmp_path / "image.html").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(2000))
    (tmp_path / "empty.htm").write_bytes(b"")
    (tmp_path / "broken.html.gz").write_bytes(gzip.compress(page(1).encode())[:-30])
    (tmp_path / "good.html").write_text(page(2), encoding="utf-8")
    docs, skips = _read(tmp_path)
    assert [d.doc_id for d in docs] == ["good"]
    reasons = {Path(s.origin).name: s.reason for s in skips}
    assert reasons["big.html"] == "html: page larger than 20 MB; not extracted"
    assert reasons["image.html"] == "html: binary content (a PNG image), not a page"
    assert reasons["empty.htm"] == "html: no HTML markup found"
    assert reasons["broken.html.gz"].startswith("cannot read file: the compressed data ends early")


def test_reading_an_archive_streams(tmp_path):
    """Memory stays bounded by a record, not the archive: 40 MB of records read at a peak of a few MB."""
    blob = random.Random(5).randbytes(200_000)  # 200 KB that gzip cannot shrink
    path = tmp_path / "big.warc.gz"
    with open(path, "wb") as handle:
        for n in range(200):
            handle.write(record("response", f"https://cdn.example.org/{n}.bin", blob,
                                headers=[("Content-Type", "application/octet-stream")]))
    tracemalloc.start()
    try:
        count = sum(1 for _ in read_archive(path, ReadConfig()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 200 and path.stat().st_size > 40e6
    assert peak < 16e6, peak


@pytest.mark.parametrize("gzipped", [True, False], ids=["warc.gz", "warc"])
def test_cut_and_flipped_archives_never_raise(tmp_path, gzipped):
    """Any prefix of an archive, and an archive with a run of bytes overwritten anywhere, is read
    to its end: pages or skips, never an exception. The records before the damage are read."""
    records = [page_response(url(n), page(n), gzipped=gzipped) for n in range(3)]
    data = b"".join(records)
    first = len(records[0])
    rng = random.Random(11)
    path = tmp_path / ("a.warc.gz" if gzipped else "a.warc")
    for trial in range(60):
        at = rng.randrange(1, len(data))
        damaged = data[:at] if trial % 2 else data[:at] + bytes(rng.randrange(256) for _ in range(12)) + data[at + 12:]
        path.write_bytes(damaged)
        items = list(read_archive(path, ReadConfig()))
        docs = [d.doc_id for d in items if isinstance(d, Document)]
        assert all(isinstance(i, (Document, Skip)) for i in items)
        if at > first + 4:
            assert docs[:1] == [url(0)], (trial, at, items)


def test_arbitrary_bytes_as_pages_never_raise(tmp_path):
    """Random bytes, random fragments of markup and mixtures of both, as .html files and as WARC
    responses: each a document or a skip with a reason."""
    rng = random.Random(23)
    pieces = [b"<html>", b"<body>", b"<p>", b"</p>", b"<div class='x'>", b"</div>", b"<!--", b"-->", b"<script>",
              b"</script>", b"<meta charset=", b"utf-16", b"shift_jis", b"\xef\xbb\xbf", b"\xff\xfe", b"\x00",
              b"&#x0;", b"&amp;", b"<![CDATA[", b"]]>", b"<?xml version='1.0' encoding='latin1'?>", b"\xe9\xe8",
              "Die Brücke über den Fluss wurde am Montag eröffnet und viele Menschen kamen. ".encode("utf-8"),
              "川の上の橋は月曜日に開通し、多くの人が訪れました。".encode("utf-8"), b"<table><tr><td>"]
    records = []
    for n in range(120):
        if n % 3 == 0:
            data = rng.randbytes(rng.randrange(0, 3000))
        else:
            data = b"".join(rng.choice(pieces) for _ in range(rng.randrange(1, 80)))
        (tmp_path / f"p{n:03d}.html").write_bytes(data)
        records.append(page_response(f"https://fuzz.example.org/{n}", data, charset=rng.choice([None, "utf-8", "bogus"])))
    (tmp_path / "fuzz.warc.gz").write_bytes(b"".join(records))
    items = list(read_documents(tmp_path, ReadConfig()))
    assert len(items) == 240 and all(isinstance(i, (Document, Skip)) for i in items)
    for item in items:
        if isinstance(item, Skip):
            assert item.reason and "Error" not in item.reason, item


_PARENT = os.getpid()


def _dies_in_a_worker(item):
    """`html._run` for the test below: the worker given story 5 dies."""
    from reprints.io.html import Page

    if os.getpid() != _PARENT and item.doc_id == url(5):
        os._exit(3)
    return Page.run(item), 0.0


def test_pages_extracted_in_workers_are_the_same(tmp_path, monkeypatch):
    """Under `page_workers` (as `reprints.scan` reads) pages are extracted in forked processes:
    the same items in the same order as reading here. A worker that dies costs only time: its
    pages are extracted here instead."""
    from reprints.io import html

    records = [page_response(url(n), page(n)) if n % 4 else record("request", url(n)) for n in range(24)]
    path = tmp_path / "many.warc.gz"
    path.write_bytes(b"".join(records))
    (tmp_path / "a.html").write_text(page(99), encoding="utf-8")
    serial = list(read_documents(tmp_path, ReadConfig()))
    assert sum(isinstance(i, Document) for i in serial) == 19
    with html.page_workers(2):
        assert list(read_documents(tmp_path, ReadConfig())) == serial
    monkeypatch.setattr(html, "_run", _dies_in_a_worker)
    with html.page_workers(2):
        assert list(read_documents(tmp_path, ReadConfig())) == serial


def test_a_url_captured_again(tmp_path):
    """A crawl fetches one URL three times: the second capture has the first's text and is
    skipped with that reason; the third changed and is kept as a new version, its id the URL
    and its capture date. Any other repeated id is still a duplicate."""
    path = tmp_path / "recrawl.warc.gz"
    path.write_bytes(page_response(url(1), page(1), date="2018-09-09T10:00:00Z")
                     + page_response(url(1), page(1), date="2018-09-10T10:00:00Z")
                     + page_response(url(1), page(1, "<p>Updated: the quay reopened early on Friday.</p>"),
                                     date="2018-09-11T10:00:00Z")
                     + page_response(url(1), page(1, "<p>Updated: the quay reopened early on Friday.</p>"),
                                     date="2018-09-11T10:00:00Z"))
    docs, skips = _read(path)
    assert [d.doc_id for d in docs] == [url(1), f"{url(1)}@2018-09-11T10:00:00Z"]
    assert docs[0].meta["warc_date"] == "2018-09-09T10:00:00Z" and "reopened early" in docs[1].text
    assert [s.reason.split(" (")[0] for s in skips] == ["same page captured again, text unchanged", "duplicate id"]
    assert str(path) in skips[0].reason and skips[0].doc_id == url(1)


def test_the_summary_counts_pages_and_their_extraction(tmp_path):
    """`reprints.scan` reports the pages it extracted (documents and skips among them) and the
    CPU time extraction took, apart from archive records that are not pages."""
    import reprints

    (tmp_path / "crawl.warc.gz").write_bytes(b"".join(
        [page_response(url(n), page(n)) for n in range(3)] + [record("request", url(9)),
                                                              page_response(url(7), "<html><body></body></html>")]))
    summary = reprints.scan(tmp_path).summary
    pages = summary["web_pages"]
    assert (pages["extracted"], pages["documents"], pages["skipped"]) == (4, 3, 1)
    seconds = pages["extraction_cpu_seconds"]  # a CPU time: any value >= 0 (a coarse clock may read 0)
    assert isinstance(seconds, float) and seconds >= 0 and summary["documents_read"] == 3
    assert "web_pages" not in reprints.scan([{"id": "a", "text": page(1)}, {"id": "b", "text": page(2)}]).summary


def test_common_crawl_wet_text(tmp_path):
    """A WET file (Common Crawl's extracted text: a warcinfo record, then one ``conversion``
    record of UTF-8 plain text per page) is read as it is, no extraction: the URL as id, its
    site as source, the capture date, the language Common Crawl identified; passages point into
    that text."""
    import reprints
    from warcio.warcwriter import WARCWriter

    shared = ("The harbour authority said on Monday that the northern quay will close for repairs from March, "
              "moving the ferry service to the old pier for at least six weeks while divers inspect the piles. "
              "Fishermen who moor along the quay were offered berths in the marina at the same fee.")
    texts = {url(1): f"Harbour Times\nVisitors found the promenade closed.\n{shared}\nMore news",
             url(2): f"Coast Courier — Ferry moves\n{shared}\nThe council will meet on Tuesday.",
             url(3): "Bakery queue\nA long queue formed outside the bakery before dawn on Sunday morning."}
    path = tmp_path / "CC-MAIN-2018-00000.warc.wet.gz"
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        writer.write_record(writer.create_warcinfo_record("CC-MAIN-2018-00000.warc.wet.gz", {"software": "test"}))
        for n, (address, text) in enumerate(texts.items()):
            writer.write_record(writer.create_warc_record(
                address, "conversion", payload=io.BytesIO(text.encode("utf-8")), warc_content_type="text/plain",
                warc_headers_dict={"WARC-Date": f"2018-06-1{n}T08:00:00Z", "WARC-Identified-Content-Language": "eng"}))
    docs, skips = _read(path)
    assert [(d.doc_id, d.text, d.source, d.date) for d in docs] == [
        (address, text, "harbour-times.com", f"2018-06-1{n}T08:00:00Z") for n, (address, text) in enumerate(texts.items())]
    assert docs[0].meta["language"] == "eng" and docs[0].meta["warc_type"] == "conversion"
    assert [s.reason for s in skips] == ["warc: warcinfo record (not a response)"]
    result = reprints.scan(path)
    (passage,) = result.passages.to_pylist()
    assert {passage["doc_a"], passage["doc_b"]} == {url(1), url(2)}
    for side in "ab":
        assert texts[passage[f"doc_{side}"]][passage[f"begin_{side}"]:passage[f"end_{side}"]] == passage[f"text_{side}"]
    assert shared.rstrip(".") in passage["text_a"]


def test_an_archived_page_is_dated_no_later_than_its_capture(tmp_path):
    """The page's own date is taken up to the day it was captured, whatever today's date: a page
    dated 2030 captured in 2031 keeps its date; captured in 2029, the date cannot be right and the
    capture date is used instead."""
    dated = page(1).replace("<head>", "<head><meta property='article:published_time' content='2030-05-01'>")
    path = tmp_path / "dated.warc.gz"
    path.write_bytes(page_response(url(1), dated, date="2031-01-02T03:04:05Z")
                     + page_response(url(2), dated, date="2029-01-02T03:04:05Z"))
    docs, _ = _read(path)
    assert [(d.date, d.meta["date_from"]) for d in docs] == [("2030-05-01", "page"), ("2029-01-02T03:04:05Z", "archive")]
