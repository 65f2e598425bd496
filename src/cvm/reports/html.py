"""Assemble the self-contained HTML report: header, summary, charts, tables and glossary.

Everything the page needs is inside the one file: the CSS is embedded and the charts are inline
SVG, so the report opens offline and prints without fetching anything.
"""

from __future__ import annotations

import functools
import logging
import os
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd

from cvm.config import ABCOptions
from cvm.reports import charts
from cvm.reports.formatting import (
    format_date,
    format_datetime,
    format_int,
    format_money,
    format_number,
    format_percent,
)
from cvm.reports.labels import (
    GLOSSARY,
    LABELS,
    STAGES,
    Labels,
    labels_for,
    reject_reason_text,
    stage_text,
    window_text,
)
from cvm.reports.summary import key_figures, summary_sentences, top_share_of
from cvm.schema import SEGMENT_SUMMARY_COLUMNS

__all__ = ["REQUIRED_CUSTOMER_COLUMNS", "render_report", "write_report"]

_log = logging.getLogger(__name__)

#: Columns of ``customers`` the report reads; the others are optional.
REQUIRED_CUSTOMER_COLUMNS = ("recency_days", "frequency", "monetary_total", "r_score", "f_score",
                             "m_score")
_PARETO_KEYS = ("gini", "lorenz", "classes", "top_share", "top_value_share")
_TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Column:
    text: str
    numeric: bool = False
    code: bool = False


@dataclass
class Table:
    columns: list[Column]
    rows: list[list[str]]
    total: list[str] | None = None
    caption: str | None = None
    narrow: bool = False


@dataclass
class Section:
    id: str
    title: str
    note: str | None = None
    charts: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


def render_report(customers: pd.DataFrame, segments: pd.DataFrame, pareto: dict, run_info: dict,
                  *, lang: str = "en") -> str:
    """The report as one self-contained HTML document.

    ``customers`` has the columns of :data:`cvm.schema.CUSTOMER_FEATURE_COLUMNS` (optional extras
    such as ``clv``, ``probability_alive`` and ``lifecycle_stage`` add sections); ``segments`` the
    columns of :data:`cvm.schema.SEGMENT_SUMMARY_COLUMNS` in display order; ``pareto`` the ABC /
    concentration results; ``run_info`` the run's provenance. ``lang`` is "en" or "zh".
    """
    started = time.perf_counter()
    labels = labels_for(lang, str(pareto.get("value_measure") or "revenue"))
    _validate(customers, segments, pareto)
    segments, run_info = _in_language(segments, run_info, lang)
    # prospects (appended by the lifecycle stage) have no purchases: the purchase-based
    # sections use the buyers, the lifecycle and matrix sections everyone
    everyone = customers
    if "lifecycle_stage" in customers.columns and "first_purchase" in customers.columns:
        customers = customers[customers["first_purchase"].notna()]
    symbol = str(run_info.get("currency_symbol") or "")
    empty = len(customers) == 0
    sections: list[Section] = []
    if not empty:
        sections.extend(_segment_sections(everyone, run_info, labels, symbol, todo=True))
        sections.append(Section("rfm", labels["section_rfm"], labels["note_rfm"],
                                charts=[charts.rfm_distributions_svg(customers, labels, symbol)]))
        sections.append(_segments_section(customers, segments, labels, symbol))
        sections.append(_concentration_section(pareto, labels, symbol))
        sections.append(Section("heatmap", labels["section_heatmap"], labels["note_heatmap"],
                                charts=[charts.rf_heatmap_svg(customers, labels, symbol)]))
        sections.extend(_optional_sections(customers, pareto, labels, symbol))
        sections.extend(_clv_model_sections(run_info, lang))
        sections.extend(_segment_sections(everyone, run_info, labels, symbol))
    sections.append(_glossary_section(customers, labels))
    page = _environment().get_template("report.html.j2").render(
        lang="zh-CN" if lang == "zh" else "en",
        labels=labels,
        title=labels["title"],
        meta=_meta(run_info, labels),
        figures=key_figures(customers, segments, pareto, run_info, labels),
        sources=_sources_table(run_info, labels),
        reasons=_reject_reasons(run_info, labels),
        no_rejects=bool(run_info.get("rows_read")) and not run_info.get("rows_rejected"),
        sentences=summary_sentences(customers, segments, pareto, run_info, labels),
        sections=sections,
        footer=labels.fmt("footer", version=run_info.get("cvm_version") or "",
                          created=format_datetime(run_info.get("created_at"), lang)),
        **page_styles(),
    )
    _log.info("rendered the %s report for %s customers in %.2f s", lang, f"{len(customers):,}",
              time.perf_counter() - started)
    return page


def write_report(path, customers: pd.DataFrame, segments: pd.DataFrame, pareto: dict,
                 run_info: dict, *, lang: str = "en") -> Path:
    """Render the report and write it to ``path`` (UTF-8), atomically; returns the path."""
    page = render_report(customers, segments, pareto, run_info, lang=lang)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # opened as any new file is (mode 0666 less the umask, like the other results files);
    # a tempfile.mkstemp file would be private (0600) and keep that mode once renamed
    temporary = target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}"
    try:
        with open(temporary, "x", encoding="utf-8") as out:
            out.write(page)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def page_styles() -> dict:
    """What every page drawn from ``report.html.j2`` styles itself with: the font stack, the
    stylesheet for screen and print, and the one for screens only (left out of PDFs)."""
    return {"font_stack": charts.FONT_STACK,
            "css": (_TEMPLATES / "report.css").read_text(encoding="utf-8"),
            "screen_css": (_TEMPLATES / "report-screen.css").read_text(encoding="utf-8")}


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES),
                              autoescape=jinja2.select_autoescape(("html", "j2")),
                              trim_blocks=True, lstrip_blocks=True,
                              undefined=jinja2.StrictUndefined)


def _in_language(segments: pd.DataFrame, run_info: dict, lang: str
                 ) -> tuple[pd.DataFrame, dict]:
    """The segment labels, the scheme's title and the built-in playbook's text in ``lang``
    when the run was made in the other language (a scheme or playbook file that cannot be read
    any more keeps the words stored with the run; a playbook of one's own is the user's text)."""
    from ..features.rfm_schemes import SchemeError, load_scheme, scheme_title
    from ..segments.playbook import builtin_plays

    if run_info.get("lang") in (None, lang):
        return segments, run_info
    run_info = dict(run_info)
    name = run_info.get("scheme")
    try:
        scheme = load_scheme(name) if name else None
    except (SchemeError, OSError):
        scheme = None
    if scheme is not None:
        words = {s.key: s.label(lang) for s in scheme.segments}
        segments = segments.assign(label=[words.get(k, old) for k, old in
                                          zip(segments["segment"], segments["label"])])
        run_info["scheme_title"] = scheme_title(scheme, lang)
    stages = dict(run_info.get("stages") or {})
    matrix = stages.get("matrix")
    if matrix and matrix.get("cells"):
        lifecycle = stages.get("lifecycle") or {}
        plays = builtin_plays(matrix.get("playbook_path"), lang,
                              scheme=matrix.get("scheme") or "seed12",
                              lifecycle_scheme=lifecycle.get("scheme") or "seed")
        if plays:
            cells = [dict(c, objective=plays[c["cell"]].objective, budget=plays[c["cell"]].budget)
                     if c.get("cell") in plays else c for c in matrix["cells"]]
            stages["matrix"] = dict(matrix, cells=cells)
            run_info["stages"] = stages
    return segments, run_info


def _validate(customers: pd.DataFrame, segments: pd.DataFrame, pareto: dict) -> None:
    problems = []
    missing = [c for c in REQUIRED_CUSTOMER_COLUMNS if c not in customers.columns]
    if missing:
        problems.append(f"customers lacks column(s) {', '.join(missing)}")
    missing = [c for c in SEGMENT_SUMMARY_COLUMNS if c not in segments.columns]
    if missing:
        problems.append(f"segments lacks column(s) {', '.join(missing)}")
    missing = [k for k in _PARETO_KEYS if k not in pareto]
    if missing:
        problems.append(f"pareto lacks key(s) {', '.join(missing)}")
    if problems:
        raise ValueError("cannot render the report: " + "; ".join(problems))


def _meta(run_info: dict, labels: Labels) -> list[tuple[str, str]]:
    lang = labels.lang
    items = [(labels["as_of"], format_date(run_info.get("as_of"), lang)),
             (labels["window"], window_text(run_info.get("window"), labels))]
    scheme = run_info.get("scheme_title") or run_info.get("scheme")
    if scheme:
        items.append((labels["scheme"], str(scheme)))
    if run_info.get("engine"):
        items.append((labels["engine"], str(run_info["engine"])))
    if run_info.get("created_at"):
        items.append((labels["created"], format_datetime(run_info["created_at"], lang)))
    return items


def _sources_table(run_info: dict, labels: Labels) -> Table | None:
    files = list(run_info.get("files") or [])
    if not files:
        return None
    with_table = any(f.get("table") for f in files)
    columns = [Column(labels["col_file"])]
    if with_table:
        columns.append(Column(labels["col_table"]))
    columns += [Column(labels["col_rows_read"], True), Column(labels["col_rows_loaded"], True),
                Column(labels["col_rows_rejected"], True)]
    counts = ("rows_read", "rows_loaded", "rows_rejected")
    rows = []
    for f in files:
        row = [str(f.get("file", ""))]
        if with_table:
            table = str(f.get("table") or "")
            key = f"table_{table}"
            row.append(labels[key] if key in LABELS[labels.lang] else table)
        rows.append(row + [format_int(f.get(key)) for key in counts])
    total = None
    if len(files) > 1:
        total = ([labels["total"]] + ([""] if with_table else [])
                 + [format_int(sum(int(f.get(key) or 0) for f in files)) for key in counts])
    return Table(columns, rows, total)


def _reject_reasons(run_info: dict, labels: Labels, top: int = 5) -> list[tuple[str, str]]:
    reasons = run_info.get("reject_reasons") or {}
    ranked = sorted(reasons.items(), key=lambda item: (-int(item[1]), str(item[0])))[:top]
    return [(reject_reason_text(reason, labels), format_int(count)) for reason, count in ranked]


def _value_column(pareto: dict, customers: pd.DataFrame) -> str:
    column = ABCOptions(measure=pareto.get("value_measure") or "revenue").value_column
    return column if column in customers.columns else "monetary_total"


def _segments_section(customers: pd.DataFrame, segments: pd.DataFrame, labels: Labels,
                      symbol: str) -> Section:
    frame = segments.reset_index(drop=True)
    svg = charts.segment_shares_svg(frame["label"].astype(str).tolist(),
                                    pd.to_numeric(frame["customer_share"]).to_numpy(float),
                                    pd.to_numeric(frame["value_share"]).to_numpy(float), labels)
    columns = [Column(labels["col_segment"]), Column(labels["col_customers"], True),
               Column(labels["col_share"], True), Column(labels["col_value"], True),
               Column(labels["col_share"], True), Column(labels["col_avg_recency"], True),
               Column(labels["col_avg_frequency"], True), Column(labels["col_avg_monetary"], True)]
    value_digits = _money_digits(frame["value"])
    avg_digits = _money_digits(frame["avg_monetary_total"])
    rows = [[str(r.label), format_int(r.customers), format_percent(r.customer_share, 1),
             format_money(r.value, symbol, value_digits), format_percent(r.value_share, 1),
             format_number(r.avg_recency_days, 0), format_number(r.avg_frequency, 1),
             format_money(r.avg_monetary_total, symbol, avg_digits)]
            for r in frame.itertuples(index=False)]
    total = [labels["total"], format_int(frame["customers"].sum()),
             format_percent(frame["customer_share"].sum(), 1),
             format_money(frame["value"].sum(), symbol, value_digits),
             format_percent(frame["value_share"].sum(), 1),
             format_number(_mean(customers, "recency_days"), 0),
             format_number(_mean(customers, "frequency"), 1),
             format_money(_mean(customers, "monetary_total"), symbol, avg_digits)]
    return Section("segments", labels["section_segments"], labels["note_segments"], [svg],
                   [Table(columns, rows, total)])


def _money_digits(amounts) -> int:
    """Decimals for a column of amounts: none when any reaches 1,000, else cents — one choice
    per column, so the decimal points line up."""
    values = pd.to_numeric(pd.Series(amounts), errors="coerce").abs()
    return 0 if len(values) and float(values.max()) >= 1000 else 2


def _mean(frame: pd.DataFrame, column: str) -> float:
    if column not in frame.columns or len(frame) == 0:
        return float("nan")
    return float(pd.to_numeric(frame[column], errors="coerce").mean())


def _concentration_section(pareto: dict, labels: Labels, symbol: str) -> Section:
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
    digits = _money_digits([float(r.get("value") or 0.0) for r in classes] or [0.0])
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
    return Section("concentration", labels["section_concentration"], note,
                   [charts.concentration_svg(pareto, labels)], [table])


def _optional_sections(customers: pd.DataFrame, pareto: dict, labels: Labels,
                       symbol: str) -> list[Section]:
    """Sections for columns that later stages add: CLV, probability alive, lifecycle stage."""
    sections = []
    top = float(pareto.get("top_share", 0.2))
    if "clv" in customers.columns:
        clv = pd.to_numeric(customers["clv"], errors="coerce")
        svg = charts.distribution_svg(clv, labels, axis_key="axis_clv", chart_id="clv",
                                      title=labels["section_clv"], symbol=symbol)
        share = top_share_of(clv, top)
        rows = [[labels["stat_total"], format_money(clv.sum(), symbol)],
                [labels["stat_mean"], format_money(clv.mean(), symbol)],
                [labels["stat_median"], format_money(clv.median(), symbol)],
                [labels["stat_p90"], format_money(clv.quantile(0.9), symbol)],
                [labels.fmt("stat_top", top=format_percent(top)), format_percent(share, 1)]]
        table = Table([Column(labels["col_statistic"]), Column(labels["col_amount"], True)], rows,
                      narrow=True)
        sections.append(Section("clv", labels["section_clv"], labels["note_clv"], [svg], [table]))
    if "probability_alive" in customers.columns:
        alive = pd.to_numeric(customers["probability_alive"], errors="coerce")
        svg = charts.distribution_svg(alive, labels, axis_key="axis_probability_alive",
                                      chart_id="alive", title=labels["section_alive"],
                                      money=False, bounds=(0.0, 1.0))
        rows = [[labels["stat_mean_probability"], format_percent(alive.mean(), 1)],
                [labels["stat_below_half"], format_percent((alive < 0.5).mean(), 1)]]
        table = Table([Column(labels["col_statistic"]), Column(labels["col_amount"], True)], rows,
                      narrow=True)
        sections.append(Section("alive", labels["section_alive"], labels["note_alive"], [svg],
                                [table]))
    if "lifecycle_stage" in customers.columns:
        sections.append(_lifecycle_section(customers, pareto, labels, symbol))
    return sections


def _clv_model_sections(run_info: dict, lang: str) -> list[Section]:
    from cvm.reports.clv import clv_model_sections

    return clv_model_sections(run_info, lang)


def _segment_sections(customers: pd.DataFrame, run_info: dict, labels: Labels, symbol: str,
                      *, todo: bool = False) -> list[Section]:
    from cvm.reports.segments import segment_sections, todo_sections

    if todo:
        return todo_sections(run_info, labels, symbol)
    return segment_sections(customers, run_info, labels, symbol)


def _lifecycle_section(customers: pd.DataFrame, pareto: dict, labels: Labels,
                       symbol: str) -> Section:
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
    rows = [[name, format_int(size), format_percent(cs, 1), format_money(amount, symbol),
             format_percent(vs, 1)]
            for name, size, amount, cs, vs in zip(names, grouped["size"], grouped["sum"],
                                                  customer_share, value_share)]
    return Section("lifecycle", labels["section_lifecycle"], labels["note_lifecycle"], [svg],
                   [Table(columns, rows, narrow=True)])


def _glossary_section(customers: pd.DataFrame, labels: Labels) -> Section:
    glossary = GLOSSARY[labels.lang]
    names: Sequence[str] = [c for c in customers.columns if c in glossary]
    table = Table([Column(labels["col_column"], code=True), Column(labels["col_meaning"])],
                  [[name, _sentence_case(glossary[name])] for name in names])
    return Section("glossary", labels["section_glossary"], labels["note_glossary"], [], [table])


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]
