"""Retention curves through the cohort feature: Fader & Hardie 2007's published example.

FH 2007 ("How to project customer retention", Table 1) follow 1,000 regular and 1,000
high-end customers for 12 years; fitted to years 1-7, the sBG model has alpha = 0.704,
beta = 1.182 (regular) and alpha = 0.668, beta = 3.806 (high end), and its projection tracks
years 8-12. Here those customers are synthetic members paying once a year, as long as they stay
(the survivors match the published counts), the cohort table is built from their payments on
the engine, and the curves are fitted through it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from scipy.special import betaln

from cvm.engine import get_engine
from cvm.features.cohorts import cohort_table
from cvm.models.retention import RetentionCurves

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]
PUBLISHED = {"regular": (0.704, 1.182), "high end": (0.668, 3.806)}


def members(survivors: list[int], plan: str) -> tuple[list, list]:
    """Payments of members who join on 15 March 2000 and pay every 15 March while they stay:
    ``survivors[k]`` of them pay in year k."""
    payments, plans = [], []
    n = survivors[0]
    # member i stays for the years k with i < survivors[k]
    for i in range(n):
        cid = f"{plan[0].upper()}{i:04d}"
        plans.append((cid, plan))
        for k, alive in enumerate(survivors):
            if i >= alive:
                break
            payments.append((cid, dt.date(2000 + k, 3, 15), 100.0))
    return payments, plans


def _tables(engine, name):
    rows, plans = [], []
    for survivors, plan in ((REGULAR, "regular"), (HIGH_END, "high end")):
        r, p = members(survivors, plan)
        rows += r
        plans += p
    pay = pa.table({"customer_id": [r[0] for r in rows],
                    "purchase_date": pa.array([r[1] for r in rows], pa.date32()),
                    "amount": [r[2] for r in rows]})
    plan = pa.table({"customer_id": [p[0] for p in plans], "plan": [p[1] for p in plans]})
    return engine.table(pay, f"{name}_pay"), engine.table(plan, f"{name}_plan")


def _cohorts(engine_name):
    engine = get_engine(engine_name)
    pay, plan = _tables(engine, f"fh_{engine_name}")
    expr = cohort_table(pay, as_of=dt.date(2012, 12, 31), period="year", groups=plan, by=["plan"])
    return engine.to_arrow(expr)


def _sig(value, published):
    digits = len(published.split(".")[1])
    assert round(value, digits) == pytest.approx(float(published)), (value, published)


def test_survivors_through_the_cohort_table_are_the_published_counts(engine_name):
    table = _cohorts(engine_name).to_pylist()
    for plan, counts in (("regular", REGULAR), ("high end", HIGH_END)):
        rows = [r for r in table if r["plan"] == plan]
        assert [r["period"] for r in rows] == list(range(13))
        assert [r["survivors"] for r in rows] == counts
        # members pay every year they stay: active is survivors, and lost the rest
        assert [r["active"] for r in rows] == counts
        assert [r["lost"] for r in rows] == [1000 - c for c in counts]
        assert rows[12]["cumulative_revenue_per_customer"] == pytest.approx(sum(counts) / 10)


def test_published_fit_and_projection_through_the_cohort_feature():
    curves = RetentionCurves(by=["plan"], calibration_periods=7, horizon=12).fit(
        _cohorts("duckdb"))
    pooled = curves.fits_[curves.fits_["cohort"].isna()].set_index("plan")
    for plan, counts in (("regular", REGULAR), ("high end", HIGH_END)):
        alpha, beta = PUBLISHED[plan]
        _sig(pooled.loc[plan, "alpha"], f"{alpha:.3f}")
        _sig(pooled.loc[plan, "beta"], f"{beta:.3f}")
        assert pooled.loc[plan, "periods_fitted"] == 8
        assert pooled.loc[plan, "holdout_periods"] == 5
        curve = curves.curves_[(curves.curves_["plan"] == plan) & curves.curves_["cohort"].isna()]
        t = np.arange(13)
        # the projection is S(t) = B(alpha, beta + t) / B(alpha, beta) (FH 2007, eq. 7) at the
        # published parameters, to the published parameters' precision
        published = np.exp(betaln(alpha, beta + t) - betaln(alpha, beta))
        assert np.allclose(curve["expected_share"], published, atol=2e-3)
        assert list(curve["actual_share"]) == pytest.approx([c / 1000 for c in counts])
        assert list(curve["in_calibration"]) == [True] * 8 + [False] * 5
        # the holdout check: the projection of years 8-12 against what happened, as the
        # published parameters give it; within a point and a half for both plans
        held = np.abs(published[8:] - np.array(counts[8:]) / 1000).mean()
        assert pooled.loc[plan, "holdout_mae"] == pytest.approx(held, abs=5e-4)
        assert pooled.loc[plan, "holdout_mae"] < 0.015
    # the single cohort of each plan gets the same curve as the plan's pooled one
    own = curves.fits_[curves.fits_["cohort"].notna()].set_index("plan")
    assert own.loc["regular", "alpha"] == pytest.approx(pooled.loc["regular", "alpha"])


def test_curve_without_churn_is_reported_not_fitted():
    frame = pa.table({"cohort": [dt.date(2024, 1, 1)] * 3, "period": [0, 1, 2],
                      "customers": [40] * 3, "survivors": [40, 40, 40],
                      "complete": [True, True, False]}).to_pandas()
    curves = RetentionCurves(horizon=4).fit(frame)
    assert curves.fits_["error"].str.contains("nobody churned").all()
    assert curves.curves_["expected_share"].isna().all()
    # the incomplete period is not an observation (two curves: the cohort's and the pooled)
    assert len(curves.fits_) == 2
    assert curves.curves_["actual_share"].notna().sum() == 2 * 2


def _staggered() -> pd.DataFrame:
    """Three monthly cohorts, given out of order: gold's January cohort (100 customers, four
    complete months), gold's February cohort (30 customers, three months) and a cohort of 29
    customers whose plan is not known."""
    jan, feb = dt.date(2024, 1, 1), dt.date(2024, 2, 1)
    rows = [("gold", feb, k, 30, s) for k, s in enumerate([30, 18, 12])]
    rows += [("gold", jan, k, 100, s) for k, s in enumerate([100, 60, 45, 38])]
    rows += [(None, feb, k, 29, s) for k, s in enumerate([29, 20, 14])]
    return pd.DataFrame(rows, columns=["plan", "cohort", "period", "customers", "survivors"])


def test_staggered_cohorts_pool_only_the_cohorts_observed_in_each_period():
    curves = RetentionCurves(by=["plan"]).fit(_staggered())
    fits = curves.fits_
    # the gold group: its pooled curve first, then its cohorts in date order; the plan-less
    # cohort keeps its own group (29 customers: below min_customers = 30, so only pooled)
    assert [(p if isinstance(p, str) else None, c) for p, c in zip(fits["plan"], fits["cohort"])] \
        == [("gold", None), ("gold", dt.date(2024, 1, 1)), ("gold", dt.date(2024, 2, 1)),
            (None, None)]
    assert list(fits["customers"]) == [130, 100, 30, 29]
    assert list(fits["periods_fitted"]) == [4, 4, 3, 3]
    pooled = curves.curves_[(curves.curves_["plan"] == "gold") & curves.curves_["cohort"].isna()]
    # the default horizon: periods 0 … 24
    assert list(pooled["period"]) == list(range(25))
    # month k's share over the cohorts observed in month k: (60 + 18) / 130 in month 1,
    # (45 + 12) / 130 in month 2, and January's 38 / 100 alone in month 3
    assert list(pooled["actual_share"][:4]) == pytest.approx([1.0, 78 / 130, 57 / 130, 0.38])
    assert pooled["actual_share"][4:].isna().all()


def test_curves_reach_the_last_observed_period_when_the_horizon_is_shorter():
    curves = RetentionCurves(by=["plan"], horizon=1).fit(_staggered())
    gold = curves.curves_[(curves.curves_["plan"] == "gold") & curves.curves_["cohort"].isna()]
    assert list(gold["period"]) == [0, 1, 2, 3]
    assert gold["expected_share"].notna().all()


def test_a_cohort_at_min_customers_gets_its_own_curve_and_one_below_does_not():
    frame = _staggered()
    own = RetentionCurves(by=["plan"], min_customers=29).fit(frame).fits_
    assert own["cohort"].notna().sum() == 3
    own = RetentionCurves(by=["plan"], min_customers=31).fit(frame).fits_
    assert list(own.loc[own["cohort"].notna(), "customers"]) == [100]
