"""The results folder: per-customer table, segment summary, rejects and the report.

The folder is written beside its final place and swapped in at the end, so a failed write
leaves the previous results folder as it was.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .workspace import Workspace

__all__ = ["write_results"]


def _write_csv(table: pa.Table, path: Path) -> None:
    # UTF-8 with a byte-order mark so that Excel shows Chinese text correctly
    with path.open("wb") as fh:
        fh.write("\ufeff".encode("utf-8"))
        pacsv.write_csv(table, fh)


def write_results(ws: Workspace, result, out: str | Path, *, lang: str = "en") -> Path:
    """Write ``customers.parquet``/``.csv``, ``segments.csv``, ``rejects.csv``,
    ``summary.json`` and ``report.html`` into ``out``."""
    from .reports import write_report

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.partial-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    try:
        pq.write_table(result.customers, staging / "customers.parquet")
        _write_csv(result.customers, staging / "customers.csv")
        _write_csv(result.segments, staging / "segments.csv")
        rejects = ws.arrow('SELECT file, "row", field, value, code, reason FROM rejects '
                           'ORDER BY file_id, "row"')
        _write_csv(rejects, staging / "rejects.csv")
        summary = {"run_id": result.run_id, "info": result.info, "pareto": result.pareto,
                   "loads": [r.as_dict() for r in result.loads]}
        (staging / "summary.json").write_text(
            json.dumps(summary, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
        write_report(staging / "report.html", result.customers_frame(), _segments_for_report(result),
                     result.pareto, result.info, lang=lang)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists():
        out.rename(old)
    staging.rename(out)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)
    return out


def _segments_for_report(result):
    return result.segments_frame()
