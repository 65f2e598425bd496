"""ABC classes (on DuckDB and on Spark) and the Pareto summary, on hand-computed cases: unknown
values, ties at the thresholds, all-zero, negative and empty inputs, and every summary key the
report, the dashboard and the API read."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from cvm.config import ABCOptions
from cvm.engine import get_engine
from cvm.features.pareto import abc_classes, pareto_summary


def _ranked(engine_name, name, ids, values, options=None):
    engine = get_engine(engine_name)
    t = engine.table(pa.table({"customer_id": ids, "margin_total": pa.array(values, pa.float64())}),
                     f"{name}_{engine_name}")
    got = engine.to_arrow(abc_classes(t, options, value_column="margin_total")).to_pylist()
    return {r["customer_id"]: r for r in got}


def _column(rows, name):
    return {c: r[name] for c, r in rows.items()}


def test_customers_without_a_value_count_as_zero(engine_name):
    # b and d have no known margin: they bring 0 of the total 100 and rank last (by id);
    # e's 0.5 ranks above them
    rows = _ranked(engine_name, "abc_nulls", ["a", "b", "c", "d", "e", "f"],
                   [50.0, None, 30.0, None, 0.5, 19.5])
    assert _column(rows, "value_rank") == {"a": 1, "c": 2, "f": 3, "e": 4, "b": 5, "d": 6}
    assert _column(rows, "value_share") == pytest.approx(
        {"a": 0.5, "c": 0.3, "f": 0.195, "e": 0.005, "b": 0.0, "d": 0.0}, rel=1e-12)
    assert _column(rows, "cumulative_value_share") == pytest.approx(
        {"a": 0.5, "c": 0.8, "f": 0.995, "e": 1.0, "b": 1.0, "d": 1.0}, rel=1e-12)
    # A while those above bring less than 70 %: a (0), c (50 %); B below 90 %: f (80 %)
    assert _column(rows, "abc_class") == {"a": "A", "c": "A", "f": "B", "e": "C", "b": "C",
                                          "d": "C"}
    assert rows["b"]["margin_total"] is None  # the input column itself is left as it was


def test_a_customer_exactly_at_a_threshold_is_in_the_next_class(engine_name):
    # those above b bring exactly 70 %, those above c exactly 90 %: not less, so B and C
    rows = _ranked(engine_name, "abc_edges", ["a", "b", "c"], [70.0, 20.0, 10.0])
    assert _column(rows, "abc_class") == {"a": "A", "b": "B", "c": "C"}
    # the same by share of customers: positions 0, 1/5, 2/5, 3/5, 4/5 against 20 % and 50 %
    rows = _ranked(engine_name, "abc_edges_n", list("abcde"), [5.0, 4.0, 3.0, 2.0, 1.0],
                   ABCOptions(basis="customers"))
    assert _column(rows, "abc_class") == {"a": "A", "b": "B", "c": "B", "d": "C", "e": "C"}
    rows = _ranked(engine_name, "abc_edges_t", list("abcde"), [5.0, 4.0, 3.0, 2.0, 1.0],
                   ABCOptions(basis="customers", thresholds=(0.4, 0.6)))
    assert _column(rows, "abc_class") == {"a": "A", "b": "A", "c": "B", "d": "C", "e": "C"}


def test_values_equal_to_six_decimals_rank_as_ties(engine_name):
    # 1.0000004 and 1.0000001 are both 1.000000 to six decimals: ranked by customer id
    rows = _ranked(engine_name, "abc_round", ["a", "b", "c"], [1.0000001, 1.0000004, 1.000002])
    assert _column(rows, "value_rank") == {"c": 1, "a": 2, "b": 3}


def test_all_zero_values_give_zero_shares_not_nan(engine_name):
    rows = _ranked(engine_name, "abc_zero", ["a", "b"], [0.0, None])
    assert _column(rows, "value_share") == {"a": 0.0, "b": 0.0}
    assert _column(rows, "cumulative_value_share") == {"a": 0.0, "b": 0.0}
    assert _column(rows, "value_rank") == {"a": 1, "b": 2}
    # nobody above brings anything (0 % < 70 %): the rule makes everyone A
    assert _column(rows, "abc_class") == {"a": "A", "b": "A"}


def _flat(curve):
    return [x for point in curve for x in point]


def test_summary_of_a_hand_case_has_every_key_the_outputs_read():
    s = pareto_summary(np.array([60.0, 30.0, 10.0, 0.0]), np.array(["A", "B", "C", "C"]))
    assert set(s) == {"basis", "value_measure", "thresholds", "gini", "lorenz", "classes",
                      "top_share", "top_value_share"}
    assert (s["basis"], s["value_measure"], s["thresholds"], s["top_share"]) == (
        "value", "revenue", {"A": 0.7, "B": 0.9}, 0.2)
    # ascending 0, 10, 30, 60: Lorenz 0, 0, .1, .4, 1; area .25 · (0 + .05 + .25 + .7) = .25
    assert s["gini"] == pytest.approx(0.5, rel=1e-12)
    # from the largest: 60 %, 90 %, 100 %, 100 %; the top 20 % is ceil(0.8) = 1 customer
    assert _flat(s["lorenz"]) == pytest.approx(
        [0.0, 0.0, 0.25, 0.6, 0.5, 0.9, 0.75, 1.0, 1.0, 1.0], rel=1e-12)
    assert s["top_value_share"] == pytest.approx(0.6, rel=1e-12)
    assert s["classes"] == [
        {"class": "A", "customers": 1, "customer_share": 0.25, "value": 60.0, "value_share": 0.6},
        {"class": "B", "customers": 1, "customer_share": 0.25, "value": 30.0, "value_share": 0.3},
        {"class": "C", "customers": 2, "customer_share": 0.5, "value": 10.0, "value_share": 0.1},
    ]
    # the same customers in hundreds (a total of 1): the same shares
    small = pareto_summary(np.array([0.6, 0.3, 0.1, 0.0]), np.array(["A", "B", "C", "C"]))
    assert small["gini"] == pytest.approx(0.5, rel=1e-12)
    assert _flat(small["lorenz"]) == pytest.approx(_flat(s["lorenz"]), rel=1e-12)
    assert small["top_value_share"] == pytest.approx(0.6, rel=1e-12)
    s = pareto_summary(np.array([1.0]), np.array(["A"]),
                       ABCOptions(basis="customers", measure="margin"))
    assert (s["basis"], s["value_measure"], s["thresholds"]) == (
        "customers", "margin", {"A": 0.2, "B": 0.5})


def test_summary_curve_is_thinned_to_the_points_asked():
    values = np.arange(10, 0, -1, dtype=float)  # 10, 9, …, 1: total 55
    s = pareto_summary(values, np.array(["A"] * 4 + ["B"] * 3 + ["C"] * 3), points=4)
    # five points at customers 0, 2 (2.5 rounds to even), 5, 8 (7.5 rounds up), 10
    assert _flat(s["lorenz"]) == pytest.approx(
        [0.0, 0.0, 0.2, 19 / 55, 0.5, 40 / 55, 0.8, 52 / 55, 1.0, 1.0], rel=1e-12)
    # top 20 % = 2 customers: 19 of 55; Gini 2 · Σ i·i / (10 · 55) − 11 / 10 = 0.3
    assert s["top_value_share"] == pytest.approx(19 / 55, rel=1e-12)
    assert s["gini"] == pytest.approx(0.3, rel=1e-12)
    assert [(c["customers"], c["customer_share"], c["value"]) for c in s["classes"]] == [
        (4, 0.4, 34.0), (3, 0.3, 15.0), (3, 0.3, 6.0)]
    # the default keeps at most 200 + 1 points: every second customer of 400
    s = pareto_summary(np.ones(400), np.array(["A"] * 400))
    assert len(s["lorenz"]) == 201
    assert s["lorenz"][1] == pytest.approx([0.005, 0.005], rel=1e-12)
    assert s["top_value_share"] == pytest.approx(0.2, rel=1e-12)


def test_summary_counts_a_missing_value_as_zero():
    s = pareto_summary(np.array([60.0, np.nan, 40.0]), np.array(["A", "C", "B"]))
    # ascending 0, 40, 60: 2 · (0 + 80 + 180) / 300 − 4 / 3 = 0.4
    assert s["gini"] == pytest.approx(0.4, rel=1e-12)
    assert s["top_value_share"] == pytest.approx(0.6, rel=1e-12)
    assert [(c["class"], c["value"], c["value_share"]) for c in s["classes"]] == [
        ("A", 60.0, 0.6), ("B", 40.0, 0.4), ("C", 0.0, 0.0)]


def test_summary_counts_negative_values_as_zero_in_the_curve():
    s = pareto_summary(np.array([30.0, 10.0, -10.0]), np.array(["A", "B", "C"]))
    # clipped 30, 10, 0 (total 40): 2 · (0 + 20 + 90) / 120 − 4 / 3 = 0.5
    assert s["gini"] == pytest.approx(0.5, rel=1e-12)
    assert _flat(s["lorenz"]) == pytest.approx(
        [0.0, 0.0, 1 / 3, 0.75, 2 / 3, 1.0, 1.0, 1.0], rel=1e-12)
    assert s["top_value_share"] == pytest.approx(0.75, rel=1e-12)
    assert [c["value"] for c in s["classes"]] == [30.0, 10.0, -10.0]


@pytest.mark.parametrize("values", [[0.0, 0.0, 0.0], [-5.0, 0.0, -15.0]])
def test_summary_without_positive_value_is_flat_zero_not_nan(values):
    s = pareto_summary(np.array(values), np.array(["C", "C", "C"]))
    assert s["gini"] == 0.0
    # nothing to concentrate: the diagonal, and the top 20 % bring nothing (not 20 %)
    assert _flat(s["lorenz"]) == pytest.approx(
        [0.0, 0.0, 1 / 3, 1 / 3, 2 / 3, 2 / 3, 1.0, 1.0], rel=1e-12)
    assert s["top_value_share"] == 0.0
    assert [(c["customers"], c["value"]) for c in s["classes"]] == [
        (0, 0.0), (0, 0.0), (3, sum(values))]
    if sum(values) == 0:
        assert [c["value_share"] for c in s["classes"]] == [0.0, 0.0, 0.0]


def test_summary_of_no_customers():
    s = pareto_summary(np.array([]), np.array([]))
    assert (s["gini"], s["lorenz"], s["top_value_share"]) == (0.0, [[0.0, 0.0], [1.0, 1.0]], 0.0)
    assert s["classes"] == [
        {"class": c, "customers": 0, "customer_share": 0.0, "value": 0.0, "value_share": 0.0}
        for c in "ABC"]
