"""Churn risk's formulas on cases worked out by hand: P(no purchase) of repeat buyers under
BG/NBD and MBG/NBD, the purchase-model candidate, the recency rule, Platt scaling, the horizon
and window rules at their bounds, the (x, t_x, T) histories, the carry ratio, the log loss and
the choice between tied candidates; and what ChurnRisk refuses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, logit

from cvm.models import BGNBD, MBGNBD, ParetoNBD
from cvm.models.churn import (CandidateFit, ChurnCalibration, ChurnRisk, ModelChurn,
                              RecencyChurn, _log_loss, _ratio, _selection_key, horizon_from_gaps,
                              probability_no_purchase, rf_data, window_for)


def _with(cls, **params):
    m = cls()
    m.params_ = params
    return m


def _ratio_by_hand(r, alpha, c, x, t_x, T, t):
    """L(x, t_x, T + t) / L(x, t_x, T) with L ∝ (α + T)^-(r+x) + c (α + t_x)^-(r+x)."""
    def L(T):
        return (alpha + T) ** -(r + x) + c * (alpha + t_x) ** -(r + x)
    return L(T + t) / L(T)


def test_bgnbd_no_purchase_of_repeat_buyers_by_hand():
    # FHL 2005, eq. 6: the second term is a / (b + x − 1) for x > 0
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    m = _with(BGNBD, r=r, alpha=alpha, a=a, b=b)
    data = {"frequency": [3, 1], "recency": [20.0, 6.0], "T": [32.0, 30.0]}
    got = probability_no_purchase(m, data, 10.0)
    want = [_ratio_by_hand(r, alpha, a / (b + x - 1), x, t_x, T, 10.0)
            for x, t_x, T in zip(*data.values())]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # b below 1: b + x − 1 = 0.4 for a single repeat purchase (c = 2)
    m = _with(BGNBD, r=0.5, alpha=3.0, a=0.8, b=0.4)
    got = probability_no_purchase(m, {"frequency": [1], "recency": [5.0], "T": [12.0]}, 20.0)
    assert got[0] == pytest.approx(_ratio_by_hand(0.5, 3.0, 2.0, 1, 5.0, 12.0, 20.0), rel=1e-12)


def test_mbgnbd_no_purchase_by_hand():
    # Batislam et al. 2007: the second term is a / (b + x), also for x = 0
    r, alpha, a, b = 0.525, 6.183, 0.891, 1.614
    m = _with(MBGNBD, r=r, alpha=alpha, a=a, b=b)
    data = {"frequency": [0, 2], "recency": [0.0, 15.0], "T": [25.0, 25.0]}
    got = probability_no_purchase(m, data, 8.0)
    want = [_ratio_by_hand(r, alpha, a / (b + x), x, t_x, T, 8.0)
            for x, t_x, T in zip(*data.values())]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def _histories(n=80, seed=0):
    rng = np.random.default_rng(seed)
    T = rng.uniform(20, 40, n)
    x = rng.poisson(2.0, n).astype(float)
    t_x = np.where(x > 0, T * rng.uniform(0.2, 1.0, n), 0.0)
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": T})


def test_purchase_model_candidate():
    data = _histories()
    default = ModelChurn()
    assert (default.model, default.horizon) == ("paretonbd", 1.0)
    default.fit(data)
    assert isinstance(default.model_, ParetoNBD)
    np.testing.assert_array_equal(default.classes_, [0, 1])
    p = default.predict_proba(data)
    np.testing.assert_array_equal(p[:, 1], probability_no_purchase(default.model_, data, 1.0))
    np.testing.assert_array_equal(p[:, 0], 1.0 - p[:, 1])
    bg = ModelChurn("bgnbd", horizon=13.0).fit(data)
    assert isinstance(bg.model_, BGNBD)
    np.testing.assert_array_equal(bg.predict_proba(data)[:, 1],
                                  probability_no_purchase(bg.model_, data, 13.0))
    with pytest.raises(ValueError, match="unknown purchase model 'pnbd'"):
        ModelChurn("pnbd").fit(data)


def test_recency_rule_settings():
    rule = RecencyChurn()
    assert rule.horizon_days == 90.0
    np.testing.assert_array_equal(rule.fit().classes_, [0, 1])
    p = RecencyChurn(0.5).fit().predict_proba({"recency_days": [0.5, 1.5]})
    np.testing.assert_allclose(p, [[0.5, 0.5], [0.25, 0.75]], rtol=1e-15)
    for bad in (0, -3.0, float("nan")):
        with pytest.raises(ValueError, match="horizon_days must be > 0"):
            RecencyChurn(bad).fit()


def test_platt_scaling_by_hand():
    # two distinct scores: the logistic regression on logit(score) fits the two observed rates
    # (1 of 4 at 0.2, 3 of 4 at 0.6) exactly, and between and beyond them follows the line
    # through (logit 0.2, logit 0.25) and (logit 0.6, logit 0.75); scores of 0 and 1 are read
    # as 1e-6 and 1 − 1e-6
    s = np.array([0.2] * 4 + [0.6] * 4)
    y = np.array([1, 0, 0, 0, 1, 1, 1, 0])
    cal = ChurnCalibration("platt").fit(s, y)
    slope = (logit(0.75) - logit(0.25)) / (logit(0.6) - logit(0.2))
    icept = logit(0.25) - slope * logit(0.2)
    q = np.array([0.2, 0.6, 0.4, 0.0, 1.0])
    want = expit(icept + slope * logit(np.array([0.2, 0.6, 0.4, 1e-6, 1 - 1e-6])))
    got = cal.predict(q)
    np.testing.assert_allclose(got[:3], want[:3], rtol=1e-3)
    assert got[3] == pytest.approx(want[3], rel=1e-2)               # 8.0e-8
    assert 1 - got[4] == pytest.approx(1 - want[4], rel=1e-2)       # 1 − 2.4e-8
    with pytest.raises(ValueError, match="unknown calibration 'beta'"):
        ChurnCalibration("beta").fit(s, y)


def test_horizon_and_window_at_their_bounds():
    assert horizon_from_gaps(15.0) == 21     # ⌈15 / 7⌉ = 3 weeks
    assert horizon_from_gaps(14.0) == 14
    assert horizon_from_gaps(7.0) == 7
    assert horizon_from_gaps(0.0) == 7
    for bad in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match="give the horizon"):
            horizon_from_gaps(bad)
    assert window_for(30, 14.0) == 7          # ⌊14 / 2⌋ = 7: the shortest window allowed
    assert window_for(30, 60.0) == 30
    assert window_for(30, 61.9) == 30
    with pytest.raises(ValueError, match="leaves a window of 6 days"):
        window_for(30, 13.9)


def test_histories_in_units():
    features = pd.DataFrame({"frequency": [3, 0], "tenure_days": [100.0, 14.0],
                             "recency_days": [30.0, 14.0]})
    rf = rf_data(features, 7.0)
    np.testing.assert_allclose(rf.to_numpy(), [[3, 10, 100 / 7], [0, 0, 2]], rtol=1e-15)


def test_carry_ratio_and_log_loss():
    # P(none in H) / P(none in L); 0 where P(none in L) is 0 (then so is P(none in H))
    got = _ratio(np.array([0.3, 0.0, 0.2, 1e-200]), np.array([0.6, 0.0, 1.0, 1e-100]))
    np.testing.assert_allclose(got, [0.5, 0.0, 0.2, 1e-100], rtol=1e-15)
    # clipped to [1e-6, 1 − 1e-6]: a certain wrong answer costs −ln(1e-6) = 13.8 nats
    y = np.array([1, 0, 1, 0])
    p = np.array([0.0, 1.0, 0.5, 0.25])
    want = -(np.log(1e-6) + np.log(1e-6) + np.log(0.5) + np.log(0.75)) / 4
    assert _log_loss(y, p) == pytest.approx(want, rel=1e-9)
    assert _log_loss(np.array([1, 0]), np.array([0.8, 0.1])) == pytest.approx(
        -(np.log(0.8) + np.log(0.9)) / 2, rel=1e-12)


def test_log_losses_equal_to_12_decimals_tie_and_the_higher_auc_wins():
    a = CandidateFit("a", inner_auc=0.70, inner_brier=0.2, inner_log_loss=0.3)
    b = CandidateFit("b", inner_auc=0.72, inner_brier=0.2, inner_log_loss=0.3 + 4e-13)
    c = CandidateFit("c", inner_auc=0.90, inner_brier=0.2, inner_log_loss=0.3 + 2e-12)
    assert min([a, b, c], key=_selection_key).name == "b"
    assert min([a, c], key=_selection_key).name == "a"


def test_churn_risk_refusals():
    earlier = pd.DataFrame({"customer_id": list("abcd")})
    y = [0, 1, 0, 1]
    with pytest.raises(ValueError, match=r"window \(31 days\) must not exceed the horizon"):
        ChurnRisk(horizon_days=30, window_days=31).fit(earlier, y, earlier)
    with pytest.raises(ValueError, match="different lengths"):
        ChurnRisk(horizon_days=30).fit(earlier, y[:3], earlier)
    with pytest.raises(ValueError, match="every customer bought again"):
        ChurnRisk(horizon_days=30).fit(earlier, [1, 1, 1, 1], earlier)
    with pytest.raises(ValueError, match="unknown calibration 'beta'"):
        ChurnRisk(horizon_days=30, calibration="beta").fit(earlier, y, earlier)
    with pytest.raises(ValueError, match="unknown churn candidate 'forest'"):
        ChurnRisk(horizon_days=30, candidates=("recency", "forest")).fit(earlier, y, earlier)


def test_sample_of_rows():
    rng = np.random.default_rng(0)
    assert ChurnRisk._sample(10, None, rng) is None
    assert ChurnRisk._sample(10, 10, rng) is None
    rows = ChurnRisk._sample(11, 10, rng)
    assert len(np.unique(rows)) == 10 and (np.diff(rows) > 0).all() and rows.max() <= 10
