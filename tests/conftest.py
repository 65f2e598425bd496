"""Shared fixtures: the engine fixture runs a test on DuckDB and on a local Spark session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# the shared data folder sits beside the checkout; CVM_SHARED_DATA points elsewhere
SHARED_DATA = Path(os.environ.get("CVM_SHARED_DATA") or REPO.parent / "shared" / "data")
TEST_DATA = Path(__file__).resolve().parent / "data"


def transactions_table(rows):
    """Canonical transactions from ``(customer_id, "YYYY-MM-DD", amount, margin)`` tuples."""
    import datetime as dt

    import pyarrow as pa

    return pa.table({
        "customer_id": [r[0] for r in rows],
        "purchase_date": pa.array([dt.date.fromisoformat(r[1]) for r in rows], type=pa.date32()),
        "amount": [r[2] for r in rows],
        "margin": pa.array([r[3] for r in rows], type=pa.float64()),
        "cost": pa.nulls(len(rows), type=pa.float64()),
    })


@pytest.fixture
def make_transactions():
    """The :func:`transactions_table` builder, for tests of the feature expressions."""
    return transactions_table


def _spark_available() -> bool:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(scope="session")
def spark_engine():
    if not _spark_available():
        if os.environ.get("CVM_REQUIRE_SPARK"):
            pytest.fail("CVM_REQUIRE_SPARK is set but PySpark is not installed")
        pytest.skip("PySpark is not installed (pip install 'cvm[spark]')")
    from cvm.engine import spark_engine as make

    return make()


@pytest.fixture(params=["duckdb", "spark"])
def engine_name(request):
    """The name of an engine; requesting 'spark' starts (once) the shared Spark session."""
    if request.param == "spark":
        request.getfixturevalue("spark_engine")
    return request.param


@pytest.fixture
def workspace(tmp_path):
    from cvm.workspace import Workspace

    ws = Workspace(tmp_path / "ws.duckdb")
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def cdnow_sample_path():
    return TEST_DATA / "CDNOW_sample.txt"


@pytest.fixture(scope="session")
def cdnow_master_path():
    path = SHARED_DATA / "cdnow" / "CDNOW_master.txt"
    if not path.exists():
        pytest.skip(f"{path} is not there (the shared data folder sits beside the checkout)")
    return path
