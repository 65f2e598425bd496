"""DuckDB's thread setting: the environment override, its errors and where it is applied."""

from __future__ import annotations

import os

import pytest

from cvm.config import ConfigError
from cvm.engine import duckdb_engine, duckdb_threads
from cvm.workspace import Workspace


def test_threads_default_to_one_more_than_the_cores(monkeypatch):
    monkeypatch.delenv("CVM_DUCKDB_THREADS", raising=False)
    assert duckdb_threads() == (os.cpu_count() or 1) + 1


def test_threads_follow_the_environment_in_engines_and_workspaces(monkeypatch, tmp_path):
    monkeypatch.setenv("CVM_DUCKDB_THREADS", "5")
    assert duckdb_threads() == 5
    engine = duckdb_engine()
    assert engine.backend.raw_sql("SELECT current_setting('threads')").fetchall() == [(5,)]
    with Workspace(tmp_path / "w.duckdb") as ws:
        assert ws.con.execute("SELECT current_setting('threads')").fetchall() == [(5,)]


@pytest.mark.parametrize("value", ["0", "-2", "many", "1.5"])
def test_bad_thread_counts_are_refused_with_the_variable_named(monkeypatch, value):
    monkeypatch.setenv("CVM_DUCKDB_THREADS", value)
    with pytest.raises(ConfigError, match=f"CVM_DUCKDB_THREADS must be a whole number of threads, not '{value}'"):
        duckdb_threads()


def test_the_cli_reports_a_bad_thread_count_in_one_sentence(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from cvm.cli import main
    from cvm.workspace import Workspace

    Workspace(tmp_path / "w.duckdb").close()  # `cvm runs` reads a workspace that exists
    monkeypatch.setenv("CVM_DUCKDB_THREADS", "many")
    result = CliRunner().invoke(main, ["runs", "--workspace", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 2
    assert "CVM_DUCKDB_THREADS must be a whole number of threads, not 'many'" in result.output
    assert "Traceback" not in result.output
