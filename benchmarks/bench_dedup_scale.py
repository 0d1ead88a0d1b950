#!/usr/bin/env python
"""Deduplication at scale against a known truth: ``reprints dedup`` against text-dedup and datatrove on a
corpus made by make_dedup_corpus.py (planted exact, near and related copies and repeated passages).

    sh benchmarks/setup_bench_envs.sh                       # text-dedup and datatrove venvs (once)
    .venv/bin/python benchmarks/make_dedup_corpus.py --docs 1000000 --out benchmarks/corpora/dedup-1m
    .venv/bin/python benchmarks/bench_dedup_scale.py --corpus benchmarks/corpora/dedup-1m \\
        --tools reprints,reprints-passages,textdedup,datatrove,datatrove-sentence --docs 100000 \\
        --out benchmarks/out/dedup-scale-100k

``--docs N`` uses the first N documents of the corpus (the truth is cut to them: a copy whose original is
beyond N is an ordinary document). Every tool runs in its own subprocess, in its own venv for text-dedup and
datatrove, on the same JSONL file; wall time, CPU time (user + system of the process and the children it
waited for) and the peak RSS of the process tree are measured from outside; ``--timeout`` stops a tool.

Tools:

* reprints: ``reprints.dedup(corpus, out=DIR)`` with the defaults (documents; Jaccard ≥ 0.8 on word 5-grams
  or containment ≥ 0.9; keep first), kept.jsonl written; one worker process per core.
* reprints-passages: ``mode="passages"`` (runs of ≥ 50 words held by a kept document cut; exact copies removed).
* reprints-scan: ``reprints.scan(corpus, out=DIR)`` with the defaults (pairs, passages, clusters; removes
  nothing, so it is not scored): the per-core throughput of the scan beside the dedup tools on one corpus.
* reprints-spark, reprints-spark-passages: the same on Spark (``engine="spark"``, master ``local[2]`` or
  $REPRINTS_BENCH_MASTER, 8 GB driver, 16 shuffle partitions); the JVM is a child of the tool's process.
* textdedup: text-dedup 0.4.1 MinHash + LSH, 5-grams, 128 permutations, threshold 0.8 (its own band/row
  choice), ``num_proc`` = cores, no false-positive check (its default). Documents under its ``min_length``
  (5 tokens) are filtered out before hashing; they are not counted as removed. In 0.4.1 this default run
  removes every member of a cluster (the cluster ids are not document ids: text-dedup issue #129, fixed after
  0.4.1), so also:
* textdedup-verify: the same with ``check_false_positive = true``: candidate pairs are checked on their
  exact Jaccard and each cluster keeps its first document.
* datatrove: datatrove 0.10.1 MinHash pipeline with its defaults (bench_dedup.py's).
* datatrove-sentence: datatrove's sentence dedup (SentenceDedupSignature → SentenceFindDedups →
  SentenceDedupFilter, its defaults: 3-sentence spans, documents left with < 50 words dropped).

Scores against the truth (truth.json):

* documents: a removal is right when the document is in a planted group (an original and its exact and near
  copies) and another member of that group is kept; at most |group| − 1 per group. precision = right /
  removed; recall = right / Σ(|group| − 1). Also given: how many related copies (reference Jaccard ≤ 0.65) or
  their originals, passage hosts and sources, and other documents each tool removed.
* passages (passage tools): characters removed, from removed.parquet's spans for reprints and from the text
  given back (difflib against the input) for datatrove; a whole removed document counts all its characters.
  recall = share of the planted passages' characters removed from the host or its source; precision = share
  of removed characters that are duplicated text (a planted passage, or a document of a copy group or a
  related pair).
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOOLS = ("reprints", "reprints-passages", "reprints-scan", "reprints-spark", "reprints-spark-passages", "textdedup", "textdedup-verify", "datatrove", "datatrove-sentence")
PASSAGE_TOOLS = ("reprints-passages", "reprints-spark-passages", "datatrove-sentence")


# --- workers -------------------------------------------------------------------------------

def prepared_input(corpus: Path, docs: int, work: Path) -> Path:
    """The first ``docs`` lines of the corpus as ``work/input/docs.jsonl`` (the corpus itself when all)."""
    total = json.loads((corpus / "truth.json").read_text())["documents"]
    if docs >= total:
        return corpus / "docs.jsonl"
    path = work / "input" / "docs.jsonl"
    if not path.exists() or sum(1 for _ in open(path, encoding="utf-8")) != docs:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(corpus / "docs.jsonl", encoding="utf-8") as src, open(path, "w", encoding="utf-8") as dst:
            for k, line in enumerate(src):
                if k == docs:
                    break
                dst.write(line)
    return path


def worker(tool: str, data: Path, out: Path) -> None:
    import shutil

    work = out / f"work-{tool}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    info: dict = {"tool": tool}
    t = time.perf_counter()
    if tool == "reprints-scan":
        import reprints

        result = reprints.scan(str(data), out=work / "out")
        info["tool_wall_s"] = round(time.perf_counter() - t, 3)
        info["summary"] = {"pairs": result.pairs.num_rows, "passages": result.passages.num_rows,
                           "clusters": len(set(result.clusters.column("cluster_id").to_pylist()))}
    elif tool.startswith("reprints"):
        import pyarrow.parquet as pq

        import reprints
        from reprints.config import DedupConfig

        config = DedupConfig().replace(dedup={"mode": "passages"} if tool.endswith("-passages") else {})
        if tool.startswith("reprints-spark"):
            import reprints.spark

            spark = reprints.spark.session(os.environ.get("REPRINTS_BENCH_MASTER", "local[2]"), conf={
                "spark.driver.memory": "8g", "spark.sql.shuffle.partitions": "16"})
            result = reprints.dedup(str(data), config=config, out=work / "out", engine="spark", spark=spark)
            info["tree_cpu_s"] = tree_cpu_seconds()  # the JVM and Python workers, which wait4 may not see
            spark.stop()
        else:
            result = reprints.dedup(str(data), config=config, out=work / "out")
        info["tool_wall_s"] = round(time.perf_counter() - t, 3)
        info["summary"] = {k: v for k, v in result.summary.items() if k != "skipped"}
        rows = pq.read_table(work / "out" / "removed.parquet", columns=["doc_id", "begin", "end"]).to_pylist()
        info["removed"] = [r["doc_id"] for r in rows if r["begin"] is None]
        spans: dict[str, list] = {}
        for r in rows:
            if r["begin"] is not None:
                spans.setdefault(r["doc_id"], []).append([r["begin"], r["end"]])
        info["spans"] = spans
    elif tool in ("textdedup", "textdedup-verify"):
        info.update(run_textdedup(data, work, verify=tool == "textdedup-verify"))
        info["tool_wall_s"] = round(time.perf_counter() - t, 3)
    elif tool == "datatrove":
        sys.path.insert(0, str(HERE))
        from bench_dedup import run_datatrove

        docs = [json.loads(line) for line in open(data, encoding="utf-8")]
        t = time.perf_counter()  # the input is written by run_datatrove, as in bench_dedup.py
        info["removed"] = run_datatrove(docs, work, info)
        info["tool_wall_s"] = round(time.perf_counter() - t, 3)
    elif tool == "datatrove-sentence":
        info.update(run_datatrove_sentence(data, work))
        info["tool_wall_s"] = round(time.perf_counter() - t, 3)
    else:
        raise SystemExit(f"unknown tool {tool}")
    (out / f"{tool}_run.json").write_text(json.dumps(info))


def tree_cpu_seconds() -> float:
    """User + system CPU seconds of this process and all its descendants so far."""
    import psutil

    total = 0.0
    me = psutil.Process()
    for p in [me] + me.children(recursive=True):
        try:
            t = p.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
        except psutil.Error:
            pass
    return round(total, 2)


def run_textdedup(data: Path, work: Path, verify: bool) -> dict:
    from datasets import load_from_disk
    from text_dedup.config.base import load_config_from_toml
    from text_dedup.minhash import main as minhash_main

    procs = os.cpu_count() or 1
    toml = work / "config.toml"
    toml.write_text(f"""
[input]
input_type = "local_files"
file_type = "json"
[input.read_arguments]
path = "json"
data_files = "{data}"
split = "train"
cache_dir = "{work / 'hf-cache'}"

[algorithm]
algorithm_name = "minhash"
text_column = "text"
num_perm = 128
ngram_size = 5
threshold = 0.8
num_proc = {procs}
check_false_positive = {"true" if verify else "false"}

[output]
output_dir = "{work / 'kept'}"

[debug]
enable_profiling = false
""")
    config = load_config_from_toml(toml)
    minhash_main(config)
    kept = set(load_from_disk(str(work / "kept"))["id"])
    # documents under min_length tokens are filtered out before hashing: not removed as duplicates
    tokenize = config.algorithm._get_tokenize_func()
    removed, short = [], 0
    for line in open(data, encoding="utf-8"):
        d = json.loads(line)
        if d["id"] in kept:
            continue
        if len(tokenize(d["text"])) < config.algorithm.min_length:
            short += 1
        else:
            removed.append(d["id"])
    return {"removed": removed, "filtered_short": short, "bands_rows": [config.algorithm.bands, config.algorithm.rows]}


def run_datatrove_sentence(data: Path, work: Path) -> dict:
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.sentence_dedup import (SentDedupConfig, SentenceDedupFilter,
                                                         SentenceDedupSignature, SentenceFindDedups)
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    (work / "input").mkdir(parents=True, exist_ok=True)
    os.symlink(data.resolve(), work / "input" / "docs.jsonl")
    config = SentDedupConfig()
    stages = [
        [JsonlReader(str(work / "input")), SentenceDedupSignature(output_folder=str(work / "sigs"), config=config)],
        [SentenceFindDedups(data_folder=str(work / "sigs"), output_folder=str(work / "dups"), config=config)],
        [JsonlReader(str(work / "input")),
         SentenceDedupFilter(data_folder=str(work / "dups"), config=config,
                             exclusion_writer=JsonlWriter(str(work / "removed"), compression=None)),
         JsonlWriter(str(work / "kept"), compression=None)],
    ]
    seconds = []
    for k, pipeline in enumerate(stages):
        ts = time.perf_counter()
        LocalPipelineExecutor(pipeline=pipeline, tasks=1, workers=1, logging_dir=str(work / "logs" / f"stage{k}")).run()
        seconds.append(round(time.perf_counter() - ts, 3))
    removed = []
    for path in sorted((work / "removed").glob("*.jsonl")):
        removed += [json.loads(line)["id"] for line in open(path, encoding="utf-8") if line.strip()]
    return {"removed": removed, "kept_folder": str(work / "kept"), "datatrove_stage_s": seconds,
            "datatrove_config": repr(config)}


# --- scoring -----------------------------------------------------------------------------------

def cut_truth(truth: dict, ids: set[str]) -> dict:
    groups = [[i for i in g if i in ids] for g in truth["groups"]]
    return {"groups": [g for g in groups if len(g) > 1],
            "related": [r for r in truth["related"] if r[0] in ids and r[1] in ids],
            "passages": [p for p in truth["passages"] if p["host"] in ids and p["source"] in ids]}


def score_documents(removed: list[str], ids: list[str], truth: dict) -> dict:
    gone = set(removed)
    right = needed = 0
    member: set[str] = set()
    for g in truth["groups"]:
        member.update(g)
        out = sum(1 for i in g if i in gone)
        right += min(out, len(g) - 1)
        needed += len(g) - 1
    related = {i for pair in truth["related"] for i in pair[:2]}
    hosts = {p["host"] for p in truth["passages"]}
    sources = {p["source"] for p in truth["passages"]}
    return {
        "removed": len(gone),
        "right": right,
        "should_remove": needed,
        "precision": round(right / len(gone), 4) if gone else None,
        "recall": round(right / needed, 4) if needed else None,
        "groups_left_with_none": sum(1 for g in truth["groups"] if all(i in gone for i in g)),
        "removed_related": len(gone & related),
        "removed_passage_hosts_or_sources": len(gone & (hosts | sources)),
        "removed_other": len(gone - member - related - hosts - sources),
    }


def removed_ranges(before: str, after: str) -> list[tuple[int, int]]:
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    return [(i1, i2) for op, i1, i2, _, _ in matcher.get_opcodes() if op in ("delete", "replace") and i2 > i1]


def score_passages(run: dict, texts: dict[str, str], truth: dict) -> dict:
    """Characters: recall over the planted passages, precision over everything removed."""
    ranges: dict[str, list[tuple[int, int]]] = {}
    for doc_id in run["removed"]:
        ranges[doc_id] = [(0, len(texts[doc_id]))]
    for doc_id, spans in run.get("spans", {}).items():
        ranges[doc_id] = [tuple(s) for s in spans]
    for doc_id, text in run.get("changed", {}).items():
        ranges[doc_id] = removed_ranges(texts[doc_id], text)
    dup_docs = {i for g in truth["groups"] for i in g} | {i for pair in truth["related"] for i in pair[:2]}
    planted: dict[str, list[tuple[int, int]]] = {}
    for p in truth["passages"]:
        planted.setdefault(p["host"], []).append((p["begin"], p["end"]))
        planted.setdefault(p["source"], []).append((p["source_begin"], p["source_end"]))

    def overlap(a: list, b: list) -> int:
        return sum(max(0, min(e1, e2) - max(b1, b2)) for b1, e1 in a for b2, e2 in b)

    total = right = 0
    for doc_id, rs in ranges.items():
        size = sum(e - b for b, e in rs)
        total += size
        if doc_id in dup_docs:
            right += size
        elif doc_id in planted:
            right += overlap(rs, planted[doc_id])
    found = want = 0
    for p in truth["passages"]:
        length = p["end"] - p["begin"]
        want += length
        got = overlap(ranges.get(p["host"], []), [(p["begin"], p["end"])])
        got += overlap(ranges.get(p["source"], []), [(p["source_begin"], p["source_end"])])
        found += min(got, length)
    return {"characters_removed": total, "precision_chars": round(right / total, 4) if total else None,
            "recall_chars": round(found / want, 4) if want else None,
            "passages_fully_found": sum(
                1 for p in truth["passages"]
                if overlap(ranges.get(p["host"], []), [(p["begin"], p["end"])]) == p["end"] - p["begin"]
                or overlap(ranges.get(p["source"], []), [(p["source_begin"], p["source_end"])])
                == p["source_end"] - p["source_begin"]),
            "passages": len(truth["passages"])}


def datatrove_changed(run: dict, texts_needed: set[str]) -> dict[str, str]:
    """Texts datatrove gave back for the documents that the passage score looks at."""
    changed = {}
    for path in sorted(Path(run["kept_folder"]).glob("*.jsonl")):
        for line in open(path, encoding="utf-8"):
            d = json.loads(line)
            if d["id"] in texts_needed:
                changed[d["id"]] = d["text"]
    return changed


# --- main ----------------------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True, help="folder written by make_dedup_corpus.py")
    ap.add_argument("--docs", type=int, default=0, help="use the first N documents (0: all)")
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--out", required=True)
    ap.add_argument("--timeout", type=float, default=3600, help="seconds a tool may run")
    ap.add_argument("--until", help="UTC time (YYYY-MM-DDTHH:MM) by which every tool must have stopped: a tool's "
                    "timeout is cut to what is left, and a tool with under a minute left is not started")
    ap.add_argument("--textdedup-python", default=str(HERE / ".venv-textdedup" / "bin" / "python"))
    ap.add_argument("--datatrove-python", default=str(HERE / ".venv-datatrove" / "bin" / "python"))
    ap.add_argument("--_worker", help=argparse.SUPPRESS)
    ap.add_argument("--_data", help=argparse.SUPPRESS)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args._worker:
        worker(args._worker, Path(args._data), out)
        return
    sys.path.insert(0, str(HERE))
    import _common

    corpus = Path(args.corpus)
    full = json.loads((corpus / "truth.json").read_text())
    n = args.docs or full["documents"]
    data = prepared_input(corpus, n, out)
    pythons = {"textdedup": args.textdedup_python, "textdedup-verify": args.textdedup_python,
               "datatrove": args.datatrove_python,
               "datatrove-sentence": args.datatrove_python}
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    machine = _common.machine_info()
    code = _common.code_state()
    ids = []
    with open(data, encoding="utf-8") as fh:
        for line in fh:
            ids.append(json.loads(line)["id"])
    truth = cut_truth(full, set(ids))
    evaluation = {"documents": n, "groups": len(truth["groups"]),
                  "should_remove": sum(len(g) - 1 for g in truth["groups"]),
                  "related_pairs": len(truth["related"]), "passages": len(truth["passages"]), "tools": {}}
    runs = {}

    def write_partial() -> None:
        """What is measured so far (a tool's figures and document scores as soon as it finishes), so
        that a run stopped part way keeps them; results.json replaces it at the end."""
        kept = {t: {k: v for k, v in r.items() if k not in ("removed", "spans", "changed")} for t, r in runs.items()}
        _common.write_json(out / "results-partial.json", {"machine": machine, "code": code, "runs": kept,
                                                          "evaluation": evaluation, "command": " ".join(sys.argv)})
    for tool in tools:
        python = pythons.get(tool, _common.python())
        if not Path(python).exists():
            print(f"{tool} left out: no {python} (sh benchmarks/setup_bench_envs.sh)", flush=True)
            continue
        timeout = args.timeout
        if args.until:
            import datetime as dt

            left = (dt.datetime.fromisoformat(args.until).replace(tzinfo=dt.timezone.utc)
                    - dt.datetime.now(dt.timezone.utc)).total_seconds()
            if left < 60:
                print(f"{tool} not started: --until {args.until} leaves {left:.0f} s", flush=True)
                runs[tool] = {"not_started": f"--until {args.until}"}
                write_partial()
                continue
            timeout = min(timeout, left)
        load = os.getloadavg()
        m = _common.run_measured([python, __file__, "--_worker", tool, "--_data", str(data), "--out", str(out),
                                  "--corpus", str(corpus)], log_path=out / f"{tool}.log", timeout_s=timeout)
        m["timeout_s"] = round(timeout, 1)
        m["loadavg_before"] = [round(x, 2) for x in load]
        m["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
        if m["returncode"] != 0:
            print(f"{tool}: {'timed out' if m['timed_out'] else 'failed'} (exit {m['returncode']}) after "
                  f"{m['process_wall_s']} s; see {out}/{tool}.log", flush=True)
            runs[tool] = m
            write_partial()
            continue
        m.update(json.loads((out / f"{tool}_run.json").read_text()))
        if "tree_cpu_s" in m:  # Spark: the JVM is not always waited for; take the larger figure
            m["cpu_s_wait4"] = m.get("cpu_s")
            m["cpu_s"] = max(m.get("cpu_s") or 0, m["tree_cpu_s"])
        m["mb_per_cpu_s"] = round(data.stat().st_size / 1e6 / max(m.get("cpu_s") or 0, 1e-9), 3)
        runs[tool] = m
        if tool == "reprints-scan":
            print(f"{tool}: wall {m['process_wall_s']} s, CPU {m.get('cpu_s')} s ({m['mb_per_cpu_s']} MB per CPU-second), "
                  f"peak {m['peak_rss_tree_mb']} MB; {m['summary']}", flush=True)
            write_partial()
            continue
        e = score_documents(m["removed"], ids, truth)
        evaluation["tools"][tool] = e
        print(f"{tool}: wall {m['process_wall_s']} s (tool {m['tool_wall_s']} s), CPU {m.get('cpu_s')} s "
              f"({m['mb_per_cpu_s']} MB per CPU-second), "
              f"peak {m['peak_rss_tree_mb']} MB, load {m['loadavg_before'][0]} -> {m['loadavg_after'][0]}; "
              f"removed {e['removed']:,}, precision {e['precision']}, recall {e['recall']}", flush=True)
        write_partial()

    # scoring of passages (needs the texts)
    need_text: set[str] = {i for g in truth["groups"] for i in g} | {i for r in truth["related"] for i in r[:2]}
    need_text |= {p[k] for p in truth["passages"] for k in ("host", "source")}
    for tool in PASSAGE_TOOLS:
        run = runs.get(tool)
        if run and "removed" in run:
            need_text |= set(run["removed"]) | set(run.get("spans", {}))
            if tool == "datatrove-sentence":
                run["changed"] = datatrove_changed(run, need_text)
    texts = {}
    with open(data, encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            if d["id"] in need_text:
                texts[d["id"]] = d["text"]
    if "datatrove-sentence" in runs and "changed" in runs["datatrove-sentence"]:
        run = runs["datatrove-sentence"]
        run["changed"] = {k: v for k, v in run["changed"].items() if v != texts[k]}
    for tool, run in runs.items():
        if "removed" in run and tool in PASSAGE_TOOLS:
            evaluation["tools"][tool]["passages"] = score_passages(run, texts, truth)
    print(f"{n:,} documents; {evaluation['groups']:,} planted groups ({evaluation['should_remove']:,} removals "
          f"due), {evaluation['related_pairs']:,} related pairs, {evaluation['passages']:,} passages")
    print("tool | wall s | CPU s | peak MB | removed | precision | recall | related removed | other removed | "
          "passage chars P / R")
    for tool, e in evaluation["tools"].items():
        run = runs[tool]
        p = e.get("passages", {})
        print(f"{tool} | {run['process_wall_s']} | {run.get('cpu_s')} | {run['peak_rss_tree_mb']} | {e['removed']:,} | "
              f"{e['precision']} | {e['recall']} | {e['removed_related']} | {e['removed_other']} | "
              f"{p.get('precision_chars', '')} / {p.get('recall_chars', '')}")
    done = {t: r for t, r in runs.items() if "removed" in r}
    for tool, base in [(t, "reprints") for t in ("textdedup", "textdedup-verify", "datatrove")] + [
            ("datatrove-sentence", "reprints-passages")]:
        if tool in done and base in done:
            print(f"{tool} / {base}: CPU {done[tool]['cpu_s'] / max(done[base]['cpu_s'], 1e-9):.1f}x, "
                  f"wall {done[tool]['process_wall_s'] / done[base]['process_wall_s']:.1f}x")
    for run in runs.values():
        for key in ("removed", "spans", "changed"):
            run.pop(key, None)
    _common.write_json(out / "results.json", {"machine": machine, "code": code, "runs": runs,
                                              "evaluation": evaluation, "command": " ".join(sys.argv)})


if __name__ == "__main__":
    main()
