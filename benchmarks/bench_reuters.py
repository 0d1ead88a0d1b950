#!/usr/bin/env python
"""Reuters-21578: reprints.scan against datasketch and rensa MinHash-LSH near-duplicate detection.

    python benchmarks/bench_reuters.py --data /work/shared/data/reuters21578/reuters21578.jsonl \
        --tools reprints,datasketch,rensa --out benchmarks/out/

Every tool runs in its own subprocess (wall time and peak memory are per tool); with
``--repeat K`` each tool runs K times, interleaved, and the fastest run is reported (the machine
may be shared: all runs and the load average before each are kept in reuters_results.json). Documents are
the 19,043 articles with a non-empty ``body`` (id = str(newid), text = body, date = date).

* reprints: ``reprints.scan(documents)`` end to end with the default config; its reported pairs
  are the rows of ``result.pairs`` (documents sharing an aligned passage or near duplicates)
  but those labelled ``kind = "template"`` (filled-in forms, counted apart in the summary).
* datasketch: MinHash(num_perm=128) over word 5-gram shingles of lowercased ``\\w+`` tokens,
  MinHashLSH(threshold=0.8) (datasketch picks b=9 bands x r=13 rows), insert all, query all;
  reported pairs = the LSH candidates (what ``query`` returns; datasketch does not verify).
* rensa: the same shingles, RMinHash(num_perm=128) built in one batch call
  (``RMinHash.from_token_sets``), RMinHashLSH(threshold=0.8, num_perm=128, num_bands=8: bands
  must divide num_perm; 8 is rensa's own documented setting for 0.8), insert_many, query_all.
  Reported pairs = the LSH candidates.

For both MinHash tools the pairs whose estimated Jaccard is >= 0.8 ("+verify") are evaluated
as well (the verification is timed separately and not included in the headline wall time).

Ground truth and checks:

* exact groups: bodies identical after whitespace normalisation (``' '.join(body.split())``);
  recall = share of within-group pairs reported; "exact-share" = share of reported pairs that are
  exact-group pairs (informative only: a reprint need not be an exact duplicate).
* a hand-judged sample of 50 reported pairs per tool: the 50 pairs with the smallest seeded
  hash (blake2b of "seed:doc_a:doc_b"), so the sample is a function of the pair list and a pair
  stays in it while it is reported (a small change in the tool's output changes the sample a little).
  Judgments live in ``benchmarks/judgments/reuters_<tool>_sample.csv`` (doc_a, doc_b, judgment,
  reason); judgment is yes (duplicate, reprint or update of the same story sharing substantial
  text), no (different stories sharing formula text only) or partial (different stories that
  genuinely reuse one non-formula passage, e.g. a background paragraph). A pair judged in another
  tool's file is reused ("borrowed"). Pairs of the sample that are not judged yet are listed, and their texts are written to
  ``<out>/reuters_<tool>_sample.txt`` so that a person can judge them.

``--reuse`` skips running the tools and re-evaluates the pair files already in ``--out``.
"""

from __future__ import annotations

import argparse
import csv
import json
import hashlib
import re
import sys
import time
from collections import defaultdict
from itertools import combinations
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _common  # noqa: E402

DEFAULT_DATA = "/work/shared/data/reuters21578/reuters21578.jsonl"
TOOLS = ("reprints", "datasketch", "rensa")
NUM_PERM = 128
THRESHOLD = 0.8
RENSA_BANDS = 8
SHINGLE = 5
TOKEN = re.compile(r"\w+")


# --- data --------------------------------------------------------------------------------

def load_docs(path: str) -> list[dict]:
    docs = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            body = rec.get("body")
            if body and body.strip():
                docs.append({"id": str(rec["newid"]), "text": body, "date": rec.get("date")})
    return docs


def shingles(text: str) -> list[str]:
    toks = TOKEN.findall(text.lower())
    if len(toks) < SHINGLE:  # a very short body is one shingle, so it is not an empty set
        return [" ".join(toks)] if toks else []
    return list({" ".join(toks[i:i + SHINGLE]) for i in range(len(toks) - SHINGLE + 1)})


def canon(a: str, b: str) -> tuple[str, str]:
    return (a, b) if int(a) < int(b) else (b, a)


# --- workers (each in its own process) ---------------------------------------------------

def worker(tool: str, data: str, out: Path) -> None:
    t0 = time.perf_counter()
    docs = load_docs(data)
    load_s = time.perf_counter() - t0
    info: dict = {"tool": tool, "documents": len(docs), "load_s": round(load_s, 3),
                  "rss_after_load_mb": _common.self_rss_mb()}
    import pyarrow as pa
    import pyarrow.parquet as pq

    if tool == "reprints":
        import reprints

        t = time.perf_counter()
        result = reprints.scan(docs)
        info["tool_wall_s"] = round(time.perf_counter() - t, 3)
        info["summary"] = {k: v for k, v in result.summary.items()
                           if k not in ("largest_clusters", "cluster_sizes", "skipped")}
        pq.write_table(result.pairs, out / "reuters_reprints_pairs.parquet")
        pq.write_table(result.passages, out / "reuters_reprints_passages.parquet")
    elif tool in ("datasketch", "rensa"):
        t = time.perf_counter()
        sh = [shingles(d["text"]) for d in docs]
        shingle_s = time.perf_counter() - t
        ids = [d["id"] for d in docs]
        pairs: set[tuple[int, int]] = set()
        if tool == "datasketch":
            from datasketch import MinHash, MinHashLSH

            lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
            info["lsh_bands_rows"] = [lsh.b, lsh.r]
            mhs = []
            for i, s in enumerate(sh):
                m = MinHash(num_perm=NUM_PERM)
                m.update_batch([x.encode("utf-8") for x in s])
                mhs.append(m)
                lsh.insert(i, m)
            for i, m in enumerate(mhs):
                for j in lsh.query(m):
                    if j != i:
                        pairs.add((min(i, j), max(i, j)))
            info["tool_wall_s"] = round(time.perf_counter() - t, 3)
            tv = time.perf_counter()
            est = [mhs[i].jaccard(mhs[j]) for i, j in sorted(pairs)]
        else:
            from rensa import RMinHash, RMinHashLSH

            mhs = RMinHash.from_token_sets(sh, num_perm=NUM_PERM, seed=42)
            lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, num_bands=RENSA_BANDS)
            info["lsh_bands_rows"] = [RENSA_BANDS, NUM_PERM // RENSA_BANDS]
            lsh.insert_many(mhs, start_key=0)
            for i, found in enumerate(lsh.query_all(mhs)):
                for j in found:
                    if j != i:
                        pairs.add((min(i, j), max(i, j)))
            info["tool_wall_s"] = round(time.perf_counter() - t, 3)
            tv = time.perf_counter()
            est = [mhs[i].jaccard(mhs[j]) for i, j in sorted(pairs)]
        info["verify_s"] = round(time.perf_counter() - tv, 3)
        info["shingle_s"] = round(shingle_s, 3)
        srt = sorted(pairs)
        table = pa.table({"doc_a": [ids[i] for i, _ in srt], "doc_b": [ids[j] for _, j in srt],
                          "est_jaccard": est})
        pq.write_table(table, out / f"reuters_{tool}_pairs.parquet")
    else:
        raise SystemExit(f"unknown tool {tool}")
    info["main_peak_mb"] = _common.vm_hwm_mb()
    _common.write_json(out / f"reuters_{tool}_run.json", info)


# --- evaluation --------------------------------------------------------------------------

def exact_pairs(docs: list[dict]) -> tuple[set[tuple[str, str]], int]:
    groups: dict[str, list[str]] = defaultdict(list)
    for d in docs:
        groups[" ".join(d["text"].split())].append(d["id"])
    multi = [g for g in groups.values() if len(g) > 1]
    return {canon(a, b) for g in multi for a, b in combinations(g, 2)}, len(multi)


def read_pairs(out: Path, tool: str):
    import pyarrow.parquet as pq

    t = pq.read_table(out / f"reuters_{tool}_pairs.parquet").to_pandas()
    if "kind" in t:  # reprints: pairs labelled "template" (filled-in forms) are not reported reprints
        t = t[t.kind != "template"].reset_index(drop=True)
    pairs = [canon(a, b) for a, b in zip(t.doc_a, t.doc_b)]
    t["doc_a"] = [a for a, _ in pairs]
    t["doc_b"] = [b for _, b in pairs]
    return t


def draw_sample(pairs: list[tuple[str, str]], n: int, seed: int) -> list[tuple[str, str]]:
    """The ``n`` pairs with the smallest seeded hash of their ids: a function of the pair list
    that keeps a pair in the sample as long as it is reported and no pair of smaller hash is
    added, so a small change in the pair list changes the sample a little, and most judgments
    still apply."""
    def key(p: tuple[str, str]) -> bytes:
        return hashlib.blake2b(f"{seed}:{p[0]}:{p[1]}".encode(), digest_size=8).digest()

    return sorted(set(pairs), key=key)[:n]


def read_judgments(path: Path) -> dict[tuple[str, str], tuple[str, str]]:
    out: dict[tuple[str, str], tuple[str, str]] = {}
    if path.exists():
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                out[canon(row["doc_a"].strip(), row["doc_b"].strip())] = (row["judgment"].strip().lower(),
                                                                         row["reason"].strip())
    return out


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval for a proportion k/n."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
    return (round(max(0.0, centre - half), 3), round(min(1.0, centre + half), 3))


def true_jaccard(sa: set, sb: set) -> float:
    return len(sa & sb) / len(sa | sb) if (sa or sb) else 0.0


def evaluate(docs: list[dict], out: Path, tools: list[str], sample_n: int, seed: int,
             judgments_dir: Path) -> dict:
    text = {d["id"]: d["text"] for d in docs}
    gold, n_groups = exact_pairs(docs)
    results: dict = {"exact_groups": n_groups, "exact_pairs": len(gold), "tools": {}}
    variants: dict[str, set] = {}
    frames = {}
    for tool in tools:
        t = read_pairs(out, tool)
        frames[tool] = t
        variants[tool] = set(zip(t.doc_a, t.doc_b))
        if "est_jaccard" in t:
            v = t[t.est_jaccard >= THRESHOLD]
            variants[f"{tool}+verify"] = set(zip(v.doc_a, v.doc_b))
    # exact Jaccard of the 5-gram shingle sets for every pair any tool reported
    pool = set().union(*variants.values()) if variants else set()
    sh_cache: dict[str, set] = {}

    def sh(i: str) -> set:
        if i not in sh_cache:
            sh_cache[i] = set(shingles(text[i]))
        return sh_cache[i]

    tj = {p: true_jaccard(sh(p[0]), sh(p[1])) for p in pool}
    near = {p for p, j in tj.items() if j >= THRESHOLD}
    results["pool_pairs"] = len(pool)
    results["pool_pairs_true_jaccard_ge_0.8"] = len(near)
    for name, pairs in variants.items():
        hit = len(pairs & gold)
        results["tools"][name] = {
            "reported_pairs": len(pairs),
            "exact_recall": round(hit / len(gold), 4) if gold else None,
            "exact_pairs_found": hit,
            "exact_share_of_reported": round(hit / len(pairs), 4) if pairs else None,
            "true_j08_in_reported": sum(1 for p in pairs if tj[p] >= THRESHOLD),
            "true_j08_precision": round(sum(1 for p in pairs if tj[p] >= THRESHOLD) / len(pairs), 4) if pairs else None,
            "true_j08_recall_of_pool": round(len(pairs & near) / len(near), 4) if near else None,
            "missed_exact_examples": sorted(gold - pairs, key=lambda p: (int(p[0]), int(p[1])))[:10],
        }
    # overlap between reprints and the MinHash tools
    if "reprints" in variants:
        for other in [k for k in variants if k != "reprints"]:
            a, b = variants["reprints"], variants[other]
            results["tools"][other]["also_in_reprints"] = len(a & b)
            results["tools"][other]["not_in_reprints_examples"] = sorted(
                b - a, key=lambda p: (int(p[0]), int(p[1])))[:20]
            results["tools"][other]["not_in_reprints"] = len(b - a)
    # judged samples
    all_judged: dict = {}
    for name in (*TOOLS, "templates"):  # reuters_templates_sample.csv: the issue-14 sample of reprint pairs
        all_judged.update(read_judgments(judgments_dir / f"reuters_{name}_sample.csv"))
    for tool in tools:
        sample = draw_sample(list(variants[tool]), sample_n, seed)
        own = read_judgments(judgments_dir / f"reuters_{tool}_sample.csv")
        rows = []
        yes = partial = judged = 0
        missing = []
        for a, b in sample:
            j = own.get((a, b))
            borrowed = False
            if j is None and (a, b) in all_judged:
                j, borrowed = all_judged[(a, b)], True
            if j is None:
                missing.append((a, b))
            else:
                judged += 1
                yes += j[0] == "yes"
                partial += j[0] == "partial"
            rows.append({"doc_a": a, "doc_b": b, "true_jaccard": round(tj[(a, b)], 3),
                         "exact": (a, b) in gold, "judgment": j[0] if j else None,
                         "reason": j[1] if j else None, "borrowed": borrowed})
        results["tools"][tool]["sample"] = rows
        results["tools"][tool]["judged"] = judged
        results["tools"][tool]["judged_yes"] = yes
        results["tools"][tool]["judged_partial"] = partial
        lo, hi = wilson(yes, judged)
        n_rep = results["tools"][tool]["reported_pairs"]
        results["tools"][tool]["judged_precision_ci95"] = [lo, hi]
        results["tools"][tool]["estimated_genuine_pairs"] = [round(lo * n_rep), round(yes / judged * n_rep) if judged else None,
                                                             round(hi * n_rep)]
        results["tools"][tool]["judged_precision"] = round(yes / judged, 3) if judged else None
        results["tools"][tool]["judged_precision_incl_partial"] = round((yes + partial) / judged, 3) if judged else None
        results["tools"][tool]["unjudged"] = missing
        # every judged pair of this tool's file that the tool still reports (earlier samples
        # included): a larger, roughly random, set than the current sample
        still = [v for k, v in own.items() if k in variants[tool]]
        results["tools"][tool]["all_judged_still_reported"] = {
            "judged": len(still), "yes": sum(1 for v in still if v[0] == "yes"),
            "partial": sum(1 for v in still if v[0] == "partial")}
        with open(out / f"reuters_{tool}_sample.txt", "w", encoding="utf-8") as fh:
            for k, (a, b) in enumerate(sample):
                fh.write(f"=== [{k}] {tool} pair {a} / {b}  true_J={tj[(a, b)]:.3f} exact={(a, b) in gold}\n")
                fh.write(f"--- {a}:\n{text[a].strip()}\n--- {b}:\n{text[b].strip()}\n\n")
    return results


def print_report(res: dict, runs: dict, sample_n: int) -> None:
    print(f"\nexact groups (whitespace-normalised identical bodies): {res['exact_groups']} groups, "
          f"{res['exact_pairs']} within-group pairs")
    print(f"pool of pairs reported by any tool: {res['pool_pairs']}, of which true 5-gram Jaccard "
          f">= 0.8: {res['pool_pairs_true_jaccard_ge_0.8']}\n")
    hdr = (f"{'tool':<20}{'wall s':>8}{'peak tree MB':>14}{'main MB':>9}{'pairs':>8}"
           f"{'exact rec':>10}{'exact share':>12}{'J>=.8 prec':>11}{'J>=.8 rec*':>11}{'judged prec':>16}")
    print(hdr)
    for name, t in res["tools"].items():
        base = name.split("+")[0]
        r = runs.get(base, {})
        wall = r.get("tool_wall_s")
        if wall is not None and name.endswith("+verify"):
            wall = wall + r.get("verify_s", 0)
        jp = (f"{t['judged_yes']}/{t['judged']}" if t.get("judged") is not None else "-")
        if t.get("judged_partial"):
            jp += f" (+{t['judged_partial']}p)"
        print(f"{name:<20}{wall if wall is not None else '-':>8}{r.get('peak_rss_tree_mb', '-'):>14}"
              f"{r.get('main_peak_mb', '-'):>9}{t['reported_pairs']:>8}{t['exact_recall']:>10}"
              f"{t['exact_share_of_reported']:>12}{t['true_j08_precision']:>11}"
              f"{t['true_j08_recall_of_pool']:>11}{jp:>16}")
    print("  * recall among pool pairs whose exact 5-gram Jaccard >= 0.8 (pool = union of all tools)")
    print("  judged prec = pairs judged 'yes' / pairs judged in the sample; '+Np' = also judged 'partial'"
          " (genuine reuse of a non-formula passage between different stories)")
    for name, t in res["tools"].items():
        if t.get("judged"):
            lo, est, hi = t["estimated_genuine_pairs"]
            print(f"{name}: judged precision {t['judged_precision']} (95% CI {t['judged_precision_ci95'][0]}-"
                  f"{t['judged_precision_ci95'][1]}) -> about {est} genuine pairs of {t['reported_pairs']} "
                  f"reported (CI {lo}-{hi})")
    for name, t in res["tools"].items():
        aj = t.get("all_judged_still_reported")
        if aj and aj["judged"] > t.get("judged", 0):
            print(f"{name}: all judged pairs in its judgments file that it still reports: {aj['yes']}/{aj['judged']} yes"
                  f" (+{aj['partial']} partial), precision {aj['yes'] / aj['judged']:.3f} "
                  f"(95% CI {wilson(aj['yes'], aj['judged'])[0]}-{wilson(aj['yes'], aj['judged'])[1]})")
    for tool, r in runs.items():
        if r.get("repeats", 1) > 1:
            print(f"{tool}: wall of each run {r['tool_wall_all_s']} s (median {r['tool_wall_median_s']}), "
                  f"1-min load average before each {r['loadavg_1min_before_all']}")
    if "reprints" in runs:
        for other in ("datasketch", "rensa"):
            if other in runs and runs[other].get("tool_wall_s"):
                ratio = runs["reprints"]["tool_wall_s"] / runs[other]["tool_wall_s"]
                med = ""
                if runs["reprints"].get("tool_wall_median_s") and runs[other].get("tool_wall_median_s"):
                    med = (f" (medians: {runs['reprints']['tool_wall_median_s'] / runs[other]['tool_wall_median_s']:.2f})")
                print(f"wall ratio reprints/{other} (fastest runs): {ratio:.2f}{med}")
    for name, t in res["tools"].items():
        if "sample" not in t:
            continue
        print(f"\n--- sample of {sample_n} {name} pairs (seeded; texts in reuters_{name}_sample.txt)")
        for k, row in enumerate(t["sample"]):
            print(f"  [{k:2}] {row['doc_a']:>6} {row['doc_b']:>6}  J={row['true_jaccard']:.3f} "
                  f"{'exact' if row['exact'] else '     '} {row['judgment'] or 'UNJUDGED'}"
                  f"{' (borrowed)' if row['borrowed'] else ''}  {row['reason'] or ''}")
        if t["unjudged"]:
            print(f"  {len(t['unjudged'])} pairs of this sample are not judged yet: add them to "
                  f"benchmarks/judgments/reuters_{name}_sample.csv")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--out", default=str(HERE / "out"))
    ap.add_argument("--sample", type=int, default=50, help="pairs per tool in the judged sample")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--judgments", default=str(HERE / "judgments"))
    ap.add_argument("--repeat", type=int, default=1,
                    help="run every tool this many times (interleaved); the fastest run is reported, all are kept")
    ap.add_argument("--reuse", action="store_true", help="do not run the tools; re-evaluate pair files in --out")
    ap.add_argument("--_worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args._worker:
        worker(args._worker, args.data, out)
        return
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    machine = _common.machine_info()
    runs: dict = {}
    if args.reuse:
        prev = json.loads((out / "reuters_results.json").read_text()) if (out / "reuters_results.json").exists() else {}
        runs = prev.get("runs", {})
        machine = prev.get("machine", machine)
    else:
        history = _common.interleaved_runs(tools, lambda tool: [_common.python(), __file__, "--_worker", tool,
                                                                "--data", args.data, "--out", str(out)],
                                           out, "reuters", args.repeat)
        runs = _common.fastest_runs(history)
    docs = load_docs(args.data)
    res = evaluate(docs, out, tools, args.sample, args.seed, Path(args.judgments))
    print(json.dumps({"machine": machine}, indent=1))
    print_report(res, runs, args.sample)
    _common.write_json(out / "reuters_results.json", {"machine": machine, "runs": runs, "evaluation": res,
                                                       "command": " ".join(sys.argv)})


if __name__ == "__main__":
    main()
