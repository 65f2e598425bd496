"""Lifecycle stages on hand-made customers, on DuckDB and on Spark, and the pipeline stage on a
small workspace (prospects, reasons, economics, history and flows)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from cvm.config import LifecycleOptions
from cvm.engine import get_engine
from cvm.features.summary import purchase_days
from cvm.features.lifecycle import (
    customer_trend,
    history_dates,
    lifecycle_reasons,
    stage_history,
    stage_rules,
)

AS_OF = dt.date(2024, 12, 31)
# 90-day periods back from the as-of date:
#   0: 2024-10-03 … 2024-12-31   1: 2024-07-05 … 2024-10-02   2: 2024-04-06 … 2024-07-04
#   3: 2024-01-07 … 2024-04-05   4: 2023-10-09 … 2024-01-06
P4, P3, P2, P1, P0 = "2023-11-01", "2024-02-01", "2024-05-01", "2024-08-01", "2024-11-01"

# customer, date, amount, margin
ROWS = [
    ("trial", "2024-06-01", 80.0, None),  # one purchase day, 213 days ago
    ("newbie", "2024-11-01", 50.0, None), ("newbie", "2024-12-01", 60.0, None),  # tenure 60
    # tenure 244 (2 earlier periods): 100, 100 then 300 in the last period: +200 %
    ("grower", "2024-05-01", 100.0, None), ("grower", P1, 100.0, None),
    ("grower", "2024-12-01", 300.0, 120.0),
    # tenure 300 (3 earlier periods: 200 / 3 = 66.67), 70 in the last period: +5 %
    ("builder", "2024-03-06", 100.0, None), ("builder", "2024-09-01", 100.0, None),
    ("builder", "2024-12-01", 70.0, None),
    # a purchase of 100 in each of the five periods: change 0, active 5 of 5, tenure 426
    *[("steady", d, 100.0, 40.0) for d in (P4, P3, P2, P1, P0)],
    # 200 in each earlier period, 50 in the last: −75 %
    *[("faller", d, 200.0, None) for d in (P4, P3, P2, P1)], ("faller", P0, 50.0, None),
    # bought in the four earlier periods, not in the last (recency 152): −100 %
    *[("silent", d, 100.0, None) for d in (P4, P3, P2, P1)],
    # 400 in period 4, 100 in the last: average 100, change 0, but active in 2 of 5 periods
    ("irregular", P4, 400.0, None), ("irregular", P0, 100.0, None),
    # last purchase 2023-10-01: 457 days ago
    ("gone", "2023-06-01", 100.0, None), ("gone", "2023-10-01", 100.0, None),
    ("later", "2025-01-10", 10.0, None),  # after the as-of date: not a customer yet
]

EXPECTED_STAGE = {
    "trial": ("exploration", "trial"), "newbie": ("exploration", "short_tenure"),
    "grower": ("formation", "growing"), "builder": ("formation", "building"),
    "steady": ("stability", "steady"), "faller": ("decline", "falling"),
    "silent": ("decline", "falling"), "irregular": ("formation", "building"),
    "gone": ("churned", "churn_recency"),
}

# spend_last, previous_avg, change, purchases_last, purchases_prev_avg, active_share,
# previous_periods, tenure, recency, purchase_days, margin_last
EXPECTED_TREND = {
    "trial": (0.0, 80 / 2, -1.0, 0, 0.5, 1 / 3, 2, 213, 213, 1, None),
    "newbie": (110.0, None, None, 2, None, 1.0, 0, 60, 30, 2, None),
    "grower": (300.0, 100.0, 2.0, 1, 1.0, 1.0, 2, 244, 30, 3, 120.0),
    "builder": (70.0, 200 / 3, 70 / (200 / 3) - 1, 1, 2 / 3, 0.75, 3, 300, 30, 3, None),
    "steady": (100.0, 100.0, 0.0, 1, 1.0, 1.0, 4, 426, 60, 5, 40.0),
    "faller": (50.0, 200.0, -0.75, 1, 1.0, 1.0, 4, 426, 60, 5, None),
    "silent": (0.0, 100.0, -1.0, 0, 1.0, 0.8, 4, 426, 152, 4, None),
    "irregular": (100.0, 100.0, 0.0, 1, 0.25, 0.4, 4, 426, 60, 2, None),
    "gone": (0.0, 0.0, None, 0, 0.0, 0.0, 4, 579, 457, 2, None),
}
TREND_NAMES = ("spend_last_period", "spend_previous_avg", "spend_change", "purchases_last_period",
               "purchases_previous_avg", "active_period_share", "previous_periods",
               "history_tenure_days", "history_recency_days", "history_purchase_days",
               "margin_last_period")




@pytest.fixture
def hand_rows(make_transactions):
    return make_transactions(ROWS)


@pytest.fixture
def staged(engine_name, hand_rows):
    engine = get_engine(engine_name)
    txns = engine.table(hand_rows, f"lc_txns_{engine_name}")
    table = engine.to_arrow(stage_rules(customer_trend(purchase_days(txns), as_of=AS_OF)))
    return {r["customer_id"]: r for r in table.to_pylist()}, table, engine, txns


def test_each_hand_made_customer_lands_in_its_stage(staged):
    rows, _, _, _ = staged
    assert sorted(rows) == sorted(EXPECTED_STAGE)  # "later" bought after the as-of date
    got = {cid: (r["lifecycle_stage"], r["lifecycle_rule"]) for cid, r in rows.items()}
    assert got == EXPECTED_STAGE


def test_trend_numbers_are_the_hand_computed_ones(staged):
    rows, _, _, _ = staged
    for cid, expected in EXPECTED_TREND.items():
        for name, want in zip(TREND_NAMES, expected):
            have = rows[cid][name]
            if want is None:
                assert have is None or have != have, (cid, name, have)
            elif isinstance(want, float):
                assert have == pytest.approx(want, rel=1e-12, abs=1e-12), (cid, name, have)
            else:
                assert have == want, (cid, name, have)


def test_probability_alive_below_the_threshold_churns(engine_name, hand_rows):
    engine = get_engine(engine_name)
    txns = engine.table(hand_rows, f"lc_txns_alive_{engine_name}")
    alive = engine.table(pa.table({"customer_id": ["silent", "steady", "grower"],
                                   "probability_alive": [0.05, 0.05, 0.5]}),
                         f"lc_alive_{engine_name}")
    trend = customer_trend(purchase_days(txns), as_of=AS_OF).left_join(alive, "customer_id").drop(
        "customer_id_right")
    table = engine.to_arrow(stage_rules(trend, alive=trend.probability_alive))
    rows = {r["customer_id"]: r for r in table.to_pylist()}
    assert (rows["silent"]["lifecycle_stage"], rows["silent"]["lifecycle_rule"]) == (
        "churned", "churn_alive")  # 152 days since the last purchase
    # "steady" bought 60 days ago, in the last period: a low P(alive) does not churn it
    assert rows["steady"]["lifecycle_stage"] == "stability"
    assert rows["grower"]["lifecycle_stage"] == "formation"  # 0.5 is above 0.1
    assert rows["trial"]["lifecycle_stage"] == "exploration"  # no probability: rules as before
    reasons = dict(zip(table.column("customer_id").to_pylist(),
                       lifecycle_reasons(table).to_pylist()))
    assert reasons["silent"] == "probability alive 0.05 below 0.10"


def test_thresholds_move_customers(engine_name, hand_rows):
    engine = get_engine(engine_name)
    txns = engine.table(hand_rows, f"lc_txns_opts_{engine_name}")
    options = LifecycleOptions(decline_drop=0.8, churn_days=500, stability_active_share=0.4,
                               trial_purchases=0)
    table = engine.to_arrow(stage_rules(customer_trend(purchase_days(txns), as_of=AS_OF, options=options),
                                        options))
    got = {r["customer_id"]: r["lifecycle_stage"] for r in table.to_pylist()}
    assert got["faller"] == "stability"  # −75 % is no longer a decline; steady and long
    assert got["silent"] == "decline"  # −100 % still is
    assert got["gone"] == "decline"  # 457 days < 500: not churned, but dormant in every period
    assert got["trial"] == "decline"  # trial rule off, tenure 213 ≥ 180: 0 against 40 is −100 %


def test_reasons_state_the_numbers(staged):
    _, table, _, _ = staged
    reasons = dict(zip(table.column("customer_id").to_pylist(),
                       lifecycle_reasons(table).to_pylist()))
    assert reasons["faller"] == ("spend last 90 days 50 vs 200 average of previous 4 90-day "
                                 "period(s): -75 %")
    assert reasons["gone"] == "no purchase for 457 days (churned after 365)"
    assert reasons["trial"] == "1 purchase day(s) so far (trial: at most 1)"
    assert reasons["newbie"] == "first purchase 60 days ago (exploring for 180 days)"
    assert reasons["steady"].endswith("; customer for 426 days, bought in 5 of 5 periods")
    zh = dict(zip(table.column("customer_id").to_pylist(),
                  lifecycle_reasons(table, lang="zh").to_pylist()))
    assert zh["faller"] == "最近 90 天消费 50，之前 4 个 90 天周期平均 200：-75 %"


def test_stage_history_at_earlier_dates(staged):
    _, _, engine, txns = staged
    dates = history_dates(AS_OF)
    assert dates == [dt.date(2024, 4, 5), dt.date(2024, 7, 4), dt.date(2024, 10, 2), AS_OF]
    long = engine.to_arrow(stage_history(purchase_days(txns), dates, LifecycleOptions()))
    at = {(r["customer_id"], r["as_of"]): r["lifecycle_stage"] for r in long.to_pylist()}
    # on 2024-04-05 "grower" had not bought yet; "steady" had bought twice (tenure 156)
    assert ("grower", dates[0]) not in at
    assert at[("steady", dates[0])] == "exploration"
    # 187 days since the last purchase: nothing in the last period against 200 / 3 before
    assert at[("gone", dates[0])] == "decline"
    assert at[("gone", dates[2])] == "churned"  # 367 days
    assert {d for (_, d) in at} == set(dates)
