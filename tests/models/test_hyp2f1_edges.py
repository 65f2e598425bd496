"""Edges of the log-space 2F1 (`cvm.models.hyp2f1`): the arguments refused, z = 0, sums too large
for a double, the geometric tail after the last term, arrays whose entries converge at different
terms, and the exact derivatives. References: mpmath's hyp2f1 in 40 digits, and the truncated
series worked by hand."""

from __future__ import annotations

import logging
import math

import mpmath as mp
import numpy as np
import pytest

from cvm.models.hyp2f1 import log_hyp2f1, log_hyp2f1_c_a1

mp.mp.dps = 40


def reference(a, b, c, z):
    return float(mp.log(mp.hyp2f1(a, b, c, z)))


def reference_c_a1(a, b, z):
    """log 2F1(a, b; a+1; z) and its derivatives in a, b, z (mpmath's numerical derivative)."""
    f = lambda a_, b_, z_: mp.log(mp.hyp2f1(a_, b_, a_ + 1, z_))  # noqa: E731
    a, b, z = mp.mpf(a), mp.mpf(b), mp.mpf(z)
    return (float(f(a, b, z)), float(mp.diff(lambda v: f(v, b, z), a)),
            float(mp.diff(lambda v: f(a, v, z), b)), float(mp.diff(lambda v: f(a, b, v), z)))


@pytest.mark.parametrize(("a", "b", "c", "z", "message"), [
    (0.0, 1.0, 1.0, 0.5, "a, b, c > 0"), (1.0, 0.0, 1.0, 0.5, "a, b, c > 0"),
    (1.0, 1.0, 0.0, 0.5, "a, b, c > 0"), (-1.0, 1.0, 1.0, 0.5, "a, b, c > 0"),
    (1.0, 1.0, 1.0, -1e-300, "0 <= z < 1"), (1.0, 1.0, 1.0, 1.0, "0 <= z < 1"),
])
def test_log_hyp2f1_refuses_arguments_outside_its_domain(a, b, c, z, message):
    with pytest.raises(ValueError, match=message):
        log_hyp2f1(a, b, c, z)


@pytest.mark.parametrize(("a", "b", "z", "message"), [
    (0.0, 0.5, 0.5, "a > 0 and b < a"), (-0.5, 0.2, 0.5, "a > 0 and b < a"),
    (2.0, 3.0, 0.5, "a > 0 and b < a"),                   # b = a + 1: q = 0
    (2.0, 1.0, -1e-300, "0 <= z < 1"), (2.0, 1.0, 1.0, "0 <= z < 1"),
])
def test_log_hyp2f1_c_a1_refuses_arguments_outside_its_domain(a, b, z, message):
    with pytest.raises(ValueError, match=message):
        log_hyp2f1_c_a1(a, b, z)


def test_the_bounds_of_the_domain_are_accepted():
    # z = 0 is 2F1 = 1 whatever the parameters; b just below a + 1 leaves q > 0
    assert float(log_hyp2f1(3.0, 2.0, 0.5, 0.0)) == 0.0
    assert float(log_hyp2f1_c_a1(2.0, 2.999, 0.25)[0]) == pytest.approx(reference(2.0, 2.999, 3.0, 0.25), rel=1e-12)


def test_at_z_zero_the_derivatives_are_those_of_the_series_first_term():
    # 2F1(a, b; a+1; z) = 1 + ab/(a+1) z + ...: at z = 0 the log is 0, flat in a and b, and
    # its slope in z is ab/(a+1) (the Pareto/NBD gradient in alpha and beta at alpha = beta)
    for a, b in ((2.0, 0.5), (0.3, 1.2), (40.0, 7.0)):
        value, d_a, d_b, d_z = (float(v) for v in log_hyp2f1_c_a1(a, b, 0.0))
        assert (value, d_a, d_b) == (0.0, 0.0, 0.0)
        assert d_z == pytest.approx(a * b / (a + 1), rel=1e-15)


def test_sums_beyond_a_double_are_rescaled():
    # 2F1(400, 400; 1; 0.5) is about e^977 (its terms pass 1e250, where the sum is rescaled);
    # c < a rules out Euler's transformation, so the series is summed as it stands
    got = float(log_hyp2f1(400.0, 400.0, 1.0, 0.5))
    expected = reference(400, 400, 1, 0.5)
    assert expected > 700
    assert got == pytest.approx(expected, rel=1e-13)
    # 2F1(238, 238; 1; 0.5) is about e^579: the sum passes 1e250 (e^576) near its end, so the
    # part summed before the rescaling is a good share of the whole
    assert float(log_hyp2f1(238.0, 238.0, 1.0, 0.5)) == pytest.approx(reference(238, 238, 1, 0.5), rel=1e-13)
    # cut after 1,300 terms (it stops by itself between 1,300 and 1,400): the rescaled sum and its tail
    assert float(log_hyp2f1(400.0, 400.0, 1.0, 0.5, max_terms=1300)) == pytest.approx(expected, rel=1e-13)


def test_euler_transformation_only_where_it_helps():
    # each side of each condition of Euler's transformation: c - a, c - b > 0 and
    # (c - a) + (c - b) < a + b; all equal the reference
    for a, b, c, z in ((2.0, 3.0, 4.0, 0.7), (2.0, 3.0, 6.0, 0.7), (2.0, 3.0, 5.0, 0.7),
                       (4.5, 1.0, 4.0, 0.7), (1.0, 4.5, 4.0, 0.7), (0.7, 0.4, 1.0, 0.95)):
        assert float(log_hyp2f1(a, b, c, z)) == pytest.approx(reference(a, b, c, z), rel=1e-13, abs=1e-15)
    # small a, b against a large c: the series as it stands is near 1; Euler's form would be
    # (1 - z)^49.8 times a sum near (1 - z)^-49.8, whose logs (about -115 and 115) cancel to 2e-4
    assert float(log_hyp2f1(0.1, 0.1, 50.0, 0.9)) == pytest.approx(reference(0.1, 0.1, 50.0, 0.9), rel=1e-11, abs=0)
    # c - b = 0.5 (between 0 and 1) near z = 1: the transformed series falls like n^-1.5 z^n,
    # the untransformed one like n^-0.5 z^n, and keeps only 12 digits
    for a, b in ((1.0, 3.0), (3.0, 1.0)):
        assert float(log_hyp2f1(a, b, 3.5, 0.999)) == pytest.approx(reference(a, b, 3.5, 0.999), rel=1e-13)


def test_arrays_with_entries_converging_at_different_terms():
    # one call over several arguments: entries leave the sum at different terms (z = 0 at
    # once, z = 0.89 after hundreds), and each keeps its own value; the shape is kept
    a = np.array([[0.5, 3.0, 200.0], [1.0, 7.0, 0.2]])
    b = np.array([[0.8, 2.0, 200.0], [1.0, 0.3, 9.0]])
    c = np.array([[1.5, 1.0, 1.0], [2.0, 0.5, 3.0]])
    z = np.array([[0.0, 0.89, 0.5], [0.5, 0.3, 0.6]])
    got = log_hyp2f1(a, b, c, z)
    assert got.shape == (2, 3)
    expected = [[reference(*args) for args in zip(*(v[i] for v in (a, b, c, z)))] for i in range(2)]
    assert np.allclose(got, expected, rtol=1e-13, atol=0)
    aa = np.array([0.5, 3.0, 250.0, 1.0])
    bb = np.array([0.8, 2.0, 100.0, 1.5])
    zz = np.array([0.0, 0.89, 0.5, 0.6])
    for got_v, ref_v in zip(zip(*log_hyp2f1_c_a1(aa, bb, zz)), (reference_c_a1(*v) for v in zip(aa, bb, zz))):
        assert np.allclose(np.array(got_v, dtype=float), ref_v, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize(("a", "b", "z"), [(0.7, 0.3, 0.4), (3.0, 2.5, 0.8), (30.0, 0.6, 0.1), (0.2, 1.1, 0.9)])
def test_c_a1_value_and_derivatives_match_mpmath(a, b, z):
    got = [float(v) for v in log_hyp2f1_c_a1(a, b, z)]
    for g, e in zip(got, reference_c_a1(a, b, z)):
        assert g == pytest.approx(e, rel=1e-10, abs=1e-14)


def test_truncated_series_adds_a_geometric_tail_worked_by_hand():
    # one term, then the tail term * bound / (1 - bound), bound = max(next ratio, z)
    z = 0.5
    # 2F1(1, 1; 2; z): term 1 is z/2, the next ratio 2*2/(3*2) z = z*2/3 < z, so bound = z
    assert float(log_hyp2f1(1.0, 1.0, 2.0, z, max_terms=1)) == pytest.approx(
        math.log(1 + z / 2 + z / 2 * z / (1 - z)), rel=1e-15)
    # 2F1(3, 3; 1; 0.1): term 1 is 9 z, the next ratio 4*4/(2*2) z = 0.4 > z, so bound = 0.4
    assert float(log_hyp2f1(3.0, 3.0, 1.0, 0.1, max_terms=1)) == pytest.approx(
        math.log(1 + 0.9 + 0.9 * 0.4 / 0.6), rel=1e-15)
    # 2F1(3, 3; 1; 0.5) grows term by term: the bound is held below 1, at 1 - 1e-12
    t1, bound = 9 * z, 1 - 1e-12
    assert float(log_hyp2f1(3.0, 3.0, 1.0, z, max_terms=1)) == pytest.approx(
        math.log(1 + t1 + t1 * bound / (1 - bound)), rel=1e-15)
    # Euler's form of 2F1(a, b; a+1; z) with a = 1, b = 0.5: q = 1.5, c = 2, one term
    # h1 = q/c z = 0.375, tail h1 z/(1-z) = 0.375, H = 1.75; S_q(1) = 1/1.5, S_c(1) = 1/2
    value, d_a, d_b, d_z = (float(v) for v in log_hyp2f1_c_a1(1.0, 0.5, z, max_terms=1))
    h1 = tail = 0.375
    big_h = 1 + h1 + tail
    hq, hc, hz = (h1 + tail) / 1.5, (h1 + tail) / 2, (h1 + tail * 1) / z
    assert value == pytest.approx(0.5 * math.log(1 - z) + math.log(big_h), rel=1e-15)
    assert d_a == pytest.approx(hq / big_h - hc / big_h, rel=1e-14)
    assert d_b == pytest.approx(-math.log(1 - z) - hq / big_h, rel=1e-15)
    assert d_z == pytest.approx(-0.5 / (1 - z) + hz / big_h, rel=1e-14)
    # two terms: h2 = h1 (q+1)/(c+1) z, S_q(2) = 1/1.5 + 1/2.5, S_c(2) = 1/2 + 1/3, and the
    # tail h2 z/(1-z) carries S(2) and n = 2 into the derivative sums
    value, d_a, d_b, d_z = (float(v) for v in log_hyp2f1_c_a1(1.0, 0.5, z, max_terms=2))
    h2 = h1 * 2.5 / 3 * z
    tail = h2 * z / (1 - z)
    sq1, sq2, sc1, sc2 = 1 / 1.5, 1 / 1.5 + 1 / 2.5, 1 / 2, 1 / 2 + 1 / 3
    big_h = 1 + h1 + h2 + tail
    hq = h1 * sq1 + h2 * sq2 + tail * sq2
    hc = h1 * sc1 + h2 * sc2 + tail * sc2
    hz = (1 * h1 + 2 * h2 + tail * 2) / z
    assert value == pytest.approx(0.5 * math.log(1 - z) + math.log(big_h), rel=1e-15)
    assert d_a == pytest.approx(hq / big_h - hc / big_h, rel=1e-14)
    assert d_b == pytest.approx(-math.log(1 - z) - hq / big_h, rel=1e-15)
    assert d_z == pytest.approx(-0.5 / (1 - z) + hz / big_h, rel=1e-14)


def test_near_one_the_sum_stops_after_20000_terms_with_a_warning(caplog):
    # z = 1 - 5e-4: the series is cut after 20,000 terms and its tail estimated as geometric;
    # there it keeps about 1e-5 (2F1(2, 3; 1; z) grows like (1 - z)^-4, the hardest of these)
    with caplog.at_level(logging.WARNING, logger="cvm.models.hyp2f1"):
        got = float(log_hyp2f1(2.0, 3.0, 1.0, 0.9995))
        got_c = float(log_hyp2f1_c_a1(0.5, 0.45, 0.9995)[0])
    assert got == pytest.approx(reference(2.0, 3.0, 1.0, 0.9995), rel=3e-5)
    assert got_c == pytest.approx(reference(0.5, 0.45, 1.5, 0.9995), rel=3e-6)
    assert [r.getMessage() for r in caplog.records] == ["2F1 series stopped after 20000 terms for 1 arguments"] * 2


@pytest.mark.parametrize(("a", "b", "z", "rel"), [(1.0, 0.01, 0.9, 2e-12), (50.0, 0.5, 0.9, 5e-14)])
def test_c_a1_sums_every_term_its_derivatives_need(a, b, z, rel):
    # the sum stops when (n + 1) h_n (1 + S_q + S_c) is below 1e-16 of H times (1 - z): the
    # derivatives' sums weigh late terms by n and by S(n), and keep their digits only so
    got = [float(v) for v in log_hyp2f1_c_a1(a, b, z)]
    for g, e in zip(got, reference_c_a1(a, b, z)):
        assert g == pytest.approx(e, rel=rel, abs=0)
