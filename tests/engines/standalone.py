"""A Spark standalone cluster on this machine, for tests: one master and N workers, loopback only.

Each daemon is the `spark-class` launcher of the installed PySpark (its jars hold the
standalone master and worker classes), started in its own process group, so that stopping it
also stops the executors its worker launched. Every port is chosen by the daemon itself
(port 0): the master's RPC and web UI addresses are read from its log, and the cluster is ready
when the master's JSON status lists every worker as ALIVE. Nothing waits a fixed time: each
wait is for a condition, with a limit that only turns a hang into a failure that says which
daemon did not come up and shows the end of its log.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, TypeVar

T = TypeVar("T")

#: JVM options for short test runs: the C1 compiler only and the serial collector spend far less
#: CPU on start-up than the defaults, which matters on a shared two-core machine.
LEAN_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"

#: Generous: a turn-hang-into-failure limit, never a measure of speed.
START_LIMIT_S = 180.0


class ClusterError(RuntimeError):
    """A daemon of the test cluster did not come up; the message holds the end of its log."""


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def daemon_env(work: Path) -> dict[str, str]:
    """The environment of every daemon and client: loopback only, logs and scratch under ``work``."""
    env = dict(os.environ)
    env.update({
        "SPARK_HOME": str(spark_home()),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_LOCAL_HOSTNAME": "localhost",
        "SPARK_LOCAL_DIRS": str(work / "local"),
        "SPARK_WORKER_DIR": str(work / "worker"),
        "SPARK_LOG_DIR": str(work / "logs"),
        "SPARK_NO_DAEMONIZE": "1",
        # The master's REST submission server listens on a fixed port (6066) by default: off.
        "SPARK_MASTER_OPTS": "-Dspark.master.rest.enabled=false",
        # Short-lived test daemons: small heaps, no optimising JIT, one GC thread (CPU is shared).
        "SPARK_DAEMON_MEMORY": "256m",
        "SPARK_DAEMON_JAVA_OPTS": LEAN_JVM,
    })
    return env


@dataclass
class Daemon:
    name: str
    process: subprocess.Popen
    log: Path

    def text(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.text().splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM to the daemon's process group (its executors with it), SIGKILL if it lingers."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # whatever is left of the group (executor JVMs)
        self.process.wait()


@dataclass
class Cluster:
    master_url: str  # spark://127.0.0.1:PORT
    ui_url: str  # http://127.0.0.1:PORT, the master's status page (its /json/ is polled)
    env: dict[str, str]
    daemons: list[Daemon] = field(default_factory=list)

    def status(self) -> dict:
        with urllib.request.urlopen(self.ui_url.rstrip("/") + "/json/", timeout=10) as response:
            return json.load(response)

    def alive_workers(self) -> int:
        return sum(1 for w in self.status().get("workers", []) if w.get("state") == "ALIVE")


def wait_for(what: str, condition: Callable[[], T | None], daemons: list[Daemon],
             limit_s: float = START_LIMIT_S) -> T:
    """Poll ``condition`` until it gives a value; fail (with the daemons' logs) if a daemon
    exits first or the limit passes."""
    deadline = time.monotonic() + limit_s
    while True:
        value = condition()
        if value:
            return value
        for d in daemons:
            if d.process.poll() is not None:
                raise ClusterError(f"{d.name} exited with status {d.process.returncode} while waiting for "
                                   f"{what}:\n{d.tail()}")
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {d.name}\n{d.tail()}" for d in daemons)
            raise ClusterError(f"no {what} after {limit_s:.0f} s:\n{logs}")
        time.sleep(0.2)  # a polling interval, not a wait for anything to happen


def _start(name: str, klass: str, args: list[str], work: Path, env: dict[str, str]) -> Daemon:
    log = work / "logs" / f"{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as handle:
        process = subprocess.Popen([str(spark_home() / "bin" / "spark-class"), klass, *args], stdout=handle,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                   start_new_session=True)
    return Daemon(name, process, log)


def _read_log(daemon: Daemon, pattern: str) -> Callable[[], str | None]:
    regex = re.compile(pattern)

    def found() -> str | None:
        match = regex.search(daemon.text())
        return match.group(1) if match else None

    return found


@contextlib.contextmanager
def standalone_cluster(work: Path, workers: int = 2, cores: int = 1, memory: str = "1g") -> Iterator[Cluster]:
    """A master and ``workers`` workers (``cores`` and ``memory`` each) on 127.0.0.1, torn down on
    exit whatever happened inside."""
    work = Path(work)
    for sub in ("local", "worker", "logs"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    env = daemon_env(work)
    daemons: list[Daemon] = []
    try:
        master = _start("master", "org.apache.spark.deploy.master.Master",
                        ["--host", "127.0.0.1", "--port", "0", "--webui-port", "0"], work, env)
        daemons.append(master)
        url = wait_for("master address", _read_log(master, r"Starting Spark master at (spark://\S+)"), daemons)
        ui = wait_for("master web UI", _read_log(master, r"MasterWebUI: .*started at (http://[^\s,]+)"), daemons)
        cluster = Cluster(url, ui.replace("localhost", "127.0.0.1"), env, daemons)
        for k in range(workers):
            daemons.append(_start(f"worker-{k + 1}", "org.apache.spark.deploy.worker.Worker",
                                  ["--host", "127.0.0.1", "--port", "0", "--webui-port", "0", "--cores", str(cores),
                                   "--memory", memory, "--work-dir", str(work / "worker" / str(k + 1)), url],
                                  work, env))

        def all_alive() -> bool:
            try:
                return cluster.alive_workers() >= workers
            except OSError:
                return False

        wait_for(f"{workers} registered workers", all_alive, daemons)
        yield cluster
    finally:
        for d in reversed(daemons):
            d.stop()


def assert_job_output(out: Path, want) -> None:
    """The Parquet tables the spark-submit job (`reprints.spark_job`) wrote to ``out`` hold the rows
    of ``want`` (a `reprints.Result`), in any order; a document's ``input`` is left aside (a
    DataFrame row is named "row N", a file row "PATH#N")."""
    import pyarrow.parquet as pq

    for name in ("documents", "pairs", "passages", "clusters"):
        got, expected = pq.read_table(out / name).cast(getattr(want, name).schema), getattr(want, name)
        if name == "documents":
            got, expected = got.drop_columns(["input"]), expected.drop_columns(["input"])
        key = lambda r: json.dumps(r, sort_keys=True, default=str)  # noqa: E731
        assert sorted(got.to_pylist(), key=key) == sorted(expected.to_pylist(), key=key), name
