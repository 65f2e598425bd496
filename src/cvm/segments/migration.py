"""Segment migration: how customers moved between RFM segments from one as-of date to another.

Both dates are scored with the same scheme and options; customers with no purchase by the first
date appear as ``(new)`` in the first column. Scores are relative to each date's customer base
(quantile scores), so a customer can move because others changed — as in any RFM tracking.
"""

from __future__ import annotations

import datetime as dt

import ibis
import pyarrow as pa

from ..config import AnalysisConfig
from ..engine import Engine, duckdb_engine
from ..features.customers import customer_features
from ..features.rfm_schemes import load_scheme
from ..features.summary import purchase_days
from ..workspace import Workspace

__all__ = ["segment_migration", "NEW"]

NEW = "(new)"


def segment_migration(ws: Workspace, first: dt.date, second: dt.date,
                      config: AnalysisConfig | None = None, *, engine: Engine | None = None
                      ) -> pa.Table:
    """Counts of customers by (segment at ``first``, segment at ``second``), long format.

    Columns: ``from_segment``, ``to_segment``, ``customers``, ``share_of_from`` (the row share).
    """
    if second <= first:
        raise ValueError(f"the second as-of date ({second}) must be after the first ({first})")
    config = config or AnalysisConfig()
    scheme = load_scheme(config.rfm.scheme)
    eng = engine or duckdb_engine(ws.con)
    txns = eng.transactions(ws)
    days = eng.cache(purchase_days(txns))
    a = customer_features(txns, config.with_as_of(first), scheme=scheme, days=days).select(
        "customer_id", from_segment="rfm_segment")
    b = customer_features(txns, config.with_as_of(second), scheme=scheme, days=days).select(
        "customer_id", to_segment="rfm_segment")
    joined = b.left_join(a, "customer_id").select(
        from_segment=ibis.coalesce(a.from_segment, ibis.literal(NEW)), to_segment=b.to_segment)
    counts = joined.group_by(["from_segment", "to_segment"]).aggregate(customers=joined.count())
    row_total = counts.customers.sum().over(group_by=counts.from_segment)
    counts = counts.mutate(share_of_from=counts.customers / row_total)
    table = eng.to_arrow(counts)
    order = {seg.key: i for i, seg in enumerate(scheme.segments)}
    order[NEW] = -1
    rows = sorted(table.to_pylist(), key=lambda r: (order.get(r["from_segment"], 99),
                                                    order.get(r["to_segment"], 99)))
    return pa.Table.from_pylist(rows, schema=table.schema)
