"""One customer's 360° view on a workspace written by hand: every way an id finds a customer
(and the suggestions when none does), the latest purchases, the last runs, and a cursor of the
caller's."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from cvm.identity.link import IDENTITY_DDL
from cvm.identity.view import CustomerNotFound, customer_view
from cvm.workspace import Workspace


def _run(ws, as_of, customers):
    run_id = ws.start_run(as_of=as_of, engine="duckdb", config={})
    if customers is not None:
        ws.store_run(run_id, as_of=as_of, tables={"customers": customers}, summary={})
    ws.complete_run(run_id)
    return run_id


@pytest.fixture
def ws(tmp_path):
    """A merged into B (link 1), B merged into C (link 2); shop:7 and web:7 share a source id;
    C001 and ids close to 1; three complete runs, the first without a customers table."""
    w = Workspace(tmp_path / "v.duckdb")
    w.con.execute(IDENTITY_DDL)
    w.con.execute("INSERT INTO source_customers (source, source_customer_id, name) VALUES "
                  "('shop', 'C', 'Li Wei'), ('web', 'w1', 'Li W.')")
    w.con.execute(
        "INSERT INTO xref (source, source_customer_id, customer_id, method) VALUES "
        "('shop', 'C', 'C', 'rule'), ('web', 'w1', 'C', 'model'), ('shop', '7', 'shop:7', 'rule'),"
        " ('web', '7', 'web:7', 'rule'), ('default', 'C001', 'C001', 'rule'),"
        + ", ".join(f"('default', '{'0' * k}1', '{'0' * k}1', 'rule')" for k in range(1, 8)))
    w.con.execute("INSERT INTO identity_events VALUES (1, now(), 'merge', 'B', 'A', 1), "
                  "(2, now(), 'merge', 'C', 'B', 2)")
    w.con.execute("CREATE TABLE identity_golden AS SELECT 'C' AS customer_id, 'Li Wei' AS name")
    w.con.execute(
        "INSERT INTO transactions (source, source_customer_id, purchase_time, purchase_date, "
        "amount) VALUES ('shop', 'C', '2024-01-05 10:00', '2024-01-05', 10.0), "
        "('web', 'w1', '2024-02-01 11:00', '2024-02-01', 20.0), "
        "('shop', 'C', '2024-03-01 12:00', '2024-03-01', 5.0)")
    table = pa.table({"customer_id": ["B", "C", "Z"], "clv": [1.0, 2.0, 9.0],
                      "rfm_cell": ["111", "555", "333"]})
    _run(w, dt.date(2024, 1, 31), None)
    _run(w, dt.date(2024, 2, 29), table)
    _run(w, dt.date(2024, 3, 31), table.select(["customer_id", "clv"]))
    yield w
    w.close()


def test_every_id_of_a_customer_finds_it(ws):
    for ident in ("C", "shop:C", "web:w1", "w1", "B", "A"):
        assert customer_view(ws, ident).customer_id == "C", ident


def test_a_source_id_in_two_sources_must_be_named_with_its_source(ws):
    with pytest.raises(CustomerNotFound, match=r"'7' is an id in several sources; write it as "
                                               r"source:id \(shop:7, web:7\)"):
        customer_view(ws, "7")
    assert customer_view(ws, "web:7").customer_id == "web:7"


def test_an_unknown_id_suggests_ids_close_to_it(ws):
    with pytest.raises(CustomerNotFound, match=r"no customer 'c001' in workspace .*; "
                                               r"did you mean 'C001'\?$"):
        customer_view(ws, "c001")
    # the id after the source, spaces and case aside
    with pytest.raises(CustomerNotFound, match=r"did you mean 'C001'\?$"):
        customer_view(ws, "shop: c001 ")
    # a source id that is not the unified id is suggested with its source
    with pytest.raises(CustomerNotFound, match=r"did you mean 'web:w1'\?$"):
        customer_view(ws, "W1")
    # five suggestions at most, in id order (as text) of the seven
    with pytest.raises(CustomerNotFound) as err:
        customer_view(ws, "1")
    assert str(err.value).endswith("did you mean '00000001' or '0000001' or '000001' or "
                                   "'00001' or '0001'?")
    with pytest.raises(CustomerNotFound, match=r"^no customer 'nobody' in workspace [^;]*$"):
        customer_view(ws, "nobody")


def test_the_view_of_a_customer(ws):
    view = customer_view(ws, "C")
    assert view.merged_ids == ["B"]
    assert view.golden == {"customer_id": "C", "name": "Li Wei"}
    assert [(r["source"], r["source_customer_id"], r["name"], r["method"])
            for r in view.records] == [("shop", "C", "Li Wei", "rule"),
                                       ("web", "w1", "Li W.", "model")]
    assert (view.transactions["transactions"], view.transactions["total_amount"]) == (3, 35.0)
    assert view.purchases == []
    # runs 2 and 3 (run 1 has no customers table), C's rows before B's, merged into it
    assert [(h["run_id"], h["customer_id"], h["clv"]) for h in view.history] == [
        (2, "C", 2.0), (2, "B", 1.0), (3, "C", 2.0), (3, "B", 1.0)]
    assert view.history[0]["rfm_cell"] == "555" and "rfm_cell" not in view.history[2]
    assert view.history[0]["as_of"] == dt.date(2024, 2, 29)
    last = customer_view(ws, "C", last_runs=1, recent_purchases=1)
    assert [h["run_id"] for h in last.history] == [3, 3]
    assert [(p["amount"], p["source"]) for p in last.purchases] == [(5.0, "shop")]
    assert [p["amount"] for p in customer_view(ws, "C", recent_purchases=5).purchases] == \
        [5.0, 20.0, 10.0]
    # no run column asked for that a run has: no history
    assert customer_view(ws, "C", history_columns=("lifecycle_stage",)).history == []
    # through a cursor of the caller's: the same view
    cursor = ws.con.cursor()
    assert customer_view(ws, "A", cursor=cursor) == view
    other = customer_view(ws, "web:7")
    assert (other.golden, other.merged_ids, other.history) == (None, [], [])


def test_a_workspace_without_linkage_tables(tmp_path):
    with Workspace(tmp_path / "plain.duckdb") as w:
        w.con.execute("INSERT INTO xref (source, source_customer_id, customer_id, method) VALUES "
                      "('default', 'K', 'K', 'identity')")
        view = customer_view(w, "K")
        assert (view.golden, view.merged_ids, view.history) == (None, [], [])
        with pytest.raises(CustomerNotFound, match="no customer 'L'"):
            customer_view(w, "L")
