"""The report's campaigns section: the test registry (every campaign with its design, status
and headline result), the measured lifts of the latest measured campaign with their 95 %
intervals, the always-valid monitor's looks, and the measured response per matrix cell beside
the playbook's assumption. It reads ``run_info["campaigns"]``: the workspace's registry as the
report was written (:func:`cvm.campaigns.registry.registry_snapshot`)."""

from __future__ import annotations

import math

from .formatting import format_int, format_money, format_number
from .sections import Column, Content, ReportSection, RunResults, Table

__all__ = ["SECTIONS", "forest_svg", "WORDS"]

WORDS = {
    "en": {
        "title": "Campaigns: test and learn",
        "note": ("Campaigns in the registry: {n}, measured: {m}. Each holds out a random control "
                 "group; the lift is treated − control with its 95 % interval (Newcombe's hybrid "
                 "score interval for a rate, Welch for a mean), p-values are adjusted for the "
                 "many comparisons (Benjamini–Hochberg) and ROI = (incremental margin − cost) / "
                 "cost with a bootstrap interval. "),
        "latest": ("Campaign {name} ({start} to {end}): {treated} customers contacted, "
                   "{control} held out; response {lift} ({low} to {high}), adjusted p {p}."),
        "monitor": ("Monitored with an always-valid test (mSPRT), so looking before the end "
                    "does not raise the false-positive rate: {when}."),
        "monitor_hit": "significant from {day} on",
        "monitor_none": "not significant at any look",
        "campaign": "Campaign", "status": "Status", "window": "Window",
        "customers": "Customers", "control": "Control", "lift": "Lift", "ci": "95 % CI",
        "p": "p (adjusted)", "segment": "Segment", "outcome": "Outcome", "treated": "Treated",
        "control_value": "Control", "roi": "ROI", "day": "Day", "p_valid": "Always-valid p",
        "all": "all", "responded": "response", "revenue": "revenue per customer",
        "margin": "margin per customer", "retained": "retention",
        "registry_caption": "Test registry",
        "results_caption": "Results of {name} (treated − control)",
        "looks_caption": "Live monitor of {name}: response at each weekly look",
        "cell": "Cell", "assumed": "Playbook response", "measured": "Measured lift",
        "feedback_caption": ("Measured response lift per cell: the next run uses it in "
                             "place of the playbook's assumption"),
        "status_planned": "planned", "status_running": "running", "status_ended": "ended",
        "status_measured": "measured",
        "forest_caption": "Response lift per cell with its 95 % interval",
        "design": "Design", "treated_n": "Contacted", "control_share": "Control share",
        "stratify": "Stratified by", "seed": "Seed", "cost": "Cost per contact",
        "overlapping": "Also in an overlapping campaign", "source": "Customers from",
        "none": ("No campaign yet. Create one with cvm campaign create NAME --cells CELL "
                 "--start DATE --end DATE."),
        "monitor_title": "Live monitor",
        "results_title": "Results",
        "not_measured": "Not measured yet: cvm campaign results {name} after {end}.",
        "source_cells": "matrix cells", "source_list": "the list {file}",
    },
    "zh": {
        "title": "营销活动：测试与学习",
        "note": ("登记册中共 {n} 个活动，{m} 个已测量。每个活动都随机留出对照组；提升 = 处理组 − "
                 "对照组，附 95% 置信区间（比率用 Newcombe 混合得分区间，均值用 Welch），p 值按多重"
                 "比较校正（Benjamini–Hochberg），ROI =（增量毛利 − 成本）/ 成本，附自助法区间。"),
        "latest": ("活动 {name}（{start} 至 {end}）：联系 {treated} 位客户，留出 {control} 位作对照；"
                   "响应率提升 {lift}（区间 {low} 至 {high}），校正后 p 值 {p}。"),
        "monitor": "采用随时有效的序贯检验（mSPRT）监测，提前查看结果不会提高误报率：{when}。",
        "monitor_hit": "自 {day} 起显著",
        "monitor_none": "各次查看均不显著",
        "campaign": "活动", "status": "状态", "window": "时间窗",
        "customers": "客户数", "control": "对照组", "lift": "提升", "ci": "95% 置信区间",
        "p": "p 值（校正）", "segment": "细分", "outcome": "结果指标", "treated": "处理组",
        "control_value": "对照组", "roi": "ROI", "day": "日期", "p_valid": "随时有效 p 值",
        "all": "全部", "responded": "响应率", "revenue": "人均收入", "margin": "人均毛利",
        "retained": "留存率",
        "registry_caption": "测试登记册",
        "results_caption": "{name} 的结果（处理组 − 对照组）",
        "looks_caption": "{name} 的实时监测：每周查看时的响应率",
        "cell": "单元格", "assumed": "策略手册假设响应率", "measured": "实测提升",
        "feedback_caption": "各单元格实测的响应率提升：下次运行将以此替代策略手册的假设",
        "status_planned": "计划中", "status_running": "进行中", "status_ended": "已结束",
        "status_measured": "已测量",
        "forest_caption": "各单元格响应率提升及 95% 置信区间",
        "design": "设计", "treated_n": "联系人数", "control_share": "对照比例",
        "stratify": "分层依据", "seed": "随机种子", "cost": "单次联系成本",
        "overlapping": "同时在时间重叠的其他活动中", "source": "客户来源",
        "none": "尚无营销活动。可用 cvm campaign create NAME --cells CELL --start DATE --end DATE 创建。",
        "monitor_title": "实时监测",
        "results_title": "结果",
        "not_measured": "尚未测量：{end} 之后运行 cvm campaign results {name}。",
        "source_cells": "矩阵单元格", "source_list": "名单 {file}",
    },
}


def _pp(v, lang: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{v * 100:+.1f} pp" if lang == "en" else f"{v * 100:+.1f} 个百分点"


def _value(v, kind: str, symbol: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{v * 100:.1f}%" if kind == "rate" else format_money(v, symbol)


def _lift(v, kind: str, lang: str, symbol: str) -> str:
    if kind == "rate":
        return _pp(v, lang)
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return ("+" if v >= 0 else "") + format_money(v, symbol)


def _p(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return "< 0.001" if v < 0.001 else f"{v:.3f}"


def forest_svg(rows: list[tuple[str, float, float, float]], caption: str) -> str:
    """A forest plot: each row's estimate with its interval, and the zero line (inline SVG)."""
    if not rows:
        return ""
    lo = min(0.0, *(r[2] for r in rows))
    hi = max(0.0, *(r[3] for r in rows))
    span = (hi - lo) or 1.0
    left, width, row_h = 120, 360, 24
    height = row_h * len(rows) + 30

    def x(v: float) -> float:
        return left + (v - lo) / span * width

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {left + width + 20} '
             f'{height}" role="img" aria-label="{caption}" class="chart">',
             f'<line x1="{x(0):.1f}" y1="4" x2="{x(0):.1f}" y2="{height - 22}" '
             'stroke="#888" stroke-dasharray="3,3"/>']
    for i, (label, est, low, high) in enumerate(rows):
        y = 16 + i * row_h
        parts.append(f'<text x="{left - 8}" y="{y + 4}" text-anchor="end" '
                     f'font-size="11">{label}</text>')
        parts.append(f'<line x1="{x(low):.1f}" y1="{y}" x2="{x(high):.1f}" y2="{y}" '
                     'stroke="#2b6cb0" stroke-width="2"/>')
        parts.append(f'<circle cx="{x(est):.1f}" cy="{y}" r="4" fill="#2b6cb0"/>')
    for v in (lo, 0.0, hi):
        parts.append(f'<text x="{x(v):.1f}" y="{height - 6}" text-anchor="middle" '
                     f'font-size="10">{v * 100:+.0f}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _campaigns(results: RunResults) -> Content | None:
    registry = results.run_info.get("campaigns")
    if not registry:
        return None
    lang, symbol = results.lang, results.symbol
    w = WORDS[lang]
    measured = [c for c in registry if c.get("results")]
    note = w["note"].format(n=format_int(len(registry)), m=format_int(len(measured)))
    tables, charts = [], []
    reg = Table([Column(w["campaign"], code=True), Column(w["status"]), Column(w["window"]),
                 Column(w["customers"], True), Column(w["control"], True),
                 Column(w["lift"], True), Column(w["ci"], True), Column(w["p"], True)],
                [], caption=w["registry_caption"])
    for c in registry:
        h = c.get("headline") or {}
        rate = bool(h) and h.get("outcome") in ("responded", "retained")
        fmt = (lambda v: _pp(v, lang)) if rate else (lambda v: format_number(v, 2))
        reg.rows.append([c["name"], w.get(f"status_{c['status']}", c["status"]),
                         f"{c['start']} – {c['end']}", format_int(c["customers"]),
                         format_int(c["control"]), fmt(h.get("lift")) if h else "–",
                         f"{fmt(h.get('ci_low'))} … {fmt(h.get('ci_high'))}" if h else "–",
                         _p(h.get("p_adjusted")) if h else "–"])
    tables.append(reg)
    if measured:
        latest = measured[0]
        rows = latest["results"]
        head = next((r for r in rows if r["segment"] == "all" and r["kind"] == "rate"), None)
        if head:
            note += w["latest"].format(name=latest["name"], start=latest["start"],
                                       end=latest["end"], treated=format_int(latest["treated"]),
                                       control=format_int(latest["control"]),
                                       lift=_pp(head["lift"], lang), low=_pp(head["ci_low"], lang),
                                       high=_pp(head["ci_high"], lang),
                                       p=_p(head["p_adjusted"]))
        looks = latest.get("looks") or []
        if looks:
            hit = next((k for k in looks if k["significant"]), None)
            note += ("" if lang == "zh" else " ") + w["monitor"].format(when=w["monitor_hit"].format(day=hit["day"])
                                              if hit else w["monitor_none"])
        res = Table([Column(w["segment"], code=True), Column(w["outcome"]),
                     Column(w["customers"], True), Column(w["control"], True),
                     Column(w["treated"], True), Column(w["control_value"], True),
                     Column(w["lift"], True), Column(w["ci"], True), Column(w["p"], True),
                     Column(w["roi"], True)], [],
                    caption=w["results_caption"].format(name=latest["name"]))
        for r in rows:
            roi = r.get("roi")
            roi_text = (f"{roi:.0%} ({r['roi_low']:.0%} … {r['roi_high']:.0%})"
                        if roi is not None and not math.isnan(roi) else "")
            res.rows.append([w["all"] if r["segment"] == "all" else r["segment"],
                             w.get(r["outcome"], r["outcome"]), format_int(r["n"]),
                             format_int(r["control_n"]),
                             _value(r["treated_value"], r["kind"], symbol),
                             _value(r["control_value"], r["kind"], symbol),
                             _lift(r["lift"], r["kind"], lang, symbol),
                             f"{_lift(r['ci_low'], r['kind'], lang, symbol)} … "
                             f"{_lift(r['ci_high'], r['kind'], lang, symbol)}",
                             _p(r["p_adjusted"]), roi_text])
        tables.append(res)
        cells = [r for r in rows if r["kind"] == "rate" and r["segment"] != "all"
                 and r["lift"] is not None]
        charts.append(forest_svg([(r["segment"], r["lift"], r["ci_low"], r["ci_high"])
                                  for r in cells], w["forest_caption"]))
        assumed = {c["cell"]: c.get("expected_response") for c in
                   ((results.run_info.get("stages") or {}).get("matrix") or {}).get("cells", [])}
        if cells and assumed:
            fb = Table([Column(w["cell"], code=True), Column(w["assumed"], True),
                        Column(w["measured"], True), Column(w["ci"], True)], [],
                       caption=w["feedback_caption"])
            for r in cells:
                a = assumed.get(r["segment"])
                fb.rows.append([r["segment"], f"{a * 100:.0f}%" if a is not None else "–",
                                _pp(r["lift"], lang),
                                f"{_pp(r['ci_low'], lang)} … {_pp(r['ci_high'], lang)}"])
            tables.append(fb)
        if looks:
            lk = Table([Column(w["day"]), Column(w["treated"], True),
                        Column(w["control_value"], True), Column(w["lift"], True),
                        Column(w["p_valid"], True)], [],
                       caption=w["looks_caption"].format(name=latest["name"]), narrow=True)
            for k in looks:
                lk.rows.append([k["day"], f"{k['treated_value'] * 100:.1f}%",
                                f"{k['control_value'] * 100:.1f}%", _pp(k["lift"], lang),
                                _p(k["p_value"])])
            tables.append(lk)
    return Content(note=note, charts=[c for c in charts if c], tables=tables)


SECTIONS = (ReportSection("campaigns", {lang: WORDS[lang]["title"] for lang in WORDS}, 140,
                          _campaigns),)
