"""The uplift stage learns from the features customers had before the campaign: the purchases
the campaign caused are not features of the model that predicts them."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from cvm.config import AnalysisConfig
from cvm.pipeline import run
from cvm.stages import FeatureStage
from cvm.stages.uplift import UpliftStage

AS_OF = dt.date(2024, 12, 31)
START = dt.date(2024, 6, 1)


class _Seen(UpliftStage):
    """The stage, keeping the features it learned from."""

    def _features_before(self, ctx):
        self.seen = super()._features_before(ctx)
        return self.seen


def _data(tmp_path):
    ids = [f"C{i:02d}" for i in range(48)]
    rows = []
    for i, cid in enumerate(ids):
        rows += [(cid, "2024-01-10", 20.0), (cid, "2024-03-10", 30.0)]
        if i % 3 == 0:              # the responders: a purchase in the campaign's fortnight
            rows.append((cid, "2024-06-10", 50.0))
    tx = pd.DataFrame(rows, columns=["customer_id", "purchase_date", "amount"])
    campaign = tmp_path / "campaign.csv"
    pd.DataFrame({"id": ids, "arm": ["sms" if i % 2 else "none" for i in range(48)],
                  "bought": [int(i % 3 == 0) for i in range(48)]}).to_csv(campaign, index=False)
    return tx, campaign


def _stage(campaign, start):
    return _Seen(campaign, group_column="arm", control="none", outcome="bought", id_column="id",
                 campaign_start=start)


def test_features_are_taken_the_day_before_the_campaign_started(tmp_path):
    tx, campaign = _data(tmp_path)
    stage = _stage(campaign, START)
    result = run(tx, workspace=tmp_path / "w.duckdb", out=None,
                 config=AnalysisConfig(as_of=AS_OF), stages=[FeatureStage(), stage])
    summary = result.info["stages"]["uplift"]
    assert summary["features_as_of"] == "2024-05-31"
    seen = stage.seen.set_index("customer_id")
    # C00 responded: three purchases by the as-of date, two before the campaign
    assert seen.loc["C00", "n_transactions"] == 2 and seen.loc["C00", "recency_days"] == 82
    assert (seen["n_transactions"] == 2).all()
    now = result.customers.to_pandas().set_index("customer_id")
    assert now.loc["C00", "n_transactions"] == 3


def test_without_a_start_the_run_features_are_used_and_said(tmp_path):
    tx, campaign = _data(tmp_path)
    stage = _stage(campaign, None)
    result = run(tx, workspace=tmp_path / "w.duckdb", out=None,
                 config=AnalysisConfig(as_of=AS_OF), stages=[FeatureStage(), stage])
    assert result.info["stages"]["uplift"]["features_as_of"] == "2024-12-31"
    assert not hasattr(stage, "seen")
    # a campaign that starts after the as-of date: the run's features are the ones before it
    late = _stage(campaign, dt.date(2025, 1, 6))
    result = run(tx, workspace=tmp_path / "w2.duckdb", out=None,
                 config=AnalysisConfig(as_of=AS_OF), stages=[FeatureStage(), late])
    assert result.info["stages"]["uplift"]["features_as_of"] == "2024-12-31"
    assert not hasattr(late, "seen")
