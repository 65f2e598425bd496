"""Simulators that draw customer summaries from each model's own assumptions (for recovery tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _observed_times(rng, T, n):
    """Observation lengths in weeks, whole days as a daily transaction log records them."""
    return np.round(rng.uniform(T / 2, T, n) * 7) / 7


def _to_days(t_x, T):
    """Purchase times recorded to the day (at least one day after the first purchase)."""
    return np.where(t_x > 0, np.minimum(np.maximum(np.ceil(t_x * 7), 1), np.round(T * 7)) / 7, 0.0)


def bgnbd(n, r, alpha, a, b, rng, T=52.0, modified=False):
    """BG/NBD (or, with ``modified``, MBG/NBD: a dropout chance at time 0 as well)."""
    T = _observed_times(rng, T, n)
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    # number of repeat purchases made before dropping out (BG/NBD: drop after a purchase)
    before_dropout = rng.geometric(p) - (1 if modified else 0)
    poisson = rng.poisson(lam * T)
    x = np.minimum(before_dropout, poisson)
    t_x = np.zeros(n)
    pos = x > 0
    t_x[pos] = T[pos] * rng.beta(x[pos], poisson[pos] - x[pos] + 1)   # x-th of the Poisson arrivals
    return pd.DataFrame({"frequency": x.astype(float), "recency": _to_days(t_x, T), "T": T})


def paretonbd(n, r, alpha, s, beta, rng, T=52.0):
    T = _observed_times(rng, T, n)
    lam = rng.gamma(r, 1.0 / alpha, n)
    mu = rng.gamma(s, 1.0 / beta, n)
    window = np.minimum(rng.exponential(1.0 / mu), T)
    x = rng.poisson(lam * window)
    t_x = np.zeros(n)
    pos = x > 0
    t_x[pos] = window[pos] * rng.beta(x[pos], 1)                        # last of x uniform arrivals
    return pd.DataFrame({"frequency": x.astype(float), "recency": _to_days(t_x, T), "T": T})


def gammagamma(n, p, q, gamma, rng):
    x = 1 + rng.poisson(2.0, n)
    nu = rng.gamma(q, 1.0 / gamma, n)
    mean = rng.gamma(p * x, 1.0 / (nu * x))
    return pd.DataFrame({"frequency": x.astype(float), "monetary_value": mean})


def bgbb(n, alpha, beta, gamma, delta, rng, periods=8):
    p = rng.beta(alpha, beta, n)
    theta = rng.beta(gamma, delta, n)
    # a living customer may die at the start of each opportunity, the first included
    alive_for = np.minimum(rng.geometric(theta) - 1, periods)
    tx = (rng.random((n, periods)) < p[:, None]) & (np.arange(periods)[None, :] < alive_for[:, None])
    x = tx.sum(axis=1)
    last = np.where(x > 0, periods - np.argmax(tx[:, ::-1], axis=1), 0)
    return pd.DataFrame({"frequency": x, "recency": last, "periods": periods})


def sbg(n, alpha, beta, rng, periods=8):
    theta = rng.beta(alpha, beta, n)
    stays = rng.geometric(theta)                                     # T >= 1 periods
    alive = [(stays > t).sum() for t in range(periods + 1)]
    return pd.DataFrame({"period": range(periods + 1), "alive": alive})
