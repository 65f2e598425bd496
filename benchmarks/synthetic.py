"""Synthetic transaction logs for the benchmarks: a BG/NBD-like purchase process.

Each customer

- is acquired (makes a first purchase) at a uniform time in the first ``acquisition_share`` of
  the observation period;
- while alive, makes repeat purchases as a Poisson process with rate ``λ ~ Gamma(r, α)``
  (per day);
- drops out after each purchase with probability ``p ~ Beta(a, b)``;
- spends, per purchase, ``Gamma(shape=q_shape, rate=ν)`` with ``ν ~ Gamma(q_pop, rate=γ)``
  (the gamma-gamma spend model), rounded to cents.

Sampling is vectorised and exact for this process. The number of purchases a customer makes
before dropping out is geometric, ``K ~ Geometric(p)`` (the first purchase included); the
number of Poisson events in the customer's remaining observation time ``L`` is
``M ~ Poisson(λ·L)``; the customer makes ``n = min(K − 1, M)`` observed repeat purchases, at the
first ``n`` order statistics of ``M`` uniform points on ``(0, L)``. Those order statistics are
drawn without drawing all ``M`` points: with exponential spacings ``E₁…Eₙ`` and
``G ~ Gamma(M + 1 − n)`` for the rest, the ``j``-th point is ``L · (E₁ + … + E_j) / (ΣE + G)``.
So the work is proportional to the number of rows produced.

A few purchases are baskets of several lines: with probability ``extra_line_prob`` a purchase
gets one more line a few minutes later (so some customer-days hold several rows, and a line can
cross midnight into the next day, as real logs do).

Rows are written in time order, as a till would log them, to Parquet with columns
``customer_id`` (string), ``purchase_time`` (timestamp), ``purchase_date`` (date),
``amount`` (double), ``margin`` and ``cost`` (double, all null).

Run ``python benchmarks/synthetic.py 1000000`` to build (or reuse) one file and print its size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

__all__ = ["ProcessParams", "generate", "ensure_dataset", "DATA_DIR"]

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class ProcessParams:
    """Parameters of the purchase and spend process (rates per day)."""

    start: dt.date = dt.date(2023, 1, 1)
    days: int = 730
    acquisition_share: float = 0.75
    r: float = 0.49
    alpha: float = 40.0
    a: float = 0.6
    b: float = 3.0
    q_shape: float = 6.0
    q_pop: float = 4.0
    gamma: float = 15.0
    extra_line_prob: float = 0.08

    @property
    def end(self) -> dt.date:
        """The last day of the observation period (the natural as-of date)."""
        return self.start + dt.timedelta(days=self.days - 1)


def generate(n_customers: int, *, random_state: int, params: ProcessParams | None = None) -> pa.Table:
    """A transaction log for ``n_customers`` customers, every one with at least one purchase."""
    p = params or ProcessParams()
    rng = np.random.default_rng(random_state)
    n = int(n_customers)
    horizon = float(p.days)  # observation runs over [0, days) in days from p.start

    birth = rng.uniform(0.0, p.acquisition_share * horizon, n)
    lam = rng.gamma(p.r, 1.0 / p.alpha, n)
    drop = rng.beta(p.a, p.b, n)
    nu = rng.gamma(p.q_pop, 1.0 / p.gamma, n)

    remaining = horizon - birth
    purchases_before_dropout = rng.geometric(drop)  # K ≥ 1, the first purchase included
    events_in_window = rng.poisson(lam * remaining)  # M
    repeats = np.minimum(purchases_before_dropout - 1, events_in_window).astype(np.int64)

    total_repeats = int(repeats.sum())
    owner = np.repeat(np.arange(n, dtype=np.int64), repeats)
    spacing = rng.exponential(1.0, total_repeats)
    csum = np.cumsum(spacing)
    starts = np.cumsum(repeats) - repeats  # index of each customer's first repeat
    has = repeats > 0
    # cumulative spacing within each customer: subtract the running total before its block
    before = np.zeros(n)
    before[has] = np.where(starts[has] > 0, csum[starts[has] - 1], 0.0)
    within = csum - before[owner]
    block_total = np.zeros(n)
    block_total[has] = csum[starts[has] + repeats[has] - 1] - before[has]
    rest = np.zeros(n)
    shape_rest = (events_in_window + 1 - repeats).astype(float)
    rest[has] = rng.gamma(shape_rest[has], 1.0)
    repeat_time = birth[owner] + remaining[owner] * within / (block_total + rest)[owner]

    cust = np.concatenate([np.arange(n, dtype=np.int64), owner])
    t = np.concatenate([birth, repeat_time])

    extra = rng.random(t.size) < p.extra_line_prob
    cust = np.concatenate([cust, cust[extra]])
    t = np.concatenate([t, t[extra] + rng.uniform(1.0, 30.0, int(extra.sum())) / 1440.0])
    keep = t < horizon
    cust, t = cust[keep], t[keep]

    amount = np.maximum(np.round(rng.standard_gamma(p.q_shape, cust.size) / nu[cust], 2), 0.01)

    # Time order to the minute by two stable radix passes (minute of day, then day): several
    # times faster than a comparison sort of 12M floats.
    seconds = np.floor(t * 86400.0).astype(np.int64)
    minute_of_day = ((seconds % 86400) // 60).astype(np.int16)
    order = np.argsort(minute_of_day, kind="stable")
    order = order[np.argsort((seconds[order] // 86400).astype(np.int16), kind="stable")]
    cust, amount, seconds = cust[order], amount[order], seconds[order]

    epoch = np.datetime64(p.start, "s").astype(np.int64)
    ts = pa.array(seconds + epoch, type=pa.timestamp("s"))
    day = pa.array((seconds // 86400 + np.datetime64(p.start, "D").astype(np.int64)).astype(np.int32),
                   type=pa.date32())
    width = len(str(n))
    digits = pc.utf8_lpad(pa.array(np.arange(n)).cast(pa.string()), width=width, padding="0")
    ids = pc.binary_join_element_wise("C", digits, "")
    customer_id = ids.take(pa.array(cust))
    nulls = pa.nulls(len(amount), type=pa.float64())
    return pa.table({
        "customer_id": customer_id,
        "purchase_time": ts,
        "purchase_date": day,
        "amount": pa.array(amount, type=pa.float64()),
        "margin": nulls,
        "cost": nulls,
    })


def ensure_dataset(n_customers: int, *, random_state: int = 20240501,
                   params: ProcessParams | None = None, data_dir: Path = DATA_DIR) -> tuple[Path, dict]:
    """The Parquet file for this size and seed, generated once and reused; and its description."""
    p = params or ProcessParams()
    data_dir.mkdir(parents=True, exist_ok=True)
    stem = f"transactions_{n_customers}_seed{random_state}"
    path = data_dir / f"{stem}.parquet"
    meta_path = data_dir / f"{stem}.json"
    wanted = {"n_customers": n_customers, "random_state": random_state,
              "params": {k: str(v) for k, v in asdict(p).items()}}
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if {k: meta.get(k) for k in wanted} == wanted:
            return path, meta
    started = time.perf_counter()
    table = generate(n_customers, random_state=random_state, params=p)
    generated = time.perf_counter() - started
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp, row_group_size=1 << 20)
    tmp.replace(path)
    meta = dict(wanted, rows=table.num_rows, as_of=p.end.isoformat(),
                generate_seconds=round(generated, 2),
                write_seconds=round(time.perf_counter() - started - generated, 2))
    meta_path.write_text(json.dumps(meta, indent=2))
    return path, meta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("customers", type=int, nargs="+")
    parser.add_argument("--seed", type=int, default=20240501)
    args = parser.parse_args()
    for n in args.customers:
        path, meta = ensure_dataset(n, random_state=args.seed)
        print(f"{path}: {meta['rows']:,} rows, {n:,} customers, as of {meta['as_of']} "
              f"(generated in {meta['generate_seconds']} s)")


if __name__ == "__main__":
    main()
