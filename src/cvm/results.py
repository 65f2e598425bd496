"""The results folder: per-customer table, segment summary, rejects and the report.

The folder is written beside its final place (``.<name>.partial-<process>``) and swapped in at
the end, so a failed write leaves the previous results folder as it was. A folder left behind
by a process that was killed while writing is removed by the next write to the same place; if
the kill came between moving the old folder aside and moving the new one in, the old folder is
put back first.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .errors import ConfigError, CvmError
from .owner import Owner
from .schema import figure_digits
from .spreadsheet import formula_safe, table_rows, write_workbook
from .workspace import Workspace

__all__ = ["write_results", "write_csv", "write_table", "for_people", "staged_folder",
           "place_file", "ResultsError", "CUSTOMERS_CSV_MAX", "customers_csv_wanted"]

log = logging.getLogger(__name__)


class ResultsError(CvmError, OSError):
    """The results folder could not be written (full disk, no permission …); the previous
    folder is as it was."""


_CSV_PART_ROWS = 200_000


def write_csv(table: pa.Table, path: Path) -> None:
    """CSV in UTF-8 with a byte-order mark, so that Excel shows Chinese text correctly.

    A large table is formatted in parts on all cores (Arrow's CSV writer formats on one thread
    and lets go of the interpreter while it works), then written in order: the same bytes as
    one pass. Text cells a spreadsheet would run as formulas are quoted, part by part
    (:func:`cvm.spreadsheet.formula_safe`).
    """
    if table.num_rows <= _CSV_PART_ROWS:
        with Path(path).open("wb") as fh:
            fh.write("\ufeff".encode("utf-8"))
            pacsv.write_csv(formula_safe(table), fh)
        return
    write_csv_parts((table.slice(start, _CSV_PART_ROWS)
                     for start in range(0, table.num_rows, _CSV_PART_ROWS)), path)


def write_csv_parts(parts: Iterable[pa.Table | pa.RecordBatch], path: Path) -> None:
    """:func:`write_csv` of a table that comes in parts (the first one non-empty, or the only
    one), read as they are written: a few parts are in memory at a time."""
    parts = iter(parts)

    def formatted(part, first: bool) -> pa.Buffer:
        sink = pa.BufferOutputStream()
        pacsv.write_csv(formula_safe(pa.Table.from_batches([part]) if
                                     isinstance(part, pa.RecordBatch) else part),
                        sink, pacsv.WriteOptions(include_header=first))
        return sink.getvalue()

    with Path(path).open("wb") as fh:
        fh.write("\ufeff".encode("utf-8"))
        workers = os.cpu_count() or 1
        with ThreadPoolExecutor(max_workers=workers) as pool:
            # at most one part per worker formatted ahead of the one being written, so that
            # memory holds a few parts of the text, not the whole file
            pending = deque(pool.submit(formatted, part, i == 0)
                            for i, part in zip(range(workers), parts))
            while pending:
                buffer = pending.popleft().result()
                following = next(parts, None)
                if following is not None:
                    pending.append(pool.submit(formatted, following, False))
                fh.write(buffer)
                del buffer


def place_file(source: str | Path, target: str | Path) -> None:
    """``source``'s bytes at ``target``: a second name for the same file where both are on one
    file system (nothing copied: at 25M customers the run's table is gigabytes, written once
    and never changed, and its scratch name goes with the engine), else a copy."""
    try:
        os.link(source, target)
    except OSError:  # another file system, or one without hard links
        shutil.copyfile(source, target)


def for_people(table: pa.Table) -> pa.Table:
    """``table`` with each decimal column rounded to its figure's precision
    (:func:`cvm.schema.figure_digits`: money 2 decimals, probabilities and shares 4, days
    whole), for files people read; whole-number and text columns are kept as they are."""
    columns = []
    for name, column in zip(table.column_names, table.columns):
        if pa.types.is_floating(column.type):
            column = pc.round(column, figure_digits(name))
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def write_table(table: pa.Table, path: Path) -> None:
    """A file for people: CSV or Excel, by the file's suffix, with figures rounded
    (:func:`for_people`; the results folder's files keep full precision instead); text in Excel
    as string cells, never formulas."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = for_people(table)
    if path.suffix.lower() in (".xlsx", ".xls"):
        write_workbook(path, table.column_names, table_rows(table))
    else:
        write_csv(table, path)


@contextmanager
def staged_folder(out: str | Path) -> Iterator[Path]:
    """Yield a folder beside ``out`` to write into; on success it replaces ``out`` (the old
    folder is removed only after the new one is in place), on failure it is removed and ``out``
    stays as it was."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _clear_leftovers(out)
    tag = Owner.current().tag
    staging = out.parent / f".{out.name}.partial-{tag}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old = out.parent / f".{out.name}.old-{tag}"
    if out.exists():
        out.rename(old)
    staging.rename(out)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def _clear_leftovers(out: Path) -> None:
    """Remove the partial folders that processes no longer running left beside ``out``; put
    back a previous folder that was moved aside when its writer died mid-swap."""
    for kind in ("old", "partial"):  # an old folder is put back before partials are removed
        for path in sorted(out.parent.glob(f".{out.name}.{kind}-*")):
            if Owner.alive_tag(path.name.rsplit(f".{kind}-", 1)[1]):
                continue
            if kind == "old" and not out.exists():
                log.warning("putting back %s, moved aside by a write that did not finish", out)
                path.rename(out)
                continue
            log.info("removing %s, left by a write that did not finish", path)
            shutil.rmtree(path, ignore_errors=True)


#: customers up to which the results folder holds ``customers.csv`` besides
#: ``customers.parquet`` (``CVM_CUSTOMERS_CSV`` sets another number, or ``on`` / ``off``)
CUSTOMERS_CSV_MAX = 1_000_000


def customers_csv_wanted(n_customers: int, setting: bool | None = None) -> tuple[bool, int | None]:
    """Whether the results folder of ``n_customers`` customers gets ``customers.csv``, and the
    limit that decided (None when forced). ``setting`` True or False forces it; None reads
    ``CVM_CUSTOMERS_CSV``: ``on`` (always), ``off`` (never) or the most customers to write it
    for (default :data:`CUSTOMERS_CSV_MAX`). The Parquet file is always written."""
    if setting is not None:
        return bool(setting), None
    value = os.environ.get("CVM_CUSTOMERS_CSV", "").strip().lower()
    if value in ("on", "always", "yes"):
        return True, None
    if value in ("off", "never", "no"):
        return False, None
    limit = CUSTOMERS_CSV_MAX
    if value:
        try:
            limit = int(value.replace(",", "").replace("_", ""))
        except ValueError:
            limit = -1
        if limit < 0:
            raise ConfigError(f"CVM_CUSTOMERS_CSV must be on, off or a number of customers, "
                              f"not {value!r}")
    return n_customers <= limit, limit


def write_results(ws: Workspace, result, out: str | Path, *, lang: str = "en",
                  customers_csv: bool | None = None) -> Path:
    """Write ``customers.parquet``/``.csv``, ``segments.csv``, ``rejects.csv``,
    ``summary.json`` and ``report.html`` into ``out``.

    ``customers.csv`` is written up to :data:`CUSTOMERS_CSV_MAX` customers unless
    ``customers_csv`` (or ``CVM_CUSTOMERS_CSV``) says otherwise
    (:func:`customers_csv_wanted`); when it is not, ``summary.json`` says why.

    Raises :class:`ResultsError` (one sentence naming the folder) when the folder cannot be
    written; ``out`` then holds what it held before."""
    try:
        return _write_results(ws, result, out, lang=lang, customers_csv=customers_csv)
    except ResultsError:
        raise
    except OSError as exc:
        raise ResultsError(_write_failure(Path(out), exc)) from exc


def _write_failure(out: Path, exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        why = "the disk is full; free some space there and run again"
    elif exc.errno == errno.EFBIG:
        why = "a file would be larger than this system allows"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = "cvm may not write there; choose another folder with --out"
    else:
        why = exc.strerror or str(exc)
    kept = "it still holds the previous results" if out.exists() else "nothing was written"
    return f"the results folder {out} could not be written ({why}); {kept}"


def _write_results(ws: Workspace, result, out: str | Path, *, lang: str,
                   customers_csv: bool | None = None) -> Path:
    from .reports import report_customers, write_report

    n = result.customer_rows
    wanted, limit = customers_csv_wanted(n, customers_csv)
    with staged_folder(out) as staging:
        if result.customer_file is not None:  # the run wrote it this way already
            place_file(result.customer_file, staging / "customers.parquet")
        elif result.customers_here:
            pq.write_table(result.customers, staging / "customers.parquet")
        else:  # read from the workspace a part at a time
            with pq.ParquetWriter(staging / "customers.parquet",
                                  result.customer_schema) as writer:
                for batch in result.customer_batches(_CSV_PART_ROWS):
                    writer.write_batch(batch)
        if wanted and result.customers_here:
            write_csv(result.customers, staging / "customers.csv")
        elif wanted:  # from the workspace a part at a time
            write_csv_parts(result.customer_batches(_CSV_PART_ROWS), staging / "customers.csv")
        write_csv(result.segments, staging / "segments.csv")
        rejects = ws.arrow('SELECT file, "row", field, value, code, reason FROM rejects '
                           'ORDER BY file_id, "row"')
        write_csv(rejects, staging / "rejects.csv")
        summary = {"run_id": result.run_id, "info": result.info, "pareto": result.pareto,
                   "loads": [r.as_dict() for r in result.loads]}
        if not wanted:
            summary["customers_csv"] = _csv_note(n, limit)
        (staging / "summary.json").write_text(
            json.dumps(summary, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
        # the report reads the columns it needs from the folder's Parquet file, one at a time
        write_report(staging / "report.html", report_customers(staging / "customers.parquet"),
                     _segments_for_report(result),
                     result.pareto, _with_campaigns(ws, result.info), lang=lang)
    return Path(out)


def _csv_note(n: int, limit: int | None) -> dict:
    """Why the results folder has no ``customers.csv``, in both languages."""
    if limit is None:
        return {"written": False, "customers": n,
                "note": "customers.csv not written (turned off); customers.parquet holds "
                        "every customer",
                "note_zh": "未写出 customers.csv（已关闭）；customers.parquet 包含全部客户"}
    return {"written": False, "customers": n, "limit": limit,
            "note": f"customers.csv not written: {n:,} customers, more than {limit:,} "
                    "(CVM_CUSTOMERS_CSV); customers.parquet holds every customer",
            "note_zh": f"未写出 customers.csv：共 {n:,} 位客户，超过 {limit:,} 位"
                       "（CVM_CUSTOMERS_CSV）；customers.parquet 包含全部客户"}


def _with_campaigns(ws: Workspace, info: dict) -> dict:
    """The run's information with the workspace's campaign registry, for the report's campaigns
    section (unchanged when the workspace has no campaign)."""
    from .campaigns.registry import registry_snapshot

    campaigns = registry_snapshot(ws)
    return {**info, "campaigns": campaigns} if campaigns else info


def _segments_for_report(result):
    return result.segments_frame()
