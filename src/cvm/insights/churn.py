"""The churn and win-back figures of a run: how churn risk is spread, how well the same
computation matched what customers did in the horizon before the as-of date (calibration by
risk bin, churn and lift by risk decile), and the customers most worth winning back with
their value, the contact cost and the reason.

Everything is read back from what the churn stage stored (:mod:`cvm.stages.churn`): its figures
in the run summary (``info["stages"]["churn"]``) and its columns in the customer table. Nothing
is fitted here. The report's churn section (:mod:`cvm.reports.winback`), the dashboard's churn
page and the REST API (``GET /churn``, ``GET /churn/winback``) all read these functions:

- :func:`churn_figures` — the figures from the stage's stored summary (a plain dict);
- :func:`winback_rows` — the win-back list from customer rows, the reason worded in ``lang``;
- :func:`churn` and :func:`winback` — the same over a workspace's stored run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from ..models.churn_reason import churn_reason
from ..vocabulary import action_label
from .stored import StoredResults, run_table

__all__ = ["churn", "winback", "churn_figures", "winback_rows", "WINBACK_COLUMNS",
           "MODEL_TITLES", "reworded_reasons", "REASON_EXTRAS"]

#: the customer columns of the win-back list, in order (the personal ones when the run has them)
WINBACK_COLUMNS = ("winback_rank", "customer_id", "name", "phone", "email", "churn_risk",
                   "winback_probability", "value_after_return", "winback_value",
                   "recovery_value", "recommended_action", "expected_gain", "complaint_count",
                   "lifecycle_stage", "recency_days", "frequency")
#: the numbers the reason names besides recency_days and frequency (stored by the stage)
_REASON_NUMBERS = ("churn_gap_days", "churn_recent_spend", "churn_prior_spend")
#: further columns the reason names where the run has them: the complaints, and why the
#: lifecycle stage and the risk disagree (:mod:`cvm.models.churn_reason`)
REASON_EXTRAS = ("churn_horizon_days", "complaint_count", "days_since_complaint",
                 "lifecycle_stage", "spend_change", "churn_risk")

#: the churn candidates' names in both languages
MODEL_TITLES = {
    "paretonbd": ("Pareto/NBD", "Pareto/NBD"), "bgnbd": ("BG/NBD", "BG/NBD"),
    "mbgnbd": ("MBG/NBD", "MBG/NBD"), "recency": ("recency rule", "最近购买规则"),
    "gradient_boosting": ("gradient boosting", "梯度提升"),
    "logistic": ("logistic regression", "逻辑回归"),
}
_NOT_SCORED = {"en": "this run has no churn risk", "zh": "本次运行没有流失风险"}


def churn_figures(stage: Mapping | None, lang: str = "en") -> dict:
    """The churn figures of a run from its churn stage's stored summary.

    ``available`` is false (with ``reason``) when the stage did not score. Otherwise: the
    horizon and training window, the model chosen (``model_title`` in ``lang``), how many
    customers were scored and how many are at risk (``churn_risk`` ≥ ``at_risk``), the risk
    histogram (ten bins of width 0.1), the win-back totals, and ``validation``: the holdout
    check's AUC, calibration error, calibration bins (mean predicted risk against the observed
    churn share per bin) and deciles (churn share and lift per tenth of customers by risk,
    highest first), or ``available: false`` with the note saying why it was not run.

    >>> churn_figures({"status": "not_scored"})["available"]
    False
    """
    stage = stage or {}
    if stage.get("status") != "scored":
        note = stage.get("note_zh" if lang == "zh" else "note")
        return {"available": False, "reason": note or _NOT_SCORED[lang]}
    chosen = stage.get("chosen")
    scored = int(stage.get("customers_scored") or 0)
    histogram = [{"from": b["from"], "to": b["to"], "customers": int(b["customers"]),
                  "share": b["customers"] / scored if scored else 0.0}
                 for b in stage.get("risk_distribution") or []]
    checked = stage.get("validation") or {}
    if checked.get("status") == "validated":
        risk = checked["churn_risk"]
        validation = {
            "available": True, "calibration_end": checked["calibration_end"],
            "holdout_end": checked["holdout_end"], "customers": checked["customers"],
            "sampled_from": checked.get("sampled_from"),
            "holdout_churn_rate": checked["holdout_churn_rate"],
            "auc": risk.get("auc"), "pr_auc": risk.get("pr_auc"), "brier": risk.get("brier"),
            "ece": risk.get("ece"), "lift_at_10": risk.get("lift_at_10"),
            "mean_predicted": risk.get("mean_score"),
            "calibration_bins": [dict(b) for b in checked.get("calibration_bins") or []],
            "deciles": [dict(d) for d in checked.get("deciles") or []]}
    else:
        validation = {"available": False,
                      "reason": checked.get("note_zh" if lang == "zh" else "note") or ""}
    return {
        "available": True, "horizon_days": stage["horizon_days"],
        "window_days": stage["window_days"], "model": chosen,
        "model_title": MODEL_TITLES.get(chosen, (chosen, chosen))[1 if lang == "zh" else 0],
        "reason": stage.get("reason_zh" if lang == "zh" else "reason"),
        "customers_scored": scored, "mean_churn_risk": stage.get("mean_churn_risk"),
        "at_risk": stage.get("at_risk"),
        "at_risk_customers": int(stage.get("at_risk_customers") or 0),
        # empty (not zero) in a run whose purchases carry no amounts
        "winback_worth_contacting": _number(stage.get("winback_worth_contacting"), int),
        "winback_value_total": _number(stage.get("winback_value_total"), float),
        "contact_cost": float(stage.get("contact_cost") or 0.0),
        "has_winback": "reactivation" in stage
        and stage.get("winback_value_total") is not None,
        "risk_histogram": histogram, "validation": validation,
        # the buyers the models learnt from when they were a sample (``churn.fit_customers``)
        "fit_sample": dict(stage["fit_customers"]) if stage.get("fit_customers") else None}


def _number(value, kind):
    return None if value is None else kind(value)


def winback_rows(customers: pd.DataFrame, lang: str = "en", *, contact_cost: float = 0.0,
                 limit: int | None = None, at_risk: float = 0.5) -> list[dict]:
    """The win-back list from ranked customer rows (the stage's columns), in rank order (the
    first ``limit``): each row with its contact cost and the churn reason worded in ``lang``
    from the numbers the run stored with it (the stored sentence is in the language the run
    was made in)."""
    ranked = customers[customers["winback_rank"].notna()].sort_values(
        ["winback_rank", "customer_id"], kind="stable")
    if limit is not None:
        ranked = ranked.head(limit)
    reasons = _reasons(ranked, lang, at_risk)
    shown = [c for c in WINBACK_COLUMNS if c in ranked.columns]
    rows = []
    for record, reason in zip(ranked[shown].to_dict("records"), reasons):
        record = {k: (None if isinstance(v, float) and math.isnan(v) else v)
                  for k, v in record.items()}
        record["winback_rank"] = int(record["winback_rank"])
        if record.get("recommended_action") is not None:
            record["recommended_action"] = action_label(record["recommended_action"], lang)
        record["contact_cost"] = contact_cost
        record["churn_reason"] = reason
        rows.append(record)
    return rows


def _reasons(ranked: pd.DataFrame, lang: str, at_risk: float = 0.5) -> list[str]:
    return reworded_reasons(ranked, lang, at_risk=at_risk)


def reworded_reasons(ranked: pd.DataFrame, lang: str, *, at_risk: float = 0.5) -> list[str]:
    """The churn reason of each row worded in ``lang`` from the numbers the run stored (the
    complaints and the stage against the risk included where the rows have them), or the
    stored sentence where the numbers are missing."""
    needed = ("recency_days", "frequency", *_REASON_NUMBERS)
    if not all(c in ranked.columns for c in needed):
        stored = ranked["churn_reason"] if "churn_reason" in ranked.columns else None
        return [str(r or "") for r in stored] if stored is not None else [""] * len(ranked)
    frame = pd.DataFrame({
        "recency_days": pd.to_numeric(ranked["recency_days"]).to_numpy(float),
        "frequency": pd.to_numeric(ranked["frequency"]).to_numpy(float),
        "mean_gap_days": pd.to_numeric(ranked["churn_gap_days"]).to_numpy(float),
        "recent_spend": pd.to_numeric(ranked["churn_recent_spend"]).to_numpy(float),
        "prior_spend": pd.to_numeric(ranked["churn_prior_spend"]).to_numpy(float)})
    for name in REASON_EXTRAS:
        if name in ranked.columns:
            frame[name] = ranked[name].to_numpy()
    return churn_reason(frame, lang, at_risk=at_risk).tolist()


# -- over a workspace's stored runs ---------------------------------------------------------

def _stage(results: StoredResults, run_id: int) -> dict:
    return ((results.summary(run_id).get("info") or {}).get("stages") or {}).get("churn") or {}


def churn(results: StoredResults, run_id: int, lang: str = "en") -> dict:
    """:func:`churn_figures` of a stored run, with its id."""
    return {"run_id": run_id, **churn_figures(_stage(results, run_id), lang)}


def winback(results: StoredResults, run_id: int, lang: str = "en", *, limit: int = 50,
            offset: int = 0) -> dict:
    """One page of a stored run's win-back list (``winback_rank`` 1 first), with the total
    number of ranked customers; ``available: false`` when the run ranked none."""
    cols = results.columns(run_id)
    stage = _stage(results, run_id)
    if "winback_rank" not in cols or stage.get("status") != "scored":
        return {"run_id": run_id, "available": False, "reason": _NOT_SCORED[lang], "total": 0,
                "columns": [], "rows": []}
    t = run_table(run_id)
    total = results.scalar(f"SELECT count(*) FROM {t} WHERE winback_rank IS NOT NULL")
    wanted = [c for c in dict.fromkeys((*WINBACK_COLUMNS, "churn_reason", *_REASON_NUMBERS,
                                        *REASON_EXTRAS)) if c in cols]
    select = ", ".join(f'"{c}"' for c in wanted)
    found = results.rows(f"SELECT {select} FROM {t} WHERE winback_rank IS NOT NULL "
                         "ORDER BY winback_rank, customer_id LIMIT ? OFFSET ?", [limit, offset])
    frame = pd.DataFrame(found, columns=wanted)
    rows = winback_rows(frame, lang, contact_cost=float(stage.get("contact_cost") or 0.0),
                        at_risk=float(stage.get("at_risk") or 0.5))
    columns = [c for c in WINBACK_COLUMNS if c in cols] + ["contact_cost", "churn_reason"]
    return {"run_id": run_id, "available": True, "total": int(total), "offset": offset,
            "limit": limit, "columns": columns, "rows": rows}
