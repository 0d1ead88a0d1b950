#!/usr/bin/env python
"""A deduplication corpus of any size (1,000,000 documents and more) built from real English text, with
planted duplicates whose truth is known; read by bench_dedup_scale.py.

    .venv/bin/python benchmarks/make_dedup_corpus.py --docs 1000000 --out benchmarks/corpora/dedup-1m

Source text (read from --data, never copied into the repository): the Reuters-21578 bodies and the PAN-13
plagiarism training corpus (source and suspicious documents), about 7.5 million words. The other corpora in
the data folder are left out: impresso is made of reprint clusters (its reuse would be duplicates the truth
does not know), livedoor is Japanese (no spaces: the reference tokeniser below would see a sentence as one
word).

* Sentences: the texts split at sentence ends and line breaks; sentences of 6-60 words, each kept once
  (case- and space-folded), in a fixed order.
* Base documents: 4-10 sentences drawn at random (the same sentence may serve many documents: a million
  documents of ~7 sentences need 15 times the sentences there are); then one word in five is replaced by a
  word drawn from the whole source text (its unigram frequencies), so that two documents sharing a sentence do
  not share most of its word 5-grams. Without that, every 5-gram would occur in ~20 documents, which no real
  corpus does. The words are real and in real proportions; the sentences are not grammatical.
* Planted (each base document has at most one role, chosen at random; shares of --docs):
  - exact copies (2 %): the text of an earlier document again;
  - near copies (3 %): an earlier document with 0.8-2.5 % of its words replaced or deleted, kept only when the
    reference 5-gram Jaccard is ≥ 0.82 and < 1 (so every tool at 0.8 should remove it);
  - related copies (1 %): 6-10 % of the words edited, kept only when the reference Jaccard is ≤ 0.65: a
    different document that no tool should remove (their removal counts against precision);
  - repeated passages (2 %): a later base document gets a run of 55-80 words of an earlier one (at most
    60 % of that one, so that neither contains the other) inserted between two of its sentences.
  Copies are placed at a random later position than their original; a passage's host comes after its source.
* Reference tokens: lowercased ``\\w+`` runs, 5-gram sets (bench_reuters.py's ``shingles``).

Writes ``docs.jsonl`` (``id``, ``text``; ids are ``d<number>`` in file order) and ``truth.json`` (the groups
of documents that duplicate one another, the related pairs, the passages with their character offsets in the
host and the source, and the settings).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_reuters import shingles  # noqa: E402

DATA = Path("/work/shared/data")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def source_texts(data: Path):
    with open(data / "reuters21578" / "reuters21578.jsonl", encoding="utf-8") as fh:
        for line in fh:
            body = json.loads(line).get("body")
            if body:
                yield body
    for folder in ("src", "susp"):
        for path in sorted((data / "pan13-train" / folder).glob("*.txt")):
            yield path.read_text(encoding="utf-8", errors="replace")


def sentence_pool(data: Path) -> list[list[str]]:
    seen: set[str] = set()
    pool = []
    for text in source_texts(data):
        for sentence in SENTENCE_END.split(text):
            words = sentence.split()
            if not 6 <= len(words) <= 60:
                continue
            key = " ".join(words).lower()
            if key in seen:
                continue
            seen.add(key)
            pool.append(words)
    return pool


def jaccard(a: str, b: str) -> float:
    x, y = set(shingles(a)), set(shingles(b))
    return len(x & y) / max(len(x | y), 1)


def edited(words: list[str], rate: float, rng: np.random.Generator, stream: np.ndarray, vocab: list[str]) -> list[str]:
    """``words`` with a share ``rate`` of them replaced (two in three) or deleted (one in three)."""
    out = []
    draws = rng.random(len(words))
    for w, r in zip(words, draws):
        if r >= rate:
            out.append(w)
        elif r < rate * 2 / 3:
            out.append(vocab[stream[rng.integers(len(stream))]])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--out", required=True)
    ap.add_argument("--data", default=str(DATA))
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--replace", type=float, default=0.2, help="share of base-document words replaced")
    args = ap.parse_args()
    t0 = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    pool = sentence_pool(Path(args.data))
    vocab_index: dict[str, int] = {}
    vocab: list[str] = []
    sent_ids = []
    for words in pool:
        ids = []
        for w in words:
            k = vocab_index.get(w)
            if k is None:
                k = vocab_index[w] = len(vocab)
                vocab.append(w)
            ids.append(k)
        sent_ids.append(np.array(ids, dtype=np.int32))
    stream = np.concatenate(sent_ids)  # every word occurrence: draws from it follow the unigram frequencies
    print(f"{len(pool):,} sentences, {len(stream):,} words, {len(vocab):,} distinct ({time.perf_counter() - t0:.0f} s)",
          flush=True)

    n = args.docs
    share = {"exact": 0.02, "near": 0.03, "related": 0.01, "passage": 0.02}
    n_copies = int(n * share["exact"]) + int(n * share["near"]) + int(n * share["related"])
    n_base = n - n_copies
    vocab_arr = np.array(vocab, dtype=object)

    def base_text() -> str:
        k = int(rng.integers(4, 11))
        ids = np.concatenate([sent_ids[i] for i in rng.integers(len(sent_ids), size=k)])
        swap = rng.random(len(ids)) < args.replace
        ids = ids.copy()
        ids[swap] = stream[rng.integers(len(stream), size=int(swap.sum()))]
        return " ".join(vocab_arr[ids].tolist())

    texts = [base_text() for _ in range(n_base)]
    print(f"{n_base:,} base documents ({time.perf_counter() - t0:.0f} s)", flush=True)

    # Roles: a random permutation of the base documents hands out originals of copies and passage
    # sources/hosts without overlap.
    perm = rng.permutation(n_base)
    at = 0

    def take(k: int) -> np.ndarray:
        nonlocal at
        chosen = perm[at:at + k]
        at += k
        return chosen

    positions = np.arange(n_base, dtype=np.float64)  # order key: base document i at i
    extra_texts: list[str] = []
    extra_pos: list[float] = []
    groups: dict[int, list[int]] = {}  # original base index -> copies (indices into extra)
    related: list[tuple[int, int, float]] = []  # (original base index, extra index, reference J)
    near_j: list[float] = []
    for kind in ("exact", "near", "related"):
        want = int(n * share[kind])
        made = 0
        for orig in take(int(want * 3) + 10).tolist():
            if made == want:
                break
            words = texts[orig].split()
            if kind == "exact":
                text = texts[orig]
            else:
                lo, hi, ok = (0.008, 0.025, lambda j: 0.82 <= j < 1) if kind == "near" else (0.06, 0.10, lambda j: j <= 0.65)
                text = " ".join(edited(words, float(rng.uniform(lo, hi)), rng, stream, vocab))
                j = jaccard(texts[orig], text)
                if not ok(j):
                    continue
            k = len(extra_texts)
            extra_texts.append(text)
            extra_pos.append(orig + float(rng.uniform(0.5, n_base - orig)))
            if kind == "related":
                related.append((orig, k, round(j, 4)))
            else:
                groups.setdefault(orig, []).append(k)
                if kind == "near":
                    near_j.append(j)
            made += 1
        print(f"{made:,} {kind} copies ({time.perf_counter() - t0:.0f} s)", flush=True)

    # Passages: a (source, host) pair of base documents, source earlier; 55-80 consecutive words of the
    # source (at most 60 % of it) inserted between two sentences of the host.
    passages = []
    want = int(n * share["passage"])
    candidates = take(10 * want + 10).tolist()
    hosts_free = candidates[len(candidates) // 2:]
    for src in candidates[:len(candidates) // 2]:
        if len(passages) == want or not hosts_free:
            break
        words = texts[src].split()
        length = min(int(rng.integers(55, 81)), int(0.6 * len(words)))
        if length < 55:
            continue
        host = hosts_free.pop()
        if host < src:
            src, host = host, src
            words = texts[src].split()
            if length > 0.6 * len(words):
                hosts_free.insert(0, src)
                continue
        start = int(rng.integers(0, len(words) - length + 1))
        passage = " ".join(words[start:start + length])
        src_begin = len(" ".join(words[:start])) + (1 if start else 0)
        host_words = texts[host].split()
        cut = int(rng.integers(0, len(host_words) + 1))
        head = " ".join(host_words[:cut])
        tail = " ".join(host_words[cut:])
        begin = len(head) + (1 if head else 0)
        texts[host] = " ".join(p for p in (head, passage, tail) if p)
        assert texts[host][begin:begin + len(passage)] == passage
        assert texts[src][src_begin:src_begin + len(passage)] == passage
        passages.append({"host": host, "source": src, "begin": begin, "end": begin + len(passage),
                         "source_begin": src_begin, "source_end": src_begin + len(passage), "words": length})
    print(f"{len(passages):,} passages ({time.perf_counter() - t0:.0f} s)", flush=True)

    order = np.argsort(np.concatenate([positions, np.array(extra_pos)]), kind="stable")
    doc_id = np.empty(len(order), dtype=np.int64)
    doc_id[order] = np.arange(len(order))  # position in file of base i (i < n_base) or extra k (n_base + k)

    def name(i: int) -> str:
        return f"d{int(doc_id[i])}"

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "docs.jsonl", "w", encoding="utf-8") as fh:
        for i in order.tolist():
            text = texts[i] if i < n_base else extra_texts[i - n_base]
            fh.write(json.dumps({"id": name(i), "text": text}, ensure_ascii=False) + "\n")
    truth = {
        "documents": len(order),
        "settings": {"seed": args.seed, "replace": args.replace, "shares": share, "sentences": len(pool),
                     "source_words": int(len(stream))},
        "groups": [[name(orig)] + [name(n_base + k) for k in copies] for orig, copies in sorted(groups.items())],
        "exact_copies": int(n * share["exact"]),
        "near_jaccard_min": round(min(near_j), 4) if near_j else None,
        "related": [[name(orig), name(n_base + k), j] for orig, k, j in related],
        "passages": [{**p, "host": name(p["host"]), "source": name(p["source"])} for p in passages],
    }
    (out / "truth.json").write_text(json.dumps(truth))
    print(f"wrote {out}/docs.jsonl and truth.json: {len(order):,} documents ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
