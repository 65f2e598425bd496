"""Net Promoter Score and CSAT, with their confidence intervals.

NPS (Reichheld 2003)
    on the 0-10 likelihood to recommend: promoters answer 9 or 10, passives 7 or 8, detractors
    0 to 6; ``NPS = 100 · (p_P − p_D)`` with ``p_P``, ``p_D`` the promoters' and detractors'
    shares of the ``n`` respondents who answered (don't-knows left out).

NPS interval (eq. N1)
    the answer categories are multinomial, so
    ``Var(p_P − p_D) = (p_P + p_D − (p_P − p_D)²) / n`` and the interval is
    ``NPS ± z · 100 · √Var`` (z = 1.96 for 95 %), cut to −100 … 100 (normal approximation).

CSAT
    the top-two-box share of overall satisfaction: the share of respondents answering one of the
    two highest points of its scale (4–5 on 1-5, 6–7 on 1-7, 9–10 on 1-10 and 0-10), in per
    cent.

CSAT interval (eq. N2)
    Wilson's score interval for a proportion (Wilson 1927):
    ``(p̂ + z²/2n ± z √(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n)``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .survey import Survey, SurveyError

__all__ = ["net_promoter", "top_two_box", "nps_table", "csat_table", "Z95"]

Z95 = 1.959963984540054


def net_promoter(answers, z: float = Z95) -> dict:
    """NPS of 0-10 answers (NaN skipped) with its multinomial interval (eq. N1)."""
    x = np.asarray(answers, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    promoters, detractors = int((x >= 9).sum()), int((x <= 6).sum())
    out = {"respondents": n, "promoters": promoters, "passives": n - promoters - detractors,
           "detractors": detractors}
    if n == 0:
        return out | {"nps": np.nan, "nps_low": np.nan, "nps_high": np.nan}
    pp, pd_ = promoters / n, detractors / n
    diff = pp - pd_
    se = math.sqrt(max(pp + pd_ - diff * diff, 0.0) / n)  # eq. N1
    return out | {"nps": 100 * diff, "nps_low": max(-100.0, 100 * (diff - z * se)),
                  "nps_high": min(100.0, 100 * (diff + z * se))}


def top_two_box(answers, scale_max: float, z: float = Z95) -> dict:
    """CSAT: share (per cent) of answers at ``scale_max − 1`` or above, Wilson interval (N2)."""
    x = np.asarray(answers, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    top = int((x >= scale_max - 1).sum())
    if n == 0:
        return {"respondents": 0, "top_two_box": 0, "csat": np.nan, "csat_low": np.nan,
                "csat_high": np.nan}
    p = top / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    denom = 1 + z * z / n
    return {"respondents": n, "top_two_box": top, "csat": 100 * p,
            "csat_low": 100 * (centre - half) / denom, "csat_high": 100 * (centre + half) / denom}


def _keys(survey: Survey, by: str | None) -> pd.Series:
    if by is None:
        return pd.Series("all", index=survey.responses.index)
    if by not in survey.responses:
        raise SurveyError(f"the responses have no column {by!r} to break down by")
    column = survey.responses[by]
    return column.astype(object).where(column.notna(), "—")


def _only(survey: Survey, role: str, what: str) -> str:
    items = survey.of_role(role)
    if not items:
        raise SurveyError(f"the survey has no {what} item (role = \"{role}\")")
    return items[0]


def nps_table(survey: Survey, by: str | None = None) -> pd.DataFrame:
    """NPS with its interval, overall or per value of ``by`` (e.g. ``month``, ``store``)."""
    item = _only(survey, "recommend", "likelihood-to-recommend")
    keys = _keys(survey, by)
    values = survey.responses[item]
    return pd.DataFrame([({by: k} if by else {}) | net_promoter(values[keys == k])
                         for k in sorted(keys.unique(), key=str)])


def csat_table(survey: Survey, by: str | None = None) -> pd.DataFrame:
    """CSAT (top-two-box of overall satisfaction) with its interval, overall or per ``by``."""
    item = _only(survey, "overall", "overall satisfaction")
    high = float(survey.items.set_index("item").loc[item, "scale_max"])
    keys = _keys(survey, by)
    values = survey.responses[item]
    return pd.DataFrame([({by: k} if by else {}) | top_two_box(values[keys == k], high)
                         for k in sorted(keys.unique(), key=str)])
