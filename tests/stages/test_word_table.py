"""Words prepared once per document (`WordTable`) are the words each document has alone."""

from __future__ import annotations

import numpy as np

from reprints.config import AlignConfig
from reprints.stages import align
from reprints.stages.normalise import tokenize
from reprints.stages.word_table import WordTable

TEXTS = [
    "Leaders of Russia, Turkey and Iran met on Friday. They discussed the war in Syria!\n\nMore talks follow on 12 May.",
    "",
    "Short one.",
    "Leaders of Russia, Turkey and Iran met on Friday; a ceasefire was not agreed. Talks, talks, talks, talks, "
    "talks, talks.",
]


def _masks(tokens) -> np.ndarray:
    mask = np.zeros(len(tokens.hashes), dtype=bool)
    mask[::7] = True  # any mask: the table must carry it through
    return mask


def _same(x: align.DocWords, y: align.DocWords, config: AlignConfig) -> None:
    for field in ("hashes", "begins", "ends", "masked", "stems", "sentence_end", "numeric"):
        assert np.array_equal(getattr(x, field), getattr(y, field)), field
    for got, want in zip(x.seed_grams(config.seed_ngram, config.max_seed_repeats),
                         y.seed_grams(config.seed_ngram, config.max_seed_repeats)):
        assert np.array_equal(got, want)
    for got, want in zip(x.sentence_stems(), y.sentence_stems()):
        assert np.array_equal(got, want)


def test_table_documents_equal_documents_prepared_alone(tmp_path):
    config = AlignConfig()
    tokens = tokenize(TEXTS)
    mask = _masks(tokens)
    table = WordTable.build(tokens, mask, config)
    table.save(tmp_path / "part")
    loaded = WordTable.load(tmp_path / "part")
    assert len(table) == len(loaded) == len(TEXTS)
    for k in range(len(TEXTS)):
        lo, hi = tokens.doc_bounds[k], tokens.doc_bounds[k + 1]
        alone = align.DocWords(tokens.hashes[lo:hi], tokens.begins[lo:hi], tokens.ends[lo:hi], mask[lo:hi],
                               tokens.stems[lo:hi], tokens.sentence_end[lo:hi], tokens.numeric[lo:hi])
        _same(table.doc(k), alone, config)
        _same(loaded.doc(k), alone, config)


def test_passages_from_a_loaded_table_equal_direct_alignment(tmp_path):
    config = AlignConfig(min_words=5)
    tokens = tokenize(TEXTS)
    WordTable.build(tokens, np.zeros(len(tokens.hashes), dtype=bool), config).save(tmp_path / "p")
    loaded = WordTable.load(tmp_path / "p")
    got = align.align_related(loaded.doc(0), loaded.doc(3), config)
    want = align.align_texts(TEXTS[0], TEXTS[3], config)
    assert got and [(p.a_begin, p.a_end, p.b_begin, p.b_end) for p in got] == \
        [(p.a_begin, p.a_end, p.b_begin, p.b_end) for p in want]
