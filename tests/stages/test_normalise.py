"""Tokeniser: word spans in code points of the text as given, and folded word hashes."""

from __future__ import annotations

import numpy as np
import pytest

from reprints.stages.normalise import sequence_hash, string_key, tokenize


def words(text: str) -> list[str]:
    t = tokenize([text])
    return [text[b:e] for b, e in zip(t.begins.tolist(), t.ends.tolist())]


def word_hash(word: str) -> int:
    t = tokenize([word])
    assert len(t.hashes) == 1, f"{word!r} is not one word: {words(word)}"
    return int(t.hashes[0])


def test_ascii_word_offsets():
    t = tokenize(["Hello, world! It's 2024."])
    assert t.begins.tolist() == [0, 7, 14, 17, 19]
    assert t.ends.tolist() == [5, 12, 16, 18, 23]
    assert t.doc_bounds.tolist() == [0, 5]


def test_non_ascii_offsets_are_code_points():
    text = "Ça coûte 5 €, señor Müller — naïve façade"
    assert words(text) == ["Ça", "coûte", "5", "señor", "Müller", "naïve", "façade"]
    t = tokenize([text])
    # "Müller" starts at code point 20 (the UTF-8 byte offset would be larger).
    assert text.index("Müller") == 20
    assert 20 in t.begins.tolist()


def test_emoji_and_astral_code_points():
    # 😀 (U+1F600) is a symbol and separates words; 𝔘 (U+1D518) is an astral letter.
    text = "I 😀 love 𝔘nicode a😀b 😀😀 end"
    assert words(text) == ["I", "love", "𝔘nicode", "a", "b", "end"]
    t = tokenize([text])
    assert t.begins.tolist()[-1] == text.index("end")
    assert t.ends.tolist()[-1] == len(text)


def test_combining_marks_stay_inside_words():
    text = "cafe\u0301 au lait, re\u0301sume\u0301"
    assert words(text) == ["cafe\u0301", "au", "lait", "re\u0301sume\u0301"]


def test_case_and_accent_folding():
    assert word_hash("Été") == word_hash("ete") == word_hash("ÉTÉ") == word_hash("été")
    assert word_hash("Zürich") == word_hash("zurich")
    assert word_hash("Señor") == word_hash("senor")
    assert word_hash("ete") != word_hash("eta")


def test_decomposed_accents_fold_like_composed_ones():
    """NFD text (a base letter followed by a combining accent) must hash like the composed
    form and the unaccented word: the docstring promises diacritics are stripped, but a
    combining mark is folded to 'ignore' while still taking a position in the hash."""
    assert word_hash("E\u0301te\u0301") == word_hash("Été")
    assert word_hash("e\u0301te\u0301") == word_hash("ete")


def test_distinct_words_have_distinct_hashes():
    vocab = ["the", "then", "than", "they", "them", "he", "she", "reuter", "reuters", "a", "b", "ab", "ba"]
    hashes = [word_hash(w) for w in vocab]
    assert len(set(hashes)) == len(vocab)


def test_batch_offsets_are_per_document():
    texts = ["alpha beta", "", "gamma", "δέλτα epsilon"]
    t = tokenize(texts)
    assert t.doc_bounds.tolist() == [0, 2, 2, 3, 5]
    for d, text in enumerate(texts):
        lo, hi = t.doc_bounds[d], t.doc_bounds[d + 1]
        got = [text[b:e] for b, e in zip(t.begins[lo:hi].tolist(), t.ends[lo:hi].tolist())]
        assert got == text.split()
    # The same word hashes the same in any document and any position.
    alone = tokenize(["gamma"]).hashes[0]
    assert t.hashes[2] == alone


def test_lines_end_at_newlines_and_documents():
    t = tokenize(["ab\ncd ef\r\ngh", "x y"])
    # Lines are numbered across the batch; a document boundary also ends a line.
    assert t.line.tolist() == [0, 1, 1, 2, 3, 3]


def test_empty_inputs():
    t = tokenize([])
    assert len(t.hashes) == 0 and t.doc_bounds.tolist() == [0]
    t = tokenize(["", "  ,.  ", "—"])
    assert len(t.hashes) == 0 and t.doc_bounds.tolist() == [0, 0, 0, 0]


def test_sequence_hash_is_order_sensitive_and_folded():
    a = tokenize(["Red fox, quick!", "red FOX quick", "quick fox red"])
    h = sequence_hash(a.hashes, a.doc_bounds)
    assert h[0] == h[1]
    assert h[0] != h[2]


def test_string_key_is_stable_and_63_bit():
    assert string_key("Northwire") == string_key("Northwire")
    assert string_key("Northwire") != string_key("Harbor Daily")
    assert string_key(None) == string_key("")
    assert 0 <= string_key("x") < 2**63


@pytest.mark.parametrize("text", ["x" * 70000, "é" * 70000 + " end"])
def test_long_words_and_long_texts(text):
    t = tokenize([text])
    assert t.begins[0] == 0
    assert np.all(t.ends <= len(text))


def test_line_end_hyphenation_joins_a_word():
    """OCR'd and typeset text breaks words at line ends: "faci-\\nliter" is the word "faciliter",
    its span the characters as given; a hyphen inside a line ("well-known") still separates."""
    text = "pour faci-\nliter la visite, well-known et x-\r\ny fin-\n"
    assert words(text) == ["pour", "faci-\nliter", "la", "visite", "well", "known", "et", "x-\r\ny", "fin"]
    assert word_hash("faci-\nliter") == word_hash("faciliter") == word_hash("facili-\nter")
    t = tokenize([text])
    assert t.line.tolist()[:3] == [0, 0, 1]  # the word's line is where it starts; the next word is on line 1
