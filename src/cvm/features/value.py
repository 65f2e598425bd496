"""Composite customer value (综合价值) from five indicators, and the four value quadrants.

The composite value model of the CRM lecture notes ("客户综合价值模型"; applied in the K tutoring company's case)::

    综合价值 = w1·current contribution + w2·future contribution + w3·credit + w4·loyalty
              + w5·growth potential

Each indicator is defined from data and scaled 0–10 (:func:`indicator_scores`):

- **current contribution** (当前贡献度): margin in the last period where margin or cost is known,
  else spend in the last period (``margin_last_period`` / ``spend_last_period``);
- **future contribution** (未来贡献度): ``potential_value`` where that column exists (the CLV
  stage), else ``clv``, else a trend proxy — the customer's average spend per observed period,
  times ``1 + spend_change`` (clipped to 0…2), times ``max(0, 1 − recency_days / churn_days)``;
- **credit** (信用度): from ``credit_score`` (higher is better, scaled like the others),
  ``late_payments`` (``10 / (1 + n)``), ``defaults`` (0 with any default, else 10) and
  ``credit_limit_use`` (``10 · (1 − use)``) — the mean of those a customer has (a customer
  with none of them gets the neutral score, default 5); without any credit data at all every
  customer is neutral and the report says so. The fields come from the customer list
  (``cvm.schema.CREDIT_FIELDS``: 信用分, 逾期次数, 违约次数, 额度使用率 …);
- **loyalty** (忠诚度): ``10 · (½ · active_period_share + ½ · min(1, tenure_days /
  loyalty_tenure_days))`` — purchase regularity and tenure;
- **growth potential** (成长潜力): ``5 · (1 + spend_change)`` with the change clipped to −100 … +100 %
  (5 when there is no earlier period to compare); where transactions name a ``category``
  (``categories_bought`` and ``categories_total``), averaged with the room left to buy other
  categories,
  ``10 · (1 − categories_bought / categories_total)``.

Amounts (current, future, credit score) are scaled linearly: 0 at or below zero, 10 at or above
the ``cap_quantile`` (default 95th percentile, numpy's linear interpolation) of the buying
customers' values, so one outlier does not squash everyone else.

**Churned customers** (lifecycle phase churned) are judged by the value they had and could have
again, not by a present that is zero by definition: their current contribution is what they
brought per period while active, ``total · period_days / max(period_days, span)`` (margin or
spend, as for the others; ``span`` = days from the first purchase to the end of the last
purchase's period), their future contribution ``value_if_returned`` = the same rate over the CLV
horizon (or one period for the trend proxy), ``historical value · horizon / max(horizon,
span)``, and their growth potential is neutral (5, plus the category room): the fall that made
them churned says nothing about what they would buy on return.

**Prospects** (no purchase yet) are scored from what is known of them: their credit from their
own fields, the four behavioural indicators as the mean of the buyers who look like them (same
``lookalike_fields`` of the customer list, default city and gender; all buyers when fewer than
``lookalike_min`` do).

Scores (0–100): ``composite_value = 10 · Σ w_i · s_i`` with the weights normalised to sum to 1;
``current_value_score`` uses current contribution, credit and loyalty with their weights
renormalised, ``potential_value_score`` future contribution and growth potential likewise.
With ``score_scale = "share"`` (default) those two points are put on one scale across data sets:
a score ``s`` means ``s`` % of the buying customers have at most the customer's points
(``100 · #{buyers with points ≤ x} / #buyers``, read off up to 10,001 quantiles of the buyers'
points), so "above 70" always means the top 30 % of buyers on that part of value.
``composite_value`` stays in points.
``value_quadrant``: ``HH``, ``HL``, ``LH``, ``LL`` — current then potential, high when the score is
above the threshold (default 70, the K institution's rule "得分超过 70 分为高": above 70 is high,
70 itself is low; ``threshold_inclusive`` counts 70 as high), or at or above a quantile of the
buyers' scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ..config import LifecycleOptions, ValueOptions
from ..schema import CREDIT_FIELDS
from .weights import ahp_weights, entropy_weights, normalise_weights

__all__ = ["INDICATORS", "QUADRANTS", "SCORE_COLUMNS", "indicator_scores", "value_weights",
           "composite_value", "scale_amount", "amount_cap", "scale_to_cap", "ValueScales",
           "value_scales", "apply_value_scales", "value_summary", "is_high", "share_scale",
           "lookalike_means", "summary_from_counts"]

#: The five indicators, in the order of the weights.
INDICATORS = ("current_contribution", "future_contribution", "credit", "loyalty",
              "growth_potential")
CURRENT_PART = ("current_contribution", "credit", "loyalty")
POTENTIAL_PART = ("future_contribution", "growth_potential")

#: Value quadrants: current then potential, H high / L low.
QUADRANTS = ("HH", "HL", "LH", "LL")

#: Columns added to the customer table, with their meaning.
SCORE_COLUMNS = {
    **{f"score_{name}": f"{name.replace('_', ' ')} indicator, 0-10" for name in INDICATORS},
    "composite_value": "composite customer value 0-100 (weighted indicators)",
    "current_value_score": "current value 0-100 (current contribution, credit, loyalty)",
    "potential_value_score": "potential value 0-100 (future contribution, growth potential)",
    "value_quadrant": "HH, HL, LH or LL: current then potential value, high or low",
    "value_if_returned": "value over the CLV horizon at the customer's rate while active "
                         "(what a churned customer could bring again)",
}

#: Points per share-scale reference (quantiles of the buyers' points kept in the state).
_REFERENCE_POINTS = 10_001

_CREDIT_COLUMNS = CREDIT_FIELDS


def scale_amount(values: np.ndarray, reference: np.ndarray, cap_quantile: float) -> np.ndarray:
    """0 at or below zero, 10 at or above the ``cap_quantile`` quantile of ``reference``,
    linear between; when that quantile is not positive, the largest positive value is the cap.

    >>> scale_amount(np.array([0.0, 5.0, 10.0, 50.0]), np.array([0.0, 5.0, 10.0, 50.0]), 1.0)
    array([ 0.,  1.,  2., 10.])
    """
    return scale_to_cap(values, amount_cap(reference, cap_quantile))


def amount_cap(reference: np.ndarray, cap_quantile: float) -> float:
    """The amount that scores 10: the ``cap_quantile`` quantile of ``reference``, or its largest
    positive value when that quantile is not positive (0: nothing to scale by)."""
    ref = reference[np.isfinite(reference)]
    cap = float(np.quantile(ref, cap_quantile)) if len(ref) else 0.0
    if cap <= 0:
        positive = ref[ref > 0]
        cap = float(positive.max()) if len(positive) else 0.0
    return cap


def scale_to_cap(values: np.ndarray, cap: float) -> np.ndarray:
    """0 at or below zero, 10 at or above ``cap``, linear between (all 0 when ``cap`` is not
    positive; all NaN when it is NaN, not known yet)."""
    v = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0)
    if np.isnan(cap):
        return np.full_like(v, np.nan)
    if cap <= 0:
        return np.zeros_like(v)
    return np.clip(v / cap, 0.0, 1.0) * 10.0


def _column(table: pa.Table, name: str, fill: float = np.nan) -> np.ndarray:
    if name not in table.column_names:
        return np.full(table.num_rows, fill)
    column = table.column(name).cast(pa.float64())
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=float)


def _has_values(table: pa.Table, name: str) -> bool:
    return name in table.column_names and table.column(name).null_count < table.num_rows


def indicator_scores(customers: pa.Table, options: ValueOptions | None = None,
                     lifecycle: LifecycleOptions | None = None,
                     buyers: np.ndarray | None = None, *,
                     scales: ValueScales | None = None) -> tuple[dict[str, np.ndarray], dict]:
    """The five indicators (0–10) per row, and notes on which data each was taken from.

    ``customers`` needs ``recency_days``, ``tenure_days`` and the lifecycle trend columns
    (:data:`cvm.features.lifecycle.TREND_COLUMNS`); ``buyers`` marks the rows with purchases
    (default: all), the reference for scaling. With ``scales`` (:func:`value_scales`), the data
    sources and caps are the fitted ones and each row's scores depend on that row alone."""
    scores, notes, _, _ = _indicators(customers, options, lifecycle, buyers, scales)
    return scores, notes


def _indicators(customers: pa.Table, options: ValueOptions | None,
                lifecycle: LifecycleOptions | None, buyers: np.ndarray | None,
                scales: ValueScales | None, horizon_days: float = 365.0,
                raw: dict | None = None
                ) -> tuple[dict[str, np.ndarray], dict, dict, np.ndarray]:
    """Scores, notes, the caps used and ``value_if_returned``. With ``raw`` (a dict), each
    scaled amount before scaling is put there under its cap's name, as the cap reads it; with
    ``scales`` that lack a cap, that amount's scores are NaN."""
    o = options or ValueOptions()
    lc = lifecycle or LifecycleOptions()
    n = customers.num_rows
    ref = np.ones(n, dtype=bool) if buyers is None else np.asarray(buyers, dtype=bool)
    caps: dict[str, float] = {}

    def has(name: str) -> bool:
        if scales is not None:
            return name in scales.present
        return _has_values(customers, name)
    missing = [c for c in ("spend_last_period", "spend_previous_avg", "spend_change",
                           "previous_periods", "active_period_share", "recency_days",
                           "tenure_days")
               if c not in customers.column_names]
    if missing:
        raise ValueError("composite value needs the lifecycle trend columns; missing "
                         + ", ".join(missing))
    notes: dict[str, str] = {}

    def scaled(x: np.ndarray, name: str, known_only: bool = False) -> np.ndarray:
        """``x`` from 0 to 10 against the buyers' cap; ``known_only``: unknown values (NaN)
        are left out of the cap, otherwise they count as 0."""
        if raw is not None:
            raw[name] = x if known_only else np.nan_to_num(x, nan=0.0)
        if scales is not None:
            caps[name] = scales.caps.get(name, np.nan)
        else:
            reference = x[ref] if known_only else np.nan_to_num(x[ref], nan=0.0)
            caps[name] = amount_cap(reference, o.cap_quantile)
        return scale_to_cap(x, caps[name])

    # current contribution
    if has("margin_last_period"):
        current = np.nan_to_num(_column(customers, "margin_last_period"), nan=0.0)
        notes["current_contribution"] = "margin_last_period"
    else:
        current = np.nan_to_num(_column(customers, "spend_last_period"), nan=0.0)
        notes["current_contribution"] = "spend_last_period"
    # future contribution
    spend_last = np.nan_to_num(_column(customers, "spend_last_period"), nan=0.0)
    prev_avg = _column(customers, "spend_previous_avg")
    change = _column(customers, "spend_change")
    for source in ("potential_value", "clv"):
        if has(source):
            future = np.nan_to_num(_column(customers, source), nan=0.0)
            notes["future_contribution"] = source
            break
    else:
        previous = np.nan_to_num(_column(customers, "previous_periods", 0.0), nan=0.0)
        # average spend per observed period: the last one and the earlier ones
        per_period = (spend_last + np.nan_to_num(prev_avg, nan=0.0) * previous) / (previous + 1)
        momentum = np.clip(1.0 + np.nan_to_num(change, nan=0.0), 0.0, 2.0)
        recency = _column(customers, "recency_days")
        alive = np.clip(1.0 - np.nan_to_num(recency, nan=np.inf) / lc.churn_days, 0.0, 1.0)
        future = per_period * momentum * alive
        notes["future_contribution"] = "trend proxy"
    # credit: the mean of the credit figures a customer has; neutral for a customer with none
    parts = []
    if has("credit_score"):
        score = _column(customers, "credit_score")
        # capped at a quantile of the buyers' known scores: a customer without one is no 0
        parts.append(np.where(np.isnan(score), np.nan,
                              scaled(score, "credit_score", known_only=True)))
    if has("late_payments"):
        late = np.clip(_column(customers, "late_payments"), 0, None)
        parts.append(10.0 / (1.0 + late))
    if has("defaults"):
        defaults = _column(customers, "defaults")
        parts.append(np.where(np.isnan(defaults), np.nan, np.where(defaults > 0, 0.0, 10.0)))
    if has("credit_limit_use"):
        use = _column(customers, "credit_limit_use")
        parts.append(np.where(np.isnan(use), np.nan, 10.0 * (1.0 - np.clip(use, 0, 1))))
    if parts:
        stacked = np.vstack(parts)
        known = ~np.isnan(stacked)
        sums = np.where(known, stacked, 0.0).sum(axis=0)
        counts = known.sum(axis=0)
        credit = np.where(counts > 0, sums / np.maximum(counts, 1), float(o.neutral_credit))
        notes["credit"] = ", ".join(c for c in _CREDIT_COLUMNS if has(c))
    else:
        credit = np.full(n, float(o.neutral_credit))
        notes["credit"] = "neutral (no credit data)"
    # loyalty
    share = np.nan_to_num(_column(customers, "active_period_share"), nan=0.0)
    tenure = np.nan_to_num(_column(customers, "tenure_days"), nan=0.0)
    loyalty = 10.0 * (0.5 * share + 0.5 * np.clip(tenure / o.loyalty_tenure_days, 0.0, 1.0))
    notes["loyalty"] = "active_period_share, tenure_days"
    # growth potential
    trend_part = np.where(np.isnan(change), 5.0, 5.0 * (1.0 + np.clip(change, -1.0, 1.0)))
    if has("categories_bought") and has("categories_total"):
        bought = np.nan_to_num(_column(customers, "categories_bought"), nan=0.0)
        total = np.nan_to_num(_column(customers, "categories_total"), nan=0.0)
        room = np.where(total > 0, 10.0 * (1.0 - np.clip(bought / np.where(total > 0, total, 1),
                                                        0, 1)), 5.0)
        growth = 0.5 * trend_part + 0.5 * room
        notes["growth_potential"] = "spend_change, category breadth"
    else:
        growth = trend_part
        notes["growth_potential"] = "spend_change"
    # churned customers: the value they had and could have again
    churned = _churned(customers)
    span = (np.maximum(np.nan_to_num(tenure - _column(customers, "recency_days"), nan=0.0), 0.0)
            + lc.period_days)
    margin_basis = notes["current_contribution"] == "margin_last_period"
    had = np.nan_to_num(_column(customers, "margin_total" if margin_basis
                                and "margin_total" in customers.column_names
                                else "monetary_total"), nan=0.0)
    current = np.where(churned, had * lc.period_days / np.maximum(span, lc.period_days), current)
    if notes["future_contribution"] == "trend proxy":
        rate_days, past = float(lc.period_days), had
    else:
        horizon = scales.horizon_days if scales is not None else float(horizon_days)
        rate_days = horizon
        past = (np.nan_to_num(_column(customers, "historical_value"), nan=0.0)
                if has("historical_value") else had)
    if_returned = past * rate_days / np.maximum(span, rate_days)
    future = np.where(churned, if_returned, future)
    growth = np.where(churned, growth - 0.5 * trend_part + 2.5
                      if notes["growth_potential"] != "spend_change" else 5.0, growth)
    scores = {
        "current_contribution": scaled(current, "current_contribution"),
        "future_contribution": scaled(future, "future_contribution"),
        "credit": np.clip(credit, 0.0, 10.0),
        "loyalty": loyalty,
        "growth_potential": growth,
    }
    if_returned = np.where(_bought(customers), if_returned, np.nan)
    return scores, notes, caps, if_returned


#: the lifecycle stages of the churned phase in both schemes (``cvm.features.lifecycle.PHASES``,
#: not imported here: the lifecycle module reads the settings, which read this package)
CHURNED_STAGES = frozenset({"churned", "departure"})


def _churned(customers: pa.Table | pa.RecordBatch) -> np.ndarray:
    """Rows whose lifecycle stage is in the churned phase (none without the column)."""
    if "lifecycle_stage" not in customers.column_names:
        return np.zeros(customers.num_rows, dtype=bool)
    return np.array([s in CHURNED_STAGES for s in customers.column("lifecycle_stage")
                     .to_pylist()], dtype=bool)


def _bought(customers: pa.Table | pa.RecordBatch) -> np.ndarray:
    """Rows with purchases (all without ``first_purchase``)."""
    if "first_purchase" not in customers.column_names:
        return np.ones(customers.num_rows, dtype=bool)
    return np.asarray(customers.column("first_purchase").is_valid().to_pylist(), dtype=bool)


_BEHAVIOUR = ("current_contribution", "future_contribution", "loyalty", "growth_potential")


def _lookalike_key(customers, fields: tuple[str, ...]) -> list[tuple]:
    values = [customers.column(f).cast(pa.string()).to_pylist() for f in fields]
    return list(zip(*values)) if values else [()] * customers.num_rows


def lookalike_means(customers: pa.Table, scores: dict[str, np.ndarray], buyers: np.ndarray,
                    options: ValueOptions) -> dict:
    """The mean behavioural indicators of the buyers per look-alike group (the
    ``lookalike_fields`` present), with the mean of all buyers under ``None``."""
    fields = tuple(f for f in options.lookalike_fields if _has_values(customers, f))
    keys = _lookalike_key(customers, fields)
    groups: dict = {}
    if buyers.any():
        groups[None] = tuple(float(scores[k][buyers].mean()) for k in _BEHAVIOUR)
    index: dict[tuple, list[int]] = {}
    for i, (key, b) in enumerate(zip(keys, buyers)):
        if b:
            index.setdefault(key, []).append(i)
    for key, rows in index.items():
        if len(rows) >= options.lookalike_min:
            groups[key] = tuple(float(scores[k][rows].mean()) for k in _BEHAVIOUR)
    return {"fields": fields, "groups": groups}


def _with_lookalikes(customers, scores: dict[str, np.ndarray], lookalike: dict
                     ) -> dict[str, np.ndarray]:
    """Prospects' behavioural indicators replaced by their look-alike group's means."""
    prospects = ~_bought(customers)
    if not prospects.any() or None not in lookalike["groups"]:
        return scores
    groups = lookalike["groups"]
    fields = tuple(f for f in lookalike["fields"] if f in customers.column_names)
    keys = _lookalike_key(customers, fields) if fields == lookalike["fields"] else None
    out = {k: v.copy() for k, v in scores.items()}
    for i in np.flatnonzero(prospects):
        means = groups.get(keys[i], groups[None]) if keys is not None else groups[None]
        for k, m in zip(_BEHAVIOUR, means):
            out[k][i] = m
    return out


def _reference(points: np.ndarray) -> np.ndarray:
    """The buyers' points, sorted, or up to :data:`_REFERENCE_POINTS` quantiles of them."""
    points = np.sort(points[np.isfinite(points)])
    if len(points) > _REFERENCE_POINTS:
        points = np.quantile(points, np.linspace(0.0, 1.0, _REFERENCE_POINTS))
    return points


def share_scale(points: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``100 · #{reference ≤ x} / #reference`` per value ``x``: the share of the buyers (in %)
    whose points are at most ``x``.

    >>> share_scale(np.array([0.0, 2.0, 5.0]), np.array([1.0, 2.0, 3.0, 4.0]))
    array([  0.,  50., 100.])
    """
    if not len(reference):
        return np.asarray(points, dtype=float)
    # compared rounded to 1e-9: points summed in another order differ in their last bits, and
    # a tie with the reference must not count on one run and not on the next
    reference = np.round(np.asarray(reference, dtype=float), 9)
    points = np.round(np.asarray(points, dtype=float), 9)
    return 100.0 * np.searchsorted(reference, points, side="right") / len(reference)


def value_weights(scores: dict[str, np.ndarray], options: ValueOptions | None = None,
                  buyers: np.ndarray | None = None) -> tuple[tuple[float, ...], dict]:
    """The five weights by the configured method, and a description for the run summary."""
    o = options or ValueOptions()
    if o.weight_method == "ahp":
        result = ahp_weights(o.ahp_matrix, max_cr=o.ahp_max_cr, names=list(INDICATORS))
        return result.weights, result.as_dict()
    if o.weight_method == "entropy":
        n = len(next(iter(scores.values())))
        ref = np.ones(n, dtype=bool) if buyers is None else np.asarray(buyers, dtype=bool)
        matrix = np.column_stack([scores[k][ref] for k in INDICATORS])
        result = entropy_weights(matrix)
        return result.weights, result.as_dict()
    weights = normalise_weights(o.weights, len(INDICATORS))
    return weights, {"method": "given", "weights": list(weights)}


def _part(scores: dict[str, np.ndarray], weights: dict[str, float], names) -> np.ndarray:
    total = sum(weights[k] for k in names)
    w = {k: (weights[k] / total if total > 0 else 1.0 / len(names)) for k in names}
    return 10.0 * sum(w[k] * scores[k] for k in names)


def is_high(scores: np.ndarray, threshold: float, options: ValueOptions) -> np.ndarray:
    """Which scores are high. A fixed threshold follows the K institution's rule, "得分超过 70
    分为高" (a score *above* 70 is high, 70 itself is low), unless ``threshold_inclusive``; a
    quantile threshold is met at or above it (the top share, ties included). The 1e-9 keeps
    scores computed as 70.000000001 or 69.99999999 from round-off on the side they mean."""
    if options.threshold_method == "fixed" and not options.threshold_inclusive:
        return scores > threshold + 1e-9
    return scores >= threshold - 1e-9


@dataclass(frozen=True)
class ValueScales:
    """The composite value's global state, fitted on every customer: which columns hold data
    (``present``: they decide each indicator's source), the caps of the scaled amounts, the
    weights and the quadrant thresholds. Given these, a customer's scores depend on its own row
    only (:func:`apply_value_scales`)."""

    options: ValueOptions
    lifecycle: LifecycleOptions
    present: frozenset[str]
    caps: dict[str, float]
    weights: tuple[float, ...]
    method: dict
    notes: dict[str, str]
    threshold_current: float
    threshold_potential: float
    #: the CLV horizon (days) of a churned customer's ``value_if_returned``
    horizon_days: float = 365.0
    #: prospects' look-alike groups (:func:`lookalike_means`)
    lookalike: dict | None = None
    #: the buyers' current and potential points, sorted (the share scale's reference)
    reference_current: np.ndarray | None = None
    reference_potential: np.ndarray | None = None


_OPTIONAL = ("margin_last_period", "potential_value", "clv", "historical_value",
             *_CREDIT_COLUMNS, "categories_bought", "categories_total")


def value_scales(customers: pa.Table, options: ValueOptions | None = None,
                 lifecycle: LifecycleOptions | None = None,
                 buyers: np.ndarray | None = None, *, horizon_days: float = 365.0
                 ) -> ValueScales:
    """Fit :class:`ValueScales` on ``customers``; ``buyers`` marks the reference rows (default:
    all); ``horizon_days`` is the CLV horizon of ``value_if_returned``."""
    o = options or ValueOptions()
    lc = lifecycle or LifecycleOptions()
    ref = (np.ones(customers.num_rows, dtype=bool) if buyers is None
           else np.asarray(buyers, dtype=bool))
    scores, notes, caps, _ = _indicators(customers, o, lc, ref, None, horizon_days)
    lookalike = lookalike_means(customers, scores, ref & _bought(customers), o)
    scores = _with_lookalikes(customers, scores, lookalike)
    weights, method = value_weights(scores, o, ref)
    w = dict(zip(INDICATORS, weights))
    current = _part(scores, w, CURRENT_PART)
    potential = _part(scores, w, POTENTIAL_PART)
    ref_current = ref_potential = None
    if o.score_scale == "share" and ref.any():
        ref_current, ref_potential = _reference(current[ref]), _reference(potential[ref])
        current = share_scale(current, ref_current)
        potential = share_scale(potential, ref_potential)
    if o.threshold_method == "quantile" and ref.any():
        t_current = float(np.quantile(current[ref], o.threshold_quantile))
        t_potential = float(np.quantile(potential[ref], o.threshold_quantile))
    else:
        t_current = t_potential = float(o.threshold)
    present = frozenset(c for c in _OPTIONAL if _has_values(customers, c))
    return ValueScales(o, lc, present, caps, tuple(weights), method, notes, t_current,
                       t_potential, float(horizon_days), lookalike, ref_current, ref_potential)


def value_points(customers: pa.Table | pa.RecordBatch, scales: ValueScales
                 ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """Each row's indicator scores (prospects' behavioural ones from their look-alikes), its
    current and potential points before the share scale, and ``value_if_returned``."""
    scores, _, _, if_returned = _indicators(customers, scales.options, scales.lifecycle, None,
                                            scales)
    if scales.lookalike is not None:
        scores = _with_lookalikes(customers, scores, scales.lookalike)
    w = dict(zip(INDICATORS, scales.weights))
    return (scores, _part(scores, w, CURRENT_PART), _part(scores, w, POTENTIAL_PART),
            if_returned)


def apply_value_scales(customers: pa.Table | pa.RecordBatch, scales: ValueScales
                       ) -> dict[str, pa.Array]:
    """The score columns (:data:`SCORE_COLUMNS`) of each row, row by row."""
    scores, current, potential, if_returned = value_points(customers, scales)
    w = dict(zip(INDICATORS, scales.weights))
    composite = 10.0 * sum(w[k] * scores[k] for k in INDICATORS)
    if scales.reference_current is not None:
        current = share_scale(current, scales.reference_current)
        potential = share_scale(potential, scales.reference_potential)
    high_c = is_high(current, scales.threshold_current, scales.options)
    high_p = is_high(potential, scales.threshold_potential, scales.options)
    quadrant = np.where(high_c, np.where(high_p, "HH", "HL"), np.where(high_p, "LH", "LL"))
    columns = {f"score_{k}": pa.array(scores[k], type=pa.float64()) for k in INDICATORS}
    columns["composite_value"] = pa.array(composite, type=pa.float64())
    columns["current_value_score"] = pa.array(current, type=pa.float64())
    columns["potential_value_score"] = pa.array(potential, type=pa.float64())
    columns["value_quadrant"] = pa.array(quadrant.tolist(), type=pa.string())
    columns["value_if_returned"] = pa.array(if_returned, type=pa.float64(),
                                            from_pandas=True)
    return columns


def value_summary(scales: ValueScales, quadrants: np.ndarray, buyers: np.ndarray) -> dict:
    """The run-summary figures: weights, method, data used per indicator, thresholds and the
    buyers per quadrant."""
    return summary_from_counts(scales, {q: int((quadrants[buyers] == q).sum())
                                        for q in QUADRANTS})


def summary_from_counts(scales: ValueScales, counts: dict[str, int]) -> dict:
    """:func:`value_summary` from the buyers per quadrant (a grouping on an engine)."""
    return {
        **scales.method,
        "indicators": list(INDICATORS),
        "sources": scales.notes,
        "credit_available": not scales.notes["credit"].startswith("neutral"),
        "threshold_method": scales.options.threshold_method,
        "threshold_current": scales.threshold_current,
        "threshold_potential": scales.threshold_potential,
        "score_scale": scales.options.score_scale,
        "lookalike_fields": list(scales.lookalike["fields"]) if scales.lookalike else [],
        "quadrants": {q: int(counts.get(q, 0)) for q in QUADRANTS},
    }


def composite_value(customers: pa.Table, options: ValueOptions | None = None,
                    lifecycle: LifecycleOptions | None = None,
                    buyers: np.ndarray | None = None) -> tuple[pa.Table, dict]:
    """Add the indicator scores, ``composite_value``, ``current_value_score``,
    ``potential_value_score`` and ``value_quadrant``; return the table and a summary (weights,
    method, data used per indicator, thresholds). :func:`value_scales`, then
    :func:`apply_value_scales`, in one call."""
    ref = (np.ones(customers.num_rows, dtype=bool) if buyers is None
           else np.asarray(buyers, dtype=bool))
    scales = value_scales(customers, options, lifecycle, ref)
    columns = apply_value_scales(customers, scales)
    out = customers
    for name, values in columns.items():
        out = out.append_column(name, values)
    quadrants = np.asarray(columns["value_quadrant"].to_pylist(), dtype=object)
    return out, value_summary(scales, quadrants, ref)
