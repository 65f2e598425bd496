"""The churn classifier: "no purchase in the window" learned from behaviour features.

:class:`BehaviourChurnClassifier` wraps scikit-learn's gradient boosting
(HistGradientBoostingClassifier) or an additive logistic regression (:class:`AdditiveLogistic`:
one spline curve per log feature).
Its inputs are the behaviour features of :mod:`cvm.features.behaviour` (RFM, the silence
against the customer's own rhythm, purchase and spend trends, category breadth) and, where
given, the purchase models' own probability of no purchase in the window
(``no_purchase_<model>`` columns: a summary of the customer's whole rhythm under each model),
and, where the table has them, the complaint features of :mod:`cvm.features.complaints`
(complaints so far and days since the last one, taken at the same date as the others), and
the survey answers of :mod:`cvm.features.survey_answers` (the latest answer up to that date).

It always keeps out-of-sample scores of the customers it learned from (``oof_proba_``), for
calibration and for choosing between candidates:

- up to ``n_splits x max_train_rows`` customers: cross-fitting. The customers are split at
  random into ``n_splits`` folds; one model per fold learns from the other folds and scores
  its fold; ``predict_proba`` averages the fold models;
- more customers: one model learns from ``max_train_rows`` of them drawn at random and scores
  the others (a single held-out split; with that many customers a second model would learn
  nothing the first did not, and would double the scoring time).
"""

from __future__ import annotations

import numpy as np

from ..features.behaviour import BEHAVIOUR_COLUMNS
from ..features.complaints import COMPLAINT_COLUMNS
from ..features.survey_answers import SURVEY_ANSWER_COLUMNS

__all__ = ["AdditiveLogInputs", "AdditiveLogistic", "BehaviourChurnClassifier", "CLASSIFIER_FEATURES",
           "MODEL_FEATURE_PREFIX"]

#: the behaviour features the classifiers use (n_purchase_days is frequency + 1, left out)
CLASSIFIER_FEATURES = tuple(c for c in BEHAVIOUR_COLUMNS if c != "n_purchase_days")
#: columns named ``no_purchase_<model>`` are used too: a purchase model's P(no purchase in the
#: window), computed at the same date as the other features
MODEL_FEATURE_PREFIX = "no_purchase_"


def _log_features(X: np.ndarray) -> np.ndarray:
    """sign(x) log(1 + |x|): days, counts and money on a log scale for the logistic model."""
    return np.copysign(np.log1p(np.abs(X)), X)


def _zero_missing(X: np.ndarray) -> np.ndarray:
    """``X`` with NaN as 0 (and, as numpy's nan_to_num, an infinity as the largest finite
    number of its sign); the scan for infinities is skipped where there are none."""
    if np.isinf(X).any():
        return np.nan_to_num(X, nan=0.0)
    return np.where(np.isnan(X), 0.0, X)


class AdditiveLogInputs:
    """The inputs of the logistic model: each feature on a log scale (:func:`_log_features`),
    missing values 0, standardised, then expanded into a quadratic B-spline basis with
    ``n_knots`` knots at the quantiles of the training values and linear continuation
    beyond them (scikit-learn's SplineTransformer); plus, for each feature with missing
    values in training, a 0/1 "missing" column. A logistic regression on these is an additive
    model: the log-odds are a sum of one smooth curve per feature (Hastie & Tibshirani 1990,
    ch. 6, here with a fixed spline basis), so a silence twice the customer's rhythm can weigh
    more than twice a silence equal to it, as a straight line on each feature cannot.

    The continuation beyond the last knot is linear (not flat, not a polynomial): every
    customer is older at the as-of date than at the cut-off the model learned at, and tenure
    and silence run past the training range.
    """

    def __init__(self, n_knots: int = 4):
        self.n_knots = n_knots

    def fit(self, X, y=None):
        from sklearn.preprocessing import SplineTransformer

        X = np.asarray(X, dtype=float)
        self.missing_ = np.flatnonzero(np.isnan(X).any(axis=0))
        Z = _log_features(_zero_missing(X))
        self.mean_ = Z.mean(axis=0)
        scale = Z.std(axis=0)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        self.splines_ = SplineTransformer(n_knots=self.n_knots, degree=2, knots="uniform",
                                          extrapolation="linear").fit(
            (Z - self.mean_) / self.scale_)
        return self

    def transform(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        Z = (_log_features(_zero_missing(X)) - self.mean_) / self.scale_
        return np.hstack([self.splines_.transform(Z),
                          np.isnan(X[:, self.missing_]).astype(float)])

    def fit_transform(self, X, y=None) -> np.ndarray:
        return self.fit(X, y).transform(X)


class AdditiveLogistic:
    """Logistic regression on :class:`AdditiveLogInputs` (scikit-learn's LogisticRegression,
    L2 penalty C = 1).

    The log-odds are the intercept plus one curve per feature, f_j(z) = sum_k beta_jk B_jk(z),
    plus one weight per "missing" column. ``predict_proba`` evaluates each f_j as a single
    spline with the fitted coefficients (and, beyond the base interval, its linear
    continuation f_j(z_0) + f_j'(z_0) (z - z_0)), which equals the basis expansion times the
    coefficients without building the n x (features x bases) matrix.
    """

    def __init__(self, n_knots: int = 4, max_iter: int = 2000):
        self.n_knots = n_knots
        self.max_iter = max_iter

    def fit(self, X, y):
        from scipy.interpolate import BSpline
        from sklearn.linear_model import LogisticRegression

        self.inputs_ = AdditiveLogInputs(self.n_knots).fit(X)
        self.model_ = LogisticRegression(max_iter=self.max_iter).fit(self.inputs_.transform(X), y)
        self.classes_ = self.model_.classes_
        coef = self.model_.coef_[0]
        splines = self.inputs_.splines_.bsplines_
        n = len(coef) - len(self.inputs_.missing_)
        width = n // len(splines)
        self.curves_ = []
        for j, spl in enumerate(splines):
            curve = BSpline.construct_fast(spl.t, coef[j * width:(j + 1) * width], spl.k,
                                           extrapolate=False)
            low, high = spl.t[spl.k], spl.t[-spl.k - 1]
            self.curves_.append((curve, low, high, float(curve(low, nu=1)),
                                 float(curve(high, nu=1))))
        self.missing_coef_ = coef[n:]
        return self

    def decision_function(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        inputs = self.inputs_
        Z = (_log_features(_zero_missing(X)) - inputs.mean_) / inputs.scale_
        out = np.full(len(X), float(self.model_.intercept_[0]))
        for j, (curve, low, high, slope_low, slope_high) in enumerate(self.curves_):
            z = Z[:, j]
            out += curve(np.clip(z, low, high))
            out += slope_low * np.minimum(z - low, 0.0) + slope_high * np.maximum(z - high, 0.0)
        if len(self.missing_coef_):
            out += np.isnan(X[:, inputs.missing_]) @ self.missing_coef_
        return out

    def predict_proba(self, X) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1.0 - p, p])


def _make_estimator(method: str, random_state):
    if method == "gradient_boosting":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(max_iter=100, learning_rate=0.08, max_leaf_nodes=15,
                                              min_samples_leaf=100, l2_regularization=1.0,
                                              early_stopping=False, random_state=random_state)
    if method == "logistic":
        return AdditiveLogistic()
    raise ValueError(f"unknown classifier {method!r}: choose gradient_boosting or logistic")


def _one_thread():
    """One thread for the models' OpenMP and BLAS pools. Their threads spin while they wait for
    each other; on a machine busy with other work that turns a half-second gradient-boosting
    fit into a quarter of a minute of CPU time. One thread is predictable everywhere and at
    most twice as slow on an idle machine with two cores. (The estimator modules are imported
    first: a pool not loaded yet when the limit is set would escape it.)"""
    import sklearn.ensemble  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def in_one_thread(function):
    """``function`` wrapped to run in a worker thread of its own on one OpenMP thread. OpenMP's
    thread count is a setting of each thread (a new thread starts from the default, all cores),
    so a task in a pool sets it itself; the BLAS limit of :func:`_one_thread`, set by the
    thread that starts the pool, holds for the whole process."""
    import functools

    @functools.wraps(function)
    def run(*args, **kwargs):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="openmp"):
            return function(*args, **kwargs)

    return run


#: rows per task when many customers are scored: the chunks run on all cores at once
SCORE_CHUNK_ROWS = 131_072


def _by_chunks(score, A: np.ndarray) -> np.ndarray:
    """``score(A)``, computed on row-major chunks of ``SCORE_CHUNK_ROWS`` rows in a pool of one
    thread per core (gradient boosting's trees and the logistic model's curves release the GIL). A
    row's score depends on that row alone, so the chunks give the numbers of a single pass;
    each task keeps to one thread of its own (:func:`_one_thread`), so no pool spins."""
    n = len(A)
    if n <= SCORE_CHUNK_ROWS:
        return score(np.ascontiguousarray(A))
    import os
    from concurrent.futures import ThreadPoolExecutor

    starts = range(0, n, SCORE_CHUNK_ROWS)
    with ThreadPoolExecutor(max_workers=min(os.cpu_count() or 1, len(starts))) as pool:
        parts = list(pool.map(in_one_thread(
            lambda i: score(np.ascontiguousarray(A[i:i + SCORE_CHUNK_ROWS]))), starts))
    return np.concatenate(parts)


class BehaviourChurnClassifier:
    """A classifier of "no purchase in the window" on behaviour features (module doc).

    ``method``: ``"gradient_boosting"`` or ``"logistic"``. Learned: ``features_`` (the columns
    used), ``estimators_``, ``oof_proba_`` (each training customer's score from a model that
    did not learn from them).
    """

    def __init__(self, method: str = "gradient_boosting", n_splits: int = 2,
                 max_train_rows: int | None = 50_000, random_state: int = 0):
        self.method = method
        self.n_splits = n_splits
        self.max_train_rows = max_train_rows
        self.random_state = random_state

    @staticmethod
    def _columns(X) -> tuple[str, ...]:
        missing = [c for c in CLASSIFIER_FEATURES if c not in X]
        if missing:
            raise ValueError(f"behaviour features missing: {', '.join(missing)}")
        # the complaint features join in where a service log was loaded (features.complaints)
        # and so do the survey answers where a survey was loaded (features.survey_answers)
        return CLASSIFIER_FEATURES + tuple(c for c in COMPLAINT_COLUMNS if c in X) + tuple(
            c for c in SURVEY_ANSWER_COLUMNS if c in X) + tuple(
            sorted(c for c in X if str(c).startswith(MODEL_FEATURE_PREFIX)))

    @staticmethod
    def _matrix(X, columns) -> np.ndarray:
        return np.column_stack([np.asarray(X[c], dtype=float) for c in columns])

    def _fit_one(self, A, y, rows):
        if len(np.unique(y[rows])) < 2:
            raise ValueError("a training sample holds one class only: too few customers")
        X = A[rows]  # a copy
        empty = ~np.isfinite(X).any(axis=0)
        if self.method == "gradient_boosting" and empty.any():
            # a feature that none of these rows has (the days since a complaint when few
            # customers complained) cannot be binned; as a constant it carries the same nothing,
            # and a tree never splits on it, whatever the scored rows hold
            X[:, empty] = 0.0
        return _make_estimator(self.method, self.random_state).fit(X, y[rows])

    @staticmethod
    def _score(est, A) -> np.ndarray:
        return est.predict_proba(A)[:, 1]

    def fit(self, X, y):
        with _one_thread():
            return self._fit(X, y)

    def _fit(self, X, y):
        columns = self._columns(X)
        A = self._matrix(X, columns)
        # a feature with no value at all (no spend in either window, say) carries nothing
        keep = np.isfinite(A).any(axis=0)
        self.features_ = tuple(c for c, k in zip(columns, keep) if k)
        A = A[:, keep]
        y = np.asarray(y, dtype=int)
        if len(np.unique(y)) < 2:
            raise ValueError("the labels hold one class only: every customer bought again, or "
                             "none did, in the window; a classifier cannot learn from that")
        if self.n_splits < 2:
            raise ValueError(f"n_splits must be at least 2, got {self.n_splits}")
        rng = np.random.default_rng(self.random_state)
        n = len(y)
        cap = self.max_train_rows or n
        oof = np.empty(n)
        self.estimators_ = []
        if n > self.n_splits * cap:
            train = np.zeros(n, dtype=bool)
            train[rng.choice(n, cap, replace=False)] = True
            est = self._fit_one(A, y, np.flatnonzero(train))
            self.estimators_.append(est)
            oof[~train] = self._score(est, A[~train])
            self.oof_mask_ = ~train
        else:
            fold = rng.permutation(n) % self.n_splits
            for k in range(self.n_splits):
                rows = np.flatnonzero(fold != k)
                if rows.size > cap:
                    rows = np.sort(rng.choice(rows, cap, replace=False))
                est = self._fit_one(A, y, rows)
                oof[fold == k] = self._score(est, A[fold == k])
                self.estimators_.append(est)
            self.oof_mask_ = np.ones(n, dtype=bool)
        self.oof_proba_ = oof
        self.classes_ = np.array([0, 1])
        return self

    @staticmethod
    def _columns_matrix(X, columns) -> np.ndarray:
        """:meth:`_matrix` column by column into a column-major array (each feature written
        in one contiguous pass; a row-major one scatters every value a row apart)."""
        A = np.empty((len(X), len(columns)), order="F")
        for j, c in enumerate(columns):
            A[:, j] = np.asarray(X[c], dtype=float)
        return A

    def predict_proba(self, X) -> np.ndarray:
        A = self._columns_matrix(X, self.features_)

        def score(rows: np.ndarray) -> np.ndarray:
            return np.mean([self._score(est, rows) for est in self.estimators_], axis=0)

        with _one_thread():
            p = _by_chunks(score, A)
        return np.column_stack([1.0 - p, p])
