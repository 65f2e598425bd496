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
    # seed 000: "在任何一阶段关系都可能退化" — 170 days a customer (one earlier period), 7 purchase
    # days worth 1,000 in it, then 100 in the last period: −90 %, in decline though young
    *[("slump170", d, 150.0, None) for d in ("2024-07-14", "2024-07-28", "2024-08-11",
                                            "2024-08-25", "2024-09-08", "2024-09-22")],
    ("slump170", "2024-09-29", 100.0, None), ("slump170", P0, 100.0, None),
    # a small regular buyer: 10 in every period, steady but the lowest volume of all — not
    # stable ("大量的交易"), and not growing ("交易不断增加"): no large contribution yet
    *[("small_regular", d, 10.0, None) for d in (P4, P3, P2, P1, P0)],
    # spend flat (+10 %) but three purchase days in the last period after one a period before
    *[("frequenter", d, 100.0, None) for d in (P4, P3, P2, P1)],
    ("frequenter", "2024-11-01", 40.0, None), ("frequenter", "2024-11-15", 40.0, None),
    ("frequenter", "2024-12-01", 30.0, None),
]

EXPECTED_STAGE = {
    # one purchase day 213 days ago, none since: trial orders, no level of its own to fall from
    "trial": ("exploration", "trial"), "newbie": ("exploration", "short_tenure"),
    "grower": ("formation", "growing"),
    "builder": ("exploration", "low_flat"),  # +5 %, 300 days, level below the median
    "steady": ("stability", "steady"), "faller": ("decline", "falling"),
    "silent": ("decline", "falling"),
    "irregular": ("formation", "high_unsteady"),  # high level, bought in 2 of 5 periods
    "gone": ("churned", "churn_recency"), "slump170": ("decline", "falling"),
    "small_regular": ("exploration", "low_flat"), "frequenter": ("formation", "more_purchases"),
}

# the level of volume: spend per observed period, and its cumulative share among the 11
# customers with a purchase in the last 365 days ("gone" is not one of them):
# small_regular 10, trial 80 / 3, builder 270 / 4, silent 400 / 5, steady and irregular 100,
# frequenter 510 / 5, newbie 110, grower 500 / 3, faller 850 / 5, slump170 1,100 / 2
EXPECTED_LEVEL = {
    "small_regular": (10.0, 1 / 11), "trial": (80 / 3, 2 / 11), "builder": (67.5, 3 / 11),
    "silent": (80.0, 4 / 11), "steady": (100.0, 6 / 11), "irregular": (100.0, 6 / 11),
    "frequenter": (102.0, 7 / 11), "newbie": (110.0, 8 / 11), "grower": (500 / 3, 9 / 11),
    "faller": (170.0, 10 / 11), "slump170": (550.0, 1.0), "gone": (0.0, None),
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
    "slump170": (100.0, 1000.0, -0.9, 1, 7.0, 1.0, 1, 170, 60, 8, None),
    "small_regular": (10.0, 10.0, 0.0, 1, 1.0, 1.0, 4, 426, 60, 5, None),
    "frequenter": (110.0, 100.0, 0.1, 3, 1.0, 1.0, 4, 426, 30, 7, None),
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


def test_level_of_volume_against_the_customer_base(staged):
    rows, _, _, _ = staged
    for cid, (level, percentile) in EXPECTED_LEVEL.items():
        assert rows[cid]["spend_period_avg"] == pytest.approx(level, rel=1e-12), cid
        if percentile is None:
            assert rows[cid]["volume_percentile"] is None, cid
        else:
            assert rows[cid]["volume_percentile"] == pytest.approx(percentile, rel=1e-12), cid


def test_a_higher_volume_bar_leaves_the_steady_customer_short_of_stability(engine_name,
                                                                           hand_rows):
    engine = get_engine(engine_name)
    txns = engine.table(hand_rows, f"lc_txns_bar_{engine_name}")
    options = LifecycleOptions(stability_volume_quantile=0.6)
    table = engine.to_arrow(stage_rules(customer_trend(purchase_days(txns), as_of=AS_OF,
                                                       options=options), options))
    got = {r["customer_id"]: (r["lifecycle_stage"], r["lifecycle_rule"]) for r in table.to_pylist()}
    # "steady" is at 6 / 11 = 55 % of the base: below a 60 % bar its level is low, and a flat
    # low level past exploration is still exploration; "frequenter" grows whatever the bar
    assert got["steady"] == ("exploration", "low_flat")
    assert got["irregular"] == ("exploration", "low_flat")
    assert got["frequenter"] == ("formation", "more_purchases")


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


# each reason opens with the source's criterion of its stage (seed 000), then the numbers
HAND_REASONS = {
    "faller": ("volume falling (30% or more below its own earlier level: decline, at any stage): "
               "spend last 90 days 50 vs 200 average of previous 4 90-day period(s): -75 %",
               "交易量下降（较自身以往水平下降 30% 及以上：任何阶段都可能退化）：最近 90 天消费 50，"
               "之前 4 个 90 天周期平均 200：-75 %"),
    "slump170": ("volume falling (30% or more below its own earlier level: decline, at any "
                 "stage): spend last 90 days 100 vs 1,000 average of previous 1 90-day "
                 "period(s): -90 %",
                 "交易量下降（较自身以往水平下降 30% 及以上：任何阶段都可能退化）：最近 90 天消费 100，"
                 "之前 1 个 90 天周期平均 1,000：-90 %"),
    "gone": ("no purchase for 457 days (churned after 365)", "已 457 天无购买（超过 365 天视为流失）"),
    "newbie": ("exploring the relationship: first purchase 60 days ago (under 180 days)",
               "关系的探索和试验阶段：首次购买在 60 天前（不满 180 天）"),
    "grower": ("volume growing (+20% or more): spend last 90 days 300 vs 100 average of "
               "previous 2 90-day period(s): +200 %",
               "交易不断增加（增长 20% 及以上）：最近 90 天消费 300，之前 2 个 90 天周期平均 100：+200 %"),
    "frequenter": ("volume growing (+20% or more): 3 purchase day(s) in the last 90 days vs 1.0 "
                   "on average before; spend last 90 days 110 vs 100 average of previous 4 "
                   "90-day period(s): +10 %",
                   "交易不断增加（增长 20% 及以上）：最近 90 天 3 个购买日，之前平均 1.0 个；最近 90 天"
                   "消费 110，之前 4 个 90 天周期平均 100：+10 %"),
    "steady": ("high, steady volume: 100 a period on average, as much as or more than 55% of the "
               "customer base (high from 50%); bought in 5 of 5 periods, customer for 426 days",
               "大量、稳定的交易：平均每周期消费 100，不低于 55% 的客户（50% 及以上为高）；5 个周期中有 "
               "5 个有购买，已成为客户 426 天"),
    "irregular": ("high volume, not yet stable (stable from 365 days and 50% of periods): 100 a "
                  "period on average, as much as or more than 55% of the customer base (high "
                  "from 50%); bought in 2 of 5 periods, customer for 426 days",
                  "交易量较高，但尚未稳定（满 365 天且 50% 的周期有购买为稳定期）：平均每周期消费 100，"
                  "不低于 55% 的客户（50% 及以上为高）；5 个周期中有 2 个有购买，已成为客户 426 天"),
    "small_regular": ("no large contribution yet, volume flat at a low level: 10 a period on "
                      "average, as much as or more than 9% of the customer base (high from "
                      "50%); spend last 90 days 10 vs 10 average of previous 4 90-day "
                      "period(s): +0 %; bought in 5 of 5 periods, customer for 426 days",
                      "尚未做出大的贡献，交易量平稳且较低：平均每周期消费 10，不低于 9% 的客户（50% 及以上"
                      "为高）；最近 90 天消费 10，之前 4 个 90 天周期平均 10：+0 %；5 个周期中有 5 个有购买，"
                      "已成为客户 426 天"),
}


def test_reasons_state_the_criterion_and_the_numbers(staged):
    _, table, _, _ = staged
    ids = table.column("customer_id").to_pylist()
    en = dict(zip(ids, lifecycle_reasons(table).to_pylist()))
    zh = dict(zip(ids, lifecycle_reasons(table, lang="zh").to_pylist()))
    for cid, (want_en, want_zh) in HAND_REASONS.items():
        assert (en[cid], zh[cid]) == (want_en, want_zh), cid


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


# -- the rules at their boundaries, on hand-made trend rows --------------------------------

# decline and growth thresholds that are exact in floating point (0.75 − 1 is exactly −0.25)
EDGE_OPTIONS = LifecycleOptions(decline_drop=0.25, growth_rise=0.5, exploration_days=30)

# customer: recency, purchase days, tenure, spend change, last-period spend, earlier periods,
# active share, P(alive) → rule
EDGE_ROWS = {
    "recency_365": (365, 5, 500, -1.0, 0.0, 4, 0.8, None, "falling"),  # not more than 365
    "recency_366": (366, 5, 500, -1.0, 0.0, 4, 0.8, None, "churn_recency"),
    "alive_at_limit": (90, 5, 500, -1.0, 0.0, 4, 0.8, 0.1, "falling"),  # 0.1 is not below 0.1
    "alive_below": (90, 5, 500, -1.0, 0.0, 4, 0.8, 0.09, "churn_alive"),  # a full period quiet
    "alive_below_recent": (89, 5, 500, 0.0, 100.0, 4, 1.0, 0.09, "steady"),  # bought in period 0
    "one_day": (10, 1, 500, 0.0, 100.0, 4, 1.0, None, "trial"),
    "two_days": (10, 2, 500, 0.0, 100.0, 4, 1.0, None, "steady"),
    "tenure_29": (10, 3, 29, None, 100.0, 0, 1.0, None, "short_tenure"),
    "tenure_30": (10, 3, 30, None, 100.0, 0, 1.0, None, "growing"),  # spend, no earlier period
    "free_samples": (10, 3, 60, None, 0.0, 0, 1.0, None, "low_flat"),  # zero spend, no history
    "at_drop": (10, 5, 500, -0.25, 75.0, 4, 1.0, None, "falling"),
    "above_drop": (10, 5, 500, -0.24, 76.0, 4, 1.0, None, "steady"),
    "at_rise": (10, 5, 500, 0.5, 150.0, 4, 1.0, None, "growing"),
    "below_rise": (10, 5, 500, 0.49, 149.0, 4, 1.0, None, "steady"),
    "new_spend": (10, 5, 500, None, 50.0, 4, 0.2, None, "growing"),  # nothing earlier
    "new_small_spend": (10, 5, 500, None, 0.5, 4, 0.2, None, "growing"),  # any spend above 0
    "dormant": (200, 5, 500, None, 0.0, 2, 0.0, None, "dormant"),
    "dormant_one_period": (100, 2, 100, None, 0.0, 1, 0.0, None, "dormant"),
    "stable_at_limits": (10, 5, 365, 0.0, 100.0, 4, 0.5, None, "steady"),
    "share_below": (10, 5, 365, 0.0, 100.0, 4, 0.4, None, "high_unsteady"),
    "tenure_364": (10, 5, 364, 0.0, 100.0, 4, 1.0, None, "high_unsteady"),
    # decline before the exploration tenure: a fall counts at any tenure
    "young_falling": (10, 3, 29, -0.25, 75.0, 1, 1.0, None, "falling"),
    "one_day_gone_quiet": (100, 1, 200, -1.0, 0.0, 2, 1 / 3, None, "trial"),  # no level yet
    "low_level": (10, 5, 500, 0.0, 100.0, 4, 1.0, None, "low_flat"),
    "purchases_up": (10, 5, 500, 0.0, 100.0, 4, 1.0, None, "more_purchases"),
    "purchases_at_rise": (10, 5, 500, 0.0, 100.0, 4, 1.0, None, "more_purchases"),
    "purchases_below_rise": (10, 5, 500, 0.0, 100.0, 4, 1.0, None, "steady"),
    "purchases_up_under_one": (10, 5, 500, 0.0, 100.0, 4, 1.0, None, "steady"),
}
# level (spend per period), purchase days in the last period and their earlier average, where
# not 100, 1 and 1.0: "free_samples" and "low_level" are the two lowest levels of the 27
# customers with a purchase in the last 365 days (cumulative share 1 / 27 and 2 / 27: low),
# all others share the top level (cumulative share 1: high). Purchase days grow with
# growth_rise 0.5 from ×1.5 and at least one more: 2 after 1 and 3 after 2 do, 3 after 2.01
# and 1 after 0.5 (+100 %, but less than one more) do not.
EDGE_EXTRA = {"free_samples": (0.0, 1, 1.0), "low_level": (1.0, 1, 1.0),
              "purchases_up": (100.0, 2, 1.0), "purchases_at_rise": (100.0, 3, 2.0),
              "purchases_below_rise": (100.0, 3, 2.01), "purchases_up_under_one": (100.0, 1, 0.5)}
RULE_STAGE_NEW = {"more_purchases": "formation", "high_unsteady": "formation",
                  "low_flat": "exploration"}
RULE_STAGE = {"churn_recency": "churned", "churn_alive": "churned", "trial": "exploration",
              "short_tenure": "exploration", "falling": "decline", "dormant": "decline",
              "growing": "formation", "steady": "stability", **RULE_STAGE_NEW}


def _edge_table():
    names = ("history_recency_days", "history_purchase_days", "history_tenure_days",
             "spend_change", "spend_last_period", "previous_periods", "active_period_share",
             "probability_alive")
    types = (pa.int64(), pa.int64(), pa.int64(), pa.float64(), pa.float64(), pa.int64(),
             pa.float64(), pa.float64())
    data = {"customer_id": list(EDGE_ROWS)}
    for i, (name, kind) in enumerate(zip(names, types)):
        data[name] = pa.array([row[i] for row in EDGE_ROWS.values()], kind)
    extra = [EDGE_EXTRA.get(c, (100.0, 1, 1.0)) for c in EDGE_ROWS]
    data["spend_period_avg"] = pa.array([e[0] for e in extra], pa.float64())
    data["purchases_last_period"] = pa.array([e[1] for e in extra], pa.int64())
    data["purchases_previous_avg"] = pa.array([e[2] for e in extra], pa.float64())
    return pa.table(data)


def test_rules_at_their_thresholds(engine_name):
    engine = get_engine(engine_name)
    trend = engine.table(_edge_table(), f"lc_edges_{engine_name}")
    got = engine.to_arrow(stage_rules(trend, EDGE_OPTIONS, alive=trend.probability_alive))
    rows = got.to_pylist()
    got = {r["customer_id"]: (r["lifecycle_rule"], r["lifecycle_stage"]) for r in rows}
    assert got == {c: (row[-1], RULE_STAGE[row[-1]]) for c, row in EDGE_ROWS.items()}
    level = {r["customer_id"]: r["volume_percentile"] for r in rows}
    assert len(EDGE_ROWS) == 28  # one of them ("recency_366") is not in the customer base
    assert (level["free_samples"], level["low_level"], level["two_days"],
            level["recency_366"]) == (pytest.approx(1 / 27), pytest.approx(2 / 27), 1.0, None)


def test_trend_counts_each_purchase_in_its_period(engine_name, make_transactions):
    # periods of 90 days back from 2024-12-31: 89 days ago is period 0, 90 days ago period 1,
    # 449 days ago period 4 (the last one compared), 450 days ago period 5 (not compared)
    rows = make_transactions([
        ("edges", "2023-10-08", 1000.0, None), ("edges", "2023-10-09", 400.0, None),
        ("edges", "2024-10-02", 200.0, None), ("edges", "2024-10-03", 20.0, 5.0),
        ("edges", "2024-12-31", 10.0, 1.0), ("edges", "2025-01-01", 99.0, None),
        # first purchase 179 days ago: one earlier period
        ("young", "2024-07-05", 60.0, None), ("young", "2024-12-30", 90.0, None),
        # small amounts: 0.5 on average before, 1 in the last period: +100 %
        ("small", "2024-09-01", 0.5, None), ("small", "2024-12-01", 1.0, None),
        # first purchase 30 days ago: no earlier period, so no average (null, not 0 / 0)
        ("fresh", "2024-12-01", 40.0, None),
    ])
    engine = get_engine(engine_name)
    txns = engine.table(rows, f"lc_periods_{engine_name}")
    got = engine.to_arrow(customer_trend(purchase_days(txns), as_of=AS_OF)).to_pylist()
    got = {r["customer_id"]: r for r in got}
    edges = {name: got["edges"][name] for name in TREND_NAMES}
    assert edges == pytest.approx({
        # 30 in period 0 against (400 + 200) / 4: −80 %; periods 0, 1 and 4 of 5 active
        "spend_last_period": 30.0, "spend_previous_avg": 150.0, "spend_change": -0.8,
        "purchases_last_period": 2, "purchases_previous_avg": 0.5, "active_period_share": 0.6,
        "previous_periods": 4, "history_tenure_days": 450, "history_recency_days": 0,
        "history_purchase_days": 5, "margin_last_period": 6.0}, rel=1e-12)
    young = {name: got["young"][name] for name in TREND_NAMES}
    margin = young.pop("margin_last_period")
    assert margin is None or margin != margin  # no margin known: null (NaN on some engines)
    small = got["small"]
    assert (small["spend_previous_avg"], small["spend_change"], small["previous_periods"]) == (
        0.5, 1.0, 1)
    fresh = got["fresh"]
    assert (fresh["spend_previous_avg"], fresh["purchases_previous_avg"], fresh["spend_change"],
            fresh["previous_periods"], fresh["active_period_share"]) == (None, None, None, 0, 1.0)
    assert young == pytest.approx({
        "spend_last_period": 90.0, "spend_previous_avg": 60.0, "spend_change": 0.5,
        "purchases_last_period": 1, "purchases_previous_avg": 1.0, "active_period_share": 1.0,
        "previous_periods": 1, "history_tenure_days": 179, "history_recency_days": 1,
        "history_purchase_days": 2}, rel=1e-12)


# -- every reason text, in both languages ----------------------------------------------------

# rule, last spend, earlier average, change, earlier periods, tenure, recency, purchase days,
# active share, P(alive), level (spend per period), its cumulative share, purchase days in the
# last period and their earlier average → English, Chinese
FALL_EN = "volume falling (30% or more below its own earlier level: decline, at any stage): "
FALL_ZH = "交易量下降（较自身以往水平下降 30% 及以上：任何阶段都可能退化）："
REASONS = [
    (None, None, None, None, None, None, None, None, None, None, None, None, None, None,
     "in the customer list, no purchase yet", "在客户名单中，尚无购买"),
    ("churn_recency", 0.0, 10.0, -1.0, 4, 2000, 1234, 3, 0.0, None, 2.0, None, 0, 1.0,
     "no purchase for 1,234 days (churned after 365)", "已 1,234 天无购买（超过 365 天视为流失）"),
    ("churn_alive", 0.0, 10.0, -1.0, 4, 500, 100, 3, 0.2, 0.054, 8.0, 0.1, 0, 0.5,
     "probability alive 0.05 below 0.10", "存活概率 0.05 低于 0.10"),
    ("trial", 80.0, None, None, 0, 20, 20, 1, 1.0, None, 80.0, 0.4, 1, None,
     "trial orders: 1 purchase day(s) so far (at most 1)",
     "尝试性的订单：目前共 1 个购买日（不超过 1 个）"),
    ("short_tenure", 110.0, None, None, 0, 60, 30, 2, 1.0, None, 110.0, 0.6, 2, None,
     "exploring the relationship: first purchase 60 days ago (under 180 days)",
     "关系的探索和试验阶段：首次购买在 60 天前（不满 180 天）"),
    ("dormant", 0.0, 0.0, None, 2, 250, 200, 2, 0.0, None, 0.0, 0.01, 0, 0.0,
     "volume fell to nothing: no purchase in the last 3 90-day periods (last one 200 days ago)",
     "交易量降至零：最近 3 个 90 天周期均无购买（上次购买在 200 天前）"),
    ("falling", 320.0, 1150.0, 320 / 1150 - 1, 4, 1500, 5, 9, 1.0, None, 984.0, 0.9, 1, 1.75,
     FALL_EN + "spend last 90 days 320 vs 1,150 average of previous 4 90-day period(s): -72 %",
     FALL_ZH + "最近 90 天消费 320，之前 4 个 90 天周期平均 1,150：-72 %"),
    ("growing", 50.0, 0.0, None, 3, 300, 10, 2, 0.25, None, 12.5, 0.2, 1, 0.0,
     "volume growing (+20% or more): spend last 90 days 50 after none in the previous 3 90-day "
     "period(s)",
     "交易不断增加（增长 20% 及以上）：最近 90 天消费 50，之前 3 个 90 天周期无消费"),
    ("growing", 80.0, None, None, 0, 60, 5, 2, 1.0, None, 80.0, 0.5, 2, None,
     "volume growing (+20% or more): no earlier period to compare; customer for 60 days",
     "交易不断增加（增长 20% 及以上）：没有可比较的之前周期；已成为客户 60 天"),
    ("more_purchases", 120.0, 100.0, 0.2 - 1e-9, 4, 800, 3, 12, 1.0, None, 104.0, 0.7, 4, 2.0,
     "volume growing (+20% or more): 4 purchase day(s) in the last 90 days vs 2.0 on average "
     "before; spend last 90 days 120 vs 100 average of previous 4 90-day period(s): +20 %",
     "交易不断增加（增长 20% 及以上）：最近 90 天 4 个购买日，之前平均 2.0 个；最近 90 天消费 120，"
     "之前 4 个 90 天周期平均 100：+20 %"),
    ("steady", 250.0, 250.0, 0.0, 4, 1426, 60, 5, 0.8, None, 250.0, 0.8, 1, 0.75,
     "high, steady volume: 250 a period on average, as much as or more than 80% of the customer "
     "base (high from 50%); bought in 4 of 5 periods, customer for 1,426 days",
     "大量、稳定的交易：平均每周期消费 250，不低于 80% 的客户（50% 及以上为高）；5 个周期中有 4 个有购买，"
     "已成为客户 1,426 天"),
    ("high_unsteady", 300.0, 280.0, 300 / 280 - 1, 2, 250, 20, 6, 1.0, None, 286.67, 0.93, 2,
     2.0,
     "high volume, not yet stable (stable from 365 days and 50% of periods): 287 a period on "
     "average, as much as or more than 93% of the customer base (high from 50%); bought in 3 of 3 "
     "periods, customer for 250 days",
     "交易量较高，但尚未稳定（满 365 天且 50% 的周期有购买为稳定期）：平均每周期消费 287，不低于 93% 的客户"
     "（50% 及以上为高）；3 个周期中有 3 个有购买，已成为客户 250 天"),
    ("low_flat", 110.0, 100.0, 0.1, 2, 244, 30, 3, 2 / 3, None, 70.0, 0.3, 1, 1.0,
     "no large contribution yet, volume flat at a low level: 70 a period on average, as much as "
     "or more than 30% of the customer base (high from 50%); spend last 90 days 110 vs 100 "
     "average of previous 2 90-day period(s): +10 %; bought in 2 of 3 periods, customer for 244 "
     "days",
     "尚未做出大的贡献，交易量平稳且较低：平均每周期消费 70，不低于 30% 的客户（50% 及以上为高）；最近 90 天"
     "消费 110，之前 2 个 90 天周期平均 100：+10 %；3 个周期中有 2 个有购买，已成为客户 244 天"),
    # a figure that is not known (null) or not a number (NaN) is shown as a dash
    ("falling", None, 100.0, None, 4, 500, 10, 5, 1.0, None, None, None, None, None,
     FALL_EN + "spend last 90 days – vs 100 average of previous 4 90-day period(s): –",
     FALL_ZH + "最近 90 天消费 –，之前 4 个 90 天周期平均 100：–"),
    ("falling", float("nan"), 100.0, float("nan"), 4, 500, 10, 5, 1.0, None, float("nan"),
     float("nan"), 1, float("nan"),
     FALL_EN + "spend last 90 days – vs 100 average of previous 4 90-day period(s): –",
     FALL_ZH + "最近 90 天消费 –，之前 4 个 90 天周期平均 100：–"),
    ("low_flat", 10.0, 10.0, 0.0, 1, 100, 3, 2, None, None, None, None, 1, 1.0,
     "no large contribution yet, volume flat at a low level: – a period on average, as much as or "
     "more than – of the customer base (high from 50%); spend last 90 days 10 vs 10 average of "
     "previous 1 90-day period(s): +0 %; bought in – of 2 periods, customer for 100 days",
     "尚未做出大的贡献，交易量平稳且较低：平均每周期消费 –，不低于 – 的客户（50% 及以上为高）；最近 90 天消费 "
     "10，之前 1 个 90 天周期平均 10：+0 %；2 个周期中有 – 个有购买，已成为客户 100 天"),
    # a rule of an earlier version of cvm, stored with an old run: its numbers
    ("building", 110.0, 100.0, 0.1, 2, 244, 30, 3, 2 / 3, None, None, None, None, None,
     "spend last 90 days 110 vs 100 average of previous 2 90-day period(s): +10 %",
     "最近 90 天消费 110，之前 2 个 90 天周期平均 100：+10 %"),
]
REASON_NAMES = ("lifecycle_rule", "spend_last_period", "spend_previous_avg", "spend_change",
                "previous_periods", "history_tenure_days", "history_recency_days",
                "history_purchase_days", "active_period_share", "probability_alive",
                "spend_period_avg", "volume_percentile", "purchases_last_period",
                "purchases_previous_avg")
REASON_TYPES = (pa.string(), pa.float64(), pa.float64(), pa.float64(), pa.int64(), pa.int64(),
                pa.int64(), pa.int64(), pa.float64(), pa.float64(), pa.float64(), pa.float64(),
                pa.int64(), pa.float64())


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_reason_text(lang):
    table = pa.table({name: pa.array([r[i] for r in REASONS], kind)
                      for i, (name, kind) in enumerate(zip(REASON_NAMES, REASON_TYPES))})
    want = [r[-2] if lang == "en" else r[-1] for r in REASONS]
    assert lifecycle_reasons(table, lang=lang).to_pylist() == want


def test_reasons_of_a_run_without_the_new_columns():
    # a run stored before the level of volume existed: the reason still reads, with dashes
    table = pa.table({name: pa.array([REASONS[12][i]], kind)
                      for i, (name, kind) in enumerate(zip(REASON_NAMES, REASON_TYPES))
                      if name not in ("spend_period_avg", "volume_percentile")})
    assert lifecycle_reasons(table).to_pylist() == [
        "no large contribution yet, volume flat at a low level: – a period on average, as much "
        "as or more than – of the customer base (high from 50%); spend last 90 days 110 vs 100 "
        "average of previous 2 90-day period(s): +10 %; bought in 2 of 3 periods, customer for "
        "244 days"]


def test_prospect_reason():
    from cvm.features.lifecycle import prospect_reason

    assert prospect_reason() == "in the customer list, no purchase yet"
    assert prospect_reason("zh") == "在客户名单中，尚无购买"


def test_stage_history_at_one_and_two_dates(staged):
    _, _, engine, txns = staged
    for dates in ([AS_OF], [dt.date(2024, 10, 2), AS_OF]):
        long = engine.to_arrow(stage_history(purchase_days(txns), dates))
        at = {(r["customer_id"], r["as_of"]): r["lifecycle_stage"] for r in long.to_pylist()}
        assert {d for (_, d) in at} == set(dates)
        assert at[("gone", AS_OF)] == "churned"
    assert at[("gone", dt.date(2024, 10, 2))] == "churned"  # 367 days since the last purchase
    # on 2024-10-02 "newbie" had not bought yet (first purchase 2024-11-01): 11 + 12 rows
    assert len(at) == 11 + 12 and ("newbie", dt.date(2024, 10, 2)) not in at


def test_reasons_state_the_options_in_force():
    table = pa.table({"lifecycle_rule": ["churn_recency", "high_unsteady", "dormant", "falling"],
                      "spend_last_period": [0.0, 10.0, 0.0, 1.0],
                      "spend_previous_avg": [5.0, 10.0, 0.0, 10.0],
                      "spend_change": [-1.0, 0.0, None, -0.9], "previous_periods": [3, 1, 0, 2],
                      "history_tenure_days": [900, 100, 40, 150],
                      "history_recency_days": [800, 3, 40, 10],
                      "history_purchase_days": [4, 2, 2, 3],
                      "active_period_share": [0.5, 1.0, None, 1.0],
                      "spend_period_avg": [1.0, 10.0, 0.0, 7.0],
                      "volume_percentile": [None, 0.8, 0.1, 0.5]})
    options = LifecycleOptions(churn_days=700, period_days=60, stability_days=400,
                               stability_active_share=0.75, stability_volume_quantile=0.75,
                               decline_drop=0.5)
    assert lifecycle_reasons(table, options).to_pylist() == [
        "no purchase for 800 days (churned after 700)",
        "high volume, not yet stable (stable from 400 days and 75% of periods): 10 a period on "
        "average, as much as or more than 80% of the customer base (high from 75%); bought in 2 "
        "of 2 periods, customer for 100 days",
        "volume fell to nothing: no purchase in the last 1 60-day periods (last one 40 days ago)",
        "volume falling (50% or more below its own earlier level: decline, at any stage): spend "
        "last 60 days 1 vs 10 average of previous 2 60-day period(s): -90 %",
    ]


def test_stage_names_phases_and_counts():
    from cvm.features.lifecycle import phase_of, stage_counts, stage_names

    stages = pa.array(["prospect", "exploration", "formation", "stability", "decline",
                       "churned", None])
    assert stage_names(stages, "five").to_pylist() == [
        "acquisition", "acquisition", "growth", "maturity", "decline", "departure", None]
    assert stage_names(stages, "seed").to_pylist() == stages.to_pylist()
    assert [phase_of(s) for s in ("prospect", "decline", "churned", "maturity", "departure",
                                  None)] == [
        "prospective", "current", "churned", "current", "churned", None]
    assert stage_counts(pa.array(["decline", "formation", "decline"])) == {
        "decline": 2, "formation": 1}
    assert history_dates(AS_OF, LifecycleOptions(history_dates=2, period_days=30)) == [
        dt.date(2024, 12, 1), AS_OF]


def test_equal_levels_share_their_volume_percentile(engine_name, make_transactions):
    """0.1 + 0.2 and 0.3 are one level of volume: the engines add purchases in no fixed order,
    so the level is compared rounded, and a tie is not split by the last bits of a sum."""
    day = (AS_OF - dt.timedelta(days=10)).isoformat()
    rows = [("a", day, 0.1, None), ("a", day, 0.2, None), ("b", day, 0.3, None),
            ("c", day, 1.0, None)]
    engine = get_engine(engine_name)
    txns = engine.table(make_transactions(rows), f"lc_tie_{engine_name}")
    table = engine.to_arrow(stage_rules(customer_trend(purchase_days(txns), as_of=AS_OF)))
    got = {r["customer_id"]: r["volume_percentile"] for r in table.to_pylist()}
    assert got == {"a": pytest.approx(2 / 3), "b": pytest.approx(2 / 3), "c": 1.0}


def test_reason_numbers_rounded_alike_are_worded_alike_and_the_others_apart():
    # the reasons word each rounded amount, change and share once: values that round alike
    # (halves to even, a negative value rounding to zero keeps its sign) must read as each
    # one read alone, in the same row order
    from cvm.features.lifecycle import _amount, _change, _share

    spend = [-0.3, 0.3, -0.0, 0.0, 0.5, 1.5, 2.5, -2.5, 1234567.5, 99.49999999, None,
             float("nan")]
    change = [-0.004, 0.004, 0.005, -0.005, 0.015, 0.025, None, float("nan"), -0.0, 0.0,
              1.0, -1.0]
    share = [0.005, 0.015, 0.125, -0.0, 0.0, 0.995, 1.0, None, 0.335, 0.345, 0.5, 0.25]
    n = len(spend)
    table = pa.table({"lifecycle_rule": pa.array(["falling"] * n),
                      "spend_last_period": pa.array(spend, pa.float64()),
                      "spend_previous_avg": pa.array(spend[::-1], pa.float64()),
                      "spend_change": pa.array(change, pa.float64()),
                      "previous_periods": pa.array([2] * n, pa.int64()),
                      "spend_period_avg": pa.array(spend, pa.float64()),
                      "volume_percentile": pa.array(share, pa.float64())})
    got = lifecycle_reasons(table).to_pylist()
    for row, text in enumerate(got):
        last, avg = _amount(spend[row]), _amount(spend[::-1][row])
        if spend[::-1][row]:  # an average of zero or none: spend after none before
            assert f"spend last 90 days {last} vs {avg} average" in text
            assert text.endswith(f": {_change(change[row])}")
        else:
            assert f"spend last 90 days {last} after none" in text
    assert [t.split(": ", 1)[0] for t in got] == [got[0].split(": ", 1)[0]] * n
    assert [_amount(v) for v in spend][:4] == ["-0", "0", "-0", "0"]
    levels = lifecycle_reasons(table.set_column(0, "lifecycle_rule",
                                                pa.array(["steady"] * n))).to_pylist()
    for row, text in enumerate(levels):
        assert text.startswith(f"high, steady volume: {_amount(spend[row])} a period on average, "
                               f"as much as or more than {_share(share[row])} of the customer")
