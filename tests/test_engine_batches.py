"""Functions over Arrow record batches on the engine (:meth:`cvm.engine.Engine.map_batches`):
DuckDB streams bounded batches in this process, Spark runs the same function on the executors;
the CLV stage's scoring runs through it on Spark and gives DuckDB's numbers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from cvm.engine import duckdb_engine

SCHEMA = pa.schema([("customer_id", pa.string()), ("double_amount", pa.float64()),
                    ("band", pa.string())])


def doubling():
    """A batch function (made here so that Spark pickles it by value: the executors cannot
    import a test module)."""

    def doubled(batch: pa.RecordBatch) -> pa.RecordBatch:
        amount = batch.column("amount")
        return pa.RecordBatch.from_arrays(
            [batch.column("customer_id"), pc.multiply(amount, 2.0),
             pc.if_else(pc.greater(amount, 50.0), "high", "low")], schema=SCHEMA)

    return doubled


def test_duckdb_streams_batches_of_bounded_size(tmp_path):
    eng = duckdb_engine()
    n = 10_000
    table = eng.table(pa.table({"customer_id": [f"c{i}" for i in range(n)],
                                "amount": np.arange(n, dtype=float) / 100}), "cvm_amounts")
    sizes = []

    def counted(batch):
        sizes.append(batch.num_rows)
        return doubling()(batch)

    out = eng.to_arrow(eng.map_batches(table, counted, SCHEMA, batch_rows=1024))
    assert max(sizes) <= 1024 and sum(sizes) == n and len(sizes) >= 10
    doubled = dict(zip(out.column("customer_id").to_pylist(),
                       out.column("double_amount").to_pylist()))
    assert doubled == {f"c{i}": 2 * (i / 100) for i in range(n)}
    assert pc.sum(pc.equal(out.column("band"), "high")).as_py() == n - 5001
    eng.release()


def test_spark_applies_the_same_function_on_the_executors(spark_engine, tmp_path):
    import pyarrow.dataset as ds

    data = pa.table({"customer_id": [f"c{i}" for i in range(500)],
                     "amount": np.linspace(0, 100, 500)})
    results, written = [], []
    for eng in (duckdb_engine(), spark_engine):
        table = eng.table(data, "cvm_amounts_both")
        mapped = eng.map_batches(table, doubling(), SCHEMA)
        results.append(eng.to_arrow(mapped).sort_by("customer_id"))
        # the mapped rows as Parquet: one file from DuckDB, part files from Spark's executors
        eng.write_parquet(mapped, tmp_path / eng.name)
        written.append(ds.dataset(tmp_path / eng.name).to_table().sort_by("customer_id"))
    assert results[0].equals(results[1])
    assert results[1].schema.equals(SCHEMA)
    assert written[0].equals(results[0]) and written[1].equals(results[0])
    assert (tmp_path / "duckdb").is_file() and list((tmp_path / "spark").glob("part-*.parquet"))


def test_the_clv_scoring_gives_the_same_numbers_on_duckdb_and_spark(spark_engine, workspace):
    from cvm.config import AnalysisConfig
    from cvm.features.summary import purchase_days
    from cvm.stages import CLVStage, FeatureStage
    from cvm.models.lifetime_value import value_columns
    from cvm.stages.contract import Stage, StageContext

    rng = np.random.default_rng(5)
    n = 400
    ids = rng.integers(0, 120, n)
    days = rng.integers(0, 700, n)
    log = pa.table({
        "customer_id": [f"k{i:03d}" for i in ids],
        "purchase_date": pa.array([dt.date(2023, 1, 1) + dt.timedelta(days=int(d)) for d in days],
                                  pa.date32()),
        "amount": np.round(rng.lognormal(3, 0.5, n), 2),
        "margin": pa.nulls(n, pa.float64()), "cost": pa.nulls(n, pa.float64()),
        "category": pa.nulls(n, pa.string())})
    as_of = dt.date(2024, 12, 31)
    config = AnalysisConfig(as_of=as_of)

    def context(eng):
        txns = eng.table(log, "cvm_clv_log")
        return StageContext(workspace, eng, config, as_of, txns, eng.cache(purchase_days(txns)))

    duck = duckdb_engine()
    ctx = context(duck)
    customers = FeatureStage().run(ctx, pa.table({"customer_id": pa.array([], pa.string())}))
    customers = customers.customers
    # the batches in this process (the stage contract's run): the reference
    reference = Stage.run(CLVStage(), ctx, customers).customers
    reference = reference.take(pc.sort_indices(reference.column("customer_id")))
    columns = list(value_columns(config.clv))

    def on_engine(eng):
        """The features and CLV stages with the table left on the engine: the fit from the
        summary columns brought here, the scoring next to the data."""
        here = context(eng)
        features = FeatureStage().run_on_engine(here, None).customers
        scored = CLVStage().run_on_engine(here, features).customers
        return eng.to_arrow(scored.select("customer_id", *columns))

    scored = {"duckdb": on_engine(duck), "spark": on_engine(spark_engine)}
    duck.release()
    spark_engine.release()
    assert "clv" in columns and "probability_alive" in columns
    assert reference.num_rows == 120 - np.setdiff1d(np.arange(120), ids).size
    for name, table in scored.items():
        table = table.sort_by("customer_id")
        assert table.column("customer_id").equals(reference.column("customer_id")), name
        for c in columns:
            np.testing.assert_allclose(table.column(c).to_numpy(zero_copy_only=False),
                                       reference.column(c).to_numpy(zero_copy_only=False),
                                       rtol=1e-9, atol=1e-12, err_msg=f"{name} {c}")


def test_tables_reach_a_spark_cluster_as_arrow_batches_not_files(spark_engine, tmp_path):
    """On a cluster the executors cannot read this machine's files: tables handed to the engine
    go to the session as Arrow batches, and nothing is written to the scratch folder for them
    (the rows per customer read back are written there by the executors, and removed once
    read: :meth:`cvm.engine.Engine.to_arrow`)."""
    import dataclasses
    import decimal

    from cvm.engine import Engine
    from cvm.workspace import Workspace

    assert spark_engine.shares_files  # the tests' session runs in local mode
    shipped = dataclasses.replace(spark_engine, ship_arrow=True, _scratch=None, _cached=[])
    assert not shipped.shares_files
    data = pa.table({"customer_id": ["a", "b", None],
                     "day": pa.array([dt.date(2024, 2, 29), dt.date(1899, 12, 31), None]),
                     "amount": [0.1 + 0.2, float("nan"), None],
                     "price": pa.array([decimal.Decimal("12.30"), None, decimal.Decimal("-0.05")],
                                       pa.decimal128(12, 2))})
    viaparquet = spark_engine.to_arrow(spark_engine.table(data, "cvm_shipped_files"))
    handed = shipped.table(data, "cvm_shipped_arrow")
    # no file for the table handed over, nor for an aggregate of it (collected)
    assert shipped.to_arrow(handed.aggregate(n=handed.count())).to_pylist() == [{"n": 3}]
    assert shipped._scratch is None
    viaarrow = shipped.to_arrow(handed)
    assert viaarrow.equals(viaparquet) and viaarrow.to_pylist()[0]["amount"] == 0.1 + 0.2
    assert viaarrow.column("price").to_pylist() == [decimal.Decimal("12.30"), None,
                                                    decimal.Decimal("-0.05")]
    with Workspace(tmp_path / "w.duckdb") as ws:
        ws.con.execute("INSERT INTO transactions (source, source_customer_id, purchase_date, "
                       "amount, margin, cost, category) VALUES "
                       "('pos', 'c1', DATE '2024-01-02', 10.5, 3.0, 7.5, 'tea')")
        loaded = shipped.transactions(ws)
        assert not list(shipped._scratch.iterdir())  # none for the transactions either
        rows = shipped.to_arrow(loaded).to_pylist()
    assert rows == [{"customer_id": "c1", "purchase_date": dt.date(2024, 1, 2),
                     "amount": 10.5, "margin": 3.0, "cost": 7.5, "category": "tea"}]
    assert not list(shipped._scratch.iterdir()) and isinstance(shipped, Engine)


def test_the_cached_tables_nothing_reads_any_more_are_dropped(engine_name, workspace):
    """A run drops each stage's cached table once the next stage's table is made: the tables
    the kept expressions read (directly, or under a filter, a cast, a join) stay, the others
    go, and an Arrow table among the kept ones reads none."""
    import pyarrow as pa

    from cvm.engine import get_engine

    eng = get_engine(engine_name, workspace.con)
    try:
        base = eng.table(pa.table({"customer_id": ["a", "b", "c"], "x": [1.0, 2.0, 3.0]}),
                         "cvm_test_release")
        first = eng.cache(base.mutate(y=base.x * 2))
        second = eng.cache(first.mutate(z=first.y + 1))
        third = eng.cache(base.mutate(w=base.x - 1))
        assert len(eng._cached) == 3
        # the second stage's table under a filter, and a join with the third
        kept = second.filter(second.z > 3).join(third, "customer_id")
        eng.release_unused(kept, pa.table({"a": [1]}))
        assert len(eng._cached) == 2
        assert sorted(eng.to_arrow(kept).column("z").to_pylist()) == [5.0, 7.0]
        with pytest.raises(Exception):  # the first stage's table is gone
            eng.to_arrow(first)
        eng.release_unused(third.select("customer_id", "w"))
        assert len(eng._cached) == 1
        assert eng.to_arrow(third).column("w").to_pylist() == [0.0, 1.0, 2.0]
        eng.release_unused()
        assert eng._cached == []
    finally:
        eng.release()


def _temporary(con) -> tuple[int, list[str]]:
    """The connection's temporary tables, and its views of cvm's files."""
    tables = con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone()[0]
    views = con.execute("SELECT view_name FROM duckdb_views() WHERE temporary AND "
                        "view_name LIKE 'cvm_%' ORDER BY 1").fetchall()
    return tables, [v[0] for v in views]


def test_under_its_streaming_limit_duckdb_caches_in_files_removed_once_unread(workspace):
    """Under the streaming limit a cached table is a Parquet file in the scratch folder, not a
    temporary table DuckDB holds uncompressed; the files of the cached tables and of the
    batch outputs that no kept expression reads go with their views, the others stay; outside
    the block a cached table is a temporary table again."""
    eng = duckdb_engine(workspace.con)
    try:
        base = eng.table(pa.table({"customer_id": ["a", "b", "c"], "amount": [10.0, 60.0, 30.0]}),
                         "cvm_test_amounts")
        assert _temporary(workspace.con) == (1, [])  # the table handed over
        with eng.streaming_memory():
            first = eng.cache(base.mutate(y=base.amount * 2))
            doubled = eng.map_batches(first, doubling(), SCHEMA)
            second = eng.cache(doubled.join(first, "customer_id"))
            assert _temporary(workspace.con)[0] == 1
            files = sorted(p.name for p in eng._scratch.iterdir())
            assert files == ["cvm_batches.parquet", "cvm_cached-2.parquet",
                             "cvm_cached.parquet"]
            assert eng.to_arrow(second.order_by("customer_id")).to_pydict() == {
                "customer_id": ["a", "b", "c"], "double_amount": [20.0, 120.0, 60.0],
                "band": ["low", "high", "low"], "amount": [10.0, 60.0, 30.0],
                "y": [20.0, 120.0, 60.0]}
            # the second table under a filter is kept; the first one and the batches are not
            kept = second.filter(second.y > 30)
            eng.release_unused(kept)
            assert sorted(p.name for p in eng._scratch.iterdir()) == ["cvm_cached-2.parquet"]
            assert _temporary(workspace.con) == (1, ["cvm_cached-2"])
            assert eng.to_arrow(kept).num_rows == 2
            with pytest.raises(Exception):  # the first table's view is gone with its file
                eng.to_arrow(first)
        third = eng.cache(base.mutate(z=base.amount + 1))
        assert _temporary(workspace.con)[0] == 2 and len(list(eng._scratch.iterdir())) == 1
        assert eng.to_arrow(third).column("z").to_pylist() == [11.0, 61.0, 31.0]
    finally:
        eng.release()
    assert _temporary(workspace.con) == (1, [])
    assert eng._scratch is None and eng._batch_files == {}


def test_the_engine_counts_the_per_customer_rows_it_brings_here(engine_name, workspace):
    """What a run records as ``customers_brought_here``: the most rows and the most columns of
    the results with a ``customer_id`` column that single queries brought to this process, and
    the most rows one result collected through Spark's driver had."""
    from cvm.engine import get_engine

    eng = get_engine(engine_name, workspace.con)
    try:
        assert (eng.customer_rows_here, eng.customer_columns_here) == (0, 0)
        t = eng.table(pa.table({"customer_id": ["a", "b", "c"], "x": [1.0, 2.0, 3.0]}),
                      "cvm_test_rows")
        assert eng.to_arrow(t.aggregate(n=t.count())).column("n").to_pylist() == [3]
        assert eng.to_arrow(t.filter(t.x > 5)).num_rows == 0
        assert (eng.customer_rows_here, eng.customer_columns_here) == (0, 0)
        eng.to_arrow(t.filter(t.x > 1).select("customer_id"))
        assert (eng.customer_rows_here, eng.customer_columns_here) == (2, 1)
        eng.to_arrow(t.filter(t.x > 2))  # fewer rows, more columns: each its own most
        assert (eng.customer_rows_here, eng.customer_columns_here) == (2, 2)
        # rows without a customer_id: on Spark collected through the driver, and counted so
        assert eng.rows_collected == (1 if engine_name == "spark" else 0)
        eng.to_arrow(t.select("x"))
        assert eng.rows_collected == (3 if engine_name == "spark" else 0)
        assert (eng.customer_rows_here, eng.customer_columns_here) == (2, 2)
    finally:
        eng.release()


def test_on_spark_rows_per_customer_come_through_files_in_their_order(spark_engine):
    """A result with ``customer_id`` is written by the executors and read here (never collected
    through the driver, whose result size Spark caps): the same rows, in the expression's
    order, with the expression's types, across several part files; the files go once read."""
    n = 3000
    data = pa.table({"customer_id": [f"c{i:05d}" for i in range(n)],
                     "amount": np.arange(n, dtype=float) % 97,
                     "visits": pa.array(np.arange(n) % 13, pa.int64())})
    eng = spark_engine
    table = eng.table(data, "cvm_fetched_rows")
    expr = table.order_by([table.amount.desc(), table.customer_id])
    from cvm.engine import spark_session

    conf = spark_session().conf
    kept = {k: conf.get(k) for k in ("spark.sql.shuffle.partitions",
                                     "spark.sql.adaptive.coalescePartitions.enabled")}
    conf.set("spark.sql.shuffle.partitions", "4")  # four part files, in order
    conf.set("spark.sql.adaptive.coalescePartitions.enabled", "false")
    try:
        out = eng.to_arrow(expr)
    finally:
        for k, v in kept.items():
            conf.set(k, v)
    want = sorted(data.to_pylist(), key=lambda r: (-r["amount"], r["customer_id"]))
    assert out.schema == expr.schema().to_pyarrow()
    assert out.column("customer_id").to_pylist() == [r["customer_id"] for r in want]
    assert out.column("visits").to_pylist() == [r["visits"] for r in want]
    assert eng.customer_rows_here >= n
    assert not list(eng._scratch.glob("fetched*"))  # read, then removed
    # a result without customers (an aggregate) is collected: no file is written for it
    before = sorted(eng._scratch.iterdir())
    total = eng.to_arrow(table.aggregate(n=table.count(), spend=table.amount.sum()))
    assert total.to_pylist() == [{"n": n, "spend": float(data.column("amount").to_numpy().sum())}]
    assert sorted(eng._scratch.iterdir()) == before
    # no rows: the expression's empty table
    empty = eng.to_arrow(expr.filter(expr.amount < 0))
    assert empty.num_rows == 0 and empty.schema == expr.schema().to_pyarrow()
