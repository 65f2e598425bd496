"""Edges of the customer value columns (`cvm.models.lifetime_value`): the columns, the model
input, the spend model's choices and messages, each status of a fit, and the scored values worked
from the models they rest on (fitted parameters set by hand, so no fit is needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvm.config import CLVOptions
from cvm.models import BGNBD, GammaGamma, discounted_expected_transactions
from cvm.models.lifetime_value import (
    CustomerValueFit,
    SpendFit,
    expected_spend,
    fit_customer_value,
    fit_spend,
    spend_inputs,
    lifetime_value_net,
    margin_share,
    model_input,
    predict_customer_value,
    score_customer_value,
    value_columns,
    value_totals,
)

BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def fitted(cls, params):
    model = cls()
    model.params_ = dict(params)
    return model


def summary() -> pd.DataFrame:
    """Four customers as the feature stage summarises them (days)."""
    return pd.DataFrame({
        "customer_id": ["a", "b", "c", "d"],
        "frequency": [0, 2, 5, 1],
        "recency_days": [100, 60, 3, 200],
        "tenure_days": [100, 270, 270, 250],
        "repeat_monetary_avg": [np.nan, 40.0, 0.0, 20.0],
        "monetary_avg": [30.0, 45.0, 50.0, 25.0],
    })


def test_the_columns_in_order():
    assert value_columns(CLVOptions(horizon_days=90)) == [
        "probability_alive", "expected_purchases_90d", "expected_average_spend", "historical_value",
        "current_value", "potential_value", "clv"]
    assert value_columns(CLVOptions(acquisition_cost=5.0))[-2:] == ["clv", "lifetime_value_net"]


def test_net_lifetime_value_by_hand():
    options = CLVOptions(service_cost=2.0, acquisition_cost=15.0)
    got = lifetime_value_net(np.array([100.0, 50.0, 10.0]), np.array([20.0, np.nan, 5.0]),
                             np.array([3.0, 1.0, np.nan]), options)
    # 100 - 2 x 3 + 20 - 15 = 99; no clv: NaN; no purchase days known: counted as none
    assert got[0] == 99.0 and np.isnan(got[1]) and got[2] == 0.0


def test_model_input_by_hand():
    data = model_input(summary(), 7.0)
    assert list(data.columns) == ["frequency", "recency", "T", "monetary_value"]
    assert data["recency"].tolist() == pytest.approx([0.0, 30.0, 267 / 7, 50 / 7])
    assert data["T"].tolist() == pytest.approx([100 / 7, 270 / 7, 270 / 7, 250 / 7])
    assert data["monetary_value"].tolist() == [0.0, 40.0, 0.0, 20.0]       # no repeat spend: 0


def test_the_spend_model_leaves_out_repeat_customers_without_positive_spend():
    ids = np.array([f"id{i}" for i in range(9)])
    data = pd.DataFrame({"frequency": [0, 1, 2, 3, 1, 2, 4, 1, 2],
                         "monetary_value": [0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 32.0]})
    spend, info = fit_spend(*spend_inputs(data, ids))
    # seven left out (id0 has no repeat purchase and is not one of them): five named, two more
    assert info["left_out"] == 7 and info["left_out_customers"] == ["id1", "id2", "id3", "id4", "id5"]
    assert info["left_out_reason"] == "average repeat spend not positive"
    assert info["message"] == ("7 repeat customers whose repeat purchases average no positive spend "
                               "(id1, id2, id3, id4, id5 and 2 more) are left out of the spend model "
                               "and keep their own mean spend")
    # one left to fit cannot give the spread: no model, and why
    assert spend.model is None and info["model"] == "observed_mean"
    assert info["title"] == "observed mean spend" and info["reason"]
    # none left at all
    spend, info = fit_spend(*spend_inputs(data.iloc[:7], ids[:7]))
    assert spend.model is None
    assert info["reason"] == "no repeat customer has a positive average spend"


def test_one_left_out_in_the_singular_and_five_without_more():
    rng = np.random.default_rng(5)
    n = 60
    data = pd.DataFrame({"frequency": rng.integers(1, 6, n).astype(float),
                         "monetary_value": rng.gamma(6.0, 5.0, n)})
    data.loc[7, "monetary_value"] = 0.0
    ids = np.arange(100, 100 + n)
    _, info = fit_spend(*spend_inputs(data, ids))
    assert info["message"] == ("1 repeat customer whose repeat purchases average no positive spend "
                               "(107) is left out of the spend model and keeps their own mean spend")
    assert info["model"] == "gammagamma" and info["title"] == "Gamma-Gamma"
    assert info["customers"] == n - 1
    alone = GammaGamma().fit(data.drop(index=7))
    assert info["params"] == pytest.approx(alone.params_, rel=1e-9)
    assert info["standard_errors"] == pytest.approx(alone.standard_errors_, rel=1e-6)
    assert info["log_likelihood"] == pytest.approx(alone.log_likelihood_, rel=1e-12)
    two = data.copy()
    two.loc[[7, 9], "monetary_value"] = [0.0, -2.0]
    _, info = fit_spend(*spend_inputs(two, ids))
    assert info["message"] == ("2 repeat customers whose repeat purchases average no positive spend "
                               "(107, 109) are left out of the spend model and keep their own mean spend")
    five = data.copy()
    five.loc[[1, 2, 3, 4, 5], "monetary_value"] = 0.0
    _, info = fit_spend(*spend_inputs(five, ids))
    assert info["message"].startswith("6 repeat customers") and "and 1 more" in info["message"]
    five.loc[7, "monetary_value"] = 1.0
    _, info = fit_spend(*spend_inputs(five, ids))
    assert "(101, 102, 103, 104, 105) are left out" in info["message"]
    # nobody left out: no such keys
    _, info = fit_spend(*spend_inputs(data.assign(monetary_value=data["monetary_value"] + 1), ids))
    assert "left_out" not in info and "message" not in info and info["customers"] == n


def test_expected_spend_from_the_model_or_the_customers_own_mean():
    data = model_input(summary(), 7.0)
    own = np.array([30.0, 45.0, 50.0, 25.0])
    values = expected_spend(data, own, SpendFit(None))
    assert values.tolist() == own.tolist() and values is not own
    gg = fitted(GammaGamma, GG)
    values = expected_spend(data, own, SpendFit(gg))
    # c repeats with no positive spend: their own mean; a (no repeat) the population mean
    assert values[2] == 50.0
    kept = data.iloc[[0, 1, 3]]
    assert values[[0, 1, 3]] == pytest.approx(gg.expected_average_spend(kept), rel=1e-14)
    assert values[0] == pytest.approx(6.25 * 15.44 / 2.74, rel=1e-12)
    assert own.tolist() == [30.0, 45.0, 50.0, 25.0]                     # not changed
    # everyone left out: the own means
    everyone = data.assign(monetary_value=0.0, frequency=1.0)
    assert expected_spend(everyone, own, SpendFit(gg)).tolist() == own.tolist()


def test_a_fit_cannot_be_changed():
    from dataclasses import FrozenInstanceError

    fit = CustomerValueFit(CLVOptions(), fitted(BGNBD, BG), SpendFit(None))
    for obj, name in ((fit, "purchase_model"), (fit.spend, "model")):
        with pytest.raises(FrozenInstanceError):
            setattr(obj, name, None)


def test_each_status_of_a_fit():
    options = CLVOptions(model="bgnbd", horizon_days=30)
    fit, info = fit_customer_value(summary().iloc[:0], options)
    assert fit.purchase_model is None and fit.spend is None and fit.options is options
    assert info["status"] == "no_customers" and info["message"] == "there are no customers"
    assert info["horizon_column"] == "expected_purchases_30d" and info["time_unit"] == "week"
    assert info["horizon_days"] == 30 and info["options"]["model"] == "bgnbd"
    once = summary().assign(frequency=0, recency_days=summary()["tenure_days"])
    fit, info = fit_customer_value(once, options)
    assert fit.purchase_model is None and info["status"] == "no_repeat"
    assert (info["customers"], info["repeat_customers"]) == (4, 0)
    assert info["message"] == ("no customer has bought on more than one day, so the purchase and "
                               "dropout rates cannot be estimated; the model-based columns are left empty")
    fit, info = fit_customer_value(summary(), CLVOptions(model="nbd"))
    assert fit.purchase_model is None and info["status"] == "failed"
    assert info["message"].startswith("unknown purchase model 'nbd'")
    assert (info["customers"], info["repeat_customers"]) == (4, 3)


def test_a_fit_names_customers_by_id_or_by_position():
    frame = summary().assign(repeat_monetary_avg=[0.0, 40.0, -1.0, 20.0])
    fit, info = fit_customer_value(frame, CLVOptions(model="bgnbd"))
    assert info["status"] == "fitted" and isinstance(fit.purchase_model, BGNBD)
    assert info["model"]["model"] == "bgnbd" and info["message"] == fit_customer_value(
        frame, CLVOptions(model="bgnbd"))[1]["message"]
    assert info["spend_model"]["left_out_customers"] == ["c"]
    _, info = fit_customer_value(frame.drop(columns="customer_id"), CLVOptions(model="bgnbd"))
    assert info["spend_model"]["left_out_customers"] == ["3"]
    # the customers' order does not move the parameters
    shuffled, _ = fit_customer_value(frame.iloc[[2, 0, 3, 1]], CLVOptions(model="bgnbd"))
    assert shuffled.purchase_model.params_ == fit.purchase_model.params_


@pytest.mark.parametrize(("unit", "unit_days"), [("week", 7.0), ("day", 1.0), ("month", 365.25 / 12)])
def test_scored_values_from_the_models(unit, unit_days):
    options = CLVOptions(horizon_days=91, discount_rate=0.2, time_unit=unit, service_cost=1.5)
    model, gg = fitted(BGNBD, BG), fitted(GammaGamma, GG)
    frame = summary()
    share = np.array([0.5, 0.25, 1.0, 0.1])
    cols = score_customer_value(frame, share, CustomerValueFit(options, model, SpendFit(gg)))
    assert list(cols) == ["probability_alive", "expected_purchases_91d", "expected_average_spend",
                          "potential_value", "clv"]
    data = model_input(frame, unit_days)
    horizon = 91 / unit_days
    assert cols["probability_alive"] == pytest.approx(model.probability_alive(data), rel=1e-14)
    assert cols["expected_purchases_91d"] == pytest.approx(model.expected_purchases(horizon, data), rel=1e-14)
    # discounted in steps of a week or of one unit when that is longer
    discounted = discounted_expected_transactions(model, data, horizon=horizon, discount_rate=0.2,
                                                  time_units_per_year=365.25 / unit_days,
                                                  step=max(1.0, 7.0 / unit_days))
    spend = expected_spend(data, frame["monetary_avg"].to_numpy(), SpendFit(gg))
    assert cols["expected_average_spend"] == pytest.approx(spend, rel=1e-14)
    assert cols["potential_value"] == pytest.approx(discounted * spend * share, rel=1e-12)
    assert cols["clv"] == pytest.approx(discounted * spend * share - 1.5 * discounted, rel=1e-12)
    # the discounting is there: below the undiscounted expectation
    assert np.all(discounted < cols["expected_purchases_91d"])


def test_steps_of_a_week_when_days_are_the_unit():
    # 14 days in steps of 7 at 100 % a year: two steps, discounted from days 7 and 14
    options = CLVOptions(horizon_days=14, discount_rate=1.0, time_unit="day")
    model = fitted(BGNBD, {"r": 0.5, "alpha": 20.0, "a": 0.8, "b": 2.5})
    frame = summary()
    cols = score_customer_value(frame, np.ones(4), CustomerValueFit(options, model, SpendFit(None)))
    data = model_input(frame, 1.0)
    e7, e14 = model.expected_purchases(7.0, data), model.expected_purchases(14.0, data)
    by_hand = e7 * 2.0 ** (-7 / 365.25) + (e14 - e7) * 2.0 ** (-14 / 365.25)
    assert cols["potential_value"] == pytest.approx(by_hand * frame["monetary_avg"].to_numpy(), rel=1e-12)


def test_without_a_model_every_column_is_empty_and_totals_skip_it():
    options = CLVOptions(horizon_days=30)
    cols = score_customer_value(summary(), np.ones(4), CustomerValueFit(options))
    assert list(cols) == ["probability_alive", "expected_purchases_30d", "expected_average_spend",
                          "potential_value", "clv"]
    assert all(v.shape == (4,) and np.isnan(v).all() for v in cols.values())
    totals = value_totals({"expected_purchases_30d": np.array([1.0, 2.5]),
                           "potential_value": np.array([10.0, np.nan]), "clv": np.array([np.nan, -3.0])},
                          options)
    assert totals == {"expected_purchases_total": 3.5, "potential_value_total": 10.0, "clv_total": -3.0}
    _, info = predict_customer_value(summary().assign(frequency=0, recency_days=[100, 270, 270, 250]),
                                           np.ones(4), options)
    assert info["status"] == "no_repeat" and "clv_total" not in info


def test_a_fitted_prediction_adds_its_totals():
    columns, info = predict_customer_value(summary(), np.ones(4), CLVOptions(model="bgnbd"))
    assert info["status"] == "fitted"
    assert info["expected_purchases_total"] == pytest.approx(columns["expected_purchases_365d"].sum(), rel=1e-14)
    assert info["clv_total"] == pytest.approx(columns["clv"].sum(), rel=1e-14)
    assert info["potential_value_total"] == pytest.approx(columns["potential_value"].sum(), rel=1e-14)


def test_margin_share_own_or_the_settings():
    history = pd.DataFrame({"margin_share": pd.array([0.25, None, 0.0], dtype="Float64")})
    assert margin_share(history, CLVOptions()).tolist() == [0.25, 1.0, 0.0]
    assert margin_share(history, CLVOptions(margin_rate=0.3)).tolist() == [0.25, 0.3, 0.0]
    assert margin_share(history, CLVOptions(margin_rate=0.0)).tolist() == [0.25, 0.0, 0.0]
