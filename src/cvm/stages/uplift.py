"""The uplift stage: an uplift model learned from a past campaign (:mod:`cvm.models.uplift`,
:mod:`cvm.models.uplift_evaluation`) on the run's customer features, measured on a held-out part
of the campaign, then every buyer of the run scored and sorted into uplift groups — target the
persuadable.

The campaign file has one row per customer contacted or held back: the customer id, the group
and the outcome (column names given). The models learn from each customer's features
(:data:`FEATURES`) as they were the day before the campaign started (``campaign_start``):
features at a later date would count the purchases the campaign itself caused, and the models
would learn the outcome from them. Without ``campaign_start`` the run's own features at the
as-of date are used, which is right only for a campaign that started after the as-of date
(the summary says which). The current customers are scored on the run's features. Adds no customer column; stores ``uplift_scores`` (the held-out part) and
``uplift_targets`` (every buyer) with the run and the figures under
``info["stages"]["uplift"]``; a campaign too small to learn from (fewer than 4 customers in a
group × outcome) gets ``status: not_fitted`` with the reason, and the run goes on. Not in the
default stages: ``cvm demo`` takes it, and ``cvm run --uplift-campaign NAME`` learns from a
campaign of the workspace (:meth:`UpliftStage.from_campaign`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ..features.summary import customer_summary
from ..models.uplift_evaluation import UpliftError, evaluate_uplift, score_customers
from .contract import Stage, StageResult

__all__ = ["UpliftStage", "FEATURES"]

#: the customer features the uplift models learn from
FEATURES = ("n_transactions", "frequency", "recency_days", "tenure_days", "monetary_avg")
_CURVE_POINTS = 21
TOP = 10


def _curve_points(x: np.ndarray, q: np.ndarray) -> list[list[float]]:
    """The Qini curve at 0 %, 5 % … 100 % of the customers (interpolated), for the report."""
    at = np.linspace(0, x[-1], _CURVE_POINTS)
    return [[float(a), float(b)] for a, b in zip(at, np.interp(at, x, q))]


class UpliftStage(Stage):
    name = "uplift"
    needs = ("customer_id",) + FEATURES

    def __init__(self, campaign: str | Path, *, group_column: str, control: str, outcome: str,
                 id_column: str, min_uplift: float = 0.02, seed: int = 0,
                 campaign_start: dt.date | None = None):
        self.campaign = campaign
        self.campaign_start = campaign_start
        self.group_column = group_column
        self.control = control
        self.outcome = outcome
        self.id_column = id_column
        self.min_uplift = min_uplift
        self.seed = seed
        self.registry_name: str | None = None

    @classmethod
    def from_campaign(cls, name: str, *, min_uplift: float = 0.02,
                      seed: int = 0) -> "UpliftStage":
        """Learn from campaign ``name`` of the run's workspace (``cvm campaign create``): each
        member's arm (the control held out) and whether it responded — bought in the
        campaign's window (:func:`cvm.campaigns.registry.outcomes_from_transactions`) — with
        the features of the day before the campaign started."""
        stage = cls(name, group_column="arm", control="control", outcome="responded",
                    id_column="member", min_uplift=min_uplift, seed=seed)
        stage.registry_name = name
        return stage

    def _campaign_rows(self, ctx) -> pd.DataFrame:
        """The campaign's rows (id, group, outcome); for a campaign of the workspace, its start
        day becomes ``campaign_start``."""
        if self.registry_name is None:
            return pd.read_csv(self.campaign, dtype=str, encoding="utf-8-sig")
        from ..campaigns.design import get_campaign
        from ..campaigns.registry import outcomes_from_transactions

        self.campaign_start = get_campaign(ctx.ws, self.registry_name).start_date
        rows = outcomes_from_transactions(ctx.ws, self.registry_name, engine=ctx.engine)
        return rows[["customer_id", "arm", "responded"]].rename(
            columns={"customer_id": "member"})

    def adds(self, config) -> tuple[str, ...]:
        return ()

    def _features_before(self, ctx) -> pd.DataFrame:
        """Every buyer's features on the day before the campaign started."""
        day = self.campaign_start - dt.timedelta(days=1)
        summary = customer_summary(ctx.days, as_of=day, window_days=ctx.config.window_days)
        frame = ctx.engine.to_arrow(summary.select("customer_id", *FEATURES)).to_pandas()
        return frame[frame["n_transactions"].fillna(0) > 0]

    def finish(self, ctx, customers: pa.Table, state) -> StageResult:
        people = customers.select(["customer_id", *FEATURES]).to_pandas()
        people = people[people["n_transactions"].fillna(0) > 0]
        campaign = self._campaign_rows(ctx)
        before = self.campaign_start is not None and ctx is not None \
            and self.campaign_start <= ctx.as_of
        learn_from = self._features_before(ctx) if before else people
        if self.id_column not in campaign.columns:
            raise UpliftError(f"the campaign file has no column {self.id_column!r}")
        campaign = campaign[[self.id_column, self.group_column, self.outcome]].merge(
            learn_from, left_on=self.id_column, right_on="customer_id", how="inner"
        ).drop(columns=["customer_id"])
        try:
            ev = evaluate_uplift(campaign, group_column=self.group_column, control=self.control,
                                 outcome=self.outcome, id_column=self.id_column, seed=self.seed)
        except UpliftError as exc:  # too few customers in a group: no model, the run goes on
            return StageResult(customers, summary={"status": "not_fitted", "reason": str(exc)})
        targets = score_customers(ev, people, id_column="customer_id",
                                  min_uplift=self.min_uplift)
        s = ev.summary
        summary = {
            "campaign": self.registry_name or Path(self.campaign).name, "customers": s["customers"],
            "treated": s["treated"], "control": s["control"], "held_out": s["held_out"],
            "chosen": s["chosen"], "average_uplift": s["average_uplift"],
            "response_treated": s["response_treated"],
            "response_control": s["response_control"],
            "models": {m: {k: v for k, v in d.items() if k != "title"}
                       for m, d in s["models"].items()},
            "curves": {name: _curve_points(x, q) for name, (x, q) in ev.curves.items()},
            "segments": {g: int(n) for g, n in targets["uplift_segment"].value_counts().items()},
            "min_uplift": self.min_uplift,
            "features_as_of": str(self.campaign_start - dt.timedelta(days=1)) if before
            else str(ctx.as_of) if ctx is not None else None,
            "top_persuadable": targets[targets["target"] == 1].head(TOP)[
                ["id", "uplift", "probability_outcome_control"]].to_dict("records"),
        }
        tables = {"uplift_scores": pa.Table.from_pandas(ev.scores, preserve_index=False),
                  "uplift_targets": pa.Table.from_pandas(targets, preserve_index=False)}
        return StageResult(customers, tables, summary)
