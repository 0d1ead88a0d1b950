"""Helpers shared by the benchmark scripts: run one tool in its own process and measure it,
describe the machine, and a few interval / pair utilities.

Each tool runs in a fresh ``python`` subprocess so that its peak memory is its own. Two peak
figures are recorded:

* ``peak_rss_tree_mb``: the largest sum of RSS over the subprocess and all its descendants
  (worker pools included), sampled by the parent every 50 ms with psutil. Shared pages of
  forked workers are counted once per process, so this over-states a forking tool a little;
  it is the honest upper bound of what the machine had to hold.
* ``main_peak_mb`` (written by the worker itself): ``VmHWM`` of the worker's main process, the
  peak RSS of that one process.

``ru_maxrss`` from ``wait4`` is kept in the JSON as ``ru_maxrss_mb`` but not reported: Linux folds
the RSS of the *parent* at fork time into the child's ``ru_maxrss`` when it execs, so it is
inflated by whatever the benchmark driver holds.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import statistics
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

import psutil


def machine_info() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else (None, None, None)
    versions = {}
    for mod in ("reprints", "datasketch", "rensa", "numpy", "pyarrow", "duckdb"):
        try:
            from importlib.metadata import version

            versions[mod] = version(mod)
        except Exception:  # noqa: BLE001
            versions[mod] = None
    return {
        "code": code_state(),
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "cpu_model": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg_at_start": [round(x, 2) for x in load] if load[0] is not None else None,
        "versions": versions,
    }


def code_state() -> dict[str, Any]:
    """Which reprints code was measured: git HEAD, whether src/ differs from it, and a digest of
    the src/ files as they were (the source tree may be edited between runs)."""
    import hashlib

    root = Path(__file__).resolve().parent.parent
    state: dict[str, Any] = {}
    try:
        state["git_head"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                                           text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "src"], cwd=root, capture_output=True, text=True,
                               timeout=10).stdout.strip()
        state["src_dirty"] = bool(dirty)
    except Exception:  # noqa: BLE001
        pass
    digest = hashlib.sha256()
    for p in sorted((root / "src").rglob("*.py")):
        digest.update(str(p.relative_to(root)).encode())
        digest.update(p.read_bytes())
    state["src_sha256"] = digest.hexdigest()[:16]
    return state


def run_measured(cmd: list[str], log_path: Path | None = None, poll_s: float = 0.05,
                 timeout_s: float | None = None, series: list | None = None) -> dict[str, Any]:
    """Run ``cmd`` as a subprocess; return wall seconds, peak tree RSS, ru_maxrss, exit code.

    ``series``: if given, every sample is appended to it as (epoch seconds, tree RSS bytes).
    """
    log = open(log_path, "w") if log_path else subprocess.DEVNULL
    started = time.perf_counter()
    # With a timeout the command gets its own process group, so that a timed-out tool's worker
    # processes are stopped with it (not left running on the cores of the next tool).
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=timeout_s is not None)
    peak = [0]
    samples = [0]
    stop = threading.Event()

    def sample() -> None:
        try:
            root = psutil.Process(proc.pid)
        except psutil.Error:
            return
        while not stop.is_set():
            total = 0
            try:
                procs = [root] + root.children(recursive=True)
            except psutil.Error:
                break
            for p in procs:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            peak[0] = max(peak[0], total)
            samples[0] += 1
            if series is not None:
                series.append((time.time(), total))
            stop.wait(poll_s)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    timed_out = False
    deadline = None if timeout_s is None else started + timeout_s
    while True:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if deadline is not None and time.perf_counter() > deadline:
            timed_out = True
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                proc.kill()
            pid, status, rusage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.02)
    wall = time.perf_counter() - started
    stop.set()
    thread.join()
    proc.returncode = os.waitstatus_to_exitcode(status)  # keep Popen from waiting again
    if log_path:
        log.close()
    return {
        "returncode": proc.returncode,
        "timed_out": timed_out,
        "process_wall_s": round(wall, 3),
        "peak_rss_tree_mb": round(peak[0] / 2**20, 1),
        "ru_maxrss_mb": round(rusage.ru_maxrss / 1024, 1),
        "cpu_s": round(rusage.ru_utime + rusage.ru_stime, 2),  # the process and the children it waited for
        "rss_samples": samples[0],
    }


def vm_hwm_mb() -> float | None:
    """Peak RSS of this process (VmHWM), in MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def self_rss_mb() -> float:
    return round(psutil.Process().memory_info().rss / 2**20, 1)


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, default=str))
    tmp.replace(path)


def python() -> str:
    return sys.executable


def peak_mb_between(series: list, begin: float, end: float) -> float | None:
    """Largest tree RSS (MB) sampled in the epoch interval [begin, end] of a ``run_measured`` series."""
    inside = [rss for t, rss in series if begin <= t <= end]
    return round(max(inside) / 2**20, 1) if inside else None


def interleaved_runs(tools: list[str], command: Callable[[str], list[str]], out: Path, prefix: str,
                     repeat: int) -> dict[str, list[dict]]:
    """Every tool's worker (``command(tool)``) run ``repeat`` times, the tools interleaved so that
    background load falls on all of them; each run measured (`run_measured`, log
    ``out/PREFIX_TOOL.log``) with what its worker wrote to ``out/PREFIX_TOOL_run.json`` and the
    1-minute load before it. A failed run stops the benchmark."""
    history: dict[str, list[dict]] = {t: [] for t in tools}
    for rep in range(repeat):
        for tool in tools:
            load_before = os.getloadavg()[0]
            m = run_measured(command(tool), log_path=out / f"{prefix}_{tool}.log")
            if m["returncode"] != 0:
                raise SystemExit(f"{tool} failed (exit {m['returncode']}); see {out}/{prefix}_{tool}.log")
            m.update(json.loads((out / f"{prefix}_{tool}_run.json").read_text()))
            m["loadavg_1min_before"] = round(load_before, 2)
            history[tool].append(m)
            print(f"  run {rep + 1}/{repeat} {tool}: tool wall {m['tool_wall_s']} s, process wall "
                  f"{m['process_wall_s']} s, peak tree RSS {m['peak_rss_tree_mb']} MB, 1-min load before "
                  f"{m['loadavg_1min_before']}", flush=True)
    return history


def fastest_runs(history: dict[str, list[dict]]) -> dict[str, dict]:
    """Per tool its fastest run (tool wall), with the figures of every run beside it."""
    return {tool: {**min(ms, key=lambda m: m["tool_wall_s"]), "repeats": len(ms),
                   "tool_wall_all_s": [m["tool_wall_s"] for m in ms],
                   "tool_wall_median_s": round(statistics.median(m["tool_wall_s"] for m in ms), 3),
                   "peak_rss_tree_all_mb": [m["peak_rss_tree_mb"] for m in ms],
                   "loadavg_1min_before_all": [m["loadavg_1min_before"] for m in ms]}
            for tool, ms in history.items()}
