"""The Spark engine on a real Spark standalone cluster, not local mode: a master and two workers
on loopback (tests/engines/standalone.py), then

* ``reprints scan --engine spark --master spark://127.0.0.1:PORT`` (the command line, its own
  driver process), and
* ``spark-submit --master spark://127.0.0.1:PORT …/reprints/spark_job.py`` (the cluster job),

each checked against the local engine: the same documents, pairs, passages (offsets included)
and clusters. The master's status must list both applications as finished, so the work ran on
the workers' executors. The cluster is stopped (executors included) whatever the outcome.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytest.importorskip("pyspark", reason="pyspark is not installed (pip install -e '.[spark]')")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("no Java runtime for Spark", allow_module_level=True)

import reprints  # noqa: E402
from reprints.io import writers  # noqa: E402

from standalone import LEAN_JVM, assert_job_output, spark_home, standalone_cluster  # noqa: E402

pytestmark = pytest.mark.spark_cluster

REPO = Path(__file__).resolve().parents[2]
STORIES = REPO / "examples" / "wire" / "stories.jsonl"
TABLES = ("documents", "pairs", "passages", "clusters")
BIN = Path(sys.executable).parent

#: Settings of the two applications (spark-defaults.conf, read by spark-submit and by the
#: PySpark launcher the CLI uses): a small corpus needs few shuffle partitions; one 512 MB
#: executor per worker fits the workers' 1 GB.
DEFAULTS = {
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.executor.memory": "512m",
    "spark.driver.memory": "1g",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.pyspark.python": sys.executable,
    "spark.pyspark.driver.python": sys.executable,
    "spark.driver.extraJavaOptions": LEAN_JVM,
    "spark.executor.extraJavaOptions": LEAN_JVM,
}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with standalone_cluster(tmp_path_factory.mktemp("spark-cluster"), workers=2, cores=1, memory="1g") as c:
        conf = tmp_path_factory.mktemp("spark-conf")
        (conf / "spark-defaults.conf").write_text("".join(f"{k} {v}\n" for k, v in DEFAULTS.items()))
        (conf / "log4j2.properties").write_text(
            "rootLogger.level = warn\nrootLogger.appenderRef.stderr.ref = console\n"
            "appender.console.type = Console\nappender.console.name = console\nappender.console.target = SYSTEM_ERR\n"
            "appender.console.layout.type = PatternLayout\nappender.console.layout.pattern = %p %c: %m%n\n")
        c.env = {**c.env, "SPARK_CONF_DIR": str(conf), "PYSPARK_PYTHON": sys.executable,
                 "PYSPARK_DRIVER_PYTHON": sys.executable}
        yield c


@pytest.fixture(scope="module")
def local():
    result = reprints.scan(STORIES)
    assert result.passages.num_rows > 0 and result.clusters.num_rows > 0
    return result


def _finished_apps(cluster) -> list[str]:
    return [app["name"] for app in cluster.status().get("completedapps", [])]


def _run(cmd: list[str], cluster) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, env=cluster.env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{cmd[0]} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    return done


def test_cluster_has_two_workers(cluster):
    status = cluster.status()
    alive = [w for w in status["workers"] if w["state"] == "ALIVE"]
    assert len(alive) == 2 and all(w["host"] == "127.0.0.1" for w in alive)
    assert cluster.master_url.startswith("spark://127.0.0.1:")


def test_cli_scan_on_the_cluster_matches_local(cluster, local, tmp_path):
    out = tmp_path / "run"
    before = len(_finished_apps(cluster))
    _run([str(BIN / "reprints"), "scan", str(STORIES), "--out", str(out), "--engine", "spark",
          "--master", cluster.master_url, "--quiet"], cluster)
    written = writers.read_run(out)
    for name in TABLES:
        got, want = written[name], getattr(local, name)
        assert got.schema.equals(want.schema), name
        assert got.to_pylist() == want.to_pylist(), name
    info = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert info["engine"] == "spark" and info["spark_master"] == cluster.master_url
    assert info["summary"]["passages"] == local.summary["passages"]
    # The application ran on this cluster (its executors on the workers) and has finished.
    assert len(_finished_apps(cluster)) == before + 1


def test_spark_submit_job_on_the_cluster_matches_local(cluster, local, tmp_path):
    from reprints import spark_job

    corpus = tmp_path / "corpus.parquet"
    rows = [json.loads(line) for line in STORIES.read_text(encoding="utf-8").splitlines() if line.strip()]
    pq.write_table(pa.Table.from_pylist(rows), corpus)
    from_parquet = reprints.scan(str(corpus))
    out = tmp_path / "job"
    before = len(_finished_apps(cluster))
    _run([str(spark_home() / "bin" / "spark-submit"), "--master", cluster.master_url, spark_job.__file__,
          str(corpus), "--out", str(out)], cluster)
    assert (out / spark_job.MARKER).exists()
    assert_job_output(out, from_parquet)
    # Same passages as the JSONL scan: the corpus is the same documents.
    assert from_parquet.passages.drop_columns([]).to_pylist() == local.passages.to_pylist()
    assert len(_finished_apps(cluster)) == before + 1
