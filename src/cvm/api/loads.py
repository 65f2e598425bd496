"""What a run's loads did: rows read, loaded and rejected per file, the columns guessed, the
date order assumed, and the rejected rows themselves.

All of it comes from what the loader records in the workspace: the ``files`` table (counts,
the column map, the options) and the ``rejects`` table (file, row, field, raw value, code,
reason). A run names the files it loaded itself (``loaded_files`` in its summary); a run that
analysed data loaded earlier, or one made before runs named their files, reports every file
loaded up to its start.

A rejected row may hold personal data (a phone number in the wrong column, a name). Callers
who see personal fields masked (viewers) get the counts, codes and reasons but neither the raw
value nor the loader's own detail, which quotes the value (see docs/security.md).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ..vocabulary import reject_label

if TYPE_CHECKING:  # pragma: no cover
    from .reader import ResultsReader

__all__ = ["run_file_ids", "load_report", "rejects_page", "reject_rows", "REJECT_EXPORT_COLUMNS"]

#: Columns of the rejects download, in order.
REJECT_EXPORT_COLUMNS = ("file", "row", "field", "code", "reason", "value", "detail")
_MASK = "***"


def run_file_ids(reader: ResultsReader, run_id: int) -> list[int]:
    """The files a run loaded (see the module)."""
    info = reader.summary(run_id).get("info") or {}
    named = info.get("loaded_files")
    if named:
        return [int(f) for f in named]
    started = reader.scalar("SELECT started_at FROM runs WHERE run_id = ?", [run_id])
    return [r["file_id"] for r in reader.rows(
        "SELECT file_id FROM files WHERE loaded_at <= ? ORDER BY file_id", [started])]


def load_report(reader: ResultsReader, run_id: int, lang: str = "en") -> dict:
    """Per file: rows read, loaded and rejected, rejects per reason (in ``lang``), the columns
    as found (``how`` and source column per field) and the date order assumed."""
    ids = run_file_ids(reader, run_id)
    if not ids:
        return {"run_id": run_id, "files": [], "rows_read": 0, "rows_loaded": 0,
                "rows_rejected": 0}
    files = reader.rows(
        "SELECT file_id, table_kind AS \"table\", name AS file, loaded_at, rows_read, rows_loaded,"
        " rows_rejected, columns AS columns_text, options, column_map FROM files "
        "WHERE file_id = ANY(?) ORDER BY file_id", [ids])
    counts: dict[int, list] = {}
    for r in reader.rows("SELECT file_id, code, count(*) AS n FROM rejects WHERE file_id = ANY(?) "
                         "GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2", [ids]):
        counts.setdefault(r["file_id"], []).append(
            {"code": r["code"], "reason": reject_label(r["code"], lang), "rows": r["n"]})
    out = []
    for f in files:
        stored = json.loads(f.pop("column_map") or "null")
        options = json.loads(f.pop("options") or "{}")
        text = f.pop("columns_text")
        if stored is None:  # a file loaded before the column map was recorded
            stored = {"how": None, "columns": {}, "described": text,
                      "date_order": _date_order(options)}
        f["columns"] = [{"field": k, "source_column": v} for k, v in stored["columns"].items()]
        f["columns_found"] = stored["how"]
        if "described" in stored:
            f["columns_described"] = stored["described"]
        f["date_order"] = stored["date_order"]
        f["reasons"] = counts.get(f["file_id"], [])
        out.append(f)
    return {"run_id": run_id, "files": out,
            "rows_read": sum(f["rows_read"] for f in out),
            "rows_loaded": sum(f["rows_loaded"] for f in out),
            "rows_rejected": sum(f["rows_rejected"] for f in out)}


def _date_order(options: dict) -> str:
    inner = options.get("options", options)  # transactions keep their options one level down
    return "day_first" if inner.get("dayfirst") else "month_first"


def _where(ids: list[int], file_id: int | None, code: str | None) -> tuple[str, list]:
    clauses, params = ["file_id = ANY(?)"], [ids]
    if file_id is not None:
        clauses.append("file_id = ?")
        params.append(file_id)
    if code is not None:
        clauses.append("code = ?")
        params.append(code)
    return " WHERE " + " AND ".join(clauses), params


def _shown(row: dict, lang: str, masked: bool) -> dict:
    row["reason"], row["detail"] = reject_label(row["code"], lang), row.pop("detail")
    if masked:
        row["value"] = None if row["value"] is None else _MASK
        row["detail"] = None
    return row


def rejects_page(reader: ResultsReader, run_id: int, *, lang: str = "en", masked: bool,
                 file_id: int | None = None, code: str | None = None, page: int = 1,
                 page_size: int = 50) -> dict:
    """One page of a run's rejected rows, in file and row order."""
    ids = run_file_ids(reader, run_id)
    if not ids:
        return {"run_id": run_id, "total": 0, "page": page, "page_size": page_size,
                "masked": masked, "rows": []}
    where, params = _where(ids, file_id, code)
    total = reader.scalar(f"SELECT count(*) FROM rejects{where}", params)
    rows = reader.rows(
        f'SELECT file_id, file, "row", field, value, code, reason AS detail FROM rejects{where} '
        'ORDER BY file_id, "row", field LIMIT ? OFFSET ?',
        params + [page_size, (page - 1) * page_size])
    return {"run_id": run_id, "total": total, "page": page, "page_size": page_size,
            "masked": masked, "rows": [_shown(r, lang, masked) for r in rows]}


def reject_rows(reader: ResultsReader, run_id: int, *, lang: str = "en", masked: bool,
                file_id: int | None = None, code: str | None = None):
    """Every rejected row of a run as tuples of :data:`REJECT_EXPORT_COLUMNS`, in batches."""
    ids = run_file_ids(reader, run_id)
    if not ids:
        return
    where, params = _where(ids, file_id, code)
    cursor = reader.ws.con.cursor()  # its own cursor: the rows stream while the file is written
    try:
        result = cursor.execute(
            f'SELECT file_id, file, "row", field, value, code, reason AS detail FROM rejects'
            f'{where} ORDER BY file_id, "row", field', params)
        names = [d[0] for d in result.description]
        while True:
            chunk = result.fetchmany(10_000)
            if not chunk:
                return
            for values in chunk:
                shown = _shown(dict(zip(names, values)), lang, masked)
                yield tuple(shown[c] for c in REJECT_EXPORT_COLUMNS)
    finally:
        cursor.close()
