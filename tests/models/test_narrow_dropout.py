"""BG/NBD expectations when the fitted dropout probability is all but certain (a ≈ 1e9): the
closed form's series overflows there; the value must still be right and no warning raised."""

from __future__ import annotations

import warnings

import numpy as np

from cvm.models.bgnbd import BGNBD, expected_purchases_while_alive

#: The best fit to a five-customer file (tests/cli/test_console_warnings.py).
R, ALPHA, A, B = 814010.1257176886, 26548849.223064348, 1186513810.8730662, 2.5283742727409517e-09


def test_expected_purchases_with_a_dropout_probability_near_one():
    # with p = 1 the customer is alive until the first purchase: E = 1 - (scale/(scale+t))^shape
    shape = np.array([R + 1.0, R])
    scale = np.array([ALPHA + 25.28, ALPHA + 21.43])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = expected_purchases_while_alive(shape, scale, A, np.array([B + 1.0, B]), 52.0)
    want = -np.expm1(-shape * np.log1p(52.0 / scale))
    np.testing.assert_allclose(got, want, rtol=1e-8)
    np.testing.assert_allclose(got, [0.796962, 0.796962], atol=1e-6)


def test_fitted_model_with_narrow_dropout_predicts_without_warnings():
    model = BGNBD()
    model.params_ = {"r": R, "alpha": ALPHA, "a": A, "b": B}
    data = {"frequency": [1, 0, 1], "recency": [3.9, 0.0, 78.0], "T": [25.29, 21.43, 78.0]}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        expected = model.expected_purchases(52.0, data)
    assert np.all(np.isfinite(expected))
    assert float(expected[1]) > 0.79
