"""One comparison of two runs' customer tables, for the tests that hold the Spark engine to the
DuckDB run's results."""

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
