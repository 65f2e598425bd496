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
from .pareto import ranking_value

__all__ = ["money_column", "money_score", "scores", "with_rfm_cell", "with_rfm_score"]


def money_score(table: ir.Table, column: str) -> ir.IntegerValue:
    """The quantile score of a money measure, ranking every customer.

    The 0-based minimum rank is the number of customers with a lower value: ``n`` minus the
    customers with at least this value, a running count over the customers sorted from the
    highest value down, ties counted together (a ``RANGE`` frame). Customers are ranked on
    :func:`cvm.features.pareto.ranking_value` (null as 0, rounded to 6 decimals, so equal
    totals whose floating-point sums differ in the last bits tie, on every run). The sort is the
    value ranking's (:func:`cvm.features.pareto.abc_classes`): computed in the same projection,
    an engine sorts the customers once for both.
    """
    key = ranking_value(table, column)
    at_least = table.customer_id.count().over(ibis.window(order_by=ibis.desc(key),
                                                          range=(None, 0)))
    n = table.customer_id.count().over()
    return (1 + ((n - at_least) * 5 / n).floor()).cast("int8")


def _quantile_scores(table: ir.Table, base: ir.Table, column: str, name: str, *,
                     higher_is_better: bool) -> ir.Table:
    """Add a quantile score to ``table``, from ``base``'s table of distinct values.

    The 0-based minimum rank of a value is the number of customers with a strictly worse value:
    the running count over the distinct values, sorted from worst to best, minus the value's own
    count. Recency and frequency (whole numbers) have a few hundred distinct values, so this
    sorts a small table instead of every customer (and, on Spark, avoids a window over one
    partition). The score ``1 + floor(5 · rank / n)`` rises with the value, so it is reached at
    four cut values: score k from the first value whose rank satisfies ``5 · rank ≥ (k − 1) · n``
    (compared in integers). The four cuts are one row from the small table, joined to every
    customer (a cross join with one row: no matching of keys), so the customers are scored by
    comparisons. The counts are taken from ``base``, the table the scoring started from.
    """
    if not base[column].type().is_integer():
        return table.mutate(**{name: money_score(table, column)})
    counts = base.group_by(column).aggregate(_n=base.count())
    order = counts[column] if higher_is_better else ibis.desc(counts[column])
    running = counts._n.sum().over(ibis.window(order_by=order, rows=(None, 0)))
    ranked = counts.mutate(_below=running - counts._n, _total=counts._n.sum().over())
    prefix = f"_cvm_{name}_from_"
    cuts = {}
    for k in (5, 4, 3, 2):
        reached = ranked._below * 5 >= ranked._total * (k - 1)
        cuts[f"{prefix}{k}"] = (ranked[column].min(where=reached) if higher_is_better
                                else ranked[column].max(where=reached))
    t = table.cross_join(ranked.aggregate(**cuts))
    value = t[column]
    branches = [((value >= t[f"{prefix}{k}"]) if higher_is_better else (value <= t[f"{prefix}{k}"]), k)
                for k in (5, 4, 3, 2)]
    return t.mutate(**{name: ibis.cases(*branches, else_=1).cast("int8")}).drop(*cuts)


def _breakpoint_score(value: ir.NumericValue, cuts, *, higher_is_better: bool) -> ir.IntegerValue:
    b1, b2, b3, b4 = cuts
    if higher_is_better:
        return (
            ibis.cases((value < b1, 1), (value < b2, 2), (value < b3, 3), (value < b4, 4), else_=5)
        ).cast("int8")
    return (
        ibis.cases((value <= b1, 5), (value <= b2, 4), (value <= b3, 3), (value <= b4, 2), else_=1)
    ).cast("int8")


def scores(summary: ir.Table, options: RFMOptions, keys: str = "rfm") -> ir.Table:
    """Add the scores named in ``keys`` (``"r"``, ``"f"``, ``"m"``), as the options say.

    A pipeline that ranks customers by value anyway can leave ``"m"`` out and compute
    :func:`money_score` in the projection of that ranking.
    """
    t = summary
    for key, (column, better_high) in _measures(options).items():
        name = f"{key}_score"
        if key not in keys:
            continue
        if key in options.breakpoints:
            t = t.mutate(**{name: _breakpoint_score(t[column], options.breakpoints[key],
                                                    higher_is_better=better_high)})
        else:
            t = _quantile_scores(t, summary, column, name, higher_is_better=better_high)
    return t


def with_rfm_score(scored: ir.Table, options: RFMOptions | None = None) -> ir.Table:
    """Add ``rfm_score``, the weighted mean of the three scores."""
    wr, wf, wm = (options or RFMOptions()).weights
    total = wr + wf + wm
    t = scored
    return t.mutate(
        # in floating point on every engine (Spark would otherwise use 6-decimal arithmetic)
        rfm_score=(t.r_score.cast("float64") * wr + t.f_score.cast("float64") * wf
                   + t.m_score.cast("float64") * wm) / total,
    )


def money_column(options: RFMOptions | None = None) -> str:
    """The summary column the M score ranks."""
    return _measures(options or RFMOptions())["m"][0]


def _measures(options: RFMOptions) -> dict[str, tuple[str, bool]]:
    """Per score: the summary column it ranks and whether higher is better."""
    return {
        "r": ("recency_days", False),
        "f": ("frequency", True),
        "m": ("monetary_total" if options.monetary == "total" else "monetary_avg", True),
    }


def with_rfm_cell(scored: ir.Table) -> ir.Table:
    """Add ``rfm_cell``, the three scores as text, R first (``"545"``)."""
    return scored.mutate(rfm_cell=scored.r_score.cast("string") + scored.f_score.cast("string")
                         + scored.m_score.cast("string"))
