"""The lifecycle, value and matrix stages in the pipeline, on a small hand-made workspace:
prospects appended, every customer in exactly one stage and one cell, stage economics, history
and flows, and the CLV columns used when a stage before provides them."""

from __future__ import annotations

import datetime as dt

import pytest

import cvm.pipeline as pipeline
from cvm.config import AnalysisConfig, LifecycleOptions
from cvm.features.lifecycle import STAGES
from cvm.segments.actions import SegmentError, cell_alerts, target_list
from cvm.segments.matrix import matrix_cells
from cvm.workspace import Workspace


def test_stages_prospects_and_cells(run_stages):
    result = run_stages()
    rows = {r["customer_id"]: r for r in result.customers.to_pylist()}
    assert {c: r["lifecycle_stage"] for c, r in rows.items()} == {
        "trial": "exploration", "newbie": "exploration", "steady": "stability",
        "faller": "decline", "gone": "churned", "pros": "prospect", "pros2": "prospect"}
    # the prospects come after the buyers, with their list fields and no purchase columns
    ids = result.customers.column("customer_id").to_pylist()
    assert ids[-2:] == ["pros", "pros2"]
    assert rows["pros"]["owner"] == "Qian" and rows["pros"]["monetary_total"] is None
    assert rows["pros"]["lifecycle_reason"] == "in the customer list, no purchase yet"
    assert result.info["n_customers"] == 5 and result.info["stages"]["lifecycle"]["n_prospects"] == 2
    # every customer in exactly one stage and one cell
    cells = result.customers.column("matrix_cell").to_pylist()
    assert None not in cells and len(cells) == len(set(ids)) == 7
    assert set(cells) <= set(matrix_cells())
    assert rows["pros"]["matrix_cell"] == "LL-prospective"
    assert rows["gone"]["matrix_cell"].endswith("-churned")
    assert rows["faller"]["matrix_cell"].endswith("-current")
    assert rows["gone"]["recommended_action"] in ("win_back", "let_go")
    # the ABC / Pareto figures are about the buyers
    assert sum(c["customers"] for c in result.pareto["classes"]) == 5


# Stage economics are booked per period (seed 000: exploration "企业有客户关系投入成本，但客户尚未对
# 企业做出大的贡献", formation "收入已经大于投入，开始盈利", stability "客户为企业做出较大的贡献", an ended
# relationship "有少许成本支出而无收益"). The four 90-day periods up to 2024-12-31 and each
# customer's stage at their ends (dates 2024-04-05, 07-04, 10-02, 12-31):
#
#   customer  2024-04-05    07-04          10-02          12-31        booked revenue
#   trial     prospect      exploration    exploration    exploration  80 in period 2 (new)
#   newbie    prospect      prospect       prospect       exploration  110 in period 0 (new)
#   steady    exploration   formation      formation      stability    100 (margin 40) each
#   faller    exploration   formation      formation      decline      200, 200, 200, 50
#   gone      decline       decline        churned        churned      nothing
#   pros(2)   prospect      prospect       prospect       prospect     nothing
#
# "steady" and "faller" at 07-04 and 10-02: flat, past exploration, not yet 365 days, with a
# level in the upper half of the customer base: high volume, not yet stable — formation.
BOOKED = {  # stage: customer-periods, revenue, revenue in the last period, customers now
    "prospect": (12, 0.0, 0.0, 2), "exploration": (6, 490.0, 110.0, 2),
    "formation": (4, 600.0, 0.0, 0), "stability": (1, 100.0, 100.0, 1),
    "decline": (3, 50.0, 50.0, 1), "churned": (2, 0.0, 0.0, 1)}


def test_stage_economics_book_each_period_to_its_stage(run_stages, tmp_path):
    result = run_stages()
    with Workspace(tmp_path / "ws.duckdb") as ws:
        eco = {r["stage"]: r for r in ws.result("lifecycle_economics").to_pylist()}
    assert list(eco) == list(STAGES["seed"])
    assert {s: (r["customer_periods"], r["revenue"], r["revenue_last_period"], r["customers"])
            for s, r in eco.items()} == BOOKED
    assert sum(r["customer_periods"] for r in eco.values()) == 7 * 4
    assert sum(r["customers"] for r in eco.values()) == result.customers.num_rows
    # margin is known only where every booked purchase has one: "steady"'s 40 in stability;
    # nothing booked, nothing unknown: prospects and churned customers earn 0
    assert (eco["stability"]["margin"], eco["stability"]["profit"], eco["stability"]["cost"]) == (
        40.0, 40.0, 60.0)
    assert eco["exploration"]["margin"] is None and eco["exploration"]["profit"] is None
    assert (eco["churned"]["profit"], eco["prospect"]["profit"]) == (0.0, 0.0)
    assert eco["exploration"]["revenue_per_customer_period"] == pytest.approx(490 / 6)
    summary = result.info["stages"]["lifecycle"]["economics"]
    assert [r["stage"] for r in summary] == list(STAGES["seed"])


def test_stage_economics_with_costs(run_stages, as_of, tmp_path):
    from cvm.config import CLVOptions

    config = AnalysisConfig(
        as_of=as_of, clv=CLVOptions(margin_rate=0.5, service_cost=1.0, acquisition_cost=30.0),
        lifecycle=LifecycleOptions(period_cost=2.0,
                                   contact_costs={"prospect": 1.0, "churned": 0.5}))
    run_stages(config)
    with Workspace(tmp_path / "ws.duckdb") as ws:
        eco = {r["stage"]: r for r in ws.result("lifecycle_economics").to_pylist()}
    got = {s: (r["margin"], r["acquisition_cost"], r["service_cost"], r["contact_cost"],
               r["profit"]) for s, r in eco.items()}
    assert got == {
        # 12 prospect-periods at 1 to keep in touch
        "prospect": (0.0, 0.0, 0.0, 12.0, -12.0),
        # margin 40 (steady) + 100 (faller) + 40 (trial) + 55 (newbie) at 50 %; two new
        # customers at 30; 5 purchase days at 1 and 6 customer-periods at 2
        "exploration": (235.0, 60.0, 17.0, 0.0, 158.0),
        "formation": (280.0, 0.0, 4.0 + 8.0, 0.0, 268.0),  # 40 + 100 twice
        "stability": (40.0, 0.0, 1.0 + 2.0, 0.0, 37.0),
        # faller's 50 at 50 %; one purchase day, three periods ("gone" twice, "faller")
        "decline": (25.0, 0.0, 1.0 + 6.0, 0.0, 18.0),
        "churned": (0.0, 0.0, 0.0, 1.0, -1.0),  # no service once churned, 0.5 to keep the file
    }
    curve = {s: r["profit_per_customer_period"] for s, r in eco.items()}
    assert curve == pytest.approx({"prospect": -1.0, "exploration": 158 / 6, "formation": 67.0,
                                   "stability": 37.0, "decline": 6.0, "churned": -0.5})
    assert eco["exploration"]["cost"] == pytest.approx(490 - 158)


def test_history_and_flows(run_stages, as_of, tmp_path):
    result = run_stages()
    with Workspace(tmp_path / "ws.duckdb") as ws:
        flows = ws.result("lifecycle_flows").to_pylist()
        history = ws.result("lifecycle_history").to_pylist()
    dates = sorted({r["as_of"] for r in history})
    assert dates == [dt.date(2024, 4, 5), dt.date(2024, 7, 4), dt.date(2024, 10, 2), as_of]
    for day in dates:
        assert sum(r["customers"] for r in history if r["as_of"] == day) == 7
    last = {r["stage"]: r["customers"] for r in history if r["as_of"] == as_of}
    assert last["prospect"] == 2 and last["stability"] == 1
    # "steady" went exploration → formation → formation → stability (see the lifecycle tests)
    step = {(r["from_date"], r["from_stage"], r["to_stage"]): r["customers"] for r in flows}
    assert step[(dt.date(2024, 10, 2), "formation", "stability")] == 1
    # "newbie" had not bought on 2024-10-02: a prospect then, exploring now
    assert step[(dt.date(2024, 10, 2), "prospect", "exploration")] == 1
    for i in range(3):
        assert sum(r["customers"] for r in flows if r["from_date"] == dates[i]) == 7


def test_five_stage_scheme_and_tiers(run_stages, as_of):
    from cvm.config import MatrixOptions

    config = AnalysisConfig(as_of=as_of, lifecycle=LifecycleOptions(scheme="five"),
                            matrix=MatrixOptions(scheme="tiers"))
    result = run_stages(config)
    rows = {r["customer_id"]: r for r in result.customers.to_pylist()}
    assert {c: r["lifecycle_stage"] for c, r in rows.items()} == {
        "trial": "acquisition", "newbie": "acquisition", "steady": "maturity",
        "faller": "decline", "gone": "departure", "pros": "acquisition", "pros2": "acquisition"}
    assert set(r["matrix_cell"] for r in rows.values()) <= set(matrix_cells("tiers", "five"))


def test_clv_columns_are_used_when_there(run_stages):
    result = run_stages(with_clv=True)
    rows = {r["customer_id"]: r for r in result.customers.to_pylist()}
    # "trial" last bought 213 days ago: churned by P(alive); "steady" bought in the last
    # period, so its low P(alive) does not make it churned
    assert rows["trial"]["lifecycle_stage"] == "churned"
    assert rows["trial"]["lifecycle_reason"] == "probability alive 0.05 below 0.10"
    assert rows["steady"]["lifecycle_stage"] == "stability"
    info = result.info["stages"]
    assert info["lifecycle"]["used_probability_alive"] is True
    assert info["value"]["sources"]["future_contribution"] == "potential_value"
    # future contribution scaled on potential value: 900 is the top → 10
    assert rows["newbie"]["score_future_contribution"] == pytest.approx(10.0)
    # "trial" is churned: judged by the value it had at its rate while active
    # (value_if_returned), not by its potential value of 300; its margin is unknown, so 0
    assert rows["trial"]["value_if_returned"] == 0.0
    assert rows["trial"]["score_future_contribution"] == 0.0
    # the cap is now the 95th percentile of 0 (trial), 10, 900, 100, 0 (gone) = 740
    assert rows["steady"]["score_future_contribution"] == pytest.approx(10 * 10 / 740)
    cells = {r["cell"]: r for r in info["matrix"]["cells"]}
    churned = [c for c in cells.values() if c["cell"].endswith("-churned") and c["customers"]]
    assert sum(c["customers"] for c in churned) == 2  # gone and trial
    assert all(c["avg_clv"] is not None for c in cells.values() if c["customers"] and
               not c["cell"].endswith("prospective"))


def test_targets_and_alerts_between_two_runs(run_stages, our_stages, tmp_path):
    run_stages()
    with Workspace(tmp_path / "ws.duckdb") as ws:
        with pytest.raises(SegmentError, match="alerts compare two runs"):
            cell_alerts(ws)
    # the second run is three months later: nobody bought since, so customers slide
    with Workspace(tmp_path / "ws.duckdb") as ws:
        pipeline.analyse(ws, AnalysisConfig(as_of=dt.date(2025, 3, 31)), stages=our_stages)
        table, now, before = cell_alerts(ws)
        assert (now, before) == (2, 1)
        alerts = {r["customer_id"]: r for r in table.to_pylist()}
        # "steady" (stable) and "newbie" (exploring) had nothing in the last 90 days: decline;
        # "faller" (decline) has now been gone 150 days — still decline, no new alert
        assert alerts["steady"]["change"].startswith("stage stability → decline")
        assert alerts["steady"]["owner"] == "Zhao"
        assert "faller" not in alerts and "pros" not in alerts
        only = cell_alerts(ws, owner="Qian")[0]
        assert set(only.column("owner").to_pylist()) <= {"Qian"}
        targets = target_list(ws, ["*-prospective"])
        assert targets.column("customer_id").to_pylist() == ["pros", "pros2"]
        # the prospects look like the average buyer (no look-alike fields in the list): three
        # months on, nobody has bought, so the average buyer's points rank high on potential
        # (LH-prospective, whose first action is referral)
        assert targets.column("matrix_cell").to_pylist() == ["LH-prospective"] * 2
        assert targets.column("recommended_action").to_pylist() == ["referral", "referral"]
        with pytest.raises(SegmentError, match="no matrix cell matches 'ZZ'"):
            target_list(ws, ["ZZ"])


def test_spark_gives_the_same_stages_scores_and_flows(run_stages, our_stages, as_of, tmp_path,
                                                     spark_engine):
    duck = run_stages()
    with Workspace(tmp_path / "ws.duckdb") as ws:
        spark = pipeline.analyse(ws, AnalysisConfig(as_of=as_of), engine=spark_engine,
                                 stages=our_stages)
        flows = {i: ws.result(name, i).to_pylist() for i in (duck.run_id, spark.run_id)
                 for name in ("lifecycle_flows",)}
    a = {r["customer_id"]: r for r in duck.customers.to_pylist()}
    b = {r["customer_id"]: r for r in spark.customers.to_pylist()}
    assert list(a) == list(b)
    for cid, row in a.items():
        for col in ("lifecycle_stage", "lifecycle_reason", "matrix_cell", "value_quadrant",
                    "recommended_action", "spend_previous_avg", "active_period_share"):
            assert row[col] == b[cid][col] or (row[col] is None and b[cid][col] is None) or \
                row[col] == pytest.approx(b[cid][col], rel=1e-12), (cid, col)
        assert b[cid]["composite_value"] == pytest.approx(row["composite_value"], rel=1e-12)
    assert flows[duck.run_id] == flows[spark.run_id]


@pytest.mark.parametrize("dates", [1, 2])
def test_history_and_flows_with_one_or_two_dates(run_stages, as_of, tmp_path, dates):
    """One history date is the run's own: no history or flows are stored; two give the
    stages at the date before and the flows between them."""
    run_stages(AnalysisConfig(as_of=as_of, lifecycle=LifecycleOptions(history_dates=dates)))
    with Workspace(tmp_path / "ws.duckdb") as ws:
        summary = ws.run_summary(ws.latest_run())
    stage = summary["info"]["stages"]["lifecycle"]
    assert stage["economics_periods"] == dates
    if dates == 1:
        assert "history" not in stage and "flows" not in stage
    else:
        assert sorted({r["as_of"] for r in stage["history"]}) == [
            str(dt.date(2024, 10, 2)), str(as_of)]
        assert sum(r["customers"] for r in stage["flows"]) == 7
