"""Installed as users install it: the sdist and a wheel built from it (`python -m build`), the
wheel put into a fresh venv with no C compiler reachable, and `pip install .` from a clean copy
of the source tree. Each gives a working `reprints` whose passages on the example corpus (and the
seeds, where ../shared/data has them) are identical to this editable install's.

Slow (two builds, two venvs): about five minutes. Dependencies come from the package index
through pip's cache, pinned by constraints.txt."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import reprints
from test_real_data import DATA

REPO = Path(__file__).resolve().parents[1]
CORPORA = {"wire": REPO / "examples" / "wire" / "stories.jsonl", "seeds": DATA / "seeds"}
CONSTRAINTS = REPO / "constraints.txt"

pytestmark = pytest.mark.skipif(not (REPO / ".git").exists() and not (REPO / "pyproject.toml").exists(),
                                reason="not a source checkout")


def run(cmd: list, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return proc


def corpora() -> dict[str, Path]:
    return {name: path for name, path in CORPORA.items() if path.exists()}


def passages(run_dir: Path) -> list[dict]:
    return pq.read_table(run_dir / "passages.parquet").to_pylist()


@pytest.fixture(scope="module")
def expected(tmp_path_factory) -> dict[str, list[dict]]:
    """The editable install's passages on each corpus."""
    out = tmp_path_factory.mktemp("editable")
    return {name: passages(reprints.scan(str(path), out=out / name).out) for name, path in corpora().items()}


def source_copy(dest: Path) -> Path:
    """The files of this checkout that git does not ignore, as a clone of it would have them once
    committed (no build output, no venv)."""
    files = run(["git", "-C", REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard"]).stdout.split("\0")
    for name in filter(None, files):
        src = REPO / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def new_venv(path: Path) -> Path:
    run([sys.executable, "-m", "venv", path])
    return path / "bin"


def no_compiler_env(bin_dir: Path) -> dict[str, str]:
    """An environment whose PATH holds only the venv: no cc, gcc, g++ or ld to be found."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "PIP_"))}
    env.update(PATH=str(bin_dir), CC="/nonexistent/cc", CXX="/nonexistent/c++")
    assert shutil.which("cc", path=env["PATH"]) is None and shutil.which("gcc", path=env["PATH"]) is None
    return env


def check_installed(bin_dir: Path, env: dict, work: Path, expected: dict) -> None:
    version = run([bin_dir / "reprints", "--version"], env=env).stdout
    assert version.splitlines()[0] == f"reprints {reprints.__version__}"
    for name, path in corpora().items():
        out = work / f"run-{name}"
        summary = json.loads(run([bin_dir / "reprints", "scan", path, "--out", out, "--json"], env=env, cwd=work).stdout)
        assert summary["passages"] == len(expected[name])
        assert passages(out) == expected[name], f"{name}: passages differ from the editable install's"
    run([bin_dir / "reprints", "report", work / "run-wire", "--out", work / "report.html"], env=env)
    assert (work / "report.html").stat().st_size > 10_000


def test_wheel_from_the_sdist_installs_and_runs_without_a_compiler(tmp_path, expected):
    src = source_copy(tmp_path / "src")
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "build", "--outdir", dist, src])
    (sdist,) = dist.glob("reprints-*.tar.gz")
    (wheel,) = dist.glob("reprints-*.whl")
    assert sdist.name == f"reprints-{reprints.__version__}.tar.gz"

    bin_dir = new_venv(tmp_path / "venv")
    env = no_compiler_env(bin_dir)
    run([bin_dir / "python", "-m", "pip", "install", "--quiet", "-c", CONSTRAINTS, f"{wheel}[service]"], env=env)
    check_installed(bin_dir, env, tmp_path, expected)
    # the service extra: an index is built and queried
    index = tmp_path / "ix.duckdb"
    added = json.loads(run([bin_dir / "reprints", "index", "add", index, CORPORA["wire"]], env=env).stdout)
    assert added["added"] == 19
    stats = json.loads(run([bin_dir / "reprints", "index", "stats", index], env=env).stdout)
    assert stats["documents"] == 19 and stats["passages"] > 0


def test_pip_install_dot_from_a_clean_tree_with_both_extras(tmp_path, expected):
    src = source_copy(tmp_path / "src")
    bin_dir = new_venv(tmp_path / "venv")
    run([bin_dir / "python", "-m", "pip", "install", "--quiet", "-c", CONSTRAINTS, ".[service,spark]"], cwd=src)
    # the build recorded its sources; the installed package is checked against them on import
    info = run([bin_dir / "python", "-c", "import reprints._build_info as b; print(sorted(b.SOURCE_SHA256))"],
               cwd=tmp_path).stdout
    assert "stages/align.py" in info
    env = dict(os.environ)
    check_installed(bin_dir, env, tmp_path, expected)
    # the spark extra: the same passages from the Spark engine
    out = tmp_path / "run-spark"
    run([bin_dir / "reprints", "scan", CORPORA["wire"], "--out", out, "--engine", "spark", "--master", "local[1]",
         "-q"], env=env, cwd=tmp_path)
    key = lambda p: (p["doc_a"], p["begin_a"], p["doc_b"], p["begin_b"])  # noqa: E731
    strip = lambda rows: sorted(({k: v for k, v in p.items() if k != "passage_id"} for p in rows), key=key)  # noqa: E731
    assert strip(passages(out)) == strip(expected["wire"])
    # the service extra: the server starts on an index and answers
    index = tmp_path / "ix.duckdb"
    run([bin_dir / "reprints", "index", "add", index, CORPORA["wire"]], env=env)
    server = subprocess.Popen([bin_dir / "reprints", "serve", index, "--port", "0"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert wait_for_health(server)["documents"] == 19
    finally:
        server.terminate()
        server.wait(timeout=60)


def wait_for_health(server: subprocess.Popen) -> dict:
    """Read the server's log until it says where it listens, then ask /health."""
    import re
    import urllib.request

    for line in server.stdout:
        found = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        if found:
            with urllib.request.urlopen(f"http://127.0.0.1:{found.group(1)}/health", timeout=60) as response:
                return json.loads(response.read())
    raise AssertionError(f"the server exited ({server.wait()}) without listening")
