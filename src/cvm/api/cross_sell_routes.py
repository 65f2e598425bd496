"""``GET /cross-sell``: a run's basket rules, next best offers and uplift figures."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ..insights.cross_sell import cross_sell as cross_sell_figures
from .routes import RunId, Viewer, _figures_of, _json, _server

__all__ = ["router"]

router = APIRouter(prefix="/api/v1")


@router.get("/cross-sell", response_model=None, tags=["results"],
            responses=_figures_of(401, 404))
def cross_sell(request: Request, who: Viewer, run_id: RunId = None):
    """The strongest basket rules, the next best offers of highest expected value and the
    uplift models' held-out figures, when the run has them (``available: false`` otherwise)."""
    reader = _server(request).reader
    rid = reader.resolve(run_id)
    return _json(reader.cached(("cross_sell", rid), lambda: cross_sell_figures(reader, rid)))
