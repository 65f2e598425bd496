"""The campaign tables as Ibis expressions, written once for DuckDB and Spark.

- :func:`flag_overlaps` — the assignment join: each newly assigned member with the first (by
  name) other campaign it is in whose window overlaps the new one's (``other_campaign``; null
  when none). Windows [s₁, e₁] and [s₂, e₂] overlap when s₁ ≤ e₂ and e₁ ≥ s₂.
- :func:`member_outcomes` — each member's outcome from the transactions: ``responded`` = 1 when
  the member bought at least once from the campaign's start to its end (both days included),
  ``revenue`` = the amounts then (0 without a purchase), ``margin`` = the margins then (null
  when none of those purchases has a margin), ``response_date`` = the first purchase day in the
  window, and, for a retention period [first, last], ``retained`` = 1 when the member bought at
  least once in it.

The random draws of the assignment itself stay in :func:`cvm.campaigns.design.assign` (numpy's
PCG64 in id order, so a seed gives the same groups whatever the engine).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import ibis

from ..engine import Engine, get_engine
from ..workspace import Workspace

__all__ = ["flag_overlaps", "member_outcomes", "campaign_members", "campaigns_table",
           "engine_of"]


@contextmanager
def engine_of(ws: Workspace, engine: str | Engine = "duckdb") -> Iterator[Engine]:
    """``engine`` itself when an engine is given; else the engine of that name (DuckDB on the
    workspace's connection), released when done."""
    if isinstance(engine, Engine):
        yield engine
        return
    eng = get_engine(engine, ws.con)
    try:
        yield eng
    finally:
        eng.release()


def flag_overlaps(new: ibis.Table, members: ibis.Table, campaigns: ibis.Table, *, name: str,
                  start: dt.date, end: dt.date) -> ibis.Table:
    """``new`` (``customer_id, stratum, arm``) with ``other_campaign``: see the module
    documentation. ``members`` and ``campaigns`` are the stored tables; campaign ``name``'s own
    stored rows (a campaign being replaced) never count."""
    window = campaigns.filter((campaigns.start_date <= end) & (campaigns.end_date >= start)
                              & (campaigns.name != name))
    inside = members.join(window, members.campaign == window.name)
    others = inside.group_by(inside.customer_id).aggregate(other=inside.campaign.min())
    joined = new.left_join(others, new.customer_id == others.customer_id)
    return joined.select(customer_id=new.customer_id, stratum=new.stratum, arm=new.arm,
                         other_campaign=others.other)


def member_outcomes(members: ibis.Table, transactions: ibis.Table, *, start: dt.date,
                    end: dt.date, retention: tuple[dt.date, dt.date] | None = None
                    ) -> ibis.Table:
    """Each member's outcomes (see the module documentation), in order of customer id.
    ``members``: ``customer_id, arm, stratum``; ``transactions``: ``customer_id,
    purchase_date, amount, margin``."""
    t = transactions.filter(transactions.purchase_date.between(start, end))
    window = t.group_by(t.customer_id).aggregate(
        purchases=t.count(), spent=t.amount.sum(), margins=t.margin.sum(),
        first_day=t.purchase_date.min())
    joined = members.left_join(window, members.customer_id == window.customer_id)
    columns = {
        "customer_id": members.customer_id, "arm": members.arm, "stratum": members.stratum,
        "responded": window.purchases.notnull().cast("int32"),
        "revenue": ibis.coalesce(window.spent.cast("float64"), ibis.literal(0.0)),
        # a sum over no margin is null: a window without margins has no margin outcome
        "margin": window.margins.cast("float64"),
    }
    if retention is not None:
        a = transactions.filter(transactions.purchase_date.between(*retention))
        later = a.select(buyer=a.customer_id).distinct()
        joined = joined.left_join(later, members.customer_id == later.buyer)
        columns["retained"] = later.buyer.notnull().cast("int32")
    columns["response_date"] = window.first_day
    return joined.select(**columns).order_by("customer_id")


def campaign_members(eng: Engine, ws: Workspace, name: str | None = None) -> ibis.Table:
    """The stored ``campaign_members`` (of campaign ``name`` only, when given) on ``eng``."""
    table = eng.workspace_query(ws, "SELECT * FROM campaign_members", "cvm_campaign_members")
    return table if name is None else table.filter(table.campaign == name)


def campaigns_table(eng: Engine, ws: Workspace) -> ibis.Table:
    """The stored windows of the campaigns (``name, start_date, end_date``) on ``eng``."""
    return eng.workspace_query(ws, "SELECT name, start_date, end_date FROM campaigns",
                               "cvm_campaigns")
