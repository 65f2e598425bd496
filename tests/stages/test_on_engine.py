"""Stages that leave the customer table on the engine (the stage contract's ``on_engine``): the
pieces on both engines with hand-made tables, and Spark runs that keep the table on the session
against the DuckDB run of the same log."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from engine_results import assert_same_customers, purchase_log

from cvm.config import ABCOptions, AnalysisConfig
from cvm.engine import get_engine
from cvm.features.pareto import pareto_from_table, pareto_summary
from cvm.pipeline import analyse, run
from cvm.stages import DEFAULT_STAGES, ChurnStage, CLVStage, FeatureStage, LifecycleStage
from cvm.stages.contract import collect_customers, join_columns, map_customers
from cvm.workspace import Workspace

AS_OF = dt.date(2024, 12, 31)


def assert_close(x, y, path=""):
    """The same nested figures, floats to 1e-9 relative (NaN equal to NaN)."""
    if isinstance(x, dict):
        assert isinstance(y, dict) and x.keys() == y.keys(), path
        for k in x:
            assert_close(x[k], y[k], f"{path}.{k}")
    elif isinstance(x, (list, tuple)):
        assert isinstance(y, (list, tuple)) and len(x) == len(y), path
        for i, (u, v) in enumerate(zip(x, y)):
            assert_close(u, v, f"{path}[{i}]")
    elif isinstance(x, float):
        assert isinstance(y, float), path
        assert (math.isnan(x) and math.isnan(y)) or math.isclose(
            x, y, rel_tol=1e-9, abs_tol=1e-12), (path, x, y)
    else:
        assert x == y, (path, x, y)


@pytest.fixture
def engine(engine_name, tmp_path):
    ws = Workspace(tmp_path / "ws.duckdb")
    eng = get_engine(engine_name, ws.con)
    yield eng
    eng.release()
    ws.close()


@pytest.mark.parametrize("values, classes", [
    # the doctest's case: Lorenz (0, 0, .1, .4, 1) → area .25, Gini .5; the top 20 % is the
    # top customer (ceil(0.8) = 1): 60 %
    ([60.0, 30.0, 10.0, 0.0], ["A", "B", "C", "C"]),
    # negative and missing values count as 0 on the curve, but in the class totals as they are
    ([50.0, None, -20.0, 50.0, 25.0], ["A", "C", "C", "A", "B"]),
    # no positive value at all: the diagonal, Gini 0, top share 0
    ([0.0, -5.0, None], ["A", "B", "C"]),
    ([7.5], ["A"]),
    # a positive total below 1 is still a curve (not the diagonal): Gini 1 − 2·(0.3 + 2·0.2 −
    # 0.25) / (2 · 0.5) = 0.1
    ([0.2, 0.3], ["B", "A"]),
])
def test_the_pareto_figures_from_aggregates_equal_those_from_every_value(engine, values,
                                                                         classes):
    table = engine.table(pa.table({"customer_id": [f"c{i}" for i in range(len(values))],
                                   "v": pa.array(values, pa.float64()), "abc_class": classes}),
                         "cvm_test_pareto")
    options = ABCOptions()
    expected = pareto_summary(np.array([np.nan if v is None else v for v in values]),
                              np.array(classes), options)
    got = pareto_from_table(table, "v", engine.to_arrow, options)
    assert_close(expected, got)
    if values[0] == 60.0:
        assert got["gini"] == pytest.approx(0.5) and got["top_value_share"] == pytest.approx(0.6)
    if values == [0.2, 0.3]:
        assert got["gini"] == pytest.approx(0.1) and got["top_value_share"] == pytest.approx(0.6)


def test_the_pareto_figures_at_two_hundred_and_one_customers(engine):
    """More customers than curve points: the curve is drawn at 201 positions of 201, and the
    top 20 % is ceil(40.2) = 41 customers."""
    rng = np.random.default_rng(5)
    values = np.round(rng.lognormal(3, 1, 201), 2)
    values[::17] = values[3]  # ties
    classes = np.where(np.arange(201) < 30, "A", np.where(np.arange(201) < 90, "B", "C"))
    table = engine.table(pa.table({"v": values, "abc_class": classes}), "cvm_test_pareto201")
    expected = pareto_summary(values, classes)
    got = pareto_from_table(table, "v", engine.to_arrow)
    assert len(got["lorenz"]) == 201
    assert_close(expected, got)
    top = np.sort(values)[::-1][:41].sum() / values.sum()
    assert got["top_value_share"] == pytest.approx(top, rel=1e-12)


def test_columns_join_on_the_engine_in_place_or_at_the_end(engine):
    customers = engine.table(pa.table({"customer_id": ["a", "b", "c"], "x": [1.0, 2.0, 3.0],
                                       "y": ["p", "q", "r"]}), "cvm_test_rows")
    extra = engine.table(pa.table({"customer_id": ["c", "a"], "x": [30.0, 10.0],
                                   "z": [True, False]}), "cvm_test_extra")
    joined = engine.to_arrow(join_columns(customers, extra).order_by("customer_id"))
    assert joined.column_names == ["customer_id", "x", "y", "z"]
    # b has no row: nulls, and its x is replaced by the null too
    assert joined.to_pylist() == [
        {"customer_id": "a", "x": 10.0, "y": "p", "z": False},
        {"customer_id": "b", "x": None, "y": "q", "z": None},
        {"customer_id": "c", "x": 30.0, "y": "r", "z": True}]


def doubling():
    """The transform of the next test, made in a function so that Spark's workers get it by
    value (they cannot import a test module)."""

    def doubled(batch: pa.RecordBatch, factor: float) -> pa.RecordBatch:
        x = batch.column("x").to_numpy(zero_copy_only=False)
        return pa.RecordBatch.from_arrays(
            [pa.array(x * factor), pa.array([f"{v:g}" for v in x], pa.string()),
             pa.array(x + 1)], names=["x2", "label", "x"])

    return doubled


def test_a_transform_runs_next_to_the_rows_and_keeps_the_columns_asked(engine):
    rows = engine.table(pa.table({"customer_id": ["a", "b", "c"], "x": [1.0, 2.0, 3.5],
                                  "helper": [9, 9, 9], "value_rank": pa.array([2, 1, None],
                                                                              pa.int64())}),
                        "cvm_test_batches")
    out = map_customers(engine, rows, ["x"], doubling(), 2.0,
                        keep=["customer_id", "x", "value_rank"])
    got = collect_customers(engine, out)
    # x replaced where it stands, x2 and label added at the end (types learnt from an empty
    # batch), the helper column left out; ordered by value rank, the row without one last
    assert got.schema.names == ["customer_id", "x", "value_rank", "x2", "label"]
    assert got.schema.field("label").type == pa.string()
    assert got.to_pylist() == [
        {"customer_id": "b", "x": 3.0, "value_rank": 1, "x2": 4.0, "label": "2"},
        {"customer_id": "a", "x": 2.0, "value_rank": 2, "x2": 2.0, "label": "1"},
        {"customer_id": "c", "x": 4.5, "value_rank": None, "x2": 7.0, "label": "3.5"}]


def test_rows_without_a_value_rank_come_last_in_the_order_of_their_ids(engine):
    rows = engine.table(pa.table({"customer_id": ["z", "m", "b", "a"],
                                  "value_rank": pa.array([None, 2, None, 1], pa.int64())}),
                        "cvm_test_order")
    assert collect_customers(engine, rows).column("customer_id").to_pylist() == [
        "a", "m", "b", "z"]


@pytest.fixture(scope="module")
def small_log(tmp_path_factory):
    folder = tmp_path_factory.mktemp("on-engine")
    path = folder / "sales.parquet"
    pq.write_table(purchase_log(300, seed=3), path)
    # a customer list: two of the buyers and three prospects (no purchase), one with a city
    people = folder / "people.csv"
    people.write_text("customer_id,name,city\nC0000001,Ann,Hangzhou\nC0000002,Bo,\n"
                      "P1,Cy,Suzhou\nP2,Di,\nP3,Ed,Hangzhou\n", encoding="utf-8")
    ws_path = folder / "ws.duckdb"
    run([str(path)], customers=[str(people)], workspace=ws_path, out=None,
        config=AnalysisConfig(as_of=AS_OF))
    return ws_path


class LifecycleHere(LifecycleStage):
    """The lifecycle stage as a stage without on-engine methods (a user's own stage would be):
    the run collects the customer table for it and goes on in this process."""

    on_engine = False


def test_on_duckdb_the_stages_kept_on_the_engine_give_the_numbers_of_the_stages_here(small_log):
    """The same code as on Spark, on DuckDB (``keep_on_engine``): the stages up to the
    lifecycle stage on the engine (its prospects appended there, its economics, history and
    flows from groupings there), the table collected for the value stage, every number as in a
    run that collects it after the features."""
    config = AnalysisConfig(as_of=AS_OF)
    stages = [LifecycleHere() if isinstance(s, LifecycleStage) else s
              for s in DEFAULT_STAGES]
    out = small_log.parent
    with Workspace(small_log) as ws:
        here = analyse(ws, config, out=out / "here")
        kept = analyse(ws, config, keep_on_engine=True)
        folder = analyse(ws, config, keep_on_engine=True, out=out / "kept")
        hybrid = analyse(ws, config, keep_on_engine=True, stages=stages)
        # every stage on the engine: the table was written there and stored from the files,
        # and this process has not read it yet
        assert not kept.customers_here and hybrid.customers_here
        assert kept.customer_rows == 303 and kept.customer_schema.equals(here.customers.schema)
        batches = list(kept.customer_batches(100))
        assert [b.num_rows for b in batches] == [100, 100, 100, 3]
    assert "customers_collected_for" not in here.info
    assert kept.info["customers_collected_for"] is None  # every stage on the engine
    # the run's figures from the aggregate there: the buyers (not the prospects), their spend
    assert kept.info["n_customers"] == here.info["n_customers"] == 300
    assert kept.info["total_value"] == pytest.approx(here.info["total_value"], rel=1e-12)
    assert here.info["total_value"] == pytest.approx(
        sum(here.customers.column("monetary_total").to_pylist()[:300]), rel=1e-12)
    assert 0 < kept.info["seconds"] < 600
    # read a part at a time after the workspace closed (opened again to read it)
    assert [b.num_rows for b in kept.customer_batches(250)] == [250, 53]
    # the per-customer results brought here: the models' inputs (every buyer; the widest, the
    # churn check's scores), not the table
    assert kept.info["customers_brought_here"] == {"rows": 300, "columns": 33,
                                                   "collected_rows": 0}
    # the results folder: the table's file as DuckDB wrote it for the workspace, the CSV from
    # the workspace a part at a time; the same files (the engine's sums may differ in their
    # last digit from one run to the next)
    import pyarrow.csv as pacsv

    assert (out / "kept" / "rejects.csv").read_bytes() == \
        (out / "here" / "rejects.csv").read_bytes()
    segments = [pacsv.read_csv(out / folder / "segments.csv").to_pydict()
                for folder in ("here", "kept")]
    assert_close(*segments)
    csv = [pacsv.read_csv(out / folder / "customers.csv") for folder in ("here", "kept")]
    assert csv[0].schema.equals(csv[1].schema) and csv[0].num_rows == 303
    assert_same_customers(*csv)
    written = [pq.read_table(out / folder / "customers.parquet") for folder in ("here", "kept")]
    assert written[0].schema.equals(written[1].schema)
    assert written[1].column("customer_id").equals(here.customers.column("customer_id"))
    assert_same_customers(*written)
    assert pq.ParquetFile(out / "kept" / "customers.parquet").metadata.created_by.startswith(
        "DuckDB")
    # the table that run stored in the workspace
    assert written[1].equals(pa.Table.from_batches(list(folder.customer_batches(1000))))
    # read after the workspace closed: opened again to read it
    assert pa.Table.from_batches(batches).equals(kept.customers)
    assert hybrid.info["customers_collected_for"] == "lifecycle"
    # the buyers, then the three prospects in the order of their ids, with their list fields
    assert here.customers.num_rows == 303
    tail = kept.customers.slice(300).select(["customer_id", "city", "lifecycle_stage",
                                             "first_purchase"]).to_pylist()
    assert [(r["customer_id"], r["city"], r["first_purchase"]) for r in tail] == [
        ("P1", "Suzhou", None), ("P2", None, None), ("P3", "Hangzhou", None)]
    assert {r["lifecycle_stage"] for r in tail} == {"prospect"}
    for run_ in (kept, hybrid):
        # the same types too: a column the churn stage's relation also gives
        # (n_purchase_days, as a float) stays the table's own
        assert here.customers.schema.equals(run_.customers.schema)
        assert_same_customers(here.customers, run_.customers)
        assert_close(here.pareto, run_.pareto)
        assert_close(here.info["stages"], run_.info["stages"])
    lifecycle = kept.info["stages"]["lifecycle"]
    assert lifecycle["n_prospects"] == 3 and sum(lifecycle["counts"].values()) == 303
    # every customer of the run is in one stage at each date of the history
    for day in {h["as_of"] for h in lifecycle["history"]}:
        assert sum(h["customers"] for h in lifecycle["history"] if h["as_of"] == day) == 303


def test_a_run_kept_on_duckdb_holds_two_files_and_no_temporary_table_at_each_stage(
        small_log):
    """Kept on DuckDB, a run caches the purchase days and each stage's table as Parquet files
    (DuckDB's temporary tables are held uncompressed): at the start of every stage the scratch
    folder holds the purchase days and the last stage's table, and no more (each stage's
    table, its relation and its batch outputs go once the next one is cached); nothing is
    left on the connection after the run, and the table is the one of the run here."""
    config = AnalysisConfig(as_of=AS_OF)
    with Workspace(small_log) as ws:
        eng = get_engine("duckdb", ws.con)
        seen = []

        def look(message):
            files = sorted(p.name for p in eng._scratch.iterdir()) if eng._scratch else []
            tables, views = ws.con.execute(
                "SELECT (SELECT count(*) FROM duckdb_tables() WHERE temporary), "
                "(SELECT count(*) FROM duckdb_views() WHERE temporary AND "
                "view_name LIKE 'cvm_%')").fetchone()
            seen.append((message, len(files), tables, views))

        kept = analyse(ws, config, engine=eng, keep_on_engine=True, progress=look)
        look("after")
        here = analyse(ws, config)
    steps = {m: rest for m, *rest in seen}
    assert len(seen) > 10 and steps["computing customer features"] == [1, 0, 1]
    assert {tuple(rest) for m, *rest in seen[1:-1]} == {(2, 0, 2)}, seen
    assert steps["after"] == [0, 0, 0]
    assert_same_customers(here.customers, kept.customers)


def test_on_duckdb_the_demo_kept_on_the_engine_gives_the_run_here(tmp_path):
    """The demo's customer list (cities, genders, prospects to score by their look-alikes),
    categories, service log and survey, every stage on the engine: the same table, the same figures
    (the value stage's scales fitted from passes and order statistics there, the matrix and
    its economics from groupings there)."""
    from cvm.demo import service_log_path, write_demo_data
    from cvm.interactions import load_interactions
    from cvm.satisfaction.demo import write_demo_survey
    from cvm.satisfaction.survey import load_survey

    write_demo_data(tmp_path, customers=250)
    # a category on each purchase line (the demo's log has none), for the category breadth
    log = tmp_path / "demo_transactions.csv"
    lines = log.read_text(encoding="utf-8").splitlines()
    log.write_text("\n".join([lines[0] + ",品类"] + [f"{line},cat{(i * 7) % 5}"
                                                       for i, line in enumerate(lines[1:])])
                   + "\n", encoding="utf-8")
    ws_path = tmp_path / "ws.duckdb"
    run(sorted(tmp_path.glob("*transactions*")), customers=sorted(tmp_path.glob("*customers*")),
        workspace=ws_path, out=None)
    with Workspace(ws_path) as ws:
        as_of = ws.query("SELECT max(purchase_date) FROM transactions")[0][0]
        config = AnalysisConfig(as_of=as_of)
        # the service log and a survey: the complaints and satisfaction stages on the engine
        load_interactions(ws, service_log_path(tmp_path), as_of=as_of)
        survey, definition = write_demo_survey(tmp_path, log)
        load_survey(ws, survey, definition=definition)
        here = analyse(ws, config)
        kept = analyse(ws, config, keep_on_engine=True)
    assert kept.info["customers_collected_for"] is None
    complaints = here.info["stages"]["complaints"]
    assert complaints["complaints"] > 0 and complaints["contacts"] > 0
    assert complaints["by_cell"] and complaints["by_stage"]
    assert here.info["stages"]["satisfaction"]["by"]
    value = here.info["stages"]["value"]
    # the parts that the scales fit: look-alike groups, category breadth
    assert value["lookalike_fields"]
    assert "category breadth" in value["sources"]["growth_potential"]
    assert here.info["stages"]["lifecycle"]["n_prospects"] > 0
    assert here.customers.schema.equals(kept.customers.schema)
    assert_same_customers(here.customers, kept.customers)
    assert_close(here.info["stages"], kept.info["stages"])


@pytest.mark.spark
def test_on_spark_the_stages_up_to_churn_leave_the_customers_on_the_session(
        spark_engine, small_log):
    stages = [FeatureStage(), CLVStage(), ChurnStage()]
    config = AnalysisConfig(as_of=AS_OF)
    with Workspace(small_log) as ws:
        duck = analyse(ws, config, stages=stages)
        spark = analyse(ws, config, stages=stages, engine="spark")
    assert "customers_collected_for" not in duck.info
    # the three stages ran on the session: the table reached this process only at the end
    assert spark.info["customers_collected_for"] is None
    assert duck.customers.num_rows == 300
    assert duck.customers.schema.equals(spark.customers.schema)
    # the customer list's fields joined on the session
    cities = dict(zip(spark.customers.column("customer_id").to_pylist(),
                      spark.customers.column("city").to_pylist()))
    assert (cities["C0000001"], cities["C0000002"]) == ("Hangzhou", None)
    assert_same_customers(duck.customers, spark.customers)
    assert_close(duck.pareto, spark.pareto)
    assert_close(duck.info["stages"], spark.info["stages"])
    assert spark.info["stages"]["clv"]["status"] == "fitted"
    churn = spark.info["stages"]["churn"]
    assert churn["status"] == "scored" and churn["validation"]["status"] == "validated"
    # the win-back ranks, by a window on the session: 1 … at-risk customers, ties sharing
    ranks = [r for r in spark.customers.column("winback_rank").to_pylist() if r is not None]
    assert len(ranks) == churn["at_risk_customers"] > 0 and min(ranks) == 1
    assert sum(d["customers"] for d in churn["risk_distribution"]) == churn["customers_scored"]


def test_a_run_kept_on_the_engine_in_a_closed_memory_workspace_says_its_table_is_gone():
    """The table of a run whose stages all ran on the engine is read from the workspace when
    asked for: a workspace in memory, once closed, has lost it, and the error says so."""
    from cvm.ingest.load import load_transactions
    from cvm.stages.contract import AnalysisError

    ws = Workspace(":memory:")
    load_transactions(ws, purchase_log(60, seed=5))
    result = analyse(ws, AnalysisConfig(as_of=AS_OF), keep_on_engine=True)
    assert result.customer_rows == 60 and not result.customers_here
    first = result.customers.slice(0, 3)  # read while it is open: kept from now on
    ws.close()
    assert result.customers.slice(0, 3).equals(first)
    ws = Workspace(":memory:")
    load_transactions(ws, purchase_log(60, seed=5))
    result = analyse(ws, AnalysisConfig(as_of=AS_OF), keep_on_engine=True)
    ws.close()
    with pytest.raises(AnalysisError, match="in memory and is closed"):
        result.customers
    with pytest.raises(AnalysisError, match="in memory and is closed"):
        next(result.customer_batches())


def test_the_written_table_s_figures_and_parts(tmp_path):
    """The figures a run takes of a table written on the engine, by hand: rows, buyers (every
    row when there is no first purchase date) and spend; none of an empty table; the parts of
    a stored table with no rows (one empty part, for the files' headers)."""
    from cvm.engine import get_engine
    from cvm.pipeline import RunResult, _buyer_figures, _StoredCustomers, _written_customers

    ws = Workspace(tmp_path / "ws.duckdb")
    eng = get_engine("duckdb", ws.con)
    try:
        rows = pa.table({"customer_id": ["b", "a", "c"], "monetary_total": [5.0, 2.5, 1.0],
                         "value_rank": [2, 1, None]})
        written = _written_customers(eng, eng.table(rows, "cvm_test_written"))
        assert (written["rows"], written["buyers"]) == (3, (3, 8.5))
        # in the run's order: by value rank, then the rows without one
        assert pq.read_table(written["path"]).column("customer_id").to_pylist() == ["a", "b", "c"]
        dated = rows.append_column("first_purchase", pa.array([AS_OF, None, AS_OF]))
        written = _written_customers(eng, eng.table(dated, "cvm_test_dated"))
        assert (written["rows"], written["buyers"]) == (3, (2, 6.0))
        empty = _written_customers(eng, eng.table(rows.slice(0, 0), "cvm_test_empty"))
        assert (empty["rows"], empty["buyers"]) == (0, (0, 0.0))
        assert _buyer_figures(dated) == (2, 6.0) and _buyer_figures(rows.slice(0, 0)) == (0, 0.0)
        ws.store_run(1, as_of=AS_OF, tables={}, summary={},
                     files={"customers": (empty["path"], empty["schema"])})
        result = RunResult(1, AS_OF, _StoredCustomers(ws, 1, empty["schema"]), pa.table({}),
                           {}, {}, customer_rows=0)
        parts = list(result.customer_batches())
        assert len(parts) == 1 and parts[0].num_rows == 0
        assert parts[0].schema.equals(empty["schema"])
        # a folder of part files (as Spark's executors write it), read in their order, with
        # the schema's types (a 32-bit rank there is the table's 64-bit one)
        folder = tmp_path / "parts"
        folder.mkdir()
        pq.write_table(rows.slice(0, 2).set_column(2, "value_rank", pa.array([2, 1], pa.int32())),
                       folder / "part-00000.parquet")
        pq.write_table(rows.slice(2), folder / "part-00001.parquet")
        ws.store_run(2, as_of=AS_OF, tables={}, summary={},
                     files={"customers": (folder, rows.schema)})
        assert ws.result("customers", 2).equals(rows)
    finally:
        eng.release()
        ws.close()


def test_a_run_s_table_is_read_while_another_process_reads_the_workspace(small_log, tmp_path):
    """The table of a run kept on the engine, asked for after the workspace closed, is read
    from a read-only opening: a dashboard reading the workspace in another process does not
    stop it."""
    import shutil
    import subprocess
    import sys

    path = tmp_path / "copy.duckdb"
    shutil.copy(small_log, path)
    with Workspace(path) as ws:
        result = analyse(ws, AnalysisConfig(as_of=AS_OF), keep_on_engine=True)
    reader = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time\n"
         f"con = duckdb.connect({str(path)!r}, read_only=True)\n"
         "print('open', flush=True)\ntime.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "open"
        assert result.customers.num_rows == 303
    finally:
        reader.kill()
        reader.wait()
