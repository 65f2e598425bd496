"""The endpoints of a run's load report and rejected rows (``/api/v1/runs/{id}/…``); the
figures come from :mod:`cvm.api.loads`."""

from __future__ import annotations

import io
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from ..spreadsheet import formula_safe
from . import loads
from .reader import NotFound
from .routes import _MAX_INT, Lang, Viewer, _errors, _figures_of, _json, _server

__all__ = ["router"]

router = APIRouter(prefix="/api/v1")
RunPath = Annotated[int, PathParam(ge=1, le=_MAX_INT)]

#: Headers of the rejects download.
_HEADERS = {
    "file": ("File", "文件"), "row": ("Row", "行号"), "field": ("Column", "列"),
    "code": ("Reason code", "原因代码"), "reason": ("Reason", "原因"),
    "value": ("Value", "原始值"), "detail": ("Detail", "详情"),
}


def _run(request: Request, run_id: int) -> int:
    """A run that exists (complete or not: a failed run's loads are worth seeing too)."""
    if not _server(request).reader.rows("SELECT run_id FROM runs WHERE run_id = ?", [run_id]):
        raise NotFound(f"no run {run_id}")
    return run_id


@router.get("/runs/{run_id}/load-report", response_model=None, tags=["runs"],
            responses=_figures_of(401, 404, why={404: "No such run"}))
async def load_report(run_id: RunPath, request: Request, who: Viewer, lang: Lang = "en"):
    """What the run's loads did, per file: rows read, loaded and rejected, rejects per reason,
    which source column became which field (and whether it was guessed or mapped), and the
    order of day and month assumed for dates such as 05/03/2024."""
    reader = _server(request).reader
    rid = _run(request, run_id)
    return _json(await run_in_threadpool(loads.load_report, reader, rid, lang))


@router.get("/runs/{run_id}/rejects", response_model=None, tags=["runs"],
            responses={200: {"content": {"text/csv": {}},
                             "description": "A page of rejected rows, or all of them as CSV"},
                       **_errors(401, 403, 404, why={
                           403: "The CSV download needs the analyst role",
                           404: "No such run"})})
async def rejects(run_id: RunPath, request: Request, who: Viewer, lang: Lang = "en",
                  file_id: Annotated[int | None, Query(ge=1, le=_MAX_INT)] = None,
                  code: Annotated[str | None, Query(max_length=100)] = None,
                  format: Literal["json", "csv"] = "json",
                  page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
                  page_size: Annotated[int, Query(ge=1, le=500)] = 50):
    """The rows the run's loads rejected: file, row number, column, reason and the raw value,
    in file and row order; ``format=csv`` downloads them all (analysts and admins). Viewers
    see the reasons but not the raw values (``***``), which may hold personal data."""
    reader = _server(request).reader
    rid = _run(request, run_id)
    masked = bool(who.masked)
    if format == "json":
        return _json(await run_in_threadpool(
            lambda: loads.rejects_page(reader, rid, lang=lang, masked=masked, file_id=file_id,
                                       code=code, page=page, page_size=page_size)))
    if who.role == "viewer":
        raise HTTPException(403, "downloading rejected rows needs the analyst role: a rejected "
                                 "row may hold personal data")
    rows = loads.reject_rows(reader, rid, lang=lang, masked=masked, file_id=file_id, code=code)
    return StreamingResponse(
        _csv(rows, lang), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="cvm-rejects-run{rid}.csv"'})


def _csv(rows, lang: str):
    """UTF-8 CSV with a byte-order mark (Excel opens it right), every text cell formula-safe."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    i = 1 if lang == "zh" else 0
    names = [_HEADERS[c][i] for c in loads.REJECT_EXPORT_COLUMNS]
    schema = pa.schema([(c, pa.int64() if c == "row" else pa.string())
                        for c in loads.REJECT_EXPORT_COLUMNS])
    yield "\ufeff".encode("utf-8")
    first = True
    batch: list[tuple] = []

    def write(chunk: list[tuple], header: bool) -> bytes:
        table = pa.Table.from_pylist([dict(zip(schema.names, r)) for r in chunk], schema=schema)
        sink = io.BytesIO()
        pacsv.write_csv(formula_safe(table).rename_columns(names), sink,
                        pacsv.WriteOptions(include_header=header))
        return sink.getvalue()

    for row in rows:
        batch.append(row)
        if len(batch) == 10_000:
            yield write(batch, first)
            first, batch = False, []
    if batch or first:
        yield write(batch, first)
