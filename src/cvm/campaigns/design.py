"""A campaign's design: who is in it, and who of them is held out as the control group.

Assignment is random and reproducible: the customers are put in order of their id, each is
given a uniform draw from a generator seeded with ``seed`` (numpy's PCG64), and within each
stratum (all customers when not stratified) the ``round(control_share × n)`` customers with the
smallest draws form the control group. The same list, share and seed always give the same
groups, and every stratum holds the control share exactly (up to rounding), so a result per
matrix cell compares like with like.

The design is stored in the workspace (tables ``campaigns`` and ``campaign_members``). A customer
who is also in another campaign whose window overlaps this one's is flagged
(``other_campaign``): the two effects would mix in that customer's outcome. The treatment list
exports to CSV or Excel for a campaign tool; the control group is never exported.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ..engine import Engine
from ..errors import CvmError
from ..workspace import Workspace

__all__ = ["CampaignError", "Campaign", "create_campaign", "assign", "treatment_list",
           "get_campaign", "ensure_tables", "has_campaign_tables", "TREATMENT", "CONTROL"]

TREATMENT, CONTROL = "treatment", "control"

_DDL = """
CREATE TABLE IF NOT EXISTS campaigns (
    name VARCHAR PRIMARY KEY, created_at TIMESTAMP, source VARCHAR, cells VARCHAR,
    control_share DOUBLE, stratify VARCHAR, seed BIGINT, cost_per_contact DOUBLE,
    start_date DATE, end_date DATE, min_lift DOUBLE, run_id INTEGER, customers BIGINT,
    treated BIGINT, control BIGINT, overlapping BIGINT, results VARCHAR, analysed_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS campaign_members (
    campaign VARCHAR, customer_id VARCHAR, stratum VARCHAR, arm VARCHAR, other_campaign VARCHAR);
CREATE TABLE IF NOT EXISTS campaign_results (
    campaign VARCHAR, segment VARCHAR, "group" VARCHAR, outcome VARCHAR, kind VARCHAR, n BIGINT,
    control_n BIGINT, treated_value DOUBLE, control_value DOUBLE, lift DOUBLE, ci_low DOUBLE,
    ci_high DOUBLE, p_value DOUBLE, relative_lift DOUBLE, p_adjusted DOUBLE, significant BOOLEAN,
    roi DOUBLE, roi_low DOUBLE, roi_high DOUBLE);
"""


class CampaignError(CvmError, ValueError):
    """A campaign cannot be created, found or measured as asked; the message says why."""


@dataclass(frozen=True)
class Campaign:
    name: str
    source: str
    cells: tuple[str, ...]
    control_share: float
    stratify: str | None
    seed: int
    cost_per_contact: float
    start_date: dt.date
    end_date: dt.date
    min_lift: float | None
    run_id: int | None
    customers: int
    treated: int
    control: int
    overlapping: int
    created_at: dt.datetime | None = None
    results: dict | None = None
    analysed_at: dt.datetime | None = None

    def status(self, today: dt.date | None = None) -> str:
        """``planned`` before its start, ``running`` in its window, ``ended`` after it, and
        ``measured`` once its results are stored."""
        if self.results:
            return "measured"
        today = today or dt.date.today()
        if today < self.start_date:
            return "planned"
        return "running" if today <= self.end_date else "ended"


def ensure_tables(ws: Workspace) -> None:
    """Create the campaign tables in a workspace that has none yet."""
    for statement in _DDL.strip().split(";"):
        if statement.strip():
            ws.query(statement)


def assign(customer_ids, strata=None, *, control_share: float, seed: int) -> np.ndarray:
    """The arm of each customer (:data:`TREATMENT` or :data:`CONTROL`) in the order given; see
    the module documentation. ``strata``: one label per customer, or None."""
    if not 0 < control_share < 1:
        raise CampaignError(f"the control share must be between 0 and 1, not {control_share}")
    ids = pd.Series(customer_ids, dtype="string")
    if ids.duplicated().any():
        raise CampaignError("the list names a customer more than once")
    order = np.argsort(ids.to_numpy(dtype=object), kind="stable")
    draw = np.empty(len(ids))
    draw[order] = np.random.default_rng(seed).random(len(ids))
    codes = (pd.factorize(pd.Series(strata, dtype="string").fillna(""))[0]
             if strata is not None else np.zeros(len(ids), dtype=np.int64))
    # rank of each draw within its stratum: sort by stratum, then draw
    by = np.lexsort((draw, codes))
    size = np.bincount(codes)
    start = np.concatenate(([0], np.cumsum(size)[:-1]))
    rank = np.empty(len(ids), dtype=np.int64)
    rank[by] = np.arange(len(ids)) - start[codes[by]] + 1
    quota = np.floor(control_share * size + 0.5)[codes]   # rounded, halves up
    return np.where(rank <= quota, CONTROL, TREATMENT)


def _from_cells(ws: Workspace, cells: list[str], run_id: int | None) -> tuple[pd.DataFrame, int]:
    run_id = run_id if run_id is not None else ws.latest_run()
    if run_id is None:
        raise CampaignError(f"workspace {ws.path} has no complete run: run `cvm run` first, or "
                            "give the customers with --list")
    table = Workspace.run_table(run_id, "customers")
    known = [r[0] for r in ws.query(f'SELECT DISTINCT matrix_cell FROM "{table}" '
                                    "WHERE matrix_cell IS NOT NULL ORDER BY 1")]
    chosen: list[str] = []
    for pattern in cells:
        hits = [c for c in known if fnmatch.fnmatchcase(c, pattern)]
        if not hits:
            raise CampaignError(f"no matrix cell matches {pattern!r}; cells are "
                                f"{', '.join(known)}")
        chosen += [c for c in hits if c not in chosen]
    frame = ws.arrow(f'SELECT customer_id, matrix_cell FROM "{table}" '
                     "WHERE list_contains(?, matrix_cell) ORDER BY customer_id",
                     [chosen]).to_pandas()
    return frame, run_id


def _read_list(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise CampaignError(f"there is no list file {path}")
    if path.suffix.lower() in (".xlsx", ".xls"):
        frame = pd.read_excel(path, dtype=str)
    else:
        frame = pd.read_csv(path, dtype=str, sep=None, engine="python")
    if frame.empty:
        raise CampaignError(f"the list {path} has no customers")
    column = "customer_id" if "customer_id" in frame.columns else frame.columns[0]
    return frame.rename(columns={column: "customer_id"}).dropna(subset=["customer_id"])


def create_campaign(ws: Workspace, name: str, *, cells: list[str] | None = None,
                    list_file: str | Path | None = None, control_share: float = 0.1,
                    stratify: str | None = None, seed: int = 0, cost_per_contact: float = 0.0,
                    start: dt.date, end: dt.date, min_lift: float | None = None,
                    run_id: int | None = None, replace: bool = False,
                    engine: str | Engine = "duckdb") -> Campaign:
    """Assign the customers of matrix ``cells`` (patterns allowed) of a run, or of a list file
    (CSV or Excel; its ``customer_id`` column or else its first), and store the campaign.
    The members in other campaigns are flagged on ``engine``
    (:func:`~cvm.campaigns.tables.flag_overlaps`)."""
    if bool(cells) == (list_file is not None):
        raise CampaignError("give the customers either as matrix cells or as a list file")
    if end < start:
        raise CampaignError(f"the campaign ends ({end}) before it starts ({start})")
    if cost_per_contact < 0:
        raise CampaignError("the cost per contact cannot be negative")
    ensure_tables(ws)
    if ws.query("SELECT count(*) FROM campaigns WHERE name = ?", [name])[0][0] and not replace:
        raise CampaignError(f"there is already a campaign {name!r}; choose another name")
    if cells:
        frame, run_id = _from_cells(ws, list(cells), run_id)
        source = "cells"
    else:
        frame = _read_list(Path(list_file))
        source = f"list {Path(list_file).name}"
        run_id = None
    if frame.empty:
        raise CampaignError("the campaign has no customers")
    strata = None
    if stratify:
        if stratify not in frame.columns:
            if stratify != "matrix_cell":
                raise CampaignError(f"cannot stratify by {stratify!r}: the list has no such "
                                    "column")
            latest = ws.latest_run()
            if latest is None:
                raise CampaignError("stratifying by matrix_cell needs a run: run `cvm run`")
            cells_of = ws.arrow(f'SELECT customer_id, matrix_cell FROM '
                                f'"{Workspace.run_table(latest, "customers")}"').to_pandas()
            frame = frame.merge(cells_of, on="customer_id", how="left")
        strata = frame[stratify]
    frame = frame.assign(stratum=strata.astype("string") if strata is not None else None)
    frame["arm"] = assign(frame["customer_id"], strata, control_share=control_share, seed=seed)
    members = pa.table({
        "customer_id": pa.array(frame["customer_id"].astype(str), pa.string()),
        "stratum": (pa.array(frame["stratum"], pa.string()) if strata is not None
                    else pa.nulls(len(frame), pa.string())),
        "arm": pa.array(frame["arm"], pa.string())})
    from .tables import campaign_members, campaigns_table, engine_of, flag_overlaps

    with engine_of(ws, engine) as eng:
        flagged = eng.to_arrow(flag_overlaps(
            eng.table(members, "cvm_new_members"), campaign_members(eng, ws),
            campaigns_table(eng, ws), name=name, start=start, end=end))
    with ws.transaction() as con:
        con.execute("DELETE FROM campaign_members WHERE campaign = ?", [name])
        con.execute("DELETE FROM campaign_results WHERE campaign = ?", [name])
        con.execute("DELETE FROM campaigns WHERE name = ?", [name])
        con.register("_cvm_members", flagged)
        con.execute("INSERT INTO campaign_members SELECT ? AS campaign, customer_id, stratum, "
                    "arm, other_campaign FROM _cvm_members", [name])
        con.unregister("_cvm_members")
        counts = con.execute(
            "SELECT count(*), count(*) FILTER (arm = 'treatment'), "
            "count(*) FILTER (arm = 'control'), count(other_campaign) "
            "FROM campaign_members WHERE campaign = ?", [name]).fetchall()[0]
        con.execute("INSERT INTO campaigns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                    "?, NULL, NULL)",
                    [name, dt.datetime.now().replace(microsecond=0), source,
                     json.dumps(list(cells or [])), control_share, stratify, seed,
                     cost_per_contact, start, end, min_lift, run_id, *counts])
    return get_campaign(ws, name)


def has_campaign_tables(ws: Workspace) -> bool:
    return bool(ws.query("SELECT count(*) FROM duckdb_tables() "
                         "WHERE table_name = 'campaigns'")[0][0])


def get_campaign(ws: Workspace, name: str) -> Campaign:
    """The stored design of campaign ``name``; :class:`CampaignError` naming the campaigns
    there are when there is none of that name."""
    if not has_campaign_tables(ws):
        raise CampaignError(f"there is no campaign {name!r}; create one with "
                            "cvm campaign create")
    rows = ws.query("SELECT name, source, cells, control_share, stratify, seed, "
                    "cost_per_contact, start_date, end_date, min_lift, run_id, customers, "
                    "treated, control, overlapping, created_at, results, analysed_at "
                    "FROM campaigns WHERE name = ?", [name])
    if not rows:
        known = [r[0] for r in ws.query("SELECT name FROM campaigns ORDER BY name")]
        raise CampaignError(f"there is no campaign {name!r}"
                            + (f"; campaigns are {', '.join(known)}" if known else
                               "; create one with cvm campaign create"))
    r = rows[0]
    return Campaign(r[0], r[1], tuple(json.loads(r[2] or "[]")), r[3], r[4], r[5], r[6], r[7],
                    r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15],
                    json.loads(r[16]) if r[16] else None, r[17])


def treatment_list(ws: Workspace, name: str) -> pa.Table:
    """The customers to contact: the treatment group only, with contact fields when the
    campaign came from a run; the control group is never in it."""
    campaign = get_campaign(ws, name)
    contact = ""
    join = ""
    if campaign.run_id is not None:
        table = Workspace.run_table(campaign.run_id, "customers")
        have = {r[0] for r in ws.query(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table])}
        fields = [c for c in ("name", "phone", "email", "city") if c in have]
        contact = "".join(f", c.{f}" for f in fields)
        join = f' LEFT JOIN "{table}" c ON c.customer_id = m.customer_id'
    return ws.arrow(f"SELECT m.campaign, m.customer_id, m.stratum{contact}, m.other_campaign "
                    f"FROM campaign_members m{join} WHERE m.campaign = ? AND m.arm = 'treatment' "
                    "ORDER BY m.customer_id", [name])
