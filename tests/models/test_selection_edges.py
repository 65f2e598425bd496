"""Model choice at its edges: the reason in every case and both languages (from hand-made fit
figures), the fit histogram and its chi-square by hand, AIC and BIC of an asked model, and the
refusals."""

from __future__ import annotations

import logging
import math

import numpy as np
import pytest

import simulate

from cvm.models import BGNBD
from cvm.models.selection import (HISTOGRAM_TOP, ModelFit, _chi2, _usable, choice_reason,
                                  fit_purchase_model, frequency_histogram)


def _fit(model, title, bic, chi2, converged=True, identified=True, unidentified=()):
    return {"model": model, "title": title, "bic": bic, "log_likelihood": -bic / 2,
            "converged": converged, "identified": identified,
            "unidentified": list(unidentified), "histogram_chi2": chi2}


BG = "bgnbd", "BG/NBD"
PARETO = "paretonbd", "Pareto/NBD"
MBG = "mbgnbd", "MBG/NBD"


def test_reason_names_a_close_rival_and_a_closer_histogram():
    bg, pareto, mbg = _fit(*BG, 100.0, 3.0), _fit(*PARETO, 101.5, 1.0), _fit(*MBG, 1234.56, 5.0)
    assert choice_reason(bg, [bg, pareto, mbg]) == (
        "BG/NBD has the lowest BIC (100.0; Pareto/NBD 101.5, MBG/NBD 1,234.6); with four "
        "parameters each, AIC and BIC rank the models as the log-likelihood does; the BIC gap to "
        "Pareto/NBD is 1.5, too small to prefer either on fit alone; the fit histogram of "
        "Pareto/NBD is closer (chi-square 1.0 against 3.0).")
    assert choice_reason(bg, [bg, pareto, mbg], "zh") == (
        "BG/NBD的 BIC 最低（100.0；Pareto/NBD 101.5, MBG/NBD 1,234.6）；各模型均有四个参数，AIC 与 BIC "
        "的排序与对数似然相同；与Pareto/NBD的 BIC 差距仅为1.5，仅凭拟合难分优劣；Pareto/NBD的拟合直方图更"
        "接近（卡方 1.0，本模型 3.0）。")
    # a gap of exactly 2 is enough to prefer the lower BIC
    pareto = _fit(*PARETO, 102.0, 4.0)
    assert choice_reason(bg, [mbg, pareto, bg]) == (
        "BG/NBD has the lowest BIC (100.0; Pareto/NBD 102.0, MBG/NBD 1,234.6); with four "
        "parameters each, AIC and BIC rank the models as the log-likelihood does; its fit "
        "histogram is also the closest (chi-square 3.0).")
    assert choice_reason(bg, [mbg, pareto, bg], "zh").endswith("；其拟合直方图也最接近（卡方 3.0）。")


def test_reason_for_fits_that_did_not_converge():
    bg, pareto = _fit(*BG, 100.0, 3.0), _fit(*PARETO, 90.0, 9.0, converged=False)
    mbg = _fit(*MBG, 95.0, 8.0, converged=False)
    assert choice_reason(bg, [bg, pareto, mbg]) == (
        "BG/NBD has the lowest BIC (100.0); with four parameters each, AIC and BIC rank the "
        "models as the log-likelihood does; its fit histogram is also the closest (chi-square "
        "3.0); not converged, so not chosen: Pareto/NBD, MBG/NBD.")
    assert choice_reason(bg, [bg, pareto, mbg], "zh").endswith("；未收敛因而未选用：Pareto/NBD, MBG/NBD。")
    # nothing converged: the choice is made among all, and all are named
    pareto_only = _fit(*PARETO, 90.0, 9.0, converged=False)
    assert _usable([pareto_only, mbg]) == [pareto_only, mbg]
    assert choice_reason(pareto_only, [pareto_only, mbg]).startswith(
        "Pareto/NBD has the lowest BIC (90.0; MBG/NBD 95.0)")


def test_reason_when_fits_are_not_identified():
    bg = _fit(*BG, 100.0, 3.0, identified=False, unidentified=["dropout"])
    pareto = _fit(*PARETO, 101.0, 2.0, identified=False, unidentified=["purchase", "dropout"])
    mbg = _fit(*MBG, 110.0, 4.0)
    assert _usable([bg, pareto, mbg]) == [mbg]
    assert choice_reason(mbg, [bg, pareto, mbg]) == (
        "MBG/NBD has the lowest BIC of the models the data identify (110.0); with four parameters "
        "each, AIC and BIC rank the models as the log-likelihood does; the fit histogram of "
        "Pareto/NBD is closer (chi-square 2.0 against 4.0); the data do not identify the dropout "
        "process of BG/NBD, the purchase process of Pareto/NBD, the dropout process of "
        "Pareto/NBD, so not chosen.")
    assert choice_reason(mbg, [bg, pareto, mbg], "zh").startswith(
        "MBG/NBD在数据可识别的模型中 BIC 最低（110.0）；")
    # an unidentified fit that did not converge is dropped, not passed over (its histogram is
    # still compared)
    unconverged = dict(bg, converged=False)
    assert choice_reason(mbg, [unconverged, mbg]) == (
        "MBG/NBD has the lowest BIC (110.0); with four parameters each, AIC and BIC rank the "
        "models as the log-likelihood does; the fit histogram of BG/NBD is closer (chi-square "
        "3.0 against 4.0); not converged, so not chosen: BG/NBD.")
    # none identified: the lowest converged BIC, with the warning
    mbg_flat = dict(mbg, identified=False, unidentified=["model"])
    assert _usable([bg, pareto, mbg_flat]) == [bg, pareto, mbg_flat]
    assert choice_reason(bg, [bg, pareto, mbg_flat], "zh").endswith(
        "；警告：数据无法识别任何模型（BG/NBD的流失过程、Pareto/NBD的购买过程、Pareto/NBD的流失过程、MBG/NBD的参数）；"
        "预测所依据的参数无法由数据确定，延长校准期会有帮助。")
    assert choice_reason(bg, [bg, pareto, mbg_flat]).startswith(
        "BG/NBD has the lowest BIC (100.0; Pareto/NBD 101.0, MBG/NBD 110.0); ")


def test_reason_for_fits_stored_before_they_carried_the_flag():
    # run summaries written before fits carried "identified" read as identified
    bg = {"model": "bgnbd", "title": "BG/NBD", "bic": 100.0, "log_likelihood": -46.04,
          "converged": True, "histogram_chi2": 1.0}
    pareto = dict(bg, model="paretonbd", title="Pareto/NBD", bic=101.0, histogram_chi2=2.0)
    assert _usable([bg, pareto]) == [bg, pareto]
    assert choice_reason(bg, [bg]) == (
        "BG/NBD has the lowest BIC (100.0); with four parameters each, AIC and BIC rank the "
        "models as the log-likelihood does; its fit histogram is also the closest (chi-square "
        "1.0).")
    assert choice_reason(bg, [bg, pareto]).startswith(
        "BG/NBD has the lowest BIC (100.0; Pareto/NBD 101.0); with four")
    assert choice_reason(bg, [bg], asked=True) == \
        "BG/NBD was asked for (log-likelihood -46.0, BIC 100.0)."
    # beside a fit that carries the flag and is not identified
    flat = dict(bg, model="mbgnbd", title="MBG/NBD", bic=90.0, histogram_chi2=5.0,
                identified=False, unidentified=["dropout"])
    assert choice_reason(bg, [bg, flat]) == (
        "BG/NBD has the lowest BIC of the models the data identify (100.0); with four "
        "parameters each, AIC and BIC rank the models as the log-likelihood does; its fit "
        "histogram is also the closest (chi-square 1.0); the data do not identify the dropout "
        "process of MBG/NBD, so not chosen.")
    fit = ModelFit("bgnbd", None, -46.0, 100.0, 100.0, 10, True)
    assert fit.identified is True and fit.unidentified == [] and fit.warnings == []
    assert np.isnan(fit.histogram_chi2)


def test_reason_for_an_asked_model():
    bg = _fit(*BG, 4011.04, 3.0)
    bg["log_likelihood"] = -1994.06
    assert choice_reason(bg, [bg], asked=True) == \
        "BG/NBD was asked for (log-likelihood -1,994.1, BIC 4,011.0)."
    assert choice_reason(bg, [bg], "zh", asked=True) == \
        "按要求使用BG/NBD（对数似然 -1,994.1，BIC 4,011.0）。"
    flat = dict(bg, identified=False, unidentified=["spend"])
    assert choice_reason(flat, [flat], asked=True) == (
        "BG/NBD was asked for (log-likelihood -1,994.1, BIC 4,011.0); warning: the data do not "
        "identify the spend process of BG/NBD; the predictions rest on parameters the data "
        "cannot pin down.")
    assert choice_reason(flat, [flat], "zh", asked=True).endswith(
        "；警告：数据无法识别BG/NBD的消费金额过程；预测所依据的参数无法由数据确定。")


def test_chi_square_by_hand_skips_empty_expected_bins():
    assert _chi2(np.array([3.0, 1.0, 0.0]), np.array([2.0, 2.0, 0.0])) == 1.0
    assert _chi2(np.array([1.0, 5.0]), np.array([4.0, 5.0])) == pytest.approx(9 / 4)
    assert _chi2(np.array([1.0, 2.0]), np.array([0.5, 2.0])) == pytest.approx(0.5)


def _bgnbd():
    m = BGNBD()
    m.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    return m


def test_frequency_histogram_by_hand_with_weights():
    m = _bgnbd()
    x = np.array([0, 1, 9, 7, 2, 1])
    T = np.array([10.0, 10.0, 20.0, 30.0, 20.0, 30.0])
    w = np.array([1.0, 2.0, 3.0, 1.0, 0.5, 1.5])
    actual, expected = frequency_histogram(m, {"frequency": x, "T": T, "weights": w})
    assert HISTOGRAM_TOP == 7
    assert actual.tolist() == [1.0, 3.5, 0.5, 0, 0, 0, 0, 4.0]
    by_customer = [sum(wi * float(m.probability_of_purchases(n, ti)) for wi, ti in zip(w, T))
                   for n in range(7)]
    assert expected[:7] == pytest.approx(by_customer, rel=1e-12)
    assert expected[7] == pytest.approx(w.sum() - sum(by_customer), rel=1e-12)
    # without weights each customer counts once; a top of 2 folds 2 and more together
    actual, expected = frequency_histogram(m, {"frequency": x, "T": T}, top=2)
    assert actual.tolist() == [1, 2, 3]
    by_customer = [sum(float(m.probability_of_purchases(n, ti)) for ti in T) for n in range(2)]
    assert expected.tolist() == pytest.approx(by_customer + [6 - sum(by_customer)], rel=1e-12)
    # nobody at the top: the top bins are there, empty
    actual, expected = frequency_histogram(m, {"frequency": [0, 1], "T": [10.0, 20.0]}, top=4)
    assert actual.tolist() == [1, 1, 0, 0, 0] and len(expected) == 5


def _sample(n=120, seed=3):
    rng = np.random.default_rng(seed)
    T = rng.uniform(20, 40, n)
    x = rng.poisson(2.0, n)
    recency = np.where(x > 0, T * rng.uniform(0.3, 1.0, n), 0.0)
    return {"frequency": x, "recency": recency, "T": T}


def test_an_asked_model_carries_aic_bic_and_its_histogram():
    data = _sample()
    choice = fit_purchase_model(data, "bgnbd")
    fit = choice.chosen
    assert choice.asked and choice.candidates == [fit] and choice.model is fit.model
    ll = fit.model.log_likelihood_
    assert fit.log_likelihood == ll
    assert fit.aic == pytest.approx(2 * 4 - 2 * ll, rel=1e-12)
    assert fit.bic == pytest.approx(4 * math.log(120) - 2 * ll, rel=1e-12)
    assert fit.n_customers == 120
    actual, expected = frequency_histogram(fit.model, data)
    assert fit.histogram_actual == actual.tolist()
    assert fit.histogram_expected == expected.tolist()
    assert fit.histogram_chi2 == _chi2(actual, expected)
    d = choice.as_dict()
    assert d["model"] == "bgnbd" and d["title"] == "BG/NBD" and d["asked"] is True
    assert d["params"] == fit.model.params_ and d["aic"] == fit.aic
    assert d["reason"] == choice.reason == choice_reason(d, [fit.as_dict()], asked=True)
    assert d["reason_zh"] == choice_reason(d, [fit.as_dict()], "zh", asked=True)
    assert d["reason_zh"].startswith("按要求使用BG/NBD（")
    # weights: the customers are their sum, rounded
    weighted = dict(data, weights=np.full(120, 2.5))
    fit = fit_purchase_model(weighted, "bgnbd").chosen
    assert fit.n_customers == 300
    assert fit.bic == pytest.approx(4 * math.log(300) - 2 * fit.log_likelihood, rel=1e-12)


def test_automatic_choice_keeps_the_lowest_usable_bic(caplog):
    # 300 customers over 40 weeks who drop out: BG/NBD identified and chosen, Pareto/NBD's
    # dropout process not identified
    data = simulate.bgnbd(300, 0.6, 5.0, 0.8, 2.5, np.random.default_rng(2), T=40.0)
    with caplog.at_level(logging.WARNING, logger="cvm.models"):
        choice = fit_purchase_model(data)
    assert choice.chosen.name == "bgnbd" and choice.chosen.identified
    assert [c.identified for c in choice.candidates] == [True, False, True]
    assert not any("identify none" in m for m in caplog.messages)
    assert [c.name for c in choice.candidates] == ["bgnbd", "paretonbd", "mbgnbd"]
    usable = _usable(choice.candidates)
    assert choice.chosen is min(usable, key=lambda c: c.bic)
    assert not choice.asked and choice.as_dict()["asked"] is False
    assert choice.reason == choice_reason(choice.chosen.as_dict(),
                                          [c.as_dict() for c in choice.candidates])
    # customers who buy at a steady rate and never leave: no dropout process to identify
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="cvm.models"):
        choice = fit_purchase_model(_sample())
    assert not any(c.identified for c in choice.candidates)
    assert any(m.startswith("the data identify none of the purchase models; ")
               for m in caplog.messages)


def test_refusals():
    with pytest.raises(ValueError, match="unknown purchase model 'bg': choose one of bgnbd, "
                                         "paretonbd, mbgnbd or auto"):
        fit_purchase_model(_sample(), "bg")
    once = {"frequency": [0, 0, 0], "recency": [0.0, 0.0, 0.0], "T": [10.0, 20.0, 30.0]}
    with pytest.raises(ValueError, match="none of the purchase models could be fitted"):
        fit_purchase_model(once)
