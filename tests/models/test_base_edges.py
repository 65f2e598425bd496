"""Edges of the shared maximum-likelihood machinery (`cvm.models._base`), on a model whose
estimates and standard errors are known in closed form.

The model: purchases at a Poisson rate ``lam`` over an exposure ``T`` (x purchases) and a
lifetime that ends at an exponential rate ``mu`` (d ends over a watched time D). Its
log-likelihood, up to terms free of the parameters, is

    l = sum_i w_i (x_i log lam - lam T_i) + sum_i w_i (d_i log mu - mu D_i),

so the estimates are lam = sum w x / sum w T and mu = sum w d / sum w D, and the observed
information is sum w x / lam^2 (resp. sum w d / mu^2): the standard error of lam is
lam / sqrt(sum w x), that of mu is mu / sqrt(sum w d).
"""

from __future__ import annotations

import logging
import pickle
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from cvm.models import BGNBD
from cvm.models._base import MaximumLikelihoodModel, NotFittedError, RFModel
from cvm.models._data import rf_stats


@dataclass(frozen=True)
class Counts:
    x: np.ndarray
    T: np.ndarray
    d: np.ndarray
    D: np.ndarray
    weight: np.ndarray


class RateAndLifetime(MaximumLikelihoodModel):
    """Poisson purchases and exponential lifetimes, fitted together."""

    param_names = ("lam", "mu")
    processes: ClassVar[dict[str, tuple[str, ...]]] = {"purchase": ("lam",), "dropout": ("mu",)}

    def _statistics(self, data):
        return Counts(*(np.asarray(data[k], dtype=float) for k in ("x", "T", "d", "D")),
                      np.asarray(data.get("weight", np.ones(len(data["x"]))), dtype=float))

    @staticmethod
    def _log_likelihood(params, stats):
        lam, mu = params
        w = stats.weight
        ll = (np.sum(w * (stats.x * np.log(lam) - lam * stats.T))
              + np.sum(w * (stats.d * np.log(mu) - mu * stats.D)))
        grad = np.array([np.sum(w * (stats.x / lam - stats.T)), np.sum(w * (stats.d / mu - stats.D))])
        return ll, grad


class WithAFreeParameter(RateAndLifetime):
    """The same, with a parameter the likelihood does not read (no curvature along it) and no
    processes declared (the whole model is one)."""

    param_names = ("lam", "mu", "nu")
    processes: ClassVar[dict[str, tuple[str, ...]]] = {}

    @staticmethod
    def _log_likelihood(params, stats):
        ll, grad = RateAndLifetime._log_likelihood(params[:2], stats)
        return ll, np.append(grad, 0.0)


class NowhereFinite(RateAndLifetime):
    @staticmethod
    def _log_likelihood(params, stats):
        return np.nan, np.zeros(2)


DATA = {"x": [3.0, 0.0, 5.0], "T": [10.0, 4.0, 6.0], "d": [1.0, 0.0, 1.0], "D": [2.0, 5.0, 3.0],
        "weight": [1.0, 2.0, 1.0]}
# sum w x = 8, sum w T = 24, sum w d = 2, sum w D = 15
LAM, MU = 8 / 24, 2 / 15


def test_estimates_standard_errors_and_fit_figures_are_the_closed_form(caplog):
    with caplog.at_level(logging.INFO, logger="cvm.models"):
        model = RateAndLifetime().fit(DATA)
    assert caplog.messages == []                          # nothing to warn about
    assert model.params_ == pytest.approx({"lam": LAM, "mu": MU}, rel=1e-7)
    assert list(model.params_) == ["lam", "mu"]
    assert model.log_likelihood_ == pytest.approx(8 * np.log(LAM) - 8 + 2 * np.log(MU) - 2, rel=1e-12)
    assert model.standard_errors_ == pytest.approx({"lam": LAM / np.sqrt(8), "mu": MU / np.sqrt(2)},
                                                   rel=1e-6)
    assert model.n_customers_ == 4.0                    # the weights' sum, not the rows
    assert model.converged_ is True and isinstance(model.n_iter_, int) and model.n_iter_ >= 1
    assert model.identified_ is True and model.unidentified_ == [] and model.warnings_ == []
    table = model.summary()
    assert list(table.columns) == ["estimate", "standard_error"] and list(table.index) == ["lam", "mu"]
    assert table.loc["mu", "standard_error"] == pytest.approx(MU / np.sqrt(2), rel=1e-6)
    clone = pickle.loads(pickle.dumps(model))
    assert clone.params_ == model.params_ and clone.standard_errors_ == model.standard_errors_


def test_hyperparameters_are_read_set_and_shown():
    model = RateAndLifetime()
    assert model.get_params() == {"initial_params": None, "tol": 1e-9, "max_iter": 1000}
    assert repr(model) == "RateAndLifetime(initial_params=None, tol=1e-09, max_iter=1000)"
    assert model.set_params(tol=1e-6, max_iter=50) is model
    assert (model.tol, model.max_iter) == (1e-6, 50)
    with pytest.raises(ValueError, match=r"^RateAndLifetime has no hyperparameter 'lr'$"):
        model.set_params(lr=0.1)
    assert not [k for k in vars(model) if k.endswith("_")]


def test_starting_values_are_checked_and_partial_ones_completed():
    with pytest.raises(ValueError, match=r"^RateAndLifetime: unknown initial parameter\(s\) \['a', 'b'\]$"):
        RateAndLifetime(initial_params={"lam": 1.0, "b": 1.0, "a": 2.0}).fit(DATA)
    for bad in (0.0, -1.0, np.inf, np.nan):
        with pytest.raises(ValueError, match="initial parameters must be finite and > 0"):
            RateAndLifetime(initial_params={"mu": bad}).fit(DATA)
    # a start given for one parameter; the other starts from the model's own guess (1)
    model = RateAndLifetime(initial_params={"lam": 0.05}).fit(DATA)
    assert model.params_ == pytest.approx({"lam": LAM, "mu": MU}, rel=1e-7)
    # a start far beyond exp(30) is brought inside the bounds
    model = RateAndLifetime(initial_params={"lam": 1e20, "mu": 1e-20}).fit(DATA)
    assert model.params_ == pytest.approx({"lam": LAM, "mu": MU}, rel=1e-7)


def test_an_optimiser_stopped_early_is_not_converged(caplog):
    with caplog.at_level(logging.WARNING, logger="cvm.models"):
        model = RateAndLifetime(initial_params={"lam": 50.0, "mu": 1e-4}, max_iter=1).fit(DATA)
    assert model.n_iter_ == 1 and model.converged_ is False
    assert any(m.startswith("RateAndLifetime: optimiser did not converge: ") for m in caplog.messages)


def test_an_optimiser_stopped_early_with_a_small_gradient_is_converged():
    # L-BFGS-B stops at its iteration limit (not a success), but the gradient of the mean
    # negative log-likelihood is within 1000 x tol: converged
    model = RateAndLifetime(initial_params={"lam": 0.4, "mu": 0.15}, tol=1e-4, max_iter=1).fit(DATA)
    theta_gradient = [8 - model.params_["lam"] * 24, 2 - model.params_["mu"] * 15]   # x 1/4
    assert 1e-4 < max(abs(g) / 4 for g in theta_gradient) < 0.1
    assert model.n_iter_ == 1 and model.converged_ is True
    # from further away the gradient is still above 1000 x tol after one iteration
    assert RateAndLifetime(tol=1e-4, max_iter=1).fit(DATA).converged_ is False
    # the bound is strict and exactly 1000 x tol: the same first step (the tolerance plays no
    # part in it) judged against 1000 x tol equal to its gradient, and just below it
    gradient = theta_gradient_of(model)
    tol = gradient / 1000.0
    for _ in range(4):
        if tol * 1000.0 != gradient:
            tol = np.nextafter(tol, np.inf if tol * 1000.0 < gradient else 0.0)
    assert tol * 1000.0 == gradient
    for limit in (tol, gradient / 1000.5):
        again = RateAndLifetime(initial_params={"lam": 0.4, "mu": 0.15}, tol=limit, max_iter=1).fit(DATA)
        assert again.params_ == model.params_ and theta_gradient_of(again) == gradient
        assert again.converged_ is False


def theta_gradient_of(model) -> float:
    """The largest gradient of the mean negative log-likelihood in the log-parameters, as the
    fit computes it."""
    params = np.array([model.params_[k] for k in model.param_names])
    _, grad = model._log_likelihood(params, model._statistics(DATA))
    return float(np.max(np.abs(-grad * params / model.n_customers_)))


def test_a_parameter_at_its_bound_is_named_and_not_identified(caplog):
    # nobody bought: the rate's estimate is 0, the optimiser stops at exp(-30)
    data = dict(DATA, x=[0.0, 0.0, 0.0])
    with caplog.at_level(logging.WARNING, logger="cvm.models"):
        model = RateAndLifetime().fit(data)
    assert model.params_["lam"] == pytest.approx(np.exp(-30.0), rel=1e-6)
    assert model.params_["mu"] == pytest.approx(MU, rel=1e-7)
    assert model.converged_ is False and model.identified_ is False
    # the Hessian has a row of zeros there, so no parameter gets a standard error
    assert np.isnan(model.standard_errors_["mu"])
    assert model.unidentified_ == ["purchase", "dropout"]
    assert model.warnings_ == ["the data do not identify the purchase process (lam at the bound exp(+-30))",
                               "the data do not identify the dropout process (mu has no standard error)"]
    assert "RateAndLifetime: parameter(s) ['lam'] at the bound exp(+-30); the data barely identify " \
           "them" in caplog.messages
    assert "RateAndLifetime: the data do not identify the purchase process (lam at the bound " \
           "exp(+-30))" in caplog.messages


def test_an_estimate_near_the_bound_but_inside_it_is_not_at_the_bound(caplog):
    # lam = 8 / (8 e^29.5) = e^-29.5, half a unit of log inside the bound exp(-30)
    data = dict(DATA, x=[8.0, 0.0, 0.0], T=[8.0 * np.exp(29.5), 0.0, 0.0])
    with caplog.at_level(logging.WARNING, logger="cvm.models"):
        model = RateAndLifetime().fit(data)
    assert np.log(model.params_["lam"]) == pytest.approx(-29.5, abs=1e-6)
    assert model.converged_ is True and model.identified_ is True and caplog.messages == []


def test_a_wide_standard_error_is_named_with_its_ratio():
    # sum w d = 0.2: the standard error of mu is mu / sqrt(0.2), 2.24 times the estimate
    data = dict(DATA, d=[0.2, 0.0, 0.0])
    model = RateAndLifetime().fit(data)
    assert model.standard_errors_["mu"] / model.params_["mu"] == pytest.approx(1 / np.sqrt(0.2), rel=1e-6)
    assert model.unidentified_ == ["dropout"] and model.identified_ is False
    assert model.warnings_ == [("the data do not identify the dropout process (standard error of mu "
                                "2.24 times the estimate)")]
    # sum w d = 0.3: 1.83 times, within the limit of 2
    assert RateAndLifetime().fit(dict(DATA, d=[0.3, 0.0, 0.0])).warnings_ == []
    # sum w x = 0.2 with sum w d = 0.2: both processes, in the order they are declared
    both = RateAndLifetime().fit(dict(DATA, x=[0.2, 0.0, 0.0], d=[0.2, 0.0, 0.0]))
    assert both.unidentified_ == ["purchase", "dropout"]
    assert [w.split(" (")[0] for w in both.warnings_] == [
        "the data do not identify the purchase process", "the data do not identify the dropout process"]


def test_a_flat_direction_has_no_standard_error(caplog):
    with caplog.at_level(logging.WARNING, logger="cvm.models"):
        model = WithAFreeParameter().fit(DATA)
    assert model.params_["lam"] == pytest.approx(LAM, rel=1e-7)
    assert model.params_["nu"] == 1.0                     # never moved from its start
    # the Hessian is singular: no parameter gets a standard error
    assert all(np.isnan(v) for v in model.standard_errors_.values())
    assert "WithAFreeParameter: Hessian not positive definite at the optimum; standard errors " \
           "unavailable" in caplog.messages
    assert model.unidentified_ == ["model"]
    assert model.warnings_ == [("the data do not identify the model (lam has no standard error; mu has "
                                "no standard error; nu has no standard error)")]


def test_a_likelihood_that_is_nowhere_finite_is_refused():
    with pytest.raises(ValueError, match=r"^NowhereFinite: the log-likelihood is not finite at the "
                                         r"optimum; the data do not identify the model$"):
        NowhereFinite().fit(DATA)


def test_unfitted_models_say_so():
    for call in (lambda m: m.summary(), lambda m: m._params(),
                 lambda m: m.expected_purchases(1.0, {"frequency": [0], "recency": [0], "T": [1]})):
        with pytest.raises(NotFittedError, match=r"^This BGNBD is not fitted yet; call fit\(data\) first$"):
            call(BGNBD())
    assert issubclass(NotFittedError, AttributeError) and issubclass(NotFittedError, ValueError)


def test_rf_models_start_from_the_weighted_purchase_rate():
    data = {"frequency": [2.0, 0.0, 4.0], "recency": [5.0, 0.0, 8.0], "T": [10.0, 20.0, 10.0],
            "weights": [1.0, 3.0, 0.5]}
    # sum w x = 4, sum w T = 75: rate 4 / 75
    start = BGNBD()._initial_params(rf_stats(data, model="BGNBD"))
    assert start.tolist() == pytest.approx([1.0, 75 / 4, 1.0, 3.0], rel=1e-12)
    # a repeat purchase that weighs half a customer is enough; a table watched for less than
    # one time unit in all starts from its own rate (2 per unit here)
    short = {"frequency": [1.0], "recency": [0.2], "T": [0.5], "weights": [0.5]}
    stats = rf_stats(short, model="BGNBD")
    assert BGNBD()._check_identifiable(stats) is None
    assert BGNBD()._initial_params(stats).tolist() == pytest.approx([1.0, 0.5, 1.0, 3.0], rel=1e-12)
    # repeat buyers who weigh nothing identify nothing
    with pytest.raises(ValueError, match="BGNBD: no customer has a repeat purchase"):
        BGNBD().fit(dict(data, weights=[0.0, 3.0, 0.0]))
    assert issubclass(BGNBD, RFModel)


def test_rf_predictions_follow_the_input_rows():
    model = BGNBD()
    model.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    rows = pd.DataFrame({"frequency": [2, 0, 2, 7], "recency": [30.43, 0, 30.43, 20.0],
                         "T": [38.86, 38.86, 38.86, 52.0]})
    expected = model.expected_purchases(39, rows)
    alive = model.probability_alive(rows)
    assert expected.shape == alive.shape == (4,)
    assert expected[0] == expected[2] == pytest.approx(1.226, abs=5e-4)   # Fader, Hardie & Lee 2005
    assert alive[1] == 1.0
    one = model.expected_purchases(39, rows.iloc[[3]])[0]
    assert expected[3] == one and model.probability_alive(rows.iloc[[3]])[0] == alive[3]
