"""Churn risk from a transactions table, and its check against what customers did next.

:func:`score_churn` is the whole computation for one as-of date: the horizon H (given, or from
the purchase cycle: :func:`cvm.models.churn.horizon_from_gaps`), the label window L
(:func:`cvm.models.churn.window_for`), behaviour features at ``as_of - L`` and at ``as_of``
and the labels of the window between them (Ibis expressions, any engine), then
:class:`cvm.models.churn.ChurnRisk`. Nothing after ``as_of`` is read.

:func:`validate_churn` runs it with ``as_of`` = the calibration end and compares every
candidate with what happened in the next H days: AUC, PR-AUC, lift at 10 %, Brier score,
expected calibration error (10 equal-width bins) and the decile table
(:mod:`cvm.models.churn_metrics`), for each candidate's own score and its calibrated version.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..config import ChurnOptions
from ..features.behaviour import (BEHAVIOUR_COLUMNS, CUTOFF_PREFIX, behaviour_features,
                                   behaviour_features_at_cutoff,
                                   no_purchase_labels, purchase_gap_quantile)
from ..features.complaints import COMPLAINT_COLUMNS, complaint_features
from ..features.survey_answers import SURVEY_ANSWER_COLUMNS, with_survey_answers
from .churn import CANDIDATE_TITLES, ChurnRisk, horizon_from_gaps, window_for
from .churn_metrics import (ECE_BINS, calibration_bins, churn_metrics,
                            churn_metrics_and_deciles)

__all__ = ["ChurnScores", "ChurnValidation", "score_churn", "validate_churn", "churn_horizon",
           "training_window", "fit_churn_risk", "with_complaints", "checked_customers",
           "sampled_customers", "MAX_CHECK_CUSTOMERS"]


@dataclass
class ChurnScores:
    """Churn risk at one as-of date: the scores, the fitted candidates and the settings."""

    as_of: dt.date
    horizon_days: int
    horizon_rule: str
    window_days: int
    risk: ChurnRisk
    scores: pd.DataFrame
    features: pd.DataFrame

    def settings(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "horizon_days": self.horizon_days,
                "horizon_rule": self.horizon_rule, "window_days": self.window_days,
                "training_cutoff": (self.as_of - dt.timedelta(days=self.window_days)).isoformat(),
                "chosen": self.risk.chosen_, "chosen_title": CANDIDATE_TITLES[self.risk.chosen_],
                "calibration": self.risk.calibration_methods_[self.risk.chosen_],
                "reason": self.risk.reason("en"), "reason_zh": self.risk.reason("zh"),
                "window_churn_rate": self.risk.window_base_rate_,
                "selection": "lowest log loss of the calibrated window score, each "
                             "customer's calibration fitted on the other half of the window's "
                             "customers (isotonic or Platt, whichever gave the lower log loss)",
                "window_figures": {f.name: {"auc": f.inner_auc, "brier": f.inner_brier,
                                            "log_loss": f.inner_log_loss,
                                            "calibration": f.calibration}
                                   for f in self.risk.window_fits_}}


def _frame(to_arrow, expr) -> pd.DataFrame:
    """The expression's rows ordered by ``customer_id`` (sorted by the engine, in parallel: the
    engines return rows in no fixed order, and the random samples must not depend on it)."""
    return to_arrow(expr.order_by("customer_id")).to_pandas()


def _median_tenure(transactions: ir.Table, to_arrow, as_of: dt.date) -> float:
    """The median days since the first purchase, over the customers with one by ``as_of``."""
    t = transactions.filter(transactions.purchase_date <= ibis.literal(as_of))
    first = t.group_by("customer_id").aggregate(first=t.purchase_date.min())
    tenure = ibis.literal(as_of).delta(first["first"], unit="day").cast("float64")
    value = to_arrow(tenure.median().name("median").as_table()).to_pandas()["median"].iloc[0]
    return _known_median(value, as_of)


def _known_median(value: float, as_of: dt.date) -> float:
    if pd.isna(value):
        raise ValueError(f"no customer made a purchase on or before {as_of}")
    return float(value)


def churn_horizon(transactions: ir.Table, to_arrow, *, as_of: dt.date,
                  horizon_days: int | None = None) -> tuple[int, str]:
    """The horizon H in days and how it was set: given, or from the data's purchase cycle
    (:func:`cvm.models.churn.horizon_from_gaps`) on the purchases up to ``as_of``."""
    if horizon_days is None:
        gap = to_arrow(purchase_gap_quantile(transactions, as_of=as_of).name("gap")
                       .as_table()).to_pandas()["gap"].iloc[0]
        horizon_days = horizon_from_gaps(None if pd.isna(gap) else float(gap))
        return horizon_days, (f"90th percentile of the days between consecutive purchase days "
                              f"({gap:.0f}), rounded up to whole weeks")
    horizon_days = int(horizon_days)
    if horizon_days < 1:
        raise ValueError(f"the horizon must be at least 1 day, got {horizon_days}")
    return horizon_days, "given"


def training_window(transactions: ir.Table, to_arrow, *, as_of: dt.date, horizon_days: int
                    ) -> int:
    """The label window L (:func:`cvm.models.churn.window_for`) from the median tenure of the
    customers with a purchase on or before ``as_of``; ValueError when there are none or the
    history is too short."""
    return window_for(horizon_days, _median_tenure(transactions, to_arrow, as_of))


def _no_purchase_in_window(customer_ids: pd.Series, current: pd.DataFrame,
                           window_days: int) -> np.ndarray:
    """1 for each customer (known at the cut-off ``as_of - window_days``) who made no purchase
    in (cut-off, as_of]: exactly those whose days since the last purchase at ``as_of`` (in
    ``current``) are at least the window, so the labels need no query."""
    # each customer's row in ``current`` (-1 where absent: NaN recency, no label of 1)
    at = pc.index_in(pa.array(customer_ids), value_set=pa.array(current["customer_id"]))
    at = at.to_numpy(zero_copy_only=False)
    recency = current["recency_days"].to_numpy(dtype=float)
    found = ~np.isnan(at)
    days = np.full(len(at), np.nan)
    days[found] = recency[at[found].astype(np.intp)]
    return (days >= window_days).astype(int)


def with_complaints(frame: pd.DataFrame, contacts: ir.Table | None, to_arrow, *,
                    as_of: dt.date) -> pd.DataFrame:
    """``frame`` (one row per ``customer_id``) with the complaint features at ``as_of``
    (:func:`cvm.features.complaints.complaint_features`: only contacts on or before ``as_of``
    count, so features at a cut-off never see the window after it): ``complaint_count`` 0 and
    ``days_since_complaint`` null for a customer without a complaint by then. ``frame`` as it
    is when ``contacts`` is None (no service log loaded)."""
    if contacts is None:
        return frame
    found = to_arrow(complaint_features(contacts, as_of=as_of)).to_pandas()
    out = frame.drop(columns=[c for c in COMPLAINT_COLUMNS if c in frame]).merge(
        found, on="customer_id", how="left")
    out["complaint_count"] = out["complaint_count"].fillna(0).astype(float)
    out["days_since_complaint"] = out["days_since_complaint"].astype(float)
    return out


def fit_churn_risk(transactions: ir.Table, to_arrow, current: pd.DataFrame, *, as_of: dt.date,
                   horizon_days: int, window_days: int, calibration: str = "auto",
                   max_train_rows: int | None = 100_000, random_state: int = 0,
                   contacts: ir.Table | None = None, surveys=None) -> ChurnRisk:
    """:class:`ChurnRisk` fitted on the features at ``as_of - window_days``, the labels of the
    window up to ``as_of`` and ``current`` (the features at ``as_of`` with that window).
    With ``contacts`` (a service log: ``customer_id``, ``interaction_date``, ``kind``) the
    complaint features at the cut-off join the earlier features (:func:`with_complaints`);
    ``current`` then carries them at ``as_of``. With ``surveys`` (a loaded
    :class:`cvm.satisfaction.survey.Survey`) the survey answers given up to the cut-off join
    them the same way (:func:`cvm.features.survey_answers.with_survey_answers`)."""
    cutoff = as_of - dt.timedelta(days=window_days)
    earlier = _frame(to_arrow, behaviour_features(transactions, as_of=cutoff,
                                                  window_days=window_days))
    earlier = with_complaints(earlier, contacts, to_arrow, as_of=cutoff)
    earlier = with_survey_answers(earlier, surveys, as_of=cutoff)
    y = _no_purchase_in_window(earlier["customer_id"], current, window_days)
    risk = ChurnRisk(horizon_days=horizon_days, window_days=window_days, calibration=calibration,
                     max_train_rows=max_train_rows, random_state=random_state)
    return risk.fit(earlier, y, current)


def score_churn(transactions: ir.Table, to_arrow, *, as_of: dt.date,
                horizon_days: int | None = None, calibration: str = "auto",
                max_train_rows: int | None = 50_000, random_state: int = 0,
                contacts: ir.Table | None = None, surveys=None,
                median_tenure: float | None = None) -> ChurnScores:
    """Churn risk of every customer with a purchase on or before ``as_of``.

    ``transactions`` has ``customer_id``, ``purchase_date``, ``amount`` and optionally
    ``category`` (an Ibis table on any engine); ``to_arrow`` runs an expression to Arrow.
    The features at the cut-off ``as_of - L`` and at ``as_of`` come from one query; the label
    of the window between them needs none: a customer known at the cut-off made no purchase in
    (cut-off, as_of] exactly when their days since the last purchase at ``as_of`` are >= L.
    With ``contacts`` the complaint features join both dates' features (:func:`with_complaints`),
    with ``surveys`` the survey answers given up to each date
    (:func:`cvm.features.survey_answers.with_survey_answers`). ``median_tenure``, the median
    days since the first purchase at ``as_of`` (which sets the window,
    :func:`training_window`), is computed from ``transactions`` unless given.
    """
    horizon_days, rule = churn_horizon(transactions, to_arrow, as_of=as_of,
                                       horizon_days=horizon_days)
    if median_tenure is None:
        window = training_window(transactions, to_arrow, as_of=as_of, horizon_days=horizon_days)
    else:
        window = window_for(horizon_days, _known_median(median_tenure, as_of))
    cutoff = as_of - dt.timedelta(days=window)
    both = _frame(to_arrow, behaviour_features_at_cutoff(
        transactions.filter(transactions.purchase_date <= ibis.literal(as_of)),
        as_of=as_of, cutoff=cutoff, window_days=window))
    current = both[["customer_id", *BEHAVIOUR_COLUMNS]]
    known = both[f"{CUTOFF_PREFIX}n_purchase_days"].to_numpy() > 0
    earlier = both.loc[known, ["customer_id", *(f"{CUTOFF_PREFIX}{c}" for c in BEHAVIOUR_COLUMNS)]]
    earlier = earlier.rename(columns=lambda c: c.removeprefix(CUTOFF_PREFIX)).reset_index(drop=True)
    # the rows of ``earlier`` are the known rows of ``current``, in the same order: the label
    # of :func:`_no_purchase_in_window` needs no join on customer_id
    y = (current["recency_days"].to_numpy(dtype=float)[known] >= window).astype(int)
    current = with_complaints(current, contacts, to_arrow, as_of=as_of)
    earlier = with_complaints(earlier, contacts, to_arrow, as_of=cutoff)
    current = with_survey_answers(current, surveys, as_of=as_of)
    earlier = with_survey_answers(earlier, surveys, as_of=cutoff)
    risk = ChurnRisk(horizon_days=horizon_days, window_days=window, calibration=calibration,
                     max_train_rows=max_train_rows, random_state=random_state)
    risk.fit(earlier, y, current)
    return ChurnScores(as_of, horizon_days, rule, window, risk, risk.predict(current), current)


#: the most customers the check one horizon earlier fits and scores by default
#: (``ChurnOptions.check_customers``); above it, a sample (:func:`checked_customers`). Its
#: figures differ from those of a check of every customer by a few thousandths (1M synthetic
#: customers: AUC 0.8205 against 0.8218, calibration error 0.0027 against 0.0036, mean risk
#: 0.707 against 0.702, the same candidate chosen), while the check's queries, fits and scores
#: of every candidate would otherwise grow with the customers (there: 16.7 s and 1.77 GiB for
#: all, 8.5 s and 0.83 GiB for the sample)
MAX_CHECK_CUSTOMERS = ChurnOptions.check_customers

#: Knuth's multiplicative hash (2^32 / the golden ratio): the rank of a customer in id order
#: times it, modulo 2^32, puts the customers in an order unrelated to their ids
_SPREAD, _MODULUS = 2_654_435_761, 2**32


def checked_customers(transactions: ir.Table, to_arrow, *, as_of: dt.date,
                      max_customers: int | None) -> tuple[ir.Table, int, int]:
    """The transactions of the customers a check at ``as_of`` looks at, how many of them, and
    how many customers had bought by ``as_of``: all of them, or, above ``max_customers``, a
    sample of that many drawn the same way on every engine (:func:`sampled_customers`). The
    transactions of a kept customer are all kept, after
    ``as_of`` too: the holdout reads them."""
    ids = _known_ids(transactions, as_of)
    known = int(to_arrow(ids.count().name("n").as_table()).column("n")[0].as_py())
    if max_customers is None or known <= max_customers:
        return transactions, known, known
    kept = sampled_customers(transactions, as_of=as_of, max_customers=max_customers)
    return transactions.semi_join(kept, "customer_id"), max_customers, known


def sampled_customers(transactions: ir.Table, *, as_of: dt.date, max_customers: int
                      ) -> ir.Table:
    """The ids (``customer_id``) of ``max_customers`` of the customers with a purchase on or
    before ``as_of``, drawn the same way on every engine: the customers ranked by id, 1 to n,
    and those whose rank × 2,654,435,761 modulo 2^32 is smallest kept (ties by id)."""
    ids = _known_ids(transactions, as_of)
    ranked = ids.mutate(_rank=ibis.row_number().over(order_by="customer_id").cast("int64") + 1)
    key = (ranked._rank * _SPREAD) % _MODULUS
    kept = ranked.mutate(_key=key).order_by(["_key", "customer_id"]).limit(max_customers)
    return kept.select("customer_id")


def _known_ids(transactions: ir.Table, as_of: dt.date) -> ir.Table:
    """The ids of the customers with a purchase on or before ``as_of``, once each."""
    past = transactions.filter(transactions.purchase_date <= ibis.literal(as_of))
    return past.select("customer_id").distinct()


@dataclass
class ChurnValidation:
    """Churn scores at the calibration end, against the holdout that follows it."""

    calibration_end: dt.date
    holdout_end: dt.date
    result: ChurnScores
    scores: pd.DataFrame
    metrics: dict = field(default_factory=dict)
    deciles: dict = field(default_factory=dict)
    calibration_tables: dict = field(default_factory=dict)
    #: with a service log: the holdout AUC of each classifier and of churn_risk with and without
    #: the complaint features (None without one)
    complaint_check: dict | None = None
    #: with a survey: the same with and without the survey answers (None without one)
    survey_check: dict | None = None
    #: the customers with a purchase by the calibration end, when the check looked at a sample
    #: of them (:func:`checked_customers`); None when it looked at all
    sampled_from: int | None = None

    @property
    def candidates(self) -> list[str]:
        return list(self.result.risk.window_scores_)

    def summary(self) -> dict:
        """Plain numbers for JSON: settings, the choice and why, figures per candidate."""
        chosen = self.result.risk.chosen_
        best_auc = max(self.candidates, key=lambda c: self.metrics[c]["score"]["auc"])
        return {
            "calibration_end": self.calibration_end.isoformat(),
            "holdout_end": self.holdout_end.isoformat(),
            **self.result.settings(),
            "ece_binning": f"{ECE_BINS} equal-width bins of the score on [0, 1], weighted by "
                           "the customers in each",
            "holdout_churn_rate": float(self.scores["churned_in_holdout"].mean()),
            "customers": int(len(self.scores)),
            "sampled_from": self.sampled_from,
            "churn_risk": self.metrics["churn_risk"],
            "best_on_holdout": best_auc,
            "chosen_is_best_on_holdout": best_auc == chosen,
            "candidates": {c: {"title": CANDIDATE_TITLES[c], **self.metrics[c]}
                           for c in self.candidates},
            "deciles": {k: v.to_dict(orient="records") for k, v in self.deciles.items()},
            "calibration_bins": {k: v.to_dict(orient="records")
                                 for k, v in self.calibration_tables.items()},
            "complaint_features": self.complaint_check or {"used": False},
            "survey_features": self.survey_check or {"used": False},
        }


def validate_churn(transactions: ir.Table, to_arrow, *, calibration_end: dt.date,
                   horizon_days: int | None = None, last_date: dt.date | None = None,
                   calibration: str = "auto", max_train_rows: int | None = 50_000,
                   random_state: int = 0, contacts: ir.Table | None = None,
                   surveys=None, max_customers: int | None = MAX_CHECK_CUSTOMERS
                   ) -> ChurnValidation:
    """Fit on purchases up to ``calibration_end``; compare with the next ``horizon_days``.

    Above ``max_customers`` customers with a purchase by ``calibration_end`` the check fits and
    scores a sample of that many (:func:`checked_customers`; ``sampled_from`` says of how
    many); None checks them all.

    ``last_date`` is the last date the data covers; the holdout must end on or before it.
    With ``contacts`` (a service log) the classifiers also learn from the complaint features
    (only contacts up to each feature date count), and the same fit without them is scored
    too: ``complaint_check`` holds the holdout AUC of each classifier and of ``churn_risk``
    with and without them, so the figures say whether the complaints helped. With ``surveys``
    (a loaded survey) the same for the survey answers (``survey_check``; each check keeps the
    other's features in both fits).
    """
    transactions, checked, known = checked_customers(transactions, to_arrow,
                                                     as_of=calibration_end,
                                                     max_customers=max_customers)
    past = transactions.filter(transactions.purchase_date <= calibration_end)
    horizon_days, rule = churn_horizon(past, to_arrow, as_of=calibration_end,
                                       horizon_days=horizon_days)
    # the holdout labels and each customer's tenure at the calibration end, from one pass
    labels = _frame(to_arrow, no_purchase_labels(transactions, as_of=calibration_end,
                                                 window_days=horizon_days, tenure=True))
    median_tenure = float(labels["tenure_days"].median()) if len(labels) else None
    result = score_churn(past, to_arrow, as_of=calibration_end, horizon_days=horizon_days,
                         calibration=calibration, max_train_rows=max_train_rows,
                         random_state=random_state, contacts=contacts, surveys=surveys,
                         median_tenure=median_tenure)
    result = dataclasses.replace(result, horizon_rule=rule)
    holdout_end = calibration_end + dt.timedelta(days=result.horizon_days)
    if last_date is not None and holdout_end > last_date:
        raise ValueError(f"the holdout of {result.horizon_days} days after {calibration_end} "
                         f"ends on {holdout_end}, after the last purchase date {last_date}: "
                         "choose an earlier calibration end or a shorter horizon")
    scores = result.scores
    if not np.array_equal(labels["customer_id"].to_numpy(), scores["customer_id"].to_numpy()):
        raise AssertionError("the holdout labels and the scores name different customers")
    scores = scores.assign(churned_in_holdout=labels["no_purchase"].to_numpy(dtype=int))
    y = scores["churned_in_holdout"].to_numpy()
    metrics, deciles, tables = {}, {}, {}
    chosen = result.risk.chosen_

    def figures_of(name: str):
        raw = scores[f"score_{name}"].to_numpy()
        cal = scores[f"calibrated_{name}"].to_numpy()
        if name == chosen:
            # churn_risk is this calibrated score: one sort gives both
            return churn_metrics_and_deciles(y, raw), churn_metrics_and_deciles(y, cal)
        return churn_metrics_and_deciles(y, raw), (churn_metrics(y, cal), None)

    # each candidate's figures on a core of its own (numpy sorts without the GIL)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        names = list(result.risk.window_scores_)
        for name, ((figures, deciles[name]), (calibrated, chosen_deciles)) in zip(
                names, pool.map(figures_of, names)):
            if name == chosen:
                metrics["churn_risk"], deciles["churn_risk"] = dict(calibrated), chosen_deciles
            metrics[name] = {"score": figures, "calibrated": calibrated}
    metrics["churn_risk"] = metrics.pop("churn_risk")     # last, as the summary lists it
    deciles["churn_risk"] = deciles.pop("churn_risk")
    risk = scores["churn_risk"].to_numpy()
    tables["churn_risk"] = calibration_bins(y, risk)
    check = survey_check = None
    if contacts is not None:
        plain = score_churn(past, to_arrow, as_of=calibration_end,
                            horizon_days=result.horizon_days, calibration=calibration,
                            max_train_rows=max_train_rows, random_state=random_state,
                            median_tenure=median_tenure, surveys=surveys).scores
        check = _complaint_check(y, scores, plain, result.risk)
    if surveys is not None:
        plain = score_churn(past, to_arrow, as_of=calibration_end,
                            horizon_days=result.horizon_days, calibration=calibration,
                            max_train_rows=max_train_rows, random_state=random_state,
                            median_tenure=median_tenure, contacts=contacts).scores
        survey_check = _complaint_check(y, scores, plain, result.risk, SURVEY_ANSWER_COLUMNS)
    return ChurnValidation(calibration_end, holdout_end, result, scores, metrics, deciles, tables,
                           check, survey_check, known if checked < known else None)


def _complaint_check(y: np.ndarray, with_: pd.DataFrame, without: pd.DataFrame,
                     risk: ChurnRisk, columns: tuple[str, ...] = COMPLAINT_COLUMNS) -> dict:
    """Holdout AUC with and without the complaint features (or other ``columns``), per
    classifier and for the chosen churn_risk, and whether each classifier used them."""
    from .churn_metrics import roc_auc

    rows = {}
    for name, clf in risk.classifiers_.items():
        column = f"score_{name}"
        if column in with_ and column in without:
            rows[name] = {"title": CANDIDATE_TITLES[name],
                          "auc_with": roc_auc(y, with_[column].to_numpy()),
                          "auc_without": roc_auc(y, without[column].to_numpy())}
    rows["churn_risk"] = {"title": "churn_risk", "auc_with": roc_auc(y, with_["churn_risk"]
                                                                     .to_numpy()),
                          "auc_without": roc_auc(y, without["churn_risk"].to_numpy())}
    used = sorted({c for clf in risk.classifiers_.values() for c in clf.features_
                   if c in columns})
    return {"used": bool(used), "features": used, "auc": rows}
