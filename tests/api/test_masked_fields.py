"""Viewers see personal fields masked, and cannot get them back through the customer list:
the text search skips the masked fields and sorting by one is refused. Analysts search and sort
as before."""

from __future__ import annotations

import httpx
import pytest

PERSONAL = ("name", "phone", "email", "national_id", "address", "birth_date")


def _ids(page: dict) -> list[str]:
    return [r["customer_id"] for r in page["rows"]]


def test_a_viewer_search_does_not_look_at_masked_fields(viewer, analyst):
    row = analyst.get("/customers", params={"page_size": 1}).json()["rows"][0]
    assert row["phone"].startswith("1") and len(row["phone"]) == 11
    # the analyst asks first, so a viewer's answer must not come from the analyst's cache
    for field, text in (("phone", row["phone"]), ("phone", row["phone"][:7]),
                        ("name", row["name"])):
        clear = analyst.get("/customers", params={"q": text, "page_size": 500}).json()
        assert row["customer_id"] in _ids(clear), field
        masked = viewer.get("/customers", params={"q": text, "page_size": 500}).json()
        assert (masked["total"], masked["rows"]) == (0, []), field


def test_a_viewer_still_searches_the_customer_id(viewer, analyst):
    cid = analyst.get("/customers", params={"page_size": 5}).json()["rows"][4]["customer_id"]
    page = viewer.get("/customers", params={"q": cid}).json()
    assert _ids(page) == [cid] and page["total"] == 1
    assert page["rows"][0]["name"] == "***" and page["rows"][0]["phone"] == "***"
    assert page["masked"] == ["name", "phone", "email"]
    assert analyst.get("/customers", params={"q": cid}).json()["masked"] == []


@pytest.mark.parametrize("field", PERSONAL)
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_a_viewer_cannot_sort_by_a_masked_field(viewer, field, order):
    response = viewer.get("/customers", params={"sort": field, "order": order})
    assert response.status_code == 403
    assert response.json() == {"detail": f"cannot sort by '{field}': it is masked for your role "
                                         "(sorting by a personal field needs the analyst role)"}


def test_a_viewer_sorts_by_other_fields_and_an_analyst_by_any(viewer, analyst):
    spend = viewer.get("/customers", params={"sort": "monetary_total", "order": "desc",
                                             "page_size": 20})
    assert spend.status_code == 200
    totals = [r["monetary_total"] for r in spend.json()["rows"]]
    assert totals == sorted(totals, reverse=True) and len(totals) == 20
    by_phone = analyst.get("/customers", params={"sort": "phone", "page_size": 50})
    assert by_phone.status_code == 200
    phones = [r["phone"] for r in by_phone.json()["rows"]]
    assert phones == sorted(phones) and len(phones) == 50
    assert analyst.get("/customers", params={"sort": "no_such"}).json() == {
        "detail": "cannot sort by 'no_such': not a column of this run"}


def test_the_refusal_is_documented(api_server):
    spec = httpx.get(api_server.url + "/api/v1/openapi.json").json()
    responses = spec["paths"]["/api/v1/customers"]["get"]["responses"]
    assert responses["403"]["description"] == (
        "A viewer asked to sort by a personal field (name, phone, email, national id, address, "
        "birth date), which viewers see masked")
    assert responses["400"]["description"] == "A filter or sort column this run does not have"
