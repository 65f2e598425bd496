"""Every satisfaction figure of a survey in one plain document, for the run summary, the report
and the dashboard: the index with its interval and weighting rule, NPS and CSAT, each broken
down by segment, matrix cell, lifecycle stage, store, channel and month, importance–performance
and the expectation gap."""

from __future__ import annotations

import math

import pandas as pd

from .breakdown import BREAKDOWNS
from .importance import (expectation_gap, importance_from_total_effects,
                         importance_performance)
from .index import IndexWeights, choose_weights, satisfaction_index
from .nps import csat_table, nps_table
from .survey import Survey, SurveyError

__all__ = ["satisfaction_overview"]


def _records(frame: pd.DataFrame | None) -> list[dict]:
    if frame is None:
        return []
    out = []
    for row in frame.to_dict("records"):
        out.append({k: (None if isinstance(v, float) and math.isnan(v) else
                        v.item() if hasattr(v, "item") else v) for k, v in row.items()})
    return out


def _maybe(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except SurveyError:
        return None


def satisfaction_overview(survey: Survey, weights: IndexWeights | None = None, *,
                          n_boot: int = 1000, effects: pd.DataFrame | None = None) -> dict:
    """The document (plain lists and dicts; NaN as None). ``survey`` should carry the breakdown
    columns (:func:`cvm.satisfaction.breakdown.with_customers`). With ``effects`` (``group``,
    ``total_effect``: a structural model's total effects on satisfaction,
    :func:`cvm.satisfaction.survey_model.total_effects_on_satisfaction`) importance is those
    total effects; without, derived regression weights."""
    weights = weights or choose_weights(survey)
    overall = satisfaction_index(survey, weights, n_boot=n_boot)
    doc: dict = {
        "respondents": len(survey),
        "customers": int(survey.responses["customer_id"].nunique()),
        "first_date": str(survey.responses["response_date"].min().date()),
        "last_date": str(survey.responses["response_date"].max().date()),
        "weights": {"rule": weights.rule, "level": weights.level,
                    "weights": dict(weights.weights)},
        "index": _records(overall)[0],
        "nps": _records(_maybe(nps_table, survey))[:1],
        "csat": _records(_maybe(csat_table, survey))[:1],
        "by": {},
        "importance": _records(_maybe(importance_performance, survey) if effects is None
                               else _maybe(importance_from_total_effects, survey, effects)),
        "expectation_gap": _records(_maybe(expectation_gap, survey)),
    }
    doc["nps"] = doc["nps"][0] if doc["nps"] else None
    doc["csat"] = doc["csat"][0] if doc["csat"] else None
    for name in BREAKDOWNS:
        if name not in survey.responses or survey.responses[name].isna().all():
            continue
        index = satisfaction_index(survey, weights, by=name, n_boot=n_boot)
        nps = _maybe(nps_table, survey, name)
        if nps is not None:
            index = index.merge(nps[[name, "nps", "nps_low", "nps_high"]], on=name, how="left")
        csat = _maybe(csat_table, survey, name)
        if csat is not None:
            index = index.merge(csat[[name, "csat", "csat_low", "csat_high"]], on=name,
                                how="left")
        doc["by"][name] = _records(index.rename(columns={name: "key"}))
    return doc
