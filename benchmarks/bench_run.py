"""A whole ``cvm run`` on a synthetic transaction log, step by step: time and peak memory.

No other tool does the whole run (load, features, CLV, lifecycle, composite value, matrix,
results folder and report), so this benchmark has no peer column; it shows where the time of a
real run goes. The data are the feature benchmark's logs (``synthetic.py``), loaded from Parquet
into a new workspace.

Usage::

    python benchmarks/bench_run.py                 # 1M customers (4.1M transactions)
    python benchmarks/bench_run.py --sizes 100000 3000000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def run_once(n: int, seed: int) -> dict:
    from synthetic import ensure_dataset

    from cvm.pipeline import run

    path, meta = ensure_dataset(n, random_state=seed)
    work = Path(tempfile.mkdtemp(prefix="cvm-bench-run-"))
    steps: list[tuple[str, float]] = []
    started = time.perf_counter()
    last = [started, "start"]

    def progress(message: str) -> None:
        now = time.perf_counter()
        steps.append((last[1], now - last[0]))
        last[:] = [now, message]

    load_before = os.getloadavg()[0]
    try:
        result = run(path, workspace=work / "cvm.duckdb", out=work / "results", progress=progress)
        progress("done")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    total = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"customers": n, "rows": meta["rows"], "seconds": total, "peak_rss": peak,
            "load_average_before": load_before, "customers_out": result.customers.num_rows,
            "steps": [(name, secs) for name, secs in steps if name != "start"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_once(args.one, args.seed)))
        return 0
    import subprocess

    records = []
    for n in args.sizes:  # each size in a fresh process, so that its peak memory is its own
        done = subprocess.run([sys.executable, __file__, "--one", str(n), "--seed", str(args.seed)],
                              check=True, stdout=subprocess.PIPE, text=True)
        rec = json.loads(done.stdout.strip().splitlines()[-1])
        records.append(rec)
        print(f"\n{n:,} customers, {rec['rows']:,} transactions: {rec['seconds']:.1f} s, peak "
              f"memory {rec['peak_rss'] / 1024**3:.2f} GB, load average "
              f"{rec['load_average_before']:.1f}")
        for name, secs in rec["steps"]:
            print(f"  {secs:7.1f} s  {name}")
    out = HERE / "results" / f"run-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(records, indent=2))
    print(f"\nrecord: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
