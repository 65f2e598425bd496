"""The BG/BB model for discrete-time noncontractual data (Fader, Hardie & Shang 2010,
"Customer-Base Analysis in a Discrete-Time Noncontractual Setting", Marketing Science 29(6),
1086-1108; cited below as "FHS 2010").

At each of n transaction opportunities a living customer transacts with probability
p ~ Beta(alpha, beta); before each opportunity after the first she dies with probability
theta ~ Beta(gamma, delta). Data per customer: x transactions, the last at opportunity t_x
("recency"), out of n opportunities ("periods").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import betaln, digamma, gammaln

from ._base import MaximumLikelihoodModel
from ._data import WEIGHTS, Rule, compress, read_table, wsum

__all__ = ["BGBB", "bgbb_log_likelihood"]

_REQUIRED = ("frequency", "recency", "periods")


def _whole(v):
    return v != np.round(v)


_RULES = (
    Rule("'frequency', 'recency' and 'periods' must be whole numbers",
         lambda c: _whole(c["frequency"]) | _whole(c["recency"]) | _whole(c["periods"]),
         ("frequency", "recency", "periods")),
    Rule("'frequency' must be >= 0", lambda c: c["frequency"] < 0, ("frequency",)),
    Rule("'periods' (transaction opportunities) must be >= 1", lambda c: c["periods"] < 1, ("periods",)),
    Rule("'recency' (opportunity of the last transaction) must not exceed 'periods'",
         lambda c: c["recency"] > c["periods"], ("recency", "periods")),
    Rule("'frequency' must not exceed 'recency' (x transactions need x opportunities)",
         lambda c: c["frequency"] > c["recency"], ("frequency", "recency")),
    Rule("'recency' must be 0 when 'frequency' is 0",
         lambda c: (c["frequency"] == 0) & (c["recency"] != 0), ("frequency", "recency")),
)


@dataclass(frozen=True)
class BGBBStats:
    x: np.ndarray
    t_x: np.ndarray
    n: np.ndarray
    weight: np.ndarray
    inverse: np.ndarray


def _read(data, model, use_weights=True) -> BGBBStats:
    cols = read_table(data, _REQUIRED, _RULES, model=model)
    weights = cols.get(WEIGHTS) if use_weights else None
    (x, t_x, n), counts, inverse = compress([cols["frequency"], cols["recency"], cols["periods"]], weights)
    return BGBBStats(x, t_x, n, counts, inverse)


def _term_grid(x, t_x, n):
    """(y, g, h) for each term of the likelihood sum, one row per customer, -1 where unused.

    Term 0: alive through all n opportunities; term 1+i: alive at t_x + i, dead before the next.
    """
    k = int(np.max(n - t_x)) if x.size else 0
    i = np.arange(k)[None, :]
    y = np.concatenate([(n - x)[:, None], t_x[:, None] - x[:, None] + i], axis=1)
    h = np.concatenate([n[:, None], t_x[:, None] + i], axis=1)
    g = np.concatenate([np.zeros((x.size, 1)), np.ones((x.size, k))], axis=1)
    valid = np.concatenate([np.ones((x.size, 1), bool), i < (n - t_x)[:, None]], axis=1)
    return y, g, h, valid


def _log_terms(params, x, t_x, n):
    alpha, beta, gamma, delta = params
    y, g, h, valid = _term_grid(x, t_x, n)
    xx = x[:, None]
    # FHS 2010, likelihood function:
    # L = B(alpha+x, beta+n-x)/B(alpha,beta) * B(gamma, delta+n)/B(gamma,delta)
    #   + sum_{i=0}^{n-t_x-1} B(alpha+x, beta+t_x-x+i)/B(alpha,beta) * B(gamma+1, delta+t_x+i)/B(gamma,delta)
    with np.errstate(invalid="ignore"):
        terms = (betaln(alpha + xx, beta + y) - betaln(alpha, beta)
                 + betaln(gamma + g, delta + h) - betaln(gamma, delta))
    return np.where(valid, terms, -np.inf), (xx, y, g, h, valid)


def bgbb_log_likelihood(params, stats: BGBBStats) -> tuple[float, np.ndarray]:
    """Total log-likelihood and gradient in (alpha, beta, gamma, delta); a pure function."""
    alpha, beta, gamma, delta = params
    terms, (xx, y, g, h, valid) = _log_terms(params, stats.x, stats.t_x, stats.n)
    top = terms.max(axis=1, keepdims=True)
    share = np.exp(terms - top)
    total = share.sum(axis=1, keepdims=True)
    ll_rows = top[:, 0] + np.log(total[:, 0])
    share = share / total
    w = stats.weight
    ab, gd = alpha + beta, gamma + delta
    with np.errstate(invalid="ignore"):
        d_alpha = digamma(alpha + xx) - digamma(ab + xx + y) - digamma(alpha) + digamma(ab)
        d_beta = digamma(beta + y) - digamma(ab + xx + y) - digamma(beta) + digamma(ab)
        d_gamma = digamma(gamma + g) - digamma(gd + g + h) - digamma(gamma) + digamma(gd)
        d_delta = digamma(delta + h) - digamma(gd + g + h) - digamma(delta) + digamma(gd)
    grad = np.array([wsum(w, np.where(valid, share * d, 0.0).sum(axis=1)) for d in (d_alpha, d_beta, d_gamma, d_delta)])
    return float(wsum(w, ll_rows)), grad


class BGBB(MaximumLikelihoodModel):
    """BG/BB model fitted by maximum likelihood.

    ``fit(data)`` takes columns ``frequency`` (x), ``recency`` (t_x, the opportunity of the last
    transaction, 0 if none), ``periods`` (n, the number of opportunities) and optional
    ``weights`` (number of customers with that pattern). Learned ``params_``:
    {alpha, beta, gamma, delta}. Time ``t`` in predictions counts opportunities.
    """

    param_names = ("alpha", "beta", "gamma", "delta")
    processes = {"purchase": ("alpha", "beta"), "dropout": ("gamma", "delta")}
    _log_likelihood = staticmethod(bgbb_log_likelihood)

    def _statistics(self, data) -> BGBBStats:
        return _read(data, type(self).__name__)

    def _check_identifiable(self, stats: BGBBStats) -> None:
        if not wsum(stats.weight, stats.x) > 0:
            raise ValueError("BGBB: nobody transacted, so the model cannot be identified")

    def _log_lik_rows(self, st: BGBBStats) -> np.ndarray:
        terms, _ = _log_terms(self._params(), st.x, st.t_x, st.n)
        top = terms.max(axis=1)
        return top + np.log(np.exp(terms - top[:, None]).sum(axis=1))

    def probability_alive(self, data) -> np.ndarray:
        """P(alive at opportunity n+1 | x, t_x, n) (FHS 2010):
        B(alpha+x, beta+n-x)/B(alpha,beta) * B(gamma, delta+n+1)/B(gamma,delta) / L."""
        alpha, beta, gamma, delta = self._params()
        st = _read(data, type(self).__name__, use_weights=False)
        log_num = (betaln(alpha + st.x, beta + st.n - st.x) - betaln(alpha, beta)
                   + betaln(gamma, delta + st.n + 1) - betaln(gamma, delta))
        return np.exp(log_num - self._log_lik_rows(st))[st.inverse]

    def _expected(self, x, n, t, log_lik):
        """E[X(n, n+t) | x, n] (FHS 2010, conditional expectation):
        1/L * B(alpha+x+1, beta+n-x)/B(alpha,beta) * delta/(gamma-1) * Gamma(gamma+delta)/Gamma(1+delta)
          * [Gamma(1+delta+n)/Gamma(gamma+delta+n) - Gamma(1+delta+n+t)/Gamma(gamma+delta+n+t)],
        with the bracket over (gamma-1) written as e^u(n) (1 - e^(u(n+t)-u(n))) / (gamma-1), which
        stays finite as gamma -> 1."""
        alpha, beta, gamma, delta = self._params()

        def u(m):
            return gammaln(1 + delta + m) - gammaln(gamma + delta + m)

        diff = u(n + t) - u(n)
        g1 = gamma - 1.0
        near_one = abs(g1) < 1e-7
        ratio = (digamma(1 + delta + n + t) - digamma(1 + delta + n)) if near_one else -np.expm1(diff) / g1
        log_front = (betaln(alpha + x + 1, beta + n - x) - betaln(alpha, beta) + np.log(delta)
                     + gammaln(gamma + delta) - gammaln(1 + delta) + u(n) - log_lik)
        return np.exp(log_front) * ratio

    def expected_purchases(self, t, data) -> np.ndarray:
        """Expected transactions in the next ``t`` opportunities, given x, t_x, n."""
        st = _read(data, type(self).__name__, use_weights=False)
        return self._expected(st.x, st.n, float(t), self._log_lik_rows(st))[st.inverse]

    def expected_purchases_new_customer(self, t) -> np.ndarray:
        """E[X(t)] in the first ``t`` opportunities of a new customer (FHS 2010):
        alpha/(alpha+beta) * delta/(gamma-1) * [1 - Gamma(gamma+delta) Gamma(1+delta+t)
        / (Gamma(gamma+delta+t) Gamma(1+delta))]."""
        self._check_fitted()
        t = np.asarray(t, dtype=float)
        return self._expected(0.0, 0.0, t, 0.0)

    def probability_of_purchases(self, n, t) -> np.ndarray:
        """P(X(t) = n): ``n`` transactions in the first ``t`` opportunities (FHS 2010):
        C(t,n) B(alpha+n, beta+t-n)/B(alpha,beta) B(gamma, delta+t)/B(gamma,delta)
        + sum_{i=n}^{t-1} C(i,n) B(alpha+n, beta+i-n)/B(alpha,beta) B(gamma+1, delta+i)/B(gamma,delta)."""
        alpha, beta, gamma, delta = self._params()
        n, t = np.broadcast_arrays(np.asarray(n, dtype=float), np.asarray(t, dtype=float))
        if np.any((n < 0) | (n != np.round(n)) | (t != np.round(t)) | (t < 0)):
            raise ValueError("n and t must be whole numbers >= 0")

        def log_choose(a, b):
            return gammaln(a + 1) - gammaln(b + 1) - gammaln(a - b + 1)

        out = np.zeros(n.shape)
        for idx in np.ndindex(n.shape):
            k, tt = n[idx], t[idx]
            if k > tt:
                continue
            first = (log_choose(tt, k) + betaln(alpha + k, beta + tt - k) - betaln(alpha, beta)
                     + betaln(gamma, delta + tt) - betaln(gamma, delta))
            i = np.arange(k, tt)
            rest = (log_choose(i, k) + betaln(alpha + k, beta + i - k) - betaln(alpha, beta)
                    + betaln(gamma + 1, delta + i) - betaln(gamma, delta))
            out[idx] = np.exp(first) + np.exp(rest).sum()
        return out
