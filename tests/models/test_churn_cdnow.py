"""Churn risk on the whole CDNOW file: calibration end 1997-09-30, a 39-week holdout, churn =
no purchase in the holdout. The figures are the issue's targets; the ones not reached yet are
marked as known gaps with the measured figure, and fail loudly once reached."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest


@pytest.fixture(scope="module")
def validation(cdnow_master_path):
    from cvm.engine import duckdb_engine
    from cvm.models.churn_validation import validate_churn

    raw = pd.read_csv(cdnow_master_path, sep=r"\s+", dtype={"customer_id": str})
    tx = pd.DataFrame({"customer_id": raw["customer_id"],
                       "purchase_date": pd.to_datetime(raw["date"].astype(str),
                                                       format="%Y%m%d").dt.date,
                       "amount": raw["dollar_value"]})
    eng = duckdb_engine()
    table = eng.backend.create_table("cdnow", tx)
    return validate_churn(table, eng.to_arrow, calibration_end=dt.date(1997, 9, 30),
                          horizon_days=273, last_date=dt.date(1998, 6, 30))


def _auc(validation, name):
    return validation.metrics[name]["score"]["auc"]


def test_cdnow_setting(validation):
    s = validation.summary()
    assert (s["customers"], s["holdout_end"], s["horizon_days"]) == (23570, "1998-06-30", 273)
    assert s["holdout_churn_rate"] == pytest.approx(16512 / 23570)
    # half the customers have 229 days of history at the calibration end: window 114 days
    assert (s["window_days"], s["training_cutoff"]) == (114, "1997-06-08")


def test_best_model_based_score_reaches_auc_076(validation):
    best = max(_auc(validation, m) for m in ("paretonbd", "bgnbd", "mbgnbd"))
    assert best >= 0.76
    assert _auc(validation, "paretonbd") == pytest.approx(0.7627, abs=5e-4)


def test_bgnbd_p_alive_would_rank_worse_than_chance_and_is_not_used(validation):
    from cvm.models.churn_metrics import roc_auc

    bg = validation.result.risk.models_now_["bgnbd"]
    from cvm.models.churn import rf_data

    data = rf_data(validation.result.features, 7.0)
    y = validation.scores["churned_in_holdout"].to_numpy()
    assert roc_auc(y, 1 - bg.probability_alive(data)) < 0.5
    assert _auc(validation, "bgnbd") > 0.74
    assert validation.summary()["chosen"] in validation.candidates
    assert validation.scores["churn_model"].iloc[0] != "probability_alive"


def test_classifier_reaches_auc_077(validation):
    # logistic regression on spline bases of the log features (an additive model)
    assert max(_auc(validation, c) for c in ("gradient_boosting", "logistic")) >= 0.77
    assert _auc(validation, "logistic") == pytest.approx(0.7703, abs=5e-4)


def test_classifier_figures(validation):
    assert _auc(validation, "gradient_boosting") >= 0.76
    # the plain baselines the issue names: 0.767 and 0.771
    assert _auc(validation, "logistic") > 0.767


def test_default_is_chosen_by_held_out_log_loss_with_its_calibration(validation):
    s = validation.summary()
    fits = s["window_figures"]
    assert s["chosen"] == min(fits, key=lambda c: fits[c]["log_loss"]) == "logistic"
    assert fits["logistic"]["calibration"] == "platt"
    # choosing a calibration keeps the ranking (Platt is monotone)
    assert validation.metrics["churn_risk"]["auc"] == pytest.approx(_auc(validation, "logistic"),
                                                             abs=1e-4)


def test_chosen_churn_risk_is_calibrated_within_003(validation):
    # the classifier's calibrated window probability carried to the horizon by the mean of the
    # purchase models' conditionals (by MBG/NBD's alone, the best-fitting model: 0.0318)
    assert validation.metrics["churn_risk"]["ece"] <= 0.03


def test_chosen_churn_risk_calibration_figure(validation):
    assert validation.result.risk.carry_models_ == ("paretonbd", "bgnbd", "mbgnbd")
    assert validation.metrics["churn_risk"]["ece"] == pytest.approx(0.0285, abs=1e-3)
    assert validation.metrics["churn_risk"]["brier"] < 0.160


def test_calibration_brings_the_model_scores_within_003(validation):
    # carried from the 114-day window to the 273-day horizon by each model's own conditional
    for name in ("paretonbd", "mbgnbd"):
        assert validation.metrics[name]["calibrated"]["ece"] <= 0.03
        assert validation.metrics[name]["score"]["ece"] > 0.05
    assert validation.metrics["churn_risk"]["ece"] <= 0.05


def test_no_customer_is_told_0_or_100_percent(validation):
    for column in ("churn_risk", "calibrated_paretonbd", "calibrated_gradient_boosting"):
        risk = validation.scores[column]
        assert risk.between(0, 1, inclusive="neither").all(), column
