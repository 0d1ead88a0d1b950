"""The HTML report at scale: how long a report of many clusters takes to build, open, scroll
and filter in headless Chromium, and its longest main-thread task.

    .venv/bin/python benchmarks/bench_report.py [--clusters 10000] [--steps 40]

Builds the synthetic run of the report tests (``tests/report/reportkit.synthetic_run``: clusters
of 2–12 documents, one of 150), writes its report, opens it in /usr/bin/chromium (Debian's
``chromium``; ``scripts/install-browser.sh``) driven by Playwright, scrolls the cluster list
to the end in ``--steps`` steps (each waits until the rows in view are built), and applies a
source filter. Prints one JSON object: the machine, the report's size, and the seconds of
each step, measured here and reported, never checked (the tests check what a reader gets,
whatever the machine's speed).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "report"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine_info  # noqa: E402
from reportkit import CHROMIUM, CHROMIUM_ARGS, synthetic_run  # noqa: E402

from reprints.report import write_report  # noqa: E402

LONG_TASKS = """() => { window.__longTasks = [];
  new PerformanceObserver(l => l.getEntries().forEach(e => window.__longTasks.push(e.duration)))
    .observe({ type: 'longtask', buffered: true }); }"""
ROWS_COVER_VIEW = """() => { const l = document.getElementById('cluster-list'), box = l.getBoundingClientRect();
  const rows = Array.from(l.querySelectorAll('.row')).map(r => r.getBoundingClientRect());
  return rows.some(r => r.top <= box.top + 1 && r.bottom > box.top)
    && (rows.some(r => r.top < box.bottom && r.bottom >= box.bottom - 1)
        || l.scrollTop >= l.scrollHeight - l.clientHeight - 1); }"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clusters", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=40, help="scroll steps from the top of the cluster list to its end")
    parser.add_argument("--source", default="Outlet 007", help="the source filter to apply")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        sys.exit(f"bench_report: no Chromium at {CHROMIUM} (scripts/install-browser.sh)")
    from playwright.sync_api import sync_playwright

    out: dict = {"machine": machine_info(), "clusters": args.clusters, "scroll_steps": args.steps}
    with tempfile.TemporaryDirectory(prefix="reprints-bench-report-") as tmp:
        run = synthetic_run(Path(tmp), n_clusters=args.clusters)
        t = time.perf_counter()
        html = write_report(run, Path(tmp) / "big.html")
        out["build_s"] = round(time.perf_counter() - t, 3)
        out["size_mb"] = round(html.stat().st_size / 1e6, 2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            t = time.perf_counter()
            page.goto(html.resolve().as_uri() + "#/")
            page.wait_for_selector("body[data-ready]")
            out["open_s"] = round(time.perf_counter() - t, 3)
            out["script_ms"] = page.evaluate("() => window.__reportReady.ms")
            page.evaluate(LONG_TASKS)
            page.evaluate("() => { location.hash = '#/clusters'; }")
            page.wait_for_selector("#cluster-list .row")
            t = time.perf_counter()
            for i in range(1, args.steps + 1):
                page.evaluate("f => { const l = document.getElementById('cluster-list');"
                              " l.scrollTop = f * (l.scrollHeight - l.clientHeight); }", i / args.steps)
                page.wait_for_function(ROWS_COVER_VIEW)
            out["scroll_s"] = round(time.perf_counter() - t, 3)
            t = time.perf_counter()
            page.select_option("#f-source", label=args.source)
            page.wait_for_selector("body:not([data-filtering])", state="attached")
            out["filter_s"] = round(time.perf_counter() - t, 3)
            out["filter_count"] = page.evaluate("() => document.getElementById('f-count').textContent")
            out["longest_task_ms"] = round(max(page.evaluate("() => window.__longTasks"), default=0))
            browser.close()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
