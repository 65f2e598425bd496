"""The churn classifiers: the additive logistic model's fast scoring equals its basis expansion,
its curves are smooth and continue linearly past the training range; the default is chosen by
held-out log loss with each candidate's own calibration method."""

from __future__ import annotations

import numpy as np
import pytest

from cvm.models.churn import ChurnRisk
from cvm.models.churn_classifier import AdditiveLogInputs, AdditiveLogistic


def _data(n, rng):
    X = rng.gamma(1.0, 30.0, size=(n, 4))
    X[:, 1] = -X[:, 1]                                  # a negative feature (a trend, say)
    X[rng.random(n) < 0.2, 2] = np.nan                  # a feature with missing values
    X[:, 3] = 5.0                                       # a constant feature
    logit = 1.5 - 0.05 * X[:, 0] + 0.02 * np.abs(X[:, 1]) ** 1.2 / 10
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


def test_fast_scores_equal_the_basis_expansion_inside_and_outside_the_training_range():
    rng = np.random.default_rng(7)
    X, y = _data(4000, rng)
    model = AdditiveLogistic().fit(X, y)
    wide = np.vstack([X, X * 4.0, -X])                  # far past both ends of every feature
    expanded = model.model_.predict_proba(model.inputs_.transform(wide))
    assert np.abs(model.predict_proba(wide) - expanded).max() < 1e-12
    # 4 knots, degree 2: 5 bases per feature, and one "missing" column (feature 2 only)
    assert model.inputs_.transform(X).shape == (4000, 4 * 5 + 1)
    assert model.inputs_.missing_.tolist() == [2]


def test_each_curve_continues_linearly_past_the_last_knot():
    rng = np.random.default_rng(8)
    X, y = _data(4000, rng)
    model = AdditiveLogistic().fit(X, y)
    base = np.tile(np.nanmedian(X, axis=0), (3, 1))
    # on feature 0, three points beyond the training range, evenly spaced on the model's scale
    inputs = model.inputs_
    top = inputs.splines_.bsplines_[0].t[-3]             # the end of the base interval
    z = top + np.array([1.0, 2.0, 3.0])
    base[:, 0] = np.expm1(z * inputs.scale_[0] + inputs.mean_[0])
    f = model.decision_function(base)
    assert f[2] - f[1] == pytest.approx(f[1] - f[0], rel=1e-9)


def test_inputs_are_standardised_log_values():
    X = np.array([[0.0], [np.e - 1], [np.e ** 2 - 1]])
    inputs = AdditiveLogInputs().fit(X)
    assert inputs.mean_ == pytest.approx([1.0])
    assert inputs.scale_ == pytest.approx([np.sqrt(2 / 3)])


def test_default_has_the_lowest_held_out_log_loss_and_its_calibration_method():
    from tests.models.test_churn import _simulated_features

    rng = np.random.default_rng(3)
    earlier, rate = _simulated_features(1500, rng)
    labels = (rng.poisson(rate * 60) == 0).astype(int)
    current, _ = _simulated_features(1500, rng, 60)
    risk = ChurnRisk(horizon_days=90, window_days=60).fit(earlier, labels, current)
    best = min(risk.window_fits_, key=lambda f: f.inner_log_loss)
    assert risk.chosen_ == best.name
    assert set(risk.calibration_methods_.values()) <= {"isotonic", "platt"}
    for fixed in ("isotonic", "platt"):
        one = ChurnRisk(horizon_days=90, window_days=60, calibration=fixed).fit(
            earlier, labels, current)
        assert set(one.calibration_methods_.values()) == {fixed}
        # "auto" keeps, per candidate, the lower of the two held-out log losses
        for auto_fit, fixed_fit in zip(risk.window_fits_, one.window_fits_):
            assert auto_fit.inner_log_loss <= fixed_fit.inner_log_loss + 1e-12
    with pytest.raises(ValueError, match="unknown calibration"):
        ChurnRisk(horizon_days=90, window_days=60, calibration="beta").fit(
            earlier, labels, current)


@pytest.mark.parametrize("method", ["gradient_boosting", "logistic"])
def test_scores_in_chunks_on_all_cores_equal_one_pass(method, monkeypatch):
    """Many customers are scored in chunks by a pool of threads: every score is the one a
    single pass gives, in the customers' order."""
    import pandas as pd

    from cvm.models import churn_classifier
    from cvm.models.churn_classifier import CLASSIFIER_FEATURES, BehaviourChurnClassifier

    rng = np.random.default_rng(3)
    n = 2_000
    X = pd.DataFrame({c: rng.gamma(2.0, 30.0, n) for c in CLASSIFIER_FEATURES})
    X.loc[rng.random(n) < 0.2, "mean_gap_days"] = np.nan
    y = (X["recency_days"] + rng.normal(0, 30, n) > 60).astype(int).to_numpy()
    clf = BehaviourChurnClassifier(method, max_train_rows=600).fit(X, y)
    whole = clf.predict_proba(X)
    monkeypatch.setattr(churn_classifier, "SCORE_CHUNK_ROWS", 97)   # 21 chunks, the last short
    chunked = clf.predict_proba(X)
    np.testing.assert_array_equal(chunked, whole)
    assert len(np.unique(whole[:, 1])) > 100     # scores that differ between customers


def test_missing_values_are_zero_and_infinities_the_largest_numbers_before_the_log():
    from cvm.models.churn_classifier import _zero_missing

    X = np.array([[np.nan, 1.5, -2.0], [np.inf, -np.inf, 0.0]])
    np.testing.assert_array_equal(_zero_missing(X), np.nan_to_num(X, nan=0.0))
    np.testing.assert_array_equal(_zero_missing(X[:1]), [[0.0, 1.5, -2.0]])
