"""ChurnRisk's fitting, calibration choice, scoring and reason on the small hand-made history
of tests/models/churn_data.py (53 customers known at the cut-off, 54 at the as-of date): every
step redone here from its parts — the purchase models at the cut-off and at the as-of date
(the later fit started from the earlier one), the window scores, the random samples and halves
drawn from the seed, each candidate's held-out calibrated figures and method, the default, the
calibration on the whole window, the scores carried to the horizon; a model lost at the as-of
date, one that did not converge, none fitted; the tie between calibration methods; and the
reason in both languages from hand-set figures."""

from __future__ import annotations

import copy
import datetime as dt
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from churn_data import AS_OF, history, table, window_labels

import cvm.models.churn as churn
from cvm.features.behaviour import behaviour_features
from cvm.models import BGNBD, MBGNBD, ParetoNBD
from cvm.models._base import NotFittedError
from cvm.models.churn import (CALIBRATIONS, CandidateFit, ChurnCalibration, ChurnRisk,
                              _log_loss, _selection_key, probability_no_purchase,
                              rf_data)
from cvm.models.churn_classifier import MODEL_FEATURE_PREFIX, BehaviourChurnClassifier
from cvm.models.churn_metrics import roc_auc
from cvm.models.churn_validation import _frame
from cvm.models.selection import PURCHASE_MODELS

H, L = 42, 28          # horizon six weeks, window four: the window scores are carried
ALL = ("paretonbd", "bgnbd", "mbgnbd", "recency", "gradient_boosting", "logistic")


@pytest.fixture(scope="module")
def data():
    rows = history()
    eng, t = table(rows, "churn_risk_tx")
    cutoff = AS_OF - dt.timedelta(days=L)
    earlier = _frame(eng.to_arrow, behaviour_features(t, as_of=cutoff, window_days=L))
    current = _frame(eng.to_arrow, behaviour_features(t, as_of=AS_OF, window_days=L))
    known, y = window_labels(rows, AS_OF, L)
    assert earlier["customer_id"].tolist() == known and len(current) == 54
    return SimpleNamespace(earlier=earlier, current=current, y=np.array(y))


@pytest.fixture(scope="module")
def fitted(data):
    return ChurnRisk(horizon_days=H, window_days=L).fit(data.earlier, data.y, data.current)


def _fit_model(name, features, init=None):
    # on one BLAS thread, as ChurnRisk fits them: on data that leave the dropout process
    # unidentified the optimum lies on a ridge, and where on it a fit stops depends on the
    # rounding of the sums
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return PURCHASE_MODELS[name](initial_params=init).fit(
            churn._Histories(features, 7.0).table())


def _held_out(s, y, half, method):
    held = np.empty(len(y))
    for k in (0, 1):
        cal = ChurnCalibration(method).fit(s[half != k], y[half != k])
        held[half == k] = cal.predict(s[half == k])
    return held


def _figures_by_hand(risk, y, half, methods=CALIBRATIONS):
    """Each candidate's CandidateFit with the method of lower held-out log loss."""
    fits = []
    for name, s in risk.window_scores_.items():
        tried = []
        for method in methods:
            held = _held_out(s, y, half, method)
            tried.append(CandidateFit(name, roc_auc(y, s), float(np.mean((held - y) ** 2)),
                                      _log_loss(y, held), method))
        fits.append(min(tried, key=lambda f: f.inner_log_loss))
    return fits


def test_defaults():
    risk = ChurnRisk(horizon_days=H)
    assert risk.candidates == ALL
    assert (risk.window_days, risk.calibration, risk.unit_days) == (None, "auto", 7.0)
    assert (risk.max_fit_rows, risk.max_window_rows, risk.max_train_rows) == (50_000, 120_000,
                                                                              50_000)
    assert risk.random_state == 0
    with pytest.raises(NotFittedError, match="not fitted yet"):
        risk.predict(pd.DataFrame({"customer_id": ["a"]}))


def test_fit_step_by_step(data, fitted):
    risk, earlier, current, y = fitted, data.earlier, data.current, data.y
    assert risk.window_days_ == L
    # the purchase models: at the cut-off from the default start, at the as-of date from the
    # cut-off's estimates where that fit converged
    assert list(risk.models_then_) == list(risk.models_now_) == ["paretonbd", "bgnbd", "mbgnbd"]
    assert any(m.converged_ for m in risk.models_then_.values())
    for name, then in risk.models_then_.items():
        assert then.params_ == _fit_model(name, earlier).params_, name
        init = dict(then.params_) if then.converged_ else None
        assert risk.models_now_[name].params_ == _fit_model(name, current, init).params_, name
    pool = {k: m for k, m in risk.models_now_.items() if m.converged_} or risk.models_now_
    assert risk.reference_model_ == max(pool, key=lambda k: pool[k].log_likelihood_)
    assert risk.carry_models_ == tuple(k for k in ("paretonbd", "bgnbd", "mbgnbd") if k in pool)
    # the window scores: P(none in L) of each model at the cut-off, the rule d / (d + L), each
    # classifier's out-of-fold scores learned with the models' P(none in L) as features
    assert list(risk.window_scores_) == list(ALL)
    rf = rf_data(earlier, 7.0)
    model_window = {}
    for name, model in risk.models_then_.items():
        model_window[name] = probability_no_purchase(model, rf, L / 7.0)
        np.testing.assert_allclose(risk.window_scores_[name], model_window[name], rtol=1e-12)
    d = earlier["recency_days"].to_numpy(dtype=float)
    np.testing.assert_allclose(risk.window_scores_["recency"], d / (d + L), rtol=1e-15)
    features = earlier.assign(**{f"{MODEL_FEATURE_PREFIX}{k}": p for k, p in model_window.items()})
    for name in ("gradient_boosting", "logistic"):
        clf = BehaviourChurnClassifier(name, max_train_rows=50_000, random_state=0)._fit(
            features, y)
        assert risk.classifiers_[name].features_ == clf.features_
        assert f"{MODEL_FEATURE_PREFIX}mbgnbd" in clf.features_
        np.testing.assert_allclose(risk.window_scores_[name], clf.oof_proba_, rtol=1e-9)
    assert risk.window_labels_.tolist() == y.tolist()
    assert risk.window_base_rate_ == pytest.approx(y.mean(), rel=1e-15)
    # no sample drawn (53 customers): the halves are the seed's first permutation
    half = np.random.default_rng(0).permutation(len(y)) % 2
    fits = _figures_by_hand(risk, y, half)
    assert [f.name for f in risk.window_fits_] == list(ALL)
    for got, want in zip(risk.window_fits_, fits):
        assert got.calibration == want.calibration, got.name
        assert got.inner_auc == pytest.approx(want.inner_auc, rel=1e-12)
        assert got.inner_brier == pytest.approx(want.inner_brier, rel=1e-9)
        assert got.inner_log_loss == pytest.approx(want.inner_log_loss, rel=1e-9)
    assert len({f.calibration for f in fits}) == 2            # both methods win somewhere
    assert risk.chosen_ == min(fits, key=_selection_key).name
    assert risk.calibration_methods_ == {f.name: f.calibration for f in fits}
    grid = np.linspace(0, 1, 11)
    for name, s in risk.window_scores_.items():
        want = ChurnCalibration(risk.calibration_methods_[name]).fit(s, y).predict(grid)
        np.testing.assert_allclose(risk.calibrations_[name].predict(grid), want, rtol=1e-9,
                                   atol=1e-12)


def test_scores_carried_to_the_horizon(data, fitted):
    risk, current = fitted, data.current
    got = risk.predict(current)
    assert got.columns.tolist() == ["customer_id", *(f"{p}_{n}" for n in ALL
                                                     for p in ("score", "calibrated")),
                                    "churn_risk", "churn_model"]
    assert got["customer_id"].tolist() == current["customer_id"].tolist()
    rf = rf_data(current, 7.0)
    at = {k: (probability_no_purchase(m, rf, L / 7.0), probability_no_purchase(m, rf, H / 7.0))
          for k, m in risk.models_now_.items()}

    def calibrated(name, window, carry):
        return np.clip(risk.calibrations_[name].predict(window) * carry, 0.0, 1.0)

    for name, (window, raw) in at.items():
        np.testing.assert_allclose(got[f"score_{name}"], raw, rtol=1e-12)
        np.testing.assert_allclose(got[f"calibrated_{name}"],
                                   calibrated(name, window, np.where(window > 0, raw / window, 0)),
                                   rtol=1e-9, atol=1e-15)
    carry = np.mean([np.where(at[k][0] > 0, at[k][1] / at[k][0], 0.0)
                     for k in risk.carry_models_], axis=0)
    assert carry.shape == (54,) and carry.min() < 0.99
    d = current["recency_days"].to_numpy(dtype=float)
    np.testing.assert_allclose(got["score_recency"], d / (d + H), rtol=1e-15)
    np.testing.assert_allclose(got["calibrated_recency"], calibrated("recency", d / (d + L), carry),
                               rtol=1e-9, atol=1e-15)
    features = current.assign(**{f"{MODEL_FEATURE_PREFIX}{k}": p[0] for k, p in at.items()})
    for name in ("gradient_boosting", "logistic"):
        window = risk.classifiers_[name].predict_proba(features)[:, 1]
        np.testing.assert_allclose(got[f"score_{name}"], window * carry, rtol=1e-9)
        np.testing.assert_allclose(got[f"calibrated_{name}"], calibrated(name, window, carry),
                                   rtol=1e-9, atol=1e-15)
    assert np.array_equal(got["churn_risk"], got[f"calibrated_{risk.chosen_}"])
    assert (got["churn_model"] == risk.chosen_).all()
    only = risk.predict(current, chosen_only=True)
    assert only.columns.tolist() == ["customer_id", f"score_{risk.chosen_}",
                                     f"calibrated_{risk.chosen_}", "churn_risk", "churn_model"]
    pd.testing.assert_frame_equal(only, got[only.columns.tolist()])


def test_carried_scores_never_above_1(data, fitted):
    """The calibrated score times the carry is clipped to [0, 1], whatever the calibration
    gives: here a stand-in calibration that says 1.5 for everyone."""
    risk = copy.copy(fitted)
    risk.calibrations_ = {name: SimpleNamespace(predict=lambda w: np.full(len(w), 1.5))
                          for name in fitted.calibrations_}
    got = risk.predict(data.current)
    for name in ALL:
        assert got[f"calibrated_{name}"].max() == 1.0, name
    # below the clip the score is 1.5 times the carry
    rf = rf_data(data.current, 7.0)
    window, raw = (probability_no_purchase(risk.models_now_["paretonbd"], rf, t / 7.0)
                   for t in (L, H))
    want = np.minimum(1.5 * np.where(window > 0, raw / window, 0.0), 1.0)
    np.testing.assert_allclose(got["calibrated_paretonbd"], want, rtol=1e-12)
    assert (want < 1.0).any() and (want == 1.0).any()


def test_some_candidates_a_window_as_long_as_the_horizon(data):
    risk = ChurnRisk(horizon_days=L, window_days=L, candidates=("bgnbd", "recency"),
                     calibration="isotonic").fit(data.earlier, data.y, data.current)
    # Pareto/NBD is always fitted (the carry), the other models only when they are candidates
    assert list(risk.models_then_) == ["paretonbd", "bgnbd"]
    assert list(risk.window_scores_) == ["bgnbd", "recency"]
    assert risk.classifiers_ == {}
    assert risk.calibration_methods_ == {"bgnbd": "isotonic", "recency": "isotonic"}
    half = np.random.default_rng(0).permutation(len(data.y)) % 2
    fits = _figures_by_hand(risk, data.y, half, ("isotonic",))
    assert [round(f.inner_log_loss, 9) for f in risk.window_fits_] == [
        round(f.inner_log_loss, 9) for f in fits]
    risk = ChurnRisk(horizon_days=L, candidates=("recency",)).fit(data.earlier, data.y,
                                                                  data.current)
    assert risk.window_days_ == L and list(risk.models_then_) == ["paretonbd"]
    got = risk.predict(data.current)
    d = data.current["recency_days"].to_numpy(dtype=float)
    np.testing.assert_allclose(got["score_recency"], d / (d + L), rtol=1e-15)


def test_samples_drawn_from_the_seed(data):
    earlier, current, y = data.earlier, data.current, data.y
    risk = ChurnRisk(horizon_days=H, window_days=L, candidates=("paretonbd", "recency",
                                                                "gradient_boosting"),
                     max_fit_rows=30, max_window_rows=40, max_train_rows=15, random_state=5
                     ).fit(earlier, y, current)
    rng = np.random.default_rng(5)
    rows_then = np.sort(rng.choice(53, 30, replace=False))
    rows_now = np.sort(rng.choice(54, 30, replace=False))
    rows = np.sort(rng.choice(53, 40, replace=False))
    then = _fit_model("paretonbd", earlier.iloc[rows_then])
    assert risk.models_then_["paretonbd"].params_ == then.params_
    init = dict(then.params_) if then.converged_ else None
    assert risk.models_now_["paretonbd"].params_ == _fit_model(
        "paretonbd", current.iloc[rows_now], init).params_
    # 40 window customers, more than twice the classifier's 15: one model on 15 drawn, the
    # other 25 scored out of sample, and only they are judged
    mask = risk.classifiers_["gradient_boosting"].oof_mask_
    assert mask.sum() == 25
    sample = earlier.iloc[rows]
    assert risk.window_labels_.tolist() == y[rows][mask].tolist()
    d = sample["recency_days"].to_numpy(dtype=float)[mask]
    np.testing.assert_allclose(risk.window_scores_["recency"], d / (d + L), rtol=1e-15)
    half = rng.permutation(25) % 2
    fits = _figures_by_hand(risk, y[rows][mask], half)
    for got, want in zip(risk.window_fits_, fits):
        assert (got.name, got.calibration) == (want.name, want.calibration)
        assert got.inner_log_loss == pytest.approx(want.inner_log_loss, rel=1e-9)


class _LostLater(MBGNBD):
    """MBG/NBD that fits once, at the cut-off, and fails at the as-of date."""

    fits = 0

    def fit(self, data):
        type(self).fits += 1
        if type(self).fits > 1:
            raise ValueError("not this time")
        return super().fit(data)


def _converged(cls, flag: bool):
    """``cls`` whose fits all report ``converged_`` = ``flag``."""
    class Fixed(cls):
        def fit(self, data):
            super().fit(data)
            self.converged_ = flag
            return self
    return Fixed


def test_a_model_lost_at_the_as_of_date(data, monkeypatch):
    monkeypatch.setitem(PURCHASE_MODELS, "mbgnbd", _LostLater)
    monkeypatch.setattr(_LostLater, "fits", 0)
    risk = ChurnRisk(horizon_days=H, window_days=L, candidates=("mbgnbd", "recency", "logistic")
                     ).fit(data.earlier, data.y, data.current)
    assert list(risk.models_then_) == ["paretonbd", "mbgnbd"]
    assert list(risk.models_now_) == ["paretonbd"]
    assert list(risk.window_scores_) == ["recency", "logistic"]
    assert risk.carry_models_ == ("paretonbd",)
    # the classifier learned again without the lost model's probability
    features = risk.classifiers_["logistic"].features_
    assert f"{MODEL_FEATURE_PREFIX}paretonbd" in features
    assert f"{MODEL_FEATURE_PREFIX}mbgnbd" not in features
    got = risk.predict(data.current)
    assert got.columns.tolist() == ["customer_id", "score_recency", "calibrated_recency",
                                    "score_logistic", "calibrated_logistic", "churn_risk",
                                    "churn_model"]


def test_models_that_did_not_converge(data, monkeypatch):
    models = {"paretonbd": ParetoNBD, "bgnbd": BGNBD, "mbgnbd": MBGNBD}
    for name, flag in (("paretonbd", True), ("bgnbd", False), ("mbgnbd", False)):
        monkeypatch.setitem(PURCHASE_MODELS, name, _converged(models[name], flag))
    risk = ChurnRisk(horizon_days=H, window_days=L, candidates=("bgnbd", "mbgnbd", "recency")
                     ).fit(data.earlier, data.y, data.current)
    lls = {k: m.log_likelihood_ for k, m in risk.models_now_.items()}
    assert max(lls, key=lls.get) != "paretonbd"
    # the carry and the reference model come from the converged fits only
    assert risk.carry_models_ == ("paretonbd",)
    assert risk.reference_model_ == "paretonbd"
    # none converged: all are used, the reference is the highest log-likelihood
    monkeypatch.setitem(PURCHASE_MODELS, "paretonbd", _converged(ParetoNBD, False))
    risk = ChurnRisk(horizon_days=H, window_days=L, candidates=("bgnbd", "mbgnbd", "recency")
                     ).fit(data.earlier, data.y, data.current)
    assert risk.carry_models_ == ("paretonbd", "bgnbd", "mbgnbd")
    lls = {k: m.log_likelihood_ for k, m in risk.models_now_.items()}
    assert risk.reference_model_ == max(lls, key=lls.get)
    assert min(lls.values()) < max(lls.values())


def test_no_purchase_model_fitted(data, monkeypatch):
    class Never:
        def __init__(self, initial_params=None):
            pass

        def fit(self, d):
            raise ValueError("no repeat buyer")

    for name in ("paretonbd", "bgnbd", "mbgnbd"):
        monkeypatch.setitem(PURCHASE_MODELS, name, Never)
    with pytest.raises(ValueError, match="no purchase model could be fitted"):
        ChurnRisk(horizon_days=H, window_days=L, candidates=("recency",)).fit(
            data.earlier, data.y, data.current)


def test_calibration_methods_tied_to_12_decimals_keep_isotonic(data, monkeypatch):
    losses = iter([0.3 + 4e-13, 0.3, 0.31, 0.3])
    monkeypatch.setattr(churn, "_log_loss", lambda y, p: next(losses))
    risk = ChurnRisk(horizon_days=H, window_days=L, candidates=("recency",)).fit(
        data.earlier, data.y, data.current)
    assert risk.calibration_methods_ == {"recency": "isotonic"}
    assert risk.window_fits_[0].inner_log_loss == 0.3 + 4e-13
    risk = ChurnRisk(horizon_days=H, window_days=L, candidates=("recency",)).fit(
        data.earlier, data.y, data.current)
    assert risk.calibration_methods_ == {"recency": "platt"}


def test_reason_from_hand_set_figures():
    risk = ChurnRisk(horizon_days=H)
    risk.window_days_ = 28
    risk.window_fits_ = [CandidateFit("logistic", 0.7412, 0.1876, 0.51234, "platt"),
                         CandidateFit("recency", 0.65, 0.2001, 0.50111, "isotonic"),
                         CandidateFit("bgnbd", 0.7, 0.21, 0.6, "platt")]
    assert risk.reason() == (
        "The default is recency rule: on the 28 days before the as-of date (features taken at "
        "the start of that window, nothing after the as-of date used) its calibrated score had "
        "the lowest log loss, 0.5011 (Brier score 0.2001, AUC 0.650; others: logistic "
        "regression 0.5123, BG/NBD 0.6000), each customer's calibration fitted on the other "
        "half of the customers; it is calibrated (isotonic, of isotonic and Platt the one with "
        "the lower held-out log loss) on what customers did in that window.")
    assert risk.reason("zh") == (
        "默认采用最近购买规则:在截止日前 28 天的窗口中(特征取自窗口开始时,未使用截止日之后的数据),"
        "它校准后的对数损失最低,为 0.5011(Brier 分数 0.2001,AUC 0.650;其余:逻辑回归 0.5123, "
        "BG/NBD 0.6000);每位客户的校准都在另一半客户上拟合。最终按该窗口的实际流失率做了保序回归"
        "校准(保序回归与 Platt 中留出对数损失较低者)。")
    risk.window_fits_ = risk.window_fits_[:1]
    assert "others: )" in risk.reason() and "calibrated (Platt," in risk.reason()
    assert "做了Platt校准" in risk.reason("zh")
