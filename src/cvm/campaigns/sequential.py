"""Looking at a test's results before it ends without raising its false-positive rate: the
mixture sequential probability ratio test (mSPRT), whose p-values are *always valid* — true at
every look, however many looks there are and whenever one stops (Robbins 1970; Johari, Koomen,
Pekelis & Walsh 2017, "Peeking at A/B tests", eq. 11–12).

At a look the difference between the groups is estimated as θ̂ (treated − control rate or mean)
with variance s² = σ_t²/n_t + σ_c²/n_c. Against the null θ = 0, with a normal mixture
θ ~ N(0, τ²) over the alternatives, the likelihood ratio of everything seen so far is::

    Λ = √(s² / (s² + τ²)) · exp( θ̂² τ² / (2 s² (s² + τ²)) )       (Johari et al. 2017, eq. 11)

Λ is a martingale under the null, so by Ville's inequality P(Λ ever reaches 1/α) ≤ α. The
always-valid p-value is p_k = min(p_{k−1}, 1/Λ_k) (eq. 12), and the test stops with a
significant result the first time p_k ≤ α. For equal groups of n with variance σ² this is the
paper's two-stream statistic (s² = 2σ²/n).

τ, the spread of the effects one expects, tunes where the test is most sensitive; it does not
change the error rate. The default is the minimum lift the test was planned for.
The price of looking at any time: at the planned end the mSPRT detects a little less often than
a fixed-horizon test that is looked at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["mixture_likelihood_ratio", "always_valid_p_values", "Look", "monitor",
           "simulate_aa"]


def mixture_likelihood_ratio(theta_hat, variance, tau: float) -> np.ndarray:
    """Λ of the normal-mixture SPRT (eq. 11) for estimates ``theta_hat`` with ``variance``."""
    theta_hat = np.asarray(theta_hat, dtype=float)
    v = np.asarray(variance, dtype=float)
    t2 = tau * tau
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_l = 0.5 * np.log(v / (v + t2)) + theta_hat ** 2 * t2 / (2 * v * (v + t2))
    return np.where(v > 0, np.exp(np.minimum(log_l, 700.0)), 1.0)


def always_valid_p_values(theta_hat: Sequence[float], variance: Sequence[float], tau: float
                          ) -> np.ndarray:
    """The always-valid p-value after each look (eq. 12): running minimum of 1/Λ, capped at 1.
    Works along the last axis, so many tests at once are one call."""
    lam = mixture_likelihood_ratio(theta_hat, variance, tau)
    return np.minimum.accumulate(np.minimum(1.0, 1.0 / lam), axis=-1)


@dataclass(frozen=True)
class Look:
    """One look at a running test."""

    day: str
    n: int
    control_n: int
    treated_value: float
    control_value: float
    lift: float
    p_value: float        # always-valid
    significant: bool


def monitor(looks: Sequence[dict], *, tau: float, alpha: float = 0.05) -> list[Look]:
    """The always-valid p-value at each look of a rate test; each look is a dict of the
    cumulative counts ``day, n, x, control_n, control_x``."""
    rows, theta, var = [], [], []
    for look in looks:
        p_t, p_c = look["x"] / look["n"], look["control_x"] / look["control_n"]
        theta.append(p_t - p_c)
        var.append(p_t * (1 - p_t) / look["n"] + p_c * (1 - p_c) / look["control_n"])
        rows.append((look, p_t, p_c))
    p = always_valid_p_values(theta, var, tau) if rows else []
    return [Look(str(look["day"]), int(look["n"]), int(look["control_n"]), p_t, p_c, p_t - p_c,
                 float(q), bool(q <= alpha)) for (look, p_t, p_c), q in zip(rows, p)]


def simulate_aa(*, experiments: int = 2000, looks: int = 10, per_look: int = 200,
                control_share: float = 0.5, rate: float = 0.1, tau: float = 0.02,
                alpha: float = 0.05, seed: int = 0) -> dict[str, float]:
    """A/A tests (no effect at all) of a rate, looked at ``looks`` times: the share of tests
    called significant by the fixed-horizon z test at the end only, by the same z test at any
    look (peeking) and by the mSPRT at the end only and at any look."""
    from scipy import stats

    rng = np.random.default_rng(seed)
    n_c = max(1, round(per_look * control_share))
    n_t = per_look - n_c
    x_t = rng.binomial(n_t, rate, size=(experiments, looks)).cumsum(axis=1)
    x_c = rng.binomial(n_c, rate, size=(experiments, looks)).cumsum(axis=1)
    m_t = n_t * np.arange(1, looks + 1)
    m_c = n_c * np.arange(1, looks + 1)
    p_t, p_c = x_t / m_t, x_c / m_c
    pooled = (x_t + x_c) / (m_t + m_c)
    se = np.sqrt(pooled * (1 - pooled) * (1 / m_t + 1 / m_c))
    with np.errstate(divide="ignore", invalid="ignore"):
        z_p = np.where(se > 0, 2 * stats.norm.sf(np.abs(p_t - p_c) / se), 1.0)
    var = p_t * (1 - p_t) / m_t + p_c * (1 - p_c) / m_c
    seq_p = always_valid_p_values(p_t - p_c, var, tau)
    last = 1.0 / mixture_likelihood_ratio(p_t[:, -1] - p_c[:, -1], var[:, -1], tau)
    return {"fixed_end": float((z_p[:, -1] < alpha).mean()),
            "fixed_peeking": float((z_p < alpha).any(axis=1).mean()),
            "msprt_end": float((last <= alpha).mean()),
            "msprt_peeking": float((seq_p <= alpha).any(axis=1).mean())}
