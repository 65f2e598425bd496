"""Churn risk: P(no purchase in H) from the purchase models, the metrics on hand-computed
cases, the behaviour features, the reasons and the win-back model."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from cvm.models import BGNBD, MBGNBD, ParetoNBD
from cvm.models.churn import (ChurnCalibration, ChurnRisk, RecencyChurn, horizon_from_gaps,
                              probability_no_purchase, window_for)
from cvm.models.churn_metrics import (average_precision, brier, churn_metrics, decile_table,
                                      expected_calibration_error, lift_at, roc_auc)
from cvm.models.churn_reason import churn_reason
from cvm.models.winback import ReactivationModel, winback_table, winback_value

PUBLISHED = {  # CDNOW fits: FHL 2005 (BG/NBD), FH 2005 note (Pareto/NBD); MBG/NBD our own order
    BGNBD: {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
    ParetoNBD: {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669},
    MBGNBD: {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614},
}


def _model(cls):
    m = cls()
    m.params_ = dict(PUBLISHED[cls])
    return m


@pytest.mark.parametrize("cls", [BGNBD, ParetoNBD, MBGNBD])
def test_no_purchase_of_a_new_customer_is_the_models_own_p_x_zero(cls):
    # history (0, 0, 0): L(0, 0, t) / L(0, 0, 0) must equal P(X(t) = 0) of a new customer,
    # which each model computes by its own, separately derived formula
    m = _model(cls)
    for t in (0.5, 10.0, 39.0, 200.0):
        got = probability_no_purchase(m, {"frequency": [0], "recency": [0.0], "T": [0.0]}, t)[0]
        assert got == pytest.approx(float(m.probability_of_purchases(0, t)), rel=1e-7)


def test_bgnbd_no_purchase_for_a_one_time_buyer_by_hand():
    m = _model(BGNBD)
    r, alpha = 0.243, 4.414
    got = probability_no_purchase(m, {"frequency": [0], "recency": [0.0], "T": [30.0]}, 39.0)[0]
    assert got == pytest.approx(((alpha + 30) / (alpha + 30 + 39)) ** r, rel=1e-12)


@pytest.mark.parametrize("cls", [BGNBD, ParetoNBD, MBGNBD])
def test_no_purchase_falls_with_the_horizon_and_rises_with_silence(cls):
    m = _model(cls)
    data = {"frequency": [3, 3, 3], "recency": [30.0, 20.0, 5.0], "T": [32.0] * 3}
    short = probability_no_purchase(m, data, 4.0)
    long = probability_no_purchase(m, data, 40.0)
    assert np.all((0 < long) & (long < short) & (short < 1))
    assert short[0] < short[1] < short[2]        # longer silence, likelier no purchase


def test_bgnbd_p_alive_is_not_the_churn_score():
    # BG/NBD's P(alive) is 1 for a customer without a repeat purchase, so 1 - P(alive) would
    # call every one-time buyer safe; the churn score is the chance of no purchase in H
    m = _model(BGNBD)
    data = {"frequency": [0, 0, 5], "recency": [0.0, 0.0, 10.0], "T": [38.0, 20.0, 38.0]}
    assert np.all(m.probability_alive(data)[:2] == 1.0)
    score = probability_no_purchase(m, data, 39.0)
    r, alpha = 0.243, 4.414
    assert score[:2] == pytest.approx([((alpha + T) / (alpha + T + 39)) ** r for T in (38, 20)])
    assert score[2] > score[0]                   # 28 weeks silent after 5 repeats: riskier


def test_metrics_on_a_hand_computed_case():
    y = [0, 0, 1, 1]
    p = [0.1, 0.4, 0.35, 0.8]
    assert roc_auc(y, p) == pytest.approx(0.75)            # 3 of 4 pairs ordered right
    assert average_precision(y, p) == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    assert brier(y, p) == pytest.approx((0.01 + 0.16 + 0.4225 + 0.04) / 4)
    assert expected_calibration_error(y, p) == pytest.approx((0.1 + 0.4 + 0.65 + 0.2) / 4)
    assert lift_at(y, p, 0.25) == pytest.approx(2.0)
    assert lift_at(y, p, 0.5) == pytest.approx(1.0)


def test_metrics_treat_ties_as_a_random_order():
    y = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 1])
    flat = np.full(10, 0.3)
    assert roc_auc(y, flat) == 0.5
    assert lift_at(y, flat, 0.1) == pytest.approx(1.0)
    assert average_precision(y, flat) == pytest.approx(0.3)
    # ties at the cut: top 10 % is one customer of the two tied at 0.9 (one churner): half
    assert lift_at([1, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0.9, 0.9] + [0.1] * 8, 0.1) == pytest.approx(5.0)


def test_ece_bins_are_equal_width_and_weighted():
    # 0.05 and 0.15 in different bins; 0.71 and 0.79 share [0.7, 0.8)
    y = [0, 0, 1, 0]
    p = [0.05, 0.15, 0.71, 0.79]
    # bins: |0.05-0|, |0.15-0|, |0.75-0.5| x 2 customers
    assert expected_calibration_error(y, p) == pytest.approx((0.05 + 0.15 + 2 * 0.25) / 4)
    figures = churn_metrics(y, p)
    assert figures["churn_rate"] == 0.25 and figures["customers"] == 4


def test_decile_table_groups_and_lift():
    y = np.array([1] * 10 + [0] * 90)
    p = np.linspace(1, 0, 100)                    # the 10 churners score highest
    table = decile_table(y, p)
    assert table["customers"].tolist() == [10] * 10
    assert table["churn_rate"].tolist() == [1.0] + [0.0] * 9
    assert table["lift"].iloc[0] == pytest.approx(10.0)


def test_recency_rule_is_half_at_the_horizon():
    p = RecencyChurn(90).fit().predict_proba(pd.DataFrame({"recency_days": [0, 90, 270]}))[:, 1]
    assert p.tolist() == [0.0, 0.5, 0.75]


def test_isotonic_calibration_never_says_0_or_1():
    # scores 1..10 with churn 0 0 0 0 0 1 0 1 1 1: isotonic regression pools them into the
    # blocks {1-5}: 0 of 5, {6, 7}: 1 of 2 and {8-10}: 3 of 3
    scores = np.arange(1, 11, dtype=float)
    y = np.array([0, 0, 0, 0, 0, 1, 0, 1, 1, 1])
    cal = ChurnCalibration("isotonic").fit(scores, y)
    # (k + 1) / (n + 2) per block: 1/7, 2/4, 4/5 — not the raw 0, 1/2, 1
    got = cal.predict(np.array([1.0, 4.0, 6.0, 9.0, 10.0, 0.0, 11.0]))
    assert got == pytest.approx([1 / 7, 1 / 7, 1 / 2, 4 / 5, 4 / 5, 1 / 7, 4 / 5])
    # between two blocks' scores the mapping interpolates, as isotonic regression does
    assert cal.predict(np.array([5.5]))[0] == pytest.approx((1 / 7 + 1 / 2) / 2)


def test_horizon_and_window_rules():
    assert horizon_from_gaps(40.2) == 42          # whole weeks, rounded up
    assert horizon_from_gaps(2.0) == 7
    with pytest.raises(ValueError, match="give the horizon"):
        horizon_from_gaps(None)
    assert window_for(273, 229.0) == 114          # half the median tenure
    assert window_for(60, 400.0) == 60
    with pytest.raises(ValueError, match="too short"):
        window_for(60, 10.0)


def _transactions():
    rows = [  # customer, date, amount, category
        ("A", "2024-01-01", 10.0, "x"), ("A", "2024-01-11", 20.0, "y"), ("A", "2024-01-21", 30.0, "x"),
        ("A", "2024-03-01", 15.0, "x"),
        ("B", "2024-02-01", 50.0, None), ("B", "2024-02-01", 5.0, None),
        ("C", "2024-03-20", 8.0, "z"),
    ]
    return pd.DataFrame(rows, columns=["customer_id", "purchase_date", "amount", "category"]).assign(
        purchase_date=lambda d: pd.to_datetime(d["purchase_date"]).dt.date)


def test_behaviour_features_by_hand():
    from cvm.engine import duckdb_engine
    from cvm.features.behaviour import (behaviour_features, no_purchase_labels,
                                        purchase_gap_quantile)

    eng = duckdb_engine()
    t = eng.backend.create_table("tx", _transactions())
    f = (eng.to_arrow(behaviour_features(t, as_of=dt.date(2024, 3, 10), window_days=30))
         .to_pandas().set_index("customer_id").sort_index())
    assert f.index.tolist() == ["A", "B"]
    a, b = f.loc["A"], f.loc["B"]
    assert (a.frequency, a.recency_days, a.tenure_days) == (3, 9, 69)
    assert a.mean_gap_days == pytest.approx(60 / 3) and a.silence_ratio == pytest.approx(9 / 20)
    # last 30 days: (Feb 9, Mar 10] holds Mar 1; the 30 before: (Jan 10, Feb 9] holds Jan 11, 21
    assert (a.recent_purchase_days, a.recent_spend, a.prior_spend) == (1, 15.0, 50.0)
    assert a.spend_trend == pytest.approx((15 - 50) / 65)
    assert (a.category_count, b.category_count) == (2, 0)
    assert (b.frequency, b.monetary_total, b.monetary_avg) == (0, 55.0, 55.0)
    assert np.isnan(b.mean_gap_days)
    labels = eng.to_arrow(no_purchase_labels(t, as_of=dt.date(2024, 2, 15), window_days=30)
                          ).to_pandas().set_index("customer_id").sort_index()
    assert labels["no_purchase"].to_dict() == {"A": 0, "B": 1}
    gap = eng.to_arrow(purchase_gap_quantile(t, as_of=dt.date(2024, 3, 31), quantile=0.5)
                       .name("g").as_table()).to_pandas()["g"][0]
    assert gap == pytest.approx(10.0)                 # A's gaps: 10, 10, 40


def test_churn_reason_in_both_languages():
    customers = pd.DataFrame({"recency_days": [124, 30, 1], "frequency": [59, 0, 2],
                              "mean_gap_days": [9.2, np.nan, 1.0],
                              "recent_spend": [60.0, 0.0, 5.0], "prior_spend": [100.0, 0.0, 0.0]})
    assert churn_reason(customers).tolist() == [
        "no purchase for 124 days; usually buys every 9 days; spend trend −40 %",
        "no purchase for 30 days; bought once",
        "no purchase for 1 day; usually buys every day",
    ]
    assert churn_reason(customers, "zh").tolist()[0] == "已 124 天未购买;通常每 9 天购买一次;消费趋势 −40 %"


def test_reactivation_model_on_a_hand_made_history():
    # silent 100-179 days before: high tier 8 of 10 came back, low tier 1 of 10; silent 400+:
    # 0 of 20
    history = pd.DataFrame({
        "silence_days": [120] * 10 + [150] * 10 + [400] * 20,
        "group": ["high"] * 10 + ["low"] * 10 + ["high"] * 20,
        "returned": [1] * 8 + [0] * 2 + [1] + [0] * 9 + [0] * 20,
    })
    model = ReactivationModel(prior_customers=0).fit(history)
    p = model.predict([130, 170, 500, 130, 30], ["high", "low", "high", "mid", "high"])
    # no shrinkage: the raw rates; an unseen group gets its band's rate (9 of 20); an unseen
    # band the overall rate (9 of 40)
    assert p.tolist() == pytest.approx([0.8, 0.1, 0.0, 0.45, 9 / 40])
    shrunk = ReactivationModel(prior_customers=10).fit(history).predict([130], ["high"])
    # band 90-179: 9/20 = 0.45 overall-shrunk with m = 10 towards 9/40: (9 + 2.25) / 30
    band = (9 + 10 * 9 / 40) / 30
    assert shrunk[0] == pytest.approx((8 + 10 * band) / 20)


def test_winback_value_and_rank():
    assert winback_value([0.5, 0.1], [200.0, 200.0], 30.0).tolist() == [70.0, -10.0]
    with pytest.raises(ValueError):
        winback_value([1.5], [1.0], 0.0)
    history = pd.DataFrame({"silence_days": [200] * 4, "group": ["high"] * 4,
                            "returned": [1, 1, 0, 0]})
    model = ReactivationModel(prior_customers=0).fit(history)
    customers = pd.DataFrame({"customer_id": ["a", "b"], "recency_days": [200, 250],
                              "group": ["high", "high"], "value_after_return": [100.0, 300.0]})
    out = winback_table(customers, model, contact_cost=20.0)
    assert out["winback_value"].tolist() == [30.0, 130.0]
    assert out["winback_rank"].tolist() == [2, 1]
    assert "winback_value" not in customers


def _simulated_features(n, rng, as_of_shift=0):
    # customers with a personal rate: silent ones are the likelier to stay silent
    rate = rng.gamma(1.0, 1 / 20, n)                    # purchases per day
    tenure = rng.uniform(100, 300, n) + as_of_shift
    freq = rng.poisson(rate * tenure)
    recency = np.where(freq > 0, rng.exponential(1 / np.maximum(rate, 1e-3)), tenure)
    recency = np.floor(np.where(freq > 0, np.minimum(recency, tenure - 1), tenure))
    tenure = np.floor(tenure)
    gap = np.where(freq > 0, (tenure - recency) / np.maximum(freq, 1), np.nan)
    return pd.DataFrame({
        "customer_id": np.arange(n).astype(str), "frequency": freq.astype(float),
        "recency_days": recency, "tenure_days": tenure,
        "n_purchase_days": freq + 1.0, "monetary_total": (freq + 1) * 20.0,
        "monetary_avg": 20.0, "mean_gap_days": gap, "silence_ratio": recency / gap,
        "recency_share": recency / tenure, "recent_purchase_days": 0.0, "recent_spend": 0.0,
        "prior_purchase_days": 0.0, "prior_spend": 0.0, "purchase_trend": np.nan,
        "spend_trend": np.nan, "category_count": 0.0}), rate


def test_churn_risk_picks_a_candidate_and_never_uses_p_alive():
    rng = np.random.default_rng(3)
    earlier, rate = _simulated_features(3000, rng)
    labels = (rng.poisson(rate * 60) == 0).astype(int)
    current, _ = _simulated_features(3000, rng, 60)
    risk = ChurnRisk(horizon_days=90, window_days=60).fit(earlier, labels, current)
    scores = risk.predict(current)
    names = ["paretonbd", "bgnbd", "mbgnbd", "recency", "gradient_boosting", "logistic"]
    assert [c[len("score_"):] for c in scores if c.startswith("score_")] == names
    assert scores["churn_model"].unique().tolist() == [risk.chosen_]
    assert risk.chosen_ in names
    assert np.all((scores["churn_risk"] >= 0) & (scores["churn_risk"] <= 1))
    assert np.array_equal(scores["churn_risk"], scores[f"calibrated_{risk.chosen_}"])
    # the BG/NBD candidate is P(no purchase in H), not 1 - P(alive): for customers without a
    # repeat purchase 1 - P(alive) is 0, the churn score is not
    one_time = current["frequency"].to_numpy() == 0
    assert one_time.any()
    assert np.all(scores.loc[one_time, "score_bgnbd"] > 0.05)
    assert "probability_alive" not in " ".join(scores.columns)


def test_reactivation_history_on_a_hand_made_log():
    from cvm.engine import duckdb_engine
    from cvm.models.winback import reactivation_history

    rows = [("P", "2024-01-10", 100.0), ("P", "2024-05-20", 50.0),   # silent 112 days, back
            ("Q", "2024-02-01", 10.0), ("Q", "2024-07-02", 10.0),    # gone (July is after as-of)
            ("R", "2024-04-30", 40.0), ("R", "2024-06-15", 40.0),
            ("S", "2024-05-31", 5.0)]                                # bought on the cut-off day
    frame = pd.DataFrame(rows, columns=["customer_id", "purchase_date", "amount"])
    frame["purchase_date"] = pd.to_datetime(frame["purchase_date"]).dt.date
    eng = duckdb_engine()
    t = eng.backend.create_table("reactivation_tx", frame)
    h = reactivation_history(t, eng.to_arrow, as_of=dt.date(2024, 6, 30), horizon_days=30,
                             cutoffs=2)
    got = sorted((str(r.cutoff), r.customer_id, r.silence_days, r.group, r.returned)
                 for r in h.itertuples())
    # cut-offs June 30 - 30 days = May 31 and - 60 days = May 1; value tiers are thirds of the
    # spend to date among the customers known then (May 1: Q 10 < R 40 < P 100; May 31:
    # S 5 < Q 10 < R 40 < P 150); S, silent 0 days on May 31, is left out
    assert got == [
        ("2024-05-01", "P", 112, "high", 1),      # Jan 10 -> May 1; came back May 20
        ("2024-05-01", "Q", 90, "low", 0),
        ("2024-05-01", "R", 1, "middle", 0),      # next purchase June 15, after May 31
        ("2024-05-31", "P", 11, "high", 0),
        ("2024-05-31", "Q", 120, "middle", 0),    # July 2 lies after the as-of date
        ("2024-05-31", "R", 31, "high", 1),
    ]


def test_the_rule_and_classifiers_carry_to_the_horizon_by_the_models_mean_conditional():
    """Window 60 days, horizon 90: the recency rule's calibrated window probability times the
    mean over the fitted purchase models of P(none in 90) / P(none in 60), each model's own
    conditional computed here from probability_no_purchase."""
    from cvm.models.churn import RecencyChurn, probability_no_purchase, rf_data

    rng = np.random.default_rng(3)
    earlier, rate = _simulated_features(3000, rng)
    labels = (rng.poisson(rate * 60) == 0).astype(int)
    current, _ = _simulated_features(3000, rng, 60)
    risk = ChurnRisk(horizon_days=90, window_days=60,
                     candidates=("paretonbd", "bgnbd", "mbgnbd", "recency")
                     ).fit(earlier, labels, current)
    assert risk.carry_models_ == ("paretonbd", "bgnbd", "mbgnbd")
    data = rf_data(current, 7.0)
    ratios = []
    for name in risk.carry_models_:
        model = risk.models_now_[name]
        p60, p90 = (probability_no_purchase(model, data, d / 7.0) for d in (60, 90))
        ratios.append(np.where(p60 > 0, p90 / p60, 0.0))
    carry = np.mean(ratios, axis=0)
    assert np.ptp(ratios, axis=0).max() > 0.01  # the models do differ in how silence continues
    window = RecencyChurn(60).fit().predict_proba(current)[:, 1]
    want = np.clip(risk.calibrations_["recency"].predict(window) * carry, 0, 1)
    got = risk.predict(current)["calibrated_recency"].to_numpy()
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
