"""The shifted-beta-geometric (sBG) model for contractual settings (Fader & Hardie 2007, "How to
Project Customer Retention", Journal of Interactive Marketing 21(1), 76-90; cited below as
"FH 2007").

Each customer renews at the end of each period with probability 1 - theta, theta ~ Beta(alpha,
beta) across customers; T, the number of periods a customer stays (T >= 1), is shifted-geometric.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma

from ._base import MaximumLikelihoodModel
from ._data import wsum
from .hyp2f1 import log_hyp2f1

__all__ = ["ShiftedBetaGeometric", "sbg_log_likelihood"]


@dataclass(frozen=True)
class SurvivalStats:
    """Counts of customers who churned in period t (``churned``) and who were still active at
    the end of their last observed period t (``censored``), pooled over cohorts."""

    t: np.ndarray
    churned: np.ndarray
    censored: np.ndarray

    @property
    def weight(self) -> np.ndarray:
        return self.churned + self.censored


def _read_survival(data) -> SurvivalStats:
    if not isinstance(data, pd.DataFrame):
        data = pd.DataFrame(dict(data))
    missing = [c for c in ("period", "alive") if c not in data.columns]
    if missing:
        raise ValueError(f"ShiftedBetaGeometric: missing column(s) {missing}; needs 'period' and "
                         "'alive' (and optionally 'cohort')")
    frame = pd.DataFrame({"period": pd.to_numeric(data["period"]), "alive": pd.to_numeric(data["alive"]),
                          "cohort": data["cohort"] if "cohort" in data.columns else 0})
    churn: dict[int, float] = {}
    censor: dict[int, float] = {}
    for cohort, g in frame.groupby("cohort", sort=False):
        g = g.sort_values("period")
        period, alive = g["period"].to_numpy(float), g["alive"].to_numpy(float)
        where = f"ShiftedBetaGeometric, cohort {cohort!r}"
        if not np.all(np.isfinite(alive)) or np.any(alive < 0) or np.any(alive != np.round(alive)):
            raise ValueError(f"{where}: 'alive' must be whole numbers >= 0")
        if not np.array_equal(period, np.arange(len(period))):
            raise ValueError(f"{where}: 'period' must run 0, 1, 2, ... without gaps, got {period.tolist()}")
        if len(period) < 2 or alive[0] <= 0:
            raise ValueError(f"{where}: needs the cohort size at period 0 (> 0) and at least one later period")
        if np.any(np.diff(alive) > 0):
            bad = int(period[1:][np.diff(alive) > 0][0])
            raise ValueError(f"{where}: 'alive' must not increase (it does at period {bad})")
        for t, lost in enumerate(-np.diff(alive), start=1):
            churn[t] = churn.get(t, 0.0) + lost
        last = len(alive) - 1
        censor[last] = censor.get(last, 0.0) + alive[-1]
    ts = np.array(sorted(set(churn) | set(censor)), dtype=float)
    return SurvivalStats(ts, np.array([churn.get(int(t), 0.0) for t in ts]),
                         np.array([censor.get(int(t), 0.0) for t in ts]))


def sbg_log_likelihood(params, stats: SurvivalStats) -> tuple[float, np.ndarray]:
    """Total log-likelihood and gradient in (alpha, beta); a pure function."""
    alpha, beta = params
    t = stats.t
    lb = betaln(alpha, beta)
    log_p = betaln(alpha + 1.0, beta + t - 1.0) - lb   # FH 2007: P(T=t) = B(alpha+1, beta+t-1) / B(alpha, beta)
    log_s = betaln(alpha, beta + t) - lb               # FH 2007: S(t) = B(alpha, beta+t) / B(alpha, beta)
    # FH 2007, log-likelihood: sum_t n_t ln P(T=t) + (customers still active at the end) ln S(t_end)
    ll = float(wsum(stats.churned, log_p) + wsum(stats.censored, log_s))
    d_ab = digamma(alpha + beta)
    dp_alpha = digamma(alpha + 1.0) - digamma(alpha + beta + t) - digamma(alpha) + d_ab
    dp_beta = digamma(beta + t - 1.0) - digamma(alpha + beta + t) - digamma(beta) + d_ab
    ds_alpha = d_ab - digamma(alpha + beta + t)
    ds_beta = digamma(beta + t) - digamma(alpha + beta + t) - digamma(beta) + d_ab
    grad = np.array([wsum(stats.churned, dp_alpha) + wsum(stats.censored, ds_alpha),
                     wsum(stats.churned, dp_beta) + wsum(stats.censored, ds_beta)])
    return ll, grad


class ShiftedBetaGeometric(MaximumLikelihoodModel):
    """sBG model fitted by maximum likelihood on cohort survival counts.

    ``fit(data)`` takes a DataFrame (or mapping) with columns ``period`` (0, 1, 2, ... with no
    gaps) and ``alive`` (customers of the cohort still active at the end of that period;
    ``alive`` at period 0 is the cohort size), and optionally ``cohort`` to pool several
    cohorts observed for different lengths. Learned ``params_``: {alpha, beta}.

    >>> high_end = {"period": range(8), "alive": [1000, 869, 743, 653, 593, 551, 517, 491]}
    >>> m = ShiftedBetaGeometric().fit(high_end)
    >>> round(m.params_["alpha"], 3), round(m.params_["beta"], 3)
    (0.668, 3.806)
    """

    param_names = ("alpha", "beta")
    processes = {"dropout": ("alpha", "beta")}
    _log_likelihood = staticmethod(sbg_log_likelihood)

    def _statistics(self, data) -> SurvivalStats:
        return _read_survival(data)

    def _check_identifiable(self, stats: SurvivalStats) -> None:
        if not stats.churned.sum() > 0:
            raise ValueError("ShiftedBetaGeometric: nobody churned, so churn cannot be estimated")
        if np.count_nonzero(stats.churned) < 2 and not stats.censored[stats.t > 1].sum() > 0:
            raise ValueError("ShiftedBetaGeometric: one period of data cannot separate alpha "
                             "and beta; observe at least two periods")

    def survival_function(self, t) -> np.ndarray:
        """S(t) = B(alpha, beta+t) / B(alpha, beta): share of a cohort still active after t periods."""
        alpha, beta = self._params()
        t = np.asarray(t, dtype=float)
        return np.exp(betaln(alpha, beta + t) - betaln(alpha, beta))

    def probability_churn(self, t) -> np.ndarray:
        """P(T = t) = B(alpha+1, beta+t-1) / B(alpha, beta): churn in period t (t >= 1)."""
        alpha, beta = self._params()
        t = np.asarray(t, dtype=float)
        return np.exp(betaln(alpha + 1.0, beta + t - 1.0) - betaln(alpha, beta))

    def retention_rate(self, t) -> np.ndarray:
        """r_t = S(t) / S(t-1) = (beta+t-1) / (alpha+beta+t-1) (FH 2007): it rises with t."""
        alpha, beta = self._params()
        t = np.asarray(t, dtype=float)
        return (beta + t - 1.0) / (alpha + beta + t - 1.0)

    def expected_lifetime(self, discount_rate: float = 0.0) -> float:
        """Expected (discounted) number of periods a new customer stays, counting the first:
        sum_{t>=0} S(t) / (1+d)^t = 2F1(1, beta; alpha+beta; 1/(1+d)) (Fader & Hardie 2010,
        "Customer-Base Valuation in a Contractual Setting", discounted expected lifetime).
        Undiscounted it is (alpha+beta-1)/(alpha-1), infinite when alpha <= 1."""
        alpha, beta = self._params()
        if discount_rate < 0:
            raise ValueError("discount_rate must be >= 0")
        if discount_rate == 0:
            return (alpha + beta - 1.0) / (alpha - 1.0) if alpha > 1 else float("inf")
        return float(np.exp(log_hyp2f1(1.0, beta, alpha + beta, 1.0 / (1.0 + discount_rate))))
