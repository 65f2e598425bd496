"""The ``cohorts`` stage: acquisition cohorts of the buyers and, where the workspace holds
subscription payments, of the members with their retention curves.

- purchase cohorts: :func:`cvm.features.cohorts.cohort_table` by month on the run's
  transactions, for all customers and split by each of :data:`DIMENSIONS`, all fixed at
  acquisition (:func:`cvm.features.cohorts.acquisition_attributes`): the first day's spend
  as a third of the cohort (``value_tier``), and the channel and store of the first purchase
  where the purchases carry them. Never by a customer's current segment: it moves with what
  the customer did after acquisition (lapsed customers sit in low segments today), so the
  split would hold its own outcome;
- member cohorts (:mod:`cvm.ingest.members`): the same table on the payments, for all members
  and by plan and store, and the shifted-beta-geometric retention curves per plan
  (:class:`cvm.models.retention.RetentionCurves`), fitted on the first half of the longest
  observed span and checked against the second half.

Stored with the run: ``cohorts`` (``source`` purchases or members, ``dimension``, ``group``
and the cohort table's columns), ``retention_fits`` and ``retention_curves``. The run summary
(``stages.cohorts``) keeps the triangles of all customers and the plans' curves, for the report.
The stage adds no customer columns.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..features.cohorts import (ACQUISITION_COLUMNS, acquisition_attributes,
                               cohort_table, triangle)
from ..ingest.members import member_payments
from ..models.retention import RetentionCurves
from .contract import Stage, StageResult

__all__ = ["CohortStage", "DIMENSIONS", "TRIANGLE_METRICS", "cohort_rows", "member_attributes",
           "member_curves"]

#: what purchase cohorts are split by, each taken at acquisition: the first day's spend as a
#: third of the cohort, and the first purchase's channel and store when the purchases carry them
DIMENSIONS = ("value_tier", *ACQUISITION_COLUMNS)
#: the member columns member cohorts are split by, when the payments have them
MEMBER_DIMENSIONS = ("plan", "store")
#: the metrics kept as triangles in the run summary
TRIANGLE_METRICS = ("active_share", "lost", "cumulative_revenue_per_customer",
                    "cumulative_margin_per_customer")
#: periods the member curves are projected to
HORIZON = 36


def cohort_rows(engine, transactions, as_of: dt.date, *, period: str = "month",
                attributes=None, dimensions=(), source: str = "purchases",
                name: str = "cvm_cohort_groups") -> pa.Table:
    """The cohort table for all customers (``dimension`` "all") and split by each of
    ``dimensions`` (columns of ``attributes``, one row per customer: an Arrow table, or a
    mapping from dimension to an Ibis table on the engine such as
    :func:`~cvm.features.cohorts.acquisition_attributes`, each split one expression with it),
    stacked; ``group`` is the dimension's value as text."""
    parts = []
    overall = engine.to_arrow(cohort_table(transactions, as_of=as_of, period=period))
    parts.append(_label(overall, source, "all", None))
    if isinstance(attributes, pa.Table):
        present = [d for d in dimensions if d in attributes.column_names]
        table = engine.table(attributes.select(["customer_id", *present]), name) \
            if present else None
        attributes = {d: table for d in present}
    for d in [d for d in dimensions if d in (attributes or {})]:
        split = engine.to_arrow(cohort_table(transactions, as_of=as_of, period=period,
                                             groups=attributes[d], by=[d]))
        parts.append(_label(split.drop_columns([d]), source, d, split.column(d)))
    return pa.concat_tables(parts)


def _label(table: pa.Table, source: str, dimension: str, group) -> pa.Table:
    n = table.num_rows
    group = pa.nulls(n, pa.string()) if group is None else pc.cast(group, pa.string())
    head = {"source": pa.array([source] * n, pa.string()),
            "dimension": pa.array([dimension] * n, pa.string()), "group": group}
    return pa.table({**head, **{c: table.column(c) for c in table.column_names}})


def member_attributes(payments: pa.Table, dims) -> pa.Table:
    """One row per member: the ``dims`` (plan, store) of the member's first payment."""
    first = payments.select(["customer_id", "purchase_date", *dims]).sort_by(
        [("customer_id", "ascending"), ("purchase_date", "ascending")])
    ids = first.column("customer_id")
    keep = pc.not_equal(ids.slice(1), ids.slice(0, len(ids) - 1)) if len(ids) else ids
    mask = pa.concat_arrays([pa.array([True] * min(len(ids), 1)),
                             *(c for c in keep.chunks)]) if len(ids) else pa.array([], pa.bool_())
    return first.filter(mask).select(["customer_id", *dims])


def member_curves(rows: pa.Table, by=("plan",)) -> RetentionCurves:
    """The retention curves of the member cohorts ``rows`` (dimension "all" or one split),
    fitted on the first half of the longest complete span."""
    frame = rows.to_pandas()
    done = frame[frame["complete"]]
    span = int(done["period"].max()) if len(done) else 0
    return RetentionCurves(by=list(by), calibration_periods=max(span // 2, 2),
                           horizon=HORIZON).fit(frame)


def _summary_triangles(rows: pa.Table) -> dict:
    overall = rows.filter(pc.equal(rows.column("dimension"), "all"))
    return {m: triangle(overall, m) for m in TRIANGLE_METRICS}


def _plain(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _curve_summary(curves: RetentionCurves, by: list[str]) -> list[dict]:
    fits = curves.fits_[curves.fits_["cohort"].isna()]
    out = []
    for _, fit in fits.iterrows():
        mask = curves.curves_["cohort"].isna()
        for b in by:
            mask &= curves.curves_[b] == fit[b]
        curve = curves.curves_[mask].sort_values("period")
        out.append({
            "group": None if not by else str(fit[by[0]]),
            "customers": int(fit["customers"]),
            "alpha": _plain(float(fit["alpha"])), "beta": _plain(float(fit["beta"])),
            "calibration_periods": int(fit["periods_fitted"]),
            "holdout_periods": int(fit["holdout_periods"]),
            "holdout_mae": _plain(float(fit["holdout_mae"])),
            "actual": [_plain(float(v)) for v in curve["actual_share"]],
            "expected": [_plain(float(v)) for v in curve["expected_share"]],
            "error": fit["error"] if isinstance(fit["error"], str) else None,
        })
    return out


class CohortStage(Stage):
    name = "cohorts"
    period = "month"
    #: the cohorts come from the purchase days and the member payments, not the customer table
    on_engine = True

    def run_on_engine(self, ctx, customers) -> StageResult:
        return self.run(ctx, customers)

    def run(self, ctx, customers: pa.Table) -> StageResult:
        rows = cohort_rows(ctx.engine, _by_day(ctx), ctx.as_of, period=self.period,
                           attributes=_acquisition(ctx, self.period), dimensions=DIMENSIONS)
        summary = {"period": self.period, "purchases": _summary_triangles(rows)}
        tables = {}
        payments = member_payments(ctx.ws)
        if payments is not None and payments.num_rows:
            dims = [d for d in MEMBER_DIMENSIONS if d in payments.column_names]
            members = ctx.engine.table(payments, "cvm_member_payments")
            attributes = member_attributes(payments, dims) if dims else None
            member_rows = cohort_rows(ctx.engine, members, ctx.as_of, period=self.period,
                                      attributes=attributes, dimensions=dims, source="members",
                                      name="cvm_member_groups")
            by = ["plan"] if "plan" in dims else []
            curve_rows = member_rows.filter(pc.equal(
                member_rows.column("dimension"), "plan" if by else "all"))
            if by:
                curve_rows = curve_rows.rename_columns(
                    ["plan" if c == "group" else c for c in curve_rows.column_names])
            curves = member_curves(curve_rows, by)
            rows = pa.concat_tables([rows, member_rows])
            summary["members"] = {**_summary_triangles(member_rows),
                                  "curves": _curve_summary(curves, by),
                                  "n_members": len(pc.unique(payments.column("customer_id")))}
            tables["retention_fits"] = _arrow(curves.fits_)
            tables["retention_curves"] = _arrow(curves.curves_)
        tables["cohorts"] = rows
        return StageResult(customers, tables=tables, summary=summary)


def _by_day(ctx):
    """The run's purchases as one row per customer and day (the run's purchase-day table,
    grouped once for every stage): the cohort tables and the first day's spend need no finer
    rows, and reading them spares a pass over the transactions (on DuckDB a join of every
    transaction with the customer links). A day's amount and margin are the sums of its
    lines, so every sum over days is the sum over the lines."""
    days = ctx.days
    return days.select("customer_id", "purchase_date", amount=days.day_amount,
                       margin=days.day_margin)


def _acquisition(ctx, period: str) -> dict:
    """Each buyer's attributes at acquisition on the run's engine, per dimension: the value tier
    from the run's purchase days (:func:`_by_day`; from the transactions when they carry a
    channel or store), and the first purchase's channel and store from the workspace's
    purchases when the run's transactions lack them (they carry only what every stage reads) and
    some purchase there names one."""
    carried = any(c in ctx.transactions.columns for c in ACQUISITION_COLUMNS)
    attributes = acquisition_attributes(ctx.transactions if carried else _by_day(ctx),
                                        as_of=ctx.as_of, period=period)
    found = {d: attributes for d in DIMENSIONS if d in attributes.columns}
    missing = [c for c in ACQUISITION_COLUMNS if c not in ctx.transactions.columns]
    if not missing:
        return found
    counts = ctx.ws.query(f"SELECT {', '.join(f'count({c})' for c in missing)} "
                          "FROM unified_transactions WHERE purchase_date <= ?", [ctx.as_of])[0]
    named = [c for c, n in zip(missing, counts) if n]
    if named:
        purchases = ctx.engine.transactions(ctx.ws, ("customer_id", "purchase_date", "amount",
                                                     *named), name="cvm_purchase_origins")
        origin = acquisition_attributes(purchases, as_of=ctx.as_of, period=period,
                                        columns=named)
        found.update({c: origin for c in named})
    return found


def _arrow(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame, preserve_index=False)
