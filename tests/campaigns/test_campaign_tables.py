"""The campaign tables (:mod:`cvm.campaigns.tables`) on DuckDB and Spark alike: the assignment
with its overlap flags and each member's outcomes from hand-made purchases, the same numbers
on both engines, and the groups of a seed as they always were."""

import datetime as dt

import pandas as pd
import pyarrow as pa
import pytest

from cvm.campaigns.design import create_campaign
from cvm.campaigns.registry import measure_campaign, outcomes_from_transactions

D = dt.date
IDS = [f"C{i:02d}" for i in range(12)]


@pytest.fixture
def ws(workspace, tmp_path):
    # (customer, day, amount, margin): C00 buys twice in January (one purchase with a margin),
    # C01 in January without a margin, C02 only on 31 December (before the window), C03 on
    # the window's last day and again in February (retained), C04 only in February, C05 on
    # 1 March (after the retention period)
    rows = [("C00", D(2025, 1, 3), 10.0, 4.0), ("C00", D(2025, 1, 20), 5.5, None),
            ("C01", D(2025, 1, 9), 7.0, None), ("C02", D(2024, 12, 31), 99.0, 50.0),
            ("C03", D(2025, 1, 31), 12.0, 3.0), ("C03", D(2025, 2, 2), 1.0, None),
            ("C04", D(2025, 2, 28), 8.0, None), ("C05", D(2025, 3, 1), 6.0, None)]
    workspace.con.register("_t", pa.table({
        "source": ["default"] * len(rows), "source_customer_id": [r[0] for r in rows],
        "purchase_date": [r[1] for r in rows], "amount": [r[2] for r in rows],
        "margin": pa.array([r[3] for r in rows], pa.float64())}))
    workspace.con.execute("INSERT INTO transactions (source, source_customer_id, purchase_date, "
                          "amount, margin) SELECT * FROM _t")
    workspace.con.unregister("_t")
    workspace.list_path = tmp_path / "list.csv"
    pd.DataFrame({"customer_id": IDS, "tier": ["a", "b"] * 6}).to_csv(workspace.list_path,
                                                                     index=False)
    return workspace


def _campaign(ws, name, ids, start, end, engine, **kw):
    path = ws.list_path.with_name(f"{name}.csv")
    pd.DataFrame({"customer_id": ids, "tier": [("a", "b")[int(i[1:]) % 2] for i in ids]}) \
        .to_csv(path, index=False)
    return create_campaign(ws, name, list_file=path, start=start, end=end, engine=engine, **kw)


def _control(ws, name):
    return [r[0] for r in ws.query("SELECT customer_id FROM campaign_members "
                                   "WHERE campaign = ? AND arm = 'control' ORDER BY 1", [name])]


def test_the_groups_of_a_seed_are_pinned(ws):
    # the draws are numpy's PCG64 in id order (on either engine, see below): these groups
    # never change
    _campaign(ws, "plain", IDS, D(2025, 1, 1), D(2025, 1, 31), "duckdb",
              control_share=0.25, seed=7)
    _campaign(ws, "tiers", IDS, D(2025, 1, 1), D(2025, 1, 31), "duckdb",
              control_share=0.25, seed=7, stratify="tier")
    control = {n: _control(ws, n) for n in ("plain", "tiers")}
    assert control == {"plain": ["C03", "C06", "C11"], "tiers": ["C03", "C04", "C06", "C11"]}


def test_overlaps_are_flagged_with_the_first_other_campaign(ws, engine_name):
    _campaign(ws, "b-jan", IDS[:6], D(2025, 1, 1), D(2025, 1, 31), "duckdb")
    _campaign(ws, "a-feb", IDS[3:9], D(2025, 2, 1), D(2025, 2, 28), "duckdb")
    _campaign(ws, "z-may", IDS, D(2025, 5, 1), D(2025, 5, 31), "duckdb")
    c = _campaign(ws, "mid", IDS, D(2025, 1, 31), D(2025, 2, 1), engine_name,
                  control_share=0.25, seed=7, stratify="tier")
    assert _control(ws, "mid") == ["C03", "C04", "C06", "C11"]   # the pinned groups
    flags = dict(ws.query("SELECT customer_id, other_campaign FROM campaign_members "
                          "WHERE campaign = 'mid'"))
    # C03–C05 are in both January's and February's: the first by name is a-feb
    assert flags == {**dict.fromkeys(IDS[:3], "b-jan"), **dict.fromkeys(IDS[3:9], "a-feb"),
                     **dict.fromkeys(IDS[9:], None)}
    assert c.overlapping == 9
    # replacing a campaign never flags its members with itself
    again = _campaign(ws, "z-may", IDS, D(2025, 5, 1), D(2025, 5, 31), "duckdb",
                      replace=True)
    assert again.overlapping == 0


def test_outcomes_from_the_purchases_by_hand(ws, engine_name):
    _campaign(ws, "jan", IDS, D(2025, 1, 1), D(2025, 1, 31), "duckdb",
              control_share=0.25, seed=7)
    out = outcomes_from_transactions(ws, "jan", retention_days=28, engine=engine_name)
    assert list(out.customer_id) == IDS
    out = out.set_index("customer_id")
    assert out.responded.tolist() == [1, 1, 0, 1] + [0] * 8
    assert out.revenue.tolist() == [15.5, 7.0, 0.0, 12.0] + [0.0] * 8
    # a member's margin: the margins of its window's purchases, none when none had one
    assert out.margin.isna().tolist() == [False, True, True, False] + [True] * 8
    assert out.loc[["C00", "C03"], "margin"].tolist() == [4.0, 3.0]
    # retained: a purchase from 1 to 28 February (C05's of 1 March is after it)
    assert out.retained.tolist() == [0, 0, 0, 1, 1] + [0] * 7
    assert out.response_date.tolist()[:4] == [D(2025, 1, 3), D(2025, 1, 9), None,
                                              D(2025, 1, 31)]
    assert out.loc["C03", "arm"] == "control" and out.loc["C00", "arm"] == "treatment"
    # the measurement reads the same table (on DuckDB here: the engine's part is above)
    results = measure_campaign(ws, "jan", retention_days=28)
    rows = results.set_index("outcome")
    # treated: C00, C01 of 9 responded; control: C03 of 3
    assert (rows.loc["responded", "treated_value"], rows.loc["responded", "control_value"]) \
        == pytest.approx((2 / 9, 1 / 3))
    assert (rows.loc["revenue", "treated_value"], rows.loc["revenue", "control_value"]) \
        == pytest.approx((22.5 / 9, 12.0 / 3))
    assert (rows.loc["retained", "treated_value"], rows.loc["retained", "control_value"]) \
        == pytest.approx((1 / 9, 1 / 3))
    assert (rows.loc["margin", "n"], rows.loc["margin", "control_n"]) == (1, 1)
