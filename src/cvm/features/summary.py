"""Per-customer purchase summary from transactions, as one engine-neutral Ibis expression.

Purchases on the same day are one purchase occasion (the convention of the BTYD literature:
Fader, Hardie & Lee 2005 merge same-day transactions), so ``frequency`` counts repeat purchase
*days* and ``repeat_monetary_avg`` is the mean spend of those repeat days — exactly the
``frequency``/``monetary_value`` inputs the probabilistic models expect, and the figures the
``lifetimes`` library's ``summary_data_from_transaction_data`` gives.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

__all__ = ["customer_summary", "window_filter"]


@ibis.udf.agg.builtin(name="min_by")
def _min_by(arg: float, key: dt.date) -> float:
    """The value of ``arg`` on the row with the smallest ``key`` (DuckDB and Spark ``min_by``)."""


def window_filter(transactions: ir.Table, as_of: dt.date, window_days: int | None) -> ir.Table:
    """The purchases dated on or before ``as_of`` and, with a window, after ``as_of - window``."""
    t = transactions.filter(transactions.purchase_date <= ibis.literal(as_of))
    if window_days is not None:
        start = as_of - dt.timedelta(days=window_days)
        t = t.filter(t.purchase_date > ibis.literal(start))
    return t


def customer_summary(transactions: ir.Table, *, as_of: dt.date,
                     window_days: int | None = None) -> ir.Table:
    """One row per customer: first/last purchase, counts, recency, tenure and spend.

    ``transactions`` needs ``customer_id``, ``purchase_date``, ``amount`` and ``margin`` (null
    when unknown) and ``cost``. Margin is ``margin`` where given, else ``amount - cost`` where a
    cost is given; ``margin_total`` is null for a customer with neither.
    """
    t = window_filter(transactions, as_of, window_days)
    t = t.mutate(_margin=ibis.coalesce(t.margin, t.amount - t.cost))
    # Two grouped passes: customer-days first (same-day purchases merged), then customers. The
    # first day's spend is the day total at the customer's earliest day (``min_by``): cheaper on
    # both engines than a window over every transaction or an ordered aggregate.
    days = t.group_by(["customer_id", "purchase_date"]).aggregate(
        _amount=t.amount.sum(), _rows=t.count(), _margin=t._margin.sum())
    s = days.group_by("customer_id").aggregate(
        first_purchase=days.purchase_date.min(),
        last_purchase=days.purchase_date.max(),
        n_transactions=days._rows.sum(),
        n_purchase_days=days.count(),
        monetary_total=days._amount.sum(),
        first_day_amount=_min_by(days._amount, days.purchase_date),
        margin_total=days._margin.sum(),
    )
    as_of_lit = ibis.literal(as_of)
    frequency = s.n_purchase_days - 1
    return s.select(
        "customer_id",
        "first_purchase",
        "last_purchase",
        n_transactions=s.n_transactions.cast("int64"),
        n_purchase_days=s.n_purchase_days.cast("int64"),
        frequency=frequency.cast("int64"),
        recency_days=as_of_lit.delta(s.last_purchase, unit="day").cast("int64"),
        tenure_days=as_of_lit.delta(s.first_purchase, unit="day").cast("int64"),
        monetary_total=s.monetary_total,
        monetary_avg=s.monetary_total / s.n_purchase_days,
        repeat_monetary_avg=ibis.ifelse(
            frequency > 0, (s.monetary_total - s.first_day_amount) / frequency, 0.0
        ),
        margin_total=s.margin_total,
    )
