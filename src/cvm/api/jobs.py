"""Runs started over the API: a queue worked off by one background thread, one run at a time.

Runs started together wait in line and never interleave. The worker opens its own connection
to the workspace (DuckDB shares one database between the connections of a process), loads the
job's files and calls :func:`cvm.analyse`, which stores the run's results in one transaction:
readers on other connections keep seeing the previous complete run until it commits. A job
that fails is kept with its error; the previous results stay as they were.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import shutil
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from ..config import AnalysisConfig
from ..ingest.load import load_customers, load_transactions
from ..pipeline import STAGES, analyse
from ..workspace import Workspace

__all__ = ["Job", "JobQueue"]

log = logging.getLogger(__name__)


@dataclass
class Job:
    """A run asked for over the API, and how far it got."""

    job_id: str
    kind: str  # "upload", "source" or "workspace"
    transactions: list[str] = field(default_factory=list)
    customers: list[str] = field(default_factory=list)
    config: AnalysisConfig = field(default_factory=AnalysisConfig)
    status: str = "queued"  # queued → running → complete | failed
    progress: float = 0.0
    message: str = "waiting for earlier runs to finish"
    run_id: int | None = None
    error: str | None = None
    created_at: dt.datetime = field(default_factory=lambda: _now())
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    cleanup: Path | None = None
    names: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"job_id": self.job_id, "kind": self.kind, "status": self.status,
                "progress": round(self.progress, 3), "message": self.message,
                "run_id": self.run_id, "error": self.error, "files": self.names,
                "created_at": self.created_at, "started_at": self.started_at,
                "finished_at": self.finished_at}


class JobQueue:
    """Queue runs and work them off in one background thread."""

    def __init__(self, workspace_path: str, *, keep: int = 200, on_finish=None):
        self.workspace_path = workspace_path
        self._on_finish = on_finish
        self._jobs: dict[str, Job] = {}
        self._order: list[str] = []
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._lock = threading.Lock()
        self._keep = keep
        self._thread = threading.Thread(target=self._work, name="cvm-run-worker", daemon=True)
        self._thread.start()

    def submit(self, job: Job) -> Job:
        job.job_id = job.job_id or uuid.uuid4().hex[:12]
        with self._lock:
            self._jobs[job.job_id] = job
            self._order.append(job.job_id)
            while len(self._order) > self._keep:
                old = self._jobs[self._order[0]]
                if old.status in ("queued", "running"):
                    break
                self._jobs.pop(self._order.pop(0), None)
        self._queue.put(job)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def list(self) -> list[Job]:
        with self._lock:
            return [self._jobs[j] for j in reversed(self._order)]

    def busy(self) -> bool:
        with self._lock:
            return any(j.status in ("queued", "running") for j in self._jobs.values())

    def close(self, timeout: float = 5.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    # -- the worker ------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                self._run(job)
            except BaseException as exc:  # noqa: BLE001 - a job's failure is its result
                job.status = "failed"
                job.error = f"{type(exc).__name__}: {exc}"
                job.message = "failed"
                log.warning("run job %s failed: %s", job.job_id, job.error)
            finally:
                job.finished_at = _now()
                if self._on_finish is not None:
                    self._on_finish(job)
                if job.cleanup is not None:
                    shutil.rmtree(job.cleanup, ignore_errors=True)

    def _run(self, job: Job) -> None:
        job.status = "running"
        job.started_at = _now()
        steps = len(job.transactions) + len(job.customers) + 3 + len(STAGES)
        done = 0

        def step(message: str) -> None:
            nonlocal done
            done += 1
            job.message = message
            job.progress = min(0.95, done / steps)

        with Workspace(self.workspace_path) as ws:
            for path in job.customers:
                step(f"loading customers {Path(path).name}")
                load_customers(ws, path)
            for path in job.transactions:
                step(f"loading {Path(path).name}")
                report = load_transactions(ws, path, as_of=job.config.as_of)
                if not report.skipped and report.rows_loaded == 0:
                    raise ValueError(f"{Path(path).name}: no row could be loaded "
                                     f"({report.rows_rejected:,} rejected)")
            step("analysing")
            result = analyse(ws, job.config, progress=step)
        job.run_id = result.run_id
        job.progress = 1.0
        job.status = "complete"
        job.message = "complete"


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)
