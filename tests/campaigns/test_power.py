"""Sample size and power, against R's documented values and hand-worked cases."""

import math

import pytest

from cvm.campaigns.power import (mde_means, mde_proportions, plan_means, plan_proportions,
                                 power_means, power_proportions, sample_size_means,
                                 sample_size_proportions)


def test_power_prop_test_documented_values():
    # R: power.prop.test(n = 50, p1 = .50, p2 = .75)  => power = 0.7401659
    assert power_proportions(0.5, 0.75, 50) == pytest.approx(0.7401659, abs=5e-8)
    # R: power.prop.test(p1 = .50, p2 = .75, power = .90)  => n = 76.7
    n = sample_size_proportions(0.5, 0.75, power=0.9)
    assert n == pytest.approx(76.7, abs=0.05)
    assert math.ceil(n) == 77


def test_power_prop_by_hand():
    # z = (√50·0.25 − 1.959964·√(1.25·0.75/2)) / √(0.25·0.75... ) worked out term by term
    z_a = 1.959963984540054
    num = math.sqrt(50) * 0.25 - z_a * math.sqrt(1.25 * 0.75 / 2)
    den = math.sqrt(0.5 * 0.5 + 0.75 * 0.25)
    from scipy.stats import norm
    assert power_proportions(0.75, 0.5, 50) == pytest.approx(norm.cdf(num / den), rel=1e-12)
    # the sample size is the power equation solved for n: back-substituting gives the power
    for p1, p2, pw in [(0.1, 0.12, 0.8), (0.02, 0.03, 0.9), (0.6, 0.5, 0.8)]:
        n = sample_size_proportions(p1, p2, power=pw)
        assert power_proportions(p1, p2, n) == pytest.approx(pw, abs=1e-9)
    # strict adds the other tail: a hair more power, a hair fewer customers
    assert power_proportions(0.5, 0.75, 50, strict=True) > power_proportions(0.5, 0.75, 50)
    assert sample_size_proportions(0.5, 0.75, power=0.9, strict=True) < n + 100


def test_power_t_test_documented_values():
    # R: power.t.test(n = 20, delta = 1)  => power = 0.8689528
    assert power_means(1, 1, 20) == pytest.approx(0.8689528, abs=5e-8)
    # R: power.t.test(power = .90, delta = 1)  => n = 22.02110
    assert sample_size_means(1, 1, power=0.9) == pytest.approx(22.02110, abs=5e-6)
    # scale free: δ = 5, σ = 5 is the same test
    assert sample_size_means(5, 5, power=0.9) == pytest.approx(22.02110, abs=5e-6)


def test_mde_inverts_sample_size():
    n = sample_size_proportions(0.1, 0.13, power=0.8)
    assert mde_proportions(0.1, n, power=0.8) == pytest.approx(0.03, abs=1e-7)
    assert mde_means(2.0, 22.02110, power=0.9) == pytest.approx(2.0, rel=1e-5)
    assert math.isnan(mde_proportions(0.5, 3, power=0.99))


def test_statsmodels_agrees_on_the_arcsine_free_normal_case():
    sm = pytest.importorskip("statsmodels.stats.power")
    # statsmodels' two-sample t power, same noncentral t as R's power.t.test
    assert sm.TTestIndPower().power(effect_size=1, nobs1=20, alpha=0.05, ratio=1) == \
        pytest.approx(power_means(1, 1, 20, strict=True), abs=1e-9)


def test_plan_rounds_up_and_gives_the_list_mde():
    plan = plan_proportions(0.5, 0.25, power=0.9)
    assert plan.per_group == 77 and plan.per_group_exact == pytest.approx(76.7069, abs=1e-4)
    # a list of 2 × 77: its MDE is the planned lift or a little less
    listed = plan_proportions(0.5, 0.25, power=0.9, list_size=154, control_share=0.5)
    assert listed.mde == pytest.approx(mde_proportions(0.5, 77, power=0.9), abs=1e-12)
    assert listed.mde <= 0.25
    # 10 % control: the harmonic mean 2/(1/900 + 1/100) = 180 customers a group
    tenth = plan_proportions(0.1, 0.02, list_size=1000, control_share=0.1)
    assert tenth.mde == pytest.approx(mde_proportions(0.1, 180), abs=1e-12)
    m = plan_means(50.0, 5.0, 40.0, power=0.8)
    assert m.per_group == math.ceil(sample_size_means(5.0, 40.0, power=0.8))
    with pytest.raises(ValueError):
        plan_proportions(0.9, 0.2)


def test_strict_adds_the_lower_tail_by_hand():
    from scipy.stats import norm
    z = norm.isf(0.025)
    pooled, spread = math.sqrt(1.25 * 0.75 / 2), math.sqrt(0.25 + 0.1875)
    lower = norm.cdf((-math.sqrt(50) * 0.25 - z * pooled) / spread)
    assert lower == pytest.approx(1.29e-6, rel=0.01)
    assert power_proportions(0.5, 0.75, 50, strict=True) - power_proportions(0.5, 0.75, 50) == \
        pytest.approx(lower, rel=1e-6)
    # R: power.t.test(n = 20, delta = 1, strict = TRUE): the lower tail of the noncentral t
    from scipy.stats import nct, t
    tail = nct.cdf(-t.isf(0.025, 38), 38, math.sqrt(10))
    assert power_means(1, 1, 20, strict=True) - power_means(1, 1, 20) == pytest.approx(
        tail, rel=1e-6)


@pytest.mark.parametrize("alpha,power", [(0.0, 0.8), (1.0, 0.8), (0.05, 1.0), (0.05, 0.05),
                                         (0.5, 0.4)])
def test_levels_out_of_range_are_refused(alpha, power):
    with pytest.raises(ValueError):
        sample_size_proportions(0.1, 0.2, power=power, alpha=alpha)


def test_levels_just_inside_the_range_are_taken():
    assert sample_size_proportions(0.1, 0.2, power=0.999, alpha=0.001) > 0
    assert sample_size_proportions(0.1, 0.2, power=0.06, alpha=0.05) > 0
    assert power_proportions(0.1, 0.2, 100, alpha=0.999) <= 1


def test_defaults_are_power_080_and_alpha_005():
    # R: power.prop.test(p1 = .5, p2 = .75, power = .8) => n = 57.67; by hand
    # (1.959964 · 0.684653 + 0.841621 · 0.661438)² / 0.25² = 57.673
    assert sample_size_proportions(0.5, 0.75) == pytest.approx(57.673, abs=1e-3)
    # R: power.t.test(power = .8, delta = 1) => n = 16.71477 (R's uniroot stops within about
    # 1e-4 of the root; the exact root is 16.714760)
    assert sample_size_means(1, 1) == pytest.approx(16.71477, abs=2e-5)
    assert power_means(1, 1, sample_size_means(1, 1)) == pytest.approx(0.8, abs=1e-9)


def test_strict_sample_size_solves_the_two_tailed_power():
    n = sample_size_proportions(0.5, 0.75, power=0.9, strict=True)
    assert power_proportions(0.5, 0.75, n, strict=True) == pytest.approx(0.9, abs=1e-9)
    assert n < sample_size_proportions(0.5, 0.75, power=0.9)


def test_mde_of_a_low_rate_is_found():
    # the power against p₂ = 1 decides whether there is an MDE at all, not that against 0
    mde = mde_proportions(0.05, 20, power=0.8)
    assert not math.isnan(mde)
    assert power_proportions(0.05, 0.05 + mde, 20) == pytest.approx(0.8, abs=1e-9)


@pytest.mark.parametrize("delta,sd", [(1.0, 0.0), (0.0, 1.0), (1.0, -1.0)])
def test_means_need_a_difference_and_a_spread(delta, sd):
    with pytest.raises(ValueError):
        sample_size_means(delta, sd)


def test_sample_size_of_a_small_difference_in_a_wide_spread():
    # δ = 0.5, σ = 10: about 2 (z₀.₉₇₅ + z₀.₈)² (σ/δ)² + 1 = 6,280.5 customers a group
    n = sample_size_means(0.5, 10.0)
    approx = 2 * (1.959964 + 0.841621) ** 2 * 400 + 1
    assert n == pytest.approx(approx, abs=1.0)
    assert power_means(0.5, 10.0, n) == pytest.approx(0.8, abs=1e-9)


@pytest.mark.parametrize("alpha", [0.0, 1.0, 1.5])
def test_power_refuses_a_level_outside_0_1(alpha):
    with pytest.raises(ValueError):
        power_proportions(0.1, 0.2, 100, alpha=alpha)


def test_mde_means_default_power_and_the_plan_document():
    assert mde_means(1.0, 16.714760) == pytest.approx(1.0, rel=1e-5)
    doc = plan_proportions(0.5, 0.25, power=0.9).as_dict()
    assert doc["per_group"] == 77 and doc["metric"] == "proportion"


def test_a_list_with_fewer_than_two_a_group_has_no_mde():
    assert math.isnan(plan_means(0, 1, 1, list_size=10, control_share=0.1).mde)    # 1 control
    assert not math.isnan(plan_means(0, 1, 1, list_size=20, control_share=0.1).mde)  # 2
    assert math.isnan(plan_means(0, 1, 1, list_size=10, control_share=0.9).mde)    # 1 treated
    assert not math.isnan(plan_means(0, 1, 1, list_size=20, control_share=0.9).mde)


def test_plan_checks_rates_and_keeps_the_list_share():
    for baseline, lift in [(0.0, 0.1), (1.0, 0.1), (0.95, 0.1), (-0.1, 0.2)]:
        with pytest.raises(ValueError):
            plan_proportions(baseline, lift)
    assert plan_proportions(0.5, 0.5).per_group > 0            # p₂ = 1 is a rate
    plain = plan_proportions(0.1, 0.02)
    assert plain.control_share is None and plain.mde is None
    listed = plan_proportions(0.1, 0.02, list_size=1000)     # default: half held out
    assert listed.control_share == 0.5
    assert listed.mde == pytest.approx(mde_proportions(0.1, 500), abs=1e-12)
    means = plan_means(0, 1, 1, list_size=1000)
    assert means.control_share == 0.5 and means.mde == pytest.approx(mde_means(1, 500))
    assert plan_means(0, 1, 1).control_share is None
