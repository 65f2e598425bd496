"""The per-customer table as the report reads it: a column at a time.

A report section reads a few columns of the run's customer table (a score, a value, a stage)
and reduces each to figures: a histogram, a mean, counts per stage. Read whole, the table the
report reads holds some 57 columns, about 0.5 GB per million customers in pandas; read a column
at a time from the run's Parquet file it holds one column at once, 8 bytes per customer.

:class:`CustomerColumns` offers the part of a pandas DataFrame the sections use: ``columns``,
``len()``, ``table["name"]`` and ``table.get("name")`` (a pandas Series, read when asked for),
``table[["a", "b"]]`` (a DataFrame of those columns) and ``table[mask]`` (a DataFrame of the
rows a boolean mask selects: meant for a few rows, such as the top of a list). ``where(mask)``
keeps the rows a mask selects without reading anything (the report's buyers).

This module imports nothing else from cvm.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["CustomerColumns"]


class CustomerColumns:
    """A per-customer table read a column at a time (see the module's docstring).

    ``read(name)`` returns the column ``name`` for every row of the table, as a pandas Series
    or an Arrow array (made a Series here, dates as datetimes), in the same row order at every
    call; ``names`` are the columns offered and ``rows`` the number of rows. ``keep``
    (booleans, one per row) selects the rows the table shows.
    """

    def __init__(self, read: Callable[[str], pd.Series | pa.ChunkedArray], names: Sequence[str],
                 rows: int,
                 keep: np.ndarray | None = None):
        self._read, self._names, self._rows = read, list(names), int(rows)
        self._keep = keep

    @classmethod
    def of_frame(cls, frame: pd.DataFrame) -> CustomerColumns:
        """A DataFrame already in memory, offered the same way."""
        return cls(frame.__getitem__, frame.columns, len(frame))

    @classmethod
    def of_parquet(cls, path: str | Path, names: Sequence[str] | None = None
                   ) -> CustomerColumns:
        """The Parquet file at ``path`` (its columns ``names``, or all)."""
        import pyarrow.parquet as pq

        source = pq.ParquetFile(path)
        return cls(lambda name: source.read(columns=[name]).column(0),
                   source.schema_arrow.names if names is None else names,
                   source.metadata.num_rows)

    @property
    def columns(self) -> pd.Index:
        return pd.Index(self._names)

    def __len__(self) -> int:
        return self._rows if self._keep is None else int(np.count_nonzero(self._keep))

    def get(self, name: str, default=None):
        return self[name] if name in self._names else default

    def where(self, mask) -> CustomerColumns:
        """The rows ``mask`` selects (booleans, one per row shown), read as this table is."""
        mask = np.asarray(mask, dtype=bool)
        if len(mask) != len(self):
            raise ValueError(f"a mask of {len(mask)} rows for a table of {len(self)}")
        if self._keep is None:
            keep = mask
        else:
            keep = self._keep.copy()
            keep[keep] = mask
        return CustomerColumns(self._read, self._names, self._rows, keep)

    def _column(self, name: str, keep: np.ndarray | None) -> pd.Series:
        if name not in self._names:
            raise KeyError(name)
        values = self._read(name)
        if not isinstance(values, pd.Series):
            values = pd.Series(values.to_pandas(date_as_object=False), name=name)
        return values if keep is None else values[keep]

    def __getitem__(self, key):
        if isinstance(key, str):
            return self._column(key, self._keep)
        if isinstance(key, (list, tuple)) and all(isinstance(k, str) for k in key):
            return pd.DataFrame({name: self._column(name, self._keep) for name in key})
        # a boolean mask over the rows shown: those rows, every column
        return self.where(key)[list(self._names)]
