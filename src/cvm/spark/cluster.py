"""A Spark standalone cluster on this machine: a master and workers as separate processes,
started from the PySpark installation (no separate Spark download).

For trying a run on a real cluster without one, and for the tests::

    with LocalCluster(workers=2) as cluster:
        os.environ["CVM_SPARK_MASTER"] = cluster.master_url   # spark://127.0.0.1:<port>
        ...

Every process listens on loopback only. The workers' executors run this Python
(``PYSPARK_PYTHON``), so they import the same cvm as the driver.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from ..errors import CvmError

__all__ = ["ClusterError", "LocalCluster", "spark_home"]


class ClusterError(CvmError, RuntimeError):
    """A local Spark cluster could not be started; the message says why."""


def spark_home() -> Path:
    """The PySpark package folder, which holds ``bin/spark-class`` and Spark's jars."""
    try:
        import pyspark
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ClusterError("a local Spark cluster needs PySpark: pip install 'cvm[spark]'") \
            from exc
    return Path(pyspark.__file__).resolve().parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalCluster:
    """A master and ``workers`` workers (``cores`` and ``memory`` each) on loopback."""

    def __init__(self, workers: int = 2, *, cores: int = 1, memory: str = "3g",
                 port: int | None = None, folder: str | Path | None = None):
        if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
            raise ClusterError("a local Spark cluster needs Java (java on PATH or JAVA_HOME)")
        self.workers, self.cores, self.memory = workers, cores, memory
        self.port = port or _free_port()
        self.ui_port = _free_port()
        self.folder = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="cvm-cluster-"))
        self._processes: list[subprocess.Popen] = []

    @property
    def master_url(self) -> str:
        return f"spark://127.0.0.1:{self.port}"

    def _environment(self) -> dict[str, str]:
        home = spark_home()
        env = dict(os.environ)
        env.update({"SPARK_HOME": str(home), "SPARK_LOCAL_IP": "127.0.0.1",
                    "PYSPARK_PYTHON": env.get("PYSPARK_PYTHON", sys.executable),
                    "SPARK_LOG_DIR": str(self.folder / "logs"),
                    "SPARK_WORKER_DIR": str(self.folder / "work")})
        return env

    def _start(self, name: str, *args: str) -> None:
        home = spark_home()
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        cmd = [str(home / "bin" / "spark-class"), *args]
        self._processes.append(subprocess.Popen(cmd, env=self._environment(), stdout=log,
                                                stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL))
        log.close()

    def _alive_workers(self) -> int:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.ui_port}/json/",
                                        timeout=2) as reply:
                state = json.load(reply)
        except (OSError, ValueError):
            return -1
        return sum(1 for w in state.get("workers", []) if w.get("state") == "ALIVE")

    def start(self, timeout: float = 90.0) -> LocalCluster:
        """Start the master and the workers; return once every worker has registered."""
        (self.folder / "work").mkdir(parents=True, exist_ok=True)
        self._start("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                    "--port", str(self.port), "--webui-port", str(self.ui_port))
        for i in range(self.workers):
            self._start(f"worker-{i + 1}", "org.apache.spark.deploy.worker.Worker",
                        self.master_url, "--host", "127.0.0.1", "--cores", str(self.cores),
                        "--memory", self.memory, "--webui-port", str(_free_port()),
                        "--work-dir", str(self.folder / "work" / f"worker-{i + 1}"))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in self._processes):
                break
            if self._alive_workers() >= self.workers:
                return self
            time.sleep(0.5)
        logs = (self.folder / "master.log").read_text(errors="replace")[-2000:]
        self.stop()
        raise ClusterError(f"the local Spark cluster did not start within {timeout:.0f} s; "
                           f"the master's log ends with: {logs}")

    def stop(self) -> None:
        """Stop the workers, then the master (each by its own process id)."""
        for process in reversed(self._processes):
            if process.poll() is None:
                process.terminate()
        for process in reversed(self._processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._processes.clear()

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
