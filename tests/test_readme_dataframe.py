"""The README's data-frame example runs as written and prints what the README says."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _example() -> tuple[str, str]:
    section = README.read_text(encoding="utf-8").split("### From a data frame", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    printed = re.search(r"```text\n(.*?)```", section, re.DOTALL).group(1)
    return code, printed


def test_the_dataframe_example_runs_as_written(tmp_path, monkeypatch):
    code, printed = _example()
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    assert out.getvalue() == printed
    assert sorted(p.name for p in (tmp_path / "shop-results").iterdir()) == [
        "customers.csv", "customers.parquet", "rejects.csv", "report.html", "segments.csv",
        "summary.json"]
