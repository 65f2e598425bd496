"""Composite value (cvm.features.value) at its edges, each case worked by hand: the scaling cap
when the quantile is not positive, missing figures in every indicator, each credit figure on both
sides of its rule, the trend proxy's parts, category breadth, the part scores, the quadrant
thresholds and the summary the report reads."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from cvm.config import LifecycleOptions, ValueOptions
from cvm.features.value import composite_value, indicator_scores, scale_amount, value_weights

# -- scale_amount --------------------------------------------------------------------------


def test_scale_caps_at_the_quantile_of_the_reference():
    # median of (2, 4, 6, 8, 10) is 6: 3 → 5, 6 and above → 10, 0 and below → 0
    got = scale_amount(np.array([-1.0, 0.0, 3.0, 6.0, 12.0]), np.array([2.0, 4, 6, 8, 10]), 0.5)
    assert got.tolist() == [0.0, 0.0, 5.0, 10.0, 10.0]


def test_scale_cap_below_one_is_kept():
    # amounts below 1 (a currency of large units): the 0.75 quantile of (0.1 … 0.4) is 0.325
    got = scale_amount(np.array([0.1, 0.325, 0.5]), np.array([0.1, 0.2, 0.3, 0.4]), 0.75)
    assert got.tolist() == pytest.approx([10 * 0.1 / 0.325, 10.0, 10.0], rel=1e-12)


def test_scale_cap_falls_back_to_the_largest_positive_value():
    # most of the reference is 0, so its median is 0: the cap is the largest positive value, 8
    ref = np.array([0.0, 0.0, 0.0, -5.0, 2.0, 8.0])
    got = scale_amount(np.array([1.0, 2.0, 8.0, 20.0]), ref, 0.5)
    assert got.tolist() == [1.25, 2.5, 10.0, 10.0]
    # positive values below 1 are still positive: (0, 0, 0, 0.4) → cap 0.4
    got = scale_amount(np.array([0.1, 0.4]), np.array([0.0, 0.0, 0.0, 0.4]), 0.5)
    assert got.tolist() == pytest.approx([2.5, 10.0], rel=1e-12)


@pytest.mark.parametrize("ref", [np.array([]), np.array([np.nan, np.nan]), np.array([0.0, -3.0])],
                         ids=["empty", "unknown", "not-positive"])
def test_scale_without_a_positive_reference_is_zero(ref):
    got = scale_amount(np.array([0.0, 0.5, 7.0]), ref, 0.95)
    assert got.tolist() == [0.0, 0.0, 0.0]


def test_scale_reads_a_missing_amount_as_zero():
    assert scale_amount(np.array([np.nan, 5.0]), np.array([10.0, np.nan]), 1.0).tolist() == [0.0, 5.0]


# -- the indicators ------------------------------------------------------------------------

TREND = ("spend_last_period", "spend_previous_avg", "spend_change", "previous_periods",
         "active_period_share", "recency_days", "tenure_days")


def table(rows: list[dict], **extra) -> pa.Table:
    """Customers with the lifecycle trend columns (None where a row leaves a figure out)."""
    cols = {name: pa.array([r.get(name) for r in rows], pa.float64()) for name in TREND}
    cols.update({k: pa.array(v, pa.float64()) for k, v in extra.items()})
    return pa.table(cols)


STEADY = {"spend_last_period": 100.0, "spend_previous_avg": 100.0, "spend_change": 0.0,
          "previous_periods": 1, "active_period_share": 1.0, "recency_days": 0, "tenure_days": 730}
# current and potential value on the points scale: these tests check the two parts' arithmetic
# (the default share scale ranks the points among the buyers, tests/features/test_value.py)
ALL_ROWS_BOUGHT = ValueOptions(cap_quantile=1.0, score_scale="points")


def test_trend_columns_are_required():
    t = table([STEADY]).drop_columns(["recency_days", "tenure_days"])
    with pytest.raises(ValueError, match=r"lifecycle trend columns; missing recency_days, tenure_days$"):
        indicator_scores(t)


def test_trend_proxy_with_missing_figures():
    # future = (last + previous average × previous periods) / (previous periods + 1)
    #          × clip(1 + change, 0, 2) × clip(1 − recency / 365, 0, 1); a missing figure counts 0,
    # a missing change as no change. The top customer (a) sets the cap of 10.
    rows = [
        {**STEADY, "spend_last_period": 300.0, "spend_previous_avg": 100.0, "previous_periods": 2,
         "spend_change": 1.0},                                        # a: (300 + 200) / 3 × 2
        {**STEADY, "spend_last_period": None, "spend_previous_avg": 60.0, "previous_periods": 2,
         "spend_change": None},                                       # b: (0 + 120) / 3 × 1
        {**STEADY, "spend_last_period": 30.0, "spend_previous_avg": None, "previous_periods": 1,
         "spend_change": 0.0},                                        # c: (30 + 0) / 2
        {**STEADY, "spend_last_period": 30.0, "spend_previous_avg": 50.0, "previous_periods": None,
         "spend_change": 0.0},                                        # d: 30 / 1
        {**STEADY, "spend_last_period": 50.0, "previous_periods": 0, "spend_change": 0.0,
         "recency_days": -30},                                        # e: a purchase after the date: alive 1
        {**STEADY, "spend_last_period": 50.0, "previous_periods": 0, "spend_change": 0.0,
         "recency_days": 73},                                         # f: 50 × (1 − 73 / 365)
    ]
    scores, notes = indicator_scores(table(rows), ALL_ROWS_BOUGHT)
    assert notes["future_contribution"] == "trend proxy"
    future = [500 / 3 * 2, 120 / 3, 15.0, 30.0, 50.0, 50 * (1 - 73 / 365)]
    assert scores["future_contribution"].tolist() == pytest.approx(
        [10 * f / future[0] for f in future], rel=1e-12)
    # current contribution is the last period's spend, a missing one 0
    assert scores["current_contribution"].tolist() == pytest.approx(
        [10.0, 0.0, 1.0, 1.0, 10 / 6, 10 / 6], rel=1e-12)
    # growth: 5 (1 + change), 5 without a change
    assert scores["growth_potential"].tolist() == [10.0, 5.0, 5.0, 5.0, 5.0, 5.0]


def test_churn_days_of_the_lifecycle_options_are_used():
    rows = [{**STEADY, "recency_days": 0}, {**STEADY, "recency_days": 50}]
    scores, _ = indicator_scores(table(rows), ALL_ROWS_BOUGHT, LifecycleOptions(churn_days=200))
    assert scores["future_contribution"].tolist() == pytest.approx([10.0, 7.5])  # 1 − 50 / 200


def test_current_contribution_prefers_margin_and_reads_a_missing_margin_as_zero():
    rows = [STEADY, STEADY, STEADY]
    t = table(rows, margin_last_period=[40.0, None, 10.0])
    scores, notes = indicator_scores(t, ALL_ROWS_BOUGHT)
    assert notes["current_contribution"] == "margin_last_period"
    assert scores["current_contribution"].tolist() == [10.0, 0.0, 2.5]


def test_clv_is_the_future_contribution_when_there_is_no_potential_value():
    t = table([STEADY] * 3, clv=[200.0, None, 50.0])
    scores, notes = indicator_scores(t, ALL_ROWS_BOUGHT)
    assert notes["future_contribution"] == "clv"
    assert scores["future_contribution"].tolist() == [10.0, 0.0, 2.5]
    # an all-null potential_value column is no source; clv still is
    t = t.append_column("potential_value", pa.nulls(3, pa.float64()))
    assert indicator_scores(t, ALL_ROWS_BOUGHT)[1]["future_contribution"] == "clv"


def test_reference_is_every_row_without_buyers_and_the_buyers_with_them():
    # spends 0, 0, 0, 40, 80: the median of all five is 0 (the cap falls back to the largest,
    # 80); of the two buyers it is 60
    rows = [{**STEADY, "spend_last_period": s} for s in (0.0, 0.0, 0.0, 40.0, 80.0)]
    o = ValueOptions(cap_quantile=0.5)
    everyone, _ = indicator_scores(table(rows), o)
    assert everyone["current_contribution"].tolist() == [0.0, 0.0, 0.0, 5.0, 10.0]
    buyers, _ = indicator_scores(table(rows), o, buyers=np.array([False, False, False, True, True]))
    assert buyers["current_contribution"].tolist() == pytest.approx([0.0, 0.0, 0.0, 20 / 3, 10.0])


def test_credit_figures_each_on_both_sides_of_their_rule():
    # per customer the mean of the figures it has:
    #   defaults: 0 → 10, 1 → 0, 2 → 0;  late payments: 10 / (1 + n), a negative count as 0;
    #   limit use: 10 (1 − use) with use kept in 0 … 1
    t = table([STEADY] * 6,
              defaults=[0, 1, 2, None, None, None],
              late_payments=[3, None, None, 1, -2, None],
              credit_limit_use=[None, None, None, None, 1.5, 0.25])
    scores, notes = indicator_scores(t, ALL_ROWS_BOUGHT)
    assert scores["credit"].tolist() == pytest.approx([(10 + 2.5) / 2, 0.0, 0.0, 5.0, (10 + 0) / 2, 7.5])
    assert notes["credit"] == "late_payments, defaults, credit_limit_use"


def test_credit_with_some_figures_missing():
    # a customer with one of two figures: the mean of that one (5, not (5 + 0) / 2 nor the
    # neutral score); a customer with none: the neutral score
    t = table([STEADY] * 3, late_payments=[1, None, 4], credit_limit_use=[None, None, 0.5])
    scores, _ = indicator_scores(t, ValueOptions(cap_quantile=1.0, neutral_credit=6.0))
    assert scores["credit"].tolist() == pytest.approx([5.0, 6.0, (2 + 5) / 2])


def test_credit_score_scaled_among_the_buyers_that_have_one():
    # scores 600, 700, 800, 900 and two customers without one: the median of the known scores
    # is 750, so 600 → 8 and 800 and above → 10; customers without a score are neutral and do
    # not count in the cap
    t = table([STEADY] * 6, credit_score=[600.0, 700.0, 800.0, 900.0, None, None])
    scores, notes = indicator_scores(t, ValueOptions(cap_quantile=0.5))
    assert notes["credit"] == "credit_score"
    assert scores["credit"].tolist() == pytest.approx([8.0, 700 / 75, 10.0, 10.0, 5.0, 5.0])


def test_no_credit_data_is_neutral_for_everyone():
    t = table([STEADY] * 2, late_payments=[None, None])     # the column, but no figure in it
    scores, notes = indicator_scores(t, ValueOptions(neutral_credit=4.0))
    assert scores["credit"].tolist() == [4.0, 4.0]
    assert notes["credit"] == "neutral (no credit data)"
    # the configuration refuses a neutral score outside 0 … 10; given directly, it is kept in range
    scores, _ = indicator_scores(t, ValueOptions(neutral_credit=12.0))
    assert scores["credit"].tolist() == [10.0, 10.0]


def test_loyalty_regularity_and_tenure():
    # 10 (½ share + ½ min(1, tenure / loyalty days)); missing figures count 0
    rows = [{**STEADY, "active_period_share": 0.4, "tenure_days": 100},
            {**STEADY, "active_period_share": None, "tenure_days": 800},
            {**STEADY, "active_period_share": 0.5, "tenure_days": None}]
    scores, _ = indicator_scores(table(rows), ValueOptions(loyalty_tenure_days=400))
    assert scores["loyalty"].tolist() == pytest.approx([10 * (0.2 + 0.125), 5.0, 2.5])


def test_growth_with_category_breadth():
    # ½ · 5 (1 + clip(change, −1, 1)) + ½ · 10 (1 − clip(bought / total, 0, 1)); no known
    # total: room 5; no known number bought: none bought
    rows = [{**STEADY, "spend_change": c} for c in (0.5, 3.0, -0.4, -2.0, None, 0.0, 0.0, 0.0)]
    t = table(rows, categories_bought=[1, 2, 5, 0, 3, 1, None, 0],
              categories_total=[4, 4, 4, 4, 4, None, 4, 1])
    scores, notes = indicator_scores(t)
    assert notes["growth_potential"] == "spend_change, category breadth"
    trend = [7.5, 10.0, 3.0, 0.0, 5.0, 5.0, 5.0, 5.0]
    room = [7.5, 5.0, 0.0, 10.0, 2.5, 5.0, 10.0, 10.0]
    assert scores["growth_potential"].tolist() == pytest.approx(
        [(a + b) / 2 for a, b in zip(trend, room)], rel=1e-12)
    # categories bought without the total: the trend alone
    t = table(rows, categories_bought=[1, 2, 5, 0, 3, 1, None, 0])
    scores, notes = indicator_scores(t)
    assert notes["growth_potential"] == "spend_change"
    assert scores["growth_potential"].tolist() == pytest.approx(trend, rel=1e-12)


# -- weights, parts, quadrants -------------------------------------------------------------


def test_given_weights_and_the_two_parts():
    # indicators of the first customer: current 10, future 10, credit 5 (neutral), loyalty 10,
    # growth 5; weights 3, 1, 0, 1, 1 (sum 6)
    rows = [{**STEADY, "spend_last_period": 100.0}, {**STEADY, "spend_last_period": 50.0,
                                                     "spend_previous_avg": 50.0}]
    o = ValueOptions(cap_quantile=1.0, weights=(3, 1, 0, 1, 1), score_scale="points")
    out, summary = composite_value(table(rows), o)
    first = out.to_pylist()[0]
    assert summary["method"] == "given" and summary["weights"] == pytest.approx([0.5, 1 / 6, 0, 1 / 6, 1 / 6])
    assert first["composite_value"] == pytest.approx(10 * (3 * 10 + 1 * 10 + 0 * 5 + 10 + 5) / 6)
    # current part: current, credit, loyalty weighted 3 : 0 : 1; potential: future, growth 1 : 1
    assert first["current_value_score"] == pytest.approx(10 * (3 * 10 + 10) / 4)
    assert first["potential_value_score"] == pytest.approx(10 * (10 + 5) / 2)


def test_a_part_whose_weights_are_all_zero_weighs_its_indicators_equally():
    o = ValueOptions(cap_quantile=1.0, weights=(1, 0, 0, 0, 0), score_scale="points")
    out, _ = composite_value(table([STEADY, {**STEADY, "spend_last_period": 20.0}]), o)
    first = out.to_pylist()[0]
    # future 10 (the top), growth 5: equal weights → 75; the composite is the current alone
    assert first["potential_value_score"] == pytest.approx(75.0)
    assert first["composite_value"] == pytest.approx(100.0)


def test_value_weights_take_the_buyers_only_for_entropy():
    scores = {"current_contribution": np.array([10.0, 0.0, 0.0]),
              "future_contribution": np.array([5.0, 5.0, 0.0]),
              "credit": np.array([5.0, 5.0, 5.0]),
              "loyalty": np.array([2.0, 8.0, 0.0]),
              "growth_potential": np.array([5.0, 5.0, 5.0])}
    weights, method = value_weights(scores, ValueOptions(weight_method="entropy"),
                                    buyers=np.array([True, True, False]))
    # among the two buyers: current (10, 0) e = 0; future (5, 5) e = 1; loyalty (0.2, 0.8)
    # e = −(0.2 ln 0.2 + 0.8 ln 0.8) / ln 2 = 0.7219; credit and growth e = 1
    e = -(0.2 * np.log(0.2) + 0.8 * np.log(0.8)) / np.log(2)
    d = np.array([1.0, 0.0, 0.0, 1 - e, 0.0])
    assert weights == pytest.approx(tuple(d / d.sum()), rel=1e-12)
    assert method["method"] == "entropy" and method["entropy"][1] == 1.0
    weights, method = value_weights(scores)
    assert weights == (0.2,) * 5 and method == {"method": "given", "weights": [0.2] * 5}


def test_quadrant_threshold_above_70_is_high_and_70_only_when_inclusive():
    # seed 002: "得分超过 70 分为高" — above 70 is high, 70 itself is low
    # with last and previous spend s and no change, current and future contribution are both
    # s / 100 × 10 (the top spend is 100); credit 5 (neutral), loyalty 10, growth 5:
    #   current part = 10 (s/10 + 5 + 10) / 3 → exactly 70 at s = 60
    #   potential part = 10 (s/10 + 5) / 2     → exactly 70 at s = 90
    spends = (100.0, 90.0, 89.0, 60.0, 59.0)
    rows = [{**STEADY, "spend_last_period": s, "spend_previous_avg": s} for s in spends]
    out, summary = composite_value(table(rows), ALL_ROWS_BOUGHT)
    assert out.column("current_value_score").to_pylist() == pytest.approx(
        [10 * (s / 10 + 15) / 3 for s in spends])
    assert out.column("potential_value_score").to_pylist() == pytest.approx(
        [10 * (s / 10 + 5) / 2 for s in spends])
    assert summary["threshold_current"] == summary["threshold_potential"] == 70.0
    assert summary["threshold_method"] == "fixed"
    assert out.column("value_quadrant").to_pylist() == ["HH", "HL", "HL", "LL", "LL"]
    assert summary["quadrants"] == {"HH": 1, "HL": 2, "LH": 0, "LL": 2}
    out, summary = composite_value(table(rows),
                                   ValueOptions(cap_quantile=1.0, threshold_inclusive=True,
                                                score_scale="points"))
    assert out.column("value_quadrant").to_pylist() == ["HH", "HH", "HL", "HL", "LL"]
    assert summary["quadrants"] == {"HH": 2, "HL": 2, "LH": 0, "LL": 1}


def test_quantile_threshold_without_buyers_falls_back_to_the_fixed_one():
    o = ValueOptions(cap_quantile=1.0, threshold_method="quantile", threshold_quantile=0.5,
                     threshold=65.0)
    rows = [STEADY, {**STEADY, "spend_last_period": 20.0}]
    _, summary = composite_value(table(rows), o, buyers=np.array([False, False]))
    assert summary["threshold_current"] == summary["threshold_potential"] == 65.0
    assert summary["quadrants"] == {"HH": 0, "HL": 0, "LH": 0, "LL": 0}


def test_summary_says_when_credit_data_were_used():
    t = table([STEADY] * 2, defaults=[0, 1])
    _, summary = composite_value(t, ALL_ROWS_BOUGHT)
    assert summary["credit_available"] is True
    assert summary["sources"]["credit"] == "defaults"
    assert summary["indicators"] == ["current_contribution", "future_contribution", "credit",
                                     "loyalty", "growth_potential"]


def test_share_scale_ties_do_not_depend_on_the_last_bits_of_a_sum():
    from cvm.features.value import share_scale

    # 0.1 + 0.2 and 0.3 are one score: each is at or above two of the three buyers
    got = share_scale(np.array([0.1 + 0.2, 0.3]), np.array([0.1, 0.1 + 0.2, 0.5]))
    assert got.tolist() == pytest.approx([200 / 3, 200 / 3])
