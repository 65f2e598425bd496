"""A workspace's stored runs, read for the figures: safely while a run writes, with a cache.

Each thread reads through its own DuckDB cursor (a connection to the same database), so a run
being written in another thread is invisible until it commits: a reader sees the last complete
run and never a half-written one. A complete run's tables never change, so figures computed from
them are cached by run id.

>>> from cvm.workspace import Workspace
>>> results = StoredResults(Workspace(":memory:"))
>>> results.latest_run() is None
True
"""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from typing import Any, Callable

from ..config import stored_value_column
from ..errors import CvmError
from ..workspace import Workspace

__all__ = ["StoredResults", "NotFound", "BadQuery", "run_table", "json_safe"]

_CACHE_SIZE = 512
_UNKNOWN = object()


class NotFound(CvmError, LookupError):
    """No such run, customer or result table."""


class BadQuery(CvmError, ValueError):
    """A filter, sort column or parameter the results cannot answer."""


def run_table(run_id: int, name: str = "customers") -> str:
    """The quoted name of a run's result table ``run_<id>_<name>``."""
    return f'"{Workspace.run_table(run_id, name)}"'


class StoredResults:
    """Read-only access to a workspace's runs; thread-safe (one DuckDB cursor per thread)."""

    def __init__(self, ws: Workspace):
        self.ws = ws
        self._local = threading.local()
        self._cache: OrderedDict[tuple, Any] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._cursors: list = []
        self._latest: object = _UNKNOWN

    # -- plumbing --------------------------------------------------------------------------

    def cursor(self):
        """This thread's cursor on the workspace."""
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self.ws.con.cursor()
            self._local.cursor = cur
            with self._cache_lock:
                self._cursors.append(cur)
        return cur

    def close(self) -> None:
        with self._cache_lock:
            for cur in self._cursors:
                try:
                    cur.close()
                except Exception:  # noqa: BLE001 - closing a cursor of a closed database
                    pass
            self._cursors.clear()

    def rows(self, sql: str, params: list | None = None) -> list[dict]:
        """Rows as dicts; NaN and infinities become ``None`` (JSON-safe)."""
        result = self.cursor().execute(sql, params or [])
        names = [d[0] for d in result.description]
        return [dict(zip(names, (json_safe(v) for v in row))) for row in result.fetchall()]

    def scalar(self, sql: str, params: list | None = None):
        return self.cursor().execute(sql, params or []).fetchall()[0][0]

    def cached(self, key: tuple, compute: Callable[[], Any]) -> Any:
        with self._cache_lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        value = compute()
        with self._cache_lock:
            self._cache[key] = value
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return value

    def peek(self, key: tuple):
        """A cached figure, or ``None`` when it still has to be computed."""
        with self._cache_lock:
            return self._cache.get(key)

    # -- tables and runs -------------------------------------------------------------------

    def tables(self) -> set[str]:
        return {r["table_name"] for r in self.rows(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'")}

    def run_tables(self, run_id: int) -> set[str]:
        """The names of a run's result tables without their ``run_<id>_`` prefix."""
        return Workspace.run_results(run_id, self.tables())

    def columns(self, run_id: int, name: str = "customers") -> dict[str, str]:
        """Column name → DuckDB type of a run's result table."""
        def compute():
            rows = self.rows("SELECT column_name, data_type FROM duckdb_columns() "
                             "WHERE schema_name = 'main' AND table_name = ?",
                             [Workspace.run_table(run_id, name)])
            if not rows:
                raise NotFound(f"run {run_id} has no {name} table")
            return {r["column_name"]: r["data_type"] for r in rows}
        return self.cached(("columns", run_id, name), compute)

    def runs(self) -> list[dict]:
        return self.rows("SELECT run_id, status, started_at, finished_at, as_of, engine, error "
                         "FROM runs ORDER BY run_id")

    def latest_run(self) -> int | None:
        """The last complete run. Remembered until :meth:`runs_changed` (whoever runs an
        analysis on this workspace calls it when the run ends)."""
        latest = self._latest
        if latest is _UNKNOWN:
            latest = self.scalar("SELECT max(run_id) FROM runs WHERE status = 'complete'")
            self._latest = latest
        return latest

    def runs_changed(self) -> None:
        self._latest = _UNKNOWN

    def resolve(self, run_id: int | None) -> int:
        """The given run if it is complete, else the last complete run."""
        if run_id is None:
            run_id = self.latest_run()
            if run_id is None:
                raise NotFound("no complete run yet: start one (upload a file) first")
            return run_id
        status = self.rows("SELECT status FROM runs WHERE run_id = ?", [run_id])
        if not status:
            raise NotFound(f"no run {run_id}")
        if status[0]["status"] != "complete":
            raise NotFound(f"run {run_id} is {status[0]['status']}, it has no results")
        return run_id

    def summary(self, run_id: int) -> dict:
        """The figures stored with a run (``info``, ``pareto``)."""
        def compute():
            text = self.scalar("SELECT summary FROM runs WHERE run_id = ?", [run_id])
            return json.loads(text) if text else {}
        return self.cached(("summary", run_id), compute)

    def config(self, run_id: int) -> dict:
        """The settings a run was made with."""
        return self.cached(("config", run_id), lambda: json.loads(
            self.scalar("SELECT config FROM runs WHERE run_id = ?", [run_id]) or "{}"))

    def value_column(self, run_id: int) -> str:
        """The column a run's value figures sum, as the run stored it with its settings
        (:func:`cvm.config.stored_value_column`)."""
        return stored_value_column(self.config(run_id))

    def validation_tables(self, run_id: int, tables: set[str] | None = None) -> list[str]:
        """A run's stored tables named ``…validation…`` (a stage's model checks)."""
        return sorted(Workspace.run_table(run_id, name) for name in
                      Workspace.run_results(run_id, tables or self.tables()) if "validation" in name)

    def capabilities(self, run_id: int) -> dict[str, bool]:
        """Which optional results this run has."""
        cols = self.columns(run_id)
        tables = self.tables()
        return {
            "clv": "clv" in cols,
            "probability_alive": "probability_alive" in cols,
            "lifecycle": "lifecycle_stage" in cols,
            "matrix": "value_quadrant" in cols and "lifecycle_stage" in cols,
            "clv_validation": bool(self.validation_tables(run_id, tables)),
            "golden": "identity_golden" in tables,
        }


def json_safe(value):
    """``value``, with NaN and infinities as ``None`` (JSON null)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
