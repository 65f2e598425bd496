"""Retention curves of subscription cohorts: the shifted-beta-geometric model (:mod:`.sbg`)
fitted to each cohort's survivors and projected forward (Fader & Hardie 2007, "How to Project
Customer Retention", Journal of Interactive Marketing 21(1), 76-90; "FH 2007" below).

The input is a cohort table (:func:`cvm.features.cohorts.cohort_table`): per cohort and period
``k``, ``survivors`` — the customers acquired in the cohort who paid (bought) in period ``k`` or
later. For a contractual business (memberships, subscriptions, loans: a customer who pays in
period ``k`` has renewed every period before it) these are the counts the sBG model describes:
S(k) x cohort size. Only complete periods are used.

:class:`RetentionCurves` fits one curve per cohort (and per group of cohorts, the ``by``
columns, with all of its cohorts pooled, as FH 2007 fit one curve per customer segment). With
``calibration_periods`` it fits on periods 0 … ``calibration_periods`` only and compares the
projection with the later periods observed: FH 2007's holdout check (fit on years 1-7, project
years 8-12).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .sbg import ShiftedBetaGeometric

__all__ = ["RetentionCurves", "ALL_COHORTS"]

#: the models' log: a single cohort's fit does not warn there (its fit row says what went wrong)
_MODEL_LOG = logging.getLogger("cvm.models._base")

#: the ``cohort`` value of a group's pooled curve (all its cohorts together)
ALL_COHORTS = None


@dataclass(frozen=True)
class _Curve:
    keys: tuple
    cohort: object
    periods: np.ndarray
    survivors: np.ndarray
    size: int


def _curves(cohorts: pd.DataFrame, by: list[str]) -> list[_Curve]:
    """The survivor counts of each cohort over its complete periods."""
    done = cohorts[cohorts["complete"]] if "complete" in cohorts.columns else cohorts
    out = []
    for key, g in done.groupby([*by, "cohort"], sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        g = g.sort_values("period")
        out.append(_Curve(tuple(key[:-1]), key[-1], g["period"].to_numpy(int),
                          g["survivors"].to_numpy(float), int(g["customers"].iloc[0])))
    return out


class RetentionCurves:
    """sBG retention curves fitted to cohort survivors, projected ``horizon`` periods.

    Parameters
    ----------
    by : sequence of str
        The group columns of the cohort table (segment, plan, channel, store); each group also
        gets a pooled curve over all its cohorts (``cohort`` null).
    calibration_periods : int, optional
        Fit on periods 0 … this only; the later observed periods are the holdout.
    horizon : int
        The last period the curves are projected to.
    min_customers : int
        Cohorts smaller than this get no curve of their own (they still count in the pooled one).

    Learned: ``fits_`` (one row per curve: the ``by`` columns, ``cohort``, ``customers``,
    ``alpha``, ``beta``, ``periods_fitted``, ``holdout_periods``, ``holdout_mae`` — the mean
    absolute difference between projected and actual survival share over the holdout periods —
    and ``error`` when the curve could not be fitted) and ``curves_`` (per curve and period
    0 … horizon: ``actual_share`` where observed, ``expected_share`` = S(k) of the fit,
    ``in_calibration``).
    """

    def __init__(self, by=(), calibration_periods: int | None = None, horizon: int = 24,
                 min_customers: int = 30):
        self.by = by
        self.calibration_periods = calibration_periods
        self.horizon = horizon
        self.min_customers = min_customers

    def fit(self, cohorts) -> RetentionCurves:
        frame = cohorts if isinstance(cohorts, pd.DataFrame) else cohorts.to_pandas()
        by = list(self.by)
        curves = _curves(frame, by)
        fits, rows = [], []
        groups: dict[tuple, list[_Curve]] = {}
        for c in curves:
            groups.setdefault(c.keys, []).append(c)
        for keys, members in groups.items():
            # the pooled curve first: each cohort's fit starts from its parameters
            start = self._fit_one(keys, ALL_COHORTS, members, by, fits, rows)
            level = _MODEL_LOG.level
            _MODEL_LOG.setLevel(logging.ERROR)
            try:
                for c in members:
                    if c.size >= self.min_customers:
                        self._fit_one(keys, c.cohort, [c], by, fits, rows, start)
            finally:
                _MODEL_LOG.setLevel(level)
        self.fits_ = pd.DataFrame(fits, columns=[*by, "cohort", "customers", "alpha", "beta",
                                                 "periods_fitted", "holdout_periods",
                                                 "holdout_mae", "error"])
        self.curves_ = pd.DataFrame(rows, columns=[*by, "cohort", "period", "actual_share",
                                                   "expected_share", "in_calibration"])
        return self

    def _fit_one(self, keys, cohort, members: list[_Curve], by, fits, rows,
                 start: dict | None = None) -> dict | None:
        """Fit one curve, add its fit row and curve rows; its parameters (None: not fitted)."""
        cut = self.calibration_periods
        parts = []
        for i, c in enumerate(members):
            keep = c.periods <= cut if cut is not None else np.ones(len(c.periods), bool)
            if keep.sum() >= 2:
                parts.append(pd.DataFrame({"cohort": i, "period": c.periods[keep],
                                           "alive": c.survivors[keep]}))
        size = sum(c.size for c in members)
        alpha = beta = np.nan
        error = None
        model = None
        if parts:
            try:
                model = ShiftedBetaGeometric(initial_params=start).fit(
                    pd.concat(parts, ignore_index=True))
                alpha, beta = model.params_["alpha"], model.params_["beta"]
            except ValueError as exc:
                error = str(exc)
        else:
            error = "fewer than two complete periods"
        # the actual survival share per period: survivors / size over the cohorts observed then
        actual: dict[int, float] = {}
        last = max(int(c.periods.max()) for c in members)
        for k in range(last + 1):
            seen = [c for c in members if k <= c.periods.max()]
            n = sum(c.size for c in seen)
            if n:
                actual[k] = sum(float(c.survivors[c.periods == k][0]) for c in seen) / n
        periods = np.arange(max(self.horizon, last) + 1)
        expected = model.survival_function(periods) if model is not None \
            else np.full(len(periods), np.nan)
        held = [k for k in actual if cut is not None and k > cut]
        mae = float(np.mean([abs(expected[k] - actual[k]) for k in held])) \
            if held and model is not None else np.nan
        fits.append([*keys, cohort, size, alpha, beta,
                     (min(cut, last) if cut is not None else last) + 1, len(held), mae, error])
        for k in periods:
            rows.append([*keys, cohort, int(k), actual.get(int(k), np.nan), float(expected[k]),
                         cut is None or k <= cut])
        return dict(model.params_) if model is not None else None
