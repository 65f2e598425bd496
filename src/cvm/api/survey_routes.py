"""The satisfaction endpoints: a run's survey figures (``/api/v1/satisfaction``) and one
customer's survey answers (``/api/v1/survey/customers/{id}``)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from .routes import Lang, RunId, Viewer, _figures_of, _json, _server

__all__ = ["router"]

router = APIRouter(prefix="/api/v1")


@router.get("/satisfaction", response_model=None, tags=["results"],
            responses=_figures_of(401, 404))
def satisfaction(request: Request, who: Viewer, run_id: RunId = None, lang: Lang = "en"):
    """The run's survey figures: the 1000-point index with its bootstrap interval and weighting
    rule, NPS and CSAT with their intervals, each by segment, matrix cell, lifecycle stage,
    store, channel and month, importance–performance and the expectation gap.
    ``available`` is false when no survey was loaded before the run.

    When the survey has a structural model, ``model`` holds the run's fit (constructs, path
    coefficients and total effects with 95 % bootstrap intervals, R², α, ρ_C, ρ_A, AVE, HTMT)
    with ``labels`` (each construct's name in ``lang``), and ``path_diagram_svg`` its path
    diagram in ``lang`` (the report's SVG); importance is then the model's total effects on
    satisfaction (``importance_source`` says which). ``wording`` holds the weighting rule and
    the importance–performance title in ``lang``."""
    reader = _server(request).reader
    run = reader.resolve(run_id)
    doc = ((reader.summary(run).get("info") or {}).get("stages") or {}).get("satisfaction")
    model = (doc or {}).get("model")
    svg = None
    if model and not model.get("error"):
        from ..reports.path_diagram import path_diagram_svg
        from ..satisfaction.pls_model import construct_label

        svg = path_diagram_svg(model, lang)
        doc = {**doc, "model": {**model, "labels": {c["name"]: construct_label(c["name"], lang)
                                                    for c in model["constructs"]}}}
    wording = {}
    if doc:
        from ..satisfaction.wording import survey_text

        wording["index_rule"] = survey_text(lang, "index_rule", rule=doc["weights"]["rule"])
        if doc.get("importance"):
            wording["ipa_title"] = survey_text(
                lang, "ipa_title", source=doc["importance"][0]["importance_source"])
    return _json({"run_id": run, "available": bool(doc), **(doc or {}),
                  "path_diagram_svg": svg, "wording": wording})


@router.get("/survey/customers/{customer_id:path}", response_model=None, tags=["customers"],
            responses=_figures_of(401))
def customer_answers(customer_id: str, request: Request, who: Viewer):
    """One customer's survey answers, newest response first: each item with its role, group,
    scale and the answer (reversed items turned round; null for don't know or blank)."""
    reader = _server(request).reader
    if not reader.scalar("SELECT count(*) FROM duckdb_tables() WHERE table_name = "
                         "'survey_responses'"):
        return _json({"customer_id": customer_id, "responses": []})
    rows = reader.rows(
        "WITH items AS (SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY item ORDER BY "
        "file_id DESC) AS latest FROM survey_items) WHERE latest = 1) "
        "SELECT r.file_id, r.source_row, r.respondent_id, r.response_date, r.store, r.channel, "
        "a.item, a.answer, a.dont_know, i.role, i.grp AS \"group\", i.scale, i.reversed, "
        "i.position "
        "FROM survey_responses r LEFT JOIN xref x ON x.source = r.source AND "
        "x.source_customer_id = r.respondent_id JOIN survey_answers a ON a.file_id = r.file_id "
        "AND a.source_row = r.source_row JOIN items i ON i.item = a.item "
        "WHERE coalesce(x.customer_id, r.respondent_id) = ? "
        "ORDER BY r.response_date DESC, r.file_id DESC, r.source_row, i.position",
        [customer_id])
    responses: dict[tuple, dict] = {}
    for r in rows:
        key = (r["file_id"], r["source_row"])
        if key not in responses:
            responses[key] = {k: r[k] for k in ("respondent_id", "response_date", "store",
                                                 "channel")} | {"answers": []}
        responses[key]["answers"].append({k: r[k] for k in ("item", "answer", "dont_know",
                                                             "role", "group", "scale",
                                                             "reversed")})
    return _json({"customer_id": customer_id, "responses": list(responses.values())})
