"""Churn risk: the probability that a customer makes no purchase in the next H days.

Candidates, each giving P(no purchase in (T, T + H] | history):

- each purchase model (Pareto/NBD, BG/NBD, MBG/NBD), by :func:`probability_no_purchase`;
  never BG/NBD's P(alive), which is 1 for every customer without a repeat purchase and so
  ranks the one-time buyers, the likeliest to be gone, as the safest;
- :class:`RecencyChurn`, a rule on the days since the last purchase;
- :class:`BehaviourChurnClassifier`, scikit-learn's gradient boosting (or logistic regression,
  the plain baseline) on behaviour features (:mod:`cvm.features.behaviour`), trained on
  features at an earlier cut-off and labels from the window that follows it.

:class:`ChurnRisk` fits them all without leakage, chooses the default by its AUC on the window
before the as-of date, and calibrates it so that 0.7 means 70 %.

The estimators follow scikit-learn: ``__init__`` stores hyperparameters, ``fit`` returns
``self``, learned values end in ``_``; ``predict_proba`` returns two columns, P(purchase) and
P(no purchase), the class 1 being "no purchase in the horizon".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._data import rf_stats
from .bgnbd import BGNBD
from .mbgnbd import MBGNBD
from .paretonbd import ParetoNBD, _log_terms
from .selection import MODEL_TITLES, PURCHASE_MODELS

__all__ = ["probability_no_purchase", "ModelChurn", "RecencyChurn", "BehaviourChurnClassifier",
           "ChurnCalibration", "ChurnRisk", "CANDIDATE_TITLES", "MODEL_CANDIDATES",
           "CLASSIFIER_CANDIDATES", "horizon_from_gaps", "window_for"]

logger = logging.getLogger(__name__)

MODEL_CANDIDATES = ("paretonbd", "bgnbd", "mbgnbd")
CLASSIFIER_CANDIDATES = ("gradient_boosting", "logistic")
CANDIDATE_TITLES = {
    **MODEL_TITLES, "recency": "recency rule", "gradient_boosting": "gradient boosting",
    "logistic": "logistic regression",
}
CANDIDATE_TITLES_ZH = {
    **MODEL_TITLES, "recency": "最近购买规则", "gradient_boosting": "梯度提升",
    "logistic": "逻辑回归",
}


# -- purchase models: P(X(T, T+t) = 0 | x, t_x, T) -------------------------------------------

def _log_likelihood_in_T(model, x, t_x, T) -> np.ndarray:
    """ln L(x, t_x, T) up to terms that depend on x alone (they cancel in a ratio over T)."""
    if isinstance(model, ParetoNBD):
        st = rf_stats({"frequency": x, "recency": t_x, "T": T}, model="ParetoNBD",
                      use_weights=False)
        b1, b2, _ = _log_terms(model._params(), st)
        # FH 2005 note, section 3: L = Gamma(r+x) alpha^r beta^s / Gamma(r) [e^B1 + e^B2]
        return np.logaddexp(b1, b2)[st.inverse]
    r, alpha, a, b = model._params()
    rx = r + x
    if isinstance(model, MBGNBD):
        # Batislam et al. 2007: L ∝ (alpha+T)^-(r+x) + a/(b+x) (alpha+t_x)^-(r+x)
        log_c = np.log(a) - np.log(b + x)
    elif isinstance(model, BGNBD):
        # Fader, Hardie & Lee 2005, eq. 6: L ∝ (alpha+T)^-(r+x)
        #   + delta_{x>0} a/(b+x-1) (alpha+t_x)^-(r+x)
        with np.errstate(divide="ignore"):
            log_c = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1.0, 1e-300)), -np.inf)
    else:
        raise TypeError(f"no churn probability for {type(model).__name__}")
    return np.logaddexp(-rx * np.log(alpha + T), log_c - rx * np.log(alpha + t_x))


def probability_no_purchase(model, data, t) -> np.ndarray:
    """P(X(T, T+t) = 0 | x, t_x, T): the probability that a customer with history (x, t_x, T)
    makes no purchase in the next ``t`` time units, under a fitted BG/NBD, MBG/NBD or
    Pareto/NBD model.

    The likelihood L(x, t_x, T) of each model is the probability of the observed purchases and
    of none in (t_x, T]; the same history followed by no purchase in (T, T+t] has likelihood
    L(x, t_x, T+t). So

        P(X(T, T+t) = 0 | x, t_x, T) = L(x, t_x, T+t) / L(x, t_x, T),

    with L from Fader, Hardie & Lee 2005, eq. 6 (BG/NBD), Fader & Hardie 2005 note, section 3
    (Pareto/NBD) and Batislam et al. 2007 (MBG/NBD). It includes both ways of making no
    purchase: dropping out, and staying but not buying within ``t``.

    >>> m = BGNBD()
    >>> m.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    >>> p = probability_no_purchase(m, {"frequency": [0], "recency": [0], "T": [30]}, 39)
    >>> round(float(p[0]), 4)  # x = 0: alive for BG/NBD, ((alpha+T)/(alpha+T+t))^r
    0.8318
    """
    model._check_fitted()
    t = float(model._horizon(t))
    x = np.asarray(data["frequency"], dtype=float)
    t_x = np.asarray(data["recency"], dtype=float)
    T = np.asarray(data["T"], dtype=float)
    log_ratio = _log_likelihood_in_T(model, x, t_x, T + t) - _log_likelihood_in_T(model, x, t_x, T)
    return np.clip(np.exp(log_ratio), 0.0, 1.0)


def _two_columns(p: np.ndarray) -> np.ndarray:
    return np.column_stack([1.0 - p, p])


class ModelChurn:
    """Churn probability from a purchase model: P(no purchase in the next ``horizon`` units).

    ``fit(data)`` fits the model (``"paretonbd"``, ``"bgnbd"``, ``"mbgnbd"``) on ``frequency``,
    ``recency`` and ``T``; ``predict_proba(data)`` gives :func:`probability_no_purchase`.
    """

    def __init__(self, model: str = "paretonbd", horizon: float = 1.0):
        self.model = model
        self.horizon = horizon

    def fit(self, data, y=None):
        if self.model not in PURCHASE_MODELS:
            raise ValueError(f"unknown purchase model {self.model!r}: choose one of "
                             f"{', '.join(PURCHASE_MODELS)}")
        self.model_ = PURCHASE_MODELS[self.model]().fit(data)
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, data) -> np.ndarray:
        return _two_columns(probability_no_purchase(self.model_, data, self.horizon))


class RecencyChurn:
    """The recency rule: risk = d / (d + ``horizon_days``), d the days since the last purchase.

    Half at a silence as long as the horizon, rising towards 1 as the silence grows: a ranking
    by recency alone (calibrate it before reading it as a probability). Nothing is learned.
    """

    def __init__(self, horizon_days: float = 90.0):
        self.horizon_days = horizon_days

    def fit(self, X=None, y=None):
        if not self.horizon_days > 0:
            raise ValueError(f"horizon_days must be > 0, got {self.horizon_days}")
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X) -> np.ndarray:
        d = np.asarray(X["recency_days"], dtype=float)
        return _two_columns(d / (d + float(self.horizon_days)))


# -- the classifier on behaviour features ---------------------------------------------------

#: features the classifiers use (see cvm.features.behaviour)
CLASSIFIER_FEATURES = ("frequency", "recency_days", "tenure_days", "monetary_total",
                       "monetary_avg", "mean_gap_days", "silence_ratio", "recent_purchase_days",
                       "recent_spend", "prior_spend", "spend_trend", "category_count")
#: added by ChurnRisk: the reference purchase model's P(no purchase in the window), fitted on
#: the same history as the other features (a summary of the customer's whole rhythm)
MODEL_FEATURE = "model_no_purchase"


def _log_features(X: np.ndarray) -> np.ndarray:
    """log1p of the non-negative features (days, counts, money), for the linear baseline."""
    return np.sign(X) * np.log1p(np.abs(X))


def _make_estimator(method: str, random_state):
    if method == "gradient_boosting":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(max_iter=150, learning_rate=0.06, max_leaf_nodes=15,
                                              min_samples_leaf=100, l2_regularization=1.0,
                                              early_stopping=False, random_state=random_state)
    if method == "logistic":
        from sklearn.impute import SimpleImputer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import FunctionTransformer, StandardScaler

        return make_pipeline(SimpleImputer(strategy="constant", fill_value=0.0, add_indicator=True,
                                           keep_empty_features=True),
                             FunctionTransformer(_log_features), StandardScaler(),
                             LogisticRegression(max_iter=1000))
    raise ValueError(f"unknown classifier {method!r}: choose gradient_boosting or logistic")


class BehaviourChurnClassifier:
    """A classifier of "no purchase in the window" on behaviour features, cross-fitted.

    ``fit(X, y)`` splits the customers at random into ``n_splits`` folds, trains one model per
    fold on the other folds (at most ``max_train_rows`` of them, drawn at random) and keeps
    each fold's out-of-fold probabilities in ``oof_proba_``: scores on customers the model did
    not learn from, for calibration and for choosing between candidates. ``predict_proba``
    averages the fold models. ``method``: ``"gradient_boosting"`` (scikit-learn's
    HistGradientBoostingClassifier) or ``"logistic"`` (logistic regression on log features,
    the plain baseline).
    """

    def __init__(self, method: str = "gradient_boosting", n_splits: int = 2,
                 max_train_rows: int | None = 100_000, random_state: int = 0):
        self.method = method
        self.n_splits = n_splits
        self.max_train_rows = max_train_rows
        self.random_state = random_state

    @staticmethod
    def _matrix(X) -> np.ndarray:
        missing = [c for c in CLASSIFIER_FEATURES if c not in X]
        if missing:
            raise ValueError(f"behaviour features missing: {', '.join(missing)}")
        names = CLASSIFIER_FEATURES + ((MODEL_FEATURE,) if MODEL_FEATURE in X else ())
        return np.column_stack([np.asarray(X[c], dtype=float) for c in names])

    def fit(self, X, y):
        A = self._matrix(X)
        # a feature with no value at all (no spend in either window, say) carries nothing
        self.features_used_ = np.flatnonzero(np.isfinite(A).any(axis=0))
        A = A[:, self.features_used_]
        y = np.asarray(y, dtype=int)
        if len(np.unique(y)) < 2:
            raise ValueError("the labels hold one class only: every customer bought again, or "
                             "none did, in the window; a classifier cannot learn from that")
        if self.n_splits < 2:
            raise ValueError(f"n_splits must be at least 2, got {self.n_splits}")
        rng = np.random.default_rng(self.random_state)
        fold = rng.permutation(len(y)) % self.n_splits
        oof = np.empty(len(y))
        self.estimators_ = []
        for k in range(self.n_splits):
            train = np.flatnonzero(fold != k)
            if self.max_train_rows and train.size > self.max_train_rows:
                train = np.sort(rng.choice(train, self.max_train_rows, replace=False))
            if len(np.unique(y[train])) < 2:
                raise ValueError("a training fold holds one class only: too few customers")
            est = _make_estimator(self.method, self.random_state).fit(A[train], y[train])
            test = fold == k
            oof[test] = est.predict_proba(A[test])[:, 1]
            self.estimators_.append(est)
        self.oof_proba_ = oof
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X) -> np.ndarray:
        A = self._matrix(X)[:, self.features_used_]
        p = np.mean([est.predict_proba(A)[:, 1] for est in self.estimators_], axis=0)
        return _two_columns(p)


# -- calibration ----------------------------------------------------------------------------

class ChurnCalibration:
    """Maps a score to the observed rate of the event: isotonic regression (a non-decreasing
    step function, Zadrozny & Elkan 2002) or Platt scaling (a logistic regression on the
    score's log-odds, Platt 1999). Fitted on scores and labels the scored model never saw."""

    def __init__(self, method: str = "isotonic"):
        self.method = method

    @staticmethod
    def _logit(p):
        p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
        return (np.log(p) - np.log1p(-p)).reshape(-1, 1)

    def fit(self, scores, y):
        s = np.asarray(scores, dtype=float)
        y = np.asarray(y, dtype=float)
        if self.method == "isotonic":
            from sklearn.isotonic import IsotonicRegression

            self.mapping_ = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(s, y)
        elif self.method == "platt":
            from sklearn.linear_model import LogisticRegression

            self.mapping_ = LogisticRegression(C=1e6, max_iter=1000).fit(self._logit(s), y)
        else:
            raise ValueError(f"unknown calibration {self.method!r}: choose isotonic or platt")
        return self

    def predict(self, scores) -> np.ndarray:
        s = np.asarray(scores, dtype=float)
        if self.method == "isotonic":
            return np.clip(self.mapping_.predict(s), 0.0, 1.0)
        return self.mapping_.predict_proba(self._logit(s))[:, 1]


# -- horizon and training window ------------------------------------------------------------

def horizon_from_gaps(gap_quantile_days: float | None) -> int:
    """The default horizon H from the data's purchase cycle: the 90th percentile of the days
    between a customer's consecutive purchase days (:func:`cvm.features.behaviour.
    purchase_gap_quantile`), rounded up to whole weeks, at least 7 days. A customer silent
    for H days has gone past the gap within which nine in ten repeat purchases come."""
    if gap_quantile_days is None or not np.isfinite(gap_quantile_days):
        raise ValueError("no customer bought on two different days: the purchase cycle, and so "
                         "the churn horizon, cannot be read from the data; give the horizon")
    return int(max(7, 7 * np.ceil(float(gap_quantile_days) / 7)))


def window_for(horizon_days: int, median_tenure_days: float) -> int:
    """The label window L of the classifier: features at ``as_of - L``, labels "no purchase in
    (as_of - L, as_of]". L is the horizon H, shortened when the history is too short: at the
    cut-off half of today's customers must have been customers for at least L days, so
    L <= median tenure / 2. Raises ValueError below 7 days."""
    window = int(min(horizon_days, np.floor(median_tenure_days / 2)))
    if window < 7:
        raise ValueError(f"the history is too short to learn churn without looking ahead: half "
                         f"the customers have been customers for less than "
                         f"{median_tenure_days:.0f} days, which leaves a window of {window} "
                         "days before the as-of date (7 at least)")
    return window


# -- all candidates together ----------------------------------------------------------------

def rf_data(features: pd.DataFrame, unit_days: float) -> pd.DataFrame:
    """frequency / recency (t_x) / T in units of ``unit_days`` from behaviour features."""
    tenure = features["tenure_days"].to_numpy(dtype=float)
    return pd.DataFrame({
        "frequency": features["frequency"].to_numpy(dtype=float),
        "recency": (tenure - features["recency_days"].to_numpy(dtype=float)) / unit_days,
        "T": tenure / unit_days,
    })


def _auc(y, s) -> float:
    from .churn_metrics import roc_auc

    return roc_auc(y, s)


@dataclass
class CandidateFit:
    """One candidate's figures on the window before the as-of date (the inner holdout)."""

    name: str
    inner_auc: float
    inner_brier: float
    note: str = ""


class ChurnRisk:
    """All churn candidates, fitted without leakage; the default chosen and calibrated.

    ``fit(earlier, labels, current)``: ``earlier`` holds behaviour features at the cut-off
    ``as_of - window_days``, ``labels`` says which of those customers made no purchase in the
    window that follows (up to the as-of date), ``current`` holds the features at the as-of
    date. Nothing after the as-of date is used.

    - Purchase models are fitted on ``earlier`` (their window scores are judged against the
      labels) and again on ``current`` (the scores that are kept).
    - Classifiers are cross-fitted on ``earlier`` and ``labels``; their out-of-fold scores are
      judged, the fold models score ``current``.
    - The default (``chosen_``) is the candidate with the highest AUC on the window; ties go to
      the lower Brier score.
    - Each candidate's calibration is fitted on its window scores against the labels. When the
      window is shorter than the horizon, the calibrated window probability is carried to the
      horizon by the purchase model: P(none in H) = P(none in L) x P(none in (L, H] | none in
      L), the second factor P_model(none in H) / P_model(none in L) from the candidate's own
      model, or for the rule and the classifiers from the best-fitting model (highest
      log-likelihood; all have four parameters).

    ``predict(current)`` returns a frame with ``score_<candidate>`` (each candidate's own
    probability of no purchase in the horizon, uncalibrated), ``calibrated_<candidate>``,
    ``churn_risk`` (the chosen one, calibrated) and ``churn_model``.
    """

    def __init__(self, *, horizon_days: int, window_days: int | None = None,
                 candidates: tuple[str, ...] = MODEL_CANDIDATES + ("recency",) + CLASSIFIER_CANDIDATES,
                 calibration: str = "isotonic", unit_days: float = 7.0,
                 max_train_rows: int | None = 100_000, random_state: int = 0):
        self.horizon_days = horizon_days
        self.window_days = window_days
        self.candidates = candidates
        self.calibration = calibration
        self.unit_days = unit_days
        self.max_train_rows = max_train_rows
        self.random_state = random_state

    # -- fitting --------------------------------------------------------------------------
    def _fit_models(self, data: pd.DataFrame) -> dict:
        fitted = {}
        for name in MODEL_CANDIDATES:
            if name not in self.candidates and name != "paretonbd":
                continue
            try:
                fitted[name] = PURCHASE_MODELS[name]().fit(data)
            except ValueError as exc:
                logger.warning("churn: %s not fitted: %s", MODEL_TITLES[name], exc)
        return fitted

    def fit(self, earlier: pd.DataFrame, labels, current: pd.DataFrame):
        H = int(self.horizon_days)
        L = int(self.window_days or H)
        if L > H:
            raise ValueError(f"the window ({L} days) must not exceed the horizon ({H} days)")
        y = np.asarray(labels, dtype=int)
        if len(y) != len(earlier):
            raise ValueError("labels and earlier features have different lengths")
        if len(np.unique(y)) < 2:
            raise ValueError("in the window before the as-of date every customer bought again, "
                             "or none did: churn cannot be learned from it")
        unit = float(self.unit_days)
        rf_then, rf_now = rf_data(earlier, unit), rf_data(current, unit)
        self.models_then_ = self._fit_models(rf_then)
        self.models_now_ = self._fit_models(rf_now)
        usable = {k: m for k, m in self.models_now_.items() if m.converged_}
        pool = usable or self.models_now_
        if not pool:
            raise ValueError("no purchase model could be fitted: no customer bought twice")
        self.reference_model_ = max(pool, key=lambda k: pool[k].log_likelihood_)
        if self.reference_model_ in self.models_then_:
            earlier = earlier.assign(**{MODEL_FEATURE: probability_no_purchase(
                self.models_then_[self.reference_model_], rf_then, L / unit)})
        window_scores = {}
        self.classifiers_ = {}
        for name in self.candidates:
            if name in MODEL_CANDIDATES:
                if name in self.models_then_ and name in self.models_now_:
                    window_scores[name] = probability_no_purchase(self.models_then_[name], rf_then,
                                                                  L / unit)
            elif name == "recency":
                window_scores[name] = RecencyChurn(L).fit().predict_proba(earlier)[:, 1]
            elif name in CLASSIFIER_CANDIDATES:
                clf = BehaviourChurnClassifier(name, max_train_rows=self.max_train_rows,
                                               random_state=self.random_state).fit(earlier, y)
                self.classifiers_[name] = clf
                window_scores[name] = clf.oof_proba_
            else:
                raise ValueError(f"unknown churn candidate {name!r}: choose from "
                                 f"{', '.join(CANDIDATE_TITLES)}")
        self.window_scores_ = window_scores
        self.calibrations_ = {name: ChurnCalibration(self.calibration).fit(s, y)
                              for name, s in window_scores.items()}
        self.window_fits_ = [CandidateFit(name, _auc(y, s), float(np.mean((s - y) ** 2)))
                             for name, s in window_scores.items()]
        best = max(self.window_fits_, key=lambda f: (round(f.inner_auc, 12), -f.inner_brier))
        self.chosen_ = best.name
        self.window_base_rate_ = float(y.mean())
        self.window_days_ = L
        return self

    # -- scoring ----------------------------------------------------------------------------
    def _carry(self, name: str, data: pd.DataFrame) -> np.ndarray:
        """P_model(none in H) / P_model(none in L): the chance of no purchase in (L, H] given
        none in L, from the candidate's model or the reference model."""
        H, L, unit = self.horizon_days, self.window_days_, float(self.unit_days)
        if L == H:
            return np.ones(len(data))
        model = self.models_now_[name if name in self.models_now_ else self.reference_model_]
        p_h = probability_no_purchase(model, data, H / unit)
        p_l = probability_no_purchase(model, data, L / unit)
        return np.where(p_l > 0, p_h / np.maximum(p_l, 1e-300), 0.0)

    def predict(self, current: pd.DataFrame) -> pd.DataFrame:
        if not hasattr(self, "chosen_"):
            from ._base import NotFittedError

            raise NotFittedError("This ChurnRisk is not fitted yet; call fit first")
        H, L, unit = self.horizon_days, self.window_days_, float(self.unit_days)
        rf_now = rf_data(current, unit)
        if self.reference_model_ in self.models_then_:
            current = current.assign(**{MODEL_FEATURE: probability_no_purchase(
                self.models_now_[self.reference_model_], rf_now, L / unit)})
        out = {"customer_id": current["customer_id"].to_numpy()}
        for name in self.window_scores_:
            carry = self._carry(name, rf_now)
            if name in MODEL_CANDIDATES:
                model = self.models_now_[name]
                raw = probability_no_purchase(model, rf_now, H / unit)
                window = probability_no_purchase(model, rf_now, L / unit)
            elif name == "recency":
                raw = RecencyChurn(H).fit().predict_proba(current)[:, 1]
                window = RecencyChurn(L).fit().predict_proba(current)[:, 1]
            else:
                window = self.classifiers_[name].predict_proba(current)[:, 1]
                raw = window * carry
            out[f"score_{name}"] = raw
            out[f"calibrated_{name}"] = np.clip(self.calibrations_[name].predict(window) * carry,
                                                0.0, 1.0)
        frame = pd.DataFrame(out)
        frame["churn_risk"] = frame[f"calibrated_{self.chosen_}"]
        frame["churn_model"] = self.chosen_
        return frame

    def reason(self, lang: str = "en") -> str:
        """Why the default won, in words."""
        fits = sorted(self.window_fits_, key=lambda f: -f.inner_auc)
        titles = CANDIDATE_TITLES_ZH if lang == "zh" else CANDIDATE_TITLES
        others = ", ".join(f"{titles[f.name]} {f.inner_auc:.3f}" for f in fits[1:])
        best = fits[0]
        if lang == "zh":
            return (f"默认采用{titles[best.name]}:在截止日前 {self.window_days_} 天的窗口中"
                    f"(特征取自窗口开始时,未使用截止日之后的数据)它的 AUC 最高,为 "
                    f"{best.inner_auc:.3f}(其余:{others});并按该窗口的实际流失率做了"
                    f"{'保序回归' if self.calibration == 'isotonic' else 'Platt'}校准。")
        return (f"The default is {titles[best.name]}: on the {self.window_days_} days before the "
                f"as-of date (features taken at the start of that window, nothing after the "
                f"as-of date used) it had the highest AUC, {best.inner_auc:.3f} (others: "
                f"{others}); it is calibrated ({self.calibration}) on what customers did in "
                "that window.")
