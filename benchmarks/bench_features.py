"""Feature-stage speed: cvm vs lifetimes vs a plain DuckDB group-by, side by side.

For each size of synthetic transaction log (see ``synthetic.py``) this times, each in a fresh
process so that its peak memory can be read on its own:

- ``duckdb``: the reference point, a plain ``GROUP BY customer_id, purchase_date`` over the
  Parquet file, materialised in DuckDB (and, reported alongside, fetched as an Arrow table),
  with as many DuckDB threads as cvm uses (``cvm.engine.duckdb_threads``); the same group-by
  on a connection left at DuckDB's defaults (one thread per core) is reported alongside;
- ``duckdb-summary``: (diagnostic) the per-customer summary hand-written as one DuckDB query,
  the floor for what the summary part of the feature stage costs;
- ``cvm``: cvm's whole feature stage (summary + RFM scores and segments + ABC) as built by
  ``cvm.features.customers.customer_features`` over ``Engine.read_parquet``, executed to Arrow;
- ``lifetimes``: ``lifetimes.utils.summary_data_from_transaction_data`` (freq ``"D"``, the same
  observation end, ``monetary_value_col="amount"``) on the log already loaded into pandas (the
  load is timed apart and not counted).

It then checks, customer by customer, that lifetimes and cvm agree: ``frequency`` equal,
lifetimes' ``recency`` equal to ``tenure_days - recency_days``, ``T`` equal to ``tenure_days``,
``monetary_value`` equal to ``repeat_monetary_avg`` within a relative tolerance of 1e-9.

Each time is the fastest of ``--repeat`` runs in the step's process. Peak memory is the peak
resident set size of the step's own process (``wait4`` rusage of that child), so it includes the Python interpreter and imported libraries; the idle size after
imports is shown alongside.

Usage::

    python benchmarks/bench_features.py            # 100k and 1M customers
    python benchmarks/bench_features.py --large    # adds 3M customers (about 12M rows)

lifetimes is needed in the environment (``pip install lifetimes``); it is not a cvm dependency.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS_DIR = HERE / "results"
DEFAULT_SIZES = (100_000, 1_000_000)
LARGE_SIZE = 3_000_000
TARGET_LIFETIMES_RATIO = 8.0
TARGET_DUCKDB_RATIO = 3.0
TARGET_PEAK_BYTES = 3 * 1024**3

CHECK_COLUMNS = ("frequency", "recency", "T", "monetary_value")


# --------------------------------------------------------------------------------------------
# Steps: each runs in its own process and writes a JSON record (and, for cvm and lifetimes,
# the per-customer figures to compare).
# --------------------------------------------------------------------------------------------

def _status_bytes(field: str) -> int:
    """A memory figure of this process from /proc/self/status (Linux), e.g. VmRSS or VmHWM."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _rss_bytes() -> int:
    return _status_bytes("VmRSS")


def _cpu_seconds() -> float:
    """User + system CPU time of this process so far, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


_CPU_TIMES: list[float] = []  # CPU seconds of each timed run of this step's process


def _timed(fn, repeat: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeat):
        result = None  # let the previous result go before the next run
        cpu = _cpu_seconds()
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
        _CPU_TIMES.append(_cpu_seconds() - cpu)
    return times, result


def _reference_connection():
    """A plain DuckDB connection with as many threads as cvm's, so that the ratio to the
    group-by measures cvm's own work, not a thread setting."""
    import duckdb

    from cvm.engine import duckdb_threads

    return duckdb.connect(config={"threads": duckdb_threads()})


def _step_duckdb(data: Path, as_of: dt.date, repeat: int, out: Path | None) -> dict:
    import duckdb

    con = _reference_connection()
    group_by = (f"SELECT customer_id, purchase_date, sum(amount) AS amount, count(*) AS n_rows "
                f"FROM read_parquet('{data}') GROUP BY customer_id, purchase_date")
    idle = _rss_bytes()
    # Materialised inside DuckDB: the group-by itself, without handing ~1 row per transaction
    # over to Python.
    times, _ = _timed(lambda: con.execute(f"CREATE OR REPLACE TEMP TABLE daily AS {group_by}"),
                      repeat)
    rows = con.execute("SELECT count(*) FROM daily").fetchall()[0][0]
    con.execute("DROP TABLE daily")
    # The same, fetched as an Arrow table.
    arrow_times, table = _timed(lambda: con.sql(group_by).to_arrow_table(), repeat)
    table = None
    # The same group-by on a connection left at DuckDB's defaults (one thread per core).
    plain = duckdb.connect()
    default_times, _ = _timed(
        lambda: plain.execute(f"CREATE OR REPLACE TEMP TABLE daily AS {group_by}"), repeat)
    return {"times": times, "arrow_times": arrow_times, "default_times": default_times,
            "idle_rss": idle, "out_rows": rows}


# The per-customer summary written by hand in DuckDB SQL: the same figures as cvm's summary.
_SUMMARY_SQL = """
WITH daily AS (
    SELECT customer_id, purchase_date, sum(amount) AS day_amount
    FROM read_parquet('{data}')
    WHERE purchase_date <= DATE '{as_of}'
    GROUP BY customer_id, purchase_date
), s AS (
    SELECT customer_id, min(purchase_date) AS first_purchase, max(purchase_date) AS last_purchase,
           count(*) AS n_days, sum(day_amount) AS total, arg_min(day_amount, purchase_date) AS first_amount
    FROM daily GROUP BY customer_id
)
SELECT customer_id, n_days - 1 AS frequency,
       DATE '{as_of}' - last_purchase AS recency_days,
       DATE '{as_of}' - first_purchase AS tenure_days,
       total AS monetary_total,
       CASE WHEN n_days > 1 THEN (total - first_amount) / (n_days - 1) ELSE 0 END AS repeat_monetary_avg
FROM s
"""


def _step_duckdb_summary(data: Path, as_of: dt.date, repeat: int, out: Path | None) -> dict:
    import duckdb

    con = _reference_connection()
    sql = _SUMMARY_SQL.format(data=data, as_of=as_of.isoformat())
    idle = _rss_bytes()
    times, table = _timed(lambda: con.sql(sql).to_arrow_table(), repeat)
    return {"times": times, "idle_rss": idle, "out_rows": table.num_rows}


def _step_cvm(data: Path, as_of: dt.date, repeat: int, out: Path | None) -> dict:
    import pyarrow.parquet as pq

    from cvm.config import AnalysisConfig
    from cvm.engine import duckdb_engine
    from cvm.features.customers import customer_features

    config = AnalysisConfig(as_of=as_of)
    idle = _rss_bytes()

    def run():
        engine = duckdb_engine()
        transactions = engine.read_parquet(data, "transactions")
        return engine.to_arrow(customer_features(transactions, config))

    times, table = _timed(run, repeat)
    if out is not None:
        pq.write_table(table.select(["customer_id", "frequency", "recency_days", "tenure_days",
                                     "repeat_monetary_avg"]), out)
    return {"times": times, "idle_rss": idle, "out_rows": table.num_rows,
            "out_columns": table.num_columns}


def _lifetimes_compat() -> None:
    """Make lifetimes 0.11.3 usable here.

    Its ``summary_data_from_transaction_data`` runs unchanged on pandas 3 / NumPy 2 when the
    date column is ``datetime64`` (pandas 3 reads a Parquet ``date`` column as Python ``date``
    objects, so the benchmark hands it the ``purchase_time`` timestamp column, which lifetimes
    floors to the day itself with ``freq="D"``). Importing lifetimes warns about deprecated
    pandas/NumPy/SciPy names; those warnings are silenced for the duration of the import only.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import lifetimes.utils  # noqa: F401


def _step_lifetimes(data: Path, as_of: dt.date, repeat: int, out: Path | None) -> dict:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    _lifetimes_compat()
    from lifetimes.utils import summary_data_from_transaction_data

    started = time.perf_counter()
    frame = pq.read_table(data, columns=["customer_id", "purchase_time", "amount"]).to_pandas()
    load_seconds = time.perf_counter() - started
    idle = _rss_bytes()
    end = pd.Timestamp(as_of)

    def run():
        return summary_data_from_transaction_data(
            frame, "customer_id", "purchase_time", monetary_value_col="amount",
            observation_period_end=end, freq="D")

    times, summary = _timed(run, repeat)
    if out is not None:
        summary = summary.reset_index()
        summary["customer_id"] = summary["customer_id"].astype(str)
        pq.write_table(pa.Table.from_pandas(summary[["customer_id", *CHECK_COLUMNS]],
                                            preserve_index=False), out)
    return {"times": times, "idle_rss": idle, "out_rows": len(summary),
            "load_seconds": load_seconds}


STEPS = {
    "duckdb": _step_duckdb,
    "duckdb-summary": _step_duckdb_summary,
    "cvm": _step_cvm,
    "lifetimes": _step_lifetimes,
}


def _helper(args: list[str]) -> dict:
    """Run a helper job (dataset, comparison, versions) in a child process; its JSON answer.

    Keeping this driver process small matters: a child starts with its parent's peak RSS as the
    floor of its own ``ru_maxrss``, so heavy work here would inflate the measured peaks.
    """
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), *args],
                          check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _run_helper_here(args: argparse.Namespace) -> None:
    if args.dataset:
        sys.path.insert(0, str(HERE))
        from synthetic import ensure_dataset

        path, meta = ensure_dataset(args.dataset, random_state=args.seed)
        print(json.dumps(dict(meta, path=str(path))))
    elif args.compare:
        print(json.dumps(compare(Path(args.compare[0]), Path(args.compare[1]))))
    else:
        print(json.dumps({"machine": _machine()}))


def _run_step_here(args: argparse.Namespace) -> None:
    load_before = os.getloadavg()[0]
    record = STEPS[args.step](Path(args.data), dt.date.fromisoformat(args.as_of), args.repeat,
                              Path(args.out) if args.out else None)
    record["vm_hwm"] = _status_bytes("VmHWM")
    record["cpu_times"] = _CPU_TIMES[:len(record["times"])]
    record["load_average_before"] = load_before
    Path(args.record).write_text(json.dumps(record))


# --------------------------------------------------------------------------------------------
# The driver
# --------------------------------------------------------------------------------------------

def run_step(step: str, data: Path, as_of: str, *, repeat: int, work: Path,
             timeout: float | None = None, out: Path | None = None) -> dict:
    """Run one step in a fresh process; its record plus the process's peak RSS."""
    record_path = work / f"{step}.json"
    record_path.unlink(missing_ok=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--step", step, "--data", str(data),
           "--as-of", as_of, "--repeat", str(repeat), "--record", str(record_path)]
    if out is not None:
        cmd += ["--out", str(out)]
    started = time.monotonic()
    proc = subprocess.Popen(cmd)
    timed_out = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if timeout is not None and time.monotonic() - started > timeout:
            os.kill(proc.pid, signal.SIGKILL)
            pid, status, usage = os.wait4(proc.pid, 0)
            timed_out = True
            break
        time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    peak = usage.ru_maxrss * 1024
    if timed_out:
        return {"timed_out": True, "timeout": timeout, "peak_rss": peak}
    if proc.returncode != 0:
        raise RuntimeError(f"step {step} on {data.name} failed with exit code {proc.returncode}")
    record = json.loads(record_path.read_text())
    record["peak_rss"] = peak
    record["seconds"] = min(record["times"])
    # CPU seconds (all threads) of the fastest run: less sensitive than wall time to other work
    # on the machine, and showing how much of the wall time ran on both cores
    fastest = record["times"].index(record["seconds"])
    record["cpu_seconds"] = record["cpu_times"][fastest]
    if "arrow_times" in record:
        record["arrow_seconds"] = min(record["arrow_times"])
        record["default_seconds"] = min(record["default_times"])
    return record


def compare(cvm_path: Path, lifetimes_path: Path) -> dict:
    """Per-customer agreement of cvm's and lifetimes' summaries; raises if they differ."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    c = pq.read_table(cvm_path).sort_by("customer_id")
    lt = pq.read_table(lifetimes_path).sort_by("customer_id")
    ids_c = c["customer_id"].cast(pa.large_string())
    ids_lt = lt["customer_id"].cast(pa.large_string())
    if c.num_rows != lt.num_rows or not ids_c.equals(ids_lt):
        raise AssertionError(f"customer sets differ: cvm {c.num_rows:,}, lifetimes {lt.num_rows:,}")

    def col(table, name):
        return table[name].to_numpy().astype(float)

    tenure = col(c, "tenure_days")
    pairs = {
        "frequency": (col(lt, "frequency"), col(c, "frequency")),
        "recency": (col(lt, "recency"), tenure - col(c, "recency_days")),
        "T": (col(lt, "T"), tenure),
    }
    report = {"customers": c.num_rows}
    for name, (a, b) in pairs.items():
        bad = int(np.count_nonzero(a != b))
        report[f"{name}_mismatches"] = bad
        if bad:
            raise AssertionError(f"{name}: {bad:,} customers differ between lifetimes and cvm")
    a, b = col(lt, "monetary_value"), col(c, "repeat_monetary_avg")
    scale = np.maximum(np.abs(a), np.abs(b))
    rel = np.divide(np.abs(a - b), scale, out=np.zeros_like(scale), where=scale > 0)
    report["monetary_max_rel_diff"] = float(rel.max()) if rel.size else 0.0
    bad = int(np.count_nonzero(rel > 1e-9))
    report["monetary_mismatches"] = bad
    if bad:
        raise AssertionError(f"monetary value: {bad:,} customers differ by more than 1e-9 relative")
    return report


def _gb(n: float) -> str:
    return f"{n / 1024**3:.2f} GB"


def _sec(rec: dict) -> str:
    if rec.get("timed_out"):
        return f"> {rec['timeout']:.0f} s (capped)"
    return f"{rec['seconds']:.2f} s"


def _cpu(rec: dict) -> str:
    return "—" if rec.get("timed_out") or "cpu_seconds" not in rec else f"{rec['cpu_seconds']:.1f} s"


def _machine() -> str:
    import duckdb
    import ibis
    import numpy
    import pandas

    try:
        import lifetimes
        lt = lifetimes.__version__
    except Exception:  # pragma: no cover
        lt = "missing"
    from cvm.engine import duckdb_threads

    return (f"{os.cpu_count()} cores, DuckDB threads {duckdb_threads()}, "
            f"Python {sys.version.split()[0]}, DuckDB {duckdb.__version__}, "
            f"Ibis {ibis.__version__}, pandas {pandas.__version__}, NumPy {numpy.__version__}, "
            f"lifetimes {lt}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="add 3M customers (about 12M rows)")
    parser.add_argument("--sizes", type=int, nargs="+", help="customer counts (default 100k 1M)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each step per process; the fastest is reported")
    parser.add_argument("--lifetimes-repeat", type=int, default=1)
    parser.add_argument("--lifetimes-timeout", type=float, default=600.0,
                        help="seconds after which the lifetimes step is stopped and reported as capped")
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--as-of", help=argparse.SUPPRESS)
    parser.add_argument("--record", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--dataset", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--compare", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--describe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step:
        _run_step_here(args)
        return 0
    if args.dataset or args.compare or args.describe:
        _run_helper_here(args)
        return 0

    sizes = list(args.sizes or DEFAULT_SIZES)
    if args.large and LARGE_SIZE not in sizes:
        sizes.append(LARGE_SIZE)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    work = RESULTS_DIR / "work"
    work.mkdir(exist_ok=True)
    machine = _helper(["--describe"])["machine"]
    print(machine, flush=True)

    rows_out = []
    for n in sizes:
        meta = _helper(["--dataset", str(n), "--seed", str(args.seed)])
        data = Path(meta["path"])
        as_of = meta["as_of"]
        print(f"\n{n:,} customers: {meta['rows']:,} rows in {data.name} "
              f"({data.stat().st_size / 1e6:.0f} MB, as of {as_of})", flush=True)
        cvm_out, lt_out = work / f"cvm_{n}.parquet", work / f"lifetimes_{n}.parquet"
        rec = {}
        for step, repeat, timeout, out in (
            ("duckdb", args.repeat, None, None),
            ("duckdb-summary", args.repeat, None, None),
            ("cvm", args.repeat, None, cvm_out),
            ("lifetimes", args.lifetimes_repeat, args.lifetimes_timeout, lt_out),
        ):
            rec[step] = run_step(step, data, as_of, repeat=repeat, work=work, timeout=timeout,
                                 out=out)
            extra = ""
            if "arrow_seconds" in rec[step]:
                times_a = ", ".join(f"{t:.2f}" for t in rec[step]["arrow_times"])
                times_d = ", ".join(f"{t:.2f}" for t in rec[step]["default_times"])
                extra = (f"; fetched to Arrow {rec[step]['arrow_seconds']:.2f} s [{times_a}]; "
                         f"with DuckDB's default threads {rec[step]['default_seconds']:.2f} s "
                         f"[{times_d}]")
            if "load_seconds" in rec[step]:
                extra = f" (+ {rec[step]['load_seconds']:.2f} s to load into pandas, not counted)"
            times = ", ".join(f"{t:.2f}" for t in rec[step].get("times", []))
            print(f"  {step:<15} {_sec(rec[step]):>12}  runs [{times}]  "
                  f"CPU {rec[step].get('cpu_seconds', float('nan')):.2f} s  peak RSS "
                  f"{_gb(rec[step]['peak_rss'])} (idle {_gb(rec[step].get('idle_rss', 0))}), "
                  f"load average {rec[step].get('load_average_before', float('nan')):.1f}{extra}",
                  flush=True)
        check = None
        if not rec["lifetimes"].get("timed_out"):
            check = _helper(["--compare", str(cvm_out), str(lt_out)])
            print(f"  check: {check['customers']:,} customers identical (frequency, recency, T; "
                  f"monetary max relative difference {check['monetary_max_rel_diff']:.1e})",
                  flush=True)
        rows_out.append({"customers": n, "rows": meta["rows"], "as_of": as_of, "steps": rec,
                         "check": check})

    print("\n" + table(rows_out))
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    result_path = RESULTS_DIR / f"features-{stamp}.json"
    result_path.write_text(json.dumps({"machine": machine, "command": " ".join(sys.argv),
                                       "sizes": rows_out}, indent=2))
    print(f"\nrecord: {result_path}")
    return 0


def table(rows: list[dict]) -> str:
    """The figures as a Markdown table, with the ratios and whether the targets are met."""
    head = ("| customers | transactions | DuckDB group-by | group-by, default threads "
            "| group-by to Arrow | DuckDB summary SQL "
            "| cvm feature stage | lifetimes summary | lifetimes / cvm | cvm / DuckDB group-by "
            "| cvm CPU | lifetimes CPU | cvm peak RSS | lifetimes peak RSS | identical |")
    lines = [head, "|" + "---:|" * 14 + ":---:|"]
    for r in rows:
        s = r["steps"]
        cvm_s, duck_s = s["cvm"]["seconds"], s["duckdb"]["seconds"]
        lt = s["lifetimes"]
        if lt.get("timed_out"):
            lt_ratio = f"> {lt['timeout'] / cvm_s:.1f}×"
        else:
            lt_ratio = f"{lt['seconds'] / cvm_s:.1f}×"
        lines.append(
            f"| {r['customers']:,} | {r['rows']:,} | {_sec(s['duckdb'])} "
            f"| {s['duckdb']['default_seconds']:.2f} s "
            f"| {s['duckdb']['arrow_seconds']:.2f} s | {_sec(s['duckdb-summary'])} "
            f"| {_sec(s['cvm'])} | {_sec(lt)} | {lt_ratio} | {cvm_s / duck_s:.1f}× "
            f"| {_cpu(s['cvm'])} | {_cpu(lt)} "
            f"| {_gb(s['cvm']['peak_rss'])} | {_gb(lt['peak_rss'])} "
            f"| {'yes' if r['check'] else 'not checked'} |")
    big = max(rows, key=lambda r: r["rows"])
    s = big["steps"]
    cvm_s = s["cvm"]["seconds"]
    lt_s = s["lifetimes"].get("seconds", s["lifetimes"].get("timeout"))
    ratio_lt, ratio_duck = lt_s / cvm_s, cvm_s / s["duckdb"]["seconds"]
    ratio_default = cvm_s / s["duckdb"]["default_seconds"]
    peak = s["cvm"]["peak_rss"]

    def verdict(ok):
        return "met" if ok else "NOT met"

    lines += [
        "",
        f"Targets at the largest size ({big['rows']:,} transactions):",
        f"- lifetimes / cvm ≥ {TARGET_LIFETIMES_RATIO:.0f}×: {ratio_lt:.1f}× — "
        f"{verdict(ratio_lt >= TARGET_LIFETIMES_RATIO)}",
        f"- cvm / plain DuckDB group-by ≤ {TARGET_DUCKDB_RATIO:.0f}×, the group-by with cvm's "
        f"thread count: {ratio_duck:.1f}× — {verdict(ratio_duck <= TARGET_DUCKDB_RATIO)}",
        f"  (against the group-by at DuckDB's default threads: {ratio_default:.1f}× — "
        f"{verdict(ratio_default <= TARGET_DUCKDB_RATIO)})",
        f"- cvm peak memory < {_gb(TARGET_PEAK_BYTES)}: {_gb(peak)} — {verdict(peak < TARGET_PEAK_BYTES)}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
