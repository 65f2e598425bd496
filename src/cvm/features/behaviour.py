"""Behaviour features for churn risk, as engine-neutral Ibis expressions.

:func:`behaviour_features` gives one row per customer with a purchase on or before ``as_of``:
the RFM figures, the customer's own rhythm (mean days between purchase days) and how long the
current silence is against it, the purchase and spend trends of the last window against the
one before, and the number of distinct product categories bought (where the transactions carry
a category). :func:`behaviour_features_at_cutoff` gives the same features at an earlier
cut-off and at ``as_of`` from one pass over the transactions (what a churn classifier trains
on and scores). :func:`no_purchase_labels` says which customers made no purchase in the
``window_days`` after ``as_of`` (the label a churn classifier learns).
:func:`purchase_gap_quantile` gives a quantile of the days between a customer's consecutive
purchase days (the data's purchase cycle).

Purchases on one day are one purchase day, as in :mod:`cvm.features.summary`.

Columns of :func:`behaviour_features` (days are calendar days, money in the data's currency):

``customer_id``, ``frequency`` (repeat purchase days), ``recency_days`` (days since the last
purchase), ``tenure_days`` (days since the first), ``n_purchase_days``, ``monetary_total``,
``monetary_avg`` (per purchase day), ``mean_gap_days`` ((tenure - (days since last)) /
frequency: the mean days between purchase days; null without a repeat purchase),
``silence_ratio`` (recency_days / mean_gap_days: the silence against the customer's own
rhythm), ``recency_share`` (recency_days / tenure_days: the share of the customer's life spent
silent at the end; null on the first day), ``recent_purchase_days`` and ``recent_spend`` (in the
last ``window_days`` up to ``as_of``), ``prior_purchase_days`` and ``prior_spend`` (in the
``window_days`` before those), ``purchase_trend`` ((recent - prior) / (recent + prior) purchase
days, from -1 to 1; null when both are 0), ``spend_trend`` (the same for spend) and
``category_count`` (distinct non-null categories; 0 without a category column).
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

__all__ = ["behaviour_features", "behaviour_features_at_cutoff", "no_purchase_labels",
           "purchase_gap_quantile", "BEHAVIOUR_COLUMNS", "CUTOFF_PREFIX"]

#: the feature columns a churn classifier uses (customer_id aside)
BEHAVIOUR_COLUMNS = ("frequency", "recency_days", "tenure_days", "n_purchase_days",
                     "monetary_total", "monetary_avg", "mean_gap_days", "silence_ratio",
                     "recency_share", "recent_purchase_days", "recent_spend",
                     "prior_purchase_days", "prior_spend", "purchase_trend", "spend_trend",
                     "category_count")
#: the prefix of the cut-off date's columns in :func:`behaviour_features_at_cutoff`
CUTOFF_PREFIX = "cutoff_"


def _days(transactions: ir.Table, as_of: dt.date) -> ir.Table:
    t = transactions.filter(transactions.purchase_date <= ibis.literal(as_of))
    return t.group_by(["customer_id", "purchase_date"]).aggregate(day_amount=t.amount.sum())


def _aggregates(days: ir.Table, as_of: dt.date, window_days: int, prefix: str) -> dict:
    """Per-customer reductions over the purchase days on or before ``as_of``."""
    date = days.purchase_date
    inside = date <= ibis.literal(as_of)
    recent = inside & (date > ibis.literal(as_of - dt.timedelta(days=window_days)))
    prior = ((date > ibis.literal(as_of - dt.timedelta(days=2 * window_days)))
             & (date <= ibis.literal(as_of - dt.timedelta(days=window_days))))
    amount = days.day_amount

    def money(total):
        # a parallel engine adds amounts in no fixed order, so sums of money differ in their
        # last bits from run to run; rounded to 1e-9 they do not, nor anything fitted on them
        return total.cast("float64").round(9)

    return {
        f"{prefix}first_purchase": date.min(where=inside),
        f"{prefix}last_purchase": date.max(where=inside),
        f"{prefix}n_purchase_days": inside.ifelse(1, 0).sum(),
        f"{prefix}monetary_total": money(inside.ifelse(amount, 0.0).sum()),
        f"{prefix}recent_purchase_days": recent.ifelse(1, 0).sum(),
        f"{prefix}recent_spend": money(recent.ifelse(amount, 0.0).sum()),
        f"{prefix}prior_purchase_days": prior.ifelse(1, 0).sum(),
        f"{prefix}prior_spend": money(prior.ifelse(amount, 0.0).sum()),
    }


def _trend(recent, prior):
    both = recent + prior
    return ibis.ifelse(both != 0, (recent - prior) / both, ibis.null("float64"))


def _features(s: ir.Table, as_of: dt.date, prefix: str) -> dict:
    """The feature columns (module doc) from the reductions of :func:`_aggregates`."""
    def col(name):
        return s[f"{prefix}{name}"]

    as_of_lit = ibis.literal(as_of)
    recency = as_of_lit.delta(col("last_purchase"), unit="day").cast("float64")
    tenure = as_of_lit.delta(col("first_purchase"), unit="day").cast("float64")
    n_days = col("n_purchase_days").cast("float64")
    frequency = n_days - 1.0
    gap = ibis.ifelse(frequency > 0, (tenure - recency) / frequency, ibis.null("float64"))
    recent_days = col("recent_purchase_days").cast("float64")
    prior_days = col("prior_purchase_days").cast("float64")
    recent_spend = col("recent_spend").cast("float64")
    prior_spend = col("prior_spend").cast("float64")
    known = n_days > 0      # false at a cut-off before the customer's first purchase

    def when_known(value):
        return ibis.ifelse(known, value, ibis.null("float64"))

    columns = {
        f"{prefix}frequency": frequency,
        f"{prefix}recency_days": recency,
        f"{prefix}tenure_days": tenure,
        f"{prefix}n_purchase_days": n_days,
        f"{prefix}monetary_total": col("monetary_total").cast("float64"),
        f"{prefix}monetary_avg": (col("monetary_total") / n_days).cast("float64"),
        f"{prefix}mean_gap_days": gap,
        f"{prefix}silence_ratio": recency / gap,
        f"{prefix}recency_share": ibis.ifelse(tenure > 0, recency / tenure, ibis.null("float64")),
        f"{prefix}recent_purchase_days": recent_days,
        f"{prefix}recent_spend": recent_spend,
        f"{prefix}prior_purchase_days": prior_days,
        f"{prefix}prior_spend": prior_spend,
        f"{prefix}purchase_trend": _trend(recent_days, prior_days),
        f"{prefix}spend_trend": _trend(recent_spend, prior_spend),
    }
    return {name: value if name == f"{prefix}n_purchase_days" else when_known(value)
            for name, value in columns.items()}


def _categories(transactions: ir.Table, dates: dict[str, dt.date]) -> ir.Table:
    t = transactions.filter(transactions.purchase_date <= ibis.literal(max(dates.values())))
    return t.group_by("customer_id").aggregate(**{
        f"{prefix}category_count": t.category.nunique(where=t.purchase_date <= ibis.literal(d))
        for prefix, d in dates.items()})


def _at_dates(transactions: ir.Table, dates: dict[str, dt.date], window_days: int) -> ir.Table:
    """Features at each date of ``dates`` (prefix -> date) for the customers with a purchase on
    or before the last date, one aggregation over the purchase days."""
    if window_days < 1:
        raise ValueError(f"window_days must be at least 1, got {window_days}")
    days = _days(transactions, max(dates.values()))
    reductions = {}
    for prefix, d in dates.items():
        reductions.update(_aggregates(days, d, window_days, prefix))
    s = days.group_by("customer_id").aggregate(**reductions)
    columns = {}
    for prefix, d in dates.items():
        columns.update(_features(s, d, prefix))
    out = s.select("customer_id", **columns)
    if "category" in transactions.columns:
        cats = _categories(transactions, dates)
        out = out.left_join(cats, "customer_id").drop("customer_id_right")
        out = out.mutate(**{f"{p}category_count": out[f"{p}category_count"].fill_null(0)
                            .cast("float64") for p in dates})
    else:
        out = out.mutate(**{f"{p}category_count": ibis.literal(0.0) for p in dates})
    return out


def behaviour_features(transactions: ir.Table, *, as_of: dt.date, window_days: int) -> ir.Table:
    """One row per customer with a purchase on or before ``as_of`` (columns in the module doc).

    ``transactions`` needs ``customer_id``, ``purchase_date`` and ``amount``; a ``category``
    column, where present, gives ``category_count``.
    """
    return _at_dates(transactions, {"": as_of}, window_days).select(
        "customer_id", *BEHAVIOUR_COLUMNS)


def behaviour_features_at_cutoff(transactions: ir.Table, *, as_of: dt.date, cutoff: dt.date,
                                 window_days: int) -> ir.Table:
    """The features at ``as_of`` (named as in the module doc) and at the earlier ``cutoff``
    (the same names prefixed with ``cutoff_``), one row per customer with a purchase on or
    before ``as_of``, from one pass over the transactions. A customer whose first purchase
    came after ``cutoff`` has ``cutoff_n_purchase_days`` 0, ``cutoff_category_count`` 0 and the
    other ``cutoff_`` columns null."""
    if not cutoff < as_of:
        raise ValueError(f"the cut-off ({cutoff}) must come before the as-of date ({as_of})")
    out = _at_dates(transactions, {CUTOFF_PREFIX: cutoff, "": as_of}, window_days)
    return out.select("customer_id", *BEHAVIOUR_COLUMNS,
                      *(f"{CUTOFF_PREFIX}{c}" for c in BEHAVIOUR_COLUMNS))


def no_purchase_labels(transactions: ir.Table, *, as_of: dt.date, window_days: int,
                       tenure: bool = False) -> ir.Table:
    """``customer_id`` and ``no_purchase`` (1 when the customer, with a purchase on or before
    ``as_of``, made none in the ``window_days`` days after it, else 0); with ``tenure``, also
    ``tenure_days`` (days from the first purchase to ``as_of``), from the same pass."""
    t = transactions
    end = ibis.literal(as_of + dt.timedelta(days=window_days))
    t = t.filter(t.purchase_date <= end)
    before = t.purchase_date <= ibis.literal(as_of)
    reductions = {"known": before.ifelse(1, 0).max(), "bought": before.ifelse(0, 1).max()}
    if tenure:
        reductions["first"] = t.purchase_date.min(where=before)
    per = t.group_by("customer_id").aggregate(**reductions)
    per = per.filter(per.known == 1)
    columns = {"no_purchase": (1 - per.bought).cast("int8")}
    if tenure:
        columns["tenure_days"] = ibis.literal(as_of).delta(per["first"], unit="day").cast(
            "float64")
    return per.select("customer_id", **columns)


def purchase_gap_quantile(transactions: ir.Table, *, as_of: dt.date,
                          quantile: float = 0.9) -> ir.Scalar:
    """The ``quantile`` of the days between consecutive purchase days of a customer, over all
    repeat purchase days on or before ``as_of`` (null when nobody bought twice)."""
    days = _days(transactions, as_of)
    window = ibis.window(group_by="customer_id", order_by="purchase_date")
    prev = days.purchase_date.lag().over(window)
    gaps = days.mutate(gap=days.purchase_date.delta(prev, unit="day").cast("float64"))
    gaps = gaps.filter(gaps.gap.notnull())
    return gaps.gap.quantile(quantile)
