"""RFM scores 1–5 as one engine-neutral Ibis expression.

Quantile scores (default): customers are ranked from worst to best on each measure and the
score is ``1 + floor(5 · rank / n)``, where ``rank`` is the 0-based *minimum* rank (customers
with equal values share the lowest rank of their group) and ``n`` the number of customers. So
ties always get the same score, the order of rows never matters, and each score holds about a
fifth of the customers — except where many customers tie (e.g. most bought once), when a score
can be empty rather than split equal customers. Best means: most recent (smallest
``recency_days``), most frequent (``frequency``), highest spend (``monetary_total`` or
``monetary_avg``).

Fixed breakpoints (``RFMOptions.breakpoints``): four increasing cut points per measure. R: at
most ``b1`` days → 5, at most ``b2`` → 4, …, above ``b4`` → 1. F and M: below ``b1`` → 1, below
``b2`` → 2, …, at least ``b4`` → 5.

``rfm_score`` is the weighted mean of the three scores (Hughes' RFM, with user weights).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from ..config import RFMOptions

__all__ = ["rfm_scores", "with_rfm_cell"]


def _quantile_scores(table: ir.Table, column: str, name: str, *,
                     higher_is_better: bool) -> ir.Table:
    """Join a quantile score onto ``table``, computed on the table of distinct values.

    The 0-based minimum rank of a value is the number of customers with a strictly worse value:
    the running count over the distinct values, sorted from worst to best, minus the value's own
    count. Recency and frequency (whole numbers) have a few hundred distinct values, so this
    sorts a small table instead of every customer (and, on Spark, avoids a window over one
    partition). Money measures are ranked over all customers.
    """
    if not table[column].type().is_integer():
        # a floating-point sum evaluated twice may differ in its last bits (the engines add in
        # parallel), so a money measure is never a join key: rank all customers instead
        key = table[column]
        rank = ibis.rank().over(order_by=key if higher_is_better else ibis.desc(key))
        n = table.customer_id.count().over()
        return table.mutate(**{name: (1 + (rank * 5 / n).floor()).cast("int8")})
    counts = table.group_by(column).aggregate(_n=table.count())
    order = counts[column] if higher_is_better else ibis.desc(counts[column])
    running = counts._n.sum().over(ibis.window(order_by=order, rows=(None, 0)))
    total = counts._n.sum().over()
    scores = counts.select(
        column, **{name: (1 + ((running - counts._n) * 5 / total).floor()).cast("int8")})
    return table.inner_join(scores, column)


def _breakpoint_score(value: ir.NumericValue, cuts, *, higher_is_better: bool) -> ir.IntegerValue:
    b1, b2, b3, b4 = cuts
    if higher_is_better:
        return (
            ibis.cases((value < b1, 1), (value < b2, 2), (value < b3, 3), (value < b4, 4), else_=5)
        ).cast("int8")
    return (
        ibis.cases((value <= b1, 5), (value <= b2, 4), (value <= b3, 3), (value <= b4, 2), else_=1)
    ).cast("int8")


def rfm_scores(summary: ir.Table, options: RFMOptions | None = None) -> ir.Table:
    """Add ``r_score``, ``f_score``, ``m_score`` and ``rfm_score`` (the cell: :func:`with_rfm_cell`)."""
    options = options or RFMOptions()
    measures = {
        "r": ("recency_days", False),
        "f": ("frequency", True),
        "m": ("monetary_total" if options.monetary == "total" else "monetary_avg", True),
    }
    t = summary
    for key, (column, better_high) in measures.items():
        name = f"{key}_score"
        if key in options.breakpoints:
            t = t.mutate(**{name: _breakpoint_score(t[column], options.breakpoints[key],
                                                    higher_is_better=better_high)})
        else:
            t = _quantile_scores(t, column, name, higher_is_better=better_high)
    wr, wf, wm = options.weights
    total = wr + wf + wm
    return t.mutate(
        # in floating point on every engine (Spark would otherwise use 6-decimal arithmetic)
        rfm_score=(t.r_score.cast("float64") * wr + t.f_score.cast("float64") * wf
                   + t.m_score.cast("float64") * wm) / total,
    )


def with_rfm_cell(scored: ir.Table) -> ir.Table:
    """Add ``rfm_cell``, the three scores as text, R first (``"545"``)."""
    return scored.mutate(rfm_cell=scored.r_score.cast("string") + scored.f_score.cast("string")
                         + scored.m_score.cast("string"))
