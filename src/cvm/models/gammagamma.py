"""The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV:
Using Iso-Value Curves for Customer Base Analysis", JMR 42(4), 415-430; Fader & Hardie 2013,
"The Gamma-Gamma Model of Monetary Value", cited below as "FH 2013 note").

Each of a customer's transactions is Gamma(p, nu) distributed; nu ~ Gamma(q, gamma) across
customers. The observed mean spend m over x repeat transactions is the statistic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, gammaln

from ._base import MaximumLikelihoodModel
from ._data import WEIGHTS, Rule, compress, read_table, wsum

__all__ = ["GammaGamma", "gammagamma_log_likelihood"]

_REQUIRED = ("frequency", "monetary_value")
_RULES = (
    Rule("'frequency' must be >= 0", lambda c: c["frequency"] < 0, ("frequency",)),
    Rule("'frequency' must be a whole number of repeat purchases",
         lambda c: c["frequency"] != np.round(c["frequency"]), ("frequency",)),
    Rule("'monetary_value' (mean spend per repeat purchase) must be > 0 when 'frequency' > 0",
         lambda c: (c["frequency"] > 0) & (c["monetary_value"] <= 0), ("frequency", "monetary_value")),
)


@dataclass(frozen=True)
class SpendStats:
    """Unique (x, m) rows of repeat buyers, with counts."""

    x: np.ndarray
    m: np.ndarray
    weight: np.ndarray


def gammagamma_log_likelihood(params, stats: SpendStats) -> tuple[float, np.ndarray]:
    """Total log-likelihood and gradient in (p, q, gamma); a pure function."""
    p, q, gamma = params
    x, m, w = stats.x, stats.m, stats.weight
    px = p * x
    log_den = np.log(gamma + m * x)
    # FH 2013 note, marginal density of the mean spend m of x transactions:
    # f(m | p, q, gamma, x) = Gamma(px+q) / (Gamma(px) Gamma(q)) gamma^q m^(px-1) x^px / (gamma+mx)^(px+q)
    ll_rows = (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(gamma)
               + (px - 1.0) * np.log(m) + px * np.log(x) - (px + q) * log_den)
    dig = digamma(px + q)
    g_p = wsum(w, x * (dig - digamma(px) + np.log(m) + np.log(x) - log_den))
    g_q = wsum(w, dig - digamma(q) + np.log(gamma) - log_den)
    g_gamma = wsum(w, q / gamma - (px + q) / (gamma + m * x))
    return float(wsum(w, ll_rows)), np.array([g_p, g_q, g_gamma])


#: significant digits of the mean spends the likelihood is evaluated on
FIT_DIGITS = 9


def _significant(m: np.ndarray) -> np.ndarray:
    """Mean spends rounded to :data:`FIT_DIGITS` significant digits for the fit.

    Engines sum a customer's amounts in different orders, so the same mean spend can differ in
    its last bits between DuckDB and Spark; the likelihood is flat enough along (q, gamma) that
    such noise moves the optimiser's stopping point by about 1e-7 (relative). Rounded, every
    engine fits on the same numbers; the rounding itself moves the parameters far less than
    their standard errors."""
    m = np.asarray(m, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = 10.0 ** (FIT_DIGITS - 1 - np.floor(np.log10(np.abs(m))))
        return np.where(np.isfinite(scale) & (m != 0), np.round(m * scale) / scale, m)


class GammaGamma(MaximumLikelihoodModel):
    """Gamma-Gamma spend model fitted by maximum likelihood.

    ``fit(data)`` takes columns ``frequency`` (number of repeat purchases x) and
    ``monetary_value`` (mean spend of those x repeat purchases), optional ``weights``.
    Customers with x = 0 carry no repeat-spend information and are left out of the fit.
    Learned ``params_``: {p, q, gamma}. The model assumes spend is independent of frequency;
    check that before use.
    """

    param_names = ("p", "q", "gamma")
    processes = {"spend": ("p", "q", "gamma")}
    _log_likelihood = staticmethod(gammagamma_log_likelihood)

    def _statistics(self, data) -> SpendStats:
        cols = read_table(data, _REQUIRED, _RULES, model=type(self).__name__)
        keep = cols["frequency"] > 0
        if not keep.any():
            raise ValueError("GammaGamma: no customer has a repeat purchase, so spend per "
                             "transaction cannot be modelled")
        weights = cols[WEIGHTS][keep] if WEIGHTS in cols else None
        m = _significant(cols["monetary_value"][keep])
        (x, m), counts, _ = compress([cols["frequency"][keep], m], weights)
        return SpendStats(x, m, counts)

    def _check_identifiable(self, stats: SpendStats) -> None:
        if np.unique(stats.m).size < 2:
            raise ValueError("GammaGamma: all repeat buyers have the same mean spend; the "
                             "spread of spend across customers cannot be estimated")

    def _initial_params(self, stats: SpendStats) -> np.ndarray:
        mean = wsum(stats.weight, stats.m) / stats.weight.sum()
        return np.array([1.0, 2.0, mean])

    def expected_average_spend(self, data) -> np.ndarray:
        """E[M | m, x] = (q-1)/(px+q-1) * p gamma/(q-1) + px/(px+q-1) * m  (FH 2013 note,
        conditional expectation of mean spend; Fader, Hardie & Lee 2005, RFM and CLV). Rows with x = 0 get the population mean
        p gamma / (q-1). Needs q > 1 (otherwise the mean spend is infinite)."""
        p, q, gamma = self._params()
        if q <= 1:
            raise ValueError(f"GammaGamma: q = {q:.4g} <= 1, so the expected spend is infinite")
        cols = read_table(data, _REQUIRED, _RULES, model=type(self).__name__, optional=())
        x, m = cols["frequency"], np.where(cols["frequency"] > 0, cols["monetary_value"], 0.0)
        px = p * x
        return (p * gamma + px * m) / (px + q - 1.0)

    def expected_population_spend(self) -> float:
        """E[M] = p gamma / (q - 1) for a customer with no repeat purchase yet."""
        p, q, gamma = self._params()
        return p * gamma / (q - 1.0) if q > 1 else float("inf")
