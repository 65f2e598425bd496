"""Edges of the calibration / holdout validation (`cvm.models.validation`) on a handful of
customers whose figures are counted by hand: who is in the cohort, which purchases fall in the
holdout, the error figures from the model's own predictions, the frequency groups with their
top group, the weekly tracking, and what a workspace keeps."""

from __future__ import annotations

import datetime as dt
import json
import warnings

import numpy as np
import pyarrow as pa
import pytest

from cvm.engine import get_engine
from cvm.features.summary import purchase_days
from cvm.models.validation import FREQUENCY_BINS, store_validation, validate_holdout
from cvm.workspace import Workspace

D = dt.date
CAL, HOLD = D(2024, 3, 31), D(2024, 5, 26)     # 56 days: a holdout of 8 weeks
WEEKLY = [D(2024, 1, 8) + dt.timedelta(days=7 * k) for k in range(10)]
PURCHASES = [
    # A: two repeats in calibration; in the holdout two lines on one day and one on its last day;
    # one after it (not counted)
    ("A", D(2024, 1, 1)), ("A", D(2024, 1, 15)), ("A", D(2024, 2, 10)), ("A", D(2024, 4, 5)),
    ("A", D(2024, 4, 5)), ("A", D(2024, 5, 26)), ("A", D(2024, 6, 1)),
    # B: one purchase, then one in the holdout
    ("B", D(2024, 1, 3)), ("B", D(2024, 4, 20)),
    # C: a repeat on the calibration end itself
    ("C", D(2024, 2, 1)), ("C", D(2024, 3, 31)),
    # D: first bought after the calibration end: not in the cohort, nor in the tracking
    ("D", D(2024, 4, 2)), ("D", D(2024, 4, 9)),
    # E: ten weekly purchases, nine repeats in calibration (the top group), one in the holdout
    *[("E", d) for d in WEEKLY], ("E", D(2024, 4, 1)),
    # F: eight weekly purchases, seven repeats: the top group's lower bound
    *[("F", d + dt.timedelta(days=2)) for d in WEEKLY[:8]],
    # G: first bought on the calibration end (in the cohort), again in the holdout
    ("G", D(2024, 3, 31)), ("G", D(2024, 4, 10)),
]


def table(engine, rows=PURCHASES, name="validation_edges"):
    return engine.table(pa.table({"customer_id": [r[0] for r in rows],
                                  "purchase_date": pa.array([r[1] for r in rows], type=pa.date32())}),
                        name)


@pytest.fixture(scope="module")
def validation():
    engine = get_engine("duckdb")
    return validate_holdout(table(engine), engine.to_arrow, calibration_end=CAL, holdout_end=HOLD,
                            model="bgnbd")


def test_the_cohort_and_its_holdout_by_hand(validation):
    v = validation
    assert (v.calibration_end, v.holdout_end, v.time_unit, v.holdout_length) == (CAL, HOLD, "week", 8.0)
    c = v.customers
    assert c["customer_id"].tolist() == ["A", "B", "C", "E", "F", "G"]
    assert list(c.columns) == ["customer_id", "first_purchase", "frequency", "recency", "T",
                               "probability_alive", "predicted_holdout_purchases",
                               "actual_holdout_purchases"]
    assert c["frequency"].tolist() == [2, 0, 1, 9, 7, 0]
    assert c["actual_holdout_purchases"].tolist() == [2, 1, 0, 1, 0, 1]
    assert c["first_purchase"].tolist()[0] == D(2024, 1, 1)
    # A: last repeat 40 days after the first, 90 days watched; C: 59 of 59
    assert c["recency"].tolist()[0] == pytest.approx(40 / 7) and c["T"].tolist()[0] == pytest.approx(90 / 7)
    assert c["recency"].tolist()[2] == pytest.approx(59 / 7) and c["T"].tolist()[2] == pytest.approx(59 / 7)
    model = v.choice.model
    data = {"frequency": c["frequency"].to_numpy(float), "recency": c["recency"], "T": c["T"]}
    assert c["predicted_holdout_purchases"].to_numpy() == pytest.approx(model.expected_purchases(8.0, data),
                                                                        rel=1e-12)
    assert c["probability_alive"].to_numpy() == pytest.approx(model.probability_alive(data), rel=1e-12)
    assert v.choice.chosen.name == "bgnbd"


def test_the_error_figures_from_the_predictions(validation):
    m = validation.metrics
    predicted = validation.customers["predicted_holdout_purchases"].to_numpy()
    actual = np.array([2.0, 1.0, 0.0, 1.0, 0.0, 1.0])
    assert (m["customers"], m["calibration_repeat_purchases"], m["actual_total"]) == (6, 19, 5.0)
    assert m["predicted_total"] == pytest.approx(predicted.sum(), rel=1e-12)
    assert m["total_error_share"] == pytest.approx((predicted.sum() - 5.0) / 5.0, rel=1e-12)
    error = predicted - actual
    assert m["mae"] == pytest.approx(np.abs(error).mean(), rel=1e-12)
    assert m["rmse"] == pytest.approx(np.sqrt((error ** 2).mean()), rel=1e-12)
    assert m["bias"] == pytest.approx(error.mean(), rel=1e-12)
    assert m["correlation"] == pytest.approx(np.corrcoef(predicted, actual)[0, 1], rel=1e-12)
    summary = validation.summary()
    assert summary["calibration_end"] == "2024-03-31" and summary["holdout_end"] == "2024-05-26"
    assert (summary["time_unit"], summary["holdout_length"], summary["mae"]) == ("week", 8.0, m["mae"])
    assert summary["model"] == validation.choice.as_dict() and summary["reason"] == validation.choice.reason


def test_frequency_groups_with_the_top_group(validation):
    cond = validation.conditional
    assert FREQUENCY_BINS == 7
    assert cond["calibration_frequency"].tolist() == ["0", "1", "2", "7+"]
    assert cond["customers"].tolist() == [2, 1, 1, 2]
    assert cond["actual_mean"].tolist() == [1.0, 0.0, 2.0, 0.5]
    predicted = validation.customers["predicted_holdout_purchases"].to_numpy()
    assert cond["predicted_mean"].to_numpy() == pytest.approx(
        [(predicted[1] + predicted[5]) / 2, predicted[2], predicted[0], (predicted[3] + predicted[4]) / 2],
        rel=1e-12)


def test_weekly_tracking_by_hand(validation):
    tr = validation.tracking
    # 2024-01-01 to 2024-05-26 is 147 days: 21 whole weeks; the calibration's 91 days are 13
    assert len(tr) == 21 and tr["week"].tolist() == list(range(1, 22))
    assert tr["week_start"].tolist()[:2] == [D(2024, 1, 1), D(2024, 1, 8)]
    assert tr["week_start"].tolist()[-1] == D(2024, 5, 20)
    assert tr["period"].tolist() == ["calibration"] * 13 + ["holdout"] * 8
    # repeat purchase days of the cohort, by week from 2024-01-01 (day 0)
    firsts = {"A": D(2024, 1, 1), "B": D(2024, 1, 3), "C": D(2024, 2, 1), "E": WEEKLY[0],
              "F": WEEKLY[0] + dt.timedelta(days=2), "G": D(2024, 3, 31)}
    days = {(c, d) for c, d in PURCHASES if c in firsts and firsts[c] < d <= HOLD}
    by_week = np.zeros(21)
    for _, d in days:
        by_week[(d - D(2024, 1, 1)).days // 7] += 1
    assert tr["actual"].tolist() == by_week.tolist()
    assert tr["actual_cumulative"].tolist() == np.cumsum(by_week).tolist()
    assert tr["actual_cumulative"].iloc[12] == 19 and tr["actual_cumulative"].iloc[-1] == 24
    # expected: each customer's E[X(t)] from the day after their first purchase to each week's end
    model = validation.choice.model
    ends = np.arange(1, 22) * 7
    cumulative = sum(np.asarray(model.expected_purchases_new_customer(
        np.maximum(ends - (f - D(2024, 1, 1)).days - 1, 0) / 7.0), dtype=float) for f in firsts.values())
    assert tr["expected_cumulative"].to_numpy() == pytest.approx(cumulative, rel=1e-12)
    assert tr["expected"].to_numpy() == pytest.approx(np.diff(np.concatenate([[0.0], cumulative])), rel=1e-9)


def test_a_part_week_at_the_end_and_the_purchase_day_table():
    engine = get_engine("duckdb")
    rows = [("A", D(2024, 1, 1)), ("A", D(2024, 1, 9)), ("A", D(2024, 1, 20)), ("B", D(2024, 1, 2)),
            ("B", D(2024, 1, 5)), ("B", D(2024, 1, 24))]
    transactions = table(engine, rows, "validation_part_week")
    days = purchase_days(transactions.mutate(amount=1.0, margin=None, cost=None), margins=False)
    # 2024-01-01 to 2024-01-24: 24 days, three weeks and three days; the calibration's 8 days
    # reach one day into the second week, which is a calibration week
    v = validate_holdout(transactions, engine.to_arrow, calibration_end=D(2024, 1, 8),
                         holdout_end=D(2024, 1, 24), model="bgnbd", time_unit="day", days=days)
    tr = v.tracking
    assert v.holdout_length == 16.0 and v.time_unit == "day"
    assert tr["week"].tolist() == [1, 2, 3, 4]
    assert tr["period"].tolist() == ["calibration", "calibration", "holdout", "holdout"]
    assert tr["actual"].tolist() == [1.0, 1.0, 1.0, 1.0]
    model = v.choice.model
    ends = np.array([7, 14, 21, 24])
    cumulative = sum(np.asarray(model.expected_purchases_new_customer(np.maximum(ends - f - 1, 0) / 1.0),
                                dtype=float) for f in (0, 1))
    assert tr["expected_cumulative"].to_numpy() == pytest.approx(cumulative, rel=1e-12)
    assert v.customers["actual_holdout_purchases"].tolist() == [2, 1]
    assert v.metrics["actual_total"] == 3.0


def validated_without_warnings(engine, rows, name):
    """The holdout check of January against February on hand-made rows, with numpy's division
    warning turned into an error (no correlation is computed from a spread of 0)."""
    transactions = table(engine, rows, name)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*invalid value encountered in (scalar )?divide",
                                category=RuntimeWarning)
        return validate_holdout(transactions, engine.to_arrow, calibration_end=D(2024, 1, 31),
                                holdout_end=D(2024, 2, 28), model="bgnbd")


def test_figures_without_holdout_purchases_or_without_spread():
    engine = get_engine("duckdb")
    rows = [("A", D(2024, 1, 1)), ("A", D(2024, 1, 20)), ("B", D(2024, 1, 2)), ("B", D(2024, 1, 9)),
            ("C", D(2024, 1, 3))]
    v = validated_without_warnings(engine, rows, "validation_quiet")
    assert v.metrics["actual_total"] == 0.0
    assert np.isnan(v.metrics["total_error_share"]) and np.isnan(v.metrics["correlation"])
    assert v.metrics["bias"] == pytest.approx(v.metrics["predicted_total"] / 3, rel=1e-12)


def test_no_correlation_when_the_predictions_do_not_spread():
    # two customers with the same calibration history get the same prediction; only one buys
    engine = get_engine("duckdb")
    rows = [("A", D(2024, 1, 1)), ("A", D(2024, 1, 15)), ("B", D(2024, 1, 1)), ("B", D(2024, 1, 15)),
            ("A", D(2024, 2, 10))]
    v = validated_without_warnings(engine, rows, "validation_same")
    predicted = v.customers["predicted_holdout_purchases"].to_numpy()
    assert predicted[0] == predicted[1] and v.customers["actual_holdout_purchases"].tolist() == [1, 0]
    assert np.isnan(v.metrics["correlation"]) and v.metrics["total_error_share"] == pytest.approx(
        predicted.sum() - 1.0, rel=1e-12)


def test_refusals():
    engine = get_engine("duckdb")
    transactions = table(engine)
    for end in (CAL, D(2024, 3, 1)):
        with pytest.raises(ValueError) as info:
            validate_holdout(transactions, engine.to_arrow, calibration_end=CAL, holdout_end=end)
        assert str(info.value) == (f"the holdout end ({end}) must come after the calibration end "
                                   f"(2024-03-31)")
    with pytest.raises(ValueError, match=r"^no customer made a purchase on or before 2023-12-31$"):
        validate_holdout(transactions, engine.to_arrow, calibration_end=D(2023, 12, 31), holdout_end=HOLD)


def test_a_workspace_keeps_each_validation(validation, tmp_path):
    with Workspace(tmp_path / "ws.duckdb") as ws:
        first = store_validation(ws, validation)
        second = store_validation(ws, validation)
        assert (first, second) == (1, 2)
        rows = ws.query("SELECT validation_id, created_at, calibration_end, holdout_end, model, summary "
                        "FROM clv_validations ORDER BY validation_id")
        customers = ws.arrow('SELECT * FROM "clv_validation_2_customers"').to_pandas()
        tracking = ws.arrow('SELECT * FROM "clv_validation_1_tracking"')
        conditional = ws.arrow('SELECT * FROM "clv_validation_2_conditional"')
    assert [r[0] for r in rows] == [1, 2]
    assert rows[0][1].microsecond == 0 and abs(rows[0][1] - dt.datetime.now()) < dt.timedelta(minutes=5)
    assert rows[0][2:5] == (CAL, HOLD, "bgnbd")
    assert json.loads(rows[1][5])["actual_total"] == 5.0
    assert json.loads(rows[1][5])["calibration_end"] == "2024-03-31"
    assert customers["customer_id"].tolist() == ["A", "B", "C", "E", "F", "G"]
    assert list(customers.columns) == list(validation.customers.columns)
    assert tracking.num_rows == 21 and tracking.column_names == list(validation.tracking.columns)
    assert conditional.num_rows == 4
