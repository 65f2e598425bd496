"""The uplift evaluation on a small campaign: the split, the figures of the summary, the
columns it reads and leaves out, the outcome words it takes, and the scoring of customers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from cvm.models.uplift import uplift_segments
from cvm.models.uplift_evaluation import (UpliftError, _design, _id_like, _outcome,
                                          evaluate_uplift, score_customers)
from cvm.models.uplift_metrics import perfect_qini_curve, qini_auc_score, qini_curve, uplift_at_k
from tests.models.test_uplift import simulated_campaign


def test_outcome_words():
    words = pd.Series(["1", "0", "1.0", "0.0", "true", "false", "yes", "no", " Yes ", "TRUE",
                       1, 0, True, False, 1.0, 0.0, "No", "FALSE"])
    assert _outcome(words, "bought").tolist() == [1, 0, 1, 0, 1, 0, 1, 0, 1, 1,
                                                  1, 0, 1, 0, 1, 0, 0, 0]
    with pytest.raises(UpliftError, match="bought must hold 1/0.*found 'maybe'"):
        _outcome(pd.Series(["1", "maybe", "2", "0"]), "bought")  # the first bad value named


def test_columns_left_out_as_ids():
    # more distinct text values than max(20, half the rows): an id or a name
    forty = pd.DataFrame({
        "name21": [f"n{i % 21}" for i in range(40)],      # 21 > max(20, 20): left out
        "name20": [f"n{i % 20}" for i in range(40)],      # 20: kept
        "number": np.arange(40.0),                        # numbers are never ids
        "number_text": [str(i) for i in range(40)],       # numbers written as text neither
    })
    assert _id_like(forty, list(forty.columns)) == ["name21"]
    hundred = pd.DataFrame({
        "name51": [f"n{i % 51}" for i in range(100)],    # 51 > max(20, 50): left out
        "name50": [f"n{i % 50}" for i in range(100)],    # 50: kept
        "name25": [f"n{i % 25}" for i in range(100)],    # 25, above 20 but below 50: kept
        "with_gaps": [f"n{i}" if i < 30 else None for i in range(100)],  # 30 of 30 known
    })
    assert _id_like(hundred, list(hundred.columns)) == ["name51", "with_gaps"]


def test_design_matrix():
    frame = pd.DataFrame({"visits": ["3", "1", None, "2"],     # numbers as text: one column
                          "mixed": ["a", "3", "a", None],      # not all numbers: one-hot
                          "segment": ["vip", "new", None, "new"]})
    X, columns = _design(frame, ["visits", "mixed", "segment"], None)
    assert columns == ["visits", "mixed_3", "mixed_a", "segment_new", "segment_vip"]
    np.testing.assert_array_equal(X, [[3, 0, 1, 0, 1], [1, 1, 0, 1, 0], [np.nan, 0, 1, 0, 0],
                                      [2, 0, 0, 1, 0]])
    # scoring: the training data's columns, an unseen category dropped, a missing one 0
    later = pd.DataFrame({"visits": [4.0], "mixed": ["b"], "segment": ["vip"]})
    X, same = _design(later, ["visits", "mixed", "segment"], columns)
    assert same == columns
    np.testing.assert_array_equal(X, [[4, 0, 0, 0, 1]])


@pytest.fixture(scope="module")
def small():
    frame, _ = simulated_campaign(240, seed=4)
    frame = frame.drop(columns=["member"]).assign(
        name=[f"customer {i}" for i in range(240)], arm=frame["arm"].map(
            {"mail": "mail", "holdout": " holdout"}))
    return frame, evaluate_uplift(frame, group_column="arm", control="holdout ",
                                  outcome="bought")


def test_split_ids_and_summary_by_hand(small):
    frame, ev = small
    treated = (frame["arm"] == "mail").to_numpy(dtype=int)
    y = frame["bought"].to_numpy()
    # the defaults: 30 % held out, seed 0, stratified by group × outcome; ids 1 … n
    _, test = train_test_split(np.arange(240), test_size=0.3, random_state=0,
                               stratify=treated * 2 + y)
    assert sorted(ev.scores["id"], key=int) == [str(i + 1) for i in sorted(test)]
    by_id = frame.assign(id=[str(i + 1) for i in range(240)], w=treated).set_index("id")
    held = by_id.loc[ev.scores["id"]]
    np.testing.assert_array_equal(ev.scores["treated"], held["w"])
    np.testing.assert_array_equal(ev.scores["outcome"], held["bought"])
    s = ev.summary
    assert (s["customers"], s["treated"], s["control"], s["held_out"]) == (
        240, treated.sum(), 240 - treated.sum(), 72)
    assert (s["test_share"], s["seed"]) == (0.3, 0)
    assert s["ignored_columns"] == ["name"]
    assert ev.features == ["visits", "tenure", "spend", "segment"]
    assert s["features"] == ev.dummies == ["visits", "tenure", "spend", "segment_new",
                                           "segment_regular", "segment_vip"]
    rate_t = held.loc[held["w"] == 1, "bought"].mean()
    rate_c = held.loc[held["w"] == 0, "bought"].mean()
    assert s["response_treated"] == pytest.approx(rate_t, rel=1e-15)
    assert s["response_control"] == pytest.approx(rate_c, rel=1e-15)
    assert s["average_uplift"] == pytest.approx(rate_t - rate_c, rel=1e-12)
    assert rate_t != rate_c and rate_c > 0


def test_metrics_curves_and_the_chosen_model(small):
    _, ev = small
    s, sc = ev.summary, ev.scores
    y, u, w = sc["outcome"].to_numpy(), sc["uplift"].to_numpy(), sc["treated"].to_numpy()
    aucs = {m: ev.metrics[m]["qini_auc"] for m in ("two_model", "class_transformation")}
    assert aucs["two_model"] != aucs["class_transformation"]
    assert ev.chosen == s["chosen"] == max(aucs, key=aucs.get)
    assert s["chosen_title"] == {"two_model": "two-model (T-learner)",
                                 "class_transformation": "class transformation"}[ev.chosen]
    assert (np.diff(u) <= 0).all() and len(np.unique(u)) > 10  # highest uplift first
    assert list(sc.columns) == ["id", "uplift", "treated", "outcome"]
    assert sc.index.tolist() == list(range(72))
    chosen = ev.metrics[ev.chosen]
    assert list(chosen) == ["qini_auc", "uplift_at_10", "uplift_at_20", "uplift_at_30",
                            "uplift_at_50"]
    assert chosen["qini_auc"] == pytest.approx(qini_auc_score(y, u, w), rel=1e-12)
    for k in (10, 20, 30, 50):
        assert chosen[f"uplift_at_{k}"] == pytest.approx(uplift_at_k(y, u, w, k / 100),
                                                         rel=1e-12, nan_ok=True)
    assert s["models"][ev.chosen] == {"title": s["chosen_title"], **chosen}
    for got, want in zip(ev.curves[ev.chosen], qini_curve(y, u, w)):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    for got, want in zip(ev.curves["perfect"], perfect_qini_curve(y, w)):
        np.testing.assert_array_equal(got, want)
    assert ev.curves["perfect"][1].max() > 0


def test_score_customers_by_hand(small):
    frame, ev = small
    current = frame.drop(columns=["arm", "bought"]).iloc[:30].reset_index(drop=True)
    current.loc[0, "segment"] = "prospect"  # a category the campaign did not have
    scored = score_customers(ev, current)
    assert list(scored.columns) == ["id", "uplift", "probability_outcome_control",
                                    "uplift_segment", "target"]
    assert scored.index.tolist() == list(range(30))
    X, _ = _design(current, ev.features, ev.dummies)
    with threadpool_limits(1):  # as score_customers: threads that wait for busy cores are slow
        u = ev.models[ev.chosen].predict(X)
        _, p_c = ev.control_model.predict_outcomes(X)
    order = np.argsort(-u, kind="mergesort")
    assert scored["id"].tolist() == [str(i + 1) for i in order]
    np.testing.assert_array_equal(scored["uplift"], u[order])
    np.testing.assert_array_equal(scored["probability_outcome_control"], p_c[order])
    segment = uplift_segments(u, p_c, min_uplift=0.02)[order]
    np.testing.assert_array_equal(scored["uplift_segment"], segment)
    np.testing.assert_array_equal(scored["target"], segment == "persuadable")
    assert 0 < scored["target"].sum() < 30
    wide = score_customers(ev, current, min_uplift=1.0)  # no uplift reaches 1
    assert set(wide["uplift_segment"]) <= {"sure_thing", "lost_cause"}
    named = score_customers(ev, current.assign(who=[f"c{i}" for i in range(30)]), id_column="who")
    assert named["id"].tolist() == [f"c{i}" for i in order]
    with pytest.raises(UpliftError, match="lack the campaign's feature columns: tenure, segment"):
        score_customers(ev, current.drop(columns=["tenure", "segment"]))


def test_refusals_and_the_smallest_stratum():
    frame, _ = simulated_campaign(200, seed=1)
    frame = frame.drop(columns=["member"])
    with pytest.raises(UpliftError, match="no feature columns"):
        evaluate_uplift(frame[["arm", "bought"]], group_column="arm", control="holdout",
                        outcome="bought")
    with pytest.raises(UpliftError, match="no column 'who'"):
        evaluate_uplift(frame, group_column="arm", control="holdout", outcome="bought",
                        id_column="who")
    buyers = frame.index[(frame["arm"] == "holdout") & (frame["bought"] == 1)]
    for keep, refused in ((3, True), (4, False)):
        part = frame.drop(index=buyers[keep:])   # `keep` control buyers left
        if refused:
            with pytest.raises(UpliftError, match="at least 4 customers in each"):
                evaluate_uplift(part, group_column="arm", control="holdout", outcome="bought")
        else:
            ev = evaluate_uplift(part, group_column="arm", control="holdout", outcome="bought",
                                 test_share=0.5, seed=4)
            n = len(part)
            assert ev.summary["held_out"] == n - n // 2
            assert ev.summary["seed"] == 4
            # without an id column the customers are numbered 1 … n; this split holds the last two
            strata = (part["arm"] != "holdout").to_numpy(dtype=int) * 2 + part["bought"].to_numpy()
            _, test = train_test_split(np.arange(n), test_size=0.5, random_state=4,
                                       stratify=strata)
            assert {n - 2, n - 1} <= set(test)
            assert sorted(ev.scores["id"], key=int) == [str(i + 1) for i in sorted(test)]
