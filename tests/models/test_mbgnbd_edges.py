"""Edges of the MBG/NBD (`cvm.models.mbgnbd`): the probability of n purchases from the story
(drop at time 0 with p, then after each purchase with p), in mpmath, and its arguments."""

from __future__ import annotations

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
