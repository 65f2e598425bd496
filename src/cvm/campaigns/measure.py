"""What a campaign did: the difference between the treated and the control group, with its
confidence interval, p-value, relative lift and return on investment.

For a rate (an outcome that is 0 or 1 for each customer: responded, retained):

- the interval of the difference p_t − p_c is Newcombe's hybrid score interval (Newcombe 1998,
  method 10): with (l_t, u_t) and (l_c, u_c) the Wilson score intervals of each rate (Wilson
  1927)::

      low  = (p_t − p_c) − √((p_t − l_t)² + (u_c − p_c)²)
      high = (p_t − p_c) + √((u_t − p_t)² + (p_c − l_c)²)

  It keeps close to its nominal coverage even at small counts and rates near 0 or 1, where the
  textbook (Wald) interval does not;
- the p-value is the two-sided test of equal rates with the pooled rate p̂ (the χ² test of R's
  ``prop.test(correct = FALSE)``): z = (p_t − p_c) / √(p̂(1 − p̂)(1/n_t + 1/n_c)).

For a mean (revenue or margin per customer), Welch's t (Welch 1947): the difference of means
with standard error √(s_t²/n_t + s_c²/n_c) and the Welch–Satterthwaite degrees of freedom
ν = (s_t²/n_t + s_c²/n_c)² / ((s_t²/n_t)²/(n_t − 1) + (s_c²/n_c)²/(n_c − 1)).

Relative lift = lift / control value. ROI = (incremental margin − cost) / cost, with the
incremental margin = (mean margin of the treated − that of the control) × treated customers and
cost = cost per contact × treated customers, so ROI = Δ/c − 1 per customer; its interval is a
percentile bootstrap (Efron & Tibshirani 1993, ch. 13) resampling each group's customers (groups
of more than :data:`BOOTSTRAP_BLOCKS` customers are cut at random into that many blocks, whose
sums are resampled: blocks of a random partition are independent and alike, so the resampled
mean has the variance of the customer bootstrap at a fraction of the work).

Many groups and outcomes at once: the p-values are adjusted by Benjamini & Hochberg (1995), which
keeps the expected share of false discoveries among the significant results at α.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["wilson_interval", "newcombe_interval", "proportions_test", "welch_test",
           "benjamini_hochberg", "bootstrap_roi", "compare_groups", "RESULT_COLUMNS",
           "BOOTSTRAP_BLOCKS"]

#: groups larger than this are resampled as this many random blocks of customers
BOOTSTRAP_BLOCKS = 1000

#: the columns of a results table, in order
RESULT_COLUMNS = ["segment", "group", "outcome", "kind", "n", "control_n", "treated_value",
                  "control_value", "lift", "ci_low", "ci_high", "p_value", "relative_lift",
                  "p_adjusted", "significant", "roi", "roi_low", "roi_high"]


def wilson_interval(x: float, n: float, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson's score interval of a rate x/n (Wilson 1927; Newcombe 1998, method 3)."""
    if n <= 0:
        return (float("nan"), float("nan"))
    z = stats.norm.isf(alpha / 2)
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (max(0.0, centre - half), min(1.0, centre + half))


def newcombe_interval(x_t: float, n_t: float, x_c: float, n_c: float,
                      alpha: float = 0.05) -> tuple[float, float]:
    """Newcombe's hybrid score interval of p_t − p_c (Newcombe 1998, method 10)."""
    p_t, p_c = x_t / n_t, x_c / n_c
    l_t, u_t = wilson_interval(x_t, n_t, alpha)
    l_c, u_c = wilson_interval(x_c, n_c, alpha)
    d = p_t - p_c
    return (d - math.sqrt((p_t - l_t) ** 2 + (u_c - p_c) ** 2),
            d + math.sqrt((u_t - p_t) ** 2 + (p_c - l_c) ** 2))


def proportions_test(x_t: float, n_t: float, x_c: float, n_c: float) -> float:
    """Two-sided p-value of equal rates, pooled z test (= χ² without continuity correction)."""
    pooled = (x_t + x_c) / (n_t + n_c)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_t + 1 / n_c))
    if se == 0:
        return 1.0
    return float(2 * stats.norm.sf(abs(x_t / n_t - x_c / n_c) / se))


def welch_test(mean_t: float, var_t: float, n_t: float, mean_c: float, var_c: float,
               n_c: float, alpha: float = 0.05) -> tuple[float, float, float, float]:
    """Welch's test of equal means: (difference, ci_low, ci_high, p-value); sample variances."""
    a, b = var_t / n_t, var_c / n_c
    d = mean_t - mean_c
    se = math.sqrt(a + b)
    if se == 0:
        return (d, d, d, 1.0 if d == 0 else 0.0)
    df = (a + b) ** 2 / (a * a / (n_t - 1) + b * b / (n_c - 1))  # Welch–Satterthwaite
    q = stats.t.isf(alpha / 2, df)
    return (d, d - q * se, d + q * se, float(2 * stats.t.sf(abs(d) / se, df)))


def benjamini_hochberg(p_values: Sequence[float]) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (step-up): q_(i) = min_{j ≥ i} p_(j) · m / j;
    ``nan`` stays ``nan`` and does not count in m."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return out
    order = np.argsort(p[ok])
    ranked = p[ok][order] * m / np.arange(1, m + 1)
    # the running minimum from the largest p down never exceeds that p, so never 1
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(m)
    q[order] = adjusted
    out[ok] = q
    return out


def _block_sums(values: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if len(values) <= BOOTSTRAP_BLOCKS:
        return values.astype(float), np.ones(len(values))
    shuffled = values[rng.permutation(len(values))]
    edges = np.linspace(0, len(values), BOOTSTRAP_BLOCKS + 1).astype(np.int64)
    sums = np.add.reduceat(shuffled.astype(float), edges[:-1])
    return sums, np.diff(edges).astype(float)


def _resampled_means(values: np.ndarray, rng: np.random.Generator, replicates: int,
                     weights: np.ndarray | None = None) -> np.ndarray:
    sums, counts = _block_sums(values, rng)
    m = len(sums)
    if weights is None or weights.shape[1] != m:
        weights = _weights(rng, replicates, m)
    return (weights @ sums) / (weights @ counts)


def _weights(rng: np.random.Generator, replicates: int, m: int) -> np.ndarray:
    """How often each of ``m`` units is drawn in each of the replicates (with replacement)."""
    return rng.multinomial(m, np.full(m, 1.0 / m), size=replicates).astype(float)


def bootstrap_roi(treated: np.ndarray, control: np.ndarray, cost_per_contact: float, *,
                  margin_rate: float = 1.0, alpha: float = 0.05, replicates: int = 2000,
                  seed: int = 0, weights: tuple[np.ndarray, np.ndarray] | None = None
                  ) -> tuple[float, float, float]:
    """ROI = (margin_rate · (mean_t − mean_c) − cost) / cost per treated customer, and its
    percentile bootstrap interval: (roi, low, high). ``weights``: the resampling counts of
    :data:`BOOTSTRAP_BLOCKS` blocks for the treated and the control, drawn once when many
    groups are compared (each comparison still resamples its two groups independently)."""
    if cost_per_contact <= 0:
        raise ValueError("ROI needs a cost per contact above 0")
    treated, control = np.asarray(treated, float), np.asarray(control, float)
    roi = (margin_rate * (treated.mean() - control.mean()) - cost_per_contact) / cost_per_contact
    rng = np.random.default_rng(seed)
    w_t, w_c = weights if weights is not None else (None, None)
    delta = (_resampled_means(treated, rng, replicates, w_t)
             - _resampled_means(control, rng, replicates, w_c))
    sample = (margin_rate * delta - cost_per_contact) / cost_per_contact
    low, high = np.quantile(sample, [alpha / 2, 1 - alpha / 2])
    return float(roi), float(low), float(high)


def _is_rate(values: pd.Series) -> bool:
    v = values.dropna()
    return bool(v.isin([0, 1]).all()) if len(v) else False


def compare_groups(data: pd.DataFrame, group_column: str, control: str, outcomes: Sequence[str],
                   *, segment_column: str | None = None, cost_per_contact: float | None = None,
                   value_outcome: str | None = None, margin_rate: float = 1.0,
                   alpha: float = 0.05, replicates: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Every treated group against the control, for each outcome (and, with
    ``segment_column``, in each segment too): one row each with :data:`RESULT_COLUMNS`.

    An outcome whose values are all 0 or 1 is a rate (Newcombe interval, pooled z test); any
    other is a mean (Welch). ROI is computed on ``value_outcome`` (default: the first outcome
    that is not a rate) when ``cost_per_contact`` is given. Customers with a missing outcome are
    left out of that outcome.
    """
    missing = [c for c in [group_column, *outcomes, *([segment_column] if segment_column else [])]
               if c not in data.columns]
    if missing:
        raise KeyError(f"no column {', '.join(missing)}; columns are {', '.join(data.columns)}")
    groups = data[group_column].astype(str)
    control = str(control)
    if not (groups == control).any():
        raise ValueError(f"no customer has {group_column} = {control!r}: the control group is "
                         f"empty (values: {', '.join(sorted(groups.unique())[:10])})")
    kinds = {o: "rate" if _is_rate(data[o]) else "mean" for o in outcomes}
    if value_outcome is None:
        value_outcome = next((o for o in outcomes if kinds[o] == "mean"), None)
    codes, names = pd.factorize(groups, sort=True)
    control_code = int(np.flatnonzero(names == control)[0])
    treated_codes = [k for k in range(len(names)) if k != control_code]
    segments: list[tuple[str, np.ndarray | None]] = [("all", None)]
    if segment_column:
        seg_codes, seg_names = pd.factorize(data[segment_column].astype(str), sort=True)
        segments += [(str(s), seg_codes == k) for k, s in enumerate(seg_names)]
    weights = None
    if cost_per_contact and value_outcome is not None and len(data) > BOOTSTRAP_BLOCKS:
        rng = np.random.default_rng([seed, 1])
        weights = (_weights(rng, replicates, BOOTSTRAP_BLOCKS),
                   _weights(rng, replicates, BOOTSTRAP_BLOCKS))
    columns = {o: data[o].to_numpy(dtype=float) for o in outcomes}
    rows = []
    for seg_name, in_seg in segments:
        is_control = codes == control_code if in_seg is None else (
            (codes == control_code) & in_seg)
        for k in treated_codes:
            is_treated = codes == k if in_seg is None else (codes == k) & in_seg
            for o in outcomes:
                col = columns[o]
                t, c = col[is_treated], col[is_control]
                t, c = t[~np.isnan(t)], c[~np.isnan(c)]
                rows.append(_compare(seg_name, str(names[k]), o, kinds[o], t, c, alpha,
                                     cost_per_contact if o == value_outcome else None,
                                     margin_rate, replicates, seed, weights))
    out = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    out["p_adjusted"] = benjamini_hochberg(out["p_value"].to_numpy())
    out["significant"] = out["p_adjusted"] < alpha
    return out


def _compare(segment, group, outcome, kind, t, c, alpha, cost, margin_rate, replicates, seed,
             weights=None):
    n_t, n_c = len(t), len(c)
    row = dict.fromkeys(RESULT_COLUMNS, float("nan"))
    row.update(segment=segment, group=group, outcome=outcome, kind=kind, n=n_t, control_n=n_c)
    if n_t < 2 or n_c < 2:
        return row
    mean_t, mean_c = float(t.mean()), float(c.mean())
    row.update(treated_value=mean_t, control_value=mean_c, lift=mean_t - mean_c)
    if kind == "rate":
        x_t, x_c = float(t.sum()), float(c.sum())
        row["ci_low"], row["ci_high"] = newcombe_interval(x_t, n_t, x_c, n_c, alpha)
        row["p_value"] = proportions_test(x_t, n_t, x_c, n_c)
    else:
        _, row["ci_low"], row["ci_high"], row["p_value"] = welch_test(
            mean_t, float(t.var(ddof=1)), n_t, mean_c, float(c.var(ddof=1)), n_c, alpha)
    row["relative_lift"] = (mean_t - mean_c) / mean_c if mean_c else float("nan")
    if cost:
        row["roi"], row["roi_low"], row["roi_high"] = bootstrap_roi(
            t, c, cost, margin_rate=margin_rate, alpha=alpha, replicates=replicates, seed=seed,
            weights=weights)
    return row
