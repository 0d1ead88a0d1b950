#!/usr/bin/env python
"""Planted reprints in real Japanese news (livedoor news corpus): precision, recall and MB/s.

    python benchmarks/bench_livedoor.py --out benchmarks/out/
    python benchmarks/bench_livedoor.py --fixtures-only      # per-language table only

Corpus: the 7,367 articles of ../shared/data/livedoor-news (one folder per outlet; line 1 the URL,
line 2 the date, then the title and the body); a document's text is the title and body, its
source the folder, its date line 2. Read from there, never copied.

Planting (deterministic given --seed): ``--plants`` target articles (distinct) each receive text
of a distinct other source article, in four kinds, a quarter each:

* ``whole``: the target's text is replaced by the whole source article, lightly edited;
* ``partial``: one to three consecutive prose paragraphs of the source (at least 40 characters each,
  not a link list or heading; 100-600 characters together where the article has them) inserted
  at a paragraph break of the target, verbatim;
* ``edited``: the same, with about one edit per sentence: a character replaced, dropped or
  inserted, or a run of 2-4 characters (a word) replaced by another run of the corpus;
* ``reordered``: the same as edited, and two neighbouring sentences swapped.

Truth is the source span and the inserted target span, in code points. Scoring:

* planted passage recall: a reported passage of the (source, target) pair overlapping at least
  half of the planted span on both sides; ``recall_union``: the union of the pair's passages does;
* passage precision: among the passages whose side in a target overlaps its planted span (the
  rest of the corpus is unmodified, so the reuse found there is real and not ours to judge), the
  share whose other side is the source's planted span or a document the source already shared
  text with (the unmodified corpus is scanned first for those);
* document pairs: planted pairs reported (recall); among reported pairs with a target that the
  unmodified corpus did not have, the share that are planted or join the target to a document
  its source shared text with (precision);
* MB/s: UTF-8 megabytes of the planted corpus over the scan's wall time (``reprints.scan`` in
  this process, default configuration, all cores).

``--fixtures`` (default on) adds the per-language table of tests/data/scripts_news.json:
per language, passages found and correct between the reprint pair, same-topic pairs reported,
and tokeniser throughput on the language's texts.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _common  # noqa: E402
import reprints  # noqa: E402
from reprints.stages.normalise import tokenize  # noqa: E402

DATA = HERE.parent.parent / "shared" / "data" / "livedoor-news"
FIXTURE = HERE.parent / "tests" / "data" / "scripts_news.json"
SENTENCE = re.compile(r"[^。！？\n]+[。！？]*")
KINDS = ("whole", "partial", "edited", "reordered")


def read_livedoor(root: Path) -> list[dict]:
    docs = []
    for path in sorted(root.glob("*/*.txt")):
        if path.name == "LICENSE.txt" or path.parent.name == path.name:
            continue
        lines = path.read_text(encoding="utf-8").split("\n")
        if len(lines) < 4 or not lines[0].startswith("http"):
            continue
        docs.append({"id": f"{path.parent.name}/{path.stem}", "source": path.parent.name, "date": lines[1][:10],
                     "text": "\n".join(lines[2:]).strip("\n")})
    return docs


def paragraphs(text: str) -> list[tuple[int, int]]:
    """(begin, end) of each non-empty line."""
    out, pos = [], 0
    for line in text.split("\n"):
        if line.strip():
            out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


def _prose(line: str) -> bool:
    """A paragraph of running text, not a link list or heading ("・…", "■…", "【関連記事】")."""
    return len(line) >= 40 and line.lstrip()[:1] not in ("・", "■", "【", "●", "○", "※", "http")


def edit(text: str, rng: random.Random, alphabet: str) -> str:
    """About one edit per sentence: replace, drop or insert a character, or replace a 2-4 character run."""
    out = []
    for m in SENTENCE.finditer(text):
        s = m.group()
        if len(s) > 8:
            i = rng.randrange(1, len(s) - 5)
            op = rng.choice(("replace", "drop", "insert", "word"))
            if op == "replace":
                s = s[:i] + rng.choice(alphabet) + s[i + 1:]
            elif op == "drop":
                s = s[:i] + s[i + 1:]
            elif op == "insert":
                s = s[:i] + rng.choice(alphabet) + s[i:]
            else:
                k = rng.randint(2, 4)
                j = rng.randrange(0, len(alphabet) - k)
                s = s[:i] + alphabet[j:j + k] + s[i + k:]
        out.append((m.start(), m.end(), s))
    pieces, pos = [], 0
    for b, e, s in out:
        pieces.append(text[pos:b])
        pieces.append(s)
        pos = e
    pieces.append(text[pos:])
    return "".join(pieces)


def swap_sentences(text: str, rng: random.Random) -> str:
    spans = [(m.start(), m.end()) for m in SENTENCE.finditer(text) if m.group().strip()]
    if len(spans) < 2:
        return text
    i = rng.randrange(len(spans) - 1)
    (b1, e1), (b2, e2) = spans[i], spans[i + 1]
    return text[:b1] + text[b2:e2] + text[e1:b2] + text[b1:e1] + text[e2:]


def plant(docs: list[dict], n: int, seed: int) -> list[dict]:
    """Modify ``docs`` in place; returns the truth rows."""
    rng = random.Random(seed)
    alphabet = "".join(c for c in "".join(d["text"] for d in docs[:200]) if c.isalnum())
    order = list(range(len(docs)))
    rng.shuffle(order)
    used: set[int] = set()
    truth = []
    for k in range(n):
        kind = KINDS[k % len(KINDS)]
        while True:
            s, t = order.pop(), order.pop()
            paras = paragraphs(docs[s]["text"])
            if s not in used and t not in used and len(paras) >= 2 and len(docs[s]["text"]) >= 300:
                break
        used.update((s, t))
        src = docs[s]["text"]
        if kind == "whole":
            piece_b, piece_e = 0, len(src)
            piece = edit(src, rng, alphabet) if rng.random() < 0.5 else src
            docs[t]["text"] = piece
            tb, te = 0, len(piece)
        else:
            prose = [i for i, (b, e) in enumerate(paras) if _prose(src[b:e])]
            if not prose:
                prose = [max(range(len(paras)), key=lambda i: paras[i][1] - paras[i][0])]
            first = rng.choice(prose)
            last = first
            while (paras[last][1] - paras[first][0] < 100 and last + 1 < len(paras)
                   and _prose(src[slice(*paras[last + 1])])):
                last += 1
            while (last + 1 < len(paras) and rng.random() < 0.4 and paras[last + 1][1] - paras[first][0] <= 600
                   and _prose(src[slice(*paras[last + 1])])):
                last += 1
            piece_b, piece_e = paras[first][0], paras[last][1]
            piece = src[piece_b:piece_e]
            if kind in ("edited", "reordered"):
                piece = edit(piece, rng, alphabet)
            if kind == "reordered":
                piece = swap_sentences(piece, rng)
            target = docs[t]["text"]
            breaks = [b for b, _ in paragraphs(target)][1:] or [len(target)]
            at = rng.choice(breaks)
            docs[t]["text"] = target[:at] + piece + "\n" + target[at:]
            tb, te = at, at + len(piece)
        truth.append({"kind": kind, "source": docs[s]["id"], "target": docs[t]["id"],
                      "source_begin": piece_b, "source_end": piece_e, "target_begin": tb, "target_end": te})
    return truth


def overlap(b1: int, e1: int, b2: int, e2: int) -> int:
    return max(0, min(e1, e2) - max(b1, b2))


def score(result, truth: list[dict], related: set[frozenset], near: dict[str, set[str]], texts: dict[str, str]) -> dict:
    passages = result.passages.to_pylist()
    for p in passages:  # offsets are exact
        assert texts[p["doc_a"]][p["begin_a"]:p["end_a"]] == p["text_a"]
        assert texts[p["doc_b"]][p["begin_b"]:p["end_b"]] == p["text_b"]
    by_pair: dict[frozenset, list[dict]] = {}
    for p in passages:
        by_pair.setdefault(frozenset((p["doc_a"], p["doc_b"])), []).append(p)
    planted = {frozenset((t["source"], t["target"])): t for t in truth}

    def sides(p, t):
        if p["doc_a"] == t["source"]:
            return (p["begin_a"], p["end_a"]), (p["begin_b"], p["end_b"])
        return (p["begin_b"], p["end_b"]), (p["begin_a"], p["end_a"])

    per_kind: dict[str, list[int]] = {k: [0, 0, 0] for k in KINDS}  # planted, found, found (union)
    by_length = {"under 100 chars": [0, 0], "100 chars or more": [0, 0]}
    for t in truth:
        ps = by_pair.get(frozenset((t["source"], t["target"])), [])
        ls, lt = t["source_end"] - t["source_begin"], t["target_end"] - t["target_begin"]
        found = any(overlap(*sides(p, t)[0], t["source_begin"], t["source_end"]) >= ls / 2
                    and overlap(*sides(p, t)[1], t["target_begin"], t["target_end"]) >= lt / 2 for p in ps)
        cov_s = set(), set()
        for p in ps:
            (sb, se), (tb, te) = sides(p, t)
            cov_s[0].update(range(max(sb, t["source_begin"]), min(se, t["source_end"])))
            cov_s[1].update(range(max(tb, t["target_begin"]), min(te, t["target_end"])))
        union = len(cov_s[0]) >= ls / 2 and len(cov_s[1]) >= lt / 2
        per_kind[t["kind"]][0] += 1
        per_kind[t["kind"]][1] += found
        per_kind[t["kind"]][2] += union
        band = by_length["under 100 chars" if ls < 100 else "100 chars or more"]
        band[0] += 1
        band[1] += found
    # Judged: passages of a target whose target side overlaps its planted span (the rest of the
    # corpus is unmodified, so its reuse is real and not ours to judge); right when the other side
    # is the source's planted span, or a document the source already shared text with.
    by_target = {t["target"]: t for t in truth}
    judged = correct = 0
    for p in passages:
        for side, other in (("a", "b"), ("b", "a")):
            t = by_target.get(p[f"doc_{side}"])
            if t is None or not overlap(p[f"begin_{side}"], p[f"end_{side}"], t["target_begin"], t["target_end"]):
                continue
            judged += 1
            doc = p[f"doc_{other}"]
            correct += ((doc == t["source"] and overlap(p[f"begin_{other}"], p[f"end_{other}"], t["source_begin"],
                                                        t["source_end"]) > 0) or doc in near.get(t["source"], ()))
            break
    pairs = {frozenset(p) for p in zip(result.pairs.column("doc_a").to_pylist(), result.pairs.column("doc_b").to_pylist())}
    new_pairs = {p for p in pairs if p not in related and p & set(by_target)}
    right_pairs = {p for p in new_pairs if p in planted or any(
        by_target.get(d) and (p - {d}) <= near.get(by_target[d]["source"], set()) | {by_target[d]["source"]} for d in p)}
    n = len(truth)
    return {
        "planted": n,
        "recall": round(sum(v[1] for v in per_kind.values()) / n, 4),
        "recall_union": round(sum(v[2] for v in per_kind.values()) / n, 4),
        "recall_by_kind": {k: round(v[1] / v[0], 4) for k, v in per_kind.items() if v[0]},
        "recall_by_length": {k: f"{v[1]}/{v[0]}" for k, v in by_length.items()},
        "passages_judged": judged, "passage_precision": round(correct / judged, 4) if judged else None,
        "pair_recall": round(len(set(planted) & pairs) / n, 4),
        "pair_precision": round(len(right_pairs) / len(new_pairs), 4) if new_pairs else None,
        "new_pairs_of_targets": len(new_pairs),
        "missed_examples": [t for t in truth if not any(
            True for _ in by_pair.get(frozenset((t["source"], t["target"])), []))][:5],
    }


def related_pairs(result) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for a, b in zip(result.pairs.column("doc_a").to_pylist(), result.pairs.column("doc_b").to_pylist()):
        out.setdefault(a, set()).add(b)
        out.setdefault(b, set()).add(a)
    return out


def fixtures_table() -> list[dict]:
    languages = json.loads(FIXTURE.read_text(encoding="utf-8"))
    rows = []
    for code, lang in languages.items():
        docs = [dict(d) for d in lang["docs"]]
        result = reprints.scan(docs)
        texts = {d["id"]: d["text"] for d in docs}
        want = frozenset((f"{code}-origin", f"{code}-reprint"))
        passages = result.passages.to_pylist()
        good = [p for p in passages if frozenset((p["doc_a"], p["doc_b"])) == want]
        lo_a = texts[f"{code}-origin"].index(lang["shared_a"])
        covered = sum(overlap(p["begin_a"] if p["doc_a"] == f"{code}-origin" else p["begin_b"],
                              p["end_a"] if p["doc_a"] == f"{code}-origin" else p["end_b"],
                              lo_a, lo_a + len(lang["shared_a"])) for p in good) / len(lang["shared_a"])
        corpus = [d["text"] for d in docs] * 400
        mb = sum(len(t.encode("utf-8")) for t in corpus) / 1e6
        tokenize(corpus[:3])
        t0 = time.perf_counter()
        tokens = tokenize(corpus)
        dt = time.perf_counter() - t0
        letters = sum(sum(1 for c in t if c.isalnum()) for t in corpus)
        rows.append({"language": code, "name": lang["name"], "passages": len(passages),
                     "precision": round(len(good) / len(passages), 3) if passages else None,
                     "recall": 1.0 if good else 0.0, "shared_covered": round(covered, 3),
                     "same_topic_pairs": result.pairs.num_rows - (1 if good else 0),
                     "tokenise_mb_s": round(mb / dt, 1), "letters_per_unit": round(letters / len(tokens.hashes), 2)})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(DATA))
    ap.add_argument("--plants", type=int, default=600)
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--out", default=str(HERE / "out"))
    ap.add_argument("--fixtures-only", action="store_true")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report: dict = {"machine": _common.machine_info(), "command": " ".join(sys.argv), "loadavg_at_start": os.getloadavg()}
    report["languages"] = fixtures_table()
    for row in report["languages"]:
        print(f"{row['language']}: passages {row['passages']} precision {row['precision']} recall {row['recall']} "
              f"shared covered {row['shared_covered']} same-topic pairs {row['same_topic_pairs']} "
              f"tokenise {row['tokenise_mb_s']} MB/s, {row['letters_per_unit']} letters/unit", flush=True)
    if not args.fixtures_only:
        root = Path(args.data)
        if not root.is_dir():
            sys.exit(f"livedoor news corpus not found at {root}")
        docs = read_livedoor(root)
        base = reprints.scan([dict(d) for d in docs])
        near = related_pairs(base)
        planted = [dict(d) for d in docs]
        truth = plant(planted, args.plants, args.seed)
        related = {frozenset(p) for p in zip(base.pairs.column("doc_a").to_pylist(), base.pairs.column("doc_b").to_pylist())}
        for t in truth:  # a target shares what its source shares with the documents related to it
            related.update(frozenset((t["target"], other)) for other in near.get(t["source"], ()) if other != t["target"])
        mb = sum(len(d["text"].encode("utf-8")) for d in planted) / 1e6
        load = os.getloadavg()
        t0 = time.perf_counter()
        result = reprints.scan([dict(d) for d in planted])
        wall = time.perf_counter() - t0
        texts = {d["id"]: d["text"] for d in planted}
        report["livedoor"] = {"documents": len(planted), "mb": round(mb, 2), "wall_s": round(wall, 2),
                              "mb_per_s": round(mb / wall, 2), "loadavg_before": load,
                              "baseline_pairs": base.pairs.num_rows, **score(result, truth, related, near, texts)}
        summary = {k: v for k, v in report["livedoor"].items() if k != "missed_examples"}
        print(json.dumps(summary, indent=1))
    (out / "livedoor_results.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
