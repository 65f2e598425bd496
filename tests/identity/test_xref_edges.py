"""The cross-reference stage by hand: each source id seen gets a unified id once, the same raw id
in two systems stays two customers, and ids already given are kept."""

from __future__ import annotations

from cvm.identity import unify
from cvm.ingest.load import load_customers, load_transactions
from cvm.workspace import Workspace


def test_unify_gives_each_source_id_one_unified_id(tmp_path):
    sales = tmp_path / "sales.csv"
    sales.write_text("source,customer_id,date,amount\n"
                     "default,7,2025-01-02,10\n"
                     "default,7,2025-01-05,12\n"
                     "shop,7,2025-01-03,5\n"
                     "shop,9,2025-01-04,8\n", encoding="utf-8")
    people = tmp_path / "crm.csv"
    people.write_text("source,customer_id,name\ncrm,C1,Li Wei\nshop,9,Wang Fang\n",
                      encoding="utf-8")
    with Workspace(tmp_path / "ws.duckdb") as ws:
        load_transactions(ws, sales)
        load_customers(ws, people)
        # a decision made before: shop:9 is customer K
        ws.con.execute("INSERT INTO xref VALUES ('shop', '9', 'K', 'model', now()::TIMESTAMP)")
        assert unify(ws) == 3
        ids = dict(((s, i), c) for s, i, c in ws.query(
            "SELECT source, source_customer_id, customer_id FROM xref"))
        assert ids == {("default", "7"): "7", ("shop", "7"): "shop:7", ("crm", "C1"): "crm:C1",
                       ("shop", "9"): "K"}
        assert unify(ws) == 0
        more = tmp_path / "more.csv"
        more.write_text("source,customer_id,date,amount\nweb,1,2025-02-01,3\n", encoding="utf-8")
        load_transactions(ws, more)
        assert unify(ws) == 1
        assert ws.count("xref") == 5
