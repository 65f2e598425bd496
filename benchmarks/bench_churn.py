"""Churn scoring and validation speed at 1M customers.

On a synthetic log (``synthetic.py``: a BG/NBD-like process over two years, about 4M rows at
1M customers) this times ``cvm.models.churn_validation.validate_churn`` with the calibration
end ``--horizon-days`` before the last date: behaviour features at two dates and the labels
(DuckDB, through Ibis, one query for both dates), three purchase models fitted twice each (on
at most 50,000 customers, compressed to unique histories), the recency rule, gradient
boosting and logistic regression trained on 50,000 customers of the training window and judged
on 70,000 others, the selection and calibration, the scores of every customer and the holdout
figures. The Parquet file is read into DuckDB first; that load is timed apart. Besides the
wall-clock seconds it prints the CPU seconds of the process (DuckDB's threads included) and
the load average, since other work on the machine stretches the wall clock.

Usage::

    python benchmarks/bench_churn.py                 # 1M customers
    python benchmarks/bench_churn.py --customers 100000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import time

from synthetic import ensure_dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--horizon-days", type=int, default=90)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    from cvm.engine import duckdb_engine
    from cvm.models.churn_validation import validate_churn

    path, meta = ensure_dataset(args.customers)
    eng = duckdb_engine()
    start = time.perf_counter()
    eng.backend.raw_sql(f"CREATE TABLE tx AS SELECT customer_id, purchase_date, amount "
                        f"FROM read_parquet('{path}')")
    table = eng.backend.table("tx")
    last = eng.backend.raw_sql("SELECT max(purchase_date) FROM tx").fetchone()[0]
    load = time.perf_counter() - start
    calibration_end = last - dt.timedelta(days=args.horizon_days)
    load_average = os.getloadavg()[0]
    start, cpu = time.perf_counter(), time.process_time()
    v = validate_churn(table, eng.to_arrow, calibration_end=calibration_end,
                       horizon_days=args.horizon_days, last_date=last)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    s = v.summary()
    print(json.dumps({
        "customers": s["customers"], "rows": meta.get("rows"), "load_seconds": round(load, 2),
        "score_and_validate_seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
        "load_average_before": round(load_average, 1), "cores": os.cpu_count(),
        "target_seconds": 10,
        "chosen": s["chosen"], "window_days": s["window_days"],
        "auc": {c: round(m["score"]["auc"], 4) for c, m in s["candidates"].items()},
        "churn_risk": {k: round(s["churn_risk"][k], 4) for k in ("auc", "brier", "ece")},
    }, indent=2))


if __name__ == "__main__":
    main()
