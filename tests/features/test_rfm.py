"""RFM scores on hand-made summaries, on DuckDB and on Spark: every cut value of fixed
breakpoints, quantile scores at their exact cuts, the average-spend M score and the weights."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from cvm.config import AnalysisConfig, RFMOptions
from cvm.engine import get_engine
from cvm.features.customers import customer_features
from cvm.features.rfm import money_column, scores, with_rfm_cell, with_rfm_score

BREAKPOINTS = {"r": (0, 5, 10, 30), "f": (1, 2, 4, 8), "m": (30, 50, 70, 100)}

# each measure on and either side of its cut values, with the score the rule gives:
# R at most 0 days → 5, at most 5 → 4, at most 10 → 3, at most 30 → 2, above → 1;
# F and M below the first cut → 1, below the second → 2, …, from the fourth → 5
AT_CUTS = [
    # recency, R, frequency, F, spend, M
    (0, 5, 0, 1, 29.99, 1),
    (1, 4, 1, 2, 30.0, 2),
    (5, 4, 2, 3, 49.99, 2),
    (6, 3, 3, 3, 50.0, 3),
    (10, 3, 4, 4, 70.0, 4),
    (11, 2, 7, 4, 99.99, 4),
    (30, 2, 8, 5, 100.0, 5),
    (31, 1, 9, 5, 150.0, 5),
]


def _summary(engine_name, name, **columns):
    engine = get_engine(engine_name)
    n = len(next(iter(columns.values())))
    data = {"customer_id": [f"c{i}" for i in range(n)]}
    for column, values in columns.items():
        data[column] = pa.array(values, pa.int64() if column in ("recency_days", "frequency")
                                else pa.float64())
    return engine, engine.table(pa.table(data), f"{name}_{engine_name}")


def _scored(engine, table, options, keys="rfm"):
    return engine.to_arrow(scores(table, options, keys)).sort_by("customer_id").to_pylist()


def test_fixed_breakpoints_score_every_cut_value(engine_name):
    engine, t = _summary(engine_name, "cuts", recency_days=[r[0] for r in AT_CUTS],
                         frequency=[r[2] for r in AT_CUTS], monetary_total=[r[4] for r in AT_CUTS])
    got = _scored(engine, t, RFMOptions(breakpoints=BREAKPOINTS))
    assert [(g["r_score"], g["f_score"], g["m_score"]) for g in got] == [
        (r[1], r[3], r[5]) for r in AT_CUTS]


def test_quantile_scores_at_their_exact_cuts(engine_name):
    # ten customers, all different: 1 + floor(5 · below / 10) reaches the next score exactly
    # at 2, 4, 6 and 8 customers below. Spend: 0.2000001 and 0.2000004 are equal to six
    # decimals, so both have one customer below (score 1, not 1 and 2)
    spend = [0.1, 0.2000001, 0.2000004, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    engine, t = _summary(engine_name, "quantile_cuts", recency_days=list(range(10)),
                         frequency=list(range(10)), monetary_total=spend)
    got = _scored(engine, t, RFMOptions())
    assert [g["f_score"] for g in got] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # recency: fewer days is better, so 0 days has nine worse customers below it
    assert [g["r_score"] for g in got] == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert [g["m_score"] for g in got] == [1, 1, 1, 2, 3, 3, 4, 4, 5, 5]


def test_average_spend_scores_m_on_the_average(engine_name):
    engine, t = _summary(engine_name, "avg_m", monetary_total=[60.0, 45.0, 75.0, 100.0],
                         monetary_avg=[30.0, 45.0, 25.0, 100.0])
    assert money_column(RFMOptions(monetary="avg")) == "monetary_avg"
    assert money_column(RFMOptions()) == "monetary_total"
    # four customers: 1 + floor(5 · below / 4) = 1, 2, 3, 4 for 0 … 3 below
    by_avg = _scored(engine, t, RFMOptions(monetary="avg"), "m")
    assert [g["m_score"] for g in by_avg] == [2, 3, 1, 4]
    by_total = _scored(engine, t, RFMOptions(), "m")
    assert [g["m_score"] for g in by_total] == [2, 1, 3, 4]


def test_average_spend_through_the_feature_stage(engine_name, make_transactions):
    rows = make_transactions([
        ("a", "2024-01-10", 10.0, None), ("a", "2024-02-10", 50.0, None),  # 60, 30 a day
        ("b", "2024-03-01", 45.0, None),  # 45, 45
        *[("c", d, 25.0, None) for d in ("2024-01-05", "2024-02-05", "2024-03-05")],  # 75, 25
        ("d", "2024-03-20", 100.0, None),  # 100, 100
    ])
    engine = get_engine(engine_name)
    txns = engine.table(rows, f"avg_stage_{engine_name}")

    def m_scores(config):
        got = engine.to_arrow(customer_features(txns, config)).to_pylist()
        return {r["customer_id"]: (r["m_score"], r["value_rank"]) for r in got}

    as_of = dt.date(2024, 3, 31)
    # M by the average per purchase day; the value ranking stays on the total
    assert m_scores(AnalysisConfig(as_of=as_of, rfm=RFMOptions(monetary="avg"))) == {
        "c": (1, 2), "a": (2, 3), "b": (3, 4), "d": (4, 1)}
    assert m_scores(AnalysisConfig(as_of=as_of)) == {
        "b": (1, 4), "a": (2, 3), "c": (3, 2), "d": (4, 1)}


def test_rfm_score_weighs_each_score(engine_name):
    engine = get_engine(engine_name)
    t = engine.table(pa.table({"customer_id": ["a", "b"],
                               "r_score": pa.array([5, 1], pa.int8()),
                               "f_score": pa.array([1, 2], pa.int8()),
                               "m_score": pa.array([3, 4], pa.int8())}), f"weights_{engine_name}")
    got = engine.to_arrow(with_rfm_cell(with_rfm_score(t, RFMOptions(weights=(1.0, 2.0, 4.0)))))
    got = {r["customer_id"]: r for r in got.to_pylist()}
    assert got["a"]["rfm_score"] == pytest.approx((5 + 2 * 1 + 4 * 3) / 7, rel=1e-12)
    assert got["b"]["rfm_score"] == pytest.approx((1 + 2 * 2 + 4 * 4) / 7, rel=1e-12)
    assert (got["a"]["rfm_cell"], got["b"]["rfm_cell"]) == ("513", "124")
    default = engine.to_arrow(with_rfm_score(t)).to_pylist()
    assert [r["rfm_score"] for r in default] == pytest.approx([3.0, 7 / 3], rel=1e-12)
