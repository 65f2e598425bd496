"""Readers: turn a source (file or database table) into a table of text columns with row numbers.

Every reader returns a :class:`RawTable`: all columns as strings (typed Parquet/Excel cells are
rendered to text and parsed again by :mod:`cvm.ingest.values`, so every source goes through
the same checks), the row number a person would look up for each record, and the records that
could not even be split into fields. Row numbers: for text and Excel files the row as a spreadsheet shows it (the header is row 1;
a quoted value spanning several lines is one row); for JSON lines the line; for Parquet and
database tables the 1-based record number.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ..config import IngestOptions
from ..errors import CvmError

__all__ = ["RawTable", "SourceError", "read_source", "source_kind", "table_kind", "source_name",
           "ACCEPTED", "check_workbook", "MAX_WORKBOOK_BYTES", "MAX_WORKBOOK_RATIO"]

_TEXT_SUFFIXES = {".csv", ".tsv", ".tab", ".txt", ".dat", ".psv"}
_EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
_PARQUET_SUFFIXES = {".parquet", ".pq"}
_JSON_SUFFIXES = {".jsonl", ".ndjson", ".json"}

#: What the parts of an .xlsx workbook (sheet XML, shared strings, styles) may add up to once
#: unpacked; a workbook past it is refused before it is parsed.
MAX_WORKBOOK_BYTES = 1 << 30
#: How many times its packed size a part of a workbook may grow when unpacked (parts under
#: 1 MiB unpacked are not held to it). Sheets of real data pack 5 to 30 times; a zip bomb of
#: repeated rows packs hundreds of times.
MAX_WORKBOOK_RATIO = 100
_RATIO_FROM_BYTES = 1 << 20
#: About how many rows :func:`read_blocks` gives at a time by default: a block of the usual
#: purchase log (id, time, amount) is some 40 MB of text and a few hundred MB while it is parsed
BLOCK_ROWS = 1 << 20


class SourceError(CvmError, ValueError):
    """A source cannot be read at all; the message names it and says what to do."""


@dataclass
class RawTable:
    """A source read as text columns."""

    name: str
    kind: str
    table: pa.Table
    rows: np.ndarray
    bad_records: list[tuple[int, str]] = field(default_factory=list)
    header: bool = True

    @property
    def rows_read(self) -> int:
        return self.table.num_rows + len(self.bad_records)


def source_kind(source: str | Path) -> str:
    text = str(source)
    if re.match(r"^postgres(ql)?://", text):
        return "postgresql"
    suffix = Path(text).suffix.lower()
    if suffix in _EXCEL_SUFFIXES:
        return "excel"
    if suffix in _PARQUET_SUFFIXES:
        return "parquet"
    if suffix in _JSON_SUFFIXES:
        return "jsonl"
    return "text"


#: what a source may be besides a path or a postgresql:// URL (said in errors)
ACCEPTED = ("a file path, a postgresql:// URL, or a table: a pandas or Polars DataFrame, an "
            "Arrow table or an Ibis table")


def table_kind(source) -> str | None:
    """What kind of in-memory table ``source`` is ("pandas DataFrame", "Polars DataFrame",
    "Arrow table", "Ibis table"), or None when it is none of them (a path, a URL …).

    >>> import pyarrow as pa
    >>> table_kind(pa.table({"a": [1]})), table_kind("sales.csv")
    ('Arrow table', None)
    """
    if isinstance(source, (pa.Table, pa.RecordBatch)):
        return "Arrow table"
    kind = type(source)
    package, name = kind.__module__.split(".")[0], kind.__name__
    if package == "pandas" and name == "DataFrame":
        return "pandas DataFrame"
    if package == "polars" and name in ("DataFrame", "LazyFrame"):
        return "Polars DataFrame"
    if package == "ibis" and hasattr(source, "to_pyarrow"):
        return "Ibis table"
    return None


def source_name(source) -> str:
    """How a source is named in progress, reports and rejects: the file name, the redacted
    URL, or the kind of table (``pandas DataFrame``)."""
    kind = table_kind(source)
    if kind is not None:
        return kind
    text = str(source)
    return _redact(text) if "://" in text else text


def read_source(source, options: IngestOptions | None = None, *,
                one_column: bool = False) -> RawTable:
    """Read a file, a PostgreSQL table (``postgresql://user@host/db?table=sales``) or an
    in-memory table (pandas or Polars DataFrame, Arrow table, Ibis table) whole.

    A text file that reads as a single column is taken for a wrong delimiter, unless
    ``one_column`` says one column can be the whole table (a customer list of ids only) and no
    line of the file holds a character that could have separated fields.
    """
    (whole,) = read_blocks(source, options, one_column=one_column, block_rows=None)
    return whole


def read_blocks(source, options: IngestOptions | None = None, *, one_column: bool = False,
                block_rows: int | None = BLOCK_ROWS) -> Iterator[RawTable]:
    """The source as :func:`read_source` reads it, a block of about ``block_rows`` rows at a
    time (whole when None), so that a file of any size is read in bounded memory.

    Delimited text, Parquet and in-memory tables come in blocks; the other kinds (Excel, JSON
    lines, whitespace-aligned text, a PostgreSQL table) as one block. Every block numbers its
    rows as the whole read would; a block's ``bad_records`` are the records that could not be
    split into fields found while it was read. The first block always comes, empty for a source
    without rows; a source that cannot be read at all raises :class:`SourceError` when the
    first block is asked for, one that fails further on when its block is.
    """
    options = options or IngestOptions()
    kind = table_kind(source)
    if kind is not None:
        yield from _table_blocks(source, kind, block_rows)
        return
    if not isinstance(source, (str, Path)):
        raise SourceError(f"cannot read a source of type {type(source).__name__}: give "
                          f"{ACCEPTED}")
    kind = source_kind(source)
    if kind == "postgresql":
        yield _read_postgresql(str(source), options)
        return
    path = Path(source)
    if not path.exists():
        raise SourceError(f"{path}: no such file")
    if path.is_dir():
        raise SourceError(f"{path} is a folder; give a file")
    if path.stat().st_size == 0:
        raise SourceError(f"{path} is empty: there is nothing to load")
    if kind == "parquet":
        yield from _parquet_blocks(path, block_rows)
        return
    if kind == "excel":
        yield _read_excel(path, options)
        return
    with path.open("rb") as handle:
        head = handle.read(65536)
    if head.startswith(b"PAR1"):
        yield from _parquet_blocks(path, block_rows)
    elif head.startswith(b"PK\x03\x04"):
        yield _read_excel(path, options)
    elif _looks_binary(head):
        raise SourceError(
            f"{path} looks like a binary file, not a table of text: export it as CSV, "
            "Excel or Parquet"
        )
    elif kind == "jsonl" or head.lstrip().startswith(b"{"):
        yield _read_jsonl(path, options)
    else:
        yield from _text_blocks(path, options, one_column, block_rows)


# ----------------------------------------------------------------------------------------------
# text


def _looks_binary(head: bytes) -> bool:
    """Binary when more than 1 % of the first bytes are NUL or other control bytes that text
    never holds (a stray NUL inside a text export is read as text)."""
    if not head:
        return False
    controls = sum(head.count(bytes([b])) for b in range(32) if b not in (9, 10, 13, 12))
    return controls > max(8, 0.01 * len(head))


def _decode_head(path: Path, encoding: str | None) -> tuple[str, str]:
    with path.open("rb") as handle:
        raw = handle.read(1 << 20)
    candidates = [encoding] if encoding else ["utf-8-sig", "gb18030"]
    for enc in candidates:
        try:
            text = raw.decode(enc)
            return text, enc
        except UnicodeDecodeError as exc:
            # a multi-byte character cut at the end of the sample is not an error
            if exc.start >= len(raw) - 4:
                return raw[: exc.start].decode(enc), enc
            continue
        except LookupError:
            raise SourceError(f"{path}: unknown text encoding {enc!r}") from None
    raise SourceError(
        f"{path} is not UTF-8 or GB18030 text: give its encoding in the mapping file "
        "([options] encoding = \"...\")"
    )


def _sniff_delimiter(lines: list[str]) -> str:
    lines = [ln for ln in lines if ln.strip()][:50]
    if not lines:
        return ","
    best, best_score = None, 0.0
    for delim in (",", "\t", ";", "|"):
        counts = [ln.count(delim) for ln in lines]
        if min(counts) == 0:
            continue
        consistent = sum(c == counts[0] for c in counts) / len(counts)
        score = consistent * min(counts)
        if score > best_score:
            best, best_score = delim, score
    if best is not None:
        return best
    splits = [len(ln.split()) for ln in lines]
    if min(splits) >= 2:
        return "whitespace"
    return ","


_DATA_LIKE = re.compile(r"^[\s\-+.,:/0-9年月日￥¥$€]*$")


def _looks_like_header(first: list[str], second: list[str] | None) -> bool:
    """A first row is a header when some of its cells are words where the next row has data."""
    if not first:
        return False
    wordy = [not _DATA_LIKE.match(cell.strip() or "0") for cell in first]
    if all(not w for w in wordy):
        return False
    if second is None:
        return True
    data_below = [bool(_DATA_LIKE.match(cell.strip() or "x")) for cell in second]
    return any(w and d for w, d in zip(wordy, data_below)) or all(wordy)


_SEPARATORS = re.compile(r"[,;\t|]")


def _text_blocks(path: Path, options: IngestOptions, one_column: bool,
                 block_rows: int | None) -> Iterator[RawTable]:
    text, encoding = _decode_head(path, options.encoding)
    lines = text.splitlines()[:60]
    delim = options.delimiter or _sniff_delimiter(lines[1:] or lines)
    if delim in ("\\t", "tab"):
        delim = "\t"
    if delim == "whitespace":
        yield _read_whitespace(path, encoding, options)
        return
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    rows = []
    try:
        for record in reader:
            if record:
                rows.append(record)
            if len(rows) == 3:
                break
    except csv.Error:
        pass
    header = options.header
    if header is None:
        header = _looks_like_header(rows[0] if rows else [], rows[1] if len(rows) > 1 else None)
    ncols = max((len(r) for r in rows[:1]), default=0)
    bad: list[tuple[int, str]] = []

    def on_invalid(row):
        bad.append((row.number, row.text))
        return "skip"

    names = [f"f{i}" for i in range(ncols)] if not header else None
    read_opts = pacsv.ReadOptions(
        encoding="utf8" if encoding == "utf-8-sig" else encoding,
        autogenerate_column_names=not header,
        use_threads=False,
        block_size=1 << 24,
    )
    parse_opts = pacsv.ParseOptions(delimiter=delim, invalid_row_handler=on_invalid,
                                    newlines_in_values=True)

    def unreadable(exc) -> SourceError:
        return SourceError(f"{path} could not be read as delimited text ({_short(exc)})")

    try:
        if names is None:
            # the header row, read the way Arrow reads it, so every column can be typed as text
            first = pacsv.open_csv(path, read_options=pacsv.ReadOptions(
                encoding=read_opts.encoding, block_size=1 << 20),
                parse_options=pacsv.ParseOptions(delimiter=delim, newlines_in_values=True,
                                                 invalid_row_handler=lambda row: "skip"))
            names = first.schema.names
        convert_opts = pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=False,
            quoted_strings_can_be_null=False, auto_dict_encode=False)
        stream = pacsv.open_csv(path, read_options=read_opts, parse_options=parse_opts,
                                convert_options=convert_opts)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise unreadable(exc) from None
    numbering = _Numbering(1 if header else 0)
    told = 0  # the bad records already given with a block

    def block(table: pa.Table) -> RawTable:
        nonlocal told
        if not header:
            table = table.rename_columns([f"column_{i + 1}" for i in range(table.num_columns)])
        numbers = numbering.take(table.num_rows, [b[0] for b in bad])
        found, told = bad[told:], len(bad)
        records = [(n if n is not None else -1, f"expected {table.num_columns} fields: "
                    f"{_short(t)}") for n, t in found]
        return RawTable(path.name, "text", table, numbers, records, header)

    ids_only = one_column and not any(_SEPARATORS.search(line) for line in lines)
    if len(stream.schema) < 2 and ncols < 2 and not ids_only:
        raise SourceError(
            f"{path} has a single column: the delimiter is probably wrong; give it in the "
            "mapping file ([options] delimiter = \";\" or \"whitespace\")"
        )
    held = stream.schema.empty_table()  # read, not yet given
    yielded = False
    while True:
        try:
            batch = stream.read_next_batch()
        except StopIteration:
            break
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise unreadable(exc) from None
        held = pa.concat_tables([held, pa.Table.from_batches([batch])])
        while block_rows is not None and held.num_rows >= block_rows:
            yield block(held.slice(0, block_rows))
            held, yielded = held.slice(block_rows), True
    if held.num_rows or not yielded or told < len(bad):
        yield block(held)


class _Numbering:
    """The row numbers of the good records, a block at a time: the records are numbered from
    1 after the header, and the numbers of the records that could not be split into fields
    (known ones; Arrow may not know some) are skipped."""

    def __init__(self, header_lines: int):
        self.next = 1 + header_lines

    def take(self, n_good: int, bad_lines: list[int | None]) -> np.ndarray:
        """The numbers of the next ``n_good`` good records, given every bad record's number
        found so far (those of records further on, read ahead, are skipped when reached)."""
        known = np.asarray(sorted(n for n in bad_lines if n is not None and n >= self.next),
                           dtype=np.int64)
        lines = np.arange(self.next, self.next + n_good + known.size, dtype=np.int64)
        if known.size:
            lines = lines[np.isin(lines, known, invert=True)]
        lines = lines[:n_good]
        if n_good:
            self.next = int(lines[-1]) + 1
        return lines


def _row_numbers(n_good: int, bad_lines: list[int | None], header_lines: int) -> np.ndarray:
    """Line numbers of the good records, given the (1-based) line numbers of skipped ones."""
    return _Numbering(header_lines).take(n_good, bad_lines)


def _read_whitespace(path: Path, encoding: str, options: IngestOptions) -> RawTable:
    columns: list[list[str]] | None = None
    names: list[str] = []
    rows: list[int] = []
    bad: list[tuple[int, str]] = []
    header = options.header
    if header is None:
        header = _looks_like_header(*_first_two(_split_lines(path, encoding)))
    with path.open("r", encoding=encoding, errors="strict", newline="") as fh:
        try:
            for lineno, line in enumerate(fh, start=1):
                parts = line.split()
                if not parts:
                    continue
                if columns is None:
                    if header:
                        names = parts
                        columns = [[] for _ in parts]
                        continue
                    names = [f"column_{i + 1}" for i in range(len(parts))]
                    columns = [[] for _ in parts]
                if len(parts) != len(columns):
                    bad.append((lineno, f"expected {len(columns)} fields: {_short(line.strip())}"))
                    continue
                for col, value in zip(columns, parts):
                    col.append(value)
                rows.append(lineno)
        except UnicodeDecodeError as exc:
            raise SourceError(f"{path}: text is not {encoding} ({_short(exc)})") from None
    if columns is None:
        raise SourceError(f"{path} holds no rows")
    table = pa.table({n: pa.array(c, type=pa.string()) for n, c in zip(_unique(names), columns)})
    return RawTable(path.name, "text", table, np.asarray(rows, dtype=np.int64), bad, bool(header))


def _split_lines(path: Path, encoding: str):
    """The whitespace-split fields of each line, until a line cannot be decoded (the full read
    reports that)."""
    with path.open("r", encoding=encoding, errors="strict", newline="") as fh:
        try:
            for line in fh:
                yield line.split()
        except UnicodeDecodeError:
            return


def _first_two(rows) -> tuple[list[str], list[str] | None]:
    """The first two rows that hold anything, for :func:`_looks_like_header` (the second is
    None when there is only one): a header is told from the row below it, in every format."""
    found: list[list[str]] = []
    for row in rows:
        if any(cell.strip() for cell in row):
            found.append(row)
            if len(found) == 2:
                break
    return (found[0] if found else [], found[1] if len(found) > 1 else None)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        if name in seen:
            seen[name] += 1
            out.append(f"{name}_{seen[name]}")
        else:
            seen[name] = 0
            out.append(name)
    return out


# ----------------------------------------------------------------------------------------------
# typed files


def _as_text(table: pa.Table) -> pa.Table:
    cols = []
    for col in table.columns:
        if pa.types.is_timestamp(col.type) or pa.types.is_date(col.type):
            cols.append(_temporal_text(col))
        elif pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            cols.append(col.cast(pa.string()))
        else:
            try:
                cols.append(col.cast(pa.string()))
            except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
                cols.append(pa.array([None if v is None else str(v) for v in col.to_pylist()],
                                     type=pa.string()))
    return pa.table(cols, names=_unique(table.column_names))


def _temporal_text(col) -> pa.ChunkedArray:
    """ISO text of a date or timestamp column (``2024-03-05``, ``2024-03-05 10:00:37.250``),
    by Arrow's cast: a fraction of a second is kept, a time zone is dropped (UTC)."""
    if pa.types.is_timestamp(col.type) and col.type.tz is not None:
        col = col.cast(pa.timestamp(col.type.unit))
    return col.cast(pa.string())


def _typed(name: str, kind: str, table: pa.Table, first_row: int = 1) -> RawTable:
    """A typed table (Parquet file, data frame) as text columns; its rows are numbered from
    ``first_row`` (1 for the first block)."""
    rows = np.arange(first_row, first_row + table.num_rows, dtype=np.int64)
    return RawTable(name, kind, _as_text(table), rows)


def _parquet_blocks(path: Path, block_rows: int | None) -> Iterator[RawTable]:
    import pyarrow.parquet as pq

    def unreadable(exc) -> SourceError:
        return SourceError(f"{path} is not a readable Parquet file ({_short(exc)})")

    try:
        # without pre-buffering: with it, the reader's memory grows with every block read
        file = pq.ParquetFile(path, pre_buffer=False)
        if block_rows is None:
            yield _typed(path.name, "parquet", file.read())
            return
        batches = file.iter_batches(batch_size=block_rows)
    except (pa.ArrowInvalid, OSError) as exc:
        raise unreadable(exc) from None
    first, yielded = 1, False
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            break
        except (pa.ArrowInvalid, OSError) as exc:
            raise unreadable(exc) from None
        yield _typed(path.name, "parquet", pa.Table.from_batches([batch]), first)
        first += batch.num_rows
        yielded = True
    if not yielded:
        yield _typed(path.name, "parquet", file.schema_arrow.empty_table())


def _table_blocks(source, kind: str, block_rows: int | None) -> Iterator[RawTable]:
    """An in-memory table, converted to Arrow and read as a Parquet file is; row N is the
    table's N-th row (``df.iloc[N - 1]``). A pandas index other than the default 0, 1, 2 …
    becomes a column (so an id kept in the index is found)."""
    if kind == "Arrow table":
        table = source if isinstance(source, pa.Table) else pa.Table.from_batches([source])
    elif kind == "pandas DataFrame":
        table = pa.Table.from_pandas(source)
        table = table.replace_schema_metadata(None)
    elif kind == "Polars DataFrame":
        frame = source.collect() if type(source).__name__ == "LazyFrame" else source
        table = frame.to_arrow()
    else:
        table = source.to_pyarrow()
    if table.num_columns == 0:
        raise SourceError(f"the {kind} has no columns: there is nothing to load")
    step = block_rows or max(table.num_rows, 1)
    for start in range(0, max(table.num_rows, 1), step):
        yield _typed(kind, "table", table.slice(start, step), start + 1)


def _read_excel(path: Path, options: IngestOptions) -> RawTable:
    import datetime as dt

    try:
        import openpyxl
    except ImportError as exc:  # pragma: no cover
        raise SourceError("reading Excel needs openpyxl: pip install openpyxl") from exc
    if path.suffix.lower() == ".xls":
        raise SourceError(f"{path} is an old .xls workbook: save it as .xlsx or CSV")
    check_workbook(path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds
        raise SourceError(f"{path} is not a readable Excel workbook ({_short(exc)})") from None
    try:
        if options.sheet is not None:
            if options.sheet not in wb.sheetnames:
                raise SourceError(
                    f"{path} has no sheet {options.sheet!r}; sheets: {', '.join(wb.sheetnames)}"
                )
            ws = wb[options.sheet]
        else:
            ws = wb.worksheets[0]
        # read every row and cell there is: the size a sheet declares (its <dimension>) is
        # written wrong by some programs, and openpyxl would stop at it
        ws.reset_dimensions()
        names: list[str] | None = None
        columns: list[list[str | None]] = []
        rows: list[int] = []
        for rownum, values in enumerate(ws.iter_rows(values_only=True), start=1):
            if values is None or all(v is None or str(v).strip() == "" for v in values):
                continue
            cells = [_excel_text(v, dt) for v in values]
            if names is None:
                header = options.header
                if header is None:
                    header = _looks_like_header(*_first_two(
                        [c or "" for c in (_excel_text(v, dt) for v in row)]
                        for row in ws.iter_rows(values_only=True) if row is not None))
                header = bool(header)
                if header:
                    names = [c or f"column_{i + 1}" for i, c in enumerate(cells)]
                    columns = [[] for _ in names]
                    continue
                names = [f"column_{i + 1}" for i in range(len(cells))]
                columns = [[] for _ in names]
            if len(cells) > len(names):
                extra = cells[len(names):]
                if any(c not in (None, "") for c in extra):
                    names += [f"column_{i + 1}" for i in range(len(names), len(cells))]
                    columns += [[None] * len(rows) for _ in extra]
            for i, col in enumerate(columns):
                col.append(cells[i] if i < len(cells) else None)
            rows.append(rownum)
    finally:
        wb.close()
    if names is None:
        raise SourceError(f"{path}: the sheet holds no rows")
    table = pa.table({n: pa.array(c, type=pa.string()) for n, c in zip(_unique(names), columns)})
    return RawTable(path.name, "excel", table, np.asarray(rows, dtype=np.int64), header=header)


def check_workbook(path: Path, *, name: str | None = None, max_bytes: int = MAX_WORKBOOK_BYTES,
                   max_ratio: float = MAX_WORKBOOK_RATIO) -> None:
    """Refuse (:class:`SourceError`, naming the file and the part) a workbook that would unpack
    to more than ``max_bytes``, or with a part that unpacks to more than ``max_ratio`` times
    its packed size: a zip bomb would take the memory and time
    of everything else. Only the zip's directory is read. Python's zip reader never unpacks a
    part past the size the directory declares for it (it stops with a checksum error), so
    these sizes bound what parsing the workbook can take."""
    shown = name or str(path)
    advice = "save the sheet as CSV, or split the workbook"
    try:
        with zipfile.ZipFile(path) as book:
            parts = book.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise SourceError(f"{shown} is not a readable Excel workbook ({_short(exc)})") from None
    total = sum(p.file_size for p in parts)
    if total > max_bytes:
        raise SourceError(
            f"{shown} would unpack to {total / (1 << 20):,.1f} MB of XML, more than cvm reads "
            f"from one workbook ({max_bytes / (1 << 20):,.1f} MB): {advice}")
    for part in parts:
        size, packed = part.file_size, max(part.compress_size, 1)
        if size >= _RATIO_FROM_BYTES and size > max_ratio * packed:
            raise SourceError(
                f"{shown}: part {part.filename} unpacks from {packed / 1024:,.0f} KB to "
                f"{size / (1 << 20):,.0f} MB ({size / packed:,.0f} times; cvm reads parts that "
                f"grow at most {max_ratio:g} times, as real sheets do): {advice}")


def _excel_text(value, dt) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.strftime("%Y-%m-%d")
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_jsonl(path: Path, options: IngestOptions) -> RawTable:
    _, encoding = _decode_head(path, options.encoding)
    records: list[dict] = []
    rows: list[int] = []
    bad: list[tuple[int, str]] = []
    with path.open("r", encoding=encoding) as fh:
        first = fh.read(1)
        fh.seek(0)
        if first == "[":
            try:
                data = json.load(fh)
            except json.JSONDecodeError as exc:
                raise SourceError(f"{path} is not valid JSON ({_short(exc)})") from None
            for i, rec in enumerate(data, start=1):
                if isinstance(rec, dict):
                    records.append(rec)
                    rows.append(i)
                else:
                    bad.append((i, "record is not a JSON object"))
        else:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as exc:
                    bad.append((lineno, f"not valid JSON ({exc.msg})"))
                    continue
                if not isinstance(rec, dict):
                    bad.append((lineno, "record is not a JSON object"))
                    continue
                records.append(rec)
                rows.append(lineno)
    names: list[str] = []
    for rec in records:
        for key in rec:
            if key not in names:
                names.append(key)
    if not names:
        raise SourceError(f"{path} holds no JSON records")
    table = pa.table({
        n: pa.array([_json_text(r.get(n)) for r in records], type=pa.string()) for n in names
    })
    return RawTable(path.name, "jsonl", table, np.asarray(rows, dtype=np.int64), bad)


def _json_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# ----------------------------------------------------------------------------------------------
# PostgreSQL


def _read_postgresql(url: str, options: IngestOptions) -> RawTable:
    try:
        import psycopg
        from psycopg import sql
    except ImportError as exc:  # pragma: no cover
        raise SourceError("reading PostgreSQL needs psycopg: pip install 'psycopg[binary]'") from exc
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    # ?table= is no setting of the connection: always taken out, even where --table wins
    url_table = query.pop("table", [None])[0]
    table_name = options.table or url_table
    if not table_name:
        raise SourceError(
            f"{_redact(url)}: name the table to read, as ?table=NAME in the connection string "
            "or --table NAME"
        )
    rest = "&".join(f"{k}={v[0]}" for k, v in query.items())
    conninfo = urlunsplit((parts.scheme, parts.netloc, parts.path, rest, ""))
    ident = sql.Identifier(*table_name.split("."))
    shown = f"{_redact(url)} table {table_name}"
    try:
        with psycopg.connect(conninfo, connect_timeout=10) as conn, tempfile.TemporaryFile() as tmp:
            with conn.cursor() as cur:
                copy_sql = sql.SQL("COPY (SELECT * FROM {}) TO STDOUT WITH (FORMAT csv, HEADER true)")
                with cur.copy(copy_sql.format(ident)) as copy:
                    for chunk in copy:
                        tmp.write(chunk)
            tmp.seek(0)
            data = tmp.read()
    except psycopg.Error as exc:
        raise SourceError(f"{shown} could not be read: {_short(exc)}") from None
    header_line = data.split(b"\n", 1)[0]
    names = next(csv.reader([header_line.decode("utf-8")]))
    table = pacsv.read_csv(
        io.BytesIO(data),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                             strings_can_be_null=True),
    )
    return RawTable(f"{parts.path.lstrip('/')}.{table_name}", "postgresql", table,
                    np.arange(1, table.num_rows + 1, dtype=np.int64))


def _redact(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


def _short(obj, limit: int = 120) -> str:
    text = " ".join(str(obj).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
