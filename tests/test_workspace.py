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


def test_a_result_stored_from_a_file_of_more_than_a_row_group_is_read_back_whole(tmp_path):
    """A run whose stages stayed on the engine stores its customer table from the Parquet the
    engine wrote. More than one DuckDB row group (122,880 rows) of it must be visible to the
    same connection at once, as the results folder reads it there before the run completes
    (DuckDB 1.5 showed none of the rows to a table made by scanning an empty Arrow table)."""
    import pyarrow.parquet as pq

    n = 130_000
    rows = pa.table({"customer_id": pa.array([f"C{i}" for i in range(n)]),
                     "clv": pa.array([i / 4 for i in range(n)], pa.float64()),
                     "reasons": pa.array([[f"r{i % 3}"] for i in range(n)])})
    pq.write_table(rows, tmp_path / "customers.parquet", row_group_size=50_000)
    schema = rows.schema.set(1, pa.field("clv", pa.float32()))  # the schema decides the types
    with Workspace(tmp_path / "w.duckdb") as ws:
        run_id = ws.start_run(as_of=dt.date(2024, 3, 31), engine="duckdb", config={})
        ws.store_run(run_id, as_of=dt.date(2024, 3, 31), tables={}, summary={},
                     files={"customers": (tmp_path / "customers.parquet", schema)})
        assert ws.query(f"SELECT count(*), sum(clv) FROM run_{run_id}_customers") == \
            [(n, sum(i / 4 for i in range(n)))]
        stored = ws.arrow(f"SELECT * FROM run_{run_id}_customers ORDER BY clv")
        assert stored.schema.field("clv").type == pa.float32()
        assert stored.column("customer_id").to_pylist() == rows.column("customer_id").to_pylist()
        assert stored.column("reasons").to_pylist()[:4] == [["r0"], ["r1"], ["r2"], ["r0"]]
