"""The cross-sell page in a real browser (before any other run on the shared server): the basket
rules, the next best offers and the uplift figures of a demo run with products, in English and
Chinese; and its API answer."""

from __future__ import annotations

import httpx

from .conftest import shot, sign_in


def test_cross_sell_api_answer(web_server):
    headers = {"Authorization": f"Bearer {web_server.tokens['viewer']}"}
    r = httpx.get(web_server.url + "/api/v1/cross-sell?run_id=1", headers=headers, timeout=60)
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["available"] is True and data["run_id"] == 1
    lifts = [x["lift"] for x in data["rules"]]
    assert len(lifts) >= 5 and lifts == sorted(lifts, reverse=True)
    values = [o["expected_offer_value"] for o in data["offers"]]
    assert values == sorted(values, reverse=True) and 10 <= len(values) <= 100
    assert {o["recommended_action"] for o in data["offers"]} <= {"cross_sell", "up_sell"}
    top = data["offers"][0]
    assert abs(top["probability_offer_purchase"] * top["expected_offer_margin"]
               - top["expected_offer_value"]) < 1e-9
    u = data["uplift"]
    assert set(u["models"]) == {"two_model", "class_transformation"}
    assert u["treated"] + u["control"] == u["customers"]
    assert sum(u["segments"].values()) > 0
    # no token: refused
    assert httpx.get(web_server.url + "/api/v1/cross-sell").status_code == 401


def test_cross_sell_page(page, web_server):
    sign_in(page, web_server, "analyst")
    page.goto(web_server.url + "/cross-sell?lang=en")
    page.wait_for_selector("#cs-rules tbody tr")
    assert page.locator("#cs-rules tbody tr").count() >= 5
    assert page.locator("#cs-offers tbody tr").count() >= 10
    assert "Next best offer" in page.inner_text("#cs-offers thead")
    page.wait_for_selector("#uplift-chart canvas")
    assert page.locator("#uplift-models tbody tr").count() == 2
    assert "persuadable" in page.inner_text("#uplift-note")
    shot(page, "20-cross-sell")
    page.goto(web_server.url + "/cross-sell?lang=zh")
    page.wait_for_selector("#cs-rules tbody tr")
    assert "提升度" in page.inner_text("#cs-rules thead")
    assert "可说服" in page.inner_text("#uplift-note")
    assert page.locator("[data-nav=cross_sell]").inner_text() == "交叉销售"
    shot(page, "21-cross-sell-zh")
