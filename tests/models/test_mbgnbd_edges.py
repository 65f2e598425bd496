"""Edges of the MBG/NBD (`cvm.models.mbgnbd`): the probability of n purchases from the story
(drop at time 0 with p, then after each purchase with p), in mpmath, and its arguments."""

from __future__ import annotations

import warnings

import mpmath as mp
import numpy as np
import pytest

from cvm.models import MBGNBD

mp.mp.dps = 30
PARAMS = (0.525, 6.183, 0.891, 1.614)


def fitted(params=PARAMS):
    model = MBGNBD()
    model.params_ = dict(zip(MBGNBD.param_names, params))
    return model


def by_story(params, n, t):
    """n purchases in (0, t]: alive after the n-th (E[(1-p)^(n+1)]) with exactly n Poisson
    purchases, or dropped right after the n-th (E[p (1-p)^n]) with at least n; lambda integrated
    out gives the NBD counts."""
    r, alpha, a, b = (mp.mpf(v) for v in params)
    t = mp.mpf(t)

    def nbd(k):
        return mp.gamma(r + k) / (mp.gamma(r) * mp.factorial(k)) * (alpha / (alpha + t)) ** r * (t / (alpha + t)) ** k

    at_least = 1 - sum(nbd(k) for k in range(n))
    return float(mp.beta(a, b + n + 1) / mp.beta(a, b) * nbd(n) + mp.beta(a + 1, b + n) / mp.beta(a, b) * at_least)


@pytest.mark.parametrize("t", [0.5, 39.0])
def test_probability_of_purchases_against_the_story(t):
    got = fitted().probability_of_purchases(np.arange(6), t)
    assert got == pytest.approx([by_story(PARAMS, n, t) for n in range(6)], rel=1e-10)


def test_probability_of_purchases_arguments():
    model = fitted()
    # a new customer may drop at time 0: P(X(t) = 0) is at least E[p] = a / (a + b)
    assert float(model.probability_of_purchases(0, 1e-9)) == pytest.approx(1.0, abs=1e-9)
    got = model.probability_of_purchases(np.array([[0], [3]]), np.array([1.0, 39.0]))
    assert got.shape == (2, 2)
    assert got[1, 1] == pytest.approx(by_story(PARAMS, 3, 39.0), rel=1e-10)
    for n in (-1, 0.5):
        with pytest.raises(ValueError, match="n must be a whole number >= 0"):
            model.probability_of_purchases(n, 10.0)


def test_probability_alive_by_hand():
    # 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x)); a customer without repeat purchases
    # may be inactive (unlike the BG/NBD)
    r, alpha, a, b = PARAMS
    data = {"frequency": [0, 3], "recency": [0.0, 20.0], "T": [30.0, 30.0]}
    expected = [1 / (1 + a / (b + x) * ((alpha + 30.0) / (alpha + tx)) ** (r + x)) for x, tx in ((0, 0.0), (3, 20.0))]
    assert fitted().probability_alive(data) == pytest.approx(expected, rel=1e-14)


# rows reaching every branch: x = 0 (which may have dropped at time 0), t_x = T, t_x below T
ROWS = {"frequency": [0, 0, 3, 3, 7], "recency": [0.0, 0.0, 20.0, 30.0, 12.5], "T": [30.0, 4.0, 30.0, 30.0, 40.0],
        "weights": [3, 1, 2, 1, 2]}


def log_likelihood_by_story(params, data):
    """Batislam et al. 2007, per row: Gamma(r+x) alpha^r / Gamma(r) B(a, b+x+1) / B(a, b)
    [(alpha+T)^-(r+x) + a/(b+x) (alpha+t_x)^-(r+x)], in mpmath."""
    r, alpha, a, b = (mp.mpf(v) for v in params)
    total = mp.mpf(0)
    for x, t_x, T, w in zip(*data.values()):
        front = mp.gamma(r + x) * alpha**r / mp.gamma(r) * mp.beta(a, b + x + 1) / mp.beta(a, b)
        lik = front * ((alpha + T) ** -(r + x) + a / (b + x) * (alpha + t_x) ** -(r + x))
        total += w * mp.log(lik)
    return float(total)


@pytest.mark.parametrize("params", [PARAMS, (2.5, 30.0, 1.7, 0.4)])
def test_likelihood_and_gradient_by_hand(params):
    from cvm.models.mbgnbd import mbgnbd_log_likelihood
    stats = MBGNBD()._statistics(ROWS)
    ll, grad = mbgnbd_log_likelihood(np.array(params), stats)
    assert ll == pytest.approx(log_likelihood_by_story(params, ROWS), rel=1e-13)
    for j in range(4):
        step = np.zeros(4)
        step[j] = 1e-5 * params[j]
        up = log_likelihood_by_story(np.array(params) + step, ROWS)
        down = log_likelihood_by_story(np.array(params) - step, ROWS)
        assert grad[j] == pytest.approx((up - down) / (2 * step[j]), rel=1e-7), j


def test_expected_purchases_by_hand():
    # new customer: b/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))];
    # given (x, t_x, T): P(alive) (a+b+x)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x)
    #   2F1(r+x, b+x+1; a+b+x; t/(alpha+T+t))]  (Batislam et al. 2007)
    r, alpha, a, b = (mp.mpf(v) for v in PARAMS)
    model = fitted()
    for t in (0.5, 39.0):
        new = b / (a - 1) * (1 - (alpha / (alpha + t)) ** r * mp.hyp2f1(r, b + 1, a + b, t / (alpha + t)))
        assert float(model.expected_purchases_new_customer(t)) == pytest.approx(float(new), rel=1e-10)
    data = {"frequency": [0, 3], "recency": [0.0, 20.0], "T": [30.0, 30.0]}
    alive = model.probability_alive(data)
    got = model.expected_purchases(10.0, data)
    for i, (x, T) in enumerate(((0, 30.0), (3, 30.0))):
        scale = alpha + T
        part = (a + b + x) / (a - 1) * (1 - (scale / (scale + 10)) ** (r + x)
                                        * mp.hyp2f1(r + x, b + x + 1, a + b + x, 10 / (scale + 10)))
        assert got[i] == pytest.approx(alive[i] * float(part), rel=1e-10)


def test_probability_of_purchases_in_no_time():
    # nothing is bought in no time, whether the customer dropped at time 0 or not; and no
    # warning (0 purchases times log 0 is not computed as nan)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = fitted().probability_of_purchases([0, 1, 2], 0.0)
    assert got == pytest.approx([1.0, 0.0, 0.0], rel=1e-15, abs=0.0)
