"""Shared fixtures: the engine fixture runs a test on DuckDB and on a local Spark session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# the hand-made workspace of the lifecycle, value and matrix stages (tests/stage_runs.py) and
# a run of 600 demo customers (tests/demo_runs.py)
pytest_plugins = ["stage_runs", "demo_runs"]

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


#: The test files that take longest (CPU seconds of one measured run, 2 cores, four workers):
#: they start first, so that the workers finish together rather than one running a long file
#: while the others wait (scripts/test.sh keeps this order: --no-loadscope-reorder).
SLOWEST_FILES = (
    "tests/test_readme_examples.py",  # 229
    "tests/cli/test_commands.py",  # 132
    "tests/test_run_protocol.py",  # 90
    "tests/cli/test_output.py",  # 71
    "tests/api/test_fuzz.py",  # 70
    "tests/cli/test_segments.py",  # 70
    "tests/reports/test_typeface.py",  # 61
    "tests/golden/test_same_outputs.py",  # 57
    "tests/identity/test_link.py",  # 45
    "tests/web/test_dashboard.py",  # 44
    "tests/models/test_expected_purchases.py",  # 39
    "tests/test_errors.py",  # 38
    "tests/web/test_language.py",  # 37
    "tests/api/test_runs.py",  # 36
    "tests/api/test_queue_restart.py",  # 33
)

#: The unit of work of the tests that start Spark: they run one after another on one worker,
#: in one Spark session (a JVM warms up once: measured, the Spark tests took 515 CPU seconds
#: there against about 735 spread over four workers, each starting its own session).
SPARK_GROUP = "spark"


def is_spark_test(nodeid: str) -> bool:
    """Whether a test runs on Spark: its id names Spark (the engine parameter 'spark', or
    Spark in its file's or its own name)."""
    return "spark" in nodeid.lower()


def pytest_collection_modifyitems(config, items):
    """The Spark tests first (:func:`is_spark_test`), then the slowest files
    (:data:`SLOWEST_FILES`), then the others, most tests first; each file's tests keep their
    order (scripts/test.sh keeps this order: --no-loadscope-reorder)."""
    from collections import Counter

    for item in items:
        if {"spark_engine", "spark_cluster"} & set(getattr(item, "fixturenames", ())) \
                and not is_spark_test(item.nodeid):
            raise pytest.UsageError(f"{item.nodeid} uses Spark: name it so (the Spark tests "
                                    "run together, picked by their ids)")
    files = [item.nodeid.split("::", 1)[0] for item in items]
    counts = Counter(files)
    rank = {f: i for i, f in enumerate(SLOWEST_FILES)}
    order = sorted(range(len(items)),
                   key=lambda i: (not is_spark_test(items[i].nodeid),
                                  rank.get(files[i], len(rank)), -counts[files[i]], files[i]))
    items[:] = [items[i] for i in order]


def pytest_xdist_make_scheduler(config, log):
    """With ``--dist loadfile``: each test file is one unit of work for the workers (its tests
    share its module fixtures), except the Spark tests, which make one unit together."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SparkTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return SPARK_GROUP if is_spark_test(nodeid) else nodeid.split("::", 1)[0]

    return SparkTogether(config, log)


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


@pytest.fixture(scope="session")
def spark_cluster(tmp_path_factory):
    """A Spark standalone cluster on loopback: a master and two workers (one core each) as
    separate processes started from the PySpark installation, stopped after the tests."""
    import shutil

    if not _spark_available():
        if os.environ.get("CVM_REQUIRE_SPARK"):
            pytest.fail("CVM_REQUIRE_SPARK is set but PySpark is not installed")
        pytest.skip("PySpark is not installed (pip install 'cvm[spark]')")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        if os.environ.get("CVM_REQUIRE_SPARK"):
            pytest.fail("CVM_REQUIRE_SPARK is set but Java is missing (the cluster needs it)")
        pytest.skip("Java is missing: a Spark standalone cluster cannot start")
    from cvm.spark.cluster import LocalCluster

    cluster = LocalCluster(workers=2, cores=1, memory="3g",
                           folder=tmp_path_factory.mktemp("spark-cluster")).start()
    yield cluster
    cluster.stop()


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


def write_xlsx_bomb(path: Path, rows: int = 1_000_000) -> Path:
    """A real .xlsx workbook (a header, then ``rows`` identical purchase rows) whose sheet XML
    is a few hundred times larger than the file: ~110 MB of XML in a few hundred KB."""
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["customer", "date", "amount"])
    book.save(path)
    row = (b'<row><c t="inlineStr"><is><t>C1</t></is></c><c t="inlineStr"><is><t>2024-01-01'
           b'</t></is></c><c><v>10</v></c></row>')
    sheet = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://'
             b'schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' + row * rows
             + b"</sheetData></worksheet>")
    with zipfile.ZipFile(path) as original:
        parts = [(info, original.read(info)) for info in original.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in parts:
            out.writestr(info.filename, sheet if info.filename == "xl/worksheets/sheet1.xml"
                         else data)
    return path


@pytest.fixture
def xlsx_bomb(tmp_path):
    """A workbook built to exhaust memory when parsed (see :func:`write_xlsx_bomb`)."""
    return write_xlsx_bomb(tmp_path / "bomb.xlsx")
