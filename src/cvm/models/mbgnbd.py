"""The MBG/NBD model (Batislam, Denizel & Filiztekin 2007, "Empirical validation and comparison
of models for customer base analysis", International Journal of Research in Marketing 24(3),
201-209).

As the BG/NBD (Fader, Hardie & Lee 2005), except that a customer may also drop out right after
the first purchase (time 0): with dropout probability p ~ Beta(a, b) she survives the first
purchase and each of x repeat purchases with probability (1-p)^(x+1). A customer with no
repeat purchase may therefore be inactive, which the BG/NBD rules out.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betainc, betaln, digamma, gammaln

from ._base import RFModel
from ._data import RFStats, wsum
from .bgnbd import expected_purchases_while_alive, while_alive_after_T

__all__ = ["MBGNBD", "mbgnbd_log_likelihood"]


def mbgnbd_log_likelihood(params, stats: RFStats) -> tuple[float, np.ndarray]:
    """Total log-likelihood and gradient in (r, alpha, a, b); a pure function."""
    r, alpha, a, b = params
    x, t_x, T, w = stats.x, stats.t_x, stats.T, stats.weight
    ux, ix, wx = stats.x_values, stats.x_index, stats.x_weight
    # Batislam et al. 2007, likelihood: L = Gamma(r+x) alpha^r / Gamma(r) * B(a, b+x+1)/B(a, b)
    #   * [(alpha+T)^-(r+x) + a/(b+x) (alpha+t_x)^-(r+x)]       (for every x, including x = 0)
    a1 = gammaln(r + ux) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + ux + 1.0) - betaln(a, b)
    log_c = np.log(a) - np.log(b + ux)                                  # ln[a / (b+x)]
    rx = r + x
    log_aT = np.log(alpha + T)
    log_atx = np.log(alpha + t_x)
    a3 = -rx * log_aT
    d = log_c[ix] - rx * (log_atx - log_aT)                             # second term minus first
    soft = np.logaddexp(0.0, d)
    ll = float(wsum(wx, a1 + a2) + wsum(w, a3 + soft))
    s = np.exp(d - soft)
    ws = w * s
    sx = np.bincount(ix, weights=ws, minlength=ux.size)
    g_r = wsum(wx, digamma(r + ux) - digamma(r) + np.log(alpha)) - wsum(w, log_aT) - wsum(ws, log_atx - log_aT)
    g_alpha = wx.sum() * r / alpha - wsum(w, rx / (alpha + T)) - wsum(ws, rx / (alpha + t_x) - rx / (alpha + T))
    dig_ab = digamma(a + b)
    g_a = wsum(wx, dig_ab - digamma(a + b + ux + 1.0)) + sx.sum() / a
    g_b = wsum(wx, dig_ab + digamma(b + ux + 1.0) - digamma(b) - digamma(a + b + ux + 1.0)) - wsum(sx, 1.0 / (b + ux))
    return ll, np.array([g_r, g_alpha, g_a, g_b])


class MBGNBD(RFModel):
    """MBG/NBD model fitted by maximum likelihood.

    Same input as :class:`~cvm.models.BGNBD`; learned ``params_``: {r, alpha, a, b}.
    """

    param_names = ("r", "alpha", "a", "b")
    processes = {"purchase": ("r", "alpha"), "dropout": ("a", "b")}
    _log_likelihood = staticmethod(mbgnbd_log_likelihood)

    def _probability_alive(self, st: RFStats) -> np.ndarray:
        r, alpha, a, b = self._params()
        # Batislam et al. 2007: P(alive) = 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x))
        log_odds = np.log(a) - np.log(b + st.x) + (r + st.x) * (np.log(alpha + st.T) - np.log(alpha + st.t_x))
        return np.exp(-np.logaddexp(0.0, log_odds))

    def _expected_purchases(self, st: RFStats, t: float) -> np.ndarray:
        """E[Y(t) | x, t_x, T]: P(alive) times the expected purchases of a customer alive at T,
        whose posterior is lambda ~ Gamma(r+x, alpha+T), p ~ Beta(a, b+x+1) (Batislam et al.
        2007; the same form as Fader, Hardie & Lee 2005, eq. 10, with b+x+1 for b+x)."""
        r, alpha, a, b = self._params()
        alive_part = while_alive_after_T(st, r, alpha, a, b, t, after=1.0)
        return alive_part * self._probability_alive(st)

    def expected_purchases_new_customer(self, t) -> np.ndarray:
        """E[X(t)] = b/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))]
        (Batislam et al. 2007): survives time 0 with probability b/(a+b), then p ~ Beta(a, b+1)."""
        r, alpha, a, b = self._params()
        return b / (a + b) * expected_purchases_while_alive(r, alpha, a, b + 1.0, self._horizon(t))

    def probability_of_purchases(self, n, t) -> np.ndarray:
        """P(X(t) = n) = B(a, b+n+1)/B(a,b) NBD(n; t) + B(a+1, b+n)/B(a,b) P(NBD(t) >= n),
        derived as Fader, Hardie & Lee 2005, eq. 8, with the extra dropout chance at time 0."""
        r, alpha, a, b = self._params()
        n, t = np.broadcast_arrays(np.asarray(n, dtype=float), self._horizon(t))
        if np.any((n < 0) | (n != np.round(n))):
            raise ValueError("n must be a whole number >= 0")
        p1 = t / (alpha + t)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_nb = (gammaln(r + n) - gammaln(r) - gammaln(n + 1) + r * np.log(alpha / (alpha + t))
                      + np.where(n > 0, n * np.log(p1), 0.0))
        alive = np.exp(betaln(a, b + n + 1.0) - betaln(a, b) + log_nb)
        tail = np.where(n > 0, betainc(np.maximum(n, 1e-300), r, p1), 1.0)
        dropped = np.exp(betaln(a + 1.0, b + n) - betaln(a, b)) * tail
        return alive + dropped
