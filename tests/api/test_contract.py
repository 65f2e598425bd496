"""What the OpenAPI document promises, checked one promise at a time (the fuzz test in
test_fuzz.py checks them all at random): refusals documented with their model, timestamps with
their zone, parameters constrained as the server constrains them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import httpx
import pytest

from .server import Server, build_workspace


@pytest.fixture(scope="module")
def spec(api_server) -> dict:
    return httpx.get(api_server.url + "/api/v1/openapi.json").json()


def test_a_method_the_path_lacks_gets_405_naming_every_method_it_has(api_server):
    # /session is served by three routes (sign in, who am I, sign out): Allow names all three
    options = httpx.options(api_server.url + "/api/v1/session")
    assert options.status_code == 405
    assert options.headers["allow"] == "DELETE, GET, POST"
    assert httpx.put(api_server.url + "/api/v1/tokens").headers["allow"] == "GET, POST"
    # "upload" is not a run id: GET /runs/upload is a method the upload path lacks
    wrong = httpx.get(api_server.url + "/api/v1/runs/upload",
                      headers={"Authorization": f"Bearer {api_server.tokens['admin']}"})
    assert (wrong.status_code, wrong.headers["allow"]) == (405, "POST")


def test_every_refusal_is_documented_with_the_error_model(spec):
    secured = 0
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            codes = set(op["responses"])
            for code in codes - {"200", "201", "202", "204", "422"}:
                body = op["responses"][code]["content"]["application/json"]["schema"]
                assert body == {"$ref": "#/components/schemas/ErrorOut"}, (method, path, code)
            if op.get("security"):
                secured += 1
                assert "401" in codes, (method, path)
                assert "WWW-Authenticate" in op["responses"]["401"]["headers"], (method, path)
    assert secured == 33  # all but the health check, signing in and signing out
    assert spec["components"]["schemas"]["ErrorOut"]["required"] == ["detail"]
    upload = spec["paths"]["/api/v1/runs/upload"]["post"]["responses"]
    assert sorted(upload) == ["202", "400", "401", "403", "409", "413", "422", "429"]
    assert "Retry-After" in upload["429"]["headers"]


def test_parameters_are_constrained_as_the_server_constrains_them(api_server, spec):
    listing = spec["paths"]["/api/v1/customers"]["get"]
    params = {p["name"]: p["schema"] for p in listing["parameters"]}
    assert (params["sort"]["minLength"], params["sort"]["maxLength"]) == (1, 100)
    segments = spec["paths"]["/api/v1/segments"]["get"]["parameters"]
    assert [p["schema"]["enum"] for p in segments if p["name"] == "scheme"] == [
        ["seed4", "cn8", "std11"]]
    schemas = spec["components"]["schemas"]
    run = schemas["RunRequest"]["properties"]
    assert run["source"]["anyOf"] == [{"type": "string", "enum": ["demo"]}, {"type": "null"}]
    assert run["rfm_scheme"]["enum"] == ["seed4", "cn8", "std11"]
    expires_in = schemas["TokenIn"]["properties"]["expires_in"]
    assert expires_in["pattern"] == "^([1-9][0-9]{0,5})([smhd])$"
    form = schemas["Body_upload_run_api_v1_runs_upload_post"]
    assert form["required"] == ["transactions"]
    for name in ("transactions", "customers"):
        assert form["properties"][name]["contentMediaType"] == "application/octet-stream"
    assert form["properties"]["as_of"] == {"type": "string", "format": "date", "title": "As Of"}

    viewer = api_server.client("viewer")
    empty = viewer.get("/customers", params={"sort": ""})
    assert (empty.status_code, empty.json()["detail"][0]["loc"]) == (422, ["query", "sort"])
    admin = api_server.client("admin")
    for body, field in (({"as_of": 0}, "as_of"), ({"as_of": "2024-12-31T00:00:00"}, "as_of"),
                        ({"window_days": "30"}, "window_days"),
                        ({"window_days": True}, "window_days")):
        refused = admin.post("/runs", json=body)
        assert (refused.status_code, refused.json()["detail"][0]["loc"]) == (
            422, ["body", field]), body
    for written in (" 90d", "90D", "090d", "0d", "1000000d"):
        refused = admin.post("/tokens", json={"role": "viewer", "expires_in": written})
        assert refused.status_code == 400, written
        assert refused.json()["detail"].startswith(f"{written!r} is not a duration")
    # a text field where the file belongs is no upload
    text = admin.post("/runs/upload", files={"transactions": (None, "a,b\n1,2\n")})
    assert (text.status_code, text.json()["detail"][0]["loc"]) == (
        422, ["body", "transactions"])


def test_timestamps_are_utc_with_their_zone(tmp_path):
    """The workspace stores the server's wall-clock time; the API says which instant it was."""
    path, tokens, files = build_workspace(tmp_path, customers=60)
    from cvm.workspace import Workspace
    with Workspace(path) as ws:
        stored = ws.query("SELECT started_at, finished_at FROM runs WHERE run_id = 1")[0]
    server = Server(path, tokens, files, env={"TZ": "Asia/Shanghai"}).start(tmp_path / "log")
    try:
        run = server.client("viewer").get("/runs/1").json()
        admin_row = next(t for t in server.client("admin").get("/tokens").json()
                         if t["name"] == "test viewer")
    finally:
        server.stop()
    shanghai = ZoneInfo("Asia/Shanghai")
    expected = [(s.replace(tzinfo=shanghai).astimezone(dt.timezone.utc)
                 .strftime("%Y-%m-%dT%H:%M:%SZ")) for s in stored]
    assert [run["started_at"], run["finished_at"]] == expected
    assert admin_row["created_at"].endswith("Z") and admin_row["last_used"].endswith("Z")
