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
from ._quadrature import quad

__all__ = ["BGNBD", "bgnbd_log_likelihood", "expected_purchases_while_alive"]

_SERIES_TOL = 1e-15
_SERIES_MAX = 20_000


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
    first = np.where(small, -log1mz * (1.0 + u / 2.0), -np.expm1(u) / np.where(small, 1.0, am1))
    with np.errstate(over="ignore", invalid="ignore"):
        # a dropout probability near one (large a) overflows e^-u and the series with it; those
        # rows come out non-finite here and are evaluated below without the series
        series, unfinished = _tail_series(c - shape, a, c, z, first * np.exp(-u))
        value = c * (first - np.exp(u) * series)
    overflowed = np.flatnonzero(~np.isfinite(value))
    for i in np.union1d(unfinished, overflowed).astype(np.int64):
        value[i] = _expected_without_series(shape[i], scale[i], a[i], b[i], t[i])
    return np.maximum(value, 0.0).reshape(out_shape)


def _expected_without_series(shape, scale, a, b, t):
    """E_p[g(p)], g(p) = (1 - (scale/(scale + p t))^shape) / p, p ~ Beta(a, b): at the mean of p
    when Beta(a, b) is so narrow (standard deviation below 1e-6) that the second-order term
    g''(m) Var(p) / 2 is negligible and quadrature would miss the spike; else by quadrature."""
    n = a + b
    mean = a / n
    if a * b / (n * n * (n + 1.0)) < 1e-12:
        return float(-np.expm1(-shape * np.log1p(mean * t / scale)) / mean)
    return _expected_by_quadrature(shape, scale, a, b, t)


def _expected_by_quadrature(shape, scale, a, b, t):
    """E_p[(1 - (scale/(scale + p t))^shape) / p] with p ~ Beta(a, b), by adaptive quadrature:
    the defining integral of expected_purchases_while_alive, used when t >> scale makes the
    series converge too slowly."""
    log_norm = betaln(a, b)

    def integrand(p):
        if p <= 0.0:
            return 0.0
        gain = -np.expm1(-shape * np.log1p(p * t / scale)) / p
        return gain * np.exp((a - 1) * np.log(p) + (b - 1) * np.log1p(-p) - log_norm) if p < 1 else 0.0

    knee = min(max(scale / (t * max(shape, 1e-12)), 1e-300), 0.5)
    pieces = [(0.0, knee), (knee, 0.5), (0.5, 1.0)]
    return float(sum(quad(integrand, lo, hi, limit=200, epsabs=0, epsrel=1e-10)[0] for lo, hi in pieces if hi > lo))


def _tail_series(q, a, c, z, scale_ref):
    """S = sum_{n>=1} (q)_n (a)_{n-1} / ((c)_n n!) z^n, summed until a term is below 1e-15 of
    ``scale_ref`` + |S| and the ratio of successive terms has settled below 1. Returns the sums
    and the positions still unfinished after the term limit."""
    out = np.zeros_like(z)
    active = np.flatnonzero(z > 0)
    qq, aa, cc, zz, ref = q[active], a[active], c[active], z[active], np.abs(scale_ref[active])
    term = qq / cc * zz
    total = term.copy()
    finished = np.zeros(active.size, dtype=bool)  # summed to tolerance, result already in out
    n = 1
    while active.size and n < _SERIES_MAX:
        ratio = (qq + n) * (aa + n - 1.0) / ((cc + n) * (n + 1.0)) * zz
        term = term * ratio
        total = total + term
        n += 1
        bound = np.maximum(np.abs(ratio), zz)
        done = (np.abs(ratio) < 1.0) & (np.abs(term) * bound < _SERIES_TOL * (ref + np.abs(total)) * (1.0 - bound))
        done &= ~finished
        if done.any():
            out[active[done]] = total[done]
            finished |= done
            # drop finished rows only once they are a good share: copying every array at each
            # step where a few rows finish costs more than summing them a little longer
            if 4 * np.count_nonzero(finished) >= active.size:
                keep = ~finished
                active, qq, aa, cc, zz, ref, term, total = (
                    v[keep] for v in (active, qq, aa, cc, zz, ref, term, total))
                finished = finished[keep]
    keep = ~finished
    active, term, total, zz = active[keep], term[keep], total[keep], zz[keep]
    if active.size:
        out[active] = total + term * zz / (1.0 - zz)
    return out, active


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
    _log_likelihood = staticmethod(bgnbd_log_likelihood)

    def _expected_purchases(self, st: RFStats, t: float) -> np.ndarray:
        """E[Y(t) | x, t_x, T] (Fader, Hardie & Lee 2005, eq. 10)."""
        r, alpha, a, b = self._params()
        # eq. 10 numerator: (a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(...)]
        alive_part = expected_purchases_while_alive(r + st.x, alpha + st.T, a, b + st.x, t)
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
        return expected_purchases_while_alive(r, alpha, a, b, t)

    def probability_of_purchases(self, n, t) -> np.ndarray:
        """P(X(t) = n): probability that a new customer makes ``n`` repeat purchases in (0, t]
        (Fader, Hardie & Lee 2005, eq. 8)."""
        r, alpha, a, b = self._params()
        n, t = np.broadcast_arrays(np.asarray(n, dtype=float), np.asarray(t, dtype=float))
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
