"""Shared fixtures: a small hand-written reprint corpus and the offset checker.

The corpus (all text written for these tests, every name invented):

- ``valley-post``  (2024-05-01): the original article, with the shared passage in the middle.
- ``hill-gazette`` (2024-05-02): a verbatim reprint of the passage inside different text,
  with non-ASCII (accents, curly quotes, an emoji) before it so that code-point offsets and
  UTF-8 byte offsets differ.
- ``river-herald`` (2024-05-03): an edited reprint: a few words of the passage changed.
- ``garden-notes`` (2024-05-02): unrelated.

The shared passage is two paragraphs, so it contains a paragraph break; readers that keep
CRLF line endings must still give offsets into the text as stored.
"""

from __future__ import annotations

import random
import unicodedata
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
WIRE = REPO / "examples" / "wire"

PASSAGE_1 = (
    "The regional water board confirmed on Tuesday that the old reservoir above Kessling "
    "will be drained over the summer so that engineers can inspect the cracked spillway "
    "that was first reported by a hiker from Zürich in early March."
)
PASSAGE_2 = (
    "Residents of the valley have been told that their supplies will not be interrupted, "
    "although the pressure may drop in hillside streets during the first weeks of the work, "
    "board director Hélène Müller said at a crowded meeting in the town hall."
)
PASSAGE_2_EDITED = (
    "Residents of the valley were told that their supplies would not be interrupted, "
    "although the pressure might drop in hillside streets during the opening weeks of the work, "
    "board director Hélène Müller told a crowded meeting at the town hall."
)
PASSAGE_1_EDITED = (
    "The regional water board said on Tuesday that the old reservoir above Kessling "
    "will be emptied over the summer so that engineers can examine the cracked spillway "
    "that was first reported by a walker from Zürich in early March."
)

VALLEY_POST = (
    "Anglers who fish the upper lakes will have to find new spots this year.\n\n"
    "Members of the Kessling angling club learned of the plan at their spring gathering, "
    "where the mood was described by one veteran as gloomy but resigned.\n\n"
    + PASSAGE_1 + "\n\n" + PASSAGE_2 + "\n\n"
    "The club's secretary expects membership fees to be refunded for the season. "
    "He added that several younger members intend to travel north to the mountain "
    "streams instead, where permits remain cheap and trout are plentiful."
)

HILL_GAZETTE = (
    "Café owners on the “Rue Élise” terrace say they are worried 😟 about the summer trade.\n\n"
    "Zoë Fairbanks, who runs the Crème Brûlée kiosk beside the old bandstand, said "
    "tourists usually arrive in June to walk along the dam — and spend freely afterwards.\n\n"
    + PASSAGE_1 + "\n\n" + PASSAGE_2 + "\n\n"
    "Shopkeepers plan a petition asking the council for reduced rents until autumn, "
    "and a crafts market on Saturdays is being discussed to keep visitors coming."
)

RIVER_HERALD = (
    "Farmers downstream asked for guarantees about irrigation before the July harvest.\n\n"
    + PASSAGE_1_EDITED + "\n\n" + PASSAGE_2_EDITED + "\n\n"
    "An agricultural cooperative spokesperson noted that orchards depend on steady "
    "flows, particularly apricot growers near Brennfeld, whose trees suffered badly "
    "during the drought three years ago and have only recently recovered."
)

GARDEN_NOTES = (
    "Tomato seedlings should be hardened off gradually before planting out.\n\n"
    "Place the trays outdoors for a few hours on mild afternoons, bringing them back "
    "inside each evening. After roughly ten days, leave them out overnight unless frost "
    "is forecast. Water sparingly at first, because cold soil and wet roots invite rot.\n\n"
    "Marigolds sown between the rows deter whitefly, and a mulch of straw keeps the "
    "fruit clean once the trusses begin to swell. Pinch out side shoots weekly; feed "
    "with a potash-rich liquid when the first flowers open, and harvest as soon as the "
    "colour deepens to protect the crop from hungry blackbirds."
)

ARTICLES = [
    {"id": "valley-post", "source": "Valley Post", "date": "2024-05-01", "text": VALLEY_POST},
    {"id": "hill-gazette", "source": "Hill Gazette", "date": "2024-05-02", "text": HILL_GAZETTE},
    {"id": "river-herald", "source": "River Herald", "date": "2024-05-03", "text": RIVER_HERALD},
    {"id": "garden-notes", "source": "Garden Notes", "date": "2024-05-02", "text": GARDEN_NOTES},
]

REPRINT_PAIRS = {
    frozenset(("valley-post", "hill-gazette")),
    frozenset(("valley-post", "river-herald")),
    frozenset(("hill-gazette", "river-herald")),
}


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or unicodedata.category(ch)[0] == "M"


def check_offsets(result, texts_by_id: dict[str, str], sample: int | None = None, seed: int = 0) -> int:
    """Every passage's text is the original text at its offsets; every cluster span lies inside
    its document; returns the number of passages checked."""
    passages = result.passages.to_pylist()
    if sample is not None and len(passages) > sample:
        passages = random.Random(seed).sample(passages, sample)
    for row in passages:
        for side in ("a", "b"):
            doc = row[f"doc_{side}"]
            assert doc in texts_by_id, f"passage {row['passage_id']} names unknown document {doc!r}"
            text = texts_by_id[doc]
            begin, end = row[f"begin_{side}"], row[f"end_{side}"]
            assert 0 <= begin < end <= len(text), (
                f"passage {row['passage_id']}: span {begin}:{end} of {doc!r} is outside 0:{len(text)}")
            assert row[f"text_{side}"] == text[begin:end], (
                f"passage {row['passage_id']}: text_{side} is not {doc!r}[{begin}:{end}]")
            # Spans begin and end on words (a passage is a run of whole words).
            assert _is_word_char(text[begin]) and _is_word_char(text[end - 1]), (
                f"passage {row['passage_id']}: {doc!r}[{begin}:{end}] does not start and end on a word: "
                f"{text[begin:end][:40]!r}…{text[begin:end][-40:]!r}")
        assert row["doc_a"] != row["doc_b"]
    for row in result.clusters.to_pylist():
        text = texts_by_id[row["doc_id"]]
        assert 0 <= row["begin"] < row["end"] <= len(text), (
            f"cluster {row['cluster_id']}: span {row['begin']}:{row['end']} of {row['doc_id']!r} "
            f"is outside 0:{len(text)}")
    # The documents table reports each document's length in code points of the text as given.
    docs = result.documents.filter(result.documents.column("skip_reason").is_null()).to_pylist()
    for row in docs:
        if row["doc_id"] in texts_by_id:
            assert row["length"] == len(texts_by_id[row["doc_id"]]), row["doc_id"]
    return len(passages)


@pytest.fixture
def assert_offsets():
    """``assert_offsets(result, texts_by_id, sample=None)``: the offset contract of every table."""
    return check_offsets


@pytest.fixture
def articles() -> list[dict]:
    return [dict(a) for a in ARTICLES]


@pytest.fixture
def article_texts() -> dict[str, str]:
    return {a["id"]: a["text"] for a in ARTICLES}


@pytest.fixture
def reprint_pairs() -> set[frozenset]:
    return set(REPRINT_PAIRS)


def pair_set(result) -> set[frozenset]:
    return {frozenset(p) for p in zip(result.pairs.column("doc_a").to_pylist(),
                                      result.pairs.column("doc_b").to_pylist())}


def passage_pair_set(result) -> set[frozenset]:
    return {frozenset(p) for p in zip(result.passages.column("doc_a").to_pylist(),
                                      result.passages.column("doc_b").to_pylist())}


@pytest.fixture
def pairs_of():
    return pair_set


@pytest.fixture
def passage_pairs_of():
    return passage_pair_set
