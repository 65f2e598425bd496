"""Edges of the BG/NBD's integral (`cvm.models.bgnbd`): the pieces of the integrand of the
quadrature against mpmath (Stirling's remainder on both sides of x = 10, the density of
logit(p), the gain where k p is negligible), a quadrature over more rows than one chunk, and the
probability of n purchases in no time."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from cvm.models import BGNBD, bgnbd
from cvm.models.bgnbd import _expected_by_quadrature, _log_density, _log_gain, _stirling_rest, expected_purchases_while_alive

mp.mp.dps = 40


def test_stirling_remainder_on_both_sides_of_ten():
    x = np.array([0.3, 1.0, 9.999, 10.0, 10.001, 57.0, 1e4, 1e9])
    got = _stirling_rest(x)
    for g, v in zip(got, x):
        v = mp.mpf(float(v))
        expected = mp.loggamma(v) - ((v - mp.mpf("0.5")) * mp.log(v) - v + mp.log(2 * mp.pi) / 2)
        # the series stops before 691/(360360 x^11), 1.9e-14 at x = 10
        assert g == pytest.approx(float(expected), rel=1e-13, abs=2e-14)


@pytest.mark.parametrize(("a", "b"), [(0.8, 2.4), (3.0, 3.0), (250.0, 40.0), (2e6, 5e6)])
def test_density_of_logit_p(a, b):
    # y = logit(p) has density p^a (1 - p)^b / B(a, b); d is measured from its peak ln(a/b)
    width = float(np.sqrt(1 / a + 1 / b))
    d = np.array([-8.0, -1.5, -0.99, -0.3, 0.0, 0.2, 0.999, 1.0, 2.5, 9.0]) * width
    got = _log_density(d, np.full(d.size, a), np.full(d.size, b))
    for g, dv in zip(got, d):
        y = mp.log(mp.mpf(a) / b) + mp.mpf(float(dv))
        p = 1 / (1 + mp.exp(-y))
        expected = a * mp.log(p) + b * mp.log(1 - p) - mp.log(mp.beta(a, b))
        assert g == pytest.approx(float(expected), rel=1e-11, abs=1e-9)


def test_gain_where_k_p_is_negligible_and_where_it_is_not():
    # ln[(1 - (1 + k p)^-shape) / p]; below shape k p = 1e-8 the first-order form is used
    shape, k = 3.0, 2.0
    y = np.array([-40.0, -25.0, -20.1, -19.0, -5.0, 0.0, 4.0])
    got = _log_gain(y, np.full(y.size, shape), np.full(y.size, k))
    for g, yv in zip(got, y):
        p = 1 / (1 + mp.exp(-mp.mpf(float(yv))))
        expected = mp.log((1 - (1 + k * p) ** -shape) / p)
        assert g == pytest.approx(float(expected), rel=1e-13, abs=1e-15)


def test_quadrature_over_more_rows_than_one_chunk(monkeypatch):
    # rows are integrated a chunk at a time (2,048 in use; 3 here, over 7 rows): each row
    # keeps its own value
    n = 7
    t = np.linspace(1.0, 200.0, n)
    args = (np.full(n, 0.5), np.full(n, 4.0), np.full(n, 3e5), np.full(n, 9e5), t)
    whole = _expected_by_quadrature(*args)
    monkeypatch.setattr(bgnbd, "_CHUNK", 3)
    got = _expected_by_quadrature(*args)
    assert got.tolist() == whole.tolist()
    for i in range(n):
        assert got[i] == _expected_by_quadrature(*(np.array([v[i]]) for v in args))[0]
    assert np.all(np.diff(got) > 0)


def test_probability_of_purchases_in_no_time_and_refusals():
    model = BGNBD()
    model.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert model.probability_of_purchases([0, 1, 2], 0.0) == pytest.approx([1.0, 0.0, 0.0], rel=0, abs=1e-290)
    # mixed horizons, one of them 0
    got = model.probability_of_purchases([0, 1], [0.0, 39.0])
    assert got[0] == 1.0
    assert got[1] == pytest.approx(float(model.probability_of_purchases(1, 39.0)), rel=1e-15)
    for n in (-1, 2.5):
        with pytest.raises(ValueError, match="n must be a whole number >= 0"):
            model.probability_of_purchases(n, 10.0)


def test_gain_where_p_underflows_and_without_warnings():
    # far in the left tail p = e^y is below the smallest double: the gain is shape k (its
    # limit as p -> 0), from the first-order form, with no logarithm of 0 taken on the way
    import warnings

    shape, k = 3.0, 2.0
    y = np.array([-800.0, -1000.0, -30.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = _log_gain(y, np.full(y.size, shape), np.full(y.size, k))
    assert got[:2].tolist() == pytest.approx([np.log(shape * k)] * 2, rel=1e-15)
    p = 1 / (1 + mp.exp(mp.mpf(30)))
    assert got[2] == pytest.approx(float(mp.log((1 - (1 + k * p) ** -shape) / p)), rel=1e-14)
    assert got[3] == pytest.approx(float(mp.log((1 - mp.mpf(2) ** -shape) / mp.mpf(0.5))), rel=1e-14)


def test_density_of_a_very_narrow_logit_p_near_its_peak():
    # a = b = 1e9: the change from the peak, a ln(...) of terms near 1, is taken in its
    # near-peak form within one unit of d; the general form loses about a * 1e-16 there
    a = b = 1e9
    d = np.array([-0.9, -2e-5, 1e-5, 3e-5, 0.5]) * float(np.sqrt(2 / a))
    got = _log_density(d, np.full(d.size, a), np.full(d.size, b))
    for g, dv in zip(got, d):
        y = mp.mpf(float(dv))
        p = 1 / (1 + mp.exp(-y))
        expected = a * mp.log(p) + b * mp.log(1 - p) - mp.log(mp.beta(a, b))
        assert g == pytest.approx(float(expected), rel=0, abs=2e-9)
