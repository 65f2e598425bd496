"""``churn_reason``: the numbers behind a customer's churn risk, in words (English, Chinese).

Works on a batch: columns ``recency_days``, ``frequency``, ``mean_gap_days``,
``recent_spend`` and ``prior_spend`` (as :func:`cvm.features.behaviour.behaviour_features`
gives them) for any number of customers, and returns one sentence per customer, e.g.
"no purchase for 124 days; usually buys every 9 days; spend trend −40 %". The spend trend is
the spend of the last window against the window before it, (recent / prior − 1); it is left
out when the customer spent nothing in the window before.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["churn_reason"]

_WORDS = {
    "en": {"silent": "no purchase for {d:,} days", "silent_1": "no purchase for 1 day",
           "today": "bought on the as-of date", "rhythm": "usually buys every {g:,} days",
           "rhythm_1": "usually buys every day", "once": "bought once",
           "trend": "spend trend {t}", "sep": "; "},
    "zh": {"silent": "已 {d:,} 天未购买", "silent_1": "已 1 天未购买", "today": "截止日当天有购买",
           "rhythm": "通常每 {g:,} 天购买一次", "rhythm_1": "通常每天购买", "once": "仅购买过一次",
           "trend": "消费趋势 {t}", "sep": ";"},
}


def _trend(value: float) -> str:
    pct = int(round(value * 100))
    sign = "+" if pct > 0 else ("−" if pct < 0 else "")
    return f"{sign}{abs(pct)} %"


def churn_reason(customers: pd.DataFrame, lang: str = "en") -> pd.Series:
    """One sentence per row of ``customers`` (index kept)."""
    if lang not in _WORDS:
        raise ValueError(f"unknown language {lang!r}: choose en or zh")
    w = _WORDS[lang]
    recency = customers["recency_days"].to_numpy(dtype=float)
    frequency = customers["frequency"].to_numpy(dtype=float)
    gap = customers["mean_gap_days"].to_numpy(dtype=float)
    recent = customers["recent_spend"].to_numpy(dtype=float)
    prior = customers["prior_spend"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        trend = np.where(prior > 0, recent / prior - 1.0, np.nan)
    out = []
    for d, x, g, t in zip(recency, frequency, gap, trend):
        parts = []
        days = int(round(d))
        parts.append(w["today"] if days == 0 else
                     w["silent_1"] if days == 1 else w["silent"].format(d=days))
        if x > 0 and np.isfinite(g):
            every = max(int(round(g)), 1)
            parts.append(w["rhythm_1"] if every == 1 else w["rhythm"].format(g=every))
        else:
            parts.append(w["once"])
        if np.isfinite(t):
            parts.append(w["trend"].format(t=_trend(t)))
        out.append(w["sep"].join(parts))
    return pd.Series(out, index=customers.index, name="churn_reason", dtype=object)
