"""The alert of a failed or interrupted last run shows its error as the API shows every error:
without server paths or tracebacks (a viewer reads alerts), and says which of the two it was."""

from __future__ import annotations

import pyarrow as pa

import cvm
from cvm.api.reader import ResultsReader
from cvm.workspace import Workspace

SALES = pa.table({"customer_id": ["A", "A", "B", "C", "C", "C"],
                  "purchase_time": ["2024-01-05", "2024-02-10", "2024-01-20", "2024-01-02",
                                    "2024-02-01", "2024-03-01"],
                  "amount": [10.0, 20.0, 15.0, 5.0, 7.5, 9.0]})


def _last_alert(tmp_path, error: str, status: str) -> dict:
    path = tmp_path / "w.duckdb"
    shown = cvm.run(SALES, workspace=path, out=None).run_id
    with Workspace(path) as ws:
        failed = ws.start_run(as_of=None, engine="duckdb", config={})
        ws.fail_run(failed, error, status=status)
        reader = ResultsReader(ws)
        try:
            return reader.alerts(shown)[0], failed, shown
        finally:
            reader.close()


def test_a_failed_run_alert_names_the_file_not_the_server_path(tmp_path):
    alert, failed, shown = _last_alert(
        tmp_path, "SourceError: /srv/cvm/.shop.duckdb.uploads/3f2a/transactions/sales.xlsx is "
                  "not a readable Excel workbook", "failed")
    assert alert["code"] == "last_run_failed" and alert["level"] == "critical"
    assert alert["message"] == (
        f"The last run (#{failed}) failed: SourceError: sales.xlsx is not a readable Excel "
        f"workbook. The results shown are from run #{shown}.")
    assert "/srv" not in str(alert["params"])


def test_an_interrupted_run_alert_says_interrupted(tmp_path):
    alert, failed, shown = _last_alert(
        tmp_path, "interrupted: the process running it (pid 4242) ended while writing the "
                  "results folder /home/li/shop/cvm-results", "interrupted")
    assert alert["code"] == "last_run_failed"
    assert alert["message"] == (
        f"The last run (#{failed}) was interrupted: the process running it (pid 4242) ended "
        f"while writing the results folder cvm-results. The results shown are from run "
        f"#{shown}.")
