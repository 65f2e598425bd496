"""Importance–performance analysis and the expectation gap.

Performance
    the mean of a group's scores rescaled linearly to 0-100 (``100 · (x − min)/(max − min)``,
    the respondent's mean over the group's items, as for the index).

Importance
    with a structural model, the total effect of each attribute group on satisfaction
    (:func:`importance_from_total_effects`, fed a model's total-effects table); without one,
    *derived regression weights*: the unstandardised coefficients of an ordinary least-squares
    regression of overall satisfaction (0-100) on the group scores (0-100) over the respondents
    who answered all of them (:func:`regression_coefficients`). ``importance_share`` is each
    importance over the sum of the positive ones.

Quadrants (Martilla & James 1977)
    split at the mean importance and the mean performance of the groups: ``keep_up`` (important,
    performing well), ``concentrate`` (important, performing below the mean: act here first),
    ``low_priority`` (less important, lower performance) and ``overkill`` (less important,
    performing well).

Expectation gap (eq. G1)
    for each attribute item that has an expectation item, over the respondents who answered
    both: ``d_r = perception_r − expectation_r`` on 0-100, the gap ``d̄`` and its paired
    interval ``d̄ ± t_{0.975, n−1} · s_d / √n`` (Student's t; ``s_d`` the standard deviation of
    the differences). Positive: the attribute did better than expected.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .index import group_scores, regression_coefficients
from .survey import Survey, SurveyError

__all__ = ["regression_coefficients", "importance_performance", "importance_from_total_effects",
           "quadrant", "expectation_gap"]

QUADRANTS = ("keep_up", "concentrate", "low_priority", "overkill")


def quadrant(importance: float, performance: float, mean_importance: float,
             mean_performance: float) -> str:
    """The importance–performance quadrant of one attribute (ties count as high)."""
    high_i, high_p = importance >= mean_importance, performance >= mean_performance
    if high_i:
        return "keep_up" if high_p else "concentrate"
    return "overkill" if high_p else "low_priority"


def _table(survey: Survey, importance: pd.Series, source: str) -> pd.DataFrame:
    scores = group_scores(survey, top=100.0)
    performance = scores.mean(axis=0)
    groups = [g for g in scores.columns if g in importance.index]
    out = pd.DataFrame({"group": groups,
                        "importance": [float(importance[g]) for g in groups],
                        "performance": [float(performance[g]) for g in groups],
                        "respondents": [int(scores[g].notna().sum()) for g in groups]})
    positive = out["importance"].clip(lower=0).sum()
    out["importance_share"] = out["importance"].clip(lower=0) / positive if positive > 0 \
        else np.nan
    mi, mp = out["importance"].mean(), out["performance"].mean()
    out["quadrant"] = [quadrant(i, p, mi, mp) for i, p in zip(out["importance"],
                                                                out["performance"])]
    out["importance_source"] = source
    return out


def importance_performance(survey: Survey) -> pd.DataFrame:
    """Importance (derived regression weights) and performance (0-100) per attribute group,
    with the quadrant: columns ``group``, ``importance``, ``performance``, ``respondents``,
    ``importance_share``, ``quadrant``, ``importance_source``."""
    coef = regression_coefficients(survey)
    if coef is None:
        raise SurveyError("importance needs an overall-satisfaction item answered, together with "
                          "every attribute group, by more respondents than there are groups + 1")
    return _table(survey, coef, "derived regression weights")


def importance_from_total_effects(survey: Survey, effects: pd.DataFrame) -> pd.DataFrame:
    """Importance–performance with importance from a structural model: ``effects`` has columns
    ``group`` (an attribute group of the survey) and ``total_effect`` (its total effect on
    satisfaction, direct plus indirect)."""
    if not {"group", "total_effect"} <= set(effects.columns):
        raise SurveyError("a total-effects table needs the columns group and total_effect")
    return _table(survey, effects.set_index("group")["total_effect"].astype(float),
                  "total effects of the structural model")


def expectation_gap(survey: Survey, level: float = 0.95) -> pd.DataFrame:
    """Perception − expectation (0-100) per attribute item with a paired t interval (eq. G1):
    columns ``item``, ``expectation_item``, ``respondents``, ``perception``, ``expectation``,
    ``gap``, ``gap_low``, ``gap_high``."""
    pairs = survey.items[survey.items["role"] == "expectation"]
    if pairs.empty:
        raise SurveyError("the survey has no expectation items (role = \"expectation\")")
    rows = []
    for expectation, attribute in zip(pairs["item"], pairs["expectation_of"]):
        p, e = survey.rescaled(attribute, 100.0), survey.rescaled(expectation, 100.0)
        both = ~np.isnan(p) & ~np.isnan(e)
        d = p[both] - e[both]
        n = len(d)
        gap = float(d.mean()) if n else np.nan
        if n > 1:
            half = stats.t.ppf(0.5 + level / 2, n - 1) * d.std(ddof=1) / np.sqrt(n)  # eq. G1
        else:
            half = np.nan
        rows.append({"item": attribute, "expectation_item": expectation, "respondents": n,
                     "perception": float(p[both].mean()) if n else np.nan,
                     "expectation": float(e[both].mean()) if n else np.nan,
                     "gap": gap, "gap_low": gap - half, "gap_high": gap + half})
    return pd.DataFrame(rows)
