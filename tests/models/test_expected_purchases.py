"""Expected purchases of the BG/NBD and MBG/NBD against their defining integrals.

The references integrate the model's definition directly, in arbitrary precision (mpmath):
a customer alive at time 0 with purchase rate lambda ~ Gamma(r, alpha) and dropout chance p ~
Beta(a, b) after each purchase makes E[(1 - e^(-lambda p t)) / p] = E_p[(1 - (alpha / (alpha +
p t))^r) / p] purchases in (0, t]. The integral over p is taken in y = logit(p) by tanh-sinh
quadrature, split at the peak of the density and at multiples of its width, so that a narrow
Beta (a + b of a million) is not missed.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from cvm.models import BGNBD, MBGNBD
from cvm.models.bgnbd import _expected_by_quadrature, expected_purchases_while_alive

mp.mp.dps = 30

R, ALPHA, SHARE = 0.73, 26.35, 0.1385   # a fit on a short calibration period: a/(a+b) = 0.1385
SIZES = [1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8]
HISTORIES = {"frequency": [0, 1, 2, 5, 20], "recency": [0, 3.5, 20.0, 30.43, 38.0],
             "T": [12.0, 38.86, 38.86, 38.86, 38.86]}


def beta_expectation(fn, a, b, bends=()):
    """E[fn(p)] for p ~ Beta(a, b), integrating over y = logit(p)."""
    a, b = mp.mpf(a), mp.mpf(b)
    log_norm = mp.log(mp.beta(a, b))

    def integrand(y):
        log_p, log_q = -mp.log1p(mp.exp(-y)), -mp.log1p(mp.exp(y))
        return fn(mp.exp(log_p)) * mp.exp(a * log_p + b * log_q - log_norm)

    peak, width = mp.log(a / b), mp.sqrt(1 / a + 1 / b)
    points = {peak + k * width for k in (-40, -20, -10, -5, -2, 0, 2, 5, 10, 20, 40)}
    points |= {mp.log(p) - mp.log1p(-p) + k for p in bends if 0 < p < 1 for k in (-2, 0, 2)}
    return mp.quad(integrand, [-mp.inf, *sorted(points), mp.inf])


def while_alive(shape, scale, a, b, t, extra_survival=0):
    """E_p[(1-p)^extra (1 - (scale / (scale + p t))^shape) / p], p ~ Beta(a, b)."""
    shape, scale, t = mp.mpf(shape), mp.mpf(scale), mp.mpf(t)

    def gain(p):
        return (1 - p) ** extra_survival * -mp.expm1(-shape * mp.log1p(p * t / scale)) / p

    return beta_expectation(gain, a, b, bends=[scale / (t * max(shape, 1))])


def conditional(model, x, t_x, T, t, a, b):
    """E[Y(t) | x, t_x, T] from the joint posterior of (lambda, p), lambda integrated out:
    the alive term of the likelihood, (1-p)^(x + m) lambda^x e^(-lambda T), times the purchases
    of an alive customer, over the whole likelihood (m = 0 for BG/NBD; m = 1 for MBG/NBD, whose
    customers may also drop out at time 0)."""
    m = 0 if model is BGNBD else 1
    r, alpha, x, t_x, T = (mp.mpf(v) for v in (R, ALPHA, x, t_x, T))
    a, b = mp.mpf(a), mp.mpf(b)
    beta = mp.beta
    # the alive posterior of p is Beta(a, b + x + m) times B(a, b+x+m) / B(a, b)
    alive = beta(a, b + x + m) / beta(a, b)
    numerator = alive * (alpha + T) ** -(r + x) * while_alive(r + x, alpha + T, a, b + x + m, t)
    dropped = (beta(a + 1, b + x - 1 + m) / beta(a, b) * (alpha + t_x) ** -(r + x)
               if x + m > 0 else 0)
    return numerator / (alive * (alpha + T) ** -(r + x) + dropped)


def fitted(cls, a, b):
    model = cls()
    model.params_ = {"r": R, "alpha": ALPHA, "a": a, "b": b}
    return model


def test_short_calibration_fit_is_not_zero():
    # r 0.73, alpha 26.35, a 0.1385e6, b 0.8615e6: a real fit on a short calibration period
    model = fitted(BGNBD, 0.1385e6, 0.8615e6)
    value = float(model.expected_purchases_new_customer(1.0))
    assert value == pytest.approx(float(while_alive(R, ALPHA, 0.1385e6, 0.8615e6, 1.0)), rel=1e-12)
    assert round(value, 5) == 0.02758
    rows = model.expected_purchases(39.0, HISTORIES)
    assert np.all(rows > 0.1)


@pytest.mark.parametrize("cls", [BGNBD, MBGNBD], ids=lambda c: c.__name__)
@pytest.mark.parametrize("size", SIZES)
def test_new_customer_across_beta_widths(cls, size):
    a, b = SHARE * size, (1 - SHARE) * size
    model = fitted(cls, a, b)
    extra = 0 if cls is BGNBD else 1
    for t in (1.0, 39.0, 5000.0):
        expected = float(while_alive(R, ALPHA, a, b, t, extra_survival=extra))
        assert float(model.expected_purchases_new_customer(t)) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("cls", [BGNBD, MBGNBD], ids=lambda c: c.__name__)
@pytest.mark.parametrize("size", SIZES)
def test_conditional_expectation_across_beta_widths(cls, size):
    a, b = SHARE * size, (1 - SHARE) * size
    got = fitted(cls, a, b).expected_purchases(39.0, HISTORIES)
    expected = [float(conditional(cls, x, t_x, T, 39.0, a, b))
                for x, t_x, T in zip(*HISTORIES.values())]
    assert got == pytest.approx(expected, rel=1e-10)


# shape, scale, a, b, t: the integral itself where the series is not used
QUADRATURE_CASES = [
    (0.73, 26.35, 0.1385e6, 0.8615e6, 1.0),       # narrow Beta
    (5.73, 60.0, 1.385e7, 8.615e7, 39.0),         # narrower still, a repeat buyer
    (0.243, 4.414, 0.793, 2.426, 4.414e4),        # t 10,000 times alpha (CDNOW parameters)
    (20.0, 40.0, 0.3, 25.0, 4.0e6),               # t 100,000 times alpha, a < 1
    (500.0, 26.35, 9.0, 1.0, 2.635),              # heavy buyer, mass near p = 1
    (0.05, 26.35, 0.05, 9.95, 2.635e4),           # a, shape < 1
    (2.0, 10.0, 0.005, 0.005, 100.0),             # U-shaped Beta, mass at both ends
    # a narrow Beta with a near b (y = 0 inside the peak) and a knee left of the peak: the
    # panels at y = 0 must be as fine as the peak's (they were a quarter wide: 2e-5 and 13 % off)
    (395.2, 60.19, 69855.0, 69049.0, 10.92),
    (549.2, 81.7, 3525428.0, 3522565.0, 76.72),
    (13.61, 1.544, 1998002.0, 1995648.0, 10.95),
    # the knee and the dropout feature placed where they belong
    (34.0, 760.0, 7.4e6, 6e3, 0.005),
    (5.0, 80.0, 1300.0, 0.001, 12.0),
]


@pytest.mark.parametrize("case", QUADRATURE_CASES, ids=str)
def test_quadrature_matches_the_defining_integral(case):
    value = float(_expected_by_quadrature(*(np.array([v]) for v in case))[0])
    assert value == pytest.approx(float(while_alive(*case)), rel=1e-12, abs=1e-300)
    assert float(expected_purchases_while_alive(*case)) == pytest.approx(value, rel=1e-10, abs=1e-300)


@pytest.mark.parametrize("a", [1.0, 1.0 - 4e-10, 1.0 + 4e-10, 1.0 + 2e-9])
def test_dropout_shape_a_near_one_uses_the_limit(a):
    # at a = 1 the closed form (a+b-1)/(a-1) [1 - ...] is 0/0; within 1e-9 of 1 its limit is used
    for shape, scale, b, t in ((0.243, 4.414, 2.426, 39.0), (3.0, 40.0, 0.5, 2.0), (0.6, 8.0, 30.0, 400.0)):
        expected = float(while_alive(shape, scale, a, b, t))
        assert float(expected_purchases_while_alive(shape, scale, a, b, t)) == pytest.approx(expected, rel=1e-9)


def test_while_alive_broadcasts_and_keeps_its_shape():
    t = np.array([[1.0, 2.0], [39.0, 5000.0]])
    values = expected_purchases_while_alive(0.73, 26.35, 0.1385e6, 0.8615e6, t)
    assert values.shape == (2, 2)
    expected = [[float(while_alive(0.73, 26.35, 0.1385e6, 0.8615e6, v)) for v in row] for row in t]
    assert values == pytest.approx(np.array(expected), rel=1e-10)


# shape, scale, a, b, t where one path of the calculation must be chosen with care
PATH_CASES = [
    # a narrow Beta over a short horizon: the series would lose 6 of its 16 digits, the
    # difference of its two terms being only a thousandth of their size: the integral is used
    (0.73, 26.35, 0.1385e6, 0.8615e6, 0.1),
    (0.73, 26.35, 5e5, 5e5, 1e-3),
    # a far below 1 over a long horizon: the series' terms are e^-u times the first, and it is
    # summed until they are small against that scale, not against the first term
    (5.0, 10.0, 0.05, 100.0, 1e5),
    (0.2, 1.0, 0.05, 100.0, 100.0),
]


@pytest.mark.parametrize("case", PATH_CASES, ids=str)
def test_expected_purchases_keep_their_digits(case):
    assert float(expected_purchases_while_alive(*case)) == pytest.approx(float(while_alive(*case)), rel=1e-12, abs=0)
