"""A customer's timeline of purchases and service contacts, through the API and in a real
browser: one list, newest first, with the complaints marked; a contact's note masked for
viewers."""

from __future__ import annotations

import pytest

from api.server import Server, build_workspace

from .conftest import shot, sign_in


@pytest.fixture(scope="module")
def timeline_server(tmp_path_factory):
    """A served workspace whose demo service log was loaded, and a customer with purchases, a
    complaint and a note quoting a phone number (with that customer's events, from the
    workspace). The run skips the model stages (CLV, churn), which the timeline does not need,
    to keep the test short."""
    from cvm.config import AnalysisConfig
    from cvm.demo import DEMO_AS_OF, service_log_path
    from cvm.pipeline import run
    from cvm.stages import (ComplaintStage, FeatureStage, LifecycleStage, MatrixStage,
                            ValueStage)
    from cvm.workspace import Workspace

    folder = tmp_path_factory.mktemp("timeline")
    path, tokens, files = build_workspace(folder, customers=120, analysed=False)
    run([files[0]], customers=[files[1]], workspace=path, out=None,
        config=AnalysisConfig(as_of=DEMO_AS_OF), interactions=[service_log_path(files[0].parent)],
        stages=[FeatureStage(), LifecycleStage(), ValueStage(), MatrixStage(), ComplaintStage()])
    with Workspace(path, read_only=True) as ws:
        cid = ws.query(
            "SELECT customer_id FROM unified_interactions i WHERE kind = 'complaint' AND "
            "note LIKE '%回拨 1%' AND EXISTS (SELECT 1 FROM unified_transactions t WHERE "
            "t.customer_id = i.customer_id) ORDER BY customer_id LIMIT 1")[0][0]
        contacts = ws.query("SELECT interaction_time, kind, channel, note FROM "
                            "unified_interactions WHERE customer_id = ? ORDER BY 1 DESC", [cid])
        purchases = ws.query("SELECT count(*) FROM unified_transactions WHERE customer_id = ?",
                             [cid])[0][0]
    server = Server(path, tokens, files).start(folder / "serve.log")
    yield server, cid, contacts, purchases
    server.stop()


def test_the_api_timeline_merges_purchases_and_contacts(timeline_server):
    server, cid, contacts, purchases = timeline_server
    with server.client("analyst") as analyst:
        view = analyst.get(f"/customers/{cid}").json()
    events = view["timeline"]
    assert len(events) == purchases + len(contacts)
    assert [e["time"] for e in events] == sorted((e["time"] for e in events), reverse=True)
    shown = [(e["kind"], e["channel"], e["note"]) for e in events if e["event"] == "contact"]
    assert shown == [(k, ch, note) for _, k, ch, note in contacts]
    assert sum(e["event"] == "purchase" for e in events) == purchases
    assert view["customer"]["complaint_count"] == sum(k == "complaint" for _, k, _, _ in contacts)


def test_a_viewer_gets_the_notes_masked(timeline_server):
    server, cid, contacts, _ = timeline_server
    with server.client("viewer") as viewer:
        events = viewer.get(f"/customers/{cid}").json()["timeline"]
    notes = [e["note"] for e in events if e["event"] == "contact"]
    assert notes == ["***" if n is not None else None for *_, n in contacts]
    assert not any("回拨" in str(e) for e in events)


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def test_the_customer_page_shows_the_timeline(tab, timeline_server):
    server, cid, contacts, purchases = timeline_server
    sign_in(tab, server, "analyst")
    tab.goto(f"{server.url}/customers/{cid}?lang=en")
    tab.wait_for_selector("#timeline-table tbody tr")
    rows = tab.locator("#timeline-table tbody tr")
    assert rows.count() == purchases + len(contacts)
    complaints = sum(k == "complaint" for _, k, _, _ in contacts)
    assert tab.inner_text("#timeline-summary") == (
        f"{len(contacts)} service contacts, {complaints} complaints")
    assert tab.locator("#timeline-table tr.complaint").count() == complaints
    assert tab.locator("#timeline-table tr.event-purchase").count() == purchases
    text = tab.inner_text("#timeline-table")
    assert "complaint" in text and "回拨 1" in text
    assert tab.is_hidden("#timeline-masked")
    shot(tab, "11-customer-timeline")
    # in Chinese, and as a viewer: the words are Chinese and the notes masked
    tab.context.clear_cookies()
    sign_in(tab, server, "viewer")
    tab.goto(f"{server.url}/customers/{cid}?lang=zh")
    tab.wait_for_selector("#timeline-table tbody tr")
    text = tab.inner_text("#timeline-table")
    assert "投诉" in text and "购买" in text and "回拨" not in text and "***" in text
    assert tab.is_visible("#timeline-masked")
    assert "次客服接触" in tab.inner_text("#timeline-summary")
    shot(tab, "12-customer-timeline-zh-viewer")
