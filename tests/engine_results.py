"""One comparison of two runs' customer tables, for the tests that hold the Spark engine to the
DuckDB run's results, and the purchase log they run on."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def assert_same_customers(a: pa.Table, b: pa.Table) -> None:
    """The same columns and customers in the same order; floating columns equal to 1e-9
    relative, every other column exactly."""
    assert a.column_names == b.column_names and a.num_rows == b.num_rows
    assert a.column("customer_id").to_pylist() == b.column("customer_id").to_pylist()
    for name in a.column_names:
        x, y = a.column(name), b.column(name)
        if pa.types.is_floating(x.type):
            np.testing.assert_allclose(y.to_numpy(zero_copy_only=False),
                                       x.to_numpy(zero_copy_only=False), rtol=1e-9, atol=1e-12,
                                       err_msg=name)
        else:
            assert x.to_pylist() == y.to_pylist(), name


def purchase_log(n_customers: int, seed: int = 17) -> pa.Table:
    """A two-year purchase log: each customer buys at a rate of their own (gamma-distributed)
    until they drop out, with lognormal spend."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2023-01-01")
    rate = rng.gamma(0.8, 1 / 25, n_customers)  # purchases per day
    first = rng.integers(0, 600, n_customers)
    life = rng.exponential(400, n_customers)
    ids, days, amounts = [], [], []
    for c in range(n_customers):
        n = 1 + rng.poisson(rate[c] * min(life[c], 730 - first[c]))
        offsets = first[c] + np.sort(rng.integers(0, max(1, int(min(life[c], 730 - first[c]))), n))
        offsets[0] = first[c]
        ids += [f"C{c:07d}"] * n
        days.append(offsets)
        amounts.append(np.round(rng.lognormal(3.5, 0.6, n) * (0.7 + 0.6 * (c % 7) / 6), 2))
    dates = start + np.concatenate(days).astype("timedelta64[D]")
    return pa.table({"customer_id": ids, "date": pa.array(dates.astype("datetime64[D]")),
                     "amount": np.concatenate(amounts)})
