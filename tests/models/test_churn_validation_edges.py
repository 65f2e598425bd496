"""Churn scoring and its holdout check on a small hand-made history (tests/models/churn_data.py),
every figure recounted in plain Python: the horizon given or read from the purchase gaps, the
median tenure and the window, the window labels (a last purchase on the cut-off day, a first on
the as-of date), the complaint features, the holdout labels and its end, the figures per
candidate, the settings and summary, and the complaint check."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from churn_data import (AS_OF, bought_in, customers_by, gap_quantile, history, horizon_of,
                        median_tenure, recency, table, window_labels)

from cvm.features.behaviour import behaviour_features
from cvm.models.churn import CandidateFit, ChurnRisk
from cvm.models.churn_metrics import calibration_bins, churn_metrics, decile_table, roc_auc
from cvm.models.churn_validation import (MAX_CHECK_CUSTOMERS, ChurnScores, ChurnValidation,
                                         _complaint_check, _frame, _median_tenure,
                                         _no_purchase_in_window, checked_customers,
                                         churn_horizon, fit_churn_risk, score_churn,
                                         training_window, validate_churn, with_complaints)

H = 28
HOLDOUT_END = AS_OF + dt.timedelta(days=H)          # 28 July 2024
CUTOFF = AS_OF - dt.timedelta(days=H)               # 2 June 2024: the window is the horizon


def _contacts():
    rows = [("g03", dt.date(2024, 4, 2), "complaint"), ("g03", dt.date(2024, 6, 20), "complaint"),
            ("g07", dt.date(2024, 5, 1), "complaint"), ("c04", dt.date(2024, 6, 25), "complaint"),
            ("c10", dt.date(2024, 3, 12), "complaint"), ("g10", dt.date(2024, 4, 9), "complaint"),
            ("c17", dt.date(2024, 5, 20), "complaint"), ("g12", dt.date(2024, 2, 28), "complaint"),
            ("c05", dt.date(2024, 5, 5), "question"),           # not a complaint
            ("g08", dt.date(2024, 7, 2), "complaint")]          # after the as-of date
    return pd.DataFrame(rows, columns=["customer_id", "interaction_date", "kind"])


@pytest.fixture(scope="module")
def data():
    rows = history()
    eng, t = table(rows, "churn_validation_tx")
    contacts = eng.backend.create_table("churn_validation_contacts", _contacts())
    return SimpleNamespace(rows=rows, eng=eng, t=t, contacts=contacts)


@pytest.fixture(scope="module")
def validation(data):
    return validate_churn(data.t, data.eng.to_arrow, calibration_end=AS_OF, horizon_days=H,
                          last_date=HOLDOUT_END)


def _holdout_labels(rows):
    return [int(not bought_in(rows, c, AS_OF, HOLDOUT_END)) for c in customers_by(rows, AS_OF)]


# -- the holdout check ----------------------------------------------------------------------

def test_validation_settings_labels_and_holdout_by_hand(data, validation):
    rows = data.rows
    ids = customers_by(rows, AS_OF)
    assert "new" in ids and "late" not in ids          # a first purchase on the as-of date counts
    assert validation.scores["customer_id"].tolist() == ids
    y = _holdout_labels(rows)
    assert validation.scores["churned_in_holdout"].tolist() == y
    s = validation.summary()
    assert (s["calibration_end"], s["holdout_end"]) == ("2024-06-30", "2024-07-28")
    assert validation.holdout_end == HOLDOUT_END
    assert (s["as_of"], s["horizon_days"], s["horizon_rule"]) == ("2024-06-30", H, "given")
    # median tenure 175.5 days: the window is the horizon, the cut-off 28 days back
    assert median_tenure(rows, AS_OF) == 175.5
    assert (s["window_days"], s["training_cutoff"]) == (H, "2024-06-02")
    assert s["customers"] == len(ids) == 54 and s["sampled_from"] is None
    assert s["holdout_churn_rate"] == pytest.approx(sum(y) / len(y), rel=1e-15)
    # the window's labels: the customers known on 2 June, 1 for no purchase in (2 June, 30 June];
    # "edge" bought last on the cut-off day (silent exactly 28 days): a 1
    known, labels = window_labels(rows, AS_OF, H)
    risk = validation.result.risk
    assert risk.window_labels_.tolist() == labels
    assert dict(zip(known, labels))["edge"] == 1
    assert s["window_churn_rate"] == pytest.approx(np.mean(labels), rel=1e-15)
    assert (risk.max_train_rows, risk.random_state, risk.window_days_) == (50_000, 0, H)
    features = validation.result.features.set_index("customer_id")
    for c in ("new", "today", "edge", "g03", "c11"):
        assert features.loc[c, "recency_days"] == recency(rows, c, AS_OF), c
    assert features.loc["new", "recency_days"] == 0
    # no service log and no survey: no checks
    assert validation.complaint_check is None and validation.survey_check is None
    assert s["complaint_features"] == {"used": False} and s["survey_features"] == {"used": False}


def test_validation_figures_per_candidate(validation):
    scores = validation.scores
    y = scores["churned_in_holdout"].to_numpy()
    chosen = validation.result.risk.chosen_
    names = list(validation.result.risk.window_scores_)
    assert validation.candidates == names
    assert list(validation.metrics) == names + ["churn_risk"]
    assert list(validation.deciles) == names + ["churn_risk"]
    for name in names:
        raw, cal = scores[f"score_{name}"], scores[f"calibrated_{name}"]
        assert validation.metrics[name] == {"score": churn_metrics(y, raw),
                                            "calibrated": churn_metrics(y, cal)}, name
        pd.testing.assert_frame_equal(validation.deciles[name], decile_table(y, raw))
    assert np.array_equal(scores["churn_risk"], scores[f"calibrated_{chosen}"])
    assert validation.metrics["churn_risk"] == churn_metrics(y, scores["churn_risk"])
    pd.testing.assert_frame_equal(validation.deciles["churn_risk"],
                                  decile_table(y, scores["churn_risk"]))
    assert list(validation.calibration_tables) == ["churn_risk"]
    pd.testing.assert_frame_equal(validation.calibration_tables["churn_risk"],
                                  calibration_bins(y, scores["churn_risk"]))
    s = validation.summary()
    aucs = {n: churn_metrics(y, scores[f"score_{n}"])["auc"] for n in names}
    best = max(names, key=aucs.get)
    assert s["best_on_holdout"] == best
    assert s["chosen_is_best_on_holdout"] == (best == chosen)
    assert s["churn_risk"] == validation.metrics["churn_risk"]
    assert s["deciles"]["churn_risk"] == decile_table(y, scores["churn_risk"]).to_dict(
        orient="records")


# -- a sample above the check's size ---------------------------------------------------------

def _sample_by_hand(rows, size: int) -> list[str]:
    """The customers with a purchase by the as-of date ranked by id from 1, the ``size`` whose
    rank × 2654435761 mod 2^32 is smallest (ties by id)."""
    ids = customers_by(rows, AS_OF)
    keys = {c: (rank * 2654435761) % 2**32 for rank, c in enumerate(ids, start=1)}
    return sorted(sorted(ids, key=lambda c: (keys[c], c))[:size])


def _checked_ids(data, size):
    kept, checked, known = checked_customers(data.t, data.eng.to_arrow, as_of=AS_OF,
                                             max_customers=size)
    rows = data.eng.to_arrow(kept).to_pylist()
    return sorted({r["customer_id"] for r in rows}), len(rows), checked, known


def test_a_check_above_its_size_looks_at_a_sample_drawn_by_hand(data):
    ids, n_rows, checked, known = _checked_ids(data, 20)
    sample = _sample_by_hand(data.rows, 20)
    assert (checked, known) == (20, 54)
    assert ids == sample and len(set(sample)) == 20
    # every transaction of a kept customer, those after the as-of date too (the holdout's)
    assert n_rows == sum(c in sample for c, _, _ in data.rows)
    assert any(c in sample and d > AS_OF for c, d, _ in data.rows)
    # at or under the size: every customer, the transactions as they were (no join)
    assert _checked_ids(data, 54)[2:] == (54, 54)
    assert checked_customers(data.t, data.eng.to_arrow, as_of=AS_OF,
                             max_customers=54)[0] is data.t
    _, rows_all, _, _ = _checked_ids(data, None)
    assert rows_all == len(data.rows)
    assert MAX_CHECK_CUSTOMERS == 250_000


def test_the_check_of_a_sample_scores_its_customers_and_says_of_how_many(data):
    checked = validate_churn(data.t, data.eng.to_arrow, calibration_end=AS_OF, horizon_days=H,
                             last_date=HOLDOUT_END, max_customers=40)
    sample = _sample_by_hand(data.rows, 40)
    assert checked.scores["customer_id"].tolist() == sample
    assert checked.scores["churned_in_holdout"].tolist() == [
        int(not bought_in(data.rows, c, AS_OF, HOLDOUT_END)) for c in sample]
    s = checked.summary()
    assert (s["customers"], s["sampled_from"]) == (40, 54)


def test_the_check_reports_say_of_how_many_customers_the_sample_is(data):
    from cvm.reports.churn import render_churn_report

    checked = validate_churn(data.t, data.eng.to_arrow, calibration_end=AS_OF, horizon_days=H,
                             last_date=HOLDOUT_END, max_customers=40)
    assert ("They are a random sample of 40 of the 54 customers who had bought by then"
            in render_churn_report(checked, lang="en"))
    assert "从当时已有购买的 54 位客户中随机抽取的 40 位" in render_churn_report(checked, lang="zh")
    everyone = validate_churn(data.t, data.eng.to_arrow, calibration_end=AS_OF, horizon_days=H,
                              last_date=HOLDOUT_END)
    assert "random sample" not in render_churn_report(everyone, lang="en")


@pytest.mark.parametrize("lang, said", [
    ("en", "The check looked at a random sample of 250,000 of the 1,000,000 customers who had "
           "bought by then"),
    ("zh", "检验随机抽取了当时已有购买的 1,000,000 位客户中的 250,000 位")])
def test_the_run_report_says_the_check_looked_at_a_sample(lang, said):
    from cvm.reports.labels import labels_for
    from cvm.reports.sections import RunResults
    from cvm.reports.winback import SECTIONS

    checked = {"status": "validated", "calibration_end": "2024-06-02",
               "holdout_end": "2024-06-30", "customers": 250_000, "sampled_from": 1_000_000,
               "holdout_churn_rate": 0.4, "churn_risk": {"auc": 0.8, "ece": 0.01},
               "calibration_bins": [], "deciles": []}
    stage = {"status": "scored", "chosen": "bgnbd", "horizon_days": H, "window_days": H,
             "customers_scored": 1, "risk_distribution": [], "at_risk": 0.5,
             "at_risk_customers": 0, "validation": checked}
    frame = pd.DataFrame({"customer_id": ["a"], "churn_risk": [0.2]})

    def note(stage):
        results = RunResults(buyers=frame, everyone=frame, segments=pd.DataFrame(), pareto={},
                             run_info={"stages": {"churn": stage}}, lang=lang,
                             labels=labels_for(lang))
        return SECTIONS[0].render(results).note

    assert said in note(stage)
    whole = dict(checked)
    del whole["sampled_from"]
    assert said not in note({**stage, "validation": whole})


def test_the_sample_is_the_same_on_spark(data, spark_engine):
    t = spark_engine.table(data.eng.to_arrow(data.t), "churn_validation_sample_tx")
    kept, checked, known = checked_customers(t, spark_engine.to_arrow, as_of=AS_OF,
                                             max_customers=20)
    ids = sorted(set(spark_engine.to_arrow(kept).column("customer_id").to_pylist()))
    assert (ids, checked, known) == (_sample_by_hand(data.rows, 20), 20, 54)


def test_holdout_past_the_last_date_refused(data):
    with pytest.raises(ValueError, match=r"holdout of 28 days after 2024-06-30 ends on "
                                         r"2024-07-28, after the last purchase date 2024-07-27"):
        validate_churn(data.t, data.eng.to_arrow, calibration_end=AS_OF, horizon_days=H,
                       last_date=HOLDOUT_END - dt.timedelta(days=1))


def test_validation_with_a_service_log_checks_the_complaints(data, validation):
    checked = validate_churn(data.t, data.eng.to_arrow, calibration_end=AS_OF, horizon_days=H,
                             contacts=data.contacts)
    assert checked.survey_check is None
    check = checked.complaint_check
    y = checked.scores["churned_in_holdout"].to_numpy()
    assert check["used"] is True
    assert check["features"] == ["complaint_count", "days_since_complaint"]
    assert list(check["auc"]) == ["gradient_boosting", "logistic", "churn_risk"]
    for name, row in check["auc"].items():
        column = "churn_risk" if name == "churn_risk" else f"score_{name}"
        assert row["auc_with"] == roc_auc(y, checked.scores[column].to_numpy()), name
        # without the complaints: the same fit as the validation without a service log
        assert row["auc_without"] == roc_auc(y, validation.scores[column].to_numpy()), name
    assert checked.summary()["complaint_features"] is check
    # the complaint features at the as-of date: g03 complained on 2 April and 20 June
    features = checked.result.features.set_index("customer_id")
    assert features.loc["g03", "complaint_count"] == 2.0
    assert features.loc["g03", "days_since_complaint"] == 10.0
    assert features.loc["c05", "complaint_count"] == 0.0          # a question is no complaint
    assert features.loc["g08", "complaint_count"] == 0.0          # July is after the as-of date


# -- scoring at one date ----------------------------------------------------------------------

def test_score_with_the_horizon_from_the_purchase_gaps(data):
    rows = data.rows
    gap = gap_quantile(rows, AS_OF)
    assert (gap, horizon_of(gap)) == (21.0, 21)
    past = data.t.filter(data.t.purchase_date <= AS_OF)
    result = score_churn(past, data.eng.to_arrow, as_of=AS_OF)
    assert (result.horizon_days, result.window_days) == (21, 21)
    assert result.horizon_rule == ("90th percentile of the days between consecutive purchase "
                                   "days (21), rounded up to whole weeks")
    assert result.as_of == AS_OF
    assert result.scores["customer_id"].tolist() == customers_by(rows, AS_OF)
    assert result.features["customer_id"].tolist() == customers_by(rows, AS_OF)
    known, labels = window_labels(rows, AS_OF, 21)
    assert result.risk.window_labels_.tolist() == labels
    assert (result.risk.max_train_rows, result.risk.random_state) == (50_000, 0)
    settings = result.settings()
    assert settings["training_cutoff"] == "2024-06-09"
    assert settings["window_days"] == 21


def test_score_with_a_median_tenure_given(data):
    past = data.t.filter(data.t.purchase_date <= AS_OF)
    # a median tenure of 31 days given: the window is ⌊31 / 2⌋ = 15 days, not the data's 28
    result = score_churn(past, data.eng.to_arrow, as_of=AS_OF, horizon_days=H, median_tenure=31.0,
                         max_train_rows=40, random_state=3)
    assert (result.horizon_days, result.window_days, result.horizon_rule) == (H, 15, "given")
    _, labels = window_labels(data.rows, AS_OF, 15)
    assert result.risk.window_labels_.tolist() == labels
    assert (result.risk.max_train_rows, result.risk.random_state) == (40, 3)
    with pytest.raises(ValueError, match="no customer made a purchase on or before 2024-06-30"):
        score_churn(past, data.eng.to_arrow, as_of=AS_OF, horizon_days=H,
                    median_tenure=float("nan"))


def test_fit_at_the_cut_off_of_the_stage(data):
    rows = data.rows
    current = _frame(data.eng.to_arrow, behaviour_features(data.t, as_of=AS_OF, window_days=H))
    risk = fit_churn_risk(data.t, data.eng.to_arrow, current, as_of=AS_OF, horizon_days=H,
                          window_days=H)
    assert isinstance(risk, ChurnRisk)
    assert (risk.max_train_rows, risk.random_state, risk.calibration) == (100_000, 0, "auto")
    _, labels = window_labels(rows, AS_OF, H)
    assert risk.window_labels_.tolist() == labels
    assert "complaint_count" not in risk.classifiers_["logistic"].features_
    # with a service log the complaints up to the cut-off join the earlier features
    current = with_complaints(current, data.contacts, data.eng.to_arrow, as_of=AS_OF)
    risk = fit_churn_risk(data.t, data.eng.to_arrow, current, as_of=AS_OF, horizon_days=H,
                          window_days=H, contacts=data.contacts, max_train_rows=None,
                          random_state=2, calibration="platt")
    assert (risk.max_train_rows, risk.random_state, risk.calibration) == (None, 2, "platt")
    assert {"complaint_count", "days_since_complaint"} <= set(
        risk.classifiers_["logistic"].features_)


# -- the pieces ------------------------------------------------------------------------------

def test_horizon_given_or_from_the_gaps():
    assert churn_horizon(None, None, as_of=AS_OF, horizon_days=1) == (1, "given")
    assert churn_horizon(None, None, as_of=AS_OF, horizon_days=30.7) == (30, "given")
    for bad in (0, -5):
        with pytest.raises(ValueError, match=f"at least 1 day, got {bad}"):
            churn_horizon(None, None, as_of=AS_OF, horizon_days=bad)
    # every gap 10 days: the 90th percentile is 10, two weeks
    rows = [("a", dt.date(2024, 1, 1), 1.0), ("a", dt.date(2024, 1, 11), 1.0),
            ("b", dt.date(2024, 2, 1), 1.0), ("b", dt.date(2024, 2, 11), 1.0),
            ("b", dt.date(2024, 2, 21), 1.0)]
    eng, t = table(rows, "churn_horizon_tx")
    assert churn_horizon(t, eng.to_arrow, as_of=AS_OF) == (
        14, "90th percentile of the days between consecutive purchase days (10), rounded up "
            "to whole weeks")
    eng, t = table([("a", dt.date(2024, 1, 1), 1.0), ("b", dt.date(2024, 1, 5), 1.0)],
                   "churn_horizon_once")
    with pytest.raises(ValueError, match="give the horizon"):
        churn_horizon(t, eng.to_arrow, as_of=AS_OF)


def test_median_tenure_and_window():
    rows = [("a", dt.date(2024, 1, 1), 1.0), ("a", dt.date(2024, 5, 1), 1.0),   # 181 days
            ("d", dt.date(2024, 4, 21), 1.0),                                   # 70 days
            ("b", AS_OF, 1.0),                                                  # 0 days
            ("c", dt.date(2024, 7, 3), 1.0)]                                    # not yet
    eng, t = table(rows, "churn_tenure_tx")
    assert _median_tenure(t, eng.to_arrow, AS_OF) == 70.0
    assert training_window(t, eng.to_arrow, as_of=AS_OF, horizon_days=60) == 35
    assert training_window(t, eng.to_arrow, as_of=AS_OF, horizon_days=20) == 20
    with pytest.raises(ValueError, match="no customer made a purchase on or before 2023-12-31"):
        _median_tenure(t, eng.to_arrow, dt.date(2023, 12, 31))


def test_frame_ordered_by_customer():
    eng, t = table([("b", AS_OF, 1.0), ("c", AS_OF, 2.0), ("a", AS_OF, 3.0)], "churn_order_tx")
    assert _frame(eng.to_arrow, t)["customer_id"].tolist() == ["a", "b", "c"]


def test_window_label_from_the_recency_now():
    current = pd.DataFrame({"customer_id": ["c", "a", "b", "z"],
                            "recency_days": [9.0, 6.0, 7.0, 1.0]})
    # a: bought 6 days ago, inside a 7-day window; b: exactly 7 days ago, on the cut-off day
    got = _no_purchase_in_window(pd.Series(["a", "b", "c", "x"]), current, 7)
    assert got.tolist() == [0, 1, 1, 0]
    assert got.dtype.kind == "i"


def test_complaints_join_the_features():
    contacts = pd.DataFrame({
        "customer_id": ["a", "a", "b", "c", "a"],
        "interaction_date": [dt.date(2024, 6, 1), dt.date(2024, 6, 20), dt.date(2024, 6, 10),
                             dt.date(2024, 7, 2), dt.date(2024, 7, 1)],
        "kind": ["complaint", "complaint", "question", "complaint", "complaint"]})
    from cvm.engine import duckdb_engine

    eng = duckdb_engine()
    log = eng.backend.create_table("churn_complaints", contacts)
    features = pd.DataFrame({"customer_id": ["c", "a", "b"], "frequency": [1.0, 2.0, 3.0],
                             "complaint_count": [9.0, 9.0, 9.0]})
    assert with_complaints(features, None, eng.to_arrow, as_of=AS_OF) is features
    out = with_complaints(features, log, eng.to_arrow, as_of=AS_OF)
    assert out.columns.tolist() == ["customer_id", "frequency", "complaint_count",
                                    "days_since_complaint"]
    assert out["customer_id"].tolist() == ["c", "a", "b"]
    assert out["complaint_count"].tolist() == [0.0, 2.0, 0.0]
    assert out["complaint_count"].dtype == float
    days = out["days_since_complaint"].to_numpy()
    assert np.isnan(days[[0, 2]]).all() and days[1] == 10.0
    assert features["complaint_count"].tolist() == [9.0, 9.0, 9.0]     # the frame is kept


# -- settings, summary and the complaint check from hand-set figures ------------------------

def _stub_risk(chosen="logistic"):
    fits = [CandidateFit("recency", 0.61, 0.22, 0.64, "isotonic"),
            CandidateFit("logistic", 0.74, 0.19, 0.55, "platt")]
    return SimpleNamespace(
        chosen_=chosen, calibration_methods_={"recency": "isotonic", "logistic": "platt"},
        reason=lambda lang: f"why ({lang})", window_base_rate_=0.375, window_fits_=fits,
        window_scores_={"recency": None, "logistic": None}, classifiers_={})


def test_settings_from_hand_set_figures():
    result = ChurnScores(dt.date(2024, 3, 31), 42, "given", 30, _stub_risk(), pd.DataFrame(),
                         pd.DataFrame())
    assert result.settings() == {
        "as_of": "2024-03-31", "horizon_days": 42, "horizon_rule": "given", "window_days": 30,
        "training_cutoff": "2024-03-01", "chosen": "logistic",
        "chosen_title": "logistic regression", "calibration": "platt", "reason": "why (en)",
        "reason_zh": "why (zh)", "window_churn_rate": 0.375,
        "selection": "lowest log loss of the calibrated window score, each customer's "
                     "calibration fitted on the other half of the window's customers (isotonic "
                     "or Platt, whichever gave the lower log loss)",
        "window_figures": {
            "recency": {"auc": 0.61, "brier": 0.22, "log_loss": 0.64, "calibration": "isotonic"},
            "logistic": {"auc": 0.74, "brier": 0.19, "log_loss": 0.55, "calibration": "platt"}}}


def _stub_validation(chosen, aucs, complaint_check=None, survey_check=None):
    result = ChurnScores(AS_OF, H, "given", H, _stub_risk(chosen), pd.DataFrame(), pd.DataFrame())
    scores = pd.DataFrame({"churned_in_holdout": [1, 0, 0, 1, 1]})
    metrics = {n: {"score": {"auc": a}, "calibrated": {"auc": a}} for n, a in aucs.items()}
    metrics["churn_risk"] = {"auc": 0.7}
    deciles = {"churn_risk": pd.DataFrame({"decile": [1, 2], "customers": [3, 2]})}
    tables = {"churn_risk": pd.DataFrame({"bin": [0], "customers": [5]})}
    return ChurnValidation(AS_OF, HOLDOUT_END, result, scores, metrics, deciles, tables,
                           complaint_check, survey_check)


def test_summary_from_hand_set_figures():
    s = _stub_validation("logistic", {"recency": 0.6, "logistic": 0.8}).summary()
    assert (s["customers"], s["holdout_churn_rate"]) == (5, 0.6)
    assert (s["best_on_holdout"], s["chosen_is_best_on_holdout"]) == ("logistic", True)
    assert s["candidates"] == {
        "recency": {"title": "recency rule", "score": {"auc": 0.6}, "calibrated": {"auc": 0.6}},
        "logistic": {"title": "logistic regression", "score": {"auc": 0.8},
                     "calibrated": {"auc": 0.8}}}
    assert s["churn_risk"] == {"auc": 0.7}
    assert s["ece_binning"] == ("10 equal-width bins of the score on [0, 1], weighted by the "
                                "customers in each")
    assert s["deciles"] == {"churn_risk": [{"decile": 1, "customers": 3},
                                           {"decile": 2, "customers": 2}]}
    assert s["calibration_bins"] == {"churn_risk": [{"bin": 0, "customers": 5}]}
    assert s["complaint_features"] == {"used": False} and s["survey_features"] == {"used": False}
    assert s["chosen"] == "logistic" and s["training_cutoff"] == "2024-06-02"
    s = _stub_validation("logistic", {"recency": 0.9, "logistic": 0.8}).summary()
    assert (s["best_on_holdout"], s["chosen_is_best_on_holdout"]) == ("recency", False)
    check = {"used": True, "features": ["complaint_count"], "auc": {}}
    survey = {"used": False, "features": [], "auc": {}}
    s = _stub_validation("recency", {"recency": 0.9, "logistic": 0.8}, check, survey).summary()
    assert s["chosen_is_best_on_holdout"] is True
    assert s["complaint_features"] is check and s["survey_features"] is survey


def test_complaint_check_from_hand_set_scores():
    y = np.array([0, 0, 1, 1])
    with_ = pd.DataFrame({"score_gradient_boosting": [0.1, 0.4, 0.35, 0.8],   # AUC 3/4
                          "score_logistic": [0.1, 0.2, 0.3, 0.4],              # 1
                          "churn_risk": [0.4, 0.1, 0.35, 0.8]})                # 3/4
    without = pd.DataFrame({"score_gradient_boosting": [0.9, 0.4, 0.35, 0.8],  # 1/4
                            "churn_risk": [0.5, 0.5, 0.5, 0.5]})               # 1/2
    risk = SimpleNamespace(classifiers_={
        "gradient_boosting": SimpleNamespace(features_=("frequency", "days_since_complaint",
                                                        "survey_index")),
        "logistic": SimpleNamespace(features_=("complaint_count", "frequency"))})
    got = _complaint_check(y, with_, without, risk)
    # the logistic scores are missing without the complaints: that row is left out
    assert got == {"used": True, "features": ["complaint_count", "days_since_complaint"],
                   "auc": {"gradient_boosting": {"title": "gradient boosting", "auc_with": 0.75,
                                                 "auc_without": 0.25},
                           "churn_risk": {"title": "churn_risk", "auc_with": 0.75,
                                          "auc_without": 0.5}}}
    both = without.assign(score_logistic=[0.4, 0.3, 0.2, 0.1])
    got = _complaint_check(y, with_, both, risk, ("survey_answered", "survey_index"))
    assert (got["used"], got["features"]) == (True, ["survey_index"])
    assert got["auc"]["logistic"] == {"title": "logistic regression", "auc_with": 1.0,
                                      "auc_without": 0.0}
    assert list(got["auc"]) == ["gradient_boosting", "logistic", "churn_risk"]
    got = _complaint_check(y, with_, both, risk, ("survey_answered",))
    assert (got["used"], got["features"]) == (False, [])
