"""Helpers for the web-input tests: pages of two invented news sites built from the seed
articles (with the chrome real sites wrap around an article), and WARC records written here.

Every page and archive is made at test time; nothing from the shared data folder is copied.
"""

from __future__ import annotations

import gzip
import html
import io
import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    env = os.environ.get("REPRINTS_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


DATA = data_dir()


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared data {path} is absent (set REPRINTS_DATA to the folder that holds it)")
    return path


# --- the two seed articles as pages of two sites ---------------------------------------------

# The four paragraphs both seed articles carry (the second prefixes the first with "TEHRAN -- ").
SHARED_FIRST = "Leaders of Russia, Turkey and Iran on Friday discussed"
SHARED_LAST = "lay down (their) weapons"

# Chrome of each site: every sentence here is on the page and must be in no document's text.
CHROME_A = [
    "We use cookies to improve your experience on Meridian News. By continuing you accept our cookie policy.",
    "Accept all cookies",
    "Subscribe to the Meridian morning briefing for the day's top stories",
    "Most read this week",
    "Oil prices slide as Gulf producers signal a rise in output",
    "Ten restaurants in Doha worth the queue this winter",
    "Why the football transfer window broke every record",
    "Copyright 2018 Meridian News Ltd. All rights reserved.",
    "Terms of use and privacy notice for readers in the European Union",
    "Follow us on Twitter: @The_NewArab",
]
CHROME_B = [
    "This site uses cookies and similar technologies. Manage your preferences or accept them to continue reading.",
    "I agree, continue to the site",
    "Trending now on Eurasia Times",
    "Tehran stock exchange closes higher for a third straight session",
    "Pakistan and India trade accusations over the disputed border crossing",
    "New metro line opens in Baku after four years of construction",
    "The opinions expressed in reader contributions are those of the respective author only",
    "Eurasia Times Media Group, all rights reserved. Reproduction without permission is prohibited.",
    "Download our app for breaking news alerts on your phone",
]
CHROME_SCRIPT = "window.dataLayer.push({'event': 'pageview', 'section': 'world'})"


def seed_articles() -> list[tuple[str, str | None, list[str]]]:
    """(file stem, title or None, body paragraphs) of the two seed texts, or skip when absent.
    A first line of fewer than 15 words is the title; the second seed starts with its text."""
    folder = need(DATA / "seeds")
    files = sorted(folder.glob("*.txt"))
    if len(files) < 2:
        pytest.skip(f"{folder} does not hold the two seed texts")
    articles = []
    for path in files[:2]:
        lines = [line.strip() for line in path.read_text(encoding="utf-8").split("\n")]
        title = lines[0] if len(lines[0].split()) < 15 else None
        body = [line for line in lines if len(line.split()) >= 8 and line != title
                and not line.startswith(("Follow us", "The opinions expressed"))]
        articles.append((path.stem, title, body))
    return articles


def _paragraphs(body: list[str]) -> str:
    return "\n".join(f"      <p>{html.escape(p, quote=False)}</p>" for p in body)


def page_site_a(title: str, body: list[str], url: str, published: str = "2018-09-07T13:05:00+00:00",
                charset: str = "utf-8") -> str:
    """A page of "Meridian News": meta charset, Open Graph tags, a cookie banner, a mega-menu,
    a share bar, a "most read" box beside the article and a long footer."""
    standfirst, rest = body[0], body[1:]
    most_read = "".join(f'<li><a href="/news/{i}">{html.escape(t)}</a></li>' for i, t in enumerate(CHROME_A[4:7]))
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
  <meta charset="{charset}">
  <title>{html.escape(title)} | Meridian News</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta property="og:title" content="{html.escape(title)}">
  <meta property="og:site_name" content="Meridian News">
  <meta property="og:type" content="article">
  <meta property="article:published_time" content="{published}">
  <link rel="canonical" href="{url}">
  <link rel="stylesheet" href="/static/css/main.3f9a.css">
  <script async src="https://www.googletagmanager.com/gtag/js?id=G-XXXX"></script>
  <script>window.dataLayer = window.dataLayer || []; {CHROME_SCRIPT};</script>
  <style>.cookie-banner{{position:fixed;bottom:0}} .most-read li{{margin:4px}}</style>
</head>
<body class="article-page">
  <div id="cookie-banner" class="cookie-banner" role="dialog">
    <p>{CHROME_A[0]}</p>
    <button class="cookie-accept">{CHROME_A[1]}</button>
  </div>
  <header class="site-header">
    <a class="logo" href="/">Meridian News</a>
    <nav class="main-nav"><ul>
      <li><a href="/news">News</a></li><li><a href="/middle-east">Middle East</a></li>
      <li><a href="/opinion">Opinion</a></li><li><a href="/culture">Culture</a></li>
      <li><a href="/sport">Sport</a></li><li><a href="/video">Video</a></li>
    </ul></nav>
    <div class="newsletter-promo"><a href="/newsletter">{CHROME_A[2]}</a></div>
  </header>
  <main>
    <article class="article">
      <header>
        <h1 class="headline">{html.escape(title)}</h1>
        <p class="standfirst">{html.escape(standfirst, quote=False)}</p>
        <div class="byline"><span class="read-time">2 min read</span>
          <time datetime="{published}">07 September, 2018</time></div>
        <figure><img src="/images/summit.jpg" alt="Summit"><figcaption>Putin met with the leader of Iran and Turkey for the summit [Getty]</figcaption></figure>
      </header>
      <div class="article-body">
{_paragraphs(rest)}
      </div>
      <div class="share-bar"><a href="https://twitter.com/intent/tweet">Tweet</a> <a href="https://facebook.com/share">Share</a>
        <p class="follow">{CHROME_A[9]}</p></div>
    </article>
    <aside class="most-read">
      <h2>{CHROME_A[3]}</h2>
      <ol>{most_read}</ol>
    </aside>
  </main>
  <footer class="site-footer">
    <ul><li><a href="/about">About us</a></li><li><a href="/contact">Contact</a></li>
    <li><a href="/terms">{CHROME_A[8]}</a></li></ul>
    <p>{CHROME_A[7]}</p>
  </footer>
  <script src="/static/js/app.8c1e.js"></script>
</body>
</html>
"""


def page_site_b(title: str, body: list[str], url: str, published: str = "2018-09-08") -> str:
    """A page of "Eurasia Times": date in JSON-LD only, no canonical link, a consent wall, a
    "trending" list between navigation and article, reader comments and an app promotion."""
    trending = "".join(f'<li class="trending-item"><a href="/story/{i}">{html.escape(t)}</a></li>'
                       for i, t in enumerate(CHROME_B[3:6]))
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
                     "datePublished": published, "publisher": {"@type": "Organization", "name": "Eurasia Times"}})
    return f"""<!doctype html>
<html lang="en">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{html.escape(title)} - Eurasia Times</title>
<meta property="og:url" content="{url}">
<script type="application/ld+json">{ld}</script>
<script>var _paq = window._paq || []; _paq.push(['trackPageView']);</script>
</head>
<body>
<div class="consent-overlay" id="gdpr">
  <div class="consent-box"><p>{CHROME_B[0]}</p><a class="btn" href="#agree">{CHROME_B[1]}</a></div>
</div>
<div id="top-bar"><a href="/">Eurasia Times</a> | <a href="/world">World</a> | <a href="/asia">Asia</a> |
 <a href="/business">Business</a> | <a href="/login">Log in</a></div>
<div class="trending"><span class="label">{CHROME_B[2]}</span><ul>{trending}</ul></div>
<div class="container">
 <div class="col-main">
  <div class="post">
   <h1 class="post-title">{html.escape(title)}</h1>
   <div class="post-meta">By Staff Reporter</div>
   <div class="post-content">
{_paragraphs(body)}
   </div>
  </div>
  <div class="comments" id="comments"><h3>Conversations</h3>
   <p class="disclaimer">{CHROME_B[6]}, and do not reflect the opinions/views of Eurasia Times.</p>
  </div>
 </div>
 <div class="col-side widget"><a href="/app">{CHROME_B[8]}</a></div>
</div>
<div class="footer"><p>{CHROME_B[7]}</p></div>
<script src="/js/bundle.min.js"></script>
</body>
</html>
"""


def seed_pages() -> list[dict]:
    """The two seed articles as pages of two sites: stem, title, body, url, html."""
    (stem_a, title_a, body_a), (stem_b, title_b, body_b) = seed_articles()
    title_a = title_a or "Leaders discuss Idlib at Tehran summit"
    title_b = title_b or "Turkey prevails at Tehran summit as Idlib offensive is put off"
    url_a = "https://www.meridian-news.com/news/2018/09/07/russia-turkey-iran-idlib"
    url_b = "https://eurasiatimes.co.uk/world/leaders-discuss-idlib-phased-stabilisation"
    return [
        {"stem": stem_a, "title": title_a, "body": body_a, "url": url_a, "site": "meridian-news.com",
         "date": "2018-09-07", "html": page_site_a(title_a, body_a, url_a), "chrome": CHROME_A},
        {"stem": stem_b, "title": title_b, "body": body_b, "url": url_b, "site": "eurasiatimes.co.uk",
         "date": "2018-09-08", "html": page_site_b(title_b, body_b, url_b), "chrome": CHROME_B},
    ]


# --- WARC records ------------------------------------------------------------------------------

def record(kind: str, uri: str, payload: bytes = b"", *, status: str = "200 OK",
           headers: list[tuple[str, str]] | None = None, date: str = "2018-09-09T10:00:00Z",
           gzipped: bool = True, extra: list[tuple[str, str]] | None = None, record_id: str | None = None) -> bytes:
    """One WARC record as bytes (its own gzip member when ``gzipped``), written by warcio."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gzipped)
    warc_headers = {"WARC-Date": date}
    if record_id:
        warc_headers["WARC-Record-ID"] = f"<urn:uuid:{record_id}>"
    for key, value in extra or []:
        warc_headers[key] = value
    if kind in ("response", "request", "revisit"):
        if kind == "request":
            http = StatusAndHeaders("GET / HTTP/1.1", headers or [("Host", "example")], is_http_request=True)
        else:
            http = StatusAndHeaders(status, headers or [], protocol="HTTP/1.1")
        rec = writer.create_warc_record(uri, kind, payload=io.BytesIO(payload), http_headers=http,
                                        warc_headers_dict=warc_headers, length=len(payload))
    else:
        rec = writer.create_warc_record(uri, kind, payload=io.BytesIO(payload), warc_content_type=(
            dict(headers or []).get("Content-Type", "text/plain")), warc_headers_dict=warc_headers,
            length=len(payload))
    writer.write_record(rec)
    return out.getvalue()


def page_response(url: str, page: str | bytes, *, charset: str | None = "utf-8", record_id: str | None = None,
                  gzipped: bool = True, date: str = "2018-09-09T10:00:00Z", content_type: str = "text/html",
                  status: str = "200 OK", extra_headers: list[tuple[str, str]] | None = None) -> bytes:
    body = page.encode(charset or "utf-8") if isinstance(page, str) else page
    ctype = f"{content_type}; charset={charset}" if charset else content_type
    headers = [("Content-Type", ctype), ("Content-Length", str(len(body)))] + (extra_headers or [])
    return record("response", url, body, headers=headers, record_id=record_id, gzipped=gzipped, date=date,
                  status=status)


def chunked(data: bytes, size: int = 700) -> bytes:
    """``data`` in HTTP/1.1 chunked transfer encoding."""
    parts = [b"%x\r\n%s\r\n" % (len(data[i:i + size]), data[i:i + size]) for i in range(0, len(data), size)]
    return b"".join(parts) + b"0\r\n\r\n"


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)
