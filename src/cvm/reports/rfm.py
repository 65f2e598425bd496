"""Report sections of the RFM stage: the recency, frequency and spend distributions, the
segments (shares of customers and of value, averages) and the recency × frequency heat map."""

from __future__ import annotations

import pandas as pd

from cvm.reports import charts
from cvm.reports.formatting import format_int, format_money, format_number, format_percent, money_digits
from cvm.reports.labels import LABELS, LANGUAGES
from cvm.reports.sections import Column, Content, ReportSection, RunResults, Table

__all__ = ["SECTIONS"]


def _title(key: str) -> dict[str, str]:
    return {lang: LABELS[lang][key] for lang in LANGUAGES}


def _rfm(results: RunResults) -> Content:
    labels = results.labels
    return Content(labels["note_rfm"],
                   [charts.rfm_distributions_svg(results.buyers, labels, results.symbol)])


def _segments(results: RunResults) -> Content:
    labels, symbol, customers = results.labels, results.symbol, results.buyers
    frame = results.segments.reset_index(drop=True)
    svg = charts.segment_shares_svg(frame["label"].astype(str).tolist(),
                                    pd.to_numeric(frame["customer_share"]).to_numpy(float),
                                    pd.to_numeric(frame["value_share"]).to_numpy(float), labels)
    columns = [Column(labels["col_segment"]), Column(labels["col_customers"], True),
               Column(labels["col_share"], True), Column(labels["col_value"], True),
               Column(labels["col_share"], True), Column(labels["col_avg_recency"], True),
               Column(labels["col_avg_frequency"], True), Column(labels["col_avg_monetary"], True)]
    value_digits = money_digits(frame["value"])
    avg_digits = money_digits(frame["avg_monetary_total"])
    rows = [[str(r.label), format_int(r.customers), format_percent(r.customer_share, 1),
             format_money(r.value, symbol, value_digits), format_percent(r.value_share, 1),
             format_number(r.avg_recency_days, 0), format_number(r.avg_frequency, 1),
             format_money(r.avg_monetary_total, symbol, avg_digits)]
            for r in frame.itertuples(index=False)]
    total = [labels["total"], format_int(frame["customers"].sum()),
             format_percent(frame["customer_share"].sum(), 1),
             # empty for a purchase log without amounts (no value, not zero value)
             format_money(frame["value"].sum(min_count=1), symbol, value_digits),
             format_percent(frame["value_share"].sum(min_count=1), 1),
             format_number(_mean(customers, "recency_days"), 0),
             format_number(_mean(customers, "frequency"), 1),
             format_money(_mean(customers, "monetary_total"), symbol, avg_digits)]
    note = labels["note_segments"]
    scheme_note = _scheme_note(results.run_info, results.lang)
    if scheme_note:
        note = ("" if labels.lang == "zh" else " ").join([note, scheme_note])
    return Content(note, [svg], [Table(columns, rows, total)])


def _scheme_note(run_info: dict, lang: str) -> str:
    """The segment scheme's note in ``lang`` (which meaning its segment names have, e.g. which
    重要挽留客户), or "" when the scheme has none."""
    note = run_info.get("scheme_note") or {}
    return str(note.get(lang) or "") if isinstance(note, dict) else ""


def _mean(frame: pd.DataFrame, column: str) -> float:
    if column not in frame.columns or len(frame) == 0:
        return float("nan")
    return float(pd.to_numeric(frame[column], errors="coerce").mean())


def _heatmap(results: RunResults) -> Content:
    labels = results.labels
    return Content(labels["note_heatmap"],
                   [charts.rf_heatmap_svg(results.buyers, labels, results.symbol)])


SECTIONS = (
    ReportSection("rfm", _title("section_rfm"), 20, _rfm),
    ReportSection("segments", _title("section_segments"), 30, _segments),
    ReportSection("heatmap", _title("section_heatmap"), 50, _heatmap),
)
