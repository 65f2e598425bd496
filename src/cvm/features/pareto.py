"""ABC classes and the Pareto (concentration) view of customer value.

Per customer (one engine-neutral Ibis expression): customers are ranked by value, largest
first (ties by ``customer_id``); ``value_share`` is the customer's share of total value and
``cumulative_value_share`` the share of the customer and all ranked above.

Customers are ranked on :func:`ranking_value` (the value rounded to 6 decimals), so the order
and the classes are the same on every run.

- ``basis="value"`` (default): A are the largest contributors that together *first reach* the A
  threshold (70 %) of value — a customer is A when the customers ranked above bring less than
  70 % — so the top customer is always A even if it alone brings more; B likewise up to 90 %;
  C the rest.
- ``basis="customers"``: A is the top 20 % of customers by rank, B the next up to 50 %, C the rest.

The summary (:func:`pareto_summary`) — classes, Gini coefficient, concentration curve and the
"top 20 % of customers bring y % of value" figure — is computed from the per-customer result.
The Gini coefficient is ``1 − 2·B`` with ``B`` the area under the Lorenz curve (customers in
ascending order of value, trapezoid rule), with negative values counted as zero.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import ibis
import ibis.expr.types as ir
import numpy as np

from ..config import ABCOptions

__all__ = ["abc_classes", "pareto_summary", "ranking_value"]


RANKING_DECIMALS = 6


def ranking_value(table: ir.Table, column: str) -> ir.FloatingValue:
    """The value customers are ranked on: null counts as 0, rounded to 6 decimals.

    The engines add a customer's purchases in parallel, in no fixed order, so the same total can
    differ in its last bits from one run to the next, and two equal totals can differ from each
    other. Rounded, they rank as equal every time (in any currency, 6 decimals is far below a
    real difference and far above that noise for totals under a billion).
    """
    return table[column].fill_null(0.0).round(RANKING_DECIMALS)


def abc_classes(features: ir.Table, options: ABCOptions | None = None, *,
                value_column: str = "monetary_total",
                also: Mapping[str, ir.Value] | None = None) -> ir.Table:
    """Add ``value_rank``, ``value_share``, ``cumulative_value_share`` and ``abc_class``.

    ``also``: more columns of ``features`` to compute in the same projection as the ranking,
    such as another window over the same order, so that an engine sorts the customers once
    for both (:func:`cvm.features.rfm.money_score`).
    """
    options = options or ABCOptions()
    value = features[value_column].fill_null(0.0)
    order = [ibis.desc(ranking_value(features, value_column)), features.customer_id]
    running = ibis.window(order_by=order, rows=(None, 0))
    total = value.sum().over()
    n = features.customer_id.count().over()
    rank = ibis.row_number().over(order_by=order) + 1
    cumulative = value.sum().over(running)
    t = features.mutate(
        value_rank=rank.cast("int64"),
        value_share=ibis.ifelse(total != 0, value / total, 0.0),
        cumulative_value_share=ibis.ifelse(total != 0, cumulative / total, 0.0),
        _before=ibis.ifelse(total != 0, (cumulative - value) / total, 0.0),
        _position=(rank - 1) / n,
        **(also or {}),
    )
    a, b = options.cutoffs()
    measure = t._before if options.basis == "value" else t._position
    eps = 1e-12
    cls = ibis.cases((measure < a - eps, "A"), (measure < b - eps, "B"), else_="C")
    return t.mutate(abc_class=cls).drop("_before", "_position")


def pareto_summary(values: np.ndarray, classes: np.ndarray, options: ABCOptions | None = None,
                   *, top_share: float = 0.2, points: int = 200) -> dict:
    """Classes, Gini, concentration curve and top-share figure from per-customer values.

    >>> s = pareto_summary(np.array([60.0, 30.0, 10.0, 0.0]), np.array(["A", "B", "C", "C"]))
    >>> round(s["gini"], 4), round(s["top_value_share"], 2)
    (0.5, 0.6)
    """
    options = options or ABCOptions()
    v = np.asarray(values, dtype=float)
    v = np.nan_to_num(v, nan=0.0)
    n = len(v)
    desc = np.sort(v)[::-1]
    pos = np.clip(desc, 0, None)
    total = pos.sum()
    if n and total > 0:
        asc = pos[::-1]
        lorenz = np.concatenate([[0.0], np.cumsum(asc) / total])
        area = np.trapezoid(lorenz, dx=1.0 / n)
        gini = float(1 - 2 * area)
        conc = np.concatenate([[0.0], np.cumsum(pos) / total])
    else:
        gini = 0.0
        conc = np.linspace(0, 1, n + 1) if n else np.array([0.0, 1.0])
    idx = np.unique(np.linspace(0, len(conc) - 1, min(points, len(conc) - 1) + 1).round().astype(int))
    m = max(n, 1)
    curve = [[float(i / m), float(conc[i])] for i in idx]
    k = math.ceil(top_share * n - 1e-9)  # 0 without customers
    top_value_share = float(conc[k]) if n and total > 0 else 0.0
    all_total = float(v.sum())
    class_rows = []
    for c in ("A", "B", "C"):
        mask = np.asarray(classes) == c
        val = float(v[mask].sum())
        class_rows.append({
            "class": c,
            "customers": int(mask.sum()),
            "customer_share": float(mask.sum() / n) if n else 0.0,
            "value": val,
            "value_share": val / all_total if all_total else 0.0,
        })
    a, b = options.cutoffs()
    return {
        "basis": options.basis,
        "value_measure": options.measure,
        "thresholds": {"A": a, "B": b},
        "gini": gini,
        "lorenz": curve,
        "classes": class_rows,
        "top_share": top_share,
        "top_value_share": top_value_share,
    }
