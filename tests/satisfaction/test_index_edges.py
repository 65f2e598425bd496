"""The satisfaction index's bootstrap interval, derived again draw by draw from its definition:
the documented seed and draw count, per-store streams, draws where a group goes unanswered, large
samples drawn in chunks, and no warnings from groups nobody answered."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pandas as pd
import pytest

from cvm.satisfaction.index import (
    IndexWeights,
    _bootstrap,
    group_scores,
    index_value,
    satisfaction_index,
)
from cvm.satisfaction.survey import Survey

NAN = float("nan")


def _survey(answers: dict[str, list], store: list[str]) -> Survey:
    """Delivery (d1, d2 on 1-5) and salesperson (s1 on 1-7), weighed 60/40."""
    n = len(store)
    responses = pd.DataFrame({"respondent_id": [f"C{i}" for i in range(n)],
                              "customer_id": [f"C{i}" for i in range(n)],
                              "response_date": pd.to_datetime(["2024-03-01"] * n),
                              "store": store, "channel": [None] * n,
                              **{k: np.asarray(v, dtype=float) for k, v in answers.items()}})
    rows = [{"item": item, "role": "attribute", "group": group, "scale": scale,
             "scale_min": 1.0, "scale_max": top, "reversed": False, "expectation_of": None,
             "weight": weight}
            for item, group, scale, top, weight in [("d1", "delivery", "1-5", 5.0, 0.6),
                                                    ("d2", "delivery", "1-5", 5.0, 0.6),
                                                    ("s1", "salesperson", "1-7", 7.0, 0.4)]]
    return Survey(responses, pd.DataFrame(rows))


@pytest.fixture
def stores():
    """Store A: two respondents who answered both groups; B: one; C: one who answered only
    salesperson (1000) and one only delivery (250); D: two who answered nothing."""
    return _survey({"d1": [5, 4, 3, NAN, 1, NAN, NAN], "d2": [5, NAN, 1, NAN, 3, NAN, NAN],
                    "s1": [7, 4, 1, 7, NAN, NAN, NAN]},
                   ["A", "A", "B", "C", "C", "D", "D"])


WEIGHTS = IndexWeights({"delivery": 0.6, "salesperson": 0.4}, "group", "given")


def _eq_i1(rows: list[list[float]], w: list[float]) -> float:
    """Eq. I1 by hand: Σ w_g S̄_g / Σ w_g over the groups someone in ``rows`` answered."""
    total = weight = 0.0
    for j, w_j in enumerate(w):
        answered = [r[j] for r in rows if not math.isnan(r[j])]
        if answered:
            total += w_j * sum(answered) / len(answered)
            weight += w_j
    return total / weight if weight > 0 else NAN


def _draws(matrix: np.ndarray, w: list[float], n_boot: int, rng) -> np.ndarray:
    """The bootstrap by its definition: n respondents drawn with replacement, each equally
    likely, ``n_boot`` times; eq. I1 on each draw."""
    n = len(matrix)
    counts = rng.multinomial(n, [1.0 / n] * n, size=n_boot)
    return np.array([_eq_i1([list(matrix[i]) for i in range(n) for _ in range(c[i])], w)
                     for c in counts])


def test_the_interval_is_the_percentile_bootstrap_with_the_documented_seed_and_draws():
    # 40 respondents, so that each seed and each draw count gives other percentiles
    rng = np.random.default_rng(1)
    answers = {k: rng.integers(1, top + 1, 40).astype(float) for k, top in
               [("d1", 5), ("d2", 5), ("s1", 7)]}
    answers["d2"][rng.random(40) < 0.3] = NAN
    answers["s1"][rng.random(40) < 0.2] = NAN
    one = _survey(answers, ["S"] * 40)
    matrix = group_scores(one)[["delivery", "salesperson"]].to_numpy()
    # the defaults: 1000 draws, seed 20151, the 2.5th and 97.5th percentiles
    got = satisfaction_index(one, WEIGHTS).iloc[0]
    draws = _draws(matrix, [0.6, 0.4], 1000, np.random.default_rng(20151))
    assert got["index"] == pytest.approx(_eq_i1([list(r) for r in matrix], [0.6, 0.4]))
    assert (got["index_low"], got["index_high"]) == pytest.approx(
        tuple(np.nanquantile(draws, [0.025, 0.975])), abs=1e-9)
    assert got["index_low"] < got["index_high"]
    # another level, seed and count
    got = satisfaction_index(one, WEIGHTS, n_boot=300, seed=7, level=0.8).iloc[0]
    draws = _draws(matrix, [0.6, 0.4], 300, np.random.default_rng(7))
    assert (got["index_low"], got["index_high"]) == pytest.approx(
        tuple(np.nanquantile(draws, [0.1, 0.9])), abs=1e-9)


def test_each_store_draws_in_turn_from_one_stream(stores):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # groups unanswered in a draw or a store: no warnings
        got = satisfaction_index(stores, WEIGHTS, by="store").set_index("store")
    matrix = group_scores(stores)[["delivery", "salesperson"]].to_numpy()
    rng = np.random.default_rng(20151)
    # stores in sorted order; a store of one respondent draws nothing
    a = _draws(matrix[:2], [0.6, 0.4], 1000, rng)
    c = _draws(matrix[3:5], [0.6, 0.4], 1000, rng)
    assert (got.loc["A", "index_low"], got.loc["A", "index_high"]) == pytest.approx(
        tuple(np.nanquantile(a, [0.025, 0.975])), abs=1e-9)
    # C: the draws are 1000 (only the salesperson answer), 250 (only delivery) or
    # 0.6·250 + 0.4·1000 = 550 (both)
    assert set(np.round(c, 9)) == {250.0, 550.0, 1000.0}
    assert (got.loc["C", "index_low"], got.loc["C", "index_high"]) == pytest.approx(
        tuple(np.nanquantile(c, [0.025, 0.975])), abs=1e-9)
    assert got.loc["C", "index"] == pytest.approx(550.0)
    assert got.loc["C", "delivery"] == 250.0 and got.loc["C", "salesperson"] == 1000.0
    # B: one respondent, (500 + 0)/2 = 250 for delivery, 0 for salesperson: no interval width
    assert got.loc["B", "index"] == pytest.approx(0.6 * 250.0)
    assert got.loc["B", "index_low"] == got.loc["B", "index_high"] == got.loc["B", "index"]
    # D: nobody answered anything: no index, no interval, no group scores
    d = got.loc["D"]
    assert d["respondents"] == 2
    assert all(math.isnan(d[c]) for c in ["index", "index_low", "index_high", "delivery",
                                           "salesperson"])
    assert list(got.index) == ["A", "B", "C", "D"] and list(got["respondents"]) == [2, 1, 2, 2]


def test_every_draw_is_eq_i1_on_its_resample():
    # the second column has one answer: most draws hold it once, twice or not at all
    matrix = np.array([[800.0, NAN], [NAN, 200.0], [400.0, NAN], [100.0, NAN]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = _bootstrap(matrix, np.array([0.5, 0.5]), 400, np.random.default_rng(11))
    want = _draws(matrix, [0.5, 0.5], 400, np.random.default_rng(11))
    assert got == pytest.approx(want, abs=1e-9)
    assert len(set(np.round(want, 6))) > 20


def test_a_large_sample_is_drawn_in_chunks_with_the_same_draws():
    # 6,000 respondents: 5,000,000 // 6,000 = 833 draws at a time, then the remaining 167
    rng = np.random.default_rng(2)
    matrix = rng.uniform(0, 1000, (6000, 2))
    matrix[rng.random(6000) < 0.3, 1] = NAN
    w = np.array([0.7, 0.3])
    got = _bootstrap(matrix, w, 1000, np.random.default_rng(5))
    counts = np.random.default_rng(5).multinomial(6000, np.full(6000, 1 / 6000), size=1000)
    answered = ~np.isnan(matrix)
    means = (counts @ np.nan_to_num(matrix)) / (counts @ answered)
    assert got.shape == (1000,)
    assert got == pytest.approx(means @ w, rel=1e-12)


def test_a_group_nobody_answered_gives_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert index_value(np.array([[800.0, NAN], [600.0, NAN]]),
                           np.array([0.5, 0.5])) == pytest.approx(700.0)
        # only a group of weight 0 answered, or nothing at all: no index
        assert math.isnan(index_value(np.array([[NAN, 500.0]]), np.array([0.5, 0.0])))
        assert math.isnan(index_value(np.array([[NAN, NAN]]), np.array([0.5, 0.5])))


def test_index_weights_cannot_be_changed_once_made():
    w = IndexWeights.normalised({"a": 1.0, "b": 3.0}, "group", "given")
    assert w.weights == {"a": 0.25, "b": 0.75}
    with pytest.raises(dataclasses.FrozenInstanceError):
        w.level = "item"
