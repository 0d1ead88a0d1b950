"""The main text of a web page and what the page says about itself (title, date, URL,
language, site name).

The text is trafilatura's (``fast=True, favor_recall=True``), chosen by measurement on the
article-extraction benchmark (181 real pages with hand-marked article bodies; word 4-gram
F1 as the benchmark computes it, one core; ``benchmarks/bench_extraction.py`` and
benchmarks/RESULTS.md): trafilatura's default settings 0.960 at 37 pages/s, these settings
0.963 at 66 pages/s; resiliparse is eight times faster (550 pages/s) but reaches only 0.90,
readability-lxml 0.950 at 35 pages/s, boilerpy3 0.86, jusText 0.79. ``fast`` skips
trafilatura's second-opinion extractors (readability, jusText), which cost time without
improving this benchmark; ``favor_recall`` keeps short paragraphs a reprint may share.

The extracted text is what a document's ``text`` is and what every offset points into: one
paragraph a line, as trafilatura writes it. Extraction is a pure function of the page's text
(no network, no state carried between pages), so reading a page again gives the same text. The
one use of the clock: a page not read from an archive has no date later than today (htmldate's
check); an archived page none later than its capture day.

Metadata comes from the page's own markup: the title from ``og:title``, ``twitter:title``,
``<title>`` or the first ``<h1>``; the URL from ``<link rel=canonical>`` or ``og:url``; the
publication date from htmldate's search of the markup (meta tags, JSON-LD, ``<time>``,
not the URL or the wording); the language from ``<html lang>`` or ``Content-Language``; the
site name from ``og:site_name``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

# trafilatura, htmldate and warcio report what they drop through logging; a page's problem
# is reported by the reader as a skip or warning, so their messages are not printed too
# (a handler here keeps Python's last-resort stderr handler quiet; a user's own logging
# configuration still receives them).
for _name in ("trafilatura", "htmldate", "courlan", "warcio"):
    logging.getLogger(_name).addHandler(logging.NullHandler())

OPTIONS: dict[str, Any] = {
    "fast": True,
    "favor_recall": True,
    "include_comments": False,
    "include_tables": True,
    "include_images": False,
    "include_links": False,
    "include_formatting": False,
    "deduplicate": False,
    "output_format": "txt",
    "with_metadata": False,
}
# libxml2 stops building the tree at this depth: text below it is lost.
PARSER_DEPTH = 255
_WORD = re.compile(r"[^\W_]")
_SPACE = re.compile(r"\s+")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass
class Article:
    text: str | None  # the main text, or None when there is none (``problem`` says why)
    problem: str | None = None
    meta: dict[str, str] = field(default_factory=dict)  # title, url, date, language, site_name


def extract_article(html: str, url: str | None = None, captured: str | None = None) -> Article:
    """The main text and metadata of one page (already decoded to text). ``captured``: when a
    crawler fetched it (an ISO date), the latest publication date the page can have."""
    import trafilatura

    try:
        tree = trafilatura.load_html(html)
    except Exception as err:  # lxml refuses some input outright
        return Article(None, f"html: the page could not be parsed ({type(err).__name__})")
    if tree is None:
        return Article(None, "html: no HTML markup found")
    try:
        meta = page_metadata(tree, url, captured)
    except RecursionError:
        return Article(None, "html: markup nested too deeply to read")
    except Exception:  # metadata is a courtesy; a page with odd markup still has its text
        meta = {}
    try:
        text = trafilatura.extract(tree, url=url, **OPTIONS)
    except RecursionError:
        return Article(None, "html: markup nested too deeply to read", meta)
    except Exception as err:
        return Article(None, f"html: extraction failed ({type(err).__name__})", meta)
    if not text or not _WORD.search(text) or not _has_prose(text):
        if text and _WORD.search(text):
            return Article(None, "html: no main text found (only short lines: menus, link lists)", meta)
        if _depth(tree) >= PARSER_DEPTH:
            return Article(None, f"html: markup nested more than {PARSER_DEPTH} levels deep; no main text found", meta)
        return Article(None, "html: no main text found", meta)
    return Article(text, None, meta)


def _has_prose(text: str) -> bool:
    """At least one line that reads as prose: 8 words, or 60 characters (scripts written without
    spaces). What is left of a page of menus and link lists ("Section 3") has none."""
    return any(len(line) >= 60 or len(line.split()) >= 8 for line in text.split("\n"))


def page_metadata(tree: Any, url: str | None = None, captured: str | None = None) -> dict[str, str]:
    """Title, canonical URL, publication date, language and site name from the page's markup
    (each only where the page gives it)."""
    props: dict[str, str] = {}
    canonical = None
    head = tree.find("head")
    scope = head if head is not None else tree
    for el in scope.iter("meta", "link"):
        if el.tag == "link":
            if canonical is None and "canonical" in (el.get("rel") or "").lower().split():
                canonical = el.get("href")
            continue
        key = (el.get("property") or el.get("name") or el.get("http-equiv") or "").strip().lower()
        value = el.get("content")
        if key and value and value.strip() and key not in props:
            props[key] = _clean(value)
    meta: dict[str, str] = {}
    title = props.get("og:title") or props.get("twitter:title")
    if not title:
        for path in ("head/title", ".//title", ".//h1"):
            el = tree.find(path)
            if el is not None:
                title = _clean(el.text_content())
                if title:
                    break
    if title:
        meta["title"] = title
    page_url = _absolute(canonical, url) or _absolute(props.get("og:url"), url)
    if page_url:
        meta["url"] = page_url
    date = _date(tree, captured)
    if date:
        meta["date"] = date
    language = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang") \
        or props.get("content-language") or props.get("og:locale")
    if language and _clean(language):
        meta["language"] = _clean(language).replace("_", "-")
    if props.get("og:site_name"):
        meta["site_name"] = props["og:site_name"]
    return meta


def _date(tree: Any, captured: str | None = None) -> str | None:
    """The page's publication date by htmldate, no later than its capture day where known (a
    date after it is wrong, and the result then does not depend on the clock), else today."""
    from htmldate import find_date

    latest = captured[:10] if captured and _ISO_DAY.match(captured) else None
    try:
        return find_date(tree, extensive_search=False, original_date=True, outputformat="%Y-%m-%d",
                         max_date=latest)
    except RecursionError:
        raise
    except Exception:  # htmldate on odd markup: no date rather than no document
        return None


def _absolute(link: str | None, base: str | None) -> str | None:
    if not link or not link.strip():
        return None
    link = link.strip()
    if base and not link.lower().startswith(("http://", "https://")):
        link = urljoin(base, link)
    return link if link.lower().startswith(("http://", "https://")) and len(link) <= 2000 else None


def _clean(value: str) -> str:
    return _SPACE.sub(" ", value).strip()


def _depth(tree: Any) -> int:
    """How deep the parsed tree goes (only asked when a page gave no text)."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        el, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in el)
    return deepest
