"""Edges of the discounting (`cvm.models.clv`): each argument refused, the steps worked by hand
(a last step cut short, a model without a frequency/recency/T table), the Pareto/NBD closed form
against its defining integral, and potential value as a product."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from cvm.models import BGBB, BGNBD, ParetoNBD, discounted_expected_transactions, potential_value

mp.mp.dps = 30

BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PARETO = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
DATA = {"frequency": [0, 2, 7, 2], "recency": [0, 30.43, 20.0, 30.43], "T": [38.86, 38.86, 52.0, 38.86]}


def fitted(cls, params):
    model = cls()
    model.params_ = dict(params)
    return model


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"discount_rate": -0.01}, "discount_rate must be >= 0"),
    ({"discount_rate": float("nan")}, "discount_rate must be >= 0"),
    ({"time_units_per_year": 0.0}, "time_units_per_year must be > 0"),
    ({"horizon": 0.0}, "horizon must be > 0"),
    ({"step": 0.0}, "step must be > 0"),
    ({"horizon": np.inf, "discount_rate": 0.0}, "infinite horizon needs a discount rate"),
])
def test_each_argument_is_checked(kwargs, message):
    args = {"horizon": 10.0, "discount_rate": 0.1, "time_units_per_year": 52.0, "step": 1.0} | kwargs
    with pytest.raises(ValueError, match=message):
        discounted_expected_transactions(fitted(ParetoNBD, PARETO), DATA, **args)


def test_steps_worked_by_hand_with_a_last_step_cut_short():
    # horizon 10 in steps of 4: ends 4, 8, 10, each step's purchases discounted from its end
    model = fitted(BGNBD, BG)
    e = {t: model.expected_purchases(t, DATA) for t in (4.0, 8.0, 10.0)}
    expected = (e[4.0] * 1.1 ** (-4 / 52) + (e[8.0] - e[4.0]) * 1.1 ** (-8 / 52)
                + (e[10.0] - e[8.0]) * 1.1 ** (-10 / 52))
    got = discounted_expected_transactions(model, DATA, horizon=10.0, discount_rate=0.1, time_units_per_year=52.0, step=4.0)
    assert got == pytest.approx(expected, rel=1e-14)
    # a horizon that is a whole number of steps has exactly that many: 12 / 4 is 3 steps
    e[12.0] = model.expected_purchases(12.0, DATA)
    expected = (e[4.0] * 1.1 ** (-4 / 52) + (e[8.0] - e[4.0]) * 1.1 ** (-8 / 52)
                + (e[12.0] - e[8.0]) * 1.1 ** (-12 / 52))
    got = discounted_expected_transactions(model, DATA, horizon=12.0, discount_rate=0.1, time_units_per_year=52.0, step=4.0)
    assert got == pytest.approx(expected, rel=1e-14)
    # a horizon, step and year below 1 unit are allowed: 0.5 in steps of 0.25, two units a year
    e = {t: model.expected_purchases(t, DATA) for t in (0.25, 0.5)}
    expected = e[0.25] * 1.1 ** (-0.25 / 0.5) + (e[0.5] - e[0.25]) * 1.1 ** (-0.5 / 0.5)
    got = discounted_expected_transactions(model, DATA, horizon=0.5, discount_rate=0.1, time_units_per_year=0.5, step=0.25)
    assert got == pytest.approx(expected, rel=1e-14)
    # no discount: the steps add up to the purchases expected over the horizon; one step
    got = discounted_expected_transactions(model, DATA, horizon=3.0, discount_rate=0.0, time_units_per_year=52.0, step=5.0)
    assert got == pytest.approx(model.expected_purchases(3.0, DATA), rel=1e-15)


def test_a_model_without_a_frequency_recency_table_is_asked_at_each_step():
    # BG/BB reads opportunities (frequency, recency, periods): its own expected_purchases is called
    model = fitted(BGBB, {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783})
    data = {"frequency": [0, 3, 6], "recency": [0, 4, 6], "periods": [6, 6, 6]}
    e = {t: model.expected_purchases(t, data) for t in (1.0, 2.0, 3.0)}
    expected = e[1.0] / 1.05 + (e[2.0] - e[1.0]) / 1.05**2 + (e[3.0] - e[2.0]) / 1.05**3
    got = discounted_expected_transactions(model, data, horizon=3.0, discount_rate=0.05, time_units_per_year=1.0)
    assert got.shape == (3,)
    assert got == pytest.approx(expected, rel=1e-14)


def test_pareto_dert_equals_its_defining_integral():
    # DERT = P(alive) E[lambda] E[1 / (mu + delta)] with lambda ~ Gamma(r+x, alpha+T) and
    # mu ~ Gamma(s, beta+T) for a customer alive at T; delta = ln(1.15) / 52 per week
    r, alpha, s, beta = PARETO.values()
    model = fitted(ParetoNBD, PARETO)
    delta = mp.log(mp.mpf("1.15")) / 52
    alive = model.probability_alive(DATA)
    got = discounted_expected_transactions(model, DATA, horizon=np.inf, discount_rate=0.15, time_units_per_year=52)
    for i, (x, T) in enumerate(zip(DATA["frequency"], DATA["T"])):
        rate = mp.mpf(beta) + T
        density = lambda mu: rate**s * mu ** (s - 1) * mp.exp(-rate * mu) / mp.gamma(s)  # noqa: E731
        lifetime = mp.quad(lambda mu: density(mu) / (mu + delta), [0, 1 / rate, 10 / rate, mp.inf])
        assert got[i] == pytest.approx(float(alive[i] * (r + x) / (alpha + T) * lifetime), rel=1e-9)


def test_potential_value_is_transactions_times_spend_times_margin():
    model = fitted(BGNBD, BG)
    kwargs = {"horizon": 20.0, "discount_rate": 0.1, "time_units_per_year": 52.0, "step": 4.0}
    transactions = discounted_expected_transactions(model, DATA, **kwargs)
    spend = np.array([10.0, 20.0, 30.0, 40.0])
    got = potential_value(model, DATA, spend=spend, margin=0.25, **kwargs)
    assert got == pytest.approx(transactions * spend * 0.25, rel=1e-15)
    # margins 0 and 1 are the bounds, a margin per customer is allowed
    assert np.all(potential_value(model, DATA, spend=12.0, margin=0.0, **kwargs) == 0.0)
    assert potential_value(model, DATA, spend=12.0, margin=1.0, **kwargs) == pytest.approx(transactions * 12.0, rel=1e-15)
    margins = np.array([0.0, 0.5, 1.0, 0.2])
    assert potential_value(model, DATA, spend=2.0, margin=margins, **kwargs) == pytest.approx(
        transactions * 2.0 * margins, rel=1e-15)
    for margin in (-0.01, 1.01, [0.5, 0.5, 1.5, 0.5]):
        with pytest.raises(ValueError, match="margin must be a share"):
            potential_value(model, DATA, spend=12.0, margin=margin, **kwargs)


def test_steps_of_one_unit_by_default():
    model = fitted(BGNBD, BG)
    kwargs = {"horizon": 3.0, "discount_rate": 0.1, "time_units_per_year": 52.0}
    e = {t: model.expected_purchases(t, DATA) for t in (1.0, 2.0, 3.0)}
    expected = e[1.0] * 1.1 ** (-1 / 52) + (e[2.0] - e[1.0]) * 1.1 ** (-2 / 52) + (e[3.0] - e[2.0]) * 1.1 ** (-3 / 52)
    assert discounted_expected_transactions(model, DATA, **kwargs) == pytest.approx(expected, rel=1e-14)
    assert potential_value(model, DATA, spend=2.0, margin=0.5, **kwargs) == pytest.approx(expected * 2.0 * 0.5, rel=1e-14)
