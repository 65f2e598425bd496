"""The always-valid (mSPRT) monitor: hand-worked Λ, and A/A simulations of its error rate with
and without peeking."""

import math

import numpy as np
import pytest

from cvm.campaigns.sequential import (always_valid_p_values, mixture_likelihood_ratio, monitor,
                                      simulate_aa)


def test_lambda_by_hand():
    # θ̂ = 0.03, s² = 0.0001, τ = 0.02: Λ = √(1/5) · exp(0.0009 · 0.0004 / (2 · 1e-4 · 5e-4))
    lam = mixture_likelihood_ratio(0.03, 1e-4, 0.02)
    assert lam == pytest.approx(math.sqrt(0.2) * math.exp(3.6), rel=1e-12)
    # equal groups of n with variance σ²: the two-stream statistic of Johari et al.
    n, sigma2, tau, d = 400, 0.09, 0.05, 0.04
    two_stream = math.sqrt(2 * sigma2 / (2 * sigma2 + n * tau ** 2)) * math.exp(
        n ** 2 * tau ** 2 * d ** 2 / (4 * sigma2 * (2 * sigma2 + n * tau ** 2)))
    assert mixture_likelihood_ratio(d, 2 * sigma2 / n, tau) == pytest.approx(two_stream)
    # the p-value only falls
    p = always_valid_p_values([0.05, 0.0, 0.05], [1e-4, 1e-4, 1e-4], 0.02)
    assert p[1] == p[0] and p[2] <= p[1]


def test_monitor_of_a_real_effect_stops():
    looks = [{"day": f"d{k}", "n": 900 * k, "x": round(900 * k * 0.13),
              "control_n": 100 * k, "control_x": round(100 * k * 0.08)} for k in range(1, 11)]
    out = monitor(looks, tau=0.03)
    assert out[0].n == 900 and out[0].lift == pytest.approx(117 / 900 - 8 / 100)
    ps = [look.p_value for look in out]
    assert ps == sorted(ps, reverse=True)
    assert not out[0].significant and out[-1].significant


def test_aa_false_positive_rate_with_and_without_peeking():
    # 4,000 A/A tests of a 10 % rate, 20 looks of 200 customers each
    rates = simulate_aa(experiments=4000, looks=20, per_look=200, rate=0.1, tau=0.02, seed=7)
    mc = 3 * math.sqrt(0.05 * 0.95 / 4000)   # three Monte Carlo standard errors
    # the fixed-horizon z test looked at once keeps 5 %
    assert abs(rates["fixed_end"] - 0.05) < mc
    # the same test looked at 20 times finds "significant" A/A differences far more often
    assert rates["fixed_peeking"] > 0.15
    # the mSPRT stays at or below 5 % whether looked at once or 20 times
    assert rates["msprt_end"] <= 0.05 + mc
    assert rates["msprt_peeking"] <= 0.05 + mc
    assert rates["msprt_peeking"] >= rates["msprt_end"]
    # a 10 % control share: the same guarantees
    lop = simulate_aa(experiments=4000, looks=20, per_look=500, control_share=0.1, rate=0.3,
                      tau=0.05, seed=8)
    assert abs(lop["fixed_end"] - 0.05) < mc
    assert lop["msprt_peeking"] <= 0.05 + mc and lop["fixed_peeking"] > 0.15


def test_mixture_is_a_martingale_under_the_null():
    # E[Λ] = 1 under the null for the exact Gaussian model: θ̂ ~ N(0, s²)
    rng = np.random.default_rng(0)
    s2, tau = 0.01, 0.1
    theta = rng.normal(0, math.sqrt(s2), 400_000)
    assert mixture_likelihood_ratio(theta, s2, tau).mean() == pytest.approx(1.0, abs=0.01)
