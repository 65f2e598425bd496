"""Transactions read by Spark itself (paths, globs, ``table:NAME``, DataFrames, Ibis tables on
Spark): the same rows and rejects as a load into the workspace, and the same run results."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from cvm.config import AnalysisConfig
from cvm.engine import TRANSACTION_COLUMNS
from cvm.ingest.load import load_transactions
from cvm.workspace import Workspace

from engine_results import assert_same_customers

AS_OF = dt.date(2024, 12, 31)

# 8 customers; the last five rows break one rule each, as a load into the workspace sees them
ROWS = [
    ("A1", "2024-01-05", "120.50", "Tea"), ("A1", "2024-03-07", "80", "Tea"),
    ("A1", "2024-09-30", "1,200.00", "Pots"), ("B2", "2024-02-11", "35.25", "Tea"),
    ("B2", "2024-02-11", "15", ""), ("B2", "2024-11-02", "60", "Cups"),
    (" C3 ", "2024-04-01", "$45", "Tea"), ("C3", "2024-06-15", "45", "Tea"),
    ("C3", "2024-12-01", "90", "Tea"), ("D4", "2024-05-20", "300", "Pots"),
    ("1005.0", "2024-07-04", "12.5", "Tea"), ("1005", "2024-10-10", "20", "Tea"),
    ("E5", "20240815", "64", "Tea"), ("F6", "2024-12-31", "10", "Cups"),
    ("G7", "2024-08-08", "55", "Tea"), ("G7", "2024-10-08", "56", "Tea"),
    ("", "2024-03-03", "10", "Tea"),            # missing_customer_id
    ("H8", "not a date", "10", "Tea"),          # bad_date
    ("H8", "2024-03-03", "ten", "Tea"),         # bad_amount
    ("H8", "2024-03-04", "-5", "Tea"),          # negative_amount
    ("H8", "2025-02-01", "10", "Tea"),          # future_date
]


@pytest.fixture(scope="module")
def log_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("spark-sources")
    table = pa.table({"Customer ID": [r[0] for r in ROWS], "Order Date": [r[1] for r in ROWS],
                      "Sales": [r[2] for r in ROWS], "Category": [r[3] for r in ROWS]})
    pacsv.write_csv(table, folder / "sales.csv")
    good = table.slice(0, 16)
    (folder / "parts").mkdir()
    pq.write_table(good.slice(0, 8), folder / "parts" / "part-0.parquet")
    pq.write_table(good.slice(8), folder / "parts" / "part-1.parquet")
    return folder


def _canonical(table: pa.Table) -> list[tuple]:
    return sorted(tuple(r.values()) for r in table.select(list(TRANSACTION_COLUMNS)).to_pylist())


def _workspace_rows(path, source):
    with Workspace(path) as ws:
        report = load_transactions(ws, source, as_of=AS_OF)
        from cvm.identity import unify

        unify(ws)
        rows = ws.arrow(f"SELECT {', '.join(TRANSACTION_COLUMNS)} FROM unified_transactions")
    return rows, report


def test_a_csv_read_by_spark_gives_the_rows_and_rejects_of_a_load(spark_engine, log_files,
                                                                   tmp_path):
    from cvm.spark.sources import spark_transactions

    expected, report = _workspace_rows(tmp_path / "w.duckdb", log_files / "sales.csv")
    read = spark_transactions(spark_engine, str(log_files / "sales.csv"), as_of=AS_OF)
    got = spark_engine.to_arrow(read.table)
    assert _canonical(got) == _canonical(expected)
    assert len(_canonical(got)) == 16
    assert (read.rows_read, read.rows_loaded, read.rows_rejected) == (21, 16, 5)
    assert read.reasons == report.reasons == {"missing_customer_id": 1, "bad_date": 1,
                                              "bad_amount": 1, "negative_amount": 1,
                                              "future_date": 1}
    assert "customer_id ← 'Customer ID'" in read.columns


def test_a_glob_a_catalog_table_a_dataframe_and_an_ibis_table_read_the_same(spark_engine,
                                                                           log_files):
    from cvm.engine import spark_session
    from cvm.spark.sources import SparkSourceError, spark_transactions

    session = spark_session()
    glob = str(log_files / "parts" / "*.parquet")
    frame = session.read.parquet(str(log_files / "parts"))
    frame.createOrReplaceTempView("cvm_test_sales")
    ibis_table = spark_engine.backend.table("cvm_test_sales")
    reads = [spark_transactions(spark_engine, s, as_of=AS_OF)
             for s in (glob, "table:cvm_test_sales", frame, ibis_table)]
    rows = [_canonical(spark_engine.to_arrow(r.table)) for r in reads]
    assert len(rows[0]) == 16 and all(r == rows[0] for r in rows)
    assert [r.name for r in reads] == [glob, "table:cvm_test_sales", "Spark DataFrame",
                                       "Ibis table on Spark"]
    with pytest.raises(SparkSourceError, match="no table 'nope' in the Spark session's catalog"):
        spark_transactions(spark_engine, "table:nope")
    with pytest.raises(SparkSourceError, match="reads Parquet .* and CSV with a header row"):
        spark_transactions(spark_engine, str(log_files / "sales.xlsx"))


def test_a_run_on_a_spark_dataframe_equals_the_duckdb_run_and_copies_nothing(
        spark_engine, log_files, tmp_path):
    import cvm
    from cvm.engine import spark_session
    from cvm.stages import FeatureStage

    # the features stage only: the other stages' numbers on Spark are checked against DuckDB's
    # in test_engine_batches.py (the CLV scoring) and test_spark_cluster.py (a whole run)
    config = AnalysisConfig(as_of=AS_OF)
    duck = cvm.run(str(log_files / "sales.csv"), workspace=tmp_path / "d.duckdb", out=None,
                   config=config, stages=[FeatureStage()])
    frame = spark_session().read.option("header", True).csv(str(log_files / "sales.csv"))
    spark = cvm.run(frame, engine="spark", workspace=tmp_path / "s.duckdb", out=None,
                    config=config, stages=[FeatureStage()])
    assert duck.customers.num_rows == 8
    assert_same_customers(duck.customers, spark.customers)
    info = spark.info
    assert info["rows_read"] == 21 and info["rows_loaded"] == 16 and info["rows_rejected"] == 5
    assert info["reject_reasons"] == duck.info["reject_reasons"]
    assert info["engine"] == "spark" and info["files"][0]["file"] == "Spark DataFrame"
    assert info["spark_master"] == spark_session().sparkContext.master
    with Workspace(tmp_path / "s.duckdb") as ws:  # the run records, and no transactions
        assert ws.query("SELECT count(*) FROM transactions")[0][0] == 0
        assert [r["status"] for r in ws.runs()] == ["complete"]
    with pytest.raises(cvm.AnalysisError, match="customer lists and service logs"):
        cvm.run(frame, engine="spark", customers=str(log_files / "sales.csv"),
                workspace=tmp_path / "s.duckdb", out=None, config=config)
