"""Invariants, numerical stability, input validation and estimator conventions."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cvm.models import BGBB, BGNBD, MBGNBD, GammaGamma, ParetoNBD, ShiftedBetaGeometric

FITTED = {
    BGNBD: {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
    MBGNBD: {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614},
    ParetoNBD: {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669},
}
RF_MODELS = list(FITTED)


def with_params(cls, params):
    model = cls()
    model.params_ = dict(params)
    return model


@st.composite
def histories(draw, max_x=5000, max_T=10_000.0):
    T = draw(st.floats(0.0, max_T, allow_nan=False))
    # a repeat purchase comes after the first one: t_x > 0 when x > 0
    x = draw(st.integers(0, max_x)) if T >= 1e-6 else 0
    t_x = 0.0 if x == 0 else draw(st.floats(1e-6, 1.0)) * T
    return {"frequency": [float(x)], "recency": [t_x], "T": [T]}


params_strategy = st.fixed_dictionaries({
    "r": st.floats(0.05, 20), "alpha": st.floats(0.5, 200), "a": st.floats(0.05, 20), "b": st.floats(0.05, 20),
    "s": st.floats(0.05, 20), "beta": st.floats(0.5, 200),
})


def model_from(cls, p):
    names = ("r", "alpha", "s", "beta") if cls is ParetoNBD else ("r", "alpha", "a", "b")
    return with_params(cls, {k: p[k] for k in names})


@pytest.mark.parametrize("cls", RF_MODELS, ids=lambda c: c.__name__)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(p=params_strategy, h=histories(), t1=st.floats(0.1, 200), dt=st.floats(0.1, 200))
def test_probability_alive_in_unit_interval_and_expectations_increase(cls, p, h, t1, dt):
    model = model_from(cls, p)
    alive = model.probability_alive(h)[0]
    assert 0.0 <= alive <= 1.0
    e1 = model.expected_purchases(t1, h)[0]
    e2 = model.expected_purchases(t1 + dt, h)[0]
    assert np.isfinite(e1) and np.isfinite(e2)
    assert 0.0 <= e1 <= e2 * (1 + 1e-9) + 1e-12
    n1 = model.expected_purchases_new_customer(t1)
    n2 = model.expected_purchases_new_customer(t1 + dt)
    assert 0.0 <= n1 <= n2 * (1 + 1e-9) + 1e-12


@pytest.mark.parametrize("cls", RF_MODELS, ids=lambda c: c.__name__)
@settings(max_examples=40, deadline=None)
@given(p=params_strategy, h=histories())
def test_likelihood_finite_for_long_histories_and_large_counts(cls, p, h):
    # lifetimes' users met NaN and overflow here (its issues #332, #302, #442, #90)
    model = model_from(cls, p)
    stats = model._statistics(h)
    ll, grad = model._log_likelihood(np.array([model.params_[k] for k in model.param_names]), stats)
    assert np.isfinite(ll)
    assert np.all(np.isfinite(grad))


@pytest.mark.parametrize("cls", RF_MODELS, ids=lambda c: c.__name__)
def test_extreme_histories_score_without_nan(cls):
    model = with_params(cls, FITTED[cls])
    data = pd.DataFrame({"frequency": [0, 1, 3000, 5000, 200, 5000],
                         "recency": [0, 0.5, 9999, 10_000, 10, 1],
                         "T": [10_000, 10_000, 10_000, 10_000, 10_000, 10_000]})
    alive = model.probability_alive(data)
    expected = model.expected_purchases(52, data)
    assert np.all(np.isfinite(alive)) and np.all((alive >= 0) & (alive <= 1))
    assert np.all(np.isfinite(expected)) and np.all(expected >= 0)
    # a heavy buyer who bought until the end is alive and keeps buying at about x / T
    assert alive[3] > 0.99
    assert expected[3] == pytest.approx(52 * 5000 / 10_000, rel=0.05)
    # a heavy buyer silent for 10,000 weeks is gone
    assert alive[5] < 1e-6 and expected[5] < 1e-4


def test_fit_on_long_histories_is_finite():
    # 2,000 customers watched for up to 10,000 weeks, many with thousands of purchases
    import simulate

    rng = np.random.default_rng(3)
    data = simulate.paretonbd(2000, 2.0, 10.0, 0.5, 2000.0, rng, T=10_000.0)
    assert data["frequency"].max() > 2000
    for cls in RF_MODELS:
        model = cls().fit(data)
        assert np.isfinite(model.log_likelihood_)
        assert all(np.isfinite(v) for v in model.params_.values())
        assert np.all(np.isfinite(model.expected_purchases(52, data)))
        assert np.all(np.isfinite(model.probability_alive(data)))


@pytest.mark.parametrize("cls", RF_MODELS, ids=lambda c: c.__name__)
def test_probability_of_purchases_sums_to_one_and_matches_mean(cls):
    model = with_params(cls, FITTED[cls])
    n = np.arange(400)
    probs = model.probability_of_purchases(n, 39.0)
    assert np.all(probs >= 0)
    assert probs.sum() == pytest.approx(1.0, abs=1e-6)
    assert (n * probs).sum() == pytest.approx(float(model.expected_purchases_new_customer(39.0)), rel=1e-4)


def test_bgbb_pmf_sums_to_one_and_matches_mean():
    model = with_params(BGBB, {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783})
    probs = model.probability_of_purchases(np.arange(7), 6)
    assert probs.sum() == pytest.approx(1.0, abs=1e-12)
    assert (np.arange(7) * probs).sum() == pytest.approx(float(model.expected_purchases_new_customer(6)), rel=1e-10)
    # a new customer's expectation equals the conditional one with no history
    empty = {"frequency": [0], "recency": [0], "periods": [1]}
    alive = model.probability_alive(empty)
    assert np.all((alive >= 0) & (alive <= 1))


def test_bgnbd_pmf_sums_to_one_with_exact_zero_and_nonrepeat():
    model = with_params(BGNBD, FITTED[BGNBD])
    assert model.probability_alive({"frequency": [0], "recency": [0], "T": [100.0]})[0] == 1.0


# -- estimator conventions -------------------------------------------------------------------

def test_init_stores_hyperparameters_only_and_pickles(cdnow):
    model = BGNBD(tol=1e-8)
    assert not [k for k in vars(model) if k.endswith("_")]
    assert model.fit(cdnow) is model
    clone = pickle.loads(pickle.dumps(model))
    assert clone.params_ == model.params_
    assert np.array_equal(clone.expected_purchases(10, cdnow), model.expected_purchases(10, cdnow))
    assert not any(callable(v) for v in vars(model).values())
    for cls, data in ((ParetoNBD, cdnow), (GammaGamma, cdnow)):
        fitted = cls().fit(data)
        assert pickle.loads(pickle.dumps(fitted)).params_ == fitted.params_


def test_fit_does_not_modify_input(cdnow):
    before = cdnow.copy()
    BGNBD().fit(cdnow)
    pd.testing.assert_frame_equal(cdnow, before)


def test_unfitted_model_says_so():
    with pytest.raises(ValueError, match="not fitted"):
        BGNBD().probability_alive({"frequency": [0], "recency": [0], "T": [1]})


@pytest.mark.parametrize("cls", [BGNBD, ParetoNBD, MBGNBD, GammaGamma], ids=lambda c: c.__name__)
def test_no_repeat_purchases_is_a_clear_error(cls):
    data = {"frequency": [0, 0, 0], "recency": [0, 0, 0], "T": [10, 20, 30], "monetary_value": [0, 0, 0]}
    with pytest.raises(ValueError, match="repeat purchase"):
        cls().fit(data)


@pytest.mark.parametrize(("data", "message"), [
    ({"frequency": [1, -1], "recency": [1, 0], "T": [2, 2]}, "'frequency' must be >= 0"),
    ({"frequency": [1, 2], "recency": [3, 1], "T": [2, 2]}, "must not exceed 'T'"),
    ({"frequency": [0, 1], "recency": [1, 1], "T": [2, 2]}, "must be 0 when 'frequency' is 0"),
    ({"frequency": [1, 1], "recency": [1, 0], "T": [2, 2]}, "must be > 0 when 'frequency' > 0"),
    ({"frequency": [1.5], "recency": [1], "T": [2]}, "whole number"),
    ({"frequency": [1, np.nan], "recency": [1, 1], "T": [2, 2]}, "finite"),
    ({"frequency": [1], "recency": [1]}, "missing column"),
    ({"frequency": [1], "recency": [1], "T": [2], "weights": [-1]}, "'weights' must be >= 0"),
])
def test_input_validation_names_rule_and_row(data, message):
    with pytest.raises(ValueError, match=message):
        BGNBD().fit(data)


def test_repeat_purchase_at_time_zero_is_rejected_naming_the_first_row():
    # every repeat buyer with t_x = 0 made the likelihood unbounded and the predictions 0
    data = {"frequency": [0, 2, 1, 3], "recency": [0, 0.0, 4.0, 0.0], "T": [10, 10, 10, 10]}
    for cls in RF_MODELS:
        with pytest.raises(ValueError) as info:
            cls().fit(data)
        assert str(info.value) == (
            f"{cls.__name__}: 'recency' must be > 0 when 'frequency' > 0 (the last repeat purchase "
            "comes after the first purchase; purchases on the same day are one transaction); "
            "2 row(s) break this, the first is row 1 (frequency=2, recency=0)")
        with pytest.raises(ValueError, match="the first is row 1"):
            with_params(cls, FITTED[cls]).expected_purchases(10, data)


@pytest.mark.parametrize("cls", RF_MODELS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(("t", "message"), [
    (-1.0, "'t' (the prediction horizon) must be >= 0; 1 row(s) break this, the first is row 0 (t=-1)"),
    (np.nan, "'t' must be finite (no NaN or infinity); 1 row(s) break this, the first is row 0 (t=nan)"),
    (np.inf, "'t' must be finite (no NaN or infinity); 1 row(s) break this, the first is row 0 (t=inf)"),
    ([4.0, 2.0, -0.5, -3.0], "'t' (the prediction horizon) must be >= 0; 2 row(s) break this, the first is "
                             "row 2 (t=-0.5)"),
])
def test_prediction_horizon_must_be_finite_and_not_negative(cls, t, message):
    model = with_params(cls, FITTED[cls])
    history = {"frequency": [2], "recency": [30.43], "T": [38.86]}
    calls = [lambda: model.expected_purchases_new_customer(t), lambda: model.probability_of_purchases(1, t)]
    if np.ndim(t) == 0:
        calls.append(lambda: model.expected_purchases(t, history))
    for call in calls:
        with pytest.raises(ValueError) as info:
            call()
        assert str(info.value) == f"{cls.__name__}: {message}"
    # the boundary itself is a valid horizon: nothing is bought in no time
    assert model.expected_purchases(0.0, history)[0] == 0.0
    assert float(model.expected_purchases_new_customer(0.0)) == 0.0


def test_validation_reports_first_bad_row():
    with pytest.raises(ValueError, match=r"2 row\(s\) break this, the first is row 1 \(recency=5, T=2\)"):
        BGNBD().fit({"frequency": [1, 1, 1], "recency": [1, 5, 9], "T": [2, 2, 2]})


@pytest.mark.parametrize(("data", "message"), [
    ({"frequency": [2], "recency": [1], "periods": [6]}, "must not exceed 'recency'"),
    ({"frequency": [1], "recency": [7], "periods": [6]}, "must not exceed 'periods'"),
])
def test_bgbb_validation(data, message):
    with pytest.raises(ValueError, match=message):
        BGBB().fit(data)


@pytest.mark.parametrize(("data", "message"), [
    ({"period": [0, 1, 2], "alive": [100, 80, 90]}, "must not increase"),
    ({"period": [0, 2], "alive": [100, 80]}, "without gaps"),
    ({"period": [0, 1, 2], "alive": [100, 100, 100]}, "nobody churned"),
])
def test_sbg_validation(data, message):
    with pytest.raises(ValueError, match=message):
        ShiftedBetaGeometric().fit(data)


def test_gamma_gamma_validation():
    with pytest.raises(ValueError, match="must be > 0 when 'frequency' > 0"):
        GammaGamma().fit({"frequency": [1, 2], "monetary_value": [10.0, 0.0]})


def test_docstring_examples_run():
    import doctest

    import cvm.models.bgnbd
    import cvm.models.hyp2f1
    import cvm.models.sbg

    for module in (cvm.models.bgnbd, cvm.models.sbg, cvm.models.hyp2f1):
        failures, _ = doctest.testmod(module)
        assert failures == 0, module.__name__


def test_model_choice_on_threads_equals_the_fits_one_after_another(cdnow, monkeypatch):
    from cvm.models import selection

    together = selection.fit_purchase_model(cdnow)
    monkeypatch.setattr(selection.os, "cpu_count", lambda: 1)
    in_turn = selection.fit_purchase_model(cdnow)
    assert [c.name for c in together.candidates] == ["bgnbd", "paretonbd", "mbgnbd"]
    assert together.chosen.name == in_turn.chosen.name
    for a, b in zip(together.candidates, in_turn.candidates):
        assert (a.name, a.log_likelihood, a.model.params_, a.histogram_expected) == \
            (b.name, b.log_likelihood, b.model.params_, b.histogram_expected)
