"""Report section of the ABC (Pareto) stage: how concentrated value is, the Lorenz curve and
the ABC classes with their cumulative shares."""

from __future__ import annotations

from cvm.reports import charts
from cvm.reports.formatting import format_int, format_money, format_percent, money_digits
from cvm.reports.labels import LABELS, LANGUAGES
from cvm.reports.sections import Column, Content, ReportSection, RunResults, Table

__all__ = ["SECTIONS"]


def _concentration(results: RunResults) -> Content | None:
    if results.run_info.get("amounts"):
        return None  # a purchase log without amounts: no revenue to concentrate
    pareto, labels, symbol = results.pareto, results.labels, results.symbol
    thresholds = pareto.get("thresholds") or {}
    basis = pareto.get("basis") or "value"
    note_key = "note_abc_customers" if basis == "customers" else "note_abc_value"
    note = ("" if labels.lang == "zh" else " ").join([labels["note_concentration"],
                     labels.fmt(note_key, a=format_percent(thresholds.get("A")),
                                b=format_percent(thresholds.get("B")))])
    columns = [Column(labels["col_class"]), Column(labels["col_customers"], True),
               Column(labels["col_share"], True), Column(labels["col_value"], True),
               Column(labels["col_share"], True), Column(labels["col_cum_customers"], True),
               Column(labels["col_cum_value"], True)]
    rows, cum_c, cum_v = [], 0.0, 0.0
    classes = list(pareto.get("classes") or [])
    digits = money_digits([float(r.get("value") or 0.0) for r in classes] or [0.0])
    for row in classes:
        cum_c += float(row.get("customer_share") or 0.0)
        cum_v += float(row.get("value_share") or 0.0)
        rows.append([str(row.get("class")), format_int(row.get("customers")),
                     format_percent(row.get("customer_share"), 1),
                     format_money(row.get("value"), symbol, digits),
                     format_percent(row.get("value_share"), 1), format_percent(min(cum_c, 1.0), 1),
                     format_percent(min(cum_v, 1.0), 1)])
    total = [labels["total"], format_int(sum(int(r.get("customers") or 0) for r in classes)),
             format_percent(cum_c, 1),
             format_money(sum(float(r.get("value") or 0.0) for r in classes), symbol, digits),
             format_percent(cum_v, 1), "", ""]
    table = Table(columns, rows, total, caption=labels["section_abc"], narrow=True)
    return Content(note, [charts.concentration_svg(pareto, labels)], [table])


SECTIONS = (
    ReportSection("concentration", {lang: LABELS[lang]["section_concentration"]
                                    for lang in LANGUAGES}, 40, _concentration),
)
