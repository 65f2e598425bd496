"""The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987), in the form derived by
Fader & Hardie 2005, "A Note on Deriving the Pareto/NBD Model and Related Expressions"
(cited below as "FH 2005 note").

While alive a customer buys at Poisson rate lambda ~ Gamma(r, alpha); her lifetime is
exponential with rate mu ~ Gamma(s, beta).
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln

from ._base import RFModel
from ._data import RFStats, wsum
from ._quadrature import quad
from .hyp2f1 import log_hyp2f1_c_a1

__all__ = ["ParetoNBD", "paretonbd_log_likelihood"]


def _log1mexp(u):
    """log(1 - exp(u)) for u <= 0, accurate at both ends."""
    with np.errstate(divide="ignore"):
        return np.where(u > -0.6931471805599453, np.log(-np.expm1(u)), np.log1p(-np.exp(u)))


_Z_SERIES_MAX = 0.9        # beyond this the series needs hundreds of terms: use quadrature
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(12)
_PANELS = 24


def _log_j(r, alpha, s, beta, x, ell):
    """log J(ell) = log[2F1(...) / (max(alpha,beta) + ell)^(r+s+x)] and its partial derivatives
    in (r, alpha, s, beta): the term that appears twice in A0 (FH 2005 note, section 3).

    alpha >= beta: 2F1(r+s+x, s+1; r+s+x+1; (alpha-beta)/(alpha+ell)) / (alpha+ell)^(r+s+x)
    alpha <  beta: 2F1(r+s+x, r+x;  r+s+x+1; (beta-alpha)/(beta+ell))  / (beta+ell)^(r+s+x)

    Where z is close to 1 (alpha and beta far apart, as with long lifetimes) the same quantity
    is computed from its integral form, J(ell) = (r+s+x) int_ell^inf (alpha+tau)^-(r+x)
    (beta+tau)^-(s+1) dtau, by Gauss-Legendre quadrature in log(tau + min(alpha, beta)).
    """
    big = r + s + x
    m = max(alpha, beta) + ell
    z = abs(alpha - beta) / m
    value = np.empty(x.shape)
    grad = np.empty((4,) + x.shape)
    far = z > _Z_SERIES_MAX
    near = ~far
    if near.any():
        xs, ms, zs, es = x[near], m[near], z[near], ell[near]
        bigs = big[near]
        log_m = np.log(ms)
        if alpha >= beta:
            f, fa, fb, fz = log_hyp2f1_c_a1(bigs, s + 1.0, zs)
            value[near] = f - bigs * log_m
            grad[:, near] = [fa - log_m, fz * (beta + es) / ms**2 - bigs / ms, fa + fb - log_m, -fz / ms]
        else:
            f, fa, fb, fz = log_hyp2f1_c_a1(bigs, r + xs, zs)
            value[near] = f - bigs * log_m
            grad[:, near] = [fa + fb - log_m, -fz / ms, fa - log_m, fz * (alpha + es) / ms**2 - bigs / ms]
    if far.any():
        value[far], grad[:, far] = _log_j_quadrature(r, alpha, s, beta, x[far], ell[far])
    return value, grad


def _log_j_quadrature(r, alpha, s, beta, x, ell):
    """log J and its gradient from the integral form, composite Gauss-Legendre in
    w = log(k + tau), k = min(alpha, beta), over [log(k+ell), log(max+ell) + 45/(r+s+x) + 5]
    on panels graded geometrically away from the lower end (where the integrand falls like
    exp(-(r+x) w), steeply for large x)."""
    k = min(alpha, beta)
    big = r + s + x
    w0 = np.log(k + ell)
    w1 = np.maximum(np.log(max(alpha, beta) + ell), w0) + 45.0 / big + 5.0
    first = np.minimum(0.05 / big, (w1 - w0) / _PANELS)
    grade = np.linspace(0.0, 1.0, _PANELS)[None, :]
    steps = first[:, None] * ((w1 - w0) / first)[:, None] ** grade      # first ... (w1 - w0)
    edges = w0[:, None] + np.concatenate([np.zeros((x.size, 1)), steps], axis=1)
    half = (edges[:, 1:] - edges[:, :-1]) / 2
    mid = (edges[:, 1:] + edges[:, :-1]) / 2
    w = (mid[:, :, None] + half[:, :, None] * _NODES[None, None, :]).reshape(x.size, -1)
    qw = (half[:, :, None] * _WEIGHTS[None, None, :]).reshape(x.size, -1)
    tau_k = np.exp(w)                                  # k + tau
    a_tau = tau_k + (alpha - k)                        # alpha + tau
    b_tau = tau_k + (beta - k)                         # beta + tau
    log_a, log_b = np.log(a_tau), np.log(b_tau)
    log_g = w - (r + x)[:, None] * log_a - (s + 1.0) * log_b     # integrand times dtau/dw
    top = log_g.max(axis=1, keepdims=True)
    g = qw * np.exp(log_g - top)
    total = g.sum(axis=1)
    share = g / total[:, None]
    value = np.log(big) + top[:, 0] + np.log(total)
    inv_big = 1.0 / big
    grad = np.stack([
        inv_big - (share * log_a).sum(axis=1),
        -(r + x) * (share / a_tau).sum(axis=1),
        inv_big - (share * log_b).sum(axis=1),
        -(s + 1.0) * (share / b_tau).sum(axis=1),
    ])
    return value, grad


def _log_terms(params, st: RFStats):
    """The two terms of the bracket in the Pareto/NBD likelihood, B1 and B2, in logs:
    L = Gamma(r+x) alpha^r beta^s / Gamma(r) * [exp(B1) + exp(B2)]; plus the pieces of A0
    that the gradient needs."""
    r, alpha, s, beta = params
    x, T = st.x, st.T
    # FH 2005 note, section 3: first term 1 / ((alpha+T)^(r+x) (beta+T)^s)
    b1 = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    # FH 2005 note, section 3: second term s/(r+s+x) * A0, A0 = J(t_x) - J(T); J is evaluated
    # once per distinct (x, t) pair
    lj, dlj = _log_j(r, alpha, s, beta, st.pair_x, st.pair_time)
    lj1, lj2 = lj[st.pair_index_recency], lj[st.pair_index_T]
    log_rho = np.minimum(lj2 - lj1, 0.0)            # J(T) <= J(t_x): the integrand is positive
    equal = log_rho >= 0.0                           # t_x == T: A0 = 0
    log_a0 = np.where(equal, -np.inf, lj1 + _log1mexp(np.where(equal, -1.0, log_rho)))
    b2 = np.log(s) - np.log(r + s + x) + log_a0
    return b1, b2, (dlj, log_rho, equal)


def paretonbd_log_likelihood(params, stats: RFStats) -> tuple[float, np.ndarray]:
    """Total log-likelihood and gradient in (r, alpha, s, beta); a pure function."""
    r, alpha, s, beta = params
    x, T, w = stats.x, stats.T, stats.weight
    ux, ix, wx = stats.x_values, stats.x_index, stats.x_weight
    # FH 2005 note, section 3: ln[Gamma(r+x) alpha^r beta^s / Gamma(r)] + ln[e^B1 + e^B2]
    const = gammaln(r + ux) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    b1, b2, (dlj, log_rho, equal) = _log_terms(params, stats)
    log_sum = np.logaddexp(b1, b2)
    ll = float(wsum(wx, const) + wsum(w, log_sum))
    w1 = w * np.exp(b1 - log_sum)                    # weight of the alive-at-T term
    w2 = w * np.exp(b2 - log_sum)                    # weight of the died-in-(t_x, T] term
    # d ln A0 = (dJ(t_x)/J(t_x) - rho dJ(T)/J(T)) / (1 - rho), rho = J(T)/J(t_x); summed per pair
    rho = np.exp(log_rho)
    inv = np.where(equal, 0.0, w2 / np.where(equal, 1.0, 1.0 - rho))
    n_pairs = dlj.shape[1]
    coef = (np.bincount(stats.pair_index_recency, weights=inv, minlength=n_pairs)
            - np.bincount(stats.pair_index_T, weights=inv * rho, minlength=n_pairs))
    g_a0 = np.einsum("kp,p->k", dlj, coef)
    inv_big = 1.0 / (r + s + x)
    grad = g_a0 + np.array([
        -wsum(w1, np.log(alpha + T)) - wsum(w2, inv_big),
        -wsum(w1, (r + x) / (alpha + T)),
        -wsum(w1, np.log(beta + T)) + wsum(w2, 1.0 / s - inv_big),
        -wsum(w1, s / (beta + T)),
    ])
    grad[0] += wsum(wx, digamma(r + ux) - digamma(r) + np.log(alpha))
    grad[1] += wx.sum() * r / alpha
    grad[2] += wx.sum() * np.log(beta)
    grad[3] += wx.sum() * s / beta
    return ll, grad


def _expm1_ratio(k, log_y):
    """[1 - y^k] / k with y = exp(log_y) < 1, and its limit -log_y at k = 0."""
    k = np.asarray(k, dtype=float)
    u = k * log_y
    small = np.abs(k) < 1e-9
    return np.where(small, -log_y * (1.0 + u / 2.0), -np.expm1(u) / np.where(small, 1.0, k))


class ParetoNBD(RFModel):
    """Pareto/NBD model fitted by maximum likelihood.

    Same input as :class:`~cvm.models.BGNBD` (``frequency``, ``recency``, ``T``, optional
    ``weights``). Learned ``params_``: {r, alpha, s, beta}. The likelihood uses the Gauss
    hypergeometric function in log space, split on alpha >= beta as in FH 2005 note, section 3,
    with an exact gradient (the series differentiated term by term).
    """

    param_names = ("r", "alpha", "s", "beta")
    processes = {"purchase": ("r", "alpha"), "dropout": ("s", "beta")}
    _log_likelihood = staticmethod(paretonbd_log_likelihood)

    def _initial_params(self, stats: RFStats) -> np.ndarray:
        rate = wsum(stats.weight, stats.x) / max(wsum(stats.weight, stats.T), 1e-12)
        mean_T = max(wsum(stats.weight, stats.T) / stats.weight.sum(), 1e-6)
        return np.array([1.0, 1.0 / max(rate, 1e-12), 1.0, mean_T])

    def _probability_alive(self, st: RFStats) -> np.ndarray:
        b1, b2, _ = _log_terms(self._params(), st)
        # FH 2005 note, section 5: P(alive) = [Gamma(r+x) alpha^r beta^s / Gamma(r)]
        #   / [(alpha+T)^(r+x) (beta+T)^s L] = e^B1 / (e^B1 + e^B2)
        return np.exp(-np.logaddexp(0.0, b2 - b1))

    def _expected_purchases(self, st: RFStats, t: float) -> np.ndarray:
        """E[Y(t) | x, t_x, T] (FH 2005 note, section 6)."""
        r, alpha, s, beta = self._params()
        x, T = st.x, st.T
        # (r+x)(beta+T) / ((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)] * P(alive)
        ratio = _expm1_ratio(s - 1.0, -np.log1p(t / (beta + T)))
        return (r + x) * (beta + T) / (alpha + T) * ratio * self._probability_alive(st)

    def expected_purchases_new_customer(self, t) -> np.ndarray:
        """E[X(t)] = r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)] (FH 2005 note, section 4)."""
        r, alpha, s, beta = self._params()
        t = self._horizon(t)
        return r * beta / alpha * _expm1_ratio(s - 1.0, -np.log1p(t / beta))

    def probability_of_purchases(self, n, t) -> np.ndarray:
        """P(X(t) = n) for a new customer.

        Computed as the mixture over the (Pareto II distributed) lifetime tau of the NBD count
        up to min(tau, t): P = (beta/(beta+t))^s NBD(n; t) + int_0^t f(tau) NBD(n; tau) dtau,
        the integral by adaptive quadrature (Fader & Hardie 2006, "Deriving an Expression for
        P(X(t) = x) Under the Pareto/NBD Model", gives the closed form of the same quantity).
        """
        r, alpha, s, beta = self._params()
        n, t = np.broadcast_arrays(np.asarray(n, dtype=float), self._horizon(t))
        if np.any((n < 0) | (n != np.round(n))):
            raise ValueError("n must be a whole number >= 0")

        def log_nbd(k, tau):
            return (gammaln(r + k) - gammaln(r) - gammaln(k + 1) + r * np.log(alpha / (alpha + tau))
                    + (k * np.log(tau / (alpha + tau)) if k > 0 else 0.0))

        out = np.empty(n.shape)
        for idx in np.ndindex(n.shape):
            k, tt = float(n[idx]), float(t[idx])
            if tt <= 0:
                out[idx] = 1.0 if k == 0 else 0.0
                continue
            survive = np.exp(s * (np.log(beta) - np.log(beta + tt)) + log_nbd(k, tt))
            integrand = lambda tau, k=k: np.exp(np.log(s / beta) - (s + 1) * np.log1p(tau / beta)  # noqa: E731
                                                + log_nbd(k, tau)) if tau > 0 else (s / beta if k == 0 else 0.0)
            dies, _ = quad(integrand, 0.0, tt, limit=200, epsabs=1e-13, epsrel=1e-10)
            out[idx] = survive + dies
        return out
