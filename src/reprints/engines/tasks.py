"""Per-batch work shared by every engine: plain functions over lists of texts and numpy
arrays, no pool, no DuckDB, no Spark. ``engines/local.py`` calls them from its process pool,
``engines/spark.py`` from ``mapInArrow`` / ``mapInPandas``; the logic itself lives in
``stages``.

Documents are named by their index in the collection (``int64``). Line keys and n-gram
hashes are ``uint64`` here; an engine that has no unsigned type stores their bits as int64.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pyarrow as pa

from reprints import records
from reprints.config import ScanConfig
from reprints.stages import align as align_stage
from reprints.stages import boilerplate, formula, shingle
from reprints.stages.align import DocWords
from reprints.stages.normalise import Tokens, tokenize
from reprints.stages.word_table import WordTable


def line_keys(texts: list[str], source_keys: np.ndarray, config: ScanConfig) -> np.ndarray:
    """The boilerplate unit keys of a batch, once per document (for counting documents per key)."""
    return boilerplate.line_keys(tokenize(texts), source_keys, config.boilerplate)


def doc_line_keys(texts: list[str], source_keys: np.ndarray, config: ScanConfig) -> tuple[np.ndarray, np.ndarray]:
    """(document within batch, unit key) for every distinct key of every document: the same
    keys as `line_keys`, with their documents, for engines that join instead of broadcasting."""
    docs, keys = boilerplate.doc_line_keys(tokenize(texts), source_keys, config.boilerplate)
    return docs.astype(np.int64), keys.astype(np.uint64)


def masked_tokens(texts: list[str], source_keys: np.ndarray, frequent: np.ndarray, config: ScanConfig
                  ) -> tuple[Tokens, np.ndarray]:
    """The words of a batch and their boilerplate mask. ``frequent``: sorted boilerplate line
    keys; any sorted set that holds every frequent key found in these documents gives the
    same result."""
    tokens = tokenize(texts)
    return tokens, boilerplate.boilerplate_mask(tokens, source_keys, frequent, config.boilerplate)


def shingles(texts: list[str], source_keys: np.ndarray, frequent: np.ndarray, config: ScanConfig
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(document within batch, n-gram hash) of each distinct shingle, and per document its
    fingerprint, word count and shingle count (``frequent`` as for `masked_tokens`)."""
    tokens, mask = masked_tokens(texts, source_keys, frequent, config)
    docs, grams = shingle.document_shingles(tokens, config.shingle.ngram, mask)
    n_grams = np.bincount(docs, minlength=len(texts))
    return docs, grams, shingle.document_fingerprints(tokens), np.diff(tokens.doc_bounds), n_grams


def word_table(texts: list[str], source_keys: np.ndarray, frequent: np.ndarray, config: ScanConfig) -> WordTable:
    """The words of a batch prepared for alignment (``frequent`` as for `masked_tokens`)."""
    return WordTable.build(*masked_tokens(texts, source_keys, frequent, config), config.align)


_NUMPY = {pa.int64(): np.int64, pa.float64(): np.float64}
PASSAGE_COLUMNS = tuple(records.ALIGNED_PASSAGES.names)


def passage_columns(rows: list[tuple]) -> dict[str, np.ndarray]:
    """Passage tuples (as `align_pairs` returns them) as typed column arrays."""
    columns = list(zip(*rows)) or [()] * len(PASSAGE_COLUMNS)
    return {f.name: np.array(col, dtype=_NUMPY.get(f.type, object))
            for f, col in zip(records.ALIGNED_PASSAGES, columns)}


def align_pairs(pair_a: np.ndarray, pair_b: np.ndarray, exact: np.ndarray, docs: np.ndarray,
                texts: list[str], source_keys: np.ndarray, frequent: np.ndarray, config: ScanConfig,
                prone: np.ndarray | None = None) -> list[tuple]:
    """`align_words` for pairs of the documents ``docs`` (distinct), given their
    ``texts`` and ``source_keys`` (``frequent`` as for `masked_tokens`)."""
    table = word_table(texts, source_keys, frequent, config)
    index = {d: k for k, d in enumerate(docs.tolist())}
    return align_words(pair_a, pair_b, exact, {d: table.doc(k) for d, k in index.items()},
                       {d: texts[k] for d, k in index.items()}, config, prone)


def align_words(pair_a: np.ndarray, pair_b: np.ndarray, exact: np.ndarray, words: Mapping[int, DocWords],
                texts: Mapping[int, str] | Sequence[str], config: ScanConfig,
                prone: np.ndarray | None = None) -> list[tuple]:
    """Passages of candidate pairs, one tuple per passage in ``PASSAGE_COLUMNS`` order;
    ``words`` and ``texts`` give each document of the pairs.

    Exact duplicate pairs get one whole-document passage; the others are aligned as a scan
    does, and lose their passages where those show a filled-in template
    (`formula.align_unless_formula`; ``prone``: `formula.formula_prone` of each pair).
    """
    if prone is None:
        prone = np.zeros(len(pair_a), dtype=bool)
    rows = []
    for a, b, is_exact, is_prone in zip(pair_a.tolist(), pair_b.tolist(), exact.tolist(), prone.tolist()):
        if is_exact:
            match = align_stage.whole_document_match(words[a], words[b])
            matches = [match] if match else []
        else:
            matches = formula.align_unless_formula(words[a], words[b], texts[a], texts[b], is_prone, config)
        rows.extend((a, b, m.a_begin, m.a_end, m.b_begin, m.b_end, m.matched_words,
                     m.similarity, m.kind) for m in matches)
    return rows
