"""Times on the dashboard are the reader's own: the API sends instants in UTC, the page shows
them in the browser's time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import httpx

from .conftest import sign_in


def test_run_times_are_shown_in_the_readers_time_zone(browser, web_server):
    first = httpx.get(web_server.url + "/api/v1/runs/1", headers={
        "Authorization": f"Bearer {web_server.tokens['viewer']}"}).json()
    started = dt.datetime.fromisoformat(first["started_at"])
    assert started.utcoffset() == dt.timedelta(0)
    context = browser.new_context(timezone_id="Asia/Shanghai")
    try:
        page = context.new_page()
        sign_in(page, web_server, "viewer")
        page.goto(web_server.url + "/runs?lang=en")
        page.wait_for_selector("#runs-table tbody tr")
        cells = page.locator("#runs-table tbody tr").last.locator("td")
        assert cells.nth(0).inner_text() == "#1"
        shown = cells.nth(3).inner_text()
    finally:
        context.close()
    assert shown == started.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
