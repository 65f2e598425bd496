"""The composite value's scales fitted with the rows on the engine
(:func:`cvm.features.value_scales.value_scales_on_engine`) against the fit on the whole table in
this process (:func:`cvm.features.value.value_scales`): every cap, weight, look-alike mean,
reference point and threshold, on DuckDB and on local Spark; and the order statistics that give
numpy's quantiles from a few ranks."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from cvm.config import LifecycleOptions, ValueOptions
from cvm.engine import duckdb_engine
from cvm.features.order_statistics import linear_quantiles, ranked_values
from cvm.features.value import apply_value_scales, value_scales
from cvm.features.value_scales import value_scales_on_engine


def customers(n: int, seed: int = 1, *, prospects: int = 0, credit: bool = True) -> pa.Table:
    """``n`` buyers with the trend columns, margins, CLV, credit figures, categories and two
    look-alike fields (some churned), and ``prospects`` rows without a purchase."""
    rng = np.random.default_rng(seed)
    m = n + prospects
    bought = np.arange(m) < n

    def some(values, missing=0.0):
        values = np.asarray(values, dtype=float)
        mask = ~bought | (rng.random(m) < missing)
        return pa.array(np.where(mask, np.nan, values), pa.float64(), from_pandas=True)

    spend = rng.gamma(1.2, 300.0, m) * (rng.random(m) < 0.8)
    columns = {
        "customer_id": pa.array([f"C{i:06d}" for i in range(m)]),
        "first_purchase": pa.array([dt.date(2023, 1, 1) + dt.timedelta(days=int(d)) if b else None
                                    for d, b in zip(rng.integers(0, 600, m), bought)],
                                   pa.date32()),
        "recency_days": some(rng.integers(0, 700, m)),
        "tenure_days": some(rng.integers(0, 900, m)),
        "spend_last_period": some(spend),
        "spend_previous_avg": some(rng.gamma(1.0, 250.0, m), 0.2),
        "spend_change": some(rng.normal(0.0, 0.8, m), 0.2),
        "previous_periods": some(rng.integers(0, 4, m)),
        "active_period_share": some(rng.random(m)),
        "margin_last_period": some(spend * 0.3, 0.1),
        "potential_value": some(rng.gamma(0.8, 900.0, m)),
        "historical_value": some(rng.gamma(1.0, 2000.0, m)),
        "monetary_total": some(rng.gamma(1.0, 1500.0, m)),
        "margin_total": some(rng.gamma(1.0, 450.0, m)),
        "categories_bought": some(rng.integers(0, 6, m)),
        "categories_total": pa.array(np.full(m, 6.0)),
        "lifecycle_stage": pa.array(np.where(bought, rng.choice(
            ["exploration", "formation", "stability", "decline", "churned"], m), "prospect")),
        "city": pa.array(rng.choice(["Hangzhou", "Suzhou", "Ningbo", None], m).tolist()),
        "gender": pa.array(rng.choice(["F", "M"], m).tolist()),
    }
    if credit:
        columns["credit_score"] = pa.array(np.where(rng.random(m) < 0.3, np.nan,
                                                    rng.normal(650, 80, m)), from_pandas=True)
        columns["late_payments"] = pa.array(np.where(rng.random(m) < 0.5, np.nan,
                                                     rng.integers(0, 4, m)), from_pandas=True)
    return pa.table(columns)


def assert_same_scales(here, there):
    assert there.present == here.present
    assert there.notes == here.notes
    assert there.caps == here.caps  # order statistics interpolated as numpy does: exact
    # an entropy weight is 1 − e with e near 1: the order of the sums shows at ~1e-12 of it
    # (the engine's results promise 1e-9)
    assert there.weights == pytest.approx(here.weights, rel=1e-10, abs=1e-15)
    assert there.method.keys() == here.method.keys()
    assert there.threshold_current == here.threshold_current
    assert there.threshold_potential == here.threshold_potential
    assert there.lookalike["fields"] == here.lookalike["fields"]
    assert there.lookalike["groups"].keys() == here.lookalike["groups"].keys()
    for key, means in here.lookalike["groups"].items():
        assert there.lookalike["groups"][key] == pytest.approx(means, rel=1e-12)
    for name in ("reference_current", "reference_potential"):
        a, b = getattr(here, name), getattr(there, name)
        assert (a is None) == (b is None)
        if a is not None:
            # the points carry the weights' last digits (above)
            np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)


def buyers_of(table: pa.Table) -> np.ndarray:
    return table.column("first_purchase").is_valid().to_numpy(zero_copy_only=False)


CASES = {
    "defaults": (ValueOptions(), 400, 30),
    # entropy weights, thresholds at a quantile of the shares, five look-alike groups
    "entropy-quantile": (ValueOptions(weight_method="entropy", threshold_method="quantile",
                                      threshold_quantile=0.65, lookalike_min=5), 900, 40),
    # the points as they come, a quantile threshold on them, look-alikes by city alone
    "points": (ValueOptions(score_scale="points", threshold_method="quantile",
                            lookalike_fields=("city",), cap_quantile=0.8), 300, 10),
    # more buyers than the share scale keeps: its reference is 10,001 quantiles of the points
    "reference-quantiles": (ValueOptions(weight_method="entropy"), 10_500, 50),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_on_duckdb_the_scales_equal_those_fitted_here(case):
    options, n, prospects = CASES[case]
    table = customers(n, seed=len(case), prospects=prospects)
    lifecycle = LifecycleOptions()
    here = value_scales(table, options, lifecycle, buyers_of(table), horizon_days=400)
    engine = duckdb_engine()
    there = value_scales_on_engine(engine, engine.table(table, "cvm_value_rows"), options,
                                   lifecycle, horizon_days=400)
    assert_same_scales(here, there)
    assert len(here.lookalike["groups"]) > 1 or case == "defaults"
    if case == "reference-quantiles":
        assert len(there.reference_current) == 10_001
    # the scores the two give are the same
    a, b = apply_value_scales(table, here), apply_value_scales(table, there)
    for name in a:
        assert b[name].equals(a[name]) or np.allclose(
            b[name].to_numpy(zero_copy_only=False), a[name].to_numpy(zero_copy_only=False),
            rtol=1e-12, equal_nan=True), name


def test_without_credit_data_or_look_alike_fields_the_scales_still_match():
    table = customers(200, seed=9, prospects=5, credit=False).drop_columns(["city", "gender"])
    options = ValueOptions(lookalike_min=150)
    here = value_scales(table, options, None, buyers_of(table))
    engine = duckdb_engine()
    there = value_scales_on_engine(engine, engine.table(table, "cvm_value_rows"), options)
    assert_same_scales(here, there)
    assert here.notes["credit"].startswith("neutral") and "credit_score" not in there.caps
    # no fields: one group of all 200 buyers, at least lookalike_min of them
    assert set(there.lookalike["groups"]) == {None, ()}


@pytest.mark.spark
def test_on_spark_the_scales_equal_those_fitted_here(spark_engine):
    options = ValueOptions(weight_method="entropy", threshold_method="quantile",
                           lookalike_min=5)
    table = customers(700, seed=4, prospects=20)
    here = value_scales(table, options, None, buyers_of(table))
    there = value_scales_on_engine(spark_engine, spark_engine.table(table, "cvm_value_rows"),
                                   options)
    spark_engine.release()
    assert_same_scales(here, there)


def test_quantiles_from_order_statistics_equal_numpy_to_the_last_bit():
    rng = np.random.default_rng(3)
    for trial in range(400):
        n = int(rng.integers(1, 200))
        values = rng.normal(size=n) * 10.0 ** int(rng.integers(-3, 6))
        if trial % 3 == 0:
            values = np.round(values)  # ties
        q = np.concatenate([rng.random(4), [0.0, 1.0, 0.95, 0.7],
                            np.linspace(0.0, 1.0, int(rng.integers(2, 40)))])
        got = linear_quantiles(n, q, lambda r: np.sort(values)[r])
        assert np.array_equal(got, np.quantile(values, q))
    # by hand: (1, 2, 3, 4, 10) at 0.95 → index 3.8, 4 + 0.8 · 6 = 8.8
    assert linear_quantiles(5, [0.95], lambda r: np.array([1.0, 2, 3, 4, 10])[r])[0] == \
        pytest.approx(8.8, rel=1e-15)


def test_ranked_values_come_from_the_engine_without_nulls():
    engine = duckdb_engine()
    t = engine.table(pa.table({"x": pa.array([5.0, None, 1.0, 3.0, 3.0, None, 9.0])}), "cvm_x")
    got = ranked_values(engine.to_arrow, t, "x", np.array([0, 2, 3, 4]))
    assert got.tolist() == [1.0, 3.0, 5.0, 9.0]
    with pytest.raises(ValueError, match="asked for 2 ranks, found 1"):
        ranked_values(engine.to_arrow, t, "x", np.array([4, 5]))
