"""The test registry over the API: ``GET /api/v1/campaigns`` (every campaign's design, status
and headline result) and ``GET /api/v1/campaigns/{name}`` (one campaign with every result row,
the monitor's looks and the retention period). Both read
:func:`cvm.campaigns.registry.campaign_report`, as ``cvm campaign results NAME --json`` and the
dashboard's campaigns page do, so the three show the same numbers.

The results are counts, rates and means of groups, never a customer's. A campaign stratified
by a personal field (a name, a phone, an address…) would name its strata by their values:
viewers see those as ``***``, as they see the field in a customer list
(:data:`cvm.api.access.PERSONAL_COLUMNS`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from ..campaigns.design import CampaignError
from .access import MASK, Principal
from .models import Timestamp
from .routes import Viewer, _errors, _server

__all__ = ["router", "CampaignRow", "CampaignDetail"]

router = APIRouter(prefix="/api/v1")


class Headline(BaseModel):
    """The first outcome over all customers of the first treated group."""

    outcome: str
    lift: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    roi: float | None = None
    roi_low: float | None = None
    roi_high: float | None = None


class CampaignRow(BaseModel):
    """A campaign's design (who, how many held out, seed, cost, window) and status."""

    name: str
    status: Literal["planned", "running", "ended", "measured"]
    source: str = Field(description="'cells' (matrix cells of a run) or 'list FILE'")
    cells: list[str] = Field(description="The matrix cells (patterns) chosen; empty for a list")
    start: dt.date
    end: dt.date
    customers: int
    treated: int
    control: int
    control_share: float
    stratify: str | None = Field(None, description="The column the control share is kept "
                                                   "within, if any")
    seed: int
    cost_per_contact: float
    min_lift: float | None = Field(None, description="The lift the test was planned to detect")
    overlapping: int = Field(description="Members also in another campaign whose window "
                                         "overlaps this one's")
    created_at: Timestamp | None = None
    analysed_at: Timestamp | None = None
    headline: Headline | None = None


class ResultRow(BaseModel):
    """One treated group against the control for one outcome, in one segment (``all``, or a
    stratum): as the columns of ``campaign-results.csv``."""

    segment: str
    group: str
    outcome: str
    kind: Literal["rate", "mean"]
    n: int
    control_n: int
    treated_value: float | None = None
    control_value: float | None = None
    lift: float | None = Field(None, description="treated − control")
    ci_low: float | None = Field(None, description="95 % interval (rates: Newcombe's hybrid "
                                                   "score; means: Welch)")
    ci_high: float | None = None
    p_value: float | None = None
    relative_lift: float | None = None
    p_adjusted: float | None = Field(None, description="Benjamini–Hochberg")
    significant: bool | None = None
    roi: float | None = Field(None, description="(incremental margin − cost) / cost")
    roi_low: float | None = None
    roi_high: float | None = None


class Look(BaseModel):
    """One look of the always-valid monitor (mSPRT) at the response rates."""

    day: dt.date
    n: int
    control_n: int
    treated_value: float | None = None
    control_value: float | None = None
    lift: float | None = None
    p_value: float | None = None
    significant: bool


class Retention(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    first: dt.date = Field(alias="from", description="First day whose purchases count")
    to: dt.date
    measured: bool = Field(description="Whether the transactions reach its last day")


class CampaignDetail(CampaignRow):
    results: list[ResultRow] = Field(description="Empty until the campaign is measured")
    looks: list[Look]
    retention: Retention | None = None
    measured_from: Literal["transactions", "outcomes file"] | None = None
    outcomes: list[str]


def _shown(report: dict, who: Principal) -> dict:
    """The report as ``who`` may see it: strata named by a personal field masked."""
    if report.get("stratify") not in who.masked_columns:
        return report
    return {**report, "results": [r if r["segment"] == "all" else {**r, "segment": MASK}
                                  for r in report.get("results", [])]}


@router.get("/campaigns", response_model=list[CampaignRow], tags=["campaigns"],
            responses=_errors(401))
async def campaigns(request: Request, who: Viewer):
    """Every campaign, newest window first: its design (matrix cells or list, control share,
    seed, cost per contact, window), status and headline result."""
    from ..campaigns.registry import list_campaigns

    return await run_in_threadpool(list_campaigns, _server(request).ws)


@router.get("/campaigns/{name}", response_model=CampaignDetail, tags=["campaigns"],
            response_model_by_alias=True,
            responses=_errors(401, 404, why={404: "No campaign of that name"}))
async def campaign(name: Annotated[str, PathParam(min_length=1, max_length=200)],
                   request: Request, who: Viewer):
    """One campaign: its design and status, every result row (each treated group and segment
    against the control, per outcome, with the 95 % interval, p-values and ROI), the
    always-valid monitor's looks and the retention period: the numbers of
    ``cvm campaign results NAME``."""
    from ..campaigns.registry import campaign_report

    try:
        report = await run_in_threadpool(campaign_report, _server(request).ws, name)
    except CampaignError as exc:
        raise HTTPException(404, str(exc)) from None
    return _shown(report, who)
