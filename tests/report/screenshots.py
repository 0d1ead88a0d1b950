"""Screenshots of the report for the README: ``.venv/bin/python tests/report/screenshots.py``.

Scans examples/wire/stories.jsonl into a temporary run, writes its report, and saves the
overview, a cluster view and a pair view (an edited passage) to docs/images/ with the
system Chromium (/usr/bin/chromium) driven by Playwright.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))

import reprints  # noqa: E402
from reprints.report import write_report  # noqa: E402

from reportkit import CHROMIUM, CHROMIUM_ARGS, REPO, WIRE  # noqa: E402


def main(out_dir: Path = REPO / "docs" / "images") -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "wire-run"
        reprints.scan(str(WIRE), out=run)
        html = write_report(run, Path(tmp) / "report.html")
        passages = pq.read_table(run / "passages.parquet").to_pylist()
        # The edited passage with the most differences, in a pair that shares more than one.
        per_pair: dict[tuple[str, str], int] = {}
        for p in passages:
            per_pair[(p["doc_a"], p["doc_b"])] = per_pair.get((p["doc_a"], p["doc_b"]), 0) + 1
        edited = [p for p in passages if p["kind"] == "edited"] or passages
        pair = max(edited, key=lambda p: (per_pair[(p["doc_a"], p["doc_b"])], p["matched_words"]))
        clusters = pq.read_table(run / "clusters.parquet").to_pylist()
        cluster = next(m["cluster_id"] for m in clusters if m["doc_id"] == pair["doc_a"])
        shots = [("report-overview.png", "#/", True), ("report-cluster.png", f"#/cluster/{cluster}", True),
                 ("report-pair.png", f"#/pair/{pair['passage_id']}", False)]
        saved = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900}, device_scale_factor=1)
            for name, hash, full in shots:
                page.goto(html.resolve().as_uri() + hash)
                page.wait_for_selector("body[data-ready]")
                # fonts loaded, and two more frames: a pair view scrolls to its passage in its first one
                page.evaluate("""() => document.fonts.ready.then(() => new Promise(done =>
                    requestAnimationFrame(() => requestAnimationFrame(done))))""")
                path = out_dir / name
                page.screenshot(path=str(path), full_page=full)
                saved.append(path)
            browser.close()
    return saved


if __name__ == "__main__":
    for path in main():
        print(path)
