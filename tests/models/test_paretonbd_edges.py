"""Edges of the Pareto/NBD (`cvm.models.paretonbd`): the gradient where alpha = beta (z = 0 in
the 2F1), the probability of n purchases against the individual-level story integrated in
mpmath, and its arguments."""

from __future__ import annotations

import warnings

import mpmath as mp
import numpy as np
import pytest

from cvm.models import ParetoNBD

mp.mp.dps = 30

ROWS = {"frequency": [0, 2, 7, 1], "recency": [0, 30.43, 20.0, 38.86], "T": [38.86, 38.86, 52.0, 38.86]}


def fitted(r, alpha, s, beta):
    model = ParetoNBD()
    model.params_ = {"r": r, "alpha": alpha, "s": s, "beta": beta}
    return model


def test_gradient_where_alpha_equals_beta():
    # alpha = beta puts z = |alpha - beta| / (max + t) at 0, where the 2F1's slope in z is its
    # first coefficient; the gradient must match differences of the likelihood there as anywhere
    model = ParetoNBD()
    stats = model._statistics(ROWS)
    params = np.array([0.6, 5.0, 0.8, 5.0])
    _, grad = model._log_likelihood(params, stats)
    for j in range(4):
        step = np.zeros(4)
        step[j] = 1e-6 * params[j]
        numeric = (model._log_likelihood(params + step, stats)[0] - model._log_likelihood(params - step, stats)[0]) / (2 * step[j])
        assert grad[j] == pytest.approx(numeric, rel=1e-6), j


def probability_by_story(r, alpha, s, beta, k, t):
    """P(X(t) = k): alive through t (lifetime beyond t, (beta/(beta+t))^s) with NBD(k; t)
    purchases, or died at tau < t (Pareto II density) with NBD(k; tau); in mpmath."""
    r, alpha, s, beta, t = (mp.mpf(v) for v in (r, alpha, s, beta, t))

    def nbd(tau):
        return (mp.gamma(r + k) / (mp.gamma(r) * mp.factorial(k)) * (alpha / (alpha + tau)) ** r
                * (tau / (alpha + tau)) ** k)

    dies = mp.quad(lambda tau: s / beta * (1 + tau / beta) ** (-s - 1) * nbd(tau), [0, min(t, 1), t])
    return float((beta / (beta + t)) ** s * nbd(t) + dies)


@pytest.mark.parametrize(("k", "t"), [(0, 0.5), (0, 39.0), (1, 39.0), (4, 39.0), (2, 3.0)])
def test_probability_of_purchases_against_the_story(k, t):
    params = (0.553, 10.578, 0.606, 11.669)
    got = float(fitted(*params).probability_of_purchases(k, t))
    assert got == pytest.approx(probability_by_story(*params, k, t), rel=1e-8)


def test_probability_of_purchases_arguments():
    model = fitted(0.553, 10.578, 0.606, 11.669)
    # in no time nothing is bought
    assert model.probability_of_purchases([0, 1, 3], 0.0).tolist() == [1.0, 0.0, 0.0]
    # arrays of n and t broadcast
    got = model.probability_of_purchases(np.array([[0], [2]]), np.array([1.0, 39.0]))
    assert got.shape == (2, 2)
    assert got[1, 1] == pytest.approx(probability_by_story(0.553, 10.578, 0.606, 11.669, 2, 39.0), rel=1e-8)
    for n in (-1, 1.5):
        with pytest.raises(ValueError, match="n must be a whole number >= 0"):
            model.probability_of_purchases(n, 10.0)


def test_likelihood_of_a_last_purchase_at_T_warns_nothing():
    # t_x = T leaves no time to die after the last purchase (A0 = 0): its share of the gradient
    # is 0, taken without dividing 0 by 1 - rho = 0
    model = ParetoNBD()
    stats = model._statistics({"frequency": [1, 3], "recency": [38.86, 20.0], "T": [38.86, 38.86]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ll, grad = model._log_likelihood(np.array([0.553, 10.578, 0.606, 11.669]), stats)
    assert np.isfinite(ll) and np.all(np.isfinite(grad))


@pytest.mark.parametrize("s", [1.0, 1.0 + 9e-10, 1.0 - 9e-10, 1.0 + 2e-9])
def test_new_customer_purchases_where_s_is_near_one(s):
    # E[X(t)] = r beta / alpha * [1 - (beta/(beta+t))^(s-1)] / (s-1), its limit
    # r beta / alpha * ln(1 + t/beta) at s = 1: the first-order form within 1e-9 of it, taken
    # without dividing by 0 (warnings are errors); a long horizon makes the second-order part
    # (about 1e-8 of the value) count
    r, alpha, beta, t = 0.553, 10.578, 0.5, 5e5
    k, log_y = mp.mpf(s) - 1, -mp.log1p(mp.mpf(t) / beta)
    exact = r * beta / alpha * (-log_y if k == 0 else -mp.expm1(k * log_y) / k)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = float(fitted(r, alpha, s, beta).expected_purchases_new_customer(t))
    assert got == pytest.approx(float(exact), rel=1e-13)


def test_nothing_is_bought_in_no_time_without_a_warning():
    # t = 0 is answered before any logarithm of t is taken (log 0 would warn)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = fitted(0.553, 10.578, 0.606, 11.669).probability_of_purchases([0, 1, 3], 0.0)
    assert got.tolist() == [1.0, 0.0, 0.0]


def test_probability_of_purchases_where_lifetimes_are_short_against_a_long_horizon():
    # beta = 0.1: the lifetime density falls within a tenth of a week, against t = 1,000 weeks;
    # one quadrature rule over [0, t] misses it, so the integral must be refined to its
    # tolerance (in mpmath, broken at each decade)
    r, alpha, s, beta, t = 0.553, 10.578, 0.606, 0.1, 1000.0
    for k in (0, 2):
        def nbd(tau):
            return (mp.gamma(r + k) / (mp.gamma(r) * mp.factorial(k))
                    * (alpha / (alpha + tau)) ** r * (tau / (alpha + tau)) ** k)

        dies = mp.quad(lambda tau: s / beta * (1 + tau / beta) ** (-s - 1) * nbd(tau),
                       [0, 0.01, 0.1, 1, 10, 100, t])
        exact = (mp.mpf(beta) / (beta + t)) ** s * nbd(mp.mpf(t)) + dies
        got = float(fitted(r, alpha, s, beta).probability_of_purchases(k, t))
        assert got == pytest.approx(float(exact), rel=1e-9)
