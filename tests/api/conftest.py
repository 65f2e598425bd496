"""A real server process over HTTP, shared by the API tests of one session, and a client of
it per role for a test module."""

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


@pytest.fixture(scope="module")
def viewer(api_server):
    with api_server.client("viewer") as c:
        yield c


@pytest.fixture(scope="module")
def analyst(api_server):
    with api_server.client("analyst") as c:
        yield c


@pytest.fixture(scope="module")
def admin(api_server):
    with api_server.client("admin") as c:
        yield c
