"""A real server and Debian's chromium driven by Playwright (no downloaded browser builds)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from api.server import Server, build_workspace  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def web_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("web")
    path, tokens, files = build_workspace(folder, customers=600, with_products=True, members=True)
    server = Server(path, tokens, files, max_upload_mb=20).start(folder / "serve.log")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("playwright is not installed (pip install 'cvm[test]')")
        pytest.skip("playwright is not installed (pip install 'cvm[test]')")
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, web_server):
    context = browser.new_context(viewport={"width": 1360, "height": 900}, accept_downloads=True)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.js_errors = errors
    yield pg
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def shot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.wait_for_timeout(400)  # let chart animations finish
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page, server, role: str) -> None:
    """Sign in to the dashboard with the token of ``role``; ends on the overview page."""
    page.goto(server.url + "/")
    page.wait_for_url("**/login**")
    page.fill("#token", server.tokens[role])
    page.click("#login-form button[type=submit]")
    page.wait_for_url(server.url + "/")
