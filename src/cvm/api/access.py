"""Who is asking: bearer tokens, dashboard sessions, roles, and masking for viewers.

A request carries either ``Authorization: Bearer <token>`` or the dashboard's session cookie
(HttpOnly, SameSite=Strict), which a sign-in with a token sets. No credentials or a wrong
one: 401. A role too low for the endpoint: 403.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

from fastapi import HTTPException, Request

from ..workspace import Workspace
from .insights import PERSONAL_COLUMNS
from .tokens import TokenInfo, role_at_least, verify_token

__all__ = ["Principal", "Access", "SESSION_COOKIE", "mask_row", "MASK"]

SESSION_COOKIE = "cvm_session"
MASK = "***"
_TOKEN_TTL = 5.0  # seconds a verified token is trusted before it is checked again

@dataclass(frozen=True)
class Principal:
    """The caller: the token's key, role and name."""

    key: str
    role: str
    name: str

    @property
    def masked(self) -> bool:
        return not role_at_least(self.role, "analyst")

    @property
    def masked_columns(self) -> tuple[str, ...]:
        """The personal fields this caller sees as ``***``, and so may neither search nor sort
        by (either would give their values away)."""
        return PERSONAL_COLUMNS if self.masked else ()

class Access:
    """Token checks (briefly cached) and dashboard sessions, kept in the server process."""

    def __init__(self, ws: Workspace, *, session_seconds: int = 12 * 3600):
        self.ws = ws
        self.session_seconds = session_seconds
        self._tokens: dict[str, tuple[float, TokenInfo | None]] = {}
        self._sessions: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def check_token(self, token: str | None) -> Principal | None:
        if not token:
            return None
        now = time.monotonic()
        with self._lock:
            hit = self._tokens.get(token)
        if hit is not None and now - hit[0] < _TOKEN_TTL:
            info = hit[1]
        else:
            info = verify_token(self.ws, token)
            with self._lock:
                if len(self._tokens) > 10_000:
                    self._tokens.clear()
                self._tokens[token] = (now, info)
        return Principal(info.key, info.role, info.name) if info else None

    def forget_tokens(self, key: str | None = None) -> None:
        """Drop cached checks (after a revocation) and the sessions of a revoked token."""
        with self._lock:
            self._tokens.clear()
            if key is not None:
                for sid in [s for s, (_, p) in self._sessions.items() if p.key == key]:
                    del self._sessions[sid]

    def open_session(self, principal: Principal) -> str:
        sid = secrets.token_urlsafe(32)
        with self._lock:
            now = time.monotonic()
            for old in [s for s, (exp, _) in self._sessions.items() if exp < now]:
                del self._sessions[old]
            self._sessions[sid] = (now + self.session_seconds, principal)
        return sid

    def close_session(self, sid: str | None) -> None:
        with self._lock:
            self._sessions.pop(sid or "", None)

    def session(self, sid: str | None) -> Principal | None:
        if not sid:
            return None
        with self._lock:
            hit = self._sessions.get(sid)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def principal(self, request: Request) -> Principal | None:
        header = request.headers.get("authorization", "")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer":
                return None
            return self.check_token(token.strip())
        return self.session(request.cookies.get(SESSION_COOKIE))

    def require(self, request: Request, role: str) -> Principal:
        who = self.principal(request)
        if who is None:
            raise HTTPException(401, "sign in: send 'Authorization: Bearer <token>' "
                                     "(create one with `cvm token create`)",
                                headers={"WWW-Authenticate": "Bearer"})
        if not role_at_least(who.role, role):
            raise HTTPException(403, f"this needs the {role} role; your token is {who.role}")
        return who

def mask_row(row: dict | None) -> dict | None:
    """The row with every personal field (name, phone, email, id number, address, birth date)
    replaced by ``***``."""
    if row is None:
        return None
    return {k: (MASK if k in PERSONAL_COLUMNS and v is not None else v) for k, v in row.items()}
