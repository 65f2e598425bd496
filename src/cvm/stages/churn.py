"""Churn risk and win-back in a run, and the churn check on a workspace.

:class:`ChurnStage` adds, per customer with a purchase (prospects, appended later by the
lifecycle stage, keep nulls):

- ``churn_risk``: the calibrated probability of no purchase in the next H days, from the
  candidate that wins on the window before the as-of date (:class:`cvm.models.churn.ChurnRisk`,
  trained without looking past the as-of date), and ``churn_model`` naming it;
- ``churn_reason`` in the run's language (:func:`cvm.models.churn_reason.churn_reason`) and the
  numbers it names besides ``recency_days`` and ``frequency`` (:data:`REASON_COLUMNS`), so that
  it can be worded again in the other language;
- ``winback_probability``: P(returns within H days | silence band, value tier), from the data's
  own reactivations (:class:`cvm.models.winback.ReactivationModel`);
- ``value_after_return``: the spend expected from the customer in the CLV horizon once they
  are back (:func:`value_after_return`), and ``winback_value`` = ``winback_probability`` ×
  ``value_after_return`` − contact cost (:func:`cvm.models.winback.winback_value`);
- ``winback_rank``: 1 = most worth winning back, among the churned and at-risk customers
  (``churn_risk`` ≥ ``churn.at_risk``), by the better of the recovery options they are offered
  (:func:`cvm.models.winback.best_recovery_value`: ``winback_value``, or ``recovery_value``
  where it is higher); null for the others;
- ``recovery_value``: for a customer who complained and then went silent
  (:func:`cvm.models.winback.complained_silent`), the expected gain of a service recovery —
  ``churn.recovery_response`` × ``value_after_return`` − ``churn.recovery_cost``; null for the
  others and without a service log.

With a service log (``cvm load-interactions``) the complaints so far and the days since the
last one join the classifier's features, taken at each feature date from the contacts up to it
(:func:`cvm.models.churn_validation.with_complaints`), the churn reason names the complaint,
and a silent complainer's chance of coming back is read from the data's own silent complainers
(their own reactivation group).

With a survey (``cvm survey load``) each customer's latest answer up to the feature date (their
own index, overall satisfaction, likelihood to recommend, days since the answer, and whether
they had answered) joins the classifier's features the same way
(:mod:`cvm.features.survey_answers`); the run summary names the survey features used.

When the history reaches one horizon further back, the stage also checks the same computation
against what happened: fitted at ``as_of - H`` on the data up to then, compared with the H days
up to the as-of date (:func:`cvm.models.churn_validation.validate_churn`); the figures go into
the run summary (``info["stages"]["churn"]["validation"]``) and the ``churn_calibration`` table.
When it does not, the summary says so.

:func:`validate_churn_workspace` checks the churn candidates on a workspace's own history
(``cvm churn validate``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..engine import return_free_memory
from ..features.behaviour import BEHAVIOUR_COLUMNS, behaviour_features
from ..models.churn import ChurnRisk
from ..models.churn_metrics import ECE_BINS
from ..models.churn_reason import churn_reason
from ..models.churn_validation import (
    ChurnValidation,
    churn_horizon,
    fit_churn_risk,
    sampled_customers,
    training_window,
    validate_churn,
)
from ..models.winback import (COMPLAINED, ReactivationModel, best_recovery_value,
                              complained_silent, reactivation_counts, recovery_value,
                              winback_value)
from ..features.complaints import COMPLAINT_COLUMNS, complaint_features
from ..features.survey_answers import SURVEY_ANSWER_COLUMNS, join_survey_answers, loaded_survey
from ..interactions.load import has_interactions
from .contract import AnalysisError, Stage, StageResult, fit_inputs

__all__ = ["ChurnStage", "validate_churn_workspace", "value_after_return", "CHURN_COLUMNS",
           "REASON_COLUMNS"]

#: the numbers churn_reason names, besides recency_days and frequency
REASON_COLUMNS = ("churn_gap_days", "churn_recent_spend", "churn_prior_spend",
                  "churn_horizon_days")
CHURN_COLUMNS = ("churn_risk", "churn_model", "churn_reason", *REASON_COLUMNS,
                 "winback_probability", "value_after_return", "winback_value", "winback_rank",
                 "recovery_value")
_TYPES = {"churn_model": pa.string(), "churn_reason": pa.string(), "winback_rank": pa.int64()}


def value_after_return(monetary_avg, mean_gap_days, *, days: float, typical_gap_days: float,
                       monetary_total=None, tenure_days=None) -> np.ndarray:
    """The spend a returning customer is expected to bring in the next ``days``: their average
    spend per purchase day × the purchase days their own rhythm gives in that time,
    ``days / mean_gap_days`` (a customer without a repeat purchase: ``typical_gap_days``, the
    median rhythm of the repeat buyers), at least one purchase day (the return itself).

    With ``monetary_total`` and ``tenure_days``, no more than the customer brought per ``days``
    of its past relationship, counted over at least ``days`` (a burst of purchases in a few
    weeks is not a year's rhythm: 569 spent in 30 days promises 569 a year, not 25,000), and
    never less than one average purchase day.

    >>> value_after_return([50.0], [2.0], days=365, typical_gap_days=16,
    ...                    monetary_total=[569.0], tenure_days=[30.0]).round(2).tolist()
    [569.0]
    >>> value_after_return([100.0], [30.0], days=365, typical_gap_days=16,
    ...                    monetary_total=[2000.0], tenure_days=[730.0]).round(2).tolist()
    [1000.0]
    """
    a = np.nan_to_num(np.asarray(monetary_avg, dtype=float))
    gap = np.asarray(mean_gap_days, dtype=float)
    gap = np.where(np.isfinite(gap) & (gap > 0), gap, typical_gap_days)
    rhythm = a * np.maximum(days / gap, 1.0)
    if monetary_total is None or tenure_days is None:
        return rhythm
    total = np.nan_to_num(np.asarray(monetary_total, dtype=float))
    tenure = np.nan_to_num(np.asarray(tenure_days, dtype=float))
    past_rate = total * days / np.maximum(tenure, days)
    return np.maximum(np.minimum(rhythm, past_rate), a)


@dataclass
class _State:
    risk: ChurnRisk | None
    reactivation: ReactivationModel | None
    tier_cuts: tuple[float, float]
    typical_gap_days: float
    value_days: float
    contact_cost: float
    lang: str
    settings: dict
    horizon_days: float = 0.0
    recovery: tuple[float, float] = (0.1, 50.0)


def _contacts(ctx):
    """The service log's contacts up to the as-of date on the run's engine, or None."""
    if ctx.ws is None or not has_interactions(ctx.ws.con):
        return None
    found = ctx.ws.arrow("SELECT customer_id, interaction_date, kind FROM unified_interactions "
                         "WHERE interaction_date <= ?", [ctx.as_of])
    return ctx.engine.table(found, "cvm_churn_contacts") if found.num_rows else None


class ChurnStage(Stage):
    name = "churn"
    needs = ("recency_days", "frequency")
    on_engine = True

    def adds(self, config) -> tuple[str, ...]:
        return CHURN_COLUMNS

    def relation(self, ctx, customers):
        """The behaviour features at the as-of date, with the label window's length (one row
        per buyer); None when the data give no horizon or too short a history."""
        try:
            horizon, rule = churn_horizon(ctx.transactions, ctx.engine.to_arrow, as_of=ctx.as_of,
                                          horizon_days=ctx.config.churn.horizon_days)
            window = training_window(ctx.transactions, ctx.engine.to_arrow, as_of=ctx.as_of,
                                     horizon_days=horizon)
        except ValueError:
            return None
        import ibis

        features = behaviour_features(ctx.transactions, as_of=ctx.as_of, window_days=window)
        features = features.mutate(
            churn_horizon_days=ibis.literal(horizon), churn_window_days=ibis.literal(window),
            churn_horizon_rule=ibis.literal(rule))
        features = join_survey_answers(ctx.engine, features, loaded_survey(ctx.ws),
                                       as_of=ctx.as_of)
        contacts = _contacts(ctx)
        if contacts is None:
            return features
        said = complaint_features(contacts, as_of=ctx.as_of)
        joined = features.left_join(said, features.customer_id == said.customer_id)
        return joined.select(*features.columns, *COMPLAINT_COLUMNS)

    def fit(self, ctx, rows: pa.Table) -> _State:
        """The churn models learnt from the buyers' features ``rows`` — or, above
        ``churn.fit_customers`` buyers, from those of a sample of them
        (:func:`cvm.models.churn_validation.sampled_customers`) — and the win-back history."""
        kept = (_fit_sample(ctx, rows.num_rows) if "churn_horizon_days" in rows.column_names
                else None)
        if kept is None:
            return self._fit(ctx, rows, None)
        ids = ctx.engine.to_arrow(kept).column("customer_id")
        sampled = rows.filter(pc.is_in(rows.column("customer_id"), value_set=ids))
        return self._fit(ctx, sampled, (kept, rows.num_rows))

    def _fit(self, ctx, rows: pa.Table, sample: tuple | None) -> _State:
        """:meth:`fit` on ``rows``; with ``sample`` (the sample's ids on the engine and the
        buyers it was drawn from) the models learn from the sample's transactions."""
        opts = ctx.config.churn
        blank = _State(None, None, (0.0, 0.0), 1.0, float(ctx.config.clv.horizon_days),
                       opts.contact_cost, ctx.config.lang, {})
        # the first row with a horizon (found in the column alone, not by filtering the table;
        # -1 when none has one)
        at = (pc.index(pc.is_valid(rows.column("churn_horizon_days")), True).as_py()
              if "churn_horizon_days" in rows.column_names else -1)
        if at < 0:
            blank.settings = {"status": "not_scored", **_words("too_short")}
            return blank
        horizon = int(rows.column("churn_horizon_days")[at].as_py())
        window = int(rows.column("churn_window_days")[at].as_py())
        rule = rows.column("churn_horizon_rule")[at].as_py()
        current = _current(rows)
        to_arrow = ctx.engine.to_arrow
        contacts = _contacts(ctx) if "complaint_count" in rows.column_names else None
        surveys = loaded_survey(ctx.ws) if "survey_answered" in rows.column_names else None
        # the win-back history first: the engine's working memory for it is handed back before
        # the churn fit's frames are made (the other way round they add up)
        history = reactivation_counts(ctx.transactions, to_arrow, as_of=ctx.as_of,
                                      horizon_days=horizon, contacts=contacts)
        return_free_memory()
        try:
            learnt_from = (ctx.transactions if sample is None
                           else ctx.transactions.semi_join(sample[0], "customer_id"))
            risk = fit_churn_risk(learnt_from, to_arrow, current, as_of=ctx.as_of,
                                  horizon_days=horizon, window_days=window, contacts=contacts,
                                  surveys=surveys)
        except ValueError as exc:
            blank.settings = {"status": "not_scored", "note": str(exc),
                              "note_zh": _words("not_learned")["note_zh"]}
            return blank
        settings = {"status": "scored", "horizon_days": horizon, "horizon_rule": rule,
                    "window_days": window,
                    "training_cutoff": (ctx.as_of - dt.timedelta(days=window)).isoformat(),
                    "chosen": risk.chosen_, "calibration": risk.calibration_methods_[risk.chosen_],
                    "reason": risk.reason("en"), "reason_zh": risk.reason("zh"),
                    "window_churn_rate": risk.window_base_rate_,
                    "window_figures": {f.name: {"auc": f.inner_auc, "brier": f.inner_brier}
                                       for f in risk.window_fits_}}
        if sample is not None:  # the models learnt from a sample of the buyers
            settings["fit_customers"] = {"customers": len(current), "sampled_from": sample[1]}
        reactivation = None
        if len(history):
            reactivation = ReactivationModel().fit(history)
            settings["reactivation"] = {
                "observations": int(history["customers"].sum()),
                "overall_rate": reactivation.overall_rate_,
                "cutoffs": sorted({pd.Timestamp(c).date().isoformat()
                                   for c in history["cutoff"].unique()})}
            if contacts is not None:
                settings["reactivation"]["complained"] = _complained_rates(history)
        if contacts is not None:
            settings["complaint_features"] = sorted(
                {c for clf in risk.classifiers_.values() for c in clf.features_
                 if c in COMPLAINT_COLUMNS})
            settings["recovery"] = {"response": opts.recovery_response,
                                    "cost": opts.recovery_cost}
        if surveys is not None:
            settings["survey_features"] = sorted(
                {c for clf in risk.classifiers_.values() for c in clf.features_
                 if c in SURVEY_ANSWER_COLUMNS})
        spend = current["monetary_total"].to_numpy(dtype=float)
        cuts = tuple(float(q) for q in np.nanquantile(spend, [1 / 3, 2 / 3]))
        gaps = current["mean_gap_days"].to_numpy(dtype=float)
        gaps = gaps[np.isfinite(gaps) & (gaps > 0)]
        typical = float(np.median(gaps)) if gaps.size else float(horizon)
        settings.update({"contact_cost": opts.contact_cost, "at_risk": opts.at_risk,
                         "value_days": float(ctx.config.clv.horizon_days),
                         "typical_gap_days": typical})
        return _State(risk, reactivation, cuts, typical, float(ctx.config.clv.horizon_days),
                      opts.contact_cost, ctx.config.lang, settings, float(horizon),
                      (opts.recovery_response, opts.recovery_cost))

    def transform(self, batch: pa.RecordBatch, state: _State) -> pa.RecordBatch:
        n = batch.num_rows
        if state.risk is None:
            return pa.RecordBatch.from_arrays(
                [pa.nulls(n, _TYPES.get(c, pa.float64())) for c in CHURN_COLUMNS],
                names=list(CHURN_COLUMNS))
        frame = _current(pa.Table.from_batches([batch]))
        scored = batch.column("churn_horizon_days").is_valid()
        mask = np.asarray(scored.to_numpy(zero_copy_only=False), dtype=bool)
        part = frame[mask].reset_index(drop=True)
        out = {c: np.full(n, np.nan) for c in CHURN_COLUMNS}
        out["churn_model"] = np.full(n, None, dtype=object)
        out["churn_reason"] = np.full(n, None, dtype=object)
        if len(part):
            scores = state.risk.predict(part, chosen_only=True)
            out["churn_risk"][mask] = scores["churn_risk"].to_numpy()
            out["churn_model"][mask] = scores["churn_model"].to_numpy()
            out["churn_reason"][mask] = churn_reason(part, state.lang).to_numpy()
            out["churn_gap_days"][mask] = part["mean_gap_days"].to_numpy(dtype=float)
            out["churn_recent_spend"][mask] = part["recent_spend"].to_numpy(dtype=float)
            out["churn_prior_spend"][mask] = part["prior_spend"].to_numpy(dtype=float)
            out["churn_horizon_days"][mask] = state.horizon_days
            if state.reactivation is not None:
                spend = part["monetary_total"].to_numpy(dtype=float)
                low, high = state.tier_cuts
                tier = np.where(spend > high, "high", np.where(spend > low, "middle", "low"))
                silent = np.zeros(len(part), dtype=bool)
                if "days_since_complaint" in part:
                    silent = complained_silent(part["recency_days"], part["days_since_complaint"],
                                               state.horizon_days)
                    tier = np.where(silent, np.char.add(tier.astype(str), COMPLAINED), tier)
                p = state.reactivation.predict(part["recency_days"].to_numpy(dtype=float), tier)
                value = value_after_return(part["monetary_avg"], part["mean_gap_days"],
                                           days=state.value_days,
                                           typical_gap_days=state.typical_gap_days,
                                           monetary_total=spend,
                                           tenure_days=part["tenure_days"])
                out["winback_probability"][mask] = p
                out["value_after_return"][mask] = value
                out["winback_value"][mask] = winback_value(p, value, state.contact_cost)
                response, cost = state.recovery
                out["recovery_value"][mask] = np.where(
                    silent, recovery_value(value, response=response, cost=cost), np.nan)
        arrays = []
        for c in CHURN_COLUMNS:
            if c == "winback_rank":
                arrays.append(pa.nulls(n, pa.int64()))  # ranked over every customer in finish
            else:
                arrays.append(pa.array(out[c], type=_TYPES.get(c, pa.float64()),
                                       from_pandas=True))
        return pa.RecordBatch.from_arrays(arrays, names=list(CHURN_COLUMNS))

    def finish(self, ctx, customers: pa.Table, state: _State) -> StageResult:
        summary = dict(state.settings)
        if state.risk is None:
            summary["validation"] = {"status": "not_run", **_words("too_short")}
            return StageResult(customers, summary=summary)
        risk = customers.column("churn_risk").to_numpy(zero_copy_only=False).astype(float)
        value = customers.column("winback_value").to_numpy(zero_copy_only=False).astype(float)
        recovery = customers.column("recovery_value").to_numpy(zero_copy_only=False)
        at_risk = np.isfinite(risk) & (risk >= ctx.config.churn.at_risk) & np.isfinite(value)
        rank = np.full(len(risk), np.nan)
        if at_risk.any():
            # 1 = most worth recovering: by the better of the two recovery options the customer
            # is offered (win back, or service recovery for a silent complainer); ties share
            # the better rank
            best = best_recovery_value(value, recovery)
            rank[at_risk] = pd.Series(best[at_risk]).rank(ascending=False, method="min")
        customers = customers.set_column(customers.column_names.index("winback_rank"),
                                         "winback_rank",
                                         pa.array(rank, type=pa.int64(), from_pandas=True))
        scored = np.isfinite(risk)
        counts, _ = np.histogram(risk[scored], bins=ECE_BINS, range=(0.0, 1.0))
        worth = at_risk & (value > 0)
        summary.update(_figures(int(scored.sum()),
                                float(risk[scored].mean()) if scored.any() else None,
                                [int(c) for c in counts], int(at_risk.sum()), int(worth.sum()),
                                float(value[worth].sum())))
        return StageResult(customers, tables=_validation(ctx, state, summary), summary=summary)

    def fit_on_engine(self, ctx, rows) -> _State:
        """The fit on every buyer's behaviour features, brought to this process (the churn
        models' inputs; none when the relation found no horizon)."""
        if "churn_horizon_days" not in rows.columns:
            return self.fit(ctx, pa.table({"customer_id": pa.array([], pa.string())}))
        buyers = ctx.engine.to_arrow(rows.count().name("n").as_table()).column("n")[0].as_py()
        kept = _fit_sample(ctx, buyers)
        if kept is None:
            return self._fit(ctx, fit_inputs(ctx.engine, rows), None)
        return self._fit(ctx, fit_inputs(ctx.engine, rows.semi_join(kept, "customer_id")),
                         (kept, buyers))

    def finish_on_engine(self, ctx, customers, state: _State) -> StageResult:
        """:meth:`finish` on the engine: the win-back ranks by a window over the at-risk
        customers, the figures from one aggregate."""
        summary = dict(state.settings)
        if state.risk is None:
            summary["validation"] = {"status": "not_run", **_words("too_short")}
            return StageResult(customers, summary=summary)
        import ibis

        t = customers
        at_risk = (t.churn_risk.notnull() & (t.churn_risk >= ctx.config.churn.at_risk)
                   & t.winback_value.notnull())
        best = ibis.ifelse(t.recovery_value.notnull() & (t.recovery_value > t.winback_value),
                           t.recovery_value, t.winback_value)
        ranks = t.filter(at_risk).select(
            "customer_id", _rank=(ibis.rank().over(order_by=ibis.desc(best)) + 1).cast("int64"))
        joined = t.left_join(ranks, "customer_id")
        customers = ctx.engine.cache(joined.select(*[
            joined._rank.name("winback_rank") if c == "winback_rank" else joined[c]
            for c in t.columns]))
        edges = np.histogram_bin_edges([], bins=ECE_BINS, range=(0.0, 1.0))
        risk, value = t.churn_risk, t.winback_value
        bins = {f"bin{i}": ((risk >= float(edges[i]))
                            & ((risk < float(edges[i + 1])) if i < ECE_BINS - 1
                               else (risk <= float(edges[i + 1])))).sum()
                for i in range(ECE_BINS)}
        worth = at_risk & (value > 0)
        row = ctx.engine.to_arrow(t.aggregate(
            scored=risk.notnull().sum(), mean=risk.mean(), at_risk=at_risk.sum(),
            worth=worth.sum(), worth_value=worth.ifelse(value, 0.0).sum(), **bins)
        ).to_pylist()[0]
        summary.update(_figures(int(row["scored"] or 0), row["mean"],
                                [int(row[f"bin{i}"] or 0) for i in range(ECE_BINS)],
                                int(row["at_risk"] or 0), int(row["worth"] or 0),
                                float(row["worth_value"] or 0.0)))
        return StageResult(customers, tables=_validation(ctx, state, summary), summary=summary)


def _fit_sample(ctx, buyers: int):
    """The ids of the buyers the churn models learn from, on the engine, when there are more
    than ``churn.fit_customers`` (:func:`cvm.models.churn_validation.sampled_customers`); None
    when they learn from every buyer."""
    limit = ctx.config.churn.fit_customers
    if limit is None or buyers <= limit:
        return None
    return ctx.engine.cache(sampled_customers(ctx.transactions, as_of=ctx.as_of,
                                              max_customers=limit))


def _figures(scored: int, mean: float | None, counts: list[int], at_risk: int, worth: int,
             worth_value: float) -> dict:
    """The stage's figures in the run summary: customers scored, mean risk, the risk histogram
    (:data:`ECE_BINS` equal bins), the at-risk customers and those worth a win-back contact."""
    return {
        "customers_scored": scored,
        "mean_churn_risk": float(mean) if scored and mean is not None else None,
        "risk_distribution": [{"from": i / ECE_BINS, "to": (i + 1) / ECE_BINS,
                               "customers": c} for i, c in enumerate(counts)],
        "at_risk_customers": at_risk,
        "winback_worth_contacting": worth,
        "winback_value_total": worth_value,
    }


def _validation(ctx, state: _State, summary: dict) -> dict[str, pa.Table]:
    """The check one horizon earlier (:func:`_validate`) into the summary; the calibration
    table to store with the run."""
    tables = {}
    validation = _validate(ctx, state)
    if isinstance(validation, ChurnValidation):
        figures = validation.summary()
        summary["validation"] = {
            "status": "validated", "calibration_end": figures["calibration_end"],
            "holdout_end": figures["holdout_end"], "customers": figures["customers"],
            "holdout_churn_rate": figures["holdout_churn_rate"],
            "chosen": figures["chosen"], "churn_risk": figures["churn_risk"],
            "candidates": {c: {"title": v["title"], "auc": v["score"]["auc"],
                               "calibrated_auc": v["calibrated"]["auc"],
                               "calibrated_ece": v["calibrated"]["ece"]}
                           for c, v in figures["candidates"].items()},
            "calibration_bins": figures["calibration_bins"]["churn_risk"],
            "deciles": figures["deciles"]["churn_risk"],
            "complaint_features": figures["complaint_features"],
            "survey_features": figures["survey_features"]}
        if figures["sampled_from"] is not None:  # the check looked at a sample of them
            summary["validation"]["sampled_from"] = figures["sampled_from"]
        tables["churn_calibration"] = pa.Table.from_pylist(
            figures["calibration_bins"]["churn_risk"])
    else:
        summary["validation"] = {"status": "not_run", "note": validation,
                                 "note_zh": _words("too_short")["note_zh"]}
    return tables


def _current(rows: pa.Table) -> pd.DataFrame:
    """The behaviour features of the rows as the churn models read them (with the complaint
    features when a service log was loaded: no complaint is a count of 0; and the survey
    answers when a survey was loaded)."""
    names = ["customer_id", *[c for c in (*BEHAVIOUR_COLUMNS, *COMPLAINT_COLUMNS,
                                          *SURVEY_ANSWER_COLUMNS) if c in rows.column_names]]
    frame = rows.select(names).to_pandas()
    if "complaint_count" in frame:
        frame["complaint_count"] = frame["complaint_count"].fillna(0).astype(float)
        frame["days_since_complaint"] = frame["days_since_complaint"].astype(float)
    return frame


def _complained_rates(history: pd.DataFrame) -> dict:
    """The data's evidence on silent complainers: how many customers silent after a complaint
    the earlier cut-offs held, and the share of them who bought again within the horizon,
    beside the same for the other silent customers."""
    complained = history["group"].astype(str).str.endswith(COMPLAINED).to_numpy()
    customers = history["customers"].to_numpy(dtype=np.int64)
    returned = history["returned"].to_numpy(dtype=np.int64)
    out = {}
    for key, rows in (("complained", complained), ("others", ~complained)):
        n, back = int(customers[rows].sum()), int(returned[rows].sum())
        out[key] = {"customers": n, "returned": back, "rate": back / n if n else None}
    return out


def _validate(ctx, state: _State) -> ChurnValidation | str:
    """The stage's computation fitted one horizon earlier and compared with the horizon up to
    the as-of date; a sentence saying why not when the history is too short."""
    horizon = int(state.settings["horizon_days"])
    end = ctx.as_of - dt.timedelta(days=horizon)
    txns = ctx.transactions.filter(ctx.transactions.purchase_date <= ctx.as_of)
    contacts = _contacts(ctx) if "complaint_features" in state.settings else None
    surveys = loaded_survey(ctx.ws) if "survey_features" in state.settings else None
    try:
        return validate_churn(txns, ctx.engine.to_arrow, calibration_end=end,
                              horizon_days=horizon, last_date=ctx.as_of,
                              calibration=state.risk.calibration, contacts=contacts,
                              surveys=surveys, max_customers=ctx.config.churn.check_customers)
    except ValueError as exc:
        return (f"not checked against a holdout: fitted at {end} (one horizon of {horizon} days "
                f"before the as-of date) the history is too short ({exc})")


def _words(key: str) -> dict:
    return {
        "too_short": {"note": "the history is too short to check churn risk against what "
                              "customers did next",
                      "note_zh": "历史数据太短,无法用客户随后的实际行为检验流失风险"},
        "not_learned": {"note": "churn risk could not be learned from this data",
                        "note_zh": "无法从这些数据中学习流失风险"},
    }[key]


def validate_churn_workspace(ws, *, calibration_end: dt.date, horizon_days: int | None = None,
                             engine: str = "duckdb", calibration: str = "auto"
                             ) -> ChurnValidation:
    """:func:`validate_churn` on a workspace's unified transactions."""
    from ..engine import get_engine
    from ..identity import unify

    last = ws.query("SELECT max(purchase_date) FROM transactions")[0][0]
    if last is None:
        raise AnalysisError(f"workspace {ws.path} holds no transactions: load a file first")
    if calibration_end >= last:
        raise AnalysisError(f"the calibration end ({calibration_end}) must come before the last "
                            f"purchase date ({last})")
    unify(ws)
    eng = get_engine(engine, ws.con)
    transactions = eng.transactions(ws)
    contacts = None
    if has_interactions(ws.con):
        found = ws.arrow("SELECT customer_id, interaction_date, kind FROM unified_interactions")
        contacts = eng.table(found, "cvm_churn_contacts") if found.num_rows else None
    try:
        return validate_churn(transactions, eng.to_arrow, calibration_end=calibration_end,
                              horizon_days=horizon_days, last_date=last, calibration=calibration,
                              contacts=contacts, surveys=loaded_survey(ws))
    except ValueError as exc:
        raise AnalysisError(str(exc)) from None
    finally:
        eng.release()
