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
import unicodedata
from difflib import SequenceMatcher

from reprints.stages.normalise import TRADITIONAL_TO_SIMPLIFIED, script_class

# A word (letters/digits, joined by inner apostrophes, hyphens or dots: "don't", "5.25",
# "step-by-step"), or a single other non-space character (punctuation, symbol, emoji).
TOKEN = re.compile(r"\w+(?:['’.\-]\w+)*|[^\w\s]")

# Above this many tokens on a side SequenceMatcher's quadratic corner cases get slow; it
# then uses its "popular token" heuristic, which is coarser but fast.
_EXACT_LIMIT = 5000

OPS = {"replace": "chg", "delete": "del", "insert": "ins"}


def _letters(word: str, start: int) -> list[tuple[str, int, int]]:
    """A word holding letters of a script written without spaces, cut into one token per letter
    (its combining marks with it), so that a changed character is a difference of one letter,
    not of the whole clause between two punctuation marks."""
    if all(script_class(ord(c)) == 0 for c in word):
        return [(word, start, start + len(word))]
    out: list[tuple[str, int, int]] = []
    for k, c in enumerate(word):
        if out and unicodedata.category(c)[0] == "M":
            piece, b, _ = out[-1]
            out[-1] = (piece + c, b, start + k + 1)
        else:
            out.append((c, start + k, start + k + 1))
    return out


def tokens(text: str) -> tuple[list[str], list[int], list[int]]:
    """Tokens of ``text`` and their begin / end code-point offsets."""
    found: list[tuple[str, int, int]] = []
    for m in TOKEN.finditer(text):
        piece = m.group()
        if found and found[-1][2] == m.start() and (
                all(unicodedata.category(c)[0] == "M" for c in piece)
                or (unicodedata.category(found[-1][0][-1])[0] == "M" and piece[0].isalnum()
                    and script_class(ord(piece[0])) == 0 and script_class(ord(found[-1][0][0])) == 0)):
            # A combining mark stays with its letter, and a word goes on after it ("मौसम", "naïve" decomposed).
            found[-1] = (found[-1][0] + piece, found[-1][1], m.end())
        else:
            found.extend(_letters(piece, m.start()))
    return [t[0] for t in found], [t[1] for t in found], [t[2] for t in found]


def _same_han(words: list[str]) -> list[str]:
    """Words compared with Traditional Chinese letters as Simplified (the tokeniser's fold):
    a story converted from one to the other differs only where its words do."""
    return [w.translate(TRADITIONAL_TO_SIMPLIFIED) for w in words]


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
    matcher = SequenceMatcher(None, _same_han(wa), _same_han(wb), autojunk=not exact)
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
