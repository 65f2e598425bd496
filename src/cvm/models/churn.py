"""Churn risk: the probability that a customer makes no purchase in the next H days.

Candidates, each giving P(no purchase in (T, T + H] | history):

- each purchase model (Pareto/NBD, BG/NBD, MBG/NBD), by :func:`probability_no_purchase`;
  never BG/NBD's P(alive), which is 1 for every customer without a repeat purchase and so
  ranks the one-time buyers, the likeliest to be gone, as the safest;
- :class:`RecencyChurn`, a rule on the days since the last purchase;
- :class:`~cvm.models.churn_classifier.BehaviourChurnClassifier`, scikit-learn's gradient
  boosting or an additive logistic regression (one spline curve per feature) on behaviour features
  (:mod:`cvm.features.behaviour`) and the purchase models' probabilities, trained on features
  at an earlier cut-off and labels from the window that follows it.

:class:`ChurnRisk` fits them all without leakage, calibrates each (isotonic or Platt, whichever
has the lower log loss on held-out customers of the window before the as-of date) so that 0.7
means 70 %, and chooses the default by the log loss of its calibrated score on those held-out
customers (a proper scoring rule: calibration and ranking both count).

The estimators follow scikit-learn: ``__init__`` stores hyperparameters, ``fit`` returns
``self``, learned values end in ``_``; ``predict_proba`` returns two columns, P(purchase) and
P(no purchase), the class 1 being "no purchase in the horizon".
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._data import compress, rf_stats
from .bgnbd import BGNBD
from .churn_classifier import (MODEL_FEATURE_PREFIX, BehaviourChurnClassifier, _one_thread,
                               in_one_thread)
from .mbgnbd import MBGNBD
from .paretonbd import ParetoNBD, _log_terms
from .selection import MODEL_TITLES, PURCHASE_MODELS

__all__ = ["probability_no_purchase", "ModelChurn", "RecencyChurn", "BehaviourChurnClassifier",
           "ChurnCalibration", "ChurnRisk", "CANDIDATE_TITLES", "MODEL_CANDIDATES",
           "CLASSIFIER_CANDIDATES", "horizon_from_gaps", "window_for", "rf_data"]

logger = logging.getLogger(__name__)

MODEL_CANDIDATES = ("paretonbd", "bgnbd", "mbgnbd")
CLASSIFIER_CANDIDATES = ("gradient_boosting", "logistic")
#: the calibration methods ``calibration="auto"`` chooses between, per candidate
CALIBRATIONS = ("isotonic", "platt")
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
    return _no_purchase_at(model, data, (t,))[0]


def _no_purchase_at(model, data, horizons) -> list[np.ndarray]:
    """:func:`probability_no_purchase` at several horizons, L(x, t_x, T) computed once."""
    model._check_fitted()
    ts = [float(model._horizon(t)) for t in horizons]
    x = np.asarray(data["frequency"], dtype=float)
    t_x = np.asarray(data["recency"], dtype=float)
    T = np.asarray(data["T"], dtype=float)
    base = _log_likelihood_in_T(model, x, t_x, T)
    return [np.clip(np.exp(_log_likelihood_in_T(model, x, t_x, T + t) - base), 0.0, 1.0)
            for t in ts]


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


# -- calibration ----------------------------------------------------------------------------

class ChurnCalibration:
    """Maps a score to the observed rate of the event: isotonic regression (a non-decreasing
    step function, Zadrozny & Elkan 2002) or Platt scaling (a logistic regression on the
    score's log-odds, Platt 1999). Fitted on scores and labels the scored model never saw.

    Isotonic regression pools the scores into blocks and gives each block its observed rate
    k / n, which is exactly 0 or 1 for a block where every customer bought again or none did:
    a risk of "0 %" that no customer has. Each block's rate is read instead as the mean of its
    Beta(1, 1) posterior, (k + 1) / (n + 2) (Laplace's rule of succession), kept
    non-decreasing; a block of hundreds moves by less than 1/n, a pure block of ten says 1/12
    or 11/12.
    """

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
            pooled = self.mapping_.predict(s)
            self.block_rates_, block, sizes = np.unique(pooled, return_inverse=True,
                                                         return_counts=True)
            events = np.bincount(block, weights=y, minlength=len(sizes))
            self.block_posteriors_ = np.maximum.accumulate((events + 1.0) / (sizes + 2.0))
        elif self.method == "platt":
            from sklearn.linear_model import LogisticRegression

            self.mapping_ = LogisticRegression(C=1e6, max_iter=1000).fit(self._logit(s), y)
        else:
            raise ValueError(f"unknown calibration {self.method!r}: choose isotonic or platt")
        return self

    def predict(self, scores) -> np.ndarray:
        s = np.asarray(scores, dtype=float)
        if self.method == "isotonic":
            return np.interp(self.mapping_.predict(s), self.block_rates_, self.block_posteriors_)
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


class _Histories:
    """The (x, t_x, T) histories of a feature table compressed to unique rows, so that each
    purchase model's likelihood is evaluated once per distinct history."""

    def __init__(self, features: pd.DataFrame, unit_days: float):
        rf = rf_data(features, unit_days)
        columns, counts, self.inverse = compress([rf[c].to_numpy() for c in rf.columns])
        self.unique = pd.DataFrame(dict(zip(rf.columns, columns)))
        self.counts = counts

    def table(self) -> pd.DataFrame:
        """The unique histories with their counts as ``weights`` (what the models fit on)."""
        return self.unique.assign(weights=self.counts)

    def no_purchase(self, model, horizons) -> list[np.ndarray]:
        return [p[self.inverse] for p in _no_purchase_at(model, self.unique, horizons)]


def _ratio(p_h: np.ndarray, p_l: np.ndarray) -> np.ndarray:
    return np.where(p_l > 0, p_h / np.maximum(p_l, 1e-300), 0.0)


def _selection_key(fit: CandidateFit) -> tuple:
    """The default is the lowest held-out log loss; ties go to the higher AUC."""
    return (round(fit.inner_log_loss, 12), -fit.inner_auc)


def _log_loss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))


@dataclass
class CandidateFit:
    """One candidate's figures on the window before the as-of date (the inner holdout):
    the AUC of its own score, and the Brier score and log loss of its calibrated score, each
    customer's calibration fitted on the other half of the window's customers, with the
    calibration method (isotonic or Platt) that gave the lower log loss."""

    name: str
    inner_auc: float
    inner_brier: float
    inner_log_loss: float
    calibration: str = "isotonic"


class ChurnRisk:
    """All churn candidates, fitted without leakage; the default chosen and calibrated.

    ``fit(earlier, labels, current)``: ``earlier`` holds behaviour features at the cut-off
    ``as_of - window_days``, ``labels`` says which of those customers made no purchase in the
    window that follows (up to the as-of date), ``current`` holds the features at the as-of
    date. Nothing after the as-of date is used.

    - Purchase models are fitted on ``earlier`` (their window scores are judged against the
      labels) and again on ``current`` (the scores that are kept), starting from the earlier
      fit; each on at most ``max_fit_rows`` customers drawn at random (four population
      parameters: a larger sample moves them by less than their standard errors), compressed
      to unique (x, t_x, T) histories.
    - The training window is judged on at most ``max_window_rows`` of its customers, drawn at
      random: the classifiers are trained there (:class:`BehaviourChurnClassifier`, on at most
      ``max_train_rows`` customers per model, with each purchase model's P(no purchase in the
      window) as extra features), and every candidate's out-of-sample window scores are
      compared with the labels.
    - Each customer's window score is calibrated by a calibration fitted on the other half of
      the window's customers, with isotonic regression and with Platt scaling; each candidate
      keeps the method with the lower log loss of these held-out calibrated scores
      (``calibration="auto"``; ``"isotonic"`` or ``"platt"`` fixes it;
      ``calibration_methods_``). The default (``chosen_``) is the candidate with the lowest
      such log loss (a proper scoring rule on held-out customers: it rewards calibration and
      ranking alike, and punishes confident errors most); ties go to the higher AUC.
    - Each candidate's calibration is then fitted on all its window scores. When the window is
      shorter than the horizon, the calibrated window probability is carried to the horizon by
      the purchase model: P(none in H) = P(none in L) x P(none in (L, H] | none in L), the
      second factor P_model(none in H) / P_model(none in L) from the candidate's own model, or
      for the rule and the classifiers the mean of that factor over the fitted purchase models
      (``carry_models_``, the converged ones): the models agree on the customers' window but
      differ in how they continue a silence, and no one model's continuation is read from the
      window (an equal-weight model average; ``reference_model_`` is the best-fitting model,
      highest log-likelihood, all have four parameters).

    ``predict(current)`` returns a frame with ``score_<candidate>`` (each candidate's own
    probability of no purchase in the horizon, uncalibrated), ``calibrated_<candidate>``,
    ``churn_risk`` (the chosen one, calibrated) and ``churn_model``.
    """

    def __init__(self, *, horizon_days: int, window_days: int | None = None,
                 candidates: tuple[str, ...] = MODEL_CANDIDATES + ("recency",) + CLASSIFIER_CANDIDATES,
                 calibration: str = "auto", unit_days: float = 7.0,
                 max_fit_rows: int | None = 50_000, max_window_rows: int | None = 120_000,
                 max_train_rows: int | None = 50_000, random_state: int = 0):
        self.horizon_days = horizon_days
        self.window_days = window_days
        self.candidates = candidates
        self.calibration = calibration
        self.unit_days = unit_days
        self.max_fit_rows = max_fit_rows
        self.max_window_rows = max_window_rows
        self.max_train_rows = max_train_rows
        self.random_state = random_state

    # -- fitting --------------------------------------------------------------------------
    @staticmethod
    def _sample(n: int, cap: int | None, rng) -> np.ndarray | None:
        """Sorted random row numbers, at most ``cap`` of ``n``; None for all."""
        if not cap or n <= cap:
            return None
        return np.sort(rng.choice(n, cap, replace=False))

    def _fit_models(self, features: pd.DataFrame, rows: np.ndarray | None,
                    start: dict | None = None) -> dict:
        if rows is not None:
            features = features.iloc[rows]
        data = _Histories(features, float(self.unit_days)).table()
        fitted = {}
        for name in MODEL_CANDIDATES:
            if name not in self.candidates and name != "paretonbd":
                continue
            earlier = (start or {}).get(name)
            init = dict(earlier.params_) if earlier is not None and earlier.converged_ else None
            try:
                fitted[name] = PURCHASE_MODELS[name](initial_params=init).fit(data)
            except ValueError as exc:
                logger.warning("churn: %s not fitted: %s", MODEL_TITLES[name], exc)
        return fitted

    def _classifier(self, name: str, features: pd.DataFrame, y: np.ndarray):
        """The classifier ``name`` learned on ``features``, in the caller's thread limit."""
        clf = BehaviourChurnClassifier(name, max_train_rows=self.max_train_rows,
                                       random_state=self.random_state)
        return clf._fit(features, y)

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
        if self.calibration not in ("auto", *CALIBRATIONS):
            raise ValueError(f"unknown calibration {self.calibration!r}: choose auto, isotonic "
                             "or platt")
        for name in self.candidates:
            if name not in CANDIDATE_TITLES:
                raise ValueError(f"unknown churn candidate {name!r}: choose from "
                                 f"{', '.join(CANDIDATE_TITLES)}")
        unit = float(self.unit_days)
        rng = np.random.default_rng(self.random_state)
        # the random samples, drawn in a fixed order before any fit
        rows_then = self._sample(len(earlier), self.max_fit_rows, rng)
        rows_now = self._sample(len(current), self.max_fit_rows, rng)
        rows = self._sample(len(earlier), self.max_window_rows, rng)
        with _one_thread():  # BLAS threads spin on a busy machine (churn_classifier)
            self.models_then_ = self._fit_models(earlier, rows_then)
        # the models at the as-of date and the classifiers of the window learn at the same time
        # (each on one thread; gradient boosting's trees and the BLAS products run without the
        # GIL): neither reads what the other learns
        with _one_thread(), ThreadPoolExecutor(max_workers=2) as workers:
            now = workers.submit(in_one_thread(self._fit_models), current, rows_now,
                                 self.models_then_)
            if rows is not None:
                earlier, y = earlier.iloc[rows].reset_index(drop=True), y[rows]
            histories = _Histories(earlier, unit)
            model_window = {name: histories.no_purchase(model, (L / unit,))[0]
                            for name, model in self.models_then_.items()}
            window_features = earlier.assign(**{f"{MODEL_FEATURE_PREFIX}{name}": p
                                                for name, p in model_window.items()})
            learners = {name: workers.submit(in_one_thread(self._classifier), name,
                                             window_features, y)
                        for name in self.candidates
                        if name not in MODEL_CANDIDATES and name != "recency"}
            self.models_now_ = now.result()
            self.classifiers_ = {name: job.result() for name, job in learners.items()}
        lost = [f"{MODEL_FEATURE_PREFIX}{name}" for name in model_window
                if name not in self.models_now_]
        if lost:
            # a model fitted at the cut-off but not at the as-of date cannot score the
            # customers now: the classifiers learn again without its feature
            window_features = window_features.drop(columns=lost)
            with _one_thread():
                self.classifiers_ = {name: self._classifier(name, window_features, y)
                                     for name in self.classifiers_}
        usable = {k: m for k, m in self.models_now_.items() if m.converged_}
        pool = usable or self.models_now_
        if not pool:
            raise ValueError("no purchase model could be fitted: no customer bought twice")
        self.reference_model_ = max(pool, key=lambda k: pool[k].log_likelihood_)
        self.carry_models_ = tuple(k for k in MODEL_CANDIDATES if k in pool)
        model_window = {name: p for name, p in model_window.items() if name in self.models_now_}
        scores, judged = {}, np.ones(len(y), dtype=bool)
        for name in self.candidates:
            if name in MODEL_CANDIDATES:
                if name in model_window:
                    scores[name] = model_window[name]
            elif name == "recency":
                scores[name] = RecencyChurn(L).fit().predict_proba(earlier)[:, 1]
            else:
                clf = self.classifiers_[name]
                scores[name] = clf.oof_proba_
                judged &= clf.oof_mask_
        y = y[judged]
        self.window_scores_ = {name: s[judged] for name, s in scores.items()}
        self.window_labels_ = y
        half = rng.permutation(len(y)) % 2
        with _one_thread():
            self._calibrate(y, half)
        self.window_base_rate_ = float(y.mean())
        self.window_days_ = L
        return self

    def _calibrate(self, y: np.ndarray, half: np.ndarray) -> None:
        """Each candidate's calibration method and calibration, and the default (class doc)."""
        methods = CALIBRATIONS if self.calibration == "auto" else (self.calibration,)
        fits = []
        for name, s in self.window_scores_.items():
            tried = []
            for method in methods:
                held = np.empty(len(y))
                for k in (0, 1):
                    cal = ChurnCalibration(method).fit(s[half != k], y[half != k])
                    held[half == k] = cal.predict(s[half == k])
                tried.append(CandidateFit(name, _auc(y, s), float(np.mean((held - y) ** 2)),
                                          _log_loss(y, held), method))
            fits.append(min(tried, key=lambda f: round(f.inner_log_loss, 12)))
        self.window_fits_ = fits
        self.chosen_ = min(fits, key=_selection_key).name
        self.calibration_methods_ = {f.name: f.calibration for f in fits}
        self.calibrations_ = {name: ChurnCalibration(self.calibration_methods_[name]).fit(s, y)
                              for name, s in self.window_scores_.items()}

    # -- scoring ----------------------------------------------------------------------------
    def predict(self, current: pd.DataFrame, *, chosen_only: bool = False) -> pd.DataFrame:
        """Each candidate's score and calibrated score, and ``churn_risk`` (the chosen one's
        calibrated score); with ``chosen_only``, the chosen candidate's columns alone (the
        same ``churn_risk``, without scoring the others)."""
        if not hasattr(self, "chosen_"):
            from ._base import NotFittedError

            raise NotFittedError("This ChurnRisk is not fitted yet; call fit first")
        H, L, unit = self.horizon_days, self.window_days_, float(self.unit_days)
        histories = _Histories(current, unit)
        # P_model(none in L) and P_model(none in H) of every customer under each model
        models = {name: histories.no_purchase(model, (L / unit, H / unit))
                  for name, model in self.models_now_.items()}
        # the rule and the classifiers carry by the mean of the purchase models' conditionals
        carry_reference = np.mean([_ratio(models[k][1], models[k][0])
                                   for k in self.carry_models_], axis=0)
        features = current.assign(**{f"{MODEL_FEATURE_PREFIX}{name}": p[0]
                                     for name, p in models.items() if name in self.models_then_})
        out = {"customer_id": current["customer_id"].to_numpy()}
        for name in self.window_scores_:
            if chosen_only and name != self.chosen_:
                continue
            if name in MODEL_CANDIDATES:
                window, raw = models[name]
                carry = _ratio(raw, window)
            elif name == "recency":
                raw = RecencyChurn(H).fit().predict_proba(current)[:, 1]
                window = RecencyChurn(L).fit().predict_proba(current)[:, 1]
                carry = carry_reference
            else:
                window = self.classifiers_[name].predict_proba(features)[:, 1]
                carry = carry_reference
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
        fits = sorted(self.window_fits_, key=_selection_key)
        titles = CANDIDATE_TITLES_ZH if lang == "zh" else CANDIDATE_TITLES
        others = ", ".join(f"{titles[f.name]} {f.inner_log_loss:.4f}" for f in fits[1:])
        best = fits[0]
        method = {"isotonic": ("isotonic", "保序回归"), "platt": ("Platt", "Platt")}[best.calibration]
        if lang == "zh":
            return (f"默认采用{titles[best.name]}:在截止日前 {self.window_days_} 天的窗口中"
                    f"(特征取自窗口开始时,未使用截止日之后的数据),它校准后的对数损失最低,"
                    f"为 {best.inner_log_loss:.4f}(Brier 分数 {best.inner_brier:.4f},"
                    f"AUC {best.inner_auc:.3f};其余:{others});每位客户的校准都在另一半客户上"
                    f"拟合。最终按该窗口的实际流失率做了{method[1]}校准(保序回归与 Platt 中"
                    f"留出对数损失较低者)。")
        return (f"The default is {titles[best.name]}: on the {self.window_days_} days before the "
                f"as-of date (features taken at the start of that window, nothing after the "
                f"as-of date used) its calibrated score had the lowest log loss, "
                f"{best.inner_log_loss:.4f} (Brier score {best.inner_brier:.4f}, AUC "
                f"{best.inner_auc:.3f}; others: {others}), each customer's calibration fitted "
                f"on the other half of the customers; it is calibrated ({method[0]}, of isotonic "
                f"and Platt the one with the lower held-out log loss) on what customers did in "
                f"that window.")


def _auc(y, s) -> float:
    from .churn_metrics import roc_auc

    return roc_auc(y, s)
