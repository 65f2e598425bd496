"""Win-back: the chance a silent customer comes back, and whether contacting them pays.

:class:`ReactivationModel` estimates P(returns within H days | silent for s days, group) from
the data's own reactivations: at earlier cut-off dates, the customers who had then been silent
about as long (same silence band) and were in the same group (segment or value tier), and the
share of them who bought again in the H days after. A group's rate is shrunk towards its
silence band's rate over all groups, with the weight of ``prior_customers`` customers
(an empirical-Bayes beta prior: (returns + m p_band) / (customers + m)), so small groups are not
read at face value.

:func:`reactivation_history` builds those rows from a transactions table (Ibis, any engine).
With a service log, a customer who complained and then went silent (:func:`complained_silent`)
is a group of its own within the value tier (``high complained`` …): the data's own silent
complainers say how often such customers come back, which is far less often than others
in the demo's service log. :func:`winback_value` is P(returns) x value expected after return -
contact cost, per customer; :func:`recovery_value` is the same for a service recovery
(resolve the complaint, then win back), at its own assumed response and cost.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

__all__ = ["ReactivationModel", "reactivation_history", "winback_value", "winback_table",
           "SILENCE_EDGES", "complained_silent", "recovery_value", "COMPLAINED",
           "best_recovery_value"]

#: the suffix of a reactivation group of customers who complained and then went silent
COMPLAINED = " complained"


def complained_silent(recency_days, days_since_complaint, horizon_days: float) -> np.ndarray:
    """True for a customer whose last complaint came after their last purchase or at most
    ``horizon_days`` before it: the complaint is part of why they went silent. Null days since
    the complaint (no complaint) give False.

    >>> complained_silent([378, 30, 400], [354, np.nan, 900], 56).tolist()
    [True, False, False]
    """
    d = np.asarray(days_since_complaint, dtype=float)
    r = np.asarray(recency_days, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.isfinite(d) & (d <= r + float(horizon_days))


def recovery_value(value_after_return, *, response: float, cost: float) -> np.ndarray:
    """The expected gain of a service recovery: ``response`` (the share of complained-and-silent
    customers a resolved complaint brings back) × value expected after return − ``cost``.

    >>> recovery_value([7818.93], response=0.1, cost=50.0).round(2).tolist()
    [731.89]
    """
    if not 0 <= response <= 1:
        raise ValueError("response must be in [0, 1]")
    return response * np.asarray(value_after_return, dtype=float) - float(cost)

def best_recovery_value(winback_value, recovery_value) -> np.ndarray:
    """The value of the better recovery option per customer: ``recovery_value`` where it is
    known and higher than ``winback_value``, else ``winback_value`` (the one the playbook
    recommends, :func:`cvm.segments.playbook.customer_actions`). Win-back ranks order by it.

    >>> best_recovery_value([8.25, 40.0, 3.0], [731.89, 12.0, None]).tolist()
    [731.89, 40.0, 3.0]
    """
    w = np.asarray(winback_value, dtype=float)
    r = np.asarray(recovery_value, dtype=float)  # None (no complaint) reads as NaN
    return np.where(np.isfinite(r) & (r > w), r, w)

#: silence bands, in days: [0, 30), [30, 60), … [730, inf)
SILENCE_EDGES = (0, 30, 60, 90, 180, 365, 730)


class ReactivationModel:
    """P(returns | silence band, group), estimated from past reactivations.

    ``fit(history)``: rows with ``silence_days``, ``group`` and ``returned`` (0/1) — one per
    customer and earlier cut-off. Learned: ``rates_`` (band x group: customers, returned,
    probability), ``band_rates_`` (per band over all groups), ``overall_rate_``.
    ``predict(silence_days, group)`` gives the probability; a group never seen gets its band's
    rate, a band never seen the overall rate.
    """

    def __init__(self, silence_edges: tuple[int, ...] = SILENCE_EDGES,
                 prior_customers: float = 20.0):
        self.silence_edges = silence_edges
        self.prior_customers = prior_customers

    def _band(self, silence) -> np.ndarray:
        edges = np.asarray(self.silence_edges, dtype=float)
        return np.searchsorted(edges, np.asarray(silence, dtype=float), side="right") - 1

    def fit(self, history: pd.DataFrame):
        if len(history) == 0:
            raise ValueError("no earlier silent customers to learn reactivation from")
        returned = history["returned"].to_numpy(dtype=float)
        if not np.all((returned == 0) | (returned == 1)):
            raise ValueError("'returned' must be 0 or 1")
        frame = pd.DataFrame({"band": self._band(history["silence_days"]),
                              "group": history["group"].astype(str).to_numpy(),
                              "returned": returned})
        self.overall_rate_ = float(returned.mean())
        band = frame.groupby("band")["returned"].agg(["size", "sum"])
        m = float(self.prior_customers)
        band["probability"] = (band["sum"] + m * self.overall_rate_) / (band["size"] + m)
        self.band_rates_ = band.rename(columns={"size": "customers", "sum": "returned"})
        cell = frame.groupby(["band", "group"])["returned"].agg(["size", "sum"]).reset_index()
        prior = self.band_rates_["probability"].reindex(cell["band"]).to_numpy()
        cell["probability"] = (cell["sum"] + m * prior) / (cell["size"] + m)
        self.rates_ = cell.rename(columns={"size": "customers", "sum": "returned"})
        return self

    def predict(self, silence_days, group) -> np.ndarray:
        if not hasattr(self, "rates_"):
            from ._base import NotFittedError

            raise NotFittedError("This ReactivationModel is not fitted yet; call fit first")
        band = self._band(silence_days)
        group = pd.Series(group).astype(str).to_numpy()
        keys = pd.MultiIndex.from_arrays([band, group])
        table = self.rates_.set_index(["band", "group"])["probability"]
        p = table.reindex(keys).to_numpy()
        band_p = self.band_rates_["probability"].reindex(band).to_numpy()
        p = np.where(np.isnan(p), band_p, p)
        return np.where(np.isnan(p), self.overall_rate_, p)


def reactivation_history(transactions, to_arrow, *, as_of: dt.date, horizon_days: int,
                         cutoffs: int = 4, min_silence_days: int = 1,
                         contacts=None) -> pd.DataFrame:
    """Rows for :meth:`ReactivationModel.fit` from the data: at ``cutoffs`` earlier dates
    (``as_of - k x horizon_days``, k = 1 … cutoffs, while the first purchase is before them),
    each customer silent for at least ``min_silence_days``, their silence, their value tier at
    that date (``high``/``middle``/``low``: thirds of spend to date) and whether they bought in
    the ``horizon_days`` after it (all before ``as_of``). With ``contacts`` (a service log, Ibis)
    a customer who had complained and gone silent by that date (:func:`complained_silent`,
    complaints up to the date only) is in the group ``<tier> complained``.

    One query for all the cut-offs: per customer, the last purchase day and the spend to date
    at each cut-off, and the last purchase day by ``cut-off + horizon_days`` (the next
    cut-off, or ``as_of``); a customer bought in the horizon after a cut-off exactly when that
    later last purchase day is after the cut-off."""
    import ibis

    from ..features.complaints import complaint_features

    cuts = [as_of - dt.timedelta(days=k * horizon_days) for k in range(1, cutoffs + 1)]
    t = transactions.filter(transactions.purchase_date <= ibis.literal(as_of))
    days = t.group_by(["customer_id", "purchase_date"]).aggregate(day_amount=t.amount.sum())
    date, amount = days.purchase_date, days.day_amount
    reductions = {}
    for k, cut in enumerate([as_of, *cuts]):
        inside = date <= ibis.literal(cut)
        reductions[f"last_{k}"] = date.max(where=inside)
        if k:
            # rounded to 1e-9 as the behaviour features round sums of money (a parallel
            # engine adds them in no fixed order)
            reductions[f"total_{k}"] = inside.ifelse(amount, 0.0).sum().cast("float64").round(9)
    per = to_arrow(days.group_by("customer_id").aggregate(**reductions)).to_pandas()
    rows = []
    for k, cut in enumerate(cuts, start=1):
        last = per[f"last_{k}"]
        known = last.notna().to_numpy()
        if not known.any():
            break
        feats = per.loc[known]
        recency = (pd.Timestamp(cut) - pd.to_datetime(feats[f"last_{k}"])).dt.days.astype(float)
        later = pd.to_datetime(feats[f"last_{k - 1}"])
        returned = (later > pd.Timestamp(cut)).astype(int)
        ranks = feats[f"total_{k}"].rank(pct=True, method="average")
        group = np.where(ranks > 2 / 3, "high", np.where(ranks > 1 / 3, "middle", "low"))
        if contacts is not None:
            said = to_arrow(complaint_features(contacts, as_of=cut)).to_pandas()
            since = feats[["customer_id"]].merge(
                said[["customer_id", "days_since_complaint"]], on="customer_id",
                how="left")["days_since_complaint"].to_numpy(dtype=float)
            flag = complained_silent(recency.to_numpy(), since, horizon_days)
            group = np.where(flag, np.char.add(group.astype(str), COMPLAINED), group)
        keep = (recency >= min_silence_days).to_numpy()
        rows.append(pd.DataFrame({"cutoff": cut, "customer_id": feats["customer_id"][keep],
                                  "silence_days": recency[keep], "group": group[keep],
                                  "returned": returned[keep]}))
    if not rows:
        return pd.DataFrame(columns=["cutoff", "customer_id", "silence_days", "group", "returned"])
    return pd.concat(rows, ignore_index=True)


def winback_value(probability_return, value_after_return, contact_cost) -> np.ndarray:
    """P(returns) x value expected after return - contact cost, elementwise."""
    p = np.asarray(probability_return, dtype=float)
    if np.any((p < 0) | (p > 1)):
        raise ValueError("probability_return must be in [0, 1]")
    return p * np.asarray(value_after_return, dtype=float) - np.asarray(contact_cost, dtype=float)


def winback_table(customers: pd.DataFrame, model: ReactivationModel, *, contact_cost: float,
                  value_column: str = "value_after_return", group_column: str = "group"
                  ) -> pd.DataFrame:
    """``customers`` with ``probability_return``, ``winback_value`` and ``winback_rank`` (1 =
    most worth winning back; ties share the better rank) added; the input is not modified."""
    p = model.predict(customers["recency_days"], customers[group_column])
    out = customers.assign(probability_return=p)
    out["winback_value"] = winback_value(p, customers[value_column], contact_cost)
    out["winback_rank"] = out["winback_value"].rank(ascending=False, method="min").astype(int)
    return out
