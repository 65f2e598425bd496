"""The command line starts without the heavy libraries: ``cvm --help``, and a command that
stops at a wrong option or a missing workspace, load neither the engines nor the models nor
the report (each command imports what it uses when it runs); ``import cvm`` gives the whole
public API on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("pandas", "numpy", "pyarrow", "duckdb", "ibis", "scipy", "matplotlib", "sklearn",
         "openpyxl", "pyspark")


def _loaded(code: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", f"{code}\nimport sys\n"
                           f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"],
                          capture_output=True, text=True, check=True)
    return [m for m in done.stdout.strip().split(",") if m]


def test_the_command_line_and_the_package_load_no_heavy_library():
    assert _loaded("import cvm.cli") == []
    assert _loaded("import cvm") == []
    # a workspace is a DuckDB file read as Arrow tables: no Ibis, pandas or models
    assert sorted(_loaded("import cvm; cvm.Workspace")) == ["duckdb", "numpy", "pyarrow"]


def test_help_runs_without_them():
    done = subprocess.run([sys.executable, "-c", "import sys\nfrom cvm.cli import main\n"
                           "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
                           f"print([m for m in {HEAVY!r} if m in sys.modules])"],
                          capture_output=True, text=True, check=True)
    assert "Commands:" in done.stdout and done.stdout.strip().endswith("[]")


def test_the_public_api_is_there_on_first_use():
    import cvm

    names = [n for n in cvm.__all__ if n != "__version__"]
    assert len(names) == 15 and set(names) <= set(dir(cvm))
    from cvm.pipeline import run
    from cvm.workspace import Workspace

    assert cvm.run is run and cvm.Workspace is Workspace
    for name in names:
        assert getattr(cvm, name).__name__ == name
    with pytest.raises(AttributeError, match="module 'cvm' has no attribute 'runn'"):
        cvm.runn  # noqa: B018
