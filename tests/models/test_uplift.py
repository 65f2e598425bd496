"""Uplift: the metrics against scikit-uplift's definitions (a hand-computed case and
scikit-uplift itself), and the models on a simulated campaign whose individual effects are
known."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from cvm.models.uplift import ClassTransformationUplift, TwoModelUplift, uplift_segments
from cvm.models.uplift_evaluation import UpliftError, evaluate_uplift, score_customers
from cvm.models.uplift_metrics import (perfect_qini_curve, qini_auc_score, qini_curve,
                                       uplift_at_k)


def test_hand_computed_qini_curve_auc_and_uplift_at_k():
    # ordered by score: treated responder, treated non-responder, control responder, control
    # non-responder. Q(n) = y_t − y_c · n_t / n_c: 1, 1, 1 − 1·2/1 = −1, 1 − 1·2/2 = 0
    y, u, w = [1, 0, 1, 0], [0.4, 0.3, 0.2, 0.1], [1, 1, 0, 0]
    x, q = qini_curve(y, u, w)
    assert x.tolist() == [0, 1, 2, 3, 4] and q.tolist() == [0, 1, 1, -1, 0]
    # the ideal score 1, 0, −1, 0: the two zeros tie and make one point (n = 3)
    xp, qp = perfect_qini_curve(y, w)
    assert xp.tolist() == [0, 1, 3, 4] and qp.tolist() == [0, 1, 1, 0]
    # areas: model 0.5 + 1 + 0 − 0.5 = 1, perfect 0.5 + 2 + 0.5 = 3, random line to (4, 0) = 0
    assert qini_auc_score(y, u, w) == pytest.approx(1 / 3)
    # the first ⌊0.75 · 4⌋ = 3: treated 1/2 responded, control 1/1
    assert uplift_at_k(y, u, w, 0.75) == pytest.approx(-0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # NaN said, not the mean of nothing
        assert math.isnan(uplift_at_k(y, u, w, 0.5))  # the first two hold no control
        assert math.isnan(uplift_at_k(y, u, w))  # k = 0.3 by default: ⌊1.2⌋ = 1, no control


def test_metrics_equal_scikit_uplift():
    sk = pytest.importorskip("sklift.metrics")
    rng = np.random.default_rng(3)
    for case in range(20):
        n = int(rng.integers(20, 400))
        y = rng.integers(0, 2, n)
        w = rng.integers(0, 2, n)
        w[:2], y[:4] = [0, 1], [0, 1, 0, 1]  # both groups, both outcomes
        # every third case with heavy ties in the score
        u = rng.normal(size=n) if case % 3 else rng.integers(0, 5, n) / 4
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x_ref, q_ref = sk.qini_curve(y, u, w)
            xp_ref, qp_ref = sk.perfect_qini_curve(y, w)
            auc_ref = sk.qini_auc_score(y, u, w)
            at_ref = [sk.uplift_at_k(y, u, w, strategy="overall", k=k) for k in (0.1, 0.3, 0.5)]
        x, q = qini_curve(y, u, w)
        np.testing.assert_allclose(x, x_ref)
        np.testing.assert_allclose(q, q_ref, rtol=1e-12, atol=1e-12)
        xp, qp = perfect_qini_curve(y, w)
        np.testing.assert_allclose(xp, xp_ref)
        np.testing.assert_allclose(qp, qp_ref, rtol=1e-12, atol=1e-12)
        assert qini_auc_score(y, u, w) == pytest.approx(auc_ref, rel=1e-12, abs=1e-12)
        ours = [uplift_at_k(y, u, w, k) for k in (0.1, 0.3, 0.5)]
        np.testing.assert_allclose(ours, at_ref, rtol=1e-12, equal_nan=True)


def simulated_campaign(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """A campaign sent at random to half of ``n`` customers. Known effects: +30 points of
    response for customers with ``visits`` ≥ 3 and a young ``tenure`` (persuadable), −15 points
    for ``segment`` "vip" (annoyed: do-not-disturb), none for the rest; a base response that
    rises with ``spend`` (sure things among the big spenders)."""
    rng = np.random.default_rng(seed)
    visits = rng.poisson(2.5, n)
    tenure = rng.uniform(0, 10, n)
    spend = rng.gamma(2.0, 50.0, n)
    segment = rng.choice(["regular", "new", "vip"], n, p=[0.6, 0.25, 0.15])
    base = 0.05 + 0.6 / (1 + np.exp(-(spend - 200) / 30))
    tau = np.where((visits >= 3) & (tenure < 5), 0.30, 0.0) - np.where(segment == "vip", 0.15, 0)
    treated = rng.random(n) < 0.5
    p = np.clip(base + treated * tau, 0, 1)
    bought = (rng.random(n) < p).astype(int)
    frame = pd.DataFrame({"member": [f"C{i:05d}" for i in range(n)],
                          "arm": np.where(treated, "mail", "holdout"), "bought": bought,
                          "visits": visits, "tenure": tenure.round(2), "spend": spend.round(2),
                          "segment": segment})
    return frame, tau


def test_uplift_at_30_beats_random_targeting_on_a_simulated_campaign():
    frame, tau = simulated_campaign(6000, seed=11)
    ev = evaluate_uplift(frame, group_column="arm", control="holdout", outcome="bought",
                         id_column="member", test_share=0.3, seed=0)
    s = ev.summary
    assert s["held_out"] == 1800 and s["treated"] + s["control"] == 6000
    random_targeting = s["average_uplift"]  # what any random 30 % gets, in expectation
    # the held-out Qini AUC of the true effects (ties broken at random): the best a score can do
    truth = dict(zip(frame["member"], tau))
    known = ev.scores["id"].map(truth).to_numpy()
    known = known + np.random.default_rng(0).normal(0, 1e-9, known.size)
    oracle = qini_auc_score(ev.scores["outcome"], known, ev.scores["treated"])
    assert 0.1 < oracle < 0.4
    for name in ("two_model", "class_transformation"):
        m = s["models"][name]
        assert m["uplift_at_30"] > random_targeting + 0.1, (name, m, random_targeting)
        assert m["qini_auc"] > 0.75 * oracle, (name, m, oracle)
    # the known effects: the chosen model's top 30 % hold far more of them than a random 30 %
    top = ev.scores["id"].head(int(0.3 * len(ev.scores)))
    assert np.mean([truth[i] for i in top]) > np.mean(tau) + 0.1
    # current customers: the persuadable are the ones with a real effect, the VIPs are left alone
    current, tau_now = simulated_campaign(2000, seed=12)
    scored = score_customers(ev, current.drop(columns=["arm", "bought"]), id_column="member")
    truth_now = dict(zip(current["member"], tau_now))
    effect = scored["id"].map(truth_now)
    persuadable = scored["uplift_segment"] == "persuadable"
    assert effect[persuadable].mean() > effect[~persuadable].mean() + 0.1
    assert effect[scored["uplift_segment"] == "do_not_disturb"].mean() < 0
    assert (scored["target"] == persuadable.astype(int)).all()
    assert set(scored["uplift_segment"]) <= {"persuadable", "sure_thing", "lost_cause",
                                             "do_not_disturb"}


def test_class_transformation_weights_unequal_groups():
    # 80 % treated: without reweighting, 2·P(Z=1) − 1 would be biased by 2·0.8 − 1 = 0.6·(…);
    # a constant effect of +0.2 on a 0.3 base must come out near 0.2 on average
    rng = np.random.default_rng(5)
    n = 20000
    X = rng.normal(size=(n, 2))
    w = (rng.random(n) < 0.8).astype(int)
    y = (rng.random(n) < 0.3 + 0.2 * w).astype(int)
    from sklearn.linear_model import LogisticRegression

    u = ClassTransformationUplift(LogisticRegression()).fit(X, w, y).predict(X)
    assert u.mean() == pytest.approx(0.2, abs=0.02)
    u2 = TwoModelUplift(LogisticRegression()).fit(X, w, y).predict(X)
    assert u2.mean() == pytest.approx(0.2, abs=0.02)


def test_segments_and_errors():
    seg = uplift_segments([0.1, -0.1, 0.0, 0.01], [0.2, 0.2, 0.7, 0.1], min_uplift=0.02)
    assert seg.tolist() == ["persuadable", "do_not_disturb", "sure_thing", "lost_cause"]
    frame, _ = simulated_campaign(200, seed=1)
    with pytest.raises(UpliftError, match="control value 'none'"):
        evaluate_uplift(frame, group_column="arm", control="none", outcome="bought")
    with pytest.raises(UpliftError, match="no column 'response'"):
        evaluate_uplift(frame, group_column="arm", control="holdout", outcome="response")
    bad = frame.assign(bought=frame["bought"].astype(str).replace("1", "maybe"))
    with pytest.raises(UpliftError, match="1/0"):
        evaluate_uplift(bad, group_column="arm", control="holdout", outcome="bought")


def test_metrics_refuse_what_they_cannot_measure():
    y, u, w = [1, 0, 1, 0], [0.4, 0.3, 0.2, 0.1], [1, 1, 0, 0]
    with pytest.raises(ValueError, match="one length"):
        qini_curve(y, u[:3], w)
    with pytest.raises(ValueError, match="1-d"):
        qini_curve([y], [u], [w])  # of one shape, but 2-d
    with pytest.raises(ValueError, match="only 0 and 1"):
        qini_curve([1, 0, 2, 0], u, w)  # an outcome of 2, treatment fine
    with pytest.raises(ValueError, match="only 0 and 1"):
        qini_curve(y, u, [1, 1, 0, 3])  # a treatment of 3, outcomes fine
    for k in (0, 1, 1.5, -0.1):
        with pytest.raises(ValueError, match="share"):
            uplift_at_k(y, u, w, k)
    assert math.isnan(uplift_at_k(y, u, w, 0.25))  # ⌊0.25 · 4⌋ = 1: one treated, no control
    assert uplift_at_k(y, u, w, 0.99) == pytest.approx(-0.5)  # ⌊3.96⌋ = 3
