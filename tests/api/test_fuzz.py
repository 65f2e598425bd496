"""The OpenAPI document tells the truth: schemathesis, run as its command line against the real
server with every check (``--checks all``), finds no failure for any role.

The checks include: no 5xx; every status code answered is documented for the operation; every
body matches its documented schema (timestamps with their zone, dates as dates); documented
headers (``WWW-Authenticate``, ``Retry-After``) are sent; schema-valid requests are accepted and
schema-invalid ones refused; a method the path does not have gets 405 with an ``Allow`` header
naming the ones it has; a protected operation refuses missing or wrong credentials. The few
per-operation settings are in ``schemathesis.toml`` beside this file, each with its reason.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .server import Server, build_workspace

HERE = Path(__file__).resolve().parent
SPEC = "/api/v1/openapi.json"
OPERATIONS = 36  # every operation of the spec is tested (load report, rejects, churn and campaigns included)
#: Revoking tokens is fuzzed last, on its own: revoking the fuzzing token itself (its key is in
#: the answers of GET /tokens) would leave the rest of the run only 401s.
REVOKE = "/api/v1/tokens/{key}"


def _cli() -> str:
    cli = shutil.which("schemathesis") or str(Path(sys.executable).with_name("schemathesis"))
    if not Path(cli).exists():
        pytest.skip("schemathesis is not installed (pip install 'cvm[test]')")
    return cli


def fuzz(server: Server, role: str, folder: Path, *selection: str) -> dict:
    """Run schemathesis with every check as ``role``; the JSON report of the run."""
    report = folder / f"{role}-{len(list(folder.iterdir()))}.json"
    result = subprocess.run(
        [_cli(), "--config-file", str(HERE / "schemathesis.toml"), "run", server.url + SPEC,
         "--checks", "all", "--phases", "examples,coverage,fuzzing", "--max-examples", "10",
         "--seed", "20241231", "--header", f"Authorization: Bearer {server.tokens[role]}",
         "--request-timeout", "30", "--no-color", "--report", "json",
         "--report-json-path", str(report), *selection],
        capture_output=True, text=True, timeout=600, cwd=folder)
    tail = (result.stdout + result.stderr)[-6000:]
    assert result.returncode == 0, tail
    assert report.exists(), tail
    return json.loads(report.read_text())


@pytest.mark.parametrize("role", ["viewer", "analyst"])
def test_the_contract_holds(api_server, tmp_path, role):
    # viewers and analysts change nothing another test could see: the shared server serves
    report = fuzz(api_server, role, tmp_path)
    assert (report["failures"], report["errors"]) == ([], [])
    assert report["test_cases"]["unique_failures"] == 0
    assert report["operations"]["tested"] == OPERATIONS


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory):
    """A server of its own: fuzzing as admin creates and revokes tokens and queues runs. A run
    it queues stops at the test stage (the hold marker) and never finishes, so no run of the
    fuzz competes for the processor once it got there."""
    folder = tmp_path_factory.mktemp("fuzz-admin")
    path, tokens, files = build_workspace(folder, customers=200)
    server = Server(path, tokens, files, max_upload_mb=1.0)
    server.marker("hold").touch()
    server.start(folder / "serve.log")
    yield server
    server.marker("hold").unlink()
    server.stop()


def test_the_contract_holds_for_admin(admin_server, tmp_path):
    everything_else = fuzz(admin_server, "admin", tmp_path, "--exclude-path", REVOKE)
    revoking = fuzz(admin_server, "admin", tmp_path, "--include-path", REVOKE)
    for report in (everything_else, revoking):
        assert (report["failures"], report["errors"]) == ([], [])
        assert report["test_cases"]["unique_failures"] == 0
    assert everything_else["operations"]["tested"] == OPERATIONS - 1
    assert revoking["operations"]["tested"] == 1
