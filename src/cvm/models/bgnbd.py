"""The BG/NBD model (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way",
Marketing Science 24(2), 275-284).

While alive a customer buys at Poisson rate lambda ~ Gamma(r, alpha); after each repeat purchase
she drops out with probability p ~ Beta(a, b). Time is in whatever unit ``recency`` and ``T``
are in (weeks for the CDNOW example).
"""

from __future__ import annotations

import numpy as np
from scipy.special import betainc, betaln, digamma, gammaln

from ._base import RFModel
from ._data import RFStats, wsum

__all__ = ["BGNBD", "bgnbd_log_likelihood", "expected_purchases_while_alive"]

_SERIES_TOL = 1e-15
_SERIES_MAX = 2_000      # beyond this many terms the defining integral is used


def bgnbd_log_likelihood(params, stats: RFStats) -> tuple[float, np.ndarray]:
    """Total log-likelihood and its gradient in (r, alpha, a, b); a pure function."""
    r, alpha, a, b = params
    x, t_x, T, w = stats.x, stats.t_x, stats.T, stats.weight
    ux, ix = stats.x_values, stats.x_index
    wx = stats.x_weight
    # Fader, Hardie & Lee 2005, eq. 6: LL = ln[Gamma(r+x) alpha^r / Gamma(r)]
    #   + ln[B(a, b+x) / B(a, b)] + ln[(alpha+T)^-(r+x) + delta_{x>0} a/(b+x-1) (alpha+t_x)^-(r+x)]
    a1 = gammaln(r + ux) - gammaln(r) + r * np.log(alpha)            # eq. 6, A1 (per distinct x)
    a2 = betaln(a, b + ux) - betaln(a, b)                             # eq. 6, A2
    repeat = ux > 0
    log_c = np.full(ux.shape, -np.inf)
    log_c[repeat] = np.log(a) - np.log(b + ux[repeat] - 1.0)           # eq. 6, ln[a / (b+x-1)]
    rx = r + x
    log_aT = np.log(alpha + T)
    log_atx = np.log(alpha + t_x)
    a3 = -rx * log_aT                                                  # eq. 6, A3
    d = log_c[ix] - rx * (log_atx - log_aT)                            # eq. 6, A4 - A3
    soft = np.logaddexp(0.0, d)                                        # ln(1 + e^(A4-A3))
    ll = float(wsum(wx, a1 + a2) + wsum(w, a3 + soft))
    s = np.exp(d - soft)                                               # share of the A4 term
    ws = w * s
    sx = np.bincount(ix, weights=ws, minlength=ux.size)
    g_r = wsum(wx, digamma(r + ux) - digamma(r) + np.log(alpha)) - wsum(w, log_aT) - wsum(ws, log_atx - log_aT)
    g_alpha = wx.sum() * r / alpha - wsum(w, rx / (alpha + T)) - wsum(ws, rx / (alpha + t_x) - rx / (alpha + T))
    dig_ab = digamma(a + b)
    g_a = wsum(wx, dig_ab - digamma(a + b + ux)) + sx.sum() / a
    g_b = wsum(wx, dig_ab + digamma(b + ux) - digamma(b) - digamma(a + b + ux)) - wsum(sx[repeat], 1.0 / (b + ux[repeat] - 1.0))
    return ll, np.array([g_r, g_alpha, g_a, g_b])


def expected_purchases_while_alive(shape, scale, a, b, t):
    """Expected purchases in (0, t] of a customer alive at 0 with lambda ~ Gamma(shape, scale)
    and dropout probability p ~ Beta(a, b) after each purchase:

        (a+b-1)/(a-1) [1 - (scale/(scale+t))^shape 2F1(shape, b; a+b-1; t/(scale+t))]

    (Fader, Hardie & Lee 2005, eqs. 7 and 10). Evaluated through Euler's transformation,
    (1-z)^shape 2F1(shape, b; c; z) = (1-z)^(a-1) 2F1(c-shape, a-1; c; z) with c = a+b-1, whose
    terms past the first all carry the factor (a-1); dividing it out analytically removes the
    0/0 at a = 1 and the overflow of 2F1 for large shape (thousands of purchases).

    The series is a difference of two terms that can be far larger than their difference
    (large a + b, a narrow Beta; large shape against a + b) or overflow. Where the difference
    would lose more than ``_CANCELLATION`` of its relative precision, the value is taken from
    the defining integral instead (:func:`_expected_by_quadrature`).
    """
    shape, scale, a, b, t = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (shape, scale, a, b, t)))
    out_shape = shape.shape
    shape, scale, a, b, t = (np.array(v).ravel() for v in (shape, scale, a, b, t))
    c = a + b - 1.0
    z = t / (scale + t)
    log1mz = -np.log1p(t / scale)                                       # ln(1 - z)
    am1 = a - 1.0
    u = am1 * log1mz
    small = np.abs(am1) < 1e-9
    with np.errstate(all="ignore"):  # overflow and 0/0 are caught by the test below
        first = np.where(small, -log1mz * (1.0 + u / 2.0), -np.expm1(u) / np.where(small, 1.0, am1))
        series, peak = _tail_series(c - shape, a, c, z, first * np.exp(-u))
        tail = np.exp(u) * series
        value = c * (first - tail)
        # the size of the terms the difference is made of, against the difference
        size = np.abs(c) * (np.abs(first) + np.exp(u) * peak)
        lost = ~(size < _CANCELLATION * np.abs(value)) & (t > 0)
    if lost.any():
        value[lost] = _expected_by_quadrature(shape[lost], scale[lost], a[lost], b[lost], t[lost])
    return np.maximum(value, 0.0).reshape(out_shape)


def while_alive_after_T(st: RFStats, r, alpha, a, b, t, *, after: float = 0.0):
    """:func:`expected_purchases_while_alive` of each row of ``st`` with its posterior after
    ``x`` purchases in ``T`` (shape ``r + x``, scale ``alpha + T``, Beta ``a, b + x + after``),
    evaluated once per distinct (x, T): the series does not depend on t_x, and a customer base
    has far fewer distinct (x, T) than (x, t_x, T) histories (19,252 against 467,301 among
    the 1M customers of the benchmark's log)."""
    pairs, rows = np.unique(st.pair_index_T, return_inverse=True)
    x, T = st.pair_x[pairs], st.pair_time[pairs]
    return expected_purchases_while_alive(r + x, alpha + T, a, b + x + after, t)[rows]


#: largest ratio of the series' terms to their difference that is accepted (a loss of about
#: 4 of the 16 significant digits); beyond it the defining integral is used
_CANCELLATION = 1e3
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(12)
_PANELS = 16               # panels on each side of each feature of the integrand
_TAIL = 46.0               # the integrand is cut where it is below e^-46 of its value at a feature
_CHUNK = 2048              # rows integrated at a time (memory: rows x 1,536 nodes)


def _expected_by_quadrature(shape, scale, a, b, t):
    """E_p[(1 - (scale/(scale + p t))^shape) / p] with p ~ Beta(a, b): the defining integral of
    expected_purchases_while_alive, for 1-d arrays, by composite Gauss-Legendre quadrature.

    The variable is y = logit(p), in which the Beta density p^a (1-p)^b / B(a, b) is smooth and
    log-concave with exponential tails, whatever a and b: no endpoint singularity when a or b is
    below 1, and a peak of width sqrt(1/a + 1/b) around y = ln(a/b) when a + b is large (the
    density is narrow there: a + b of 1e6 from a fit on a short calibration period). Panels are
    graded geometrically away from three features: that peak, the knee where (1 - (1 + p t /
    scale)^-shape) / p turns from shape t / scale into 1/p, and y = 0; the tails are cut where the
    integrand has fallen by e^-46. The density is evaluated relative to its peak, so that the
    large terms a ln p and b ln(1-p) cancel analytically rather than in floating point.
    """
    out = np.empty(t.size)
    for lo in range(0, t.size, _CHUNK):
        part = slice(lo, lo + _CHUNK)
        out[part] = _integrate_logit(shape[part], scale[part], a[part], b[part], t[part])
    return out


def _integrate_logit(shape, scale, a, b, t):
    k = t / scale
    mode = np.log(a) - np.log(b)                                 # peak of the density of y
    width = np.sqrt(1.0 / a + 1.0 / b)
    knee_p = 1.0 / (k * np.maximum(shape, 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        knee = np.where(knee_p < 1.0, np.log(knee_p) - np.log1p(-knee_p), np.inf) - mode
    # offsets d = y - mode: below the peak the density falls at least like e^(a d), above it
    # like e^(-b d); below the knee the integrand is the density times a constant
    left = -np.maximum(10.0 * width, _TAIL / a)
    left = np.where(knee < 0, np.minimum(left, knee - 5.0 - _TAIL / a), left)
    right = np.maximum(10.0 * width, _TAIL / b)
    features = np.clip(np.stack([np.zeros_like(k), knee, -mode], axis=1), left[:, None], right[:, None])
    # the first panel at each feature: a quarter of the peak's width at the peak, and at a knee
    # or y = 0 that lies within the peak (a narrow Beta with a near b); a quarter elsewhere
    near = np.minimum(width / 4, 0.25)
    firsts = np.stack([near, np.where(np.abs(knee) < 10 * width, near, 0.25),
                       np.where(np.abs(mode) < 10 * width, near, 0.25)], axis=1)
    order = np.argsort(features, axis=1)
    features = np.take_along_axis(features, order, axis=1)
    firsts = np.take_along_axis(firsts, order, axis=1)
    pieces = [_graded(features[:, 0], left, firsts[:, 0])]
    for j in range(features.shape[1] - 1):
        mid = (features[:, j] + features[:, j + 1]) / 2
        pieces += [_graded(features[:, j], mid, firsts[:, j]), _graded(features[:, j + 1], mid, firsts[:, j + 1])]
    pieces.append(_graded(features[:, -1], right, firsts[:, -1]))
    lower = np.concatenate([e[:, :-1] for e in pieces], axis=1)
    upper = np.concatenate([e[:, 1:] for e in pieces], axis=1)
    # features clipped to the ends of the range leave empty panels: only the others are used
    row, panel = np.nonzero(upper > lower)
    half = (upper[row, panel] - lower[row, panel]) / 2
    centre = (upper[row, panel] + lower[row, panel]) / 2
    d = (centre[:, None] + half[:, None] * _GL_NODES).ravel()
    weight = (half[:, None] * _GL_WEIGHTS).ravel()
    row = np.repeat(row, _GL_NODES.size)
    log_f = _log_gain(mode[row] + d, shape[row], k[row]) + _log_density(d, a[row], b[row])
    starts = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
    top = np.maximum.reduceat(log_f, starts)
    return np.exp(top) * np.add.reduceat(weight * np.exp(log_f - top[row]), starts)


def _graded(start, end, first):
    """Panel edges from ``start`` to ``end`` in increasing order, the panel at ``start`` about
    ``first`` wide and each next one wider by a constant factor (``_PANELS`` panels)."""
    span = np.abs(end - start)
    first = np.where(span > 0, np.minimum(first, span / _PANELS), 1.0)
    steps = first[:, None] * (np.where(span > 0, span / first, 1.0)[:, None]
                              ** np.linspace(0.0, 1.0, _PANELS)[None, :])
    steps[:, -1] = span
    steps = np.where(span[:, None] > 0, steps, 0.0)
    edges = start[:, None] + np.sign(end - start)[:, None] * np.concatenate([np.zeros((start.size, 1)), steps], axis=1)
    return np.sort(edges, axis=1)


def _log_gain(y, shape, k):
    """ln[(1 - (1 + k p)^-shape) / p] at p = logit^-1(y): expected purchases while alive per
    unit of dropout probability; shape k (1 - (shape+1) k p / 2) where k p is negligible."""
    log_p = -np.logaddexp(0.0, -y)
    kp = k * np.exp(log_p)
    tiny = shape * kp < 1e-8
    exact = np.log(-np.expm1(-shape * np.log1p(np.where(tiny, 1.0, kp)))) - log_p
    first_order = np.log(shape * k) + np.log1p(-(shape + 1.0) * np.where(tiny, kp, 0.0) / 2.0)
    return np.where(tiny, first_order, exact)


def _log_density(d, a, b):
    """ln of the density of y = logit(p), p ~ Beta(a, b), at y = ln(a/b) + d:
    a ln p + b ln(1-p) - ln B(a, b), written as its value at the peak plus the change from it."""
    # ln(a/(a+b)) and ln(b/(a+b)) from log1p: a difference of two logarithms loses absolute
    # precision of about 1e-15, which a (up to 1e9 and more) multiplies into the density
    log_pm = -np.log1p(b / a)
    log_qm = -np.log1p(a / b)
    near = np.abs(d) < 1.0
    change = -a * np.logaddexp(log_pm, log_qm - d) - b * np.logaddexp(log_qm, log_pm + d)
    an, bn, dn = a[near], b[near], d[near]
    change[near] = (-an * np.log1p(np.exp(log_qm[near]) * np.expm1(-dn))
                    - bn * np.log1p(np.exp(log_pm[near]) * np.expm1(dn)))
    # at the peak: ln[Gamma(a+b)/(Gamma(a) Gamma(b)) (a/(a+b))^a (b/(a+b))^b], by Stirling's
    # formula with its remainder, which has no cancellation for large a and b
    peak = (0.5 * (np.log(a) + np.log(b) - np.log(a + b) - np.log(2 * np.pi))
            + _stirling_rest(a + b) - _stirling_rest(a) - _stirling_rest(b))
    return peak + change


def _stirling_rest(x):
    """ln Gamma(x) - [(x - 1/2) ln x - x + ln(2 pi)/2]; the asymptotic series (A&S 6.1.41,
    error below 2e-14, the size of its next term 691/(360360 x^11) at x = 10) from x = 10 on."""
    big = x >= 10.0
    xb = np.where(big, x, 10.0)
    inv2 = 1.0 / xb**2
    series = (1.0 / 12 - inv2 * (1.0 / 360 - inv2 * (1.0 / 1260 - inv2 * (1.0 / 1680 - inv2 / 1188)))) / xb
    xs = np.where(big, 1.0, x)
    direct = gammaln(xs) - (xs - 0.5) * np.log(xs) + xs - 0.5 * np.log(2 * np.pi)
    return np.where(big, series, direct)


def _tail_series(q, a, c, z, scale_ref):
    """S = sum_{n>=1} (q)_n (a)_{n-1} / ((c)_n n!) z^n, summed until a term is below 1e-15 of
    ``scale_ref`` + |S| and the ratio of successive terms has settled below 1. Returns the sums
    (NaN where the series overflowed or was unfinished after the term limit) and the largest
    |partial sum| met on the way (the size of what cancelled in S)."""
    out = np.zeros_like(z)
    peak_out = np.zeros_like(z)
    active = np.flatnonzero(z > 0)
    qq, aa, cc, zz, ref = q[active], a[active], c[active], z[active], np.abs(scale_ref[active])
    term = qq / cc * zz
    total = term.copy()
    peak = np.abs(total)
    finished = np.zeros(active.size, dtype=bool)  # summed to tolerance, result already in out
    n = 1
    while active.size and n < _SERIES_MAX:
        ratio = (qq + n) * (aa + n - 1.0) / ((cc + n) * (n + 1.0)) * zz
        term = term * ratio
        total = total + term
        peak = np.maximum(peak, np.abs(total))
        n += 1
        bound = np.maximum(np.abs(ratio), zz)
        done = (np.abs(ratio) < 1.0) & (np.abs(term) * bound < _SERIES_TOL * (ref + np.abs(total)) * (1.0 - bound))
        done |= ~np.isfinite(total)              # overflowed: the caller integrates instead
        done &= ~finished
        if done.any():
            out[active[done]] = total[done]
            peak_out[active[done]] = peak[done]
            finished |= done
            # drop finished rows only once they are a good share: copying every array at each
            # step where a few rows finish costs more than summing them a little longer
            if 4 * np.count_nonzero(finished) >= active.size:
                keep = ~finished
                active, qq, aa, cc, zz, ref, term, total, peak = (
                    v[keep] for v in (active, qq, aa, cc, zz, ref, term, total, peak))
                finished = finished[keep]
    out[active[~finished]] = np.nan
    return out, peak_out


class BGNBD(RFModel):
    """BG/NBD model fitted by maximum likelihood.

    ``fit(data)`` takes a DataFrame (or mapping of arrays) with columns ``frequency`` (number of
    repeat purchases x), ``recency`` (t_x, time from first to last purchase) and ``T`` (time from
    first purchase to the end of the calibration period), and optionally ``weights`` (the number
    of customers with that row). Learned: ``params_`` {r, alpha, a, b}, ``log_likelihood_``,
    ``standard_errors_``, ``n_iter_``, ``converged_``.

    >>> import pandas as pd
    >>> data = pd.DataFrame({"frequency": [0, 2, 5, 1], "recency": [0, 30.4, 36, 5], "T": [38.9] * 4})
    >>> m = BGNBD()
    >>> m.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # published CDNOW fit
    >>> round(float(m.expected_purchases(39, {"frequency": [2], "recency": [30.43], "T": [38.86]})[0]), 3)
    1.226
    """

    param_names = ("r", "alpha", "a", "b")
    processes = {"purchase": ("r", "alpha"), "dropout": ("a", "b")}
    _log_likelihood = staticmethod(bgnbd_log_likelihood)

    def _expected_purchases(self, st: RFStats, t: float) -> np.ndarray:
        """E[Y(t) | x, t_x, T] (Fader, Hardie & Lee 2005, eq. 10)."""
        r, alpha, a, b = self._params()
        # eq. 10 numerator: (a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(...)]
        alive_part = while_alive_after_T(st, r, alpha, a, b, t)
        return alive_part * self._probability_alive(st)

    def _probability_alive(self, st: RFStats) -> np.ndarray:
        r, alpha, a, b = self._params()
        x, t_x, T = st.x, st.t_x, st.T
        # Fader, Hardie & Lee 2008 note "Computing P(alive) using the BG/NBD model", eq. 2:
        # P(alive) = 1 / (1 + delta_{x>0} a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))
        with np.errstate(divide="ignore"):
            log_odds = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1.0, 1e-300))
                                + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x)), -np.inf)
        return np.exp(-np.logaddexp(0.0, log_odds))

    def expected_purchases_new_customer(self, t) -> np.ndarray:
        """E[X(t)] for a customer just acquired (Fader, Hardie & Lee 2005, eq. 7)."""
        r, alpha, a, b = self._params()
        return expected_purchases_while_alive(r, alpha, a, b, self._horizon(t))

    def probability_of_purchases(self, n, t) -> np.ndarray:
        """P(X(t) = n): probability that a new customer makes ``n`` repeat purchases in (0, t]
        (Fader, Hardie & Lee 2005, eq. 8)."""
        r, alpha, a, b = self._params()
        n, t = np.broadcast_arrays(np.asarray(n, dtype=float), self._horizon(t))
        if np.any((n < 0) | (n != np.round(n))):
            raise ValueError("n must be a whole number >= 0")
        log_p0 = np.log(alpha) - np.log(alpha + t)                          # ln(alpha/(alpha+t))
        log_p1 = np.log(t) - np.log(alpha + t) if np.all(t > 0) else np.log(np.maximum(t, 1e-300)) - np.log(alpha + t)
        # eq. 8, first term: B(a,b+x)/B(a,b) * NB(x; r, alpha/(alpha+t))
        log_nb = gammaln(r + n) - gammaln(r) - gammaln(n + 1) + r * log_p0 + np.where(n > 0, n * log_p1, 0.0)
        first = np.exp(betaln(a, b + n) - betaln(a, b) + log_nb)
        # eq. 8, second term: B(a+1,b+x-1)/B(a,b) [1 - sum_{j<x} NB(j)] = ... * P(NB >= x)
        nb_tail = np.where(n > 0, betainc(np.maximum(n, 1e-300), r, np.exp(log_p1)), 0.0)
        second = np.where(n > 0, np.exp(betaln(a + 1, np.maximum(b + n - 1, 1e-300)) - betaln(a, b)) * nb_tail, 0.0)
        return first + second
