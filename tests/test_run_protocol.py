"""A run's status tells the truth when its process is killed or its disk fills up.

Real processes (``cvm run`` with a stage the test can hold, see tests/api/serve_for_tests.py)
are killed with SIGKILL; full disks are small tmpfs mounts (the tests that need one are
skipped where mounting is not allowed).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cvm.config import AnalysisConfig
from cvm.demo import DEMO_AS_OF, write_demo_data
from cvm.pipeline import run
from cvm.workspace import Workspace

STEERED = Path(__file__).resolve().parent / "api" / "serve_for_tests.py"


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    return write_demo_data(tmp_path_factory.mktemp("demo"), customers=600)


def _marker(ws: Path, kind: str) -> Path:
    return ws.with_name(ws.name + "." + kind)


def _start(ws: Path, *args: str) -> subprocess.Popen:
    """``cvm run`` in its own process, with the steerable stage."""
    return subprocess.Popen(
        [sys.executable, str(STEERED), "run", *args, "--workspace", str(ws),
         "--as-of", DEMO_AS_OF.isoformat()],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "COLUMNS": "400"})


def _wait_for(path: Path, process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            raise AssertionError(f"cvm ended before {path.name}: {process.stderr.read()!r}")
        assert time.monotonic() < deadline, f"{path.name} did not appear in {timeout} s"
        time.sleep(0.01)


def _kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    process.stdout.close()
    process.stderr.close()
    assert process.returncode == -signal.SIGKILL


def _folder(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


@contextmanager
def _tmpfs(path: Path, size: int):
    """A real file system of ``size`` bytes mounted at ``path``."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)


def _fill(folder: Path) -> Path:
    """Fill the file system of ``folder`` to the last byte."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 4096)
        except OSError:
            pass
    assert shutil.disk_usage(folder).free < 4096
    return filler


def test_a_run_killed_during_the_analysis_is_interrupted_when_the_workspace_opens(
        demo_files, tmp_path):
    tx, cust = demo_files
    ws = tmp_path / "shop.duckdb"
    run([tx], customers=[cust], workspace=ws, out=None, config=AnalysisConfig(as_of=DEMO_AS_OF))
    _marker(ws, "hold").write_text("")
    process = _start(ws, str(tx), "--out", str(tmp_path / "out"))
    _wait_for(_marker(ws, "reached"), process)
    _kill(process)
    shown = subprocess.run([sys.executable, "-m", "cvm", "runs", "--workspace", str(ws)],
                           capture_output=True, text=True, env={**os.environ, "COLUMNS": "400"})
    assert shown.returncode == 0, shown.stderr
    # the listing is a result: standard output
    assert "interrupted" in shown.stdout and f"(pid {process.pid})" in shown.stdout
    with Workspace(ws) as opened:
        runs = opened.runs()
        assert [r["status"] for r in runs] == ["complete", "interrupted"]
        assert runs[1]["error"] == (f"interrupted: the process running it (pid {process.pid}) "
                                    "ended while analysing; the previous results stay in place")
        assert runs[1]["finished_at"] is not None
        assert opened.latest_run() == 1
        assert opened.query("SELECT count(*) FROM duckdb_tables() "
                            "WHERE starts_with(table_name, 'run_2_')")[0][0] == 0
    assert not (tmp_path / "out").exists()


def test_a_live_owner_keeps_its_run_and_a_new_process_under_the_same_pid_does_not(tmp_path):
    path = tmp_path / "ws.duckdb"
    with Workspace(path) as ws:
        run_id = ws.start_run(as_of=None, engine="duckdb", config={})
        # a second connection of the same, living process leaves its run alone
        with Workspace(path) as again:
            assert again.runs()[0]["status"] == "running"
        # the same pid with another start time is another process: the owner is gone
        ws.query("UPDATE runs SET owner_started = owner_started || '0' WHERE run_id = ?",
                 [run_id])
    with Workspace(path) as ws:
        run = ws.runs()[0]
        assert run["status"] == "interrupted"
        assert run["error"] == (f"interrupted: the process running it (pid {os.getpid()}) ended "
                                "while analysing; the previous results stay in place")


def test_a_full_disk_under_the_workspace_ends_the_run_with_a_reason(demo_files, tmp_path):
    tx, cust = demo_files
    built = tmp_path / "built.duckdb"
    run([tx], customers=[cust], workspace=built, out=None, config=AnalysisConfig(as_of=DEMO_AS_OF))
    with _tmpfs(tmp_path / "disk", built.stat().st_size + (4 << 20)) as disk:
        ws = disk / "shop.duckdb"
        shutil.copy(built, ws)
        _marker(ws, "hold").write_text("")
        process = _start(ws, str(tx), "--out", str(tmp_path / "out"))
        _wait_for(_marker(ws, "reached"), process)
        filler = _fill(disk)  # the disk fills up while the run is under way
        _marker(ws, "hold").unlink()
        out, err = process.communicate(timeout=180)
        assert process.returncode == 2
        assert "Traceback" not in err.decode()
        # after the progress bar, one sentence
        assert err.decode().splitlines()[-1] == (
            f"error: workspace {ws} could not be written: the disk is full; free some space "
            "there and run again")
        filler.unlink()
        with Workspace(ws) as opened:
            runs = opened.runs()
            # the failure is recorded when the space its record needs was freed by the failed
            # write; else the run stays running until the next opening, which finds its
            # process gone
            assert (runs[1]["status"], runs[1]["error"]) in [
                ("failed", f"WorkspaceError: workspace {ws} could not be written: the disk is "
                           "full; free some space there and run again"),
                ("interrupted", f"interrupted: the process running it (pid {process.pid}) "
                                "ended while analysing; the previous results stay in place")]
            assert runs[0]["status"] == "complete" and len(runs) == 2
            assert opened.latest_run() == 1
            assert opened.result("customers").num_rows > 0


def test_a_run_killed_while_writing_the_results_folder_is_not_complete(tmp_path):
    tx, cust = write_demo_data(tmp_path / "data", customers=3_000)
    ws, out = tmp_path / "shop.duckdb", tmp_path / "out"
    run([tx], customers=[cust], workspace=ws, out=out, config=AnalysisConfig(as_of=DEMO_AS_OF))
    before = _folder(out)
    process = _start(ws, str(tx), "--out", str(out))
    deadline = time.monotonic() + 300
    while not list(tmp_path.glob(".out.partial-*")):
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline
        time.sleep(0.001)
    process.send_signal(signal.SIGSTOP)  # hold it still to check it is mid-write, then kill
    partial = list(tmp_path.glob(".out.partial-*"))
    assert len(partial) == 1 and _folder(out) == before
    _kill(process)
    assert partial[0].exists()
    with Workspace(ws) as opened:
        runs = opened.runs()
        assert [r["status"] for r in runs] == ["complete", "interrupted"]
        assert runs[1]["error"] == (
            f"interrupted: the process running it (pid {process.pid}) ended while writing the "
            f"results folder {out.resolve()}; the previous results stay in place")
        assert opened.latest_run() == 1
    assert _folder(out) == before
    # the next run removes what the killed one left, and completes with its folder in place
    result = run([tx], workspace=ws, out=out, config=AnalysisConfig(as_of=DEMO_AS_OF))
    assert result.run_id == 3
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")) == []
    with Workspace(ws) as opened:
        assert [r["status"] for r in opened.runs()] == ["complete", "interrupted", "complete"]
    assert '"run_id": 3' in (out / "summary.json").read_text()
    assert pq.read_table(out / "customers.parquet").num_rows == result.customers.num_rows


def test_a_full_disk_under_the_results_folder_is_one_sentence_and_keeps_the_previous_folder(
        demo_files, tmp_path):
    tx, cust = demo_files
    ws, first = tmp_path / "shop.duckdb", tmp_path / "first"
    run([tx], customers=[cust], workspace=ws, out=first, config=AnalysisConfig(as_of=DEMO_AS_OF))
    size = sum(p.stat().st_size for p in first.iterdir())
    # room for one results folder and a half: the second cannot be written beside the first
    with _tmpfs(tmp_path / "disk", size * 3 // 2) as disk:
        out = disk / "out"
        shutil.copytree(first, out)
        before = _folder(out)
        process = subprocess.run(
            [sys.executable, "-m", "cvm", "run", str(tx), "--workspace", str(ws), "--out",
             str(out), "--as-of", DEMO_AS_OF.isoformat()],
            capture_output=True, text=True, env={**os.environ, "COLUMNS": "400"})
        assert process.returncode == 2
        assert "Traceback" not in process.stderr
        sentence = (f"the results folder {out} could not be written (the disk is full; free "
                    "some space there and run again); it still holds the previous results")
        # after the progress bar, one sentence
        assert process.stderr.splitlines()[-1] == f"error: {sentence}"
        assert _folder(out) == before
        assert sorted(p.name for p in disk.iterdir()) == ["out"]
    with Workspace(ws) as opened:
        runs = opened.runs()
        assert [r["status"] for r in runs] == ["complete", "failed"]
        assert runs[1]["error"] == f"ResultsError: {sentence}"
        assert opened.latest_run() == 1


def test_a_folder_moved_aside_by_a_killed_writer_is_put_back_and_a_live_writers_kept(tmp_path):
    from cvm.owner import Owner
    from cvm.results import staged_folder

    out = tmp_path / "out"
    # killed between moving the previous folder aside and moving the new one in
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True)
    aside = tmp_path / f".out.old-{int(dead.stdout)}-0badc0de"
    aside.mkdir()
    (aside / "summary.json").write_text('{"run_id": 1}')
    # another process writing beside the same folder right now
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        busy = tmp_path / f".out.partial-{Owner.of(live.pid).tag}"
        busy.mkdir()
        with pytest.raises(RuntimeError, match="write failed"):
            with staged_folder(out) as staging:
                (staging / "summary.json").write_text('{"run_id": 2}')
                raise RuntimeError("write failed")
        assert (out / "summary.json").read_text() == '{"run_id": 1}'
        assert sorted(p.name for p in tmp_path.iterdir()) == [busy.name, "out"]
    finally:
        live.kill()
        live.wait()
    with staged_folder(out) as staging:  # its writer gone, the partial folder is removed
        (staging / "summary.json").write_text('{"run_id": 3}')
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert (out / "summary.json").read_text() == '{"run_id": 3}'
