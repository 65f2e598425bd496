"""What ``cvm run`` and ``cvm demo`` print when a run is done, in the run's language.

The summary (files loaded, customers, segments, lifetime value, lifecycle, value quadrants, the
segment matrix, where the results are) goes to standard output; a file's rejected rows and a
file skipped as already loaded are warnings on standard error. ``--json`` prints instead one
JSON document, :func:`run_document`, whose keys are listed in the README ("Output streams").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table

from ..reports.labels import STAGES, Labels, reject_reason_text
from ..vocabulary import actions_text
from . import output, warn

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["count_text", "run_document", "warn_about_loads", "print_run_summary",
           "print_matrix"]

# Chinese counts take a measure word and no plural; English counts say "1 row", "2 rows".
_UNITS = {
    "en": {"row": ("row", "rows"), "customer": ("customer", "customers"),
           "transaction": ("transaction", "transactions"), "day": ("day", "days"),
           "prospect": ("prospect", "prospects"), "record": ("record", "records"),
           "pair": ("pair", "pairs"), "merge": ("merge", "merges"), "split": ("split", "splits"),
           "decision": ("decision", "decisions")},
    "zh": {"row": "行", "customer": "位客户", "transaction": "笔交易", "day": "天",
           "prospect": "位潜在客户", "record": "条记录", "pair": "对记录", "merge": "次合并",
           "split": "次拆分", "decision": "项判定"},
}

_TEXT = {
    "en": {
        "file": "• {file}: {read} read, {loaded} loaded, {rejected} rejected",
        "rejects": "{file}: {rejected} rejected ({reasons}); each is listed with its row, "
                   "field and reason in {where}",
        "as_of": "As of {as_of}: {customers}{prospects}, total value {value}.",
        "as_of_unpriced": "As of {as_of}: {customers}{prospects}.",
        "prospects": " (+{prospects} without purchases)",
        "top": "The top 20 % of customers bring {share} of value; Gini {gini}.",
        "top_margin": "The top 20 % of customers bring {share} of profit (margin); Gini {gini}.",
        "segments": "RFM segments ({scheme})",
        "segment_columns": ("segment", "customers", "% customers", "% value"),
        "identical": "  {n} identical {rows} kept (without an order id they cannot be told "
                     "from repeat purchases)",
        "clv": "Lifetime value: {message}",
        "spend": "Spend model: {message}.",
        "lifecycle": "Lifecycle: {counts}",
        "quadrants": "Value quadrants (current/potential high or low): {counts}",
        "results": "Results in {out}: customers.parquet, customers.csv, segments.csv, "
                   "rejects.csv, summary.json, report.html",
        "results_no_csv": "Results in {out}: customers.parquet, segments.csv, rejects.csv, "
                          "summary.json, report.html ({note})",
        "weights": "Composite value weights ({method}): {weights}",
        "consistency": "; consistency ratio {ratio:.3f}",
        "no_credit": "No credit data: every customer has the neutral credit score.",
        "matrix": "Value × lifecycle matrix",
        "matrix_columns": ("cell", "customers", "% value", "avg CLV", "priority", "actions",
                           "gain/customer"),
        "sep": ", ",
    },
    "zh": {
        "file": "• {file}：读取 {read}，载入 {loaded} 行，拒收 {rejected} 行",
        "rejects": "{file}：拒收 {rejected}（{reasons}），每行的行号、字段和原因见 {where}",
        "as_of": "截至 {as_of}：{customers}{prospects}，总价值 {value}。",
        "as_of_unpriced": "截至 {as_of}：{customers}{prospects}。",
        "prospects": "（另有 {prospects}尚未购买）",
        "top": "前 20% 的客户贡献了 {share} 的价值；基尼系数 {gini}。",
        "top_margin": "前 20% 的客户贡献了 {share} 的利润（毛利）；基尼系数 {gini}。",
        "segments": "RFM 客户细分（{scheme}）",
        "segment_columns": ("细分", "客户数", "客户占比", "价值占比"),
        "identical": "  保留了 {n} 行完全相同的记录（没有订单号时无法与重复购买区分）",
        "clv": "客户终身价值：{message}",
        "spend": "消费金额模型：{message}。",
        "lifecycle": "生命周期：{counts}",
        "quadrants": "价值象限（当前/潜在价值，H 高 L 低）：{counts}",
        "results": "结果在 {out}：customers.parquet、customers.csv、segments.csv、rejects.csv、"
                   "summary.json、report.html",
        "results_no_csv": "结果在 {out}：customers.parquet、segments.csv、rejects.csv、"
                          "summary.json、report.html（{note}）",
        "weights": "综合价值权重（{method}）：{weights}",
        "consistency": "；一致性比率 {ratio:.3f}",
        "no_credit": "没有信用数据：每位客户的信用得分取中性值。",
        "matrix": "价值 × 生命周期矩阵",
        "matrix_columns": ("单元", "客户数", "价值占比", "平均 CLV", "优先级", "行动",
                           "每客户收益"),
        "sep": "，",
    },
}


def count_text(n: int, unit: str, lang: str = "en") -> str:
    """``count_text(1, "day")`` → ``'1 day'``; ``(1947, "row")`` → ``'1,947 rows'``;
    in Chinese ``(3, "customer", "zh")`` → ``'3 位客户'``."""
    if lang == "zh":
        return f"{n:,} {_UNITS['zh'][unit]}"
    one, many = _UNITS["en"][unit]
    return f"{n:,} {one if n == 1 else many}"


def _text(lang: str) -> dict:
    return _TEXT.get(lang, _TEXT["en"])


def run_document(result, out: Path | None, workspace: str | Path) -> dict:
    """The run summary as one JSON-ready dict (what ``cvm run --json`` prints).

    Keys: ``run_id``; ``as_of`` (ISO date); ``window_days`` (null: all history); ``files``
    (each file given to this run: ``file``, ``table`` (transactions or customers),
    ``rows_read``, ``rows_loaded``, ``rows_rejected``, ``reject_reasons`` (code → rows),
    ``columns`` (the column guess), ``skipped`` and ``message`` (a file already loaded));
    ``rows_read``/``rows_loaded``/``rows_rejected`` (the transaction files of this run);
    ``customers``; ``prospects`` (customer-list entries without purchases); ``total_value``;
    ``top_20_value_share``; ``gini``; ``value_measure`` (``revenue`` or ``margin``: what the
    top share, the Gini and the ABC classes measure); ``clv_model`` (the chosen purchase model, null when none
    was fitted) and ``clv_status``; ``segments`` (RFM segment → customers); ``abc_classes``
    (class → customers); ``lifecycle`` (stage → customers); ``value_quadrants`` (quadrant →
    customers); ``matrix_cells`` (cell → customers, cells with customers); ``workspace``;
    ``results`` (the results folder, null without one) and ``report`` (its report.html).
    """
    info = result.info
    stages = info.get("stages", {})
    clv = stages.get("clv", {})
    tx = [load for load in result.loads if load.table == "transactions"]
    folder = Path(out).resolve() if out is not None else None
    return {
        "run_id": result.run_id,
        "as_of": result.as_of.isoformat(),
        "window_days": info.get("window_days"),
        "files": [{"file": load.file, "table": load.table, "rows_read": load.rows_read,
                   "rows_loaded": load.rows_loaded, "rows_rejected": load.rows_rejected,
                   "reject_reasons": load.reasons, "columns": load.columns,
                   "identical_rows_kept": load.identical_rows_kept,
                   "skipped": load.skipped, "message": load.message} for load in result.loads],
        "rows_read": sum(load.rows_read for load in tx),
        "rows_loaded": sum(load.rows_loaded for load in tx),
        "rows_rejected": sum(load.rows_rejected for load in tx),
        "customers": info["n_customers"],
        "prospects": info["n_prospects"],
        "total_value": _rounded(info["total_value"], 2),
        "top_20_value_share": _rounded(result.pareto.get("top_value_share"), 4),
        "gini": _rounded(result.pareto.get("gini"), 4),
        "value_measure": result.pareto.get("value_measure", "revenue"),
        "clv_model": (clv.get("model") or {}).get("model"),
        "clv_status": clv.get("status"),
        "segments": {row["segment"]: row["customers"] for row in result.segments.to_pylist()},
        "abc_classes": {c["class"]: c["customers"] for c in result.pareto.get("classes", [])},
        "lifecycle": _in_order(stages.get("lifecycle", {})),
        "value_quadrants": stages.get("value", {}).get("quadrants", {}),
        "matrix_cells": {c["cell"]: c["customers"]
                         for c in stages.get("matrix", {}).get("cells", []) if c["customers"]},
        "workspace": str(Path(workspace).resolve()),
        "results": str(folder) if folder else None,
        "report": str(folder / "report.html") if folder else None,
        # a purchase log without amounts: how many purchases lack one (absent otherwise)
        **({"amounts_missing": info["amounts"]["missing"]} if info.get("amounts") else {}),
    }


def _in_order(lifecycle: dict) -> dict:
    counts = lifecycle.get("counts", {})
    return {stage: counts[stage] for stage in lifecycle.get("stages", counts) if stage in counts}


def warn_about_loads(result, out: Path | None, lang: str = "en") -> None:
    """A warning on standard error for each file with rejected rows and each file skipped
    because its content was loaded before (with or without ``--json``, even under --quiet)."""
    t = _text(lang)
    labels = Labels(lang)
    for load in result.loads:
        if load.skipped:
            warn(load.message)
        elif load.reasons:
            reasons = t["sep"].join(
                f"{reject_reason_text(code, labels) if lang == 'zh' else code} {n:,}"
                for code, n in load.reasons.items())
            where = Path(out) / "rejects.csv" if out is not None else "the rejects table"
            warn(t["rejects"].format(file=load.file, where=where, reasons=reasons,
                                     rejected=count_text(load.rows_rejected, "row", lang)))


def print_run_summary(result, out: Path | None, lang: str = "en") -> None:
    """The run summary on standard output."""
    t = _text(lang)
    sep = t["sep"]
    info = result.info
    for load in result.loads:
        if load.skipped:
            continue
        output.print(t["file"].format(file=load.file, read=count_text(load.rows_read, "row", lang),
                                      loaded=f"{load.rows_loaded:,}",
                                      rejected=f"{load.rows_rejected:,}"), markup=False)
        output.print(f"  {load.columns}", markup=False)
        if load.identical_rows_kept:
            n = load.identical_rows_kept
            output.print(t["identical"].format(n=f"{n:,}", rows="row" if n == 1 else "rows"),
                         markup=False)
    prospects = (t["prospects"].format(prospects=count_text(info["n_prospects"], "prospect", lang))
                 if info["n_prospects"] else "")
    output.print()
    amounts = info.get("amounts")
    customers = count_text(info["n_customers"], "customer", lang)
    if amounts:  # a purchase log without amounts: no value to total, the note says what runs
        output.print(t["as_of_unpriced"].format(as_of=result.as_of, customers=customers,
                                                prospects=prospects), markup=False)
        output.print(amounts["note_zh" if lang == "zh" else "note"], markup=False)
    else:
        output.print(t["as_of"].format(as_of=result.as_of, customers=customers,
                                       prospects=prospects, value=f"{info['total_value']:,.2f}"),
                     markup=False)
        top = "top_margin" if result.pareto.get("value_measure") == "margin" else "top"
        output.print(t[top].format(share=f"{result.pareto['top_value_share']:.0%}",
                                   gini=f"{result.pareto['gini']:.2f}"), markup=False)
    table = Table(title=t["segments"].format(scheme=info["scheme"]), title_justify="left")
    for col, justify in zip(t["segment_columns"], ("left", "right", "right", "right")):
        table.add_column(col, justify=justify)
    for row in result.segments.to_pylist():
        share = row["value_share"]
        table.add_row(row["label"], f"{row['customers']:,}", f"{row['customer_share']:.1%}",
                      "–" if share is None else f"{share:.1%}")
    output.print(table)
    stages = info.get("stages", {})
    clv = stages.get("clv", {})
    message = clv.get("message")
    if lang == "zh":
        message = (clv.get("model") or {}).get("reason_zh") or message
    if message:
        output.print(t["clv"].format(message=message), markup=False)
    spend = clv.get("spend_model") or {}
    if spend.get("message"):
        output.print(t["spend"].format(message=spend["message"]), markup=False)
    lifecycle = stages.get("lifecycle", {})
    if lifecycle.get("counts"):
        names = STAGES.get(lang, {}) if lang == "zh" else {}
        output.print(t["lifecycle"].format(counts=sep.join(
            f"{names.get(stage, stage)} {n:,}" for stage, n in _in_order(lifecycle).items())),
            markup=False)
    value = stages.get("value", {})
    if value.get("quadrants"):
        output.print(t["quadrants"].format(counts=sep.join(
            f"{q} {n:,}" for q, n in value["quadrants"].items())), markup=False)
    cells = stages.get("matrix", {}).get("cells")
    if cells:
        import pyarrow as pa

        print_matrix(pa.Table.from_pylist(cells), value, lang)
    if out is not None:
        note = _no_csv_note(out, lang)
        output.print(t["results_no_csv"].format(out=out, note=note) if note
                     else t["results"].format(out=out), markup=False)


def _no_csv_note(out, lang: str) -> str | None:
    """Why the results folder has no ``customers.csv`` (its ``summary.json`` says), or None
    when it has one."""
    folder = Path(out)
    if (folder / "customers.csv").exists():
        return None
    try:
        note = json.loads((folder / "summary.json").read_text(encoding="utf-8"))["customers_csv"]
    except (OSError, ValueError, KeyError):
        return None
    return note["note_zh" if lang == "zh" else "note"]


def print_matrix(table: pa.Table, value_summary: dict | None = None, lang: str = "en") -> None:
    """The matrix table and, when given, the composite-value weights and how they were made."""
    t = _text(lang)
    if value_summary:
        names = value_summary.get("indicators", [])
        weights = t["sep"].join(f"{n.replace('_', ' ')} {w:.2f}"
                                for n, w in zip(names, value_summary.get("weights", [])))
        line = t["weights"].format(method=value_summary.get("method"), weights=weights)
        if value_summary.get("method") == "ahp":
            line += t["consistency"].format(ratio=value_summary["consistency_ratio"])
        output.print(line, markup=False)
        if not value_summary.get("credit_available", True):
            output.print(t["no_credit"], markup=False)
    grid = Table(title=t["matrix"], title_justify="left")
    for col, justify in zip(t["matrix_columns"], ("left", "right", "right", "right", "right",
                                                  "left", "right")):
        grid.add_column(col, justify=justify)
    for r in table.to_pylist():
        if not r["customers"]:
            continue
        share = "–" if r["value_share"] is None else f"{r['value_share']:.1%}"
        grid.add_row(r["cell"], f"{r['customers']:,}", share,
                     f"{r['avg_clv']:,.0f}" if r["avg_clv"] is not None else "–",
                     str(r["priority"]), actions_text(r["actions"], lang),
                     f"{r['expected_gain_per_customer']:,.0f}"
                     if r["expected_gain_per_customer"] is not None else "–")
    output.print(grid)


def _rounded(value, digits: int):
    """``value`` rounded, or ``None`` (a run without amounts has no value to total)."""
    return None if value is None else round(value, digits)
