"""Finding a page of a filtered, sorted customer list fast on millions of customers.

A complete run's customer table never changes, so its filter columns (segment, ABC class,
lifecycle stage, matrix cell, value quadrant) are held as small integer codes and its numeric
sort columns as arrays, each with its sort order computed once (stable, so ties keep table
order). A page is then a mask, a gather and a slice in NumPy, and only its 50 rows are read from
DuckDB, by row id. Ties are broken by row id everywhere (here and in the SQL of deep pages and
exports), so every way of reading a list gives the same order.
"""

from __future__ import annotations

import threading

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["CustomerIndex", "FILTER_COLUMNS"]

#: Filter name → column, for the equality filters held as codes.
FILTER_COLUMNS = {"segment": "rfm_segment", "cell": "matrix_cell", "stage": "lifecycle_stage",
                  "abc": "abc_class", "quadrant": "value_quadrant"}
_SORTABLE = ("value_rank", "monetary_total", "recency_days", "frequency", "r_score", "f_score",
             "m_score", "probability_alive", "clv", "potential_value", "last_purchase",
             "first_purchase", "n_transactions", "tenure_days", "monetary_avg")


class CustomerIndex:
    """Codes, sort orders and a cache of filtered orders for one run's customer table."""

    def __init__(self, cursor, table: str, columns: dict[str, str]):
        self._cursor = cursor
        self.table = table
        self.columns = columns
        self._lock = threading.Lock()
        self._codes: dict[str, tuple[np.ndarray, dict[str, int]]] = {}
        self._values: dict[str, np.ndarray] = {}
        self._orders: dict[tuple[str, bool], np.ndarray] = {}
        self.size = int(cursor.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])

    def warm(self, sorts=("value_rank", "monetary_total", "recency_days", "frequency")) -> None:
        """Load the filter codes and the common sort orders now, so that first requests do not
        wait for them (a few seconds on millions of customers)."""
        for column in FILTER_COLUMNS.values():
            if column in self.columns:
                self._code(column)
        for column in sorts:
            if column in self.columns:
                self._order(column, False)
                self._order(column, True)

    def can_answer(self, query) -> bool:
        """Whether the page can be found here (numeric sort, no text search)."""
        return (query.sort in _SORTABLE and query.sort in self.columns and not query.search
                and all(FILTER_COLUMNS[k] in self.columns for k in query.equals)
                and (query.clv_min is None and query.clv_max is None or "clv" in self.columns))

    def _column(self, name: str) -> pa.ChunkedArray:
        return self._cursor.execute(f'SELECT "{name}" FROM {self.table} ORDER BY rowid'
                                    ).to_arrow_table().column(0)

    def _code(self, column: str) -> tuple[np.ndarray, dict[str, int]]:
        with self._lock:
            if column not in self._codes:
                encoded = pc.dictionary_encode(self._column(column)).combine_chunks()
                codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
                keys = {v: i for i, v in enumerate(encoded.dictionary.to_pylist())}
                self._codes[column] = (codes.astype(np.int16 if len(keys) < 32_000
                                                    else np.int32), keys)
            return self._codes[column]

    def _numbers(self, column: str) -> np.ndarray:
        with self._lock:
            if column not in self._values:
                values = self._column(column)
                if pa.types.is_temporal(values.type):
                    values = pc.cast(pc.cast(values, pa.date32()), pa.int32())
                self._values[column] = pc.cast(values, pa.float64()).to_numpy(
                    zero_copy_only=False).astype(np.float64)
            return self._values[column]

    def _order(self, column: str, descending: bool) -> np.ndarray:
        """Row ids sorted by the column, nulls last, ties in table order (a stable sort of the
        values, or of their negation for descending: NaN stays last either way)."""
        values = self._numbers(column)
        key = (column, descending)
        with self._lock:
            if key not in self._orders:
                self._orders[key] = np.argsort(-values if descending else values,
                                               kind="stable").astype(np.int32)
            return self._orders[key]

    def row_ids(self, query, limit: int) -> tuple[np.ndarray, int]:
        """The row ids of the first ``limit`` customers matching the filters, in order, and how
        many match in all."""
        mask = None

        def both(m):
            return m if mask is None else (mask & m)

        for key, value in query.equals.items():
            codes, keys = self._code(FILTER_COLUMNS[key])
            mask = both(codes == keys.get(value, -2))
        if query.clv_min is not None:
            mask = both(self._numbers("clv") >= query.clv_min)
        if query.clv_max is not None:
            mask = both(self._numbers("clv") <= query.clv_max)
        order = self._order(query.sort, query.descending)
        if mask is None:
            return order[:limit], int(len(order))
        # walk the sort order in growing chunks until `limit` matches are found: a common
        # filter needs only the first slice of the order, not a pass over every customer
        found, start, step = [], 0, 1 << 16
        needed = limit
        while needed > 0 and start < len(order):
            chunk = order[start:start + step]
            hits = chunk[mask[chunk]]
            found.append(hits[:needed])
            needed -= len(found[-1])
            start += step
            step *= 2
        picked = np.concatenate(found) if found else order[:0]
        return picked, int(np.count_nonzero(mask))
