#!/usr/bin/env python
"""Reuters-21578 deduplication: ``reprints dedup`` against datasketch MinHash-LSH and datatrove's
MinHash pipeline.

    .venv/bin/python benchmarks/bench_dedup.py --tools reprints,reprints-j,reprints-both,datasketch,datatrove \\
        --repeat 3 --out benchmarks/out/dedup/

Documents are the 19,043 articles with a non-empty ``body`` (id = str(newid), text = body, in file
order), as in bench_reuters.py. Every tool runs in its own subprocess (wall time and peak memory are
its own; ``--repeat K`` runs the tools K times interleaved and reports the fastest) and writes the ids
it removed.

* reprints: ``reprints.dedup(documents)`` with the defaults (mode documents, Jaccard ≥ 0.8 on word
  5-grams, containment ≥ 0.9, keep first), one worker process per core.
* reprints-j: the same with ``containment=0``: Jaccard alone, what the MinHash tools estimate.
* reprints-both: ``mode="both"``: documents, then 50-word passages cut (documents left with fewer than 20
  words removed); scored on the documents it removed.
* datasketch: the usual datasketch dedup loop: MinHash(num_perm=128) over the 5-gram shingles of
  lowercased ``\\w+`` tokens (bench_reuters.py's), MinHashLSH(threshold=0.8) (b=9 bands of r=13);
  documents in input order, each queried against the documents kept so far and removed when the LSH
  returns any, else inserted. "datasketch+verify" removes only when one of those has an estimated
  Jaccard ≥ 0.8.
* textdedup: text-dedup 0.4.1 MinHash + LSH (5-grams, 128 permutations, threshold 0.8), in its own venv
  (``--textdedup-python``, Python 3.12; benchmarks/setup_bench_envs.sh); "textdedup-verify" with its exact
  false-positive check (without it, 0.4.1 removes every member of a cluster: see bench_dedup_scale.py).
* datatrove: its MinHash pipeline (MinhashDedupSignature → Buckets → Cluster → Filter, one task each,
  LocalPipelineExecutor) with its default MinhashConfig (5-grams, 14 buckets × 8 hashes, 64-bit),
  installed in its own venv (``--datatrove-python``; the script says how to make it); the removed ids
  are those its filter excluded.

Truth (every figure is computed here, from the texts, not from any tool):

* exact groups: bodies identical after whitespace normalisation (279 groups); a group is resolved when
  at most one of its members is kept.
* near-duplicate pairs: exact Jaccard ≥ 0.8 of the shingle sets above, over all pairs (a join on the
  shingles). Precision = share of removed documents that have such a pair with a document the tool
  kept (the removal lost nothing); recall = share of the pairs of which the tool no longer keeps both.
  Removing every member of a group (nothing left that it duplicates) costs precision. A second
  precision also counts a removal as right when ≥ 0.9 of the document's shingles are in a kept one
  (what reprints removes as "contained").
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOOLS = ("reprints", "reprints-j", "reprints-both", "datasketch", "datatrove", "textdedup", "textdedup-verify")

# The Reuters bodies, their shingles and the MinHash settings are bench_reuters.py's, so both
# benchmarks measure the same documents the same way (both modules import only the standard library).
from _common import vm_hwm_mb  # noqa: E402
from bench_reuters import DEFAULT_DATA, NUM_PERM, THRESHOLD, load_docs, shingles  # noqa: E402


# --- workers (each in its own process; the datatrove one in its own venv) ----------------------

def worker(tool: str, data: str, out: Path) -> None:
    docs = load_docs(data)
    info: dict = {"tool": tool, "documents": len(docs)}
    removed: dict[str, list[str]] = {}
    t = time.perf_counter()
    if tool in ("reprints", "reprints-j", "reprints-both"):
        import reprints
        from reprints.config import DedupConfig

        settings = {"reprints-j": {"containment": 0.0}, "reprints-both": {"mode": "both"}}.get(tool, {})
        config = DedupConfig().replace(dedup=settings)
        result = reprints.dedup(docs, config=config)
        info["tool_wall_s"] = round(time.perf_counter() - t, 3)
        info["summary"] = {k: v for k, v in result.summary.items() if k != "skipped"}
        rows = result.removed.to_pylist()
        removed[tool] = [r["doc_id"] for r in rows if r["begin"] is None]
        info["reasons"] = result.summary["removed_by_reason"]
        info["bytes_removed"] = {k: result.summary[k] for k in ("bytes_in", "bytes_removed", "passages_removed")}
    elif tool == "datasketch":
        from datasketch import MinHash, MinHashLSH

        lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
        info["lsh_bands_rows"] = [lsh.b, lsh.r]
        kept: dict[str, MinHash] = {}
        plain, verified = [], []
        lsh_v = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
        verify_s = 0.0
        for d in docs:
            m = MinHash(num_perm=NUM_PERM)
            m.update_batch([x.encode("utf-8") for x in shingles(d["text"])])
            if lsh.query(m):
                plain.append(d["id"])
            else:
                lsh.insert(d["id"], m)
            tv = time.perf_counter()  # the verified variant: its own index of what it kept
            found = lsh_v.query(m)
            if any(kept[k].jaccard(m) >= THRESHOLD for k in found):
                verified.append(d["id"])
            else:
                lsh_v.insert(d["id"], m)
                kept[d["id"]] = m
            verify_s += time.perf_counter() - tv
        info["tool_wall_s"] = round(time.perf_counter() - t - verify_s, 3)
        info["verify_variant_s"] = round(verify_s, 3)
        removed["datasketch"] = plain
        removed["datasketch+verify"] = verified
    elif tool == "datatrove":
        removed["datatrove"] = run_datatrove(docs, out / "datatrove-work", info)
        info["tool_wall_s"] = round(time.perf_counter() - t, 3)
    elif tool in ("textdedup", "textdedup-verify"):
        import shutil

        from bench_dedup_scale import run_textdedup

        work = out / f"{tool}-work"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        with open(work / "docs.jsonl", "w", encoding="utf-8") as fh:  # its input, as datatrove's is written
            for d in docs:
                fh.write(json.dumps({"id": d["id"], "text": d["text"]}) + "\n")
        t = time.perf_counter()
        found = run_textdedup(work / "docs.jsonl", work, verify=tool == "textdedup-verify")
        info["tool_wall_s"] = round(time.perf_counter() - t, 3)
        removed[tool] = found.pop("removed")
        info.update(found)
    else:
        raise SystemExit(f"unknown tool {tool}")
    info["removed"] = removed
    info["main_peak_mb"] = vm_hwm_mb()
    (out / f"dedup_{tool}_run.json").write_text(json.dumps(info, indent=1))


def run_datatrove(docs: list[dict], work: Path, info: dict) -> list[str]:
    import shutil

    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster,
                                                  MinhashDedupFilter, MinhashDedupSignature)
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    shutil.rmtree(work, ignore_errors=True)
    (work / "input").mkdir(parents=True)
    with open(work / "input" / "docs.jsonl", "w", encoding="utf-8") as fh:
        for d in docs:
            fh.write(json.dumps({"id": d["id"], "text": d["text"]}) + "\n")
    config = MinhashConfig()
    info["datatrove_config"] = repr(config)
    t = time.perf_counter()

    def reader():
        return JsonlReader(str(work / "input"))

    stages = [
        [reader(), MinhashDedupSignature(output_folder=str(work / "signatures"), config=config)],
        [MinhashDedupBuckets(input_folder=str(work / "signatures"), output_folder=str(work / "buckets"),
                             config=config)],
        [MinhashDedupCluster(input_folder=str(work / "buckets"), output_folder=str(work / "remove_ids"),
                             config=config)],
        [reader(), MinhashDedupFilter(input_folder=str(work / "remove_ids"),
                                      exclusion_writer=JsonlWriter(str(work / "removed"), compression=None)),
         JsonlWriter(str(work / "kept"), compression=None)],
    ]
    tasks = [1, config.num_buckets, 1, 1]
    seconds = []
    for k, (pipeline, n_tasks) in enumerate(zip(stages, tasks)):
        ts = time.perf_counter()
        LocalPipelineExecutor(pipeline=pipeline, tasks=n_tasks, workers=1,
                              logging_dir=str(work / "logs" / f"stage{k}")).run()
        seconds.append(round(time.perf_counter() - ts, 3))
    info["datatrove_stage_s"] = seconds
    info["datatrove_pipeline_s"] = round(time.perf_counter() - t, 3)
    removed = []
    for path in sorted((work / "removed").glob("*.jsonl")):
        removed += [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines() if line]
    return removed


# --- evaluation --------------------------------------------------------------------------------

def truth(docs: list[dict]) -> tuple[list[list[str]], list[tuple[str, str]], list[tuple[str, str]]]:
    """Exact groups (ids), every pair with exact shingle Jaccard ≥ 0.8, and every (contained,
    container) pair where ≥ 0.9 of the smaller document's shingles are in the larger."""
    import duckdb
    import pyarrow as pa

    groups: dict[str, list[str]] = defaultdict(list)
    for d in docs:
        groups[" ".join(d["text"].split())].append(d["id"])
    exact = [g for g in groups.values() if len(g) > 1]
    ids, grams = [], []
    for k, d in enumerate(docs):
        for s in shingles(d["text"]):
            ids.append(k)
            grams.append(s)
    con = duckdb.connect()
    con.register("s", pa.table({"doc": ids, "g": grams}))
    rows = con.sql("""
        WITH n AS (SELECT doc, count(*) AS size FROM s GROUP BY doc),
             shared AS (SELECT x.doc AS a, y.doc AS b, count(*) AS c FROM s x JOIN s y ON x.g = y.g AND x.doc < y.doc
                        GROUP BY 1, 2)
        SELECT a, b, c >= 0.8 * (na.size + nb.size - c) - 1e-9 AS near,
               c >= 0.9 * least(na.size, nb.size) - 1e-9 AS inside, na.size <= nb.size AS a_smaller
        FROM shared JOIN n na ON na.doc = a JOIN n nb ON nb.doc = b
        WHERE c >= 0.8 * (na.size + nb.size - c) - 1e-9 OR c >= 0.9 * least(na.size, nb.size) - 1e-9
        ORDER BY a, b""").fetchall()
    ids = [d["id"] for d in docs]
    near = [(ids[a], ids[b]) for a, b, is_near, _, _ in rows if is_near]
    inside = [(ids[a], ids[b]) if a_smaller else (ids[b], ids[a]) for a, b, _, is_inside, a_smaller in rows if is_inside]
    return exact, near, inside


def score(docs: list[dict], removed: list[str], exact: list[list[str]], pairs: list[tuple[str, str]],
          inside: list[tuple[str, str]]) -> dict:
    gone = set(removed)
    kept = {d["id"] for d in docs} - gone
    kept_per_group = [sum(1 for i in g if i in kept) for g in exact]
    partners: dict[str, set] = defaultdict(set)
    for a, b in pairs:
        partners[a].add(b)
        partners[b].add(a)
    justified = sum(1 for i in gone if partners[i] & kept)
    containers: dict[str, set] = defaultdict(set)
    for small, large in inside:
        containers[small].add(large)
    justified_jc = sum(1 for i in gone if (partners[i] | containers[i]) & kept)
    resolved_pairs = sum(1 for a, b in pairs if not (a in kept and b in kept))
    return {
        "removed": len(gone),
        "exact_groups_resolved": sum(1 for k in kept_per_group if k <= 1),
        "exact_groups_one_kept": sum(1 for k in kept_per_group if k == 1),
        "exact_groups_none_kept": sum(1 for k in kept_per_group if k == 0),
        "exact_group_recall": round(sum(1 for k in kept_per_group if k <= 1) / len(exact), 4),
        "removed_with_j08_partner_kept": justified,
        "precision": round(justified / len(gone), 4) if gone else None,
        "j08_pairs_resolved": resolved_pairs,
        "recall": round(resolved_pairs / len(pairs), 4) if pairs else None,
        "removed_without_any_j08_partner": sum(1 for i in gone if not partners[i]),
        "removed_with_j08_or_c09_kept": justified_jc,
        "precision_j_or_c": round(justified_jc / len(gone), 4) if gone else None,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--out", default=str(HERE / "out" / "dedup"))
    ap.add_argument("--repeat", type=int, default=1,
                    help="run every tool this many times (interleaved); the fastest run is reported, all are kept")
    ap.add_argument("--datatrove-python", default=str(HERE / ".venv-datatrove" / "bin" / "python"),
                    help="python of a venv with datatrove (sh benchmarks/setup_bench_envs.sh datatrove)")
    ap.add_argument("--textdedup-python", default=str(HERE / ".venv-textdedup" / "bin" / "python"),
                    help="python of a venv with text-dedup 0.4.1 (sh benchmarks/setup_bench_envs.sh textdedup)")
    ap.add_argument("--_worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args._worker:
        worker(args._worker, args.data, out)
        return

    sys.path.insert(0, str(HERE))
    import _common

    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    pythons = {"datatrove": args.datatrove_python, "textdedup": args.textdedup_python,
               "textdedup-verify": args.textdedup_python}
    for tool, python in pythons.items():
        if tool in tools and not Path(python).exists():
            print(f"{tool} left out: no {python}", flush=True)
            tools.remove(tool)
    machine = _common.machine_info()
    history = _common.interleaved_runs(tools, lambda tool: [pythons.get(tool, _common.python()), __file__,
                                                            "--_worker", tool, "--data", args.data, "--out", str(out)],
                                       out, "dedup", args.repeat)
    runs = _common.fastest_runs(history)
    for tool, ms in history.items():
        runs[tool]["same_removals_every_run"] = all(m["removed"] == ms[0]["removed"] for m in ms)
    docs = load_docs(args.data)
    t = time.perf_counter()
    exact, pairs, inside = truth(docs)
    evaluation = {"documents": len(docs), "exact_groups": len(exact), "j08_pairs": len(pairs),
                  "c09_pairs": len(inside),
                  "truth_s": round(time.perf_counter() - t, 1), "tools": {}}
    for tool, run in runs.items():
        for name, removed in run["removed"].items():
            evaluation["tools"][name] = {**score(docs, removed, exact, pairs, inside), "tool": tool}
    print(json.dumps({"machine": machine}, indent=1))
    print(f"{len(docs)} documents, {len(exact)} exact groups, {len(pairs)} pairs with exact 5-gram Jaccard >= 0.8")
    print(f"{len(inside)} (contained, container) pairs with >= 0.9 of the smaller's shingles in the larger")
    header = ("tool", "wall s (runs)", "peak MB", "removed", "exact groups resolved", "precision", "recall",
              "precision (J>=0.8 or contained >= 0.9)")
    print(" | ".join(header))
    for name, e in evaluation["tools"].items():
        run = runs[e["tool"]]
        walls = ", ".join(f"{w:.1f}" for w in run["tool_wall_all_s"])
        print(f"{name} | {run['tool_wall_s']:.1f} ({walls}) | {run['peak_rss_tree_mb']:.0f} | {e['removed']} | "
              f"{e['exact_groups_resolved']}/{len(exact)} | {e['precision']} | {e['recall']} | {e['precision_j_or_c']}")
    for name, run in runs.items():
        for key in ("reasons", "datatrove_stage_s", "lsh_bands_rows", "verify_variant_s", "datatrove_config",
                    "bytes_removed", "bands_rows", "filtered_short"):
            if key in run:
                print(f"{name} {key}: {run[key]}")
    for run in runs.values():
        run.pop("removed", None)
    _common.write_json(out / "dedup_results.json", {"machine": machine, "runs": runs, "evaluation": evaluation,
                                                    "command": " ".join(sys.argv)})


if __name__ == "__main__":
    main()
