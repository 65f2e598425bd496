"""`cvm campaign plan | analyse | create | export | results | list` through the command line."""

import json

import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner

from cvm.campaigns.measure import newcombe_interval
from cvm.cli import main
from cvm.workspace import Workspace


def cvm(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_plan_json_matches_power_prop_test():
    done = cvm("campaign", "plan", "--baseline-rate", "0.5", "--min-lift", "0.25", "--power",
               "0.9", "--json")
    assert done.exit_code == 0
    plan = json.loads(done.output)
    assert plan["per_group"] == 77 and plan["per_group_exact"] == pytest.approx(76.7, abs=0.05)
    text = cvm("campaign", "plan", "--baseline-rate", "0.1", "--min-lift", "0.02",
               "--list-size", "20000", "--control-share", "0.1").output
    assert "3,841 customers in each group" in text and "detects a lift of 2.07" in text
    means = json.loads(cvm("campaign", "plan", "--sd", "1", "--min-lift", "1", "--power", "0.9",
                           "--json").output)
    assert means["per_group"] == 23 and means["metric"] == "mean"
    assert cvm("campaign", "plan", "--min-lift", "0.1").exit_code == 2


def test_analyse_writes_the_results_file(tmp_path):
    rows = ([("A", 1, 12.0)] * 30 + [("A", 0, 0.0)] * 70 + [("B", 1, 9.0)] * 20
            + [("B", 0, 0.0)] * 80 + [("ctl", 1, 10.0)] * 10 + [("ctl", 0, 0.0)] * 90)
    pd.DataFrame(rows, columns=["arm", "bought", "spend"]).to_csv(tmp_path / "o.csv",
                                                                 index=False)
    done = cvm("campaign", "analyse", str(tmp_path / "o.csv"), "--group-column", "arm",
               "--control", "ctl", "--outcome", "bought", "--outcome", "spend",
               "--cost-per-contact", "0.5", "--out", str(tmp_path / "res"))
    assert done.exit_code == 0, done.output
    out = pd.read_csv(tmp_path / "res" / "campaign-results.csv")
    assert list(out.columns[:12]) == ["segment", "group", "outcome", "kind", "n", "control_n",
                                      "treated_value", "control_value", "lift", "ci_low",
                                      "ci_high", "p_value"]
    a = out[(out.group == "A") & (out.outcome == "bought")].iloc[0]
    assert (a.n, a.control_n, a.lift) == (100, 100, pytest.approx(0.2))
    assert (a.ci_low, a.ci_high) == pytest.approx(newcombe_interval(30, 100, 10, 100),
                                                  abs=1e-5)
    s = out[(out.group == "B") & (out.outcome == "spend")].iloc[0]
    # spend: 1.80 vs 1.00 per customer; ROI = 0.8 / 0.5 − 1
    assert s.roi == pytest.approx(0.6, abs=1e-5)
    bad = cvm("campaign", "analyse", str(tmp_path / "o.csv"), "--group-column", "arm",
              "--control", "holdout", "--outcome", "bought", "--out", str(tmp_path / "x"))
    assert bad.exit_code == 2 and "control group is empty" in bad.output


def test_create_export_results_list(tmp_path):
    path = tmp_path / "shop.duckdb"
    with Workspace(path) as ws:
        rows = [(f"C{i:02d}", "2025-01-10", 10.0) for i in range(0, 30, 3)]
        ws.con.register("_t", pa.table({"source": ["default"] * len(rows),
                                         "source_customer_id": [r[0] for r in rows],
                                         "purchase_date": pa.array(
                                             pd.to_datetime([r[1] for r in rows]).date),
                                         "amount": [r[2] for r in rows]}))
        ws.con.execute("INSERT INTO transactions (source, source_customer_id, purchase_date, "
                       "amount) SELECT * FROM _t")
    pd.DataFrame({"customer_id": [f"C{i:02d}" for i in range(30)]}).to_csv(
        tmp_path / "list.csv", index=False)
    done = cvm("campaign", "create", "jan", "--list", str(tmp_path / "list.csv"),
               "--control-share", "0.2", "--seed", "3", "--cost-per-contact", "1",
               "--start", "2025-01-01", "--end", "2025-01-31", "--workspace", str(path),
               "--export", str(tmp_path / "contact.csv"))
    assert done.exit_code == 0, done.output
    assert "30 customers, 24 to contact, 6 held out" in done.output
    contact = pd.read_csv(tmp_path / "contact.csv", encoding="utf-8-sig")
    with Workspace(path) as ws:
        control = {r[0] for r in ws.query("SELECT customer_id FROM campaign_members "
                                          "WHERE arm = 'control'")}
    assert len(contact) == 24 and not control & set(contact.customer_id)
    xlsx = cvm("campaign", "export", "jan", "--out", str(tmp_path / "c.xlsx"), "--workspace",
               str(path))
    assert xlsx.exit_code == 0 and "24 customers to contact" in xlsx.output
    res = cvm("campaign", "results", "jan", "--workspace", str(path), "--json")
    doc = json.loads(res.output)
    head = next(r for r in doc["results"] if r["outcome"] == "responded")
    buyers = {f"C{i:02d}" for i in range(0, 30, 3)}
    x_c = len(buyers & control)
    assert head["control_value"] == pytest.approx(x_c / 6)
    assert head["treated_value"] == pytest.approx((10 - x_c) / 24)
    assert doc["status"] == "measured" and doc["looks"]
    # the transactions end on 10 January: retention (a purchase in the 31 days after the end,
    # or in the week after with --retention-days 7) cannot be measured yet
    assert doc["retention"] == {"from": "2025-02-01", "to": "2025-03-03", "measured": False}
    week = cvm("campaign", "results", "jan", "--workspace", str(path), "--remeasure",
               "--retention-days", "7")
    assert week.exit_code == 0 and "Retention not measured yet" in week.output
    assert "2025-02-07" in week.output
    listing = cvm("campaign", "list", "--workspace", str(path), "--json")
    assert json.loads(listing.output)[0]["name"] == "jan"
    missing = cvm("campaign", "results", "feb", "--workspace", str(path))
    assert missing.exit_code == 2 and "no campaign 'feb'" in missing.output


def test_plan_for_revenue_takes_the_spread_of_past_spend(tmp_path):
    from cvm.campaigns.power import sample_size_means

    path = tmp_path / "past.duckdb"
    with Workspace(path) as ws:
        # in the last 30 days: A 10, B 20, C 30; D bought 100 days before only (spend 0 then)
        rows = [("A", "2025-03-01", 10.0), ("B", "2025-03-10", 20.0), ("C", "2025-03-20", 30.0),
                ("D", "2024-12-10", 50.0)]
        ws.con.register("_t", pa.table({"source": ["default"] * 4,
                                         "source_customer_id": [r[0] for r in rows],
                                         "purchase_date": pa.array(
                                             pd.to_datetime([r[1] for r in rows]).date),
                                         "amount": [r[2] for r in rows]}))
        ws.con.execute("INSERT INTO transactions (source, source_customer_id, purchase_date, "
                       "amount) SELECT * FROM _t")
    done = cvm("campaign", "plan", "--sd-from", str(path), "--window-days", "30",
               "--min-lift", "5", "--json")
    plan = json.loads(done.output)
    sd = (500 / 3) ** 0.5          # spends 10, 20, 30, 0 around their mean 15
    assert plan["sd"] == pytest.approx(sd) and plan["baseline"] == pytest.approx(15.0)
    assert plan["per_group_exact"] == pytest.approx(sample_size_means(5, sd))
