"""Crash safety: an add killed with SIGKILL at any point leaves the index as it was, and the
same add run again completes it with nothing lost and nothing doubled.

The child process is killed at each named point of the add (``reprints.index.store.ADD_POINTS``,
every stage boundary): its ``on_stage`` hook prints the point it reaches and, at the chosen one,
blocks until killed. The test reads that line, so the kill lands exactly there whatever the
machine's speed."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from reprints.index import Index
from reprints.index.store import ADD_POINTS

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

ADD_SCRIPT = """
import sys
import threading
from reprints.index import Index, store
stop_at = sys.argv[3]


def reached(point):
    print(point, flush=True)
    if point == stop_at:
        threading.Event().wait()  # held here until the test kills this process


store.on_stage = reached
index = Index(sys.argv[1])
index.add(sys.argv[2], workers=1)
index.close()
print("done", flush=True)
"""


def _variants(rows: list[dict], per_story: int, seed: int = 11) -> list[dict]:
    """Reprints of each wire story: sentences dropped, words changed, a local lead added."""
    rng = random.Random(seed)
    fillers = ("local council officials said residents should expect further updates later this week "
               "while schools and clinics remain open as usual across the district").split()
    out = []
    for k in range(per_story):
        for row in rows:
            sentences = row["text"].replace("\n\n", "\n").split(". ")
            kept = [s for s in sentences if rng.random() > 0.2] or sentences
            words = ". ".join(kept).split(" ")
            for _ in range(max(1, len(words) // 40)):
                words[rng.randrange(len(words))] = rng.choice(fillers)
            lead = " ".join(rng.choice(fillers) for _ in range(25)).capitalize() + ".\n\n"
            out.append({"id": f"{row['id']}-v{k}", "source": f"Outlet {k % 7}",
                        "date": f"2024-03-{5 + k % 20:02d}", "text": lead + " ".join(words)})
    rng.shuffle(out)
    return out


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _state(path: Path) -> dict:
    with Index(path, read_only=True) as index:
        tables = index.tables()
        stats = index.stats()
    return {"documents": stats["documents"], "shingles": stats["shingles"],
            "candidate_pairs": stats["candidate_pairs"],
            **{name: t.to_pylist() for name, t in tables.items()}}


def _kill_at(path: Path, inputs: Path, point: str, env: dict) -> None:
    """Runs ``Index(path).add(inputs)`` in a child process and SIGKILLs it when it is held at
    ``point``, having passed every point before it in order."""
    k = ADD_POINTS.index(point)
    proc = subprocess.Popen([sys.executable, "-c", ADD_SCRIPT, str(path), str(inputs), point],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        passed = [proc.stdout.readline().strip() for _ in range(k + 1)]  # each read blocks until printed
        if passed != list(ADD_POINTS[:k + 1]):
            proc.kill()
            proc.wait()
            pytest.fail(f"the add did not stop at {point!r}: passed {passed}; stderr: {proc.stderr.read()}")
        proc.send_signal(signal.SIGKILL)  # it is blocked inside the hook at ``point``
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL


def test_killed_add_leaves_index_consistent_and_rerun_completes(tmp_path, wire_rows):
    rows = _variants(wire_rows, per_story=10)
    first = _write(tmp_path / "first.jsonl", rows[:40])
    second = _write(tmp_path / "second.jsonl", rows[40:])

    reference = tmp_path / "reference.duckdb"
    with Index(reference) as index:
        index.add(str(first))
        before = _state_of(index)
        index.add(str(second))
    expected = _state(reference)
    assert expected["documents"] == len(rows) and len(expected["passages"]) > 100
    assert before["documents"] == 40 and before != expected

    subject = tmp_path / "subject.duckdb"
    with Index(subject) as index:
        index.add(str(first))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    # Killed at every point up to the last one before COMMIT: the index is exactly as before.
    for point in ADD_POINTS[:-1]:
        _kill_at(subject, second, point, env)
        assert _state(subject) == before, f"an add killed at {point!r} must leave the index exactly as before it"
    # Run again, killed just after its COMMIT: it is complete.
    _kill_at(subject, second, "committed", env)
    assert _state(subject) == expected, "an add killed after its COMMIT must be there whole"
    with Index(subject) as index:  # and once more changes nothing
        again = index.add(str(second))
    assert not again.added and not again.replaced and len(again.unchanged) == len(rows) - 40
    assert _state(subject) == expected

    # Killed mid-way, then the same add in this process completes it.
    resumed = tmp_path / "resumed.duckdb"
    with Index(resumed) as index:
        index.add(str(first))
    _kill_at(resumed, second, "align", env)
    with Index(resumed) as index:
        result = index.add(str(second))
    assert len(result.added) == len(rows) - 40 and not result.unchanged and not result.replaced
    assert _state(resumed) == expected


def _state_of(index: Index) -> dict:
    tables = index.tables()
    stats = index.stats()
    return {"documents": stats["documents"], "shingles": stats["shingles"],
            "candidate_pairs": stats["candidate_pairs"],
            **{name: t.to_pylist() for name, t in tables.items()}}
