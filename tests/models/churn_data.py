"""A small hand-made purchase history for the churn tests, and what it says counted in plain
Python (tenures, purchase gaps, window labels, holdout labels), without the engine."""

from __future__ import annotations

import datetime as dt
import math
import statistics

import numpy as np
import pandas as pd

AS_OF = dt.date(2024, 6, 30)
START = dt.date(2024, 1, 1)


def _every(customer: str, first: dt.date, gap: int, last: dt.date, amount: float) -> list:
    rows, d = [], first
    while d <= last:
        rows.append((customer, d, amount))
        d += dt.timedelta(days=gap)
    return rows


def history() -> list[tuple[str, dt.date, float]]:
    """Regular buyers (every 5 to 25 days, the whole year), customers who stop between March
    and June, one-time buyers, and a few set on the dates that matter for an as-of date of
    30 June 2024 and a window of 28 days (cut-off 2 June)."""
    rows = []
    for i in range(30):                      # regular: buy through to December
        rows += _every(f"c{i:02d}", START + dt.timedelta(days=i % 9), 5 + (i % 6) * 4,
                       dt.date(2024, 12, 31), 10.0 + i % 7)
    for i in range(15):                      # gone: stop between mid-March and late June
        rows += _every(f"g{i:02d}", START + dt.timedelta(days=i), 6 + (i % 5) * 3,
                       dt.date(2024, 3, 15) + dt.timedelta(days=7 * i), 20.0)
    for i in range(6):                       # one purchase in the first half of the year
        rows.append((f"o{i}", dt.date(2024, 2, 1) + dt.timedelta(days=15 * i), 30.0))
    rows += [("edge", dt.date(2024, 1, 10), 12.0), ("edge", dt.date(2024, 3, 1), 12.0),
             ("edge", dt.date(2024, 6, 2), 12.0),             # the cut-off day, then silent
             ("today", dt.date(2024, 3, 3), 9.0), ("today", dt.date(2024, 6, 30), 9.0),
             ("new", dt.date(2024, 6, 30), 50.0),              # first purchase on the as-of date
             ("late", dt.date(2024, 7, 5), 5.0)]               # first purchase after it
    return rows


def frame(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_id", "purchase_date", "amount"])


def table(rows, name: str):
    """The rows as a DuckDB table: (engine, table)."""
    from cvm.engine import duckdb_engine

    eng = duckdb_engine()
    return eng, eng.backend.create_table(name, frame(rows))


def customers_by(rows, date: dt.date) -> list[str]:
    """The customers with a purchase on or before ``date``, sorted."""
    return sorted({c for c, d, _ in rows if d <= date})


def bought_in(rows, customer: str, after: dt.date, until: dt.date) -> bool:
    """Whether ``customer`` bought in (after, until]."""
    return any(c == customer and after < d <= until for c, d, _ in rows)


def recency(rows, customer: str, as_of: dt.date) -> int:
    return (as_of - max(d for c, d, _ in rows if c == customer and d <= as_of)).days


def median_tenure(rows, as_of: dt.date) -> float:
    first = {}
    for c, d, _ in rows:
        if d <= as_of:
            first[c] = min(first.get(c, d), d)
    return float(statistics.median((as_of - d).days for d in first.values()))


def gap_quantile(rows, as_of: dt.date, q: float = 0.9) -> float:
    """The q-quantile (linear interpolation) of the days between a customer's consecutive
    purchase days, up to ``as_of``."""
    days = {}
    for c, d, _ in rows:
        if d <= as_of:
            days.setdefault(c, set()).add(d)
    gaps = [(b - a).days for ds in days.values() for a, b in zip(sorted(ds), sorted(ds)[1:])]
    return float(np.quantile(gaps, q))


def horizon_of(gap: float) -> int:
    return max(7, 7 * math.ceil(gap / 7))


def window_labels(rows, as_of: dt.date, window: int) -> tuple[list[str], list[int]]:
    """The customers known at ``as_of - window`` and, for each, 1 when they made no purchase
    in (cut-off, as_of]."""
    cutoff = as_of - dt.timedelta(days=window)
    known = customers_by(rows, cutoff)
    return known, [int(not bought_in(rows, c, cutoff, as_of)) for c in known]
