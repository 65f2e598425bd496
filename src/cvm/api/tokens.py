"""Access tokens for the REST API and the dashboard, stored hashed in the workspace.

A token is shown once, when it is created: ``cvm_<key>_<secret>``. The workspace keeps only the
SHA-256 of the whole token (a token is 32 random bytes, so a fast hash is enough: there is
nothing to guess), with its role, a name and when it was created, last used and revoked.

Roles, each including the ones before it:

- ``viewer``: aggregates; customer rows only with personal fields masked;
- ``analyst``: customer-level data and target-list exports;
- ``admin``: starts runs and manages tokens.

>>> from cvm.workspace import Workspace
>>> ws = Workspace(":memory:")
>>> token = create_token(ws, "analyst", name="crm team")
>>> verify_token(ws, token).role
'analyst'
>>> verify_token(ws, token + "x") is None
True
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import duckdb

from ..workspace import Workspace

__all__ = ["ROLES", "TokenInfo", "TokenError", "create_token", "verify_token", "list_tokens",
           "revoke_token", "role_at_least"]

#: The roles, lowest first.
ROLES = ("viewer", "analyst", "admin")

_DDL = """
CREATE TABLE IF NOT EXISTS api_tokens (
    key VARCHAR PRIMARY KEY, sha256 VARCHAR UNIQUE, role VARCHAR, name VARCHAR,
    created_at TIMESTAMP, last_used TIMESTAMP, revoked_at TIMESTAMP)
"""


class TokenError(ValueError):
    """A token cannot be created or revoked as asked (unknown role or key)."""


@dataclass(frozen=True)
class TokenInfo:
    key: str
    role: str
    name: str
    created_at: dt.datetime | None = None
    last_used: dt.datetime | None = None
    revoked_at: dt.datetime | None = None

    def as_dict(self) -> dict:
        return {"key": self.key, "role": self.role, "name": self.name,
                "created_at": self.created_at, "last_used": self.last_used,
                "revoked_at": self.revoked_at}


def role_at_least(role: str, needed: str) -> bool:
    """Whether ``role`` includes the rights of ``needed``."""
    return ROLES.index(role) >= ROLES.index(needed)


def _ensure_table(ws: Workspace) -> None:
    ws.query(_DDL)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(ws: Workspace, role: str, *, name: str = "") -> str:
    """Create a token with ``role`` and return it; only its hash is stored."""
    if role not in ROLES:
        raise TokenError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    _ensure_table(ws)
    key = secrets.token_hex(4)
    token = f"cvm_{key}_{secrets.token_urlsafe(32)}"
    ws.query("INSERT INTO api_tokens VALUES (?, ?, ?, ?, ?, NULL, NULL)",
             [key, _digest(token), role, name, _now()])
    return token


def verify_token(ws: Workspace, token: str | None, *, touch: bool = False) -> TokenInfo | None:
    """The token's details when it is valid and not revoked, else ``None``."""
    if not token or not token.startswith("cvm_") or len(token) > 200:
        return None
    digest = _digest(token)
    try:  # read only: no catalog change while a run may be writing
        rows = ws.query("SELECT key, role, name, created_at, sha256 FROM api_tokens "
                        "WHERE sha256 = ? AND revoked_at IS NULL", [digest])
    except duckdb.CatalogException:  # no token was ever created in this workspace
        return None
    if not rows or not hmac.compare_digest(rows[0][4], digest):
        return None
    key, role, name, created, _ = rows[0]
    if touch:
        ws.query("UPDATE api_tokens SET last_used = ? WHERE key = ?", [_now(), key])
    return TokenInfo(key, role, name, created)


def list_tokens(ws: Workspace) -> list[TokenInfo]:
    """Every token, revoked ones included, oldest first (never the secret)."""
    _ensure_table(ws)
    rows = ws.query("SELECT key, role, name, created_at, last_used, revoked_at FROM api_tokens "
                    "ORDER BY created_at, key")
    return [TokenInfo(*r) for r in rows]


def revoke_token(ws: Workspace, key: str) -> TokenInfo:
    """Revoke the token with this key; it stops working at once."""
    _ensure_table(ws)
    rows = ws.query("SELECT key FROM api_tokens WHERE key = ?", [key])
    if not rows:
        raise TokenError(f"no token with key {key!r}")
    ws.query("UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE key = ?",
             [_now(), key])
    return next(t for t in list_tokens(ws) if t.key == key)


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)
