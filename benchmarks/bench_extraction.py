#!/usr/bin/env python
"""Article extraction: quality and speed of HTML main-text extractors on the article-extraction
benchmark (181 real pages with hand-marked article bodies).

    .venv/bin/python benchmarks/bench_extraction.py                       # every extractor installed
    .venv/bin/python benchmarks/bench_extraction.py --extractors reprints trafilatura --repeat 3
    .venv/bin/python benchmarks/bench_extraction.py --data /path/to/article-extraction-benchmark

The data folder holds ``ground-truth.json`` (page id -> ``articleBody``, ``url``) and
``html/<id>.html.gz``; by default ``$REPRINTS_DATA/article-extraction-benchmark`` or
``../shared/data/article-extraction-benchmark`` beside the repository.

Quality is measured as the benchmark's own evaluation does it (written here from its
description, not copied): the texts are tokenised into ``\\w+`` tokens, each text becomes a
multiset of word 4-gram shingles, and per page tp / fp / fn are the multiset intersection and
the two differences, normalised to sum to 1 so that long pages weigh no more than short ones.
Precision is the mean of tp / (tp + fp) over pages where that is defined, recall likewise, and
F1 is the harmonic mean of the two means. The published figure for trafilatura 2.0.0 is F1 0.958.

Speed is pages per second on one core: each extractor runs over the 181 decoded pages in this
one process (no workers), best of ``--repeat`` passes after a warm-up page, HTML already in
memory (reading and decompressing are not counted), so the figure is the extractor's alone.
``reprints`` is the extraction reprints' readers use (``reprints.io.extract``: the library
chosen here plus its settings and text clean-up), measured the same way.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
_TOKEN = re.compile(r"\w+")


def default_data() -> Path:
    env = os.environ.get("REPRINTS_DATA")
    base = Path(env) if env else HERE.parents[1] / "shared" / "data"
    return base / "article-extraction-benchmark"


# --- the benchmark's measure ----------------------------------------------------------------

def shingles(text: str | None, n: int = 4) -> Counter:
    tokens = _TOKEN.findall(text or "")
    if len(tokens) < n:  # a short text is one shingle of what it has (none when empty)
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def page_counts(true: str, pred: str | None) -> tuple[float, float, float]:
    """Normalised (tp, fp, fn) of one page's shingles."""
    t, p = shingles(true), shingles(pred)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def scores(counts: list[tuple[float, float, float]]) -> dict[str, float]:
    def precision(tp, fp, fn):
        return 1.0 if fp == fn == 0 else tp / (tp + fp)

    def recall(tp, fp, fn):
        return 1.0 if fp == fn == 0 else tp / (tp + fn)

    p = statistics.mean(precision(*c) for c in counts if c[0] + c[1] > 0)
    r = statistics.mean(recall(*c) for c in counts if c[0] + c[2] > 0)
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


# --- extractors -----------------------------------------------------------------------------

def _trafilatura(**options) -> Callable[[str, str], str | None]:
    import trafilatura

    def run(html: str, url: str) -> str | None:
        return trafilatura.extract(html, include_comments=False, **options)
    return run


def _resiliparse(**options) -> Callable[[str, str], str | None]:
    from resiliparse.extract.html2text import extract_plain_text

    def run(html: str, url: str) -> str | None:
        return extract_plain_text(html, main_content=True, **options)
    return run


def _readability() -> Callable[[str, str], str | None]:
    import lxml.html
    from readability import Document

    def run(html: str, url: str) -> str | None:
        summary = Document(html).summary(html_partial=True)
        return lxml.html.fromstring(summary).text_content() if summary.strip() else ""
    return run


def _justext() -> Callable[[str, str], str | None]:
    import justext

    stop = justext.get_stoplist("English")  # the benchmark's pages are English

    def run(html: str, url: str) -> str | None:
        return "\n".join(p.text for p in justext.justext(html.encode("utf-8"), stop) if not p.is_boilerplate)
    return run


def _boilerpy3() -> Callable[[str, str], str | None]:
    from boilerpy3 import extractors

    extractor = extractors.ArticleExtractor(raise_on_failure=False)

    def run(html: str, url: str) -> str | None:
        return extractor.get_content(html)
    return run


def _reprints() -> Callable[[str, str], str | None]:
    from reprints.io.extract import extract_article

    def run(html: str, url: str) -> str | None:
        return extract_article(html, url=url).text
    return run


EXTRACTORS: dict[str, tuple[str, Callable[[], Callable[[str, str], str | None]]]] = {
    "reprints": ("reprints", _reprints),
    "trafilatura": ("trafilatura", _trafilatura),
    "trafilatura-fast": ("trafilatura", lambda: _trafilatura(fast=True)),
    "trafilatura-precision": ("trafilatura", lambda: _trafilatura(favor_precision=True)),
    "trafilatura-recall": ("trafilatura", lambda: _trafilatura(favor_recall=True)),
    "trafilatura-fast-precision": ("trafilatura", lambda: _trafilatura(fast=True, favor_precision=True)),
    "trafilatura-fast-recall": ("trafilatura", lambda: _trafilatura(fast=True, favor_recall=True)),
    "resiliparse": ("resiliparse", _resiliparse),
    "resiliparse-noalt": ("resiliparse", lambda: _resiliparse(alt_texts=False)),
    "readability-lxml": ("readability-lxml", _readability),
    "justext": ("jusText", _justext),
    "boilerpy3": ("boilerpy3", _boilerpy3),
}


def version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version(dist)
    except PackageNotFoundError:
        return "?"


# --- the run --------------------------------------------------------------------------------

def load_pages(data: Path) -> list[tuple[str, str, str, str]]:
    """(id, url, html, true body) for every page, in id order."""
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth):
        with gzip.open(data / "html" / f"{page_id}.html.gz", "rt", encoding="utf-8") as handle:
            html = handle.read()
        pages.append((page_id, truth[page_id].get("url") or "", html, truth[page_id].get("articleBody") or ""))
    return pages


def measure(name: str, pages: list[tuple[str, str, str, str]], repeat: int) -> dict:
    dist, make = EXTRACTORS[name]
    try:
        extract = make()
    except ImportError as err:
        return {"extractor": name, "missing": str(err)}
    extract(pages[0][2], pages[0][1])  # warm-up: imports, caches, compiled patterns
    times, outputs = [], None
    failures = 0
    for _ in range(repeat):
        got, failures = [], 0
        started = time.process_time()  # CPU time of this process: one core, unaffected by other load
        wall = time.perf_counter()
        for _, url, html, _ in pages:
            try:
                got.append(extract(html, url))
            except Exception:  # an extractor that raises scores an empty page
                got.append(None)
                failures += 1
        times.append((time.process_time() - started, time.perf_counter() - wall))
        outputs = got
    counts = [page_counts(true, pred) for (_, _, _, true), pred in zip(pages, outputs)]
    cpu = min(t[0] for t in times)
    megabytes = sum(len(p[2].encode("utf-8")) for p in pages) / 1e6
    return {
        "extractor": name,
        "version": version(dist),
        **{k: round(v, 4) for k, v in scores(counts).items()},
        "empty_pages": sum(1 for o in outputs if not (o or "").strip()),
        "errors": failures,
        "cpu_s": round(cpu, 3),
        "wall_s": [round(t[1], 3) for t in times],
        "pages_per_s": round(len(pages) / cpu, 1),
        "mb_per_s": round(megabytes / cpu, 2),
        "deterministic": None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=default_data())
    parser.add_argument("--extractors", nargs="+", default=list(EXTRACTORS), choices=list(EXTRACTORS))
    parser.add_argument("--repeat", type=int, default=2, help="passes over the pages; the fastest counts")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if not (args.data / "ground-truth.json").exists():
        sys.exit(f"no benchmark at {args.data} (ground-truth.json missing); give --data")
    pages = load_pages(args.data)
    size = sum(len(p[2].encode("utf-8")) for p in pages) / 1e6
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True,
                                text=True).stdout.strip()
    except OSError:
        commit = "?"
    load = os.getloadavg()
    print(f"{len(pages)} pages, {size:.1f} MB of HTML; git {commit}; python {platform.python_version()}; "
          f"load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    print(f"{'extractor':<22} {'version':<9} {'P':>6} {'R':>6} {'F1':>6} {'empty':>5} {'pages/s':>8} {'MB/s':>6}")
    results = []
    for name in args.extractors:
        row = measure(name, pages, args.repeat)
        results.append(row)
        if "missing" in row:
            print(f"{name:<22} not installed ({row['missing']})", flush=True)
            continue
        print(f"{name:<22} {row['version']:<9} {row['precision']:>6.3f} {row['recall']:>6.3f} {row['f1']:>6.3f} "
              f"{row['empty_pages']:>5} {row['pages_per_s']:>8.1f} {row['mb_per_s']:>6.2f}", flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"git": commit, "load": load, "pages": len(pages), "results": results},
                                        indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
