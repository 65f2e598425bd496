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

__all__ = ["ReactivationModel", "reactivation_rows", "reactivation_history",
           "reactivation_counts", "winback_value", "winback_table",
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
    customer and earlier cut-off (:func:`reactivation_history`) — or the same counted, with
    ``customers`` and ``returned`` of them per row (:func:`reactivation_counts`). Learned:
    ``rates_`` (band x group: customers, returned, probability), ``band_rates_`` (per band
    over all groups), ``overall_rate_``.
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
        counted = "customers" in history
        customers = (history["customers"].to_numpy(dtype=np.int64) if counted
                     else np.ones(len(returned), dtype=np.int64))
        if not np.all((returned >= 0) & (returned <= customers) & (returned == np.round(returned))):
            raise ValueError("'returned' must be 0 or 1" if not counted else
                             "'returned' must be a whole number from 0 to 'customers'")
        frame = pd.DataFrame({"band": self._band(history["silence_days"]),
                              "group": history["group"].astype(str).to_numpy(),
                              "size": customers, "sum": returned})
        self.overall_rate_ = float(returned.sum() / customers.sum())
        band = frame.groupby("band")[["size", "sum"]].sum()
        m = float(self.prior_customers)
        band["probability"] = (band["sum"] + m * self.overall_rate_) / (band["size"] + m)
        self.band_rates_ = band.rename(columns={"size": "customers", "sum": "returned"})
        cell = frame.groupby(["band", "group"])[["size", "sum"]].sum().reset_index()
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


def reactivation_rows(transactions, *, as_of: dt.date, horizon_days: int, cutoffs: int = 4,
                      min_silence_days: int = 1, contacts=None):
    """The rows for :meth:`ReactivationModel.fit` as one Ibis expression on the engine: at
    ``cutoffs`` earlier dates (``as_of - k x horizon_days``, k = 1 … cutoffs, while the first
    purchase is before them), each customer silent for at least ``min_silence_days``, with
    ``cutoff``, ``customer_id``, ``silence_days`` (days since the last purchase), ``group`` (the
    value tier at that date, ``high``/``middle``/``low``: thirds of the spend to date among the
    customers known then) and ``returned`` (1 when they bought in the ``horizon_days`` after it,
    all before ``as_of``). With ``contacts`` (a service log, Ibis) a customer who had complained
    and gone silent by that date (:func:`complained_silent`, complaints up to the date only) is
    in the group ``<tier> complained``.

    Per customer, one grouping of the purchase days gives the last purchase day and the spend
    to date at each cut-off, and the last purchase day by ``cut-off + horizon_days`` (the next
    cut-off, or ``as_of``): a customer bought in the horizon after a cut-off exactly when that
    later last purchase day is after the cut-off. The tier is the spend's percentile rank among
    the customers known at the cut-off, ties sharing their average rank: (customers spending
    less + (customers spending the same + 1) / 2) / customers, above 2/3 high, above 1/3
    middle."""
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
    per = days.group_by("customer_id").aggregate(**reductions)
    # each customer once per cut-off, its figures at that cut-off picked by k
    per = per.select(*per.columns,
                     _k=ibis.literal(list(range(1, cutoffs + 1)), type="array<int64>").unnest())

    def at(value):
        return ibis.cases(*[(per._k == k, value(k, cut)) for k, cut in enumerate(cuts, start=1)])

    long = per.select(
        "customer_id", _k=per._k,
        cutoff=at(lambda k, cut: ibis.literal(cut)),
        _last=at(lambda k, cut: per[f"last_{k}"]),
        silence_days=at(lambda k, cut: ibis.literal(cut).delta(per[f"last_{k}"], unit="day")
                        ).cast("float64"),
        _total=at(lambda k, cut: per[f"total_{k}"]),
        returned=at(lambda k, cut: per[f"last_{k - 1}"] > ibis.literal(cut)).cast("int64"))
    long = long.filter(long._last.notnull())
    less = ibis.rank().over(ibis.window(group_by="_k", order_by="_total")).cast("float64")
    same = long._total.count().over(ibis.window(group_by=["_k", "_total"]))
    known = long._total.count().over(ibis.window(group_by="_k"))
    share = (less + (same + 1) / 2) / known
    tier = ibis.cases((share > 2 / 3, "high"), (share > 1 / 3, "middle"), else_="low")
    long = long.mutate(group=tier)
    if contacts is not None:
        said = ibis.union(*[complaint_features(contacts, as_of=cut).select(
            _cid="customer_id", _ck=ibis.literal(k, type="int64"), _since="days_since_complaint")
            for k, cut in enumerate(cuts, start=1)])
        joined = long.left_join(said, (long.customer_id == said._cid) & (long._k == said._ck))
        # complained_silent: a complaint no more than the horizon before the last purchase
        flag = joined._since.notnull() & (joined._since
                                          <= joined.silence_days + float(horizon_days))
        long = joined.mutate(group=flag.ifelse(joined.group + COMPLAINED, joined.group))
    long = long.filter(long.silence_days >= min_silence_days)
    return long.select("cutoff", "customer_id", "silence_days", "group", "returned")


def reactivation_history(transactions, to_arrow, *, as_of: dt.date, horizon_days: int,
                         cutoffs: int = 4, min_silence_days: int = 1,
                         contacts=None) -> pd.DataFrame:
    """:func:`reactivation_rows` brought here, one row per customer and cut-off."""
    rows = reactivation_rows(transactions, as_of=as_of, horizon_days=horizon_days,
                             cutoffs=cutoffs, min_silence_days=min_silence_days,
                             contacts=contacts)
    frame = to_arrow(rows.order_by(["cutoff", "customer_id"])).to_pandas()
    return frame.astype({"silence_days": float, "returned": int})


def reactivation_counts(transactions, to_arrow, *, as_of: dt.date, horizon_days: int,
                        cutoffs: int = 4, min_silence_days: int = 1,
                        contacts=None) -> pd.DataFrame:
    """:func:`reactivation_rows` counted on the engine: per ``cutoff``, ``silence_days`` and
    ``group``, the ``customers`` and how many ``returned``; what :meth:`ReactivationModel.fit`
    reads, in thousands of rows however many customers there are."""
    rows = reactivation_rows(transactions, as_of=as_of, horizon_days=horizon_days,
                             cutoffs=cutoffs, min_silence_days=min_silence_days,
                             contacts=contacts)
    counts = rows.group_by(["cutoff", "silence_days", "group"]).aggregate(
        customers=rows.count(), returned=rows.returned.sum())
    frame = to_arrow(counts.order_by(["cutoff", "silence_days", "group"])).to_pandas()
    return frame.astype({"silence_days": float, "customers": int, "returned": int})


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
