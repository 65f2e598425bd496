"""Measurement quality of a PLS path model: reliability, convergent and discriminant validity.

Each function takes correlation matrices and fitted weights or loadings, so the same code serves
the estimate and every bootstrap resample. A construct measured by one indicator gets 1 for
every reliability figure, as seminr reports it (Ray, Danks & Calero Valdez, seminr 2.3,
``R/evaluate_reliability.R``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["cronbach_alpha", "composite_reliability", "average_variance_extracted", "rho_a",
           "htmt"]


def cronbach_alpha(block_corr: np.ndarray) -> float:
    """Standardised Cronbach's α of one block from its indicators' correlation matrix.

    α = k/(k−1) · (1 − k / Σᵢⱼ rᵢⱼ) — Cronbach (1951), *Psychometrika* 16, the coefficient α
    with item variances 1 (standardised items, as seminr and SmartPLS compute it).
    """
    k = block_corr.shape[0]
    if k == 1:
        return 1.0
    return k / (k - 1) * (1.0 - k / float(block_corr.sum()))


def composite_reliability(loadings: np.ndarray) -> float:
    """Dillon–Goldstein's ρ (composite reliability, ρ_C) of one block from its loadings λ.

    ρ_C = (Σλ)² / ((Σλ)² + Σ(1 − λ²)) — Werts, Linn & Jöreskog (1974), *Educational and
    Psychological Measurement* 34, composite reliability with error variances 1 − λ²; Dillon &
    Goldstein (1984), *Multivariate Analysis*.
    """
    lam = np.asarray(loadings, dtype=float)
    if lam.size == 1:
        return 1.0
    s2 = lam.sum() ** 2
    return float(s2 / (s2 + (1.0 - lam ** 2).sum()))


def average_variance_extracted(loadings: np.ndarray) -> float:
    """AVE = Σλ² / k — Fornell & Larcker (1981), *Journal of Marketing Research* 18, average
    variance extracted with standardised indicators (error variances 1 − λ²)."""
    lam = np.asarray(loadings, dtype=float)
    if lam.size == 1:
        return 1.0
    return float((lam ** 2).mean())


def rho_a(weights: np.ndarray, block_corr: np.ndarray) -> float:
    """Dijkstra–Henseler's ρ_A of one block from its weights ŵ (scaled so that ŵ′Sŵ = 1) and
    the indicators' correlation matrix S.

    ρ_A = (ŵ′ŵ)² · ŵ′(S − diag S)ŵ / ŵ′(ŵŵ′ − diag ŵŵ′)ŵ — Dijkstra & Henseler (2015),
    *MIS Quarterly* 39(2), the definition of ρ_A (computed as seminr's ``compute_construct_rhoA``).
    """
    w = np.asarray(weights, dtype=float)
    if w.size == 1:
        return 1.0
    s_off = block_corr - np.diag(np.diag(block_corr))
    ww = np.outer(w, w)
    ww_off = ww - np.diag(np.diag(ww))
    return float((w @ w) ** 2 * (w @ s_off @ w) / (w @ ww_off @ w))


def htmt(corr: np.ndarray, blocks: list[np.ndarray]) -> np.ndarray:
    """Heterotrait–monotrait ratio of correlations for every pair of blocks.

    HTMT_ij = mean |r| between the indicators of i and j / √(mean |r| among i's indicators ·
    mean |r| among j's) — Henseler, Ringle & Sarstedt (2015), *Journal of the Academy of
    Marketing Science* 43, the HTMT ratio; absolute correlations as seminr's ``HTMT``. A
    one-indicator block has monotrait mean 1. Returns a symmetric matrix with NaN on the diagonal.
    """
    a = np.abs(corr)
    k = len(blocks)
    mono = np.empty(k)
    for i, bi in enumerate(blocks):
        n = len(bi)
        mono[i] = 1.0 if n == 1 else (a[np.ix_(bi, bi)].sum() - n) / (n * (n - 1))
    out = np.full((k, k), np.nan)
    for i in range(k):
        for j in range(i + 1, k):
            hetero = a[np.ix_(blocks[i], blocks[j])].mean()
            out[i, j] = out[j, i] = hetero / np.sqrt(mono[i] * mono[j])
    return out
