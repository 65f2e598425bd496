"""The log-space hypergeometric function, cross-checks by direct integration, and discounting."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special

from cvm.models import BGNBD, GammaGamma, ParetoNBD, discounted_expected_transactions, potential_value
from cvm.models.hyp2f1 import log_hyp2f1, log_hyp2f1_c_a1

positive = st.floats(0.05, 30)


def exact_log_hyp2f1(a, b, c, z, digits=40):
    """log 2F1 by summing the series in exact decimal arithmetic (positive terms)."""
    from decimal import Decimal, getcontext

    getcontext().prec = digits
    a, b, c, z = (Decimal(repr(float(v))) for v in (a, b, c, z))
    term = total = Decimal(1)
    n = 0
    while True:
        term = term * (a + n) * (b + n) / ((c + n) * (n + 1)) * z
        total += term
        n += 1
        if term < total * Decimal(10) ** -30 and (a + n) * (b + n) * z < (c + n) * (n + 1):
            return float(total.ln())


@settings(max_examples=60, deadline=None)
@given(a=positive, b=positive, c=positive, z=st.floats(0.0, 0.9))
def test_log_hyp2f1_matches_exact_summation(a, b, c, z):
    # scipy.special.hyp2f1 is off by up to ~1e-7 relative in places (a=28, b=0.5, c=14,
    # z=0.875), so the reference is the series summed in 40-digit decimal arithmetic
    assert float(log_hyp2f1(a, b, c, z)) == pytest.approx(exact_log_hyp2f1(a, b, c, z), rel=1e-12, abs=1e-13)


def test_log_hyp2f1_large_parameters_do_not_overflow():
    # 2F1(a, b; a+1; z) with a, b in the thousands overflows a double; its log does not
    value = log_hyp2f1(5000.0, 5000.0, 5001.0, 0.5)
    assert np.isfinite(value) and value > 700
    v, da, db, dz = log_hyp2f1_c_a1(5000.0, 4000.0, 0.999)
    assert all(np.isfinite(u) for u in (v, da, db, dz))


@settings(max_examples=60, deadline=None)
@given(a=st.floats(0.1, 3000), frac=st.floats(0.01, 0.99), z=st.floats(0.0, 0.95))
def test_log_hyp2f1_c_a1_derivatives_match_differences(a, frac, z):
    b = frac * (a + 1)
    value, da, db, dz = log_hyp2f1_c_a1(a, b, z)
    assert value == pytest.approx(log_hyp2f1(a, b, a + 1, z), rel=1e-9, abs=1e-9)
    if a < 50:
        assert value == pytest.approx(exact_log_hyp2f1(a, b, a + 1, z), rel=1e-11, abs=1e-12)
    h = 1e-6
    for grad, args_up, args_down, step in (
        (da, (a * (1 + h), b, z), (a * (1 - h), b, z), 2 * a * h),
        (db, (a, b * (1 + h), z), (a, b * (1 - h), z), 2 * b * h),
    ):
        numeric = (log_hyp2f1_c_a1(*args_up)[0] - log_hyp2f1_c_a1(*args_down)[0]) / step
        assert grad == pytest.approx(numeric, rel=1e-4, abs=1e-5)
    if 1e-3 < z < 0.95:
        numeric = (log_hyp2f1_c_a1(a, b, z + 1e-7)[0] - log_hyp2f1_c_a1(a, b, z - 1e-7)[0]) / 2e-7
        assert dz == pytest.approx(numeric, rel=1e-4, abs=1e-5)


def test_bgnbd_expectation_equals_its_defining_integral():
    # E[X(t)] = E_p[(1 - (alpha/(alpha + p t))^r) / p], p ~ Beta(a, b), worked by quadrature
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    model = BGNBD()
    model.params_ = {"r": r, "alpha": alpha, "a": a, "b": b}
    for t in (1.0, 39.0, 520.0):
        integrand = lambda p: (1 - (alpha / (alpha + p * t)) ** r) / p * special.beta(a, b) ** -1 * p ** (a - 1) * (1 - p) ** (b - 1)  # noqa: E731
        expected, _ = integrate.quad(integrand, 0, 1, limit=400, points=[alpha / t] if alpha < t else None)
        assert float(model.expected_purchases_new_customer(t)) == pytest.approx(expected, rel=1e-7)


def test_pareto_probability_alive_equals_direct_integration():
    # P(alive) = Gamma-mixture of the individual-level P(alive | lambda, mu) against the
    # likelihood; checked for one customer by 2-D quadrature over (lambda, mu)
    r, alpha, s, beta = 0.553, 10.578, 0.606, 11.669
    x, t_x, T = 3, 20.0, 38.0
    model = ParetoNBD()
    model.params_ = {"r": r, "alpha": alpha, "s": s, "beta": beta}

    def prior(lam, mu):
        return np.exp(r * np.log(alpha) + (r - 1) * np.log(lam) - alpha * lam - special.gammaln(r)
                                             + s * np.log(beta) + (s - 1) * np.log(mu) - beta * mu - special.gammaln(s))

    def alive(lam, mu):
        return lam**x * np.exp(-(lam + mu) * T)

    def dead(lam, mu):
        return lam**x * mu / (lam + mu) * (np.exp(-(lam + mu) * t_x) - np.exp(-(lam + mu) * T))

    num, _ = integrate.dblquad(lambda mu, lam: alive(lam, mu) * prior(lam, mu), 0, 3, 0, 3, epsrel=1e-9)
    den, _ = integrate.dblquad(lambda mu, lam: (alive(lam, mu) + dead(lam, mu)) * prior(lam, mu), 0, 3, 0, 3, epsrel=1e-9)
    got = model.probability_alive({"frequency": [x], "recency": [t_x], "T": [T]})[0]
    assert got == pytest.approx(num / den, rel=1e-5)


def test_pareto_dert_closed_form_matches_discrete_sum(cdnow):
    model = ParetoNBD().fit(cdnow)
    head = cdnow.head(50)
    closed = discounted_expected_transactions(model, head, horizon=np.inf, discount_rate=0.15, time_units_per_year=52)
    summed = discounted_expected_transactions(model, head, horizon=52 * 60, discount_rate=0.15,
                                              time_units_per_year=52, step=2.0)
    # the sum discounts each 2-week step from its end (about 0.3 % more) and stops at 60 years
    assert np.all(summed < closed)
    assert np.allclose(closed, summed, rtol=5e-3)


def test_discrete_sum_on_threads_equals_the_steps_one_after_another(cdnow):
    # CDNOW's BG/NBD estimates (Fader, Hardie & Lee 2005, p. 280) and all 2,357 customers
    model = BGNBD()
    model.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    got = discounted_expected_transactions(model, cdnow, horizon=52.0, discount_rate=0.1,
                                           time_units_per_year=52.0, step=4.0)
    expected, previous = 0.0, 0.0
    for end in np.arange(4.0, 53.0, 4.0):
        cumulative = model.expected_purchases(float(min(end, 52.0)), cdnow)
        expected = expected + (cumulative - previous) * 1.1 ** (-min(end, 52.0) / 52.0)
        previous = cumulative
    assert np.array_equal(got, expected)  # the same additions in the same order: equal bits


@settings(max_examples=25, deadline=None)
@given(rate=st.floats(0.0, 0.5), extra=st.floats(0.01, 0.5), horizon=st.floats(4, 156))
def test_value_falls_as_the_discount_rate_rises(rate, extra, horizon):
    model = BGNBD()
    model.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    spend = GammaGamma()
    spend.params_ = {"p": 6.25, "q": 3.74, "gamma": 15.44}
    data = {"frequency": [0, 2, 7], "recency": [0, 30.43, 20], "T": [38.86] * 3, "monetary_value": [0, 30.0, 45.0]}
    kwargs = {"spend": spend, "margin": 0.3, "horizon": horizon, "time_units_per_year": 52.0, "step": 4.0}
    low = potential_value(model, data, discount_rate=rate, **kwargs)
    high = potential_value(model, data, discount_rate=rate + extra, **kwargs)
    assert np.all(low > 0) and np.all(high < low)
    # undiscounted over the horizon it is expected purchases x spend x margin
    if rate == 0:
        undiscounted = model.expected_purchases(horizon, data) * spend.expected_average_spend(data) * 0.3
        assert np.allclose(low, undiscounted)


def test_clv_parameter_errors():
    model = BGNBD()
    model.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    data = {"frequency": [1], "recency": [1], "T": [2]}
    with pytest.raises(ValueError, match="only available for ParetoNBD"):
        discounted_expected_transactions(model, data, horizon=np.inf, discount_rate=0.1, time_units_per_year=52)
    with pytest.raises(ValueError, match="margin"):
        potential_value(model, data, spend=10.0, margin=1.5, horizon=52, discount_rate=0.1, time_units_per_year=52)
