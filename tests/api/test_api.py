"""The REST API over HTTP against a real `cvm serve` process: access, masking, paging,
filters, exports, sessions and tokens. Runs and uploads are in test_runs.py."""

from __future__ import annotations

import io

import pytest


# -- access --------------------------------------------------------------------------------

def test_health_needs_no_token(api_server):
    with api_server.client() as c:
        body = c.get("/health").json()
    assert body["status"] == "ok" and body["latest_run"] >= 1


@pytest.mark.parametrize("path", ["/overview", "/customers", "/matrix", "/runs", "/export",
                                  "/tokens", "/customers/M100001"])
def test_no_token_is_401(api_server, path):
    with api_server.client() as c:
        response = c.get(path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["Bearer cvm_00000000_wrong", "Bearer nonsense", "Basic abc",
                                    "Bearer"])
def test_wrong_token_is_401(api_server, header):
    with api_server.client(headers={"Authorization": header}) as c:
        assert c.get("/overview").status_code == 401


@pytest.mark.parametrize("role,method,path,expected", [
    ("viewer", "GET", "/export", 403),
    ("viewer", "GET", "/tokens", 403),
    ("analyst", "GET", "/tokens", 403),
    ("analyst", "POST", "/runs", 403),
    ("viewer", "POST", "/runs", 403),
    ("analyst", "GET", "/export?limit=1", 200),
    ("viewer", "GET", "/overview", 200),
])
def test_roles(api_server, role, method, path, expected):
    with api_server.client(role) as c:
        response = c.request(method, path, json={} if method == "POST" else None)
    assert response.status_code == expected, response.text


def test_viewers_get_personal_fields_masked(viewer, analyst):
    masked = viewer.get("/customers", params={"page_size": 50}).json()
    clear = analyst.get("/customers", params={"page_size": 50}).json()
    assert [r["customer_id"] for r in masked["rows"]] == [r["customer_id"] for r in clear["rows"]]
    assert any(r["name"] for r in clear["rows"]) and any(r["phone"] for r in clear["rows"])
    for m, c in zip(masked["rows"], clear["rows"]):
        for field in ("name", "phone", "email"):
            assert m[field] == ("***" if c[field] is not None else None)
        assert m["monetary_total"] == c["monetary_total"]
    some_name = next(r["name"] for r in clear["rows"] if r["name"])
    assert some_name not in str(masked)


def test_viewer_360_is_masked(viewer, analyst):
    cid = analyst.get("/customers").json()["rows"][0]["customer_id"]
    clear = analyst.get(f"/customers/{cid}").json()
    masked = viewer.get(f"/customers/{cid}").json()
    assert clear["customer"]["name"] and masked["customer"]["name"] == "***"
    assert clear["sources"][0]["phone"] and masked["sources"][0]["phone"] == "***"
    assert clear["customer"]["name"] not in str(masked)
    assert masked["customer"]["monetary_total"] == clear["customer"]["monetary_total"]


# -- aggregates ----------------------------------------------------------------------------

def test_overview_figures(viewer):
    o = viewer.get("/overview").json()
    assert o["customers"] > 300 and o["revenue"] > 0
    assert 0 <= o["active_share"] <= 1
    p = o["pareto"]
    assert p["curve"][0] == [0.0, 0.0] and p["curve"][-1][1] == pytest.approx(1.0)
    assert 0.2 < p["top_value_share"] < 1
    assert sum(s["customer_share"] for s in o["segments"]) == pytest.approx(1.0)


def test_segments_in_another_scheme_cover_everyone(viewer):
    own = viewer.get("/segments").json()
    other = viewer.get("/segments", params={"scheme": "cn8"}).json()
    assert other["scheme"] == "cn8" and len(other["segments"]) == 8
    assert sum(s["customers"] for s in other["segments"]) == sum(
        s["customers"] for s in own["segments"])
    assert viewer.get("/segments", params={"scheme": "nope"}).status_code == 400


def test_matrix_cells_add_up_and_drill_down(viewer):
    m = viewer.get("/matrix").json()
    total = viewer.get("/customers", params={"page_size": 1}).json()["total"]
    assert sum(c["customers"] for c in m["cells"]) == total
    cell = max(m["cells"], key=lambda c: c["customers"])
    page = viewer.get("/customers", params={**cell["filters"], "page_size": 1}).json()
    assert page["total"] == cell["customers"]


def test_alerts_and_lifecycle_answer(viewer):
    assert viewer.get("/alerts").status_code == 200
    assert viewer.get("/alerts", params={"lang": "zh"}).status_code == 200
    assert viewer.get("/lifecycle/funnel").status_code == 200
    assert viewer.get("/lifecycle/flows").status_code == 200
    assert viewer.get("/clv").status_code == 200


def test_unknown_run_is_404(viewer):
    assert viewer.get("/overview", params={"run_id": 999}).status_code == 404
    assert viewer.get("/customers/no-such-customer").status_code == 404


# -- customers: paging, sorting, filters ---------------------------------------------------

def test_paging_is_consistent(analyst):
    first = analyst.get("/customers", params={"page_size": 7, "page": 1}).json()
    second = analyst.get("/customers", params={"page_size": 7, "page": 2}).json()
    both = analyst.get("/customers", params={"page_size": 14, "page": 1}).json()
    ids = [r["customer_id"] for r in first["rows"] + second["rows"]]
    assert ids == [r["customer_id"] for r in both["rows"]] and len(set(ids)) == 14
    last = -(-first["total"] // 7)
    tail = analyst.get("/customers", params={"page_size": 7, "page": last}).json()
    assert 1 <= len(tail["rows"]) <= 7
    beyond = analyst.get("/customers", params={"page_size": 7, "page": last + 1}).json()
    assert beyond["rows"] == []
    assert analyst.get("/customers", params={"page_size": 501}).status_code == 422
    assert analyst.get("/customers", params={"page": 0}).status_code == 422


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_sorting(analyst, order):
    rows = analyst.get("/customers", params={"sort": "monetary_total", "order": order,
                                             "page_size": 100, "abc": "B"}).json()["rows"]
    values = [r["monetary_total"] for r in rows]
    assert values == sorted(values, reverse=order == "desc")
    assert analyst.get("/customers", params={"sort": "drop table"}).status_code == 400


def test_filters(analyst):
    segments = {s["segment"]: s["customers"] for s in analyst.get("/segments").json()["segments"]}
    for segment, count in list(segments.items())[:4]:
        page = analyst.get("/customers", params={"segment": segment, "page_size": 500}).json()
        assert page["total"] == count
        assert {r["rfm_segment"] for r in page["rows"]} <= {segment}
    a = analyst.get("/customers", params={"abc": "A", "page_size": 500}).json()
    assert a["total"] > 0 and {r["abc_class"] for r in a["rows"]} == {"A"}
    both = analyst.get("/customers", params={"abc": "A", "segment": "champions"}).json()
    assert both["total"] <= min(a["total"], segments["champions"])


def test_lifecycle_and_clv_filters_when_present(analyst):
    caps = analyst.get("/overview").json()["capabilities"]
    if not caps["lifecycle"]:
        assert analyst.get("/customers", params={"stage": "churned"}).status_code == 400
        return
    stage = analyst.get("/customers", params={"stage": "churned", "page_size": 500}).json()
    assert {r["lifecycle_stage"] for r in stage["rows"]} <= {"churned"}
    if caps["clv"]:
        page = analyst.get("/customers", params={"clv_min": 100, "clv_max": 1000,
                                                 "page_size": 500}).json()
        assert page["total"] > 0
        assert all(100 <= r["clv"] <= 1000 for r in page["rows"])


#: what a text search looks in (the listing shows each of them to an analyst)
SEARCHED = ("customer_id", "name", "phone", "email")


def test_search(analyst):
    everyone = analyst.get("/customers", params={"page_size": 500}).json()
    assert everyone["total"] == len(everyone["rows"])  # one page holds them all
    assert set(SEARCHED) <= set(everyone["columns"])
    cid = everyone["rows"][3]["customer_id"]
    assert cid != cid.lower()  # the search ignores case
    page = analyst.get("/customers", params={"q": cid.lower()}).json()
    assert page["total"] == 1 and [r["customer_id"] for r in page["rows"]] == [cid]
    # a fragment finds every customer with it in the id, name, phone or email, in list order
    fragment = cid[-2:]
    expected = [r["customer_id"] for r in everyone["rows"]
                if any(fragment in str(r[c] or "").lower() for c in SEARCHED)]
    assert 1 < len(expected) < everyone["total"]
    page = analyst.get("/customers", params={"q": fragment, "page_size": 500}).json()
    assert page["total"] == len(expected)
    assert [r["customer_id"] for r in page["rows"]] == expected


# -- exports -------------------------------------------------------------------------------

def test_csv_export_matches_the_filtered_list(analyst):
    total = analyst.get("/customers", params={"segment": "champions"}).json()["total"]
    response = analyst.get("/export", params={"segment": "champions", "format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    text = response.content.decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith('"Customer"') and len(lines) == total + 1


def test_xlsx_export_in_chinese(analyst):
    from openpyxl import load_workbook

    response = analyst.get("/export", params={"abc": "A", "format": "xlsx", "lang": "zh"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    total = analyst.get("/customers", params={"abc": "A"}).json()["total"]
    assert rows[0][0] == "客户编号" and len(rows) == total + 1


# -- sessions and tokens -------------------------------------------------------------------

def test_session_cookie_is_httponly_and_samesite(api_server):
    with api_server.client() as c:
        assert c.post("/session", json={"token": "cvm_bad_token"}).status_code == 401
        response = c.post("/session", json={"token": api_server.tokens["analyst"]})
        assert response.status_code == 200 and response.json()["role"] == "analyst"
        cookie = response.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert c.get("/customers").status_code == 200
        assert c.get("/export?limit=1").status_code == 200
        assert c.delete("/session").status_code == 204
        c.cookies.clear()
        assert c.get("/customers").status_code == 401


def test_admin_manages_tokens(api_server, admin):
    created = admin.post("/tokens", json={"role": "viewer", "name": "temp"})
    assert created.status_code == 201
    token, key = created.json()["token"], created.json()["key"]
    listed = admin.get("/tokens").json()
    assert key in [t["key"] for t in listed] and token not in str(listed)
    with api_server.client(headers={"Authorization": f"Bearer {token}"}) as c:
        assert c.get("/overview").status_code == 200
        assert admin.delete(f"/tokens/{key}").status_code == 200
        assert c.get("/overview").status_code == 401
    assert admin.delete("/tokens/nosuchkey").status_code == 404
    assert admin.post("/tokens", json={"role": "root"}).status_code == 422


def test_docs_page_and_spec_are_served_locally(api_server):
    import httpx

    page = httpx.get(api_server.url + "/api/v1/docs").text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page and "cdn" not in page.lower()
    assert httpx.get(api_server.url + "/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
    spec = httpx.get(api_server.url + "/api/v1/openapi.json").json()
    assert "/api/v1/customers" in spec["paths"] and "/api/v1/runs/upload" in spec["paths"]
