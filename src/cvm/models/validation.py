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
from .lifetime_value import history_input, summary_frame
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
    customers: pd.DataFrame | None
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
                     time_unit: str = "week", days: ir.Table | None = None,
                     per_customer: bool = True) -> HoldoutValidation:
    """Fit on purchases up to ``calibration_end`` and compare with the holdout.

    ``transactions`` has ``customer_id`` and ``purchase_date`` (an Ibis table on any engine);
    ``to_arrow`` runs an Ibis expression to an Arrow table (``Engine.to_arrow``). ``days``,
    when given, is the purchase-day table of those transactions
    (:func:`cvm.features.summary.purchase_days`, a run keeps it) and is read instead of
    grouping them again.

    The fit and every figure are computed from the customers' histories grouped by the engine
    (one row per frequency, recency, tenure and holdout purchases, with how many customers
    have it): the models compress the histories so anyway, and the groups stay few at any
    number of customers. ``per_customer`` also reads each customer's row and prediction
    (``customers``, which a run's check does without: it is None then).
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
    per_customer_holdout, per_date = _holdout_expressions(days, calibration_end, holdout_end)
    # each customer's calibration summary with their holdout purchases
    history = customer_summary(days, as_of=calibration_end)
    history = history.left_join(per_customer_holdout, "customer_id").drop("customer_id_right")
    history = history.mutate(holdout_purchases=history.holdout_purchases.fill_null(0))
    groups = to_arrow(_history_groups(history)).to_pandas()
    if groups.empty:
        raise ValueError(f"no customer made a purchase on or before {calibration_end}")
    daily = to_arrow(per_date).to_pandas()
    weight = groups["customers"].to_numpy(dtype=float)
    actual = groups["holdout_purchases"].to_numpy(dtype=float)
    data = history_input(groups, unit).assign(weights=weight)
    choice = fit_purchase_model(data, model)
    fitted = choice.model
    length = (holdout_end - calibration_end).days / unit
    predicted = fitted.expected_purchases(length, data)
    conditional = _conditional(data["frequency"].to_numpy(), weight, actual, predicted)
    tracking = _tracking(fitted, groups["tenure_days"].to_numpy(), weight, daily,
                         calibration_end, holdout_end, unit)
    customers = _customers(history, to_arrow, fitted, length, unit) if per_customer else None
    return HoldoutValidation(calibration_end, holdout_end, time_unit, length, choice, customers,
                             conditional, tracking,
                             _metrics(data["frequency"].to_numpy(), weight, actual, predicted))


def _history_groups(history: ir.Table) -> ir.Table:
    """The customers' calibration histories and holdout purchases, one row per distinct
    (frequency, recency, tenure, holdout purchases) with the number of customers having it."""
    keys = ["frequency", "recency_days", "tenure_days", "holdout_purchases"]
    grouped = history.group_by(keys).aggregate(customers=history.count())
    return grouped.order_by(keys)


def _customers(history: ir.Table, to_arrow, fitted, length: float, unit: float
               ) -> pd.DataFrame:
    """Each customer's calibration history, prediction and holdout purchases, in id order."""
    summary = summary_frame(to_arrow(history.order_by("customer_id")))
    data = history_input(summary, unit)
    return pd.DataFrame({
        "customer_id": summary["customer_id"],
        "first_purchase": summary["first_purchase"],
        "frequency": data["frequency"].astype(int),
        "recency": data["recency"], "T": data["T"],
        "probability_alive": fitted.probability_alive(data),
        "predicted_holdout_purchases": fitted.expected_purchases(length, data),
        "actual_holdout_purchases": summary["holdout_purchases"].to_numpy(dtype=int),
    })


def _metrics(frequency: np.ndarray, weight: np.ndarray, actual: np.ndarray,
             predicted: np.ndarray) -> dict:
    """Error figures of the predictions, over customers (``weight`` customers per row)."""
    customers = weight.sum()
    error = predicted - actual

    def mean(values: np.ndarray) -> float:
        return float(weight @ values / customers)

    actual_total, predicted_total = float(weight @ actual), float(weight @ predicted)
    actual_var = mean((actual - mean(actual)) ** 2)
    predicted_var = mean((predicted - mean(predicted)) ** 2)
    covariance = mean((actual - mean(actual)) * predicted)
    return {
        "customers": int(round(customers)),
        "calibration_repeat_purchases": int(round(weight @ frequency)),
        "actual_total": actual_total,
        "predicted_total": predicted_total,
        "total_error_share": (predicted_total - actual_total) / actual_total
        if actual_total else float("nan"),
        "mae": mean(np.abs(error)),
        "rmse": float(np.sqrt(mean(error ** 2))),
        "bias": mean(error),
        # Pearson's correlation over customers
        "correlation": float(covariance / np.sqrt(actual_var * predicted_var))
        if actual_var > 0 and predicted_var > 0 else float("nan"),
    }


def _conditional(frequency: np.ndarray, weight: np.ndarray, actual: np.ndarray,
                 predicted: np.ndarray) -> pd.DataFrame:
    """Mean holdout purchases by calibration frequency, actual and predicted (``weight``
    customers per row)."""
    top = FREQUENCY_BINS
    bins, row_bin = np.unique(np.minimum(frequency, top).astype(int), return_inverse=True)
    customers = np.bincount(row_bin, weights=weight)
    return pd.DataFrame({
        "calibration_frequency": [f"{b}+" if b == top else str(b) for b in bins],
        "customers": np.rint(customers).astype(int),
        "actual_mean": np.bincount(row_bin, weights=weight * actual) / customers,
        "predicted_mean": np.bincount(row_bin, weights=weight * predicted) / customers,
    })


def _tracking(model, tenure_days: np.ndarray, weight: np.ndarray, daily: pd.DataFrame,
              calibration_end: dt.date, holdout_end: dt.date, unit: float) -> pd.DataFrame:
    """Repeat purchases per week from the cohort's first purchase date to the holdout end,
    actual and expected (sum over customers of E[X(t - first purchase)], eq. 7); a customer's
    first purchase is ``tenure_days`` before the calibration end (``weight`` customers per
    row)."""
    longest = int(tenure_days.max())
    start = pd.Timestamp(calibration_end - dt.timedelta(days=longest))
    end_offset = (pd.Timestamp(holdout_end) - start).days + 1          # days covered, inclusive
    n_weeks = int(np.ceil(end_offset / 7))
    edges = np.minimum(np.arange(1, n_weeks + 1) * 7, end_offset).astype(float)
    offsets = (pd.to_datetime(daily["purchase_date"]) - start).dt.days.to_numpy()
    week = np.minimum(offsets // 7, n_weeks - 1)
    actual = np.bincount(week, weights=daily["repeat_purchases"].to_numpy(dtype=float),
                         minlength=n_weeks)
    first_days, row_day = np.unique(longest - tenure_days.astype(int), return_inverse=True)
    counts = np.bincount(row_day, weights=weight)
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
