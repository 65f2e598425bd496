"""Indicator weights: given by the user, by the analytic hierarchy process, or by entropy.

AHP (Saaty 1977, "A scaling method for priorities in hierarchical structures", J. Math. Psych.
15:234–281; Saaty 1980, *The Analytic Hierarchy Process*): the weights are the principal right
eigenvector of the reciprocal pairwise comparison matrix ``A`` (``a_ij`` = how much more important
i is than j on the 1–9 scale, ``a_ji = 1/a_ij``), normalised to sum to 1. The consistency index is
``CI = (λmax − n) / (n − 1)`` and the consistency ratio ``CR = CI / RI(n)`` with Saaty's random
index ``RI``; a matrix with ``CR > 0.1`` is refused, naming the judgement that disagrees most with
the weights (the entry whose ``a_ij · w_j / w_i`` is farthest from 1).

Entropy weight method (Shannon's entropy applied to attribute weights: Zeleny 1982, *Multiple
Criteria Decision Making*; Hwang & Yoon 1981, *Multiple Attribute Decision Making*): with
``m`` customers and non-negative indicator values ``x_ij``, ``p_ij = x_ij / Σ_i x_ij``,
``e_j = −(1 / ln m) Σ_i p_ij ln p_ij`` (with ``0 · ln 0 = 0``), ``d_j = 1 − e_j`` and
``w_j = d_j / Σ_k d_k``. An indicator that is the same for everyone (e.g. neutral credit) carries
no information and gets weight 0; an all-zero indicator too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError

__all__ = ["WeightsError", "AHPResult", "EntropyResult", "RANDOM_INDEX", "ahp_weights",
           "entropy_weights", "weights_from_entropy", "normalise_weights"]

#: Saaty's random consistency index RI(n) for n = 1 … 10 (Saaty 1980: the mean CI
#: of random reciprocal matrices).
RANDOM_INDEX = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45,
                10: 1.49}


class WeightsError(ConfigError):
    """Weights cannot be derived as asked; the message says why and what to change."""


@dataclass(frozen=True)
class AHPResult:
    weights: tuple[float, ...]
    lambda_max: float
    consistency_index: float
    consistency_ratio: float

    def as_dict(self) -> dict:
        return {"method": "ahp", "weights": list(self.weights), "lambda_max": self.lambda_max,
                "consistency_index": self.consistency_index,
                "consistency_ratio": self.consistency_ratio}


@dataclass(frozen=True)
class EntropyResult:
    weights: tuple[float, ...]
    entropy: tuple[float, ...]
    divergence: tuple[float, ...]

    def as_dict(self) -> dict:
        return {"method": "entropy", "weights": list(self.weights), "entropy": list(self.entropy),
                "divergence": list(self.divergence)}


def normalise_weights(weights, n: int) -> tuple[float, ...]:
    """Non-negative weights scaled to sum to 1 (equal weights when ``weights`` is None)."""
    if weights is None:
        return tuple([1.0 / n] * n)
    w = np.asarray(weights, dtype=float)
    if w.shape != (n,) or np.any(~np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise WeightsError(f"give {n} non-negative weights, not all zero; got {list(weights)}")
    return tuple(float(v) for v in w / w.sum())


def ahp_weights(matrix, *, max_cr: float = 0.1, names: list[str] | None = None) -> AHPResult:
    """Weights from a pairwise comparison matrix by the principal eigenvector, with its
    consistency; raises :class:`WeightsError` when the matrix is not a positive reciprocal
    matrix or its consistency ratio exceeds ``max_cr``.

    >>> r = ahp_weights([[1, 2, 4], [0.5, 1, 2], [0.25, 0.5, 1]])
    >>> [round(w, 4) for w in r.weights], round(r.consistency_ratio, 6)
    ([0.5714, 0.2857, 0.1429], 0.0)
    """
    a = np.asarray(matrix, dtype=float)
    n = a.shape[0] if a.ndim == 2 else 0
    names = names or [str(i + 1) for i in range(n)]
    if a.ndim != 2 or a.shape[0] != a.shape[1] or n < 1:
        raise WeightsError(f"the pairwise comparison matrix must be square, not {a.shape}")
    if n > max(RANDOM_INDEX):
        raise WeightsError(f"AHP here takes at most {max(RANDOM_INDEX)} criteria, not {n}")
    if np.any(~np.isfinite(a)) or np.any(a <= 0):
        raise WeightsError("every pairwise comparison must be a positive number (1–9 or 1/9–1)")
    if not np.allclose(np.diag(a), 1.0):
        raise WeightsError("the diagonal of the pairwise comparison matrix must be 1")
    # reciprocal within the rounding people write (0.333 for 1/3)
    bad = np.argwhere(np.abs(a * a.T - 1.0) > 0.01)
    if len(bad):
        i, j = bad[0]
        raise WeightsError(
            f"the matrix is not reciprocal: entry ({names[i]}, {names[j]}) is {a[i, j]:g} but "
            f"({names[j]}, {names[i]}) is {a[j, i]:g}; it should be {1 / a[i, j]:.4g}")
    values, vectors = np.linalg.eig(a)
    k = int(np.argmax(values.real))
    lam = float(values[k].real)
    w = np.abs(vectors[:, k].real)
    w = w / w.sum()
    ci = (lam - n) / (n - 1) if n > 2 else 0.0
    ci = max(ci, 0.0)
    ri = RANDOM_INDEX[n]
    cr = ci / ri if ri > 0 else 0.0
    if cr > max_cr + 1e-12:
        ratio = a * w[None, :] / w[:, None]
        dev = np.abs(np.log(ratio))
        i, j = np.unravel_index(int(np.argmax(dev)), dev.shape)
        raise WeightsError(
            f"the pairwise comparisons are too inconsistent to use: consistency ratio "
            f"{cr:.3f} > {max_cr:g} (λmax {lam:.3f}, CI {ci:.3f}, RI {ri:.2f} for n = {n}). "
            f"The judgement that disagrees most with the others is ({names[i]} vs {names[j]}) "
            f"= {a[i, j]:.4g}, where the other judgements imply about {w[i] / w[j]:.2g}; "
            "revise it (Saaty's rule: CR at most 0.1)")
    return AHPResult(tuple(float(v) for v in w), lam, ci, cr)


def entropy_weights(data) -> EntropyResult:
    """Entropy weights of the columns of ``data`` (rows are customers, values non-negative).

    >>> r = entropy_weights([[1, 1, 1, 2], [1, 0, 1, 1], [1, 0, 0, 1], [1, 0, 0, 0]])
    >>> [round(w, 6) for w in r.weights]
    [0.0, 0.571429, 0.285714, 0.142857]
    """
    x = np.asarray(data, dtype=float)
    if x.ndim != 2 or x.shape[0] < 2:
        raise WeightsError("the entropy method needs at least two customers")
    if np.any(~np.isfinite(x)) or np.any(x < 0):
        raise WeightsError("the entropy method needs non-negative indicator values")
    m, n = x.shape
    totals = x.sum(axis=0)
    entropy = np.ones(n)
    for j in range(n):
        if totals[j] <= 0:
            continue  # all zero: no information, e = 1
        p = x[:, j] / totals[j]
        p = p[p > 0]
        entropy[j] = float(-(p * np.log(p)).sum() / math.log(m))
    return weights_from_entropy(entropy)


def weights_from_entropy(entropy) -> EntropyResult:
    """The entropy weights from each column's entropy ``e_j = −Σ p ln p / ln m`` (1 for a
    column of zeros): what :func:`entropy_weights` computes once it has the entropies, and
    what an engine's sums give (:mod:`cvm.features.value_scales`)."""
    entropy = np.asarray(entropy, dtype=float)
    n = len(entropy)
    entropy = np.clip(entropy, 0.0, 1.0)
    divergence = 1.0 - entropy
    if divergence.sum() <= 1e-15:
        weights = np.full(n, 1.0 / n)  # no indicator tells customers apart: equal weights
    else:
        weights = divergence / divergence.sum()
    return EntropyResult(tuple(float(v) for v in weights), tuple(float(v) for v in entropy),
                         tuple(float(v) for v in divergence))
