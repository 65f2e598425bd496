"""The holdout check of a run's purchase model is computed when the run runs, stored with it,
and served as stored: a GET fits nothing."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

import cvm
from cvm.insights import StoredResults, clv_validation
from cvm.insights.holdout import holdout_days
from cvm.models.validation import validate_holdout
from cvm.engine import duckdb_engine
from cvm.workspace import Workspace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from api.server import Server, build_workspace  # noqa: E402


def _stored(path: Path, run_id: int) -> dict:
    with Workspace(path, read_only=True) as ws:
        results = StoredResults(ws)
        try:
            return clv_validation(results, run_id)
        finally:
            results.close()


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("holdout")
    return folder, *build_workspace(folder, customers=300)


def test_the_run_stores_what_the_model_check_finds(analysed):
    folder, path, tokens, files = analysed
    stored = _stored(path, 1)
    assert stored["available"] is True
    with Workspace(path, read_only=True) as ws:
        first = ws.query("SELECT min(purchase_date) FROM transactions")[0][0]
        # the last quarter of the history up to the as-of date 2024-12-31 is held out
        calibration_end = dt.date(2024, 12, 31) - dt.timedelta(
            days=(dt.date(2024, 12, 31) - first).days // 4)
        assert (stored["summary"]["calibration_end"], stored["summary"]["holdout_end"]) == \
            (calibration_end.isoformat(), "2024-12-31")
        # the same check made directly on the transactions up to the as-of date
        eng = duckdb_engine(ws.con.cursor())
        txns = eng.backend.sql("SELECT customer_id, purchase_date, amount, margin, cost FROM "
                               "unified_transactions WHERE purchase_date <= DATE '2024-12-31'")
        direct = validate_holdout(txns, eng.to_arrow, calibration_end=calibration_end,
                                  holdout_end=dt.date(2024, 12, 31))
        eng.backend.disconnect()
    for key in ("customers", "actual_total", "predicted_total", "mae", "rmse", "bias"):
        assert stored["summary"][key] == pytest.approx(direct.metrics[key], rel=1e-9)
    assert [r["actual"] for r in stored["tracking"]] == direct.tracking["actual"].tolist()
    assert [r["customers"] for r in stored["conditional"]] == \
        direct.conditional["customers"].tolist()
    assert stored["model"] == direct.choice.as_dict()["title"]


def test_a_runs_check_brings_no_row_per_customer_here(analysed):
    """The run's check reads the histories grouped on the engine, not a row per customer
    (the engine counts the per-customer results its queries bring to this process)."""
    from cvm.insights.holdout import run_holdout

    folder, path, tokens, files = analysed
    with Workspace(path, read_only=True) as ws:
        eng = duckdb_engine(ws.con.cursor())
        txns = eng.transactions(ws)
        tables = run_holdout(ws, eng, txns, dt.date(2024, 12, 31), ["customer_id", "clv"])
        here = eng.customer_rows_here
        eng.backend.disconnect()
    assert here == 0
    # the check the run stored
    summary = json.loads(tables["holdout"].column("summary")[0].as_py())
    stored = _stored(path, 1)["summary"]
    assert summary["customers"] == stored["customers"] > 200
    assert summary["mae"] == pytest.approx(stored["mae"], rel=1e-12)


def test_a_get_serves_the_stored_check_and_fits_nothing(analysed, tmp_path):
    folder, path, tokens, files = analysed
    stored = _stored(path, 1)
    # without transactions, a check fitted now would fail: the answer must still be the stored one
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(path, copy)
    with Workspace(copy) as ws:
        ws.con.execute("DELETE FROM transactions")
    server = Server(copy, tokens, files).start(tmp_path / "serve.log")
    try:
        with server.client("viewer") as c:
            served = c.get("/clv/validation").json()
    finally:
        server.stop()
    assert served == json.loads(json.dumps(stored))


def test_a_short_history_says_so(tmp_path):
    sales = pa.table({"customer_id": ["A", "A", "B", "C", "C", "C"],
                      "purchase_time": ["2024-01-05", "2024-02-10", "2024-01-20", "2024-01-02",
                                        "2024-02-01", "2024-03-01"],
                      "amount": [10.0, 20.0, 15.0, 5.0, 7.5, 9.0]})
    path = tmp_path / "w.duckdb"
    run_id = cvm.run(sales, workspace=path, out=None).run_id
    # 59 days of history: a quarter is 14 days, less than the 28 a check needs
    assert holdout_days(dt.date(2024, 1, 2), dt.date(2024, 3, 1)) == 14
    assert _stored(path, run_id) == {
        "available": False, "reason_code": "short_history",
        "reason": "the history is too short to hold out a period"}


def test_validate_clv_computes_the_check_of_an_older_run(analysed, tmp_path):
    folder, path, tokens, files = analysed
    stored = _stored(path, 1)
    copy = tmp_path / "old.duckdb"
    shutil.copyfile(path, copy)
    with Workspace(copy) as ws:  # a run made before runs stored their check
        for table in ("holdout", "holdout_tracking", "holdout_conditional"):
            ws.con.execute(f'DROP TABLE "run_1_{table}"')
    assert _stored(copy, 1)["reason_code"] == "not_computed"
    done = subprocess.run([sys.executable, "-m", "cvm", "validate-clv", "--run", "1",
                           "--workspace", str(copy), "--out", str(tmp_path / "check")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    again = _stored(copy, 1)
    assert again["summary"]["calibration_end"] == stored["summary"]["calibration_end"]
    assert again["summary"]["mae"] == pytest.approx(stored["summary"]["mae"], rel=1e-9)
    assert again["tracking"] == stored["tracking"]
