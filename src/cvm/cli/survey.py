"""Survey commands: ``cvm survey load``, ``index``, ``nps``, ``importance``, ``gap``."""

from __future__ import annotations

import math

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
@_WORKSPACE
@_LANG
@friendly_errors
def load(file, definition, workspace, lang):
    """Load survey responses from FILE (CSV, Excel, JSON lines): every row is loaded or
    rejected with its file, row, field and reason."""
    from ..satisfaction.survey import load_survey
    from ..satisfaction.wording import survey_text
    from ..workspace import Workspace

    with Workspace(workspace) as ws:
        report = load_survey(ws, file, definition=definition)
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
    """Importance (derived regression weights) and performance (0-100) per attribute group,
    with the importance–performance quadrant."""
    from ..satisfaction.importance import importance_performance
    from ..satisfaction.wording import survey_text

    result = importance_performance(_survey(workspace, None))
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
