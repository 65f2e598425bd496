"""The one-command job end to end: results folder, atomic runs, engines agree, migration."""

from __future__ import annotations

import datetime as dt

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

import cvm
from cvm.config import AnalysisConfig
from cvm.demo import DEMO_AS_OF, write_demo_data
from cvm.pipeline import AnalysisError, analyse, run
from cvm.schema import CUSTOMER_FEATURE_COLUMNS
from cvm.segments.migration import NEW, segment_migration
from cvm.workspace import Workspace


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    return write_demo_data(tmp_path_factory.mktemp("demo"), customers=600)


@pytest.fixture(scope="module")
def demo_first_run(demo_files, tmp_path_factory):
    tx, cust = demo_files
    folder = tmp_path_factory.mktemp("demo-run")
    result = run([tx], customers=[cust], workspace=folder / "ws.duckdb", out=folder / "out",
                 config=AnalysisConfig(as_of=DEMO_AS_OF))
    return result, folder


@pytest.fixture
def demo_run(demo_first_run, tmp_path):
    """The demo's first run: its result, and a folder with a copy of its workspace and its
    results folder (``ws.duckdb``, ``out``) for the test to change."""
    import shutil

    result, folder = demo_first_run
    assert sorted(p.name for p in folder.iterdir()) == ["out", "ws.duckdb"]  # closed: no WAL
    shutil.copy(folder / "ws.duckdb", tmp_path / "ws.duckdb")
    shutil.copytree(folder / "out", tmp_path / "out")
    return result, tmp_path


def test_results_folder_holds_every_output(demo_run, monkeypatch):
    result, tmp = demo_run
    out = tmp / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "customers.csv", "customers.parquet", "rejects.csv", "report.html", "segments.csv",
        "summary.json"]
    customers = pq.read_table(out / "customers.parquet")
    assert set(CUSTOMER_FEATURE_COLUMNS) <= set(customers.column_names)
    # the lifecycle stage appends the prospects (customer list, no purchase) after the buyers
    buyers = customers.filter(customers.column("first_purchase").is_valid())
    assert buyers.num_rows == result.info["n_customers"]
    assert customers.num_rows == buyers.num_rows + result.info["n_prospects"]
    assert len(set(customers.column("customer_id").to_pylist())) == customers.num_rows
    csv_rows = pacsv.read_csv(out / "customers.csv").num_rows
    assert csv_rows == customers.num_rows
    segments = pacsv.read_csv(out / "segments.csv").to_pylist()
    assert sum(s["customers"] for s in segments) == buyers.num_rows
    assert sum(s["customer_share"] for s in segments) == pytest.approx(1.0)
    assert sum(s["value_share"] for s in segments) == pytest.approx(1.0)
    rejects = pacsv.read_csv(out / "rejects.csv").to_pylist()
    # the demo file carries one row of each kind of mess
    assert sorted(r["code"] for r in rejects) == sorted(
        ["missing_customer_id", "bad_date", "bad_amount", "negative_amount", "duplicate",
         "future_date"])
    assert all(r["file"] == "demo_transactions.csv" and r["row"] > 1 for r in rejects)
    info = result.info
    assert info["rows_read"] == info["rows_loaded"] + info["rows_rejected"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<svg" in html and "http://" not in html.split("<body", 1)[1].replace(
        "http://www.w3.org", "")
    # the customer list's fields travel with the customer
    assert {"name", "city", "owner"} <= set(customers.column_names)
    assert info["n_prospects"] > 0
    _customers_csv_left_out_above_its_limit(result, tmp, monkeypatch)


def test_failed_run_leaves_previous_results_in_place(demo_run):
    result, tmp = demo_run
    before = (tmp / "out" / "customers.csv").read_bytes()
    with Workspace(tmp / "ws.duckdb") as ws:
        with pytest.raises(AnalysisError, match="no purchases on or before 2000-01-01"):
            run([], workspace=ws, out=tmp / "out", config=AnalysisConfig(as_of=dt.date(2000, 1, 1)))
        runs = ws.runs()
        assert [r["status"] for r in runs] == ["complete", "failed"]
        assert "no purchases" in runs[-1]["error"]
        assert ws.latest_run() == result.run_id
        assert ws.result("customers").num_rows == result.customers.num_rows
    assert (tmp / "out" / "customers.csv").read_bytes() == before


def test_failed_results_write_keeps_previous_folder(demo_run, monkeypatch):
    _, tmp = demo_run
    before = sorted((p.name, p.stat().st_size) for p in (tmp / "out").iterdir())
    import cvm.reports

    def broken(*args, **kwargs):  # fault injected while the new folder is being written
        raise OSError("disk full")

    monkeypatch.setattr(cvm.reports, "write_report", broken)
    with pytest.raises(OSError):
        run([], workspace=tmp / "ws.duckdb", out=tmp / "out", config=AnalysisConfig(as_of=DEMO_AS_OF))
    assert sorted((p.name, p.stat().st_size) for p in (tmp / "out").iterdir()) == before
    assert not [p for p in tmp.iterdir() if p.name.startswith(".out.")]


def test_duckdb_and_spark_give_the_same_results(demo_run, spark_engine):
    result, tmp = demo_run
    with Workspace(tmp / "ws.duckdb") as ws:
        spark_result = analyse(ws, AnalysisConfig(as_of=DEMO_AS_OF), engine=spark_engine)
    a = {r["customer_id"]: r for r in result.customers.to_pylist()}
    b = {r["customer_id"]: r for r in spark_result.customers.to_pylist()}
    assert a.keys() == b.keys()
    for cid, row in a.items():
        for col in CUSTOMER_FEATURE_COLUMNS:
            x, y = row[col], b[cid][col]
            if isinstance(x, float):
                assert y == pytest.approx(x, rel=1e-9, abs=1e-12, nan_ok=True), (cid, col)
            else:
                assert x == y, (cid, col)
    assert result.customers.schema.equals(spark_result.customers.schema)
    for x, y in zip(result.segments.to_pylist(), spark_result.segments.to_pylist(), strict=True):
        assert x.keys() == y.keys()
        for key, value in x.items():
            if isinstance(value, float):
                assert y[key] == pytest.approx(value, rel=1e-9, nan_ok=True), (x["segment"], key)
            else:
                assert y[key] == value, (x["segment"], key)
    assert spark_result.pareto["gini"] == pytest.approx(result.pareto["gini"], rel=1e-12)
    # the cohorts, also split by the first day's spend tier and the first purchase's store (read
    # from the workspace's purchases on each engine)
    with Workspace(tmp / "ws.duckdb") as ws:
        cohorts = [ws.arrow(f"SELECT * FROM run_{r.run_id}_cohorts ORDER BY source, dimension, "
                            "\"group\" NULLS FIRST, cohort, period").to_pylist()
                   for r in (result, spark_result)]
    assert {r["dimension"] for r in cohorts[0]} == {"all", "value_tier", "store"}
    assert len(cohorts[0]) == len(cohorts[1])
    for x, y in zip(*cohorts):
        assert x.keys() == y.keys()
        for key, value in x.items():
            if isinstance(value, float):
                assert y[key] == pytest.approx(value, rel=1e-9, nan_ok=True), (x, key)
            else:
                assert y[key] == value, (x, key)


def test_segment_migration_accounts_for_every_customer(demo_run):
    _, tmp = demo_run
    first, second = dt.date(2024, 6, 30), DEMO_AS_OF
    with Workspace(tmp / "ws.duckdb") as ws:
        table = segment_migration(ws, first, second, AnalysisConfig())
        n_second = ws.query("SELECT count(DISTINCT customer_id) FROM unified_transactions "
                            "WHERE purchase_date <= ?", [second])[0][0]
        n_first = ws.query("SELECT count(DISTINCT customer_id) FROM unified_transactions "
                           "WHERE purchase_date <= ?", [first])[0][0]
    rows = table.to_pylist()
    assert sum(r["customers"] for r in rows) == n_second
    assert sum(r["customers"] for r in rows if r["from_segment"] == NEW) == n_second - n_first
    by_from: dict[str, float] = {}
    for r in rows:
        by_from[r["from_segment"]] = by_from.get(r["from_segment"], 0) + r["share_of_from"]
    assert all(v == pytest.approx(1.0) for v in by_from.values())


def test_public_api_is_small_and_importable():
    assert set(cvm.__all__) >= {"run", "analyse", "Workspace", "load_transactions", "AnalysisConfig"}


@pytest.mark.parametrize("customers", [3, 12, 60])
def test_a_small_demo_file_keeps_its_messy_rows(tmp_path, customers):
    # the export's five faults and the duplicated receipt are there at any size
    tx, _ = write_demo_data(tmp_path, customers=customers)
    lines = tx.read_text(encoding="utf-8").splitlines()
    for receipt in ("T9000001", "T9000002", "T9000003", "T9000004", "T9000005"):
        assert sum(receipt in line for line in lines) == 1
    body = lines[1:]
    assert len(body) - len(set(body)) == 1


def test_the_reject_reasons_are_those_of_the_counted_transaction_rows(tmp_path):
    """The run summary's rows_rejected counts transaction rows; its reasons must be theirs, not
    also the service log's (whose rejects its own load report gives)."""
    from cvm.interactions import load_interactions

    tx = tmp_path / "tx.csv"
    tx.write_text("customer_id,purchase_date,amount\nA,2024-01-05,10\nA,2024-02-05,oops\n"
                  "B,2024-01-09,20\n", encoding="utf-8")
    log = tmp_path / "log.csv"
    log.write_text("customer_id,time,channel,kind\nA,2024-01-06,phone,complaint\n"
                   "A,not a day,phone,complaint\nB,also not,web,enquiry\n", encoding="utf-8")
    path = tmp_path / "w.duckdb"
    config = AnalysisConfig(as_of=dt.date(2024, 3, 1))
    run(tx, workspace=path, out=None, config=config)
    with Workspace(path) as ws:
        report = load_interactions(ws, log, as_of=dt.date(2024, 3, 1))
        assert report.rows_rejected == 2
        info = analyse(ws, config).info
    assert (info["rows_read"], info["rows_rejected"]) == (3, 1)
    assert info["reject_reasons"] == {"bad_amount": 1}


def _customers_csv_left_out_above_its_limit(result, tmp, monkeypatch):
    """Above ``CVM_CUSTOMERS_CSV`` customers the folder holds the Parquet file alone and says
    why; ``on`` and ``customers_csv=True`` force the CSV (the folder then is the demo run's),
    ``off`` leaves it out. (Part of the results-folder test, which has the run it needs.)"""
    import json

    from cvm.results import customers_csv_wanted, write_results

    n = result.customers.num_rows
    assert customers_csv_wanted(n) == (True, 1_000_000)
    assert customers_csv_wanted(1_000_001) == (False, 1_000_000)
    monkeypatch.setenv("CVM_CUSTOMERS_CSV", str(n - 1))
    with Workspace(tmp / "ws.duckdb") as ws:
        write_results(ws, result, tmp / "small")
    assert sorted(p.name for p in (tmp / "small").iterdir()) == [
        "customers.parquet", "rejects.csv", "report.html", "segments.csv", "summary.json"]
    assert pq.read_table(tmp / "small" / "customers.parquet").num_rows == n
    note = json.loads((tmp / "small" / "summary.json").read_text(encoding="utf-8"))
    assert note["customers_csv"]["limit"] == n - 1
    assert note["customers_csv"]["note"] == (
        f"customers.csv not written: {n:,} customers, more than {n - 1:,} (CVM_CUSTOMERS_CSV); "
        "customers.parquet holds every customer")
    # what `cvm run` says of the folder, in both languages
    from cvm.cli.summary import _no_csv_note

    assert _no_csv_note(tmp / "small", "en") == note["customers_csv"]["note"]
    assert _no_csv_note(tmp / "small", "zh") == (
        f"未写出 customers.csv：共 {n:,} 位客户，超过 {n - 1:,} 位（CVM_CUSTOMERS_CSV）；"
        "customers.parquet 包含全部客户")
    assert _no_csv_note(tmp / "out", "en") is None
    assert customers_csv_wanted(n, True) == (True, None)  # forced on, whatever the limit
    assert customers_csv_wanted(1, False) == (False, None)
    monkeypatch.setenv("CVM_CUSTOMERS_CSV", str(n))  # the limit itself is still written
    assert customers_csv_wanted(n) == (True, n)
    monkeypatch.setenv("CVM_CUSTOMERS_CSV", "off")
    assert customers_csv_wanted(1) == (False, None)
    monkeypatch.setenv("CVM_CUSTOMERS_CSV", "on")
    assert customers_csv_wanted(10**9) == (True, None)
    monkeypatch.setenv("CVM_CUSTOMERS_CSV", "many")
    with pytest.raises(cvm.config.ConfigError, match="CVM_CUSTOMERS_CSV must be on, off"):
        customers_csv_wanted(1)


def test_a_run_with_a_results_folder_writes_the_table_once_and_lets_it_go(demo_files, tmp_path):
    """With a results folder, the run writes its customer table as Parquet once: the workspace
    stores that file and the folder takes it too, and the table leaves this process (read
    back from the workspace when asked for). With a workspace in memory (nothing to read back
    after it closes) the table stays here. Every figure is the same."""
    tx, cust = demo_files
    where = tmp_path / "file"
    folder = run([tx], customers=[cust], workspace=where / "ws.duckdb", out=where / "out",
                 config=AnalysisConfig(as_of=DEMO_AS_OF))
    assert not folder.customers_here and folder.customer_file is None  # the scratch file went
    in_memory = run([tx], customers=[cust], workspace=":memory:", out=tmp_path / "mem",
                    config=AnalysisConfig(as_of=DEMO_AS_OF))
    assert in_memory.customers_here
    written = pq.read_table(where / "out" / "customers.parquet")
    assert folder.customer_rows == written.num_rows == in_memory.customers.num_rows == 600
    # the file is pyarrow's own writing of the table, as a run without the copy writes it
    assert written.schema.equals(in_memory.customers.schema)
    assert pq.ParquetFile(where / "out" / "customers.parquet").metadata.created_by == \
        pq.ParquetFile(tmp_path / "mem" / "customers.parquet").metadata.created_by
    assert folder.customers.column("customer_id").equals(written.column("customer_id"))
    from engine_results import assert_same_customers

    for other in (folder.customers, in_memory.customers,
                  pq.read_table(tmp_path / "mem" / "customers.parquet")):
        assert_same_customers(written, other)
    csv = [pacsv.read_csv(f / "customers.csv") for f in (where / "out", tmp_path / "mem")]
    assert csv[0].num_rows == 600
    assert_same_customers(*csv)


def test_the_table_written_here_comes_in_row_groups_of_duckdbs_size(monkeypatch):
    """Row groups the workspace stores in parallel (here of 128 rows): the table as it was."""
    import pyarrow as pa

    import cvm.pipeline
    from cvm.engine import duckdb_engine

    assert cvm.pipeline.ROW_GROUP_ROWS == 122_880  # DuckDB's row group
    monkeypatch.setattr(cvm.pipeline, "ROW_GROUP_ROWS", 128)
    table = pa.table({"customer_id": [f"C{i:03d}" for i in range(600)],
                      "clv": [i / 8 for i in range(600)]})
    eng = duckdb_engine()
    try:
        files = cvm.pipeline._parquet_here(eng, table)
        assert files["path"] == files["here"] and files["rows"] == 600
        assert files["schema"].equals(table.schema)
        assert pq.ParquetFile(files["path"]).metadata.num_row_groups == 5
        assert pq.read_table(files["path"]).equals(table)
    finally:
        eng.release()
