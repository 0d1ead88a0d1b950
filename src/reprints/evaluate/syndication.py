"""Syndication at scale, generated: one story carried by N outlets, and how a scan sees it.

`carriers` builds N edited copies of a story, as agencies' clients print it: each drops a
sentence and changes a few words, and wraps the story in the outlet's own intro and outro;
carrier k is dated k hours after the first. `copy_tree` builds copies of copies: each copy
takes the text of an earlier copy (its parent) with all the edits that copy had, and adds its
own, so "who took it from whom" has a known answer. `score` reads a scan's clusters against
either: carriers recalled in the story's cluster, clusters the story falls into, whether the
origin is the earliest carrier, and the share of copies whose recorded source is their parent.

Used by the tests (`tests/test_syndication.py`) and `benchmarks/bench_syndication.py`.
"""

from __future__ import annotations

import datetime
import random
import re
from dataclasses import dataclass, field

import pyarrow as pa

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"\S+")


@dataclass
class Carrier:
    """One generated document: its text, where the story's body lies in it, and its parent
    (the copy it was taken from; None for the first)."""

    doc_id: str
    text: str
    source: str
    date: str
    body_begin: int
    body_end: int
    parent: str | None = None
    edits: list[str] = field(default_factory=list)

    def row(self) -> dict:
        return {"id": self.doc_id, "text": self.text, "source": self.source, "date": self.date}


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(" ".join(text.split())) if s]


def _filler(vocabulary: list[str], words: int, rng: random.Random) -> str:
    """An outlet's own words (intro or outro): ``words`` words drawn from ``vocabulary``, in
    sentences of 8 to 15 words; a draw shares no run of words with the story or another draw."""
    out, sentence = [], []
    for _ in range(words):
        sentence.append(rng.choice(vocabulary))
        if len(sentence) >= rng.randint(8, 15):
            out.append(" ".join(sentence).capitalize() + ".")
            sentence = []
    if sentence:
        out.append(" ".join(sentence).capitalize() + ".")
    return " ".join(out)


def edit(body: list[str], vocabulary: list[str], rng: random.Random, drop: bool, changes: int) -> tuple[list[str], list[str]]:
    """``body`` (sentences) with one sentence dropped (if ``drop`` and more than three are left)
    and ``changes`` words replaced by words of ``vocabulary``; and what was done."""
    body = list(body)
    done = []
    if drop and len(body) > 3:
        k = rng.randrange(1, len(body))  # the lead stays: it is what every client keeps
        done.append(f"dropped sentence {k}")
        del body[k]
    for _ in range(changes):
        k = rng.randrange(len(body))
        words = body[k].split(" ")
        w = rng.randrange(len(words))
        new = rng.choice(vocabulary)
        done.append(f"'{words[w]}' -> '{new}'")
        words[w] = new
        body[k] = " ".join(words)
    return body, done


def _wrap(doc_id: str, outlet: str, date: datetime.datetime, body: list[str], vocabulary: list[str],
          rng: random.Random, intro: int, outro: int, parent: str | None, edits: list[str]) -> Carrier:
    head = _filler(vocabulary, intro, rng) + "\n\n" if intro else ""
    story = " ".join(body)
    tail = "\n\n" + _filler(vocabulary, outro, rng) if outro else ""
    return Carrier(doc_id, head + story + tail, outlet, date.isoformat(), len(head), len(head) + len(story),
                   parent, edits)


def carriers(story: str, n: int, vocabulary: list[str], seed: int = 0, intro: int = 60, outro: int = 80,
             changes: int = 3, start: datetime.datetime = datetime.datetime(2024, 3, 4, 6)) -> list[Carrier]:
    """``n`` outlets carrying ``story``, each copy edited on its own (a sentence dropped,
    ``changes`` words changed) and wrapped in ``intro`` + ``outro`` words of its own; carrier k
    is dated k hours after ``start`` and comes from outlet ``outlet-k``. Returned in a shuffled
    order (input order is not date order)."""
    rng = random.Random(seed)
    base = sentences(story)
    out = []
    for k in range(n):
        body, done = edit(base, vocabulary, rng, drop=True, changes=changes)
        out.append(_wrap(f"carrier-{k:05d}", f"outlet-{k:05d}", start + datetime.timedelta(hours=k), body,
                         vocabulary, rng, intro, outro, None, done))
    rng.shuffle(out)
    return out


def copy_tree(story: str, n: int, vocabulary: list[str], seed: int = 0, intro: int = 60, outro: int = 80,
              changes: int = 3, drop_share: float = 0.3,
              start: datetime.datetime = datetime.datetime(2024, 3, 4, 6)) -> list[Carrier]:
    """``n`` copies of ``story`` in a tree: copy 0 is the story as first printed; copy k (dated
    k hours later) takes the body of a random earlier copy, its parent, with all its edits, and
    adds its own (``changes`` words; a sentence dropped with probability ``drop_share``).
    Returned in a shuffled order."""
    rng = random.Random(seed)
    bodies = [sentences(story)]
    out = [_wrap("copy-00000", "outlet-00000", start, bodies[0], vocabulary, rng, intro, outro, None, [])]
    for k in range(1, n):
        p = rng.randrange(k)
        body, done = edit(bodies[p], vocabulary, rng, drop=rng.random() < drop_share, changes=changes)
        bodies.append(body)
        out.append(_wrap(f"copy-{k:05d}", f"outlet-{k:05d}", start + datetime.timedelta(hours=k), body,
                         vocabulary, rng, intro, outro, out[p].doc_id, done))
    rng.shuffle(out)
    return out


def score(clusters: pa.Table, generated: list[Carrier]) -> dict:
    """How a scan's ``clusters`` table sees the ``generated`` carriers.

    A carrier is in a cluster when a member span of it there overlaps its story body. The
    story's cluster is the one holding most carriers. Returns: ``carriers``, ``recalled``
    (carriers in the story's cluster), ``recall``, ``clusters`` (distinct clusters holding a
    carrier), ``origin_right`` (the story cluster's origin is the earliest carrier),
    ``members`` (rows of the story cluster: a carrier's span may come in pieces),
    ``other_documents`` (documents in the story cluster that are no carriers), and, where the
    carriers have parents, ``lineage_accuracy``: the share of copies with a parent whose
    member row names it as ``source_doc_id``.
    """
    by_id = {c.doc_id: c for c in generated}
    rows = [r for r in clusters.to_pylist() if r["doc_id"] in by_id]
    rows = [r for r in rows if r["begin"] < by_id[r["doc_id"]].body_end and r["end"] > by_id[r["doc_id"]].body_begin]
    holding: dict[int, set[str]] = {}
    for r in rows:
        holding.setdefault(r["cluster_id"], set()).add(r["doc_id"])
    earliest = min(generated, key=lambda c: c.date).doc_id
    result = {"carriers": len(generated), "recalled": 0, "recall": 0.0, "clusters": len(holding),
              "origin_right": False, "members": 0}
    if holding:
        story = max(holding, key=lambda c: (len(holding[c]), -c))
        members = [r for r in clusters.to_pylist() if r["cluster_id"] == story]
        result.update(recalled=len(holding[story]), recall=round(len(holding[story]) / len(generated), 4),
                      origin_right=members[0]["origin_doc_id"] == earliest, members=len(members),
                      other_documents=len({r["doc_id"] for r in members} - set(by_id)))
    copies = [c for c in generated if c.parent is not None]
    if copies:
        source_of = {}
        for r in rows:
            if "source_doc_id" in r:
                source_of.setdefault(r["doc_id"], r["source_doc_id"])
        right = sum(1 for c in copies if source_of.get(c.doc_id) == c.parent)
        result["lineage_accuracy"] = round(right / len(copies), 4)
        result["lineage_right"] = right
        result["copies"] = len(copies)
    return result
