"""The stage contract: batches of any size give the same run, the row rules are enforced, a
missing column is named, the value column is stored with the run, and the engine's scratch
folder goes with the run."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

from cvm.config import ABCOptions, AnalysisConfig, stored_value_column
from cvm.demo import write_demo_data
from cvm.identity import unify
from cvm.ingest.load import load_transactions
from cvm.pipeline import analyse, run
from cvm.stages import DEFAULT_STAGES, FeatureStage, Stage, StageResult
from cvm.stages.contract import AnalysisError, apply_batches
from cvm.workspace import Workspace


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    write_demo_data(folder, customers=400)
    return folder


def _run(demo, path, stages=None, config=None):
    return run(sorted(demo.glob("*transactions*")), customers=sorted(demo.glob("*customers*")),
               workspace=path, out=None, stages=stages, config=config)


def test_apply_batches_hands_each_batch_over_once_in_order():
    seen = []

    def double(batch, state):
        seen.append(batch.num_rows)
        return pa.RecordBatch.from_arrays([pa.array([v * state for v in batch["x"].to_pylist()])],
                                          names=["y"])

    out = apply_batches(double, pa.table({"x": list(range(10))}), 2, batch_rows=4)
    assert seen == [4, 4, 2]
    assert out.column("y").to_pylist() == [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]
    seen.clear()
    apply_batches(double, pa.table({"x": list(range(10))}), 2, batch_rows=None)
    assert seen == [10]


def test_every_stage_gives_the_same_run_in_small_batches(demo, tmp_path):
    small = []
    for stage in DEFAULT_STAGES:
        copy = type(stage)()
        copy.batch_rows = 7 if stage.batch_rows is not None else None
        small.append(copy)
    whole = _run(demo, tmp_path / "whole.duckdb")
    batched = _run(demo, tmp_path / "batched.duckdb", stages=small)
    assert whole.info["stages"]["clv"]["status"] == "fitted"
    # two runs may sum the same purchases in another order on DuckDB's threads, and the spend
    # model's optimiser then stops a few 1e-10 away (expected_average_spend 164.70583633 against
    # 164.70583634): numbers agree to 1e-8, everything else exactly
    assert batched.customers.column_names == whole.customers.column_names
    for name in whole.customers.column_names:
        a, b = whole.customers.column(name), batched.customers.column(name)
        if pa.types.is_floating(a.type):
            assert a.is_null().equals(b.is_null()), name
            x = a.to_numpy(zero_copy_only=False)
            y = b.to_numpy(zero_copy_only=False)
            assert np.allclose(x, y, rtol=1e-8, atol=1e-10, equal_nan=True), name
        else:
            assert a.equals(b), name
    def cells(result):
        return [(c["cell"], c["customers"]) for c in result.info["stages"]["matrix"]["cells"]]

    assert cells(batched) == cells(whole)
    assert batched.info["stages"]["lifecycle"]["counts"] == \
        whole.info["stages"]["lifecycle"]["counts"]
    assert batched.info["stages"]["value"]["quadrants"] == \
        whole.info["stages"]["value"]["quadrants"]
    assert batched.pareto["gini"] == pytest.approx(whole.pareto["gini"], rel=1e-12)


class _DropsARow(Stage):
    name = "drops"

    def finish(self, ctx, customers, state):
        return StageResult(customers.slice(1))


class _NeedsChurn(Stage):
    name = "needs_churn"
    needs = ("churn_risk",)


def test_a_stage_that_drops_a_customer_fails_the_run(demo, tmp_path):
    with pytest.raises(AnalysisError, match="stage drops changed the number of customers"):
        _run(demo, tmp_path / "ws.duckdb", stages=[FeatureStage(), _DropsARow()])
    with Workspace(tmp_path / "ws.duckdb") as ws:
        assert [r["status"] for r in ws.runs()] == ["failed"]


def test_a_missing_column_is_named(demo, tmp_path):
    with pytest.raises(AnalysisError, match="stage needs_churn needs the column.s. churn_risk"):
        _run(demo, tmp_path / "ws.duckdb", stages=[FeatureStage(), _NeedsChurn()])


def test_the_value_column_is_stored_with_the_run(tmp_path):
    sales = tmp_path / "sales.csv"
    sales.write_text("customer,date,amount,margin\nx,2024-05-01,100,10\ny,2024-05-02,50,40\n"
                     "z,2024-05-03,20,5\n", encoding="utf-8")
    ranks = {}
    for measure in ("revenue", "margin"):
        config = AnalysisConfig(abc=ABCOptions(measure=measure))
        result = run(sales, workspace=tmp_path / f"{measure}.duckdb", out=None, config=config,
                     stages=[FeatureStage()])
        with Workspace(tmp_path / f"{measure}.duckdb") as ws:
            stored = json.loads(ws.query("SELECT config FROM runs WHERE run_id = ?",
                                         [result.run_id])[0][0])
        ranks[stored_value_column(stored)] = {
            r["customer_id"]: r["value_rank"] for r in result.customers.to_pylist()}
    # the ABC ranking sorted the stored column: by revenue x, y, z; by margin y, x, z
    assert ranks == {"monetary_total": {"x": 1, "y": 2, "z": 3},
                     "margin_total": {"y": 1, "x": 2, "z": 3}}
    # runs stored before the column was kept: their measure decides
    assert stored_value_column({"abc": {"measure": "margin"}}) == "margin_total"
    assert stored_value_column({"abc": {"measure": "revenue"}}) == "monetary_total"
    assert stored_value_column(None) == "monetary_total"


def test_the_spark_scratch_folder_goes_with_the_run(demo, tmp_path, spark_engine):
    with Workspace(tmp_path / "ws.duckdb") as ws:
        load_transactions(ws, sorted(demo.glob("*transactions*"))[0])
        unify(ws)
        spark_engine.transactions(ws)
        scratch = spark_engine._scratch
        assert scratch is not None and any(scratch.iterdir())
        spark_engine.release()
        assert not scratch.exists()
        spark = analyse(ws, engine=spark_engine, stages=[FeatureStage()])
        assert spark_engine._scratch is None
        duck = analyse(ws, stages=[FeatureStage()])
        assert spark.customers.column("customer_id").equals(duck.customers.column("customer_id"))
