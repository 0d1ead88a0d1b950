"""Web archives as crawlers write them: WARC and ARC files, plain or gzipped (``.warc``,
``.warc.gz``, ``.arc``, ``.arc.gz``), read as a stream with bounded memory (warcio parses the
records).

A record is a document when it is an HTTP response with status 200 (or 203) and HTML content
(``text/html`` or XHTML; a response without a Content-Type whose body starts like HTML; also
a ``resource`` record of HTML, a page stored without its HTTP headers). Its body is decoded
from its transfer and content encodings (chunked, gzip, deflate, brotli), its charset taken from the HTTP header, the page's meta tag or
detection (`charset`), and its main text extracted (`html`). The id is the record's target
URI; the date is the page's own publication date, else the record's WARC-Date
(``meta.date_from``); ``meta`` keeps the WARC-Record-ID and the record's offset in the file.

Every other record is a `Skip` with a fixed reason, so the summary counts them: ``warc:
request record (not a response)``, ``warc: HTTP 404``, ``warc: content type application/pdf``,
... The skip's input is ``file@offset``.

Damage costs the damaged record only:
- a record that cannot be parsed (a bad header, a wrong Content-Length) is skipped, and reading
  resumes at the next record found after it (the next line starting ``WARC/1.x``, or an ARC
  header line);
- a gzipped file is read member after member by this module: members that do not hold one
  record each (a file compressed as one gzip stream, or one whose members split records) are
  read as one continuous stream; a damaged member is skipped up to the next gzip header, and
  the record it belonged to is reported;
- a record cut off by the end of the file (a truncated download) is skipped with that reason;
- warcio's own notes (it writes them to stderr) become skips or warnings instead.

``meta.warc_offset`` is the record's byte offset in the file as stored, when a record starts a
gzip member or the file is not compressed (so ``warcio extract FILE OFFSET`` finds it);
otherwise ``meta.warc_offset_uncompressed`` gives its offset in the decompressed stream.
"""

from __future__ import annotations

import contextlib
import io
import re
import zlib
from collections import OrderedDict
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from reprints.config import ReadConfig
from reprints.io.decoding import os_error
from reprints.io.html import MAX_PAGE_BYTES, NOT_WANTED, Page, finish, too_large, wanted
from reprints.records import Document, Skip

ARCHIVE_SUFFIXES = (".warc.gz", ".warc", ".arc.gz", ".arc", ".wet.gz", ".wet")  # .wet: Common Crawl's text
HTML_TYPES = ("text/html", "application/xhtml+xml", "application/vnd.wap.xhtml+xml")
OK_STATUS = ("200", "203")
_CHUNK = 1 << 18  # compressed bytes read at a time
_OUT = 1 << 20  # most decompressed bytes made from one chunk (a gzip bomb stays bounded)
_HISTORY = 4 << 20  # decompressed bytes kept to look back in after a damaged record
_WARC_START = re.compile(rb"\n(WARC/\d+\.\d+\r?\n)")
_ARC_START = re.compile(rb"\n((?:https?|ftp|dns|filedesc|file)://\S+ \S+ \d{12,} \S+ -?\w+\r?\n)")
_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title)\b", re.I | re.S)
_TOKEN = re.compile(r"[^\x21-\x7e]")


class _Damaged(Exception):
    """Compressed data that cannot be read: a damaged gzip member, or bytes that are not gzip
    where a member should start. Reading resumes at the next member; ``offset`` is where the
    damage starts in the file."""

    def __init__(self, reason: str, offset: int):
        super().__init__(reason)
        self.offset = offset


class _Resync(Exception):
    """A record whose extent cannot be trusted: reading resumes at the next record header."""

    def __init__(self, skip: Skip):
        super().__init__(skip.reason)
        self.skip = skip


class _Members(io.RawIOBase):
    """The decompressed bytes of a gzip file, member after member, as one forward stream
    (with a window to look back in). Knows the compressed offset where each member starts.
    A damaged member is skipped up to the next gzip header, and so are bytes that are not gzip
    where a member should start; the reader gets every byte before the damage, then `_Damaged`
    once, then the bytes after it."""

    def __init__(self, raw: BinaryIO):
        self.raw = raw
        self.raw_pos = 0  # compressed offset of the first byte of ``pending``
        self.pending = b""
        self.decomp: Any = None
        self.out = bytearray()  # decompressed bytes from ``base`` on
        self.base = 0
        self.pos = 0
        self.eof = False
        self.starts: OrderedDict[int, int] = OrderedDict()  # decompressed offset -> member offset
        self.member = 0  # file offset of the member being decompressed
        self.damage: _Damaged | None = None  # raised when the reader reaches the end of ``out``
        self.cut: int | None = None  # the file ends inside the member that starts here

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, pos: int, whence: int = 0) -> int:
        if whence != 0 or pos < self.base:
            raise OSError("cannot seek back that far")
        self.pos = pos
        return pos

    def member_offset(self, pos: int) -> int | None:
        return self.starts.get(pos)

    def read(self, size: int = -1) -> bytes:
        want = _OUT if size is None or size < 0 else size
        while self.pos + want > self.base + len(self.out) and not self.eof and self.damage is None:
            try:
                self._more()
            except _Damaged as damage:
                self.damage = damage
        start = self.pos - self.base
        if self.damage is not None and start >= len(self.out):
            damage, self.damage = self.damage, None
            raise damage
        data = bytes(self.out[start:start + want])
        self.pos += len(data)
        if len(self.out) > 2 * _HISTORY and self.pos - self.base > _HISTORY:  # keep a bounded window
            drop = self.pos - self.base - _HISTORY
            del self.out[:drop]
            self.base += drop
            while self.starts and next(iter(self.starts)) < self.base:
                self.starts.popitem(last=False)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def _refill(self) -> bool:
        chunk = self.raw.read(_CHUNK)
        if not chunk:
            return False
        self.pending += chunk
        return True

    def _more(self) -> None:
        if self.decomp is None:
            while len(self.pending) < 3 and self._refill():
                pass
            if not self.pending:
                self.eof = True
                return
            if not self.pending.startswith(b"\x1f\x8b"):
                at = self.raw_pos
                self._resync()
                raise _Damaged("warc: bytes that are not gzip data between members; skipped", at)
            self.starts[self.base + len(self.out)] = self.member = self.raw_pos
            self.decomp = zlib.decompressobj(31)
        if not self.pending and not self._refill():
            self.eof = True  # the file ends inside a member: a truncated file
            self.cut = self.member
            return
        try:
            data = self.decomp.decompress(self.pending, _OUT)
        except zlib.error:
            self.decomp = None
            self._resync(skip=1)
            raise _Damaged("warc: damaged gzip data; skipped to the next gzip member", self.member) from None
        if self.decomp.eof:
            used = len(self.pending) - len(self.decomp.unused_data)
            self.decomp = None
        else:
            used = len(self.pending) - len(self.decomp.unconsumed_tail)
        self.raw_pos += used
        self.pending = self.pending[used:]
        self.out += data

    def _resync(self, skip: int = 0) -> None:
        """Drop compressed bytes up to the next gzip member header."""
        while True:
            found = self.pending.find(b"\x1f\x8b\x08", skip)
            if found >= 0:
                self.raw_pos += found
                self.pending = self.pending[found:]
                return
            keep = max(0, len(self.pending) - 2)
            self.raw_pos += keep
            self.pending = self.pending[keep:]
            skip = 0
            if not self._refill():
                self.raw_pos += len(self.pending)
                self.pending = b""
                self.eof = True
                return


def _decoders() -> Any:
    """The content encodings decoded here: warcio's (gzip, deflate) and brotli (`_Brotli`)."""
    from warcio.bufferedreaders import BufferedReader

    if "brotli" in _BROTLI_MODULE and BufferedReader.DECOMPRESSORS.get("br") is not _Brotli:
        BufferedReader.DECOMPRESSORS["br"] = _Brotli
    return BufferedReader.get_supported_decompressors()


def _brotli_module() -> dict[str, Any]:
    try:
        import brotli
    except ImportError:  # brotli is a dependency; a broken install loses only br pages (counted)
        return {}
    return {"brotli": brotli}


class _Brotli:
    """Google's brotli decoder in the shape warcio's reader asks of a decompressor (warcio's own
    adapter expects the older brotlipy API). Output is made at most ``_OUT`` bytes at a time and
    stops past `MAX_PAGE_BYTES`, so a brotli bomb stays bounded like a gzip one."""

    unused_data = None

    def __init__(self) -> None:
        self._decoder = _BROTLI_MODULE["brotli"].Decompressor()
        self._made = 0

    def decompress(self, data: bytes) -> bytes:
        if self._made > MAX_PAGE_BYTES:  # already past the limit: the page is refused as too large
            return b""
        parts = [self._decoder.process(data, output_buffer_limit=_OUT)]
        while not self._decoder.can_accept_more_data() and self._made + sum(map(len, parts)) <= MAX_PAGE_BYTES:
            parts.append(self._decoder.process(b"", output_buffer_limit=_OUT))
        out = b"".join(parts)
        self._made += len(out)
        if self._made > MAX_PAGE_BYTES:  # more than a page may hold: the reader stops at its limit
            return out[: max(0, len(out) - (self._made - MAX_PAGE_BYTES - 1))]
        return out

    def flush(self) -> bytes:
        return b""


_BROTLI_MODULE = _brotli_module()


def _iterator(stream: Any) -> Any:
    """A warcio iterator over ``stream`` whose notes on stderr are kept, not printed."""
    from warcio.archiveiterator import ArchiveIterator

    return ArchiveIterator(stream, arc2warc=True, ensure_http_headers=False)


def _next_start(stream: Any, pos: int, fmt: str, line_start: bool) -> int | None:
    """The offset of the first record header at or after ``pos`` (``line_start``: ``pos`` begins
    a line), or None."""
    pattern = _ARC_START if fmt == "arc" else _WARC_START
    try:
        stream.seek(pos)
    except OSError:
        pos = stream.tell()
    # A record header follows a line end; a virtual one before ``pos`` when it starts a line.
    data, at = (b"\n" if line_start else b"x"), pos - 1
    while True:
        chunk = stream.read(1 << 20)
        if not chunk:
            return None
        data += chunk
        found = pattern.search(data)
        if found:
            return at + found.start(1)
        keep = data[-256:]
        at += len(data) - len(keep)
        data = keep


def _label(value: str | None, limit: int = 60) -> str:
    """A header value safe and short enough for a skip reason."""
    value = _TOKEN.sub("?", (value or "").strip())
    return value[:limit] + ("…" if len(value) > limit else "")


def read_archive(path: Path, config: ReadConfig) -> Iterator[Document | Skip]:
    """Every page of one WARC or ARC file as a document, every other record as a skip."""
    return finish(archive_items(path, config))


def archive_items(path: Path, config: ReadConfig) -> Iterator[Page | Document | Skip]:
    """The records of one WARC or ARC file: each page a `Page` still to be extracted
    (`html.finish` does it, here or in worker processes), every other record a skip."""
    try:
        raw = open(path, "rb")
    except OSError as err:
        yield Skip(str(path), f"cannot read file: {os_error(err)}")
        return
    with raw:
        try:
            head = raw.read(2)
            raw.seek(0)
        except OSError as err:
            yield Skip(str(path), f"cannot read file: {os_error(err)}")
            return
        if not head:
            yield Skip(str(path), "empty file")
            return
        stream: Any = _Members(raw) if head == b"\x1f\x8b" else raw
        try:
            first = stream.read(1024)
            stream.seek(0)
        except _Damaged as damage:
            yield Skip(f"{path}@{damage.offset}", str(damage))
            return
        # A WARC file starts with its version line, an ARC file with a header line.
        if first.startswith(b"WARC/"):
            fmt = "warc"
        elif _ARC_START.match(b"\n" + first.split(b"\n", 1)[0] + b"\n"):
            fmt = "arc"
        else:
            yield Skip(f"{path}@0", "warc: not a WARC or ARC file")
            return
        yield from _records(stream, path, fmt)


def _records(stream: Any, path: Path, fmt: str) -> Iterator[Page | Document | Skip]:
    members = stream if isinstance(stream, _Members) else None
    pos, line_start = 0, True
    notes = io.StringIO()
    while True:
        if stream.tell() != pos:
            stream.seek(pos)
        iterator = _iterator(stream)
        records = iter(iterator)
        try:
            while True:
                with contextlib.redirect_stderr(notes):
                    record = next(records, None)
                if notes.tell():
                    yield Skip(f"{path}@{iterator.offset}",
                               "warc: stray bytes after a record (its Content-Length may be wrong)")
                    notes.seek(0)
                    notes.truncate()
                if record is None:
                    if members is not None and members.cut is not None:  # not reported with a record
                        yield Skip(f"{path}@{members.cut}", "warc: record cut off (the file ends inside it)")
                    return
                start = iterator.offset
                with contextlib.redirect_stderr(notes):
                    item = _record(record, path, start, members, fmt == "arc")
                if notes.tell():  # warcio could not decode the body's content encoding
                    notes.seek(0)
                    notes.truncate()
                    if isinstance(item, Page):
                        item = Skip(item.origin, "warc: damaged content-encoding data", item.doc_id)
                yield item
        except _Damaged as damage:
            yield Skip(f"{path}@{damage.offset}", str(damage))
            pos, line_start = stream.tell(), True
        except _Resync as resync:
            yield resync.skip
            pos, line_start = iterator.offset + 1, False
        except Exception:  # warcio's ArchiveLoadFailed, or a header it cannot parse
            yield Skip(f"{path}@{iterator.offset}", "warc: damaged record; skipped to the next one")
            pos, line_start = iterator.offset + 1, False
        while True:
            try:
                resume = _next_start(stream, pos, fmt, line_start)
                break
            except _Damaged as damage:
                yield Skip(f"{path}@{damage.offset}", str(damage))
                pos, line_start = stream.tell(), True
        if resume is None:
            return
        pos = resume


def _record(record: Any, path: Path, start: int, members: _Members | None, arc: bool) -> Page | Document | Skip:
    headers = record.rec_headers
    kind = (record.rec_type or "").lower()
    url = headers.get_header("WARC-Target-URI")
    offset = start if members is None else members.member_offset(start)
    origin = f"{path}@{offset}" if offset is not None else f"{path}@{start} (in the decompressed stream)"
    if not (headers.get_header("Content-Length") or "").strip().isdigit():  # where does it end?
        raise _Resync(Skip(origin, "warc: damaged record (no Content-Length); skipped to the next one", url))
    if kind == "conversion":
        return _conversion(record, origin, url, offset, start)
    if kind not in ("response", "resource"):
        return Skip(origin, f"warc: {_label(kind, 20) or 'untyped'} record (not a response)")
    http = record.http_headers
    if kind == "response":
        if http is None or not (http.protocol or "").upper().startswith("HTTP"):
            return Skip(origin, "warc: response is not an HTTP response", url)
        status = (http.get_statuscode() or "").strip()
        if status not in OK_STATUS:
            return Skip(origin, f"warc: HTTP {_label(status, 10) or 'status missing'}", url)
        content_type = http.get_header("Content-Type")
    else:
        content_type = headers.get_header("Content-Type")
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime and mime not in HTML_TYPES:
        return Skip(origin, f"warc: content type {_label(mime)}", url)
    doc_id = url or f"{path.name}@{start}"
    if not wanted(doc_id):  # the report reads again only the pages it shows
        return Skip(origin, NOT_WANTED, doc_id)
    encoding = (http.get_header("Content-Encoding") or "").strip().lower() if http is not None else ""
    if encoding not in ("", "identity") and encoding not in _decoders():
        hint = " (install the brotli package)" if encoding == "br" else ""
        return Skip(origin, f"warc: content encoding {_label(encoding, 20)} not decoded{hint}", url)
    try:
        body = record.content_stream().read(MAX_PAGE_BYTES + 1)
    except _Damaged:
        raise
    except Exception:  # a broken chunked or compressed body
        return Skip(origin, "warc: damaged content-encoding data", url)
    if encoding in ("gzip", "x-gzip") and body[:2] == b"\x1f\x8b":  # warcio passes undecodable data on as it is
        return Skip(origin, "warc: damaged content-encoding data", url)
    if len(body) > MAX_PAGE_BYTES:
        return Skip(origin, too_large(), url)
    missing = _missing(record)
    if missing and members is not None:
        members.cut = None  # reported here
    if missing and not _whole_body(http, body):
        return Skip(origin, "warc: record cut off (the file ends inside it)", url)
    if not mime and not _HTML_START.match(body[:2048]):
        return Skip(origin, "warc: content type missing and not HTML", url)
    meta = _record_meta(headers, kind, offset, start, arc)
    truncated = headers.get_header("WARC-Truncated")
    notes = []
    if truncated:
        notes.append(f"the crawler truncated this page (WARC-Truncated: {_label(truncated, 20)}); its end may be missing")
    if missing:
        notes.append(f"the file ends {missing:,} bytes into the record's framing, after the page's whole body")
    return Page(body, doc_id, origin, url=url, content_type=content_type,
                archive_date=headers.get_header("WARC-Date"), meta=meta, notes=notes)


def _record_meta(headers: Any, kind: str, offset: int | None, start: int, arc: bool) -> dict[str, Any]:
    """What a document read from an archive keeps of its record: the record type (unless a
    response), its WARC-Date (when the crawler fetched it: a later capture of the URL is told apart
    by it), its WARC-Record-ID (not for ARC files: warcio invents random ids for them), and its
    offset in the file as stored, else in the decompressed stream."""
    meta: dict[str, Any] = {"warc_type": kind} if kind != "response" else {}
    capture_date = (headers.get_header("WARC-Date") or "").strip()
    if capture_date:
        meta["warc_date"] = capture_date
    record_id = headers.get_header("WARC-Record-ID")
    if record_id and not arc:
        meta["warc_record_id"] = record_id.strip().strip("<>")
    if offset is not None:
        meta["warc_offset"] = offset
    else:
        meta["warc_offset_uncompressed"] = start
    return meta


def _conversion(record: Any, origin: str, url: str | None, offset: int | None, start: int) -> Document | Skip:
    """A ``conversion`` record: text a crawler already extracted (Common Crawl's WET files hold one
    per page, UTF-8 plain text). It is the document's text as it is; no extraction."""
    from reprints.io.decoding import decode
    from reprints.io.html import site_of

    headers = record.rec_headers
    mime = (headers.get_header("Content-Type") or "text/plain").split(";")[0].strip().lower()
    if mime != "text/plain":
        return Skip(origin, f"warc: conversion record of {_label(mime)} (not plain text)", url)
    if not url:
        return Skip(origin, "warc: conversion record without a WARC-Target-URI")
    if not wanted(url):
        return Skip(origin, NOT_WANTED, url)
    body = record.content_stream().read(MAX_PAGE_BYTES + 1)
    if len(body) > MAX_PAGE_BYTES:
        return Skip(origin, too_large(), url)
    if _missing(record):
        return Skip(origin, "warc: record cut off (the file ends inside it)", url)
    text, warning = decode(body, "utf-8")
    meta = {**_record_meta(headers, "conversion", offset, start, arc=False), "date_from": "archive"}
    date = meta.get("warc_date")
    language = headers.get_header("WARC-Identified-Content-Language")
    if language:
        meta["language"] = language.strip()
    return Document(doc_id=url, text=text, source=site_of(url), date=date, url=url, meta=meta, origin=origin,
                    warning=warning)


def _missing(record: Any) -> int:
    """Bytes of the record's block (its Content-Length) that the file does not hold: more than
    0 when the file stops inside the record."""
    raw = record.raw_stream
    while raw.read(1 << 16):  # the rest of the block (chunked trailers, blank lines)
        pass
    return max(0, getattr(raw, "limit", 0))


def _whole_body(http: Any, body: bytes) -> bool:
    """The HTTP body is all there (its Content-Length, no transfer or content encoding), though
    the record's framing after it is not."""
    if http is None or http.get_header("Transfer-Encoding") or http.get_header("Content-Encoding"):
        return False
    length = (http.get_header("Content-Length") or "").strip()
    return length.isdigit() and int(length) <= len(body)
