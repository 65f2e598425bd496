"""The worked example of docs/architecture.md: a new stage added to a run without touching cvm.

``PurchaseGapStage`` adds each customer's average days between purchases, their largest purchase
day (from the engine) and whether they buy more slowly than the typical customer (a global
figure, fitted first); it stores a small table and a figure with the run."""

from __future__ import annotations

import datetime as dt
import statistics

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from cvm.config import AnalysisConfig
from cvm.pipeline import run
from cvm.stages import FeatureStage, Stage, StageResult
from cvm.workspace import Workspace

AS_OF = dt.date(2024, 12, 31)
SALES = [("a", "2024-01-01", 100), ("a", "2024-07-01", 50), ("a", "2024-12-01", 30),
         ("b", "2024-06-01", 200), ("b", "2024-06-11", 20),
         ("c", "2024-12-30", 10)]


class PurchaseGapStage(Stage):
    name = "purchase_gap"
    needs = ("frequency", "tenure_days", "recency_days")

    def adds(self, config):
        return ("purchase_gap_days", "largest_day_amount", "slower_than_usual")

    def relation(self, ctx, customers):
        # relational part, on the engine: one row per customer
        days = ctx.days
        return days.group_by("customer_id").aggregate(largest_day_amount=days.day_amount.max())

    def fit(self, ctx, rows):
        # global state, from every customer: the median gap (plain data, it goes to the batches)
        gaps = [g for g in pc.divide(
            pc.subtract(rows["tenure_days"], rows["recency_days"]).cast(pa.float64()),
            pc.if_else(pc.greater(rows["frequency"], 0), rows["frequency"], None)).to_pylist()
            if g is not None]
        return {"median_gap": statistics.median(gaps) if gaps else None}

    def transform(self, batch, state):
        # numeric part: row by row, whatever the batch
        span = pc.subtract(batch["tenure_days"], batch["recency_days"]).cast(pa.float64())
        repeats = pc.if_else(pc.greater(batch["frequency"], 0), batch["frequency"], None)
        gap = pc.divide(span, repeats.cast(pa.float64()))
        slower = (pc.greater(gap, state["median_gap"]) if state["median_gap"] is not None
                  else pa.nulls(batch.num_rows, pa.bool_()))
        return pa.RecordBatch.from_arrays(
            [gap, batch["largest_day_amount"], slower],
            names=["purchase_gap_days", "largest_day_amount", "slower_than_usual"])

    def finish(self, ctx, customers, state):
        counts = pc.value_counts(customers["slower_than_usual"]).to_pylist()
        table = pa.table({"slower_than_usual": [c["values"] for c in counts],
                          "customers": [c["counts"] for c in counts]})
        return StageResult(customers, tables={"purchase_gaps": table},
                           summary={"median_gap_days": state["median_gap"]})


@pytest.fixture
def sales(tmp_path):
    path = tmp_path / "sales.csv"
    path.write_text("customer,date,amount\n" + "".join(f"{c},{d},{a}\n" for c, d, a in SALES),
                    encoding="utf-8")
    return path


def test_a_new_stage_runs_with_the_given_list(sales, tmp_path):
    stages = [FeatureStage(), PurchaseGapStage()]
    result = run(sales, workspace=tmp_path / "ws.duckdb", out=None, stages=stages,
                 config=AnalysisConfig(as_of=AS_OF))
    rows = {r["customer_id"]: r for r in result.customers.to_pylist()}
    # a: first purchase 1 Jan, last 1 Dec — 335 days over 2 repeat purchases; b: 10 days over 1;
    # c bought once. The median gap is (167.5 + 10) / 2 = 88.75.
    assert {c: r["purchase_gap_days"] for c, r in rows.items()} == {"a": 167.5, "b": 10.0,
                                                                     "c": None}
    assert {c: r["largest_day_amount"] for c, r in rows.items()} == {"a": 100.0, "b": 200.0,
                                                                      "c": 10.0}
    assert {c: r["slower_than_usual"] for c, r in rows.items()} == {"a": True, "b": False,
                                                                     "c": None}
    assert result.info["stages"] == {"purchase_gap": {"median_gap_days": 88.75}}
    with Workspace(tmp_path / "ws.duckdb") as ws:
        stored = {r["slower_than_usual"]: r["customers"]
                  for r in ws.result("purchase_gaps").to_pylist()}
        assert ws.result("customers").column("slower_than_usual").to_pylist() == \
            result.customers.column("slower_than_usual").to_pylist()
    assert stored == {True: 1, False: 1, None: 1}


def test_the_batches_give_the_same_columns_whatever_their_size(sales, tmp_path):
    small = PurchaseGapStage()
    small.batch_rows = 1
    one = run(sales, workspace=tmp_path / "one.duckdb", out=None, config=AnalysisConfig(as_of=AS_OF),
              stages=[FeatureStage(), small])
    whole = run(sales, workspace=tmp_path / "whole.duckdb", out=None,
                config=AnalysisConfig(as_of=AS_OF), stages=[FeatureStage(), PurchaseGapStage()])
    assert one.customers.equals(whole.customers)
