"""Shared maximum-likelihood machinery for the models (scikit-learn conventions).

``__init__`` stores hyperparameters only; ``fit`` computes sufficient statistics, maximises the
log-likelihood over log-parameters with L-BFGS-B and the model's analytic gradient, and stores
learned values in attributes ending in ``_``. Nothing callable is stored on the instance, so
fitted models pickle.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from ..errors import CvmError
from ._data import read_horizon, rf_stats, wsum

__all__ = ["MaximumLikelihoodModel", "NotFittedError", "RFModel", "PROCESS_TITLES"]

logger = logging.getLogger(__name__)

_LOG_BOUND = 30.0  # parameters are kept within exp(+-30) of 1
#: a parameter whose standard error exceeds this multiple of its estimate is not identified: the
#: approximate 95 % interval of its logarithm, +-1.96 x 2, spans more than a factor of 2,500
_RELATIVE_SE_LIMIT = 2.0

#: what each process of a model is called in its warnings (keys of ``processes``)
PROCESS_TITLES = {"purchase": "purchase process", "dropout": "dropout process",
                  "spend": "spend process", "model": "model"}


class NotFittedError(CvmError, ValueError, AttributeError):
    """Raised when a prediction is asked of a model that has not been fitted."""


class MaximumLikelihoodModel:
    """Base class: subclasses define ``param_names`` and the hooks below.

    Hooks: ``_statistics(data)`` returns the compressed sufficient statistics;
    ``_log_likelihood(params, stats)`` returns ``(total log-likelihood, gradient in params)``
    (a pure function of the parameter vector and the statistics); ``_check_identifiable(stats)``
    raises ``ValueError`` when the data cannot identify the model; ``_initial_params(stats)``
    gives starting values.

    Parameters
    ----------
    initial_params : dict, optional
        Starting values by parameter name; the model's own guesses are used otherwise.
    tol : float
        Convergence tolerance on the projected gradient of the mean negative log-likelihood
        with respect to the log-parameters.
    max_iter : int
        Maximum optimiser iterations.
    """

    param_names: ClassVar[tuple[str, ...]] = ()
    #: the parameters of each process the model describes, for the identification warnings
    processes: ClassVar[dict[str, tuple[str, ...]]] = {}

    def __init__(self, *, initial_params: dict[str, float] | None = None, tol: float = 1e-9,
                 max_iter: int = 1000):
        self.initial_params = initial_params
        self.tol = tol
        self.max_iter = max_iter

    # -- scikit-learn style plumbing ------------------------------------------------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {"initial_params": self.initial_params, "tol": self.tol, "max_iter": self.max_iter}

    def set_params(self, **params):
        for key, value in params.items():
            if key not in self.get_params():
                raise ValueError(f"{type(self).__name__} has no hyperparameter {key!r}")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # -- hooks ----------------------------------------------------------------------------
    def _statistics(self, data):  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def _log_likelihood(params: np.ndarray, stats) -> tuple[float, np.ndarray]:  # pragma: no cover
        raise NotImplementedError

    def _check_identifiable(self, stats) -> None:
        return None

    def _initial_params(self, stats) -> np.ndarray:
        return np.ones(len(self.param_names))

    @staticmethod
    def _n_observations(stats) -> float:
        return float(stats.weight.sum())

    # -- fitting --------------------------------------------------------------------------
    def fit(self, data):
        """Fit by maximum likelihood; returns ``self``."""
        name = type(self).__name__
        stats = self._statistics(data)
        self._check_identifiable(stats)
        start = self._initial_params(stats)
        if self.initial_params is not None:
            unknown = set(self.initial_params) - set(self.param_names)
            if unknown:
                raise ValueError(f"{name}: unknown initial parameter(s) {sorted(unknown)}")
            start = np.array([self.initial_params.get(k, v) for k, v in zip(self.param_names, start)],
                             dtype=float)
        if np.any(~np.isfinite(start)) or np.any(start <= 0):
            raise ValueError(f"{name}: initial parameters must be finite and > 0, got {start}")
        scale = self._n_observations(stats)
        loglik = self._log_likelihood

        def objective(theta):
            params = np.exp(theta)
            with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
                ll, grad = loglik(params, stats)
            if not np.isfinite(ll) or not np.all(np.isfinite(grad)):
                return np.inf, np.zeros_like(theta)
            return -ll / scale, -grad * params / scale

        theta0 = np.clip(np.log(start), -_LOG_BOUND, _LOG_BOUND)
        result = minimize(objective, theta0, jac=True, method="L-BFGS-B",
                          bounds=[(-_LOG_BOUND, _LOG_BOUND)] * len(theta0),
                          options={"maxiter": self.max_iter, "gtol": self.tol, "ftol": 1e-15,
                                   "maxcor": 20})
        params = np.exp(result.x)
        ll, _ = loglik(params, stats)
        if not np.isfinite(ll):
            raise ValueError(f"{name}: the log-likelihood is not finite at the optimum; "
                             "the data do not identify the model")
        at_bound = np.abs(result.x) >= _LOG_BOUND - 1e-6
        if at_bound.any():
            names = [n for n, b in zip(self.param_names, at_bound) if b]
            logger.warning("%s: parameter(s) %s at the bound exp(+-%g); the data barely identify "
                           "them", name, names, _LOG_BOUND)
        self.params_ = {k: float(v) for k, v in zip(self.param_names, params)}
        self.log_likelihood_ = float(ll)
        self.n_iter_ = int(result.nit)
        # L-BFGS-B can stop "abnormally" in the line search when it is already at the optimum
        # to machine precision; judge convergence by the gradient itself.
        _, grad = objective(result.x)
        free = ~at_bound
        small_gradient = bool(np.all(np.abs(grad[free]) < max(self.tol, 1e-12) * 1e3))
        self.converged_ = (bool(result.success) or small_gradient) and not at_bound.any()
        if not self.converged_:
            logger.warning("%s: optimiser did not converge: %s", name, result.message)
        se = self._standard_errors(params, stats)
        self.standard_errors_ = {k: float(v) for k, v in zip(self.param_names, se)}
        self.n_customers_ = scale
        self.unidentified_, self.warnings_ = self._identification(params, se, at_bound)
        self.identified_ = not self.unidentified_
        for text in self.warnings_:
            logger.warning("%s: %s", name, text)
        return self

    def _identification(self, params: np.ndarray, se: np.ndarray, at_bound: np.ndarray):
        """Which processes the data leave unidentified, and a warning for each.

        A parameter is not identified when the optimum is at the parameter bound, when the
        log-likelihood is not curved there (no standard error: the Hessian is singular or not
        negative definite), or when its standard error exceeds ``_RELATIVE_SE_LIMIT`` times the
        estimate (the likelihood is nearly flat along a ridge, as for the dropout parameters
        of a calibration period too short to see customers leave).
        """
        problems = {}
        for name, value, error, bound in zip(self.param_names, params, se, at_bound):
            if bound:
                problems[name] = f"{name} at the bound exp(+-{_LOG_BOUND:g})"
            elif not np.isfinite(error):
                problems[name] = f"{name} has no standard error"
            elif error > _RELATIVE_SE_LIMIT * value:
                problems[name] = f"standard error of {name} {error / value:,.3g} times the estimate"
        processes = self.processes or {"model": self.param_names}
        unidentified, warnings = [], []
        for process, names in processes.items():
            found = [problems[n] for n in names if n in problems]
            if found:
                unidentified.append(process)
                warnings.append(f"the data do not identify the {PROCESS_TITLES[process]} "
                                f"({'; '.join(found)})")
        return unidentified, warnings

    def _standard_errors(self, params: np.ndarray, stats) -> np.ndarray:
        """Square roots of the diagonal of the inverse Hessian of the negative log-likelihood.

        The Hessian is the central difference of the analytic gradient (natural parameters).
        """
        k = params.size
        hess = np.empty((k, k))
        for j in range(k):
            h = 1e-5 * params[j]
            up, down = params.copy(), params.copy()
            up[j] += h
            down[j] -= h
            hess[:, j] = -(self._log_likelihood(up, stats)[1] - self._log_likelihood(down, stats)[1]) / (2 * h)
        hess = (hess + hess.T) / 2
        se = np.full(k, np.nan)
        try:
            variance = np.diag(np.linalg.inv(hess))
        except np.linalg.LinAlgError:
            variance = se
        positive = variance > 0  # a negative variance means no minimum in that direction
        se[positive] = np.sqrt(variance[positive])
        if not np.all(np.isfinite(se)):
            logger.warning("%s: Hessian not positive definite at the optimum; standard errors "
                           "unavailable", type(self).__name__)
            se = np.where(np.isfinite(se), se, np.nan)
        return se

    # -- helpers for predictions -----------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "params_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet; call fit(data) first")

    def _params(self) -> tuple[float, ...]:
        self._check_fitted()
        return tuple(self.params_[k] for k in self.param_names)

    def summary(self) -> pd.DataFrame:
        """Estimates with standard errors, one row per parameter."""
        self._check_fitted()
        return pd.DataFrame({"estimate": self.params_, "standard_error": self.standard_errors_})


class RFModel(MaximumLikelihoodModel):
    """Base for the models fitted on frequency / recency / T tables."""

    def _statistics(self, data):
        return rf_stats(data, model=type(self).__name__)

    def _history(self, data):
        """Rows to score, compressed (``.inverse`` maps results back to the input rows)."""
        self._check_fitted()
        return rf_stats(data, model=type(self).__name__, use_weights=False)

    def _check_identifiable(self, stats) -> None:
        if not wsum(stats.weight, stats.x) > 0:
            raise ValueError(f"{type(self).__name__}: no customer has a repeat purchase, so the "
                             "purchase and dropout processes cannot be identified")

    def _initial_params(self, stats) -> np.ndarray:
        rate = wsum(stats.weight, stats.x) / max(wsum(stats.weight, stats.T), 1e-12)
        return np.array([1.0, 1.0 / max(rate, 1e-12), 1.0, 3.0])

    def expected_purchases(self, t, data) -> np.ndarray:
        """E[Y(t) | x, t_x, T]: expected purchases in the next ``t`` time units for each row of
        ``data`` (the formula is each model's ``_expected_purchases``)."""
        horizon = float(self._horizon(t))
        st = self._history(data)
        return self._expected_purchases(st, horizon)[st.inverse]

    def _expected_purchases(self, st, t: float) -> np.ndarray:
        raise NotImplementedError

    def _horizon(self, t) -> np.ndarray:
        """``t`` checked as a prediction horizon: finite and >= 0, else a ValueError."""
        self._check_fitted()
        return read_horizon(t, model=type(self).__name__)

    def probability_alive(self, data) -> np.ndarray:
        """P(alive at T | x, t_x, T) for each row of ``data``."""
        st = self._history(data)
        return self._probability_alive(st)[st.inverse]
