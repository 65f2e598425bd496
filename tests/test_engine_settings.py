"""DuckDB's thread setting: the environment override, its errors and where it is applied; the
memory a run's allocators hold free, handed back to the system."""

from __future__ import annotations

import os

import pytest

from cvm.config import ConfigError
from cvm.engine import duckdb_engine, duckdb_threads, return_free_memory
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


# -- memory limit and spill folder ---------------------------------------------------------

def _threads(con) -> int:
    return int(con.execute("SELECT current_setting('threads')").fetchone()[0])


def _settings(con) -> tuple[str, str]:
    return con.execute("SELECT current_setting('memory_limit'), "
                       "current_setting('temp_directory')").fetchone()


def test_memory_limit_defaults_to_half_the_memory(monkeypatch):
    from cvm.engine import duckdb_memory_limit

    monkeypatch.delenv("CVM_DUCKDB_MEMORY_LIMIT", raising=False)
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    limit = duckdb_memory_limit()
    assert limit.endswith("MiB")
    mib = int(limit.removesuffix("MiB"))
    assert mib <= total // 2 // 2**20            # half the machine's, or less in a container
    assert mib > 64                               # not a stray small number
    engine = duckdb_engine()
    shown, _ = _settings(engine.backend.con)      # DuckDB shows it in GiB or MiB, rounded
    number, unit = shown.split()
    assert float(number) * {"MiB": 1, "GiB": 1024}[unit] == pytest.approx(mib, rel=0.01)


def test_a_load_keeps_to_an_eighth_of_the_memory_or_the_runs_limit_if_lower(monkeypatch):
    from cvm.engine import duckdb_streaming_memory_limit

    from cvm.engine import _physical_memory

    monkeypatch.delenv("CVM_DUCKDB_MEMORY_LIMIT", raising=False)
    eighth = int(duckdb_streaming_memory_limit().removesuffix("MiB"))
    # an eighth of the machine's memory, or of its container's
    assert eighth == _physical_memory() // 8 // 2**20 > 64
    monkeypatch.setenv("CVM_DUCKDB_MEMORY_LIMIT", "300MB")   # 300e6 bytes = 286.1 MiB
    assert duckdb_streaming_memory_limit() == "286MiB"
    monkeypatch.setenv("CVM_DUCKDB_MEMORY_LIMIT", "1.5GiB")
    assert duckdb_streaming_memory_limit() == f"{min(1536, eighth)}MiB"
    monkeypatch.setenv("CVM_DUCKDB_MEMORY_LIMIT", "1000TB")  # a run's limit above the eighth
    assert duckdb_streaming_memory_limit() == f"{eighth}MiB"


def test_a_load_sets_the_runs_memory_limit_back_whether_it_stores_or_fails(monkeypatch,
                                                                           tmp_path):
    import datetime as dt

    from cvm.ingest.load import load_transactions
    from cvm.ingest.readers import SourceError

    monkeypatch.setenv("CVM_DUCKDB_MEMORY_LIMIT", "1.5gib")
    good = tmp_path / "good.csv"
    good.write_text("customer_id,date,amount\nA1,2024-01-02,5\n", encoding="utf-8")
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("customer_id,date,amount\nA1,25/03/2024,5\nA2,03/26/2024,5\n",
                     encoding="utf-8")
    with Workspace(tmp_path / "w.duckdb") as ws:
        from cvm.engine import duckdb_memory_limited

        with duckdb_memory_limited(ws.con, "300MiB"):   # the limit held inside the block
            assert _settings(ws.con)[0] == "300.0 MiB"
        assert _settings(ws.con)[0] == "1.5 GiB"
        load_transactions(ws, good, as_of=dt.date(2024, 6, 30))
        assert _settings(ws.con)[0] == "1.5 GiB"
        with pytest.raises(SourceError, match="mixes day/month/year"):
            load_transactions(ws, mixed, as_of=dt.date(2024, 6, 30))
        assert _settings(ws.con)[0] == "1.5 GiB"
    monkeypatch.delenv("CVM_DUCKDB_MEMORY_LIMIT")
    monkeypatch.setattr(os, "sysconf", lambda name: (_ for _ in ()).throw(ValueError(name)))
    other = tmp_path / "other.csv"
    other.write_text("customer_id,date,amount\nB1,2024-01-03,7\n", encoding="utf-8")
    with Workspace(tmp_path / "w.duckdb") as ws:   # no limit known: DuckDB's own stays
        shown = _settings(ws.con)[0]
        assert load_transactions(ws, other, as_of=dt.date(2024, 6, 30)).rows_loaded == 1
        assert _settings(ws.con)[0] == shown


def test_above_its_size_a_run_keeps_its_table_on_the_engine_within_the_streaming_limit(
        monkeypatch, tmp_path):
    """A DuckDB run on more than ``ON_ENGINE_TRANSACTIONS`` transactions keeps the customer
    table on the engine, with DuckDB at its streaming limit through every stage and the
    results folder, and the run's own limit back afterwards, whether the run stores or fails;
    at or under the size the run is the one in this process, at the run's limit."""
    import datetime as dt

    from cvm import pipeline
    from cvm.engine import duckdb_memory_limited, duckdb_streaming_memory_limit
    from cvm.ingest.load import load_transactions

    monkeypatch.delenv("CVM_DUCKDB_MEMORY_LIMIT", raising=False)  # half the machine
    monkeypatch.delenv("CVM_DUCKDB_THREADS", raising=False)       # one more than the cores
    assert pipeline.ON_ENGINE_TRANSACTIONS == 20_000_000
    log = tmp_path / "log.csv"
    log.write_text("customer_id,date,amount\n" + "".join(
        f"C{i % 7},2024-{1 + i % 12:02d}-{1 + i % 28:02d},{5 + i}\n" for i in range(40)),
        encoding="utf-8")
    with Workspace(tmp_path / "w.duckdb") as ws:
        load_transactions(ws, log, as_of=dt.date(2024, 12, 31))
        run_limit = _settings(ws.con)[0]
        with duckdb_memory_limited(ws.con, duckdb_streaming_memory_limit()):
            streaming = _settings(ws.con)[0]
        assert streaming != run_limit
        # no more threads than cores while streaming (the run's one more than the cores)
        run_threads, cores = _threads(ws.con), os.cpu_count() or 1
        assert run_threads == cores + 1
        for size, kept, limit, threads in ((40, False, run_limit, run_threads),
                                           (39, True, streaming, cores)):
            monkeypatch.setattr(pipeline, "ON_ENGINE_TRANSACTIONS", size)
            seen = []
            result = pipeline.analyse(ws, out=tmp_path / f"out{size}", progress=lambda m: (
                seen.append((m, _settings(ws.con)[0], _threads(ws.con)))))
            assert ("customers_collected_for" in result.info) is kept
            assert len(seen) > 10 and {shown[1:] for shown in seen} == {(limit, threads)}, seen
            assert seen[-1][0] == "writing results"
            assert (_settings(ws.con)[0], _threads(ws.con)) == (run_limit, run_threads)

        def stop(message):
            assert (_settings(ws.con)[0], _threads(ws.con)) == (streaming, cores)
            if message == "computing clv":
                raise RuntimeError("stopped")

        with pytest.raises(RuntimeError, match="stopped"):
            pipeline.analyse(ws, progress=stop)
        assert (_settings(ws.con)[0], _threads(ws.con)) == (run_limit, run_threads)


@pytest.mark.parametrize(("value", "shown"), [("1.5gib", "1.5 GiB"), ("300MB", "286.1 MiB")])
def test_memory_limit_and_spill_folder_follow_the_environment(monkeypatch, tmp_path, value,
                                                               shown):
    monkeypatch.setenv("CVM_DUCKDB_MEMORY_LIMIT", value)
    monkeypatch.setenv("CVM_DUCKDB_TEMP_DIRECTORY", str(tmp_path / "spill"))
    assert _settings(duckdb_engine().backend.con) == (shown, str(tmp_path / "spill"))
    with Workspace(tmp_path / "w.duckdb") as ws:
        assert _settings(ws.con) == (shown, str(tmp_path / "spill"))


def test_spill_folder_is_beside_the_workspace_or_in_the_temporary_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("CVM_DUCKDB_TEMP_DIRECTORY", raising=False)
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)   # read TMPDIR again
    with Workspace(tmp_path / "w.duckdb") as ws:
        assert _settings(ws.con)[1] == str(tmp_path / "w.duckdb.tmp")
    folder = _settings(duckdb_engine().backend.con)[1]
    assert folder == str(tmp_path / "tmp" / f"cvm-duckdb-spill-{os.getpid()}")


@pytest.mark.parametrize("value", ["lots", "0GB", "-1GB", "12", "1.5 XB"])
def test_bad_memory_limits_are_refused_with_the_variable_named(monkeypatch, value):
    from cvm.engine import duckdb_memory_limit

    monkeypatch.setenv("CVM_DUCKDB_MEMORY_LIMIT", value)
    with pytest.raises(ConfigError, match="CVM_DUCKDB_MEMORY_LIMIT must be a size such as 6GB "
                                          f"or 512MiB, not '{value}'"):
        duckdb_memory_limit()


def test_a_grouping_larger_than_the_limit_spills_and_the_folder_goes_with_the_connection(
        monkeypatch, tmp_path):
    monkeypatch.setenv("CVM_DUCKDB_MEMORY_LIMIT", "64MB")
    monkeypatch.setenv("CVM_DUCKDB_TEMP_DIRECTORY", str(tmp_path / "spill"))
    con = duckdb_engine().backend.con
    # 1M groups of (key, sum) sorted: more than 64 MB of hash table and sort
    rows = con.execute("SELECT count(*), sum(s) FROM (SELECT i % 1000000 AS k, sum(i) AS s "
                       "FROM range(3000000) t(i) GROUP BY k ORDER BY k)").fetchone()
    assert rows == (1_000_000, sum(range(3_000_000)))
    assert (tmp_path / "spill").is_dir()           # it spilled
    con.close()
    assert not (tmp_path / "spill").exists()


def _resident_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads /proc (Linux)")
def test_the_memory_arrow_and_the_c_heap_hold_free_goes_back_to_the_system():
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    # 300 MiB of arrays computed by Arrow, in its pool, which keeps their pages once freed
    numbers = pa.array(np.arange(1 << 17, dtype=np.int64))
    arrays = [pc.add(numbers, i) for i in range(300)]
    assert pa.total_allocated_bytes() >= 300 * 2**20
    del arrays
    held = _resident_mib()
    return_free_memory()
    assert held - _resident_mib() > 200
    # 400 MiB of small C-heap blocks (freed, glibc keeps them); one in a thousand still used
    blobs = [bytes(2048) + bytes([i % 256]) for i in range(200_000)]
    kept = blobs[::1000]
    del blobs
    held = _resident_mib()
    return_free_memory()
    assert held - _resident_mib() > 200
    assert len(kept) == 200


def test_duckdb_hands_its_free_memory_back_sooner_in_engines_and_workspaces(tmp_path):
    settings = ("SELECT current_setting('allocator_flush_threshold'), "
                "current_setting('allocator_background_threads')")
    assert duckdb_engine().backend.raw_sql(settings).fetchall() == [("32.0 MiB", True)]
    with Workspace(tmp_path / "w.duckdb") as ws:
        assert ws.con.execute(settings).fetchall() == [("32.0 MiB", True)]


def test_the_scratch_folder_goes_with_the_engine_released_or_dropped(tmp_path, monkeypatch):
    import gc
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    kept = duckdb_engine()
    released = kept.scratch_path("cvm_probe").parent
    assert released.parent == tmp_path and released.is_dir()
    kept.release()
    assert not released.exists()
    # made again on the next use, and removed when the engine is dropped without a release
    dropped = kept.scratch_path("cvm_probe").parent
    assert dropped.is_dir() and dropped != released
    del kept
    gc.collect()
    assert list(tmp_path.glob("cvm-duckdb-*")) == []


def test_streaming_threads_are_the_run_s_but_no_more_than_the_cores(monkeypatch):
    from cvm.engine import duckdb_streaming_threads

    monkeypatch.delenv("CVM_DUCKDB_THREADS", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert duckdb_streaming_threads() == 2          # the run's 3, no more than 2 cores
    monkeypatch.setenv("CVM_DUCKDB_THREADS", "1")
    assert duckdb_streaming_threads() == 1          # fewer, as set
    monkeypatch.delenv("CVM_DUCKDB_THREADS")
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert duckdb_streaming_threads() == 1          # cores unknown: one
