"""The server: one process that owns the workspace file and serves the REST API under
``/api/v1`` and the dashboard at ``/``.

DuckDB lets one process open a workspace file for writing, so the server holds it for its
lifetime: request threads read through their own cursors, and runs are written by one worker
thread (see :mod:`cvm.api.jobs`). Every script, style and the API docs page are served from the
package, so everything works with no internet.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from .. import __version__
from ..workspace import Workspace, WorkspaceError
from .access import Access
from .jobs import JobQueue
from .reader import BadQuery, MaskedColumn, NotFound, ResultsReader
from .tokens import ensure_token_table
from .uploads import UploadGate

__all__ = ["create_app", "Settings"]

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parents[1] / "web" / "static"


@dataclass
class Settings:
    """How the server runs.

    - ``workspace``: the workspace file (created when missing);
    - ``sources``: named sources a run can load (name → file path or ``postgresql://`` URL);
    - ``max_upload_mb``: larger uploads are refused with 413;
    - ``max_uploads``: uploads under way at once; one more is refused with 429;
    - ``upload_dir``: where uploads wait for their run (default: beside the workspace);
    - ``session_seconds``: how long a dashboard sign-in lasts.
    """

    workspace: str = "cvm.duckdb"
    sources: dict[str, str] = field(default_factory=dict)
    max_upload_mb: float = 200.0
    max_uploads: int = 2
    upload_dir: str | None = None
    session_seconds: float = 12 * 3600


class ServerState:
    """What the endpoints share: the workspace, the reader, access control and the run queue."""

    def __init__(self, settings: Settings):
        self.settings = settings
        # opening marks interrupted the runs whose process is gone (see cvm.workspace)
        self.ws = Workspace(settings.workspace)
        ensure_token_table(self.ws)  # before any run writes: it may add a column
        self.reader = ResultsReader(self.ws)
        self.access = Access(self.ws, session_seconds=settings.session_seconds)
        self.sources = dict(settings.sources)
        default_dir = (Path(tempfile.gettempdir()) / "cvm-uploads") if self.ws.path == ":memory:" \
            else Path(self.ws.path).parent / f".{Path(self.ws.path).name}.uploads"
        self.upload_dir = Path(settings.upload_dir) if settings.upload_dir else default_dir
        self.upload_dir.mkdir(parents=True, exist_ok=True)
        # the queue a stopped server left in the workspace is taken up again
        self.jobs = JobQueue(self.ws, on_finish=self._run_finished)
        if self.ws.path != ":memory:":
            self.jobs.remove_stray_uploads(self.upload_dir)

        threading.Thread(target=self._warm, name="cvm-warm", daemon=True).start()

    def _run_finished(self, status: str) -> None:
        self.reader.runs_changed()
        if status == "complete":
            threading.Thread(target=self._warm, name="cvm-warm", daemon=True).start()

    def _warm(self) -> None:
        try:
            self.reader.warm()
        except Exception:  # noqa: BLE001 - only a head start: requests build what they need
            log.warning("could not prepare the customer list index", exc_info=True)

    def close(self) -> None:
        self.jobs.close()
        self.reader.close()
        self.ws.close()


def create_app(settings: Settings | None = None) -> FastAPI:
    """The ASGI application (run it with uvicorn, as ``cvm serve`` does)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.cvm = ServerState(settings)
        log.info("serving workspace %s", settings.workspace)
        try:
            yield
        finally:
            app.state.cvm.close()

    app = FastAPI(
        title="cvm", version=__version__, lifespan=lifespan,
        description="Customer value management: runs, segments, the value × lifecycle matrix, "
                    "customers and target lists. Authenticate with `Authorization: Bearer "
                    "<token>` (create one with `cvm token create --role viewer|analyst|admin`).",
        openapi_url="/api/v1/openapi.json", docs_url=None, redoc_url=None)

    from ..web.pages import router as pages
    from .campaign_routes import router as campaigns_api
    from .cross_sell_routes import router as cross_sell
    from .churn_routes import router as churn_api
    from .load_routes import router as load_report
    from .routes import router as api
    from .survey_routes import router as survey

    app.include_router(api)
    app.include_router(load_report)
    app.include_router(cross_sell)
    app.include_router(survey)
    app.include_router(churn_api)
    app.include_router(campaigns_api)
    app.include_router(pages)
    from ..web.campaign_pages import router as campaign_pages

    app.include_router(campaign_pages)
    included = [*api.routes, *survey.routes, *pages.routes, *campaign_pages.routes]

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = with_sources(FastAPI.openapi(app), sorted(settings.sources))
        return app.openapi_schema

    app.openapi = openapi
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/v1/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(_DOCS_PAGE)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 405:  # name every method of the path, not only the first route's
            methods = allowed_methods([*included, *app.router.routes], request.scope)
            headers = {**(exc.headers or {}), "Allow": ", ".join(methods)}
            exc = StarletteHTTPException(405, exc.detail, headers=headers)
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        # where and why, never the value sent: a refused path, query or body is not echoed back
        errors = [{k: v for k, v in e.items() if k != "input"} for e in exc.errors()]
        return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound):
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(BadQuery)
    async def bad_query(request: Request, exc: BadQuery):
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.exception_handler(MaskedColumn)
    async def masked_column(request: Request, exc: MaskedColumn):
        return JSONResponse({"detail": str(exc)}, status_code=403)

    @app.exception_handler(WorkspaceError)
    async def workspace_error(request: Request, exc: WorkspaceError):
        return JSONResponse({"detail": str(exc)}, status_code=409)

    max_bytes = int(settings.max_upload_mb * (1 << 20))
    app.add_middleware(UploadGate, max_bytes=max_bytes, max_concurrent=settings.max_uploads,
                       prefix="/api/v1/runs/upload")

    app.add_middleware(SecurityHeaders)
    return app


def with_sources(schema: dict, names: list[str]) -> dict:
    """The spec with the names a run may load (``RunRequest.source``): this server's configured
    sources, which only it knows; none configured, a run takes no source."""
    source = schema["components"]["schemas"]["RunRequest"]["properties"]["source"]
    source["anyOf"] = ([{"type": "string", "enum": names}] if names else []) + [{"type": "null"}]
    return schema


def allowed_methods(routes: list, scope: dict) -> list[str]:
    """The methods the ``routes`` answer at the request's path (a path served by several
    routes, one per method, allows all of theirs)."""
    methods: set[str] = set()
    for route in routes:
        if getattr(route, "methods", None) and route.matches(scope)[0] != Match.NONE:
            methods |= route.methods
    return sorted(methods)


#: Scripts, styles, fonts, images and API calls only from the server itself; no inline or
#: evaluated script, no plugins, no framing, forms only to the server. Inline styles are
#: allowed: the chart library and the API docs page set them on the elements they draw.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class SecurityHeaders:
    """ASGI middleware: headers that keep browsers from sniffing types, framing the dashboard,
    running injected script or leaking its addresses (plain ASGI: cheaper per request than an
    HTTP middleware)."""

    HEADERS = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
               (b"referrer-policy", b"same-origin"),
               (b"content-security-policy", CONTENT_SECURITY_POLICY.encode())]

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers") or []) + self.HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


_DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cvm REST API</title>
<link rel="icon" href="/static/vendor/swagger-ui/favicon-32x32.png">
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script>
</body></html>
"""
