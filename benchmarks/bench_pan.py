#!/usr/bin/env python
"""PAN 2013 text alignment (training corpus): reprints' aligner scored with the PAN measures.

    python benchmarks/bench_pan.py --data /work/shared/data/pan13-train --fold all --workers 2

Every pair is aligned with ``reprints.stages.align.align_texts(suspicious, source)`` and scored
with the official PAN measures (macro precision / recall, granularity, plagdet; see
``reprints.evaluate.pan``), overall and per obfuscation type. ``--fold 0`` / ``--fold 1`` use
one half of a deterministic two-fold split (a hash of the pair's file names), so parameters
can be tuned on one half and measured on the other. ``--align KEY=VALUE`` overrides an
``AlignConfig`` field (repeatable). ``--out DIR`` writes the detections as PAN XML (readable by
the official ``perfmeasures.py -p <truth folder> -d DIR``); ``--json FILE`` the full result.

Seconds: ``wall`` is the whole run (reading, aligning in ``--workers`` processes, scoring);
the per-type column is the summed alignment time of that type's pairs (CPU-seconds across
workers, excluding file reading).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from reprints.config import AlignConfig, plagiarism_profile
from reprints.evaluate.pan import evaluate_pan

DEFAULT_DATA = "/work/shared/data/pan13-train"


def _align_config(overrides: list[str]) -> AlignConfig:
    """The plagiarism profile (what `reprints evaluate pan` uses), with KEY=VALUE overrides."""
    base = plagiarism_profile()
    fields = {f.name for f in dataclasses.fields(AlignConfig)}
    values = {}
    for item in overrides:
        key, _, value = item.partition("=")
        if key not in fields:
            raise SystemExit(f"unknown AlignConfig field {key!r} (have {', '.join(sorted(fields))})")
        kind = type(getattr(base, key))
        if kind is bool:  # bool("False") is True
            if value.lower() not in ("true", "false", "1", "0"):
                raise SystemExit(f"{key} takes true or false, not {value!r}")
            values[key] = value.lower() in ("true", "1")
        else:
            values[key] = kind(value)
    return dataclasses.replace(base, **values)


def format_table(result: dict) -> str:
    head = f"{'type':<14} {'pairs':>6} {'cases':>6} {'dets':>6} {'P':>6} {'R':>6} {'gran':>6} {'PlagDet':>8} {'seconds':>8}"
    lines = [head, "-" * len(head)]

    def row(name: str, m: dict, seconds: float) -> str:
        return (
            f"{name:<14} {m['pairs']:>6} {m['cases']:>6} {m['detections']:>6} {m['precision']:>6.3f} "
            f"{m['recall']:>6.3f} {m['granularity']:>6.3f} {m['plagdet']:>8.3f} {seconds:>8.1f}"
        )

    for name, m in result["by_type"].items():
        lines.append(row(name, m, m["align_seconds"]))
    lines.append("-" * len(head))
    lines.append(row("overall", result["overall"], result["overall"]["align_seconds"]))
    lines.append("")
    nop = result["by_type"].get("no-plagiarism")
    if nop is not None:
        lines.append(
            f"no-plagiarism: {nop['false_positives']} false-positive detections in "
            f"{nop['pairs_with_detections']} of {nop['pairs']} pairs"
        )
    o = result["overall"]
    lines.append(f"overall micro P/R: {o['micro_precision']:.3f} / {o['micro_recall']:.3f}; "
                 f"detections matching no case: {o['unmatched_detections']}")
    lines.append(f"wall: {result['seconds']:.1f} s with {result['workers']} workers "
                 f"(alignment CPU: {o['align_seconds']:.1f} s)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=DEFAULT_DATA, help="PAN corpus folder (with pairs, src/, susp/)")
    ap.add_argument("--fold", choices=("0", "1", "all"), default="all")
    ap.add_argument("--workers", type=int, default=0, help="processes (0: one per core, 1: no pool)")
    ap.add_argument("--align", action="append", default=[], metavar="KEY=VALUE",
                    help="AlignConfig override, e.g. --align min_words=30")
    ap.add_argument("--out", type=Path, help="write detections as PAN XML here")
    ap.add_argument("--json", type=Path, help="write the full result as JSON here")
    ap.add_argument("--progress", action="store_true", help="show a progress bar on stderr")
    args = ap.parse_args(argv)

    config = _align_config(args.align)
    progress = None
    if args.progress:
        from reprints.progress import RichReporter

        progress = RichReporter()
    fold = None if args.fold == "all" else int(args.fold)
    result = evaluate_pan(args.data, config=config, out=args.out, workers=args.workers,
                          progress=progress, fold=fold)
    if progress is not None:
        progress.stop()
    print(f"PAN corpus: {result['corpus']}  fold: {args.fold}  pairs: {result['pairs']}")
    print(f"AlignConfig: {result['config']}")
    print(format_table(result))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
