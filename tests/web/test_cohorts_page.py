"""The cohort page in a real browser: the heat map and the triangle of the stored run, a split
by segment, the members' retention curves, and the page in Chinese."""

from __future__ import annotations

import pytest

from .conftest import shot, sign_in

expect = pytest.importorskip("playwright.sync_api").expect


def test_cohort_page(page, web_server):
    with web_server.client("viewer") as api:
        buyers = api.get("/cohorts").json()["groups"][0]
        members = api.get("/cohorts", params={"source": "members"}).json()
    # each cohort of at least 30 members has its own fit beside the plan's pooled curve
    plans = {c["group"] for c in members["curves"]}
    own = members["cohort_fits"]
    assert len(own) >= 10 and {f["group"] for f in own} <= plans
    assert all((f["alpha"] or 0) > 0 or f["error"] for f in own)
    sign_in(page, web_server, "viewer")
    page.click("[data-nav=cohorts]")
    page.wait_for_selector("#cohort-heatmap canvas")
    page.wait_for_selector("#cohort-table tbody tr")
    rows = page.locator("#cohort-table tbody tr")
    assert rows.count() == len(buyers["cohorts"])
    # the first cohort's row: month, size, then the share buying in each month since
    first = rows.nth(0).locator("td").all_inner_texts()
    assert first[0] == buyers["cohorts"][0][:7]
    assert first[1] == f"{buyers['customers'][0]:,}"
    assert first[2] == "100%"
    assert first[3] == f"{round(buyers['active_share'][0][1] * 100)}%"
    # the last cohort has only its acquisition month
    assert rows.nth(rows.count() - 1).locator("td").all_inner_texts()[3:] == [""] * (len(first) - 3)
    assert page.is_hidden("#curves-card")
    shot(page, "cohorts-buyers")

    # revenue per acquired customer: the running total of the first cohort at month 1
    page.select_option("#cohort-metric", "cumulative_revenue_per_customer")
    expect(page.locator("#cohort-table tbody tr").nth(0).locator("td").nth(2)) \
        .not_to_have_text("100%")
    cell = page.locator("#cohort-table tbody tr").nth(0).locator("td").nth(3).inner_text()
    assert float(cell.replace(",", "")) == round(buyers["cumulative_revenue_per_customer"][0][1], 2)

    # split by the first day's spend, a third of each cohort: one group at a time, with the
    # note that splits are fixed at acquisition
    assert page.is_hidden("#cohort-split-note")
    page.select_option("#cohort-metric", "active_share")
    page.select_option("#cohort-by", "value_tier")
    page.wait_for_selector("#cohort-group option:nth-child(3)", state="attached")
    assert not page.is_disabled("#cohort-group")
    assert page.locator("#cohort-group option").all_inner_texts() == \
        ["Low: bottom third", "Middle third", "High: top third"]
    assert "current segment" in page.inner_text("#cohort-split-note")

    # the members: their cohorts and the sBG curves per plan, fitted against the actual curve
    page.select_option("#cohort-source", "members")
    page.wait_for_selector("#curves-card:not([hidden])")
    page.wait_for_selector("#retention-curves canvas")
    plans = page.locator("#curves-table tbody tr")
    assert plans.count() == len(members["curves"]) == 2
    assert sorted(plans.nth(i).locator("td").nth(0).inner_text() for i in range(2)) == \
        sorted(c["group"] for c in members["curves"])
    assert page.locator("#cohort-table tbody tr").count() == len(members["groups"][0]["cohorts"])
    shot(page, "cohorts-members")

    # in Chinese
    page.goto(web_server.url + "/cohorts?lang=zh")
    page.wait_for_selector("#cohort-table tbody tr")
    assert page.inner_text("h1") == "同期群与留存"
    assert "同期群" in page.inner_text("#cohort-table thead")
    assert "首次购买" in page.inner_text("#cohort-note")
    shot(page, "cohorts-zh")
