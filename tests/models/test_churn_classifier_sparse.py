"""A feature that only a few customers have (the days since a complaint, with a service log in
which few customers complained): a training fold may hold none of them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvm.models.churn_classifier import CLASSIFIER_FEATURES, BehaviourChurnClassifier


def _frame(n: int, seed: int = 4) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({c: rng.gamma(2.0, 20.0, n) for c in CLASSIFIER_FEATURES})
    frame["complaint_count"] = 0.0
    frame["days_since_complaint"] = np.nan
    frame.loc[7, ["complaint_count", "days_since_complaint"]] = (1.0, 12.0)  # one complainer
    y = (frame["recency_days"].to_numpy() + rng.normal(0, 15, n) > 40).astype(int)
    return frame, y


def test_a_fold_without_any_value_of_a_feature_still_trains():
    """One complainer among 400: the fold that scores them trains on rows where the days since
    a complaint are all missing (which scikit-learn's binning refused). No leaf of 100 can hold
    one customer apart, so the feature cannot split and the scores equal those of the same
    classifier without it."""
    frame, y = _frame(400)
    clf = BehaviourChurnClassifier("gradient_boosting").fit(frame, y)
    assert "days_since_complaint" in clf.features_
    without = BehaviourChurnClassifier("gradient_boosting").fit(
        frame.drop(columns=["days_since_complaint"]), y)
    np.testing.assert_allclose(clf.oof_proba_, without.oof_proba_, rtol=1e-12)
    scored = clf.predict_proba(frame)[:, 1]
    np.testing.assert_allclose(scored, without.predict_proba(frame)[:, 1], rtol=1e-12)
    assert np.all((scored > 0) & (scored < 1))


@pytest.mark.parametrize("method", ["gradient_boosting", "logistic"])
def test_the_training_rows_keep_their_values_where_a_fold_has_them(method):
    """Where every fold holds values of the feature, nothing is filled in: the fit is the one
    of the matrix as given (the fold's copy is the only one changed, and only where empty)."""
    frame, y = _frame(400)
    frame.loc[frame.index % 5 == 0, "days_since_complaint"] = 30.0
    a = BehaviourChurnClassifier(method).fit(frame, y)
    b = BehaviourChurnClassifier(method).fit(frame.copy(), y)
    np.testing.assert_array_equal(a.oof_proba_, b.oof_proba_)
    # the input is left as it was: 80 customers at 30 days, the complainer, 319 without
    assert np.isnan(frame["days_since_complaint"]).sum() == 319


def test_the_logistic_curves_learn_from_a_fold_as_it_is():
    """The additive logistic regression reads a missing value itself (its missing-value
    indicators): a fold without any complainer is given to it as it is, and its scores are
    those of the same folds fitted by hand (the folds of ``random_state`` 0: a permutation of
    the customers, every other one to each fold)."""
    from cvm.models.churn_classifier import AdditiveLogistic

    frame, y = _frame(400)
    clf = BehaviourChurnClassifier("logistic").fit(frame, y)
    A = np.column_stack([frame[c].to_numpy(dtype=float) for c in clf.features_])
    fold = np.random.default_rng(0).permutation(400) % 2
    expected = np.empty(400)
    for k in range(2):
        rows = np.flatnonzero(fold != k)
        est = AdditiveLogistic().fit(A[rows], y[rows])
        expected[fold == k] = est.predict_proba(A[fold == k])[:, 1]
    np.testing.assert_allclose(clf.oof_proba_, expected, rtol=1e-12)
