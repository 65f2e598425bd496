"""Behaviour features for churn risk, as engine-neutral Ibis expressions.

:func:`behaviour_features` gives one row per customer with a purchase on or before ``as_of``:
the RFM figures, the customer's own rhythm (mean days between purchase days) and how long the
current silence is against it, the spend trend of the last window against the one before, and
the number of distinct product categories bought (where the transactions carry a category).
:func:`no_purchase_labels` says which of them made no purchase in the ``window_days`` after
``as_of`` (the label a churn classifier learns). :func:`purchase_gap_quantile` gives a quantile
of the days between a customer's consecutive purchase days (the data's purchase cycle).

Purchases on one day are one purchase day, as in :mod:`cvm.features.summary`.

Columns of :func:`behaviour_features` (days are calendar days, money in the data's currency):

``customer_id``, ``frequency`` (repeat purchase days), ``recency_days`` (days since the last
purchase), ``tenure_days`` (days since the first), ``n_purchase_days``, ``monetary_total``,
``monetary_avg`` (per purchase day), ``mean_gap_days`` ((tenure - (days since last)) /
frequency: the mean days between purchase days; null without a repeat purchase),
``silence_ratio`` (recency_days / mean_gap_days), ``recent_purchase_days`` and ``recent_spend``
(in the last ``window_days`` up to ``as_of``), ``prior_spend`` (in the ``window_days`` before
those), ``spend_trend`` ((recent - prior) / (recent + prior), from -1 to 1; null when both are 0)
and ``category_count`` (distinct non-null categories; 0 without a category column).
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

__all__ = ["behaviour_features", "no_purchase_labels", "purchase_gap_quantile",
           "BEHAVIOUR_COLUMNS"]

#: the feature columns a churn classifier uses (customer_id aside)
BEHAVIOUR_COLUMNS = ("frequency", "recency_days", "tenure_days", "n_purchase_days",
                     "monetary_total", "monetary_avg", "mean_gap_days", "silence_ratio",
                     "recent_purchase_days", "recent_spend", "prior_spend", "spend_trend",
                     "category_count")


def _days(transactions: ir.Table, as_of: dt.date) -> ir.Table:
    t = transactions.filter(transactions.purchase_date <= ibis.literal(as_of))
    return t.group_by(["customer_id", "purchase_date"]).aggregate(day_amount=t.amount.sum())


def behaviour_features(transactions: ir.Table, *, as_of: dt.date, window_days: int) -> ir.Table:
    """One row per customer with a purchase on or before ``as_of`` (columns in the module doc).

    ``transactions`` needs ``customer_id``, ``purchase_date`` and ``amount``; a ``category``
    column, where present, gives ``category_count``.
    """
    if window_days < 1:
        raise ValueError(f"window_days must be at least 1, got {window_days}")
    days = _days(transactions, as_of)
    recent_start = ibis.literal(as_of - dt.timedelta(days=window_days))
    prior_start = ibis.literal(as_of - dt.timedelta(days=2 * window_days))
    recent = days.purchase_date > recent_start
    prior = (days.purchase_date > prior_start) & ~recent
    s = days.group_by("customer_id").aggregate(
        first_purchase=days.purchase_date.min(),
        last_purchase=days.purchase_date.max(),
        n_purchase_days=days.count(),
        monetary_total=days.day_amount.sum(),
        recent_purchase_days=recent.ifelse(1, 0).sum(),
        recent_spend=recent.ifelse(days.day_amount, 0.0).sum(),
        prior_spend=prior.ifelse(days.day_amount, 0.0).sum(),
    )
    as_of_lit = ibis.literal(as_of)
    recency = as_of_lit.delta(s.last_purchase, unit="day").cast("float64")
    tenure = as_of_lit.delta(s.first_purchase, unit="day").cast("float64")
    frequency = (s.n_purchase_days - 1).cast("float64")
    gap = ibis.ifelse(frequency > 0, (tenure - recency) / frequency, ibis.null("float64"))
    # a parallel engine adds the amounts in no fixed order, so sums of money differ in the last
    # bits from run to run; rounded to 1e-9 they do not, and neither does anything fitted on them
    s = s.mutate(monetary_total=s.monetary_total.cast("float64").round(9),
                 recent_spend=s.recent_spend.cast("float64").round(9),
                 prior_spend=s.prior_spend.cast("float64").round(9))
    both = s.recent_spend + s.prior_spend
    out = s.select(
        "customer_id",
        frequency=frequency,
        recency_days=recency,
        tenure_days=tenure,
        n_purchase_days=s.n_purchase_days.cast("float64"),
        monetary_total=s.monetary_total.cast("float64"),
        monetary_avg=(s.monetary_total / s.n_purchase_days).cast("float64"),
        mean_gap_days=gap,
        silence_ratio=recency / gap,
        recent_purchase_days=s.recent_purchase_days.cast("float64"),
        recent_spend=s.recent_spend.cast("float64"),
        prior_spend=s.prior_spend.cast("float64"),
        spend_trend=ibis.ifelse(both != 0, (s.recent_spend - s.prior_spend) / both,
                                ibis.null("float64")),
    )
    if "category" in transactions.columns:
        t = transactions.filter(transactions.purchase_date <= ibis.literal(as_of))
        cats = t.group_by("customer_id").aggregate(category_count=t.category.nunique())
        out = out.left_join(cats, "customer_id").drop("customer_id_right")
        out = out.mutate(category_count=out.category_count.fill_null(0).cast("float64"))
    else:
        out = out.mutate(category_count=ibis.literal(0.0))
    return out


def no_purchase_labels(transactions: ir.Table, *, as_of: dt.date, window_days: int) -> ir.Table:
    """``customer_id`` and ``no_purchase`` (1 when the customer, with a purchase on or before
    ``as_of``, made none in the ``window_days`` days after it, else 0)."""
    t = transactions
    known = t.filter(t.purchase_date <= ibis.literal(as_of)).select("customer_id").distinct()
    end = ibis.literal(as_of + dt.timedelta(days=window_days))
    later = (t.filter((t.purchase_date > ibis.literal(as_of)) & (t.purchase_date <= end))
             .select("customer_id").distinct().mutate(bought=ibis.literal(1)))
    joined = known.left_join(later, "customer_id")
    return joined.select(known.customer_id,
                         no_purchase=joined.bought.isnull().ifelse(1, 0).cast("int8"))


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
