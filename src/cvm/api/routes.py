"""The REST API under ``/api/v1``: thin endpoints over the workspace, the results reader and
the run queue."""

from __future__ import annotations

import datetime as dt
import decimal
import io
import json
import math
import shutil
import uuid
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import (APIRouter, Depends, File, Form, HTTPException, Query, Request, Response,
                     Security, UploadFile)
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPBearer
from pydantic import WithJsonSchema

from .. import __version__
from ..config import AnalysisConfig, ConfigError, RFMOptions
from ..features.rfm_schemes import SchemeError, list_schemes, load_scheme
from ..spreadsheet import formula_safe, write_workbook
from ..insights.timeline import FREE_TEXT_FIELDS
from .access import SESSION_COOKIE, Principal, check_origin, mask_free_text, mask_row
from .columns import column_label
from .jobs import Job
from .models import (SCHEMES, CustomerPage, ErrorOut, Figures, Health, JobOut, RunRequest,
                     RunRow, SessionIn, TokenCreated, TokenIn, TokenRow, Whoami)
from .reader import CustomerQuery
from .redaction import public_error
from .tokens import TokenError, TokenExpired, create_token, list_tokens, revoke_token
from .uploads import UploadError, check_upload, safe_name

__all__ = ["router"]

router = APIRouter(prefix="/api/v1")
_bearer = HTTPBearer(auto_error=False, description="An API token from `cvm token create`")
_MAX_INT = 2**31 - 1

#: What each refusal means, unless an operation says more (every refusal is ``{"detail": …}``).
_REFUSALS = {
    400: "The request cannot be carried out; the detail says why",
    401: "Not signed in: no token, an unknown, revoked or expired one, or a dashboard session "
         "that ended",
    403: "The token's role is too low for this, or a change made with the dashboard's session "
         "cookie came from a page of another origin",
    404: "No such run (or no complete run yet)",
    409: "The workspace could not be written: the disk is full",
    413: "Larger than the upload limit (cvm serve --max-upload-mb)",
    429: "Too many uploads under way (cvm serve --max-uploads); try again later",
}
_HEADERS = {
    401: {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}},
    429: {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "string"}}},
}
#: A body that is not JSON text in UTF-8 (or not well-formed multipart) is refused unread.
_UNREADABLE = "The body cannot be parsed"
_BAD_QUERY = "A filter or sort column this run does not have"


def _errors(*codes: int, why: dict[int, str] | None = None) -> dict[int, dict]:
    """The ``responses`` entries of the refusals an operation can answer."""
    said = why or {}
    return {code: {"model": ErrorOut, "description": said.get(code, _REFUSALS[code]),
                   **({"headers": _HEADERS[code]} if code in _HEADERS else {})}
            for code in codes}


def _figures_of(*codes: int, why: dict[int, str] | None = None) -> dict[int, dict]:
    return {200: {"model": Figures, "description": "Figures of the run"},
            **_errors(*codes, why=why)}


def _json(data) -> Response:
    """Serialise straight to JSON (dates as ISO text; NaN as null), skipping model validation."""
    try:
        text = json.dumps(data, default=_plain, ensure_ascii=False, allow_nan=False,
                          separators=(",", ":"))
    except ValueError:  # a NaN or infinity somewhere: replace them and try again
        text = json.dumps(_finite(data), default=_plain, ensure_ascii=False, allow_nan=False,
                          separators=(",", ":"))
    return Response(text.encode("utf-8"), media_type="application/json")


def _finite(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _plain(value):
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")
_EXCEL_ROWS = 1_048_575


def _server(request: Request):
    return request.app.state.cvm


def _role(role: str):
    # async: checked on the event loop (a dictionary look-up; the workspace is asked at most
    # every few seconds per token), without a hop to the thread pool
    async def dependency(request: Request, _token=Security(_bearer)) -> Principal:
        return _server(request).access.require(request, role)
    dependency.__name__ = f"require_{role}"
    return dependency


Viewer = Annotated[Principal, Depends(_role("viewer"))]
Analyst = Annotated[Principal, Depends(_role("analyst"))]
Admin = Annotated[Principal, Depends(_role("admin"))]
RunId = Annotated[int | None, Query(ge=1, le=_MAX_INT, description="A complete run "
                                                                   "(default: the latest)")]
Lang = Annotated[Literal["en", "zh"], Query(description=(
    "The language of the labels (segment names, stages, actions, playbook text), whatever "
    "the language the run was made in"))]


# -- health and sessions -------------------------------------------------------------------

@router.get("/health", response_model=Health, tags=["server"])
def health(request: Request):
    """Whether the server is up, and the latest complete run (no token needed)."""
    return Health(status="ok", version=__version__, latest_run=_server(request).reader.latest_run())


@router.post("/session", response_model=Whoami, tags=["server"],
             responses=_errors(400, 401, 403, why={
                 400: _UNREADABLE, 401: "Unknown, revoked or expired token",
                 403: "Sent from a page of another origin"}))
def sign_in(body: SessionIn, request: Request, response: Response):
    """Sign in with a token: sets the dashboard's HttpOnly, SameSite=Strict session cookie.
    A sign-in sent from another origin (its ``Origin`` header names another site or port) is
    refused with 403."""
    server = _server(request)
    if "origin" in request.headers:
        check_origin(request)
    try:
        who = server.access.check_token(body.token)
    except TokenExpired as exc:
        raise HTTPException(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) from None
    if who is None:
        raise HTTPException(401, "unknown or revoked token", headers={"WWW-Authenticate": "Bearer"})
    sid = server.access.open_session(who)
    response.set_cookie(SESSION_COOKIE, sid, max_age=math.ceil(server.access.session_seconds),
                        httponly=True, samesite="strict", secure=request.url.scheme == "https",
                        path="/")
    return Whoami(role=who.role, name=who.name, key=who.key)


@router.delete("/session", status_code=204, tags=["server"],
               responses=_errors(403, why={403: "Sent from a page of another origin"}))
def sign_out(request: Request):
    """Sign out of the dashboard (the session ends on the server: the cookie stops working).
    Refused with 403 when sent from a page of another origin."""
    if "origin" in request.headers or "referer" in request.headers:
        check_origin(request)
    _server(request).access.close_session(request.cookies.get(SESSION_COOKIE))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/session", response_model=Whoami, tags=["server"], responses=_errors(401))
def whoami(who: Viewer):
    """The caller's role."""
    return Whoami(role=who.role, name=who.name, key=who.key)


# -- runs and jobs -------------------------------------------------------------------------

@router.get("/runs", response_model=list[RunRow], tags=["runs"], responses=_errors(401))
def runs(request: Request, who: Viewer):
    """Every run with its status (running, complete, failed) and error."""
    return [_public_run(r) for r in _server(request).reader.runs()]


# digits only: another word after /runs/ (like "upload") is no run, and not this route's
@router.get("/runs/{run_id:int}", response_model=RunRow, tags=["runs"],
            responses=_errors(401, 404, why={404: "No such run"}))
def run_detail(run_id: Annotated[int, PathParam(ge=1, le=_MAX_INT)], request: Request,
               who: Viewer):
    """One run's status."""
    for row in _server(request).reader.runs():
        if row["run_id"] == run_id:
            return _public_run(row)
    raise HTTPException(404, f"no run {run_id}")


def _public_run(row: dict) -> dict:
    return dict(row, error=public_error(row["error"]))


def _public_job(job: Job) -> dict:
    """A job as callers see it: its error without server paths."""
    out = job.as_dict()
    out["error"] = public_error(out["error"])
    return out


def _config(as_of, window_days, rfm_scheme, lang) -> AnalysisConfig:
    try:
        load_scheme(rfm_scheme) if rfm_scheme in list_schemes() else _unknown_scheme(rfm_scheme)
        return AnalysisConfig(as_of=as_of, window_days=window_days, lang=lang,
                              rfm=RFMOptions(scheme=rfm_scheme))
    except (ConfigError, SchemeError, ValueError) as exc:
        raise HTTPException(400, str(exc)) from None


def _unknown_scheme(name: str):
    raise SchemeError(f"unknown RFM scheme {name!r}: use one of {', '.join(list_schemes())}")


@router.post("/runs", response_model=JobOut, status_code=202, tags=["runs"],
             responses=_errors(400, 401, 403, 409, why={
                 400: "An unknown source or RFM scheme, settings that do not fit together, "
                      "or a body that cannot be parsed"}))
def start_run(body: RunRequest, request: Request, who: Admin):
    """Queue a run: load a configured source first (when named), then analyse. Poll
    ``/jobs/{job_id}`` for progress."""
    server = _server(request)
    files: list[str] = []
    if body.source is not None:
        if body.source not in server.sources:
            known = ", ".join(sorted(server.sources)) or "none configured"
            raise HTTPException(400, f"unknown source {body.source!r} (sources: {known})")
        files = [server.sources[body.source]]
    config = _config(body.as_of, body.window_days, body.rfm_scheme, body.lang)
    job = Job("", "source" if files else "workspace", transactions=files, config=config,
              names=[body.source] if files else [])
    return _public_job(server.jobs.submit(job))


# a form field holds text: one left out is none, there is no null to send
_FORM_DATE = WithJsonSchema({"type": "string", "format": "date"})
_FORM_DAYS = WithJsonSchema({"type": "integer", "minimum": 1, "maximum": 36500})


@router.post("/runs/upload", response_model=JobOut, status_code=202, tags=["runs"],
             responses=_errors(400, 401, 403, 409, 413, 429, why={
                 400: "Not a file cvm can read (by its name's ending and its first bytes), "
                      "an unknown RFM scheme, settings that do not fit together, or a body "
                      "that cannot be parsed"}))
def upload_run(request: Request, who: Admin,
               transactions: Annotated[UploadFile, File(description="Transactions: CSV/TSV/"
                                                        "text, .xlsx, Parquet or JSON lines")],
               customers: Annotated[UploadFile, File(description="A customer list (optional)")]
               = None,
               as_of: Annotated[dt.date | None, Form(), _FORM_DATE] = None,
               window_days: Annotated[int | None, Form(ge=1, le=36500), _FORM_DAYS] = None,
               rfm_scheme: Annotated[str, Form(json_schema_extra=SCHEMES)] = "std11",
               lang: Annotated[Literal["en", "zh"], Form()] = "en"):
    """Upload a transactions file (and optionally a customer list) and queue a run on it."""
    server = _server(request)
    config = _config(as_of, window_days, rfm_scheme, lang)
    folder = server.upload_dir / uuid.uuid4().hex[:12]
    folder.mkdir(parents=True, exist_ok=True)
    try:
        saved: dict[str, list[str]] = {"transactions": [], "customers": []}
        for kind, upload in (("transactions", transactions), ("customers", customers)):
            if upload is None:
                continue
            name = safe_name(upload.filename)
            target = folder / kind / name
            target.parent.mkdir(exist_ok=True)
            with target.open("wb") as out:
                shutil.copyfileobj(upload.file, out, 1 << 20)
            check_upload(target, name)
            saved[kind].append(str(target))
    except UploadError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise HTTPException(400, str(exc)) from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    job = Job("", "upload", transactions=saved["transactions"], customers=saved["customers"],
              config=config, cleanup=folder,
              names=[Path(p).name for p in saved["transactions"] + saved["customers"]])
    return _public_job(server.jobs.submit(job))


@router.get("/jobs", response_model=list[JobOut], tags=["runs"], responses=_errors(401))
def jobs(request: Request, who: Viewer):
    """Runs started through the server, newest first, with progress."""
    return [_public_job(j) for j in _server(request).jobs.list()]


@router.get("/jobs/{job_id}", response_model=JobOut, tags=["runs"],
            responses=_errors(401, 404, why={404: "No such job"}))
def job(job_id: Annotated[str, PathParam(max_length=64)], request: Request, who: Viewer):
    """One job's status and progress (0–1)."""
    found = _server(request).jobs.get(job_id)
    if found is None:
        raise HTTPException(404, f"no job {job_id!r}")
    return _public_job(found)


@router.get("/sources", response_model=list[str], tags=["runs"], responses=_errors(401, 403))
def sources(request: Request, who: Admin):
    """Names of the configured sources a run can load."""
    return sorted(_server(request).sources)


# -- aggregates ----------------------------------------------------------------------------

async def _figures(request: Request, kind: str, run_id: int | None, lang: str) -> Response:
    """A run's figures: straight from the cache when computed before, else computed in a
    worker thread (never on the event loop)."""
    reader = _server(request).reader
    if run_id is None:
        latest = reader.latest_run()
        body = reader.peek(("json", kind, latest, lang)) if latest is not None else None
        if body is not None:
            return Response(body, media_type="application/json")
    rid = run_id if run_id is not None else reader.latest_run()
    response = _json(await run_in_threadpool(
        lambda: getattr(reader, kind)(reader.resolve(rid), lang=lang)))
    if rid is not None:
        reader.cached(("json", kind, rid, lang), lambda: response.body)
    return response


@router.get("/overview", response_model=None, tags=["results"],
            responses=_figures_of(401, 404))
async def overview(request: Request, who: Viewer, run_id: RunId = None, lang: Lang = "en"):
    """Customers, revenue, active share, the Pareto curve and the RFM segments."""
    return await _figures(request, "overview", run_id, lang)


@router.get("/schemes", response_model=list[str], tags=["results"], responses=_errors(401))
def schemes(who: Viewer):
    """The built-in RFM segment schemes."""
    return list_schemes()


@router.get("/segments", response_model=None, tags=["results"],
            responses=_figures_of(400, 401, 404, why={400: "An unknown RFM scheme"}))
def segments(request: Request, who: Viewer, run_id: RunId = None,
             scheme: Annotated[str | None, Query(json_schema_extra=SCHEMES)] = None,
             lang: Lang = "en"):
    """Segment summary in the run's scheme, or in another built-in scheme."""
    reader = _server(request).reader
    return _json(reader.segments(reader.resolve(run_id), scheme, lang))


@router.get("/matrix", response_model=None, tags=["results"],
            responses=_figures_of(401, 404))
async def matrix(request: Request, who: Viewer, run_id: RunId = None, lang: Lang = "en"):
    """The value × lifecycle matrix (customers and value per cell, with the playbook)."""
    return await _figures(request, "matrix", run_id, lang)


@router.get("/lifecycle/funnel", response_model=None, tags=["results"],
            responses=_figures_of(401, 404))
def funnel(request: Request, who: Viewer, run_id: RunId = None, lang: Lang = "en"):
    """Customers per lifecycle stage."""
    reader = _server(request).reader
    return _json(reader.funnel(reader.resolve(run_id), lang))


@router.get("/lifecycle/flows", response_model=None, tags=["results"],
            responses=_figures_of(401, 404))
def flows(request: Request, who: Viewer,
          from_run: Annotated[int | None, Query(ge=1, le=_MAX_INT)] = None,
          to_run: Annotated[int | None, Query(ge=1, le=_MAX_INT)] = None):
    """How customers moved between two runs (default: the last two complete runs)."""
    reader = _server(request).reader
    to_id = reader.resolve(to_run)
    if from_run is None:
        earlier = [r["run_id"] for r in reader.runs()
                   if r["status"] == "complete" and r["run_id"] < to_id]
        if not earlier:
            return _json(reader.history_flows(to_id))
        from_run = earlier[-1]
    return _json(dict(reader.flows(reader.resolve(from_run), to_id), available=True))


@router.get("/clv", response_model=None, tags=["results"],
            responses=_figures_of(401, 404))
def clv(request: Request, who: Viewer, run_id: RunId = None, lang: Lang = "en"):
    """The CLV distribution and the model validation table, when the run computed CLV."""
    reader = _server(request).reader
    return _json(reader.clv(reader.resolve(run_id), lang))


@router.get("/clv/validation", response_model=None, tags=["results"],
            responses=_figures_of(401, 404))
def clv_validation(request: Request, who: Viewer, run_id: RunId = None):
    """Calibration / holdout validation of the purchase model: weekly repeat purchases actual
    vs expected, and holdout purchases by calibration frequency (computed once per run)."""
    reader = _server(request).reader
    return _json(reader.clv_validation(reader.resolve(run_id)))


@router.get("/cohorts", response_model=None, tags=["results"],
            responses=_figures_of(400, 401, 403, 404,
                                  why={400: "An unknown source or dimension",
                                       403: "A split by a field the caller sees masked"}))
def cohorts(request: Request, who: Viewer, run_id: RunId = None,
            source: Annotated[Literal["purchases", "members"], Query()] = "purchases",
            by: Annotated[str, Query(max_length=100)] = "all"):
    """Acquisition cohorts by month: per cohort and month since acquisition the customers who
    bought (``active``, ``active_share``), those lost (no purchase then or later), survivors,
    revenue and margin and their running totals per acquired customer, as triangles; split by
    a dimension fixed at acquisition (``by``: value_tier, the first day's spend as a third of the
    cohort; channel, store of the first purchase; plan for members) where the run has it.
    ``source=members``: the subscription members' cohorts and their retention curves."""
    if by in who.masked_columns:
        raise HTTPException(403, f"cohorts cannot be split by {by}, which you see masked")
    reader = _server(request).reader
    return _json(reader.cohorts(reader.resolve(run_id), source, by))


@router.get("/alerts", response_model=list[dict[str, Any]], tags=["results"],
            responses=_errors(401, 404))
def alerts(request: Request, who: Viewer, run_id: RunId = None, lang: Lang = "en"):
    """What needs attention: a failed last run, valuable customers slipping, segment shifts."""
    reader = _server(request).reader
    latest = reader.latest_run() if run_id is None else reader.resolve(run_id)
    return reader.alerts(latest, lang)


# -- customers -----------------------------------------------------------------------------

def _query(segment: Annotated[str | None, Query(max_length=200)] = None,
           cell: Annotated[str | None, Query(max_length=200)] = None,
           stage: Annotated[str | None, Query(max_length=200)] = None,
           abc: Annotated[Literal["A", "B", "C"] | None, Query()] = None,
           quadrant: Annotated[str | None, Query(max_length=200)] = None,
           clv_min: float | None = None, clv_max: float | None = None,
           q: Annotated[str | None, Query(max_length=200, description=(
               "Search customer id, name, phone and email (viewers: the customer id only, "
               "as they see the others masked)"))] = None,
           sort: Annotated[str, Query(min_length=1, max_length=100, description=(
               "A column of the run (viewers: not a personal field)"))] = "value_rank",
           order: Literal["asc", "desc"] = "asc",
           page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
           page_size: Annotated[int, Query(ge=1, le=500)] = 50) -> CustomerQuery:
    return CustomerQuery(segment=segment, cell=cell, stage=stage, abc=abc, quadrant=quadrant,
                         clv_min=clv_min, clv_max=clv_max, search=q, sort=sort,
                         descending=order == "desc", page=page, page_size=page_size)


@router.get("/customers", response_model=None,
            responses={200: {"model": CustomerPage, "description": "One page of customers"},
                       **_errors(400, 401, 403, 404, why={400: _BAD_QUERY, 403: (
                           "A viewer asked to sort by a personal field (name, phone, email, "
                           "national id, address, birth date), which viewers see masked")})},
            tags=["customers"])
def customers(request: Request, who: Viewer, query: Annotated[CustomerQuery, Depends(_query)],
              run_id: RunId = None, lang: Lang = "en"):
    """Customers, filtered (segment, matrix cell, lifecycle stage, ABC class, CLV range),
    sorted and paged. Viewers get names, phones, emails and id numbers masked; their search
    looks only at the customer id, and they cannot sort by a masked field."""
    reader = _server(request).reader
    query.masked = frozenset(who.masked_columns)
    page = reader.customers(reader.resolve(run_id), query, lang)
    page["masked"] = [c for c in page["columns"] if c in query.masked]
    if who.masked:
        page["rows"] = [mask_row(r) for r in page["rows"]]
    return _json(page)


@router.get("/customers/{customer_id:path}", response_model=None,
            responses=_figures_of(401, 404, why={404: "No such customer in the run, or no "
                                                      "such run"}),
            tags=["customers"])
def customer(customer_id: str, request: Request, who: Viewer, run_id: RunId = None,
             lang: Lang = "en"):
    """One customer's 360° view: scores, segments, value, history over runs, purchases,
    source records and the timeline of purchases, service contacts, survey answers and campaigns
    (a contact's free-text note masked for viewers). An id holding ``/`` is sent as it is or percent-encoded
    (``A%2F1``)."""
    reader = _server(request).reader
    view = reader.customer(reader.resolve(run_id), customer_id, lang)
    if who.masked:
        view["customer"] = mask_row(view["customer"])
        view["sources"] = [mask_row(r) for r in view["sources"]]
        view["golden"] = mask_row(view["golden"])
        view["timeline"] = [mask_free_text(e, FREE_TEXT_FIELDS) for e in view["timeline"]]
    return _json(view)


@router.get("/export", tags=["customers"], response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}, "application/vnd.openxmlformats-"
                                         "officedocument.spreadsheetml.sheet": {}},
                             "description": "The target list"},
                       **_errors(400, 401, 403, 404, why={
                           400: _BAD_QUERY + ", or more customers than one Excel sheet holds"})})
def export(request: Request, who: Analyst, query: Annotated[CustomerQuery, Depends(_query)],
           run_id: RunId = None, format: Literal["csv", "xlsx"] = "csv",
           lang: Lang = "en",
           limit: Annotated[int | None, Query(ge=1, le=50_000_000)] = None):
    """The target list: every customer matching the filters, as CSV (UTF-8, Excel-friendly)
    or an Excel workbook."""
    reader = _server(request).reader
    rid = reader.resolve(run_id)
    if format == "xlsx":
        total = reader.customers(rid, _first_page(query))["total"]
        if min(total, limit or total) > _EXCEL_ROWS:
            raise HTTPException(400, f"{total:,} customers do not fit in one Excel sheet: "
                                     "export CSV or narrow the filters")
    cursor, result = reader.export_rows(rid, query, limit=limit, lang=lang)
    stem = f"cvm-targets-run{rid}"
    if format == "csv":
        return StreamingResponse(_csv_chunks(cursor, result, lang), media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'})
    try:
        data = _xlsx(result, lang)
    finally:
        cursor.close()
    return Response(data, media_type="application/vnd.openxmlformats-officedocument."
                                     "spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{stem}.xlsx"'})


def _first_page(query: CustomerQuery) -> CustomerQuery:
    query.page, query.page_size = 1, 1
    return query


def _csv_chunks(cursor, result, lang: str):
    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        reader = result.to_arrow_reader(65_536)
        names = [column_label(n, lang) for n in reader.schema.names]
        yield "\ufeff".encode("utf-8")
        first = True
        for batch in reader:
            sink = io.BytesIO()
            table = pa.Table.from_batches([formula_safe(batch)]).rename_columns(names)
            pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=first))
            first = False
            yield sink.getvalue()
        if first:
            yield (",".join(names) + "\n").encode("utf-8")
    finally:
        cursor.close()


def _xlsx(result, lang: str) -> bytes:
    def rows():
        while True:
            chunk = result.fetchmany(10_000)
            if not chunk:
                return
            yield from chunk

    out = io.BytesIO()
    write_workbook(out, [column_label(d[0], lang) for d in result.description], rows(),
                   sheet="targets")
    return out.getvalue()


# -- tokens --------------------------------------------------------------------------------

@router.get("/tokens", response_model=list[TokenRow], tags=["tokens"],
            responses=_errors(401, 403))
def tokens(request: Request, who: Admin):
    """Every token (never the secret), revoked ones included."""
    return [t.as_dict() for t in list_tokens(_server(request).ws)]


@router.post("/tokens", response_model=TokenCreated, status_code=201, tags=["tokens"],
             responses=_errors(400, 401, 403, 409, why={400: _UNREADABLE}))
def new_token(body: TokenIn, request: Request, who: Admin):
    """Create a token; the answer shows it once."""
    server = _server(request)
    try:
        token = create_token(server.ws, body.role, name=body.name, expires_in=body.expires_in)
    except TokenError as exc:
        raise HTTPException(400, str(exc)) from None
    key = token.split("_")[1]
    info = next(t for t in list_tokens(server.ws) if t.key == key)
    return TokenCreated(token=token, key=key, role=body.role, name=body.name,
                        expires_at=info.expires_at)


@router.delete("/tokens/{key}", response_model=TokenRow, tags=["tokens"],
               responses=_errors(401, 403, 404, 409, why={404: "No token with this key"}))
def drop_token(key: str, request: Request, who: Admin):
    """Revoke a token: it and the sessions signed in with it stop working at once."""
    server = _server(request)
    try:
        info = revoke_token(server.ws, key)
    except TokenError as exc:
        raise HTTPException(404, str(exc)) from None
    server.access.forget_tokens(key)
    return info.as_dict()
