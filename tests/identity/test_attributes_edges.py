"""The customer list's fields per unified customer, by hand: two linked records of one customer
(the earliest sign-up, the most cautious credit figures), a prospect without purchases, and a
workspace without a list."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from cvm.identity import unify
from cvm.identity.attributes import credit_fields, customer_attributes, with_attributes
from cvm.ingest.load import load_customers, load_transactions
from cvm.workspace import Workspace

LIST = ("source,customer_id,name,city,signup_date,credit_score,late_payments\n"
        "crm,C1,Li Wei,Shanghai,2023-05-01,720,\n"
        "shop,S1,Li Wei,Shanghai,2022-03-01,650,2\n"
        "crm,C2,Wang Fang,Beijing,2024-01-01,,\n"
        "crm,C3,Zhao Lei,Wuhan,2024-02-01,800,\n")   # one late-payment figure in the list
SALES = ("source,customer_id,date,amount\n"
         "crm,C1,2024-01-10,10\n"
         "crm,C3,2024-03-01,5\n")   # after the as-of date below


def _workspace(tmp_path):
    ws = Workspace(tmp_path / "ws.duckdb")
    (tmp_path / "list.csv").write_text(LIST, encoding="utf-8")
    (tmp_path / "sales.csv").write_text(SALES, encoding="utf-8")
    load_customers(ws, tmp_path / "list.csv")
    load_transactions(ws, tmp_path / "sales.csv")
    # C1 and S1 are one customer, P1
    ws.con.execute("INSERT INTO xref VALUES ('crm', 'C1', 'P1', 'model', now()::TIMESTAMP), "
                   "('shop', 'S1', 'P1', 'model', now()::TIMESTAMP)")
    unify(ws)
    return ws


def test_linked_records_give_the_earliest_signup_and_the_most_cautious_credit(tmp_path):
    with _workspace(tmp_path) as ws:
        assert credit_fields(ws) == ["credit_score", "late_payments"]
        customers = pa.table({"customer_id": ["crm:C3", "P1", "nobody"], "value_rank": [2, 1, 3]})
        rows = with_attributes(ws, customers).to_pylist()
        assert [r["customer_id"] for r in rows] == ["P1", "crm:C3", "nobody"]
        p1 = rows[0]
        assert (p1["name"], p1["city"], p1["signup_date"]) == ("Li Wei", "Shanghai",
                                                               dt.date(2022, 3, 1))
        assert (p1["credit_score"], p1["late_payments"]) == (650, 2)
        assert "defaults" not in p1 and "credit_limit_use" not in p1
        assert rows[2]["name"] is None
        # prospects: in the list, without a purchase on or before the date (C3 bought later)
        prospects = customer_attributes(ws, without_purchase_by=dt.date(2024, 2, 15))
        assert prospects["customer_id"].to_pylist() == ["crm:C2", "crm:C3"]
        assert prospects.column_names == ["customer_id", "name", "phone", "email", "city",
                                          "owner", "signup_date"]
        later = customer_attributes(ws, without_purchase_by=dt.date(2024, 3, 1))
        assert later["customer_id"].to_pylist() == ["crm:C2"]


def test_a_list_of_one_customer_is_a_list(tmp_path):
    with Workspace(tmp_path / "ws.duckdb") as ws:
        (tmp_path / "one.csv").write_text("customer_id,name\nA,Li Wei\n", encoding="utf-8")
        load_customers(ws, tmp_path / "one.csv")
        unify(ws)
        assert credit_fields(ws) == []
        assert customer_attributes(ws, without_purchase_by=dt.date(2024, 1, 1)
                                   )["name"].to_pylist() == ["Li Wei"]
        out = with_attributes(ws, pa.table({"customer_id": ["A"], "value_rank": [1]}))
        assert out["name"].to_pylist() == ["Li Wei"]


def test_without_a_customer_list_nothing_is_added(tmp_path):
    with Workspace(tmp_path / "ws.duckdb") as ws:
        customers = pa.table({"customer_id": ["A"], "value_rank": [1]})
        assert with_attributes(ws, customers) is customers
        empty = customer_attributes(ws, without_purchase_by=dt.date(2024, 1, 1))
        assert empty.num_rows == 0 and empty.column_names == ["customer_id"]
        assert empty.schema.field("customer_id").type == pa.string()
