"""The lifecycle economics and the stage flows from one table of each customer's stage in each
period on an engine (:func:`cvm.segments.economics.stages_by_period`,
:func:`~cvm.segments.economics.stage_economics_on_engine`,
:func:`cvm.stages.lifecycle.stage_flows_on_engine`) against the same figures computed here, on
DuckDB and Spark, with every cost set and a case worked by hand."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from cvm.config import CLVOptions, LifecycleOptions
from cvm.engine import get_engine
from cvm.features.lifecycle import history_dates
from cvm.segments.economics import (period_counts, stage_economics, stage_economics_on_engine,
                                   stages_by_period)
from cvm.stages.lifecycle import stage_flows, stage_flows_on_engine

AS_OF = dt.date(2024, 12, 31)
OPTIONS = LifecycleOptions(history_dates=3, period_days=90, period_cost=2.0,
                           contact_costs={"prospect": 1.0, "churned": 0.5, "stability": 3.0})
CLV = CLVOptions(acquisition_cost=20.0, service_cost=1.5, margin_rate=0.25)


def tables(scheme: str = "seed"):
    """Four buyers and a prospect; the stages of the two earlier dates (seed keys) for those
    who had bought by then; the amounts of each period."""
    dates = history_dates(AS_OF, OPTIONS)  # 2024-07-04, 2024-10-02, 2024-12-31
    now = {"seed": ["stability", "decline", "churned", "exploration", "prospect"],
           "five": ["maturity", "decline", "departure", "acquisition", "acquisition"]}[scheme]
    customers = pa.table({
        "customer_id": ["A", "B", "C", "D", "P"],
        "lifecycle_stage": now,
        "first_purchase": pa.array([dt.date(2023, 1, 5), dt.date(2023, 6, 1),
                                    dt.date(2023, 3, 1), dt.date(2024, 12, 1), None],
                                   pa.date32()),
    })
    earlier = pa.table({
        "customer_id": ["A", "B", "C", "A", "B", "C"],
        "as_of": pa.array([dates[0]] * 3 + [dates[1]] * 3, pa.date32()),
        "lifecycle_stage": ["formation", "stability", "decline", "stability", "stability",
                            "churned"],
    })
    amounts = pa.table({
        "customer_id": ["A", "A", "B", "D", "A", "B", "C"],
        "period": pa.array([0, 1, 1, 0, 2, 2, 2], pa.int64()),
        "revenue": [100.0, 80.0, 40.0, 30.0, 60.0, 50.0, 10.0],
        "margin": [30.0, None, 10.0, None, 20.0, 15.0, 3.0],
        "unpriced": [0.0, 80.0, 0.0, 30.0, 0.0, 0.0, 0.0],
        "purchase_days": pa.array([3, 2, 1, 1, 2, 2, 1], pa.int64()),
        "new": [False, False, False, True, False, False, False],
    })
    return customers, earlier, amounts


def assert_same(here: pa.Table, there: pa.Table) -> None:
    """The same stages in the same order, every figure to 1e-12 (the sums' order differs)."""
    for a, b in zip(here.to_pylist(), there.to_pylist(), strict=True):
        assert a.keys() == b.keys()
        for key, value in a.items():
            if isinstance(value, float):
                assert b[key] == pytest.approx(value, rel=1e-12), (a["stage"], key)
            else:
                assert b[key] == value, (a["stage"], key)


def economics_here_and_there(customers, earlier, amounts, options=OPTIONS, clv=CLV):
    """The stage economics on DuckDB, after finding them equal to those computed here."""
    here = stage_economics(customers, earlier, amounts, as_of=AS_OF, options=options, clv=clv)
    engine = get_engine("duckdb")
    staged = stages_by_period(engine.table(customers, "cvm_c"),
                              None if earlier is None else engine.table(earlier, "cvm_e"),
                              as_of=AS_OF, options=options)
    there = stage_economics_on_engine(staged, engine.table(amounts, "cvm_a"), engine.to_arrow,
                                      options=options, clv=clv)
    assert_same(here, there)
    return there


@pytest.mark.parametrize("scheme", ["seed", "five"])
def test_the_economics_and_flows_on_an_engine_equal_those_here(engine_name, scheme):
    options = LifecycleOptions(**{**OPTIONS.__dict__, "scheme": scheme})
    customers, earlier, amounts = tables(scheme)
    here = stage_economics(customers, earlier, amounts, as_of=AS_OF, options=options, clv=CLV)
    engine = get_engine(engine_name)
    staged = stages_by_period(engine.table(customers, "cvm_c"), engine.table(earlier, "cvm_e"),
                              as_of=AS_OF, options=options)
    there = stage_economics_on_engine(staged, engine.table(amounts, "cvm_a"), engine.to_arrow,
                                      options=options, clv=CLV)
    assert_same(here, there)
    dates = history_dates(AS_OF, options)
    flows_here = stage_flows(customers, earlier, dates, scheme)
    flows_there = stage_flows_on_engine(staged, dates, scheme, engine.to_arrow)
    assert flows_there[0].to_pylist() == flows_here[0].to_pylist()
    assert flows_there[1].to_pylist() == flows_here[1].to_pylist()


def test_the_economics_of_the_stability_stage_by_hand():
    customers, earlier, amounts = tables()
    engine = get_engine("duckdb")
    staged = stages_by_period(engine.table(customers, "cvm_c"), engine.table(earlier, "cvm_e"),
                              as_of=AS_OF, options=OPTIONS)
    rows = {r["stage"]: r for r in stage_economics_on_engine(
        staged, engine.table(amounts, "cvm_a"), engine.to_arrow, options=OPTIONS,
        clv=CLV).to_pylist()}
    s = rows["stability"]
    # stability: A now (period 0) and at the middle date (period 1), B at both earlier dates
    # (periods 1 and 2): four customer-periods
    assert s["customers"] == 1 and s["customer_periods"] == 4
    # revenue 100 (A, 0) + 80 (A, 1) + 40 (B, 1) + 50 (B, 2); the last period's 100
    assert (s["revenue"], s["revenue_last_period"]) == (270.0, 100.0)
    # margin 30 + 80 · 0.25 + 10 + 15 = 75
    assert s["margin"] == pytest.approx(75.0)
    # service: 1.5 per purchase day (3 + 2 + 1 + 2) and the period cost 2 per live period (4)
    assert s["service_cost"] == pytest.approx(1.5 * 8 + 2.0 * 4)
    # contact 3 per period in stability; no new customer
    assert (s["contact_cost"], s["acquisition_cost"]) == (12.0, 0.0)
    assert s["profit"] == pytest.approx(75.0 - 20.0 - 12.0)
    # D is new in period 0 (exploration): the acquisition cost; P a prospect in every period,
    # C churned now and at the middle date (its period cost is not paid there)
    assert rows["exploration"]["acquisition_cost"] == 20.0
    assert rows["prospect"]["customer_periods"] == 3 + 2  # P each period, D before buying
    assert rows["prospect"]["contact_cost"] == 5.0
    churned = rows["churned"]
    assert churned["customer_periods"] == 2 and churned["service_cost"] == 0.0
    assert churned["contact_cost"] == 1.0


def test_without_earlier_dates_or_first_purchase_every_period_is_now():
    customers, _, amounts = tables()
    customers = customers.drop_columns(["first_purchase"])
    options = LifecycleOptions(**{**OPTIONS.__dict__, "history_dates": 1})
    there = economics_here_and_there(customers, None, amounts, options)
    # without first_purchase every row counts as bought: the prospect's period cost is paid
    assert {r["stage"]: r["service_cost"] for r in there.to_pylist()}["prospect"] == 2.0


def test_a_stage_with_unpriced_sales_and_no_margin_rate_has_no_margin():
    # D's 0.5 of sales without a known margin, no rate to assume one: exploration's margin and
    # profit are unknown; the other stages keep theirs
    customers, earlier, amounts = tables()
    amounts = amounts.set_column(amounts.column_names.index("unpriced"), "unpriced",
                                 pa.array([0.0, 0.0, 0.0, 0.5, 0.0, 0.0, 0.0]))
    clv = CLVOptions(acquisition_cost=20.0, service_cost=1.5)
    there = economics_here_and_there(customers, earlier, amounts, clv=clv)
    rows = {r["stage"]: r for r in there.to_pylist()}
    assert rows["exploration"]["margin"] is None and rows["exploration"]["profit"] is None
    assert rows["stability"]["margin"] == pytest.approx(30.0 + 10.0 + 15.0)


def test_without_earlier_stages_each_earlier_period_is_the_first_stage_unbought():
    """No stage history at the earlier dates (none given): every customer is in the first
    stage there and has not bought, so pays no period cost there, as here."""
    customers, _, amounts = tables()
    there = economics_here_and_there(customers, None, amounts)
    prospect = {r["stage"]: r for r in there.to_pylist()}["prospect"]
    # P now and every customer at the two earlier dates; only P's period now is unpaid too
    assert prospect["customer_periods"] == 1 + 2 * customers.num_rows
    assert prospect["service_cost"] == pytest.approx(
        1.5 * sum(amounts.filter(pa.compute.greater(amounts.column("period"), 0))
                  .column("purchase_days").to_pylist()))


def test_the_counts_per_period_are_grouped_once_for_the_economics_and_the_flows():
    """Counted once (:func:`period_counts`), the counts per period and stage are what both the
    economics and the flows read: each then runs one grouping of its own (the amounts; the
    pairs of stages), and the figures are those each counts for itself."""
    customers, earlier, amounts = tables()
    engine = get_engine("duckdb")
    staged = stages_by_period(engine.table(customers, "cvm_c"), engine.table(earlier, "cvm_e"),
                              as_of=AS_OF, options=OPTIONS)
    queries = []

    def run(expr):
        queries.append(expr)
        return engine.to_arrow(expr)

    counted = period_counts(staged, run, options=OPTIONS)
    # three periods of the five customers, in the stages of the seed scheme
    assert len(queries) == 1 and sum(r["n"] for r in counted) == 3 * customers.num_rows
    assert {(r["k"], r["stage"]): r["n"] for r in counted}[(0, "prospect")] == 1
    amounts_there = engine.table(amounts, "cvm_a")
    economics = stage_economics_on_engine(staged, amounts_there, run, options=OPTIONS, clv=CLV,
                                          counts=counted)
    assert len(queries) == 2
    dates = history_dates(AS_OF, OPTIONS)
    flows = stage_flows_on_engine(staged, dates, "seed", run, counts=counted)
    assert len(queries) == 3
    assert economics == stage_economics_on_engine(staged, amounts_there, engine.to_arrow,
                                                  options=OPTIONS, clv=CLV)
    alone = stage_flows_on_engine(staged, dates, "seed", engine.to_arrow)
    assert flows[0] == alone[0] and flows[1] == alone[1]
    # the counts given are the ones read: one customer moved between stages in them moves in
    # the history and the economics
    moved = [dict(r) for r in counted]
    for r in moved:
        if (r["k"], r["stage"]) == (0, "prospect"):
            r["n"] -= 1
    history = stage_flows_on_engine(staged, dates, "seed", run, counts=moved)[0].to_pylist()
    now = {r["stage"]: r["customers"] for r in history if r["as_of"] == dates[-1]}
    assert now["prospect"] == 0
    rows = {r["stage"]: r for r in stage_economics_on_engine(
        staged, amounts_there, run, options=OPTIONS, clv=CLV, counts=moved).to_pylist()}
    assert rows["prospect"]["customer_periods"] == 3 + 2 - 1
