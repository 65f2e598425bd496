"""The likelihoods, their gradients and the predictions of BG/NBD, MBG/NBD and Pareto/NBD,
each against an independent computation from the model's individual-level story.

A customer's likelihood given her purchase rate lambda (and dropout probability p or dropout
rate mu) is written down directly, the heterogeneity integrated out in arbitrary precision
(mpmath), and compared with the package's log-space, compressed, per-distinct-x evaluation.
Gradients are compared with central differences of the likelihood itself.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from cvm.models import BGNBD, MBGNBD, ParetoNBD

mp.mp.dps = 30

# rows chosen to reach every branch: x = 0, t_x = T, t_x far below T, many purchases
ROWS = {"frequency": [0, 0, 1, 2, 2, 7, 40, 3],
        "recency": [0, 0, 0.5, 30.43, 38.86, 20.0, 51.9, 6.0],
        "T": [38.86, 3.0, 38.86, 38.86, 38.86, 52.0, 52.0, 6.0],
        "weights": [3, 1, 2, 5, 1, 1, 2, 4]}

BG_POINTS = [(0.243, 4.414, 0.793, 2.426), (2.5, 30.0, 1.7, 0.4), (0.6, 5.0, 1.0, 3.0)]
PARETO_POINTS = [(0.553, 10.578, 0.606, 11.669),
                 (1.2, 3.0, 2.5, 1.5),          # alpha > beta: the other branch of the 2F1
                 (0.5, 0.6, 0.8, 250.0),        # beta far above alpha: z near 1, quadrature
                 (0.9, 400.0, 1.1, 0.5)]        # alpha far above beta


def row_likelihood_bg(params, x, t_x, T, modified):
    """L(x, t_x, T) for BG/NBD (modified: MBG/NBD), from the individual level:
    P(alive through x purchases) lambda^x e^(-lambda T) + P(drop after the last) lambda^x
    e^(-lambda t_x), integrated over lambda ~ Gamma(r, alpha) and p ~ Beta(a, b) (the Beta
    moments E[(1-p)^k] and E[p (1-p)^k] as ratios of Beta functions)."""
    r, alpha, a, b = (mp.mpf(v) for v in params)
    x, t_x, T = mp.mpf(x), mp.mpf(t_x), mp.mpf(T)
    m = 1 if modified else 0
    gamma_part = lambda tau: mp.gamma(r + x) / mp.gamma(r) * alpha**r / (alpha + tau) ** (r + x)  # noqa: E731
    survive = mp.beta(a, b + x + m) / mp.beta(a, b)                 # E[(1-p)^(x+m)]
    drop = mp.beta(a + 1, b + x + m - 1) / mp.beta(a, b) if x + m > 0 else 0   # E[p (1-p)^(x+m-1)]
    return survive * gamma_part(T) + drop * gamma_part(t_x)


def row_likelihood_pareto(params, x, t_x, T):
    """L(x, t_x, T) for Pareto/NBD: alive at T, lambda^x e^(-(lambda+mu) T), plus died at tau in
    (t_x, T], lambda^x mu e^(-(lambda+mu) tau), with lambda and mu integrated out inside the
    integral over tau."""
    r, alpha, s, beta = (mp.mpf(v) for v in params)
    x, t_x, T = mp.mpf(x), mp.mpf(t_x), mp.mpf(T)
    lam = lambda tau: mp.gamma(r + x) / mp.gamma(r) * alpha**r / (alpha + tau) ** (r + x)  # noqa: E731
    alive = lam(T) * (beta / (beta + T)) ** s
    died = mp.quad(lambda tau: lam(tau) * s * beta**s / (beta + tau) ** (s + 1), [t_x, T]) if T > t_x else 0
    return alive + died


def package_log_likelihood(cls, params, data):
    model = cls()
    return model._log_likelihood(np.array(params, dtype=float), model._statistics(data))


def reference_log_likelihood(cls, params, data):
    total = mp.mpf(0)
    for x, t_x, T, w in zip(*data.values()):
        if cls is ParetoNBD:
            lik = row_likelihood_pareto(params, x, t_x, T)
        else:
            lik = row_likelihood_bg(params, x, t_x, T, modified=cls is MBGNBD)
        total += w * mp.log(lik)
    return float(total)


CASES = [(BGNBD, p) for p in BG_POINTS] + [(MBGNBD, p) for p in BG_POINTS] + \
        [(ParetoNBD, p) for p in PARETO_POINTS]


@pytest.mark.parametrize(("cls", "params"), CASES, ids=lambda v: getattr(v, "__name__", str(v)))
def test_log_likelihood_equals_the_individual_level_integral(cls, params):
    ll, _ = package_log_likelihood(cls, params, ROWS)
    assert ll == pytest.approx(reference_log_likelihood(cls, params, ROWS), rel=1e-11)


@pytest.mark.parametrize(("cls", "params"), CASES, ids=lambda v: getattr(v, "__name__", str(v)))
def test_gradient_equals_differences_of_the_likelihood(cls, params):
    _, grad = package_log_likelihood(cls, params, ROWS)
    for j, value in enumerate(params):
        step = 1e-6 * value
        up, down = list(params), list(params)
        up[j] += step
        down[j] -= step
        numeric = (package_log_likelihood(cls, up, ROWS)[0] - package_log_likelihood(cls, down, ROWS)[0]) / (2 * step)
        assert grad[j] == pytest.approx(numeric, rel=1e-5, abs=1e-6), (cls.param_names[j], grad[j], numeric)


@pytest.mark.parametrize(("cls", "params"), CASES, ids=lambda v: getattr(v, "__name__", str(v)))
def test_probability_alive_is_the_alive_share_of_the_likelihood(cls, params):
    model = cls()
    model.params_ = dict(zip(cls.param_names, params))
    got = model.probability_alive(ROWS)
    expected = []
    for x, t_x, T in zip(ROWS["frequency"], ROWS["recency"], ROWS["T"]):
        if cls is ParetoNBD:
            r, alpha, s, beta = params
            whole = row_likelihood_pareto(params, x, t_x, T)
            alive = (mp.gamma(r + x) / mp.gamma(r) * mp.mpf(alpha) ** r / (alpha + mp.mpf(T)) ** (r + x)
                     * (beta / (beta + mp.mpf(T))) ** s)
        else:
            whole = row_likelihood_bg(params, x, t_x, T, modified=cls is MBGNBD)
            r, alpha, a, b = (mp.mpf(v) for v in params)
            m = 1 if cls is MBGNBD else 0
            alive = (mp.beta(a, b + x + m) / mp.beta(a, b) * mp.gamma(r + x) / mp.gamma(r)
                     * alpha**r / (alpha + mp.mpf(T)) ** (r + x))
        expected.append(float(alive / whole))
    assert got == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("s", [0.606, 1.0, 1.0 + 4e-10, 2.7])
def test_pareto_expected_purchases_equal_their_integrals(s):
    # E[X(t)] = E[lambda] E[(1 - e^(-mu t)) / mu]; given the history, the alive customer has
    # lambda ~ Gamma(r+x, alpha+T), mu ~ Gamma(s, beta+T)
    r, alpha, beta = 0.553, 10.578, 11.669
    model = ParetoNBD()
    model.params_ = {"r": r, "alpha": alpha, "s": s, "beta": beta}

    def lifetime_mean(shape, rate, t):
        shape, rate, t = mp.mpf(shape), mp.mpf(rate), mp.mpf(t)
        density = lambda mu: rate**shape * mu ** (shape - 1) * mp.exp(-rate * mu) / mp.gamma(shape)  # noqa: E731
        return mp.quad(lambda mu: -mp.expm1(-mu * t) / mu * density(mu), [0, 1 / rate, 10 / rate, mp.inf])

    for t in (1.0, 39.0, 520.0):
        expected = r / alpha * lifetime_mean(s, beta, t)
        assert float(model.expected_purchases_new_customer(t)) == pytest.approx(float(expected), rel=1e-9)
    alive = model.probability_alive(ROWS)
    got = model.expected_purchases(39.0, ROWS)
    for i, (x, T) in enumerate(zip(ROWS["frequency"], ROWS["T"])):
        expected = (r + x) / (alpha + T) * lifetime_mean(s, beta + T, 39.0) * alive[i]
        assert got[i] == pytest.approx(float(expected), rel=1e-9)
