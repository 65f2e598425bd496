"""Report sections of the lifecycle, composite value and matrix stages: a one-page "what to do"
from the playbook, the lifecycle stages (shares of customers and of value), the matrix as a heat
map (customers and value share), the value quadrants (current against potential score, binned),
the lifecycle funnel with stage economics, and the stage flows between as-of dates (a
Sankey-style chart).

Each section appears only when its stage ran (its figures are in ``run_info["stages"]``). Charts
are drawn from aggregates, like every chart of the report, so they do not grow with customers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path as MplPath

from cvm.config import ABCOptions
from cvm.reports import charts
from cvm.reports.charts import (
    _HEAT,
    BLUE,
    GREEN,
    GREY,
    MUTED,
    ORANGE,
    SKY,
    TEXT,
    VERMILLION,
    _count_formatter,
    _figure,
    _render,
    _style,
)
from cvm.reports.formatting import format_date, format_int, format_money, format_number, format_percent
from cvm.reports.labels import LABELS, LANGUAGES, STAGES, Labels, stage_text
from cvm.reports.sections import Column, Content, ReportSection, RunResults, Table
from cvm.reports.segment_text import ACTION_NAMES, PHASE_NAMES, QUADRANT_NAMES, SEGMENT_TEXT, TIER_NAMES

__all__ = ["SECTIONS", "matrix_heatmap_svg", "quadrant_svg", "funnel_svg", "flows_svg"]

STAGE_COLOURS = {"prospect": GREY, "exploration": SKY, "formation": BLUE, "stability": GREEN,
                 "decline": ORANGE, "churned": VERMILLION, "acquisition": SKY, "growth": BLUE,
                 "maturity": GREEN, "departure": VERMILLION}


class _Text:
    def __init__(self, labels: Labels):
        self.labels = labels
        self.lang = labels.lang
        self.table = SEGMENT_TEXT[labels.lang]

    def __call__(self, key: str, **values) -> str:
        values.setdefault("value", self.labels.value)
        values.setdefault("Value", self.labels.value[:1].upper() + self.labels.value[1:])
        return self.table[key].format(**values)


def _cell_name(cell: str, lang: str) -> str:
    group, _, life = cell.partition("-")
    if group in QUADRANT_NAMES[lang]:
        return f"{group} · {PHASE_NAMES[lang].get(life, life)}"
    tier = TIER_NAMES[lang].get(group, group)
    return f"{tier} · {STAGES[lang].get(life, life)}"


def _actions(text: str, lang: str) -> str:
    sep = "、" if lang == "zh" else ", "
    return sep.join(ACTION_NAMES[lang].get(a.strip(), a.strip()) for a in text.split(","))


# -- what to do ------------------------------------------------------------------------------

def _todo_section(matrix: dict, t: _Text, symbol: str) -> Content:
    cells = [c for c in matrix["cells"] if c["customers"]]
    cells.sort(key=lambda c: (c["priority"], -c["customers"]))
    has_clv = any(c.get("avg_clv") is not None for c in cells)
    columns = [Column(t("col_priority"), True), Column(t("col_cell")), Column(t("col_n"), True),
               Column(t("col_value_share"), True), Column(t("col_objective")),
               Column(t("col_actions")), Column(t("col_budget")), Column(t("col_cost"), True),
               Column(t("col_avg_clv"), True), Column(t("col_gain"), True)]
    rows = [[str(c["priority"]), _cell_name(c["cell"], t.lang), format_int(c["customers"]),
             format_percent(c["value_share"], 1), c["objective"], _actions(c["actions"], t.lang),
             c["budget"], format_money(c["cost_per_customer"], symbol),
             format_money(c.get("avg_clv"), symbol),
             format_money(c.get("expected_gain_per_customer"), symbol)] for c in cells]
    note = t("note_todo", clv_note="" if has_clv else t("note_todo_no_clv"))
    return Content(note, [], [Table(columns, rows)])


# -- the matrix ------------------------------------------------------------------------------

def _matrix_grid(cells: list[dict]) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    rows: list[str] = []
    cols: list[str] = []
    for c in cells:
        if c["value_group"] not in rows:
            rows.append(c["value_group"])
        if c["lifecycle_group"] not in cols:
            cols.append(c["lifecycle_group"])
    counts = np.zeros((len(rows), len(cols)))
    shares = np.zeros((len(rows), len(cols)))
    for c in cells:
        i, j = rows.index(c["value_group"]), cols.index(c["lifecycle_group"])
        counts[i, j] = c["customers"]
        shares[i, j] = c["value_share"]
    return rows, cols, counts, shares


def _group_name(key: str, lang: str) -> str:
    if key in QUADRANT_NAMES[lang]:
        return f"{key} {QUADRANT_NAMES[lang][key]}"
    if key in PHASE_NAMES[lang]:
        return PHASE_NAMES[lang][key]
    if key in TIER_NAMES[lang]:
        return TIER_NAMES[lang][key]
    return STAGES[lang].get(key, key)


def matrix_heatmap_svg(cells: list[dict], labels: Labels, title: str) -> str:
    """Rows: value groups; columns: phases or stages; each cell the customers and the share of
    value, coloured by the number of customers."""
    return _render(_draw_matrix, cells, labels, chart_id="matrix", title=title)


def _draw_matrix(cells: list[dict], labels: Labels):
    lang = labels.lang
    rows, cols, counts, shares = _matrix_grid(cells)
    fig = _figure(min(3.2 + 1.5 * len(cols), 10), 0.9 + 0.75 * len(rows))
    ax = fig.add_subplot()
    top = max(float(counts.max()), 1.0)
    image = ax.imshow(counts, cmap=_HEAT, vmin=0, vmax=top, aspect="auto")
    for i in range(len(rows)):
        for j in range(len(cols)):
            n = counts[i, j]
            colour = "white" if n / top > 0.55 else TEXT
            ax.text(j, i - 0.14, format_int(n), ha="center", va="center", color=colour,
                    fontsize=10, fontweight="bold")
            ax.text(j, i + 0.2, format_percent(shares[i, j], 1) if n else "–", ha="center",
                    va="center", color=colour, fontsize=8)
    ax.set_xticks(range(len(cols)), [_group_name(c, lang) for c in cols])
    ax.set_yticks(range(len(rows)), [_group_name(r, lang) for r in rows])
    ax.tick_params(length=0)
    ax.xaxis.tick_top()
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_xticks(np.arange(-0.5, len(cols), 1), minor=True)
    ax.set_yticks(np.arange(-0.5, len(rows), 1), minor=True)
    ax.grid(which="minor", color="white", linewidth=2)
    ax.tick_params(which="minor", length=0)
    bar = fig.colorbar(image, ax=ax, shrink=0.85, pad=0.02)
    bar.set_label(labels["heatmap_colorbar"])
    bar.outline.set_visible(False)
    bar.ax.yaxis.set_major_formatter(_count_formatter(lang))
    return fig


def _matrix_section(matrix: dict, value: dict | None, run_info: dict, t: _Text) -> Content:
    if matrix.get("scheme") == "tiers":
        basis = matrix.get("tier_basis", "composite")
        scheme = t("scheme_tiers", basis=TIER_NAMES[t.lang].get(basis, basis))
    else:
        threshold = format_number((value or {}).get("threshold_current", 70), 0)
        scheme = t("scheme_seed12", threshold=threshold)
    svg = matrix_heatmap_svg(matrix["cells"], t.labels, t("section_matrix"))
    return Content(t("note_matrix", scheme=scheme), [svg], [])


# -- value quadrants ---------------------------------------------------------------------------

def quadrant_svg(current: np.ndarray, potential: np.ndarray, thresholds: tuple[float, float],
                 labels: Labels, title: str, axis: tuple[str, str],
                 quadrants: dict | None = None) -> str:
    """Customers binned on a 20 × 20 grid of (current, potential) scores, with threshold lines
    and the count in each quadrant (``quadrants``, the value stage's counts, when given)."""
    counts, _, _ = np.histogram2d(current, potential, bins=20, range=[[0, 100], [0, 100]])
    quads = quadrants or {"HH": int(((current >= thresholds[0]) & (potential >= thresholds[1])).sum()),
             "HL": int(((current >= thresholds[0]) & (potential < thresholds[1])).sum()),
             "LH": int(((current < thresholds[0]) & (potential >= thresholds[1])).sum()),
             "LL": int(((current < thresholds[0]) & (potential < thresholds[1])).sum())}
    return _render(_draw_quadrants, counts, thresholds, quads, labels, axis, chart_id="quadrants",
                   title=title)


def _draw_quadrants(counts: np.ndarray, thresholds, quads: dict, labels: Labels, axis):
    fig = _figure(6.4, 5.4)
    ax = fig.add_subplot()
    shown = np.ma.masked_equal(counts.T, 0)
    image = ax.imshow(shown, origin="lower", extent=(0, 100, 0, 100), cmap=_HEAT,
                      norm=_log_norm(counts), aspect="equal", interpolation="nearest")
    ax.axvline(thresholds[0], color=MUTED, linewidth=1, linestyle="--")
    ax.axhline(thresholds[1], color=MUTED, linewidth=1, linestyle="--")
    corners = {"HH": (98, 98, "right", "top"), "HL": (98, 2, "right", "bottom"),
               "LH": (2, 98, "left", "top"), "LL": (2, 2, "left", "bottom")}
    for key, (x, y, ha, va) in corners.items():
        ax.text(x, y, f"{key} {format_int(quads[key])}", ha=ha, va=va, fontsize=9,
                color=TEXT, fontweight="bold")
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_xlabel(axis[0])
    ax.set_ylabel(axis[1])
    _style(ax, grid="")
    bar = fig.colorbar(image, ax=ax, shrink=0.8, pad=0.02)
    bar.set_label(labels["heatmap_colorbar"])
    bar.outline.set_visible(False)
    return fig


def _log_norm(counts: np.ndarray):
    from matplotlib.colors import LogNorm

    return LogNorm(vmin=1, vmax=max(float(counts.max()), 2.0))


def _quadrant_section(customers: pd.DataFrame, value: dict, run_info: dict, t: _Text) -> Content:
    current = pd.to_numeric(customers["current_value_score"], errors="coerce").to_numpy(float)
    potential = pd.to_numeric(customers["potential_value_score"], errors="coerce").to_numpy(float)
    keep = np.isfinite(current) & np.isfinite(potential)
    if "first_purchase" in customers.columns:  # the buyers
        keep &= customers["first_purchase"].notna().to_numpy()
    thresholds = (float(value.get("threshold_current", 70)),
                  float(value.get("threshold_potential", 70)))
    svg = quadrant_svg(current[keep], potential[keep], thresholds, t.labels,
                       t("section_quadrants"), (t("axis_current_score"),
                                                t("axis_potential_score")),
                       quadrants=value.get("quadrants"))
    names = value.get("indicators", [])
    glossary = {"en": {"current_contribution": "current contribution",
                       "future_contribution": "future contribution", "credit": "credit",
                       "loyalty": "loyalty", "growth_potential": "growth potential"},
                "zh": {"current_contribution": "当前贡献度", "future_contribution": "未来贡献度",
                       "credit": "信用度", "loyalty": "忠诚度", "growth_potential": "成长潜力"}}
    sep = "，" if t.lang == "zh" else ", "
    weights = sep.join(f"{glossary[t.lang].get(n, n)} {w:.2f}"
                       for n, w in zip(names, value.get("weights", [])))
    method = value.get("method", "given")
    method_text = (t("method_ahp", cr=f"{value.get('consistency_ratio', 0):.3f}")
                   if method == "ahp" else t(f"method_{method}"))
    if value.get("credit_available"):
        credit = t("credit_from", columns=(value.get("sources") or {}).get("credit", ""))
    else:
        neutral = value.get("neutral_credit", 5)
        credit = t("credit_missing", neutral=format_number(neutral, 0))
    note = t("note_quadrants", method=method_text, weights=weights, credit=credit)
    return Content(note, [svg], [])


# -- funnel and economics ----------------------------------------------------------------------

def funnel_svg(stages: list[str], counts: list[int], labels: Labels, title: str) -> str:
    """Horizontal bars centred on one axis, one per stage in the relationship's order."""
    return _render(_draw_funnel, stages, counts, labels, chart_id="funnel", title=title)


def _draw_funnel(stages: list[str], counts: list[int], labels: Labels):
    fig = _figure(8.5, 0.8 + 0.5 * len(stages))
    ax = fig.add_subplot()
    top = max(max(counts, default=0), 1)
    for i, (stage, n) in enumerate(zip(stages, counts)):
        ax.barh(i, n, left=-n / 2, height=0.72, color=STAGE_COLOURS.get(stage, BLUE))
        ax.text(top / 2 + top * 0.03, i, format_int(n), va="center", ha="left", fontsize=9,
                color=TEXT)
    ax.set_yticks(range(len(stages)), [stage_text(s, labels) for s in stages])
    ax.invert_yaxis()
    ax.set_xlim(-top / 2 - top * 0.02, top / 2 + top * 0.18)
    ax.set_xticks([])
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0, labelsize=9.5, labelcolor=TEXT)
    return fig


def _funnel_section(lifecycle: dict, run_info: dict, t: _Text, symbol: str) -> Content:
    eco = lifecycle["economics"]
    period = lifecycle.get("period_days", 90)
    svg = funnel_svg([r["stage"] for r in eco], [r["customers"] for r in eco], t.labels,
                     t("section_funnel"))
    from cvm.reports.stage_curve import stage_curve_svg

    curve = stage_curve_svg(eco, t.labels, t("chart_curve"),
                            (t("col_per_customer"), t("col_profit_per_customer")))
    has_profit = any(r.get("profit") is not None for r in eco)
    columns = [Column(t("col_stage")), Column(t.labels["col_customers"], True),
               Column(t("col_periods"), True),
               Column(t("col_revenue"), True), Column(t("col_recent", period=period), True),
               Column(t("col_per_customer"), True)]
    if has_profit:
        columns += [Column(t("col_cost_total"), True), Column(t("col_profit"), True),
                    Column(t("col_profit_per_customer"), True)]
    rows = []
    for r in eco:
        row = [stage_text(r["stage"], t.labels), format_int(r["customers"]),
               format_int(r.get("customer_periods") or 0),
               format_money(r["revenue"], symbol), format_money(r["revenue_last_period"], symbol),
               format_money(r.get("revenue_per_customer_period"), symbol)]
        if has_profit:
            row += [format_money(r.get("cost"), symbol), format_money(r.get("profit"), symbol),
                    format_money(r.get("profit_per_customer_period"), symbol)]
        rows.append(row)
    total = [t("total"), format_int(sum(r["customers"] for r in eco)),
             format_int(sum(r.get("customer_periods") or 0 for r in eco)),
             _money_sum([r["revenue"] for r in eco], symbol),
             _money_sum([r["revenue_last_period"] for r in eco], symbol), ""]
    if has_profit:
        total += [format_money(sum(r["cost"] or 0 for r in eco), symbol),
                  format_money(sum(r["profit"] or 0 for r in eco), symbol), ""]
    return Content(t("note_funnel", period=period,
                     periods=lifecycle.get("economics_periods", 1)),
                   [svg, curve], [Table(columns, rows, total)])


def _money_sum(values: list, symbol: str) -> str:
    """The total of amounts, "–" when there are none (a purchase log without amounts)."""
    known = [v for v in values if v is not None]
    return format_money(sum(known), symbol) if known else "–"


# -- flows -------------------------------------------------------------------------------------

def flows_svg(history: list[dict], flows: list[dict], stages: list[str], labels: Labels,
              title: str) -> str:
    """Stages at each as-of date as stacked blocks, with bands between consecutive dates as
    wide as the number of customers who moved (a Sankey-style chart)."""
    return _render(_draw_flows, history, flows, stages, labels, chart_id="flows", title=title)


def _draw_flows(history: list[dict], flows: list[dict], stages: list[str], labels: Labels):
    dates = sorted({str(r["as_of"]) for r in history})
    fig = _figure(10, 5.2)
    ax = fig.add_subplot()
    total = max(sum(r["customers"] for r in history if str(r["as_of"]) == dates[-1]), 1)
    gap = 0.02
    width = 0.12
    present = [s for s in stages if any(r["stage"] == s and r["customers"] for r in history)]
    scale = (1 - gap * (len(present) - 1)) / total
    nodes: dict[tuple[str, str], list[float]] = {}
    for x, day in enumerate(dates):
        y = 1.0
        counts = {r["stage"]: r["customers"] for r in history if str(r["as_of"]) == day}
        for s in present:
            h = counts.get(s, 0) * scale
            nodes[(day, s)] = [y - h, y, y, y]  # bottom, top, next out, next in (from the top)
            if h > 0:
                ax.add_patch(Rectangle((x - width / 2, y - h), width, h,
                                       color=STAGE_COLOURS.get(s, BLUE), linewidth=0))
                if h > 0.035:
                    ax.text(x + width / 2 + 0.02 if x < len(dates) - 1 else x - width / 2 - 0.02,
                            y - h / 2, f"{stage_text(s, labels)} {format_int(counts[s])}",
                            va="center", ha="left" if x < len(dates) - 1 else "right",
                            fontsize=7.5, color=TEXT)
            y -= h + (gap if h > 0 else 0)
    order = {s: i for i, s in enumerate(present)}
    for f in sorted(flows, key=lambda f: (str(f["from_date"]), order.get(f["from_stage"], 99),
                                          order.get(f["to_stage"], 99))):
        a, b = str(f["from_date"]), str(f["to_date"])
        if not f["customers"] or (a, f["from_stage"]) not in nodes or (b, f["to_stage"]) not in nodes:
            continue
        h = f["customers"] * scale
        src, dst = nodes[(a, f["from_stage"])], nodes[(b, f["to_stage"])]
        y0, y1 = src[2], dst[3]
        src[2] -= h
        dst[3] -= h
        x0, x1 = dates.index(a) + width / 2, dates.index(b) - width / 2
        mid = (x0 + x1) / 2
        verts = [(x0, y0), (mid, y0), (mid, y1), (x1, y1), (x1, y1 - h), (mid, y1 - h),
                 (mid, y0 - h), (x0, y0 - h), (x0, y0)]
        codes = [MplPath.MOVETO, MplPath.CURVE4, MplPath.CURVE4, MplPath.CURVE4, MplPath.LINETO,
                 MplPath.CURVE4, MplPath.CURVE4, MplPath.CURVE4, MplPath.CLOSEPOLY]
        ax.add_patch(PathPatch(MplPath(verts, codes), linewidth=0, alpha=0.35,
                               facecolor=STAGE_COLOURS.get(f["from_stage"], BLUE)))
    ax.set_xlim(-0.3, len(dates) - 0.7)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xticks(range(len(dates)), [format_date(d, labels.lang) for d in dates])
    ax.xaxis.tick_top()
    ax.set_yticks([])
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    return fig


def _flows_section(lifecycle: dict, t: _Text) -> Content:
    history, flows = lifecycle.get("history") or [], lifecycle["flows"]
    stages = lifecycle.get("stages") or []
    dates = sorted({str(r["as_of"]) for r in history})
    sep = "、" if t.lang == "zh" else ", "
    note = t("note_flows", dates=sep.join(format_date(d, t.lang) for d in dates))
    svg = flows_svg(history, flows, stages, t.labels, t("section_flows"))
    return Content(note, [svg], [])



# -- lifecycle stages --------------------------------------------------------------------------

def _value_column(pareto, customers: pd.DataFrame) -> str:
    column = ABCOptions(measure=pareto.get("value_measure") or "revenue").value_column
    return column if column in customers.columns else "monetary_total"


def _lifecycle_section(customers: pd.DataFrame, pareto, labels: Labels, symbol: str) -> Content:
    value = pd.to_numeric(customers[_value_column(pareto, customers)], errors="coerce").fillna(0)
    grouped = (pd.DataFrame({"stage": customers["lifecycle_stage"].astype("string"),
                             "value": value})
               .groupby("stage", dropna=False, sort=False)["value"].agg(["size", "sum"]))
    order = {stage: i for i, stage in enumerate(STAGES["en"])}
    stages = sorted(grouped.index, key=lambda s: (order.get(str(s), len(order)), str(s)))
    grouped = grouped.loc[stages]
    n, total = float(grouped["size"].sum()), float(grouped["sum"].sum())
    customer_share = grouped["size"].to_numpy(float) / n if n else np.zeros(len(grouped))
    value_share = grouped["sum"].to_numpy(float) / total if total else np.zeros(len(grouped))
    names = [stage_text(s, labels) for s in stages]
    svg = charts.segment_shares_svg(names, customer_share, value_share, labels,
                                    chart_id="lifecycle", title=labels["section_lifecycle"])
    columns = [Column(labels["col_stage"]), Column(labels["col_customers"], True),
               Column(labels["col_share"], True), Column(labels["col_value"], True),
               Column(labels["col_share"], True)]
    priced = bool(pd.to_numeric(customers[_value_column(pareto, customers)],
                                errors="coerce").notna().any())
    rows = [[name, format_int(size), format_percent(cs, 1),
             format_money(amount, symbol) if priced else "–",
             format_percent(vs, 1) if priced else "–"]
            for name, size, amount, cs, vs in zip(names, grouped["size"], grouped["sum"],
                                                  customer_share, value_share)]
    return Content(labels["note_lifecycle"], [svg], [Table(columns, rows, narrow=True)])


# -- the sections this module contributes ------------------------------------------------------

def _stages(results: RunResults) -> dict:
    return results.run_info.get("stages") or {}


def _todo(results: RunResults) -> Content | None:
    matrix = _stages(results).get("matrix")
    if not (matrix and matrix.get("cells")):
        return None
    return _todo_section(matrix, _Text(results.labels), results.symbol)


def _lifecycle(results: RunResults) -> Content | None:
    if "lifecycle_stage" not in results.buyers.columns:
        return None
    return _lifecycle_section(results.buyers, results.pareto, results.labels, results.symbol)


def _matrix(results: RunResults) -> Content | None:
    stages = _stages(results)
    matrix = stages.get("matrix")
    if not (matrix and matrix.get("cells")):
        return None
    return _matrix_section(matrix, stages.get("value"), dict(results.run_info),
                           _Text(results.labels))


def _quadrants(results: RunResults) -> Content | None:
    value = _stages(results).get("value")
    if not (value and {"current_value_score", "potential_value_score"}
            <= set(results.everyone.columns)):
        return None
    return _quadrant_section(results.everyone, value, dict(results.run_info),
                             _Text(results.labels))


def _funnel(results: RunResults) -> Content | None:
    lifecycle = _stages(results).get("lifecycle")
    if not (lifecycle and lifecycle.get("economics")):
        return None
    return _funnel_section(lifecycle, dict(results.run_info), _Text(results.labels),
                           results.symbol)


def _flows(results: RunResults) -> Content | None:
    lifecycle = _stages(results).get("lifecycle")
    if not (lifecycle and lifecycle.get("flows")):
        return None
    return _flows_section(lifecycle, _Text(results.labels))


def _title(table: dict[str, dict[str, str]], key: str) -> dict[str, str]:
    return {lang: table[lang][key] for lang in LANGUAGES}


SECTIONS = (
    ReportSection("todo", _title(SEGMENT_TEXT, "section_todo"), 10, _todo),
    ReportSection("lifecycle", _title(LABELS, "section_lifecycle"), 80, _lifecycle),
    ReportSection("matrix", _title(SEGMENT_TEXT, "section_matrix"), 100, _matrix),
    ReportSection("quadrants", _title(SEGMENT_TEXT, "section_quadrants"), 110, _quadrants),
    ReportSection("funnel", _title(SEGMENT_TEXT, "section_funnel"), 120, _funnel),
    ReportSection("flows", _title(SEGMENT_TEXT, "section_flows"), 130, _flows),
)
