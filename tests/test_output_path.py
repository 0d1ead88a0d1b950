"""The run directory: checked before any work, held by one run at a time, temporary work kept
beside it and cleaned after killed runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import reprints
from reprints.io import workspace
from reprints.io.writers import OutputExistsError

STORIES = Path(__file__).resolve().parents[1] / "examples" / "wire" / "stories.jsonl"


def cli(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "reprints", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid  # gone now (a reused pid would only make a stale folder look alive: kept, never wrongly removed)


@pytest.mark.parametrize("make_out, message", [
    (lambda tmp: tmp / "file.txt", "is a file, not a run directory"),
    (lambda tmp: tmp / "file.txt" / "run", "is a file, not a folder"),
])
@pytest.mark.parametrize("overwrite", [False, True])
def test_bad_out_paths_are_clear_errors_before_any_work(tmp_path, make_out, message, overwrite):
    (tmp_path / "file.txt").write_text("keep me")
    args = ["scan", STORIES, "--out", make_out(tmp_path), "-q"] + (["--overwrite"] if overwrite else [])
    proc = cli(*args)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr
    assert (tmp_path / "file.txt").read_text() == "keep me"


def test_a_claimed_out_is_refused_at_once_and_a_stale_claim_taken_over(tmp_path):
    out = tmp_path / "run"
    with workspace.claim(out):
        with pytest.raises(workspace.OutputBusyError, match="another reprints run"):
            reprints.scan(STORIES, out=out)
    assert not out.exists()
    (tmp_path / ".run.lock").write_text(str(dead_pid()))  # left by a killed run
    reprints.scan(STORIES, out=out)
    assert (out / "run.json").exists() and not (tmp_path / ".run.lock").exists()


def test_two_scans_onto_one_out_never_both_succeed(tmp_path):
    out = tmp_path / "run"
    procs = [subprocess.Popen([sys.executable, "-m", "reprints", "scan", str(STORIES), "--out", str(out), "-q", "--json"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close(), p.stderr.close()
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    loser = next(err for code, err in results if code == 2)
    assert "already exists" in loser or "another reprints run" in loser
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no lock, no partial, no work folder left


def test_the_final_rename_never_replaces_an_out_that_appeared_during_the_run(tmp_path, monkeypatch):
    from reprints.engines import local

    out = tmp_path / "run"
    real = local.find_matches

    def meanwhile(*args, **kwargs):
        out.mkdir()
        (out / "theirs.txt").write_text("another program's")
        return real(*args, **kwargs)

    monkeypatch.setattr(local, "find_matches", meanwhile)
    with pytest.raises(OutputExistsError, match="already exists|appeared while this run was working"):
        reprints.scan(STORIES, out=out)
    assert sorted(p.name for p in out.iterdir()) == ["theirs.txt"]


def test_work_goes_beside_the_output_and_killed_runs_leftovers_are_removed(tmp_path, monkeypatch):
    from reprints.engines import local

    stale = tmp_path / f".run.work-{dead_pid()}-deadbeef"
    stale.mkdir()
    (stale / "big.bin").write_bytes(b"x" * 1000)
    live = tmp_path / f".run.work-{os.getppid()}-cafecafe"  # a live process's: kept
    live.mkdir()
    seen = {}
    real = local.find_matches

    def spy(corpus, config, workdir, reporter):
        seen["workdir"] = workdir
        return real(corpus, config, workdir, reporter)

    monkeypatch.setattr(local, "find_matches", spy)
    reprints.scan(STORIES, out=tmp_path / "run")
    assert seen["workdir"].parent == tmp_path and seen["workdir"].name.startswith(f".run.work-{os.getpid()}-")
    assert not seen["workdir"].exists() and not stale.exists() and live.exists()


@pytest.mark.parametrize("name", ["it's", "run[1]", "r*n?", "{a,b}"])
def test_out_paths_with_glob_characters_or_quotes_work(tmp_path, name):
    out = tmp_path / name / name
    result = reprints.scan(STORIES, out=out)
    assert (out / "run.json").exists() and result.passages.num_rows > 0
