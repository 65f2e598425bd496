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

__all__ = ["abc_classes", "pareto_summary", "pareto_from_table", "ranking_value"]


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
    v = np.asarray(values, dtype=float)
    v = np.nan_to_num(v, nan=0.0)
    n = len(v)
    desc = np.sort(v)[::-1]
    pos = np.clip(desc, 0, None)
    total = pos.sum()
    gini, conc = 0.0, None
    if n and total > 0:
        asc = pos[::-1]
        lorenz = np.concatenate([[0.0], np.cumsum(asc) / total])
        area = np.trapezoid(lorenz, dx=1.0 / n)
        gini = float(1 - 2 * area)
        conc = np.concatenate([[0.0], np.cumsum(pos) / total])
    class_rows = []
    for c in ("A", "B", "C"):
        mask = np.asarray(classes) == c
        class_rows.append((c, int(mask.sum()), float(v[mask].sum())))
    return _summary(n, gini, conc, class_rows, float(v.sum()), options, top_share, points)


def _curve_points(n: int, top_share: float, points: int) -> tuple[np.ndarray, int]:
    """The positions (customers from the top, 0 … n) the concentration curve is drawn at, and
    the position of the top-share figure."""
    idx = np.unique(np.linspace(0, n, min(points, n) + 1).round().astype(int)) if n \
        else np.array([0, 1])
    return idx, math.ceil(top_share * n - 1e-9)  # 0 without customers


def _summary(n: int, gini: float, conc, class_rows: list[tuple[str, int, float]],
             all_total: float, options: ABCOptions | None, top_share: float, points: int
             ) -> dict:
    """The summary from its parts: ``conc`` maps a position from the top to the share of the
    positive value the customers above it bring (None when there is none)."""
    options = options or ABCOptions()
    idx, k = _curve_points(n, top_share, points)
    if conc is None:  # no positive value: the diagonal
        diagonal = np.linspace(0, 1, n + 1) if n else np.array([0.0, 1.0])
        shares = {int(i): float(diagonal[i]) for i in idx}
    else:
        shares = {int(i): float(conc[i]) for i in (*idx, k)}
    m = max(n, 1)
    curve = [[float(i / m), shares[int(i)]] for i in idx]
    top_value_share = shares[k] if conc is not None else 0.0
    rows = [{"class": c, "customers": count,
             "customer_share": float(count / n) if n else 0.0,
             "value": val, "value_share": val / all_total if all_total else 0.0}
            for c, count, val in class_rows]
    a, b = options.cutoffs()
    return {
        "basis": options.basis,
        "value_measure": options.measure,
        "thresholds": {"A": a, "B": b},
        "gini": gini,
        "lorenz": curve,
        "classes": rows,
        "top_share": top_share,
        "top_value_share": top_value_share,
    }


def pareto_from_table(table: ir.Table, value_column: str, run, options: ABCOptions | None = None,
                      *, top_share: float = 0.2, points: int = 200) -> dict:
    """:func:`pareto_summary` from a per-customer table on an engine (with ``abc_class``), by
    aggregates alone: ``run`` turns an expression into an Arrow table; what it returns is one
    row of totals, one per class and one per point of the curve.

    With the positive values in descending order ``a_1 ≥ … ≥ a_n`` (total ``S``), the area under
    the Lorenz curve by the trapezoid rule is ``(Σ_r r·a_r − S/2) / (n·S)``: the ascending
    partial sums ``S_i`` add up to ``Σ_r r·a_r``, as the value of rank ``r`` from the top is in
    ``r`` of them."""
    v = table[value_column].fill_null(0.0).cast("float64")
    pos = ibis.greatest(v, 0.0)
    ranked = table.mutate(_v=v, _pos=pos, _rank=ibis.row_number().over(order_by=ibis.desc(pos)),
                          _cum=pos.sum().over(ibis.cumulative_window(order_by=ibis.desc(pos))))
    totals = run(ranked.aggregate(n=ranked.count(), total=ranked._pos.sum(),
                                  all_total=ranked._v.sum(),
                                  weighted=((ranked._rank + 1) * ranked._pos).sum())).to_pylist()[0]
    n, total = int(totals["n"]), float(totals["total"] or 0.0)
    classes = {r["abc_class"]: r for r in run(ranked.group_by("abc_class").aggregate(
        customers=ranked.count(), value=ranked._v.sum())).to_pylist()}
    class_rows = [(c, int(classes[c]["customers"]) if c in classes else 0,
                   float(classes[c]["value"]) if c in classes else 0.0) for c in ("A", "B", "C")]
    gini, conc = 0.0, None
    if n and total > 0:
        gini = float(1 - 2 * (float(totals["weighted"]) - total / 2) / (n * total))
        idx, k = _curve_points(n, top_share, points)
        wanted = sorted({int(i) for i in (*idx, k)} - {0})
        at = run(ranked.filter((ranked._rank + 1).isin(wanted))
                 .select(position=ranked._rank + 1, cum=ranked._cum)).to_pylist()
        conc = {0: 0.0, **{int(r["position"]): float(r["cum"]) / total for r in at}}
    return _summary(n, gini, conc, class_rows, float(totals["all_total"] or 0.0), options,
                    top_share, points)
