"""Lift, intervals, p-values, ROI and false-discovery control, against published values,
hand-worked cases and statsmodels / scipy."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cvm.campaigns.measure import (benjamini_hochberg, bootstrap_roi, compare_groups,
                                   newcombe_interval, proportions_test, welch_test,
                                   wilson_interval)

# Newcombe (1998), Table II, method 10: the hybrid score interval of the eight examples
NEWCOMBE_TABLE_II = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.0582, 0.8062)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000)),
]


@pytest.mark.parametrize("counts,expected", NEWCOMBE_TABLE_II)
def test_newcombe_table_ii(counts, expected):
    low, high = newcombe_interval(*counts)
    assert low == pytest.approx(expected[0], abs=5e-5)
    assert high == pytest.approx(expected[1], abs=5e-5)


def test_newcombe_matches_statsmodels():
    sm = pytest.importorskip("statsmodels.stats.proportion")
    for x_t, n_t, x_c, n_c in [(56, 70, 48, 80), (130, 1000, 100, 1000), (3, 40, 9, 41)]:
        ref = sm.confint_proportions_2indep(x_t, n_t, x_c, n_c, method="newcomb",
                                            compare="diff")
        assert newcombe_interval(x_t, n_t, x_c, n_c) == pytest.approx(ref, abs=1e-10)
        assert wilson_interval(x_t, n_t) == pytest.approx(
            sm.proportion_confint(x_t, n_t, method="wilson"), abs=1e-12)


def test_proportions_test_is_prop_test_without_correction():
    # R: prop.test(c(15, 25), c(50, 50), correct = FALSE): X-squared = 4.1667, p = 0.04123
    p = proportions_test(15, 50, 25, 50)
    assert p == pytest.approx(0.04123, abs=5e-6)
    assert stats.norm.isf(p / 2) ** 2 == pytest.approx(4.1667, abs=5e-5)
    table = np.array([[15, 35], [25, 25]])
    assert p == pytest.approx(stats.chi2_contingency(table, correction=False)[1], rel=1e-10)
    assert proportions_test(0, 10, 0, 10) == 1.0


def test_welch_matches_scipy_and_statsmodels():
    rng = np.random.default_rng(3)
    t, c = rng.gamma(2.0, 30.0, 80), rng.gamma(2.0, 25.0, 45)
    d, low, high, p = welch_test(t.mean(), t.var(ddof=1), 80, c.mean(), c.var(ddof=1), 45)
    assert p == pytest.approx(stats.ttest_ind(t, c, equal_var=False).pvalue, rel=1e-10)
    sm = pytest.importorskip("statsmodels.stats.weightstats")
    cm = sm.CompareMeans(sm.DescrStatsW(t), sm.DescrStatsW(c))
    assert (low, high) == pytest.approx(cm.tconfint_diff(usevar="unequal"), rel=1e-10)
    # hand-worked: means 10 and 8, variances 4 and 9, n 10 and 10
    d, low, high, p = welch_test(10, 4, 10, 8, 9, 10)
    se = math.sqrt(0.4 + 0.9)
    df = 1.3 ** 2 / (0.4 ** 2 / 9 + 0.9 ** 2 / 9)
    assert df == pytest.approx(15.6804, abs=1e-4)  # 1.69 · 9 / 0.97
    assert high - d == pytest.approx(stats.t.isf(0.025, df) * se, rel=1e-12)
    assert p == pytest.approx(2 * stats.t.sf(2 / se, df), rel=1e-12)


def test_benjamini_hochberg_by_hand_and_statsmodels():
    # sorted 0.005, 0.01, 0.03, 0.04 → ×4/rank 0.02, 0.02, 0.04, 0.04
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.02, 0.04, 0.04, 0.02])
    # step-up: a larger p-value lifts nothing above it, a smaller later one pulls down
    assert benjamini_hochberg([0.04, 0.049]) == pytest.approx([0.049, 0.049])
    q = benjamini_hochberg([0.2, np.nan, 0.01])
    assert np.isnan(q[1]) and q[[0, 2]] == pytest.approx([0.2, 0.02])
    sm = pytest.importorskip("statsmodels.stats.multitest")
    p = np.random.default_rng(1).uniform(0, 0.2, 37)
    assert benjamini_hochberg(p) == pytest.approx(sm.multipletests(p, method="fdr_bh")[1],
                                                  rel=1e-12)


def test_roi_by_hand_and_its_bootstrap():
    # treated mean 30, control mean 20, margin 50 %, cost 2: ROI = (0.5·10 − 2)/2 = 1.5
    treated, control = np.array([20.0, 40.0] * 50), np.array([10.0, 30.0] * 50)
    roi, low, high = bootstrap_roi(treated, control, 2.0, margin_rate=0.5)
    assert roi == pytest.approx(1.5)
    assert low < roi < high
    # the interval's width is about that of the normal interval: SE of Δ = √(100/100 + 100/100)
    assert (high - low) == pytest.approx(2 * 1.96 * 0.5 * math.sqrt(2) / 2, rel=0.15)
    # large groups are resampled in blocks: the spread stays that of the customer bootstrap
    rng = np.random.default_rng(0)
    big_t, big_c = rng.exponential(10, 200_000), rng.exponential(10, 50_000)
    roi, low, high = bootstrap_roi(big_t, big_c, 1.0, replicates=2000)
    se = math.sqrt(big_t.var() / 200_000 + big_c.var() / 50_000)
    assert (high - low) / (2 * 1.96) == pytest.approx(se, rel=0.1)
    with pytest.raises(ValueError):
        bootstrap_roi(big_t, big_c, 0.0)


def test_compare_groups_table():
    rows = ([("treatment", 1, 10.0, "A")] * 30 + [("treatment", 0, 0.0, "A")] * 70
            + [("control", 1, 8.0, "A")] * 10 + [("control", 0, 0.0, "A")] * 90
            + [("treatment", 1, 10.0, "B")] * 5 + [("treatment", 0, 0.0, "B")] * 5
            + [("control", 0, 0.0, "B")] * 10)
    data = pd.DataFrame(rows, columns=["grp", "responded", "revenue", "cell"])
    out = compare_groups(data, "grp", "control", ["responded", "revenue"],
                         segment_column="cell", cost_per_contact=1.0)
    assert list(out[["segment", "outcome"]].itertuples(index=False, name=None)) == [
        ("all", "responded"), ("all", "revenue"), ("A", "responded"), ("A", "revenue"),
        ("B", "responded"), ("B", "revenue")]
    a = out[(out.segment == "A") & (out.outcome == "responded")].iloc[0]
    assert (a.n, a.control_n, a.treated_value, a.control_value) == (100, 100, 0.3, 0.1)
    assert a.lift == pytest.approx(0.2) and a.relative_lift == pytest.approx(2.0)
    assert (a.ci_low, a.ci_high) == pytest.approx(newcombe_interval(30, 100, 10, 100))
    assert a.kind == "rate" and np.isnan(a.roi)
    r = out[(out.segment == "all") & (out.outcome == "revenue")].iloc[0]
    assert r.kind == "mean"
    # treated 350/110, control 80/110 revenue per customer; ROI = Δ/1 − 1
    assert r.roi == pytest.approx(350 / 110 - 80 / 110 - 1)
    assert out.p_adjusted.to_numpy() == pytest.approx(benjamini_hochberg(out.p_value))
    with pytest.raises(ValueError, match="control group is empty"):
        compare_groups(data, "grp", "holdout", ["responded"])


def test_wilson_edges():
    assert all(math.isnan(v) for v in wilson_interval(0, 0))
    low, high = wilson_interval(1, 1)
    # z² = 3.8415: low = 1 / (1 + z²) = 0.2065, high = 1
    assert low == pytest.approx(1 / (1 + stats.norm.isf(0.025) ** 2), rel=1e-9)
    assert high == pytest.approx(1.0)


def test_block_bootstrap_starts_above_the_block_count():
    from cvm.campaigns.measure import BOOTSTRAP_BLOCKS, _block_sums

    rng = np.random.default_rng(0)
    assert BOOTSTRAP_BLOCKS == 1000
    sums, counts = _block_sums(np.arange(1000.0), rng)
    # the customer bootstrap itself, customers in their order
    assert len(sums) == 1000 and (counts == 1).all() and (sums == np.arange(1000.0)).all()
    sums, counts = _block_sums(np.arange(2500.0), rng)
    assert len(sums) == 1000 and set(counts) == {2.0, 3.0} and sums.sum() == np.arange(2500).sum()


def test_welch_without_spread():
    # both groups constant: the difference is known exactly
    assert welch_test(5.0, 0.0, 10, 5.0, 0.0, 10) == (0.0, 0.0, 0.0, 1.0)
    assert welch_test(6.0, 0.0, 10, 5.0, 0.0, 10) == (1.0, 1.0, 1.0, 0.0)


def test_benjamini_hochberg_of_nothing():
    assert benjamini_hochberg([]).shape == (0,)
    assert np.isnan(benjamini_hochberg([np.nan, np.nan])).all()


def test_roi_defaults_and_shared_weights_for_small_segments():
    rng = np.random.default_rng(5)
    t, c = rng.exponential(10, 300), rng.exponential(8, 100)
    assert bootstrap_roi(t, c, 1.0) == bootstrap_roi(t, c, 1.0, replicates=2000, seed=0)
    # 1,500 customers: the shared block weights serve the whole table, not a small segment
    data = pd.DataFrame({"grp": ["t"] * 1200 + ["c"] * 300,
                         "seg": (["big"] * 1100 + ["small"] * 100) + (["big"] * 250
                                                                     + ["small"] * 50),
                         "spend": rng.exponential(10, 1500)})
    out = compare_groups(data, "grp", "c", ["spend"], segment_column="seg", cost_per_contact=1.0)
    small = out[out.segment == "small"].iloc[0]
    assert small.roi_low < small.roi < small.roi_high
