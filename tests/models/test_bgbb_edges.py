"""Edges of the BG/BB (`cvm.models.bgbb`) against its individual-level story, enumerated.

A customer has n transaction opportunities; at the start of each she drops out with probability
theta (for good), and while alive she transacts at each with probability p (FHS 2010). Every
death time and every pattern of transactions is enumerated for small n, which gives each
quantity as a polynomial in p, 1 - p, theta and 1 - theta; the expectation of a monomial under
the Beta mixing distributions is a ratio of Beta functions (mpmath). The likelihood is that of
one sequence: the sum over the C(t_x - 1, x - 1) sequences with the same (x, t_x), divided by
their number."""

from __future__ import annotations

import itertools
from collections import defaultdict

import mpmath as mp
import numpy as np
import pytest

from cvm.models import BGBB
from cvm.models.bgbb import bgbb_log_likelihood

mp.mp.dps = 30
PARAMS = (1.204, 0.750, 0.657, 2.783)       # FHS 2010's donation estimates


def fitted(params=PARAMS):
    model = BGBB()
    model.params_ = dict(zip(BGBB.param_names, params))
    return model


def expect(params, monomials):
    """E[sum c p^i (1-p)^j theta^k (1-theta)^l] under p ~ Beta(alpha, beta), theta ~ Beta(gamma, delta)."""
    alpha, beta, gamma, delta = (mp.mpf(v) for v in params)
    return sum(c * mp.beta(alpha + i, beta + j) / mp.beta(alpha, beta) * mp.beta(gamma + k, delta + l) / mp.beta(gamma, delta)
               for (i, j, k, l), c in monomials.items())


def story(n):
    """{(x, t_x): monomials} of P(x, t_x | p, theta) over n opportunities, and of the same
    event with the customer still alive after opportunity n."""
    whole, alive_after = defaultdict(lambda: defaultdict(int)), defaultdict(lambda: defaultdict(int))
    for lived in range(n + 1):          # opportunities lived through: dies at the start of lived + 1
        for pattern in itertools.product((0, 1), repeat=lived):
            x = sum(pattern)
            t_x = max((i + 1 for i, v in enumerate(pattern) if v), default=0)
            death = (0, 0, 1, lived) if lived < n else (0, 0, 0, n)
            key = (x, lived - x) + death[2:]
            whole[(x, t_x)][key] += 1
            if lived == n:
                alive_after[(x, t_x)][key] += 1
    return whole, alive_after


def one_sequence(params, monomials, x, t_x):
    return expect(params, monomials) / (mp.binomial(t_x - 1, x - 1) if x > 0 else 1)


def test_likelihood_equals_the_enumerated_story():
    n = 4
    whole, _ = story(n)
    rows = sorted(whole)
    data = {"frequency": [x for x, _ in rows], "recency": [t for _, t in rows], "periods": [n] * len(rows)}
    stats = BGBB()._statistics(data)
    ll, _ = bgbb_log_likelihood(np.array(PARAMS), stats)
    assert ll == pytest.approx(float(sum(mp.log(one_sequence(PARAMS, whole[row], *row)) for row in rows)), rel=1e-13)
    # every history of n opportunities: the probabilities add up to 1
    assert float(sum(expect(PARAMS, whole[row]) for row in rows)) == pytest.approx(1.0, rel=1e-25)


def test_probability_alive_and_expected_purchases_equal_the_enumerated_story():
    n, t = 4, 3
    whole, alive_after = story(n)
    rows = sorted(whole)
    data = {"frequency": [x for x, _ in rows], "recency": [tx for _, tx in rows], "periods": [n] * len(rows)}
    model = fitted()
    alive = model.probability_alive(data)
    expected = model.expected_purchases(t, data)
    for i, row in enumerate(rows):
        lik = expect(PARAMS, whole[row])
        # alive at opportunity n + 1: also not dropped at its start
        next_alive = {(a, b, c, d + 1): v for (a, b, c, d), v in alive_after[row].items()}
        assert alive[i] == pytest.approx(float(expect(PARAMS, next_alive) / lik), rel=1e-12)
        # opportunity n + j is reached alive with (1 - theta)^j more, and then brings p
        future = defaultdict(int)
        for (a, b, c, d), v in alive_after[row].items():
            for j in range(1, t + 1):
                future[(a + 1, b, c, d + j)] += v
        assert expected[i] == pytest.approx(float(expect(PARAMS, future) / lik), rel=1e-12)


def test_new_customer_purchases_and_their_distribution_equal_the_story():
    t = 5
    whole, _ = story(t)
    counts = defaultdict(lambda: defaultdict(int))
    for (x, _), monomials in whole.items():
        for key, v in monomials.items():
            counts[x][key] += v
    model = fitted()
    got = model.probability_of_purchases(np.arange(t + 2), t)
    assert got[t + 1] == 0.0                       # more transactions than opportunities
    for x in range(t + 1):
        assert got[x] == pytest.approx(float(expect(PARAMS, counts[x])), rel=1e-12)
    mean = sum(x * expect(PARAMS, counts[x]) for x in range(t + 1))
    assert float(model.expected_purchases_new_customer(t)) == pytest.approx(float(mean), rel=1e-12)
    # none in no opportunity
    assert model.probability_of_purchases([0, 1], 0).tolist() == [1.0, 0.0]


def test_expected_purchases_where_gamma_is_one():
    # at gamma = 1 the factor 1/(gamma - 1) is taken to its limit (a digamma difference);
    # 1 +- 1e-9 on either side must agree with it
    data = {"frequency": [0, 2, 3], "recency": [0, 3, 4], "periods": [4, 4, 4]}
    at_one = fitted((1.204, 0.750, 1.0, 2.783)).expected_purchases(6, data)
    for g in (1.0 - 1e-6, 1.0 + 1e-6):
        assert fitted((1.204, 0.750, g, 2.783)).expected_purchases(6, data) == pytest.approx(at_one, rel=1e-5)
    whole, _ = story(0)
    # a new customer at gamma = 1 against the story summed over 6 opportunities
    new = fitted((1.204, 0.750, 1.0, 2.783)).expected_purchases_new_customer(6)
    mean = sum(expect((1.204, 0.750, 1.0, 2.783), {(1, 0, 0, j): 1}) for j in range(1, 7))
    assert float(new) == pytest.approx(float(mean), rel=1e-12)


@pytest.mark.parametrize(("n", "t"), [(-1, 3), (1.5, 3), (1, 2.5), (1, -1)])
def test_probability_of_purchases_refuses_what_is_not_a_count(n, t):
    with pytest.raises(ValueError, match="n and t must be whole numbers >= 0"):
        fitted().probability_of_purchases(n, t)


@pytest.mark.parametrize(("data", "message"), [
    ({"frequency": [1.5], "recency": [2], "periods": [6]}, "must be whole numbers"),
    ({"frequency": [1], "recency": [2.5], "periods": [6]}, "must be whole numbers"),
    ({"frequency": [1], "recency": [2], "periods": [6.5]}, "must be whole numbers"),
    ({"frequency": [-1], "recency": [2], "periods": [6]}, "'frequency' must be >= 0"),
    ({"frequency": [0], "recency": [0], "periods": [0]}, "'periods' \\(transaction opportunities\\) must be >= 1"),
    ({"frequency": [0], "recency": [2], "periods": [6]}, "'recency' must be 0 when 'frequency' is 0"),
    ({"frequency": [0, 0], "recency": [0, 0], "periods": [6, 6]}, "nobody transacted"),
])
def test_each_input_rule(data, message):
    with pytest.raises(ValueError, match=message):
        BGBB().fit(data)


def test_boundary_histories_are_accepted():
    # recency = periods, frequency = recency, one opportunity: allowed at the bound
    data = {"frequency": [1, 3, 0, 2], "recency": [1, 3, 0, 6], "periods": [1, 3, 1, 6], "weights": [2, 1, 1, 3]}
    stats = BGBB()._statistics(data)
    assert stats.weight.sum() == 7
    whole1, _ = story(1)
    whole3, _ = story(3)
    whole6, _ = story(6)
    expected = (2 * mp.log(one_sequence(PARAMS, whole1[(1, 1)], 1, 1)) + mp.log(one_sequence(PARAMS, whole3[(3, 3)], 3, 3))
                + mp.log(one_sequence(PARAMS, whole1[(0, 0)], 0, 0)) + 3 * mp.log(one_sequence(PARAMS, whole6[(2, 6)], 2, 6)))
    assert bgbb_log_likelihood(np.array(PARAMS), stats)[0] == pytest.approx(float(expected), rel=1e-13)
    # without weights each row counts once
    assert fitted().expected_purchases(2, {k: v for k, v in data.items() if k != "weights"}).shape == (4,)


@pytest.mark.parametrize("params", [PARAMS, (0.4, 2.5, 3.0, 0.8)])
def test_gradient_equals_differences_of_the_enumerated_likelihood(params):
    # weighted rows of different n, among them t_x = n (a single term) and x = 0
    data = {"frequency": [0, 1, 2, 3, 4], "recency": [0, 1, 4, 3, 6], "periods": [4, 4, 6, 5, 6], "weights": [3, 1, 2, 1, 2]}
    wholes = {n: story(n)[0] for n in set(data["periods"])}

    def by_story(p):
        return float(sum(w * mp.log(one_sequence(p, wholes[n][(x, tx)], x, tx))
                         for x, tx, n, w in zip(*data.values())))

    ll, grad = bgbb_log_likelihood(np.array(params), BGBB()._statistics(data))
    assert ll == pytest.approx(by_story(params), rel=1e-13)
    for j in range(4):
        step = np.zeros(4)
        step[j] = 1e-5 * params[j]
        numeric = (by_story(np.array(params) + step) - by_story(np.array(params) - step)) / (2 * step[j])
        assert grad[j] == pytest.approx(numeric, rel=1e-7), j


def test_one_transaction_is_enough_to_identify_the_model():
    # nobody transacted is refused (above); a single transaction among all customers is not
    model = BGBB()
    model._check_identifiable(model._statistics({"frequency": [1, 0], "recency": [3, 0],
                                                 "periods": [4, 4]}))
    with pytest.raises(ValueError, match="nobody transacted"):
        model._check_identifiable(model._statistics({"frequency": [1, 0], "recency": [3, 0],
                                                     "periods": [4, 4], "weights": [0, 2]}))
