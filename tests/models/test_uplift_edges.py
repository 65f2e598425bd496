"""The uplift models and groups on cases small enough to compute by hand."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import HistGradientBoostingClassifier
from threadpoolctl import threadpool_limits

from cvm.models.uplift import ClassTransformationUplift, TwoModelUplift, uplift_segments

# six treated (four buyers: 2/3) and four controls (one buyer: 1/4); the true uplift of a
# classifier that only knows each group's rate is 2/3 − 1/4 = 5/12
W = np.array([1, 1, 1, 1, 1, 1, 0, 0, 0, 0])
Y = np.array([1, 1, 1, 1, 0, 0, 1, 0, 0, 0])
X = np.arange(10, dtype=float).reshape(-1, 1)


def test_two_model_with_the_group_rates_by_hand():
    # DummyClassifier("prior") predicts its training rate: p̂_t = 4/6, p̂_c = 1/4
    model = TwoModelUplift(DummyClassifier(strategy="prior")).fit(X, W, Y)
    assert isinstance(model.model_treated_, DummyClassifier)  # the classifier given, cloned
    assert model.model_treated_ is not model.model_control_
    p_t, p_c = model.predict_outcomes(X[:3])
    np.testing.assert_allclose(p_t, [4 / 6] * 3, rtol=1e-15)
    np.testing.assert_allclose(p_c, [1 / 4] * 3, rtol=1e-15)
    np.testing.assert_allclose(model.predict(X[:3]), [4 / 6 - 1 / 4] * 3, rtol=1e-15)


def test_class_transformation_with_the_group_rates_by_hand():
    # Z = 1 for the 4 treated buyers and the 3 control non-buyers. Weights 0.5 / 0.6 for the
    # treated and 0.5 / 0.4 for the controls (equal totals, 5 and 5): P(Z=1) = (4·5/6 + 3·5/4)
    # / 10 = 17/24, and 2·17/24 − 1 = 5/12, the difference of the rates (eq. 3). Unweighted,
    # P(Z=1) would be 7/10 and the uplift 0.4.
    model = ClassTransformationUplift(DummyClassifier(strategy="prior")).fit(X, W, Y)
    assert isinstance(model.model_, DummyClassifier)
    np.testing.assert_allclose(model.model_.class_prior_, [7 / 24, 17 / 24], rtol=1e-14)
    np.testing.assert_allclose(model.predict(X[:3]), [5 / 12] * 3, rtol=1e-14)
    # the groups swapped: controls the larger group
    model = ClassTransformationUplift(DummyClassifier(strategy="prior")).fit(X, 1 - W, Y)
    # treated 1 of 4 buy, controls 4 of 6: −5/12
    np.testing.assert_allclose(model.predict(X[:1]), [-5 / 12], rtol=1e-14)


def test_default_classifier():
    # histogram gradient boosting with these settings (they fix the scores the demo shows)
    rng = np.random.default_rng(3)
    Xr = rng.normal(size=(80, 2))
    w = np.tile([0, 1], 40)
    y = np.tile([0, 0, 1, 1], 20)
    expected = {"max_depth": 3, "max_iter": 150, "learning_rate": 0.05, "random_state": 0}
    with threadpool_limits(1):
        two = TwoModelUplift().fit(Xr, w, y)
        ct = ClassTransformationUplift().fit(Xr, w, y)
    for fitted in (two.model_treated_, two.model_control_, ct.model_):
        assert isinstance(fitted, HistGradientBoostingClassifier)
        params = fitted.get_params()
        assert {k: params[k] for k in expected} == expected


@pytest.mark.parametrize("model", [TwoModelUplift, ClassTransformationUplift])
def test_the_groups_each_model_refuses(model):
    est = DummyClassifier(strategy="prior")
    for w, y in [(np.where(W == 1, 2, 0), Y),  # a treatment of 2, outcomes fine
                 (W, np.where(Y == 1, 2, 0))]:  # an outcome of 2, treatment fine
        with pytest.raises(ValueError, match="only 0 and 1"):
            model(est).fit(X, w, y)
    for w in (np.ones(10, int), np.zeros(10, int)):
        with pytest.raises(ValueError, match="both treated and control"):
            model(est).fit(X, w, Y)
    treated_all_buy = np.where(W == 1, 1, Y)
    control_none_buy = np.where(W == 0, 0, Y)
    for y in (treated_all_buy, control_none_buy):
        with pytest.raises(ValueError, match="with and without the outcome"):
            model(est).fit(X, W, y)
    # one of each outcome in each group is enough
    y = np.array([1, 0, 0, 0, 0, 0, 1, 0, 0, 0])
    assert model(est).fit(X, W, y).predict(X[:1]).shape == (1,)


def test_segments_at_their_bounds():
    # the defaults: min_uplift 0.02 and sure_rate 0.5, both bounds inclusive
    seg = uplift_segments([0.02, -0.02, 0.019, 0.019, -0.019, 0.5], [0.9, 0.9, 0.5, 0.499, 0.1, 0])
    assert seg.tolist() == ["persuadable", "do_not_disturb", "sure_thing", "lost_cause",
                            "lost_cause", "persuadable"]
    seg = uplift_segments([0.1, 0.1, -0.1], [0.6, 0.6, 0.6], min_uplift=0.1, sure_rate=0.7)
    assert seg.tolist() == ["persuadable", "persuadable", "do_not_disturb"]
    seg = uplift_segments([0.05], [0.6], min_uplift=0.1, sure_rate=0.7)
    assert seg.tolist() == ["lost_cause"]
