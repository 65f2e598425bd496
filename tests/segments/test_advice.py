"""Advice a manager can act on, built from the cases a reader of the demo found: a valuable
customer who complained and went silent, a customer almost certain to leave told to "nurture",
a declining customer with a low churn risk, and a matrix that listed "win back" beside a
negative gain. Unit cases from their numbers, then invariants over the demo's captured
outputs (``tests/data/golden``, which the golden test keeps equal to what ``cvm demo`` makes)."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from cvm.engine import get_engine
from cvm.models.churn_classifier import BehaviourChurnClassifier
from cvm.models.churn_reason import churn_reason, stage_notes
from cvm.models.churn_validation import with_complaints
from cvm.models.winback import complained_silent, recovery_value
from cvm.segments.playbook import cell_economics, customer_actions, load_playbook

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden" / "demo-outputs.json.gz"


def _customers(**columns) -> pa.Table:
    return pa.table({k: pa.array(v, pa.float64()) for k, v in columns.items()})


# -- the cases, from their numbers ---------------------------------------------------------

def test_a_valuable_silent_complainer_gets_a_service_recovery():
    # M101998: 11,418 spent, value after return 7,818.93, silent 378 days after buying every
    # 3 days, one complaint 354 days ago; a win-back offer alone expects 0.19 % × 7,818.93 − 20
    playbook = load_playbook(lang="en")
    p = 0.001945
    recovery = recovery_value([7818.93], response=0.1, cost=50.0)
    assert recovery[0] == pytest.approx(0.1 * 7818.93 - 50.0)
    assert complained_silent([378.0], [354.0], 42).tolist() == [True]
    table = _customers(clv=[0.0], winback_value=[p * 7818.93 - 20.0], winback_probability=[p],
                       value_after_return=[7818.93], winback_rank=[727.0],
                       recovery_value=recovery.tolist())
    actions, gains = customer_actions(table, pa.array(["HH-churned"]), playbook)
    assert actions.to_pylist() == ["service_recovery"]
    assert gains.to_pylist()[0] == pytest.approx(731.893)
    # without the complaint the numbers say let go, with the gain that made it so
    plain = table.drop_columns(["recovery_value"])
    actions, gains = customer_actions(plain, pa.array(["HH-churned"]), playbook)
    assert actions.to_pylist() == ["let_go"]
    assert gains.to_pylist()[0] == pytest.approx(p * 7818.93 - 20.0)


def test_each_customer_in_a_mixed_table_gets_its_own_options_worked_out():
    """Six customers over three cells in one call, each branch by hand: a tie between win-back
    and recovery keeps win-back; a churned customer without a win-back value falls back on its
    value if returned; a current customer at risk is told to retain; no known gain keeps the
    cell's play with a null gain; a gain under the minimum lets go with that gain."""
    playbook = load_playbook(lang="en")
    hh, ll = playbook.play("HH-churned"), playbook.play("LL-current")
    nan = float("nan")
    table = _customers(
        clv=[5.0, 40.0, 20.0, nan, 300.0, nan],
        winback_value=[30.0, nan, nan, nan, nan, nan],
        value_if_returned=[nan, 200.0, nan, nan, nan, nan],
        winback_rank=[1.0, nan, 3.0, nan, nan, nan],
        winback_probability=[nan, nan, 0.5, nan, nan, nan],
        value_after_return=[nan, nan, 100.0, nan, nan, nan],
        recovery_value=[30.0, nan, 49.0, nan, nan, nan])
    cells = pa.array(["HH-churned", "HH-churned", "LL-current", "LL-current", "HH-current",
                      "HH-churned"])
    actions, gains = customer_actions(table, cells, playbook, min_gain=25.0)
    # the default playbook: HH-churned win back at 0.2 and 50, LL-current nurture at 0.1 and 1,
    # HH-current loyalty at 0.4 and 10
    assert (hh.action, hh.expected_response, hh.cost_per_customer) == ("win_back", 0.2, 50.0)
    assert (ll.action, ll.cost_per_customer) == ("nurture", 1.0)
    expected = [("win_back", 30.0),           # win-back 30 ties recovery 30: the main option
                ("let_go", -10.0),            # 0.2 × 200 (value if returned) − 50
                ("retain", 49.0),             # 0.5 × 100 − 1 = 49 ties recovery 49
                ("nurture", None),            # no value known: the cell's play, no gain
                ("loyalty", 110.0),           # 0.4 × 300 − 10
                ("win_back", None)]           # churned, nothing known: the play is win back
    assert actions.to_pylist() == [a for a, _ in expected]
    got = gains.to_pylist()
    for g, (_, want) in zip(got, expected):
        assert (g is None) if want is None else g == pytest.approx(want, abs=0, rel=1e-15)
    # under the minimum gain: the same customers at 50 are let go where their best is below it
    actions, gains = customer_actions(table, cells, playbook, min_gain=50.0)
    assert actions.to_pylist()[0] == "let_go" and gains.to_pylist()[0] == 30.0


def test_a_customer_almost_certain_to_leave_is_not_nurtured():
    # M100074: LL-current, churn risk 98 %, ranked for win-back, P(returns) 1.3 %, value after
    # return 147.2; the cell's play (nurture, cost 1) gave 0.013 × 147.2 − 1 = 0.9 "nurture"
    playbook = load_playbook(lang="en")
    cost = playbook.play("LL-current").cost_per_customer
    table = _customers(clv=[20.48], winback_value=[-18.08], winback_probability=[0.013018],
                       value_after_return=[147.2], winback_rank=[1369.0])
    actions, gains = customer_actions(table, pa.array(["LL-current"]), playbook)
    assert actions.to_pylist() == ["retain"]
    assert gains.to_pylist()[0] == pytest.approx(0.013018 * 147.2 - cost)
    # two complaints: a recovery at 0.1 × 147.2 − 50 does not pay either, and with a lower
    # return rate nothing does: let go, with the best gain there was
    worse = _customers(clv=[20.48], winback_value=[-19.49], winback_probability=[0.003471],
                       value_after_return=[147.2], winback_rank=[1696.0],
                       recovery_value=[0.1 * 147.2 - 50.0])
    actions, gains = customer_actions(worse, pa.array(["LL-current"]), playbook)
    assert actions.to_pylist() == ["let_go"]
    assert gains.to_pylist()[0] == pytest.approx(0.003471 * 147.2 - cost)


def test_decline_with_a_low_risk_says_why_in_both_languages():
    # M101965: decline (spend last period −31 % against its earlier average), still buys about
    # every 7 days, churn risk 3 % in the next 42 days
    row = pd.DataFrame({"recency_days": [3.0], "frequency": [60.0], "mean_gap_days": [7.2],
                        "recent_spend": [420.0], "prior_spend": [400.0],
                        "lifecycle_stage": ["decline"], "spend_change": [-0.314],
                        "churn_risk": [0.0303], "churn_horizon_days": [42.0]})
    en = churn_reason(row, "en")[0]
    assert en == ("no purchase for 3 days; usually buys every 7 days; spend trend +5 %; in "
                  "decline because its spend in the last period fell 31 % against its own "
                  "earlier average, but it still buys about every 7 days: the risk of no "
                  "purchase in the next 42 days is 3 %")
    zh = churn_reason(row, "zh")[0]
    assert "处于衰退期" in zh and "下降了 31%" in zh and "约每 7 天" in zh and "42 天" in zh \
        and "3%" in zh
    # stage and risk agree: no note
    agree = row.assign(churn_risk=[0.9])
    assert stage_notes(agree.rename(columns={"mean_gap_days": "churn_gap_days"}), "en") == [None]


def test_a_cell_lists_only_actions_whose_customers_gain():
    # HL-churned on the demo: 7 win back (gains 9, 12, 30, …), 12 let go; a cell of let-go
    # customers only says let go, with the (negative) gain and why
    playbook = load_playbook(lang="en")
    summary = pa.table({"cell": ["HL-churned", "LH-churned"], "customers": [3, 2],
                        "avg_clv": [5.0, 4.0]})
    customers = pa.table({
        "matrix_cell": ["HL-churned"] * 3 + ["LH-churned"] * 2,
        "recommended_action": ["win_back", "let_go", "let_go", "let_go", "let_go"],
        "expected_gain": [30.0, -15.0, -16.0, -12.0, -14.0],
        "winback_value": [30.0, -15.0, -16.0, -12.0, -14.0]})
    rows = {r["cell"]: r for r in cell_economics(summary, playbook, customers).to_pylist()}
    assert rows["HL-churned"]["actions"] == "win_back, let_go"
    assert rows["HL-churned"]["expected_gain_per_customer"] == 30.0
    hl = rows["HL-churned"]
    assert (hl["acted_customers"], hl["let_go_customers"]) == (1, 2)
    assert rows["LH-churned"]["actions"] == "let_go"
    assert rows["LH-churned"]["expected_gain_per_customer"] == -13.0
    assert rows["LH-churned"]["expected_gain_total"] == 0.0
    assert rows["LH-churned"]["gain_basis"].startswith("let go: no action pays")


# -- complaints as churn features, without looking ahead ----------------------------------

def test_complaints_join_the_features_at_the_cut_off_only():
    contacts = pd.DataFrame({"customer_id": ["A", "A", "A", "B"],
                             "interaction_date": [dt.date(2024, 1, 10), dt.date(2024, 3, 1),
                                                  dt.date(2024, 4, 1), dt.date(2024, 2, 1)],
                             "kind": ["complaint", "complaint", "complaint", "enquiry"]})
    engine = get_engine("duckdb")
    t = engine.table(pa.Table.from_pandas(contacts, preserve_index=False), "advice_contacts")
    frame = pd.DataFrame({"customer_id": ["A", "B", "C"], "x": [1, 2, 3]})
    out = with_complaints(frame, t, engine.to_arrow, as_of=dt.date(2024, 3, 10))
    # the April complaint is after the cut-off and does not count
    assert out["complaint_count"].tolist() == [2.0, 0.0, 0.0]
    assert out["days_since_complaint"].tolist()[0] == 9.0
    assert np.isnan(out["days_since_complaint"].tolist()[1:]).all()
    assert out["x"].tolist() == [1, 2, 3]
    assert with_complaints(frame, None, engine.to_arrow, as_of=dt.date(2024, 3, 10)) is frame


def test_the_classifier_learns_from_complaints_where_the_table_has_them():
    from cvm.models.churn_classifier import CLASSIFIER_FEATURES

    rng = np.random.default_rng(0)
    n = 400
    X = pd.DataFrame({c: rng.normal(size=n) for c in CLASSIFIER_FEATURES})
    complaints = rng.integers(0, 3, size=n).astype(float)
    y = (complaints + rng.normal(scale=0.5, size=n) > 1).astype(int)
    plain = BehaviourChurnClassifier("logistic").fit(X, y)
    said = BehaviourChurnClassifier("logistic").fit(
        X.assign(complaint_count=complaints, days_since_complaint=np.where(
            complaints > 0, rng.uniform(1, 90, n), np.nan)), y)
    assert "complaint_count" in said.features_ and "days_since_complaint" in said.features_
    assert "complaint_count" not in plain.features_
    from cvm.models.churn_metrics import roc_auc

    assert roc_auc(y, said.oof_proba_) > roc_auc(y, plain.oof_proba_) + 0.2


# -- the demo, as a manager reads it ------------------------------------------------------

@pytest.fixture(scope="module")
def demo():
    return json.loads(gzip.decompress(GOLDEN.read_bytes()))


def _number(v):
    return None if v in (None, "") else float(v)


def test_every_demo_customer_is_told_an_action_that_pays_or_let_go(demo):
    rows = demo["en"]["customers"]
    for r in rows:
        gain = _number(r["expected_gain"])
        if r["recommended_action"] == "let_go":
            assert gain is not None and gain <= 0, r["customer_id"]
        elif gain is not None:
            assert gain > 0, (r["customer_id"], r["recommended_action"], gain)
        risk = _number(r.get("churn_risk"))
        if r["winback_rank"] not in (None, "") or (risk is not None and risk >= 0.5):
            # almost certain to leave: kept, won back, recovered or let go; never developed
            assert r["recommended_action"] in ("retain", "win_back", "service_recovery",
                                               "let_go"), r["customer_id"]


def test_every_matrix_cell_lists_actions_only_beside_a_positive_gain(demo):
    cells = demo["en"]["summary"]["info"]["stages"]["matrix"]["cells"]
    assert cells
    for c in cells:
        actions = c["actions"].split(", ")
        gain = c["expected_gain_per_customer"]
        if any(a != "let_go" for a in actions) and gain is not None:
            assert gain > 0, c
        if actions == ["let_go"]:
            assert gain is None or gain <= 0, c
        assert c["acted_customers"] + c["let_go_customers"] <= c["customers"]


def test_the_demo_cases_read_as_a_manager_would_act(demo):
    api = demo["api"]
    complained = api["/customers/M101998"]["customer"]
    assert complained["recommended_action_key"] == "service_recovery"
    assert complained["expected_gain"] > 0
    assert "1 complaint" in complained["churn_reason"]
    assert complained["action_reason"].startswith("service recovery")
    leaving = api["/customers/M100074"]["customer"]
    assert leaving["recommended_action_key"] != "nurture" and leaving["churn_risk"] > 0.9
    assert "2 complaints" in leaving["churn_reason"]
    declining = api["/customers/M101965"]["customer"]
    assert declining["lifecycle_stage"] == "decline" and declining["churn_risk"] < 0.1
    assert "in decline because" in declining["churn_reason"]
    listed = {r["customer_id"]: r for r in api["/churn/winback?page_size=20"]["rows"]}
    assert all("recommended_action" in r and "complaint_count" in r for r in listed.values())


def test_the_demo_validation_says_whether_complaints_helped(demo):
    churn = demo["en"]["summary"]["info"]["stages"]["churn"]
    assert churn["complaint_features"] == ["complaint_count", "days_since_complaint"]
    check = churn["validation"]["complaint_features"]
    assert check["used"] is True
    for name in ("gradient_boosting", "logistic", "churn_risk"):
        assert 0.5 < check["auc"][name]["auc_without"] < 1
        assert 0.5 < check["auc"][name]["auc_with"] < 1
    evidence = churn["reactivation"]["complained"]
    assert evidence["complained"]["rate"] < evidence["others"]["rate"]
