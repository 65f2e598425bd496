"""Assignment, storage, export, the overlap flag and measurement from transactions, on a real
DuckDB workspace with hand-made purchases."""

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from cvm.campaigns.design import (CONTROL, TREATMENT, CampaignError, assign, create_campaign,
                                  get_campaign, treatment_list)
from cvm.campaigns.measure import bootstrap_roi, newcombe_interval
from cvm.campaigns.registry import (campaign_results, list_campaigns, measure_campaign,
                                    measured_cells, outcomes_from_transactions,
                                    registry_snapshot, retention_window)
from cvm.workspace import Workspace

D = dt.date


def test_assignment_is_reproducible_and_exact_per_stratum():
    ids = [f"C{i:05d}" for i in range(1000)]
    strata = ["A"] * 600 + ["B"] * 300 + ["C"] * 100
    arms = assign(ids, strata, control_share=0.1, seed=42)
    frame = pd.DataFrame({"id": ids, "s": strata, "arm": arms})
    assert frame[frame.arm == CONTROL].groupby("s").size().to_dict() == {"A": 60, "B": 30,
                                                                           "C": 10}
    # the same seed gives the same groups whatever order the list comes in
    shuffled = np.random.default_rng(1).permutation(1000)
    again = assign([ids[i] for i in shuffled], [strata[i] for i in shuffled],
                   control_share=0.1, seed=42)
    assert dict(zip([ids[i] for i in shuffled], again)) == dict(zip(ids, arms))
    # another seed, other groups; unstratified: exactly round(share × n)
    other = assign(ids, strata, control_share=0.1, seed=43)
    assert (other != arms).sum() > 0
    plain = assign(ids, None, control_share=0.25, seed=0)
    assert (plain == CONTROL).sum() == 250 and set(plain) == {CONTROL, TREATMENT}
    with pytest.raises(CampaignError):
        assign(["a", "a"], None, control_share=0.1, seed=0)
    with pytest.raises(CampaignError):
        assign(ids, None, control_share=1.0, seed=0)


@pytest.fixture
def ws(tmp_path):
    """40 customers on a list; purchases in January 2025 by chosen customers."""
    ws = Workspace(tmp_path / "shop.duckdb")
    ids = [f"C{i:03d}" for i in range(40)]
    pd.DataFrame({"customer_id": ids, "tier": ["gold"] * 20 + ["silver"] * 20}).to_csv(
        tmp_path / "list.csv", index=False)
    rows = []
    for i, cid in enumerate(ids):
        if i % 2 == 0:        # every other customer buys in the window: 10 in each tier
            rows.append((cid, D(2025, 1, 5 + i % 20), 10.0 + i))
        if i % 5 == 0:        # and some before it (not counted)
            rows.append((cid, D(2024, 12, 1), 99.0))
    table = pa.table({"source": ["default"] * len(rows),
                      "source_customer_id": [r[0] for r in rows],
                      "purchase_date": [r[1] for r in rows],
                      "amount": [r[2] for r in rows]})
    ws.con.register("_t", table)
    ws.con.execute("INSERT INTO transactions (source, source_customer_id, purchase_date, amount) "
                   "SELECT * FROM _t")
    ws.list_path = tmp_path / "list.csv"
    yield ws
    ws.close()


def test_create_store_export_and_flag(ws, tmp_path):
    c = create_campaign(ws, "jan", list_file=ws.list_path, control_share=0.25, stratify="tier",
                        seed=5, cost_per_contact=2.0, start=D(2025, 1, 1), end=D(2025, 1, 31))
    assert (c.customers, c.treated, c.control, c.overlapping) == (40, 30, 10, 0)
    assert c.status(D(2024, 12, 1)) == "planned" and c.status(D(2025, 1, 9)) == "running"
    assert c.status(D(2025, 3, 1)) == "ended"
    members = ws.arrow("SELECT customer_id, stratum, arm FROM campaign_members").to_pandas()
    assert members.groupby(["stratum", "arm"]).size().to_dict() == {
        ("gold", "control"): 5, ("gold", "treatment"): 15, ("silver", "control"): 5,
        ("silver", "treatment"): 15}
    exported = treatment_list(ws, "jan").to_pandas()
    control = set(members[members.arm == CONTROL].customer_id)
    assert len(exported) == 30 and not control & set(exported.customer_id)
    # a second campaign overlapping January flags its customers; one in March does not
    feb = create_campaign(ws, "feb", list_file=ws.list_path, control_share=0.5, seed=1,
                          start=D(2025, 1, 20), end=D(2025, 2, 10))
    assert feb.overlapping == 40
    assert set(treatment_list(ws, "feb").column("other_campaign").to_pylist()) == {"jan"}
    mar = create_campaign(ws, "mar", list_file=ws.list_path, control_share=0.5, seed=1,
                          start=D(2025, 3, 1), end=D(2025, 3, 31))
    assert mar.overlapping == 0
    with pytest.raises(CampaignError, match="already a campaign"):
        create_campaign(ws, "jan", list_file=ws.list_path, start=D(2025, 1, 1),
                        end=D(2025, 1, 2))
    with pytest.raises(CampaignError, match="ends"):
        create_campaign(ws, "x", list_file=ws.list_path, start=D(2025, 1, 2), end=D(2025, 1, 1))
    with pytest.raises(CampaignError, match="no campaign"):
        get_campaign(ws, "nope")


def test_measure_from_transactions(ws):
    create_campaign(ws, "jan", list_file=ws.list_path, control_share=0.25, stratify="tier",
                    seed=5, cost_per_contact=2.0, start=D(2025, 1, 1), end=D(2025, 1, 31),
                    min_lift=0.1)
    out = outcomes_from_transactions(ws, "jan").set_index("customer_id")
    assert out.loc["C000", "responded"] == 1 and out.loc["C000", "revenue"] == 10.0
    assert out.loc["C001", "responded"] == 0 and out.loc["C001", "revenue"] == 0.0
    assert out.loc["C010", "revenue"] == 20.0     # the December purchase is not counted
    results = measure_campaign(ws, "jan")
    head = results[(results.segment == "all") & (results.outcome == "responded")].iloc[0]
    members = ws.arrow("SELECT customer_id, arm FROM campaign_members").to_pandas()
    buys = members.customer_id.str[1:].astype(int) % 2 == 0
    x_t = int((buys & (members.arm == TREATMENT)).sum())
    x_c = int((buys & (members.arm == CONTROL)).sum())
    assert (head.n, head.control_n) == (30, 10)
    assert head.treated_value == pytest.approx(x_t / 30)
    assert head.control_value == pytest.approx(x_c / 10)
    assert (head.ci_low, head.ci_high) == pytest.approx(newcombe_interval(x_t, 30, x_c, 10))
    assert set(results.segment) == {"all", "gold", "silver"}
    stored = campaign_results(ws, "jan")
    assert stored.lift.to_numpy() == pytest.approx(results.lift.to_numpy(), nan_ok=True)
    registry = list_campaigns(ws, D(2025, 6, 1))
    assert registry[0]["status"] == "measured"
    assert registry[0]["headline"]["lift"] == pytest.approx(head.lift)
    looks = registry_snapshot(ws)[0]["looks"]
    # weekly looks to the end; the last look counts every responder
    assert [k["day"] for k in looks][:2] == ["2025-01-07", "2025-01-14"]
    assert looks[-1]["day"] == "2025-01-31"
    assert looks[-1]["treated_value"] == pytest.approx(x_t / 30)
    assert measured_cells(ws) == {}     # stratified by tier, not by matrix cell


def test_measured_cells_feed_the_playbook(ws, tmp_path):
    frame = pd.read_csv(ws.list_path).assign(matrix_cell=lambda f: f.tier.map(
        {"gold": "HH-current", "silver": "LL-current"}))
    frame.to_csv(tmp_path / "cells.csv", index=False)
    create_campaign(ws, "cells", list_file=tmp_path / "cells.csv", control_share=0.25,
                    stratify="matrix_cell", seed=5, start=D(2025, 1, 1), end=D(2025, 1, 31))
    results = measure_campaign(ws, "cells")
    found = measured_cells(ws)
    assert set(found) == {"HH-current", "LL-current"}
    hh = results[(results.segment == "HH-current") & (results.outcome == "responded")].iloc[0]
    assert found["HH-current"].lift == pytest.approx(hh.lift)
    assert found["HH-current"].campaign == "cells"
    assert (found["HH-current"].ci_low, found["HH-current"].ci_high) == pytest.approx(
        (hh.ci_low, hh.ci_high))


def _buy(ws, rows):
    table = pa.table({"source": ["default"] * len(rows),
                      "source_customer_id": [r[0] for r in rows],
                      "purchase_date": [r[1] for r in rows], "amount": [5.0] * len(rows)})
    ws.con.register("_more", table)
    ws.con.execute("INSERT INTO transactions (source, source_customer_id, purchase_date, amount) "
                   "SELECT * FROM _more")
    ws.con.unregister("_more")


def test_retention_is_measured_once_the_transactions_cover_the_period_after(ws):
    create_campaign(ws, "jan", list_file=ws.list_path, control_share=0.25, seed=5,
                    start=D(2025, 1, 1), end=D(2025, 1, 31))
    # 31 days in the window, so retained = a purchase from 1 February to 3 March; the
    # transactions end on 24 January: not measurable yet
    assert retention_window(ws, "jan") == (D(2025, 2, 1), D(2025, 3, 3), False)
    assert "retained" not in outcomes_from_transactions(ws, "jan").columns
    measure_campaign(ws, "jan")
    assert get_campaign(ws, "jan").results["retention"] == {
        "from": "2025-02-01", "to": "2025-03-03", "measured": False}
    # C000-C011 buy on 1 February, C012 on 3 March (the last day), C013 on 4 March (after it)
    _buy(ws, [(f"C{i:03d}", D(2025, 2, 1)) for i in range(12)]
         + [("C012", D(2025, 3, 3)), ("C013", D(2025, 3, 4))])
    assert retention_window(ws, "jan")[2]
    out = outcomes_from_transactions(ws, "jan").set_index("customer_id")
    assert out["retained"].sum() == 13
    assert out.loc["C012", "retained"] == 1 and out.loc["C013", "retained"] == 0
    # the purchases after the window are not responses
    assert out.loc["C001", "responded"] == 0 and out.loc["C001", "revenue"] == 0.0
    results = measure_campaign(ws, "jan")
    head = results[(results.segment == "all") & (results.outcome == "retained")].iloc[0]
    members = ws.arrow("SELECT customer_id, arm FROM campaign_members").to_pandas()
    kept = members.customer_id.str[1:].astype(int) <= 12
    assert head.treated_value == pytest.approx((kept & (members.arm == TREATMENT)).sum() / 30)
    assert head.control_value == pytest.approx((kept & (members.arm == CONTROL)).sum() / 10)
    # a shorter period given: 1 to 7 February, which the transactions cover
    assert retention_window(ws, "jan", 7) == (D(2025, 2, 1), D(2025, 2, 7), True)
    assert outcomes_from_transactions(ws, "jan", 7)["retained"].sum() == 12
    with pytest.raises(CampaignError, match="at least one day"):
        retention_window(ws, "jan", 0)


def test_retention_window_edges_and_the_default_monitor_spread(ws):
    create_campaign(ws, "jan", list_file=ws.list_path, control_share=0.25, seed=5,
                    start=D(2025, 1, 1), end=D(2025, 1, 31))
    # one day after the end is a period; the transactions end on 24 January
    assert retention_window(ws, "jan", 1) == (D(2025, 2, 1), D(2025, 2, 1), False)
    _buy(ws, [("C000", D(2025, 3, 4))])
    # a period ending on the last day the transactions reach is covered
    assert retention_window(ws, "jan", 32) == (D(2025, 2, 1), D(2025, 3, 4), True)
    assert retention_window(ws, "jan", 33)[2] is False
    # no planned lift: the monitor's mixture spread is 2 points of response
    measure_campaign(ws, "jan")
    assert get_campaign(ws, "jan").results["tau"] == 0.02


def test_weekly_looks_count_each_arm_up_to_each_day(ws):
    # every even customer buys on 5 + (i mod 20) January: C000, C020 on the 5th, C002, C022 on
    # the 7th, C004, C024 on the 9th …
    expected = {"fortnight": ["2025-01-07", "2025-01-14"], "eight": ["2025-01-07", "2025-01-08"],
                "six": ["2025-01-06"]}
    for name, end in (("fortnight", D(2025, 1, 14)), ("eight", D(2025, 1, 8)),
                      ("six", D(2025, 1, 6))):
        create_campaign(ws, name, list_file=ws.list_path, control_share=0.25, seed=5,
                        cost_per_contact=2.0, start=D(2025, 1, 1), end=end)
        results = measure_campaign(ws, name)
        c = get_campaign(ws, name)
        assert c.results["source"] == "transactions"
        arms = dict(ws.query("SELECT customer_id, arm FROM campaign_members WHERE campaign = ?",
                             [name]))
        looks = c.results["looks"]
        # looks on each seventh day and on the last, never twice on the same day
        assert [k["day"] for k in looks] == expected[name]
        for look in looks:
            day = D.fromisoformat(look["day"])
            bought = {f"C{i:03d}" for i in range(0, 40, 2) if D(2025, 1, 5 + i % 20) <= day}
            for arm, n, value in (("treatment", "n", "treated_value"),
                                  ("control", "control_n", "control_value")):
                members = [m for m, a in arms.items() if a == arm]
                assert look[n] == len(members)
                assert look[value] == pytest.approx(len(bought & set(members)) / len(members))
        # ROI on revenue, all of it margin unless told: (Δ mean − cost) / cost, its interval
        # the bootstrap of seed 0
        out = outcomes_from_transactions(ws, name)
        row = results[(results.segment == "all") & (results.outcome == "revenue")].iloc[0]
        t = out.revenue[out.arm == "treatment"].to_numpy()
        k = out.revenue[out.arm == "control"].to_numpy()
        assert (row.roi, row.roi_low, row.roi_high) == pytest.approx(bootstrap_roi(t, k, 2.0))
        assert row.roi == pytest.approx((t.mean() - k.mean() - 2.0) / 2.0)


def test_no_response_dates_no_looks_and_one_is_enough(ws):
    create_campaign(ws, "file", list_file=ws.list_path, control_share=0.25, seed=5,
                    start=D(2025, 1, 1), end=D(2025, 1, 31))
    members = ws.arrow("SELECT customer_id, arm FROM campaign_members").to_pandas()
    outcomes = members.assign(responded=[i % 2 for i in range(40)], response_date=None)
    for dates, looks in ((None, 0), ("2025-01-20", 5)):
        outcomes.loc[0, "response_date"] = dates
        measure_campaign(ws, "file", outcomes, outcome_columns=["responded"])
        c = get_campaign(ws, "file")
        assert c.results["source"] == "outcomes file"
        assert len(c.results["looks"]) == looks and isinstance(c.results["looks"], list)
    measure_campaign(ws, "file", outcomes.drop(columns="response_date"),
                     outcome_columns=["responded"])
    assert get_campaign(ws, "file").results["looks"] == []
