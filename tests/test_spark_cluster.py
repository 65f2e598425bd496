"""A run on a Spark standalone cluster (a master and two workers on loopback) with the
driver's result size capped, against the DuckDB run of the same log."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest
from engine_results import assert_same_customers, purchase_log

from cvm.config import AnalysisConfig
from cvm.workspace import Workspace

AS_OF = dt.date(2024, 12, 31)
#: customers of the cluster test's log (CVM_CLUSTER_CUSTOMERS, default 1,000: about two
#: minutes on 2 cores). From about 25,000 up, the models' inputs of every customer (six columns
#: for the CLV fit, 33 for the churn check) come to more than the driver's result cap of the
#: test (:data:`RESULT_CAP`), so that a per-customer result collected through the driver fails
#: the run: with 30,000, the run failed so before they came through files (six minutes)
CUSTOMERS = int(os.environ.get("CVM_CLUSTER_CUSTOMERS", "1000"))
#: the driver's result cap of the test: the smallest Spark takes, instead of the README's 32m
#: for a log of millions of customers
RESULT_CAP = "1m"
#: Spark's broadcast joins scaled to the log: a table under the threshold (10 MB by default) is
#: collected to the driver to be sent to every executor, which a table of 2M customers never is
#: (10 MB per 2M customers)
BROADCAST_CAP = f"{max(1, round(10_240 * CUSTOMERS / 2_000_000))}k"


@pytest.fixture(scope="module")
def cluster_log(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cluster-log")
    table = purchase_log(CUSTOMERS)
    (folder / "sales").mkdir()
    half = table.num_rows // 2
    paths = [folder / "sales" / "part-0.parquet", folder / "sales" / "part-1.parquet"]
    pq.write_table(table.slice(0, half), paths[0])
    pq.write_table(table.slice(half), paths[1])
    return folder, paths


def _readme_command() -> list[str]:
    """The README's cluster command (section "Spark cluster")."""
    import re
    import shlex
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Spark cluster", 1)[1].split("\n## ", 1)[0]
    block = re.findall(r"```[a-z]*\n(.*?)```", section, re.DOTALL)[0]
    line, = [x.strip() for x in block.splitlines() if x.strip().startswith("cvm ")]
    return shlex.split(line)


def test_the_readme_run_on_the_cluster_equals_the_duckdb_run(spark_cluster, cluster_log):
    import cvm

    folder, paths = cluster_log
    argv = _readme_command()
    assert argv[:4] == ["cvm", "run", "--engine", "spark"] and "sales/" in argv
    assert "spark.driver.maxResultSize=32m" in argv
    argv[argv.index("spark.driver.maxResultSize=32m")] = f"spark.driver.maxResultSize={RESULT_CAP}"
    duck = cvm.run([str(p) for p in paths], workspace=folder / "d.duckdb",
                   out=folder / "duck-results",
                   config=AnalysisConfig(as_of=AS_OF))
    env = {**os.environ, "CVM_SPARK_MASTER": spark_cluster.master_url,
           "CVM_SPARK_CONF": ("spark.sql.shuffle.partitions=2,"
                              f"spark.sql.autoBroadcastJoinThreshold={BROADCAST_CAP}")}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "cvm", "--quiet", *argv[1:], "--json"],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=900)
    print(f"cluster run: {time.perf_counter() - started:.1f} s")
    assert done.returncode == 0, done.stderr[-3000:]
    info = json.loads(done.stdout)
    from cvm.cli.summary import run_document

    duck_doc = run_document(duck, None, folder / "d.duckdb")
    for key in ("customers", "segments", "abc_classes", "lifecycle", "value_quadrants",
                "matrix_cells", "rows_read", "rows_loaded", "clv_model"):
        assert info[key] == duck_doc[key], key
    with Workspace(folder / "cluster.duckdb") as ws:
        spark = ws.result("customers")
        stored = ws.query("SELECT engine FROM runs")
        summary = ws.run_summary(ws.latest_run())["info"]
        assert ws.query("SELECT count(*) FROM transactions")[0][0] == 0  # nothing copied
    assert stored == [("spark",)]
    # the master and the --spark-conf setting reached the session
    assert summary["spark_master"] == spark_cluster.master_url
    assert summary["spark_conf"] == {"spark.sql.shuffle.partitions": "2",
                                     "spark.sql.autoBroadcastJoinThreshold": BROADCAST_CAP,
                                     "spark.driver.maxResultSize": RESULT_CAP}
    # the customer table stayed on the cluster up to the first stage that needs it in the driver
    assert summary["customers_collected_for"] is None  # every stage ran there
    # and it was written there: the per-customer results this process received are the
    # models' inputs (the CLV fit's six columns … the churn check's scores), never the table
    brought = summary["customers_brought_here"]
    assert 0 < brought["rows"] <= CUSTOMERS
    assert 6 <= brought["columns"] < spark.num_columns // 2
    a = duck.customers
    assert a.num_rows == CUSTOMERS
    assert_same_customers(a, spark)
    results = folder / "cluster-results"
    assert (results / "report.html").exists()
    # the results folder's files hold the table the workspace stored, in the run's order
    assert_same_customers(a, pq.read_table(results / "customers.parquet"))
    assert pq.read_table(results / "customers.parquet").column("customer_id").to_pylist() == \
        spark.column("customer_id").to_pylist() == a.column("customer_id").to_pylist()
    import pyarrow.csv as pacsv

    written = pacsv.read_csv(results / "customers.csv")
    duck_csv = pacsv.read_csv(folder / "duck-results" / "customers.csv")
    assert written.column_names == duck_csv.column_names == a.column_names
    assert written.column("customer_id").to_pylist() == a.column("customer_id").to_pylist()
    assert_same_customers(duck_csv, written)
