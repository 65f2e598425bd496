"""A whole ``cvm run`` from a CSV file, side by side with the pandas + lifetimes pipeline.

Both read the same CSV of the synthetic transaction log (``synthetic.py``; written once next to
the Parquet file and reused), each in a fresh process with its own peak memory:

- **cvm**: the work of ``cvm run FILE --workspace W --out R`` (``cvm.pipeline.run``): load the
  CSV into a new workspace (read, parse, check, dedupe, store), every stage, the results folder
  and the report. Its progress steps are timed.
- **peer**: what a user would write instead with pandas and lifetimes 0.11.3:
  ``pandas.read_csv``; ``lifetimes.utils.summary_data_from_transaction_data`` with monetary
  value; ``BetaGeoFitter``; ``GammaGammaFitter`` on the repeat buyers;
  ``customer_lifetime_value`` over 12 months; RFM quintile scores with ``pandas.qcut``;
  ``DataFrame.to_csv``.

Prints both times, the ratio cvm / peer, peak memory, the load average and cvm's step times.
lifetimes is a benchmark-only dependency (``pip install lifetimes==0.11.3``).

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
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def ensure_csv(n: int, seed: int) -> tuple[Path, dict]:
    """The CSV of the synthetic log (customer_id, purchase_time, amount), written once."""
    from synthetic import ensure_dataset

    parquet, meta = ensure_dataset(n, random_state=seed)
    path = parquet.with_suffix(".csv")
    if path.exists() and path.stat().st_mtime >= parquet.stat().st_mtime:
        return path, meta
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    table = pq.read_table(parquet, columns=["customer_id", "purchase_time", "amount"])
    table = table.set_column(1, "purchase_time",
                             pc.strftime(table.column("purchase_time"), "%Y-%m-%d %H:%M:%S"))
    tmp = path.with_suffix(".csv.tmp")
    pacsv.write_csv(table, tmp, pacsv.WriteOptions(quoting_style="none"))
    tmp.replace(path)
    del pa
    return path, meta


def _peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _cpu() -> float:
    """User + system seconds of this process, all its threads: on a shared machine it moves
    far less than the wall time."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_cvm(csv: Path) -> dict:
    from cvm.pipeline import run

    work = Path(tempfile.mkdtemp(prefix="cvm-bench-run-"))
    steps: list[tuple[str, float, float]] = []
    started = time.perf_counter()
    last = [started, _cpu(), "start"]

    def progress(message: str) -> None:
        now, cpu = time.perf_counter(), _cpu()
        steps.append((last[2], now - last[0], cpu - last[1]))
        last[:] = [now, cpu, message]

    try:
        result = run(str(csv), workspace=work / "cvm.duckdb", out=work / "results",
                     progress=progress)
        progress("done")
        n_out = result.customers.num_rows
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"seconds": time.perf_counter() - started, "cpu_seconds": _cpu(), "peak_rss": _peak(),
            "customers_out": n_out,
            "steps": [(name.replace(str(csv), "CSV"), secs, cpu) for name, secs, cpu in steps
                      if name != "start"]}


def run_peer(csv: Path) -> dict:
    """pandas + lifetimes: what a user would write for the same outputs."""
    started = time.perf_counter()
    steps = []
    mark = [started]

    def step(name: str) -> None:
        now = time.perf_counter()
        steps.append((name, now - mark[0]))
        mark[0] = now

    import numpy as np
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

    step("import")
    df = pd.read_csv(csv, parse_dates=["purchase_time"])
    step("read_csv")
    as_of = df["purchase_time"].max().normalize()
    summary = summary_data_from_transaction_data(
        df, "customer_id", "purchase_time", monetary_value_col="amount",
        observation_period_end=as_of, freq="D")
    step("summary_data_from_transaction_data")
    bgf = BetaGeoFitter(penalizer_coef=0.0).fit(summary["frequency"], summary["recency"],
                                                summary["T"])
    step("BetaGeoFitter")
    repeat = summary[summary["frequency"] > 0]
    ggf = GammaGammaFitter(penalizer_coef=0.0).fit(repeat["frequency"],
                                                   repeat["monetary_value"])
    step("GammaGammaFitter")
    summary["p_alive"] = bgf.conditional_probability_alive(summary["frequency"],
                                                           summary["recency"], summary["T"])
    summary["clv_12m"] = ggf.customer_lifetime_value(
        bgf, summary["frequency"], summary["recency"], summary["T"],
        summary["monetary_value"], time=12, freq="D", discount_rate=0.01)
    step("customer_lifetime_value")
    recency_days = summary["T"] - summary["recency"]
    total = df.groupby("customer_id")["amount"].sum().reindex(summary.index)
    summary["r_score"] = pd.qcut(recency_days.rank(method="first", ascending=False), 5,
                                 labels=False) + 1
    summary["f_score"] = pd.qcut(summary["frequency"].rank(method="first"), 5, labels=False) + 1
    summary["m_score"] = pd.qcut(total.rank(method="first"), 5, labels=False) + 1
    summary["rfm"] = (summary["r_score"] * 100 + summary["f_score"] * 10
                      + summary["m_score"]).astype(np.int64)
    step("RFM quintiles")
    out = Path(tempfile.mkdtemp(prefix="peer-bench-run-"))
    try:
        summary.to_csv(out / "customers.csv")
    finally:
        shutil.rmtree(out, ignore_errors=True)
    step("to_csv")
    return {"seconds": time.perf_counter() - started, "cpu_seconds": _cpu(), "peak_rss": _peak(),
            "customers_out": len(summary), "steps": steps}


def _child(which: str, n: int, seed: int) -> dict:
    done = subprocess.run([sys.executable, __file__, "--one", which, str(n), "--seed", str(seed)],
                          check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--no-peer", action="store_true", help="time cvm only")
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        which, n = args.one[0], int(args.one[1])
        csv, _meta = ensure_csv(n, args.seed)
        print(json.dumps(run_cvm(csv) if which == "cvm" else run_peer(csv)))
        return 0

    records = []
    for n in args.sizes:  # each program in a fresh process, so that its peak memory is its own
        csv, meta = ensure_csv(n, args.seed)
        rec = {"customers": n, "rows": meta["rows"], "csv_bytes": csv.stat().st_size}
        rec["load_average_before"] = os.getloadavg()
        rec["cvm"] = _child("cvm", n, args.seed)
        if not args.no_peer:
            rec["peer"] = _child("peer", n, args.seed)
        rec["load_average_after"] = os.getloadavg()
        records.append(rec)
        cvm = rec["cvm"]
        print(f"\n{n:,} customers, {rec['rows']:,} transactions, CSV "
              f"{rec['csv_bytes'] / 1024**2:.0f} MiB; load average "
              f"{rec['load_average_before'][0]:.1f} before, {rec['load_average_after'][0]:.1f} "
              f"after")
        print(f"  cvm run                {cvm['seconds']:7.1f} s   CPU {cvm['cpu_seconds']:6.1f} s   peak memory "
              f"{cvm['peak_rss'] / 1024**3:.2f} GiB")
        if "peer" in rec:
            peer = rec["peer"]
            print(f"  pandas + lifetimes     {peer['seconds']:7.1f} s   CPU {peer['cpu_seconds']:6.1f} s   peak memory "
                  f"{peer['peak_rss'] / 1024**3:.2f} GiB")
            print(f"  ratio cvm / peer       {cvm['seconds'] / peer['seconds']:7.2f}   CPU "
                  f"{cvm['cpu_seconds'] / peer['cpu_seconds']:.2f}")
        print("  cvm steps (wall, CPU):")
        for name, secs, cpu in cvm["steps"]:
            print(f"    {secs:7.2f} s {cpu:7.2f} s  {name}")
        if "peer" in rec:
            print("  peer steps:")
            for name, secs in rec["peer"]["steps"]:
                print(f"    {secs:7.2f} s  {name}")
    out = HERE / "results" / f"run-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(records, indent=2))
    print(f"\nrecord: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
