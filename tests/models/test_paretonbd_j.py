"""The Pareto/NBD's J (`cvm.models.paretonbd`), the term of its likelihood that holds the Gauss
hypergeometric function, against the closed form of the FH 2005 note in mpmath: its value and
its four partial derivatives (by mpmath's differentiation of the closed form), on both sides of
the split alpha >= beta and on both sides of the switch to quadrature where z is near 1; the
logarithm of 1 - e^u on both sides of its switch; and the starting point of the fit by hand."""

from __future__ import annotations

import warnings

import mpmath as mp
import numpy as np
import pytest

from cvm.models import ParetoNBD
from cvm.models.paretonbd import _log1mexp, _log_j, _log_j_quadrature

mp.mp.dps = 30


def log_j_closed_form(r, alpha, s, beta, x, ell):
    """FH 2005 note, section 3: J(ell) = 2F1(r+s+x, s+1; r+s+x+1; (alpha-beta)/(alpha+ell)) /
    (alpha+ell)^(r+s+x) where alpha >= beta, 2F1(r+s+x, r+x; r+s+x+1; (beta-alpha)/(beta+ell)) /
    (beta+ell)^(r+s+x) otherwise; its logarithm in mpmath."""
    r, alpha, s, beta, x, ell = (v if isinstance(v, mp.mpf) else mp.mpf(float(v)) for v in (r, alpha, s, beta, x, ell))
    big = r + s + x
    if alpha >= beta:
        return mp.log(mp.hyp2f1(big, s + 1, big + 1, (alpha - beta) / (alpha + ell))) - big * mp.log(alpha + ell)
    return mp.log(mp.hyp2f1(big, r + x, big + 1, (beta - alpha) / (beta + ell))) - big * mp.log(beta + ell)


def log_j_by_integral(r, alpha, s, beta, x, ell):
    """The same from its integral form, (r+s+x) int_ell^inf (alpha+tau)^-(r+x) (beta+tau)^-(s+1)
    dtau (a check of the closed form itself, where the integrand is not steep)."""
    r, alpha, s, beta, x, ell = (mp.mpf(float(v)) for v in (r, alpha, s, beta, x, ell))
    f = lambda tau: (alpha + tau) ** (-(r + x)) * (beta + tau) ** (-(s + 1))  # noqa: E731
    return mp.log((r + s + x) * mp.quad(f, [ell] + [ell + 10**k for k in range(-2, 7)] + [mp.inf]))


# (r, alpha, s, beta): the CDNOW fit (alpha < beta, z small), alpha > beta, beta far above alpha
# (z = 0.998 and 0.999994: the quadrature), alpha far above beta (z = 0.9988: the quadrature)
POINTS = [(0.553, 10.578, 0.606, 11.669), (1.2, 3.0, 2.5, 1.5), (0.5, 0.6, 0.8, 250.0),
          (0.9, 400.0, 1.1, 0.5), (0.5, 0.6, 0.8, 1e5), (2.0, 1e4, 0.7, 0.3)]
XS = np.array([0.0, 2.0, 40.0, 200.0, 1.0])
ELLS = np.array([0.0, 5.0, 38.86, 0.3, 1e3])


@pytest.mark.parametrize("params", POINTS)
def test_log_j_and_its_gradient_against_the_closed_form(params):
    value, grad = _log_j(*params, XS, ELLS)
    assert value.shape == (5,) and grad.shape == (4, 5)
    for i in range(XS.size):
        exact = log_j_closed_form(*params, XS[i], ELLS[i])
        assert value[i] == pytest.approx(float(exact), rel=1e-14, abs=1e-12), i
        for j in range(4):
            def moved(v, j=j, i=i):
                p = list(params)
                p[j] = v
                return log_j_closed_form(*p, XS[i], ELLS[i])

            slope = mp.diff(moved, mp.mpf(params[j]))
            assert grad[j, i] == pytest.approx(float(slope), rel=1e-10, abs=1e-13), (i, j)


@pytest.mark.parametrize("params", POINTS[:4])
def test_closed_form_equals_the_integral(params):
    for x, ell in ((0.0, 0.0), (2.0, 5.0), (1.0, 38.86)):
        assert float(log_j_closed_form(*params, x, ell)) == pytest.approx(float(log_j_by_integral(*params, x, ell)), rel=1e-20, abs=1e-20)


def test_log_j_on_both_sides_of_the_switch_to_quadrature():
    # z = |alpha - beta| / (max + ell) against 0.9: beta = 10 alpha gives z = 0.9 at ell = 0
    # exactly in exact numbers; ell moves z to either side. The series and the quadrature agree
    # with the closed form on both sides.
    r, alpha, s, beta = 0.7, 1.0, 1.3, 10.0
    ell = np.array([0.0, 1e-9, 0.01, 0.2, 0.0, 0.0])
    x = np.array([3.0, 3.0, 3.0, 3.0, 0.0, 60.0])
    for a, b in ((alpha, beta), (beta, alpha)):
        value, grad = _log_j(r, a, s, b, x, ell)
        quad_value, quad_grad = _log_j_quadrature(r, a, s, b, x, ell)
        for i in range(x.size):
            exact = float(log_j_closed_form(r, a, s, b, x[i], ell[i]))
            assert value[i] == pytest.approx(exact, rel=1e-14, abs=1e-13)
            assert quad_value[i] == pytest.approx(exact, rel=1e-14, abs=1e-13)
        assert quad_grad == pytest.approx(grad, rel=1e-11, abs=1e-13)


def test_log_j_quadrature_where_the_integrand_is_steep():
    # many purchases make (alpha + tau)^-(r+x) fall within a fraction of a week of ell; with
    # alpha = 1e-4 the variable log(alpha + tau) starts at -9.2 (below 0)
    r, s = 0.5, 0.8
    x = np.array([0.0, 5.0, 500.0, 3000.0, 40.0])
    ell = np.array([0.0, 0.01, 0.5, 52.0, 0.0])
    for alpha, beta in ((0.6, 250.0), (250.0, 0.6), (0.05, 3.0), (1e-4, 0.5)):
        value, _ = _log_j_quadrature(r, alpha, s, beta, x, ell)
        for i in range(x.size):
            exact = float(log_j_closed_form(r, alpha, s, beta, x[i], ell[i]))
            assert value[i] == pytest.approx(exact, rel=1e-14, abs=1e-13), (alpha, beta, i)


def test_log_one_minus_exp_on_both_sides_of_ln_half():
    u = np.array([-1e-300, -1e-20, -1e-5, -0.5, -0.6931471805599453, -0.7, -1.0, -1.6, -2.0, -40.0, -800.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")           # log 0 at u = 0 is -inf
        got = _log1mexp(u)
    with mp.workdps(60):
        for g, v in zip(got[:-1], u[:-1]):
            assert g == pytest.approx(float(mp.log(-mp.expm1(mp.mpf(float(v))))), rel=1e-15, abs=1e-300)
    assert got[-1] == -np.inf


def starting_point(weights, x, T):
    """By hand: r = s = 1, alpha the inverse of the purchase rate (purchases per unit of time over
    all customers, at most 1e12), beta the mean length of the calibration period (at least 1e-6)."""
    rate = sum(w * v for w, v in zip(weights, x)) / max(sum(w * t for w, t in zip(weights, T)), 1e-12)
    mean_T = max(sum(w * t for w, t in zip(weights, T)) / sum(weights), 1e-6)
    return [1.0, 1.0 / max(rate, 1e-12), 1.0, mean_T]


@pytest.mark.parametrize(("weights", "x", "T", "expected"), [
    # 2 purchases in 10 + 3 x 30 = 100 weeks: rate 0.02, alpha 50; mean T 100 / 4 = 25
    ([1, 3], [2, 0], [10.0, 30.0], [1.0, 50.0, 1.0, 25.0]),
    # 9 purchases in 0.6 weeks: rate 15, alpha 1/15; mean T 0.3
    ([1, 1], [4, 5], [0.2, 0.4], [1.0, 1 / 15, 1.0, 0.3]),
    # no purchase: alpha 1e12
    ([2], [0], [8.0], [1.0, 1e12, 1.0, 8.0]),
    # a calibration period of 1e-13 weeks: the rate is taken over 1e-12, the mean T is 1e-6
    ([1], [3], [1e-13], [1.0, 1 / 3e12, 1.0, 1e-6]),
    # a rate below 1e-12: alpha at most 1e12
    ([1], [1], [5e12], [1.0, 1e12, 1.0, 5e12]),
])
def test_starting_point_of_the_fit(weights, x, T, expected):
    model = ParetoNBD()
    stats = model._statistics({"frequency": x, "recency": [0.0 if v == 0 else t / 2 for v, t in zip(x, T)],
                               "T": T, "weights": weights})
    got = model._initial_params(stats)
    assert got.tolist() == pytest.approx(expected, rel=1e-14)
    assert got.tolist() == pytest.approx(starting_point(weights, x, T), rel=1e-14)
