"""An uplift model learned from a past campaign's results and checked on a held-out part.

:func:`evaluate_uplift` takes one row per customer of the campaign — the group it was in
(treated, or the control value), the outcome (1 if it bought / responded), an optional id, and
any other columns as features — splits off a held-out part (stratified by group × outcome),
fits the two-model and the class-transformation uplift models on the rest (text columns with a
distinct value on most rows, such as names, are left out of the features), and measures both on
the held-out part (Qini curve, Qini AUC, uplift@k: :mod:`cvm.models.uplift_metrics`). The model
with the higher held-out Qini AUC scores the customers; since the held-out part picks it, its
figures are slightly optimistic when both are close.

:func:`score_customers` scores current customers with that model and sorts them into uplift
groups (:func:`cvm.models.uplift.uplift_segments`): target the persuadable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from ..errors import CvmError
from .uplift import ClassTransformationUplift, TwoModelUplift, uplift_segments
from .uplift_metrics import qini_auc_score, qini_curve, uplift_at_k

__all__ = ["UpliftError", "UpliftEvaluation", "evaluate_uplift", "score_customers",
           "MODEL_TITLES"]

#: the uplift models compared, by name
MODEL_TITLES = {"two_model": "two-model (T-learner)",
                "class_transformation": "class transformation"}
_KS = (0.1, 0.2, 0.3, 0.5)


class UpliftError(CvmError):
    """Campaign results an uplift model cannot be learned from; the message says why."""


@dataclass
class UpliftEvaluation:
    """What :func:`evaluate_uplift` found: ``scores`` (held-out ``id, uplift, treated,
    outcome``), ``metrics`` (per model: ``qini_auc``, ``uplift_at_10`` … ``uplift_at_50``),
    ``curves`` (per model and ``perfect``: Qini points), ``chosen`` (the scoring model's name),
    and the fitted models."""

    scores: pd.DataFrame
    metrics: dict[str, dict[str, float]]
    curves: dict[str, tuple[np.ndarray, np.ndarray]]
    chosen: str
    models: dict[str, object]
    control_model: TwoModelUplift
    features: list[str]
    dummies: list[str]
    summary: dict = field(default_factory=dict)


def _outcome(values: pd.Series, column: str) -> np.ndarray:
    text = values.astype(str).str.strip().str.lower()
    mapping = {"1": 1, "0": 0, "1.0": 1, "0.0": 0, "true": 1, "false": 0, "yes": 1, "no": 0}
    out = text.map(mapping)
    if out.isna().any():
        bad = values[out.isna()].iloc[0]
        raise UpliftError(f"the outcome column {column} must hold 1/0 (or true/false, yes/no); "
                          f"found {bad!r}")
    return out.to_numpy(dtype=int)


def _id_like(frame: pd.DataFrame, features: list[str]) -> list[str]:
    """Text columns with a distinct value on most rows (an id, a name): as one-hot features they
    would be thousands of columns that say nothing about another customer."""
    out = []
    for c in features:
        values = frame[c].dropna()
        if pd.to_numeric(values, errors="coerce").notna().all():
            continue
        if values.nunique() > max(20, 0.5 * len(values)):
            out.append(c)
    return out


def _design(frame: pd.DataFrame, features: list[str], dummies: list[str] | None
            ) -> tuple[np.ndarray, list[str]]:
    """The feature matrix: numeric columns as they are, other columns one-hot encoded (with the
    training data's categories when ``dummies`` is given)."""
    data = frame[features].copy()
    for c in features:
        converted = pd.to_numeric(data[c], errors="coerce")
        if converted.notna().sum() >= data[c].notna().sum():
            data[c] = converted
    encoded = pd.get_dummies(data, dummy_na=False, dtype=float)
    if dummies is not None:
        encoded = encoded.reindex(columns=dummies, fill_value=0.0)
    return encoded.to_numpy(dtype=float), list(encoded.columns)


def evaluate_uplift(frame: pd.DataFrame, *, group_column: str, control: str, outcome: str,
                    id_column: str | None = None, test_share: float = 0.3,
                    seed: int = 0) -> UpliftEvaluation:
    """Fit and compare the uplift models on a past campaign (see the module documentation)."""
    for name in [group_column, outcome] + ([id_column] if id_column else []):
        if name not in frame.columns:
            raise UpliftError(f"the campaign file has no column {name!r}; its columns are "
                              + ", ".join(map(str, frame.columns)))
    groups = frame[group_column].astype(str).str.strip()
    if not (groups == str(control).strip()).any():
        raise UpliftError(f"no row of {group_column} holds the control value {control!r}")
    treated = (groups != str(control).strip()).to_numpy(dtype=int)
    y = _outcome(frame[outcome], outcome)
    ids = (frame[id_column].astype(str).to_numpy() if id_column
           else np.arange(1, len(frame) + 1).astype(str))
    features = [c for c in frame.columns if c not in {group_column, outcome, id_column}]
    ignored = _id_like(frame, features)
    features = [c for c in features if c not in ignored]
    if not features:
        raise UpliftError("the campaign file has no feature columns besides the group, the "
                          "outcome and the id")
    strata = treated * 2 + y
    if np.bincount(strata, minlength=4).min() < 4:
        raise UpliftError("uplift needs at least 4 customers in each of: treated with and "
                          "without the outcome, control with and without it")
    train, test = train_test_split(np.arange(len(frame)), test_size=test_share,
                                   random_state=seed, stratify=strata)
    X_train, dummies = _design(frame.iloc[train], features, None)
    X_test, _ = _design(frame.iloc[test], features, dummies)
    models = {"two_model": TwoModelUplift(), "class_transformation": ClassTransformationUplift()}
    metrics, curves, predicted = {}, {}, {}
    y_te, w_te = y[test], treated[test]
    for name, model in models.items():
        # one thread: on campaign-sized data, threads that wait for busy cores cost more than
        # they give
        with threadpool_limits(1):
            model.fit(X_train, treated[train], y[train])
            u = model.predict(X_test)
        predicted[name] = u
        curves[name] = qini_curve(y_te, u, w_te)
        metrics[name] = {"qini_auc": qini_auc_score(y_te, u, w_te),
                         **{f"uplift_at_{round(k * 100)}": uplift_at_k(y_te, u, w_te, k)
                            for k in _KS}}
    x_p, q_p = qini_curve(y_te, y_te * w_te - y_te * (1 - w_te), w_te)
    curves["perfect"] = (x_p, q_p)
    chosen = max(models, key=lambda m: metrics[m]["qini_auc"])
    scores = pd.DataFrame({"id": ids[test], "uplift": predicted[chosen],
                           "treated": w_te, "outcome": y_te})
    scores = scores.sort_values("uplift", ascending=False, kind="mergesort").reset_index(drop=True)
    control_model = models["two_model"]
    ate = float(y_te[w_te == 1].mean() - y_te[w_te == 0].mean())
    summary = {
        "customers": int(len(frame)), "treated": int(treated.sum()),
        "control": int(len(frame) - treated.sum()), "held_out": int(len(test)),
        "test_share": test_share, "seed": seed, "features": dummies,
        "ignored_columns": ignored, "chosen": chosen,
        "chosen_title": MODEL_TITLES[chosen],
        # the random targeting baseline: every k gives the held-out average effect
        "average_uplift": ate,
        "response_treated": float(y_te[w_te == 1].mean()),
        "response_control": float(y_te[w_te == 0].mean()),
        "models": {m: {"title": MODEL_TITLES[m], **v} for m, v in metrics.items()},
    }
    return UpliftEvaluation(scores, metrics, curves, chosen, models, control_model, features,
                            dummies, summary)


def score_customers(evaluation: UpliftEvaluation, frame: pd.DataFrame, *,
                    id_column: str | None = None, min_uplift: float = 0.02) -> pd.DataFrame:
    """Current customers scored by the chosen model: ``id``, ``uplift``,
    ``probability_outcome_control`` (the outcome's probability without treatment),
    ``uplift_segment`` and ``target`` (1 for the persuadable); highest uplift first."""
    missing = [c for c in evaluation.features if c not in frame.columns]
    if missing:
        raise UpliftError("the customers to score lack the campaign's feature columns: "
                          + ", ".join(missing))
    X, _ = _design(frame, evaluation.features, evaluation.dummies)
    with threadpool_limits(1):
        u = evaluation.models[evaluation.chosen].predict(X)
        _, p_c = evaluation.control_model.predict_outcomes(X)
    ids = (frame[id_column].astype(str).to_numpy() if id_column
           else np.arange(1, len(frame) + 1).astype(str))
    segment = uplift_segments(u, p_c, min_uplift=min_uplift)
    out = pd.DataFrame({"id": ids, "uplift": u, "probability_outcome_control": p_c,
                        "uplift_segment": segment,
                        "target": (segment == "persuadable").astype(int)})
    return out.sort_values("uplift", ascending=False, kind="mergesort").reset_index(drop=True)
