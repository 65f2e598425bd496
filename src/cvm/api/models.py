"""Request and response bodies of the REST API (they make the OpenAPI spec)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import re

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from ..features.rfm_schemes import list_schemes
from .tokens import DURATION_PATTERN

__all__ = ["Health", "SessionIn", "Whoami", "RunRow", "JobOut", "RunRequest", "TokenIn",
           "TokenCreated", "TokenRow", "CustomerPage", "Figures", "ErrorOut", "SCHEMES",
           "Timestamp"]

Role = Literal["viewer", "analyst", "admin"]

#: The schema of a scheme name: one of the built-in RFM segment schemes (the API takes no
#: scheme files; another name is refused with 400 and the list of names).
SCHEMES = {"enum": list_schemes()}


def _utc(value: dt.datetime) -> dt.datetime:
    """The time in UTC. The workspace stores the server's local wall-clock time without a
    zone; it is read as local time here, so that the API always says which instant it means."""
    if value.tzinfo is None:
        value = value.astimezone()
    return value.astimezone(dt.timezone.utc)


#: An instant, sent in UTC as ISO 8601 with ``Z`` (``2024-12-31T09:30:00Z``).
Timestamp = Annotated[dt.datetime, AfterValidator(_utc)]


def _date_text(value: object) -> object:
    """A date in JSON is text, YYYY-MM-DD (not a number of seconds, not a date and time)."""
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


def _whole_number(value: object) -> object:
    """A JSON integer: a number without a fractional part (``5`` or ``5.0``), not text or
    true/false."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("a whole number is written as a JSON number")
    return value


#: A calendar date sent in JSON: ISO 8601 text, YYYY-MM-DD.
DateText = Annotated[dt.date, BeforeValidator(_date_text)]


class ErrorOut(BaseModel):
    """Why a request was refused, in words."""

    detail: str


class Health(BaseModel):
    status: str
    version: str
    latest_run: int | None


class SessionIn(BaseModel):
    token: str = Field(min_length=1, max_length=200, description="An API token")


class Whoami(BaseModel):
    role: Role
    name: str
    key: str


class RunRow(BaseModel):
    run_id: int
    status: str
    started_at: Timestamp | None = None
    finished_at: Timestamp | None = None
    as_of: dt.date | None = None
    engine: str | None = None
    error: str | None = None


class JobOut(BaseModel):
    job_id: str
    kind: str
    status: Literal["queued", "running", "complete", "failed"]
    progress: float = Field(ge=0, le=1)
    message: str
    run_id: int | None = None
    error: str | None = None
    files: list[str] = []
    created_at: Timestamp
    started_at: Timestamp | None = None
    finished_at: Timestamp | None = None


class RunRequest(BaseModel):
    """Analyse again: after loading a configured source, or on the data already loaded."""

    model_config = ConfigDict(extra="forbid")
    source: str | None = Field(None, max_length=200,
                               description="Name of a configured source (cvm serve --source "
                                           "NAME=PATH); none: analyse the loaded data")
    as_of: DateText | None = None
    window_days: Annotated[int, Field(ge=1, le=36500),
                           BeforeValidator(_whole_number)] | None = None
    rfm_scheme: str = Field("std11", json_schema_extra=SCHEMES)
    lang: Literal["en", "zh"] = "en"


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role
    name: str = Field("", max_length=200)
    expires_in: str | None = Field(None, json_schema_extra={"pattern": DURATION_PATTERN},
                                   description=(
        "How long the token works: a whole number and a unit, e.g. 90d, 12h, 30m or 45s; "
        "none: valid until revoked"))


class TokenCreated(BaseModel):
    token: str = Field(description="Shown once; only its hash is stored")
    key: str
    role: Role
    name: str
    expires_at: Timestamp | None = None


class TokenRow(BaseModel):
    key: str
    role: Role
    name: str
    created_at: Timestamp | None = None
    last_used: Timestamp | None = None
    revoked_at: Timestamp | None = None
    expires_at: Timestamp | None = None


class CustomerPage(BaseModel):
    run_id: int
    total: int
    page: int
    page_size: int
    columns: list[str]
    rows: list[dict[str, Any]]
    masked: list[str] = Field(default_factory=list, description=(
        "Columns shown as *** to the caller: not searched, and not a sort key"))


class Figures(BaseModel):
    """Aggregates of a run (their fields depend on what the run computed)."""

    model_config = ConfigDict(extra="allow")
