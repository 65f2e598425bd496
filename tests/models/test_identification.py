"""Fits whose parameters the data do not identify are flagged, and model choice avoids them.

A calibration period too short to see customers leave leaves the dropout parameters on a flat
ridge of the likelihood: the optimiser stops somewhere along it (a and b in the hundreds of
thousands) and reports convergence. One customer cannot identify a distribution across
customers at all.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

import simulate
from cvm.models import BGNBD, MBGNBD, GammaGamma, ParetoNBD
from cvm.models.selection import fit_purchase_model
from cvm.reports.clv import clv_model_sections

RF_MODELS = [BGNBD, ParetoNBD, MBGNBD]


@pytest.fixture(scope="module")
def eight_weeks():
    # 2,000 customers watched for 4 to 8 weeks; a dropout chance of about 4 % per purchase, so
    # hardly anyone is seen to leave
    return simulate.bgnbd(2000, 0.6, 5.0, 0.8, 20.0, np.random.default_rng(7), T=8.0)


@pytest.fixture(scope="module")
def six_weeks():
    # 3,000 customers watched for 3 to 6 weeks, CDNOW-like dropout: BG/NBD has the lowest BIC
    # but its dropout parameters are not identified; MBG/NBD's are
    return simulate.bgnbd(3000, 0.6, 5.0, 0.8, 2.5, np.random.default_rng(2), T=6.0)


@pytest.mark.parametrize("cls", RF_MODELS, ids=lambda c: c.__name__)
def test_short_calibration_period_leaves_the_dropout_process_unidentified(cls, eight_weeks, caplog):
    with caplog.at_level(logging.WARNING, logger="cvm.models"):
        model = cls().fit(eight_weeks)
    assert model.identified_ is False
    assert model.unidentified_ == ["dropout"]
    assert len(model.warnings_) == 1
    assert model.warnings_[0].startswith("the data do not identify the dropout process (")
    assert f"{cls.__name__}: {model.warnings_[0]}" in caplog.messages
    # the purchase process is identified: r within 15 % of the true 0.6
    assert model.params_["r"] == pytest.approx(0.6, rel=0.15)


def test_converged_ridge_fit_is_flagged(eight_weeks):
    # the optimiser reports convergence on the ridge; the flag does not depend on it
    model = BGNBD().fit(eight_weeks)
    assert model.converged_ is True
    assert model.params_["a"] > 100 and model.params_["b"] > 1e4
    assert model.warnings_ == ["the data do not identify the dropout process (a has no standard "
                               "error; b has no standard error)"]


@pytest.mark.parametrize("cls", RF_MODELS, ids=lambda c: c.__name__)
def test_one_customer_identifies_nothing(cls):
    model = cls().fit({"frequency": [3], "recency": [20.0], "T": [30.0]})
    assert model.identified_ is False
    assert "purchase" in model.unidentified_ or "dropout" in model.unidentified_
    assert all(w.startswith("the data do not identify the ") for w in model.warnings_)


def test_relative_standard_error_names_the_parameter(six_weeks):
    model = BGNBD().fit(six_weeks)
    assert model.unidentified_ == ["dropout"]
    ratio_a = model.standard_errors_["a"] / model.params_["a"]
    ratio_b = model.standard_errors_["b"] / model.params_["b"]
    assert ratio_a > 2 and ratio_b > 2
    assert model.warnings_ == [f"the data do not identify the dropout process (standard error of a "
                               f"{ratio_a:,.3g} times the estimate; standard error of b "
                               f"{ratio_b:,.3g} times the estimate)"]


@pytest.mark.parametrize("cls", [BGNBD, ParetoNBD, MBGNBD, GammaGamma], ids=lambda c: c.__name__)
def test_cdnow_fits_are_identified(cls, cdnow):
    model = cls().fit(cdnow)
    assert model.identified_ is True
    assert model.unidentified_ == []
    assert model.warnings_ == []


def test_choice_prefers_an_identified_model(six_weeks):
    choice = fit_purchase_model(six_weeks)
    by_name = {c.name: c for c in choice.candidates}
    assert by_name["bgnbd"].bic < by_name["mbgnbd"].bic
    assert [c.identified for c in choice.candidates] == [False, False, True]
    assert choice.chosen.name == "mbgnbd"
    assert choice.reason.startswith("MBG/NBD has the lowest BIC of the models the data identify (")
    assert choice.reason.endswith("; the data do not identify the dropout process of BG/NBD, the "
                                  "dropout process of Pareto/NBD, so not chosen.")
    assert choice.as_dict()["reason_zh"].endswith(
        "；数据无法识别BG/NBD的流失过程、Pareto/NBD的流失过程，因而未选用。")
    assert choice.as_dict()["identified"] is True


def test_choice_says_when_no_model_is_identified(eight_weeks, caplog):
    with caplog.at_level(logging.WARNING, logger="cvm.models"):
        choice = fit_purchase_model(eight_weeks)
    assert not any(c.identified for c in choice.candidates)
    assert choice.reason.endswith(
        "; warning: the data identify none of the models (the dropout process of BG/NBD, the "
        "dropout process of Pareto/NBD, the dropout process of MBG/NBD); the predictions rest on "
        "parameters the data cannot pin down, and a longer calibration period would help.")
    assert any(m.startswith("the data identify none of the purchase models; ") for m in caplog.messages)
    # the report's model section carries the warning, in both languages
    info = {"stages": {"clv": {"status": "fitted", "time_unit": "week", "model": choice.as_dict()}}}
    [section] = clv_model_sections(info, "en")
    assert "warning: the data identify none of the models" in section.note
    [section] = clv_model_sections(info, "zh")
    assert "警告：数据无法识别任何模型（" in section.note


def test_asked_model_that_is_not_identified_says_so(eight_weeks):
    choice = fit_purchase_model(eight_weeks, "bgnbd")
    assert choice.reason.endswith("; warning: the data do not identify the dropout process of "
                                  "BG/NBD; the predictions rest on parameters the data cannot "
                                  "pin down.")


def test_reason_for_a_run_stored_before_the_flag():
    # run summaries written before fits carried "identified" read as identified
    from cvm.models.selection import choice_reason

    fit = {"model": "bgnbd", "title": "BG/NBD", "bic": 100.0, "log_likelihood": -46.0,
           "converged": True, "histogram_chi2": 1.0}
    assert choice_reason(fit, [fit]) == ("BG/NBD has the lowest BIC (100.0); with four parameters "
                                         "each, AIC and BIC rank the models as the log-likelihood "
                                         "does; its fit histogram is also the closest (chi-square 1.0).")
