"""The behaviour churn classifier's training plan, step by step: which customers each model
learns from (cross-fitting or one held-out split, at their bound), the out-of-sample scores,
the averaged scores, the columns it reads, its settings and its refusals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvm.features.behaviour import BEHAVIOUR_COLUMNS
from cvm.models.churn_classifier import (CLASSIFIER_FEATURES, AdditiveLogInputs,
                                         AdditiveLogistic, BehaviourChurnClassifier,
                                         _log_features)


def _customers(n, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({c: rng.gamma(2.0, 30.0, n) for c in CLASSIFIER_FEATURES})
    y = (X["recency_days"] + rng.normal(0, 30, n) > 60).astype(int).to_numpy()
    return X, y


def _log_mean(X, rows):
    """The mean of the log features over ``rows``: the logistic model's ``inputs_.mean_``
    when it learned from exactly those customers."""
    A = np.column_stack([X[c].to_numpy(dtype=float) for c in CLASSIFIER_FEATURES])
    return _log_features(A[rows]).mean(axis=0)


def test_cross_fitting_folds_and_their_samples():
    # 300 customers, 3 folds, at most 150 to learn from: 300 <= 3 · 150, so cross-fitting;
    # each model's other folds hold 200 customers, of which 150 are drawn
    X, y = _customers(300)
    clf = BehaviourChurnClassifier("logistic", n_splits=3, max_train_rows=150).fit(X, y)
    rng = np.random.default_rng(0)
    fold = rng.permutation(300) % 3
    A = np.column_stack([X[c].to_numpy(dtype=float) for c in clf.features_])
    assert len(clf.estimators_) == 3
    for k, est in enumerate(clf.estimators_):
        rows = np.sort(rng.choice(np.flatnonzero(fold != k), 150, replace=False))
        np.testing.assert_allclose(est.inputs_.mean_, _log_mean(X, rows), rtol=1e-12)
        np.testing.assert_array_equal(clf.oof_proba_[fold == k],
                                      est.predict_proba(A[fold == k])[:, 1])
    assert clf.oof_mask_.all()
    np.testing.assert_array_equal(clf.classes_, [0, 1])
    p = clf.predict_proba(X.iloc[:7])
    mean = np.mean([est.predict_proba(A[:7])[:, 1] for est in clf.estimators_], axis=0)
    np.testing.assert_allclose(p[:, 1], mean, rtol=1e-15)
    np.testing.assert_allclose(p[:, 0], 1.0 - mean, rtol=1e-15)
    assert len(np.unique(p[:, 1])) == 7


def test_cross_fitting_exactly_at_the_bound_and_without_a_cap():
    # 200 customers = 2 · 100: still cross-fitting, each model on the other fold (100, no draw)
    X, y = _customers(200, seed=1)
    clf = BehaviourChurnClassifier("logistic", max_train_rows=100).fit(X, y)
    fold = np.random.default_rng(0).permutation(200) % 2
    assert len(clf.estimators_) == 2 and clf.oof_mask_.all()
    for k, est in enumerate(clf.estimators_):
        np.testing.assert_allclose(est.inputs_.mean_, _log_mean(X, fold != k), rtol=1e-12)
    # no cap: every other fold learns in full
    free = BehaviourChurnClassifier("logistic", max_train_rows=None).fit(X, y)
    assert len(free.estimators_) == 2
    for k, est in enumerate(free.estimators_):
        np.testing.assert_allclose(est.inputs_.mean_, _log_mean(X, fold != k), rtol=1e-12)


def test_one_held_out_split_past_the_bound():
    # 201 customers > 2 · 100: one model learns from 100 drawn at random, scores the other 101
    X, y = _customers(201, seed=2)
    clf = BehaviourChurnClassifier("logistic", max_train_rows=100).fit(X, y)
    train = np.zeros(201, dtype=bool)
    train[np.random.default_rng(0).choice(201, 100, replace=False)] = True
    assert len(clf.estimators_) == 1
    (est,) = clf.estimators_
    np.testing.assert_allclose(est.inputs_.mean_, _log_mean(X, train), rtol=1e-12)
    np.testing.assert_array_equal(clf.oof_mask_, ~train)
    A = np.column_stack([X[c].to_numpy(dtype=float) for c in clf.features_])
    np.testing.assert_array_equal(clf.oof_proba_[~train], est.predict_proba(A[~train])[:, 1])
    np.testing.assert_array_equal(clf.predict_proba(X)[:, 1], est.predict_proba(A)[:, 1])


def test_the_columns_it_reads():
    assert "n_purchase_days" not in CLASSIFIER_FEATURES
    assert CLASSIFIER_FEATURES == tuple(c for c in BEHAVIOUR_COLUMNS if c != "n_purchase_days")
    X, y = _customers(200, seed=3)
    rng = np.random.default_rng(4)
    X = X.assign(n_purchase_days=X["frequency"] + 1, no_purchase_paretonbd=rng.random(200),
                 survey_index=rng.random(200), days_since_complaint=rng.random(200),
                 complaint_count=rng.integers(0, 3, 200).astype(float),
                 no_purchase_bgnbd=rng.random(200), unrelated=rng.random(200))
    X["prior_spend"] = np.nan  # no value at all: carries nothing, left out
    clf = BehaviourChurnClassifier("logistic").fit(X, y)
    assert clf.features_ == (tuple(c for c in CLASSIFIER_FEATURES if c != "prior_spend")
                             + ("complaint_count", "days_since_complaint", "survey_index",
                                "no_purchase_bgnbd", "no_purchase_paretonbd"))
    with pytest.raises(ValueError, match="behaviour features missing: recency_days, "
                                         "category_count"):
        BehaviourChurnClassifier().fit(X.drop(columns=["recency_days", "category_count"]), y)


def test_settings():
    clf = BehaviourChurnClassifier()
    assert (clf.method, clf.n_splits, clf.max_train_rows, clf.random_state) == (
        "gradient_boosting", 2, 50_000, 0)
    X, y = _customers(400, seed=5)
    boosted = BehaviourChurnClassifier(random_state=7).fit(X, y)
    assert len(boosted.estimators_) == 2
    params = boosted.estimators_[0].get_params()
    assert {k: params[k] for k in ("max_iter", "learning_rate", "max_leaf_nodes",
                                   "min_samples_leaf", "l2_regularization", "early_stopping",
                                   "random_state")} == {
        "max_iter": 100, "learning_rate": 0.08, "max_leaf_nodes": 15, "min_samples_leaf": 100,
        "l2_regularization": 1.0, "early_stopping": False, "random_state": 7}
    logistic = AdditiveLogistic()
    assert (logistic.n_knots, logistic.max_iter) == (4, 2000)
    with pytest.raises(ValueError, match="unknown classifier 'forest'"):
        BehaviourChurnClassifier("forest").fit(X, y)


def test_refusals():
    X, y = _customers(200, seed=6)
    with pytest.raises(ValueError, match="labels hold one class only"):
        BehaviourChurnClassifier("logistic").fit(X, np.zeros(200, int))
    with pytest.raises(ValueError, match="n_splits must be at least 2, got 1"):
        BehaviourChurnClassifier("logistic", n_splits=1).fit(X, y)
    # one churner: one of the two folds learns from customers who all bought again
    one = np.zeros(200, int)
    one[17] = 1
    with pytest.raises(ValueError, match="a training sample holds one class only"):
        BehaviourChurnClassifier("logistic").fit(X, one)


def test_a_feature_of_zeros_is_scaled_by_1_and_carries_nothing():
    # log1p(0) = 0 exactly: mean 0 and spread 0, so the scale is 1 (not 0 / 0), and its
    # quadratic B-splines on knots that all sit at 0 are 0 whatever the value scored
    X = np.column_stack([np.arange(20.0), np.zeros(20)])
    inputs = AdditiveLogInputs().fit(X)
    assert (inputs.mean_[1], inputs.scale_[1]) == (0.0, 1.0)
    assert inputs.transform(X).shape == (20, 2 * 5)      # 4 knots, degree 2: 5 bases each
    later = np.column_stack([np.arange(20.0), np.full(20, 50.0)])
    np.testing.assert_array_equal(inputs.transform(later)[:, 5:], 0.0)
    np.testing.assert_array_equal(inputs.transform(later)[:, :5], inputs.transform(X)[:, :5])


def test_the_knots_span_the_standardised_training_values():
    # log1p gives 0, 1, 2: mean 1, spread √(2/3), standardised −√(3/2), 0, √(3/2); the base
    # interval of the splines (4 uniform knots) runs from the lowest to the highest
    X = np.array([[0.0], [np.e - 1], [np.e ** 2 - 1]])
    inputs = AdditiveLogInputs().fit(X)
    spl = inputs.splines_.bsplines_[0]
    low, high = spl.t[spl.k], spl.t[-spl.k - 1]
    assert (low, high) == (pytest.approx(-np.sqrt(1.5), rel=1e-12),
                           pytest.approx(np.sqrt(1.5), rel=1e-12))
    np.testing.assert_array_equal(AdditiveLogInputs().fit_transform(X), inputs.transform(X))
