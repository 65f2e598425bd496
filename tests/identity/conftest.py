"""Generated customer lists with known truth (benchmarks/linkage_data.py), written as one CSV
file per source system."""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))

from linkage_data import SOURCES, generate  # noqa: E402


def write_sources(table: pa.Table, folder: Path) -> dict[str, Path]:
    """One CSV per source (columns as a source system would export them, truth left out)."""
    paths = {}
    for source in SOURCES:
        part = table.filter(pc.equal(table["source"], source)).drop(["source", "person_id"])
        path = folder / f"{source}.csv"
        pacsv.write_csv(part, path)
        paths[source] = path
    return paths


@pytest.fixture(scope="session")
def write_lists():
    return write_sources


@pytest.fixture(scope="session")
def truth_table() -> pa.Table:
    return generate(2500, random_state=11)


@pytest.fixture(scope="session")
def source_files(truth_table, tmp_path_factory) -> dict[str, Path]:
    return write_sources(truth_table, tmp_path_factory.mktemp("customer-lists"))
