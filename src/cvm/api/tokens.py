"""Access tokens for the REST API and the dashboard, stored hashed in the workspace.

A token is shown once, when it is created: ``cvm_<key>_<secret>``. The workspace keeps only the
SHA-256 of the whole token (a token is 32 random bytes, so a fast hash is enough: there is
nothing to guess), with its role, a name and when it was created, last used, expires (optional)
and revoked. An expired token is refused with :class:`TokenExpired`.

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
>>> parse_duration("90d"), parse_duration("12h")
(datetime.timedelta(days=90), datetime.timedelta(seconds=43200))
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

import duckdb

from ..errors import CvmError
from ..workspace import Workspace

__all__ = ["ROLES", "TokenInfo", "TokenError", "TokenExpired", "create_token", "verify_token",
           "verify_key", "list_tokens", "revoke_token", "role_at_least", "parse_duration",
           "ensure_token_table", "DURATION_PATTERN"]

#: The roles, lowest first.
ROLES = ("viewer", "analyst", "admin")

_DDL = """
CREATE TABLE IF NOT EXISTS api_tokens (
    key VARCHAR PRIMARY KEY, sha256 VARCHAR UNIQUE, role VARCHAR, name VARCHAR,
    created_at TIMESTAMP, last_used TIMESTAMP, revoked_at TIMESTAMP);
ALTER TABLE api_tokens ADD COLUMN IF NOT EXISTS expires_at TIMESTAMP;
"""
#: ``last_used`` is written at most this often per token (a write per request would be waste).
_TOUCH_EVERY = dt.timedelta(seconds=60)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class TokenError(CvmError, ValueError):
    """A token cannot be created or revoked as asked (unknown role or key, bad expiry)."""


class TokenExpired(CvmError):
    """The token is known and not revoked, but its expiry has passed."""

    def __init__(self, key: str, expires_at: dt.datetime):
        super().__init__(f"token {key} expired at {expires_at:%Y-%m-%d %H:%M:%S}: "
                         "ask an admin for a new one")
        self.key = key
        self.expires_at = expires_at


@dataclass(frozen=True)
class TokenInfo:
    key: str
    role: str
    name: str
    created_at: dt.datetime | None = None
    last_used: dt.datetime | None = None
    revoked_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None

    def as_dict(self) -> dict:
        return {"key": self.key, "role": self.role, "name": self.name,
                "created_at": self.created_at, "last_used": self.last_used,
                "revoked_at": self.revoked_at, "expires_at": self.expires_at}


def role_at_least(role: str, needed: str) -> bool:
    """Whether ``role`` includes the rights of ``needed``."""
    return ROLES.index(role) >= ROLES.index(needed)


#: A token lifetime: a whole number from 1 to 999999 (no leading zero) and a unit, s, m, h or d
#: (the API's schema declares the same pattern).
DURATION_PATTERN = r"^([1-9][0-9]{0,5})([smhd])$"


def parse_duration(text: str) -> dt.timedelta:
    """A duration written as a whole number and a unit: ``90d``, ``12h``, ``30m``, ``45s``."""
    match = re.fullmatch(DURATION_PATTERN, str(text))
    if not match:
        raise TokenError(f"{text!r} is not a duration: give a positive whole number and a unit, "
                         "e.g. 90d (days), 12h (hours), 30m (minutes) or 45s (seconds)")
    return dt.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def ensure_token_table(ws: Workspace) -> None:
    """Create the token table, or add the columns a newer cvm needs (a catalog change: call it
    before runs may be writing, as the server does at start)."""
    for statement in _DDL.split(";"):
        if statement.strip():
            ws.query(statement)


_ensure_table = ensure_token_table


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(ws: Workspace, role: str, *, name: str = "",
                 expires_in: dt.timedelta | str | None = None) -> str:
    """Create a token with ``role`` and return it; only its hash is stored. ``expires_in``
    (a :class:`~datetime.timedelta` or text such as ``90d`` or ``12h``): it stops working
    that long from now; without it, it works until revoked."""
    if role not in ROLES:
        raise TokenError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    if isinstance(expires_in, str):
        expires_in = parse_duration(expires_in)
    if expires_in is not None and expires_in <= dt.timedelta(0):
        raise TokenError("a token's expiry must be in the future")
    _ensure_table(ws)
    key = secrets.token_hex(4)
    token = f"cvm_{key}_{secrets.token_urlsafe(32)}"
    expires = dt.datetime.now() + expires_in if expires_in is not None else None
    ws.query("INSERT INTO api_tokens (key, sha256, role, name, created_at, expires_at) "
             "VALUES (?, ?, ?, ?, ?, ?)", [key, _digest(token), role, name, _now(), expires])
    return token


def verify_token(ws: Workspace, token: str | None, *, touch: bool = False) -> TokenInfo | None:
    """The token's details when it is valid and not revoked, else ``None``; raises
    :class:`TokenExpired` when it expired. ``touch``: record that it was used now (at most once
    a minute per token)."""
    if not token or not token.startswith("cvm_") or len(token) > 200:
        return None
    digest = _digest(token)
    found = _lookup(ws, "sha256 = ?", digest, touch)
    return found[0] if found is not None and hmac.compare_digest(found[1], digest) else None


def verify_key(ws: Workspace, key: str, *, touch: bool = False) -> TokenInfo | None:
    """Like :func:`verify_token`, by the token's key (for a session signed in with it)."""
    found = _lookup(ws, "key = ?", key, touch)
    return found[0] if found is not None else None


def _lookup(ws: Workspace, where: str, value: str,
            touch: bool) -> tuple[TokenInfo, str] | None:
    try:  # read only unless touched: no catalog change while a run may be writing
        rows = ws.query("SELECT key, role, name, created_at, last_used, expires_at, sha256 "
                        f"FROM api_tokens WHERE {where} AND revoked_at IS NULL", [value])
    except (duckdb.CatalogException, duckdb.BinderException):
        return None  # no token was ever created in this workspace
    if not rows:
        return None
    key, role, name, created, last_used, expires, digest = rows[0]
    if expires is not None and expires <= dt.datetime.now():
        raise TokenExpired(key, expires)
    now = _now()
    if touch and (last_used is None or now - last_used >= _TOUCH_EVERY):
        try:
            ws.query("UPDATE api_tokens SET last_used = ? WHERE key = ?", [now, key])
            last_used = now
        except duckdb.Error:  # a record of use is not worth failing a request for
            pass
    return TokenInfo(key, role, name, created, last_used, None, expires), digest


def list_tokens(ws: Workspace) -> list[TokenInfo]:
    """Every token, revoked ones included, oldest first (never the secret)."""
    _ensure_table(ws)
    rows = ws.query("SELECT key, role, name, created_at, last_used, revoked_at, expires_at "
                    "FROM api_tokens ORDER BY created_at, key")
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
