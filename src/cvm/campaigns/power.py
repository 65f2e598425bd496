"""How many customers a test needs, and the smallest lift a list of a given size can detect.

Proportions (a response rate), two-sided test of two proportions with equal groups, as R's
``power.prop.test`` computes it (Fleiss, Levin & Paik 2003, eq. 4.14, normal approximation;
the ``strict`` option adds the other tail)::

    power = Φ( (|p₁ − p₂| √n − z₁₋α/₂ √((p₁+p₂)(q₁+q₂)/2)) / √(p₁q₁ + p₂q₂) )

    n     = ( z₁₋α/₂ √((p₁+p₂)(q₁+q₂)/2) + z₁₋β √(p₁q₁ + p₂q₂) )² / (p₁ − p₂)²

with q = 1 − p and n customers in each group. ``p₁ = 0.5, p₂ = 0.75, n = 50`` gives power
0.7401659 and power 0.9 needs n = 76.71 → 77 (R's documented values).

Means (revenue per customer), as R's ``power.t.test`` for two samples: with δ the difference,
σ the outcome's standard deviation (from past data), ν = 2(n − 1) degrees of freedom and the
noncentrality λ = δ √(n/2) / σ::

    power = 1 − F_t(t₁₋α/₂,ν ; ν, λ)     (noncentral t; ``strict`` adds F_t(−t₁₋α/₂,ν ; ν, λ))

``n = 20, δ = 1, σ = 1`` gives power 0.8689528; power 0.9 needs n = 22.02110.

The sample size for a power is found by solving the power equation for n (closed form for
proportions without ``strict``, root finding otherwise); the minimum detectable lift (MDE) for a
list size by solving it for the difference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import optimize, stats

__all__ = ["power_proportions", "sample_size_proportions", "mde_proportions", "power_means",
           "sample_size_means", "mde_means", "Plan", "plan_proportions", "plan_means"]


def _check(alpha: float, power: float | None = None) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, not {alpha}")
    if power is not None and not alpha < power < 1:
        raise ValueError(f"power must be between alpha and 1, not {power}")


def power_proportions(p1: float, p2: float, n: float, *, alpha: float = 0.05,
                      strict: bool = False) -> float:
    """Power of the two-sided test of p₁ = p₂ with ``n`` customers in each group."""
    _check(alpha)
    q1, q2 = 1 - p1, 1 - p2
    z = stats.norm.isf(alpha / 2)
    pooled = math.sqrt((p1 + p2) * (q1 + q2) / 2)
    spread = math.sqrt(p1 * q1 + p2 * q2)
    # Fleiss, Levin & Paik 2003, eq. 4.14 (as R's power.prop.test)
    power = stats.norm.cdf((math.sqrt(n) * abs(p1 - p2) - z * pooled) / spread)
    if strict:
        power += stats.norm.cdf((-math.sqrt(n) * abs(p1 - p2) - z * pooled) / spread)
    return float(power)


def sample_size_proportions(p1: float, p2: float, *, power: float = 0.8, alpha: float = 0.05,
                            strict: bool = False) -> float:
    """Customers needed in each group (not rounded: round up for a plan)."""
    _check(alpha, power)
    if p1 == p2:
        raise ValueError("the two rates are equal: no sample size detects no difference")
    q1, q2 = 1 - p1, 1 - p2
    a = stats.norm.isf(alpha / 2) * math.sqrt((p1 + p2) * (q1 + q2) / 2)
    b = stats.norm.isf(1 - power) * math.sqrt(p1 * q1 + p2 * q2)
    n = (a + b) ** 2 / (p1 - p2) ** 2   # eq. 4.14 solved for n
    if strict:  # the lower tail adds a little power: solve the full equation
        n = optimize.brentq(lambda m: power_proportions(p1, p2, m, alpha=alpha, strict=True)
                            - power, 2.0, n + 1, xtol=1e-10)
    return float(n)


def mde_proportions(p1: float, n: float, *, power: float = 0.8, alpha: float = 0.05) -> float:
    """The smallest rise over the baseline rate ``p1`` (p₂ − p₁, in rate units) that a test with
    ``n`` customers in each group detects with the given power; ``nan`` when not even p₂ = 1
    reaches it."""
    _check(alpha, power)
    if power_proportions(p1, 1.0, n, alpha=alpha) < power:
        return float("nan")
    p2 = optimize.brentq(lambda p: power_proportions(p1, p, n, alpha=alpha) - power,
                         p1 + 1e-12, 1.0, xtol=1e-12)
    return float(p2 - p1)


def power_means(delta: float, sd: float, n: float, *, alpha: float = 0.05,
                strict: bool = False) -> float:
    """Power of the two-sided two-sample t test with ``n`` customers in each group."""
    _check(alpha)
    df = 2 * (n - 1)
    ncp = math.sqrt(n / 2) * abs(delta) / sd
    t = stats.t.isf(alpha / 2, df)
    power = stats.nct.sf(t, df, ncp)
    if strict:
        power += stats.nct.cdf(-t, df, ncp)
    return float(power)


def sample_size_means(delta: float, sd: float, *, power: float = 0.8, alpha: float = 0.05,
                      strict: bool = False) -> float:
    """Customers needed in each group to detect a difference ``delta`` in means."""
    _check(alpha, power)
    if delta == 0 or sd <= 0:
        raise ValueError("the difference must not be 0 and the standard deviation must be > 0")
    hi = 2 * (stats.norm.isf(alpha / 2) + stats.norm.isf(1 - power)) ** 2 * (sd / delta) ** 2 + 10
    return float(optimize.brentq(
        lambda m: power_means(delta, sd, m, alpha=alpha, strict=strict) - power, 2.0, hi,
        xtol=1e-10))


def mde_means(sd: float, n: float, *, power: float = 0.8, alpha: float = 0.05) -> float:
    """The smallest difference in means a test with ``n`` customers a group detects."""
    _check(alpha, power)
    hi = sd * 10 * (stats.norm.isf(alpha / 2) + 3) / math.sqrt(n / 2)
    return float(optimize.brentq(lambda d: power_means(d, sd, n, alpha=alpha) - power,
                                 1e-12 * sd, hi, xtol=1e-12 * sd))


@dataclass(frozen=True)
class Plan:
    """A test's plan: customers per group, and the lift a given list size detects."""

    metric: str
    per_group: int
    per_group_exact: float
    baseline: float
    min_lift: float
    power: float
    alpha: float
    sd: float | None = None
    list_size: int | None = None
    control_share: float | None = None
    mde: float | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


def _mde_for_list(list_size, control_share, mde_of_n):
    """With unequal groups the variance is that of equal groups of the harmonic mean size
    2 / (1/n_t + 1/n_c), which the equal-group formulas take."""
    if not list_size:
        return None
    n_c = list_size * control_share
    n_t = list_size - n_c
    if n_c < 2 or n_t < 2:
        return float("nan")
    return mde_of_n(2 / (1 / n_t + 1 / n_c))


def plan_proportions(baseline: float, min_lift: float, *, power: float = 0.8,
                     alpha: float = 0.05, list_size: int | None = None,
                     control_share: float = 0.5) -> Plan:
    """The plan of a test on a rate: baseline ``baseline``, lift ``min_lift`` (rate units)."""
    if not 0 < baseline < 1 or not 0 < baseline + min_lift <= 1:
        raise ValueError("the baseline rate and baseline + lift must be between 0 and 1")
    n = sample_size_proportions(baseline, baseline + min_lift, power=power, alpha=alpha)
    mde = _mde_for_list(list_size, control_share,
                        lambda m: mde_proportions(baseline, m, power=power, alpha=alpha))
    return Plan("proportion", math.ceil(n - 1e-9), n, baseline, min_lift, power, alpha,
                list_size=list_size, control_share=control_share if list_size else None,
                mde=mde)


def plan_means(baseline: float, min_lift: float, sd: float, *, power: float = 0.8,
               alpha: float = 0.05, list_size: int | None = None,
               control_share: float = 0.5) -> Plan:
    """The plan of a test on a mean (revenue per customer) with outcome standard deviation
    ``sd`` from past data."""
    n = sample_size_means(min_lift, sd, power=power, alpha=alpha)
    mde = _mde_for_list(list_size, control_share,
                        lambda m: mde_means(sd, m, power=power, alpha=alpha))
    return Plan("mean", math.ceil(n - 1e-9), n, baseline, min_lift, power, alpha, sd=sd,
                list_size=list_size, control_share=control_share if list_size else None,
                mde=mde)
