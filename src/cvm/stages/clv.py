"""The ``clv`` stage: customer value from the purchase and spend models.

Adds :func:`cvm.models.lifetime_value.value_columns` (``probability_alive``, expected purchases
over the horizon, expected spend, historical, current and potential value, ``clv``) and stores
``clv_models`` (one row per candidate model) when a model was fitted.

- relation: historical and current value and the margin share per customer
  (:func:`cvm.features.value_history.value_history`, on the engine);
- fit: the purchase and spend models on every customer's (x, t_x, T) and repeat spend
  (:func:`~cvm.models.lifetime_value.fit_customer_value`; the likelihoods run on the unique
  rows, which the engine groups when the table stays there);
- batches: the scoring formulas, row by row
  (:func:`~cvm.models.lifetime_value.score_customer_value`).

:func:`validate_workspace` checks the models on a workspace's own holdout period
(``cvm validate-clv``).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa

from ..config import CLVOptions
from ..features.value_history import value_history
from ..models.lifetime_value import (
    NAMED_IN_MESSAGES,
    CustomerValueFit,
    ValueFitInputs,
    fit_customer_value,
    fit_value_inputs,
    history_input,
    lifetime_value_net,
    margin_share,
    repeat_customers,
    score_customer_value,
    summary_frame,
    totals_from_sums,
    value_columns,
)
from ..models.validation import HoldoutValidation, validate_holdout
from .contract import AnalysisError, Stage, StageResult, fit_inputs

__all__ = ["CLVStage", "validate_workspace"]

_SUMMARY = ("customer_id", "frequency", "recency_days", "tenure_days", "repeat_monetary_avg",
            "monetary_avg")
_HISTORY = ("historical_value", "current_value", "margin_share")


class CLVStage(Stage):
    name = "clv"
    needs = (*_SUMMARY, "n_purchase_days")
    on_engine = True

    def adds(self, config) -> tuple[str, ...]:
        return tuple(value_columns(config.clv))

    def relation(self, ctx, customers):
        options: CLVOptions = ctx.config.clv
        history = value_history(ctx.days, as_of=ctx.as_of, window_days=ctx.config.window_days,
                                margin_rate=options.margin_rate,
                                compounding_rate=options.compounding_rate,
                                current_period_days=options.current_period_days)
        return history.select("customer_id", *_HISTORY)

    def added_schema(self, config) -> pa.Schema:
        return pa.schema([(name, pa.float64()) for name in value_columns(config.clv)])

    def fit(self, ctx, rows: pa.Table) -> tuple[CustomerValueFit, dict]:
        return fit_customer_value(summary_frame(rows.select(list(_SUMMARY))), ctx.config.clv)

    def transform(self, batch: pa.RecordBatch, state) -> pa.RecordBatch:
        fit, _ = state
        frame = batch.to_pandas()
        scored = score_customer_value(frame, margin_share(frame, fit.options), fit)
        if fit.options.acquisition_cost:
            scored["lifetime_value_net"] = lifetime_value_net(
                frame["historical_value"].to_numpy(dtype=float), scored["clv"],
                frame["n_purchase_days"].to_numpy(), fit.options)
        arrays = []
        for name in value_columns(fit.options):
            values = (frame[name].to_numpy(dtype=float) if name in ("historical_value",
                                                                     "current_value")
                      else scored[name])
            arrays.append(pa.array(values, type=pa.float64(), from_pandas=True))
        return pa.RecordBatch.from_arrays(arrays, names=value_columns(fit.options))

    def fit_on_engine(self, ctx, rows) -> tuple[CustomerValueFit, dict]:
        """The fit on inputs the engine reduces: the purchase histories grouped (one row per
        distinct frequency, recency and tenure, with its customers), and the repeat
        customers' frequency and mean spend. The fit is the one of the same customers in this
        process to the last bit: the likelihoods group the histories so, in this order."""
        return fit_value_inputs(_engine_fit_inputs(ctx.engine, rows, ctx.config.clv.unit_days),
                                ctx.config.clv)

    def finish(self, ctx, customers: pa.Table, state) -> StageResult:
        fit, _ = state
        names = [*value_columns(fit.options)]
        totals = {}
        for name in names:
            values = customers.column(name).to_numpy(zero_copy_only=False).astype(float)
            totals[name] = (float(np.nansum(values)), int(np.isnan(values).sum()))
        return StageResult(customers, **_results(state, totals))

    def finish_on_engine(self, ctx, customers, state) -> StageResult:
        """The totals from one aggregate on the engine."""
        fit, _ = state
        names = [*value_columns(fit.options)]
        row = ctx.engine.to_arrow(customers.aggregate(
            **{f"{n}_sum": customers[n].sum() for n in names},
            **{f"{n}_nulls": customers[n].isnull().sum() for n in names})).to_pylist()[0]
        totals = {n: (float(row[f"{n}_sum"] or 0.0), int(row[f"{n}_nulls"] or 0))
                  for n in names}
        return StageResult(customers, **_results(state, totals))


def _engine_fit_inputs(engine, rows, unit_days: float) -> ValueFitInputs:
    """:class:`ValueFitInputs` computed on the engine (the customer rows ``rows``)."""
    keys = ["frequency", "recency_days", "tenure_days"]
    grouped = rows.group_by(keys).aggregate(weights=rows.count())
    # the order of history_input's (frequency, recency, T): recency is tenure less days since
    grouped = grouped.order_by([grouped.frequency, grouped.tenure_days - grouped.recency_days,
                                grouped.tenure_days])
    histories = engine.to_arrow(grouped).to_pandas()
    data = history_input(histories, unit_days)
    spent = rows.repeat_monetary_avg.fill_null(0.0) > 0
    repeat = rows.frequency > 0
    spend = fit_inputs(engine, rows.filter(repeat & spent), ["frequency", "repeat_monetary_avg"])
    left_out = rows.filter(repeat & ~spent)
    first = fit_inputs(engine, left_out.order_by("value_rank").limit(NAMED_IN_MESSAGES),
                       ["customer_id"])
    data = data.assign(weights=histories["weights"].to_numpy(float))
    return ValueFitInputs(
        int(histories["weights"].sum()), data,
        pd.DataFrame({"frequency": spend.column("frequency").to_numpy().astype(float),
                      "monetary_value": spend.column("repeat_monetary_avg").to_numpy()}),
        # the repeat customers the spend model does not read are the ones it leaves out
        repeat_customers(data) - spend.num_rows,
        [str(i) for i in first.column("customer_id").to_pylist()])


def _results(state, totals: dict[str, tuple[float, int]]) -> dict:
    """The stage's figures and tables from each value column's total (nulls left out) and
    its count of nulls."""
    fit, info = state
    info = dict(info)
    if info.get("status") == "fitted":
        info.update(totals_from_sums(totals, fit.options))
    if fit.options.acquisition_cost:
        info["lifetime_value_net_total"] = totals["lifetime_value_net"][0]
    for name in ("historical_value", "current_value"):
        info[f"{name}_total"] = totals[name][0]
    tables = {}
    if info.get("status") == "fitted":
        tables["clv_models"] = _candidates_table(info["model"])
    return {"tables": tables, "summary": info}


def _candidates_table(model_info: dict) -> pa.Table:
    """One row per candidate model; parameter columns are the union of the models' names."""
    rows = []
    for c in model_info["candidates"]:
        rows.append({"model": c["model"], "chosen": c["model"] == model_info["model"],
                     "log_likelihood": c["log_likelihood"], "aic": c["aic"], "bic": c["bic"],
                     "histogram_chi2": c["histogram_chi2"], "converged": c["converged"],
                     **{f"param_{k}": v for k, v in c["params"].items()},
                     **{f"se_{k}": v for k, v in c["standard_errors"].items()}})
    names = list(dict.fromkeys(k for row in rows for k in row))
    return pa.Table.from_pydict({k: [row.get(k) for row in rows] for k in names})


def validate_workspace(ws, *, calibration_end: dt.date, holdout_end: dt.date | None = None,
                       model: str = "auto", time_unit: str = "week",
                       engine: str = "duckdb") -> HoldoutValidation:
    """:func:`~cvm.models.validation.validate_holdout` on a workspace's unified transactions;
    the holdout ends at the last purchase date when ``holdout_end`` is not given."""
    from ..engine import get_engine
    from ..identity import unify

    last = ws.query("SELECT max(purchase_date) FROM transactions")[0][0]
    if last is None:
        raise AnalysisError(f"workspace {ws.path} holds no transactions: load a file first")
    holdout_end = holdout_end or last
    if holdout_end <= calibration_end:
        raise AnalysisError(f"the holdout end ({holdout_end}) must come after the calibration "
                            f"end ({calibration_end}); the last purchase is on {last}")
    unify(ws)
    eng = get_engine(engine, ws.con)
    try:
        return validate_holdout(eng.transactions(ws), eng.to_arrow,
                                calibration_end=calibration_end, holdout_end=holdout_end,
                                model=model, time_unit=time_unit)
    except ValueError as exc:
        raise AnalysisError(str(exc)) from None
    finally:
        eng.release()
