"""Load benchmark of the REST API: wrk on loopback against `cvm serve` on a synthetic workspace.

Measures p50 / p95 / p99 latency and throughput of the overview, matrix and customer-list
endpoints with 20 concurrent connections (targets: p95 under 100 ms for the aggregates, under
200 ms for a filtered, sorted customer page). The customer-list run cycles through filters
(segment, ABC class), sort columns, both orders and pages, so it measures queries, not a cache.

    python benchmarks/bench_api.py            # 200,000 customers
    python benchmarks/bench_api.py --large    # 3,000,000 customers

The workspace is built once (synthetic BG/NBD purchase logs, see synthetic.py) and reused from
benchmarks/data/. Needs `wrk` (Debian: apt-get install wrk). Traffic goes to 127.0.0.1 only;
each wrk run is bounded by --duration.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from synthetic import DATA_DIR, ensure_dataset  # noqa: E402

_LUA = r"""
local paths = {%(paths)s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1], {["Authorization"] = "Bearer %(token)s"})
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT {\"requests\": %%d, \"seconds\": %%.3f, \"errors\": %%d, " ..
    "\"non2xx\": %%d, \"p50_ms\": %%.2f, \"p95_ms\": %%.2f, \"p99_ms\": %%.2f, \"max_ms\": %%.2f}\n",
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3))
end
"""


def build_workspace(n_customers: int) -> Path:
    """The benchmark workspace for this size, built once (load + full analysis)."""
    import cvm
    from cvm.workspace import Workspace

    path = DATA_DIR / f"api_{n_customers}.duckdb"
    done = path.with_suffix(".done")
    if path.exists() and done.exists():
        return path
    path.unlink(missing_ok=True)
    source, meta = ensure_dataset(n_customers)
    started = time.perf_counter()
    with Workspace(path) as ws:
        cvm.load_transactions(ws, source)
        loaded = time.perf_counter()
        result = cvm.analyse(ws)
    done.write_text(json.dumps({"rows": meta["rows"], "customers": result.customers.num_rows,
                                "load_seconds": round(loaded - started, 1),
                                "analyse_seconds": round(time.perf_counter() - loaded, 1)}))
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _customer_paths(segments: list[str]) -> list[str]:
    paths = []
    sorts = ["monetary_total", "recency_days", "frequency", "value_rank"]
    for i, segment in enumerate(segments):
        for j, sort in enumerate(sorts):
            for abc in ("", "&abc=A", "&abc=B"):
                order = "desc" if (i + j) % 2 else "asc"
                page = 1 + (i * 7 + j * 3) % 20
                paths.append(f"/api/v1/customers?segment={segment}{abc}&sort={sort}&order={order}"
                             f"&page={page}&page_size=50")
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="3,000,000 customers")
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--duration", type=int, default=15, help="seconds per endpoint")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    n = args.customers or (3_000_000 if args.large else 200_000)
    started = time.perf_counter()
    workspace = build_workspace(n)
    print(f"workspace {workspace} ready in {time.perf_counter() - started:.0f} s", flush=True)

    from cvm.api.tokens import create_token
    from cvm.workspace import Workspace

    with Workspace(workspace) as ws:
        token = create_token(ws, "analyst", name="benchmark")
        segments = [r[0] for r in ws.query(
            f"SELECT rfm_segment FROM run_{ws.latest_run()}_customers WHERE rfm_segment IS NOT "
            "NULL GROUP BY 1 ORDER BY count(*) DESC")]
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "cvm", "serve", "--workspace", str(workspace),
                               "--port", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    results = []
    try:
        import httpx

        for _ in range(300):
            try:
                if httpx.get(base + "/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        headers = {"Authorization": f"Bearer {token}"}
        for path in ("/api/v1/overview", "/api/v1/matrix"):  # first call computes, then cached
            httpx.get(base + path, headers=headers, timeout=300).raise_for_status()
        # the server builds the run's list index (filter codes, sort orders) at start: wait
        # for it, as a user arriving a little later would, and time it
        warm_started = time.perf_counter()
        httpx.get(base + "/api/v1/customers?sort=frequency&order=desc", headers=headers,
                  timeout=600).raise_for_status()
        print(f"list index ready {time.perf_counter() - warm_started:.1f} s after the first "
              "request", flush=True)
        cases = [("overview", ["/api/v1/overview"], 100),
                 ("matrix", ["/api/v1/matrix"], 100),
                 ("customers (filtered, sorted, paged)", _customer_paths(segments), 200)]
        with tempfile.TemporaryDirectory() as tmp:
            for name, paths, target in cases:
                script = Path(tmp) / "bench.lua"
                script.write_text(_LUA % {"paths": ", ".join(json.dumps(p) for p in paths),
                                          "token": token})
                out = subprocess.run([wrk, "-t", str(args.threads), "-c", str(args.connections),
                                      "-d", f"{args.duration}s", "--timeout", "10s", "-s",
                                      str(script), base], capture_output=True, text=True,
                                     timeout=args.duration + 60)
                line = next(ln for ln in out.stdout.splitlines() if ln.startswith("RESULT "))
                r = json.loads(line[len("RESULT "):])
                r.update(endpoint=name, distinct_urls=len(paths), target_p95_ms=target,
                         load_average=round(os.getloadavg()[0], 2),
                         requests_per_second=round(r["requests"] / r["seconds"], 1))
                results.append(r)
                print(f"{name:38s} p50 {r['p50_ms']:7.1f} ms  p95 {r['p95_ms']:7.1f} ms  "
                      f"p99 {r['p99_ms']:7.1f} ms  {r['requests_per_second']:7.1f} req/s  "
                      f"errors {r['errors'] + r['non2xx']}  (target p95 < {target} ms: "
                      f"{'met' if r['p95_ms'] < target else 'NOT met'}; load average {r['load_average']})",
                      flush=True)
    finally:
        server.terminate()
        server.wait(30)
    report = {"customers": n, "load_average_after": [round(x, 2) for x in os.getloadavg()], "connections": args.connections, "threads": args.threads,
              "duration_s": args.duration, "cpus": os.cpu_count(),
              "workspace": json.loads(workspace.with_suffix(".done").read_text()),
              "results": results}
    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / f"api_{n}.json").write_text(json.dumps(report, indent=2))
    print(f"written to {out_dir / f'api_{n}.json'}")


if __name__ == "__main__":
    main()
