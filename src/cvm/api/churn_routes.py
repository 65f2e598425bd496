"""The churn and win-back endpoints (``/api/v1/churn…``); the figures come from
:mod:`cvm.insights.churn`, as the report's churn section and the dashboard's churn page read
them. The win-back list names customers with their contact details: viewers see those masked
(:func:`cvm.api.access.mask_row`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool

from ..insights.churn import churn, winback
from .access import mask_row
from .routes import Lang, RunId, Viewer, _figures_of, _json, _server

__all__ = ["router"]

router = APIRouter(prefix="/api/v1")


@router.get("/churn", response_model=None, tags=["results"], responses=_figures_of(401, 404))
async def churn_summary(request: Request, who: Viewer, run_id: RunId = None, lang: Lang = "en"):
    """Churn risk of the run: how many customers are scored and at risk, the risk histogram,
    the holdout check (AUC, calibration error, calibration bins, churn and lift by risk decile)
    and the win-back totals."""
    reader = _server(request).reader
    rid = reader.resolve(run_id)
    return _json(await run_in_threadpool(
        lambda: reader.cached(("churn", rid, lang), lambda: churn(reader, rid, lang))))


@router.get("/churn/winback", response_model=None, tags=["results"],
            responses=_figures_of(401, 404))
def churn_winback(request: Request, who: Viewer, run_id: RunId = None, lang: Lang = "en",
                  page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
                  page_size: Annotated[int, Query(ge=1, le=500)] = 50):
    """The churned and at-risk customers, most worth winning back first: churn risk,
    P(returns), value after return, contact cost, win-back value and the reason. Viewers see
    names, phones and emails masked."""
    reader = _server(request).reader
    rid = reader.resolve(run_id)
    offset = (page - 1) * page_size
    answer = reader.cached(("winback", rid, lang, page, page_size),
                           lambda: winback(reader, rid, lang, limit=page_size, offset=offset))
    answer = dict(answer, page=page, page_size=page_size)
    masked = [c for c in answer["columns"] if c in who.masked_columns]
    answer["masked"] = masked
    if masked:
        answer["rows"] = [mask_row(r) for r in answer["rows"]]
    return _json(answer)
