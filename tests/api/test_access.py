"""Tokens, sessions, roles, origins and masks of `cvm.api.access`, checked in-process on a real
workspace file with real tokens and real ASGI requests (the HTTP side is in test_security.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time

import pytest
from fastapi import HTTPException
from starlette.requests import Request

from cvm.api import access as access_module
from cvm.api.access import (MASK, SESSION_COOKIE, Access, Principal, check_origin,
                            mask_free_text, mask_row, same_origin)
from cvm.api.tokens import TokenExpired, create_token, list_tokens, revoke_token
from cvm.workspace import Workspace

HOST = "127.0.0.1:8000"


def _request(method: str = "GET", *, host: str | None = HOST, origin: str | None = None,
             referer: str | None = None, bearer: str | None = None,
             authorization: str | None = None, cookie: str | None = None) -> Request:
    headers = []
    for name, value in (("host", host), ("origin", origin), ("referer", referer),
                        ("authorization", f"Bearer {bearer}" if bearer else authorization),
                        ("cookie", f"{SESSION_COOKIE}={cookie}" if cookie is not None else None)):
        if value is not None:
            headers.append((name.encode(), value.encode()))
    return Request({"type": "http", "method": method, "scheme": "http", "path": "/api/v1/x",
                    "raw_path": b"/api/v1/x", "query_string": b"", "headers": headers,
                    "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 50000)})


def _key(token: str) -> str:
    return token.split("_")[1]


@pytest.fixture
def ws(tmp_path):
    with Workspace(tmp_path / "shop.duckdb") as workspace:
        yield workspace


@pytest.fixture
def tokens(ws):
    return {role: create_token(ws, role, name=f"{role} one")
            for role in ("viewer", "analyst", "admin")}


def _age(cache: dict, ident: str, seconds: float) -> None:
    """Make the cached check of ``ident`` look ``seconds`` old."""
    checked, outcome = cache[ident]
    cache[ident] = (checked - seconds, outcome)


# -- who the caller is ---------------------------------------------------------------------

def test_principal_roles_masks_and_immutability():
    viewer = Principal("k1", "viewer", "v")
    analyst = Principal("k2", "analyst", "a")
    assert viewer.by_cookie is False
    assert viewer.masked is True and analyst.masked is False
    assert Principal("k3", "admin", "x").masked is False
    assert viewer.masked_columns == ("name", "phone", "email", "national_id", "id_number",
                                     "address", "birth_date")
    assert analyst.masked_columns == ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        viewer.role = "admin"


def test_a_bearer_token_names_its_holder(ws, tokens):
    access = Access(ws)
    assert access.session_seconds == 12 * 3600
    who = access.principal(_request(bearer=tokens["analyst"]))
    assert who == Principal(_key(tokens["analyst"]), "analyst", "analyst one", by_cookie=False)
    # the scheme in any case, the token with spaces around
    assert access.principal(_request(authorization=f"bEaReR  {tokens['viewer']} ")).role == \
        "viewer"
    assert access.principal(_request(authorization=f"Basic {tokens['admin']}")) is None
    assert access.principal(_request(bearer="cvm_0000_made-up")) is None
    assert access.principal(_request()) is None
    assert access.check_token("") is None and access.check_token(None) is None
    # its use is recorded
    used = {t.key: t.last_used for t in list_tokens(ws)}
    assert used[_key(tokens["analyst"])] is not None and used[_key(tokens["admin"])] is None


def test_a_token_check_is_trusted_for_five_seconds_unless_forgotten(ws, tokens):
    access = Access(ws)
    token = tokens["viewer"]
    assert access.check_token(token).role == "viewer"
    revoke_token(ws, _key(token))  # revoked by another process (the CLI)
    assert access.check_token(token).role == "viewer"  # checked a moment ago
    _age(access._tokens, token, 4.9)
    assert access.check_token(token).role == "viewer"
    _age(access._tokens, token, 0.2)  # 5.1 s since the check: read again
    assert access.check_token(token) is None
    other = tokens["analyst"]
    assert access.check_token(other).role == "analyst"
    revoke_token(ws, _key(other))
    access.forget_tokens(_key(other))  # what the server does after a revocation
    assert access.check_token(other) is None


def test_the_cache_of_checks_is_bounded(ws):
    access = Access(ws)
    for i in range(10_001):
        assert access.check_token(f"made-up-{i}") is None
    assert len(access._tokens) == 10_001
    access.check_token("one more")
    assert len(access._tokens) == 1


def test_an_expired_token_is_refused_even_when_its_check_is_cached(ws):
    access = Access(ws)
    token = create_token(ws, "admin", name="brief", expires_in=dt.timedelta(milliseconds=400))
    assert access.check_token(token).role == "admin"
    sid = access.open_session(access.check_token(token))
    assert access.session(sid).role == "admin"
    time.sleep(0.45)
    with pytest.raises(TokenExpired):  # from the cache: it expired since it was checked
        access.check_token(token)
    assert access.principal(_request(bearer=token)) is None
    with pytest.raises(HTTPException) as refused:
        access.require(_request(bearer=token), "viewer")
    assert refused.value.status_code == 401
    assert refused.value.detail.startswith(f"token {_key(token)} expired at ")
    assert refused.value.headers == {"WWW-Authenticate": "Bearer"}
    assert access.session(sid) is None  # its session ends with it
    access.forget_tokens()
    with pytest.raises(TokenExpired):  # read again from the workspace
        access.check_token(token)


# -- sessions ------------------------------------------------------------------------------

def test_a_session_names_its_holder_until_signed_out(ws, tokens):
    access = Access(ws)
    holder = access.check_token(tokens["admin"])
    sid = access.open_session(holder)
    assert len(sid) == 43  # 32 random bytes, URL-safe base64
    assert access.session(sid) == Principal(holder.key, "admin", "admin one", by_cookie=True)
    assert access.principal(_request(cookie=sid)).by_cookie is True
    assert access.open_session(holder) != sid
    access.close_session(sid)
    assert access.session(sid) is None
    assert access.principal(_request(cookie=sid)) is None
    access.close_session(None)  # no cookie: nothing to end


@pytest.mark.parametrize("sid", ["made-up", "", None, "x" * 4000, ["list"], 7])
def test_an_unknown_session_is_none(ws, tokens, sid):
    access = Access(ws)
    access.open_session(access.check_token(tokens["viewer"]))
    assert access.session(sid) is None


def test_a_made_up_cookie_is_401(ws, tokens):
    access = Access(ws)
    access.open_session(access.check_token(tokens["viewer"]))
    with pytest.raises(HTTPException) as refused:
        access.require(_request(cookie="made-up"), "viewer")
    assert refused.value.status_code == 401 and refused.value.detail.startswith("sign in")
    assert refused.value.headers == {"WWW-Authenticate": "Bearer"}


def test_a_session_ends_after_its_lifetime(ws, tokens):
    access = Access(ws, session_seconds=0.3)
    sid = access.open_session(access.check_token(tokens["viewer"]))
    assert access.session(sid).role == "viewer"
    time.sleep(0.35)
    assert access.session(sid) is None
    assert sid not in access._sessions


def test_revoking_a_token_ends_its_sessions(ws, tokens):
    access = Access(ws)
    viewer = access.open_session(access.check_token(tokens["viewer"]))
    analyst = access.open_session(access.check_token(tokens["analyst"]))
    access.forget_tokens(_key(tokens["viewer"]))
    assert access.session(viewer) is None
    assert access.session(analyst).role == "analyst"
    access.forget_tokens()  # no key: the cached checks go, the sessions stay
    assert access.session(analyst).role == "analyst"
    revoke_token(ws, _key(tokens["analyst"]))  # revoked by another process
    access.forget_tokens()
    assert access.session(analyst) is None


# -- roles and origins ---------------------------------------------------------------------

def test_require_checks_the_role(ws, tokens):
    access = Access(ws)
    assert access.require(_request(bearer=tokens["analyst"]), "viewer").role == "analyst"
    assert access.require(_request(bearer=tokens["analyst"]), "analyst").role == "analyst"
    with pytest.raises(HTTPException) as refused:
        access.require(_request(bearer=tokens["viewer"]), "analyst")
    assert refused.value.status_code == 403
    assert refused.value.detail == "this needs the analyst role; your token is viewer"
    with pytest.raises(HTTPException) as refused:
        access.require(_request(), "viewer")
    assert refused.value.status_code == 401


def test_changes_by_cookie_need_the_own_origin(ws, tokens):
    access = Access(ws)
    sid = access.open_session(access.check_token(tokens["admin"]))
    own, other = f"http://{HOST}", "http://127.0.0.1:9000"
    assert access.require(_request("POST", cookie=sid, origin=own), "admin").by_cookie
    assert access.require(_request("GET", cookie=sid, origin=other), "admin").by_cookie
    with pytest.raises(HTTPException) as refused:
        access.require(_request("POST", cookie=sid, origin=other), "admin")
    assert refused.value.status_code == 403 and "cross-origin" in refused.value.detail
    with pytest.raises(HTTPException):
        access.require(_request("DELETE", cookie=sid), "admin")  # no origin at all
    # a bearer token carries no ambient credentials: no origin needed
    assert access.require(_request("POST", bearer=tokens["admin"], origin=other), "admin")


def test_same_origin():
    own = f"http://{HOST}"
    assert same_origin(_request(origin=own)) is True
    assert same_origin(_request(origin=own.upper())) is True
    assert same_origin(_request(host="LocalHost:8000", origin="http://localhost:8000")) is True
    assert same_origin(_request(origin="http://127.0.0.1:8001")) is False
    assert same_origin(_request(origin="https://127.0.0.1:8000")) is False
    assert same_origin(_request(host=None, origin=own)) is False
    assert same_origin(_request(host="", origin=own)) is False
    assert same_origin(_request(referer=own + "/customers?page=2")) is True
    assert same_origin(_request(referer="http://127.0.0.1:9000/customers")) is False
    assert same_origin(_request(referer="")) is False
    assert same_origin(_request()) is False
    # an Origin header wins over the Referer
    assert same_origin(_request(origin="http://evil.test", referer=own + "/")) is False
    assert same_origin(_request(origin=own, referer="http://evil.test/")) is True


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
def test_reading_needs_no_origin(method):
    assert check_origin(_request(method, origin="http://evil.test")) is None


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_changing_needs_the_own_origin(method):
    assert check_origin(_request(method, origin=f"http://{HOST}")) is None
    with pytest.raises(HTTPException) as refused:
        check_origin(_request(method, origin="http://evil.test"))
    assert refused.value.status_code == 403


# -- masks ---------------------------------------------------------------------------------

def test_masks():
    row = {"customer_id": "C1", "name": "Li Lei", "phone": None, "email": "a@b.c",
           "national_id": "1", "id_number": "2", "address": "3", "birth_date": "1990-01-01",
           "amount": 12.5}
    assert mask_row(row) == {"customer_id": "C1", "name": MASK, "phone": None, "email": MASK,
                             "national_id": MASK, "id_number": MASK, "address": MASK,
                             "birth_date": MASK, "amount": 12.5}
    assert mask_row(None) is None
    assert mask_row({}) == {}
    event = {"kind": "contact", "note": "call 555-0101", "channel": "phone", "summary": None}
    assert mask_free_text(event, ("note", "summary")) == {
        "kind": "contact", "note": MASK, "channel": "phone", "summary": None}
    assert mask_free_text(event, ()) == event
    assert access_module.MASK == "***"
