"""Where a run does its work: temporary folders beside its output, and an exclusive claim on
the output path.

Temporary folders are named ``.NAME.work-PID-RANDOM`` beside the run directory (or the index
file), so a run's scratch data lands on the same disk as its result and is found again: a run
that was killed leaves its folder behind, and the next run writing beside it removes every such
folder whose process is gone. Without an output path, they go to the system's temp folder under
the same rule.

A claim is a lock file ``.NAME.lock`` created exclusively (O_EXCL) and holding the claimer's
process id: a second run onto the same output learns at once that it is taken, and a lock left
by a process that no longer exists is taken over.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Iterator


# A work folder is read back through DuckDB's file globs, which give these characters a meaning
# (and a quote would end the SQL string): a path holding any goes to the system temp folder.
GLOB_OR_QUOTE = set("[]*?{}'\\")


class OutputExistsError(Exception):
    """The output path cannot be written: it exists, is a file, or is not writable."""


class OutputBusyError(OutputExistsError):
    """Another live reprints process is writing the same output."""


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def _owner(name: str, marker: str) -> int | None:
    """The process id in ``.NAME.work-PID-RANDOM`` / ``.NAME.partial-PID-RANDOM``, if any."""
    tail = name.split(marker, 1)[1] if marker in name else ""
    head = tail.split("-", 1)[0]
    return int(head) if head.isdigit() else None


def remove_stale(folder: Path, prefix: str) -> int:
    """Remove the temporary folders named ``{prefix}...-PID-...`` in ``folder`` whose process is
    gone; return how many were removed."""
    removed = 0
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return 0
    for entry in entries:
        for marker in (".work-", ".partial-", ".old-"):
            if entry.name.startswith(prefix + marker[:-1]):
                pid = _owner(entry.name, marker)
                if pid is not None and pid != os.getpid() and not pid_alive(pid):
                    shutil.rmtree(entry, ignore_errors=True)
                    removed += 1
    return removed


def temp_name(near: Path, kind: str) -> Path:
    """A fresh name ``.NAME.KIND-PID-RANDOM`` beside ``near``."""
    return near.parent / f".{near.name}.{kind}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


@contextlib.contextmanager
def work_dir(near: Path | None = None, explicit: str | Path | None = None) -> Iterator[Path]:
    """A temporary folder, removed on exit: in ``explicit`` if given, else beside ``near``, else in
    the system temp folder (also when the path beside ``near`` holds a glob character or a quote).
    Stale folders of killed runs beside it are removed first."""
    if explicit is not None:
        Path(explicit).mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="reprints-", dir=explicit) as tmp:
            yield Path(tmp)
        return
    anchor = Path(near).absolute() if near is not None else None
    if anchor is None or any(ch in str(anchor) for ch in GLOB_OR_QUOTE):
        anchor = Path(tempfile.gettempdir()) / "reprints"
    anchor.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(anchor.parent, f".{anchor.name}")
    path = temp_name(anchor, "work")
    path.mkdir()
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def claim(out: Path) -> Iterator[None]:
    """Hold ``out`` for this process until the block ends (see the module's docstring)."""
    out = Path(out).absolute()
    lock = out.parent / f".{out.name}.lock"
    out.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                owner = int(lock.read_text().strip() or "0")
            except (OSError, ValueError):
                owner = 0
            if owner and (owner == os.getpid() or pid_alive(owner)):
                raise OutputBusyError(f"another reprints run (process {owner}) is writing {out}; "
                                      f"wait for it, or remove {lock} if no such run exists") from None
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()  # left by a process that is gone
            continue
        except OSError as error:
            if error.errno in (errno.ENOTDIR, errno.EACCES, errno.EROFS):
                raise OutputBusyError(f"cannot write beside {out}: {error.strerror}") from None
            raise
        with os.fdopen(fd, "w") as handle:
            handle.write(str(os.getpid()))
        break
    else:
        raise OutputBusyError(f"cannot claim {out}: {lock} keeps reappearing")
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()
