"""``reprints index add|query|stats`` and ``reprints serve`` (module cli_index)."""

from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

import reprints
from reprints.cli_index import index_app, serve
from reprints.index import Index

app = typer.Typer()
app.add_typer(index_app, name="index")
app.command("serve")(serve)


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def test_add_stats_query(tmp_path, wire_rows, same_as_scan):
    runner = CliRunner()
    ix = str(tmp_path / "ix.duckdb")
    a = _jsonl(tmp_path / "a.jsonl", wire_rows[:10])
    b = _jsonl(tmp_path / "b.jsonl", wire_rows[10:])
    r = runner.invoke(app, ["index", "add", ix, a, "--workers", "2"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["added"] == 10
    r = runner.invoke(app, ["index", "add", ix, b, a])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["added"] == len(wire_rows) - 10 and out["unchanged"] == 10
    with Index(ix, read_only=True) as index:
        same_as_scan(index, reprints.scan(wire_rows))

    stats = json.loads(runner.invoke(app, ["index", "stats", ix]).stdout)
    assert stats["documents"] == len(wire_rows) and stats["passages"] > 0 and stats["clusters"] > 0

    text = next(r for r in wire_rows if r["id"] == "nw-port-strike")["text"]
    (tmp_path / "q.txt").write_text(text, encoding="utf-8")
    from_file = json.loads(runner.invoke(app, ["index", "query", ix, str(tmp_path / "q.txt")]).stdout)
    from_stdin = json.loads(runner.invoke(app, ["index", "query", ix, "-"], input=text).stdout)
    assert from_file == from_stdin
    match = next(m for m in from_file["matches"] if m["doc_id"] == "nw-port-strike")
    assert match["exact_duplicate"] and match["passages"][0]["cluster_id"] is not None

    changed = dict(wire_rows[0], text=wire_rows[0]["text"] + "\n\nCorrection appended.")
    r = runner.invoke(app, ["index", "add", ix, _jsonl(tmp_path / "c.jsonl", [changed])])
    assert r.exit_code == 0
    assert json.loads(r.stdout)["replaced"] == [changed["id"]]
    assert f"replaced {changed['id']}" in r.stderr


def test_errors(tmp_path, monkeypatch):
    runner = CliRunner()
    r = runner.invoke(app, ["index", "stats", str(tmp_path / "missing.duckdb")])
    assert r.exit_code == 2 and "no index" in r.stderr
    monkeypatch.delenv("REPRINTS_TOKEN", raising=False)
    r = runner.invoke(app, ["serve", str(tmp_path / "ix.duckdb"), "--host", "0.0.0.0"])
    assert r.exit_code == 2 and "refusing" in r.stderr
