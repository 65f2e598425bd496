"""Commands for the server and its outputs: ``serve``, ``token``, ``report``."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import click

from . import console, friendly_errors, main, note, output


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
@friendly_errors
def serve(workspace, host, port, sources, max_upload_mb):
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
    settings = Settings(workspace=workspace, sources=sources, max_upload_mb=max_upload_mb)
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
@click.option("--workspace", default="cvm.duckdb", show_default=True, help="Workspace file.")
@friendly_errors
def token_create(role, name, workspace):
    """Create a token and print it once (only its hash is stored)."""
    from ..api.tokens import create_token
    from ..workspace import Workspace

    with Workspace(workspace) as ws:
        value = create_token(ws, role, name=name)
    console.print(f"{role} token (shown once; keep it safe):")
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
    for col in ("key", "role", "name", "created", "last used", "revoked"):
        table.add_column(col)
    for t in rows:
        table.add_row(t.key, t.role, t.name, str(t.created_at or ""), str(t.last_used or ""),
                      str(t.revoked_at or ""))
    output.print(table)


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
    from ..reports import render_report
    from ..workspace import Workspace

    with Workspace(workspace, read_only=True) as ws:
        run_id = run_id if run_id is not None else ws.latest_run()
        if run_id is None:
            raise click.UsageError(f"workspace {workspace} has no complete run yet: run `cvm run`")
        summary = ws.run_summary(run_id)
        customers = ws.result("customers", run_id).to_pandas(date_as_object=False)
        segments = ws.result("segments", run_id).to_pandas()
    info = summary.get("info") or {}
    page = render_report(customers, segments, summary.get("pareto") or {}, info,
                         lang=lang or info.get("lang") or "en")
    target = Path(out or f"report.{fmt}")
    target.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "html":
        target.write_text(page, encoding="utf-8")
    else:
        _pdf(page, target)
    note(f"Report of run {run_id} written to [bold]{target}[/]")


def _pdf(page: str, target: Path) -> None:
    """Print the HTML to PDF: WeasyPrint when installed, else headless chromium."""
    try:
        from weasyprint import HTML
    except ImportError:
        HTML = None
    if HTML is not None:
        HTML(string=page).write_pdf(str(target))
        return
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which(
        "google-chrome")
    if browser is None:
        raise click.UsageError("a PDF needs WeasyPrint (pip install 'cvm[pdf]') or chromium")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "report.html"
        source.write_text(page, encoding="utf-8")
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                        "--no-pdf-header-footer", f"--print-to-pdf={target.resolve()}",
                        source.as_uri()], check=True, capture_output=True, timeout=120)
