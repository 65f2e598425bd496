"""Historical and current value at the edges, on DuckDB and on Spark: the default current period
(a year) at its first day, and the margin share of a customer whose amounts sum to zero."""

from __future__ import annotations

import datetime as dt

import pytest

from cvm.engine import get_engine
from cvm.features.summary import purchase_days
from cvm.features.value_history import value_history

AS_OF = dt.date(2024, 12, 31)


def test_current_value_is_the_last_365_days_and_a_zero_spend_has_no_margin_share(
        engine_name, make_transactions):
    rows = make_transactions([
        # 365 days before the as-of date: outside the current year; 364 days: inside
        ("year", "2024-01-01", 100.0, 40.0), ("year", "2024-01-02", 10.0, 4.0),
        # a purchase and its refund: amounts sum to 0, so no margin share (not a division by 0)
        ("refund", "2024-06-01", 50.0, 20.0), ("refund", "2024-06-02", -50.0, -20.0),
    ])
    engine = get_engine(engine_name)
    days = purchase_days(engine.table(rows, f"value_edges_{engine_name}"))
    got = {r["customer_id"]: r for r in engine.to_arrow(value_history(days, as_of=AS_OF)).to_pylist()}
    assert (got["year"]["historical_value"], got["year"]["current_value"]) == (44.0, 4.0)
    assert got["year"]["margin_share"] == pytest.approx(0.4, rel=1e-15)
    assert (got["refund"]["historical_value"], got["refund"]["current_value"]) == (0.0, 0.0)
    assert got["refund"]["margin_share"] is None
