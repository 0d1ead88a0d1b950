"""The engine is chosen in the API (``reprints.scan(..., engine=)``); the command line only passes
its options on. ``--workdir`` is the stages' work folder on both engines (the Spark side, with
resuming, is tested in tests/engines; the run on a standalone cluster goes through this same
``reprints.scan(engine="spark", master=...)`` from the CLI)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import reprints
from reprints import api, cli
from reprints.io import writers

REPO = Path(__file__).resolve().parents[1]
STORIES = REPO / "examples" / "wire" / "stories.jsonl"


def invoke(*args):
    return CliRunner().invoke(cli.app, [str(a) for a in args])


def test_unknown_engine_and_spark_settings_without_spark_are_clear_errors():
    with pytest.raises(api.EngineError, match="engine must be 'local' or 'spark', not 'dask'"):
        reprints.scan(STORIES, engine="dask")
    with pytest.raises(api.EngineError, match="settings of engine='spark'"):
        reprints.scan(STORIES, master="local[2]")


def test_spark_engine_without_pyspark_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)  # as if pyspark were not installed
    with pytest.raises(api.EngineError, match=r"pip install 'reprints\[spark\]'"):
        reprints.scan(STORIES, engine="spark")


def test_cli_refuses_master_without_spark(tmp_path):
    result = invoke("scan", STORIES, "--out", tmp_path / "run", "--master", "local[2]")
    assert result.exit_code == 2 and "--master is a setting of --engine spark" in result.output
    assert not (tmp_path / "run").exists()


def test_workdir_holds_the_local_engines_work_and_is_left_clean(tmp_path):
    work = tmp_path / "work" / "deeper"  # created if missing
    result = invoke("scan", STORIES, "--out", tmp_path / "run", "--workdir", work, "-q")
    assert result.exit_code == 0, result.output
    assert work.is_dir() and list(work.iterdir()) == []  # the run's folder inside it is gone
    local = reprints.scan(STORIES)
    written = writers.read_run(tmp_path / "run")
    assert written["passages"].equals(local.passages) and local.passages.num_rows > 0


def test_the_local_engine_writes_its_stages_into_workdir(tmp_path, monkeypatch):
    """The stages' files go under --workdir (seen from inside the run), not beside --out."""
    from reprints.engines import local

    seen = []
    find = local.find_matches

    def spy(corpus, config, workdir, reporter):
        seen.append(Path(workdir))
        return find(corpus, config, workdir, reporter)

    monkeypatch.setattr(local, "find_matches", spy)
    reprints.scan(STORIES, out=tmp_path / "run", workdir=tmp_path / "work")
    assert len(seen) == 1 and seen[0].parent == tmp_path / "work"
