"""The 1000-point satisfaction index, with bootstrap confidence intervals.

Rescaling (linear, per item)
    an answer ``x`` on a scale ``min … max`` becomes ``1000 · (x − min) / (max − min)``: the
    lowest answer is 0, the highest 1000 (1 → 0, 3 → 500, 5 → 1000 on a 1-5 item; 7 → 667 on
    a 0-10 item). Reversed items are turned round first (``min + max − x``).

Group score of a respondent
    the mean of the rescaled answers the respondent gave to the group's items (don't-knows and
    blanks are left out, not counted as 0); missing when the respondent answered none of them.

Index (eq. I1)
    ``I = Σ_g w_g · S̄_g / Σ_g w_g``, where ``S̄_g`` is the mean group score over the
    respondents who answered group ``g`` and the sums run over the groups answered by at least
    one respondent of the sample (a group nobody in a store answered leaves the store's index
    over the other groups, its weights renormalised). The weights come from one of the rules of
    :class:`IndexWeights`: given (the definition's ``[groups]``), derived (regression, see
    :func:`derived_weights`), from a model's outer weights (Fornell's rule, see
    :func:`weights_from_outer_weights`) or equal.

Confidence interval
    percentile bootstrap: respondents are drawn with replacement ``n_boot`` times (default
    1000, seeded, so the same data give the same interval), the index recomputed on each draw,
    and the 2.5th and 97.5th percentiles of the draws reported (Efron & Tibshirani 1993,
    ch. 13).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .survey import Survey, SurveyError

__all__ = ["IndexWeights", "given_weights", "derived_weights", "equal_weights",
           "weights_from_outer_weights", "choose_weights", "group_scores", "index_value",
           "satisfaction_index", "weighted_columns", "regression_coefficients", "SEED", "N_BOOT"]

SEED = 20151
N_BOOT = 1000
TOP = 1000.0


@dataclass(frozen=True)
class IndexWeights:
    """The index's weights (normalised to sum to one), what they weigh (``group`` scores or
    single ``item`` answers) and the rule they come from, in words."""

    weights: dict[str, float]
    level: str  # "group" or "item"
    rule: str

    @staticmethod
    def normalised(weights: dict[str, float], level: str, rule: str) -> "IndexWeights":
        total = sum(weights.values())
        if total <= 0:
            raise SurveyError("index weights must not all be 0")
        return IndexWeights({k: v / total for k, v in weights.items()}, level, rule)


def _groups(survey: Survey) -> dict[str, list[str]]:
    attrs = survey.items[survey.items["role"] == "attribute"]
    out: dict[str, list[str]] = {}
    for item, group in zip(attrs["item"], attrs["group"]):
        out.setdefault(group, []).append(item)
    if not out:
        raise SurveyError("the survey has no attribute items: the index weighs attribute groups")
    return out


def group_scores(survey: Survey, top: float = TOP) -> pd.DataFrame:
    """One row per response, one column per attribute group: the mean of the respondent's
    rescaled answers (0 … ``top``) to the group's items; NaN where none was answered."""
    out = {}
    for group, items in _groups(survey).items():
        block = np.column_stack([survey.rescaled(i, top) for i in items])
        answered = ~np.isnan(block)
        with np.errstate(invalid="ignore"):
            out[group] = np.where(answered.any(axis=1),
                                  np.nansum(block, axis=1) / np.maximum(answered.sum(axis=1), 1),
                                  np.nan)
    return pd.DataFrame(out, index=survey.responses.index)


def _overall(survey: Survey) -> np.ndarray | None:
    items = survey.of_role("overall")
    return survey.rescaled(items[0], 100.0) if items else None


def regression_coefficients(survey: Survey) -> pd.Series | None:
    """OLS coefficients (with an intercept, not returned) of overall satisfaction (0-100) on the
    group scores (0-100), over complete responses; None without an overall item or with fewer
    complete responses than groups + 2, or when the group scores are collinear."""
    y = _overall(survey)
    if y is None:
        return None
    scores = group_scores(survey, top=100.0)
    x = scores.to_numpy(dtype=float)
    complete = ~np.isnan(y) & ~np.isnan(x).any(axis=1)
    k = x.shape[1]
    if complete.sum() < k + 2:
        return None
    design = np.column_stack([np.ones(complete.sum()), x[complete]])
    if np.linalg.matrix_rank(design) < k + 1:
        return None
    beta, *_ = np.linalg.lstsq(design, y[complete], rcond=None)
    return pd.Series(beta[1:], index=scores.columns)


def given_weights(survey: Survey) -> IndexWeights | None:
    """The weights the definition gives its groups (``[groups]``), or None."""
    given = survey.group_weights
    groups = _groups(survey)
    if not given or set(given) != set(groups):
        return None
    return IndexWeights.normalised({g: given[g] for g in groups}, "group",
                                   "given group weights, normalised to sum to one")


def equal_weights(survey: Survey) -> IndexWeights:
    groups = _groups(survey)
    return IndexWeights.normalised({g: 1.0 for g in groups}, "group", "equal group weights")


def derived_weights(survey: Survey) -> IndexWeights:
    """Derived regression weights: overall satisfaction (0-1000) regressed by ordinary least
    squares on the group scores (0-1000), over the respondents who answered it and every group;
    negative coefficients are set to 0 and the rest normalised to sum to one. One group has the
    weight 1. Falls back to equal weights when the survey has no overall item, fewer complete responses than groups + 2,
    or no positive coefficient."""
    if len(_groups(survey)) == 1:
        return equal_weights(survey)  # one group: nothing to weigh
    coef = regression_coefficients(survey)
    if coef is None or (coef.clip(lower=0) <= 0).all():
        w = equal_weights(survey)
        return IndexWeights(w.weights, "group", "equal group weights (too few complete answers "
                            "with overall satisfaction to derive weights)")
    return IndexWeights.normalised(coef.clip(lower=0).to_dict(), "group",
                                   "derived regression weights: OLS of overall satisfaction on "
                                   "the group scores, negatives set to 0, normalised to sum to one")


def weights_from_outer_weights(outer: pd.DataFrame) -> IndexWeights:
    """Fornell's rule (Fornell et al. 1996, ACSI): the index weighs each item of the
    satisfaction construct by its *unstandardised* outer weight, normalised to sum to one.

    ``outer``: a table with columns ``item`` and ``weight`` (unstandardised outer weights, as a
    PLS model of the survey gives them)."""
    if not {"item", "weight"} <= set(outer.columns):
        raise SurveyError("outer weights need the columns item and weight")
    return IndexWeights.normalised(dict(zip(outer["item"].astype(str),
                                            outer["weight"].astype(float))), "item",
                                   "Fornell's rule: unstandardised outer weights normalised to "
                                   "sum to one")


def choose_weights(survey: Survey, how: str = "auto") -> IndexWeights:
    """``given``, ``derived``, ``equal``, or ``auto``: given when the definition weighs the
    groups, else derived."""
    if how in ("auto", "given"):
        given = given_weights(survey)
        if given is not None:
            return given
        if how == "given":
            raise SurveyError("the survey's definition gives no group weights ([groups])")
    if how == "equal":
        return equal_weights(survey)
    return derived_weights(survey)


def weighted_columns(survey: Survey, weights: IndexWeights) -> tuple[np.ndarray, np.ndarray]:
    """The score matrix (responses × weighed columns, 0-1000, NaN unanswered) and weights."""
    if weights.level == "item":
        names = list(weights.weights)
        missing = [n for n in names if n not in set(survey.items["item"])]
        if missing:
            raise SurveyError(f"the weights name items the survey has not: {', '.join(missing)}")
        matrix = np.column_stack([survey.rescaled(n, TOP) for n in names])
    else:
        scores = group_scores(survey)
        names = list(weights.weights)
        matrix = scores[names].to_numpy(dtype=float)
    return matrix, np.array([weights.weights[n] for n in names])


def index_value(matrix: np.ndarray, w: np.ndarray) -> float:
    """Eq. I1 on one sample: ``Σ w_g S̄_g / Σ w_g`` over the columns answered at least once."""
    answered = ~np.isnan(matrix)
    counts = answered.sum(axis=0)
    means = np.where(counts > 0, np.nansum(matrix, axis=0) / np.maximum(counts, 1), 0.0)
    present = counts > 0
    if not present.any() or w[present].sum() <= 0:
        return float("nan")
    return float((w[present] * means[present]).sum() / w[present].sum())


def _bootstrap(matrix: np.ndarray, w: np.ndarray, n_boot: int, rng: np.random.Generator
               ) -> np.ndarray:
    """The index on ``n_boot`` resamples of the rows, as counts × sums (no copies of rows)."""
    n = matrix.shape[0]
    answered = (~np.isnan(matrix)).astype(float)
    filled = np.nan_to_num(matrix)
    out = np.empty(n_boot)
    step = max(1, min(n_boot, 5_000_000 // max(n, 1)))
    for start in range(0, n_boot, step):
        k = min(step, n_boot - start)
        counts = rng.multinomial(n, np.full(n, 1.0 / n), size=k).astype(float)
        sums, num = counts @ filled, counts @ answered
        present = num > 0
        means = np.where(present, sums / np.maximum(num, 1), 0.0)
        wp = present * w
        with np.errstate(invalid="ignore", divide="ignore"):
            out[start:start + k] = (wp * means).sum(axis=1) / wp.sum(axis=1)
    return out


def satisfaction_index(survey: Survey, weights: IndexWeights | None = None, *,
                       by: str | None = None, n_boot: int = N_BOOT, seed: int = SEED,
                       level: float = 0.95) -> pd.DataFrame:
    """The index (0-1000, eq. I1) with its percentile-bootstrap interval, overall or per value
    of the response column ``by`` (``store``, ``channel``, ``month`` or a customer column added
    by :func:`cvm.satisfaction.breakdown.with_customers`).

    Columns: ``by`` (when given), ``respondents``, ``index``, ``index_low``, ``index_high``
    and the mean score (0-1000) of each weighed group or item.
    """
    weights = weights or choose_weights(survey)
    matrix, w = weighted_columns(survey, weights)
    rng = np.random.default_rng(seed)
    alpha = (1 - level) / 2
    if by is None:
        keys = pd.Series("all", index=survey.responses.index)
    else:
        if by not in survey.responses:
            raise SurveyError(f"the responses have no column {by!r} to break the index down by")
        keys = survey.responses[by].astype(object).where(survey.responses[by].notna(), "—")
    rows = []
    for key in sorted(keys.unique(), key=str):
        mask = (keys == key).to_numpy()
        sub = matrix[mask]
        value = index_value(sub, w)
        draws = _bootstrap(sub, w, n_boot, rng) if len(sub) > 1 else np.array([value])
        if np.isnan(draws).all():
            low = high = float("nan")
        else:
            low, high = np.nanquantile(draws, [alpha, 1 - alpha])
        row = {"respondents": int(mask.sum()), "index": value, "index_low": float(low),
               "index_high": float(high)}
        with np.errstate(invalid="ignore"):
            for name, column in zip(weights.weights, sub.T):
                row[name] = float(np.nanmean(column)) if (~np.isnan(column)).any() else np.nan
        rows.append(({by: key} if by else {}) | row)
    return pd.DataFrame(rows)
