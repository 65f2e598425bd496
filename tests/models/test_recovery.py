"""Parameter recovery: fit data simulated from known parameters (100k customers)."""

from __future__ import annotations

import numpy as np
import pytest

import simulate
from cvm.models import BGBB, BGNBD, MBGNBD, GammaGamma, ParetoNBD, ShiftedBetaGeometric

N = 100_000
CASES = [
    (BGNBD, simulate.bgnbd, {"r": 0.6, "alpha": 5.0, "a": 0.8, "b": 2.5}),
    (MBGNBD, lambda n, *p, rng: simulate.bgnbd(n, *p, rng=rng, modified=True), {"r": 0.6, "alpha": 5.0, "a": 0.9, "b": 1.6}),
    (ParetoNBD, simulate.paretonbd, {"r": 0.6, "alpha": 8.0, "s": 0.7, "beta": 12.0}),
    (GammaGamma, simulate.gammagamma, {"p": 6.0, "q": 4.0, "gamma": 15.0}),
    (BGBB, simulate.bgbb, {"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.8}),
    (ShiftedBetaGeometric, simulate.sbg, {"alpha": 0.7, "beta": 1.2}),
]


@pytest.mark.parametrize(("model", "simulator", "truth"), CASES, ids=[c[0].__name__ for c in CASES])
def test_recovers_parameters_within_standard_errors(model, simulator, truth):
    rng = np.random.default_rng(20240601)
    data = simulator(N, *truth.values(), rng=rng)
    fitted = model().fit(data)
    assert fitted.converged_
    for name, value in truth.items():
        se = fitted.standard_errors_[name]
        assert np.isfinite(se) and se > 0
        # within 4 standard errors (a failure here is a 1-in-15,000 event per parameter)
        assert abs(fitted.params_[name] - value) < 4 * se, (name, fitted.params_[name], value, se)


def test_weights_equal_repeated_rows():
    rng = np.random.default_rng(1)
    data = simulate.bgnbd(3000, 0.6, 5.0, 0.8, 2.5, rng)
    # whole weeks, a repeat purchase at least one week after the first
    data["recency"] = np.maximum(np.round(data["recency"]), 1.0)
    data["T"] = np.round(data["T"])
    data.loc[data["frequency"] == 0, "recency"] = 0.0
    compact = data.groupby(["frequency", "recency", "T"], as_index=False).size().rename(columns={"size": "weights"})
    a = BGNBD().fit(data)
    b = BGNBD().fit(compact)
    assert len(compact) < len(data)
    assert a.log_likelihood_ == pytest.approx(b.log_likelihood_, rel=1e-12)
    assert a.params_ == pytest.approx(b.params_, rel=1e-6)
