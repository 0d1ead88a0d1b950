"""The words of a batch of documents as the aligner needs them, prepared once per document.

Aligning a pair needs each document's word hashes, spans and number flags, its boilerplate mask, its seed
n-grams (`align.seed_grams`) and its sentence stems (`align.sentence_stems`). Worked out
for a whole batch at once they are flat arrays split by per-document bounds: a `WordTable`.
A document aligned against many others is prepared once; the local engine writes the tables
to disk (one file per table) and its workers map them back, so no document is tokenised twice
for alignment.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from reprints.config import AlignConfig
from reprints.stages import align
from reprints.stages.normalise import Tokens

# Arrays of a table: per word, per seed n-gram, per sentence, per (sentence, stem); each kind
# split into documents by its bounds array.
_WORDS = ("hashes", "begins", "ends", "masked", "stems", "sentence_end", "numeric")
_GRAMS = ("grams", "gram_pos")
_SENTENCES = ("first", "last")
_STEMS = ("sent", "sent_stems")
_BOUNDS = ("word_bounds", "gram_bounds", "sentence_bounds", "stem_bounds")
FIELDS = _WORDS + _GRAMS + _SENTENCES + _STEMS + _BOUNDS


class WordTable:
    """Prepared words of documents 0..n-1 of a batch (`build`); `doc` cuts out one."""

    def __init__(self, arrays: dict[str, np.ndarray], seed_ngram: int, max_seed_repeats: int):
        self.arrays = arrays
        self.seed_key = (seed_ngram, max_seed_repeats)

    @classmethod
    def build(cls, tokens: Tokens, masked: np.ndarray, config: AlignConfig) -> "WordTable":
        n, repeats = config.seed_ngram, config.max_seed_repeats
        grams, gram_pos, gram_bounds = align.seed_grams(tokens.hashes, masked, n, repeats, tokens.doc_bounds)
        first, last, sentence_bounds, sent, stems, stem_bounds = align.sentence_stems(
            tokens.stems, tokens.sentence_end, masked, tokens.doc_bounds)
        arrays = {"hashes": tokens.hashes, "begins": tokens.begins, "ends": tokens.ends, "masked": masked,
                  "stems": tokens.stems, "sentence_end": tokens.sentence_end, "numeric": tokens.numeric,
                  "grams": grams, "gram_pos": gram_pos,
                  "first": first, "last": last, "sent": sent, "sent_stems": stems,
                  "word_bounds": tokens.doc_bounds, "gram_bounds": gram_bounds,
                  "sentence_bounds": sentence_bounds, "stem_bounds": stem_bounds}
        return cls({k: np.ascontiguousarray(arrays[k]) for k in FIELDS}, n, repeats)

    def __len__(self) -> int:
        return len(self.arrays["word_bounds"]) - 1

    def doc(self, k: int) -> align.DocWords:
        """The words of document ``k`` of the batch, seed n-grams and sentence stems included."""
        t = self.arrays
        w0, w1 = t["word_bounds"][k], t["word_bounds"][k + 1]
        words = align.DocWords(*(t[f][w0:w1] for f in _WORDS))
        g0, g1 = t["gram_bounds"][k], t["gram_bounds"][k + 1]
        words.set_seed_grams(*self.seed_key, t["grams"][g0:g1], t["gram_pos"][g0:g1])
        s0, s1 = t["sentence_bounds"][k], t["sentence_bounds"][k + 1]
        p0, p1 = t["stem_bounds"][k], t["stem_bounds"][k + 1]
        words.set_sentence_stems(t["first"][s0:s1], t["last"][s0:s1], t["sent"][p0:p1], t["sent_stems"][p0:p1])
        return words

    def save(self, path: Path) -> None:
        """Write the table to one file (its arrays back to back, 8-byte aligned, after a JSON
        header line saying where each one lies): mapped back, it costs one file descriptor."""
        layout, offset = [], 0
        for name in FIELDS:
            values = self.arrays[name]
            layout.append([name, values.dtype.str, offset, len(values)])
            offset += -(-values.nbytes // 8) * 8
        header = json.dumps({"seed_key": list(self.seed_key), "arrays": layout}).encode()
        start = -(-(len(header) + 1) // 8) * 8
        with open(path, "wb") as fh:
            fh.write(header.ljust(start - 1) + b"\n")
            for name, _, at, _ in layout:
                fh.seek(start + at)
                fh.write(self.arrays[name].tobytes())
            fh.truncate(start + offset)

    @classmethod
    def load(cls, path: Path) -> "WordTable":
        """A saved table, its arrays mapped from the file (read as documents are cut out)."""
        with open(path, "rb") as fh:
            header = fh.readline()
        meta = json.loads(header)
        data = np.memmap(path, dtype=np.uint8, mode="r")
        arrays = {}
        for name, dtype, at, count in meta["arrays"]:
            begin = len(header) + at
            arrays[name] = np.asarray(data[begin: begin + count * np.dtype(dtype).itemsize]).view(dtype)
        return cls(arrays, *meta["seed_key"])
