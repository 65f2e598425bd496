"""Churn risk in a workspace: where the churn capability meets runs and workspaces.

:func:`validate_churn_workspace` checks the churn candidates on a workspace's own history
(``cvm churn validate``); the computations are :mod:`cvm.models.churn` and
:mod:`cvm.models.churn_validation`. A churn stage of the run (``churn_risk`` per customer)
belongs in this module too (see docs/architecture.md).
"""

from __future__ import annotations

import datetime as dt

from ..models.churn_validation import ChurnValidation, validate_churn
from .contract import AnalysisError

__all__ = ["validate_churn_workspace"]


def validate_churn_workspace(ws, *, calibration_end: dt.date, horizon_days: int | None = None,
                             engine: str = "duckdb", calibration: str = "isotonic"
                             ) -> ChurnValidation:
    """:func:`validate_churn` on a workspace's unified transactions."""
    from ..engine import get_engine
    from ..identity import unify

    last = ws.query("SELECT max(purchase_date) FROM transactions")[0][0]
    if last is None:
        raise AnalysisError(f"workspace {ws.path} holds no transactions: load a file first")
    if calibration_end >= last:
        raise AnalysisError(f"the calibration end ({calibration_end}) must come before the last "
                            f"purchase date ({last})")
    unify(ws)
    eng = get_engine(engine, ws.con)
    transactions = eng.transactions(ws)
    try:
        return validate_churn(transactions, eng.to_arrow, calibration_end=calibration_end,
                              horizon_days=horizon_days, last_date=last, calibration=calibration)
    except ValueError as exc:
        raise AnalysisError(str(exc)) from None
    finally:
        eng.release()
