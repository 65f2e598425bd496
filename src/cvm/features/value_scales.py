"""The composite value's scales fitted on the engine, from aggregates and a few order statistics.

:func:`cvm.features.value.value_scales` fits the scales on every customer's row in this
process. :func:`value_scales_on_engine` fits the same :class:`~cvm.features.value.ValueScales`
with the customer rows left on the engine (Spark's executors, or DuckDB streaming batches), in
three passes of the row-by-row scoring there (:meth:`cvm.engine.Engine.map_batches`), each
followed by queries whose results are small:

1. the amounts before scaling (current and future contribution, credit score) → each cap, the
   ``cap_quantile`` quantile of the buyers' amounts, from the two order statistics around it
   (:mod:`cvm.features.order_statistics`), or the largest positive amount;
2. the five indicator scores with those caps → the look-alike means (one grouping of the buyers
   by the look-alike fields) and, for the entropy method, the weights: per indicator the total
   ``T`` and ``Σ p ln p`` with ``p = x / T`` over the buyers (Shannon entropy,
   ``e = −Σ p ln p / ln m``; :func:`cvm.features.weights.entropy_weights`);
3. the current and potential points with those weights → the share scale's reference (the
   buyers' points, or 10,001 quantiles of them) and the quantile thresholds.

Every figure equals the one fitted in this process up to the order of floating-point sums
(caps, references and thresholds exactly: they are order statistics interpolated as numpy does).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Callable

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa

from ..config import LifecycleOptions, ValueOptions
from .order_statistics import linear_quantiles, ranked_values
from .value import (
    _BEHAVIOUR,
    _OPTIONAL,
    _REFERENCE_POINTS,
    INDICATORS,
    ValueScales,
    _bought,
    _indicators,
    _lookalike_key,
    share_scale,
    value_points,
    value_weights,
)
from .weights import WeightsError, weights_from_entropy

__all__ = ["value_scales_on_engine"]

_FLOAT = pa.float64()


def _prepared(prepare, batch: pa.RecordBatch) -> pa.Table:
    table = pa.Table.from_batches([batch])
    return prepare(table) if prepare is not None else table


def _floats(values: np.ndarray) -> pa.Array:
    """A float column with NaN as null (what the engine's filters and sorts leave out)."""
    return pa.array(np.asarray(values, dtype=float), type=_FLOAT, from_pandas=True)


def _raw_amounts(prepare, scales: ValueScales, names: tuple[str, ...], batch: pa.RecordBatch
                 ) -> pa.RecordBatch:
    table = _prepared(prepare, batch)
    raw: dict = {}
    _indicators(table, scales.options, scales.lifecycle, None, scales, scales.horizon_days, raw)
    columns = {"_buyer": pa.array(_bought(table), type=pa.bool_())}
    columns.update({name: _floats(raw[name]) for name in names})
    return pa.RecordBatch.from_pydict(columns)


def _scores(prepare, scales: ValueScales, fields: tuple[str, ...], batch: pa.RecordBatch
            ) -> pa.RecordBatch:
    table = _prepared(prepare, batch)
    scores, _, _, _ = _indicators(table, scales.options, scales.lifecycle, None, scales,
                                  scales.horizon_days)
    columns = {"_buyer": pa.array(_bought(table), type=pa.bool_())}
    columns.update({k: _floats(scores[k]) for k in INDICATORS})
    columns.update({f"_key_{i}": table.column(f).combine_chunks() for i, f in enumerate(fields)})
    return pa.RecordBatch.from_pydict(columns)


def _points(prepare, scales: ValueScales, batch: pa.RecordBatch) -> pa.RecordBatch:
    table = _prepared(prepare, batch)
    _, current, potential, _ = value_points(table, scales)
    return pa.RecordBatch.from_pydict({"_buyer": pa.array(_bought(table), type=pa.bool_()),
                                       "current": _floats(current),
                                       "potential": _floats(potential)})


def _cap(run, buyers: ir.Table, name: str, cap_quantile: float) -> float:
    """:func:`cvm.features.value.amount_cap` of the buyers' column ``name`` on the engine."""
    found = run(buyers.aggregate(n=buyers[name].count(),
                                 top=buyers[name].max(where=buyers[name] > 0))).to_pylist()[0]
    n = int(found["n"])
    cap = 0.0
    if n:
        cap = float(linear_quantiles(n, [cap_quantile],
                                     lambda r: ranked_values(run, buyers, name, r))[0])
    if cap <= 0:
        cap = float(found["top"]) if found["top"] is not None else 0.0
    return cap


def _lookalike(run, scores: ir.Table, fields: tuple[str, ...], n_buyers: int,
               options: ValueOptions) -> dict:
    """:func:`cvm.features.value.lookalike_means` from groupings of the buyers' scores."""
    buyers = scores.filter(scores._buyer)
    means = {k: buyers[k].mean() for k in _BEHAVIOUR}
    groups: dict = {}
    if n_buyers:
        overall = run(buyers.aggregate(**means)).to_pylist()[0]
        groups[None] = tuple(float(overall[k]) for k in _BEHAVIOUR)
    keys = [f"_key_{i}" for i in range(len(fields))]
    if keys:
        found = run(buyers.group_by(keys).aggregate(_n=buyers.count(), **means))
        named = pa.table({f: found.column(k) for f, k in zip(fields, keys)})
        for key, row in zip(_lookalike_key(named, fields), found.to_pylist()):
            if row["_n"] >= options.lookalike_min:
                groups[key] = tuple(float(row[k]) for k in _BEHAVIOUR)
    elif n_buyers >= options.lookalike_min:
        groups[()] = groups[None]
    return {"fields": fields, "groups": groups}


def _entropy(run, scores: ir.Table, n_buyers: int) -> tuple[tuple[float, ...], dict]:
    """:func:`cvm.features.weights.entropy_weights` of the buyers' five scores on the engine."""
    if n_buyers < 2:
        raise WeightsError("the entropy method needs at least two customers")
    buyers = scores.filter(scores._buyer)
    checks = run(buyers.aggregate(
        **{f"_bad_{k}": (buyers[k].isnull() | (buyers[k] < 0)).cast("int64").sum()
           for k in INDICATORS},
        **{f"_total_{k}": buyers[k].sum() for k in INDICATORS})).to_pylist()[0]
    if any(checks[f"_bad_{k}"] for k in INDICATORS):
        raise WeightsError("the entropy method needs non-negative indicator values")
    totals = {k: float(checks[f"_total_{k}"]) for k in INDICATORS}
    terms = {}
    for k in INDICATORS:
        if totals[k] > 0:
            p = buyers[k] / totals[k]
            # p ln p, 0 at p = 0 (the logarithm is taken of 1 there: engines evaluate it on
            # every row, filtered or not)
            terms[k] = (p * ibis.ifelse(p > 0, p, 1.0).ln()).sum()
    sums = run(buyers.aggregate(**terms)).to_pylist()[0] if terms else {}
    entropy = [(-float(sums[k] or 0.0) / math.log(n_buyers)) if k in terms else 1.0
               for k in INDICATORS]
    result = weights_from_entropy(entropy)
    return result.weights, result.as_dict()


def _reference(run, points: ir.Table, column: str) -> np.ndarray:
    """The buyers' points sorted, or :data:`~cvm.features.value._REFERENCE_POINTS` quantiles
    of them (:func:`cvm.features.value._reference`)."""
    n = int(run(points.aggregate(n=points[column].count())).to_pylist()[0]["n"])
    if n > _REFERENCE_POINTS:
        return linear_quantiles(n, np.linspace(0.0, 1.0, _REFERENCE_POINTS),
                                lambda r: ranked_values(run, points, column, r))
    return ranked_values(run, points, column, np.arange(n))


def value_scales_on_engine(engine, rows: ir.Table, options: ValueOptions | None = None,
                           lifecycle: LifecycleOptions | None = None, *,
                           prepare: Callable[[pa.Table], pa.Table] | None = None,
                           prepared_present: frozenset[str] = frozenset(),
                           horizon_days: float = 365.0) -> ValueScales:
    """:func:`cvm.features.value.value_scales` of the customer rows on ``engine`` (an Ibis
    table), the buyers (a ``first_purchase``) the reference, as the module says.

    ``prepare`` adds columns to each batch before it is scored (the value stage's category
    breadth; picklable), and ``prepared_present`` names those of them that hold data."""
    o = options or ValueOptions()
    lc = lifecycle or LifecycleOptions()
    run = engine.to_arrow
    columns = rows.columns
    counted = [c for c in dict.fromkeys((*_OPTIONAL, *o.lookalike_fields)) if c in columns]
    buyers = (rows.first_purchase.count() if "first_purchase" in columns  # else every row
              else rows.count())
    found = run(rows.aggregate(_buyers=buyers,
                               **{c: rows[c].count() for c in counted})).to_pylist()[0]
    n_buyers = int(found["_buyers"])
    present = frozenset(c for c in _OPTIONAL if c in counted and found[c]) | prepared_present
    fields = tuple(f for f in o.lookalike_fields if f in counted and found[f])
    scales = ValueScales(o, lc, present, {}, (0.2,) * 5, {}, {}, 0.0, 0.0, float(horizon_days))
    # the data sources and the amounts to cap, as the scoring reads them (an empty batch)
    empty = _prepared(prepare, pa.RecordBatch.from_pylist([], schema=rows.schema().to_pyarrow()))
    _, notes, caps, _ = _indicators(empty, o, lc, None, scales, scales.horizon_days)
    scales = dataclasses.replace(scales, notes=notes)
    names = tuple(caps)

    def mapped(function, schema):
        return engine.cache(engine.map_batches(rows, function, schema))

    # 1. the caps
    raw = mapped(functools.partial(_raw_amounts, prepare, scales, names),
                 pa.schema([("_buyer", pa.bool_()), *[(n, _FLOAT) for n in names]]))
    buyers = raw.filter(raw._buyer)
    scales = dataclasses.replace(scales, caps={n: _cap(run, buyers, n, o.cap_quantile)
                                               for n in names})
    # 2. the look-alike means and the weights
    key_types = [rows.schema()[f].to_pyarrow() for f in fields]
    scores = mapped(functools.partial(_scores, prepare, scales, fields), pa.schema(
        [("_buyer", pa.bool_()), *[(k, _FLOAT) for k in INDICATORS],
         *[(f"_key_{i}", t) for i, t in enumerate(key_types)]]))
    lookalike = _lookalike(run, scores, fields, n_buyers, o)
    if o.weight_method == "entropy":
        weights, method = _entropy(run, scores, n_buyers)
    else:
        weights, method = value_weights({}, o)
    scales = dataclasses.replace(scales, lookalike=lookalike, weights=tuple(weights),
                                 method=method)
    # 3. the share scale's references and the thresholds
    points = mapped(functools.partial(_points, prepare, scales), pa.schema(
        [("_buyer", pa.bool_()), ("current", _FLOAT), ("potential", _FLOAT)]))
    points = points.filter(points._buyer)
    references = {"current": None, "potential": None}
    if o.score_scale == "share" and n_buyers:
        references = {part: _reference(run, points, part) for part in references}
    thresholds = {part: float(o.threshold) for part in references}
    if o.threshold_method == "quantile" and n_buyers:
        for part, reference in references.items():
            def values_at(ranks, part=part, reference=reference):
                v = ranked_values(run, points, part, ranks)
                return v if reference is None else share_scale(v, reference)
            thresholds[part] = float(linear_quantiles(n_buyers, [o.threshold_quantile],
                                                      values_at)[0])
    return dataclasses.replace(
        scales, threshold_current=thresholds["current"],
        threshold_potential=thresholds["potential"],
        reference_current=references["current"], reference_potential=references["potential"])
