"""A small hand-made workspace for the lifecycle, value and matrix stages (and the report's
sections of them): seven customers whose stages, cells and economics are worked out by hand in
``test_stages.py``."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

import cvm.pipeline as pipeline
from cvm.config import AnalysisConfig
from cvm.pipeline import StageResult, run
from cvm.segments.stages import lifecycle_stage, matrix_stage, value_stage

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
OURS = [("lifecycle", lifecycle_stage), ("value", value_stage), ("matrix", matrix_stage)]


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


def _fake_clv(ctx, customers):
    """Stands in for the CLV stage: P(alive) and CLV by hand."""
    ids = customers.column("customer_id").to_pylist()
    alive = {"steady": 0.05, "trial": 0.05, "newbie": 0.9, "faller": 0.5, "gone": 0.01}
    clv = {"steady": 10.0, "trial": 300.0, "newbie": 900.0, "faller": 100.0, "gone": 0.0}
    out = customers.append_column("probability_alive", pa.array([alive[i] for i in ids]))
    out = out.append_column("clv", pa.array([clv[i] for i in ids]))
    return StageResult(out.append_column("potential_value", pa.array([clv[i] for i in ids])))


@pytest.fixture
def run_stages(files, tmp_path, monkeypatch):
    """``run_stages(config=None, *, with_clv=False, name="ws.duckdb")``: a run of the files
    into ``tmp_path / name`` with the lifecycle, value and matrix stages only (after a CLV stage
    with P(alive) and CLV set by hand when ``with_clv``); later analyses in the same test use
    the same stages."""
    def run_stages_(config=None, *, with_clv=False, name="ws.duckdb"):
        stages = [("clv", _fake_clv), *OURS] if with_clv else OURS
        monkeypatch.setattr(pipeline, "STAGES", list(stages))
        tx, cust = files
        return run([tx], customers=[cust], workspace=tmp_path / name, out=None,
                   config=config or AnalysisConfig(as_of=AS_OF))
    return run_stages_
