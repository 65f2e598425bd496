"""Calibration / holdout validation of the purchase models on a workspace's transactions.

The classic test of Fader, Hardie & Lee 2005 ("Counting Your Customers the Easy Way", section 5):
take the customers whose first purchase is on or before the calibration end, fit the model on
their purchases up to that date, and compare what it predicts for the holdout period (the
calibration end to the holdout end) with what they did:

- per customer: E[Y(t*) | x, t_x, T] (eq. 10) against the repeat purchase days observed in the
  holdout, summarised by MAE, RMSE and bias (mean predicted minus mean actual);
- in total: the sum of those expectations against the holdout's repeat purchases;
- conditional expectations by calibration frequency (the paper's Figure 4): customers grouped
  by x = 0, 1, …, 6, 7+, mean holdout purchases actual and predicted;
- tracking (Figures 2 and 3): repeat purchases per week across both periods, actual against the
  model's unconditional expectation for the cohort, sum over customers of
  E[X(t - first purchase time)] (eq. 7) differenced by week.

The tables are Ibis expressions over the transactions (any engine); the model work is numpy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from ..config import CLV_TIME_UNITS
from ..features.summary import customer_summary, purchase_days
from .lifetime_value import model_input, summary_frame
from .selection import ModelChoice, fit_purchase_model

__all__ = ["HoldoutValidation", "validate_holdout", "store_validation",
           "FREQUENCY_BINS"]

#: conditional expectations are shown for x = 0 … FREQUENCY_BINS - 1 and FREQUENCY_BINS+
FREQUENCY_BINS = 7


@dataclass
class HoldoutValidation:
    """The figures of one calibration / holdout comparison."""

    calibration_end: dt.date
    holdout_end: dt.date
    time_unit: str
    holdout_length: float
    choice: ModelChoice
    customers: pd.DataFrame
    conditional: pd.DataFrame
    tracking: pd.DataFrame
    metrics: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """Plain numbers: dates, model, fit and error figures (for JSON and the report)."""
        return {"calibration_end": self.calibration_end.isoformat(),
                "holdout_end": self.holdout_end.isoformat(),
                "time_unit": self.time_unit, "holdout_length": self.holdout_length,
                "model": self.choice.as_dict(), "reason": self.choice.reason, **self.metrics}


def _holdout_expressions(days: ir.Table, calibration_end: dt.date,
                         holdout_end: dt.date) -> tuple[ir.Table, ir.Table]:
    """Per customer holdout repeat days, and repeat days per date over both periods, for the
    customers whose first purchase is on or before ``calibration_end`` (``days``: the
    purchase-day table, :func:`cvm.features.summary.purchase_days`)."""
    first = days.group_by("customer_id").aggregate(first_purchase=days.purchase_date.min())
    cohort = first.filter(first.first_purchase <= ibis.literal(calibration_end))
    joined = days.join(cohort, "customer_id")
    repeat = joined.filter((joined.purchase_date > joined.first_purchase)
                           & (joined.purchase_date <= ibis.literal(holdout_end)))
    holdout = repeat.filter(repeat.purchase_date > ibis.literal(calibration_end))
    per_customer = holdout.group_by("customer_id").aggregate(holdout_purchases=holdout.count())
    per_date = repeat.group_by("purchase_date").aggregate(repeat_purchases=repeat.count())
    return per_customer, per_date


def validate_holdout(transactions: ir.Table, to_arrow, *, calibration_end: dt.date,
                     holdout_end: dt.date, model: str = "auto",
                     time_unit: str = "week", days: ir.Table | None = None
                     ) -> HoldoutValidation:
    """Fit on purchases up to ``calibration_end`` and compare with the holdout.

    ``transactions`` has ``customer_id`` and ``purchase_date`` (an Ibis table on any engine);
    ``to_arrow`` runs an Ibis expression to an Arrow table (``Engine.to_arrow``). ``days``,
    when given, is the purchase-day table of those transactions
    (:func:`cvm.features.summary.purchase_days`, a run keeps it) and is read instead of
    grouping them again.
    """
    if holdout_end <= calibration_end:
        raise ValueError(f"the holdout end ({holdout_end}) must come after the calibration end "
                         f"({calibration_end})")
    unit = CLV_TIME_UNITS[time_unit]
    with_amounts = transactions
    for name in ("amount", "margin", "cost"):
        if name not in with_amounts.columns:
            with_amounts = with_amounts.mutate(**{name: ibis.literal(0.0)})
    # the validation compares purchase counts: the days' margin sums are not needed
    if days is None:
        days = purchase_days(with_amounts, margins=False)
    per_customer, per_date = _holdout_expressions(days, calibration_end, holdout_end)
    # each customer's calibration summary with their holdout purchases, joined and put in
    # customer order by the engine
    history = customer_summary(days, as_of=calibration_end)
    history = history.left_join(per_customer, "customer_id").drop("customer_id_right")
    summary = summary_frame(to_arrow(history.order_by("customer_id")))
    if summary.empty:
        raise ValueError(f"no customer made a purchase on or before {calibration_end}")
    daily = to_arrow(per_date).to_pandas()
    actual = summary.pop("holdout_purchases").fillna(0).to_numpy(dtype=float)
    data = model_input(summary, unit)
    choice = fit_purchase_model(data[["frequency", "recency", "T"]], model)
    fitted = choice.model
    length = (holdout_end - calibration_end).days / unit
    predicted = fitted.expected_purchases(length, data)
    customers = pd.DataFrame({
        "customer_id": summary["customer_id"],
        "first_purchase": summary["first_purchase"],
        "frequency": data["frequency"].astype(int),
        "recency": data["recency"], "T": data["T"],
        "probability_alive": fitted.probability_alive(data),
        "predicted_holdout_purchases": predicted,
        "actual_holdout_purchases": actual.astype(int),
    })
    error = predicted - actual
    metrics = {
        "customers": int(len(customers)),
        "calibration_repeat_purchases": int(data["frequency"].sum()),
        "actual_total": float(actual.sum()),
        "predicted_total": float(predicted.sum()),
        "total_error_share": float((predicted.sum() - actual.sum()) / actual.sum())
        if actual.sum() else float("nan"),
        "mae": float(np.mean(np.abs(error))),
        "rmse": float(np.sqrt(np.mean(error ** 2))),
        "bias": float(np.mean(error)),
        "correlation": float(np.corrcoef(predicted, actual)[0, 1])
        if actual.std() > 0 and predicted.std() > 0 else float("nan"),
    }
    conditional = _conditional(customers)
    tracking = _tracking(fitted, summary, daily, calibration_end, holdout_end, unit)
    return HoldoutValidation(calibration_end, holdout_end, time_unit, length, choice, customers,
                             conditional, tracking, metrics)


def _conditional(customers: pd.DataFrame) -> pd.DataFrame:
    """Mean holdout purchases by calibration frequency, actual and predicted."""
    top = FREQUENCY_BINS
    bins = np.minimum(customers["frequency"].to_numpy(), top)
    grouped = (customers.assign(bin=bins)
               .groupby("bin")[["actual_holdout_purchases", "predicted_holdout_purchases"]]
               .agg(["size", "mean"]))
    out = pd.DataFrame({
        "calibration_frequency": [f"{b}+" if b == top else str(b) for b in grouped.index],
        "customers": grouped[("actual_holdout_purchases", "size")].to_numpy(dtype=int),
        "actual_mean": grouped[("actual_holdout_purchases", "mean")].to_numpy(dtype=float),
        "predicted_mean": grouped[("predicted_holdout_purchases", "mean")].to_numpy(dtype=float),
    })
    return out


def _tracking(model, summary: pd.DataFrame, daily: pd.DataFrame, calibration_end: dt.date,
              holdout_end: dt.date, unit: float) -> pd.DataFrame:
    """Repeat purchases per week from the cohort's first purchase date to the holdout end,
    actual and expected (sum over customers of E[X(t - first purchase)], eq. 7)."""
    start = pd.Timestamp(summary["first_purchase"].min())
    end_offset = (pd.Timestamp(holdout_end) - start).days + 1          # days covered, inclusive
    n_weeks = int(np.ceil(end_offset / 7))
    edges = np.minimum(np.arange(1, n_weeks + 1) * 7, end_offset).astype(float)
    offsets = (pd.to_datetime(daily["purchase_date"]) - start).dt.days.to_numpy()
    week = np.minimum(offsets // 7, n_weeks - 1)
    actual = np.bincount(week, weights=daily["repeat_purchases"].to_numpy(dtype=float),
                         minlength=n_weeks)
    firsts = (pd.to_datetime(summary["first_purchase"]) - start).dt.days.to_numpy()
    first_days, counts = np.unique(firsts, return_counts=True)
    # a purchase on day d lies in [d, d+1); the cumulative expectation at the end of a week is
    # taken at the first day past it, for customers acquired on day f at time (edge - f - 1)
    elapsed = np.maximum(edges[None, :] - first_days[:, None] - 1.0, 0.0) / unit
    cumulative = np.asarray(model.expected_purchases_new_customer(elapsed.ravel()),
                            dtype=float).reshape(elapsed.shape)
    expected_cum = counts @ cumulative
    expected = np.diff(np.concatenate([[0.0], expected_cum]))
    calibration_weeks = ((pd.Timestamp(calibration_end) - start).days + 1) / 7
    return pd.DataFrame({
        "week": np.arange(1, n_weeks + 1),
        "week_start": [(start + pd.Timedelta(days=7 * k)).date() for k in range(n_weeks)],
        "period": np.where(np.arange(1, n_weeks + 1) <= np.ceil(calibration_weeks - 1e-9),
                           "calibration", "holdout"),
        "actual": actual,
        "expected": expected,
        "actual_cumulative": np.cumsum(actual),
        "expected_cumulative": expected_cum,
    })


def store_validation(ws, validation: HoldoutValidation) -> int:
    """Keep a validation in the workspace: a row of ``clv_validations`` (dates, model, error
    figures as JSON) and its tables ``clv_validation_<id>_customers``, ``…_tracking`` and
    ``…_conditional``. Returns the validation id."""
    import json

    import pyarrow as pa

    tables = {"customers": validation.customers, "tracking": validation.tracking,
              "conditional": validation.conditional}
    with ws.transaction() as con:
        con.execute("CREATE TABLE IF NOT EXISTS clv_validations (validation_id INTEGER PRIMARY KEY, "
                    "created_at TIMESTAMP, calibration_end DATE, holdout_end DATE, model VARCHAR, "
                    "summary VARCHAR)")
        vid = con.execute("SELECT coalesce(max(validation_id), 0) + 1 FROM clv_validations"
                          ).fetchall()[0][0]
        for name, frame in tables.items():
            con.register("_cvm_validation", pa.Table.from_pandas(frame, preserve_index=False))
            con.execute(f'CREATE OR REPLACE TABLE "clv_validation_{vid}_{name}" AS '
                        "SELECT * FROM _cvm_validation")
            con.unregister("_cvm_validation")
        con.execute("INSERT INTO clv_validations VALUES (?, ?, ?, ?, ?, ?)",
                    [vid, dt.datetime.now().replace(microsecond=0), validation.calibration_end,
                     validation.holdout_end, validation.choice.chosen.name,
                     json.dumps(validation.summary(), default=str)])
    return int(vid)
