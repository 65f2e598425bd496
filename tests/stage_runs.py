"""A small hand-made workspace for the lifecycle, value and matrix stages (and the report's
sections of them): seven customers whose stages, cells and economics are worked out by hand in
``tests/stages/test_lifecycle_value_matrix.py``; shared with the segment, report and CLI tests
as a plugin of ``tests/conftest.py``."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from cvm.config import AnalysisConfig
from cvm.pipeline import run
from cvm.stages import FeatureStage, LifecycleStage, MatrixStage, Stage, ValueStage

AS_OF = dt.date(2024, 12, 31)
P4, P3, P2, P1, P0 = "2023-11-01", "2024-02-01", "2024-05-01", "2024-08-01", "2024-11-01"
TRANSACTIONS = [
    ("trial", "2024-06-01", 80, ""),
    ("newbie", "2024-11-01", 50, ""), ("newbie", "2024-12-01", 60, ""),
    *[("steady", d, 100, 40) for d in (P4, P3, P2, P1, P0)],
    *[("faller", d, 200, "") for d in (P4, P3, P2, P1)], ("faller", P0, 50, ""),
    ("gone", "2023-06-01", 100, ""), ("gone", "2023-10-01", 100, ""),
]
LIST = [("trial", "Ann", "Zhao"), ("steady", "Bo", "Zhao"), ("faller", "Cy", "Qian"),
        ("pros", "Di", "Qian"), ("pros2", "Ed", "")]
OURS = [FeatureStage(), LifecycleStage(), ValueStage(), MatrixStage()]


@pytest.fixture
def as_of() -> dt.date:
    """The as-of date of the hand-made runs."""
    return AS_OF


@pytest.fixture
def files(tmp_path):
    """The transactions and the customer list of the hand-made workspace."""
    tx = tmp_path / "sales.csv"
    tx.write_text("customer,date,amount,margin\n" + "".join(
        f"{c},{d},{a},{m}\n" for c, d, a, m in TRANSACTIONS), encoding="utf-8")
    cust = tmp_path / "list.csv"
    cust.write_text("customer,name,owner\n" + "".join(f"{c},{n},{o}\n" for c, n, o in LIST),
                    encoding="utf-8")
    return tx, cust


class _FakeCLV(Stage):
    """Stands in for the CLV stage: P(alive) and CLV by hand."""

    name = "clv"

    def transform(self, batch, state):
        ids = batch.column("customer_id").to_pylist()
        alive = {"steady": 0.05, "trial": 0.05, "newbie": 0.9, "faller": 0.5, "gone": 0.01}
        clv = {"steady": 10.0, "trial": 300.0, "newbie": 900.0, "faller": 100.0, "gone": 0.0}
        return pa.RecordBatch.from_pydict({
            "probability_alive": [alive[i] for i in ids], "clv": [clv[i] for i in ids],
            "potential_value": [clv[i] for i in ids]})


@pytest.fixture
def our_stages():
    """The stages of the hand-made runs: features, lifecycle, value and matrix."""
    return list(OURS)


@pytest.fixture
def run_stages(files, tmp_path):
    """``run_stages(config=None, *, with_clv=False, name="ws.duckdb")``: a run of the files
    into ``tmp_path / name`` with the feature, lifecycle, value and matrix stages only (after a
    CLV stage with P(alive) and CLV set by hand when ``with_clv``)."""
    def run_stages_(config=None, *, with_clv=False, name="ws.duckdb"):
        stages = [OURS[0], _FakeCLV(), *OURS[1:]] if with_clv else OURS
        tx, cust = files
        return run([tx], customers=[cust], workspace=tmp_path / name, out=None,
                   config=config or AnalysisConfig(as_of=AS_OF), stages=stages)
    return run_stages_
