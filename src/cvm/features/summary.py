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
import ibis.expr.operations as ops
import ibis.expr.types as ir

__all__ = ["carries_margins", "customer_summary", "purchase_days", "window_filter"]


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


def carries_margins(transactions: ir.Table) -> bool:
    """Whether any transaction has a ``margin`` or a ``cost`` (one scan of those two columns).

    A table not bound to a backend (a schema only, to build an expression from) is taken to
    carry them, so the expression computes the margin sums.
    """
    t = transactions
    if t.op().find(ops.UnboundTable):
        return True
    return bool((t.margin.notnull() | t.cost.notnull()).any().execute())


def purchase_days(transactions: ir.Table, *, margins: bool | None = None) -> ir.Table:
    """Purchase occasions: one row per customer and day with a purchase.

    ``transactions`` needs ``customer_id``, ``purchase_date``, ``amount``, ``margin`` and
    ``cost`` (the last two null when unknown). Columns: ``customer_id``, ``purchase_date``,
    ``day_amount``, ``day_transactions``, ``day_margin`` (the lines' margin, ``amount - cost``
    where only a cost is given; null when no line of the day has either) and
    ``day_unpriced_amount`` (the amount of the lines with neither).

    ``margins`` says whether any transaction has a margin or a cost; by default the data is
    asked (:func:`carries_margins`, a scan of two columns). Where none has, the margin sums are
    not computed: ``day_margin`` is null and ``day_unpriced_amount`` is the day's amount — the
    same figures, for one grouped sum instead of three.

    Every per-customer figure in cvm is computed from this table, so a run groups its
    transactions by customer and day once and keeps the result (it is the costly step).
    """
    t = transactions
    if margins is None:
        margins = carries_margins(t)
    if not margins:
        days = t.group_by(["customer_id", "purchase_date"]).aggregate(
            day_amount=t.amount.sum(), day_transactions=t.count())
        return days.mutate(day_margin=ibis.null("float64"), day_unpriced_amount=days.day_amount)
    margin = ibis.coalesce(t.margin, t.amount - t.cost)
    t = t.mutate(_margin=margin, _unpriced=ibis.ifelse(margin.isnull(), t.amount, 0.0))
    return t.group_by(["customer_id", "purchase_date"]).aggregate(
        day_amount=t.amount.sum(), day_transactions=t.count(), day_margin=t._margin.sum(),
        day_unpriced_amount=t._unpriced.sum())


def customer_summary(days: ir.Table, *, as_of: dt.date,
                     window_days: int | None = None) -> ir.Table:
    """One row per customer: first/last purchase, counts, recency, tenure and spend.

    ``days`` is the purchase-day table of :func:`purchase_days`. ``margin_total`` is null for a
    customer none of whose purchases has a margin or cost.
    """
    d = window_filter(days, as_of, window_days)
    # The first day's spend is the day total at the customer's earliest day (``min_by``):
    # cheaper on both engines than a window or an ordered aggregate.
    s = d.group_by("customer_id").aggregate(
        first_purchase=d.purchase_date.min(),
        last_purchase=d.purchase_date.max(),
        n_transactions=d.day_transactions.sum(),
        n_purchase_days=d.count(),
        monetary_total=d.day_amount.sum(),
        first_day_amount=_min_by(d.day_amount, d.purchase_date),
        margin_total=d.day_margin.sum(),
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
