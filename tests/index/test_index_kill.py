"""Crash safety: an add killed with SIGKILL at any point leaves the index as it was, and the
same add run again completes it with nothing lost and nothing doubled."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reprints.index import Index

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

ADD_SCRIPT = """
import sys
from reprints.index import Index
index = Index(sys.argv[1])
print("open", flush=True)
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


def test_killed_add_leaves_index_consistent_and_rerun_completes(tmp_path, wire_rows):
    rows = _variants(wire_rows, per_story=10)
    first = _write(tmp_path / "first.jsonl", rows[:40])
    second = _write(tmp_path / "second.jsonl", rows[40:])

    reference = tmp_path / "reference.duckdb"
    with Index(reference) as index:
        index.add(str(first))
        before = _state_of(index)
        started = time.perf_counter()
        index.add(str(second))
        duration = time.perf_counter() - started
    expected = _state(reference)
    assert expected["documents"] == len(rows) and len(expected["passages"]) > 100
    assert duration > 0.5, f"the add should take a while for the kill to land inside it ({duration:.2f} s)"

    subject = tmp_path / "subject.duckdb"
    with Index(subject) as index:
        index.add(str(first))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    rng = random.Random(5)
    killed_inside = 0
    for fraction in (0.1, 0.45, 0.8, rng.uniform(0.2, 0.9)):
        proc = subprocess.Popen([sys.executable, "-c", ADD_SCRIPT, str(subject), str(second)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        assert proc.stdout.readline().strip() == "open", proc.stderr.read()
        time.sleep(fraction * duration)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        state = _state(subject)  # readable after the kill
        if state["documents"] == len(rows):  # the add had committed before the kill
            assert state == expected
            continue
        killed_inside += 1
        assert proc.returncode == -signal.SIGKILL
        assert state == before, "a killed add must leave the index exactly as before it"
    assert killed_inside >= 2

    with Index(subject) as index:  # the same add again completes it
        result = index.add(str(second))
    assert _state(subject) == expected
    with Index(subject) as index:  # and once more changes nothing
        again = index.add(str(second))
    assert not again.added and not again.replaced and len(again.unchanged) == len(rows) - 40
    assert _state(subject) == expected
    assert len(result.added) + len(result.unchanged) == len(rows) - 40


def _state_of(index: Index) -> dict:
    tables = index.tables()
    stats = index.stats()
    return {"documents": stats["documents"], "shingles": stats["shingles"],
            "candidate_pairs": stats["candidate_pairs"],
            **{name: t.to_pylist() for name, t in tables.items()}}
