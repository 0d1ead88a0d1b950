"""Per-batch work shared by every engine: plain functions over lists of texts and numpy
arrays, no pool, no DuckDB, no Spark. ``engines/local.py`` calls them from its process pool,
``engines/spark.py`` from ``mapInArrow`` / ``mapInPandas``; the logic itself lives in
``stages``.

Documents are named by their index in the collection (``int64``). Line keys and n-gram
hashes are ``uint64`` here; an engine that has no unsigned type stores their bits as int64.
"""

from __future__ import annotations

import numpy as np

from reprints.config import ScanConfig
from reprints.stages import align as align_stage
from reprints.stages import boilerplate, formula, shingle
from reprints.stages.normalise import Tokens, tokenize


def line_keys(texts: list[str], source_keys: np.ndarray, config: ScanConfig) -> np.ndarray:
    """The boilerplate unit keys of a batch, once per document (for counting documents per key)."""
    return boilerplate.line_keys(tokenize(texts), source_keys, config.boilerplate)


def doc_line_keys(texts: list[str], source_keys: np.ndarray, config: ScanConfig) -> tuple[np.ndarray, np.ndarray]:
    """(document within batch, unit key) for every distinct key of every document: the same
    keys as `line_keys`, with their documents, for engines that join instead of broadcasting."""
    docs, keys = boilerplate.doc_line_keys(tokenize(texts), source_keys, config.boilerplate)
    return docs.astype(np.int64), keys.astype(np.uint64)


def shingles(texts: list[str], source_keys: np.ndarray, frequent: np.ndarray, config: ScanConfig
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(document within batch, n-gram hash) of each distinct shingle, and per document its
    fingerprint, word count and shingle count.

    ``frequent``: sorted boilerplate line keys; any sorted set that holds every frequent key
    found in these documents gives the same result.
    """
    tokens = tokenize(texts)
    mask = boilerplate.boilerplate_mask(tokens, source_keys, frequent, config.boilerplate)
    docs, grams = shingle.document_shingles(tokens, config.shingle.ngram, mask)
    n_grams = np.bincount(docs, minlength=len(texts))
    return docs, grams, shingle.document_fingerprints(tokens), np.diff(tokens.doc_bounds), n_grams


PASSAGE_COLUMNS = ("a", "b", "begin_a", "end_a", "begin_b", "end_b", "matched", "similarity", "kind")


def passage_columns(rows: list[tuple]) -> dict[str, np.ndarray]:
    """Passage tuples (as `align_pairs` returns them) as typed column arrays."""
    names = PASSAGE_COLUMNS
    if not rows:
        return {k: np.zeros(0, dtype=object if k == "kind" else np.float64 if k == "similarity" else np.int64)
                for k in names}
    columns = list(zip(*rows))
    out = {k: np.array(col, dtype=np.int64) for k, col in zip(names[:7], columns[:7])}
    out["similarity"] = np.array(columns[7], dtype=np.float64)
    out["kind"] = np.array(columns[8], dtype=object)
    return out


def align_pairs(pair_a: np.ndarray, pair_b: np.ndarray, exact: np.ndarray, docs: np.ndarray,
                texts: list[str], source_keys: np.ndarray, frequent: np.ndarray, config: ScanConfig,
                prone: np.ndarray | None = None) -> list[tuple]:
    """Passages of candidate pairs, one tuple per passage in ``PASSAGE_COLUMNS`` order.

    ``docs``: the sorted distinct document indices of the pairs, ``texts`` and
    ``source_keys`` theirs; ``frequent`` as for `shingles`. Exact duplicate pairs get one
    whole-document passage; the others are aligned as a scan does, and those ``prone`` to be
    formula text (`formula.formula_prone`) lose their passages if their words show it.
    """
    tokens: Tokens = tokenize(texts)
    mask = boilerplate.boilerplate_mask(tokens, source_keys, frequent, config.boilerplate)
    align = config.align
    grams, gram_pos, gram_bounds = align_stage.seed_grams(tokens.hashes, mask, align.seed_ngram,
                                                          align.max_seed_repeats, tokens.doc_bounds)
    first, last, first_bounds, sent, stems, pair_bounds = align_stage.sentence_stems(
        tokens.stems, tokens.sentence_end, mask, tokens.doc_bounds)
    cache: dict[int, align_stage.DocWords] = {}

    def words(d: int) -> align_stage.DocWords:
        if d not in cache:
            k = int(np.searchsorted(docs, d))
            lo, hi = tokens.doc_bounds[k], tokens.doc_bounds[k + 1]
            cache[d] = w = align_stage.DocWords(tokens.hashes[lo:hi], tokens.begins[lo:hi], tokens.ends[lo:hi],
                                                mask[lo:hi], tokens.stems[lo:hi], tokens.sentence_end[lo:hi])
            g0, g1 = gram_bounds[k], gram_bounds[k + 1]
            w.set_seed_grams(align.seed_ngram, align.max_seed_repeats, grams[g0:g1], gram_pos[g0:g1])
            s0, s1, p0, p1 = first_bounds[k], first_bounds[k + 1], pair_bounds[k], pair_bounds[k + 1]
            w.set_sentence_stems(first[s0:s1], last[s0:s1], sent[p0:p1], stems[p0:p1])
        return cache[d]

    def text(d: int) -> str:
        return texts[int(np.searchsorted(docs, d))]

    if prone is None:
        prone = np.zeros(len(pair_a), dtype=bool)
    rows = []
    for a, b, is_exact, is_prone in zip(pair_a.tolist(), pair_b.tolist(), exact.tolist(), prone.tolist()):
        if is_exact:
            match = align_stage.whole_document_match(words(a), words(b))
            matches = [match] if match else []
        else:
            matches = formula.align_unless_formula(words(a), words(b), text(a), text(b), is_prone, config)
        rows.extend((a, b, m.a_begin, m.a_end, m.b_begin, m.b_end, m.matched_words,
                     m.similarity, m.kind) for m in matches)
    return rows
