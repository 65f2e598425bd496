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

#: the rows of a Parquet file read at once when only some are kept
_BATCH_ROWS = 262_144


def _typed_by_rows(dtype: pa.DataType) -> bool:
    """Whether pandas' type for an Arrow column depends on its rows: integers and booleans
    with a null become floats and objects."""
    return pa.types.is_integer(dtype) or pa.types.is_boolean(dtype)


class CustomerColumns:
    """A per-customer table read a column at a time (see the module's docstring).

    ``read(name)`` returns the column ``name`` for every row of the table, as a pandas Series
    or an Arrow array (made a Series here, dates as datetimes), in the same row order at every
    call; ``names`` are the columns offered and ``rows`` the number of rows. ``keep``
    (booleans, one per row) selects the rows the table shows. ``read_rows(name, keep)``, when
    given, returns only the rows ``keep`` selects as an Arrow array, reading a part of the
    column at a time (a Parquet file's batches), so that a few rows of a long text column do
    not need the whole column in memory.
    """

    def __init__(self, read: Callable[[str], pd.Series | pa.ChunkedArray], names: Sequence[str],
                 rows: int,
                 keep: np.ndarray | None = None, *,
                 read_rows: Callable[[str, np.ndarray], pa.ChunkedArray] | None = None):
        self._read, self._names, self._rows = read, list(names), int(rows)
        self._keep = keep
        self._read_rows = read_rows

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

        def read_rows(name: str, keep: np.ndarray) -> pa.ChunkedArray | None:
            if _typed_by_rows(source.schema_arrow.field(name).type):
                return None
            parts, start = [], 0
            for batch in source.iter_batches(batch_size=_BATCH_ROWS, columns=[name]):
                end = start + batch.num_rows
                parts.append(batch.column(0).filter(pa.array(keep[start:end])))
                start = end
            return pa.chunked_array(parts, source.schema_arrow.field(name).type)

        return cls(lambda name: source.read(columns=[name]).column(0),
                   source.schema_arrow.names if names is None else names,
                   source.metadata.num_rows, read_rows=read_rows)

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
        return CustomerColumns(self._read, self._names, self._rows, keep,
                               read_rows=self._read_rows)

    def _column(self, name: str, keep: np.ndarray | None) -> pd.Series:
        """The column's values of the rows ``keep`` selects (all without it), indexed by their
        row numbers as a DataFrame's rows are. Where the pandas type does not depend on the
        rows (not integers or booleans, which become floats or objects when the column has a
        null anywhere), the rows are selected while the values are Arrow's, before pandas
        converts them: at 25M customers the column of reasons is about 2.3 GB of text, of which
        the report shows ten rows."""
        if name not in self._names:
            raise KeyError(name)
        values = (self._read_rows(name, keep) if keep is not None and self._read_rows
                  else None)
        if values is None:
            values = self._read(name)
            if isinstance(values, pd.Series):
                return values if keep is None else values[keep]
            if keep is not None and not _typed_by_rows(values.type):
                values = values.filter(pa.array(keep))
            elif keep is not None:
                return pd.Series(values.to_pandas(date_as_object=False), name=name)[keep]
        index = pd.RangeIndex(len(values)) if keep is None else pd.Index(np.flatnonzero(keep))
        return pd.Series(values.to_pandas(date_as_object=False), name=name).set_axis(index)

    def __getitem__(self, key):
        if isinstance(key, str):
            return self._column(key, self._keep)
        if isinstance(key, (list, tuple)) and all(isinstance(k, str) for k in key):
            return pd.DataFrame({name: self._column(name, self._keep) for name in key})
        # a boolean mask over the rows shown: those rows, every column
        return self.where(key)[list(self._names)]
