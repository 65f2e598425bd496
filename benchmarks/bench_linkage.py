"""Customer linkage against known truth: accuracy, time and peak memory.

    python benchmarks/bench_linkage.py            # 100 000 records
    python benchmarks/bench_linkage.py --large    # also 1 000 000 records
    python benchmarks/bench_linkage.py --records 20000 --engine spark

Records come from ``linkage_data.generate`` (three source systems, Chinese and Latin names,
typos, transposed digits, missing fields, shared household phones, common names; the module
says exactly how), written as one CSV file per source. The timed part runs in a child process
and is what a user runs: ``cvm.identity.link`` loads the three files into a new workspace,
normalises, trains the Splink model, scores, clusters, builds golden records and stores
everything. Peak memory is the child's maximum resident set size.
Wall time depends on what else the machine runs; ``child_cpu_seconds`` (user + system time of
the child, all its threads, including loading the files) depends on it much less.

Accuracy is measured on the cross-reference the linkage stored, against the generator's
person ids:

- pairwise precision, recall and F1: over all pairs of records, "same customer" against "same
  person";
- cluster figures: customers found against people; the share of people whose records form
  exactly one customer with nothing else in it; the share of customers that hold one person
  only.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))


def _child(folder: Path, engine: str, memory_limit: str | None) -> None:
    from cvm.identity import LinkOptions, link
    from cvm.workspace import Workspace

    files = sorted(folder.glob("*.csv"))
    started = time.perf_counter()
    with Workspace(folder / "ws.duckdb") as ws:
        result = link(ws, files, options=LinkOptions(engine=engine, memory_limit=memory_limit))
        seconds = time.perf_counter() - started
        ws.con.execute(f"COPY (SELECT source, source_customer_id, customer_id FROM xref) "
                       f"TO '{folder / 'xref.parquet'}' (FORMAT parquet)")
    (folder / "result.json").write_text(json.dumps(
        {"seconds": seconds, "stages": result.seconds, "customers": result.customers,
         "records": result.records, "pairs_scored": result.pairs_scored,
         "review_pairs": result.review_pairs}))


def _pairs(counts: Counter) -> int:
    return sum(n * (n - 1) // 2 for n in counts.values())


def evaluate(truth: dict, predicted: dict) -> dict:
    keys = list(truth)
    tp = _pairs(Counter((predicted[k], truth[k]) for k in keys))
    pred_pairs = _pairs(Counter(predicted[k] for k in keys))
    true_pairs = _pairs(Counter(truth[k] for k in keys))
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    people: dict = {}
    customers: dict = {}
    for k in keys:
        people.setdefault(truth[k], set()).add(predicted[k])
        customers.setdefault(predicted[k], set()).add(truth[k])
    exact = sum(1 for p, cs in people.items() if len(cs) == 1
                and customers[next(iter(cs))] == {p})
    pure = sum(1 for ps in customers.values() if len(ps) == 1)
    return {"pairwise_precision": precision, "pairwise_recall": recall, "pairwise_f1": f1,
            "true_pairs": true_pairs, "predicted_pairs": pred_pairs,
            "people": len(people), "customers": len(customers),
            "people_exactly_found": exact / len(people), "pure_customers": pure / len(customers)}


def run(n: int, engine: str, random_state: int, memory_limit: str | None) -> dict:
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from linkage_data import SOURCES, generate

    t0 = time.perf_counter()
    table = generate(n, random_state=random_state)
    generated = time.perf_counter() - t0
    truth = {(s, i): p for s, i, p in zip(table["source"].to_pylist(),
                                          table["customer_id"].to_pylist(),
                                          table["person_id"].to_pylist())}
    with tempfile.TemporaryDirectory(prefix="cvm-bench-link-") as tmp:
        folder = Path(tmp)
        for source in SOURCES:
            part = table.filter(pc.equal(table["source"], source)).drop(["source", "person_id"])
            pacsv.write_csv(part, folder / f"{source}.csv")
        del table
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        before, cpu_before = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
        started = time.perf_counter()
        args = [sys.executable, __file__, "--child", str(folder), "--engine", engine]
        if memory_limit:
            args += ["--memory-limit", memory_limit]
        subprocess.run(args, check=True)
        wall = time.perf_counter() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_kb, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime - cpu_before
        result = json.loads((folder / "result.json").read_text())
        xref = pq.read_table(folder / "xref.parquet")
        predicted = {(s, i): c for s, i, c in zip(xref["source"].to_pylist(),
                                                  xref["source_customer_id"].to_pylist(),
                                                  xref["customer_id"].to_pylist())}
    figures = evaluate(truth, predicted)
    return {"records": n, "engine": engine, "generate_seconds": round(generated, 1),
            "link_seconds": round(result["seconds"], 1), "wall_seconds": round(wall, 1),
            "child_cpu_seconds": round(cpu, 1),
            "stages": {k: round(v, 1) for k, v in result["stages"].items()},
            "peak_memory_gb": round(max(peak_kb, before) / 1024 / 1024, 2),
            "pairs_scored": result["pairs_scored"], "review_pairs": result["review_pairs"],
            **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in figures.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--large", action="store_true", help="also 1 000 000 records")
    parser.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb")
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--memory-limit", help="DuckDB memory limit for Splink, e.g. 6GB")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.engine, args.memory_limit)
        return
    sizes = [args.records] + ([1_000_000] if args.large else [])
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    for n in sizes:
        figures = run(n, args.engine, args.random_state, args.memory_limit)
        print(json.dumps(figures, indent=2))
        (out / f"linkage-{n}-{args.engine}.json").write_text(json.dumps(figures, indent=2))
        print(f"\n{n:,} records on {args.engine}: F1 {figures['pairwise_f1']:.3f} "
              f"(precision {figures['pairwise_precision']:.3f}, recall "
              f"{figures['pairwise_recall']:.3f}); {figures['people_exactly_found']:.1%} of "
              f"people found exactly; linked in {figures['link_seconds']:.0f} s, peak "
              f"{figures['peak_memory_gb']:.1f} GB\n")


if __name__ == "__main__":
    main()
