"""Campaign measurement at its edges: Wilson bounds that rounding would push past 0 and 1, the ROI
interval derived again from the percentile bootstrap's definition (customers and blocks, the
weights shared by a table), the order of a results table, groups too small to compare, missing
outcomes, sample variances in Welch's test and the strict significance cut."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cvm.campaigns.measure import (
    bootstrap_roi,
    compare_groups,
    newcombe_interval,
    welch_test,
    wilson_interval,
)


def test_wilson_bounds_stay_inside_zero_and_one():
    # at n = 5 the score formula gives 1 + 2e-16 for 5/5 and −3e-17 for 0/5 in floating point
    assert wilson_interval(5, 5)[1] == 1.0
    assert wilson_interval(0, 5)[0] == 0.0
    assert wilson_interval(0, 5)[1] == pytest.approx(1 - wilson_interval(5, 5)[0], rel=1e-12)
    low, high = newcombe_interval(5, 5, 0, 5)
    assert high == pytest.approx(1.0, abs=1e-15) and low < high


def _multinomial(rng, m: int, replicates: int) -> np.ndarray:
    return rng.multinomial(m, np.full(m, 1.0 / m), size=replicates).astype(float)


def test_roi_interval_is_the_percentile_bootstrap_of_each_groups_customers():
    rng = np.random.default_rng(8)
    t, c = rng.gamma(2.0, 15.0, 30), rng.gamma(2.0, 12.0, 20)
    # by the definition: customers drawn with replacement, the treated first, then the control
    draws = np.random.default_rng(3)
    w_t, w_c = _multinomial(draws, 30, 500), _multinomial(draws, 20, 500)
    sample = (0.4 * (w_t @ t / 30 - w_c @ c / 20) - 2.0) / 2.0
    roi, low, high = bootstrap_roi(t, c, 2.0, margin_rate=0.4, alpha=0.1, replicates=500, seed=3)
    assert roi == pytest.approx((0.4 * (t.mean() - c.mean()) - 2.0) / 2.0, rel=1e-12)
    assert (low, high) == pytest.approx(tuple(np.quantile(sample, [0.05, 0.95])), rel=1e-12)
    # the defaults: the whole margin, 95 %, 2,000 draws, seed 0
    draws = np.random.default_rng(0)
    w_t, w_c = _multinomial(draws, 30, 2000), _multinomial(draws, 20, 2000)
    sample = (w_t @ t / 30 - w_c @ c / 20 - 2.0) / 2.0
    roi, low, high = bootstrap_roi(t, c, 2.0)
    assert roi == pytest.approx((t.mean() - c.mean() - 2.0) / 2.0, rel=1e-12)
    assert (low, high) == pytest.approx(tuple(np.quantile(sample, [0.025, 0.975])), rel=1e-12)


def test_a_large_group_resamples_random_blocks_with_the_weights_given():
    rng = np.random.default_rng(4)
    t, c = rng.exponential(10.0, 2500), rng.exponential(8.0, 50)
    shared = np.random.default_rng(9)
    w_blocks, w_unused = _multinomial(shared, 1000, 300), _multinomial(shared, 1000, 300)
    roi, low, high = bootstrap_roi(t, c, 1.0, replicates=300, seed=6,
                                   weights=(w_blocks, w_unused))
    # the treated: shuffled, cut into 1,000 blocks of 2 or 3 customers, the blocks' sums
    # resampled with the weights given; the control (50 customers, not 1,000 blocks) with
    # weights of its own drawn from the seed
    draws = np.random.default_rng(6)
    shuffled = t[draws.permutation(2500)]
    edges = np.linspace(0, 2500, 1001).astype(np.int64)
    sums = np.array([shuffled[a:b].sum() for a, b in itertools.pairwise(edges)])
    sizes = np.diff(edges)
    mean_t = (w_blocks @ sums) / (w_blocks @ sizes)
    mean_c = _multinomial(draws, 50, 300) @ c / 50
    sample = mean_t - mean_c - 1.0
    assert roi == pytest.approx(t.mean() - c.mean() - 1.0, rel=1e-12)
    assert (low, high) == pytest.approx(tuple(np.quantile(sample, [0.025, 0.975])), rel=1e-12)


def test_a_table_of_many_customers_shares_one_set_of_block_weights():
    rng = np.random.default_rng(5)
    data = pd.DataFrame({"grp": ["t"] * 1200 + ["c"] * 1100, "spend": rng.exponential(10, 2300)})
    row = compare_groups(data, "grp", "c", ["spend"], cost_per_contact=1.0, replicates=400,
                         seed=2).iloc[0]
    # both groups have 1,000 blocks: both take the weights drawn once from the stream [seed, 1]
    shared = np.random.default_rng([2, 1])
    weights = (_multinomial(shared, 1000, 400), _multinomial(shared, 1000, 400))
    t, c = data.spend[data.grp == "t"].to_numpy(), data.spend[data.grp == "c"].to_numpy()
    want = bootstrap_roi(t, c, 1.0, replicates=400, seed=2, weights=weights)
    assert (row.roi, row.roi_low, row.roi_high) == pytest.approx(want, rel=1e-12)
    assert want[1:] != pytest.approx(bootstrap_roi(t, c, 1.0, replicates=400, seed=2)[1:],
                                     rel=1e-9)
    # fewer customers than blocks: each comparison draws its own
    small = data.iloc[list(range(500)) + list(range(1200, 1700))]
    row = compare_groups(small, "grp", "c", ["spend"], cost_per_contact=1.0, replicates=400,
                         seed=2).iloc[0]
    t, c = small.spend[small.grp == "t"].to_numpy(), small.spend[small.grp == "c"].to_numpy()
    assert (row.roi, row.roi_low, row.roi_high) == pytest.approx(
        bootstrap_roi(t, c, 1.0, replicates=400, seed=2), rel=1e-12)
    # the defaults of the table: 2,000 draws, seed 0
    row = compare_groups(small, "grp", "c", ["spend"], cost_per_contact=1.0).iloc[0]
    assert (row.roi, row.roi_low, row.roi_high) == pytest.approx(
        bootstrap_roi(t, c, 1.0, replicates=2000, seed=0), rel=1e-12)


def test_rows_come_in_sorted_order_of_segment_group_and_outcome_as_given():
    data = pd.DataFrame({"grp": ["z", "b", "control", "z", "b", "control"] * 4,
                         "seg": ["y"] * 12 + ["x"] * 12,
                         "bought": [1, 0, 0, 0, 1, 1] * 4,
                         "spend": np.arange(24.0)})
    out = compare_groups(data, "grp", "control", ["spend", "bought"], segment_column="seg")
    assert list(out[["segment", "group", "outcome"]].itertuples(index=False, name=None)) == [
        (s, g, o) for s in ["all", "x", "y"] for g in ["b", "z"] for o in ["spend", "bought"]]
    first = out.iloc[0]
    # all, b, spend: b's spend 1, 4, 7, …, 22; the control's 2, 5, …, 23
    assert (first.n, first.control_n) == (8, 8)
    assert first.lift == pytest.approx(-1.0)


def test_groups_of_one_are_not_compared_and_missing_outcomes_are_left_out():
    data = pd.DataFrame({"grp": ["t", "t", "c", "c", "c", "u", "c"],
                         "spend": [10.0, 14.0, 4.0, 8.0, np.nan, 9.0, 6.0]})
    out = compare_groups(data, "grp", "c", ["spend"]).set_index("group")
    # t: 2 customers against the control's 3 with an answer (the one without is left out)
    t = out.loc["t"]
    assert (t.n, t.control_n) == (2, 3)
    assert (t.treated_value, t.control_value, t.lift) == (12.0, 6.0, 6.0)
    _, low, high, p = welch_test(12.0, 8.0, 2, 6.0, 4.0, 3)  # sample variances 8 and 4
    assert (t.ci_low, t.ci_high, t.p_value) == pytest.approx((low, high, p), rel=1e-12)
    assert t.p_value == pytest.approx(
        stats.ttest_ind([10.0, 14.0], [4.0, 8.0, 6.0], equal_var=False).pvalue, rel=1e-10)
    assert t.relative_lift == pytest.approx(1.0)
    # u: one customer, nothing to compare
    u = out.loc["u"]
    assert (u.n, u.control_n) == (1, 3)
    assert all(math.isnan(u[c]) for c in ["treated_value", "lift", "ci_low", "p_value"])
    # a control of one: nothing to compare either; a control of two is enough
    one = compare_groups(data[data.spend.notna()].iloc[[0, 1, 2]], "grp", "c", ["spend"])
    assert (one.n[0], one.control_n[0]) == (2, 1) and math.isnan(one.lift[0])
    two = compare_groups(data.iloc[[0, 1, 2, 3]], "grp", "c", ["spend"]).iloc[0]
    assert (two.n, two.control_n, two.lift) == (2, 2, 6.0)
    assert two.p_value == pytest.approx(
        stats.ttest_ind([10.0, 14.0], [4.0, 8.0], equal_var=False).pvalue, rel=1e-10)


def test_an_outcome_nobody_has_is_a_mean_with_nothing_to_compare():
    data = pd.DataFrame({"grp": ["t", "t", "c", "c"], "bought": [1, 0, 1, 1],
                         "spend": [np.nan] * 4})
    out = compare_groups(data, "grp", "c", ["bought", "spend"]).set_index("outcome")
    assert list(out.kind) == ["rate", "mean"]
    assert (out.loc["spend", "n"], out.loc["spend", "control_n"]) == (0, 0)
    assert math.isnan(out.loc["spend", "lift"])


def test_significant_means_an_adjusted_p_value_strictly_below_alpha():
    data = pd.DataFrame({"grp": ["t"] * 50 + ["c"] * 50,
                         "bought": [1] * 15 + [0] * 35 + [1] * 25 + [0] * 25})
    p = compare_groups(data, "grp", "c", ["bought"]).p_adjusted[0]
    assert p == pytest.approx(0.04123, abs=5e-6)  # R: prop.test(c(15, 25), c(50, 50), F)
    assert not compare_groups(data, "grp", "c", ["bought"], alpha=p).significant[0]
    assert compare_groups(data, "grp", "c", ["bought"],
                          alpha=float(np.nextafter(p, 1))).significant[0]


def test_an_empty_control_names_the_first_ten_groups():
    data = pd.DataFrame({"grp": [f"g{i:02d}" for i in range(12)], "bought": [0, 1] * 6})
    with pytest.raises(ValueError, match="control group is empty") as err:
        compare_groups(data, "grp", "control", ["bought"])
    assert "g00, g01, g02, g03, g04, g05, g06, g07, g08, g09)" in str(err.value)
    assert "g10" not in str(err.value)
    with pytest.raises(KeyError, match="no column spend, seg"):
        compare_groups(data, "grp", "g00", ["spend"], segment_column="seg")
