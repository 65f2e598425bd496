"""Workspaces whose runs are written by hand, so that every figure can be checked by hand."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from cvm.insights import StoredResults
from cvm.workspace import Workspace

AS_OF = dt.date(2024, 12, 31)
_CUSTOMER_TYPES = {"customer_id": pa.string(), "rfm_segment": pa.string(),
                   "rfm_segment_label": pa.string(), "abc_class": pa.string(),
                   "r_score": pa.int64(), "recency_days": pa.int64(), "frequency": pa.int64(),
                   "monetary_total": pa.float64(), "lifecycle_stage": pa.string(),
                   "clv": pa.float64(), "probability_alive": pa.float64(),
                   "matrix_cell": pa.string()}


def customers_table(rows: list[tuple]) -> pa.Table:
    names = list(_CUSTOMER_TYPES)
    return pa.table({n: pa.array([r[i] for r in rows], _CUSTOMER_TYPES[n])
                     for i, n in enumerate(names)})


def segments_table(rows: list[tuple]) -> pa.Table:
    n = sum(r[1] for r in rows)
    total = sum(r[2] for r in rows)
    return pa.table({"segment": [r[0] for r in rows], "label": [r[0].title() for r in rows],
                     "customers": pa.array([r[1] for r in rows], pa.int64()),
                     "customer_share": [r[1] / n for r in rows],
                     "value": [float(r[2]) for r in rows],
                     "value_share": [r[2] / total for r in rows],
                     "avg_recency_days": [1.0] * len(rows), "avg_frequency": [1.0] * len(rows),
                     "avg_monetary_total": [1.0] * len(rows)})


def store(ws: Workspace, customers: pa.Table, segments: pa.Table, *, as_of=AS_OF,
          rows_read: int = 100, rows_rejected: int = 0, prospects: int = 0) -> int:
    """A complete run with these result tables, made in the std11 scheme."""
    run_id = ws.start_run(as_of=as_of, engine="duckdb", config={"rfm": {"scheme": "std11"}})
    info = {"as_of": as_of.isoformat(), "scheme": "std11", "n_prospects": prospects,
            "rows_read": rows_read, "rows_loaded": rows_read - rows_rejected,
            "rows_rejected": rows_rejected}
    pareto = {"value_measure": "revenue", "top_share": 0.2, "top_value_share": 0.5,
              "gini": 0.4, "lorenz": [[0.0, 0.0], [1.0, 1.0]], "classes": []}
    ws.store_run(run_id, as_of=as_of, tables={"customers": customers, "segments": segments},
                 summary={"pareto": pareto, "info": info})
    ws.complete_run(run_id)
    return run_id


#: Run 1: four buyers and a prospect (E).
RUN_1 = [
    # id, segment, label, ABC, R, recency, F, M, stage, CLV, P(alive), cell
    ("A", "champions", "Champions", "A", 5, 10, 5, 500.0, "growth", 300.0, 0.9, "HH-current"),
    ("B", "need_attention", "Need attention", "A", 2, 200, 3, 300.0, "decline", 50.0, 0.3,
     "LL-current"),
    ("C", "loyal", "Loyal", "B", 1, 300, 1, 100.0, "churned", 0.0, 0.1, "LL-churned"),
    ("D", "champions", "Champions", "C", 4, 20, 2, 100.0, "growth", 100.0, 0.8, "HL-current"),
    ("E", None, None, None, None, None, None, None, "prospect", None, None, "LL-prospective"),
]
#: Run 2: C and E are gone, F is new, B has churned, D is loyal now.
RUN_2 = [
    ("A", "champions", "Champions", "A", 5, 5, 6, 600.0, "growth", 320.0, 0.9, "HH-current"),
    ("B", "need_attention", "Need attention", "A", 1, 380, 3, 300.0, "churned", 10.0, 0.05,
     "LL-churned"),
    ("D", "loyal", "Loyal", "C", 4, 30, 2, 100.0, "growth", 90.0, 0.7, "HL-current"),
    ("F", "new_customers", "New customers", "C", 5, 3, 1, 50.0, "exploration", 40.0, 0.95,
     "LH-current"),
]


@pytest.fixture
def two_runs(tmp_path):
    """A workspace with the two runs above (run 1: 10 % of the rows rejected)."""
    ws = Workspace(tmp_path / "w.duckdb")
    store(ws, customers_table(RUN_1),
          segments_table([("champions", 2, 600), ("need_attention", 1, 300), ("loyal", 1, 100)]),
          rows_rejected=10, prospects=1)
    store(ws, customers_table(RUN_2),
          segments_table([("champions", 1, 600), ("need_attention", 1, 300), ("loyal", 1, 100),
                          ("new_customers", 1, 50)]))
    results = StoredResults(ws)
    yield results
    results.close()
    ws.close()


@pytest.fixture
def merged(tmp_path):
    """Customer X bought as its own customer in run 1, was merged into A by linking, and is
    part of A in run 2."""
    from cvm.identity.link import IDENTITY_DDL

    ws = Workspace(tmp_path / "m.duckdb")
    ws.con.execute(IDENTITY_DDL)
    ws.con.execute("INSERT INTO source_customers (source, source_customer_id, name) VALUES "
                   "('shop', 'A', 'Li Wei'), ('shop', 'X', 'Li W.')")
    ws.con.execute("INSERT INTO xref (source, source_customer_id, customer_id, method) VALUES "
                   "('shop', 'A', 'A', 'rule'), ('shop', 'X', 'A', 'model')")
    ws.con.execute("INSERT INTO identity_events VALUES (1, now(), 'merge', 'A', 'X', 2)")
    ws.con.execute(
        "INSERT INTO transactions (source, source_customer_id, purchase_time, purchase_date, "
        "amount) VALUES ('shop', 'A', '2024-01-05 10:00', '2024-01-05', 10.0), "
        "('shop', 'X', '2024-02-01 11:00', '2024-02-01', 20.0), "
        "('shop', 'A', '2024-03-01 12:00', '2024-03-01', 5.0)")
    row = ("loyal", "Loyal", "A", 5, 30, 1, None, "growth", 10.0, 0.9, "HH-current")
    store(ws, customers_table([("A", *row[:6], 15.0, *row[7:]), ("X", *row[:6], 20.0, *row[7:])]),
          segments_table([("loyal", 2, 35)]), as_of=dt.date(2024, 3, 1))
    store(ws, customers_table([("A", *row[:6], 35.0, *row[7:])]),
          segments_table([("loyal", 1, 35)]), as_of=dt.date(2024, 3, 31))
    results = StoredResults(ws)
    yield results
    results.close()
    ws.close()
