"""Survey commands: ``cvm survey load``, ``index``, ``nps``, ``importance``, ``gap``,
``model``."""

from __future__ import annotations

import math
from pathlib import Path

import click
from rich.table import Table

from . import friendly_errors, main, note, output

_BY = click.Choice(["segment", "cell", "stage", "store", "channel", "month"])
_WORKSPACE = click.option("--workspace", default="cvm.duckdb", show_default=True,
                          help="Workspace file.")
_LANG = click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True)


@main.group("survey")
def survey() -> None:
    """Customer surveys: load responses; the 1000-point index, NPS, CSAT, importance."""


def _fmt(value, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.{digits}f}"


@survey.command("load")
@click.argument("file")
@click.option("--definition", type=click.Path(exists=True, dir_okay=False), default=None,
              help="survey.toml naming each item's scale, group, role, don't-know codes and "
                   "reversed items (else guessed from the file and printed).")
@click.option("--model", "model", default=None,
              help="The survey's structural model: a TOML model file whose indicators are "
                   "the survey's items (kept in the workspace; every run then fits it).")
@_WORKSPACE
@_LANG
@friendly_errors
def load(file, definition, model, workspace, lang):
    """Load survey responses from FILE (CSV, Excel, JSON lines): every row is loaded or
    rejected with its file, row, field and reason."""
    from ..satisfaction.survey import load_survey
    from ..satisfaction.survey_model import store_survey_model
    from ..satisfaction.wording import survey_text
    from ..workspace import Workspace

    with Workspace(workspace) as ws:
        report = load_survey(ws, file, definition=definition)
        if model is not None:
            structure = store_survey_model(ws, model)
            note(survey_text(lang, "model_stored", name=Path(model).name,
                             constructs=len(structure.constructs),
                             paths=len(structure.paths)))
        if report.skipped:
            output.print(report.message)
            return
        rejects = ws.query('SELECT "row", field, reason FROM rejects WHERE file_id = ? '
                           'ORDER BY "row" LIMIT 20', [report.file_id])
    output.print(survey_text(lang, "loaded", file=report.file, read=report.rows_read,
                             loaded=report.rows_loaded, rejected=report.rows_rejected))
    output.print(survey_text(lang, "items_defined" if definition else "items_guessed"))
    for line in report.items:
        output.print(f"  {line}")
    for row, field, reason in rejects:
        output.print("  " + survey_text(lang, "reject", row=row, field=field or "—",
                                        reason=reason))
    if report.rows_rejected > len(rejects):
        output.print("  " + survey_text(lang, "more_rejects",
                                        n=report.rows_rejected - len(rejects)))
    note(report.columns)


def _survey(workspace: str, by: str | None):
    from ..satisfaction.breakdown import with_customers
    from ..satisfaction.survey import read_survey
    from ..workspace import Workspace

    with Workspace(workspace, read_only=True) as ws:
        survey = read_survey(ws)
        return with_customers(survey, ws) if by else survey


def _key(by: str, key, lang: str) -> str:
    """A breakdown value in ``lang``: lifecycle stages and matrix cells worded, others as
    they are."""
    from ..vocabulary import cell_label, key_label

    if by == "stage":
        return key_label(str(key), lang)
    if by == "cell":
        return cell_label(str(key), lang)
    return str(key)


def _head(lang: str, by: str | None) -> str:
    from ..satisfaction.wording import survey_text

    return survey_text(lang, by) if by else ""


@survey.command("index")
@_WORKSPACE
@click.option("--by", type=_BY, default=None, help="Break the index down.")
@click.option("--weights", type=click.Choice(["auto", "given", "derived", "equal"]),
              default="auto", show_default=True,
              help="auto: the definition's group weights when given, else derived regression "
                   "weights.")
@_LANG
@friendly_errors
def index(workspace, by, weights, lang):
    """The 1000-point satisfaction index with its bootstrap interval."""
    from ..satisfaction.index import choose_weights, satisfaction_index
    from ..satisfaction.wording import survey_text

    data = _survey(workspace, by)
    chosen = choose_weights(data, weights)
    result = satisfaction_index(data, chosen, by=by)
    table = Table(title=survey_text(lang, "index_title"), title_justify="left")
    if by:
        table.add_column(_head(lang, by))
    for key in ("respondents", "index", "interval"):
        table.add_column(survey_text(lang, key), justify="right")
    groups = list(chosen.weights)
    for g in groups:
        table.add_column(f"{g} ({chosen.weights[g]:.0%})", justify="right")
    for _, row in result.iterrows():
        cells = [_key(by, row[by], lang)] if by else []
        cells += [f"{int(row['respondents']):,}", _fmt(row["index"]),
                  f"{_fmt(row['index_low'])}–{_fmt(row['index_high'])}"]
        cells += [_fmt(row[g]) for g in groups]
        table.add_row(*cells)
    output.print(table)
    output.print(survey_text(lang, "rescaling"))
    output.print(survey_text(lang, "index_rule", rule=chosen.rule))


def _score_table(lang: str, by: str | None, score: str, frame, counts: tuple[str, ...]) -> Table:
    """One row per group: the counts, the score (``nps`` or ``csat``) and its 95 % interval."""
    from ..satisfaction.wording import survey_text

    table = Table(title=survey_text(lang, f"{score}_title"), title_justify="left")
    if by:
        table.add_column(_head(lang, by))
    for key in (*counts, score, "interval"):
        table.add_column(survey_text(lang, key), justify="right")
    for _, row in frame.iterrows():
        table.add_row(*([_key(by, row[by], lang)] if by else []),
                      *(f"{int(row[key]):,}" for key in counts), _fmt(row[score], 1),
                      f"{_fmt(row[score + '_low'], 1)} – {_fmt(row[score + '_high'], 1)}")
    return table


@survey.command("nps")
@_WORKSPACE
@click.option("--by", type=_BY, default=None, help="Break NPS and CSAT down.")
@_LANG
@friendly_errors
def nps(workspace, by, lang):
    """Net Promoter Score and CSAT (top-two-box), each with its 95 % interval."""
    from ..satisfaction.nps import csat_table, nps_table
    from ..satisfaction.survey import SurveyError

    data = _survey(workspace, by)
    try:
        scores = nps_table(data, by)
    except SurveyError:
        scores = None
    if scores is not None:
        output.print(_score_table(lang, by, "nps", scores,
                                  ("respondents", "promoters", "passives", "detractors")))
    try:
        csat = csat_table(data, by)
    except SurveyError:
        csat = None
    if csat is not None:
        output.print(_score_table(lang, by, "csat", csat, ("respondents",)))
    if scores is None and csat is None:
        nps_table(data, by)  # says what is missing


@survey.command("importance")
@_WORKSPACE
@_LANG
@friendly_errors
def importance(workspace, lang):
    """Importance and performance (0-100) per attribute group, with the importance–performance
    quadrant. Importance is each group's total effect on satisfaction in the survey's structural
    model when it has one (cvm survey load --model), else the derived regression weights."""
    from ..satisfaction.importance import importance_from_total_effects, importance_performance
    from ..satisfaction.wording import survey_text

    data = _survey(workspace, None)
    effects = _model_fit(workspace, data, bootstrap=0)[2]
    result = (importance_performance(data) if effects is None
              else importance_from_total_effects(data, effects))
    table = Table(title=survey_text(lang, "ipa_title",
                                    source=result["importance_source"].iloc[0]),
                  title_justify="left")
    for key in ("group", "importance", "importance_share", "performance", "quadrant"):
        table.add_column(survey_text(lang, key), justify="left" if key in ("group", "quadrant")
                         else "right")
    for _, row in result.iterrows():
        table.add_row(str(row["group"]), _fmt(row["importance"], 3),
                      _fmt(100 * row["importance_share"], 1) + " %", _fmt(row["performance"], 1),
                      survey_text(lang, row["quadrant"]))
    output.print(table)


@survey.command("gap")
@_WORKSPACE
@_LANG
@friendly_errors
def gap(workspace, lang):
    """The expectation gap per attribute: perception − expectation, with a paired interval."""
    from ..satisfaction.importance import expectation_gap
    from ..satisfaction.wording import survey_text

    result = expectation_gap(_survey(workspace, None))
    table = Table(title=survey_text(lang, "gap_title"), title_justify="left")
    for key in ("item", "respondents", "perception", "expectation", "gap", "interval"):
        table.add_column(survey_text(lang, key), justify="left" if key == "item" else "right")
    for _, row in result.iterrows():
        table.add_row(str(row["item"]), f"{int(row['respondents']):,}", _fmt(row["perception"], 1),
                      _fmt(row["expectation"], 1), _fmt(row["gap"], 1),
                      f"{_fmt(row['gap_low'], 1)} – {_fmt(row['gap_high'], 1)}")
    output.print(table)


def _model_fit(workspace: str, data, bootstrap: int):
    """(name, fitted model, total effects on satisfaction) of the survey's stored model, or
    (None, None, None) without one."""
    from ..satisfaction.survey_model import (fit_survey_model, stored_survey_model,
                                             total_effects_on_satisfaction)
    from ..workspace import Workspace

    with Workspace(workspace, read_only=True) as ws:
        stored = stored_survey_model(ws)
    if stored is None:
        return None, None, None
    fitted = fit_survey_model(data, stored[1], n_bootstrap=bootstrap)
    return stored[0], fitted, total_effects_on_satisfaction(data, fitted)


@survey.command("model")
@_WORKSPACE
@click.option("--bootstrap", "n_bootstrap", type=click.IntRange(min=2), default=500,
              show_default=True, help="Bootstrap resamples for the 95 % intervals.")
@_LANG
@friendly_errors
def model(workspace, n_bootstrap, lang):
    """The survey's structural model (stored by cvm survey load --model) fitted by PLS path
    modelling: path coefficients with 95 % percentile bootstrap intervals, R², and the
    measurement quality (α, ρ_C, ρ_A, AVE, HTMT)."""
    from ..satisfaction.pls_model import construct_label
    from ..satisfaction.survey_model import model_overview
    from ..satisfaction.wording import survey_text

    data = _survey(workspace, None)
    name, fitted, _ = _model_fit(workspace, data, n_bootstrap)
    if fitted is None:
        raise click.UsageError(survey_text(lang, "model_missing"))
    doc = model_overview(data, fitted, name)
    label = lambda n: construct_label(n, lang)  # noqa: E731
    t = lambda k, **v: survey_text(lang, k, **v)  # noqa: E731
    table = Table(title=t("paths_title", name=name, n=doc["respondents"],
                          answers=doc["answers"], boot=doc["bootstrap"]), title_justify="left")
    for key in ("path_from", "path_to", "coefficient", "std_error", "interval"):
        table.add_column(t(key), justify="left" if key.startswith("path_") else "right")
    for r in doc["paths"]:
        table.add_row(label(r["from"]), label(r["to"]), _fmt(r["estimate"], 3),
                      _fmt(r["std_error"], 3),
                      f"[{_fmt(r['ci_lower'], 3)}, {_fmt(r['ci_upper'], 3)}]")
    output.print(table)
    output.print("R²: " + ", ".join(f"{label(c['name'])} {c['r_squared']:.3f}"
                                    for c in doc["constructs"] if c["r_squared"] is not None))
    quality = Table(title=t("quality_title", limit=doc["htmt_limit"]), title_justify="left")
    for key in ("construct", "alpha", "rho_c", "rho_a", "ave"):
        quality.add_column(t(key), justify="left" if key == "construct" else "right")
    for r in doc["quality"]:
        quality.add_row(label(r["construct"]), _fmt(r["cronbach_alpha"], 3),
                        _fmt(r["rho_c"], 3), _fmt(r["rho_a"], 3), _fmt(r["ave"], 3))
    output.print(quality)
    flagged = [p for p in doc["htmt"] if p["flag"]]
    for p in flagged:
        output.print(t("htmt_flagged", a=label(p["a"]), b=label(p["b"]),
                       htmt=f"{p['htmt']:.3f}", limit=doc["htmt_limit"]))
