"""Published maximum-likelihood estimates: the standard correctness check for these models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvm.models import BGBB, BGNBD, MBGNBD, GammaGamma, ParetoNBD, ShiftedBetaGeometric

from model_data import assert_sig


def test_cdnow_summary_matches_the_papers(cdnow):
    # 2,357 customers, 946 of them repeat buyers, 2,457 repeat purchases in 39 weeks
    assert len(cdnow) == 2357
    assert (cdnow["frequency"] > 0).sum() == 946
    assert cdnow["frequency"].sum() == 2457
    assert cdnow["T"].max() == pytest.approx(38.86, abs=0.005)


def test_bgnbd_cdnow(cdnow):
    # Fader, Hardie & Lee 2005, "Counting your customers the easy way", section 4
    m = BGNBD().fit(cdnow)
    for name, value in {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}.items():
        assert_sig(m.params_[name], value)
    assert_sig(m.log_likelihood_, -9582.4)
    assert m.converged_
    assert all(np.isfinite(v) and v > 0 for v in m.standard_errors_.values())


def test_bgnbd_conditional_expectation_of_the_paper_customer(cdnow):
    # FHL 2005: a customer with x = 2, t_x = 30.43, T = 38.86 is expected to make 1.226
    # purchases in the next 39 weeks
    m = BGNBD().fit(cdnow)
    value = m.expected_purchases(39, {"frequency": [2], "recency": [30.43], "T": [38.86]})
    assert_sig(float(value[0]), 1.226)


def test_pareto_nbd_cdnow(cdnow):
    # Fader, Hardie & Lee 2005 (same data): r = 0.553, alpha = 10.578, s = 0.606, beta = 11.669
    m = ParetoNBD().fit(cdnow)
    for name, value in {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}.items():
        assert_sig(m.params_[name], value)
    assert_sig(m.log_likelihood_, -9595.0)
    assert m.converged_


def test_mbgnbd_cdnow(cdnow):
    # MBG/NBD (Batislam et al. 2007) on the CDNOW sample, as estimated by BTYDplus
    # (mbgnbd.EstimateParameters): r = 0.525, alpha = 6.183, a = 0.891, b = 1.614; lifetimes'
    # ModifiedBetaGeoFitter gives the same to 6 digits.
    m = MBGNBD().fit(cdnow)
    for name, value in {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}.items():
        assert_sig(m.params_[name], value)
    assert_sig(m.log_likelihood_, -9582.1)


def test_gamma_gamma_cdnow(cdnow):
    # Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary Value": 946 repeat buyers,
    # mean spend of their repeat purchases: p = 6.25, q = 3.74, gamma = 15.44
    m = GammaGamma().fit(cdnow)
    assert m.n_customers_ == 946
    for name, value in {"p": 6.25, "q": 3.74, "gamma": 15.44}.items():
        assert_sig(m.params_[name], value)
    spend = m.expected_average_spend(cdnow)
    repeat = cdnow["frequency"].to_numpy() > 0
    # shrinks each repeat buyer's mean spend towards the population mean p gamma / (q - 1)
    pop = m.expected_population_spend()
    own = cdnow["monetary_value"].to_numpy()[repeat]
    assert np.all((spend[repeat] - pop) * (own - pop) >= -1e-9)
    assert np.all(np.abs(spend[repeat] - pop) <= np.abs(own - pop) + 1e-9)
    assert np.allclose(spend[~repeat], pop)


def test_bgbb_donations(donations):
    # Fader, Hardie & Shang 2010: alpha = 1.204, beta = 0.750, gamma = 0.657, delta = 2.783,
    # LL = -33,225.6
    m = BGBB().fit(donations)
    for name, value in {"alpha": "1.204", "beta": "0.750", "gamma": "0.657", "delta": "2.783"}.items():
        assert_sig(m.params_[name], value)
    assert_sig(m.log_likelihood_, -33225.6)
    assert int(donations["weights"].sum()) == 11104


REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


@pytest.mark.parametrize(("alive", "alpha", "beta", "ll"), [
    (REGULAR, 0.704, 1.182, -1680.3),
    (HIGH_END, 0.668, 3.806, -1611.2),
])
def test_sbg_fader_hardie_2007(alive, alpha, beta, ll):
    # Fader & Hardie 2007, "How to project customer retention": regular and high-end segments,
    # 7 years of survival of 1,000 customers each
    m = ShiftedBetaGeometric().fit({"period": range(8), "alive": alive})
    assert_sig(m.params_["alpha"], alpha)
    assert_sig(m.params_["beta"], beta)
    assert_sig(m.log_likelihood_, ll)
    # the fitted curve tracks the observed survival within a couple of points
    assert np.allclose(m.survival_function(np.arange(8)) * 1000, alive, atol=25)
    # retention rises with tenure (heterogeneity), FH 2007's central point
    assert np.all(np.diff(m.retention_rate(np.arange(1, 13))) > 0)


def test_sbg_pools_cohorts():
    one = ShiftedBetaGeometric().fit({"period": range(8), "alive": REGULAR})
    two = pd.DataFrame({"cohort": ["a"] * 8 + ["b"] * 8, "period": list(range(8)) * 2, "alive": REGULAR * 2})
    both = ShiftedBetaGeometric().fit(two)
    assert both.params_ == pytest.approx(one.params_, rel=1e-5)
    assert both.log_likelihood_ == pytest.approx(2 * one.log_likelihood_, rel=1e-9)
