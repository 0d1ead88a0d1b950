"""Tokenise many documents at once into normalised word hashes with code-point spans.

Why this shape: the cost of n-gram work in Python is the per-token objects, not the
arithmetic. Here a whole batch of documents becomes one numpy array of code points; words,
their case- and accent-folded hashes and their spans are computed with array operations only.

A word is a maximal run of letters, digits and combining marks. Normalisation (lower case,
diacritics stripped) happens inside the hash; spans always point into the text as given, in
code points, so ``text[begin:end]`` is the original word.
"""

from __future__ import annotations

import functools
import hashlib
import unicodedata
from dataclasses import dataclass
from typing import Sequence

import numpy as np

_BMP = 0x10000
_P = np.uint64(0x100000001B3)  # FNV prime: odd, so it has an inverse modulo 2**64
_P_INV = np.uint64(pow(int(_P), -1, 2**64))
_SEPARATOR = "\n"  # between documents in a batch: not a word character, ends a line
STEM_CHARS = 5
# Sentence-ending punctuation (Latin, CJK and Devanagari full stops); blank lines are
# handled as two consecutive newlines.
_SENTENCE_STOPS = np.array([ord(c) for c in ".!?;\u3002\uff01\uff1f\u0964"], dtype=np.uint32)


def _fold_char(ch: str) -> tuple[bool, int]:
    """(is word character, folded code point) for one character; 0 means 'ignore'."""
    cat = unicodedata.category(ch)
    if cat[0] == "M":
        return True, 0
    if not ch.isalnum():
        return False, 0
    low = ch.lower()[0]  # "İ".lower() is "i" + a combining dot: keep the letter
    base = unicodedata.normalize("NFKD", low)[0]
    return True, ord(base if base.isalnum() else low)


@functools.cache
def _table() -> np.ndarray:
    """Per BMP code point: folded code point shifted left by one, low bit set for words."""
    table = np.zeros(_BMP, dtype=np.uint32)
    for cp in range(_BMP):
        if not 0xD800 <= cp <= 0xDFFF:
            w, f = _fold_char(chr(cp))
            table[cp] = (f << 1) | w
    return table


def _classify(cps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(is word character, folded code point as uint64) for every code point."""
    coded = np.take(_table(), cps, mode="clip")
    big = cps >= _BMP
    if big.any():  # astral planes are rare: classify their distinct code points one by one
        idx = np.flatnonzero(big)
        uniq, inv = np.unique(cps[idx], return_inverse=True)
        info = np.array([(f << 1) | w for w, f in map(_fold_char, map(chr, uniq.tolist()))], np.uint32)
        coded[idx] = info[inv]
    return (coded & 1).astype(bool), (coded >> 1).astype(np.uint64)


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
    """Split and hash the words of every text, all in one vectorised pass."""
    if not texts:
        z = np.zeros(0, dtype=np.int64)
        return Tokens(z.astype(np.uint64), z, z, z, np.zeros(1, dtype=np.int64), z.astype(np.uint64),
                      z.astype(bool), z.astype(bool))
    joined = _SEPARATOR.join(texts)
    cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    doc_starts = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]])

    is_word, folded = _classify(cps)
    edges = np.diff(np.concatenate([[False], is_word, [False]]).astype(np.int8))
    begins = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)

    # Polynomial hash of each word's folded characters. Ignored characters (combining marks,
    # folded to 0) take no position, so "é" and "e" + U+0301 give the same word hash.
    rank = np.zeros(len(cps) + 1, dtype=np.int64)
    np.cumsum(folded != 0, out=rank[1:])
    fwd, inv = _POWERS.upto(int(rank[-1]) + 1)
    prefix = np.zeros(len(cps) + 1, dtype=np.uint64)
    np.cumsum(folded * fwd[rank[:-1]], out=prefix[1:])
    raw = (prefix[ends] - prefix[begins]) * inv[rank[begins]]
    hashes = mix64(raw)
    # Truncation stemming: the first few letters stand for the word ("govern" for governs,
    # governed, government), in any language, at no cost beyond one more lookup.
    stem_ends = np.minimum(ends, np.searchsorted(rank, rank[begins] + STEM_CHARS, side="left"))
    stems = mix64((prefix[stem_ends] - prefix[begins]) * inv[rank[begins]] + np.uint64(STEM_CHARS))
    # A sentence ends after a word when the gap to the next word holds . ! ? ; or a blank line.
    stops = np.zeros(len(cps) + 1, dtype=np.int64)
    np.cumsum(np.isin(cps, _SENTENCE_STOPS), out=stops[1:])
    next_begins = np.append(begins[1:], len(cps))
    newlines = np.flatnonzero(cps == 10)
    gap_newlines = np.searchsorted(newlines, next_begins) - np.searchsorted(newlines, ends)
    sentence_end = ((stops[next_begins] - stops[ends]) > 0) | (gap_newlines >= 2)

    token_doc = np.searchsorted(doc_starts, begins, side="right") - 1
    doc_bounds = np.searchsorted(token_doc, np.arange(len(texts) + 1), side="left").astype(np.int64)
    line = np.searchsorted(newlines, begins, side="left").astype(np.int64)
    offset = doc_starts[token_doc]
    last_of_doc = doc_bounds[1:][np.diff(doc_bounds) > 0] - 1
    sentence_end[last_of_doc] = True
    digits = np.zeros(len(cps) + 1, dtype=np.int64)
    np.cumsum((cps >= 48) & (cps <= 57), out=digits[1:])
    numeric = (digits[ends] - digits[begins]) > 0
    return Tokens(hashes, begins - offset, ends - offset, line, doc_bounds, stems, sentence_end, numeric)


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
