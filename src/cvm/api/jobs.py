"""Runs started over the API: a queue worked off by one background thread, one run at a time.

Runs started together wait in line and never interleave. The worker opens its own connection
to the workspace (DuckDB shares one database between the connections of a process), loads the
job's files and calls :func:`cvm.analyse`, which stores the run's results in one transaction:
readers on other connections keep seeing the previous complete run until it commits. A job
that fails is kept with its error; the previous results stay as they were.

The queue lives in the workspace (table ``jobs``): a job is recorded before its request is
answered, and an uploaded file stays in the upload folder until its job ends. When the server
starts again after it was stopped or killed, queued jobs run in the order they were asked
for, and a job that was running is marked failed with the reason (its run is marked
interrupted when the workspace opens).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import queue
import re
import shutil
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from ..config import AnalysisConfig, RFMOptions
from ..ingest.load import load_customers, load_transactions
from ..pipeline import analyse
from ..stages import run_stages
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


#: How the upload endpoint names the folder an upload waits in (nothing else is removed).
_UPLOAD_FOLDER = re.compile(r"[0-9a-f]{12}")

#: Why a job that was running when the server stopped did not finish.
INTERRUPTED = ("interrupted: the server stopped while this job was running; the previous "
               "results stay in place; start the run again")


class JobQueue:
    """Queue runs, kept in the workspace's ``jobs`` table, and work them off in one background
    thread. Jobs left queued by a server that stopped are taken up first."""

    def __init__(self, ws: Workspace, *, keep: int = 200, on_finish=None):
        self.ws = ws
        self.workspace_path = ws.path
        self._on_finish = on_finish
        self._jobs: dict[str, Job] = {}
        self._order: list[str] = []
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._lock = threading.Lock()
        self._keep = keep
        self._recover()
        self._thread = threading.Thread(target=self._work, name="cvm-run-worker", daemon=True)
        self._thread.start()

    def submit(self, job: Job) -> Job:
        """Record the job in the workspace and queue it (recorded before the caller answers)."""
        job.job_id = job.job_id or uuid.uuid4().hex[:12]
        self._insert(job)
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

    def remove_stray_uploads(self, folder: Path) -> None:
        """Remove upload folders no queued job waits for (left by a server that was stopped
        while it received them, or while their job ran)."""
        with self._lock:
            waiting = {j.cleanup.resolve() for j in self._jobs.values()
                       if j.cleanup is not None and j.status in ("queued", "running")}
        for path in folder.iterdir() if folder.is_dir() else []:
            if _UPLOAD_FOLDER.fullmatch(path.name) and path.is_dir() \
                    and path.resolve() not in waiting:
                log.info("removing %s: no queued run waits for it", path)
                shutil.rmtree(path, ignore_errors=True)

    # -- the record in the workspace -------------------------------------------------------

    def _insert(self, job: Job) -> None:
        settings = _settings(job.config)
        if _config(settings) != job.config:
            raise ValueError("a queued run keeps only its date, window, scheme and language")
        self.ws.query(
            "INSERT INTO jobs (seq, job_id, kind, status, transactions, customers, names, "
            "settings, folder, created_at) VALUES (nextval('job_seq'), ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [job.job_id, job.kind, job.status, json.dumps(job.transactions),
             json.dumps(job.customers), json.dumps(job.names), json.dumps(settings),
             str(job.cleanup) if job.cleanup is not None else None, job.created_at])
        self.ws.query(
            "DELETE FROM jobs WHERE status IN ('complete', 'failed') AND seq NOT IN "
            "(SELECT seq FROM jobs ORDER BY seq DESC LIMIT ?)", [self._keep])

    def _record(self, job_id: str, status: str, *, started=None, finished=None, run_id=None,
                error=None) -> None:
        try:
            self.ws.query(
                "UPDATE jobs SET status = ?, started_at = ?, finished_at = ?, run_id = ?, "
                "error = ? WHERE job_id = ?", [status, started, finished, run_id, error, job_id])
        except Exception:  # noqa: BLE001 - the job goes on; a restart then reports it failed
            log.exception("could not record the status of job %s", job.job_id)

    def _recover(self) -> None:
        """Load the recorded jobs: queued ones are queued again, running ones (cut off when
        the server stopped) are marked failed and their uploads removed."""
        # every unfinished job, and the latest finished ones
        rows = self.ws.query(
            "SELECT job_id, kind, status, transactions, customers, names, settings, folder, "
            "created_at, started_at, finished_at, run_id, error FROM jobs "
            "WHERE status IN ('queued', 'running') OR seq IN "
            "(SELECT seq FROM jobs ORDER BY seq DESC LIMIT ?) ORDER BY seq", [self._keep])
        for (job_id, kind, status, transactions, customers, names, settings, folder, created,
             started, finished, run_id, error) in rows:
            job = Job(job_id, kind, json.loads(transactions), json.loads(customers),
                      _config(json.loads(settings)), status=status, run_id=run_id, error=error,
                      created_at=created, started_at=started, finished_at=finished,
                      cleanup=Path(folder) if folder else None, names=json.loads(names))
            if status == "running":
                job.status, job.error, job.finished_at = "failed", INTERRUPTED, _now()
                log.warning("job %s: %s", job_id, INTERRUPTED)
                self._record(job_id, "failed", started=started, finished=job.finished_at,
                             error=INTERRUPTED)
                if job.cleanup is not None:
                    shutil.rmtree(job.cleanup, ignore_errors=True)
            job.message = {"queued": job.message, "complete": "complete"}.get(job.status, "failed")
            job.progress = 1.0 if job.status == "complete" else 0.0
            self._jobs[job_id] = job
            self._order.append(job_id)
            if job.status == "queued":
                self._queue.put(job)

    # -- the worker ------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            status, error, run_id = "complete", None, None
            try:
                run_id = self._run(job)
            except BaseException as exc:  # noqa: BLE001 - a job's failure is its result
                status, error = "failed", f"{type(exc).__name__}: {exc}"
                log.warning("run job %s failed: %s", job.job_id, error)
            finished = _now()
            self._record(job.job_id, status, started=job.started_at, finished=finished,
                         run_id=run_id, error=error)
            if job.cleanup is not None:
                shutil.rmtree(job.cleanup, ignore_errors=True)
            # before the job says it has ended, so that whoever sees it ended sees its run
            if self._on_finish is not None:
                self._on_finish(status)
            job.run_id, job.error, job.finished_at, job.message = run_id, error, finished, status
            if status == "complete":
                job.progress = 1.0
            job.status = status

    def _run(self, job: Job) -> int:
        """Load the job's files and analyse; the new run's id."""
        job.status = "running"
        job.started_at = _now()
        self._record(job.job_id, "running", started=job.started_at)
        steps = len(job.transactions) + len(job.customers) + 2 + len(run_stages())
        done = 0

        def step(message: str) -> None:
            nonlocal done
            done += 1
            job.message = message
            job.progress = min(0.95, done / steps)

        with Workspace(self.workspace_path) as ws:
            loads = []
            for path in job.customers:
                step(f"loading customers {Path(path).name}")
                loads.append(load_customers(ws, path))
            for path in job.transactions:
                step(f"loading {Path(path).name}")
                report = load_transactions(ws, path, as_of=job.config.as_of)
                if not report.skipped and report.rows_loaded == 0:
                    raise ValueError(f"{Path(path).name}: no row could be loaded "
                                     f"({report.rows_rejected:,} rejected)")
                loads.append(report)
            step("analysing")
            return analyse(ws, job.config, progress=step, loads=loads).run_id


def _settings(config: AnalysisConfig) -> dict:
    """What a queued run keeps of its settings (what the API lets a caller choose)."""
    return {"as_of": config.as_of.isoformat() if config.as_of else None,
            "window_days": config.window_days, "rfm_scheme": config.rfm.scheme,
            "lang": config.lang}


def _config(settings: dict) -> AnalysisConfig:
    as_of = settings["as_of"]
    return AnalysisConfig(as_of=dt.date.fromisoformat(as_of) if as_of else None,
                          window_days=settings["window_days"], lang=settings["lang"],
                          rfm=RFMOptions(scheme=settings["rfm_scheme"]))


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)
