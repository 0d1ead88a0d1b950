"""Helpers for the HTML report tests: small corpora scanned into run directories, a synthetic
run of 10,000 clusters, and a page wrapper for the headless Chromium.
"""

from __future__ import annotations

import datetime
import json
import os
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

import reprints
from reprints import records

REPO = Path(__file__).resolve().parents[2]
WIRE = REPO / "examples" / "wire" / "stories.jsonl"
CHROMIUM = Path(os.environ.get("REPRINTS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def data_dir() -> Path:
    env = os.environ.get("REPRINTS_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


def scan_jsonl(tmp: Path, name: str, rows: list[dict]) -> Path:
    """Writes ``rows`` to ``tmp/name.jsonl``, scans it into ``tmp/name-run``; the run directory."""
    src = tmp / f"{name}.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    out = tmp / f"{name}-run"
    reprints.scan(str(src), out=out)
    return out


# --- corpora ---------------------------------------------------------------------------------

SHARED = (
    "The harbour commission voted on Thursday to extend the night ferry service to the "
    "outer islands for another two years, after fishermen and nurses who commute across "
    "the strait collected more than four thousand signatures in a petition to the council."
)
SHARED_EDITED = (
    "The harbour commission decided on Thursday to extend the night ferry service to the "
    "outer islands for two more years, after fishermen and nurses who commute across "
    "the strait gathered more than four thousand signatures in a petition to the council."
)

# Astral characters (emoji, CJK Extension B) before and inside the passages, so that
# code-point offsets and UTF-16 indices differ everywhere that matters.
ASTRAL_SHARED = (
    "Ferry 🚢 crews said the 𠀋 timetable will keep the last crossing at midnight 🌙 and add "
    "a morning boat on Sundays, while the fare for residents stays at three 🎫 euros and "
    "children under twelve travel free on every route across the strait."
)
ASTRAL_EDITED = (
    "Ferry 🚢 crews said the 𠀋 timetable will keep the final crossing at midnight 🌙 and add "
    "a morning boat on Saturdays, while the fare for residents stays at three 🎫 euros and "
    "children under twelve travel free on all routes across the strait."
)


def astral_rows() -> list[dict]:
    return [
        {"id": "isle-post", "source": "Isle Post 🏝", "date": "2024-06-01",
         "text": "𝔗𝔥𝔢 😀 island 𠀋 news 👍🏽.\n\n" + SHARED + "\n\n" + ASTRAL_SHARED + "\n\nMore 🎉 later."},
        {"id": "strait-times", "source": "Strait Times", "date": "2024-06-02",
         "text": "👨‍👩‍👧 Families 🇫🇷 and 𝒸𝓇𝑒𝓌𝓈 wrote in.\n\n" + SHARED_EDITED + "\n\n" + ASTRAL_EDITED + "\n\n🙂"},
    ]


PAYLOAD_SCRIPT = "<script>window.__pwned = 1; alert('script')</script>"
PAYLOAD_IMG = '<img src=x onerror="window.__pwned = 2; alert(\'img\')">'
PAYLOAD_BREAKOUT = "</script><script>window.__pwned = 3</script><!-- <svg onload=\"window.__pwned = 4\">"
PAYLOAD_URL = "javascript:window.__pwned = 5; alert('url')"


def xss_rows() -> list[dict]:
    """Articles whose text, title, source and url try to run script in the report."""
    return [
        {"id": "evil-a", "source": '<img src=x onerror="window.__pwned = 6">', "date": "2024-06-01",
         "title": "<script>window.__pwned = 7</script>", "url": PAYLOAD_URL,
         "text": PAYLOAD_SCRIPT + "\n\n" + SHARED + " " + PAYLOAD_IMG + " " + SHARED_EDITED.split(",")[0]
                 + "\n\n" + PAYLOAD_BREAKOUT},
        {"id": 'evil-b"><svg onload=window.__pwned=8>', "source": "Plain Source", "date": "2024-06-02",
         "title": "<b onmouseover=\"window.__pwned = 9\">hover me</b>", "url": "https://example.org/a?<b>",
         "text": PAYLOAD_IMG + "\n\n" + SHARED_EDITED + " " + PAYLOAD_IMG + " " + SHARED_EDITED.split(",")[0]
                 + "\n\n<a href=\"javascript:window.__pwned=10\">click</a> " + PAYLOAD_SCRIPT},
    ]


# --- a synthetic run of many clusters --------------------------------------------------------

WORDS = ("river harbour council ferry island market school road bridge storm farmer nurse "
         "teacher station museum garden festival library train airport hospital factory "
         "village mayor budget election weather summer winter autumn spring harvest").split()


def synthetic_run(tmp: Path, n_clusters: int = 10_000, seed: int = 7) -> Path:
    """A run directory with ``n_clusters`` clusters (2–12 documents each, one of 150), written table by
    table in the schemas of `reprints.records`, with its input file so texts can be embedded."""
    rng = random.Random(seed)
    sources = [f"Outlet {i:03d}" for i in range(60)]
    sizes = [2, 2, 2, 2, 3, 3, 3, 4, 5, 6, 8, 12]
    docs, passages, members = [], [], []
    clusters = []
    for c in range(n_clusters):
        size = 150 if c == 0 else sizes[rng.randrange(len(sizes))]  # one cluster longer than a page
        shared = " ".join(rng.choice(WORDS) for _ in range(rng.randint(22, 40)))
        day0 = rng.randrange(3000)
        ids = []
        for k in range(size):
            words = shared.split()
            if k and rng.random() < 0.5:
                words[rng.randrange(len(words))] = "edited"
            body = " ".join(words)
            prefix = f"Report {c}-{k}. " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12))) + ".\n\n"
            text = prefix + body + ".\n\nEnd of story " + str(c) + "."
            doc_id = f"c{c}-d{k}"
            date = (datetime.date(2015, 1, 1) + datetime.timedelta(days=day0 + k * rng.randint(0, 3))).isoformat()
            docs.append({"id": doc_id, "source": sources[rng.randrange(len(sources))], "date": date, "text": text,
                         "_span": (len(prefix), len(prefix) + len(body)), "_body": body})
            ids.append(len(docs) - 1)
        clusters.append(ids)
    # Cluster ids ranked largest first, as the scanner numbers them.
    order = sorted(range(n_clusters), key=lambda c: (-len(clusters[c]), c))
    pid = 0
    for cid, c in enumerate(order):
        ids = clusters[c]
        o = docs[ids[0]]
        for j, d in enumerate(ids):
            doc = docs[d]
            members.append({"cluster_id": cid, "doc_id": doc["id"], "begin": doc["_span"][0], "end": doc["_span"][1],
                            "source": doc["source"], "date": doc["date"], "is_origin": j == 0,
                            "origin_doc_id": o["id"], "cluster_size": len(ids), "cluster_docs": len(ids),
                            "snippet": doc["_body"][:160]})
            if j:
                same = doc["_body"] == o["_body"]
                passages.append({"passage_id": pid, "doc_a": o["id"], "begin_a": o["_span"][0], "end_a": o["_span"][1],
                                 "doc_b": doc["id"], "begin_b": doc["_span"][0], "end_b": doc["_span"][1],
                                 "matched_words": len(doc["_body"].split()), "similarity": 1.0 if same else 0.95,
                                 "kind": "verbatim" if same else "edited", "text_a": o["_body"], "text_b": doc["_body"]})
                pid += 1
    out = tmp / "synthetic-run"
    out.mkdir()
    src = tmp / "synthetic.jsonl"
    with open(src, "w", encoding="utf-8") as handle:
        for d in docs:
            handle.write(json.dumps({k: v for k, v in d.items() if not k.startswith("_")}) + "\n")
    doc_rows = [{"doc_id": d["id"], "source": d["source"], "date": d["date"], "url": None, "length": len(d["text"]),
                 "words": len(d["text"].split()), "input": str(src), "skip_reason": None, "warning": None, "meta": "{}"}
                for d in docs]
    pair_rows = [{"doc_a": p["doc_a"], "doc_b": p["doc_b"], "jaccard": 0.5, "containment_a": 0.5, "containment_b": 0.5,
                  "coverage_a": 0.5, "coverage_b": 0.5, "shared_ngrams": 20, "passages": 1, "exact_duplicate": False}
                 for p in passages]
    for name, rows, schema in (("documents", doc_rows, records.DOCUMENTS), ("pairs", pair_rows, records.PAIRS),
                               ("passages", passages, records.PASSAGES), ("clusters", members, records.CLUSTERS)):
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), out / f"{name}.parquet")
    run = {"reprints_version": reprints.__version__, "inputs": [str(src)],
           "config": reprints.ScanConfig().to_dict(), "summary": {"documents_read": len(docs), "documents_skipped": 0},
           "complete": True}
    (out / "run.json").write_text(json.dumps(run), encoding="utf-8")
    return out


class ReportPage:
    """A browser page that records script errors, dialogs and any request off this machine."""

    def __init__(self, context):
        self.context = context
        self.page = context.new_page()
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("dialog", self._dialog)
        context.route("**/*", self._route)
        self.url = None

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _route(self, route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            self.requests.append(route.request.url)
            route.abort()

    def open(self, html: Path, hash: str = "#/") -> "ReportPage":
        self.url = Path(html).resolve().as_uri()
        self.page.goto(self.url + hash)
        self.page.wait_for_selector("body[data-ready]")
        return self

    def go(self, hash: str) -> "ReportPage":
        """Navigates to ``hash`` and returns once the report has rendered that view: the
        report's own hashchange listener (registered first) has run when this one runs."""
        self.page.evaluate("""h => {
            window.__routed = null;
            if (location.hash === h) { window.__routed = h; return; }
            window.addEventListener('hashchange', () => { window.__routed = location.hash; }, { once: true });
            location.hash = h; }""", hash)
        self.page.wait_for_function("h => window.__routed === h", arg=hash)
        return self

    def frames(self, n: int = 2) -> "ReportPage":
        """Returns once the page has run ``n`` more animation frames: what it queued for its
        next frame (requestAnimationFrame callbacks, the scroll events of scrollTop changes)
        is then done."""
        self.page.evaluate("n => new Promise(done => { const next = k => k ? requestAnimationFrame(() => next(k - 1)) : done(); next(n); })", n)
        return self

    def filtered(self) -> "ReportPage":
        """Returns once the last filter change is applied (the filters are debounced; the
        report marks ``body[data-filtering]`` from a change until it is applied)."""
        self.page.wait_for_selector("body:not([data-filtering])", state="attached")
        return self

    def eval(self, js: str, arg=None):
        return self.page.evaluate(js, arg)


# Two dividend notices of different companies (a filled-in form: kind "template") and a reprint of one.
NOTICE = ("{} said its board declared a quarterly dividend of {} cts a share, payable {} to holders of record "
          "{}. The company said the dividend is unchanged from the previous quarter and that it expects "
          "earnings for the year to be in line with the forecast it gave in its annual report to shareholders.")


def template_rows() -> list[dict]:
    return [
        {"id": "acme", "source": "Wire", "date": "2024-03-01", "text": NOTICE.format("Acme Corp", "12", "April 1", "March 15")},
        {"id": "zenith", "source": "Wire", "date": "2024-05-02", "text": NOTICE.format("Zenith Inc", "15", "June 3", "May 20")},
        {"id": "acme-reprint", "source": "Daily", "date": "2024-03-02",
         "text": "NEW YORK - " + NOTICE.format("Acme Corp", "12", "April 1", "March 15")},
    ]
