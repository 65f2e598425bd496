"""A real server process over HTTP, shared by the API tests of one session."""

from __future__ import annotations

import pytest

from .server import Server, build_workspace


@pytest.fixture(scope="session")
def api_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("api")
    path, tokens, files = build_workspace(folder)
    server = Server(path, tokens, files, max_upload_mb=1.0).start(folder / "serve.log")
    yield server
    server.stop()
