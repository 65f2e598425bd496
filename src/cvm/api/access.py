"""Who is asking: bearer tokens, dashboard sessions, roles, and masking for viewers.

A request carries either ``Authorization: Bearer <token>`` or the dashboard's session cookie
(HttpOnly, SameSite=Strict), which a sign-in with a token sets. No credentials, a wrong or
expired token, or a session that ended: 401. A role too low for the endpoint: 403.

A session lives on the server: it ends when its lifetime passes, when the user signs out, and
when its token is revoked or expires. SameSite does not tell ports apart (a page on another
port of the same host is "same-site"), so a state-changing request (POST, PUT, PATCH, DELETE)
authenticated by the cookie must also come from the dashboard's own origin: its ``Origin``
header (or, without one, its ``Referer``) must name this server's scheme, host and port, else
403. Requests with a bearer token carry no ambient credentials and need no such check.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from fastapi import HTTPException, Request

from ..workspace import Workspace
from .tokens import TokenExpired, TokenInfo, role_at_least, verify_key, verify_token

__all__ = ["Principal", "Access", "SESSION_COOKIE", "mask_row", "mask_free_text", "MASK",
           "same_origin",
           "check_origin"]

SESSION_COOKIE = "cvm_session"
#: Customer fields that identify a person; masked for viewers.
PERSONAL_COLUMNS = ("name", "phone", "email", "national_id", "id_number", "address",
                    "birth_date")
MASK = "***"
_TOKEN_TTL = 5.0  # seconds a verified token is trusted before it is checked again
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SIGN_IN = ("sign in: send 'Authorization: Bearer <token>' (create one with `cvm token create`)")


@dataclass(frozen=True)
class Principal:
    """The caller: the token's key, role and name, and whether a session cookie (rather than a
    bearer token) identified them."""

    key: str
    role: str
    name: str
    by_cookie: bool = False

    @property
    def masked(self) -> bool:
        return not role_at_least(self.role, "analyst")

    @property
    def masked_columns(self) -> tuple[str, ...]:
        """The personal fields this caller sees as ``***``, and so may neither search nor sort
        by (either would give their values away)."""
        return PERSONAL_COLUMNS if self.masked else ()


def same_origin(request: Request) -> bool:
    """Whether the request's ``Origin`` (else ``Referer``) is this server's own origin."""
    host = request.headers.get("host")
    if not host:
        return False
    own = f"{request.url.scheme}://{host}".lower()
    origin = request.headers.get("origin")
    if origin is None:
        referer = request.headers.get("referer")
        if not referer:
            return False
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    return origin.lower() == own


class Access:
    """Token checks (briefly cached) and dashboard sessions, kept in the server process."""

    def __init__(self, ws: Workspace, *, session_seconds: float = 12 * 3600):
        self.ws = ws
        self.session_seconds = session_seconds
        self._tokens: dict[str, tuple[float, TokenInfo | TokenExpired | None]] = {}
        self._keys: dict[str, tuple[float, TokenInfo | TokenExpired | None]] = {}
        self._sessions: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def _verified(self, cache: dict, ident: str, lookup: Callable) -> TokenInfo | None:
        """The token's details, from ``cache`` when checked in the last few seconds; raises
        :class:`TokenExpired`."""
        now = time.monotonic()
        with self._lock:
            hit = cache.get(ident)
        if hit is not None and now - hit[0] < _TOKEN_TTL:
            outcome = hit[1]
        else:
            try:
                outcome = lookup(self.ws, ident, touch=True)
            except TokenExpired as exc:
                outcome = exc
            with self._lock:
                if len(cache) > 10_000:
                    cache.clear()
                cache[ident] = (now, outcome)
        if isinstance(outcome, TokenExpired):
            raise outcome
        if outcome is not None and outcome.expires_at is not None \
                and outcome.expires_at <= dt.datetime.now():  # expired since it was checked
            raise TokenExpired(outcome.key, outcome.expires_at)
        return outcome

    def check_token(self, token: str | None) -> Principal | None:
        """The token's holder, or ``None`` when unknown or revoked; raises
        :class:`TokenExpired`."""
        if not token:
            return None
        info = self._verified(self._tokens, token, verify_token)
        return Principal(info.key, info.role, info.name) if info else None

    def forget_tokens(self, key: str | None = None) -> None:
        """Drop cached checks (after a revocation) and the sessions of a revoked token."""
        with self._lock:
            self._tokens.clear()
            self._keys.clear()
            if key is not None:
                for sid in [s for s, (_, p) in self._sessions.items() if p.key == key]:
                    del self._sessions[sid]

    def open_session(self, principal: Principal) -> str:
        sid = secrets.token_urlsafe(32)
        with self._lock:
            now = time.monotonic()
            for old in [s for s, (end, _) in self._sessions.items() if end <= now]:
                del self._sessions[old]
            self._sessions[sid] = (now + self.session_seconds,
                                   Principal(principal.key, principal.role, principal.name,
                                             by_cookie=True))
        return sid

    def close_session(self, sid: str | None) -> None:
        if not isinstance(sid, str):
            return
        with self._lock:
            self._sessions.pop(sid, None)

    def session(self, sid: str | None) -> Principal | None:
        """The session's holder while it lasts and its token is still valid, else ``None``."""
        if not isinstance(sid, str) or not sid:
            return None
        with self._lock:
            hit = self._sessions.get(sid)
        if hit is None:
            return None
        end, who = hit
        try:
            valid = end > time.monotonic() and \
                self._verified(self._keys, who.key, verify_key) is not None
        except TokenExpired:
            valid = False
        if not valid:
            self.close_session(sid)
            return None
        return who

    def principal(self, request: Request) -> Principal | None:
        """The caller, or ``None`` (no, unknown, revoked or expired credentials)."""
        try:
            return self._identify(request)
        except TokenExpired:
            return None

    def _identify(self, request: Request) -> Principal | None:
        header = request.headers.get("authorization", "")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer":
                return None
            return self.check_token(token.strip())
        return self.session(request.cookies.get(SESSION_COOKIE))

    def require(self, request: Request, role: str) -> Principal:
        """The caller when signed in with at least ``role``: else 401 (not signed in), 403
        (role too low, or a cookie-authenticated change from another origin)."""
        try:
            who = self._identify(request)
        except TokenExpired as exc:
            raise HTTPException(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) from None
        if who is None:
            raise HTTPException(401, _SIGN_IN, headers={"WWW-Authenticate": "Bearer"})
        if who.by_cookie:
            check_origin(request)
        if not role_at_least(who.role, role):
            raise HTTPException(403, f"this needs the {role} role; your token is {who.role}")
        return who


def check_origin(request: Request) -> None:
    """403 unless a state-changing request comes from this server's own origin."""
    if request.method.upper() not in _SAFE_METHODS and not same_origin(request):
        raise HTTPException(403, "cross-origin request refused: changes made with the dashboard's "
                                 "session cookie must come from the dashboard's own pages")


def mask_free_text(row: dict, fields: tuple[str, ...]) -> dict:
    """The row with its free-text ``fields`` (a service contact's note, which may quote a phone
    number or a name) replaced by ``***``; an empty one stays empty."""
    return {k: (MASK if k in fields and v is not None else v) for k, v in row.items()}


def mask_row(row: dict | None) -> dict | None:
    """The row with every personal field (name, phone, email, id number, address, birth date)
    replaced by ``***``."""
    if row is None:
        return None
    return {k: (MASK if k in PERSONAL_COLUMNS and v is not None else v) for k, v in row.items()}
