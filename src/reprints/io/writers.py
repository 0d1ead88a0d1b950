"""Write a run directory so that it is either complete or absent.

Everything is written into a hidden temporary directory beside the target and renamed into
place at the end; an interrupted or failed run leaves no directory that looks complete, and the
next run beside it removes what a killed one left (``workspace``). Callers hold
``workspace.claim(out)`` for the whole run, so two runs onto one --out cannot both succeed.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Callable

import pyarrow as pa
import pyarrow.parquet as pq

from reprints.io import workspace
from reprints.io.workspace import OutputExistsError  # noqa: F401  (raised here, caught by callers)

TABLE_FILES = ("documents", "pairs", "passages", "clusters")


def check_target(out: Path, overwrite: bool) -> None:
    """Raise `OutputExistsError` unless ``out`` can become a run directory: checked before any
    work, so a bad --out costs nothing."""
    out = Path(out)
    if out.exists() or out.is_symlink():
        if not out.is_dir():
            raise OutputExistsError(f"{out} is a file, not a run directory; give another --out")
        if not overwrite:
            raise OutputExistsError(f"{out} already exists; pass --overwrite to replace it")
        if not (out / "run.json").exists() and any(out.iterdir()):
            raise OutputExistsError(f"{out} exists and is not a reprints run directory; refusing to replace it")
        return
    ancestor = out.absolute().parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputExistsError(f"cannot create {out}: {ancestor} is a file, not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputExistsError(f"cannot create {out}: {ancestor} is not writable")


def write_run(out: Path, tables: dict[str, pa.Table], run_info: dict[str, Any], overwrite: bool = False) -> Path:
    """Write the run into a temporary folder beside ``out`` and rename it into place. Without
    ``overwrite`` the rename never replaces anything: an ``out`` that appeared during the run
    (another program's) makes this run fail instead of replacing it."""
    def write(tmp: Path) -> None:
        for name in TABLE_FILES:
            pq.write_table(tables[name], tmp / f"{name}.parquet", compression="zstd")

    return write_directory(out, write, run_info, overwrite)


def write_run_json(path: Path, run_info: dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(run_info, handle, indent=2, ensure_ascii=False, default=str)
        handle.write("\n")


def write_directory(out: Path, write: Callable[[Path], None], run_info: dict[str, Any],
                    overwrite: bool = False) -> Path:
    """``write(tmp)`` the files of a run into a temporary folder beside ``out``, add its
    ``run.json`` and rename the folder into place (see `write_run`)."""
    out = Path(out)
    check_target(out, overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    workspace.remove_stale(out.parent, f".{out.name}")
    tmp = workspace.temp_name(out, "partial")
    tmp.mkdir()
    try:
        write(tmp)
        write_run_json(tmp / "run.json", run_info)
        if out.exists() and overwrite:
            check_target(out, overwrite)
            trash = workspace.temp_name(out, "old")
            os.replace(out, trash)
            os.replace(tmp, out)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            if out.exists() or out.is_symlink():
                raise OutputExistsError(f"{out} appeared while this run was working; nothing was replaced")
            try:
                os.rename(tmp, out)
            except OSError as error:  # a non-empty folder of the same name appeared meanwhile
                raise OutputExistsError(f"cannot move the run into {out}: {error.strerror}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def read_run(run_dir: Path) -> dict[str, pa.Table]:
    run_dir = Path(run_dir)
    if not (run_dir / "run.json").exists():
        raise FileNotFoundError(f"{run_dir} is not a complete reprints run (no run.json)")
    return {name: pq.read_table(run_dir / f"{name}.parquet") for name in TABLE_FILES}
