"""GET /campaigns and GET /campaigns/{name} over HTTP, on a server of their own: the same
numbers as ``cvm campaign results NAME --json`` and ``cvm campaign list --json`` (one function
behind all three), the response rates equal to the purchases counted by hand, the dashboard
page showing the same lift, and strata named by a personal field masked for viewers."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner

from cvm.api.tokens import create_token
from cvm.cli import main
from cvm.workspace import Workspace

from .server import Server


def cvm(*args):
    done = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert done.exit_code == 0, done.output
    return done.output


IDS = [f"C{i:02d}" for i in range(40)]
#: in the window (October 2024): every third customer buys, for 10 + i
BUYERS = {f"C{i:02d}": 10.0 + i for i in range(0, 40, 3)}
#: in the retention period (November 2024): every fourth customer
RETAINED = {f"C{i:02d}" for i in range(0, 40, 4)}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("campaigns-api")
    path = folder / "shop.duckdb"
    rows = ([(c, dt.date(2024, 10, 5 + int(c[1:]) % 20), a) for c, a in BUYERS.items()]
            + [(c, dt.date(2024, 11, 15), 5.0) for c in sorted(RETAINED)]
            + [("C01", dt.date(2024, 12, 31), 1.0)])     # the transactions cover November
    with Workspace(path) as ws:
        ws.con.register("_t", pa.table({"source": ["default"] * len(rows),
                                         "source_customer_id": [r[0] for r in rows],
                                         "purchase_date": [r[1] for r in rows],
                                         "amount": [r[2] for r in rows]}))
        ws.con.execute("INSERT INTO transactions (source, source_customer_id, purchase_date, "
                       "amount) SELECT * FROM _t")
        ws.con.unregister("_t")
        tokens = {role: create_token(ws, role, name=f"test {role}")
                  for role in ("viewer", "analyst")}
    pd.DataFrame({"customer_id": IDS, "city": ["Shanghai", "Hangzhou"] * 20,
                  "birth_date": ["1980-02-01", "1991-07-30"] * 20}).to_csv(
        folder / "list.csv", index=False)
    common = ["--list", str(folder / "list.csv"), "--workspace", str(path)]
    cvm("campaign", "create", "october", *common, "--control-share", "0.25", "--seed", "11",
        "--stratify", "city", "--cost-per-contact", "2", "--start", "2024-10-01", "--end",
        "2024-10-31", "--min-lift", "0.1")
    cvm("campaign", "create", "letters", *common, "--control-share", "0.5", "--seed", "5",
        "--stratify", "birth_date", "--start", "2024-09-01", "--end", "2024-09-30")
    cvm("campaign", "create", "spring", *common, "--start", "2099-03-01", "--end",
        "2099-03-31")
    cli = {name: json.loads(cvm("campaign", "results", name, "--workspace", str(path), "--json"))
           for name in ("october", "letters")}
    listing = json.loads(cvm("campaign", "list", "--workspace", str(path), "--json"))
    with Workspace(path) as ws:
        control = {r[0] for r in ws.query("SELECT customer_id FROM campaign_members "
                                          "WHERE campaign = 'october' AND arm = 'control'")}
    server = Server(path, tokens, (folder / "list.csv", folder / "list.csv"))
    server.start(folder / "serve.log")
    yield server, cli, listing, control
    server.stop()


def test_a_campaign_shows_the_numbers_of_the_command_line(served):
    server, cli, _, control = served
    with server.client("analyst") as analyst:
        doc = analyst.get("/campaigns/october").json()
    assert doc["results"] == cli["october"]["results"]
    assert doc["looks"] == cli["october"]["looks"]
    assert doc["retention"] == cli["october"]["retention"] == {
        "from": "2024-11-01", "to": "2024-12-01", "measured": True}
    assert (doc["status"], doc["measured_from"]) == ("measured", "transactions")
    assert (doc["seed"], doc["control_share"], doc["cost_per_contact"], doc["min_lift"]) == \
        (11, 0.25, 2.0, 0.1)
    assert (doc["customers"], doc["treated"], doc["control"]) == (40, 30, 10)
    # by hand: response = a purchase in October, retention = one in November
    treated = [c for c in IDS if c not in control]
    rows = {(r["segment"], r["outcome"]): r for r in doc["results"]}
    respond = rows[("all", "responded")]
    assert (respond["n"], respond["control_n"]) == (30, 10)
    assert respond["treated_value"] == pytest.approx(len(set(treated) & BUYERS.keys()) / 30)
    assert respond["control_value"] == pytest.approx(len(control & BUYERS.keys()) / 10)
    revenue = rows[("all", "revenue")]
    assert revenue["treated_value"] == pytest.approx(
        sum(BUYERS.get(c, 0.0) for c in treated) / 30)
    assert rows[("all", "retained")]["control_value"] == pytest.approx(
        len(control & RETAINED) / 10)
    # stratified by city: 5 of each city's 20 held out
    assert {(s, r["n"], r["control_n"]) for (s, o), r in rows.items() if o == "responded"} == \
        {("all", 30, 10), ("Hangzhou", 15, 5), ("Shanghai", 15, 5)}
    assert doc["headline"]["lift"] == pytest.approx(
        respond["treated_value"] - respond["control_value"])


def test_the_list_shows_every_design(served):
    server, cli, listing, _ = served
    with server.client("viewer") as viewer:
        rows = viewer.get("/campaigns").json()
    assert [r["name"] for r in rows] == ["spring", "october", "letters"]
    for row, line in zip(rows, listing):
        assert {k: v for k, v in row.items() if k not in ("created_at", "analysed_at")} == \
            {k: v for k, v in line.items() if k not in ("created_at", "analysed_at")}
    spring = rows[0]
    assert (spring["status"], spring["headline"], spring["stratify"]) == ("planned", None, None)
    assert spring["source"] == "list list.csv" and spring["cells"] == []
    assert rows[1]["headline"] == {k: cli["october"]["headline"][k]
                                   for k in rows[1]["headline"]}
    assert rows[1]["created_at"].endswith("Z") and rows[1]["analysed_at"].endswith("Z")


def test_the_page_shows_the_same_lift(served):
    server, cli, _, _ = served
    lift = next(r["lift"] for r in cli["october"]["results"]
                if (r["segment"], r["outcome"]) == ("Shanghai", "responded"))
    with server.client("viewer") as viewer:
        page = viewer.get(server.url + "/campaigns?lang=en").text
    assert f"{lift * 100:+.1f} pp" in page


def test_strata_named_by_a_personal_field_are_masked_for_viewers(served):
    server, cli, _, _ = served
    with server.client("viewer") as viewer, server.client("analyst") as analyst:
        seen = viewer.get("/campaigns/letters").json()["results"]
        clear = analyst.get("/campaigns/letters").json()["results"]
        assert viewer.get("/campaigns/october").json()["results"] == \
            cli["october"]["results"]   # a city is no personal field
        assert viewer.get("/campaigns/autumn").status_code == 404
    assert clear == cli["letters"]["results"]
    assert {r["segment"] for r in clear} == {"all", "1980-02-01", "1991-07-30"}
    assert {r["segment"] for r in seen} == {"all", "***"}
    assert [r["lift"] for r in seen] == [r["lift"] for r in clear]
    with server.client() as nobody:
        assert nobody.get("/campaigns").status_code == 401
        assert nobody.get("/campaigns/october").status_code == 401
