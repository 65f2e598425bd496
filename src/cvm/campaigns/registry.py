"""Every campaign with its design, status and results: the test registry, and the measured
lifts that replace the playbook's assumed response in the matrix.

A campaign is measured either from the workspace's transactions in its window (per member:
``responded`` = at least one purchase from its start to its end, ``revenue`` = what it spent
then, ``margin`` when the transactions have margins, and ``retained`` = at least one purchase
in the ``retention_days`` after its end — by default as many days as the campaign ran —, once
the transactions reach the end of that period) or from an outcomes file of a test run
elsewhere. The results (:func:`cvm.campaigns.measure.compare_groups`, per stratum when the
campaign was stratified) are stored with the campaign, with the looks of the always-valid
monitor (:mod:`cvm.campaigns.sequential`) when response dates are known.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..engine import Engine
from ..workspace import Workspace
from .design import CONTROL, Campaign, CampaignError, has_campaign_tables, get_campaign
from .measure import RESULT_COLUMNS, compare_groups
from .sequential import monitor
from .tables import campaign_members, engine_of, member_outcomes

__all__ = ["outcomes_from_transactions", "retention_window", "measure_campaign",
           "campaign_results", "list_campaigns", "campaign_report", "measured_cells", "Measured",
           "registry_snapshot", "has_campaigns", "DEFAULT_TAU"]

#: the mSPRT's mixture spread when the campaign names no minimum lift: 2 points of response
DEFAULT_TAU = 0.02


def retention_window(ws: Workspace, name: str, retention_days: int | None = None
                     ) -> tuple[dt.date, dt.date, bool]:
    """The period whose purchases make a member ``retained``: the ``retention_days`` after the
    campaign's end (default: as many days as the campaign ran), and whether the transactions
    reach its last day (before then retention cannot be measured)."""
    campaign = get_campaign(ws, name)
    days = (campaign.end_date - campaign.start_date).days + 1 if retention_days is None \
        else retention_days
    if days < 1:
        raise CampaignError(f"the retention period must be at least one day, not {days}")
    first = campaign.end_date + dt.timedelta(days=1)
    last = campaign.end_date + dt.timedelta(days=days)
    latest = ws.query("SELECT max(purchase_date) FROM unified_transactions")[0][0]
    return first, last, latest is not None and latest >= last


def outcomes_from_transactions(ws: Workspace, name: str, retention_days: int | None = None,
                               engine: str | Engine = "duckdb") -> pd.DataFrame:
    """Each member's outcome in the campaign's window, from the transactions, with
    ``retained`` when the transactions cover the retention period (:func:`retention_window`),
    in order of customer id: :func:`cvm.campaigns.tables.member_outcomes` on ``engine``."""
    campaign = get_campaign(ws, name)
    first, last, covered = retention_window(ws, name, retention_days)
    with engine_of(ws, engine) as eng:
        expr = member_outcomes(campaign_members(eng, ws, name), eng.transactions(ws),
                               start=campaign.start_date, end=campaign.end_date,
                               retention=(first, last) if covered else None)
        return eng.to_arrow(expr).to_pandas()


def _looks(outcomes: pd.DataFrame, start: dt.date, end: dt.date, tau: float,
           date_column: str = "response_date", group_column: str = "arm",
           control: str = CONTROL, every_days: int = 7) -> list[dict]:
    if date_column not in outcomes.columns or outcomes[date_column].notna().sum() == 0:
        return []
    dates = pd.to_datetime(outcomes[date_column], errors="coerce").to_numpy()
    is_control = (outcomes[group_column].astype(str) == str(control)).to_numpy()
    days = [start + dt.timedelta(days=k) for k in range(every_days - 1, (end - start).days + 1,
                                                         every_days)]
    if not days or days[-1] != end:
        days.append(end)
    n_t, n_c = int((~is_control).sum()), int(is_control.sum())
    looks = []
    for day in days:
        hit = dates <= np.datetime64(day)   # NaT (no response) is never ≤
        looks.append({"day": day.isoformat(), "n": n_t, "x": int((hit & ~is_control).sum()),
                      "control_n": n_c, "control_x": int((hit & is_control).sum())})
    return [look.__dict__ for look in monitor(looks, tau=tau)]


def measure_campaign(ws: Workspace, name: str, outcomes: pd.DataFrame | None = None, *,
                     group_column: str = "arm", control: str = CONTROL,
                     outcome_columns: list[str] | None = None, margin_rate: float = 1.0,
                     value_outcome: str | None = None, date_column: str = "response_date",
                     seed: int = 0, retention_days: int | None = None,
                     engine: str | Engine = "duckdb") -> pd.DataFrame:
    """Measure campaign ``name`` (from the transactions on ``engine`` unless ``outcomes`` are
    given), store the results with it and return them."""
    campaign = get_campaign(ws, name)
    from_transactions = outcomes is None
    retention = None
    if outcomes is None:
        outcomes = outcomes_from_transactions(ws, name, retention_days, engine)
        group_column, control = "arm", CONTROL
        outcome_columns = ["responded", "revenue"] + (
            ["margin"] if outcomes["margin"].notna().any() else []) + (
            ["retained"] if "retained" in outcomes.columns else [])
        first, last, covered = retention_window(ws, name, retention_days)
        retention = {"from": str(first), "to": str(last), "measured": covered}
        value_outcome = value_outcome or ("margin" if "margin" in outcome_columns else "revenue")
    elif "stratum" not in outcomes.columns:
        members = ws.arrow("SELECT customer_id, stratum FROM campaign_members WHERE campaign = ?",
                           [name]).to_pandas()
        outcomes = outcomes.merge(members, on="customer_id", how="left") \
            if "customer_id" in outcomes.columns else outcomes
    if not outcome_columns:
        raise CampaignError("name at least one outcome column")
    segment = "stratum" if campaign.stratify and "stratum" in outcomes.columns else None
    results = compare_groups(outcomes, group_column, control, outcome_columns,
                             segment_column=segment,
                             cost_per_contact=campaign.cost_per_contact or None,
                             value_outcome=value_outcome, margin_rate=margin_rate, seed=seed)
    tau = campaign.min_lift or DEFAULT_TAU
    looks = _looks(outcomes, campaign.start_date, campaign.end_date, tau, date_column,
                   group_column, control)
    summary = {"outcomes": outcome_columns, "value_outcome": value_outcome,
               "margin_rate": margin_rate, "tau": tau, "looks": looks,
               "source": "transactions" if from_transactions else "outcomes file",
               "retention": retention}
    stored = results.assign(campaign=name)[["campaign", *RESULT_COLUMNS]]
    with ws.transaction() as con:
        con.execute("DELETE FROM campaign_results WHERE campaign = ?", [name])
        con.register("_cvm_results", stored)
        con.execute("INSERT INTO campaign_results SELECT * FROM _cvm_results")
        con.unregister("_cvm_results")
        con.execute("UPDATE campaigns SET results = ?, analysed_at = ? WHERE name = ?",
                    [json.dumps(summary, default=str), dt.datetime.now().replace(microsecond=0),
                     name])
    return results


def campaign_results(ws: Workspace, name: str) -> pd.DataFrame:
    """The stored results of a measured campaign (empty when not measured)."""
    get_campaign(ws, name)
    return ws.arrow(f"SELECT {', '.join(chr(34) + c + chr(34) for c in RESULT_COLUMNS)} "
                    "FROM campaign_results WHERE campaign = ? ORDER BY rowid", [name]).to_pandas()


def _plain(value):
    """A stored value as JSON has it: numpy numbers as Python's, NaN as None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _design(c: Campaign, today: dt.date | None) -> dict:
    return {"name": c.name, "status": c.status(today), "source": c.source,
            "cells": list(c.cells), "start": c.start_date.isoformat(),
            "end": c.end_date.isoformat(), "customers": c.customers, "treated": c.treated,
            "control": c.control, "control_share": c.control_share,
            "stratify": c.stratify, "seed": c.seed, "cost_per_contact": c.cost_per_contact,
            "min_lift": c.min_lift, "overlapping": c.overlapping,
            "created_at": c.created_at, "analysed_at": c.analysed_at, "headline": None}


_HEADLINE = ("outcome", "lift", "ci_low", "ci_high", "p_value", "p_adjusted", "roi", "roi_low",
             "roi_high")


def list_campaigns(ws: Workspace, today: dt.date | None = None) -> list[dict]:
    """Every campaign, newest window first, with its design, status and headline result (the
    first outcome over all customers)."""
    if not has_campaign_tables(ws):
        return []
    names = [r[0] for r in ws.query("SELECT name FROM campaigns ORDER BY start_date DESC, name")]
    rows = []
    for name in names:
        row = _design(get_campaign(ws, name), today)
        head = ws.query(
            f"SELECT {', '.join(_HEADLINE)} "
            "FROM campaign_results WHERE campaign = ? AND segment = 'all' ORDER BY rowid "
            "LIMIT 1", [name])
        if head:
            row["headline"] = {k: _plain(v) for k, v in zip(_HEADLINE, head[0])}
        rows.append(row)
    return rows


def campaign_report(ws: Workspace, name: str, today: dt.date | None = None) -> dict:
    """Campaign ``name`` as every interface shows it: its design and status
    (:func:`list_campaigns`' row), every stored result row (:data:`RESULT_COLUMNS`, NaN as
    None), the monitor's looks, the retention period and what it was measured from."""
    c = get_campaign(ws, name)
    row = _design(c, today)
    results = _records(campaign_results(ws, name))
    first = next((r for r in results if r["segment"] == "all"), None)
    if first is not None:
        row["headline"] = {k: first[k] for k in _HEADLINE}
    summary = c.results or {}
    row.update(results=results, looks=summary.get("looks", []),
               retention=summary.get("retention"), measured_from=summary.get("source"),
               outcomes=summary.get("outcomes", []))
    return row


@dataclass(frozen=True)
class Measured:
    """A response lift measured for a matrix cell."""

    campaign: str
    lift: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int
    control_n: int


def measured_cells(ws: Workspace) -> dict[str, Measured]:
    """The response lift measured for each matrix cell, by the latest measured campaign that
    targeted it: its result for the cell's stratum when stratified by matrix cell, or its
    overall result when it targeted that one cell only."""
    found: dict[str, Measured] = {}
    if not has_campaign_tables(ws):
        return found
    found: dict[str, Measured] = {}
    rows = ws.query("""
        SELECT c.name, c.stratify, c.cells, r.segment, r.lift, r.ci_low, r.ci_high, r.p_value,
               r.n, r.control_n
        FROM campaigns c JOIN campaign_results r ON r.campaign = c.name
        WHERE r.kind = 'rate' AND r.outcome = (
            SELECT min(outcome) FROM campaign_results x
            WHERE x.campaign = c.name AND x.kind = 'rate')
        ORDER BY c.end_date, c.name""")
    for name, stratify, cells, segment, lift, low, high, p, n, n_c in rows:
        cells = json.loads(cells or "[]")
        if stratify == "matrix_cell" and segment != "all":
            cell = segment
        elif segment == "all" and len(cells) == 1 and "*" not in cells[0]:
            cell = cells[0]
        else:
            continue
        if lift is None or np.isnan(lift):
            continue
        found[cell] = Measured(name, float(lift), float(low), float(high), float(p), int(n),
                               int(n_c))
    return found


def has_campaigns(ws: Workspace) -> bool:
    """Whether the workspace holds any campaign (without creating the campaign tables)."""
    if not has_campaign_tables(ws):
        return False
    return bool(ws.query("SELECT count(*) FROM campaigns")[0][0])


def registry_snapshot(ws: Workspace, today: dt.date | None = None) -> list[dict]:
    """The registry with each campaign's results and monitor looks (:func:`campaign_report`,
    newest window first), for pages, reports and the API (empty, and nothing created, when
    the workspace has no campaign)."""
    if not has_campaigns(ws):
        return []
    names = [r[0] for r in ws.query("SELECT name FROM campaigns ORDER BY start_date DESC, name")]
    return [campaign_report(ws, name, today) for name in names]
