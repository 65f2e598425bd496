"""The `token` and `report` commands, and what `cvm` says when the server holds a workspace."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cvm.cli import main

from .server import build_workspace


@pytest.fixture(scope="module")
def small_workspace(tmp_path_factory):
    path, _, _ = build_workspace(tmp_path_factory.mktemp("cli"), customers=150)
    return path


def test_token_create_list_revoke(small_workspace):
    from cvm.api.tokens import verify_token
    from cvm.workspace import Workspace

    runner = CliRunner()
    created = runner.invoke(main, ["token", "create", "--role", "analyst", "--name", "crm",
                                   "--workspace", str(small_workspace)])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[-1]
    key = token.split("_")[1]
    with Workspace(small_workspace) as ws:
        assert verify_token(ws, token).role == "analyst"
    listed = runner.invoke(main, ["token", "list", "--workspace", str(small_workspace)])
    assert key in listed.output and token not in listed.output
    revoked = runner.invoke(main, ["token", "revoke", key, "--workspace", str(small_workspace)])
    assert revoked.exit_code == 0
    with Workspace(small_workspace) as ws:
        assert verify_token(ws, token) is None
    bad = runner.invoke(main, ["token", "create", "--role", "root", "--workspace",
                               str(small_workspace)])
    assert bad.exit_code == 2


@pytest.mark.parametrize("fmt,magic", [("html", b"<!DOCTYPE html"), ("pdf", b"%PDF")])
def test_report(small_workspace, tmp_path, fmt, magic):
    if fmt == "pdf":
        pytest.importorskip("weasyprint")
    out = tmp_path / f"report.{fmt}"
    result = CliRunner().invoke(main, ["report", "--workspace", str(small_workspace), "--format",
                                       fmt, "--lang", "zh", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:20].upper().startswith(magic.upper())


def test_a_workspace_held_by_the_server_gives_a_clear_error(api_server):
    result = CliRunner().invoke(main, ["token", "create", "--role", "viewer", "--workspace",
                                       str(api_server.workspace)])
    assert result.exit_code == 2
    assert "another cvm" in result.output


def _listed(output: str, key: str) -> list[str]:
    """The cells of the first line of the token list's row for ``key``, times cut to their
    date (a narrow terminal wraps a time onto the next line, a wide one keeps it)."""
    line = next(ln for ln in output.splitlines() if ln.startswith(f"│ {key} "))
    return [cell.strip()[:10] for cell in line.strip("│").split("│")]


def test_token_expiry_and_last_use(small_workspace):
    import datetime as dt

    from cvm.api.tokens import verify_token
    from cvm.workspace import Workspace

    runner = CliRunner()
    args = ["--workspace", str(small_workspace)]
    now = dt.datetime.now()
    days = runner.invoke(main, ["token", "create", "--role", "viewer", "--expires-in", "90d",
                                *args])
    hours = runner.invoke(main, ["token", "create", "--role", "admin", "--expires-in", "12h",
                                 *args])
    assert days.exit_code == hours.exit_code == 0, days.output + hours.output
    in_90d, in_12h = now + dt.timedelta(days=90), now + dt.timedelta(hours=12)
    assert f"expires {in_90d:%Y-%m-%d}" in days.output
    assert f"expires {in_12h:%Y-%m-%d %H}" in hours.output
    token = days.stdout.strip().splitlines()[-1]
    key = token.split("_")[1]
    listed = runner.invoke(main, ["token", "list", *args])
    assert _listed(listed.output, key)[:2] == [key, "viewer"]
    assert _listed(listed.output, key)[4:6] == ["", f"{in_90d:%Y-%m-%d}"]
    with Workspace(small_workspace) as ws:
        assert verify_token(ws, token, touch=True).last_used is not None
    listed = runner.invoke(main, ["token", "list", *args])
    assert _listed(listed.output, key)[4] == f"{dt.datetime.now():%Y-%m-%d}"
    bad = runner.invoke(main, ["token", "create", "--role", "viewer", "--expires-in", "3w", *args])
    assert bad.exit_code == 2 and "'3w' is not a duration" in bad.output
