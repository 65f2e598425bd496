"""Composite value on hand-computed customers; AHP and entropy weights on worked examples."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from cvm.config import AnalysisConfig, ConfigError, ValueOptions
from cvm.features.value import composite_value, indicator_scores
from cvm.features.weights import WeightsError, ahp_weights, entropy_weights

# customer: spend_last, previous_avg, change, previous_periods, active_share, recency, tenure
ROWS = {
    "A": (200.0, 100.0, 1.0, 4, 1.0, 10, 730),
    "B": (100.0, 100.0, 0.0, 4, 0.6, 30, 365),
    "C": (0.0, 50.0, -1.0, 2, 0.5, 200, 250),
    "E": (200.0, 400.0, -0.5, 4, 1.0, 5, 730),
    "F": (150.0, 30.0, 4.0, 1, 1.0, 1, 100),
    "P": (None, None, None, None, None, None, None),  # a prospect: no purchases
}


def _table(**extra) -> pa.Table:
    ids = list(ROWS)
    col = lambda i: [ROWS[c][i] for c in ids]  # noqa: E731
    return pa.table({
        "customer_id": ids,
        "first_purchase": pa.array([None if c == "P" else dt.date(2024, 1, 1) for c in ids],
                                   type=pa.date32()),
        "spend_last_period": pa.array(col(0), pa.float64()),
        "spend_previous_avg": pa.array(col(1), pa.float64()),
        "spend_change": pa.array(col(2), pa.float64()),
        "previous_periods": pa.array(col(3), pa.int64()),
        "active_period_share": pa.array(col(4), pa.float64()),
        "recency_days": pa.array(col(5), pa.int64()),
        "tenure_days": pa.array(col(6), pa.int64()),
        "margin_last_period": pa.nulls(len(ids), pa.float64()),
        **extra,
    })


BUYERS = np.array([True, True, True, True, True, False])


def _hand_scores():
    """The five indicators by hand (module docstring of cvm.features.value), cap = maximum."""
    current = {"A": 200, "B": 100, "C": 0, "E": 200, "F": 150, "P": 0}
    future = {  # average spend per observed period × clip(1 + change, 0, 2) × (1 − recency/365)
        "A": (200 + 100 * 4) / 5 * 2 * (1 - 10 / 365),
        "B": (100 + 100 * 4) / 5 * 1 * (1 - 30 / 365),
        "C": 0.0,
        "E": (200 + 400 * 4) / 5 * 0.5 * (1 - 5 / 365),
        "F": (150 + 30 * 1) / 2 * 2 * (1 - 1 / 365),
        "P": 0.0,
    }
    cap_f = max(future.values())
    assert cap_f == future["A"]
    loyalty = {c: 10 * (0.5 * (r[4] or 0) + 0.5 * min((r[6] or 0) / 730, 1)) for c, r in ROWS.items()}
    growth = {c: 5.0 if r[2] is None else 5 * (1 + max(-1, min(1, r[2]))) for c, r in ROWS.items()}
    scores = {c: (10 * current[c] / 200, 10 * future[c] / cap_f, 5.0, loyalty[c], growth[c])
              for c in ROWS}
    # the prospect P: its behavioural indicators are the mean of the five buyers' (no look-alike
    # fields in this table), its credit the neutral 5
    buyers = [scores[c] for c in "ABCEF"]
    mean = [sum(s[k] for s in buyers) / 5 for k in range(5)]
    scores["P"] = (mean[0], mean[1], 5.0, mean[3], mean[4])
    return scores


def test_indicators_and_scores_by_hand():
    out, summary = composite_value(_table(), ValueOptions(cap_quantile=1.0, score_scale="points"),
                                   buyers=BUYERS)
    rows = {r["customer_id"]: r for r in out.to_pylist()}
    names = ("current_contribution", "future_contribution", "credit", "loyalty",
             "growth_potential")
    for cid, scores in _hand_scores().items():
        for name, want in zip(names, scores):
            assert rows[cid][f"score_{name}"] == pytest.approx(want, abs=1e-12), (cid, name)
        cur, fut, cred, loy, gro = scores
        assert rows[cid]["composite_value"] == pytest.approx(2 * sum(scores), abs=1e-12)
        assert rows[cid]["current_value_score"] == pytest.approx(10 * (cur + cred + loy) / 3)
        assert rows[cid]["potential_value_score"] == pytest.approx(10 * (fut + gro) / 2)
    assert rows["A"]["composite_value"] == pytest.approx(90.0)  # 10, 10, 5, 10, 10
    # the prospect looks like the average buyer (credit neutral for all): the buyers' mean
    assert rows["P"]["composite_value"] == pytest.approx(
        sum(rows[c]["composite_value"] for c in "ABCEF") / 5)
    assert {c: r["value_quadrant"] for c, r in rows.items()} == {
        "A": "HH", "B": "LL", "C": "LL", "E": "HL", "F": "LH", "P": "LL"}
    assert summary["credit_available"] is False
    assert summary["sources"]["future_contribution"] == "trend proxy"
    assert summary["weights"] == pytest.approx([0.2] * 5)
    assert summary["quadrants"] == {"HH": 1, "HL": 1, "LH": 1, "LL": 2}  # buyers only


def test_scores_stay_in_range_and_each_customer_has_one_quadrant():
    out, _ = composite_value(_table(), buyers=BUYERS)
    for name in ("composite_value", "current_value_score", "potential_value_score"):
        values = np.array(out.column(name).to_pylist())
        assert np.all((values >= 0) & (values <= 100)), name
    assert set(out.column("value_quadrant").to_pylist()) <= {"HH", "HL", "LH", "LL"}
    assert out.column("value_quadrant").null_count == 0


def test_potential_value_column_and_credit_data_are_used():
    table = _table(potential_value=pa.array([10.0, 40.0, 0.0, 20.0, 30.0, None]),
                   late_payments=pa.array([0, 1, 3, 0, 0, None], pa.float64()),
                   credit_limit_use=pa.array([0.5, 0.0, 1.0, 0.2, 0.0, None]))
    scores, notes = indicator_scores(table, ValueOptions(cap_quantile=1.0), buyers=BUYERS)
    assert notes["future_contribution"] == "potential_value"
    assert scores["future_contribution"].tolist() == pytest.approx([2.5, 10, 0, 5, 7.5, 0])
    # mean of 10 / (1 + late) and 10 · (1 − use); the last customer has no credit figures at
    # all and gets the neutral 5, not a perfect score
    assert scores["credit"].tolist() == pytest.approx(
        [(10 + 5) / 2, (5 + 10) / 2, (2.5 + 0) / 2, (10 + 8) / 2, (10 + 10) / 2, 5.0])
    assert notes["credit"] == "late_payments, credit_limit_use"


def test_quantile_threshold():
    out, summary = composite_value(
        _table(), ValueOptions(cap_quantile=1.0, threshold_method="quantile",
                               threshold_quantile=0.5), buyers=BUYERS)
    current = sorted(r["current_value_score"] for r in out.to_pylist() if r["customer_id"] != "P")
    assert summary["threshold_current"] == pytest.approx(current[2])  # median of five buyers
    quadrants = dict(zip(out.column("customer_id").to_pylist(),
                         out.column("value_quadrant").to_pylist()))
    assert sum(q[0] == "H" for c, q in quadrants.items() if c != "P") == 3  # at or above median


def test_entropy_and_ahp_weights_in_the_value_stage():
    _, summary = composite_value(_table(), ValueOptions(weight_method="entropy"), buyers=BUYERS)
    assert summary["method"] == "entropy"
    assert summary["weights"][2] == 0.0  # neutral credit is the same for everyone
    assert sum(summary["weights"]) == pytest.approx(1.0)
    consistent = [[w_i / w_j for w_j in (4, 2, 1, 2, 1)] for w_i in (4, 2, 1, 2, 1)]
    _, summary = composite_value(_table(), ValueOptions(weight_method="ahp",
                                                        ahp_matrix=consistent), buyers=BUYERS)
    assert summary["weights"] == pytest.approx([0.4, 0.2, 0.1, 0.2, 0.1])
    assert summary["consistency_ratio"] == pytest.approx(0.0, abs=1e-9)


# -- AHP -----------------------------------------------------------------------------------

SAATY_LIGHT = [[1, 5, 6, 7], [1 / 5, 1, 4, 6], [1 / 6, 1 / 4, 1, 4], [1 / 7, 1 / 6, 1 / 4, 1]]


def test_ahp_saaty_light_intensity_example():
    # Saaty (1977), "A scaling method for priorities in hierarchical structures", J. Math.
    # Psych. 15:234–281, and Saaty (1980), The Analytic Hierarchy Process: the relative
    # brightness of four chairs at increasing distance from a light. Published: eigenvector
    # (0.61, 0.24, 0.10, 0.05), λmax = 4.39, CI = 0.13 — above the 0.1 consistency ratio rule
    # (CR = 0.13 / 0.90 = 0.14), so cvm refuses it by default and says why.
    with pytest.raises(WeightsError, match=r"consistency ratio 0\.145 > 0\.1 .*λmax 4\.391"):
        ahp_weights(SAATY_LIGHT)
    r = ahp_weights(SAATY_LIGHT, max_cr=0.15)
    assert round(r.lambda_max, 2) == 4.39
    assert round(r.consistency_index, 2) == 0.13
    assert r.weights == pytest.approx((0.61, 0.24, 0.10, 0.05), abs=0.01)
    assert r.consistency_ratio == pytest.approx(r.consistency_index / 0.90)


def test_ahp_three_criteria():
    # checked by hand with the geometric-mean approximation: row means (15)^(1/3) = 2.466,
    # 1, (1/15)^(1/3) = 0.405 → 0.637, 0.258, 0.105 (for 3 × 3 the two methods agree exactly)
    r = ahp_weights([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]])
    assert r.weights == pytest.approx((0.6370, 0.2583, 0.1047), abs=5e-5)
    assert r.lambda_max == pytest.approx(3.0385, abs=5e-5)
    assert r.consistency_ratio == pytest.approx((3.0385111 - 3) / 2 / 0.58, abs=1e-6)


def test_ahp_consistent_matrix_recovers_the_weights():
    w = np.array([0.4, 0.3, 0.15, 0.1, 0.05])
    r = ahp_weights(w[:, None] / w[None, :])
    assert r.weights == pytest.approx(tuple(w), abs=1e-12)
    assert r.lambda_max == pytest.approx(5.0)
    assert r.consistency_ratio == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("matrix, message", [
    ([[1, 2], [2, 1]], r"not reciprocal: entry \(1, 2\) is 2 but \(2, 1\) is 2; it should be 0\.5"),
    ([[1, 2, 3], [0.5, 1, 4]], "must be square"),
    ([[2, 1], [1, 1]], "diagonal"),
    ([[1, -2], [-0.5, 1]], "positive"),
])
def test_ahp_rejects_bad_matrices(matrix, message):
    with pytest.raises(WeightsError, match=message):
        ahp_weights(matrix)


def test_config_refuses_ahp_without_a_matrix():
    with pytest.raises(ConfigError, match="ahp weight method needs"):
        AnalysisConfig(value=ValueOptions(weight_method="ahp"))


# -- entropy -------------------------------------------------------------------------------

def test_entropy_weights_worked_example():
    # Entropy weight method (Zeleny 1982; Hwang & Yoon 1981): p_ij = x_ij / Σ_i x_ij,
    # e_j = −Σ p ln p / ln m, w_j = (1 − e_j) / Σ (1 − e_k). Four customers, four indicators:
    #   column 1 (1, 1, 1, 1): p = ¼ each → e = ln 4 / ln 4 = 1 → d = 0
    #   column 2 (1, 0, 0, 0): p = (1, 0, 0, 0) → e = 0 → d = 1
    #   column 3 (1, 1, 0, 0): p = (½, ½) → e = ln 2 / ln 4 = ½ → d = ½
    #   column 4 (2, 1, 1, 0): p = (½, ¼, ¼) → e = (½ ln 2 + ½ ln 4) / ln 4 = ¾ → d = ¼
    # Σ d = 7/4 → w = (0, 4/7, 2/7, 1/7)
    x = [[1, 1, 1, 2], [1, 0, 1, 1], [1, 0, 0, 1], [1, 0, 0, 0]]
    r = entropy_weights(x)
    assert r.entropy == pytest.approx((1.0, 0.0, 0.5, 0.75), abs=1e-12)
    assert r.weights == pytest.approx((0.0, 4 / 7, 2 / 7, 1 / 7), abs=1e-12)


def test_entropy_edge_cases():
    assert entropy_weights([[0, 1], [0, 1]]).weights == (0.5, 0.5)  # nothing tells them apart
    assert entropy_weights([[0, 1], [0, 3]]).weights[0] == 0.0  # an all-zero indicator
    with pytest.raises(WeightsError, match="non-negative"):
        entropy_weights([[1, -1], [1, 1]])
    with pytest.raises(WeightsError, match="at least two"):
        entropy_weights([[1, 2]])


def test_a_score_of_70_is_low_above_70_is_high():
    # K institution (seed 002, 5.4.2): "设置客户当前价值和客户潜在价值得分超过 70 分为高，否则为低"
    # — above 70 is high, 70 itself is low. "K70": current contribution 10 (the largest spend),
    # credit 5 (neutral), loyalty 10 · (½ · 0.7 + ½ · 365 / 730) = 6 → (10 + 5 + 6) / 3 · 10 = 70;
    # "K71" the same with a share of 0.76: loyalty 6.3 → 71.
    table = pa.table({
        "customer_id": ["K70", "K71"],
        "first_purchase": pa.array([dt.date(2024, 1, 1)] * 2, pa.date32()),
        "spend_last_period": [300.0, 300.0], "spend_previous_avg": [300.0, 300.0],
        "spend_change": [0.0, 0.0], "previous_periods": pa.array([4, 4], pa.int64()),
        "active_period_share": [0.7, 0.76], "recency_days": pa.array([5, 5], pa.int64()),
        "tenure_days": pa.array([365, 365], pa.int64()),
        "margin_last_period": pa.nulls(2, pa.float64()),
    })
    out, summary = composite_value(table, ValueOptions(cap_quantile=1.0, score_scale="points"))
    rows = {r["customer_id"]: r for r in out.to_pylist()}
    assert rows["K70"]["current_value_score"] == pytest.approx(70.0, abs=1e-9)
    assert rows["K71"]["current_value_score"] == pytest.approx(71.0, abs=1e-9)
    assert rows["K70"]["value_quadrant"][0] == "L" and rows["K71"]["value_quadrant"][0] == "H"
    out, _ = composite_value(table, ValueOptions(cap_quantile=1.0, threshold_inclusive=True,
                                                   score_scale="points"))
    assert [q[0] for q in out.column("value_quadrant").to_pylist()] == ["H", "H"]
    # the threshold is configurable: above 71 nobody is high, above 69 both are
    for threshold, want in ((71.0, ["L", "L"]), (69.0, ["H", "H"])):
        out, _ = composite_value(table, ValueOptions(cap_quantile=1.0, threshold=threshold,
                                                   score_scale="points"))
        assert [q[0] for q in out.column("value_quadrant").to_pylist()] == want
