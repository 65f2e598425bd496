"""Historical and current value of each customer, as one engine-neutral Ibis expression.

The seeds split a customer's value into three parts: what the customer has brought (historical
value), what the customer brings now (current value) and what the customer may still bring
(potential value, :mod:`cvm.models.lifetime_value`). The first two are sums of past margin:

- a purchase line's margin is its ``margin`` where given, else ``amount - cost`` where a cost is
  given, else ``amount x margin_rate`` when a margin rate is set, else the whole ``amount`` (value
  then means revenue);
- ``historical_value`` = sum over the customer's purchases up to the as-of date of
  margin x (1 + compounding rate)^(days before the as-of date / 365.25), i.e. past margin carried
  forward to today at an annual rate (no compounding at rate 0);
- ``current_value`` = margin of the purchases in the ``current_period_days`` days up to and
  including the as-of date (the last period; a year by default);
- ``margin_share`` = uncompounded margin / amount over all the customer's purchases (null when
  the amounts sum to zero), the share of spend that potential value counts as margin.

The same purchase-date window as the rest of the analysis applies (``window_days``).
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from .summary import window_filter

__all__ = ["value_history", "DAYS_PER_YEAR"]

DAYS_PER_YEAR = 365.25


def value_history(days: ir.Table, *, as_of: dt.date, window_days: int | None = None,
                  margin_rate: float | None = None, compounding_rate: float = 0.0,
                  current_period_days: int = 365) -> ir.Table:
    """One row per customer: ``customer_id``, ``historical_value``, ``current_value`` and
    ``margin_share``.

    ``days`` is the purchase-day table (:func:`cvm.features.summary.purchase_days`): a day's
    margin is its lines' known margin plus its unpriced amount times the margin rate (or the
    whole unpriced amount without a rate) — the sum of the line margins defined above.
    """
    t = window_filter(days, as_of, window_days)
    unpriced = t.day_unpriced_amount * margin_rate if margin_rate is not None else t.day_unpriced_amount
    day_margin = (t.day_margin.fill_null(0.0) + unpriced).cast("float64")
    as_of_lit = ibis.literal(as_of)
    days_before = as_of_lit.delta(t.purchase_date, unit="day").cast("float64")
    if compounding_rate:
        growth = ibis.literal(1.0 + compounding_rate).pow(days_before / DAYS_PER_YEAR)
        carried = day_margin * growth
    else:
        carried = day_margin
    start = as_of - dt.timedelta(days=current_period_days)
    in_current = t.purchase_date > ibis.literal(start)
    valued = t.mutate(_carried=carried, _current=ibis.ifelse(in_current, day_margin, 0.0),
                      _margin=day_margin, _amount=t.day_amount.cast("float64"))
    sums = valued.group_by("customer_id").aggregate(
        historical_value=valued._carried.sum(),
        current_value=valued._current.sum(),
        _margin=valued._margin.sum(),
        _amount=valued._amount.sum(),
    )
    return sums.select(
        "customer_id", "historical_value", "current_value",
        margin_share=ibis.ifelse(sums._amount != 0, sums._margin / sums._amount, ibis.null("float64")),
    )
