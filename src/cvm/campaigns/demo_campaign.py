"""The demo's past campaign: a six-week offer to the current customers of the tea-shop demo,
20 % of each matrix cell held out as control, and what each customer did in the window.

The outcomes come from a random stream of their own (seed :data:`SEED`), never from the demo's
transactions, so the demo's customers, purchases and every figure computed from them stay as
they are. The effect is built in: each cell has a response rate without the offer and a rise
with it (:data:`RATES`), so the measured lifts can be compared with the truth.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from ..workspace import Workspace
from .design import CONTROL, create_campaign
from .registry import measure_campaign

__all__ = ["DEMO_CAMPAIGN", "add_demo_campaign", "RATES", "SEED"]

DEMO_CAMPAIGN = "new-year-tea-offer"
SEED = 20250106
START, END = dt.date(2025, 1, 6), dt.date(2025, 2, 16)
#: value tier → (response without the offer, rise with it, mean revenue of a responder)
RATES = {"HH": (0.30, 0.09, 320.0), "HL": (0.22, 0.07, 220.0), "LH": (0.18, 0.05, 180.0),
         "LL": (0.08, 0.015, 120.0)}
COST_PER_CONTACT = 6.0
MARGIN_RATE = 0.6


def demo_outcomes(members: pd.DataFrame, seed: int = SEED) -> pd.DataFrame:
    """What each member did in the window: ``responded`` (0/1), ``revenue`` and the
    ``response_date``, drawn from the cell's rates (:data:`RATES`)."""
    rng = np.random.default_rng(seed)
    members = members.sort_values("customer_id").reset_index(drop=True)
    tier = members["stratum"].str.split("-").str[0]
    base = tier.map(lambda t: RATES.get(t, RATES["LL"])[0]).to_numpy()
    rise = tier.map(lambda t: RATES.get(t, RATES["LL"])[1]).to_numpy()
    spend = tier.map(lambda t: RATES.get(t, RATES["LL"])[2]).to_numpy()
    treated = (members["arm"] != CONTROL).to_numpy()
    responded = rng.random(len(members)) < base + np.where(treated, rise, 0.0)
    revenue = np.where(responded, np.round(rng.gamma(3.0, spend / 3.0), 2), 0.0)
    days = rng.integers(0, (END - START).days + 1, len(members))
    dates = [(START + dt.timedelta(days=int(d))).isoformat() if r else None
             for d, r in zip(days, responded)]
    return pd.DataFrame({"customer_id": members["customer_id"], "group": members["arm"],
                         "matrix_cell": members["stratum"], "responded": responded.astype(int),
                         "revenue": revenue, "response_date": dates})


def add_demo_campaign(ws: Workspace, data_folder: str | Path,
                      results_folder: str | Path | None = None) -> pd.DataFrame | None:
    """Create the demo campaign on the latest run's current customers, write its outcomes to
    ``data_folder/demo_campaign_outcomes.csv``, measure it and (with ``results_folder``) write
    ``campaign-results.csv`` there; returns the results (None when the run has no current
    customer)."""
    if not ws.query(f'SELECT count(*) FROM "{Workspace.run_table(ws.latest_run(), "customers")}" '
                    "WHERE matrix_cell LIKE '%-current'")[0][0]:
        return None     # a demo this small has no current customer to offer anything to
    create_campaign(ws, DEMO_CAMPAIGN, cells=["*-current"], control_share=0.2,
                    stratify="matrix_cell", seed=2025, cost_per_contact=COST_PER_CONTACT,
                    start=START, end=END, min_lift=0.05, replace=True)
    members = ws.arrow("SELECT customer_id, stratum, arm FROM campaign_members "
                       "WHERE campaign = ?", [DEMO_CAMPAIGN]).to_pandas()
    outcomes = demo_outcomes(members)
    path = Path(data_folder) / "demo_campaign_outcomes.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    outcomes.to_csv(path, index=False)
    results = measure_campaign(ws, DEMO_CAMPAIGN, outcomes.rename(
        columns={"matrix_cell": "stratum"}), group_column="group", control=CONTROL,
        outcome_columns=["responded", "revenue"], value_outcome="revenue",
        margin_rate=MARGIN_RATE)
    if results_folder is not None:
        results.to_csv(Path(results_folder) / "campaign-results.csv", index=False,
                       float_format="%.6g")
    return results
