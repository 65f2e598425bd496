"""What satisfaction is broken down by, and each answering customer's own figures.

Breakdowns of the responses: ``store`` and ``channel`` (as the survey file gives them),
``month`` (of the response date, ``YYYY-MM``) and, from the last complete run's customer table
joined on the unified customer id, ``segment`` (the RFM segment), ``cell`` (the value ×
lifecycle matrix cell) and ``stage`` (the lifecycle stage). A respondent who is not a customer
of that run is in the ``—`` row of those three.

A customer's own figures (:func:`customer_satisfaction`) come from their latest response:
``satisfaction_index`` (eq. I1 on that one response: ``Σ w_g s_g / Σ w_g`` over the groups
they answered, 0-1000), ``overall_satisfaction`` (0-100), ``likelihood_to_recommend`` (0-10)
and ``nps_group`` (``promoter`` 9-10, ``passive`` 7-8, ``detractor`` 0-6).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..workspace import Workspace
from .index import IndexWeights, choose_weights, weighted_columns
from .survey import Survey

__all__ = ["BREAKDOWNS", "with_customers", "customer_satisfaction", "survey_features",
           "SATISFACTION_COLUMNS", "SURVEY_FEATURES"]

#: breakdown name → the customer-table column it comes from (None: from the response itself)
BREAKDOWNS = {"segment": "rfm_segment_label", "cell": "matrix_cell", "stage": "lifecycle_stage",
              "store": None, "channel": None, "month": None}

SATISFACTION_COLUMNS = ("survey_date", "satisfaction_index", "overall_satisfaction",
                        "likelihood_to_recommend", "nps_group")
#: the numeric survey columns a model may use as features (:func:`survey_features`)
SURVEY_FEATURES = ("satisfaction_index", "overall_satisfaction", "likelihood_to_recommend",
                   "days_since_survey")


def with_customers(survey: Survey, ws: Workspace | None = None,
                   customers: pd.DataFrame | None = None) -> Survey:
    """The survey with the breakdown columns ``month``, ``segment``, ``cell`` and ``stage``
    added to its responses, from ``customers`` (a customer table) or else the last complete
    run of ``ws`` (the last three empty without either)."""
    responses = survey.responses.copy()
    responses["month"] = responses["response_date"].dt.strftime("%Y-%m")
    if customers is None and ws is not None and ws.latest_run() is not None:
        run = ws.latest_run()
        have = {r[0] for r in ws.query(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ?",
            [Workspace.run_table(run, "customers")])}
        wanted = [c for c in BREAKDOWNS.values() if c and c in have]
        if wanted:
            cols = ", ".join(f'"{c}"' for c in wanted)
            customers = ws.arrow(f'SELECT customer_id, {cols} FROM '
                                 f'"{Workspace.run_table(run, "customers")}"').to_pandas()
    for name, column in BREAKDOWNS.items():
        if column is None:
            continue
        if customers is not None and column in customers:
            mapped = responses["customer_id"].map(customers.set_index("customer_id")[column])
            responses[name] = mapped
        else:
            responses[name] = None
    return Survey(responses, survey.items)


def customer_satisfaction(survey: Survey, weights: IndexWeights | None = None) -> pd.DataFrame:
    """One row per answering customer, from their latest response (see the module text)."""
    weights = weights or choose_weights(survey)
    matrix, w = weighted_columns(survey, weights)
    answered = ~np.isnan(matrix)
    wa = answered * w
    with np.errstate(invalid="ignore", divide="ignore"):
        own = np.where(wa.sum(axis=1) > 0,
                       (np.nan_to_num(matrix) * wa).sum(axis=1) / wa.sum(axis=1), np.nan)
    r = survey.responses
    out = pd.DataFrame({"customer_id": r["customer_id"], "survey_date": r["response_date"],
                        "satisfaction_index": own})
    overall = survey.of_role("overall")
    out["overall_satisfaction"] = survey.rescaled(overall[0], 100.0) if overall else np.nan
    recommend = survey.of_role("recommend")
    ltr = r[recommend[0]].to_numpy(dtype=float) if recommend else np.full(len(r), np.nan)
    out["likelihood_to_recommend"] = ltr
    out["nps_group"] = np.select([ltr >= 9, ltr >= 7, ltr >= 0],
                                 ["promoter", "passive", "detractor"], None)
    out["_order"] = np.arange(len(out))
    out = out.sort_values(["customer_id", "survey_date", "_order"]).drop_duplicates(
        "customer_id", keep="last").drop(columns="_order")
    return out.reset_index(drop=True)


def survey_features(survey: Survey, as_of, weights: IndexWeights | None = None) -> pd.DataFrame:
    """Optional model features at ``as_of``: each customer's figures from their latest response
    dated on or before ``as_of`` (answers given later are not seen, so a model trained at an
    earlier cut-off does not learn from the future), with ``days_since_survey``. Columns:
    ``customer_id`` and :data:`SURVEY_FEATURES`; customers who had not answered by then have no
    row (a model joins them as missing). Without ``weights`` the index weights are chosen from
    the answers up to ``as_of`` too (derived weights never learn from later answers)."""
    cut = pd.Timestamp(as_of)
    kept = survey.responses["response_date"] <= cut
    if not kept.any():
        return pd.DataFrame(columns=["customer_id", *SURVEY_FEATURES])
    sub = Survey(survey.responses[kept].reset_index(drop=True), survey.items)
    own = customer_satisfaction(sub, weights)  # without weights: chosen from ``sub``
    own["days_since_survey"] = (cut - pd.to_datetime(own["survey_date"])).dt.days
    return own[["customer_id", *SURVEY_FEATURES]].reset_index(drop=True)
