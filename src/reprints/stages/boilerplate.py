"""Boilerplate: short lines, and templated sentences, that recur across many documents of one
source.

Site chrome ("2 min read", "Follow us on Twitter…"), sign-offs (Reuters' trailing "Reuter")
and templated sentences ("The selling concession is 1-1/4 pct while management and
underwriting combined pays 5/8 pct", with other figures each time) are not reprints. A line
is keyed by its source and its normalised words; a sentence by its source and its words with
every number made alike. Keys seen in at least ``min_docs`` documents are boilerplate, and the
words they cover take no part in shingles or alignment seeds. Counting is done per batch
(``line_keys``) and merged once over the collection (``frequent_keys``).
"""

from __future__ import annotations

import numpy as np

from reprints.config import BoilerplateConfig
from reprints.stages.arrays import sorted_isin, unique_pairs
from reprints.stages.normalise import Tokens, mix64, sequence_hash

_SENTENCE_SALT = np.uint64(0x5E17E5CE5A17ED01)  # keeps sentence keys apart from line keys
_NUMBER = np.uint64(0x4E554D424552)  # every number is the same word in a template


def _unit_keys(tokens: Tokens, starts: np.ndarray, hashes: np.ndarray, source_keys: np.ndarray,
               salt: np.uint64) -> tuple[np.ndarray, np.ndarray]:
    """Per token: the key of its unit (line or sentence) and the unit's number of words."""
    n = len(hashes)
    bounds = np.append(starts, n).astype(np.int64)
    unit_doc = tokens.doc_of_token()[starts]
    keys = mix64(sequence_hash(hashes, bounds) ^ source_keys[unit_doc].astype(np.uint64) ^ salt)
    sizes = np.diff(bounds)
    return np.repeat(keys, sizes), np.repeat(sizes, sizes)


def token_unit_keys(tokens: Tokens, source_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per token: line key, words on the line, sentence key, words in the sentence."""
    if len(tokens.hashes) == 0:
        z = np.zeros(0, dtype=np.uint64)
        return z, z.astype(np.int64), z, z.astype(np.int64)
    line_starts = np.flatnonzero(np.diff(tokens.line, prepend=-1) != 0)
    line_keys_, line_words = _unit_keys(tokens, line_starts, tokens.hashes, source_keys, np.uint64(0))
    # A decimal point ("0.5") is no sentence end in a template.
    ends = tokens.sentence_end[:-1] & ~(tokens.numeric[:-1] & tokens.numeric[1:]
                                         & (tokens.begins[1:] - tokens.ends[:-1] == 1))
    sentence_starts = np.concatenate([[0], np.flatnonzero(ends | (np.diff(tokens.doc_of_token()) != 0)) + 1])
    sentence_keys, sentence_words = _template_keys(tokens, sentence_starts, source_keys)
    return line_keys_, line_words, sentence_keys, sentence_words


def _template_keys(tokens: Tokens, starts: np.ndarray, source_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per token: the key of its sentence as a template (a run of numbers, "1-1/4" or
    "5,000", is one NUMBER), and the sentence's number of words."""
    n = len(tokens.hashes)
    unit = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, n)))
    follows_number = np.zeros(n, dtype=bool)
    follows_number[1:] = tokens.numeric[1:] & tokens.numeric[:-1] & (unit[1:] == unit[:-1])
    keep = ~follows_number
    template = np.where(tokens.numeric, _NUMBER, tokens.hashes)[keep]
    kept_before = np.concatenate([[0], np.cumsum(keep)])
    bounds = np.append(kept_before[starts], kept_before[-1]).astype(np.int64)
    unit_doc = tokens.doc_of_token()[starts]
    keys = mix64(sequence_hash(template, bounds) ^ source_keys[unit_doc].astype(np.uint64) ^ _SENTENCE_SALT)
    sizes = np.diff(np.append(starts, n))
    return np.repeat(keys, sizes), np.repeat(sizes, sizes)


def _countable(line_words: np.ndarray, sentence_words: np.ndarray,
               config: BoilerplateConfig) -> tuple[np.ndarray, np.ndarray]:
    return line_words <= config.max_words, (sentence_words >= config.min_sentence_words) & (
        sentence_words <= config.max_sentence_words)


def doc_line_keys(tokens: Tokens, source_keys: np.ndarray, config: BoilerplateConfig) -> tuple[np.ndarray, np.ndarray]:
    """(document within batch, unit key) for the distinct unit keys (lines and sentences) of
    each document of a batch, sorted by document."""
    lk, lw, sk, sw = token_unit_keys(tokens, source_keys)
    use_line, use_sentence = _countable(lw, sw, config)
    doc = tokens.doc_of_token()
    docs = np.concatenate([doc[use_line], doc[use_sentence]])
    keys = np.concatenate([lk[use_line], sk[use_sentence]])
    return unique_pairs(docs, keys)


def line_keys(tokens: Tokens, source_keys: np.ndarray, config: BoilerplateConfig) -> np.ndarray:
    """The distinct unit keys of each document of a batch (a key once per document)."""
    return doc_line_keys(tokens, source_keys, config)[1]


def frequent_keys(batches: list[np.ndarray], config: BoilerplateConfig) -> np.ndarray:
    """Sorted unit keys that occur in at least ``min_docs`` documents (over all batches)."""
    if not batches:
        return np.zeros(0, dtype=np.uint64)
    keys, counts = np.unique(np.concatenate(batches), return_counts=True)
    return keys[counts >= config.min_docs]


def boilerplate_mask(tokens: Tokens, source_keys: np.ndarray, frequent: np.ndarray,
                     config: BoilerplateConfig | None = None) -> np.ndarray:
    """True for words on a boilerplate line or in a templated sentence."""
    if len(frequent) == 0 or len(tokens.hashes) == 0:
        return np.zeros(len(tokens.hashes), dtype=bool)
    config = config or BoilerplateConfig()
    lk, lw, sk, sw = token_unit_keys(tokens, source_keys)
    use_line, use_sentence = _countable(lw, sw, config)
    return (use_line & sorted_isin(lk, frequent)) | (use_sentence & sorted_isin(sk, frequent))
