"""The report's satisfaction section: the 1000-point index as a gauge with its interval, NPS by
month, the importance–performance chart, the expectation gap, and satisfaction by matrix cell,
lifecycle stage and segment. It reads only the run summary's ``stages["satisfaction"]``
(:func:`cvm.satisfaction.overview.satisfaction_overview`), so a run without a survey has no
such section. When the run fitted the survey's structural model (``doc["model"]``,
:func:`cvm.satisfaction.survey_model.model_overview`) the section shows its path diagram
(:func:`cvm.reports.path_diagram.path_diagram_svg`), the path table with bootstrap intervals and
the measurement-quality table; without one, the note says how to give one."""

from __future__ import annotations

import numpy as np
from matplotlib.patches import Wedge

from cvm.reports.charts import BLUE, GREY, MUTED, ORANGE, _figure, _render, _style
from cvm.reports.formatting import format_int, format_number
from cvm.reports.labels import stage_text
from cvm.reports.path_diagram import path_diagram_svg
from cvm.reports.sections import Column, Content, ReportSection, RunResults, Table
from cvm.satisfaction.pls_model import construct_label
from cvm.satisfaction.wording import survey_text
from cvm.vocabulary import cell_label

__all__ = ["SECTIONS", "index_gauge_svg", "nps_trend_svg", "importance_svg"]

_LOW = "#d0d7de"


def _draw_gauge(index: dict, lang: str):
    fig = _figure(3.6, 2.2)
    ax = fig.add_subplot()
    ax.set_aspect("equal")
    ax.axis("off")
    angle = lambda v: 180.0 - 180.0 * max(0.0, min(1000.0, v)) / 1000.0  # noqa: E731
    ax.add_patch(Wedge((0, 0), 1.0, 0, 180, width=0.25, color=_LOW))
    value = index.get("index")
    if value is not None:
        ax.add_patch(Wedge((0, 0), 1.0, angle(value), 180, width=0.25, color=BLUE))
        low, high = index.get("index_low"), index.get("index_high")
        if low is not None and high is not None:
            ax.add_patch(Wedge((0, 0), 1.08, angle(high), angle(low), width=0.06, color=ORANGE))
        ax.text(0, 0.12, format_int(round(value)), ha="center", va="center", fontsize=20,
                color=BLUE)
        ax.text(0, -0.12, f"{format_int(round(low))}–{format_int(round(high))}", ha="center",
                va="center", fontsize=8, color=MUTED)
    ax.text(-0.875, -0.1, "0", ha="center", fontsize=7, color=MUTED)
    ax.text(0.875, -0.1, "1000", ha="center", fontsize=7, color=MUTED)
    ax.set_xlim(-1.15, 1.15)
    ax.set_ylim(-0.25, 1.15)
    return fig


def index_gauge_svg(index: dict, lang: str) -> str:
    """The index on a 0-1000 half dial, its 95 % interval as the orange arc outside."""
    return _render(_draw_gauge, index, lang, chart_id="survey-gauge",
                   title=survey_text(lang, "index_gauge"))


def _draw_trend(months: list[dict], lang: str):
    fig = _figure(6.4, 2.6)
    ax = fig.add_subplot()
    _style(ax)
    keys = [m["key"] for m in months if m.get("nps") is not None]
    x = np.arange(len(keys))
    nps = np.array([m["nps"] for m in months if m.get("nps") is not None], dtype=float)
    low = np.array([m["nps_low"] for m in months if m.get("nps") is not None], dtype=float)
    high = np.array([m["nps_high"] for m in months if m.get("nps") is not None], dtype=float)
    ax.fill_between(x, low, high, color=BLUE, alpha=0.15, linewidth=0)
    ax.plot(x, nps, color=BLUE, marker="o", markersize=3)
    ax.axhline(0, color=GREY, linewidth=0.8)
    ax.set_xticks(x, keys, rotation=45, ha="right", fontsize=7)
    ax.set_ylabel(survey_text(lang, "nps"))
    return fig


def nps_trend_svg(months: list[dict], lang: str) -> str:
    """NPS per month with its 95 % interval as a band."""
    return _render(_draw_trend, months, lang, chart_id="survey-nps",
                   title=survey_text(lang, "nps_trend"))


def _draw_importance(rows: list[dict], lang: str):
    fig = _figure(5.0, 3.4)
    ax = fig.add_subplot()
    _style(ax, grid="both")
    perf = np.array([r["performance"] for r in rows], dtype=float)
    imp = np.array([r["importance"] for r in rows], dtype=float)
    colours = [ORANGE if r["quadrant"] == "concentrate" else BLUE for r in rows]
    ax.scatter(perf, imp, c=colours, s=30, zorder=3)
    for r, x, y in zip(rows, perf, imp):
        ax.annotate(str(r["group"]), (x, y), textcoords="offset points", xytext=(4, 4),
                    fontsize=8)
    ax.axvline(perf.mean(), color=GREY, linewidth=0.8, linestyle="--")
    ax.axhline(imp.mean(), color=GREY, linewidth=0.8, linestyle="--")
    pad_x = max(2.0, 0.15 * (perf.max() - perf.min()))
    pad_y = max(0.02, 0.15 * (imp.max() - imp.min()))
    ax.set_xlim(perf.min() - pad_x, perf.max() + pad_x)
    ax.set_ylim(imp.min() - pad_y, imp.max() + pad_y)
    corners = (("concentrate", 0.02, 0.97, "left"), ("keep_up", 0.98, 0.97, "right"),
               ("low_priority", 0.02, 0.02, "left"), ("overkill", 0.98, 0.02, "right"))
    for key, x, y, ha in corners:
        ax.text(x, y, survey_text(lang, key), transform=ax.transAxes, ha=ha,
                va="top" if y > 0.5 else "bottom", fontsize=7, color=MUTED)
    ax.set_xlabel(survey_text(lang, "performance") + " (0-100)")
    ax.set_ylabel(survey_text(lang, "importance"))
    return fig


def importance_svg(rows: list[dict], lang: str) -> str:
    """Importance against performance per attribute group, split at their means."""
    return _render(_draw_importance, rows, lang, chart_id="survey-ipa",
                   title=survey_text(lang, "ipa_chart"))


def _interval(low, high, digits: int = 0) -> str:
    if low is None or high is None:
        return "–"
    if digits == 0:
        return f"{format_int(round(low))}–{format_int(round(high))}"
    return f"{format_number(low, digits)} – {format_number(high, digits)}"


def _breakdown(rows: list[dict], by: str, lang: str, stage_text=None) -> Table:
    t = lambda k: survey_text(lang, k)  # noqa: E731
    columns = [Column(t(by)), Column(t("respondents"), True), Column(t("index"), True),
               Column(t("interval"), True), Column(t("nps"), True), Column(t("csat"), True)]
    body = []
    for r in rows:
        key = str(r["key"])
        body.append([stage_text(key) if stage_text else key, format_int(r["respondents"]),
                     format_int(round(r["index"])) if r.get("index") is not None else "–",
                     _interval(r.get("index_low"), r.get("index_high")),
                     format_number(r.get("nps"), 1), format_number(r.get("csat"), 1)])
    return Table(columns, body, caption=t(by))


def _survey(results: RunResults) -> Content | None:
    doc = (results.run_info.get("stages") or {}).get("satisfaction")
    if not doc:
        return None
    lang = results.lang
    t = lambda k, **v: survey_text(lang, k, **v)  # noqa: E731
    index, nps, csat = doc["index"], doc.get("nps"), doc.get("csat")
    parts = [t("loaded", file=f["file"], read=f["rows_read"], loaded=f["rows_loaded"],
               rejected=f["rows_rejected"]) + t("stop") for f in doc.get("files", [])]
    parts.append(t("index_line", index=format_int(round(index["index"])),
                   low=format_int(round(index["index_low"])),
                   high=format_int(round(index["index_high"])),
                   n=format_int(doc["respondents"]), first=doc["first_date"],
                   last=doc["last_date"]))
    if nps:
        parts.append(t("nps_line", nps=format_number(nps["nps"], 1),
                       low=format_number(nps["nps_low"], 1),
                       high=format_number(nps["nps_high"], 1)))
    if csat:
        parts.append(t("csat_line", csat=format_number(csat["csat"], 1),
                       low=format_number(csat["csat_low"], 1),
                       high=format_number(csat["csat_high"], 1)))
    parts += [t("rescaling"), t("index_rule", rule=doc["weights"]["rule"]),
              t("nps_title") + t("stop"), t("csat_title") + t("stop"), _model_note(doc, lang)]
    charts = [index_gauge_svg(index, lang)]
    by = doc.get("by") or {}
    if by.get("month") and nps:
        charts.append(nps_trend_svg(by["month"], lang))
    if doc.get("importance"):
        charts.append(importance_svg(doc["importance"], lang))
    weights = doc["weights"]["weights"]
    tables = [Table([Column(t("group")), Column(t("importance_share"), True),
                     Column(t("index"), True)],
                    [[str(g), f"{100 * w:.0f} %", format_int(round(index[g]))
                      if index.get(g) is not None else "–"] for g, w in weights.items()],
                    caption=t("index_title"))]
    if doc.get("importance"):
        tables.append(Table(
            [Column(t("group")), Column(t("importance"), True),
             Column(t("importance_share"), True), Column(t("performance"), True),
             Column(t("quadrant"))],
            [[str(r["group"]), format_number(r["importance"], 3),
              format_number(100 * (r["importance_share"] or 0), 1) + " %",
              format_number(r["performance"], 1), t(r["quadrant"])] for r in doc["importance"]],
            caption=t("ipa_title", source=doc["importance"][0]["importance_source"])))
    if doc.get("expectation_gap"):
        tables.append(Table(
            [Column(t("item")), Column(t("respondents"), True), Column(t("perception"), True),
             Column(t("expectation"), True), Column(t("gap"), True), Column(t("interval"), True)],
            [[str(r["item"]), format_int(r["respondents"]), format_number(r["perception"], 1),
              format_number(r["expectation"], 1), format_number(r["gap"], 1),
              _interval(r["gap_low"], r["gap_high"], 1)] for r in doc["expectation_gap"]],
            caption=t("gap_title")))
    model = doc.get("model")
    if model and not model.get("error"):
        charts.append(path_diagram_svg(model, lang))
        tables += _model_tables(model, lang)
    for name in ("cell", "stage", "segment", "store", "channel"):
        if by.get(name):
            words = ((lambda key: stage_text(key, results.labels)) if name == "stage" else
                     (lambda key: cell_label(key, lang)) if name == "cell" else None)
            tables.append(_breakdown(by[name], name, lang, words))
    return Content(note=("" if lang == "zh" else " ").join(parts), charts=charts, tables=tables)


def _model_note(doc: dict, lang: str) -> str:
    """The note's sentence on the structural model: what was fitted, or how to give one."""
    model = doc.get("model")
    if not model:
        return survey_text(lang, "path_diagram")
    if model.get("error"):
        return survey_text(lang, "model_error", name=model["name"], error=model["error"])
    explained = ("; " if lang == "en" else "，").join(
        survey_text(lang, "model_explained", construct=construct_label(c["name"], lang),
                    r2=format_number(c["r_squared"], 3))
        for c in model["constructs"] if c.get("r_squared") is not None)
    return survey_text(lang, "model_line", name=model["name"], n=format_int(model["respondents"]),
                       answers=format_int(model["answers"]), explained=explained,
                       boot=format_int(model["bootstrap"]))


def _model_tables(model: dict, lang: str) -> list[Table]:
    """The path table (coefficient, standard error, 95 % interval) and the quality table (R²,
    α, ρ_C, ρ_A, AVE and each construct's highest HTMT, flagged at the limit)."""
    t = lambda k, **v: survey_text(lang, k, **v)  # noqa: E731
    label = lambda n: construct_label(n, lang)  # noqa: E731
    paths = Table(
        [Column(t("path_from")), Column(t("path_to")), Column(t("coefficient"), True),
         Column(t("std_error"), True), Column(t("interval"), True)],
        [[label(r["from"]), label(r["to"]), format_number(r["estimate"], 3),
          format_number(r.get("std_error"), 3),
          _interval(r.get("ci_lower"), r.get("ci_upper"), 3)] for r in model["paths"]],
        caption=t("paths_title", name=model["name"], n=format_int(model["respondents"]),
                  answers=format_int(model["answers"]), boot=format_int(model["bootstrap"])))
    limit = model["htmt_limit"]
    rows = []
    for r in model["quality"]:
        pairs = [p for p in model["htmt"] if r["construct"] in (p["a"], p["b"])
                 and p["htmt"] is not None]
        top = max(pairs, key=lambda p: p["htmt"], default=None)
        other = None if top is None else top["b"] if top["a"] == r["construct"] else top["a"]
        highest = "–" if top is None else (f"{format_number(top['htmt'], 3)} ({label(other)})"
                                           + (" ⚑" if top["flag"] else ""))
        rows.append([label(r["construct"]), format_int(r["indicators"]),
                     format_number(r.get("r_squared"), 3),
                     format_number(r["cronbach_alpha"], 3), format_number(r["rho_c"], 3),
                     format_number(r["rho_a"], 3), format_number(r["ave"], 3), highest])
    quality = Table(
        [Column(t("construct")), Column(t("indicators"), True), Column(t("r_squared"), True),
         Column(t("alpha"), True), Column(t("rho_c"), True), Column(t("rho_a"), True),
         Column(t("ave"), True), Column(t("htmt"), True)],
        rows, caption=t("quality_title", limit=limit))
    return [paths, quality]


SECTIONS = (ReportSection("satisfaction", {lang: survey_text(lang, "section")
                                           for lang in ("en", "zh")}, 150, _survey),)
