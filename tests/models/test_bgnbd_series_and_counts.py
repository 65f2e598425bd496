"""The BG/NBD (`cvm.models.bgnbd`) outside its likelihood: the hypergeometric tail series summed
against mpmath (its value, the largest partial sum, the term limit), the geometric panels of the
quadrature by hand, E[X(t)] against its defining integral (scipy), and P(X(t) = n) against the
paper's equation 8 written with its finite sum (mpmath)."""

from __future__ import annotations

import warnings

import mpmath as mp
import numpy as np
import pytest
from scipy import integrate, special

from cvm.models import BGNBD
from cvm.models.bgnbd import _graded, _tail_series

mp.mp.dps = 40

CDNOW = (0.243, 4.414, 0.793, 2.426)     # Fader, Hardie & Lee 2005, table 1


def fitted(r, alpha, a, b):
    model = BGNBD()
    model.params_ = {"r": r, "alpha": alpha, "a": a, "b": b}
    return model


def series_by_hand(q, a, c, z):
    """sum_{n>=1} (q)_n (a)_{n-1} / ((c)_n n!) z^n in mpmath: its value from Gauss's function,
    (2F1(q, a-1; c; z) - 1) / (a - 1) (as (a)_{n-1} = (a-1)_n / (a-1)), and the largest
    |partial sum|, the terms added one by one."""
    q, a, c, z = (mp.mpf(float(v)) for v in (q, a, c, z))
    total, peak, term = mp.mpf(0), mp.mpf(0), q / c * z
    n = 1
    while n < 20 or abs(term) > mp.mpf(10) ** -30 * (1 + abs(total)):
        total += term
        peak = max(peak, abs(total))
        term *= (q + n) * (a + n - 1) / ((c + n) * (n + 1)) * z
        n += 1
    value = (mp.hyp2f1(q, a - 1, c, z) - 1) / (a - 1)
    assert abs(value - total) < mp.mpf(10) ** -25 * (1 + abs(value))   # the two agree
    return float(value), float(peak)


# (q, a, c, z, scale_ref): sums of positive terms, of terms that change sign and cancel (q below
# 0), one whose ratio of terms starts at 1/4 against z of 1e-12, slow ones (z up to 0.97), small
# sums against a reference of 0 or of their own size
SERIES = [
    (2.5, 1.7, 3.1, 0.3, 1.0),
    (-5.5, 3.0, 2.0, 0.9, 1.0),
    (-2.3, 0.4, 0.8, 0.6, 0.5),
    (1e6, 1e6, 1.0, 1e-12, 1.0),
    (10.0, 0.5, 1.2, 0.6, 1e3),
    (0.3, 2.0, 0.9, 0.97, 1.0),
    (4.0, 30.0, 6.0, 0.95, 1.0),
    (0.2, 0.3, 40.0, 0.02, 0.0),
    (1.5, 0.7, 2.0, 0.85, 1e-4),
]


def test_tail_series_against_the_pochhammer_sum():
    q, a, c, z, ref = (np.array(v, dtype=float) for v in zip(*SERIES))
    out, peak = _tail_series(q, a, c, z, ref)
    for i, (qi, ai, ci, zi, ref_i) in enumerate(SERIES):
        value, largest = series_by_hand(qi, ai, ci, zi)
        # summed until the terms left are below 1e-15 of the reference plus the sum
        allowed = 2e-15 * (ref_i + abs(value))
        assert out[i] == pytest.approx(value, rel=0, abs=allowed), SERIES[i]
        assert peak[i] == pytest.approx(largest, rel=0, abs=2e-15 * (ref_i + largest)), SERIES[i]
    # the cancelling sum: its partial sums reach 2.7, far above the sum of -0.5
    assert peak[1] > 5 * abs(out[1])


@pytest.mark.parametrize("row", range(len(SERIES)))
def test_tail_series_row_by_row_and_rows_without_z(row):
    # each row alone gives what it gives among the others; rows with z = 0 are 0, with a peak of 0
    q, a, c, z, ref = (np.array([v, v, v], dtype=float) for v in SERIES[row])
    z[1] = 0.0
    ref[1] = 0.0
    out, peak = _tail_series(q, a, c, z, ref)
    whole, whole_peak = _tail_series(*(np.array(v, dtype=float) for v in zip(*SERIES)))
    assert out[[0, 2]].tolist() == [whole[row]] * 2
    assert peak[[0, 2]].tolist() == [whole_peak[row]] * 2
    assert out[1] == 0.0 and peak[1] == 0.0


def test_tail_series_unfinished_after_the_term_limit_is_nan():
    # z = 0.999 with ratios n/(n+1) z: about 2e4 terms are needed, more than the limit; NaN
    # whether alone, among rows that finish, or among more rows that do not
    slow, fast = (1.0, 1.0, 1.0, 0.999, 1.0), (2.5, 1.7, 3.1, 0.3, 1.0)
    for rows in ([slow], [fast, slow], [fast, slow, slow, slow, slow], [slow, slow, fast, slow, slow, slow]):
        out, _ = _tail_series(*(np.array(v, dtype=float) for v in zip(*rows)))
        for got, row in zip(out, rows):
            if row is slow:
                assert np.isnan(got)
            else:
                assert got == pytest.approx(series_by_hand(*row[:4])[0], rel=4e-15)


def test_tail_series_that_needs_every_term_allowed():
    # q = a = c = 1: S = sum z^n / n = -ln(1 - z). At z = 0.985356 the tolerance is met at the
    # 2,000th term, the last one allowed (by a margin of about 1 %; the 1,999th misses it by 0.4 %),
    # so the sum is finished, not NaN
    z = 0.985356
    out, peak = _tail_series(*(np.array([v]) for v in (1.0, 1.0, 1.0, z, 1.0)))
    exact = float(-mp.log1p(-mp.mpf(z)))
    # (the rounding of 2,000 additions, about 5e-15 of the sum, is allowed for)
    assert out[0] == pytest.approx(exact, rel=0, abs=1e-14 * (1 + exact))
    assert peak[0] == out[0]


def test_tail_series_that_overflows_is_not_finite():
    # a first term q/c z of 1e400 is past the largest double: the row stops, not finite
    with np.errstate(over="ignore"):
        out, _ = _tail_series(np.array([1e200, 2.5]), np.array([1e200, 1.7]), np.array([1e-200, 3.1]),
                              np.array([0.5, 0.3]), np.array([1.0, 1.0]))
    assert not np.isfinite(out[0])
    assert out[1] == pytest.approx(series_by_hand(2.5, 1.7, 3.1, 0.3)[0], rel=4e-15)


def geometric_edges(start, end, first, panels=16):
    """0, then first q^j for j = 0 … panels-1 with q^(panels-1) = span / first, from start
    towards end, in increasing order (by hand: the panel at start is first wide, each next one
    wider by the factor q)."""
    span = abs(end - start)
    if span == 0:
        return [start] * (panels + 1)
    first = min(first, span / panels)
    q = (span / first) ** (1 / (panels - 1))
    steps = [0.0] + [first * q**j for j in range(panels)]
    sign = 1 if end > start else -1
    return sorted(start + sign * s for s in steps)


def test_panels_by_hand():
    start = np.array([0.0, 5.0, 2.0, -3.0, 0.25])
    end = np.array([16.0, 1.0, 2.0, -2.5, 0.75])
    first = np.array([1.0, 0.5, 0.3, 0.01, 0.4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # an empty span divides nothing by 0
        got = _graded(start, end, first)
    assert got.shape == (5, 17)
    for i in range(5):
        assert got[i] == pytest.approx(geometric_edges(start[i], end[i], first[i]), rel=1e-14, abs=1e-14)
        assert got[i, 0] == min(start[i], end[i]) and got[i, -1] == max(start[i], end[i])
    # 0 to 16 with a first panel of 1: the edges 0, 1, 16^(1/15), 16^(2/15) … 16
    assert got[0, :4] == pytest.approx([0.0, 1.0, 16 ** (1 / 15), 16 ** (2 / 15)], rel=1e-15)
    # downwards from 5 to 1: the panel at 5 is a quarter (4 / 16) wide, the one at 1 the widest
    assert got[1, -2:] == pytest.approx([4.75, 5.0], rel=1e-15)
    assert got[1, 1] - got[1, 0] == pytest.approx(max(np.diff(got[1])), rel=1e-15)
    # nothing to cover: every edge at the start
    assert got[2].tolist() == [2.0] * 17


def new_customer_by_integral(r, alpha, a, b, t):
    """E[X(t)] = E_p[(1 - (alpha / (alpha + p t))^r) / p], p ~ Beta(a, b): alive customers buy
    at rate lambda until they drop out after a purchase, E[X(t) | lambda, p] = (1 - e^(-lambda p
    t)) / p, and E_lambda[e^(-lambda p t)] = (alpha / (alpha + p t))^r. The Beta density's
    p^(a-1) (1-p)^(b-1) is quad's algebraic weight (exact at the ends, where it may be infinite)."""
    def gain(p):
        return -np.expm1(-r * np.log1p(p * t / alpha)) / p if p > 0 else r * t / alpha

    value, _ = integrate.quad(gain, 0.0, 1.0, weight="alg", wvar=(a - 1.0, b - 1.0), epsabs=0, epsrel=1e-13, limit=200)
    return value / special.beta(a, b)


@pytest.mark.parametrize("params", [CDNOW, (2.5, 30.0, 1.7, 0.4), (0.6, 5.0, 3.0, 3.0)])
def test_expected_purchases_of_a_new_customer_against_the_integral(params):
    model = fitted(*params)
    for t in (0.5, 39.0, 78.0):
        got = float(model.expected_purchases_new_customer(t))
        assert got == pytest.approx(new_customer_by_integral(*params, t), rel=1e-9)
    assert model.expected_purchases_new_customer([0.0, 39.0])[0] == 0.0


def probability_by_equation_8(r, alpha, a, b, n, t):
    """Fader, Hardie & Lee 2005, eq. 8, with its finite sum:
    B(a, b+n)/B(a, b) NB(n) + delta_{n>0} B(a+1, b+n-1)/B(a, b) [1 - sum_{j<n} NB(j)],
    NB(j) = Gamma(r+j) / (Gamma(r) j!) (alpha/(alpha+t))^r (t/(alpha+t))^j."""
    r, alpha, a, b, t = (mp.mpf(v) for v in (r, alpha, a, b, t))

    def nb(j):
        return mp.gamma(r + j) / (mp.gamma(r) * mp.factorial(j)) * (alpha / (alpha + t)) ** r * (t / (alpha + t)) ** j

    value = mp.beta(a, b + n) / mp.beta(a, b) * nb(n)
    if n > 0:
        value += mp.beta(a + 1, b + n - 1) / mp.beta(a, b) * (1 - mp.fsum(nb(j) for j in range(n)))
    return float(value)


@pytest.mark.parametrize("params", [CDNOW, (2.5, 30.0, 1.7, 0.4), (0.6, 5.0, 3.0, 0.8)])
def test_probability_of_purchases_against_equation_8(params):
    model = fitted(*params)
    n = np.arange(7)
    for t in (0.3, 39.0, 300.0):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = model.probability_of_purchases(n, t)
        for k in n:
            assert got[k] == pytest.approx(probability_by_equation_8(*params, int(k), t), rel=1e-11), (k, t)
    # horizons of 0 among others, without a warning (no logarithm of 0 is taken)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = model.probability_of_purchases(np.array([[0], [1], [3]]), np.array([0.0, 0.3, 39.0]))
    assert got[:, 0] == pytest.approx([1.0, 0.0, 0.0], rel=0, abs=1e-290)
    for i, k in enumerate((0, 1, 3)):
        for j, t in enumerate((0.3, 39.0), start=1):
            assert got[i, j] == pytest.approx(probability_by_equation_8(*params, k, t), rel=1e-11)


def test_no_purchase_where_the_dropout_is_nearly_certain():
    # a = 1e9, b = 0.999: p is within 1e-9 of 1 (nearly everyone drops out at the first repeat
    # purchase); P(X(t) = 0) is the NBD's zero term B(a, b)/B(a, b) = 1 times NB(0), with no
    # second term (which has no finite value there)
    r, alpha, a, b, t = 0.8, 4.0, 1e9, 0.999, 20.0
    with np.errstate(over="ignore", invalid="ignore"):
        got = fitted(r, alpha, a, b).probability_of_purchases([0, 1], t)
    assert got[0] == pytest.approx((alpha / (alpha + t)) ** r, rel=1e-13)
    assert got[1] == pytest.approx(probability_by_equation_8(r, alpha, a, b, 1, t), rel=1e-8)


def test_the_series_once_per_distinct_x_and_T_gives_every_history_its_own_value():
    """The expected purchases of an alive customer are summed once per distinct (x, T) and
    handed to every history with that (x, T), whatever its t_x: each row equals the series
    evaluated on that row alone, for the BG/NBD (Beta b + x) and the MBG/NBD (b + x + 1)."""
    from cvm.models import MBGNBD
    from cvm.models.bgnbd import expected_purchases_while_alive, while_alive_after_T

    data = {"frequency": np.array([2, 2, 2, 0, 5, 2, 5, 0]),
            "recency": np.array([3.0, 10.0, 3.0, 0.0, 20.0, 7.0, 11.0, 0.0]),
            "T": np.array([30.0, 30.0, 30.0, 30.0, 40.0, 31.0, 40.0, 12.0])}
    for model, after in ((fitted(*CDNOW), 0.0), (MBGNBD(), 1.0)):
        model.params_ = dict(zip(("r", "alpha", "a", "b"), CDNOW))
        st = model._history(data)
        got = while_alive_after_T(st, *CDNOW, 39.0, after=after)[st.inverse]
        r, alpha, a, b = CDNOW
        want = [expected_purchases_while_alive(r + x, alpha + T, a, b + x + after, 39.0)
                for x, T in zip(data["frequency"], data["T"])]
        assert got.tolist() == [float(w) for w in want]
        # seven distinct histories, five distinct (x, T): a value per (x, T)
        assert len(st.x) == 7 and len(set(got.tolist())) == 5
        alive = model._probability_alive(st)[st.inverse]
        assert np.array_equal(model.expected_purchases(39.0, data), got * alive)
