"""Word n-gram shingles: one 64-bit hash per run of ``n`` consecutive words of a document.

N-grams never cross a document boundary and never include a masked (boilerplate) word.
Everything is computed on whole arrays; no n-gram string is ever built.
"""

from __future__ import annotations

import numpy as np

from reprints.stages.arrays import unique_pairs
from reprints.stages.normalise import Tokens, mix64, sequence_hash

# Odd multipliers, one per position in the n-gram, so that word order matters.
_POSITION_MULTIPLIERS = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
     0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x27D4EB2F165667C5, 0x94D049BB133111EB,
     0xBF58476D1CE4E5B9, 0x85EBCA77C2B2AE63, 0xA24BAED4963EE407, 0x9FB21C651E98DF25],
    dtype=np.uint64,
)


def ngram_hashes(hashes: np.ndarray, n: int, valid: np.ndarray | None = None,
                 token_doc: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(start token index, hash) of every n-gram whose words are all valid and in one document."""
    if n > len(_POSITION_MULTIPLIERS):
        raise ValueError(f"n-grams of more than {len(_POSITION_MULTIPLIERS)} words are not supported")
    count = len(hashes) - n + 1
    if count <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
    acc = hashes[:count] * _POSITION_MULTIPLIERS[0]
    for k in range(1, n):
        acc = acc + hashes[k : k + count] * _POSITION_MULTIPLIERS[k]
    keep = np.ones(count, dtype=bool)
    if valid is not None:
        bad = np.concatenate([[0], np.cumsum(~valid)])
        keep &= (bad[n:] - bad[:count]) == 0
    if token_doc is not None:
        keep &= token_doc[:count] == token_doc[n - 1 :]
    starts = np.flatnonzero(keep)
    return starts, mix64(acc[starts])


def document_shingles(tokens: Tokens, n: int, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (document index within batch, n-gram hash) pairs of a batch."""
    token_doc = tokens.doc_of_token()
    starts, grams = ngram_hashes(tokens.hashes, n, ~mask, token_doc)
    return unique_pairs(token_doc[starts], grams)


def document_fingerprints(tokens: Tokens) -> np.ndarray:
    """A hash of each document's whole normalised word sequence: equal for exact duplicates."""
    return sequence_hash(tokens.hashes, tokens.doc_bounds)
