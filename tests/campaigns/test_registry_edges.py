"""The campaign registry's edges: an outcomes file without strata, the value outcome's default,
the stored time, the matrix cells a campaign measures (one cell, empty lifts) and a workspace
without campaign tables."""

import datetime as dt

import pandas as pd
import pyarrow as pa
import pytest

from cvm.campaigns.design import create_campaign, get_campaign, has_campaign_tables
from cvm.campaigns.registry import (campaign_report, has_campaigns, list_campaigns,
                                    measure_campaign, measured_cells, registry_snapshot)
from cvm.workspace import Workspace

D = dt.date
IDS = [f"C{i:02d}" for i in range(20)]


@pytest.fixture
def ws(tmp_path):
    """20 customers, two tiers of 10; the even ones buy 10.0 in January with a margin of 4.0."""
    ws = Workspace(tmp_path / "shop.duckdb")
    rows = [(cid, D(2025, 1, 10), 10.0, 4.0) for i, cid in enumerate(IDS) if i % 2 == 0]
    ws.con.register("_t", pa.table({
        "source": ["default"] * len(rows), "source_customer_id": [r[0] for r in rows],
        "purchase_date": [r[1] for r in rows], "amount": [r[2] for r in rows],
        "margin": [r[3] for r in rows]}))
    ws.con.execute("INSERT INTO transactions (source, source_customer_id, purchase_date, "
                   "amount, margin) SELECT * FROM _t")
    ws.con.unregister("_t")
    ws.list_path = tmp_path / "list.csv"
    pd.DataFrame({"customer_id": IDS, "tier": ["gold"] * 10 + ["silver"] * 10}).to_csv(
        ws.list_path, index=False)
    yield ws
    ws.close()


def _members(ws, name):
    return ws.arrow("SELECT customer_id, arm, stratum FROM campaign_members WHERE campaign = ? "
                    "ORDER BY customer_id", [name]).to_pandas()


def test_a_workspace_without_campaigns_answers_empty_and_creates_nothing(tmp_path):
    ws = Workspace(tmp_path / "empty.duckdb")
    try:
        assert list_campaigns(ws) == []
        assert measured_cells(ws) == {}
        assert has_campaigns(ws) is False
        assert registry_snapshot(ws) == []
        assert not has_campaign_tables(ws)
    finally:
        ws.close()


def test_an_outcomes_file_without_strata_takes_them_from_the_members(ws):
    create_campaign(ws, "file", list_file=ws.list_path, control_share=0.5, stratify="tier",
                    seed=3, start=D(2025, 1, 1), end=D(2025, 1, 31))
    members = _members(ws, "file")
    # the treated gold customers respond, nobody else does
    responded = ((members.stratum == "gold") & (members.arm == "treatment")).astype(int)
    outcomes = members[["customer_id", "arm"]].assign(responded=responded)
    results = measure_campaign(ws, "file", outcomes, outcome_columns=["responded"])
    lifts = results.set_index("segment").lift.to_dict()
    assert set(lifts) == {"all", "gold", "silver"}
    assert lifts["gold"] == pytest.approx(1.0) and lifts["silver"] == pytest.approx(0.0)
    assert lifts["all"] == pytest.approx(0.5)          # 5 of 10 treated against 0 of 10
    # a file that names its own strata keeps them; one without customer ids has none
    own = outcomes.assign(stratum="one")
    assert set(measure_campaign(ws, "file", own, outcome_columns=["responded"]).segment) == {
        "all", "one"}
    anonymous = outcomes.drop(columns="customer_id")
    assert set(measure_campaign(ws, "file", anonymous,
                                outcome_columns=["responded"]).segment) == {"all"}


def test_the_value_outcome_defaults_to_the_margin_when_there_is_one(ws):
    create_campaign(ws, "jan", list_file=ws.list_path, control_share=0.5, seed=3,
                    cost_per_contact=1.0, start=D(2025, 1, 1), end=D(2025, 1, 31))
    before = dt.datetime.now().replace(microsecond=0)
    results = measure_campaign(ws, "jan")
    c = get_campaign(ws, "jan")
    assert c.results["value_outcome"] == "margin"
    assert c.results["outcomes"] == ["responded", "revenue", "margin"]
    # the stored time is to the second
    assert c.analysed_at.microsecond == 0 and c.analysed_at >= before
    # a cost per contact gives each outcome an ROI: (margin lift - cost) / cost
    all_margin = results[(results.segment == "all") & (results.outcome == "margin")].iloc[0]
    assert all_margin.roi == pytest.approx((all_margin.lift - 1.0) / 1.0)
    measure_campaign(ws, "jan", value_outcome="revenue")
    assert get_campaign(ws, "jan").results["value_outcome"] == "revenue"


def test_the_report_headline_is_the_first_overall_row(ws):
    create_campaign(ws, "jan", list_file=ws.list_path, control_share=0.5, seed=3,
                    start=D(2025, 1, 1), end=D(2025, 1, 31))
    report = campaign_report(ws, "jan")
    assert report["headline"] is None and report["results"] == [] and report["looks"] == []
    results = measure_campaign(ws, "jan")
    report = campaign_report(ws, "jan")
    first = results[results.segment == "all"].iloc[0]
    assert report["headline"]["outcome"] == first.outcome == "responded"
    assert report["headline"]["lift"] == pytest.approx(first.lift)
    assert has_campaigns(ws) is True


def test_a_campaign_of_one_matrix_cell_measures_that_cell(ws):
    create_campaign(ws, "one", list_file=ws.list_path, control_share=0.5, seed=3,
                    start=D(2025, 1, 1), end=D(2025, 1, 31))
    results = measure_campaign(ws, "one")
    head = results[(results.segment == "all") & (results.outcome == "responded")].iloc[0]
    # as a campaign made from one matrix cell stores it, then from a pattern, then two cells
    for cells, found in (('["HH-current"]', {"HH-current"}), ('["HH-*"]', set()),
                         ('["HH-current", "LL-current"]', set()), (None, set())):
        ws.con.execute("UPDATE campaigns SET cells = ? WHERE name = 'one'", [cells])
        assert set(measured_cells(ws)) == found
    ws.con.execute("UPDATE campaigns SET cells = '[\"HH-current\"]' WHERE name = 'one'")
    m = measured_cells(ws)["HH-current"]
    assert (m.campaign, m.n, m.control_n) == ("one", 10, 10)
    assert (m.lift, m.ci_low, m.ci_high) == pytest.approx((head.lift, head.ci_low, head.ci_high))
    # a lift that could not be measured (missing, or not a number) names no cell
    for lift in ("NULL", "'NaN'::DOUBLE"):
        ws.con.execute(f"UPDATE campaign_results SET lift = {lift} WHERE campaign = 'one'")
        assert measured_cells(ws) == {}
