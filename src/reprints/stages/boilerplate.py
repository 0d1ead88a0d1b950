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

from reprints import _native
from reprints.config import BoilerplateConfig
from reprints.stages.arrays import sorted_isin, unique_pairs
from reprints.stages.normalise import Tokens

_SENTENCE_SALT = np.uint64(0x5E17E5CE5A17ED01)  # keeps sentence keys apart from line keys
_NUMBER = np.uint64(0x4E554D424552)  # every number is the same word in a template


def unit_keys(tokens: Tokens, source_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The units of a batch: (first word, key) of every line, and of every sentence keyed as a
    template (a run of numbers, "1-1/4" or "5,000", is one NUMBER; a decimal point, "0.5",
    ends no sentence). Compiled: `_native.unit_keys`."""
    return _native.unit_keys(tokens.hashes, tokens.numeric.view(np.uint8), tokens.line,
                             tokens.sentence_end.view(np.uint8), tokens.begins, tokens.ends, tokens.doc_bounds,
                             np.ascontiguousarray(source_keys, dtype=np.uint64), _NUMBER, _SENTENCE_SALT)


def _countable_units(tokens: Tokens, source_keys: np.ndarray, config: BoilerplateConfig
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Lines and sentences of a batch as (starts, sizes, keys, countable) each: a line counts
    up to ``max_words`` words, a sentence from ``min_sentence_words`` to ``max_sentence_words``."""
    n = len(tokens.hashes)
    line_starts, line_keys_, sentence_starts, sentence_keys = unit_keys(tokens, source_keys)
    line_sizes = np.diff(np.append(line_starts, n))
    sentence_sizes = np.diff(np.append(sentence_starts, n))
    return (line_starts, line_sizes, line_keys_, line_sizes <= config.max_words,
            sentence_starts, sentence_sizes, sentence_keys,
            (sentence_sizes >= config.min_sentence_words) & (sentence_sizes <= config.max_sentence_words))


def doc_line_keys(tokens: Tokens, source_keys: np.ndarray, config: BoilerplateConfig) -> tuple[np.ndarray, np.ndarray]:
    """(document within batch, unit key) for the distinct unit keys (lines and sentences) of
    each document of a batch, sorted by document."""
    l_start, _, l_key, l_use, s_start, _, s_key, s_use = _countable_units(tokens, source_keys, config)
    starts = np.concatenate([l_start[l_use], s_start[s_use]])
    docs = np.searchsorted(tokens.doc_bounds, starts, side="right") - 1
    return unique_pairs(docs, np.concatenate([l_key[l_use], s_key[s_use]]))


def line_keys(tokens: Tokens, source_keys: np.ndarray, config: BoilerplateConfig) -> np.ndarray:
    """The distinct unit keys of each document of a batch (a key once per document)."""
    return doc_line_keys(tokens, source_keys, config)[1]


def is_frequent(documents, config: BoilerplateConfig):
    """Whether a unit key held by ``documents`` documents is boilerplate: the one rule, applied to
    numpy counts (the local engine, the index) and to a Spark column of counts alike."""
    return documents >= int(config.min_docs)


def frequent_keys(batches: list[np.ndarray], config: BoilerplateConfig) -> np.ndarray:
    """Sorted unit keys that occur in at least ``min_docs`` documents (over all batches)."""
    if not batches:
        return np.zeros(0, dtype=np.uint64)
    keys, counts = np.unique(np.concatenate(batches), return_counts=True)
    return keys[is_frequent(counts, config)]


def boilerplate_mask(tokens: Tokens, source_keys: np.ndarray, frequent: np.ndarray,
                     config: BoilerplateConfig | None = None) -> np.ndarray:
    """True for words on a boilerplate line or in a templated sentence; none in a document
    where those would be more than ``max_share`` of its words (then they are its text)."""
    if len(frequent) == 0 or len(tokens.hashes) == 0:
        return np.zeros(len(tokens.hashes), dtype=bool)
    config = config or BoilerplateConfig()
    _, l_size, l_key, l_use, _, s_size, s_key, s_use = _countable_units(tokens, source_keys, config)
    mask = (np.repeat(l_use & sorted_isin(l_key, frequent), l_size)
            | np.repeat(s_use & sorted_isin(s_key, frequent), s_size))
    if config.max_share < 1:
        # A document mostly made of recurring lines is the recurring text itself: unmask it.
        sizes = np.diff(tokens.doc_bounds)
        before = np.concatenate([[0], np.cumsum(mask)])
        masked = before[tokens.doc_bounds[1:]] - before[tokens.doc_bounds[:-1]]
        mask &= np.repeat(masked <= config.max_share * sizes, sizes)
    return mask
