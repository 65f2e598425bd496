"""Indicator weights (cvm.features.weights) at their edges: every size of Saaty's random index,
one and two criteria, the reciprocity tolerance, the consistency limit, the judgement named when
a matrix is refused, given weights, and the entropy method's degenerate columns.

The eigenvalue and eigenvector the AHP figures are checked against come from power iteration
(``_principal``), not from the eigen-solver the module uses.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from cvm.features.weights import (
    RANDOM_INDEX,
    AHPResult,
    EntropyResult,
    WeightsError,
    ahp_weights,
    entropy_weights,
    normalise_weights,
)

#: Saaty (1980), The Analytic Hierarchy Process, table of the random consistency index RI(n)
SAATY_RI = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45,
            10: 1.49}


def _principal(a: np.ndarray) -> tuple[float, np.ndarray]:
    """λmax and the weights of a positive matrix by power iteration (Perron–Frobenius)."""
    w = np.full(len(a), 1.0 / len(a))
    for _ in range(2000):
        nxt = a @ w
        nxt = nxt / nxt.sum()
        if np.max(np.abs(nxt - w)) < 1e-16:
            break
        w = nxt
    return float(np.mean((a @ w) / w)), w


def _consistent(n: int) -> np.ndarray:
    w = np.arange(n, 0, -1, dtype=float)
    return w[:, None] / w[None, :]


def _perturbed(n: int) -> np.ndarray:
    """A consistent matrix with the first-against-last judgement doubled (and its reciprocal)."""
    a = _consistent(n)
    a[0, -1] *= 2
    a[-1, 0] /= 2
    return a


# -- AHP -----------------------------------------------------------------------------------

def test_random_index_is_saatys_table():
    assert RANDOM_INDEX == SAATY_RI


@pytest.mark.parametrize("n", range(3, 11))
def test_consistency_ratio_uses_the_random_index_of_its_size(n):
    # CI = (λmax − n) / (n − 1), CR = CI / RI(n), with λmax by power iteration
    a = _perturbed(n)
    lam, w = _principal(a)
    r = ahp_weights(a, max_cr=10.0)
    ci = (lam - n) / (n - 1)
    assert ci > 1e-3
    assert r.lambda_max == pytest.approx(lam, rel=1e-12)
    assert r.consistency_index == pytest.approx(ci, rel=1e-9)
    assert r.consistency_ratio == pytest.approx(ci / SAATY_RI[n], rel=1e-9)
    assert r.weights == pytest.approx(tuple(w), abs=1e-12)


def test_one_criterion():
    r = ahp_weights([[1.0]])
    assert r == AHPResult((1.0,), 1.0, 0.0, 0.0)


def test_two_criteria_are_always_consistent():
    # 3 × 0.3366 = 1.0098: reciprocal within the 0.01 people's rounding is allowed. λmax is then
    # 1 + √1.0098 > 2, yet with two criteria CI and CR are 0 by definition (RI(2) = 0)
    a = [[1.0, 3.0], [0.3366, 1.0]]
    lam, w = _principal(np.array(a))
    r = ahp_weights(a, max_cr=0.0)
    assert r.lambda_max == pytest.approx(1 + math.sqrt(3 * 0.3366), rel=1e-12) == pytest.approx(lam)
    assert r.lambda_max > 2.004
    assert r.consistency_index == 0.0 and r.consistency_ratio == 0.0
    assert r.weights == pytest.approx(tuple(w), abs=1e-12)
    # w1 / w2 = √(3 / 0.3366)
    assert r.weights[0] / r.weights[1] == pytest.approx(math.sqrt(3 / 0.3366), rel=1e-12)


def test_ten_criteria_at_most():
    r = ahp_weights(_consistent(10))
    assert r.weights == pytest.approx(tuple(np.arange(10, 0, -1) / 55), abs=1e-12)
    with pytest.raises(WeightsError, match=r"at most 10 criteria, not 11"):
        ahp_weights(_consistent(11))


@pytest.mark.parametrize("matrix", [np.zeros((0, 0)), [1.0, 2.0], [[[1.0]]]], ids=["0x0", "1-d", "3-d"])
def test_ahp_refuses_what_is_not_a_square_matrix(matrix):
    with pytest.raises(WeightsError, match="must be square"):
        ahp_weights(matrix)


@pytest.mark.parametrize("matrix", [[[1.0, 0.0], [0.0, 1.0]], [[1.0, np.nan], [np.nan, 1.0]],
                                    [[1.0, np.inf], [0.0, 1.0]]], ids=["zero", "nan", "inf"])
def test_ahp_refuses_comparisons_that_are_not_positive_numbers(matrix):
    with pytest.raises(WeightsError, match="must be a positive number"):
        ahp_weights(matrix)


def test_reciprocity_allows_written_rounding_only():
    # 0.333 for 1/3: 3 × 0.333 − 1 = −0.001, accepted
    r = ahp_weights([[1, 3], [0.333, 1]])
    assert r.weights[0] == pytest.approx(math.sqrt(3 / 0.333) / (1 + math.sqrt(3 / 0.333)))
    # 3 × 0.32 − 1 = −0.04 and 2 × 0.7 − 1 = 0.4: refused
    with pytest.raises(WeightsError, match=r"entry \(1, 2\) is 3 but \(2, 1\) is 0\.32; it should be 0\.3333"):
        ahp_weights([[1, 3], [0.32, 1]])
    with pytest.raises(WeightsError, match=r"entry \(A, B\) is 2 but \(B, A\) is 0\.7; it should be 0\.5"):
        ahp_weights([[1, 2], [0.7, 1]], names=["A", "B"])


def test_consistency_ratio_at_the_limit_is_accepted():
    a = _perturbed(4)
    cr = ahp_weights(a, max_cr=1.0).consistency_ratio
    assert ahp_weights(a, max_cr=cr).consistency_ratio == cr
    # the limit's rounding allowance is 1e-12: a ratio just that much above it is still accepted
    limit = next(x for x in (cr - 1e-12 + k * 2e-17 for k in range(-60, 61)) if x + 1e-12 == cr)
    assert ahp_weights(a, max_cr=limit).consistency_ratio == cr
    with pytest.raises(WeightsError, match="too inconsistent"):
        ahp_weights(a, max_cr=cr - 1e-9)


def test_refusal_names_the_judgement_that_disagrees_most():
    # weights 8 : 4 : 2 : 1, but B is judged a quarter of C instead of twice as important
    v = np.array([8.0, 4.0, 2.0, 1.0])
    a = v[:, None] / v[None, :]
    a[1, 2], a[2, 1] = 0.25, 4.0
    lam, w = _principal(a)
    n = 4
    ci = (lam - n) / (n - 1)
    # the judgement farthest from what the weights imply: max |ln(a_ij w_j / w_i)|
    dev = np.abs(np.log(a * w[None, :] / w[:, None]))
    assert np.unravel_index(int(np.argmax(dev)), dev.shape) == (1, 2)
    message = (rf"consistency ratio {ci / 0.9:.3f} > 0\.1 \(λmax {lam:.3f}, CI {ci:.3f}, RI 0\.90 "
               rf"for n = 4\)\. The judgement that disagrees most with the others is \(B vs C\) "
               rf"= 0\.25, where the other judgements imply about {w[1] / w[2]:.2g};")
    assert f"{w[1] / w[2]:.2g}" == "0.64"
    with pytest.raises(WeightsError, match=message):
        ahp_weights(a, names=["A", "B", "C", "D"])


def test_results_are_frozen_and_read_as_dicts():
    r = ahp_weights([[1, 2], [0.5, 1]])
    assert r.as_dict() == {"method": "ahp", "weights": [pytest.approx(2 / 3), pytest.approx(1 / 3)],
                           "lambda_max": pytest.approx(2.0), "consistency_index": 0.0,
                           "consistency_ratio": 0.0}
    e = entropy_weights([[1, 0], [1, 1]])
    assert e.as_dict() == {"method": "entropy", "weights": [0.0, 1.0], "entropy": [1.0, 0.0],
                           "divergence": [0.0, 1.0]}
    for result in (r, e):
        with pytest.raises(dataclasses.FrozenInstanceError):
            result.weights = (1.0,)
    assert isinstance(e, EntropyResult)


# -- given weights -------------------------------------------------------------------------

def test_given_weights_are_normalised():
    assert normalise_weights(None, 5) == (0.2,) * 5
    assert normalise_weights(None, 4) == (0.25,) * 4
    assert normalise_weights([2, 1, 1, 0, 0], 5) == (0.5, 0.25, 0.25, 0.0, 0.0)
    assert normalise_weights([0.1, 0.1, 0.2, 0.3, 0.3], 5) == pytest.approx((0.1, 0.1, 0.2, 0.3, 0.3))


@pytest.mark.parametrize("weights", [[1, 1], [1, 1, 1, 1, np.nan], [1, 1, 1, 1, np.inf],
                                     [2, 1, 1, 1, -1], [0, 0, 0, 0, 0]],
                         ids=["four", "nan", "inf", "negative", "all-zero"])
def test_given_weights_refused(weights):
    with pytest.raises(WeightsError, match=r"give 5 non-negative weights, not all zero; got \["):
        normalise_weights(weights, 5)


# -- entropy -------------------------------------------------------------------------------

def test_entropy_refuses_what_is_not_a_table_of_customers():
    with pytest.raises(WeightsError, match="at least two customers"):
        entropy_weights([1.0, 2.0, 3.0])
    with pytest.raises(WeightsError, match="non-negative"):
        entropy_weights([[1.0, np.nan], [1.0, 2.0]])
    with pytest.raises(WeightsError, match="non-negative"):
        entropy_weights([[1.0, np.inf], [1.0, 2.0]])


def test_entropy_of_a_single_indicator():
    # three customers, one indicator (1, 1, 2): p = (¼, ¼, ½), e = (½ ln 4 + ½ ln 2) / ln 3
    r = entropy_weights([[1.0], [1.0], [2.0]])
    assert r.entropy[0] == pytest.approx(1.5 * math.log(2) / math.log(3), rel=1e-12)
    assert r.weights == (1.0,)


def test_a_constant_indicator_has_entropy_one_exactly():
    # −Σ ⅕ ln ⅕ / ln 5 rounds to 1 + 2⁻⁵²; the entropy is kept at 1, so the weight is exactly 0
    # (not a tiny negative number)
    r = entropy_weights([[3.0, 1.0], [3.0, 0.0], [3.0, 2.0], [3.0, 0.0], [3.0, 5.0]])
    assert r.entropy[0] == 1.0 and r.divergence[0] == 0.0 and r.weights[0] == 0.0
    assert r.weights[1] == 1.0
