"""The report's complaints section: the contacts of the service log by kind and channel, and
the complaints per lifecycle stage and per value × lifecycle cell (read from the run: the
``complaints`` stage's ``run_info["stages"]["complaints"]``; a run without a service log has no
such section)."""

from __future__ import annotations

from ..interactions.vocabulary import label
from ..vocabulary import cell_label, key_label
from .formatting import format_int, format_number, format_percent
from .sections import Column, Content, ReportSection, RunResults, Table

__all__ = ["SECTIONS"]

_WORDS = {
    "en": {
        "title": "Service contacts and complaints",
        "note": ("{contacts} contacts with the run's customers in the service log ({kinds}); "
                 "{complainants} customers complained, {complaints} complaints in all. "
                 "Complaints per 100 customers = complaints ÷ customers × 100. The counts are "
                 "churn features of each customer (complaint_count, days_since_complaint); they "
                 "do not enter the churn risk score."),
        "outside": " {n} contacts name customers the run does not have.",
        "group": "Lifecycle stage", "cell": "Cell", "customers": "Customers",
        "complainants": "Complained", "share": "Share complaining",
        "complaints": "Complaints", "per_100": "Per 100 customers",
        "stage_caption": "Complaints per lifecycle stage",
        "cell_caption": "Complaints per value × lifecycle cell",
        "channel": "Channel", "contacts": "Contacts",
        "channel_caption": "Contacts by channel", "unknown": "not given",
        "sep": ", ",
    },
    "zh": {
        "title": "客服接触与投诉",
        "note": ("服务记录中与本次运行客户的接触共 {contacts} 次({kinds});{complainants} 位客户投诉过,"
                 "共 {complaints} 次投诉。每百位客户投诉数 = 投诉次数 ÷ 客户数 × 100。投诉次数与距上次投诉"
                 "天数是每位客户的流失特征(complaint_count、days_since_complaint),不计入流失风险评分。"),
        "outside": "另有 {n} 次接触的客户不在本次运行中。",
        "group": "生命周期阶段", "cell": "单元格", "customers": "客户数",
        "complainants": "投诉客户", "share": "投诉客户占比",
        "complaints": "投诉次数", "per_100": "每百位客户投诉",
        "stage_caption": "各生命周期阶段的投诉",
        "cell_caption": "价值 × 生命周期各单元格的投诉",
        "channel": "渠道", "contacts": "接触次数",
        "channel_caption": "各渠道的接触", "unknown": "未注明",
        "sep": "、",
    },
}


def _rows(groups: list[dict], key: str, name) -> list[list[str]]:
    return [[name(g[key]), format_int(g["customers"]), format_int(g["complainants"]),
             format_percent(g["complainants"] / g["customers"] if g["customers"] else 0, 1),
             format_int(g["complaints"]), format_number(g["complaints_per_100"], 1)]
            for g in groups]


def _complaints(results: RunResults) -> Content | None:
    figures = (results.run_info.get("stages") or {}).get("complaints")
    if not figures:
        return None
    lang = results.lang
    w = _WORDS[lang]
    kinds = w["sep"].join(f"{label(k, lang)} {format_int(n)}"
                          for k, n in figures["by_kind"].items())
    note = w["note"].format(contacts=format_int(figures["contacts"]), kinds=kinds,
                            complainants=format_int(figures["complainants"]),
                            complaints=format_int(figures["complaints"]))
    if figures.get("contacts_outside_run"):
        note += w["outside"].format(n=format_int(figures["contacts_outside_run"]))
    head = [Column(w["customers"], True), Column(w["complainants"], True),
            Column(w["share"], True), Column(w["complaints"], True), Column(w["per_100"], True)]
    tables = []
    if figures.get("by_stage"):
        tables.append(Table([Column(w["group"]), *head],
                            _rows(figures["by_stage"], "lifecycle_stage",
                                  lambda k: key_label(k, lang) or w["unknown"]),
                            caption=w["stage_caption"]))
    if figures.get("by_cell"):
        matrix = (results.run_info.get("stages") or {}).get("matrix") or {}
        order = {c["cell"]: i for i, c in enumerate(matrix.get("cells") or [])}
        cells = sorted(figures["by_cell"],
                       key=lambda g: (order.get(g["matrix_cell"], len(order)),
                                      str(g["matrix_cell"])))
        tables.append(Table([Column(w["cell"]), *head],
                            _rows(cells, "matrix_cell",
                                  lambda k: cell_label(k, lang) or w["unknown"]),
                            caption=w["cell_caption"]))
    channels = figures.get("by_channel") or {}
    if channels:
        tables.append(Table([Column(w["channel"]), Column(w["contacts"], True)],
                            [[label(k, lang) if k != "unknown" else w["unknown"], format_int(n)]
                             for k, n in channels.items()],
                            caption=w["channel_caption"], narrow=True))
    return Content(note, [], tables)


SECTIONS = (ReportSection("complaints", {lang: _WORDS[lang]["title"] for lang in _WORDS}, 78,
                          _complaints),)
