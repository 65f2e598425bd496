"""How well a churn score matches what customers did: ranking and calibration figures.

``y`` is 1 for a customer who churned (no purchase in the holdout), ``p`` the score. Ties in
the score are handled as a random order among the tied customers would be on average, so a
constant score has AUC 0.5 and lift 1.

- :func:`roc_auc`: the probability that a churner scores above a non-churner, ties counting
  one half (the Mann-Whitney statistic from mid-ranks).
- :func:`average_precision` (PR-AUC): sum over distinct score thresholds, from the highest, of
  (recall gained) x (precision at that threshold), as scikit-learn's average_precision_score.
- :func:`lift_at`: the churn rate among the top ``share`` of customers by score over the
  overall rate; customers tied at the cut count in proportion to the room left.
- :func:`brier`: mean squared difference between score and outcome.
- :func:`expected_calibration_error`: the scores are put in ``bins`` equal-width bins on
  [0, 1] (the last one closed: [0.9, 1.0]); ECE = sum over bins of (customers in the bin / all)
  x |mean score - churn rate in the bin|.
- :func:`decile_table`: customers in ten equal-size groups by score (highest first; ties split
  by position in a stable sort), with mean score, churn rate and lift per group.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import rankdata

__all__ = ["roc_auc", "average_precision", "lift_at", "brier", "expected_calibration_error",
           "calibration_bins", "decile_table", "churn_metrics", "ECE_BINS"]

ECE_BINS = 10


def _read(y, p) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    if y.shape != p.shape or y.ndim != 1:
        raise ValueError("outcomes and scores must be 1-d arrays of one length")
    if y.size == 0:
        raise ValueError("no customers to score")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("outcomes must be 0 or 1")
    if not np.all(np.isfinite(p)):
        raise ValueError("scores must be finite")
    return y, p


def roc_auc(y, p) -> float:
    """Area under the ROC curve (NaN when only one class is present)."""
    y, p = _read(y, p)
    n1 = y.sum()
    n0 = y.size - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = rankdata(p)  # mid-ranks for ties
    return float((ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def average_precision(y, p) -> float:
    """Average precision over the distinct thresholds (NaN without a churner)."""
    y, p = _read(y, p)
    total = y.sum()
    if total == 0:
        return float("nan")
    order = np.argsort(-p, kind="stable")
    ps, ys = p[order], y[order]
    last = np.r_[ps[1:] != ps[:-1], True]          # last row of each group of tied scores
    tp = np.cumsum(ys)[last]
    seen = np.flatnonzero(last) + 1.0
    recall = tp / total
    precision = tp / seen
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def lift_at(y, p, share: float = 0.1) -> float:
    """Churn rate of the top ``share`` by score over the overall churn rate."""
    y, p = _read(y, p)
    if not 0 < share <= 1:
        raise ValueError("share must be in (0, 1]")
    rate = y.mean()
    if rate == 0:
        return float("nan")
    k = share * y.size                               # customers in the top group (fractional)
    order = np.argsort(-p, kind="stable")
    ps, ys = p[order], y[order]
    cut = ps[min(int(np.ceil(k)) - 1, y.size - 1)]   # score of the last customer in the group
    above = ps > cut
    tied = ps == cut
    room = k - above.sum()
    churners = ys[above].sum() + room * ys[tied].mean()
    return float(churners / k / rate)


def brier(y, p) -> float:
    y, p = _read(y, p)
    return float(np.mean((p - y) ** 2))


def calibration_bins(y, p, bins: int = ECE_BINS) -> pd.DataFrame:
    """Per equal-width bin of the score: customers, mean score, churn rate (empty bins left
    out)."""
    y, p = _read(y, p)
    idx = np.clip((p * bins).astype(int), 0, bins - 1)
    count = np.bincount(idx, minlength=bins)
    mean_p = np.bincount(idx, weights=p, minlength=bins)
    rate = np.bincount(idx, weights=y, minlength=bins)
    keep = count > 0
    return pd.DataFrame({
        "bin_low": np.arange(bins)[keep] / bins,
        "bin_high": (np.arange(bins)[keep] + 1) / bins,
        "customers": count[keep],
        "mean_score": mean_p[keep] / count[keep],
        "churn_rate": rate[keep] / count[keep],
    })


def expected_calibration_error(y, p, bins: int = ECE_BINS) -> float:
    table = calibration_bins(y, p, bins)
    weight = table["customers"] / table["customers"].sum()
    return float(np.sum(weight * np.abs(table["mean_score"] - table["churn_rate"])))


def decile_table(y, p, groups: int = 10) -> pd.DataFrame:
    """Customers in ``groups`` equal-size groups by score, highest first."""
    y, p = _read(y, p)
    order = np.argsort(-p, kind="stable")
    group = (np.arange(y.size) * groups) // y.size
    frame = pd.DataFrame({"group": group + 1, "score": p[order], "churned": y[order]})
    g = frame.groupby("group")
    rate = y.mean()
    out = pd.DataFrame({
        "decile": g.size().index,
        "customers": g.size().to_numpy(),
        "mean_score": g["score"].mean().to_numpy(),
        "churn_rate": g["churned"].mean().to_numpy(),
    })
    out["lift"] = out["churn_rate"] / rate if rate > 0 else np.nan
    return out


def churn_metrics(y, p) -> dict:
    """AUC, PR-AUC, lift at 10 %, Brier score and ECE (10 equal-width bins) as plain numbers."""
    y, p = _read(y, p)
    return {"auc": roc_auc(y, p), "pr_auc": average_precision(y, p), "lift_at_10": lift_at(y, p),
            "brier": brier(y, p), "ece": expected_calibration_error(y, p),
            "mean_score": float(p.mean()), "churn_rate": float(y.mean()), "customers": int(y.size)}
