"""Association-rule mining speed on 10,000 baskets.

Two sets of 10,000 baskets: Groceries (``tests/data/groceries.csv.gz``, 9,835 baskets of 169
categories) drawn with replacement up to 10,000, mined at support 0.001 and confidence 0.5 (the
published 5,668-rule setting: about 13,000 frequent itemsets); and a synthetic shop of 500
products whose popularity follows a Zipf law, 1–12 items a basket with a few bought-together
pairs, at support 0.002 and confidence 0.3. Each is timed three times (reading the baskets is
not timed); the best and the median wall-clock seconds are printed, with mlxtend's FP-growth
and rules on the same baskets when mlxtend is installed.

Usage::

    python benchmarks/bench_baskets.py
"""

from __future__ import annotations

import gzip
import os
import statistics
import time
from pathlib import Path

import numpy as np

from cvm.baskets.rules import association_rules

ROOT = Path(__file__).resolve().parents[1]


def groceries(n: int, rng) -> list[list[str]]:
    lines = gzip.decompress((ROOT / "tests/data/groceries.csv.gz").read_bytes()).decode()
    baskets = [[x.strip() for x in line.split(",") if x.strip()] for line in lines.splitlines()]
    return [baskets[i] for i in rng.integers(0, len(baskets), n)]


def synthetic(n: int, rng) -> list[list[str]]:
    products = np.array([f"P{i:03d}" for i in range(500)])
    weight = 1.0 / np.arange(1, 501) ** 1.1
    weight /= weight.sum()
    pairs = {i: (i + 7) % 500 for i in range(0, 60, 3)}
    out = []
    for _ in range(n):
        k = int(rng.integers(1, 13))
        chosen = set(rng.choice(500, size=k, replace=False, p=weight).tolist())
        chosen |= {pairs[i] for i in chosen if i in pairs and rng.random() < 0.6}
        out.append(products[sorted(chosen)].tolist())
    return out


def timed(baskets, support, confidence):
    seconds, rules = [], 0
    for _ in range(3):
        start = time.perf_counter()
        rules = association_rules(baskets, support, confidence).num_rows
        seconds.append(time.perf_counter() - start)
    return min(seconds), statistics.median(seconds), rules


def mlxtend_seconds(baskets, support, confidence):
    try:
        import pandas as pd
        from mlxtend.frequent_patterns import association_rules as mlx_rules, fpgrowth
        from mlxtend.preprocessing import TransactionEncoder
    except ImportError:
        return None
    enc = TransactionEncoder()
    onehot = pd.DataFrame(enc.fit(baskets).transform(baskets), columns=enc.columns_)
    start = time.perf_counter()
    itemsets = fpgrowth(onehot, min_support=support, use_colnames=True)
    mlx_rules(itemsets, metric="confidence", min_threshold=confidence)
    return time.perf_counter() - start


def main() -> None:
    rng = np.random.default_rng(7)
    print(f"load average {os.getloadavg()[0]:.1f}")
    for name, baskets, support, confidence in (
            ("Groceries resampled", groceries(10_000, rng), 0.001, 0.5),
            ("synthetic Zipf shop", synthetic(10_000, rng), 0.002, 0.3)):
        best, median, rules = timed(baskets, support, confidence)
        ref = mlxtend_seconds(baskets, support, confidence)
        print(f"{name}: {len(baskets):,} baskets, support {support}, confidence {confidence}: "
              f"{rules:,} rules in {best:.2f} s (median {median:.2f} s)"
              + (f"; mlxtend fpgrowth + rules {ref:.2f} s" if ref is not None else ""))


if __name__ == "__main__":
    main()
