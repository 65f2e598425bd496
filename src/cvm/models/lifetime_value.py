"""Customer value columns for ``cvm run``: the historical, current and potential value of the
customer-value literature, and the purchase-model predictions behind them.

Columns added to the per-customer table (money in the data's currency):

- ``probability_alive``: P(alive at the as-of date | history), from the purchase model;
- ``expected_purchases_<h>d``: expected repeat purchase days in the next ``h`` days;
- ``expected_average_spend``: expected spend per purchase day (Gamma-Gamma; Fader, Hardie & Lee
  2005, "RFM and CLV", eq. 5 / the Fader & Hardie 2013 note);
- ``historical_value`` and ``current_value``: past margin, all history (optionally compounded)
  and the last period (:mod:`cvm.features.value_history`);
- ``potential_value``: discounted expected purchases over the horizon x expected spend x the
  customer's margin share (:func:`cvm.models.clv.discounted_expected_transactions`);
- ``clv``: potential value net of the known service cost of those purchases,
  ``potential_value - discounted expected purchases x service cost per purchase``;
- ``lifetime_value_net`` (only with an acquisition cost, :func:`lifetime_value_net`): the value
  of the whole relationship net of what winning the customer cost, ``historical_value -
  service cost x past purchase days + clv - acquisition cost``. The CLV slides (seed 003) list
  the factors of lifetime value as "服务成本 认知成本 时间 年现金流量" (service cost, acquisition
  cost, time, yearly cash flow) and define it as "用整个生命周期中现金流的净现值(NPV)来计算";
  the acquisition cost is the relationship's first cash flow. ``clv`` looks forward and stays
  gross of it: for a customer one already has, the acquisition is spent.

The models are fitted on the per-customer summary: x = ``frequency`` (repeat purchase days),
t_x = (``tenure_days`` - ``recency_days``) / unit and T = ``tenure_days`` / unit, the unit being
``CLVOptions.time_unit`` (weeks by default). Fitting and scoring run in numpy on the unique
(x, t_x, T) rows and are mapped back to the customers. :func:`fit_customer_value` fits once on
every customer; :func:`score_customer_value` then scores any set of rows on its own (the
``clv`` stage, :mod:`cvm.stages.clv`, scores in batches). When no customer has a repeat purchase
no model is identified: the model columns are null and the run summary says why.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from ..config import CLVOptions
from ..features.value_history import DAYS_PER_YEAR
from .clv import discounted_expected_transactions
from .gammagamma import GammaGamma
from .selection import MODEL_TITLES, fit_purchase_model

__all__ = ["model_input", "history_input", "predict_customer_value", "fit_customer_value",
           "score_customer_value", "value_totals", "totals_from_sums", "CustomerValueFit",
           "SpendFit", "fit_spend", "expected_spend", "margin_share", "value_columns",
           "lifetime_value_net", "summary_frame", "ValueFitInputs", "value_fit_inputs",
           "fit_value_inputs", "spend_inputs", "repeat_customers", "NAMED_IN_MESSAGES"]

logger = logging.getLogger(__name__)


def value_columns(options: CLVOptions) -> list[str]:
    """The columns the CLV stage adds, in order."""
    return ["probability_alive", f"expected_purchases_{options.horizon_days}d",
            "expected_average_spend", "historical_value", "current_value", "potential_value",
            "clv", *(["lifetime_value_net"] if options.acquisition_cost else [])]


def lifetime_value_net(historical_value: np.ndarray, clv: np.ndarray, purchase_days: np.ndarray,
                       options: CLVOptions) -> np.ndarray:
    """Past margin less the service cost of the past purchase days, plus ``clv``, less the
    acquisition cost: the relationship's value from its first cash flow (winning the customer)
    to the end of the horizon. Null where ``clv`` is (no purchase model)."""
    past = np.asarray(historical_value, dtype=float) - options.service_cost * np.nan_to_num(
        np.asarray(purchase_days, dtype=float))
    return past + np.asarray(clv, dtype=float) - options.acquisition_cost


def history_input(summary: pd.DataFrame, unit_days: float) -> pd.DataFrame:
    """frequency / recency / T (in units of ``unit_days``) from the per-customer summary's
    ``frequency``, ``recency_days`` and ``tenure_days``."""
    tenure = summary["tenure_days"].to_numpy(dtype=float)
    since_last = summary["recency_days"].to_numpy(dtype=float)
    return pd.DataFrame({
        "frequency": summary["frequency"].to_numpy(dtype=float),
        "recency": (tenure - since_last) / unit_days,
        "T": tenure / unit_days,
    })


def model_input(summary: pd.DataFrame, unit_days: float) -> pd.DataFrame:
    """:func:`history_input` and the mean repeat spend (``monetary_value``, from the summary's
    ``repeat_monetary_avg``)."""
    return history_input(summary, unit_days).assign(
        monetary_value=summary["repeat_monetary_avg"].fillna(0.0).to_numpy(dtype=float))


#: customers named in a message; the count says how many there are
NAMED_IN_MESSAGES = 5


def _named(first_ids: Sequence, n: int) -> str:
    """The first ids of ``n`` customers, and how many more there are."""
    shown = ", ".join(str(i) for i in first_ids[:NAMED_IN_MESSAGES])
    return shown + (f" and {n - NAMED_IN_MESSAGES:,} more" if n > NAMED_IN_MESSAGES else "")


@dataclass(frozen=True)
class SpendFit:
    """The spend model of a run: Gamma-Gamma, or None when each customer keeps their own mean
    spend per purchase day."""

    model: GammaGamma | None


def _spend_excluded(data: pd.DataFrame) -> np.ndarray:
    """Repeat customers whose repeat purchases average no positive spend."""
    return (data["frequency"].to_numpy() > 0) & ~(data["monetary_value"].to_numpy() > 0)


@dataclass
class ValueFitInputs:
    """What the CLV models are fitted on, whichever engine computed it.

    ``histories``: frequency, recency and T (in the time unit) in sorted order, one row per
    customer or per distinct history with ``weights`` customers (the likelihoods read them so
    anyway); ``spend``: frequency and ``monetary_value`` of the repeat customers whose repeat
    purchases average a positive spend, in the run's customer order; ``left_out``: how many
    repeat customers do not, and the first of their ids (``left_out_ids``)."""

    customers: int
    histories: pd.DataFrame
    spend: pd.DataFrame
    left_out: int
    left_out_ids: list

    @property
    def repeat_customers(self) -> int:
        return repeat_customers(self.histories)


def repeat_customers(histories: pd.DataFrame) -> int:
    """The customers with a repeat purchase among ``histories`` (frequency, and ``weights``
    customers per row where given)."""
    frequency = histories["frequency"].to_numpy()
    weights = histories["weights"].to_numpy() if "weights" in histories \
        else np.ones(len(frequency))
    return int(round(weights[frequency > 0].sum()))


def value_fit_inputs(summary: pd.DataFrame, unit_days: float) -> ValueFitInputs:
    """The models' inputs from the per-customer summary (the columns of
    :func:`predict_customer_value`) in the run's customer order."""
    data = model_input(summary, unit_days)
    # in one order whatever order the customers come in, so that the same purchase
    # histories give the same parameters to the last bit
    histories = data[["frequency", "recency", "T"]].sort_values(
        ["frequency", "recency", "T"], kind="stable")
    # the ids as the frame holds them (Arrow strings stay Arrow strings: summary_frame), read
    # only to name the few left out
    ids = (summary["customer_id"].array if "customer_id" in summary
           else np.arange(1, len(summary) + 1))
    return ValueFitInputs(len(summary), histories, *spend_inputs(data, ids))


def spend_inputs(data: pd.DataFrame, ids) -> tuple[pd.DataFrame, int, list[str]]:
    """The spend model's rows of the customers ``data`` (``frequency``, ``monetary_value``;
    ids ``ids``): the repeat customers whose repeat purchases average a positive spend, in
    order; how many repeat customers do not, and the first of their ids."""
    left_out = _spend_excluded(data)
    repeat = data["frequency"].to_numpy() > 0
    kept = data.loc[repeat & ~left_out, ["frequency", "monetary_value"]]
    return kept, int(left_out.sum()), [str(i) for i in ids[left_out][:NAMED_IN_MESSAGES]]


def fit_spend(spend: pd.DataFrame, left_out: int, left_out_ids: Sequence[str]
              ) -> tuple[SpendFit, dict]:
    """Fit the spend model: Gamma-Gamma for the customers it applies to.

    Gamma-Gamma describes positive spend: a repeat customer whose repeat purchases average $0
    or less (free items, refunds netted off) is left out of the fit and keeps their own mean
    spend, and the summary names them. Customers without a repeat purchase get the fitted
    population mean (:func:`expected_spend`). ``spend``, ``left_out`` and ``left_out_ids`` are
    those :func:`spend_inputs` gives.
    """
    info: dict = {}
    n = left_out
    if n:
        info = {"left_out": n, "left_out_customers": list(left_out_ids[:NAMED_IN_MESSAGES]),
                "left_out_reason": "average repeat spend not positive",
                "message": (f"{n:,} repeat customer{'s' if n > 1 else ''} whose repeat purchases "
                            "average no positive spend (" + _named(left_out_ids, n) +
                            f") {'are' if n > 1 else 'is'} left out of the spend model and "
                            f"keep{'' if n > 1 else 's'} their own mean spend")}
    try:
        if spend.empty:
            raise ValueError("no repeat customer has a positive average spend")
        spend_model = GammaGamma().fit(spend)
    except ValueError as exc:
        logger.warning("spend model not used: %s", exc)
        return SpendFit(None), {**info, "model": "observed_mean", "title": "observed mean spend",
                                "reason": str(exc)}
    if n:
        logger.info("spend model: %s", info["message"])
    return SpendFit(spend_model), {
        **info, "model": "gammagamma", "title": "Gamma-Gamma",
        "customers": len(spend), "params": dict(spend_model.params_),
        "standard_errors": dict(spend_model.standard_errors_),
        "log_likelihood": spend_model.log_likelihood_}


def expected_spend(data: pd.DataFrame, own_mean: np.ndarray, spend: SpendFit) -> np.ndarray:
    """Expected spend per purchase day for each row: the spend model's, or the customer's own
    mean spend (``own_mean``) where there is no model or it leaves the customer out."""
    values = own_mean.astype(float, copy=True)
    if spend.model is None:
        return values
    fitted = ~_spend_excluded(data)
    if fitted.any():
        values[fitted] = spend.model.expected_average_spend(data[fitted])
    return values


@dataclass(frozen=True)
class CustomerValueFit:
    """What scoring customers needs: the settings, the chosen purchase model and the spend
    model (both None when no model could be fitted)."""

    options: CLVOptions
    purchase_model: object | None = None
    spend: SpendFit | None = None


def summary_frame(table: pa.Table) -> pd.DataFrame:
    """A per-customer summary from the engine as the CLV models read it: a pandas frame whose
    text columns (the ids) stay Arrow strings. Converted to Python strings they would take some
    65 bytes per customer (1.6 GB at 25M customers) for columns the models read only to name a
    customer."""
    return table.to_pandas(types_mapper={pa.string(): pd.ArrowDtype(pa.string()),
                                         pa.large_string(): pd.ArrowDtype(pa.large_string())}.get)


def fit_customer_value(summary: pd.DataFrame, options: CLVOptions
                       ) -> tuple[CustomerValueFit, dict]:
    """Fit the purchase and spend models on the per-customer summary (the columns of
    :func:`predict_customer_value`); returns the fit and a summary of it. When no model can be
    fitted the fit holds no model and ``info["status"]`` says why."""
    return fit_value_inputs(value_fit_inputs(summary, options.unit_days), options)


def fit_value_inputs(inputs: ValueFitInputs, options: CLVOptions
                     ) -> tuple[CustomerValueFit, dict]:
    """:func:`fit_customer_value` on the models' inputs (:class:`ValueFitInputs`)."""
    n = inputs.customers
    info: dict = {"options": asdict(options), "time_unit": options.time_unit,
                  "horizon_days": options.horizon_days,
                  "horizon_column": f"expected_purchases_{options.horizon_days}d"}
    empty = CustomerValueFit(options)
    if n == 0:
        return empty, {**info, "status": "no_customers", "message": "there are no customers"}
    repeaters = inputs.repeat_customers
    info["repeat_customers"] = repeaters
    info["customers"] = n
    if repeaters == 0:
        message = ("no customer has bought on more than one day, so the purchase and dropout "
                   "rates cannot be estimated; the model-based columns are left empty")
        return empty, {**info, "status": "no_repeat", "message": message}
    try:
        choice = fit_purchase_model(inputs.histories, options.model)
    except ValueError as exc:
        return empty, {**info, "status": "failed", "message": str(exc)}
    spend, spend_info = fit_spend(inputs.spend, inputs.left_out, inputs.left_out_ids)
    info.update({"status": "fitted", "message": choice.reason, "model": choice.as_dict(),
                 "spend_model": spend_info})
    logger.info("CLV with %s: %s", MODEL_TITLES[choice.chosen.name], choice.reason)
    return CustomerValueFit(options, choice.model, spend), info


def score_customer_value(summary: pd.DataFrame, margin_share: np.ndarray,
                         fit: CustomerValueFit) -> dict[str, np.ndarray]:
    """The model-based columns for each row of ``summary``, row by row: a row's values do not
    depend on the other rows, so customers can be scored in batches. All NaN without a model."""
    options = fit.options
    n = len(summary)
    horizon_col = f"expected_purchases_{options.horizon_days}d"
    if fit.purchase_model is None:
        return {name: np.full(n, np.nan) for name in
                ("probability_alive", horizon_col, "expected_average_spend", "potential_value",
                 "clv")}
    model = fit.purchase_model
    data = model_input(summary, options.unit_days)
    horizon = options.horizon_days / options.unit_days
    units_per_year = DAYS_PER_YEAR / options.unit_days
    step = max(1.0, 7.0 / options.unit_days)
    alive = model.probability_alive(data)
    expected = model.expected_purchases(horizon, data)
    discounted = discounted_expected_transactions(
        model, data, horizon=horizon, discount_rate=options.discount_rate,
        time_units_per_year=units_per_year, step=step)
    spend = expected_spend(data, summary["monetary_avg"].to_numpy(dtype=float), fit.spend)
    potential = discounted * spend * margin_share
    clv = potential - discounted * options.service_cost
    return {"probability_alive": alive, horizon_col: expected,
            "expected_average_spend": spend, "potential_value": potential, "clv": clv}


def value_totals(columns: dict[str, np.ndarray], options: CLVOptions) -> dict:
    """The run-summary totals of scored columns."""
    return totals_from_sums({name: (float(np.nansum(values)), int(np.isnan(values).sum()))
                             for name, values in columns.items()}, options)


def totals_from_sums(sums: dict[str, tuple[float, int]], options: CLVOptions) -> dict:
    """The run-summary totals from each scored column's sum without its missing values and its
    count of missing values: the expected purchases total is NaN when any is missing."""
    horizon, missing = sums[f"expected_purchases_{options.horizon_days}d"]
    return {
        "expected_purchases_total": horizon if not missing else float("nan"),
        "potential_value_total": sums["potential_value"][0],
        "clv_total": sums["clv"][0],
    }


def predict_customer_value(summary: pd.DataFrame, margin_share: np.ndarray,
                           options: CLVOptions) -> tuple[dict[str, np.ndarray], dict]:
    """The model-based columns for each row of ``summary`` and a summary of the fit.

    ``summary`` is the per-customer summary (``frequency``, ``recency_days``, ``tenure_days``,
    ``repeat_monetary_avg``, ``monetary_avg`` and ``customer_id``, which messages name; without
    it, customers are named by their 1-based position); ``margin_share`` the share of each
    customer's spend that is margin. Returns ``(columns, info)``; when no model can be fitted the
    columns are all NaN and ``info["status"]`` says why. :func:`fit_customer_value` then
    :func:`score_customer_value`, in one call.
    """
    fit, info = fit_customer_value(summary, options)
    columns = score_customer_value(summary, margin_share, fit)
    if info["status"] == "fitted":
        info.update(value_totals(columns, options))
    return columns, info


def margin_share(history: pd.DataFrame, options: CLVOptions) -> np.ndarray:
    """The share of each customer's spend that is margin: the customer's own where known, else
    the settings' margin rate (all of it without one)."""
    default = options.margin_rate if options.margin_rate is not None else 1.0
    share = history["margin_share"].to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isfinite(share), share, default)
