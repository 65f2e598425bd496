"""A run of 600 demo customers (with prospects from the customer list), shared by the tests
that read a demo run without changing its workspace."""

from __future__ import annotations

import pytest

from cvm.config import AnalysisConfig
from cvm.demo import DEMO_AS_OF, write_demo_data
from cvm.pipeline import run


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """``(result, folder)``: the run of 600 demo customers and the folder with its data and
    workspace (``folder / "ws.duckdb"``)."""
    folder = tmp_path_factory.mktemp("demo")
    tx, cust = write_demo_data(folder, customers=600)
    result = run([tx], customers=[cust], workspace=folder / "ws.duckdb", out=None,
                 config=AnalysisConfig(as_of=DEMO_AS_OF))
    return result, folder
