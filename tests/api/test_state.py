"""The server's start-up: a run left 'running' by a process that was killed is marked
interrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from cvm.api.app import ServerState, Settings
from cvm.workspace import Workspace

_START_AND_DIE = """
import os, signal, sys
from cvm.workspace import Workspace
ws = Workspace(sys.argv[1])
print(ws.start_run(as_of=None, engine="duckdb", config={}), os.getpid(), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_run_cut_off_by_a_killed_process_is_marked_interrupted(tmp_path):
    path = tmp_path / "ws.duckdb"
    with Workspace(path):
        pass
    killed = subprocess.run([sys.executable, "-c", _START_AND_DIE, str(path)],
                            capture_output=True, text=True, env=dict(os.environ))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    run_id, pid = map(int, killed.stdout.split())
    state = ServerState(Settings(workspace=str(path), upload_dir=str(tmp_path / "up")))
    try:
        run = [r for r in state.reader.runs() if r["run_id"] == run_id][0]
        assert run["status"] == "interrupted"
        assert run["error"] == (f"interrupted: the process running it (pid {pid}) ended "
                                "while analysing; the previous results stay in place")
        assert state.reader.latest_run() is None
    finally:
        state.close()
