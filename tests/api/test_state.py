"""The server's start-up: a run left 'running' by a process that stopped is marked failed."""

from __future__ import annotations

from cvm.api.app import ServerState, Settings
from cvm.workspace import Workspace


def test_a_run_cut_off_by_a_stopped_process_is_marked_failed(tmp_path):
    path = tmp_path / "ws.duckdb"
    with Workspace(path) as ws:
        run_id = ws.start_run(as_of=None, engine="duckdb", config={})
    state = ServerState(Settings(workspace=str(path), upload_dir=str(tmp_path / "up")))
    try:
        run = [r for r in state.reader.runs() if r["run_id"] == run_id][0]
        assert run["status"] == "failed" and "interrupted" in run["error"]
        assert state.reader.latest_run() is None
    finally:
        state.close()
