"""Request and response bodies of the REST API (they make the OpenAPI spec)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Health", "SessionIn", "Whoami", "RunRow", "JobOut", "RunRequest", "TokenIn",
           "TokenCreated", "TokenRow", "CustomerPage", "Figures"]

Role = Literal["viewer", "analyst", "admin"]


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
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
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
    created_at: dt.datetime
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None


class RunRequest(BaseModel):
    """Analyse again: after loading a configured source, or on the data already loaded."""

    model_config = ConfigDict(extra="forbid")
    source: str | None = Field(None, max_length=200,
                               description="Name of a configured source (cvm serve --source "
                                           "NAME=PATH); none: analyse the loaded data")
    as_of: dt.date | None = None
    window_days: int | None = Field(None, ge=1, le=36500)
    rfm_scheme: str = Field("std11", max_length=100)
    lang: Literal["en", "zh"] = "en"


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role
    name: str = Field("", max_length=200)
    expires_in: str | None = Field(None, max_length=20, description="e.g. 90d, 12h, 30m; none: "
                                                                      "valid until revoked")


class TokenCreated(BaseModel):
    token: str = Field(description="Shown once; only its hash is stored")
    key: str
    role: Role
    name: str
    expires_at: dt.datetime | None = None


class TokenRow(BaseModel):
    key: str
    role: Role
    name: str
    created_at: dt.datetime | None = None
    last_used: dt.datetime | None = None
    revoked_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None


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
