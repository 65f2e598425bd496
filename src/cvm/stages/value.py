"""The ``value`` stage: the composite customer value and the four value quadrants.

Adds ``categories_bought`` and ``categories_total`` where transactions name categories, the
indicator scores, ``composite_value``, ``current_value_score``, ``potential_value_score`` and
``value_quadrant`` and ``value_if_returned`` (:mod:`cvm.features.value`). It works without the
CLV columns and uses ``potential_value`` (else ``clv``) for the future contribution when they are
there; it reads ``lifecycle_stage`` to judge churned customers by the value they had, and the
customer list's fields to score prospects by the buyers who look like them.

- relation: the distinct categories each customer bought in the window;
- fit: the categories anyone bought, then the scales over every customer — data sources, caps,
  weights, quadrant thresholds (:func:`~cvm.features.value.value_scales`), the buyers being the
  reference;
- batches: the scores, row by row (:func:`~cvm.features.value.apply_value_scales`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..features.summary import window_filter
from ..features.value import (
    ValueScales,
    apply_value_scales,
    summary_from_counts,
    value_scales,
    value_summary,
)
from ..features.value_scales import value_scales_on_engine
from ..schema import CUSTOMER_FIELDS
from .contract import Stage, StageResult, with_columns

__all__ = ["ValueStage"]

_BREADTH = "categories_bought_in_window"
#: customer-list fields that identify a person rather than describe one (never look-alike keys)
_NOT_LOOKALIKE = ("customer_id", "name", "phone", "email", "national_id", "address")


@dataclass(frozen=True)
class _State:
    scales: ValueScales
    #: distinct categories anyone bought in the window (0: transactions name none)
    categories_total: int


class ValueStage(Stage):
    name = "value"
    on_engine = True
    needs = ("recency_days", "tenure_days", "spend_last_period", "spend_previous_avg",
             "spend_change", "previous_periods", "active_period_share")
    uses = ("first_purchase", "margin_last_period", "potential_value", "clv",
            "credit_score", "late_payments", "defaults", "credit_limit_use",
            "lifecycle_stage", "monetary_total", "margin_total", "historical_value",
            *(f.name for f in CUSTOMER_FIELDS if f.name not in _NOT_LOOKALIKE))

    def relation(self, ctx, customers):
        t = _categorised(ctx)
        if t is None:
            return None
        return t.group_by("customer_id").aggregate(**{_BREADTH: t.category.nunique()})

    def fit(self, ctx, rows: pa.Table) -> _State:
        total = _categories_total(ctx)
        rows = _with_breadth(total, rows)
        return _State(value_scales(rows, ctx.config.value, ctx.config.lifecycle, _buyers(rows),
                                   horizon_days=ctx.config.clv.horizon_days), total)

    def fit_on_engine(self, ctx, rows) -> _State:
        """The same scales from passes over the rows on the engine and aggregates
        (:func:`cvm.features.value_scales.value_scales_on_engine`)."""
        total = _categories_total(ctx)
        present = frozenset()
        if total:
            buyers = (ctx.engine.to_arrow(rows.aggregate(n=rows.first_purchase.count()))
                      .column("n")[0].as_py() if "first_purchase" in rows.columns else 1)
            present = frozenset({"categories_total", *(("categories_bought",) if buyers else ())})
        scales = value_scales_on_engine(
            ctx.engine, rows, ctx.config.value, ctx.config.lifecycle,
            prepare=functools.partial(_with_breadth, total), prepared_present=present,
            horizon_days=ctx.config.clv.horizon_days)
        return _State(scales, total)

    def transform(self, batch: pa.RecordBatch, state: _State) -> pa.RecordBatch:
        table = pa.Table.from_batches([batch])
        breadth = _breadth(table, state.categories_total)
        columns = {**breadth, **apply_value_scales(with_columns(table, breadth), state.scales)}
        return pa.RecordBatch.from_arrays(
            [c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c
             for c in columns.values()], names=list(columns))

    def finish(self, ctx, customers: pa.Table, state: _State) -> StageResult:
        quadrants = customers.column("value_quadrant").to_numpy(zero_copy_only=False)
        summary = value_summary(state.scales, quadrants, _buyers(customers))
        summary["neutral_credit"] = ctx.config.value.neutral_credit
        return StageResult(customers, {}, summary)

    def finish_on_engine(self, ctx, customers, state: _State) -> StageResult:
        buyers = (customers.filter(customers.first_purchase.notnull())
                  if "first_purchase" in customers.columns else customers)
        found = ctx.engine.to_arrow(buyers.group_by(q=buyers.value_quadrant)
                                    .aggregate(n=buyers.count())).to_pylist()
        summary = summary_from_counts(state.scales, {r["q"]: int(r["n"]) for r in found})
        summary["neutral_credit"] = ctx.config.value.neutral_credit
        return StageResult(customers, {}, summary)


def _categorised(ctx):
    """The window's transactions that name a category (None: the table has no categories)."""
    t = ctx.transactions
    if "category" not in t.columns:
        return None
    t = window_filter(t, ctx.as_of, ctx.config.window_days)
    return t.filter(t.category.notnull())


def _categories_total(ctx) -> int:
    """The distinct categories anyone bought in the window (0: transactions name none)."""
    t = _categorised(ctx)
    if t is None:
        return 0
    return int(ctx.engine.to_arrow(t.aggregate(n=t.category.nunique())).column("n")[0].as_py()
               or 0)


def _with_breadth(total: int, rows: pa.Table) -> pa.Table:
    return with_columns(rows, _breadth(rows, total))


def _breadth(rows: pa.Table, total: int) -> dict:
    """``categories_bought`` (distinct categories the customer bought; null for prospects, who
    have bought nothing yet) and ``categories_total`` (distinct categories anyone bought); none
    when no transaction names a category."""
    if not total:
        return {}
    bought = pc.fill_null(rows.column(_BREADTH), 0).cast(pa.float64())
    if "first_purchase" in rows.column_names:
        bought = pc.if_else(pc.is_null(rows.column("first_purchase")),
                            pa.scalar(None, type=pa.float64()), bought)
    return {"categories_bought": bought,
            "categories_total": pa.array([float(total)] * rows.num_rows, type=pa.float64())}


def _buyers(customers: pa.Table) -> np.ndarray:
    if "first_purchase" in customers.column_names:
        return customers.column("first_purchase").is_valid().to_numpy(zero_copy_only=False)
    return np.ones(customers.num_rows, dtype=bool)
