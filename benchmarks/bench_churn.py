"""Churn scoring and validation speed at 1M customers.

On a synthetic log (``synthetic.py``: a BG/NBD-like process over two years, about 4M rows at
1M customers) this times ``cvm.models.churn_validation.validate_churn`` with the calibration
end ``--horizon-days`` before the last date: behaviour features at two dates and the labels
(DuckDB, through Ibis), three purchase models fitted twice each, the recency rule, gradient
boosting and logistic regression cross-fitted on at most 100,000 customers per fold, the
calibration, the scores of every customer and the holdout figures. The Parquet file is read
into DuckDB first; that load is timed apart.

Usage::

    python benchmarks/bench_churn.py                 # 1M customers
    python benchmarks/bench_churn.py --customers 100000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
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
    start = time.perf_counter()
    v = validate_churn(table, eng.to_arrow, calibration_end=calibration_end,
                       horizon_days=args.horizon_days, last_date=last)
    seconds = time.perf_counter() - start
    s = v.summary()
    print(json.dumps({
        "customers": s["customers"], "rows": meta.get("rows"), "load_seconds": round(load, 2),
        "score_and_validate_seconds": round(seconds, 2), "target_seconds": 10,
        "chosen": s["chosen"], "window_days": s["window_days"],
        "auc": {c: round(m["score"]["auc"], 4) for c, m in s["candidates"].items()},
        "churn_risk": {k: round(s["churn_risk"][k], 4) for k in ("auc", "brier", "ece")},
    }, indent=2))


if __name__ == "__main__":
    main()
