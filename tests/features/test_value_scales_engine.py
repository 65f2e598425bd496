"""The composite value's scales fitted with the rows on the engine
(:func:`cvm.features.value_scales.value_scales_on_engine`) against the fit on the whole table in
this process (:func:`cvm.features.value.value_scales`): every cap, weight, look-alike mean,
reference point and threshold, on DuckDB and on local Spark; and the order statistics that give
numpy's quantiles from a few ranks."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from cvm.config import LifecycleOptions, ValueOptions
from cvm.engine import duckdb_engine
from cvm.features.order_statistics import linear_quantiles, ranked_values
from cvm.features.value import apply_value_scales, summary_from_counts, value_scales
from cvm.features.value_scales import value_scales_on_engine
from cvm.features.weights import WeightsError


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
    # not the default periods: a churned customer's current contribution reads them
    lifecycle = LifecycleOptions(period_days=60)
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
    options = ValueOptions(lookalike_min=200)
    here = value_scales(table, options, None, buyers_of(table))
    engine = duckdb_engine()
    there = value_scales_on_engine(engine, engine.table(table, "cvm_value_rows"), options)
    assert_same_scales(here, there)
    assert here.notes["credit"].startswith("neutral") and "credit_score" not in there.caps
    # no fields: one group of all 200 buyers, exactly lookalike_min of them
    assert set(there.lookalike["groups"]) == {None, ()}


def edge_customers() -> pa.Table:
    """20 buyers and 2 prospects worked by hand for the scales' edges (see the test)."""
    n, m = 20, 22
    zeros = [0.0] * n
    columns = {
        "customer_id": [f"C{i:02d}" for i in range(m)],
        "first_purchase": pa.array([dt.date(2024, 1, 1)] * n + [None, None], pa.date32()),
        "recency_days": zeros + [None, None], "spend_previous_avg": zeros + [None, None],
        "previous_periods": zeros + [None, None], "active_period_share": zeros + [None, None],
        # one buyer with 10 days of tenure: loyalty 10 · ½ · 10/730 = 0.068 in all, below 1
        "tenure_days": [0.0] * 19 + [10.0, None, None],
        # 18 zeros, 0.3 and 0.5: the median is 0, so the cap is the largest positive amount, 0.5
        "spend_last_period": [0.0] * 18 + [0.3, 0.5, None, None],
        # every buyer's spend fell by 100 %: growth potential 0 for all, an indicator of zeros
        "spend_change": [-1.0] * n + [None, None],
        # ten zeros and ten 0.8: the median, 0.4, is the cap (positive, below 1)
        "potential_value": [0.0] * 10 + [0.8] * 10 + [None, None],
        # only the prospects have a credit score: the buyers' reference is empty, the cap 0
        "credit_score": [None] * n + [600.0, 700.0],
        # 8 buyers in Hangzhou (exactly lookalike_min: a group), 12 in Suzhou
        "city": ["Hangzhou"] * 8 + ["Suzhou"] * 12 + ["Hangzhou", "Ningbo"],
    }
    return pa.table({k: v if isinstance(v, pa.Array) else pa.array(v) for k, v in columns.items()})


def test_the_scales_at_their_edges_match_those_fitted_here():
    table = edge_customers()
    options = ValueOptions(weight_method="entropy", cap_quantile=0.5, lookalike_fields=("city",),
                           lookalike_min=8)
    here = value_scales(table, options, None, buyers_of(table))
    engine = duckdb_engine()
    there = value_scales_on_engine(engine, engine.table(table, "cvm_value_rows"), options)
    assert_same_scales(here, there)
    assert there.caps == {"credit_score": 0.0, "current_contribution": 0.5,
                          "future_contribution": 0.4}
    # growth potential, all zero, has entropy 1 (no information); loyalty's total is below 1
    assert there.method["entropy"][4] == 1.0 and there.weights[4] == 0.0
    assert 0.0 < there.weights[3]
    assert set(there.lookalike["groups"]) == {None, ("Hangzhou",), ("Suzhou",)}


@pytest.mark.parametrize("rows", [0, 40], ids=["empty", "no-first-purchase"])
def test_every_row_a_buyer_without_first_purchase_and_no_rows_at_all(rows):
    table = customers(40, seed=5).slice(0, rows).drop_columns(["first_purchase"])
    options = ValueOptions(lookalike_min=3)
    here = value_scales(table, options, None, None)
    engine = duckdb_engine()
    there = value_scales_on_engine(engine, engine.table(table, "cvm_value_rows"), options)
    assert_same_scales(here, there)
    assert (None in there.lookalike["groups"]) == bool(rows)


@pytest.mark.parametrize("buyers", [1, 2])
def test_entropy_weights_need_two_buyers_on_the_engine_too(buyers):
    table = edge_customers().slice(20 - buyers)  # the last buyers and the prospects
    options = ValueOptions(weight_method="entropy", lookalike_min=1)
    engine = duckdb_engine()
    rows = engine.table(table, "cvm_value_rows")
    if buyers < 2:
        with pytest.raises(WeightsError, match="at least two customers"):
            value_scales(table, options, None, buyers_of(table))
        with pytest.raises(WeightsError, match="at least two customers"):
            value_scales_on_engine(engine, rows, options)
        return
    here = value_scales(table, options, None, buyers_of(table))
    assert_same_scales(here, value_scales_on_engine(engine, rows, options))


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


def test_the_summary_from_quadrant_counts():
    table = edge_customers()
    scales = value_scales(table, ValueOptions(lookalike_fields=("city",), lookalike_min=8),
                          None, buyers_of(table))
    summary = summary_from_counts(scales, {"HH": 3, "LL": 17})
    # a quadrant without buyers counts 0
    assert summary["quadrants"] == {"HH": 3, "HL": 0, "LH": 0, "LL": 17}
    assert summary["lookalike_fields"] == ["city"]
    assert summary_from_counts(dataclasses.replace(scales, lookalike=None),
                               {})["lookalike_fields"] == []
