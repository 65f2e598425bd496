"""The workspace: one DuckDB file holding the canonical tables and every run's results.

Tables:

- ``files``: each loaded source (name, content hash, rows read/loaded/rejected, mapping used);
- ``transactions``: canonical purchase rows, with the source file and row they came from;
- ``rejects``: every input row that was not loaded, with file, row, field, value and reason;
- ``source_customers``: customer records as the source systems hold them;
- ``xref``: source system + source customer id → unified ``customer_id``;
- ``runs``: each analysis (status, as-of date, configuration, error if it failed or was
  interrupted, the process running it and the step it is at);
- ``run_<id>_customers`` / ``run_<id>_segments``: a run's results. Readers use the last
  ``complete`` run only, so they never see a half-written one; the tables of a run that fails
  or is interrupted are dropped;
- ``jobs``: runs asked for over the REST API, queued until the server's worker takes them.

A run's status is ``running`` while its process works on it, then ``complete`` (the results
are stored, and the results folder is in place when one was asked for), ``failed`` (with the
error; the previous results stay as they were) or ``interrupted`` (its process ended before
the run did: killed, crashed, machine stopped). A ``running`` run whose process is gone is
marked ``interrupted`` by the next process that opens the workspace for writing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import duckdb
import pyarrow as pa

from .errors import CvmError
from .owner import Owner

__all__ = ["Workspace", "WorkspaceError"]

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
#: DuckDB's row group size: Parquet that the workspace reads (a run's customer table, a load's
#: staged rows) is written in row groups of it, which DuckDB reads in parallel
ROW_GROUP_ROWS = 122_880

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE SEQUENCE IF NOT EXISTS file_ids START 1;
CREATE TABLE IF NOT EXISTS files (
    file_id INTEGER PRIMARY KEY, table_kind VARCHAR, name VARCHAR, location VARCHAR,
    kind VARCHAR, sha256 VARCHAR, loaded_at TIMESTAMP, rows_read BIGINT, rows_loaded BIGINT,
    rows_rejected BIGINT, columns VARCHAR, options VARCHAR);
ALTER TABLE files ADD COLUMN IF NOT EXISTS column_map VARCHAR;
CREATE TABLE IF NOT EXISTS transactions (
    file_id INTEGER, source_row BIGINT, source VARCHAR, source_customer_id VARCHAR,
    purchase_time TIMESTAMP, purchase_date DATE, amount DOUBLE, margin DOUBLE, cost DOUBLE,
    quantity DOUBLE, order_id VARCHAR, product VARCHAR, category VARCHAR, channel VARCHAR,
    store VARCHAR);
CREATE TABLE IF NOT EXISTS rejects (
    file_id INTEGER, file VARCHAR, "row" BIGINT, field VARCHAR, value VARCHAR, code VARCHAR,
    reason VARCHAR);
CREATE TABLE IF NOT EXISTS source_customers (
    file_id INTEGER, source_row BIGINT, source VARCHAR, source_customer_id VARCHAR, name VARCHAR,
    phone VARCHAR, email VARCHAR, birth_date DATE, city VARCHAR, gender VARCHAR,
    signup_date DATE, owner VARCHAR, national_id VARCHAR, address VARCHAR);
ALTER TABLE transactions ADD COLUMN IF NOT EXISTS order_line VARCHAR;
ALTER TABLE source_customers ADD COLUMN IF NOT EXISTS national_id VARCHAR;
ALTER TABLE source_customers ADD COLUMN IF NOT EXISTS address VARCHAR;
ALTER TABLE source_customers ADD COLUMN IF NOT EXISTS credit_score DOUBLE;
ALTER TABLE source_customers ADD COLUMN IF NOT EXISTS late_payments DOUBLE;
ALTER TABLE source_customers ADD COLUMN IF NOT EXISTS defaults DOUBLE;
ALTER TABLE source_customers ADD COLUMN IF NOT EXISTS credit_limit_use DOUBLE;
CREATE TABLE IF NOT EXISTS xref (
    source VARCHAR, source_customer_id VARCHAR, customer_id VARCHAR,
    method VARCHAR, linked_at TIMESTAMP, PRIMARY KEY (source, source_customer_id));
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY, started_at TIMESTAMP, finished_at TIMESTAMP, status VARCHAR,
    error VARCHAR, as_of DATE, engine VARCHAR, config VARCHAR, summary VARCHAR);
ALTER TABLE runs ADD COLUMN IF NOT EXISTS owner_pid BIGINT;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS owner_started VARCHAR;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS step VARCHAR;
CREATE SEQUENCE IF NOT EXISTS job_seq START 1;
CREATE TABLE IF NOT EXISTS jobs (
    seq BIGINT, job_id VARCHAR, kind VARCHAR, status VARCHAR, transactions VARCHAR,
    customers VARCHAR, names VARCHAR, settings VARCHAR, folder VARCHAR, created_at TIMESTAMP,
    started_at TIMESTAMP, finished_at TIMESTAMP, run_id INTEGER, error VARCHAR);
-- the transactions under their unified ids: only the ids the linkage changed are joined (an id
-- it kept is the source's own either way), so that without a linkage a query over the view
-- joins nothing; joining every id held a hash table of all of them (at 25M customers, a
-- grouping of 100M transactions did not fit in 3 GB; without it, 5.6 s and 2.8 GiB)
CREATE OR REPLACE VIEW unified_transactions AS
    SELECT coalesce(x.customer_id, t.source_customer_id) AS customer_id, t.*
    FROM transactions t
    LEFT JOIN (SELECT source, source_customer_id, customer_id FROM xref
               WHERE customer_id IS DISTINCT FROM source_customer_id) x
    ON x.source = t.source AND x.source_customer_id = t.source_customer_id;
"""


class WorkspaceError(CvmError, RuntimeError):
    """The workspace file cannot be used (locked, corrupt, or from a newer cvm)."""


class Workspace:
    """A DuckDB workspace file (``":memory:"`` for a throwaway one).

    >>> ws = Workspace(":memory:")
    >>> ws.count("transactions")
    0
    """

    def __init__(self, path: str | Path = "cvm.duckdb", *, read_only: bool = False,
                 create: bool = True):
        """Open the workspace at ``path``; a missing file is created unless ``read_only`` or
        ``create=False``, which raise :class:`WorkspaceError` saying how to make one."""
        self.path = str(path)
        if self.path != ":memory:":
            if (read_only or not create) and not Path(self.path).exists():
                raise WorkspaceError(
                    f"there is no workspace at {self.path}: make one by loading your "
                    "transactions (cvm run FILE), or try cvm on demo data (cvm demo); give "
                    "another workspace with --workspace")
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(self.path, read_only=read_only)
        except duckdb.IOException as exc:
            raise WorkspaceError(
                f"workspace {self.path} cannot be opened ({exc}); is another cvm using it?"
            ) from None
        except duckdb.Error as exc:
            raise WorkspaceError(f"workspace {self.path} is not a DuckDB file ({exc})") from None
        from .engine import configure_duckdb  # here: reading a workspace needs no Ibis

        configure_duckdb(self.con, self.path)
        self._lock = threading.RLock()
        if not read_only:
            self.con.execute(_DDL)
            self._check_version()
            if self.path != ":memory:":
                self._interrupt_orphaned_runs()

    def _check_version(self) -> None:
        row = self.con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
        if not row:
            self.con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
        elif int(row[0][0]) > SCHEMA_VERSION:
            raise WorkspaceError(
                f"workspace {self.path} was written by a newer cvm (schema {row[0][0]}); upgrade cvm"
            )

    # -- plumbing --------------------------------------------------------------------------

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All statements inside commit together or not at all."""
        with self._lock:
            self.con.execute("BEGIN TRANSACTION")
            try:
                yield self.con
                self.con.execute("COMMIT")
            except BaseException as exc:
                try:
                    self.con.execute("ROLLBACK")
                except duckdb.Error:
                    pass  # a commit that failed has ended the transaction already
                self._raise_disk_full(exc)
                raise

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with self._lock:
            try:
                return self.con.execute(sql, params or []).fetchall()
            except duckdb.Error as exc:
                self._raise_disk_full(exc)
                raise

    def _raise_disk_full(self, exc: BaseException) -> None:
        """A write that failed for want of space is one clear error naming the workspace."""
        if isinstance(exc, duckdb.Error) and "No space left on device" in str(exc):
            raise WorkspaceError(f"workspace {self.path} could not be written: the disk is full; "
                                 "free some space there and run again") from exc

    def arrow(self, sql: str, params: list | None = None) -> pa.Table:
        with self._lock:
            return self.con.execute(sql, params or []).to_arrow_table()

    def count(self, table: str) -> int:
        return self.query(f'SELECT count(*) FROM "{table}"')[0][0]

    # -- files -----------------------------------------------------------------------------

    def find_file(self, table_kind: str, sha256: str, options: str) -> dict | None:
        rows = self.query(
            "SELECT file_id, name, loaded_at, rows_read, rows_loaded, rows_rejected FROM files "
            "WHERE table_kind = ? AND sha256 = ? AND options = ? ORDER BY file_id LIMIT 1",
            [table_kind, sha256, options],
        )
        if not rows:
            return None
        keys = ("file_id", "name", "loaded_at", "rows_read", "rows_loaded", "rows_rejected")
        return dict(zip(keys, rows[0]))

    def next_file_id(self) -> int:
        return self.query("SELECT nextval('file_ids')")[0][0]

    # -- runs ------------------------------------------------------------------------------

    @staticmethod
    def run_table(run_id: int, name: str) -> str:
        """The table holding result ``name`` of run ``run_id`` (unquoted): the one place that
        names a run's tables.

        >>> Workspace.run_table(3, "customers")
        'run_3_customers'
        """
        return f"run_{int(run_id)}_{name}"

    @staticmethod
    def run_results(run_id: int, tables) -> set[str]:
        """The result names of run ``run_id`` among the table names ``tables``.

        >>> sorted(Workspace.run_results(1, ["run_1_customers", "run_11_customers", "runs"]))
        ['customers']
        """
        prefix = Workspace.run_table(run_id, "")
        return {t[len(prefix):] for t in tables if t.startswith(prefix)}

    def start_run(self, *, as_of: dt.date | None, engine: str, config: dict) -> int:
        """Record a new ``running`` run owned by this process."""
        owner = Owner.current()
        with self.transaction() as con:
            run_id = con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM runs").fetchall()[0][0]
            con.execute(
                "INSERT INTO runs (run_id, started_at, status, as_of, engine, config, owner_pid, "
                "owner_started, step) VALUES (?, ?, 'running', ?, ?, ?, ?, ?, 'analysing')",
                [run_id, _now(), as_of, engine, json.dumps(config, default=str), owner.pid,
                 owner.started],
            )
        return run_id

    def run_step(self, run_id: int, step: str) -> None:
        """Note what a running run is doing (said when it is interrupted)."""
        self.query("UPDATE runs SET step = ? WHERE run_id = ?", [step, run_id])

    def fail_run(self, run_id: int, error: str, *, status: str = "failed") -> None:
        """Mark a run ``failed`` (or ``interrupted``) with the reason, and drop any result
        tables it stored: readers keep the last complete run."""
        with self.transaction() as con:
            tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()")
                      .fetchall()]
            for name in sorted(self.run_results(run_id, tables)):
                con.execute(f'DROP TABLE "{self.run_table(run_id, name)}"')
            con.execute(
                "UPDATE runs SET status = ?, error = ?, finished_at = ? WHERE run_id = ?",
                [status, error, _now(), run_id],
            )

    def store_run(self, run_id: int, *, as_of: dt.date, tables: dict[str, pa.Table],
                  summary: dict[str, Any],
                  files: dict[str, tuple[Path, pa.Schema]] | None = None) -> None:
        """Store a run's result tables and figures in one transaction; the run stays
        ``running`` (readers do not see it) until :meth:`complete_run`.

        ``files`` are result tables written as Parquet by the engine (a file, or a folder of
        part files), each with its schema: DuckDB reads them into the workspace itself, so their
        rows never pass through this process."""
        with self.transaction() as con:
            for name, table in tables.items():
                target = self.run_table(run_id, name)
                con.register("_cvm_result", table)
                con.execute(f'CREATE OR REPLACE TABLE "{target}" AS SELECT * FROM _cvm_result')
                con.unregister("_cvm_result")
            for name, (path, schema) in (files or {}).items():
                target = self.run_table(run_id, name)
                # the empty table's columns, without scanning it: in DuckDB 1.5, a table made
                # by a scan of an empty Arrow table, then given more than a row group of rows
                # in the same transaction, shows none of them to this connection
                con.register("_cvm_result", schema.empty_table())
                con.execute(f'CREATE OR REPLACE TABLE "{target}" AS SELECT * FROM _cvm_result '
                            'LIMIT 0')
                con.unregister("_cvm_result")
                pattern = str(Path(path) / "*.parquet") if Path(path).is_dir() else str(path)
                quoted = pattern.replace("'", "''")
                con.execute(f'INSERT INTO "{target}" BY NAME '
                            f"SELECT * FROM read_parquet('{quoted}')")
            con.execute(
                "UPDATE runs SET as_of = ?, summary = ?, step = 'storing the results' "
                "WHERE run_id = ?",
                [as_of, json.dumps(summary, default=str), run_id],
            )

    def complete_run(self, run_id: int) -> None:
        """Mark a stored run complete: from now on readers see its results."""
        with self.transaction() as con:
            con.execute(
                "UPDATE runs SET status = 'complete', finished_at = ?, step = NULL "
                "WHERE run_id = ?", [_now(), run_id])

    def _interrupt_orphaned_runs(self) -> None:
        """Mark ``interrupted`` every running run whose process is gone (see :mod:`cvm.owner`)."""
        rows = self.query("SELECT run_id, owner_pid, owner_started, step FROM runs "
                          "WHERE status = 'running' ORDER BY run_id")
        for run_id, pid, started, step in rows:
            if pid is not None and Owner(pid, started or "").alive():
                continue
            who = f"the process running it (pid {pid})" if pid is not None else \
                "the process running it"
            where = f" while {step}" if step else ""
            reason = f"interrupted: {who} ended{where}; the previous results stay in place"
            log.warning("run %s: %s", run_id, reason)
            self.fail_run(run_id, reason, status="interrupted")

    def runs(self) -> list[dict]:
        rows = self.query(
            "SELECT run_id, started_at, finished_at, status, error, as_of, engine FROM runs "
            "ORDER BY run_id"
        )
        keys = ("run_id", "started_at", "finished_at", "status", "error", "as_of", "engine")
        return [dict(zip(keys, r)) for r in rows]

    def latest_run(self) -> int | None:
        rows = self.query("SELECT max(run_id) FROM runs WHERE status = 'complete'")
        return rows[0][0]

    def run_summary(self, run_id: int) -> dict:
        rows = self.query("SELECT summary FROM runs WHERE run_id = ?", [run_id])
        if not rows or rows[0][0] is None:
            raise WorkspaceError(f"run {run_id} has no results in {self.path}")
        return json.loads(rows[0][0])

    def result(self, name: str, run_id: int | None = None) -> pa.Table:
        """A result table of a run (default: the last complete run)."""
        run_id = run_id if run_id is not None else self.latest_run()
        if run_id is None:
            raise WorkspaceError(f"workspace {self.path} has no complete run yet: run `cvm run` first")
        return self.arrow(f'SELECT * FROM "{self.run_table(run_id, name)}"')


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)
