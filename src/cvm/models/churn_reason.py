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
import pyarrow as pa
import pyarrow.compute as pc

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


def _percent(pct: int) -> str:
    sign = "+" if pct > 0 else ("−" if pct < 0 else "")
    return f"{sign}{abs(pct)} %"


def _spelled(codes: np.ndarray, word) -> pa.Array:
    """``word(code)`` for each code, each distinct code worded once."""
    distinct, index = np.unique(codes, return_inverse=True)
    return pa.array([word(int(c)) for c in distinct], pa.string()).take(
        pa.array(index.reshape(-1), pa.int64()))


def churn_reason(customers: pd.DataFrame, lang: str = "en") -> pd.Series:
    """One sentence per row of ``customers`` (index kept).

    Each part is worded once per distinct number (days, rhythm, trend) and the parts joined
    in Arrow, with no loop over the customers."""
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
        # Python's round and NumPy's both round halves to even
        days = np.round(recency).astype(np.int64)
        repeat = (frequency > 0) & np.isfinite(gap)
        every = np.where(repeat, np.maximum(np.round(np.where(repeat, gap, 0.0)), 1.0),
                         -1.0).astype(np.int64)
        known = np.isfinite(trend)
        pct = np.round(np.where(known, trend, 0.0) * 100).astype(np.int64)
    silent = _spelled(days, lambda d: w["today"] if d == 0 else
                      w["silent_1"] if d == 1 else w["silent"].format(d=d))
    rhythm = _spelled(every, lambda g: w["once"] if g < 0 else
                      w["rhythm_1"] if g == 1 else w["rhythm"].format(g=g))
    spend = _spelled(pct, lambda t: w["trend"].format(t=_percent(t)))
    spend = pc.if_else(pa.array(known), spend, pa.nulls(len(spend), pa.string()))
    text = pc.binary_join_element_wise(silent, rhythm, spend, w["sep"], null_handling="skip")
    return pd.Series(text.to_numpy(zero_copy_only=False), index=customers.index,
                     name="churn_reason", dtype=object)
