"""The ``complaints`` stage: complaint counts per customer, and per matrix cell and lifecycle
stage, when a service log was loaded (``cvm load-interactions``).

Adds ``complaint_count`` and ``days_since_complaint`` (:mod:`cvm.features.complaints`) to every
customer of the run, and reports the contacts by kind and channel and the complaints per
lifecycle stage and matrix cell (``info["stages"]["complaints"]``, the report's complaints
section). Without a service log in the workspace it adds nothing, and the run is as it was.

The churn stage reads the same features on its own, at each of its feature dates (the
classifier learns from them and the win-back values use them, :mod:`cvm.stages.churn`), so
loading a service log changes the churn risk and the advice; this stage puts the counts at the
as-of date in the customer table and reports them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from ..config import LIFECYCLE_STAGES
from ..features.complaints import COMPLAINT_COLUMNS, complaint_features
from ..interactions.load import has_interactions
from .contract import Stage, StageResult

__all__ = ["ComplaintStage", "complaints_by", "complaints_by_on_engine"]


@dataclass(frozen=True)
class _State:
    loaded: bool


def _contacts(ctx):
    """The unified contacts up to the as-of date, as Arrow, or None without a service log."""
    con = ctx.ws.con
    if not has_interactions(con):
        return None
    return ctx.ws.arrow(
        "SELECT customer_id, interaction_date, kind, channel FROM unified_interactions "
        "WHERE interaction_date <= ?", [ctx.as_of])


def complaints_by(customers: pa.Table, column: str, order=()) -> list[dict]:
    """Per value of ``column`` (a matrix cell, a lifecycle stage): customers, customers with a
    complaint (``complainants``), complaints, and complaints per 100 customers; the values in
    ``order`` first, in that order, then the others sorted.

    >>> t = pa.table({"cell": ["a", "b", "a"], "complaint_count": [2, 0, 0]})
    >>> complaints_by(t, "cell")[0]
    {'cell': 'a', 'customers': 2, 'complainants': 1, 'complaints': 2, 'complaints_per_100': 100.0}
    """
    keys = customers.column(column).to_pylist()
    counts = customers.column("complaint_count").to_pylist()
    out: dict = {}
    for key, n in zip(keys, counts):
        row = out.setdefault(key, {column: key, "customers": 0, "complainants": 0,
                                   "complaints": 0})
        row["customers"] += 1
        row["complainants"] += int((n or 0) > 0)
        row["complaints"] += int(n or 0)
    return _ordered(out, order)


def complaints_by_on_engine(customers, column: str, run, order=()) -> list[dict]:
    """:func:`complaints_by` of the customer table on an engine (an Ibis table): one grouping
    there."""
    n = customers.complaint_count.fill_null(0)
    found = run(customers.group_by(key=customers[column]).aggregate(
        customers=customers.count(), complainants=(n > 0).cast("int64").sum(),
        complaints=n.sum()))
    out = {r["key"]: {column: r["key"], "customers": int(r["customers"]),
                      "complainants": int(r["complainants"] or 0),
                      "complaints": int(r["complaints"] or 0)} for r in found.to_pylist()}
    return _ordered(out, order)


def _ordered(out: dict, order) -> list[dict]:
    """The rows per value with complaints per 100 customers, in the order
    :func:`complaints_by` gives."""
    for row in out.values():
        row["complaints_per_100"] = round(100.0 * row["complaints"] / row["customers"], 4)
    rank = {key: i for i, key in enumerate(order)}
    return [out[k] for k in sorted(out, key=lambda k: (rank.get(k, len(rank)), k is None,
                                                      str(k)))]


class ComplaintStage(Stage):
    name = "complaints"
    uses = ("matrix_cell", "lifecycle_stage")

    def adds(self, config) -> tuple[str, ...]:
        return COMPLAINT_COLUMNS

    on_engine = True

    def run_on_engine(self, ctx, customers) -> StageResult:
        if not has_interactions(ctx.ws.con):  # nothing to add: no pass over the table
            return StageResult(customers)
        return super().run_on_engine(ctx, customers)

    def fit_on_engine(self, ctx, rows) -> _State:
        return _State("complaint_count" in rows.columns)

    def relation(self, ctx, customers):
        contacts = _contacts(ctx)
        if contacts is None:
            return None
        return complaint_features(ctx.engine.table(contacts, "cvm_contacts"), as_of=ctx.as_of)

    def fit(self, ctx, rows: pa.Table) -> _State:
        return _State("complaint_count" in rows.column_names)

    def transform(self, batch: pa.RecordBatch, state: _State) -> pa.RecordBatch:
        if not state.loaded:
            return pa.RecordBatch.from_arrays([], names=[])
        count = pc.fill_null(batch.column("complaint_count"), 0).cast(pa.int64())
        days = batch.column("days_since_complaint").cast(pa.float64())
        return pa.RecordBatch.from_arrays([count, days], names=list(COMPLAINT_COLUMNS))

    def finish(self, ctx, customers: pa.Table, state: _State) -> StageResult:
        if not state.loaded:
            return StageResult(customers)
        contacts = _contacts(ctx)
        ids = set(customers.column("customer_id").to_pylist())
        in_run = contacts.filter(pc.is_in(contacts.column("customer_id"),
                                          value_set=pa.array(sorted(ids), pa.string())))

        def tally(column: str) -> dict:
            values = in_run.column(column).to_pylist()
            return _tally({k: values.count(k) for k in set(values)})

        summary = {
            "contacts": in_run.num_rows,
            "contacts_outside_run": contacts.num_rows - in_run.num_rows,
            "by_kind": tally("kind"), "by_channel": tally("channel"),
            "complaints": int(pc.sum(customers.column("complaint_count")).as_py() or 0),
            "complainants": int(pc.sum(pc.greater(customers.column("complaint_count"), 0))
                                .as_py() or 0),
            "customers": customers.num_rows,
        }
        stages = LIFECYCLE_STAGES.get(ctx.config.lifecycle.scheme, ())
        for column, key, order in (("lifecycle_stage", "by_stage", stages),
                                   ("matrix_cell", "by_cell", ())):
            if column in customers.column_names:
                summary[key] = complaints_by(customers, column, order)
        return StageResult(customers, summary=summary)

    def finish_on_engine(self, ctx, customers, state: _State) -> StageResult:
        """:meth:`finish` from groupings on the engine: the contacts of the run's customers
        joined there."""
        if not state.loaded:
            return StageResult(customers)
        run = ctx.engine.to_arrow
        contacts = _contacts(ctx)
        table = ctx.engine.table(contacts.select(["customer_id", "kind", "channel"]),
                                 "cvm_contacts_of_run")
        in_run = table.semi_join(customers.select("customer_id"), "customer_id")

        def tally(column: str) -> dict:
            found = run(in_run.group_by(key=in_run[column]).aggregate(n=in_run.count()))
            return _tally({r["key"]: int(r["n"]) for r in found.to_pylist()})

        n = customers.complaint_count
        totals = run(customers.aggregate(
            customers=customers.count(), complaints=n.sum(),
            complainants=(n > 0).cast("int64").sum())).to_pylist()[0]
        by_kind = tally("kind")
        summary = {
            "contacts": sum(by_kind.values()),
            "contacts_outside_run": contacts.num_rows - sum(by_kind.values()),
            "by_kind": by_kind, "by_channel": tally("channel"),
            "complaints": int(totals["complaints"] or 0),
            "complainants": int(totals["complainants"] or 0),
            "customers": int(totals["customers"]),
        }
        stages = LIFECYCLE_STAGES.get(ctx.config.lifecycle.scheme, ())
        for column, key, order in (("lifecycle_stage", "by_stage", stages),
                                   ("matrix_cell", "by_cell", ())):
            if column in customers.columns:
                summary[key] = complaints_by_on_engine(customers, column, run, order)
        return StageResult(customers, summary=summary)


def _tally(counts: dict) -> dict:
    """Counts per value, sorted by value (unknown last, as ``unknown``)."""
    return {k if k is not None else "unknown": counts[k]
            for k in sorted(counts, key=lambda v: (v is None, str(v)))}
