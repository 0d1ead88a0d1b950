#!/usr/bin/env python
"""Syndication at agency scale: one story carried by N outlets in a background of real stories.

    python benchmarks/bench_syndication.py --carriers 10 100 1000 10000 --background 100000 --out benchmarks/out/

For each N, one corpus and one ``reprints.scan`` (default configuration unless ``--candidates``
gives other candidate settings as JSON, e.g. '{"frequent_links": 0, "max_sources": 0}' for the
old behaviour), in a subprocess (wall time and peak memory of the process tree, as
``_common.run_measured`` measures them):

* background: ``--background`` documents built by ``bench_scale.py`` from the sentences of
  Reuters-21578 and the PAN-13 sources (``build_pool`` / ``build_corpus``: real sentences,
  Reuters' length distribution, 5 % planted reprints among themselves), dated 1987;
* story A: ``orig_taska.txt`` of the Clough-Stevenson corpus (302 words, in no other input),
  carried by N outlets (`reprints.evaluate.syndication.carriers`): each copy drops a sentence,
  changes three words and is wrapped in its own 60-word intro and 80-word outro; carrier k is
  dated k hours after the first, from outlet k;
* story B: ``orig_taskd.txt`` (297 words) as a copy tree of N copies
  (`syndication.copy_tree`): each copy takes an earlier copy's text with its edits and adds
  three changed words (and drops a sentence three times in ten).

Scored with `syndication.score` on ``clusters.parquet``: carriers recalled in the story's
cluster, clusters the story is split into, origin right (the earliest carrier), documents of
the cluster that are no carriers, and for story B the lineage accuracy (the share of copies
whose ``source_doc_id`` is their parent). Rows written: pairs, passages and cluster rows, in
all and those of each story. Results go to ``<out>/syndication_results.json`` and a table.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _common  # noqa: E402
import bench_scale  # noqa: E402

CLOUGH = Path("/work/shared/data/clough-stevenson")
STORY_A, STORY_B = CLOUGH / "orig_taska.txt", CLOUGH / "orig_taskd.txt"


def vocabulary(pool: dict, size: int = 20000) -> list[str]:
    """Lower-case words of the pool's sentences, for intros, outros and changed words."""
    words = set()
    for s in pool["sentences"][:50000]:
        words.update(w for w in re.findall(r"[a-z]{3,}", s.lower()))
        if len(words) >= size:
            break
    return sorted(words)


def build(n: int, background: int, out: Path, seed: int) -> dict:
    """The corpus for N carriers (written as JSONL) and the generated documents' truth."""
    from reprints.evaluate import syndication

    pool = bench_scale.build_pool(bench_scale.REUTERS, bench_scale.PAN_SRC, out / "scale_pool.pkl")
    meta = bench_scale.build_corpus(background, pool, seed, out)
    vocab = vocabulary(pool)
    read = lambda p: p.read_text(encoding="utf-8", errors="replace")  # noqa: E731
    carriers = syndication.carriers(read(STORY_A), n, vocab, seed=seed + n)
    tree = syndication.copy_tree(read(STORY_B), n, vocab, seed=seed + 7 * n)
    for c in tree:  # two stories, two id spaces
        c.doc_id, c.parent = "b-" + c.doc_id, None if c.parent is None else "b-" + c.parent
    corpus = out / f"syndication_{n}_{background}.jsonl"
    with open(out / f"scale_{background}.jsonl", encoding="utf-8") as src, open(corpus, "w", encoding="utf-8") as dst:
        for line in src:
            dst.write(line)
        generated = carriers + tree
        random.Random(seed).shuffle(generated)
        for c in generated:
            dst.write(json.dumps(c.row(), ensure_ascii=False) + "\n")
    truth = {"carriers": [c.__dict__ for c in carriers], "tree": [c.__dict__ for c in tree],
             "background": background, "background_meta": {k: v for k, v in meta.items() if k != "stats"}}
    (out / f"syndication_{n}_truth.json").write_text(json.dumps(truth))
    return {"corpus": str(corpus), "documents": background + len(generated)}


def worker(n: int, out: Path, corpus: str, candidates: str) -> None:
    import pyarrow.parquet as pq

    import reprints
    from reprints.config import ScanConfig
    from reprints.evaluate import syndication

    config = ScanConfig().replace(candidates=json.loads(candidates)) if candidates else ScanConfig()
    t = time.perf_counter()
    result = reprints.scan(corpus, config)
    wall = time.perf_counter() - t
    truth = json.loads((out / f"syndication_{n}_truth.json").read_text())
    carriers = [syndication.Carrier(**c) for c in truth["carriers"]]
    tree = [syndication.Carrier(**c) for c in truth["tree"]]
    ids_a, ids_b = {c.doc_id for c in carriers}, {c.doc_id for c in tree}

    def rows_of(table, cols, ids):
        values = [table.column(c).to_pylist() for c in cols]
        return sum(1 for vs in zip(*values) if any(v in ids for v in vs))

    info = {
        "tool_wall_s": round(wall, 3), "main_peak_mb": _common.vm_hwm_mb(),
        "story": syndication.score(result.clusters, carriers), "tree": syndication.score(result.clusters, tree),
        "rows": {"pairs": result.pairs.num_rows, "passages": result.passages.num_rows,
                 "clusters": result.clusters.num_rows,
                 "story_pairs": rows_of(result.pairs, ("doc_a", "doc_b"), ids_a),
                 "story_passages": rows_of(result.passages, ("doc_a", "doc_b"), ids_a),
                 "tree_pairs": rows_of(result.pairs, ("doc_a", "doc_b"), ids_b)},
        "summary": {k: v for k, v in result.summary.items() if k not in ("largest_clusters", "cluster_sizes", "skipped")},
        "candidates": json.loads(candidates) if candidates else {},
    }
    _common.write_json(out / f"syndication_{n}_run.json", info)
    pq.write_table(result.clusters, out / f"syndication_{n}_clusters.parquet")


def issue_table(carriers: list[int], reuters: str = bench_scale.REUTERS, background: int = 2000) -> None:
    """The issue's own setting: story A carried by N outlets among the first ``background``
    Reuters stories, in one process, with the behaviour before (frequent n-grams dropped,
    every candidate pair aligned) and the defaults; one JSON line per run."""
    import reprints
    from reprints.config import ScanConfig
    from reprints.evaluate import syndication

    story = STORY_A.read_text(encoding="utf-8", errors="replace")
    with open(reuters, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    bg = [{"id": f"r{r['newid']}", "text": r["body"], "date": r.get("date")} for r in rows if r.get("body")][:background]
    vocab = sorted({w for r in bg for w in re.findall(r"[a-z]{3,}", r["text"])})
    for n in carriers:
        gen = syndication.carriers(story, n, vocab, seed=1)
        ids = {c.doc_id for c in gen}
        for name, cfg in (("old", {"frequent_links": 0, "max_sources": 0}), ("new", {})):
            t = time.perf_counter()
            res = reprints.scan(bg + [c.row() for c in gen], ScanConfig().replace(candidates=cfg))
            got = syndication.score(res.clusters, gen)
            pairs = sum(1 for a, b in zip(res.pairs.column("doc_a").to_pylist(), res.pairs.column("doc_b").to_pylist())
                        if a in ids and b in ids)
            held = {r["doc_id"] for r in res.clusters.to_pylist() if r["doc_id"] in ids}
            print(json.dumps({"n": n, "config": name, "in_any_cluster": len(held), "largest": got["recalled"],
                              "clusters": got["clusters"], "origin_right": got["origin_right"], "outlet_pairs": pairs,
                              "wall_s": round(time.perf_counter() - t, 1)}), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--carriers", type=int, nargs="+", default=[10, 100, 1000, 10000])
    ap.add_argument("--background", type=int, default=100_000)
    ap.add_argument("--out", type=Path, default=HERE / "out")
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--candidates", default="", help="candidate settings as JSON (default: the defaults)")
    ap.add_argument("--timeout", type=float, default=3600)
    ap.add_argument("--issue-table", action="store_true",
                    help="the issue's setting instead: the carriers among 2,000 Reuters stories, before and after")
    ap.add_argument("--_worker", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.issue_table:
        issue_table(args.carriers)
        return
    if args._worker:
        n, corpus, _ = args._worker
        worker(int(n), args.out, corpus, args.candidates)
        return
    args.out.mkdir(parents=True, exist_ok=True)
    results = {"machine": _common.machine_info(), "command": " ".join(sys.argv), "runs": []}
    for n in args.carriers:
        t = time.perf_counter()
        built = build(n, args.background, args.out, args.seed)
        build_s = time.perf_counter() - t
        load = _common.machine_info().get("loadavg_at_start")
        cmd = [_common.python(), str(Path(__file__).resolve()), "--out", str(args.out), "--candidates", args.candidates,
               "--_worker", str(n), built["corpus"], "run"]
        measured = _common.run_measured(cmd, args.out / f"syndication_{n}.log", timeout_s=args.timeout)
        run_path = args.out / f"syndication_{n}_run.json"
        run = json.loads(run_path.read_text()) if measured["returncode"] == 0 and run_path.exists() else {}
        row = {"carriers": n, "documents": built["documents"], "build_s": round(build_s, 1), "load_before": load,
               **measured, **run}
        results["runs"].append(row)
        _common.write_json(args.out / "syndication_results.json", results)
        print_row(row)


def print_row(row: dict) -> None:
    if "story" not in row:
        print(f"N={row['carriers']}: failed (exit {row['returncode']}, timed out: {row['timed_out']})", flush=True)
        return
    s, t, r = row["story"], row["tree"], row["rows"]
    print(f"N={row['carriers']:>6} docs={row['documents']:>7}  recalled {s['recalled']}/{s['carriers']}  "
          f"clusters {s['clusters']}  origin {'right' if s['origin_right'] else 'WRONG'}  other docs {s.get('other_documents')}  "
          f"| tree: recalled {t['recalled']}/{t['carriers']} clusters {t['clusters']} origin "
          f"{'right' if t['origin_right'] else 'WRONG'} lineage {t.get('lineage_accuracy')}  "
          f"| rows: pairs {r['pairs']} (story {r['story_pairs']}, tree {r['tree_pairs']}) passages {r['passages']} "
          f"(story {r['story_passages']}) clusters {r['clusters']}  | wall {row['tool_wall_s']} s "
          f"(process {row['process_wall_s']} s)  peak tree {row['peak_rss_tree_mb']} MB  load before {row['load_before']}",
          flush=True)


if __name__ == "__main__":
    main()
