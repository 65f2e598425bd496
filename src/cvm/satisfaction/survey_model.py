"""The survey's structural model: kept in the workspace, fitted by every run, read by the report.

A model file (TOML, :mod:`cvm.satisfaction.pls_model`) whose indicators are items of the loaded
survey is stored with the survey (``cvm survey load FILE --model MODEL.toml``, or
:func:`store_survey_model`); the latest one stored is the survey's model. The ``satisfaction``
stage then fits it on the survey's answers (:func:`fit_survey_model`: PLS path modelling, path
inner weighting, :data:`STAGE_BOOTSTRAP` percentile-bootstrap resamples with a fixed seed) and
stores :func:`model_overview` with the run.

The answers are those the survey stores: reversed items already turned round, "don't know" as
missing; a respondent who left an indicator unanswered is left out of the fit (listwise, as
:class:`~cvm.satisfaction.pls.PLSPathModel` does).

Which construct is which
    the *satisfaction* construct is the one measured by the survey's overall-satisfaction item
    (role ``overall``); a construct whose indicators are all attribute items of one group stands
    for that group. Importance–performance then takes each group's total effect on the
    satisfaction construct as its importance
    (:func:`cvm.satisfaction.importance.importance_from_total_effects`).

HTMT flag
    a pair of constructs with HTMT ≥ 0.85 is flagged: their discriminant validity is in doubt
    (Henseler, Ringle & Sarstedt 2015, *Journal of the Academy of Marketing Science* 43, the
    conservative HTMT.85 criterion).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ..workspace import Workspace
from .pls import PLSPathModel
from .pls_model import ModelFileError, StructuralModel, TEMPLATES, load_model
from .survey import Survey

__all__ = ["store_survey_model", "stored_survey_model", "fit_survey_model", "model_overview",
           "total_effects_on_satisfaction", "STAGE_BOOTSTRAP", "HTMT_LIMIT"]

#: bootstrap resamples of a run's model fit (0.15 s on the demo's 417 complete answers)
STAGE_BOOTSTRAP = 500
#: the bootstrap's seed in a run, so a run's intervals are reproducible
STAGE_SEED = 20150601
#: HTMT at or above this flags a pair of constructs (Henseler et al. 2015, HTMT.85)
HTMT_LIMIT = 0.85

_DDL = """
CREATE SEQUENCE IF NOT EXISTS survey_model_ids START 1;
CREATE TABLE IF NOT EXISTS survey_model (
    model_id INTEGER, name VARCHAR, text VARCHAR, stored_at TIMESTAMP);
"""


def _items(ws: Workspace) -> set[str] | None:
    if not ws.query("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'survey_items'")[0][0]:
        return None
    return {r[0] for r in ws.query("SELECT DISTINCT item FROM survey_items")}


def store_survey_model(ws: Workspace, model: str | Path) -> StructuralModel:
    """Check a model file (or template name) and keep it in the workspace as the survey's model.

    Every indicator must be an item of a survey loaded into ``ws`` (load the survey first)."""
    fitted = load_model(model)
    items = _items(ws)
    if items is None:
        raise ModelFileError("load the survey before its model: cvm survey load FILE "
                             "--definition survey.toml --model MODEL.toml")
    unknown = [i for i in fitted.indicators if i not in items]
    if unknown:
        raise ModelFileError(f"model {str(model)!r} names indicator(s) "
                             f"{', '.join(repr(u) for u in unknown)} that are not items of the "
                             f"loaded survey (items: {', '.join(sorted(items))})")
    name = str(model).lower() if str(model).lower() in TEMPLATES else Path(model).name
    text = TEMPLATES.get(str(model).lower()) or Path(model).read_text(encoding="utf-8")
    with ws.transaction() as con:
        con.execute(_DDL)
        con.execute("INSERT INTO survey_model SELECT nextval('survey_model_ids'), ?, ?, "
                    "now()::TIMESTAMP", [name, text])
    return fitted


def stored_survey_model(ws: Workspace) -> tuple[str, StructuralModel] | None:
    """The survey's model (the latest stored) and its file name, or None."""
    if not ws.query("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'survey_model'"
                    )[0][0]:
        return None
    rows = ws.query("SELECT name, text FROM survey_model ORDER BY model_id DESC LIMIT 1")
    if not rows:
        return None
    import tomllib

    name, text = rows[0]
    return name, StructuralModel.from_dict(tomllib.loads(text), name)


def fit_survey_model(survey: Survey, model: StructuralModel, *,
                     n_bootstrap: int = STAGE_BOOTSTRAP,
                     random_state: int | None = STAGE_SEED) -> PLSPathModel:
    """PLS path model (path weighting) of ``model`` on the survey's answers, with
    ``n_bootstrap`` percentile-bootstrap resamples."""
    return PLSPathModel(model, scheme="path", n_bootstrap=n_bootstrap,
                        random_state=random_state).fit(survey.responses)


def _roles(survey: Survey, model: StructuralModel) -> dict[str, dict]:
    """Each construct's role (``satisfaction``, ``loyalty``, ``attribute`` or None) and group."""
    items = survey.items.set_index("item")
    out = {}
    for c in model.constructs:
        roles = {items.at[i, "role"] for i in c.indicators if i in items.index}
        groups = {items.at[i, "group"] for i in c.indicators if i in items.index}
        role, group = None, None
        if "overall" in roles:
            role = "satisfaction"
        elif roles == {"recommend"}:
            role = "loyalty"
        elif roles == {"attribute"} and len(groups) == 1:
            role, group = "attribute", groups.pop()
        out[c.name] = {"role": role, "group": group}
    return out


def total_effects_on_satisfaction(survey: Survey, fitted: PLSPathModel) -> pd.DataFrame | None:
    """``group``, ``construct`` and ``total_effect`` of each attribute-group construct on the
    satisfaction construct (the one measured by the overall item); None when the model has no
    satisfaction construct or no group construct reaches it."""
    roles = _roles(survey, fitted.structural_model_)
    target = [n for n, r in roles.items() if r["role"] == "satisfaction"]
    if not target:
        return None
    effects = fitted.total_effects_
    rows = [{"group": roles[r["from"]]["group"], "construct": r["from"],
             "total_effect": float(r["effect"])}
            for r in effects[effects["to"] == target[0]].to_dict("records")
            if roles[r["from"]]["role"] == "attribute"]
    return pd.DataFrame(rows) if rows else None


def _clean(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if hasattr(value, "item") else value


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: _clean(v) for k, v in row.items()} for row in frame.to_dict("records")]


def model_overview(survey: Survey, fitted: PLSPathModel, name: str) -> dict:
    """The fitted model as a plain document for the run summary, the report and the dashboard:
    ``constructs`` (name, role, group, mode, indicators, r_squared), ``paths`` and
    ``total_effects`` (with bootstrap std_error and percentile ci_lower/ci_upper when
    bootstrapped), ``quality`` (per construct: R², α, ρ_C, ρ_A, AVE) and ``htmt`` (each pair,
    ``flag`` when ≥ :data:`HTMT_LIMIT`)."""
    model = fitted.structural_model_
    roles = _roles(survey, model)
    paths = fitted.path_coefficients_.rename(columns={"coefficient": "estimate"})
    totals = fitted.total_effects_.rename(columns={"effect": "estimate"})
    if getattr(fitted, "bootstrap_", None) is not None:
        boot = fitted.bootstrap_[["kind", "from", "to", "std_error", "ci_lower", "ci_upper"]]
        paths = paths.merge(boot[boot.kind == "path"].drop(columns="kind"), on=["from", "to"],
                            how="left")
        totals = totals.merge(boot[boot.kind == "total_effect"].drop(columns="kind"),
                              on=["from", "to"], how="left")
    names = model.names
    htmt = fitted.htmt_
    pairs = [{"a": a, "b": b, "htmt": float(htmt.at[a, b]),
              "flag": bool(htmt.at[a, b] >= HTMT_LIMIT)}
             for i, a in enumerate(names) for b in names[i + 1:]]
    r2 = fitted.r_squared_
    return {
        "name": name,
        "scheme": fitted.scheme,
        "respondents": int(fitted.n_observations_),
        "answers": len(survey),
        "bootstrap": int(fitted.n_bootstrap),
        "bootstrap_failed": int(getattr(fitted, "bootstrap_failed_", 0)),
        "confidence": fitted.confidence,
        "converged": bool(fitted.converged_),
        "htmt_limit": HTMT_LIMIT,
        "constructs": [{"name": c.name, "mode": c.mode, "indicators": list(c.indicators),
                        **roles[c.name],
                        "r_squared": _clean(float(r2[c.name])) if c.name in r2 else None}
                       for c in model.constructs],
        "paths": _records(paths),
        "total_effects": _records(totals),
        "quality": _records(fitted.quality_),
        "htmt": pairs,
    }
