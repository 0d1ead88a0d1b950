"""The report's HTML page: one file with its CSS, JavaScript and data inline.

The data goes into a ``<script type="application/json">`` element. JSON can hold ``<`` only
inside strings, so every ``<``, ``>`` and ``&`` is written as a ``\\u003c``-style escape:
no document text can close the element (``</script>``) or open a comment (``<!--``), and
``JSON.parse`` gives the text back unchanged.

A Content-Security-Policy allows only this page's own script and style (by their SHA-256
hashes) and no network access at all, so even a mistake in the page could not run script
from the data or fetch anything.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from importlib import resources
from typing import Any

_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def embed_json(data: Any) -> str:
    """``data`` as JSON that is safe to put inside a ``<script>`` element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for raw, escaped in _ESCAPES.items():
        text = text.replace(raw, escaped)
    return text


def asset(name: str) -> str:
    return resources.files("reprints.report").joinpath("assets", name).read_text(encoding="utf-8")


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def render(model: dict[str, Any], title: str) -> str:
    """The complete HTML page for ``model``."""
    css = asset("report.css")
    js = asset("report.js")
    for name, code in (("report.css", css), ("report.js", js)):
        if "</" in code.lower() or "<!--" in code:
            raise ValueError(f"{name} must not contain '</' or '<!--'")
    policy = (f"default-src 'none'; script-src {_hash(js)}; style-src {_hash(css)}; "
              "img-src data:; base-uri 'none'; form-action 'none'")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n'
        '<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{html.escape(policy)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{html.escape(title)}</title>\n"
        f"<style>{css}</style>\n"
        "</head>\n<body>\n"
        '<noscript><p class="noscript">This report needs JavaScript to show its data.</p></noscript>\n'
        '<div id="app"><p class="loading">Loading report…</p></div>\n'
        f'<script type="application/json" id="reprints-data">{embed_json(model)}</script>\n'
        f"<script>{js}</script>\n"
        "</body>\n</html>\n"
    )
