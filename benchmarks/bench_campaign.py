"""Campaign speed at 1M customers: assigning a campaign and analysing its results.

A workspace is built with a complete run of 1M customers spread over the nine matrix cells
(only the columns a campaign reads: ``customer_id`` and ``matrix_cell``) and about 0.6M
purchases in a six-week window, with a built-in effect of the treatment. Then, each timed:

- **assign**: ``cvm.campaigns.design.create_campaign`` on every cell, stratified by matrix cell,
  10 % control — reading the cells, the reproducible stratified assignment, storing the members
  with the overlap check (an Ibis expression, :mod:`cvm.campaigns.tables`);
- **analyse (transactions)**: ``cvm.campaigns.registry.measure_campaign`` — each member's
  response, revenue in the window from the transactions, the comparison overall and per cell
  (Newcombe / Welch, Benjamini–Hochberg, ROI with 2,000 bootstrap replicates), the weekly
  monitor looks, stored;
- **analyse (file)**: ``cvm campaign analyse``'s work on a 1M-row outcomes CSV: reading it and
  ``compare_groups`` with a segment column.

Usage::

    python benchmarks/bench_campaign.py                  # 1M customers
    python benchmarks/bench_campaign.py --customers 100000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import tempfile
import time
from pathlib import Path

import pandas as pd


def build(ws, customers: int) -> None:
    from cvm.campaigns.design import ensure_tables

    ws.query("INSERT INTO runs (run_id, started_at, finished_at, status, as_of, engine) "
             "VALUES (1, now(), now(), 'complete', DATE '2025-01-01', 'duckdb')")
    ws.query(f"""
        CREATE TABLE run_1_customers AS
        SELECT 'C' || lpad(i::VARCHAR, 8, '0') AS customer_id,
               ['HH', 'HL', 'LH', 'LL'][1 + (hash(i) % 4)::INTEGER] || '-' ||
               ['current', 'churned'][1 + (hash(i * 7) % 2)::INTEGER] AS matrix_cell
        FROM range({customers}) t(i)""")
    ensure_tables(ws)


def add_purchases(ws, name: str) -> None:
    # about 30 % respond in the control, 33 % when treated; one or two purchases each
    ws.query("SELECT setseed(0.42)")
    ws.query(f"""
        INSERT INTO transactions (source, source_customer_id, purchase_date, amount)
        SELECT 'default', m.customer_id,
               DATE '2025-01-06' + (random() * 41)::INTEGER, round(20 + random() * 200, 2)
        FROM campaign_members m, range(2) r(k)
        WHERE m.campaign = '{name}'
          AND random() < (CASE WHEN m.arm = 'treatment' THEN 0.33 ELSE 0.30 END) / 2""")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args()

    from cvm.campaigns.design import create_campaign
    from cvm.campaigns.measure import compare_groups
    from cvm.campaigns.registry import measure_campaign, outcomes_from_transactions
    from cvm.workspace import Workspace

    out: dict = {"customers": args.customers}
    # the campaign tables are Ibis expressions: a fresh process pays once for loading Ibis's
    # DuckDB backend, timed apart from the work (a run or the server has it loaded already)
    t0 = time.perf_counter()
    import ibis

    ibis.duckdb  # noqa: B018 - loads the backend
    out["ibis_backend_load_seconds"] = round(time.perf_counter() - t0, 2)
    with tempfile.TemporaryDirectory() as tmp:
        with Workspace(Path(tmp) / "bench.duckdb") as ws:
            build(ws, args.customers)
            t0, c0 = time.perf_counter(), time.process_time()
            c = create_campaign(ws, "bench", cells=["*"], control_share=0.1,
                                stratify="matrix_cell", seed=1, cost_per_contact=2.0,
                                start=dt.date(2025, 1, 6), end=dt.date(2025, 2, 16))
            out["assign_seconds"] = round(time.perf_counter() - t0, 2)
            out["assign_cpu_seconds"] = round(time.process_time() - c0, 2)
            out["treated"], out["control"] = c.treated, c.control
            add_purchases(ws, "bench")
            t0, c0 = time.perf_counter(), time.process_time()
            results = measure_campaign(ws, "bench")
            out["analyse_transactions_seconds"] = round(time.perf_counter() - t0, 2)
            out["analyse_transactions_cpu_seconds"] = round(time.process_time() - c0, 2)
            head = results[(results.segment == "all") & (results.outcome == "responded")]
            out["measured_response_lift"] = round(float(head.lift.iloc[0]), 4)
            outcomes = outcomes_from_transactions(ws, "bench")
        path = Path(tmp) / "outcomes.csv"
        outcomes.drop(columns=["response_date", "margin"]).to_csv(path, index=False)
        t0 = time.perf_counter()
        data = pd.read_csv(path)
        compare_groups(data, "arm", "control", ["responded", "revenue"],
                       segment_column="stratum", cost_per_contact=2.0)
        out["analyse_file_seconds"] = round(time.perf_counter() - t0, 2)
    out["load_average"] = os.getloadavg()[0]
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
