"""Fixtures for the HTML report tests (helpers in reportkit.py).

Browser tests skip, saying why, when /usr/bin/chromium (Debian's ``chromium`` package;
``scripts/install-browser.sh`` installs it) or the ``playwright`` Python package is absent.
Playwright only drives the system browser: no browser is ever downloaded.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import reprints
from reprints.report import write_report

from reportkit import CHROMIUM, CHROMIUM_ARGS, WIRE, ReportPage


# --- fixtures --------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def wire_run(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("wire")
    out = tmp / "run"
    reprints.scan(str(WIRE), out=out)
    return out


@pytest.fixture(scope="session")
def wire_report(wire_run, tmp_path_factory) -> Path:
    return write_report(wire_run, tmp_path_factory.mktemp("wire-report") / "report.html")


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (install it with scripts/install-browser.sh, "
                    "i.e. apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="browser tests need the 'playwright' Python package (pip install -e '.[test]')")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def report_page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pages = []

    def make() -> ReportPage:
        rp = ReportPage(context)
        pages.append(rp)
        return rp

    yield make
    try:
        for rp in pages:
            assert not rp.errors, f"script errors in the report: {rp.errors}"
            assert not rp.requests, f"the report tried to reach the network: {rp.requests}"
    finally:
        context.close()
