"""Word-by-word differences inside a passage, for the report's pair view.

A passage is two spans that share text; when it was edited the two sides differ in a few
words. `word_diff` tokenises both sides into words and punctuation marks (keeping their
code-point offsets), aligns the token lists with `difflib.SequenceMatcher`, and returns
each non-equal run as ``(op, a_begin, a_end, b_begin, b_end)`` in code points of the
documents (the passage's own offsets added), where op is

- ``"chg"``: words in A replaced by other words in B (both ranges non-empty),
- ``"del"``: words in A that B lacks (B's range is empty: the place where they were),
- ``"ins"``: words in B that A lacks (A's range is empty).

Whitespace is not a token, so re-flowed paragraphs are not differences; case and
punctuation are.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

# A word (letters/digits, joined by inner apostrophes, hyphens or dots: "don't", "5.25",
# "step-by-step"), or a single other non-space character (punctuation, symbol, emoji).
TOKEN = re.compile(r"\w+(?:['’.\-]\w+)*|[^\w\s]")

# Above this many tokens on a side SequenceMatcher's quadratic corner cases get slow; it
# then uses its "popular token" heuristic, which is coarser but fast.
_EXACT_LIMIT = 5000

OPS = {"replace": "chg", "delete": "del", "insert": "ins"}


def tokens(text: str) -> tuple[list[str], list[int], list[int]]:
    """Tokens of ``text`` and their begin / end code-point offsets."""
    matches = list(TOKEN.finditer(text))
    return [m.group() for m in matches], [m.start() for m in matches], [m.end() for m in matches]


def _point(begins: list[int], ends: list[int], i: int, length: int) -> int:
    """The offset where token ``i`` begins (or the end of the last token, for i == len)."""
    if i < len(begins):
        return begins[i]
    return ends[-1] if ends else length


def word_diff(a: str, b: str, offset_a: int = 0, offset_b: int = 0) -> list[tuple[str, int, int, int, int]]:
    """Non-equal runs between ``a`` and ``b`` as ``(op, a_begin, a_end, b_begin, b_end)``."""
    if a == b or TOKEN.findall(a) == TOKEN.findall(b):
        return []
    wa, ba, ea = tokens(a)
    wb, bb, eb = tokens(b)
    exact = max(len(wa), len(wb)) <= _EXACT_LIMIT
    matcher = SequenceMatcher(None, wa, wb, autojunk=not exact)
    out = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        a0 = ba[i1] if i2 > i1 else _point(ba, ea, i1, len(a))
        a1 = ea[i2 - 1] if i2 > i1 else a0
        b0 = bb[j1] if j2 > j1 else _point(bb, eb, j1, len(b))
        b1 = eb[j2 - 1] if j2 > j1 else b0
        out.append((OPS[tag], a0 + offset_a, a1 + offset_a, b0 + offset_b, b1 + offset_b))
    return out
