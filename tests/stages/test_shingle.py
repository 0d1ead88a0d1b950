"""Word n-gram shingles and whole-document fingerprints."""

from __future__ import annotations

import numpy as np
import pytest

from reprints.stages.normalise import tokenize
from reprints.stages.shingle import document_fingerprints, document_shingles, ngram_hashes


def grams(text: str, n: int = 3) -> tuple[np.ndarray, np.ndarray]:
    t = tokenize([text])
    return ngram_hashes(t.hashes, n)


def test_count_and_starts():
    starts, h = grams("one two three four five six", 3)
    assert starts.tolist() == [0, 1, 2, 3]
    assert len(h) == 4 and h.dtype == np.uint64


def test_too_few_words_give_nothing():
    starts, h = grams("one two", 3)
    assert len(starts) == 0 and len(h) == 0
    starts, h = ngram_hashes(np.zeros(0, np.uint64), 5)
    assert len(starts) == 0


def test_same_words_same_hash_anywhere_and_folded():
    _, h1 = grams("alpha beta gamma", 3)
    _, h2 = grams("Zeta eta: ALPHA, beta... Gamma!", 3)
    assert h1[0] == h2[2]


def test_order_matters():
    _, h1 = grams("alpha beta gamma", 3)
    _, h2 = grams("gamma beta alpha", 3)
    _, h3 = grams("beta alpha gamma", 3)
    assert len({int(h1[0]), int(h2[0]), int(h3[0])}) == 3


def test_invalid_words_break_ngrams():
    t = tokenize(["a b c d e f g"])
    valid = np.ones(7, bool)
    valid[3] = False  # "d" is masked: no 3-gram may contain it
    starts, _ = ngram_hashes(t.hashes, 3, valid)
    assert starts.tolist() == [0, 4]


def test_ngrams_never_cross_documents():
    t = tokenize(["a b c", "d e f g"])
    starts, _ = ngram_hashes(t.hashes, 3, token_doc=t.doc_of_token())
    assert starts.tolist() == [0, 3, 4]


def test_ngram_size_limit():
    with pytest.raises(ValueError):
        ngram_hashes(np.arange(20, dtype=np.uint64), 13)


def test_document_shingles_distinct_per_document():
    t = tokenize(["x y z x y z x y z", "x y z", "p q"])
    mask = np.zeros(len(t.hashes), bool)
    docs, h = document_shingles(t, 3, mask)
    # doc 0 has the 3 distinct 3-grams "x y z", "y z x", "z x y"; doc 1 one; doc 2 none.
    assert np.bincount(docs, minlength=3).tolist() == [3, 1, 0]
    assert len(set(zip(docs.tolist(), h.tolist()))) == len(docs)
    xyz = h[docs == 1][0]
    assert xyz in set(h[docs == 0].tolist())


def test_document_shingles_respect_mask():
    t = tokenize(["a b c d e"])
    mask = np.array([False, False, True, False, False])
    docs, h = document_shingles(t, 2, mask)
    assert len(h) == 2  # "a b" and "d e"


def test_fingerprints_equal_for_same_normalised_words():
    t = tokenize([
        "Markets closed higher.\nReuter",
        "MARKETS  closed, higher —  reuter",
        "markets closed lower reuter",
        "closed markets higher reuter",
    ])
    fp = document_fingerprints(t)
    assert fp[0] == fp[1]
    assert fp[0] != fp[2]
    assert fp[0] != fp[3]
