"""Edges of the models' input tables (`cvm.models._data`): every refusal with its message, the
rules at their bounds, compression to unique rows worked by hand, and the frequency / recency /
T statistics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvm.models._data import (
    RF_RULES,
    Rule,
    compress,
    read_horizon,
    read_table,
    rf_stats,
    wsum,
)

RF = ("frequency", "recency", "T")


def read_rf(data):
    return read_table(data, RF, RF_RULES, model="M")


def refusal(data, **kwargs) -> str:
    with pytest.raises(ValueError) as info:
        read_table(data, kwargs.pop("required", RF), kwargs.pop("rules", RF_RULES), model="M", **kwargs)
    return str(info.value)


def test_weighted_sums_over_the_last_axis():
    values = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 4.0]])
    assert wsum(np.array([2.0, 0.5, 1.0]), values).tolist() == [6.0, 3.5]
    assert float(wsum(np.array([2.0, 0.5]), np.array([3.0, 4.0]))) == 8.0


def test_what_is_read_and_returned():
    frame = pd.DataFrame({"frequency": [1, 0], "recency": [2.5, 0], "T": [3, 4], "other": ["a", "b"],
                          "weights": [1, 2]})
    cols = read_rf(frame)
    assert list(cols) == ["frequency", "recency", "T", "weights"]        # not 'other'
    assert all(v.dtype == float for v in cols.values())
    assert cols["recency"].tolist() == [2.5, 0.0]
    # a mapping of arrays; a 2-d column is read flat; no weights column, none returned
    cols = read_rf({"frequency": [[1], [0]], "recency": np.array([[2.0], [0.0]]), "T": [3, 4]})
    assert list(cols) == list(RF) and cols["frequency"].shape == (2,)
    # an optional column the caller does not name is not read
    assert list(read_table(frame, RF, RF_RULES, model="M", optional=())) == list(RF)


def test_each_refusal_names_the_problem():
    with pytest.raises(TypeError, match=r"^M: data must be a pandas DataFrame or a mapping of arrays, not list$"):
        read_rf([[1, 2, 3]])
    assert refusal({"frequency": [1], "T": [2]}) == (
        "M: missing column(s) ['recency']; needs ['frequency', 'recency', 'T'] (optional: ['weights'])")
    assert refusal({"frequency": [1], "recency": ["soon"], "T": [2]}).startswith(
        "M: column 'recency' is not numeric (")
    assert refusal({"frequency": [1, 2], "recency": [1], "T": [2, 3, 4]}) == (
        "M: columns have different lengths [1, 2, 3]")
    assert refusal({"frequency": [1, 2], "recency": [1, 1], "T": [2, 3], "weights": [1]}) == (
        "M: columns have different lengths [1, 2]")
    assert refusal({"frequency": [], "recency": [], "T": []}) == "M: data has no rows"
    assert refusal({"frequency": [1, 1, 1], "recency": [1, 1, 1], "T": [2, np.inf, np.nan]}) == (
        "M: 'T' must be finite (no NaN or infinity); 2 row(s) break this, the first is row 1 "
        "(T=inf)")
    assert refusal({"frequency": [1, 1], "recency": [1, 1], "T": [2, 2], "weights": [1, np.nan]}) == (
        "M: 'weights' must be finite (no NaN or infinity); 1 row(s) break this, the first is row 1 "
        "(weights=nan)")
    assert refusal({"frequency": [1, 1], "recency": [1, 1], "T": [2, 2], "weights": [0, -0.5]}) == (
        "M: 'weights' must be >= 0; 1 row(s) break this, the first is row 1 (weights=-0.5)")
    assert refusal({"frequency": [1, 1], "recency": [1, 1], "T": [2, 2], "weights": [0, 0]}) == (
        "M: 'weights' sum to zero")


def test_the_first_rule_broken_is_the_one_named():
    # row 0 breaks 'frequency >= 0' (listed first), row 1 breaks 'recency <= T'
    message = refusal({"frequency": [-1, 2], "recency": [0, 9], "T": [2, 2]})
    assert message == "M: 'frequency' must be >= 0; 1 row(s) break this, the first is row 0 (frequency=-1)"
    assert refusal({"frequency": [1, 2.5], "recency": [1, 1], "T": [2, 2]}) == (
        "M: 'frequency' must be a whole number of repeat purchases; 1 row(s) break this, the first "
        "is row 1 (frequency=2.5)")
    assert refusal({"frequency": [1, 1], "recency": [1, -1], "T": [2, 2]}).startswith(
        "M: 'recency' must be >= 0; 1 row(s) break this, the first is row 1 (recency=-1)")
    assert refusal({"frequency": [0, 0], "recency": [0, 0], "T": [2, -1]}).startswith(
        "M: 'T' must be >= 0; 1 row(s) break this, the first is row 1 (T=-1)")
    assert refusal({"frequency": [0, 0], "recency": [0, 0.25], "T": [2, 2]}).endswith(
        "1 row(s) break this, the first is row 1 (frequency=0, recency=0.25)")
    assert refusal({"frequency": [3, 1], "recency": [1, 0], "T": [2, 2]}).endswith(
        "1 row(s) break this, the first is row 1 (frequency=1, recency=0)")


def test_the_rules_at_their_bounds():
    # zeros are allowed everywhere a rule says >= 0; a whole frequency as a float; recency = T
    cols = read_rf({"frequency": [0.0, 3.0, 1.0], "recency": [0.0, 5.0, 1e-9], "T": [0.0, 5.0, 7.0],
                    "weights": [0.0, 1.0, 2.0]})
    assert cols["weights"].tolist() == [0.0, 1.0, 2.0]
    # weights summing to less than one customer are still weights
    assert read_rf({"frequency": [1, 0], "recency": [1, 0], "T": [2, 2], "weights": [0.25, 0.5]})[
        "weights"].sum() == 0.75
    # recency above T by a relative 1e-13 is rounding and passes; by 1e-11 it is refused
    read_rf({"frequency": [1.0], "recency": [5.0 * (1 + 1e-13)], "T": [5.0]})
    assert "must not exceed 'T'" in refusal({"frequency": [1.0], "recency": [5.0 * (1 + 1e-11)], "T": [5.0]})


def test_rules_on_columns_that_are_not_there_are_skipped():
    rules = (Rule("'weights' below 5", lambda c: c["weights"] < 5, ("weights",)),
             Rule("'x' must be even", lambda c: c["x"] % 2 == 1, ("x",)))
    assert read_table({"x": [2.0, 4.0]}, ("x",), rules, model="M")["x"].tolist() == [2.0, 4.0]
    assert refusal({"x": [2.0, 4.0], "weights": [5, 1]}, required=("x",), rules=rules) == (
        "M: 'weights' below 5; 1 row(s) break this, the first is row 1 (weights=1)")
    assert refusal({"x": [2.0, 3.0, 5.0]}, required=("x",), rules=rules) == (
        "M: 'x' must be even; 2 row(s) break this, the first is row 1 (x=3)")


def test_horizons_keep_their_shape_and_are_checked():
    assert read_horizon(2, model="M").shape == ()
    grid = read_horizon([[0.0, 1.0], [2.0, 3.5]], model="M")
    assert grid.shape == (2, 2) and grid.dtype == float and grid[1, 1] == 3.5
    with pytest.raises(ValueError, match=r"^M: 't' \(the prediction horizon\) must be >= 0; 1 row\(s\) break "
                                         r"this, the first is row 2 \(t=-1\)$"):
        read_horizon([[0.0, 1.0], [-1.0, 3.5]], model="M")


def test_compression_by_hand():
    a = np.array([0.0, 0.0, 1.0, 0.0, 1.0])
    b = np.array([1.0, 2.0, 1.0, 1.0, 1.0])
    (ua, ub), counts, inverse = compress([a, b])
    # (0, 1) at rows 0 and 3; (0, 2) at row 1; (1, 1) at rows 2 and 4: in order of first sight.
    # (0, 2) and (1, 1) share a code sum unless each code is scaled by the distinct count
    assert ua.tolist() == [0.0, 0.0, 1.0] and ub.tolist() == [1.0, 2.0, 1.0]
    assert counts.tolist() == [2.0, 1.0, 2.0] and counts.dtype == float
    assert inverse.tolist() == [0, 1, 2, 0, 2]
    (ua, ub), counts, inverse = compress([a, b], np.array([0.5, 1.0, 2.0, 0.25, 4.0]))
    assert counts.tolist() == [0.75, 1.0, 6.0]
    # three values against two: codes (2, 0) and (0, 1) are different rows
    (ua, ub), counts, inverse = compress([np.array([5.0, 7.0, 9.0, 5.0]), np.array([1.0, 1.0, 1.0, 0.0])])
    assert inverse.tolist() == [0, 1, 2, 3] and ua.tolist() == [5.0, 7.0, 9.0, 5.0]
    # one column; a column with a single value
    (u,), counts, inverse = compress([np.array([3.0, 3.0, 7.0])])
    assert u.tolist() == [3.0, 7.0] and counts.tolist() == [2.0, 1.0] and inverse.tolist() == [0, 0, 1]
    (u, v), counts, _ = compress([np.array([3.0, 4.0, 3.0]), np.array([1.0, 1.0, 1.0])])
    assert u.tolist() == [3.0, 4.0] and v.tolist() == [1.0, 1.0] and counts.tolist() == [2.0, 1.0]
    # no rows
    (u,), counts, inverse = compress([np.array([], dtype=float)])
    assert u.size == counts.size == inverse.size == 0


def test_rules_and_statistics_cannot_be_changed():
    from dataclasses import FrozenInstanceError

    with pytest.raises(FrozenInstanceError):
        RF_RULES[0].message = "anything goes"
    st = rf_stats({"frequency": [1], "recency": [1], "T": [2]}, model="M")
    with pytest.raises(FrozenInstanceError):
        st.weight = np.array([5.0])


def test_frequency_recency_statistics_by_hand():
    data = {"frequency": [2, 0, 2, 5, 2], "recency": [4.0, 0.0, 4.0, 6.0, 6.0],
            "T": [8.0, 3.0, 8.0, 6.0, 6.0], "weights": [1.0, 2.0, 3.0, 0.5, 1.0]}
    st = rf_stats(data, model="M")
    assert st.x.tolist() == [2, 0, 5, 2] and st.t_x.tolist() == [4, 0, 6, 6] and st.T.tolist() == [8, 3, 6, 6]
    assert st.weight.tolist() == [4.0, 2.0, 0.5, 1.0]
    assert st.inverse.tolist() == [0, 1, 0, 2, 3]
    assert st.x_values.tolist() == [0, 2, 5] and st.x_index.tolist() == [1, 0, 2, 1]
    assert st.n_customers == 7.5 and st.x_weight.tolist() == [2.0, 5.0, 0.5]
    # the distinct (x, time) pairs over recency then T: (2, 4) (0, 0) (5, 6) (2, 6) (2, 8) (0, 3)
    assert list(zip(st.pair_x.tolist(), st.pair_time.tolist())) == [
        (2, 4), (0, 0), (5, 6), (2, 6), (2, 8), (0, 3)]
    assert st.pair_index_recency.tolist() == [0, 1, 2, 3]
    assert st.pair_index_T.tolist() == [4, 5, 2, 3]
    # scoring reads every row once: counts, not weights
    scoring = rf_stats(data, model="M", use_weights=False)
    assert scoring.weight.tolist() == [2.0, 1.0, 1.0, 1.0]
    assert rf_stats({k: v for k, v in data.items() if k != "weights"}, model="M").weight.tolist() == [
        2.0, 1.0, 1.0, 1.0]
