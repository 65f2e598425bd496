"""The calibration / holdout check of a run's purchase model, computed when the run runs and
stored with it (read back by :func:`cvm.insights.clv_validation`).

The last quarter of the run's history, at most 26 weeks, is held out: the model is fitted on
the purchases before it and its expected repeat purchases compared with the ones customers made
(Fader, Hardie & Lee 2005, sec. 5; :mod:`cvm.models.validation`). A history shorter than
16 weeks holds out less than 4 weeks, which says too little: the run then stores that the
history is too short.

Stored as the run's tables ``run_<id>_holdout`` (one row: whether the check was possible, why
not, the model and its error figures as JSON), ``run_<id>_holdout_tracking`` and
``run_<id>_holdout_conditional``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence

import ibis.expr.types as ir
import pyarrow as pa

from ..engine import Engine
from ..models.validation import HoldoutValidation, validate_holdout
from ..workspace import Workspace, WorkspaceError
from .lifetime_value import HOLDOUT_TABLE

__all__ = ["holdout_days", "holdout_tables", "run_holdout", "store_run_holdout", "run_as_of",
           "run_calibration_end", "MIN_HOLDOUT_DAYS", "MAX_HOLDOUT_DAYS"]

log = logging.getLogger(__name__)

#: the shortest holdout period worth a check, and the longest one taken
MIN_HOLDOUT_DAYS, MAX_HOLDOUT_DAYS = 28, 182


def holdout_days(first_purchase: dt.date | None, as_of: dt.date) -> int:
    """Days held out: a quarter of the history up to ``as_of``, at most 26 weeks.

    >>> holdout_days(dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    91
    >>> holdout_days(dt.date(2020, 1, 1), dt.date(2024, 12, 31))
    182
    """
    if first_purchase is None:
        return 0
    return min(MAX_HOLDOUT_DAYS, (as_of - first_purchase).days // 4)


def _outcome(available: bool, reason_code: str | None = None, reason: str | None = None,
             model: str | None = None, summary: dict | None = None) -> pa.Table:
    return pa.table({"available": pa.array([available], pa.bool_()),
                     "reason_code": pa.array([reason_code], pa.string()),
                     "reason": pa.array([reason], pa.string()),
                     "model": pa.array([model], pa.string()),
                     "summary": pa.array([json.dumps(summary) if summary is not None else None],
                                         pa.string())})


def holdout_tables(validation: HoldoutValidation) -> dict[str, pa.Table]:
    """A validation as the run tables that keep it."""
    summary = validation.summary()
    model = summary.get("model") or {}
    plain = {k: v for k, v in summary.items() if isinstance(v, (str, int, float)) or v is None}
    return {
        HOLDOUT_TABLE: _outcome(True, model=str(model.get("title") or model.get("model") or ""),
                                summary=plain),
        f"{HOLDOUT_TABLE}_tracking": pa.Table.from_pandas(validation.tracking,
                                                          preserve_index=False),
        f"{HOLDOUT_TABLE}_conditional": pa.Table.from_pandas(validation.conditional,
                                                             preserve_index=False),
    }


def run_holdout(ws: Workspace, engine: Engine, transactions: ir.Table, as_of: dt.date,
                customer_columns: Sequence[str], day_table: ir.Table | None = None,
                first_purchase: dt.date | None = None
                ) -> dict[str, pa.Table]:
    """The holdout check of a run, as run tables: nothing when the run has no CLV; the reason
    when the history is too short or the model cannot be fitted on the calibration period.

    ``transactions`` are the run's unified transactions on ``engine``;
    ``customer_columns`` the columns of the run's customer table; ``day_table`` their
    purchase-day table when the run keeps one (read instead of grouping them again, and for
    their first date);
    ``first_purchase`` is their first date when they are not the workspace's (read by Spark)."""
    if "clv" not in customer_columns:
        return {}
    if first_purchase is None:
        first_purchase = _first_purchase(ws) if day_table is None else \
            engine.to_arrow(day_table.aggregate(first=day_table.purchase_date.min())
                            ).column("first")[0].as_py()
    days = holdout_days(first_purchase, as_of)
    if days < MIN_HOLDOUT_DAYS:
        return {HOLDOUT_TABLE: _outcome(False, "short_history",
                                        "the history is too short to hold out a period")}
    t = transactions
    t = t.filter(t.purchase_date <= as_of).select("customer_id", "purchase_date", "amount",
                                                  "margin", "cost")
    if day_table is not None:
        day_table = day_table.filter(day_table.purchase_date <= as_of)
    try:
        validation = validate_holdout(t, engine.to_arrow,
                                      calibration_end=as_of - dt.timedelta(days=days),
                                      holdout_end=as_of, days=day_table, per_customer=False)
    except Exception as exc:  # noqa: BLE001 - a check that fails leaves the run as it is
        log.warning("the purchase model could not be checked on this history: %s", exc)
        return {HOLDOUT_TABLE: _outcome(False, "failed", str(exc))}
    return holdout_tables(validation)


def store_run_holdout(ws: Workspace, run_id: int, validation: HoldoutValidation) -> None:
    """Keep ``validation`` as the holdout check of the complete run ``run_id`` (replacing the
    one stored before)."""
    with ws.transaction() as con:
        for name, table in holdout_tables(validation).items():
            con.register("_cvm_holdout", table)
            con.execute(f'CREATE OR REPLACE TABLE "{Workspace.run_table(run_id, name)}" AS '
                        "SELECT * FROM _cvm_holdout")
            con.unregister("_cvm_holdout")


def _first_purchase(ws: Workspace) -> dt.date | None:
    return ws.query("SELECT min(purchase_date) FROM unified_transactions")[0][0]


def run_as_of(ws: Workspace, run_id: int) -> dt.date:
    """The as-of date of the complete run ``run_id``."""
    rows = ws.query("SELECT status, as_of FROM runs WHERE run_id = ?", [run_id])
    if not rows:
        raise WorkspaceError(f"workspace {ws.path} has no run {run_id}")
    if rows[0][0] != "complete":
        raise WorkspaceError(f"run {run_id} is {rows[0][0]}: only a complete run has a model "
                             "to check")
    return rows[0][1]


def run_calibration_end(ws: Workspace, as_of: dt.date) -> dt.date:
    """The calibration end a run with this as-of date checks its model at (see
    :func:`holdout_days`)."""
    days = holdout_days(_first_purchase(ws), as_of)
    if days < MIN_HOLDOUT_DAYS:
        raise WorkspaceError(f"the history up to {as_of} is too short to hold out a period "
                             f"(at least {4 * MIN_HOLDOUT_DAYS} days are needed); give "
                             "--calibration-end")
    return as_of - dt.timedelta(days=days)
