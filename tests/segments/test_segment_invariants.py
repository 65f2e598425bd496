"""Invariants on random purchase histories: every customer in exactly one stage and one cell,
shares that sum to one, scores in range, the stage following the rule table."""

from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cvm.config import LifecycleOptions, ValueOptions
from cvm.features.lifecycle import STAGES, customer_trend, stage_rules
from cvm.features.summary import purchase_days
from cvm.features.value import composite_value
from cvm.segments.matrix import assign_cells, matrix_cells, matrix_summary

AS_OF = dt.date(2024, 12, 31)

purchases = st.lists(
    st.tuples(st.integers(0, 7), st.integers(0, 900), st.floats(0.5, 5000, allow_nan=False)),
    min_size=1, max_size=60)


@pytest.fixture(scope="module")
def con():
    return ibis.duckdb.connect()


def _table(rows) -> pa.Table:
    return pa.table({
        "customer_id": [f"c{c}" for c, _, _ in rows],
        "purchase_date": pa.array([AS_OF - dt.timedelta(days=d) for _, d, _ in rows],
                                  type=pa.date32()),
        "amount": [a for _, _, a in rows],
        "margin": pa.nulls(len(rows), pa.float64()),
        "cost": pa.nulls(len(rows), pa.float64()),
    })


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=purchases, drop=st.sampled_from([0.1, 0.3, 0.6]), churn=st.sampled_from([90, 365]))
def test_one_stage_and_one_cell_for_everyone(con, rows, drop, churn):
    options = LifecycleOptions(decline_drop=drop, churn_days=churn)
    txns = ibis.memtable(_table(rows))
    staged = con.to_pyarrow(stage_rules(customer_trend(purchase_days(txns), as_of=AS_OF, options=options),
                                        options))
    ids = staged.column("customer_id").to_pylist()
    assert sorted(ids) == sorted({f"c{c}" for c, _, _ in rows})
    assert set(staged.column("lifecycle_stage").to_pylist()) <= set(STAGES["seed"])
    for r in staged.to_pylist():
        stage, recency = r["lifecycle_stage"], r["history_recency_days"]
        assert (stage == "churned") == (recency > churn)
        assert 0 < r["active_period_share"] <= 1 or recency > 4 * 90 + 89
        if stage == "decline":
            assert r["spend_change"] is None or r["spend_change"] <= -drop + 1e-12
        if stage == "stability":
            assert r["history_tenure_days"] >= 365
    # the value stage and the matrix on top of the trend
    table = staged.append_column("recency_days", staged.column("history_recency_days")) \
        .append_column("tenure_days", staged.column("history_tenure_days")) \
        .append_column("first_purchase", pa.array([AS_OF] * staged.num_rows, pa.date32())) \
        .append_column("monetary_total", pa.array(
            [sum(a for c, _, a in rows if f"c{c}" == i) for i in ids], pa.float64()))
    scored, _ = composite_value(table, ValueOptions())
    for name in ("composite_value", "current_value_score", "potential_value_score"):
        values = np.array(scored.column(name).to_pylist())
        assert np.all((values >= -1e-9) & (values <= 100 + 1e-9)), name
    cells = assign_cells(scored)
    assert cells.null_count == 0 and set(cells.to_pylist()) <= set(matrix_cells())
    summary = matrix_summary(scored.append_column("matrix_cell", cells))
    assert sum(summary.column("customers").to_pylist()) == scored.num_rows
    assert sum(summary.column("customer_share").to_pylist()) == pytest.approx(1.0)
    assert sum(summary.column("value_share").to_pylist()) == pytest.approx(1.0)
