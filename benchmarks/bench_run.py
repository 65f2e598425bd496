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

With ``--scale`` it measures how cvm's whole run grows instead (no peer): the synthetic log at
about 1M and 10M transactions (250,000 and 2.5M customers; ``--scale large`` adds 25M customers,
about 100M transactions), read from its Parquet file. Each size is prepared in one process and
run in a fresh one whose memory is watched from outside: a run whose resident memory passes the
ceiling (``--memory-ceiling``, 20 GiB by default) is stopped and reported as not finished, and
the larger sizes are not tried. It prints the time, CPU time and peak memory of each size and
how they grew from the size before (time per transaction; memory).

Usage::

    python benchmarks/bench_run.py                 # 1M customers (4.1M transactions)
    python benchmarks/bench_run.py --sizes 100000 3000000
    python benchmarks/bench_run.py --scale         # 250k and 2.5M customers (1M, 10M rows)
    python benchmarks/bench_run.py --scale large   # and 25M customers (100M rows)
    python benchmarks/bench_run.py --scale --sizes 1000000 2000000 --memory-ceiling 8
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
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


def _memory() -> tuple[int, int]:
    """This process's resident memory now and its peak since the last :func:`_reset_peak`
    (``VmRSS``, ``VmHWM`` of ``/proc/self/status``; zeros where there is no ``/proc``)."""
    now = peak = 0
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    now = int(line.split()[1]) * 1024
                elif line.startswith("VmHWM:"):
                    peak = int(line.split()[1]) * 1024
    except OSError:
        pass
    return now, peak


def _reset_peak() -> None:
    """Start a new peak (Linux: ``5`` to ``/proc/self/clear_refs`` resets ``VmHWM``), so that
    each step's peak is its own; the whole run's peak is kept by ``getrusage``."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


def run_cvm(source: Path) -> dict:
    """cvm's whole run on ``source`` (a CSV or Parquet file), timed step by step."""
    from cvm.pipeline import run

    work = Path(tempfile.mkdtemp(prefix="cvm-bench-run-"))
    steps: list[tuple[str, float, float, int, int]] = []
    started = time.perf_counter()
    last = [started, _cpu(), "start"]
    _reset_peak()

    def progress(message: str) -> None:
        now, cpu = time.perf_counter(), _cpu()
        rss, peak = _memory()
        steps.append((last[2], now - last[0], cpu - last[1], rss, peak))
        last[:] = [now, cpu, message]
        _reset_peak()

    try:
        result = run(str(source), workspace=work / "cvm.duckdb", out=work / "results",
                     progress=progress)
        progress("done")
        # the rows the run wrote (reading ``result.customers`` would bring the whole table
        # back from the workspace into this process: 25M customers took it past 20 GiB)
        n_out = result.customer_rows
    finally:
        shutil.rmtree(work, ignore_errors=True)
    # each step's peak is its own (:func:`_reset_peak`); the run's is the highest of them
    peak = max([_peak(), *(step[4] for step in steps)])
    return {"seconds": time.perf_counter() - started, "cpu_seconds": _cpu(), "peak_rss": peak,
            "customers_out": n_out,
            "steps": [(name.replace(str(source), source.suffix[1:].upper()), *figures) for name, *figures in steps
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


#: customers per size of ``--scale``: about 1M and 10M transactions (4.13 per customer), and
#: with ``--scale large`` about 100M
SCALE_SIZES = {"default": [250_000, 2_500_000], "large": [250_000, 2_500_000, 25_000_000]}
GIB = 1024**3


def _tree_rss(pid: int) -> int:
    """Resident memory of a process and its descendants, in bytes (0 once it is gone)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
            with open(f"/proc/{p}/task/{p}/children") as children:
                todo += [int(c) for c in children.read().split()]
        except (OSError, ValueError):
            continue
    return total


def watched(command: list[str], ceiling: int) -> tuple[dict | None, int, str]:
    """Run ``command`` (which prints one JSON line last) and watch its resident memory every
    0.2 s; past ``ceiling`` bytes it is killed. Returns its record (None when it did not
    finish), the highest memory seen from outside, and why it did not finish ("" when it did)."""
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True,
                             start_new_session=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(child.stdout), daemon=True)
    reader.start()
    highest, over = 0, False
    while child.poll() is None:
        rss = _tree_rss(child.pid)
        highest = max(highest, rss)
        if rss > ceiling:
            over = True
            os.killpg(child.pid, signal.SIGKILL)  # its own session: the run and its helpers
            child.wait()
            break
        time.sleep(0.2)
    reader.join(timeout=5)
    if over:
        return None, highest, f"over {ceiling / GIB:g} GiB"
    if child.returncode != 0:
        return None, highest, f"failed (exit status {child.returncode})"
    return json.loads(lines[-1]), highest, ""


def scale(sizes: list[int], seed: int, ceiling: int) -> list[dict]:
    """cvm's whole run at each size in turn (smallest first), each prepared in one process and
    run in a fresh one under the memory ceiling; stops at the first size that does not finish."""
    records: list[dict] = []
    print(f"cvm whole run by size (Parquet input), memory ceiling {ceiling / GIB:g} GiB")
    for n in sorted(sizes):
        prep, _prep_peak, why = watched([sys.executable, __file__, "--prepare", str(n), "--seed",
                                        str(seed)], ceiling)
        if prep is None:
            print(f"  did not finish: preparing the data for {n:,} customers {why}")
            records.append({"customers": n, "finished": False,
                            "reason": f"preparing the data {why}"})
            break
        rec, seen, why = watched([sys.executable, __file__, "--one", "scale", str(n), "--seed",
                                  str(seed)], ceiling)
        if rec is None:
            print(f"  did not finish: {why} at {n:,} customers (highest memory seen "
                  f"{seen / GIB:.2f} GiB); larger sizes not tried")
            records.append({"customers": n, "rows": prep["rows"], "finished": False,
                            "reason": why, "highest_rss": seen})
            break
        rec.update(customers=n, rows=prep["rows"], finished=True, highest_rss=seen,
                   load_average=os.getloadavg())
        line = (f"  {n:>12,} customers {prep['rows']:>13,} transactions  "
                f"{rec['seconds']:8.1f} s  CPU {rec['cpu_seconds']:8.1f} s  "
                f"peak {rec['peak_rss'] / GIB:6.2f} GiB")
        done = [r for r in records if r.get("finished")]
        if done:
            last = done[-1]
            rows = prep["rows"] / last["rows"]
            line += (f"  | ×{rows:.1f} rows: time ×{rec['seconds'] / last['seconds']:.1f}, "
                     f"CPU ×{rec['cpu_seconds'] / last['cpu_seconds']:.1f}, "
                     f"memory ×{rec['peak_rss'] / last['peak_rss']:.2f}")
        print(line, flush=True)
        records.append(rec)
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+",
                        help="customers per size (default 1M; with --scale its sizes)")
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--no-peer", action="store_true", help="time cvm only")
    parser.add_argument("--scale", nargs="?", const="default", choices=sorted(SCALE_SIZES),
                        help="how cvm's whole run grows with the size (large: up to 100M rows)")
    parser.add_argument("--memory-ceiling", type=float, default=20.0, metavar="GIB",
                        help="with --scale: stop a size whose memory passes this (default 20)")
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--prepare", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.prepare:
        from synthetic import ensure_dataset

        _path, meta = ensure_dataset(args.prepare, random_state=args.seed)
        print(json.dumps(meta))
        return 0
    if args.one:
        which, n = args.one[0], int(args.one[1])
        if which == "scale":
            from synthetic import ensure_dataset

            parquet, _meta = ensure_dataset(n, random_state=args.seed)
            print(json.dumps(run_cvm(parquet)))
            return 0
        csv, _meta = ensure_csv(n, args.seed)
        print(json.dumps(run_cvm(csv) if which == "cvm" else run_peer(csv)))
        return 0
    if args.scale:
        records = scale(args.sizes or SCALE_SIZES[args.scale], args.seed,
                        int(args.memory_ceiling * GIB))
        out = HERE / "results" / f"scale-{time.strftime('%Y%m%d-%H%M%S')}.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(records, indent=2))
        print(f"\nrecord: {out}")
        return 0
    args.sizes = args.sizes or [1_000_000]

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
        print("  cvm steps (wall, CPU, memory at the end of the step, peak during it):")
        for name, secs, cpu, rss, peak in cvm["steps"]:
            print(f"    {secs:7.2f} s {cpu:7.2f} s {rss / 1024**3:6.2f} GiB {peak / 1024**3:6.2f} GiB"
                  f"  {name}")
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
