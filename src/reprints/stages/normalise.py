r"""Tokenise many documents at once into normalised word hashes with code-point spans.

Why this shape: the cost of n-gram work in Python is the per-token objects, not the
arithmetic. A whole batch of documents is read in one compiled pass over its characters
(`_native.tokenize_texts`) into arrays; no per-word Python object is made.

A word is a maximal run of letters, digits and combining marks; a hyphen that ends a line
inside a word ("faci-\nliter") joins its halves, as OCR'd and typeset text breaks words where
its lines end. Normalisation (lower case, diacritics stripped) happens inside the hash; spans
always point into the text as given, in code points, so ``text[begin:end]`` is the original
word (with its line-end hyphen, if any).
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from reprints import _native
from reprints.stages import han_variants

_BMP = 0x10000
_P = np.uint64(0x100000001B3)  # FNV prime: odd, so it has an inverse modulo 2**64
_P_INV = np.uint64(pow(int(_P), -1, 2**64))
STEM_CHARS = _native.STEM_CHARS


# Scripts written without spaces between words, by the code point a letter folds to: 1 Han
# (with 々 〇 and the Kangxi radicals), 2 hiragana, 3 katakana (half-width forms fold to full
# width), 4 Thai, Lao, Myanmar, Khmer and Tai scripts; 0 every other script (words end at
# spaces and punctuation). The tokeniser cuts their letter runs into units (`tokenize`).
SCRIPT_CLASSES = {"han": 1, "hiragana": 2, "katakana": 3, "southeast_asian": 4}
_CLASS_RANGES = [
    (0x2E80, 0x2FDF, 1), (0x3005, 0x3007, 1), (0x3021, 0x3029, 1), (0x3038, 0x303B, 1), (0x3400, 0x4DBF, 1),
    (0x4E00, 0x9FFF, 1), (0xF900, 0xFAFF, 1), (0x20000, 0x3FFFF, 1),
    (0x3041, 0x309F, 2), (0x1B001, 0x1B11F, 2),
    (0x30A0, 0x30FF, 3), (0x31F0, 0x31FF, 3), (0x1B000, 0x1B000, 3),
    (0x0E00, 0x0EFF, 4), (0x1000, 0x109F, 4), (0xA9E0, 0xA9FF, 4), (0xAA60, 0xAA7F, 4), (0x1780, 0x17FF, 4),
    (0x19E0, 0x19FF, 4), (0x1950, 0x1AAF, 4),
]
# Voicing marks written as letters of their own (half-width ﾞ ﾟ, spacing ゛ ゜) are diacritics,
# as the combining ones are: ｶﾞ, ガ and カ fold alike, as accented Latin letters fold to plain ones.
_KANA_VOICING = {0xFF9E, 0xFF9F, 0x309B, 0x309C}
TRADITIONAL_TO_SIMPLIFIED = dict(zip(map(ord, han_variants.TRADITIONAL), map(ord, han_variants.SIMPLIFIED)))


def script_class(cp: int) -> int:
    """The unspaced-script class of a (folded) code point; 0 for scripts with spaces."""
    for lo, hi, cls in _CLASS_RANGES:
        if lo <= cp <= hi:
            return cls
    return 0


def _fold_char(ch: str) -> tuple[bool, int, int]:
    """(is word character, folded code point, script class) for one character; folded 0 means
    'ignore' (combining marks: part of the word, no position in its hash).

    Folding is lower case, compatibility decomposition (full-width Latin and digits, half-width
    katakana, compatibility ideographs), diacritics dropped, Traditional Chinese to Simplified.
    """
    cat = unicodedata.category(ch)
    if cat[0] == "M" or ord(ch) in _KANA_VOICING:
        return True, 0, script_class(ord(ch))
    if not ch.isalnum():
        return False, 0, 0
    low = ch.lower()[0]  # "İ".lower() is "i" + a combining dot: keep the letter
    base = unicodedata.normalize("NFKD", low)[0]
    folded = ord(base if base.isalnum() else low)
    folded = TRADITIONAL_TO_SIMPLIFIED.get(folded, folded)
    return True, folded, script_class(folded)


def _new_table() -> np.ndarray:
    """Per BMP code point: ``(folded << 4) | (script class << 1) | is_word``; 0xFFFFFFFF until
    the tokeniser first meets it (it then asks `_fold_char`), so a process classifies only the
    characters its texts use. ASCII is filled in at once."""
    table = np.full(_BMP, _native.UNKNOWN_CODE, dtype=np.uint32)
    for cp in range(128):
        w, f, cls = _fold_char(chr(cp))
        table[cp] = (f << 4) | (cls << 1) | w
    table[0xD800:0xE000] = 0  # lone surrogates are no word characters
    return table


_TABLE = _new_table()


class _Powers:
    """Cached P**i and P**-i modulo 2**64, grown on demand."""

    def __init__(self) -> None:
        self.fwd = np.ones(1, dtype=np.uint64)
        self.inv = np.ones(1, dtype=np.uint64)

    def upto(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if len(self.fwd) < n:
            size = max(n, 2 * len(self.fwd))
            self.fwd = np.cumprod(np.full(size, _P, dtype=np.uint64))
            self.fwd = np.concatenate([np.ones(1, np.uint64), self.fwd[:-1]])
            self.inv = np.cumprod(np.full(size, _P_INV, dtype=np.uint64))
            self.inv = np.concatenate([np.ones(1, np.uint64), self.inv[:-1]])
        return self.fwd[:n], self.inv[:n]


_POWERS = _Powers()


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads the bits of polynomial hashes (vectorised, wrapping)."""
    x = np.asarray(x, dtype=np.uint64)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def string_key(value: str | None) -> int:
    """A stable 63-bit key for a short string (a source name), equal across processes."""
    digest = hashlib.blake2b((value or "").encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


@dataclass
class Tokens:
    """Words of a batch of documents, in document order.

    ``doc_bounds[d]:doc_bounds[d+1]`` are the tokens of document ``d``; ``begins``/``ends``
    are code-point offsets into that document's own text; ``line`` numbers lines across the
    batch (a token's line ends at the next newline).
    """

    hashes: np.ndarray  # uint64
    begins: np.ndarray  # int64
    ends: np.ndarray  # int64
    line: np.ndarray  # int64
    doc_bounds: np.ndarray  # int64, len = n_docs + 1
    stems: np.ndarray  # uint64: hash of the word's first STEM_CHARS folded characters
    sentence_end: np.ndarray  # bool: a sentence ends after this word
    numeric: np.ndarray  # bool: the word holds a digit

    @property
    def n_docs(self) -> int:
        return len(self.doc_bounds) - 1

    def doc_of_token(self) -> np.ndarray:
        return np.repeat(np.arange(self.n_docs, dtype=np.int64), np.diff(self.doc_bounds))

    def doc(self, d: int) -> "Tokens":
        lo, hi = self.doc_bounds[d], self.doc_bounds[d + 1]
        return Tokens(
            self.hashes[lo:hi], self.begins[lo:hi], self.ends[lo:hi], self.line[lo:hi],
            np.array([0, hi - lo], dtype=np.int64), self.stems[lo:hi], self.sentence_end[lo:hi],
            self.numeric[lo:hi],
        )


def tokenize(texts: Sequence[str]) -> Tokens:
    r"""Split and hash the words of every text, in one compiled pass over their characters.

    A word is a maximal run of word characters (letters, digits, combining marks), a hyphen
    ending a line inside it ("-\n" or "-\r\n" between two word characters) skipped; its hash
    is a polynomial hash (FNV prime) of its folded characters, combining marks taking no
    position, finished by ``mix64``; its stem the same over its first ``STEM_CHARS`` folded
    characters. A sentence ends after a word when the gap to the next word holds . ! ? ; (or
    a CJK or Devanagari full stop) or a blank line, and at the end of a document. ``line``
    counts newlines before the word across the batch, each document ending one line.
    """
    return Tokens(*_native.tokenize_texts(list(texts), _TABLE, _fold_char))


def sequence_hash(hashes: np.ndarray, group_bounds: np.ndarray) -> np.ndarray:
    """One hash per group of consecutive token hashes (order-sensitive), for each group.

    ``group_bounds`` are the start indices of groups plus the final end, as for ``doc_bounds``.
    Empty groups hash to the same fixed value.
    """
    n = len(hashes)
    fwd, inv = _POWERS.upto(n + 1)
    prefix = np.zeros(n + 1, dtype=np.uint64)
    np.cumsum(hashes * fwd[:n], out=prefix[1:])
    lo, hi = group_bounds[:-1], group_bounds[1:]
    return mix64((prefix[hi] - prefix[lo]) * inv[lo] + (hi - lo).astype(np.uint64))
