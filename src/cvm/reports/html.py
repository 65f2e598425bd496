"""Assemble the self-contained HTML report: header, summary, the sections, and the glossary.

Everything the page needs is inside the one file: the CSS is embedded and the charts are inline
SVG, so the report opens offline and prints without fetching anything.

The sections between the summary and the glossary come from the capabilities: every module of
``cvm.reports`` that defines ``SECTIONS`` (a tuple of
:class:`~cvm.reports.sections.ReportSection`) contributes them; see :mod:`cvm.reports.sections`
for the contract. This module knows none of them by name.
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
import pkgutil
import secrets
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from cvm.reports.customer_columns import CustomerColumns
from cvm.reports.formatting import format_date, format_datetime, format_int
from cvm.reports.labels import (
    GLOSSARY,
    LABELS,
    Labels,
    labels_for,
    reject_reason_text,
    window_text,
)
from cvm.reports.page import environment, page_styles
from cvm.reports.sections import Column, ReportSection, RunResults, Section, Table, assemble
from cvm.reports.summary import key_figures, summary_sentences
from cvm.schema import SEGMENT_SUMMARY_COLUMNS

__all__ = ["REQUIRED_CUSTOMER_COLUMNS", "REPORT_UNREAD_COLUMNS", "render_report", "report_columns",
           "report_customers", "write_report", "contributed_sections"]

_log = logging.getLogger(__name__)

#: Columns of ``customers`` the report reads; the others are optional.
REQUIRED_CUSTOMER_COLUMNS = ("recency_days", "frequency", "monetary_total", "r_score", "f_score",
                             "m_score")
_PARETO_KEYS = ("gini", "lorenz", "classes", "top_share", "top_value_share")
#: columns of a run's customer table that no section of the report reads (the customer list's
#: contact fields, the reasons in words, the model names, the survey's and service log's
#: per-customer columns, which the report shows through the run's figures): left out of the
#: frame the report is rendered from, which is then a fraction of the table's memory (the
#: reasons' text is its largest part); a test renders the demo's report with and without them
REPORT_UNREAD_COLUMNS = frozenset({
    "name", "phone", "email", "city", "owner", "signup_date", "expected_average_spend",
    "historical_value", "current_value", "potential_value", "churn_model", "churn_reason",
    "recovery_value", "spend_period_avg", "volume_percentile", "lifecycle_rule",
    "history_tenure_days", "history_recency_days", "history_purchase_days", "survey_date",
    "satisfaction_index", "overall_satisfaction", "likelihood_to_recommend", "nps_group",
    "complaint_count", "days_since_complaint"})


def report_columns(names: Sequence[str]) -> list[str]:
    """The columns of a customer table with ``names`` that the report reads, in order."""
    return [n for n in names if n not in REPORT_UNREAD_COLUMNS
            and not (n.startswith("expected_purchases_") and n.endswith("d"))]


def report_customers(path: str | Path) -> CustomerColumns:
    """The run's per-customer table in the Parquet file at ``path`` as the report reads it: the
    columns it uses (:func:`report_columns`), a column at a time."""
    import pyarrow.parquet as pq

    return CustomerColumns.of_parquet(path, report_columns(pq.read_schema(path).names))


def render_report(customers: pd.DataFrame | CustomerColumns, segments: pd.DataFrame,
                  pareto: dict, run_info: dict, *, lang: str = "en") -> str:
    """The report as one self-contained HTML document.

    ``customers`` (a DataFrame, or a table read a column at a time:
    :class:`~cvm.reports.customer_columns.CustomerColumns`) has the columns of
    :data:`cvm.schema.CUSTOMER_FEATURE_COLUMNS` (optional extras such as ``clv``,
    ``probability_alive`` and ``lifecycle_stage`` add sections); ``segments`` the columns of
    :data:`cvm.schema.SEGMENT_SUMMARY_COLUMNS` in display order; ``pareto`` the ABC /
    concentration results; ``run_info`` the run's provenance. ``lang`` is "en" or "zh".
    """
    started = time.perf_counter()
    labels = labels_for(lang, str(pareto.get("value_measure") or "revenue"))
    _validate(customers, segments, pareto)
    segments, run_info = _in_language(segments, run_info, lang)
    # prospects (appended by the lifecycle stage) have no purchases: the purchase-based
    # sections use the buyers, the lifecycle and matrix sections everyone
    if not isinstance(customers, CustomerColumns):
        customers = CustomerColumns.of_frame(customers)
    everyone = customers
    if "lifecycle_stage" in customers.columns and "first_purchase" in customers.columns:
        customers = customers.where(customers["first_purchase"].notna())
    symbol = str(run_info.get("currency_symbol") or "")
    results = RunResults(buyers=customers, everyone=everyone, segments=segments, pareto=pareto,
                         run_info=run_info, lang=lang, labels=labels, symbol=symbol)
    sections = assemble(contributed_sections(), results)
    sections.append(_glossary_section(customers, labels))
    page = environment().get_template("report.html.j2").render(
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


def write_report(path, customers: pd.DataFrame | CustomerColumns, segments: pd.DataFrame,
                 pareto: dict, run_info: dict, *, lang: str = "en") -> Path:
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


@functools.cache
def contributed_sections() -> tuple[ReportSection, ...]:
    """Every section the modules of ``cvm.reports`` contribute (their ``SECTIONS``)."""
    package = importlib.import_module("cvm.reports")
    found: list[ReportSection] = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"cvm.reports.{info.name}")
        found.extend(getattr(module, "SECTIONS", ()))
    return tuple(found)


def _glossary_section(customers: pd.DataFrame, labels: Labels) -> Section:
    glossary = GLOSSARY[labels.lang]
    names: Sequence[str] = [c for c in customers.columns if c in glossary]
    table = Table([Column(labels["col_column"], code=True), Column(labels["col_meaning"])],
                  [[name, _sentence_case(glossary[name])] for name in names])
    return Section("glossary", labels["section_glossary"], labels["note_glossary"], [], [table])


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]
