"""Each figure of a run, on two runs written by hand (``conftest.RUN_1`` and ``RUN_2``): the
numbers below are counted and summed from those rows."""

from __future__ import annotations

import pytest

from cvm.insights import (BadQuery, alerts, clv, flows, funnel, history_flows, matrix, overview,
                          segments)


def test_overview_counts_buyers_and_the_active_share(two_runs):
    ov = overview(two_runs, 1)
    # E is a prospect: not a buyer; A (0.9) and D (0.8) of the four buyers are likely alive
    assert (ov["customers"], ov["prospects"], ov["revenue"]) == (4, 1, 1000.0)
    assert ov["active_share"] == 0.5
    assert ov["active_rule"] == {"kind": "probability_alive", "threshold": 0.5}
    assert (ov["as_of"], ov["scheme"], ov["rows_loaded"], ov["rows_rejected"]) == \
        ("2024-12-31", "std11", 90, 10)
    assert ov["capabilities"] == {"clv": True, "probability_alive": True, "lifecycle": True,
                                  "matrix": False, "clv_validation": False, "golden": False}
    assert [(s["segment"], s["customers"], s["customer_share"]) for s in ov["segments"]] == \
        [("champions", 2, 0.5), ("need_attention", 1, 0.25), ("loyal", 1, 0.25)]


def test_segment_labels_are_in_the_readers_language(two_runs):
    assert [s["label"] for s in segments(two_runs, 1)["segments"]] == \
        ["Champions", "Need attention", "Loyal"]
    assert [s["label"] for s in segments(two_runs, 1, lang="zh")["segments"]] == \
        ["冠军客户", "需要关注客户", "忠诚客户"]
    with pytest.raises(BadQuery, match="unknown scheme 'nine'"):
        segments(two_runs, 1, scheme="nine")


def test_matrix_cells_from_the_customers_cells(two_runs):
    m = matrix(two_runs, 1)
    assert (m["available"], m["kind"]) == (True, "value_lifecycle")
    assert m["x_values"] == ["prospective", "current", "churned"]
    assert m["y_values"] == ["HH", "HL", "LL"]
    cells = {c["cell"]: (c["customers"], c["value"], c["customer_share"], c["value_share"])
             for c in m["cells"]}
    assert cells == {"HH-current": (1, 500.0, 0.2, 0.5), "LL-current": (1, 300.0, 0.2, 0.3),
                     "LL-churned": (1, 100.0, 0.2, 0.1), "HL-current": (1, 100.0, 0.2, 0.1),
                     "LL-prospective": (1, 0.0, 0.2, 0.0)}


def test_funnel_in_relationship_order(two_runs):
    f = funnel(two_runs, 1)
    assert [(s["stage"], s["customers"], s["value"]) for s in f["stages"]] == \
        [("prospect", 1, 0.0), ("growth", 2, 600.0), ("decline", 1, 300.0),
         ("churned", 1, 100.0)]


def test_flows_between_two_runs(two_runs):
    f = flows(two_runs, 1, 2)
    assert f["by"] == "lifecycle_stage"
    assert sorted((r["source"], r["target"], r["customers"]) for r in f["flows"]) == [
        ("(new)", "exploration", 1), ("churned", "(gone)", 1), ("decline", "churned", 1),
        ("growth", "growth", 2), ("prospect", "(gone)", 1)]
    assert f["flows"][0] == {"source": "growth", "target": "growth", "customers": 2}
    assert history_flows(two_runs, 1)["available"] is False


def test_clv_distribution(two_runs):
    c = clv(two_runs, 1)
    # CLV 0, 50, 100 and 300 (E has none): the 99th percentile 100 + 0.97 × 200 = 294
    assert c["stats"] == {"n": 4, "total": 450.0, "mean": 112.5, "median": 75.0,
                          "p99": pytest.approx(294.0), "min": 0.0}
    hist = c["histogram"]
    assert len(hist) == 30 and (hist[0]["from"], hist[0]["to"]) == (0.0, 10.0)
    # 300 lies past the last edge (290) and is counted in the last bin
    assert {i: h["customers"] for i, h in enumerate(hist) if h["customers"]} == \
        {0: 1, 5: 1, 10: 1, 29: 1}
    assert [(s["segment"], s["clv"]) for s in c["by_segment"]] == \
        [("champions", 400.0), ("need_attention", 50.0), ("loyal", 0.0), (None, None)]
    assert c["validation"] == []


def test_alerts(two_runs):
    first = alerts(two_runs, 1)
    assert [a["message"] for a in first] == [
        "1 A-class customers (30% of value) have not bought recently (recency score 1–2).",
        "1 A-class customers are probably lost (P(alive) < 50 %).",
        "10.0% of input rows were rejected (10 rows)."]
    second = alerts(two_runs, 2, lang="zh")
    # B is the A-class customer at risk: 300 of 1,050; champions went from 2 of 4 to 1 of 4
    assert [a["code"] for a in second] == ["valuable_at_risk", "valuable_unlikely_alive",
                                           "segment_shift"]
    assert second[0]["params"]["value_share"] == pytest.approx(300 / 1050)
    assert second[2]["message"] == "细分“冠军客户”的客户占比自运行 #1 起由 50.0% 变为 25.0%。"
