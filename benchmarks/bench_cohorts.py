"""Cohort table speed: 3M customers and about 12M transactions, one engine expression.

Times :func:`cvm.features.cohorts.cohort_table` (monthly cohorts, all customers) over the
synthetic transaction log of ``synthetic.py`` read from Parquet on DuckDB with cvm's threads
(:func:`cvm.engine.duckdb_engine`), executed to Arrow: the read, the grouping by customer and
month, the cohort windows and the grid of periods are all in the one timed expression. The
target is 5 seconds on the 2-core benchmark machine. The CPU seconds of the process are
printed too: on a machine shared with other work the wall time grows with the load, while the
CPU time (divided by the cores) says what the same run takes with the machine to itself.

Usage::

    python benchmarks/bench_cohorts.py                 # 3M customers
    python benchmarks/bench_cohorts.py --customers 100000 --repeat 3
    python benchmarks/bench_cohorts.py --by value_tier   # and the split by first-day spend

``--by value_tier`` also times the cohort table split by each customer's first-day spend tier
(:func:`cvm.features.cohorts.acquisition_attributes` joined in the same expression), as a run's
cohort stage computes it beside the table of all customers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

TARGET_SECONDS = 5.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=3_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--period", default="month")
    parser.add_argument("--by", choices=["value_tier"], default=None)
    args = parser.parse_args()

    from synthetic import ensure_dataset

    from cvm.engine import duckdb_engine, duckdb_threads
    from cvm.features.cohorts import acquisition_attributes, cohort_table

    path, meta = ensure_dataset(args.customers)
    as_of = dt.date.fromisoformat(meta["as_of"])
    engine = duckdb_engine()
    times, cpus = [], []
    for _ in range(args.repeat):
        started, cpu = time.perf_counter(), _cpu_seconds()
        table = engine.to_arrow(cohort_table(engine.read_parquet(path, "bench_tx"),
                                             as_of=as_of, period=args.period))
        times.append(time.perf_counter() - started)
        cpus.append(_cpu_seconds() - cpu)
    best = min(times)
    cores = os.cpu_count() or 1
    sizes = table.filter(table.column("period").to_numpy() == 0).column("customers")
    print(f"customers {args.customers:,}, transactions {meta['rows']:,}, "
          f"{args.period} cohorts {len(sizes):,} (acquired {sum(sizes.to_pylist()):,}), "
          f"rows {table.num_rows:,}, DuckDB threads {duckdb_threads()}")
    print(f"cohort table: {best:.2f} s (best of {len(times)}; target ≤ {TARGET_SECONDS:.0f} s"
          f"{'' if best <= TARGET_SECONDS else ', NOT MET'})")
    print(f"CPU: {min(cpus):.2f} s over {cores} cores, {min(cpus) / cores:.2f} s of wall time on "
          f"an idle machine; load average now {os.getloadavg()[0]:.1f}")
    if args.by:
        tx = engine.read_parquet(path, "bench_tx")
        started, cpu = time.perf_counter(), _cpu_seconds()
        split = engine.to_arrow(cohort_table(
            tx, as_of=as_of, period=args.period,
            groups=acquisition_attributes(tx, as_of=as_of, period=args.period), by=[args.by]))
        print(f"split by {args.by}: {time.perf_counter() - started:.2f} s, CPU "
              f"{_cpu_seconds() - cpu:.2f} s, rows {split.num_rows:,}; load average now "
              f"{os.getloadavg()[0]:.1f}")


def _cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


if __name__ == "__main__":
    main()
