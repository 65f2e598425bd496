"""The workspace names every run's result tables in one place, ``Workspace.run_table``."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from cvm.workspace import Workspace


def test_run_table_names_a_result_of_a_run():
    assert Workspace.run_table(3, "customers") == "run_3_customers"
    assert Workspace.run_table(12, "clv_validation") == "run_12_clv_validation"


def test_run_results_keeps_the_tables_of_that_run_only():
    tables = ["run_1_customers", "run_1_segments", "run_11_customers", "run_2_customers",
              "runs", "transactions"]
    assert Workspace.run_results(1, tables) == {"customers", "segments"}
    assert Workspace.run_results(11, tables) == {"customers"}
    assert Workspace.run_results(5, tables) == set()


def test_a_failed_run_drops_its_own_tables_and_no_other_runs(tmp_path):
    with Workspace(tmp_path / "w.duckdb") as ws:
        one = pa.table({"customer_id": ["a", "b"]})
        for _ in range(11):
            run_id = ws.start_run(as_of=dt.date(2024, 3, 31), engine="duckdb", config={})
            ws.store_run(run_id, as_of=dt.date(2024, 3, 31),
                         tables={"customers": one, "extra": one}, summary={})
        ws.fail_run(1, "failed on purpose")
        stored = {r[0] for r in ws.query("SELECT table_name FROM duckdb_tables()")}
        assert Workspace.run_results(1, stored) == set()
        assert Workspace.run_results(11, stored) == {"customers", "extra"}
        assert ws.result("customers", 11).num_rows == 2
        assert [r["status"] for r in ws.runs()][:2] == ["failed", "running"]
