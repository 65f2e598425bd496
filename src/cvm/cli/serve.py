"""Commands for the server and its outputs: ``serve``, ``token``, ``report``."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import click

from . import console, friendly_errors, main, note, output


def _duration(ctx, param, value):
    from ..api.tokens import TokenError, parse_duration

    if value is None:
        return None
    try:
        return parse_duration(value)
    except TokenError as exc:
        raise click.BadParameter(str(exc)) from None


def _sources(ctx, param, values):
    out = {}
    for value in values:
        name, sep, location = value.partition("=")
        if not sep or not name.strip() or not location.strip():
            raise click.BadParameter(f"{value!r}: give NAME=PATH (or NAME=postgresql://…)")
        out[name.strip()] = location.strip()
    return out


@main.command()
@click.option("--workspace", default="cvm.duckdb", show_default=True,
              help="Workspace file the server owns while it runs.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--source", "sources", multiple=True, callback=_sources, metavar="NAME=PATH",
              help="A source a run can load by name (file or postgresql:// URL); repeatable.")
@click.option("--max-upload-mb", type=click.FloatRange(min=0.001), default=200.0,
              show_default=True, help="Larger uploads are refused (HTTP 413).")
@click.option("--max-uploads", type=click.IntRange(min=1), default=2, show_default=True,
              help="Uploads under way at once; one more is refused (HTTP 429, Retry-After).")
@click.option("--session-lifetime", default="12h", show_default=True, callback=_duration,
              help="How long a dashboard sign-in lasts: e.g. 12h, 30m, 7d.")
@friendly_errors
def serve(workspace, host, port, sources, max_upload_mb, max_uploads, session_lifetime):
    """Serve the REST API (/api/v1) and the dashboard (/) on one port.

    The server owns the workspace file while it runs (DuckDB allows one writing process), so
    stop it before using other commands on the same workspace. API docs: /api/v1/docs.
    """
    import uvicorn

    from ..api import Settings, create_app
    from ..api.tokens import list_tokens
    from ..workspace import Workspace

    with Workspace(workspace) as ws:  # fails early and clearly when another process holds it
        has_tokens = any(t.revoked_at is None for t in list_tokens(ws))
    settings = Settings(workspace=workspace, sources=sources, max_upload_mb=max_upload_mb,
                        max_uploads=max_uploads,
                        session_seconds=session_lifetime.total_seconds())
    console.print(f"cvm serving [bold]{workspace}[/] at http://{host}:{port}/ "
                  f"(API docs: http://{host}:{port}/api/v1/docs); Ctrl+C stops it")
    if not has_tokens:
        console.print("[yellow]No access token yet:[/] stop the server and run "
                      f"`cvm token create --role admin --workspace {workspace}`")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


@main.group()
def token():
    """Access tokens for the API and dashboard (viewer, analyst, admin)."""


@token.command("create")
@click.option("--role", type=click.Choice(["viewer", "analyst", "admin"]), required=True,
              help="viewer: aggregates, masked customers; analyst: customer data and exports; "
                   "admin: also runs and tokens.")
@click.option("--name", default="", help="Who or what the token is for.")
@click.option("--expires-in", default=None, callback=_duration, metavar="DURATION",
              help="Stop working this long from now: e.g. 90d, 12h, 30m [default: never].")
@click.option("--workspace", default="cvm.duckdb", show_default=True, help="Workspace file.")
@friendly_errors
def token_create(role, name, expires_in, workspace):
    """Create a token and print it once (only its hash is stored)."""
    from ..api.tokens import create_token, list_tokens
    from ..workspace import Workspace

    with Workspace(workspace) as ws:
        value = create_token(ws, role, name=name, expires_in=expires_in)
        key = value.split("_")[1]
        expires = next(t.expires_at for t in list_tokens(ws) if t.key == key)
    until = f"; expires {expires:%Y-%m-%d %H:%M}" if expires else ""
    console.print(f"{role} token (shown once; keep it safe{until}):")
    click.echo(value)


@token.command("list")
@click.option("--workspace", default="cvm.duckdb", show_default=True, help="Workspace file.")
@friendly_errors
def token_list(workspace):
    """List tokens (never their secrets)."""
    from rich.table import Table

    from ..api.tokens import list_tokens
    from ..workspace import Workspace

    with Workspace(workspace) as ws:
        rows = list_tokens(ws)
    table = Table()
    table.add_column("key", no_wrap=True, min_width=8)
    table.add_column("role", min_width=6)
    table.add_column("name")
    for col in ("created", "last used", "expires", "revoked"):
        table.add_column(col, min_width=10)  # the date whole; the time may wrap
    for t in rows:
        table.add_row(t.key, t.role, t.name, _when(t.created_at), _when(t.last_used),
                      _when(t.expires_at), _when(t.revoked_at))
    output.print(table)


def _when(value) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value is not None else ""


@token.command("revoke")
@click.argument("key")
@click.option("--workspace", default="cvm.duckdb", show_default=True, help="Workspace file.")
@friendly_errors
def token_revoke(key, workspace):
    """Revoke the token with KEY (the part after 'cvm_' shown by `cvm token list`)."""
    from ..api.tokens import TokenError, revoke_token
    from ..workspace import Workspace

    with Workspace(workspace) as ws:
        try:
            revoke_token(ws, key)
        except TokenError as exc:
            raise click.UsageError(str(exc)) from None
    console.print(f"token {key} revoked")


@main.command()
@click.option("--workspace", default="cvm.duckdb", show_default=True, help="Workspace file.")
@click.option("--run", "run_id", type=int, default=None, help="Run [default: the latest complete].")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf"]), default="html",
              show_default=True)
@click.option("--lang", type=click.Choice(["en", "zh"]), default=None,
              help="Language [default: the run's].")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Output file [default: report.html or report.pdf].")
@friendly_errors
def report(workspace, run_id, fmt, lang, out):
    """Write a run's report as HTML or PDF (the PDF is printed from the same HTML)."""
    from ..campaigns.registry import registry_snapshot
    from ..reports import render_report
    from ..workspace import Workspace

    with Workspace(workspace, read_only=True) as ws:
        run_id = run_id if run_id is not None else ws.latest_run()
        if run_id is None:
            raise click.UsageError(f"workspace {workspace} has no complete run yet: run `cvm run`")
        summary = ws.run_summary(run_id)
        segments = ws.result("segments", run_id).to_pandas()
        campaigns = registry_snapshot(ws)
        info = summary.get("info") or {}
        if campaigns:
            info = {**info, "campaigns": campaigns}
        page = render_report(_stored_customers(ws, run_id), segments,
                             summary.get("pareto") or {}, info,
                             lang=lang or info.get("lang") or "en")
    target = Path(out or f"report.{fmt}")
    target.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "html":
        target.write_text(page, encoding="utf-8")
    else:
        _pdf(page, target, lang or info.get("lang") or "en")
    note(f"Report of run {run_id} written to [bold]{target}[/]")


def _stored_customers(ws, run_id: int):
    """The customer table of the run as the report reads it: the columns it uses, a column at
    a time from the workspace (a plain scan gives a table's rows in the order stored)."""
    from ..reports import report_columns
    from ..reports.customer_columns import CustomerColumns

    table = ws.run_table(run_id, "customers")
    names = ws.arrow(f'SELECT * FROM "{table}" LIMIT 0').column_names
    rows = ws.query(f'SELECT count(*) FROM "{table}"')[0][0]
    return CustomerColumns(lambda name: ws.arrow(f'SELECT "{name}" FROM "{table}"').column(0),
                           report_columns(names), rows)


def _pdf(page: str, target: Path, lang: str) -> None:
    """Print the HTML to PDF: WeasyPrint when installed, else headless chromium; Chinese with
    the machine's fonts, else with the one cvm ships (:mod:`cvm.reports.typeface`)."""
    from ..reports.charts import FONT_STACK
    from ..reports.typeface import fontconfig_file, for_print

    try:
        from weasyprint import HTML
    except (ImportError, OSError):  # OSError: installed, but the system's Pango is missing
        HTML = None
    if HTML is not None:
        HTML(string=for_print(page, FONT_STACK, lang)).write_pdf(str(target))
        return
    page = for_print(page, FONT_STACK, lang, faces=False)
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which(
        "google-chrome")
    if browser is None:
        raise click.UsageError("a PDF needs WeasyPrint (pip install 'cvm[pdf]') or chromium")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "report.html"
        source.write_text(page, encoding="utf-8")
        env = dict(os.environ, FONTCONFIG_FILE=str(fontconfig_file(Path(tmp))))
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                        "--no-pdf-header-footer", f"--print-to-pdf={target.resolve()}",
                        source.as_uri()], check=True, capture_output=True, timeout=120, env=env)
