"""The Gamma-Gamma spend model against its definition, on hand-computed cases.

Each transaction of a customer is Gamma(p, nu) (shape p, rate nu), so the mean m of x of them is
Gamma(p x, x nu); nu ~ Gamma(q, gamma) across customers. The likelihood of a row is that density
integrated over nu (mpmath, arbitrary precision), and compared with the closed form of Fader &
Hardie's 2013 note; the gradient with central differences of the likelihood; the expected spend
with the posterior mean of p / nu, worked by hand.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from cvm.models import GammaGamma
from cvm.models.gammagamma import SpendStats, gammagamma_log_likelihood

mp.mp.dps = 30

ROWS = {"frequency": [1, 1, 2, 3, 7, 40], "monetary_value": [12.5, 40.0, 3.2, 25.0, 18.0, 22.75],
        "weights": [2, 1, 3, 1, 5, 1]}
POINTS = [(6.25, 3.74, 15.44), (0.8, 1.6, 2.0), (15.0, 0.7, 300.0)]


def row_likelihood(p, q, gamma, x, m):
    """f(m | x) = ∫ Gamma(m; p x, rate x nu) Gamma(nu; q, rate gamma) d nu."""
    p, q, gamma, x, m = (mp.mpf(v) for v in (p, q, gamma, x, m))

    def integrand(nu):
        mean_density = (x * nu) ** (p * x) * m ** (p * x - 1) * mp.exp(-x * nu * m) / mp.gamma(p * x)
        prior = gamma**q * nu ** (q - 1) * mp.exp(-gamma * nu) / mp.gamma(q)
        return mean_density * prior

    # split the range at the posterior mean of nu and multiples of its standard deviation: the
    # integrand is narrow for many transactions
    shape = p * x + q
    mean, sd = shape / (gamma + x * m), mp.sqrt(shape) / (gamma + x * m)
    points = sorted({mean / 10, 10 * mean} | {mean + k * sd for k in range(-8, 9) if mean + k * sd > 0})
    return mp.quad(integrand, [0, *points, mp.inf])


def stats(rows=ROWS) -> SpendStats:
    return SpendStats(np.array(rows["frequency"], dtype=float), np.array(rows["monetary_value"]),
                      np.array(rows["weights"], dtype=float))


@pytest.mark.parametrize("params", POINTS, ids=str)
def test_log_likelihood_equals_the_integral_over_nu(params):
    ll, _ = gammagamma_log_likelihood(params, stats())
    expected = sum(w * mp.log(row_likelihood(*params, x, m))
                   for x, m, w in zip(ROWS["frequency"], ROWS["monetary_value"], ROWS["weights"]))
    assert ll == pytest.approx(float(expected), rel=1e-11)


@pytest.mark.parametrize("params", POINTS, ids=str)
def test_gradient_equals_differences_of_the_likelihood(params):
    _, grad = gammagamma_log_likelihood(params, stats())
    for j, value in enumerate(params):
        step = 1e-6 * value
        up, down = list(params), list(params)
        up[j] += step
        down[j] -= step
        numeric = (gammagamma_log_likelihood(up, stats())[0]
                   - gammagamma_log_likelihood(down, stats())[0]) / (2 * step)
        assert grad[j] == pytest.approx(numeric, rel=1e-6), GammaGamma.param_names[j]


def fitted(p, q, gamma) -> GammaGamma:
    model = GammaGamma()
    model.params_ = {"p": p, "q": q, "gamma": gamma}
    return model


def test_expected_average_spend_by_hand():
    # E[M | m, x] = (p gamma + p x m) / (p x + q - 1); p 2, q 3, gamma 10:
    #   x 0: 20 / 2 = 10 (the population mean p gamma / (q - 1)), whatever m is
    #   x 1, m 4: (20 + 8) / 4 = 7;  x 3, m 25: (20 + 150) / 8 = 21.25
    model = fitted(2.0, 3.0, 10.0)
    spend = model.expected_average_spend({"frequency": [0, 0, 1, 3], "monetary_value": [0.0, 55.0, 4.0, 25.0]})
    assert spend.tolist() == pytest.approx([10.0, 10.0, 7.0, 21.25], rel=1e-15)
    assert model.expected_population_spend() == 10.0


def test_spend_is_infinite_without_q_above_one():
    # E[M] = p gamma / (q - 1) is finite only for q > 1
    assert fitted(2.0, 1.5, 10.0).expected_population_spend() == pytest.approx(40.0)
    assert fitted(2.0, 1.0, 10.0).expected_population_spend() == float("inf")
    assert fitted(2.0, 0.5, 10.0).expected_population_spend() == float("inf")
    data = {"frequency": [1], "monetary_value": [4.0]}
    # (20 + 8) / (2 + 0.5) = 11.2
    assert fitted(2.0, 1.5, 10.0).expected_average_spend(data).tolist() == pytest.approx([11.2])
    for q in (1.0, 0.5):
        with pytest.raises(ValueError, match=r"q = .* <= 1, so the expected spend is infinite"):
            fitted(2.0, q, 10.0).expected_average_spend(data)


@pytest.mark.parametrize(("data", "message"), [
    ({"frequency": [1, 2, -1], "monetary_value": [10.0, 20.0, 5.0]}, "'frequency' must be >= 0"),
    ({"frequency": [1, 2.5], "monetary_value": [10.0, 20.0]}, "whole number"),
    ({"frequency": [1, 2], "monetary_value": [0.0, 20.0]}, "must be > 0 when 'frequency' > 0"),
    ({"frequency": [1, 2], "monetary_value": [-3.0, 20.0]}, "must be > 0 when 'frequency' > 0"),
])
def test_input_rules(data, message):
    with pytest.raises(ValueError, match=message):
        GammaGamma().fit(data)


def test_customers_without_repeat_purchases_are_left_out_whatever_their_spend():
    # x = 0 rows carry no spend: a 0 or a value below 1 is allowed, and a small positive mean
    # spend is allowed for repeat buyers
    repeat = {"frequency": [1, 2, 3, 1, 2, 4], "monetary_value": [10.0, 30.0, 12.0, 0.5, 10.0, 35.0]}
    with_new = {"frequency": repeat["frequency"] + [0, 0],
                "monetary_value": repeat["monetary_value"] + [0.0, 0.4]}
    alone, both = GammaGamma().fit(repeat), GammaGamma().fit(with_new)
    assert both.n_customers_ == alone.n_customers_ == 6
    assert both.params_ == alone.params_


def test_weights_count_customers():
    rows = {"frequency": [1, 2, 3, 1, 2, 4], "monetary_value": [10.0, 30.0, 12.0, 30.0, 10.0, 35.0]}
    weighted = GammaGamma().fit({**rows, "weights": [3, 1, 1, 2, 1, 1]})
    repeated = GammaGamma().fit({"frequency": rows["frequency"] + [1, 1, 1],
                                 "monetary_value": rows["monetary_value"] + [10.0, 10.0, 30.0]})
    assert weighted.log_likelihood_ == pytest.approx(repeated.log_likelihood_, rel=1e-12)
    for name in ("p", "q", "gamma"):
        assert weighted.params_[name] == pytest.approx(repeated.params_[name], rel=1e-6)


def test_two_distinct_mean_spends_are_enough_to_fit():
    data = {"frequency": [1, 2, 3, 1, 2, 4, 1, 3], "monetary_value": [10.0, 30.0] * 4}
    GammaGamma().fit(data)          # fits (the spread may be poorly identified): no error
    with pytest.raises(ValueError, match="all repeat buyers have the same mean spend"):
        GammaGamma().fit({"frequency": [1, 2, 3], "monetary_value": [10.0, 10.0, 10.0]})
