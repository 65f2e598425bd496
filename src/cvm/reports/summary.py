"""The report's written summary and key figures, generated from the numbers.

Each sentence is a template from :mod:`cvm.reports.labels` filled with figures formatted by
:mod:`cvm.reports.formatting`, so the English and Chinese summaries say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cvm.reports.formatting import (
    format_compact,
    format_date,
    format_int,
    format_money,
    format_percent,
)
from cvm.reports.labels import Labels, reject_reason_text

__all__ = ["KeyFigure", "gini_level", "key_figures", "summary_sentences", "total_value",
           "customer_count"]

#: Upper bounds of the Gini coefficient for each wording, checked in order.
_GINI_LEVELS = ((0.3, "gini_even"), (0.5, "gini_moderate"), (0.7, "gini_high"),
                (float("inf"), "gini_very_high"))


@dataclass(frozen=True)
class KeyFigure:
    label: str
    value: str


def gini_level(gini: float) -> str:
    """The label key that words a Gini coefficient ("highly concentrated" …)."""
    for bound, key in _GINI_LEVELS:
        if gini < bound:
            return key
    return _GINI_LEVELS[-1][1]


def customer_count(customers: pd.DataFrame, run_info: dict) -> int:
    n = run_info.get("n_customers")
    return int(n) if n is not None else len(customers)


def total_value(segments: pd.DataFrame, pareto: dict, run_info: dict) -> float | None:
    """Total value (revenue or margin) of the run: from ``run_info``, else summed; ``None``
    when the run's purchases carry no amounts."""
    total = run_info.get("total_value")
    if total is not None:
        return float(total)
    if run_info.get("amounts"):  # the purchases carry no amounts: no value to total
        return None
    if "value" in segments.columns and len(segments):
        return float(pd.to_numeric(segments["value"], errors="coerce").sum())
    return float(sum(float(row.get("value") or 0.0) for row in pareto.get("classes") or []))


def key_figures(customers: pd.DataFrame, segments: pd.DataFrame, pareto: dict, run_info: dict,
                labels: Labels) -> list[KeyFigure]:
    """The figures in the tiles under the title."""
    symbol = run_info.get("currency_symbol") or ""
    n = customer_count(customers, run_info)
    total = total_value(segments, pareto, run_info)
    top = pareto.get("top_share", 0.2)
    gini = pareto.get("gini")
    return [
        KeyFigure(labels["kpi_customers"], format_int(n)),
        KeyFigure(labels["kpi_total"], "–" if total is None else format_money(total, symbol)),
        KeyFigure(labels["kpi_per_customer"],
                  format_money(total / n, symbol) if n and total is not None else "–"),
        KeyFigure(labels.fmt("kpi_top", top=format_percent(top)),
                  format_percent(pareto.get("top_value_share"))),
        KeyFigure(labels["kpi_gini"], "–" if gini is None else f"{float(gini):.2f}"),
    ]


def summary_sentences(customers: pd.DataFrame, segments: pd.DataFrame, pareto: dict,
                      run_info: dict, labels: Labels) -> list[str]:
    """The plain-language summary, one sentence per finding, most important first."""
    symbol = run_info.get("currency_symbol") or ""
    lang = labels.lang
    n = customer_count(customers, run_info)
    if n == 0:
        return [labels["empty"]]
    total = total_value(segments, pareto, run_info)
    amounts = run_info.get("amounts")
    if amounts:  # a purchase log without amounts: what ran and what did not
        sentences = [amounts["note_zh" if lang == "zh" else "note"]]
    else:
        sentences = [
            labels.fmt("sum_overview", as_of=format_date(run_info.get("as_of"), lang),
                       customers=labels.count("customers", n),
                       total=format_compact(total, lang, symbol)),
        ]
    if pareto.get("top_value_share") is not None:
        sentences.append(labels.fmt("sum_top", top=format_percent(pareto.get("top_share", 0.2)),
                                    share=format_percent(pareto["top_value_share"])))
    sentences.extend(_segment_sentences(segments, labels))
    class_a = next((row for row in pareto.get("classes") or [] if row.get("class") == "A"), None)
    if class_a is not None and class_a.get("customers"):
        sentences.append(labels.fmt("sum_abc", customers=labels.count("customers",
                                                                         class_a["customers"]),
                                    customer_share=format_percent(class_a.get("customer_share")),
                                    value_share=format_percent(class_a.get("value_share"))))
    if pareto.get("gini") is not None:
        gini = float(pareto["gini"])
        sentences.append(labels.fmt("sum_gini", gini=f"{gini:.2f}",
                                    level=labels[gini_level(gini)]))
    sentences.extend(_behaviour_sentences(customers, labels))
    sentences.extend(_reject_sentences(run_info, labels))
    sentences.extend(_clv_sentences(customers, pareto, labels, symbol))
    return sentences


def _segment_sentences(segments: pd.DataFrame, labels: Labels) -> list[str]:
    if segments is None or len(segments) == 0:
        return []
    frame = segments.reset_index(drop=True)
    by_value = int(pd.to_numeric(frame["value_share"], errors="coerce").fillna(-1).idxmax())
    by_size = int(pd.to_numeric(frame["customers"], errors="coerce").fillna(-1).idxmax())
    out = []
    row = frame.loc[by_value]
    key = "sum_segment_one" if int(row["customers"]) == 1 else "sum_segment"
    out.append(labels.fmt(key, customers=labels.count("customers", row["customers"]),
                          customer_share=format_percent(row["customer_share"]),
                          label=row["label"], value_share=format_percent(row["value_share"])))
    if by_size != by_value:
        row = frame.loc[by_size]
        out.append(labels.fmt("sum_largest", label=row["label"],
                              customers=labels.count("customers", row["customers"]),
                              customer_share=format_percent(row["customer_share"]),
                              value_share=format_percent(row["value_share"])))
    return out


def _behaviour_sentences(customers: pd.DataFrame, labels: Labels) -> list[str]:
    if not {"recency_days", "frequency"} <= set(customers.columns) or len(customers) == 0:
        return []
    recency = pd.to_numeric(customers["recency_days"], errors="coerce").dropna()
    frequency = pd.to_numeric(customers["frequency"], errors="coerce").dropna()
    if recency.empty or frequency.empty:
        return []
    median_days = int(np.ceil(float(recency.median())))
    repeat = float((frequency > 0).mean())
    return [labels.fmt("sum_recency", days=labels.count("days", median_days),
                       repeat=format_percent(repeat))]


def _reject_sentences(run_info: dict, labels: Labels) -> list[str]:
    read = run_info.get("rows_read")
    rejected = run_info.get("rows_rejected")
    if not read or not rejected:
        return []
    reasons = run_info.get("reject_reasons") or {}
    if not reasons:
        return []
    reason = min(reasons.items(), key=lambda item: (-int(item[1]), str(item[0])))[0]
    return [labels.fmt("sum_rejects", rejected=format_int(rejected), read=format_int(read),
                       share=format_percent(rejected / read, 1),
                       reason=reject_reason_text(reason, labels))]


def top_share_of(values: pd.Series, top: float) -> float | None:
    """Share of the total held by the largest ``top`` fraction of the values (at least one)."""
    array = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    total = array.sum()
    if array.size == 0 or total <= 0:
        return None
    k = max(1, int(round(top * array.size)))
    largest = np.partition(array, array.size - k)[array.size - k:]
    return float(largest.sum() / total)


def _clv_sentences(customers: pd.DataFrame, pareto: dict, labels: Labels,
                   symbol: str) -> list[str]:
    if "clv" not in customers.columns or len(customers) == 0:
        return []
    clv = pd.to_numeric(customers["clv"], errors="coerce")
    top = float(pareto.get("top_share", 0.2))
    share = top_share_of(clv, top)
    if share is None:
        return []
    return [labels.fmt("sum_clv", total=format_compact(float(clv.sum()), labels.lang, symbol),
                       top=format_percent(top), share=format_percent(share))]
