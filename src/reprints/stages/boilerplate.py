"""Boilerplate: short lines that recur across many documents of one source.

Site chrome ("2 min read", "Follow us on Twitter…"), sign-offs (Reuters' trailing
"Reuter") and templated lines are not reprints. A line is keyed by its source and its
normalised words; keys seen in at least ``min_docs`` documents are boilerplate, and the words
on those lines take no part in shingles or alignment seeds. Counting is done per batch
(``line_keys``) and merged once over the collection (``frequent_keys``).
"""

from __future__ import annotations

import numpy as np

from reprints.config import BoilerplateConfig
from reprints.stages.arrays import sorted_isin, unique_pairs
from reprints.stages.normalise import Tokens, mix64, sequence_hash


def _line_groups(tokens: Tokens) -> tuple[np.ndarray, np.ndarray]:
    """Start index of each line's tokens (plus the end) and the document of each line."""
    n = len(tokens.hashes)
    if n == 0:
        return np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.diff(tokens.line, prepend=-1) != 0)
    bounds = np.append(starts, n).astype(np.int64)
    return bounds, tokens.doc_of_token()[starts]


def token_line_keys(tokens: Tokens, source_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every token: the key of its line (source + words) and the number of words on it."""
    bounds, line_doc = _line_groups(tokens)
    keys = mix64(sequence_hash(tokens.hashes, bounds) ^ source_keys[line_doc].astype(np.uint64))
    sizes = np.diff(bounds)
    return np.repeat(keys, sizes), np.repeat(sizes, sizes)


def line_keys(tokens: Tokens, source_keys: np.ndarray, config: BoilerplateConfig) -> np.ndarray:
    """Distinct (document, line key) pairs of a batch, as the line keys, once per document."""
    keys, words = token_line_keys(tokens, source_keys)
    short = words <= config.max_words
    doc = tokens.doc_of_token()[short]
    return unique_pairs(doc, keys[short])[1]


def frequent_keys(batches: list[np.ndarray], config: BoilerplateConfig) -> np.ndarray:
    """Sorted line keys that occur in at least ``min_docs`` documents (over all batches)."""
    if not batches:
        return np.zeros(0, dtype=np.uint64)
    keys, counts = np.unique(np.concatenate(batches), return_counts=True)
    return keys[counts >= config.min_docs]


def boilerplate_mask(tokens: Tokens, source_keys: np.ndarray, frequent: np.ndarray) -> np.ndarray:
    """True for tokens that sit on a boilerplate line."""
    if len(frequent) == 0 or len(tokens.hashes) == 0:
        return np.zeros(len(tokens.hashes), dtype=bool)
    return sorted_isin(token_line_keys(tokens, source_keys)[0], frequent)
