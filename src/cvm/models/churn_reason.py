"""``churn_reason``: the numbers behind a customer's churn risk, in words (English, Chinese).

Works on a batch: columns ``recency_days``, ``frequency``, ``mean_gap_days``,
``recent_spend`` and ``prior_spend`` (as :func:`cvm.features.behaviour.behaviour_features`
gives them) for any number of customers, and returns one sentence per customer, e.g.
"no purchase for 124 days; usually buys every 9 days; spend trend −40 %". The spend trend is
the spend of the last window against the window before it, (recent / prior − 1); it is left
out when the customer spent nothing in the window before.

Optional columns add to the sentence where the table has them:

- ``complaint_count`` and ``days_since_complaint`` (a service log was loaded): "1 complaint,
  354 days ago" — a complaint is often why a customer went silent;
- ``lifecycle_stage``, ``spend_change``, ``churn_risk`` and ``churn_horizon_days``: when the
  stage and the risk disagree, why both hold. The stage "decline" comes from the spend trend (spend fell
  against the customer's own earlier level), the risk from whether a purchase comes at all in
  the next H days: a customer who spends less but still buys often is declining with a low
  risk, and the sentence says so; a customer in an active stage (exploration, formation,
  stability) with a high risk (``at_risk`` or more) has gone quiet for longer than its rhythm,
  and the sentence says that.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["churn_reason", "stage_notes"]

_WORDS = {
    "en": {"silent": "no purchase for {d:,} days", "silent_1": "no purchase for 1 day",
           "today": "bought on the as-of date", "rhythm": "usually buys every {g:,} days",
           "rhythm_1": "usually buys every day", "once": "bought once",
           "trend": "spend trend {t}", "sep": "; ",
           "complaint_1": "1 complaint, {d:,} days ago",
           "complaints": "{n:,} complaints, the last {d:,} days ago",
           "decline_low": "in decline because its spend in the last period fell {c} against its "
                          "own earlier average, but it still buys{every}: the risk of no "
                          "purchase in the next {h:,} days is {r}",
           "every": " about every {g:,} days", "every_1": " about every day",
           "active_high": "still in the {stage} stage by its purchases so far, but silent for "
                          "{d:,} days{usual}: the risk of no purchase in the next {h:,} days "
                          "is {r}",
           "usual": ", longer than its usual {g:,}"},
    "zh": {"silent": "已 {d:,} 天未购买", "silent_1": "已 1 天未购买", "today": "截止日当天有购买",
           "rhythm": "通常每 {g:,} 天购买一次", "rhythm_1": "通常每天购买", "once": "仅购买过一次",
           "trend": "消费趋势 {t}", "sep": ";",
           "complaint_1": "投诉 1 次,在 {d:,} 天前",
           "complaints": "投诉 {n:,} 次,最近一次在 {d:,} 天前",
           "decline_low": "处于衰退期,因为最近一期的消费比自身早前的平均水平下降了 {c},但仍{every}购买:"
                          "未来 {h:,} 天内不再购买的风险为 {r}",
           "every": "约每 {g:,} 天", "every_1": "几乎每天",
           "active_high": "按至今的购买仍处于{stage},但已 {d:,} 天未购买{usual}:"
                          "未来 {h:,} 天内不再购买的风险为 {r}",
           "usual": ",超过其通常的 {g:,} 天"},
}


def _percent(pct: int) -> str:
    sign = "+" if pct > 0 else ("−" if pct < 0 else "")
    return f"{sign}{abs(pct)} %"


_ACTIVE = {"exploration", "formation", "stability", "acquisition", "growth", "maturity"}


def _optional(customers: pd.DataFrame, name: str, n: int) -> np.ndarray:
    if name not in customers:
        return np.full(n, np.nan)
    return pd.to_numeric(customers[name], errors="coerce").to_numpy(dtype=float)


def _stage_note(w: dict, lang: str, stage, change: float, risk: float, horizon: float,
                days: int, gap: float, at_risk: float) -> str | None:
    """Why the lifecycle stage and the churn risk disagree, or None when they do not."""
    if not (isinstance(stage, str) and np.isfinite(risk) and np.isfinite(horizon)):
        return None
    from ..vocabulary import key_label

    r = f"{risk:.0%}".replace("%", " %") if lang == "en" else f"{risk:.0%}"
    h = int(round(horizon))
    every = max(int(round(gap)), 1) if np.isfinite(gap) else None
    if stage == "decline" and risk < at_risk:
        fell = f"{abs(change):.0%}" if np.isfinite(change) else "—"
        often = ("" if every is None else w["every_1"] if every == 1
                 else w["every"].format(g=every))
        return w["decline_low"].format(c=fell.replace("%", " %") if lang == "en" else fell,
                                       every=often, h=h, r=r)
    if stage in _ACTIVE and risk >= at_risk:
        usual = "" if every is None or days <= every else w["usual"].format(g=every)
        return w["active_high"].format(stage=key_label(stage, lang), d=days, usual=usual, h=h,
                                       r=r)
    return None


def _spelled(codes: np.ndarray, word) -> pa.Array:
    """``word(code)`` for each code, each distinct code worded once."""
    distinct, index = np.unique(codes, return_inverse=True)
    return pa.array([word(int(c)) for c in distinct], pa.string()).take(
        pa.array(index.reshape(-1), pa.int64()))


def churn_reason(customers: pd.DataFrame, lang: str = "en", *, at_risk: float = 0.5
                 ) -> pd.Series:
    """One sentence per row of ``customers`` (index kept); the optional columns of the module
    documentation add to it. ``at_risk``: the risk from which a customer counts as at risk.

    Each part is worded once per distinct number (days, rhythm, trend, complaints) and the parts
    joined in Arrow; only the few rows whose stage and risk disagree are worded one by one."""
    if lang not in _WORDS:
        raise ValueError(f"unknown language {lang!r}: choose en or zh")
    w = _WORDS[lang]
    recency = customers["recency_days"].to_numpy(dtype=float)
    frequency = customers["frequency"].to_numpy(dtype=float)
    gap = customers["mean_gap_days"].to_numpy(dtype=float)
    recent = customers["recent_spend"].to_numpy(dtype=float)
    prior = customers["prior_spend"].to_numpy(dtype=float)
    n = len(customers)
    complaints = _optional(customers, "complaint_count", n)
    since = _optional(customers, "days_since_complaint", n)
    with np.errstate(divide="ignore", invalid="ignore"):
        trend = np.where(prior > 0, recent / prior - 1.0, np.nan)
        # Python's round and NumPy's both round halves to even
        days = np.round(recency).astype(np.int64)
        repeat = (frequency > 0) & np.isfinite(gap)
        every = np.where(repeat, np.maximum(np.round(np.where(repeat, gap, 0.0)), 1.0),
                         -1.0).astype(np.int64)
        known = np.isfinite(trend)
        pct = np.round(np.where(known, trend, 0.0) * 100).astype(np.int64)
        complained = (complaints > 0) & np.isfinite(since)
        # one code per (complaints, days ago): count × 2^32 + days
        code = np.where(complained, np.where(complained, complaints, 0).astype(np.int64) * 2**32
                        + np.round(np.where(complained, since, 0.0)).astype(np.int64), -1)
    silent = _spelled(days, lambda d: w["today"] if d == 0 else
                      w["silent_1"] if d == 1 else w["silent"].format(d=d))
    rhythm = _spelled(every, lambda g: w["once"] if g < 0 else
                      w["rhythm_1"] if g == 1 else w["rhythm"].format(g=g))
    spend = _spelled(pct, lambda t: w["trend"].format(t=_percent(t)))
    spend = pc.if_else(pa.array(known), spend, pa.nulls(n, pa.string()))
    told = _spelled(code, lambda c: None if c < 0 else
                    w["complaint_1"].format(d=c & 0xFFFFFFFF) if c >> 32 == 1
                    else w["complaints"].format(n=c >> 32, d=c & 0xFFFFFFFF))
    notes = [None] * n
    if "lifecycle_stage" in customers:
        stages = customers["lifecycle_stage"].to_numpy(dtype=object)
        change = _optional(customers, "spend_change", n)
        risk = _optional(customers, "churn_risk", n)
        horizon = _optional(customers, "churn_horizon_days", n)
        declining = (stages == "decline") & (risk < at_risk)
        active = np.isin(stages, list(_ACTIVE)) & (risk >= at_risk)
        for i in np.flatnonzero(declining | active):
            notes[i] = _stage_note(w, lang, stages[i], change[i], risk[i], horizon[i],
                                   int(days[i]), gap[i], at_risk)
    text = pc.binary_join_element_wise(silent, rhythm, spend, told, pa.array(notes, pa.string()),
                                       w["sep"], null_handling="skip")
    return pd.Series(text.to_numpy(zero_copy_only=False), index=customers.index,
                     name="churn_reason", dtype=object)


def stage_notes(customers: pd.DataFrame, lang: str = "en", *, at_risk: float = 0.5) -> list:
    """Per row: the sentence saying why the lifecycle stage and the churn risk disagree
    (module documentation), or None where they agree. Columns: ``lifecycle_stage``,
    ``spend_change``, ``churn_risk``, ``churn_horizon_days``, ``recency_days``,
    ``churn_gap_days``."""
    if lang not in _WORDS:
        raise ValueError(f"unknown language {lang!r}: choose en or zh")
    n = len(customers)
    stages = (customers["lifecycle_stage"].to_numpy(dtype=object) if "lifecycle_stage"
              in customers else np.full(n, None, dtype=object))
    change, risk = _optional(customers, "spend_change", n), _optional(customers, "churn_risk", n)
    horizon = _optional(customers, "churn_horizon_days", n)
    days, gap = _optional(customers, "recency_days", n), _optional(customers, "churn_gap_days", n)
    # only a declining customer at low risk or an active one at high risk gets a note: the
    # others are not worded one by one
    with np.errstate(invalid="ignore"):
        disagree = (((stages == "decline") & (risk < at_risk))
                    | (np.isin(stages, list(_ACTIVE)) & (risk >= at_risk)))
    rows = np.flatnonzero(disagree)
    whole_days = np.where(np.isfinite(days), np.rint(np.nan_to_num(days)), 0.0)
    # each distinct sentence worded once: a note depends on the numbers only as rounded
    first, group = _alike(rows, stages, change, risk, horizon, whole_days, gap)
    worded = np.array([None] + [
        _stage_note(_WORDS[lang], lang, stages[i], change[i], risk[i], horizon[i],
                    int(whole_days[i]), gap[i], at_risk) for i in first], dtype=object)
    notes = np.full(n, None, dtype=object)
    notes[rows] = worded[1:][group] if rows.size else None
    return notes.tolist()


def _alike(rows: np.ndarray, stages, change, risk, horizon, days, gap
           ) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` (each declining at low risk or active at high risk) in groups that
    :func:`_stage_note` words alike: a row of each group and each row's group. The note reads
    the stage and the numbers only as it rounds them: the risk as a whole percent and the
    horizon in whole days; a declining customer's note the spend's fall as a whole percent and
    the usual gap in whole days, an active one's the days of silence (whole) and the usual gap
    only when the silence is longer; a missing number is a value of its own."""
    if not rows.size:
        return rows, rows

    def rounded(values, scale=1.0):
        v = np.asarray(values, dtype=float)[rows] * scale
        return np.where(np.isfinite(v), np.rint(np.nan_to_num(v)), -1.0)

    named = pd.Series(np.asarray(stages, dtype=object)[rows])
    declining = (named == "decline").to_numpy()
    every = np.maximum(rounded(gap), 1.0)
    every[~np.isfinite(np.asarray(gap, dtype=float)[rows])] = -1.0
    silent = np.asarray(days, dtype=float)[rows]
    # an active customer's usual gap is named only when the silence is longer than it
    usual = np.where((every > 0) & (silent > every), every, -1.0)
    group = np.zeros(rows.size, dtype=np.int64)
    for part in (named, rounded(risk, 100), rounded(horizon),
                 np.where(declining, rounded(np.abs(change), 100), 0.0),
                 np.where(declining, every, usual), np.where(declining, 0.0, silent)):
        # the groups so far split by one more part, numbered again (never past the rows)
        codes, distinct = pd.factorize(part)
        group = pd.factorize(group * len(distinct) + codes)[0]
    first = np.full(group.max() + 1, -1)
    first[group[::-1]] = np.arange(rows.size)[::-1]   # each group's first row
    return rows[first], group
