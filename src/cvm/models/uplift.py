"""Uplift models: who buys *because* of a campaign, learned from a past campaign with a random
control group.

The uplift of customer ``x`` is ``τ(x) = P(Y=1 | x, treated) − P(Y=1 | x, control)``. Two ways to
learn it, both over any scikit-learn classifier:

* :class:`TwoModelUplift` (the "two-model" or T-learner approach, Radcliffe & Surry 2011, §3):
  one classifier on the treated, one on the controls; ``τ̂(x) = p̂_t(x) − p̂_c(x)``.
* :class:`ClassTransformationUplift` (Jaśkowski & Jaroszewicz 2012): one classifier on the
  transformed class ``Z = Y·W + (1−Y)·(1−W)`` (a treated buyer or a control non-buyer). With
  treated and controls weighted to equal totals (the paper's ``P(W=1) = 1/2``),
  ``τ(x) = 2·P(Z=1 | x) − 1`` (eq. 3).

:func:`uplift_segments` sorts customers into the four classic groups (Kane, Lo & Zheng 2014):
the *persuadable* (buy only if treated: target them), *sure things* (buy anyway), *lost causes*
(never buy) and *do-not-disturbs* (treating them loses the sale): skip those three.

The default classifier is scikit-learn's histogram gradient boosting: it takes missing values
and interactions as they come, which a linear model would not.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import HistGradientBoostingClassifier

__all__ = ["TwoModelUplift", "ClassTransformationUplift", "uplift_segments", "SEGMENTS"]

#: the four uplift groups, in the order a campaign ranks them
SEGMENTS = ("persuadable", "sure_thing", "lost_cause", "do_not_disturb")


def _default_classifier():
    return HistGradientBoostingClassifier(max_depth=3, max_iter=150, learning_rate=0.05,
                                          random_state=0)


def _check(X, treatment, y):
    w = np.asarray(treatment).astype(int)
    t = np.asarray(y).astype(int)
    if not (np.isin(w, (0, 1)).all() and np.isin(t, (0, 1)).all()):
        raise ValueError("treatment and y must hold only 0 and 1")
    if w.min() == w.max():
        raise ValueError("uplift needs both treated and control customers")
    for group in (0, 1):
        if np.unique(t[w == group]).size < 2:
            raise ValueError("each of the treated and the control group needs customers with "
                             "and without the outcome")
    return X, w, t


class TwoModelUplift(BaseEstimator):
    """``τ̂(x) = p̂_t(x) − p̂_c(x)``, one classifier per group.

    Parameters: ``estimator``, a scikit-learn classifier (cloned for each group; default
    histogram gradient boosting). Learned: ``model_treated_``, ``model_control_``.
    """

    def __init__(self, estimator=None):
        self.estimator = estimator

    def fit(self, X, treatment, y) -> "TwoModelUplift":
        X, w, t = _check(X, treatment, y)
        base = self.estimator if self.estimator is not None else _default_classifier()
        X = np.asarray(X, dtype=float)
        self.model_treated_ = clone(base).fit(X[w == 1], t[w == 1])
        self.model_control_ = clone(base).fit(X[w == 0], t[w == 0])
        return self

    def predict_outcomes(self, X) -> tuple[np.ndarray, np.ndarray]:
        """``(p̂_t(x), p̂_c(x))``: the probability of the outcome if treated and if not."""
        X = np.asarray(X, dtype=float)
        return (self.model_treated_.predict_proba(X)[:, 1],
                self.model_control_.predict_proba(X)[:, 1])

    def predict(self, X) -> np.ndarray:
        """The predicted uplift ``τ̂(x)``."""
        p_t, p_c = self.predict_outcomes(X)
        return p_t - p_c


class ClassTransformationUplift(BaseEstimator):
    """``τ̂(x) = 2·P̂(Z=1 | x) − 1`` with ``Z = Y·W + (1−Y)·(1−W)`` (Jaśkowski & Jaroszewicz
    2012, eq. 3); treated and controls are weighted to equal totals so that the formula holds
    for groups of any size.

    Parameters: ``estimator``, a scikit-learn classifier that takes ``sample_weight`` (default
    histogram gradient boosting). Learned: ``model_``.
    """

    def __init__(self, estimator=None):
        self.estimator = estimator

    def fit(self, X, treatment, y) -> "ClassTransformationUplift":
        X, w, t = _check(X, treatment, y)
        z = t * w + (1 - t) * (1 - w)  # Jaśkowski & Jaroszewicz 2012, eq. 2
        share = w.mean()
        weight = np.where(w == 1, 0.5 / share, 0.5 / (1 - share))  # P(W=1) made 1/2
        base = self.estimator if self.estimator is not None else _default_classifier()
        self.model_ = clone(base).fit(np.asarray(X, dtype=float), z, sample_weight=weight)
        return self

    def predict(self, X) -> np.ndarray:
        """The predicted uplift ``τ̂(x)``."""
        return 2.0 * self.model_.predict_proba(np.asarray(X, dtype=float))[:, 1] - 1.0  # eq. 3


def uplift_segments(uplift, p_control, *, min_uplift: float = 0.02,
                    sure_rate: float = 0.5) -> np.ndarray:
    """Each customer's uplift group: ``persuadable`` where ``τ̂ ≥ min_uplift``,
    ``do_not_disturb`` where ``τ̂ ≤ −min_uplift``; between those, ``sure_thing`` where the
    outcome's probability without treatment ``p_control`` is at least ``sure_rate``, else
    ``lost_cause``."""
    u = np.asarray(uplift, dtype=float)
    pc = np.asarray(p_control, dtype=float)
    return np.where(u >= min_uplift, "persuadable",
                    np.where(u <= -min_uplift, "do_not_disturb",
                             np.where(pc >= sure_rate, "sure_thing", "lost_cause")))
