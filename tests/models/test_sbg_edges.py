"""Edges of the shifted-beta-geometric model (`cvm.models.sbg`): the likelihood and its gradient
for a small cohort worked by hand (FH 2007: P(T = 1) = alpha / (alpha + beta), each later period
multiplies by (beta + t - 2) / (alpha + beta + t - 1)), the curves by hand, the discounted
lifetime as its sum, and each input rule."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cvm.models import ShiftedBetaGeometric
from cvm.models.sbg import sbg_log_likelihood


def fitted(alpha, beta):
    model = ShiftedBetaGeometric()
    model.params_ = {"alpha": alpha, "beta": beta}
    return model


def survival_by_hand(alpha, beta, t):
    s = 1.0
    for k in range(1, t + 1):           # S(k) = S(k-1) (beta + k - 1) / (alpha + beta + k - 1)
        s *= (beta + k - 1) / (alpha + beta + k - 1)
    return s


def test_likelihood_and_gradient_of_a_small_cohort_by_hand():
    # 10 customers: 4 leave in period 1, 1 in period 2, 5 still active after period 2
    alpha, beta = 0.7, 1.9
    stats = ShiftedBetaGeometric()._statistics({"period": [0, 1, 2], "alive": [10, 6, 5]})
    p1 = alpha / (alpha + beta)
    p2 = beta / (alpha + beta) * alpha / (alpha + beta + 1)
    s2 = beta * (beta + 1) / ((alpha + beta) * (alpha + beta + 1))
    ll, grad = sbg_log_likelihood(np.array([alpha, beta]), stats)
    assert ll == pytest.approx(4 * math.log(p1) + math.log(p2) + 5 * math.log(s2), rel=1e-14)

    def by_hand(a, b):
        return (4 * math.log(a / (a + b)) + math.log(b / (a + b) * a / (a + b + 1))
                + 5 * math.log(b * (b + 1) / ((a + b) * (a + b + 1))))

    h = 1e-6
    assert grad[0] == pytest.approx((by_hand(alpha + h, beta) - by_hand(alpha - h, beta)) / (2 * h), rel=1e-8)
    assert grad[1] == pytest.approx((by_hand(alpha, beta + h) - by_hand(alpha, beta - h)) / (2 * h), rel=1e-8)


def test_curves_by_hand():
    alpha, beta = 0.704, 1.182
    model = fitted(alpha, beta)
    t = np.arange(0, 6)
    assert model.survival_function(t) == pytest.approx([survival_by_hand(alpha, beta, k) for k in t], rel=1e-13)
    churn = [survival_by_hand(alpha, beta, k - 1) - survival_by_hand(alpha, beta, k) for k in range(1, 6)]
    assert model.probability_churn(np.arange(1, 6)) == pytest.approx(churn, rel=1e-12)
    assert model.retention_rate([1, 2, 5]) == pytest.approx(
        [beta / (alpha + beta), (beta + 1) / (alpha + beta + 1), (beta + 4) / (alpha + beta + 4)], rel=1e-15)


@pytest.mark.parametrize(("alpha", "beta", "rate"), [(0.704, 1.182, 0.1), (2.5, 0.6, 0.01), (1.4, 3.0, 1.0)])
def test_discounted_lifetime_is_the_discounted_survival_sum(alpha, beta, rate):
    # sum_{t >= 0} S(t) / (1 + d)^t, summed until the terms vanish
    total, s, t = 0.0, 1.0, 0
    while s / (1 + rate) ** t > 1e-18:
        total += s / (1 + rate) ** t
        t += 1
        s *= (beta + t - 1) / (alpha + beta + t - 1)
    assert fitted(alpha, beta).expected_lifetime(rate) == pytest.approx(total, rel=1e-11)


def test_undiscounted_lifetime_and_its_limits():
    assert fitted(2.5, 0.6).expected_lifetime() == pytest.approx((2.5 + 0.6 - 1) / (2.5 - 1), rel=1e-15)
    assert fitted(1.5, 0.6).expected_lifetime() == pytest.approx(2.2, rel=1e-15)    # (1.5 + 0.6 - 1) / 0.5
    assert fitted(1.0, 0.6).expected_lifetime() == math.inf      # alpha = 1: the mean lifetime diverges
    assert fitted(0.7, 0.6).expected_lifetime(0.0) == math.inf
    with pytest.raises(ValueError, match="discount_rate must be >= 0"):
        fitted(2.5, 0.6).expected_lifetime(-0.01)


@pytest.mark.parametrize(("data", "message"), [
    ({"period": [0, 1]}, r"missing column\(s\) \['alive'\]"),
    ({"alive": [5, 4]}, r"missing column\(s\) \['period'\]"),
    ({"period": [0, 1, 2], "alive": [10, float("nan"), 5]}, "'alive' must be whole numbers >= 0"),
    ({"period": [0, 1, 2], "alive": [10, -1, -1]}, "'alive' must be whole numbers >= 0"),
    ({"period": [0, 1, 2], "alive": [10, 7.5, 5]}, "'alive' must be whole numbers >= 0"),
    ({"period": [1, 2, 3], "alive": [10, 7, 5]}, "without gaps, got \\[1.0, 2.0, 3.0\\]"),
    ({"period": [0], "alive": [10]}, "at least one later period"),
    ({"period": [0, 1, 2], "alive": [0, 0, 0]}, "cohort size at period 0"),
    ({"period": [0, 1, 2, 3], "alive": [10, 8, 9, 10]}, r"must not increase \(it does at period 2\)"),
    ({"period": [0, 1], "alive": [10, 6]}, "one period of data cannot separate"),
    ({"period": [0, 1, 2], "alive": [10, 10, 10]}, "nobody churned"),
])
def test_each_input_rule(data, message):
    with pytest.raises(ValueError, match=message):
        ShiftedBetaGeometric().fit(data)


def test_the_rules_name_the_cohort():
    data = pd.DataFrame({"cohort": ["2024", "2024", "2025", "2025"], "period": [0, 1, 0, 1], "alive": [5, 3, 4, 5]})
    with pytest.raises(ValueError, match=r"ShiftedBetaGeometric, cohort '2025': 'alive' must not increase"):
        ShiftedBetaGeometric().fit(data)


def test_cohorts_of_different_lengths_are_pooled_by_period():
    # unsorted rows; cohort a loses 3 then 1 and keeps 6 after period 2, cohort b loses 2 and
    # keeps 8 after period 1: churned 5 in period 1 and 1 in period 2; censored 8 at 1, 6 at 2
    data = pd.DataFrame({"cohort": ["a", "b", "a", "a", "b"], "period": [2, 1, 0, 1, 0], "alive": [6, 8, 10, 7, 10]})
    stats = ShiftedBetaGeometric()._statistics(data)
    assert stats.t.tolist() == [1.0, 2.0]
    assert stats.churned.tolist() == [5.0, 1.0]
    assert stats.censored.tolist() == [8.0, 6.0]
    assert stats.weight.tolist() == [13.0, 7.0]
    # churn in one period only is enough when some customers are seen through a later one
    model = ShiftedBetaGeometric().fit({"cohort": ["a"] * 3 + ["b"] * 2, "period": [0, 1, 2, 0, 1],
                                        "alive": [10, 7, 7, 10, 8]})
    assert model.params_["alpha"] > 0


def test_a_table_without_cohorts_is_cohort_0_and_cohorts_are_read_in_the_order_given():
    with pytest.raises(ValueError, match=r"ShiftedBetaGeometric, cohort 0: 'alive' must not increase"):
        ShiftedBetaGeometric().fit({"period": [0, 1, 2], "alive": [10, 8, 9]})
    # both cohorts break a rule: the first in the table ("b"), not the first in sort order, is named
    data = pd.DataFrame({"cohort": ["b", "b", "a", "a"], "period": [0, 1, 0, 1], "alive": [5, 6, 4, 5]})
    with pytest.raises(ValueError, match=r"cohort 'b'"):
        ShiftedBetaGeometric().fit(data)


def test_a_cohort_of_one_lost_at_once_and_a_flat_period_before_a_rise():
    # a cohort of one customer who leaves in period 1 is valid data (size 1, then 0 alive)
    data = pd.DataFrame({"cohort": ["a"] * 3 + ["b"] * 3, "period": [0, 1, 2] * 2, "alive": [10, 6, 5, 1, 0, 0]})
    stats = ShiftedBetaGeometric()._statistics(data)
    assert stats.churned.tolist() == [5.0, 1.0]
    assert stats.censored.tolist() == [0.0, 5.0]
    # the period named is the first that rises, not a flat one before it
    with pytest.raises(ValueError, match=r"must not increase \(it does at period 2\)"):
        ShiftedBetaGeometric().fit({"period": [0, 1, 2], "alive": [10, 10, 11]})


def test_churn_in_two_periods_is_enough_without_anyone_seen_later():
    # everybody has left by period 2: churn in periods 1 and 2 separates alpha and beta
    model = ShiftedBetaGeometric()
    stats = model._statistics({"period": [0, 1, 2], "alive": [10, 6, 0]})
    assert stats.censored.tolist() == [0.0, 0.0]
    model._check_identifiable(stats)            # no ValueError


@pytest.mark.parametrize("alive", [[10, 9, 9], [5, 1, 1]])
def test_one_churned_customer_or_one_seen_later_is_enough(alive):
    # [10, 9, 9]: a single customer churned; [5, 1, 1]: churn in period 1 only, and a single
    # customer seen through period 2
    model = ShiftedBetaGeometric()
    model._check_identifiable(model._statistics({"period": [0, 1, 2], "alive": alive}))     # no ValueError
