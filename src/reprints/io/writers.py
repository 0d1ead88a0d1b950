"""Write a run directory so that it is either complete or absent.

Everything is written into a hidden temporary directory beside the target and renamed into
place at the end; an interrupted or failed run leaves no directory that looks complete.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

TABLE_FILES = ("documents", "pairs", "passages", "clusters")


class OutputExistsError(Exception):
    pass


def check_target(out: Path, overwrite: bool) -> None:
    if out.exists() and not overwrite:
        raise OutputExistsError(f"{out} already exists; pass --overwrite to replace it")
    if out.exists() and not (out / "run.json").exists() and any(out.iterdir()):
        raise OutputExistsError(f"{out} exists and is not a reprints run directory; refusing to replace it")


def write_run(out: Path, tables: dict[str, pa.Table], run_info: dict[str, Any], overwrite: bool = False) -> Path:
    out = Path(out)
    check_target(out, overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.partial-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        for name in TABLE_FILES:
            pq.write_table(tables[name], tmp / f"{name}.parquet", compression="zstd")
        with open(tmp / "run.json", "w", encoding="utf-8") as handle:
            json.dump(run_info, handle, indent=2, ensure_ascii=False, default=str)
            handle.write("\n")
        if out.exists():
            trash = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
            os.replace(out, trash)
            os.replace(tmp, out)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def read_run(run_dir: Path) -> dict[str, pa.Table]:
    run_dir = Path(run_dir)
    if not (run_dir / "run.json").exists():
        raise FileNotFoundError(f"{run_dir} is not a complete reprints run (no run.json)")
    return {name: pq.read_table(run_dir / f"{name}.parquet") for name in TABLE_FILES}
