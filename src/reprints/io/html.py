"""Web pages as documents: ``.html`` / ``.htm`` files (optionally gzipped), rows whose HTML is
in a field (``ReadConfig.html_field``), and the pages `warc` finds in archives.

A page becomes a document whose ``text`` is the article's main text (`extract`), so every
offset points into that text. The page's metadata is kept: ``url`` (the page's own, else
its canonical link), ``date`` (the page's publication date; else the archive's capture date,
``meta.date_from`` saying which), ``source`` (the registered domain of the URL, so that the
per-source boilerplate pass sees one site as one source), and in ``meta`` the title,
language, site name and how the charset was chosen.

A page that cannot be one is a `Skip` with a reason: larger than `MAX_PAGE_BYTES`, binary
content (an image or PDF served as HTML), no markup, no main text, markup nested deeper than
the parser goes, or an extraction error. Reasons are fixed phrases (the details go into the
skip's input), so the summary counts them.
"""

from __future__ import annotations

import contextlib
import gzip
import multiprocessing as mp
import time
import zlib
from collections import deque
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import urlsplit

from reprints.io.charset import decode_page
from reprints.io.decoding import read_bounded, read_error
from reprints.records import Document, Skip

HTML_SUFFIXES = (".html.gz", ".htm.gz", ".html", ".htm", ".xhtml")
# Pages larger than this are not extracted: trafilatura's own limit (MAX_FILE_SIZE), far
# beyond any article page (the benchmark's largest is 2 MB), and such a page takes seconds.
MAX_PAGE_BYTES = 20_000_000
_MAGIC = (
    (b"%PDF-", "a PDF document"), (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"), (b"GIF89a", "a GIF image"), (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "gzip data"), (b"RIFF", "RIFF media"), (b"OggS", "Ogg media"), (b"ID3", "MP3 audio"),
    (b"wOFF", "a web font"), (b"wOF2", "a web font"), (b"\x00\x00\x01\x00", "an icon"),
    (b"\x7fELF", "a program"), (b"MZ", "a program"), (b"BZh", "bzip2 data"), (b"\xfd7zXZ", "xz data"),
    (b"(\xb5/\xfd", "zstd data"), (b"\x00asm", "WebAssembly"), (b"ftyp", "MP4 media"),
)
_CONTROL = dict.fromkeys(range(0x20), None)
for _keep in (9, 10, 12, 13):
    del _CONTROL[_keep]


# Ids whose pages are wanted (None: all). The report reads its inputs again for the texts of the
# documents in passages; pages of other ids are then not extracted (extraction is the cost).
_WANTED: ContextVar[frozenset[str] | None] = ContextVar("reprints_wanted_pages", default=None)
NOT_WANTED = "html: not extracted (not asked for)"


@contextlib.contextmanager
def only_pages(ids: set[str] | frozenset[str]) -> Iterator[None]:
    """Within this block, pages whose id is not in ``ids`` are skipped before extraction."""
    token = _WANTED.set(frozenset(ids))
    try:
        yield
    finally:
        _WANTED.reset(token)


def too_large() -> str:
    return f"html: page larger than {MAX_PAGE_BYTES // 1_000_000} MB; not extracted"


def binary_kind(data: bytes) -> str | None:
    """What binary content served as a page is ("a PNG image"), or None when it may be text."""
    for magic, name in _MAGIC:
        if (data[4:8] if magic == b"ftyp" else data).startswith(magic):
            return name
    return None


def _binary_text(text: str) -> bool:
    """A decoded head that is mostly control characters and replacement characters."""
    head = text[:4096]
    if not head:
        return False
    odd = len(head) - len(head.translate(_CONTROL)) + head.count("\ufffd")
    return "\x00" in head or odd > 0.1 * len(head)


@lru_cache(maxsize=1)
def _domains() -> Any:
    import tldextract

    # The public-suffix list snapshot tldextract ships: no download, no cache on disk, so the
    # same URL gives the same site everywhere. Private suffixes count (each blogspot.com or
    # github.io site is its own source).
    return tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True,
                                 include_psl_private_domains=True)


@lru_cache(maxsize=1 << 16)
def site_of(url: str | None) -> str | None:
    """The registered domain of ``url`` ("bbc.co.uk" for https://www.bbc.co.uk/news/x), the host
    itself for an IP address or a name without a public suffix, None without a host."""
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    if not host:
        return None
    parts = _domains()(host)
    return getattr(parts, "top_domain_under_public_suffix", None) or parts.registered_domain or host


def page_document(data: bytes | str, doc_id: str, origin: str, *, url: str | None = None,
                  content_type: str | None = None, archive_date: str | None = None,
                  meta: dict[str, Any] | None = None, source: str | None = None,
                  date: str | None = None) -> Document | Skip:
    """One page's bytes (or text) → a document of its main text, or why not.

    ``url``, ``source`` and ``date`` given by the caller (a WARC record's target URI, a row's
    fields) win over what the page says; ``archive_date`` is used when the page has no date.
    """
    try:
        return _page_document(data, doc_id, origin, url, content_type, archive_date, meta, source, date)
    except RecursionError:
        return Skip(origin, "html: markup nested too deeply to read", doc_id)
    except Exception as err:  # a page must never stop a run: anything unforeseen is its skip reason
        return Skip(origin, f"html: the page could not be read ({type(err).__name__})", doc_id)


def _page_document(data: bytes | str, doc_id: str, origin: str, url: str | None, content_type: str | None,
                   archive_date: str | None, meta: dict[str, Any] | None, source: str | None,
                   date: str | None) -> Document | Skip:
    if not wanted(doc_id):
        return Skip(origin, NOT_WANTED, doc_id)
    warning = None
    extra: dict[str, Any] = {}
    if isinstance(data, bytes):
        if len(data) > MAX_PAGE_BYTES:
            return Skip(origin, too_large(), doc_id)
        kind = binary_kind(data)
        if kind:
            return Skip(origin, f"html: binary content ({kind}), not a page", doc_id)
        decoded = decode_page(data, content_type)
        html, warning = decoded.text, decoded.warning
        extra = {"charset": decoded.encoding, "charset_from": decoded.source}
    else:
        html = data
        if len(html) > MAX_PAGE_BYTES:
            return Skip(origin, too_large(), doc_id)
    if _binary_text(html):
        return Skip(origin, "html: binary content, not a page", doc_id)
    from reprints.io.extract import extract_article

    article = extract_article(html, url, archive_date)
    if article.text is None:
        return Skip(origin, article.problem or "html: no main text found", doc_id)
    found = article.meta
    page_url = url or found.get("url")
    out: dict[str, Any] = dict(meta or {})
    for key in ("title", "language", "site_name"):
        if key in found:
            out[key] = found[key]
    if url and found.get("url") and found["url"] != url:
        out["canonical_url"] = found["url"]
    if date is None:
        if found.get("date"):
            date, out["date_from"] = found["date"], "page"
        elif archive_date:
            date, out["date_from"] = archive_date, "archive"
    out.update(extra)
    return Document(doc_id=doc_id, text=article.text, source=source or site_of(page_url), date=date,
                    url=page_url, meta=out, origin=origin, warning=warning)


def html_file_item(path: Path, doc_id: str) -> "Page | Skip":
    """A saved page's bytes, to be extracted (`Page`), or why they cannot be read."""
    if not wanted(doc_id):
        return Skip(str(path), NOT_WANTED, doc_id)
    try:
        if path.name.lower().endswith(".gz"):
            with gzip.open(path, "rb") as handle:
                data = handle.read(MAX_PAGE_BYTES + 1)
        else:
            data = read_bounded(path, MAX_PAGE_BYTES)
    except (OSError, EOFError, zlib.error) as err:
        return Skip(str(path), f"cannot read file: {read_error(err)}", doc_id)
    if data is None or len(data) > MAX_PAGE_BYTES:
        return Skip(str(path), too_large(), doc_id)
    return Page(data, doc_id, str(path))


# --- extraction in worker processes ----------------------------------------------------------

# Processes that may extract pages at once (1: this one). `reprints.scan` sets it from
# ``engine.workers`` for its read stage; other callers read serially.
_WORKERS: ContextVar[int] = ContextVar("reprints_page_workers", default=1)


@contextlib.contextmanager
def page_workers(count: int) -> Iterator[None]:
    """Within this block, `finish` extracts pages in up to ``count`` forked processes."""
    token = _WORKERS.set(max(1, int(count)))
    try:
        yield
    finally:
        _WORKERS.reset(token)


def wanted(doc_id: str | None) -> bool:
    ids = _WANTED.get()
    return ids is None or doc_id in ids


@dataclass
class Page:
    """A page read but not yet extracted: what `page_document` needs, and notes for its warning.
    Readers yield these; `finish` turns them into documents or skips, here or in workers."""

    data: bytes
    doc_id: str
    origin: str
    url: str | None = None
    content_type: str | None = None
    archive_date: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def run(self) -> Document | Skip:
        made = page_document(self.data, self.doc_id, self.origin, url=self.url, content_type=self.content_type,
                             archive_date=self.archive_date, meta=self.meta)
        if self.notes and isinstance(made, Document):
            made.warning = "; ".join(([made.warning] if made.warning else []) + self.notes)
        return made


def _run(page: Page) -> tuple[Document | Skip, float]:
    """A page's document or skip, and the CPU seconds its extraction took."""
    started = time.process_time()
    made = page.run()
    return made, time.process_time() - started


@dataclass
class PageCounts:
    """Web pages extracted in a read: how many, how many became documents, and the CPU seconds
    extraction took (in whichever process it ran). Pages refused before extraction (too large,
    not HTML) and archive records that are not pages are skips, not counted here."""

    pages: int = 0
    documents: int = 0
    seconds: float = 0.0

    def add(self, made: Document | Skip, seconds: float) -> None:
        self.pages += 1
        self.documents += isinstance(made, Document)
        self.seconds += seconds

    def summary(self) -> dict[str, Any]:
        """The run summary's ``web_pages`` (empty when no page was read)."""
        if not self.pages:
            return {}
        return {"web_pages": {"extracted": self.pages, "documents": self.documents,
                              "skipped": self.pages - self.documents,
                              "extraction_cpu_seconds": round(self.seconds, 2)}}


_COUNTS: ContextVar[PageCounts | None] = ContextVar("reprints_page_counts", default=None)


@contextlib.contextmanager
def counting_pages() -> Iterator[PageCounts]:
    """Within this block, `finish` counts the pages it extracts (and their CPU time) here."""
    counts = PageCounts()
    token = _COUNTS.set(counts)
    try:
        yield counts
    finally:
        _COUNTS.reset(token)


def _counted(made: Document | Skip, seconds: float) -> Document | Skip:
    counts = _COUNTS.get()
    if counts is not None:
        counts.add(made, seconds)
    return made


def finish(items: Iterable[Any]) -> Iterator[Any]:
    """``items`` in their order, each `Page` replaced by its document or skip. With
    `page_workers` above 1 the pages are extracted in forked processes, at most a few per worker
    in flight (memory stays bounded); a worker that dies costs nothing but time: what it had is
    extracted here instead."""
    workers = _WORKERS.get()
    if workers <= 1 or "fork" not in mp.get_all_start_methods():
        for item in items:
            yield _counted(*_run(item)) if isinstance(item, Page) else item
        return
    from concurrent.futures import Future, ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    pool: ProcessPoolExecutor | None = None
    pending: deque[Any] = deque()  # items and (page, future) pairs, in input order

    def result(head: Any) -> Any:
        if not isinstance(head, tuple):
            return head
        page, future = head
        if future is not None:
            try:
                return _counted(*future.result())
            except Exception:  # a dead worker (BrokenProcessPool), a page that would not pickle
                pass
        return _counted(*_run(page))

    try:
        for item in items:
            if isinstance(item, Page):
                if pool is None:
                    pool = ProcessPoolExecutor(workers, mp_context=mp.get_context("fork"))
                try:
                    future: Future | None = pool.submit(_run, item)
                except BrokenProcessPool:
                    future = None
                pending.append((item, future))
            else:
                pending.append(item)
            while pending and (len(pending) > 4 * workers or not isinstance(pending[0], tuple)
                               or pending[0][1] is None or pending[0][1].done()):
                yield result(pending.popleft())
        while pending:
            yield result(pending.popleft())
    except BaseException:  # the reader stopped early (or failed): do not wait for pages no one reads
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        raise
    if pool is not None:
        pool.shutdown(wait=True)


def html_row(doc: Document, html: Any) -> Document | Skip:
    """A row read with ``--html-field``: ``doc`` as the row made it, its text the main text of
    the row's HTML. The row's own url, source and date fields win over the page's."""
    if isinstance(html, (bytes, bytearray, memoryview)):
        html = bytes(html)
    elif not isinstance(html, str):
        return Skip(doc.origin, f"HTML field is a {type(html).__name__}, not a string", doc.doc_id)
    started = time.process_time()
    made = page_document(html, doc.doc_id, doc.origin, url=doc.url, meta=doc.meta, source=doc.source,
                         date=doc.date)
    _counted(made, time.process_time() - started)
    if isinstance(made, Document) and doc.warning:
        made.warning = f"{doc.warning}; {made.warning}" if made.warning else doc.warning
    return made
