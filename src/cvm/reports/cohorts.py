"""The report's cohort section: the purchase cohorts' retention as a heat map and a triangle,
the cumulative revenue per acquired customer, and, where the run had subscription payments, the
members' retention curves (the sBG fit against the actual curve, with its holdout check). Read
from ``run_info["stages"]["cohorts"]`` (:mod:`cvm.stages.cohorts`)."""

from __future__ import annotations

import numpy as np

from .charts import _HEAT, BLUE, GREEN, MUTED, ORANGE, TEXT, _figure, _render, _style
from .formatting import format_int, format_money, format_number, format_percent
from .sections import Column, Content, ReportSection, RunResults, Table

__all__ = ["SECTIONS", "COHORT_WORDS", "retention_heatmap_svg", "retention_curves_svg"]

#: the section's words, in every report language
COHORT_WORDS = {
    "en": {
        "title": "Cohorts and retention",
        "note": ("Customers are grouped by the month of their first purchase (their cohort) and "
                 "followed month by month. Retention is the share of a cohort that bought in a "
                 "month; a customer is lost by a month when they bought neither in it nor in "
                 "any later month up to the as-of date, so the last month of each cohort is "
                 "provisional. {n} cohorts, {customers} customers; after 3 months {r3} of a "
                 "cohort still buy on average, and each acquired customer has spent {v12} in "
                 "the first 12 months."),
        "members_note": ("The tea club's {n} members pay every month until they cancel. Their "
                         "survival (members still paying) is fitted per plan with the "
                         "shifted-beta-geometric model on months 0–{cut} and projected; the "
                         "holdout error is the mean gap between the projection and the months "
                         "after."),
        "heat_title": "Share of each cohort buying, by month since acquisition",
        "curve_title": "Members still paying: actual and sBG projection",
        "cohort": "Cohort", "customers": "Customers", "month": "Month {k}",
        "months_since": "Months since acquisition", "share": "Share of cohort",
        "retention_caption": "Retention triangle: share of each cohort buying in each month",
        "revenue_caption": "Cumulative revenue per acquired customer",
        "plan": "Plan", "members": "Members", "alpha": "alpha", "beta": "beta",
        "holdout": "Holdout error", "at12": "Projected at month 12",
        "at24": "Projected at month 24", "actual": "actual", "fitted": "sBG fit",
        "projected": "sBG projection", "calibration_end": "end of fit",
        "fits_caption": "Retention curves per plan (fitted on months 0–{cut})",
    },
    "zh": {
        "title": "同期群与留存",
        "note": ("按首次购买的月份把客户分成同期群，逐月跟踪。留存率是同期群中当月有购买的客户比例；"
                 "某月及之后到截止日都没有购买的客户算作到该月已流失，因此每个同期群最后一个月的数字是暂定的。"
                 "共 {n} 个同期群、{customers} 位客户；获客 3 个月后平均 {r3} 的客户仍在购买，"
                 "每位获客在头 12 个月平均消费 {v12}。"),
        "members_note": ("茶会的 {n} 位会员每月扣费直到退订。按套餐用移位贝塔几何模型拟合会员存续"
                         "（仍在付费的会员），用第 0–{cut} 个月拟合并向后预测；验证期误差是预测与之后各月实际值的平均差距。"),
        "heat_title": "各同期群在获客后每月有购买的客户比例",
        "curve_title": "仍在付费的会员：实际与 sBG 预测",
        "cohort": "同期群", "customers": "客户数", "month": "第 {k} 月",
        "months_since": "获客后月数", "share": "占同期群比例",
        "retention_caption": "留存三角表：各同期群每月有购买的客户比例",
        "revenue_caption": "每位获客的累计收入",
        "plan": "套餐", "members": "会员数", "alpha": "alpha", "beta": "beta",
        "holdout": "验证期误差", "at12": "第 12 月预测", "at24": "第 24 月预测",
        "actual": "实际", "fitted": "sBG 拟合", "projected": "sBG 预测",
        "calibration_end": "拟合截止", "fits_caption": "各套餐留存曲线（用第 0–{cut} 个月拟合）",
    },
}

#: the months of the revenue table
_REVENUE_MONTHS = (0, 1, 3, 6, 12)


def retention_heatmap_svg(tri: dict, words: dict) -> str:
    """The retention triangle as a heat map: cohorts down, months since acquisition across."""
    return _render(_draw_heatmap, tri, words, chart_id="cohort_heatmap",
                   title=words["heat_title"])


def _draw_heatmap(tri: dict, words: dict):
    values = tri["values"]
    width = max((len(v) for v in values), default=1)
    grid = np.full((len(values), width), np.nan)
    for i, row in enumerate(values):
        grid[i, :len(row)] = [np.nan if v is None else v for v in row]
    fig = _figure(8.5, 0.28 * len(values) + 1.4)
    ax = fig.add_subplot()
    ax.imshow(np.ma.masked_invalid(grid), cmap=_HEAT, vmin=0, vmax=max(np.nanmax(grid[:, 1:])
              if width > 1 and np.isfinite(grid[:, 1:]).any() else 1.0, 0.01), aspect="auto")
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            if np.isfinite(grid[i, j]) and j > 0:
                ax.text(j, i, f"{grid[i, j] * 100:.0f}", ha="center", va="center", fontsize=6.5,
                        color="white" if grid[i, j] > 0.6 * np.nanmax(grid[:, 1:]) else TEXT)
    ax.set_yticks(range(len(values)), [c[:7] for c in tri["cohorts"]], fontsize=7.5)
    ax.set_xticks(range(width), [str(k) for k in range(width)], fontsize=7.5)
    ax.set_xlabel(words["months_since"])
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    return fig


def retention_curves_svg(curves: list[dict], words: dict) -> str:
    """Each plan's actual survival, the sBG fit over the calibration months and its projection."""
    return _render(_draw_curves, curves, words, chart_id="retention_curves",
                   title=words["curve_title"])


def _draw_curves(curves: list[dict], words: dict):
    fig = _figure(8.5, 3.6)
    ax = fig.add_subplot()
    colours = [BLUE, ORANGE, GREEN, MUTED]
    cut = None
    for i, c in enumerate(curves):
        colour = colours[i % len(colours)]
        actual = np.array([np.nan if v is None else v for v in c["actual"]])
        expected = np.array([np.nan if v is None else v for v in c["expected"]])
        k = np.arange(len(expected))
        cut = c["calibration_periods"] - 1
        ax.plot(k[np.isfinite(actual)], actual[np.isfinite(actual)], "o", ms=3, color=colour,
                label=f"{c['group'] or ''} {words['actual']}".strip())
        ax.plot(k[: cut + 1], expected[: cut + 1], "-", color=colour, lw=1.6,
                label=f"{c['group'] or ''} {words['fitted']}".strip())
        ax.plot(k[cut:], expected[cut:], "--", color=colour, lw=1.2,
                label=f"{c['group'] or ''} {words['projected']}".strip())
    if cut is not None:
        ax.axvline(cut, color=MUTED, lw=0.8, ls=":")
        ax.text(cut, 1.02, words["calibration_end"], color=MUTED, fontsize=7.5, ha="center")
    ax.set_ylim(0, 1.08)
    ax.set_xlabel(words["months_since"])
    ax.set_ylabel(words["share"])
    ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
    _style(ax)
    ax.legend(fontsize=7, ncols=2, frameon=False)
    return fig


def _mean_at(tri: dict, k: int):
    """The customer-weighted mean of a triangle's month ``k`` over the cohorts that reached it."""
    pairs = [(n, v[k]) for n, v in zip(tri["customers"], tri["values"])
             if len(v) > k and v[k] is not None]
    total = sum(n for n, _ in pairs)
    return sum(n * v for n, v in pairs) / total if total else None


def _render_section(results: RunResults) -> Content | None:
    stored = results.run_info.get("stages", {}).get("cohorts")
    if not stored or not stored.get("purchases"):
        return None
    words = COHORT_WORDS[results.lang]
    purchases = stored["purchases"]
    retention = purchases["active_share"]
    revenue = purchases["cumulative_revenue_per_customer"]
    if not retention["cohorts"]:
        return None
    r3, v12 = _mean_at(retention, 3), _mean_at(revenue, 11)
    note = words["note"].format(
        n=format_int(len(retention["cohorts"])), customers=format_int(sum(retention["customers"])),
        r3="–" if r3 is None else format_percent(r3),
        v12="–" if v12 is None else format_money(v12, results.symbol))
    width = max(len(v) for v in retention["values"])
    tri_table = Table(
        [Column(words["cohort"]), Column(words["customers"], numeric=True),
         *[Column(str(k), numeric=True) for k in range(width)]],
        [[c[:7], format_int(n), *[format_percent(v) if v is not None else "" for v in row]]
         for c, n, row in zip(retention["cohorts"], retention["customers"], retention["values"])],
        caption=words["retention_caption"])
    rev_table = Table(
        [Column(words["cohort"]), Column(words["customers"], numeric=True),
         *[Column(words["month"].format(k=k), numeric=True) for k in _REVENUE_MONTHS]],
        [[c[:7], format_int(n), *[format_money(row[k], results.symbol) if len(row) > k else ""
                                  for k in _REVENUE_MONTHS]]
         for c, n, row in zip(revenue["cohorts"], revenue["customers"], revenue["values"])],
        caption=words["revenue_caption"], narrow=True)
    charts = [retention_heatmap_svg(retention, words)]
    tables = [tri_table, rev_table]
    members = stored.get("members")
    curves = [c for c in (members or {}).get("curves", []) if c.get("alpha") is not None]
    if curves:
        cut = curves[0]["calibration_periods"] - 1
        note += " " + words["members_note"].format(n=format_int(members.get("n_members", 0)),
                                                   cut=cut)
        charts.append(retention_curves_svg(curves, words))
        tables.append(Table(
            [Column(words["plan"]), Column(words["members"], numeric=True),
             Column(words["alpha"], numeric=True), Column(words["beta"], numeric=True),
             Column(words["holdout"], numeric=True), Column(words["at12"], numeric=True),
             Column(words["at24"], numeric=True)],
            [[c["group"] or "", format_int(c["customers"]), format_number(c["alpha"], 3),
              format_number(c["beta"], 3),
              "" if c["holdout_mae"] is None else format_percent(c["holdout_mae"], 1),
              format_percent(c["expected"][12]) if len(c["expected"]) > 12 else "",
              format_percent(c["expected"][24]) if len(c["expected"]) > 24 else ""]
             for c in curves],
            caption=words["fits_caption"].format(cut=cut), narrow=True))
    return Content(note=note, charts=charts, tables=tables)


SECTIONS = (ReportSection("cohorts", {lang: COHORT_WORDS[lang]["title"] for lang in COHORT_WORDS},
                          135, _render_section),)
