"""A self-contained HTML report of a run: overview, clusters and side-by-side passages.

>>> from reprints.report import write_report
>>> write_report("run-demo", "report.html")     # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

from reprints.report.data import NotARunError, build_model
from reprints.report.html import render

__all__ = ["write_report", "build_model", "render", "NotARunError"]


def write_report(run_dir: str | os.PathLike, out_html: str | os.PathLike,
                 texts: Mapping[str, str] | None = None) -> Path:
    """Write the HTML report of the run in ``run_dir`` to ``out_html``; returns its path.

    Document texts are read again from the inputs recorded in ``run.json``; pass ``texts``
    (doc_id -> text) to use those instead. Raises `NotARunError` if ``run_dir`` is not a
    run directory.
    """
    model = build_model(run_dir, texts=texts)
    page = render(model, title=f"reprints report: {model['meta']['run']}")
    out = Path(out_html)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.partial")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, out)
    return out
