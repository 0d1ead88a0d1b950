"""Configuration is checked when built, the command line takes its defaults from it, a run can be
repeated from its run.json, and messages print exactly as written."""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from pathlib import Path

import click
import pyarrow.parquet as pq
import pytest
import typer.main
from typer.testing import CliRunner

import reprints
from reprints import cli, config
from reprints.cli_options import SETTINGS, setting_field
from reprints.config import ConfigError, ScanConfig

REPO = Path(__file__).resolve().parents[1]
STORIES = REPO / "examples" / "wire" / "stories.jsonl"
STAGES = [f.default_factory for f in dataclasses.fields(ScanConfig)]
runner = CliRunner()


def invoke(*args):
    return runner.invoke(cli.app, [str(a) for a in args], catch_exceptions=False)


def test_the_issue_case_is_refused_with_the_choices():
    with pytest.raises(ConfigError, match=r"align\.paraphrase must be one of off, related, all, not 'sometimes'"):
        config.AlignConfig(paraphrase="sometimes")


def _bad_values(f: dataclasses.Field):
    meta = f.metadata
    if meta.get("choices"):
        yield "no-such-choice"
    if meta.get("min") is not None:
        yield meta["min"] - 1 if f.type == "int" else meta["min"] - 0.5
    if meta.get("max") is not None:
        yield meta["max"] + 1 if f.type == "int" else meta["max"] + 0.5
    yield {"int": "3", "float": "0.5", "str": 7, "bool": 1}[f.type]


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.__name__)
def test_every_field_refuses_a_wrong_type_or_a_value_out_of_its_limits(stage):
    stage()  # the defaults are allowed
    for f in dataclasses.fields(stage):
        for value in _bad_values(f):
            with pytest.raises(ConfigError, match=rf"{stage.SECTION}\.{f.name} must"):
                stage(**{f.name: value})


def test_rules_between_fields_and_unknown_names():
    with pytest.raises(ConfigError, match="max_sentence_words"):
        config.BoilerplateConfig(min_sentence_words=30, max_sentence_words=10)
    with pytest.raises(ConfigError, match=r"unknown field align\.min_wordz"):
        ScanConfig.from_dict({"align": {"min_wordz": 3}})
    with pytest.raises(ConfigError, match="unknown configuration section 'alignment'"):
        ScanConfig.from_dict({"alignment": {}})
    cfg = ScanConfig().replace(align={"min_words": 30}, boilerplate={"max_share": 1})
    assert ScanConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    assert isinstance(cfg.boilerplate.max_share, float)


def test_options_take_their_defaults_from_the_configuration():
    command = typer.main.get_command(cli.app).commands["scan"]
    for param, (section, name) in SETTINGS.items():
        option = next(p for p in command.params if p.name == param)
        assert option.default is None  # unset unless given: --config and config.py decide
        default = setting_field(param).default
        assert f"Default {default!r} ({section}.{name})" in option.help


@pytest.mark.parametrize("args, message", [
    (["--paraphrase", "sometimes"], "align.paraphrase must be one of off, related, all, not 'sometimes'"),
    (["--max-df", "0"], "candidates.max_df must be at least 2, not 0"),
    (["--min-words", "-3"], "align.min_words must be at least 1, not -3"),
    (["--workers", "-1"], "engine.workers must be at least 0, not -1"),
    (["--boilerplate-share", "1.5"], "boilerplate.max_share must be between 0 and 1, not 1.5"),
    (["--engine", "sparks"], "--engine must be local or spark, not 'sparks'"),
])
def test_bad_options_are_refused_before_any_work(tmp_path, args, message):
    result = invoke("scan", STORIES, "--out", tmp_path / "run", *args)
    assert result.exit_code == 2 and f"error: {message}" in result.output
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("args, message", [
    (["--max-batch", "0"], "limits.max_batch must be at least 1, not 0"),
    (["--header-timeout", "-1"], "limits.header_timeout must be at least 0.001, not -1.0"),
])
def test_bad_server_limits_are_refused_before_it_starts(tmp_path, args, message):
    result = invoke("serve", tmp_path / "ix.duckdb", *args)
    assert result.exit_code == 2 and f"error: {message}" in result.output
    assert not (tmp_path / "ix.duckdb").exists()


def _tables(run: Path) -> dict:
    return {name: pq.read_table(run / f"{name}.parquet") for name in ("documents", "pairs", "passages", "clusters")}


def test_a_run_is_repeated_from_its_run_json_from_any_folder(tmp_path, monkeypatch):
    first = tmp_path / "first"
    assert invoke("scan", STORIES, "--out", first, "--min-words", "15", "--paraphrase", "off", "-q").exit_code == 0
    monkeypatch.chdir(tmp_path)
    again = invoke("scan", "--config", first / "run.json", "--out", "again", "-q")
    assert again.exit_code == 0, again.output
    assert _tables(first) == _tables(tmp_path / "again")
    run = json.loads((tmp_path / "again" / "run.json").read_text())
    assert run["config"]["align"]["min_words"] == 15 and run["inputs"] == [str(STORIES)]
    # an option given beside --config overrides it, the rest is kept
    changed = invoke("scan", "--config", first / "run.json", "--out", "changed", "--min-words", "40", "-q")
    assert changed.exit_code == 0
    config = json.loads((tmp_path / "changed" / "run.json").read_text())["config"]
    assert config["align"]["min_words"] == 40 and config["align"]["paraphrase"] == "off"


def test_a_broken_config_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"config": {"align": {"paraphrase": "sometimes"}}, "inputs": []}')
    result = invoke("scan", "--config", bad, "--out", tmp_path / "run")
    assert result.exit_code == 2 and "align.paraphrase must be one of" in result.output
    bad.write_text("{not json")
    result = invoke("scan", "--config", bad, "--out", tmp_path / "run")
    assert result.exit_code == 2 and "cannot read the configuration" in result.output
    result = invoke("scan", "--out", tmp_path / "run")
    assert result.exit_code == 2 and "nothing to scan" in result.output


def test_version_names_reprints_and_its_dependencies():
    result = invoke("--version")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == f"reprints {reprints.__version__}"
    for name in ("numpy", "pyarrow", "duckdb", "pandas", "pyspark"):
        assert any(re.match(rf"{name} (\d|not installed)", line) for line in lines), name


def test_messages_with_brackets_are_printed_as_written(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)  # as if pyspark were not installed
    result = invoke("scan", STORIES, "--out", tmp_path / "run", "--engine", "spark")
    assert result.exit_code == 2 and "pip install 'reprints[spark]'" in result.output
    missing = tmp_path / "[red]gone[/red].jsonl"
    result = invoke("scan", missing, "--out", tmp_path / "run2")
    assert result.exit_code == 2 and "[red]gone[/red].jsonl" in result.output
    monkeypatch.chdir(tmp_path)
    result = invoke("scan", STORIES, "--out", "r[b]3[/b]", "-q")
    assert result.exit_code == 0 and "written to  r[b]3[/b]" in result.output


def _documented_options() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in [REPO / "README.md", *(REPO / "docs").glob("*.md")])


def _commands(group: click.Group, prefix: str = ""):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


def test_every_command_line_option_is_documented():
    docs = _documented_options()
    undocumented = []
    for name, command in _commands(typer.main.get_command(cli.app)):
        for param in command.params:
            for flag in getattr(param, "opts", []):
                if flag.startswith("--") and flag != "--help" and not re.search(re.escape(flag) + r"\b", docs):
                    undocumented.append(f"reprints {name} {flag}")
    assert not undocumented, f"not in README.md or docs/: {undocumented}"
