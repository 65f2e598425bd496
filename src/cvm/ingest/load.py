"""Loading: parse, check and store a source's rows in the workspace, losing none.

Every row read ends either in ``transactions`` (or ``source_customers``) or in ``rejects`` with
its file, row, field, value and reason, so ``rows_read = rows_loaded + rows_rejected`` always
holds. A load is one workspace transaction: if anything fails, the workspace is as it was. The
same file loaded twice adds nothing (recognised by its content); rows already loaded
(overlapping exports) and repeated lines of one order are rejected as duplicates, naming the row
they repeat, while identical rows without an order id are kept and counted
(:mod:`cvm.ingest.repeats`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import logging
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..config import IngestOptions, Mapping
from ..schema import CUSTOMER_FIELDS, TRANSACTION_FIELDS, Field
from ..workspace import ROW_GROUP_ROWS, Workspace
from .columns import resolve_columns
from .dates import DateOrder, ParsedDates
from .readers import BLOCK_ROWS, RawTable, SourceError, read_blocks, read_source, source_name
from .repeats import mark_repeats, no_repeats
from .values import clean_ids, clean_text, parse_dates, parse_numbers

__all__ = ["LoadReport", "load_transactions", "load_customers"]

log = logging.getLogger(__name__)


@dataclass
class LoadReport:
    """What one load did.

    ``identical_rows_kept``: loaded rows that repeat another row exactly; without an order id
    they cannot be told from repeat purchases, so they are kept (see :mod:`cvm.ingest.repeats`).
    """

    file: str
    table: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    reasons: dict[str, int] = field(default_factory=dict)
    columns: str = ""
    skipped: bool = False
    message: str = ""
    identical_rows_kept: int = 0
    #: the workspace's id of the file (for a skipped load: of the file loaded before)
    file_id: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


#: how a load names a purchase log without an amount column (the run then skips what needs money)
NO_AMOUNT_NOTE = ("no amount column: a purchase log without amounts (amounts stored as missing; "
                  "the analysis skips what needs money)")

# Reject codes, with the field order in which rows are checked.
REJECT_CODES = {
    "malformed_record": "the record could not be split into fields",
    "missing_customer_id": "no customer id",
    "bad_date": "the date cannot be read",
    "bad_amount": "the amount is not a number",
    "bad_value": "an optional field cannot be read",
    "negative_amount": "negative amount while refunds are off",
    "future_date": "date after the as-of date",
    "duplicate": "repeats a line of the same order, or a row already loaded",
}


def _sha256(source) -> str | None:
    if not isinstance(source, (str, Path)):  # an in-memory table
        return None
    path = Path(str(source))
    if not path.is_file():
        return None
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _parse(field_: Field, raw: RawTable, column: str, options: IngestOptions,
           notes: dict[str, str] | None = None):
    """Parse one source column as ``field_`` says. With ``notes``, ``raw`` is the whole source:
    a date column mixing both orders of slash dates is an error, and how its slash dates were
    read goes to ``notes``."""
    values = raw.table.column(column)
    if field_.kind == "id":
        return clean_ids(values)
    if field_.kind == "date":
        parsed = parse_dates(values, dayfirst=options.dayfirst)
        if notes is not None and parsed.order is not None:
            orders = _DateOrders(options.dayfirst)
            orders.add(parsed.order, raw, column)
            notes[field_.name] = orders.order.describe()
        return parsed
    if field_.kind == "number":
        return parse_numbers(values, decimal_comma=options.decimal_comma)
    return clean_text(values)


def _mixed_orders(name: str, column: str, day: tuple[str, int], month: tuple[str, int]) -> str:
    """The error for a date column holding values of both orders, with a row of each."""
    return (f"{name}: column {column!r} mixes day/month/year and month/day/year dates: "
            f"row {day[1]} has {day[0]!r}, which only day/month/year can read, and row "
            f"{month[1]} has {month[0]!r}, which only month/day/year can read. Export the column "
            "in one order (ISO dates such as 2024-03-25 are never ambiguous).")


class _Rejects:
    """Collects rejected rows (first problem per row wins)."""

    def __init__(self, n: int):
        self.bad = np.zeros(n, dtype=bool)
        self.rows: list[np.ndarray] = []
        self.fields: list[np.ndarray] = []
        self.values: list[np.ndarray] = []
        self.codes: list[np.ndarray] = []
        self.reasons: list[np.ndarray] = []

    def add(self, mask: np.ndarray, *, rows, field_name: str, values, code: str, reasons) -> None:
        new = mask & ~self.bad
        if not new.any():
            return
        idx = np.flatnonzero(new)
        self.bad[idx] = True
        self.rows.append(np.asarray(rows)[idx])
        self.fields.append(np.full(len(idx), field_name, dtype=object))
        vals = np.asarray(values, dtype=object)[idx] if values is not None else np.full(len(idx), None)
        self.values.append(vals)
        self.codes.append(np.full(len(idx), code, dtype=object))
        reasons = np.asarray(reasons, dtype=object)
        self.reasons.append(reasons[idx] if reasons.ndim and len(reasons) == len(mask)
                            else np.full(len(idx), reasons.item() if reasons.ndim == 0 else reasons,
                                         dtype=object))

    def table(self, file_id: int, file_name: str, extra: list[tuple[int, str]]) -> pa.Table:
        rows = self.rows + [np.asarray([r for r, _ in extra], dtype=np.int64)]
        fields = self.fields + [np.full(len(extra), "", dtype=object)]
        values = self.values + [np.full(len(extra), None, dtype=object)]
        codes = self.codes + [np.full(len(extra), "malformed_record", dtype=object)]
        reasons = self.reasons + [np.asarray([t for _, t in extra], dtype=object)]
        n = sum(len(r) for r in rows)
        return pa.table({
            "file_id": pa.array(np.full(n, file_id, dtype=np.int32)),
            "file": pa.array([file_name] * n, type=pa.string()),
            "row": pa.array(np.concatenate(rows).astype(np.int64) if n else [], type=pa.int64()),
            "field": pa.array(np.concatenate(fields).tolist() if n else [], type=pa.string()),
            "value": pa.array([_clip(v) for v in np.concatenate(values)] if n else [], type=pa.string()),
            "code": pa.array(np.concatenate(codes).tolist() if n else [], type=pa.string()),
            "reason": pa.array(np.concatenate(reasons).tolist() if n else [], type=pa.string()),
        })


def _column_map(match, options: IngestOptions) -> str:
    """What the load assumed, for the load report: which source column became which field, how
    that was found, and the order of day and month in dates such as ``05/03/2024``."""
    return json.dumps({**match.as_dict(),
                       "date_order": "day_first" if options.dayfirst else "month_first"},
                      ensure_ascii=False)


def _record_file(con, *, file_id: int, table: str, raw: RawTable, source, digest: str | None,
                 loaded: int, columns: str, options: str, column_map: str,
                 rows_read: int | None = None) -> tuple[dict[str, int], int]:
    """Count the file's rejects by reason, record the file, and check nothing was lost.
    ``raw`` is the source read whole, or its first block with ``rows_read`` of all blocks."""
    name, kind = raw.name, raw.kind
    rows_read = raw.rows_read if rows_read is None else rows_read
    reasons = dict(con.execute(
        "SELECT code, count(*) FROM rejects WHERE file_id = ? GROUP BY code ORDER BY 2 DESC, 1",
        [file_id]).fetchall())
    rejected = sum(reasons.values())
    if loaded + rejected != rows_read:  # the central invariant: nothing lost
        raise AssertionError(
            f"{name}: {rows_read} rows read but {loaded} loaded + {rejected} rejected")
    con.execute(
        "INSERT INTO files (file_id, table_kind, name, location, kind, sha256, loaded_at, "
        "rows_read, rows_loaded, rows_rejected, columns, options, column_map) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [file_id, table, name, _location(source), kind, digest, dt.datetime.now(),
         rows_read, loaded, rejected, columns, options, column_map])
    return reasons, rejected


def _insert_rejects(con, rejects: pa.Table) -> None:
    con.register("_rej", rejects)
    con.execute("INSERT INTO rejects SELECT * FROM _rej")
    con.unregister("_rej")


def _clip(value) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= 200 else text[:199] + "…"


def _column_text(raw: RawTable, name: str) -> np.ndarray:
    return np.asarray(raw.table.column(name).to_pylist(), dtype=object)


def load_transactions(ws: Workspace, source, *, mapping: Mapping | None = None,
                      options: IngestOptions | None = None,
                      as_of: dt.date | None = None, block_rows: int | None = BLOCK_ROWS
                      ) -> LoadReport:
    """Load a transactions source into the workspace: a file, a ``postgresql://`` table, or a
    pandas or Polars DataFrame, Arrow table or Ibis table (read as a Parquet file is: the same
    column guessing and checks; a rejected row is numbered by its position, from 1).

    Rows dated after ``as_of`` (default: today) are rejected as in the future.

    Delimited text, Parquet and in-memory tables are read, parsed and checked a block of about
    ``block_rows`` rows at a time (:func:`cvm.ingest.readers.read_blocks`; None reads the
    source whole), so the memory a load takes does not grow with the source; the blocks are
    gathered in the workspace, where the repeats are found over the whole source at once. The
    columns are found from the first block. Slash dates with the year last (``05/04/2024``)
    are read in the order the whole column decides: when a later block decides an order other
    than the one earlier blocks assumed, the source is read again in the decided order.
    """
    options = options or (mapping.options if mapping else IngestOptions())
    fingerprint = json.dumps({"options": asdict(options),
                              "mapping": mapping.transactions if mapping else None,
                              "as_of": str(as_of)}, sort_keys=True, default=str)
    digest = _sha256(source)
    if digest is not None:
        known = ws.find_file("transactions", digest, fingerprint)
        if known is not None:
            return LoadReport(
                file=Path(str(source)).name, table="transactions", rows_read=0, rows_loaded=0,
                rows_rejected=0, skipped=True, file_id=known["file_id"],
                message=(f"{Path(str(source)).name}: same content already loaded on "
                         f"{known['loaded_at']:%Y-%m-%d %H:%M} as {known['name']}; nothing added"),
            )
    load = _TransactionLoad(ws, source, mapping=mapping, options=options,
                            limit=as_of or dt.date.today(), digest=digest,
                            fingerprint=fingerprint, block_rows=block_rows)
    return load.run()


class _DateOrders:
    """The order of a date column's slash dates over every block: the first value, in the
    whole column, that only day/month/year can read and the first that only month/day/year
    can (each with its row), and the orders the blocks were read in."""

    def __init__(self, setting: bool | None):
        self.setting = setting
        self.day: tuple[str, int] | None = None
        self.month: tuple[str, int] | None = None
        self.read_in: set[bool] = set()

    def add(self, order: DateOrder, raw: RawTable, column: str) -> None:
        def first(example: str) -> tuple[str, int]:
            return example, int(raw.rows[pc.index(raw.table.column(column), example).as_py()])

        if self.day is None and order.dayfirst_example is not None:
            self.day = first(order.dayfirst_example)
        if self.month is None and order.monthfirst_example is not None:
            self.month = first(order.monthfirst_example)
        self.read_in.add(order.dayfirst)
        if self.day is not None and self.month is not None:
            raise SourceError(_mixed_orders(raw.name, column, self.day, self.month))

    @property
    def order(self) -> DateOrder | None:
        """The column's order, as the whole column decides (None: no slash dates)."""
        if not self.read_in:
            return None
        return DateOrder(self.day and self.day[0], self.month and self.month[0], self.setting)

    def misread(self) -> bool:
        """Whether a block was read in an order the whole column decides against."""
        order = self.order
        return order is not None and self.read_in != {order.dayfirst}


_NUMBERS = ("margin", "cost", "quantity")
_TEXTS = ("order_id", "order_line", "product", "category", "channel", "store")
#: a source's good rows as its blocks are parsed: written to a Parquet file in the temporary
#: folder, which the workspace reads when it finds the repeats and stores the rows (a row
#: naming no source system has ``source`` null there)
_INCOMING = pa.schema([("source_row", pa.int64()), ("source", pa.string()),
                       ("source_customer_id", pa.string()),
                       ("purchase_time", pa.timestamp("us")), ("amount", pa.float64()),
                       *((name, pa.float64()) for name in _NUMBERS),
                       *((name, pa.string()) for name in _TEXTS)])


def _staging_folder() -> tempfile.TemporaryDirectory:
    """A new folder in ``TMPDIR`` for a load's staged rows (``cvm-load-<process id>-…``), after
    removing those of loads whose process is gone: a load that was killed (its file can hold
    gigabytes) cannot remove its own."""
    for old in Path(tempfile.gettempdir()).glob("cvm-load-*-*"):
        pid = old.name.split("-")[2]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    return tempfile.TemporaryDirectory(prefix=f"cvm-load-{os.getpid()}-")


def _running(pid: int) -> bool:
    """Whether a process with this id exists (one of another user's counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        pass
    return True


def _sql_text(value: str) -> str:
    """``value`` as an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


@dataclass
class _TransactionLoad:
    """One load of a transactions source (:func:`load_transactions`)."""

    ws: Workspace
    source: object
    mapping: Mapping | None
    options: IngestOptions
    limit: dt.date
    digest: str | None
    fingerprint: str
    block_rows: int | None

    def _stage(self, con, file_id: int, staged: Path, dayfirst: bool | None):
        """Read, parse and check the source a block at a time, its slash dates read as
        ``dayfirst`` says where no value decides: the good rows go to the Parquet file
        ``staged``, the rejected ones to the workspace. Returns the first block, the columns
        found, each field's date orders and the rows read."""
        blocks = read_blocks(self.source, self.options, block_rows=self.block_rows)
        first = next(blocks)
        match = resolve_columns(first.name, first.table.column_names, TRANSACTION_FIELDS,
                                self.mapping.transactions if self.mapping else None,
                                table=first.table, header=first.header)
        dates = {name: _DateOrders(self.options.dayfirst) for name in match.columns}
        parsing = replace(self.options, dayfirst=dayfirst)
        rows_read = 0
        with pq.ParquetWriter(staged, _INCOMING) as writer:
            for raw in itertools.chain([first], blocks):
                incoming, rejects = self._parse(raw, match, parsing, dates)
                rows_read += raw.rows_read
                writer.write_table(incoming, row_group_size=ROW_GROUP_ROWS)
                del incoming
                _insert_rejects(con, rejects.table(file_id, raw.name, raw.bad_records))
        return first, match, dates, rows_read

    def run(self) -> LoadReport:
        """Read, check and store the source."""
        from ..engine import duckdb_streaming_memory_limit, duckdb_memory_limited

        options = self.options
        with (self.ws.transaction() as con,
              _staging_folder() as folder,
              duckdb_memory_limited(con, duckdb_streaming_memory_limit())):
            file_id = con.execute("SELECT nextval('file_ids')").fetchall()[0][0]
            staged = Path(folder) / "incoming.parquet"
            first, match, dates, rows_read = self._stage(con, file_id, staged, options.dayfirst)
            misread = [orders.order.dayfirst for orders in dates.values() if orders.misread()]
            if misread:  # a later block decided the slash dates: read again in that order
                con.execute("DELETE FROM rejects WHERE file_id = ?", [file_id])
                first, match, dates, rows_read = self._stage(con, file_id, staged, misread[0])
            columns = ", ".join(f"coalesce(source, {_sql_text(options.source)}) AS source"
                                if c == "source" else c for c in _INCOMING.names)
            con.execute(f"CREATE OR REPLACE TEMP VIEW _incoming_t AS SELECT {int(file_id)} AS "
                        f"file_id, {columns} FROM read_parquet({_sql_text(str(staged))})")
            notes = {}
            for name, orders in dates.items():
                if orders.order is not None:
                    notes[name] = orders.order.describe()
            if "amount" not in match.columns:
                notes["amount"] = NO_AMOUNT_NOTE
            match = replace(match, notes=notes)
            if options.keep_duplicates:
                no_repeats(con)
            else:
                mark_repeats(con)
            con.execute("INSERT INTO rejects SELECT ?, ?, source_row, '', NULL, 'duplicate', "
                        "_reason FROM _marks WHERE _reason IS NOT NULL", [file_id, first.name])
            con.execute(
                "INSERT INTO transactions (file_id, source_row, source, source_customer_id, "
                "purchase_time, purchase_date, amount, margin, cost, quantity, order_id, "
                "order_line, product, category, channel, store) SELECT file_id, source_row, "
                "source, source_customer_id, purchase_time, CAST(purchase_time AS DATE), amount, "
                "margin, cost, quantity, order_id, order_line, product, category, channel, store "
                "FROM _incoming_t ANTI JOIN (SELECT source_row FROM _marks WHERE _reason IS NOT "
                "NULL) USING (source_row)")
            loaded, identical = con.execute(
                "SELECT (SELECT count(*) FROM _incoming_t) - count(_reason), "
                "count(*) - count(_reason) FROM _marks").fetchall()[0]
            reasons, rejected = _record_file(
                con, file_id=file_id, table="transactions", raw=first, rows_read=rows_read,
                source=self.source, digest=self.digest, loaded=loaded,
                columns=match.describe(), options=self.fingerprint,
                column_map=_column_map(match, options))
            con.execute("DROP TABLE _marks")
            con.execute("DROP VIEW _incoming_t")
        return LoadReport(file=first.name, table="transactions", rows_read=rows_read,
                          rows_loaded=loaded, rows_rejected=rejected, reasons=reasons,
                          columns=match.describe(), identical_rows_kept=identical,
                          file_id=file_id)

    def _parse(self, raw: RawTable, match, options: IngestOptions,
               dates: dict[str, _DateOrders]) -> tuple[pa.Table, _Rejects]:
        """One block's rows parsed and checked: the good ones in the workspace's columns (a
        row naming no source system has ``source`` null) and the rejected ones."""
        n = raw.table.num_rows
        rejects = _Rejects(n)
        parsed: dict[str, np.ndarray] = {}
        field_by_name = {f.name: f for f in TRANSACTION_FIELDS}
        code_for = {"customer_id": "missing_customer_id", "purchase_time": "bad_date",
                    "amount": "bad_amount"}
        for name, column in match.columns.items():
            f = field_by_name[name]
            result = _parse(f, raw, column, options)
            if isinstance(result, ParsedDates) and result.order is not None:
                dates[name].add(result.order, raw, column)
            errors = result.errors
            if f.required:
                mask = ~result.ok
            else:
                mask = np.array([e is not None and e != "missing" for e in errors], dtype=bool) \
                    if errors.dtype == object else ~result.ok
            if mask.any():
                text = _column_text(raw, column)
                rejects.add(mask, rows=raw.rows, field_name=column, values=text,
                            code=code_for.get(name, "bad_value"),
                            reasons=np.where(errors == None, "", errors)  # noqa: E711
                            if errors.dtype == object else errors)
            parsed[name] = result.values
        has_amount = "amount" in parsed
        amount = parsed["amount"].astype(float) if has_amount else np.full(n, np.nan)
        when = parsed["purchase_time"].astype("datetime64[us]")
        if has_amount and not options.allow_refunds:
            neg = np.nan_to_num(amount, nan=0.0) < 0
            rejects.add(neg, rows=raw.rows, field_name=match.columns["amount"],
                        values=_column_text(raw, match.columns["amount"]) if neg.any() else None,
                        code="negative_amount",
                        reasons="negative amount: refunds are off (set allow_refunds = true in "
                                "the mapping options, or --refunds, to net them off)")
        limit_ts = np.datetime64(self.limit + dt.timedelta(days=1), "us")
        future = ~np.isnat(when) & (when >= limit_ts)
        if future.any():
            rejects.add(future, rows=raw.rows, field_name=match.columns["purchase_time"],
                        values=_column_text(raw, match.columns["purchase_time"]),
                        code="future_date",
                        reasons=f"date after the as-of date {self.limit.isoformat()}")
        good = ~rejects.bad
        kept = int(good.sum())
        sources = parsed.get("source")
        # ids and text are object arrays of str or None: Arrow converts them as they are
        canon = {
            "source_row": pa.array(raw.rows[good], type=pa.int64()),
            "source": pa.array(sources[good], type=pa.string())
            if sources is not None else pa.nulls(kept, type=pa.string()),
            "source_customer_id": pa.array(parsed["customer_id"][good], type=pa.string()),
            "purchase_time": pa.array(when[good], type=pa.timestamp("us")),
            "amount": pa.array(amount[good], type=pa.float64()) if has_amount
            else pa.nulls(kept, type=pa.float64()),
        }
        for name in _NUMBERS + _TEXTS:
            if name not in parsed:
                canon[name] = pa.nulls(kept, type=_INCOMING.field(name).type)
            elif name in _NUMBERS:
                canon[name] = pa.array(parsed[name][good].astype(float), type=pa.float64(),
                                       from_pandas=True)
            else:
                canon[name] = pa.array(parsed[name][good], type=pa.string())
        return pa.table(canon, schema=_INCOMING), rejects


def _location(source) -> str:
    if not isinstance(source, (str, Path)) or "://" in str(source):
        return source_name(source)
    return str(Path(source).resolve())


_CUSTOMER_COLUMNS = ("name", "phone", "email", "birth_date", "city", "gender", "signup_date",
                     "owner", "national_id", "address", "credit_score", "late_payments",
                     "defaults", "credit_limit_use")


def load_customers(ws: Workspace, source, *, mapping: Mapping | None = None,
                   options: IngestOptions | None = None) -> LoadReport:
    """Load a customer list (one record per customer per source system) from a file, a
    ``postgresql://`` table or an in-memory table, as :func:`load_transactions` does.

    Records without a customer id, or repeating an id already given in the same source, are
    rejected; unreadable optional fields (a birth date that is not a date) are left empty.
    """
    options = options or (mapping.options if mapping else IngestOptions())
    raw = read_source(source, options, one_column=True)  # a list of ids only is a list
    match = resolve_columns(raw.name, raw.table.column_names, CUSTOMER_FIELDS,
                            mapping.customers if mapping else None)
    n = raw.table.num_rows
    rejects = _Rejects(n)
    field_by_name = {f.name: f for f in CUSTOMER_FIELDS}
    parsed = {}
    notes: dict[str, str] = {}
    for name, column in match.columns.items():
        result = _parse(field_by_name[name], raw, column, options, notes)
        if name == "customer_id":
            rejects.add(~result.ok, rows=raw.rows, field_name=column,
                        values=_column_text(raw, column), code="missing_customer_id",
                        reasons=result.errors)
        parsed[name] = result.values
    match = replace(match, notes=notes)
    good = ~rejects.bad
    ids = parsed["customer_id"]
    sources = parsed.get("source")
    src = np.where(sources == None, options.source, sources) if sources is not None \
        else np.full(n, options.source, dtype=object)  # noqa: E711
    cols = {"source_row": pa.array(raw.rows[good], type=pa.int64()),
            "source": pa.array(src[good].tolist(), type=pa.string()),
            "source_customer_id": pa.array(ids[good].tolist(), type=pa.string())}
    types = {"date": pa.date32(), "number": pa.float64()}
    for name in _CUSTOMER_COLUMNS:
        kind = field_by_name[name].kind
        if name in parsed:
            vals = parsed[name][good]
            if kind == "date":
                cols[name] = pa.array(vals.astype("datetime64[D]"), type=pa.date32())
            elif kind == "number":
                cols[name] = pa.array(vals.astype(float), type=pa.float64(), from_pandas=True)
            else:
                cols[name] = pa.array([None if v is None else str(v) for v in vals],
                                      type=pa.string())
        else:
            cols[name] = pa.nulls(int(good.sum()), type=types.get(kind, pa.string()))
    incoming = pa.table(cols)
    digest = _sha256(source)
    with ws.transaction() as con:
        file_id = con.execute("SELECT nextval('file_ids')").fetchall()[0][0]
        con.register("_cin", incoming)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _cin_t AS SELECT ?::INTEGER AS file_id, *, "
            "row_number() OVER (PARTITION BY source, source_customer_id ORDER BY source_row) > 1 "
            "AS _dup, min(source_row) OVER (PARTITION BY source, source_customer_id) AS _first "
            "FROM _cin", [file_id])
        con.unregister("_cin")
        _insert_rejects(con, rejects.table(file_id, raw.name, raw.bad_records))
        con.execute(
            "INSERT INTO rejects SELECT file_id, ?, source_row, '', source_customer_id, "
            "'duplicate', 'duplicate customer id: first given in row ' || _first "
            "FROM _cin_t WHERE _dup", [raw.name])
        # a newer list of the same source replaces the records it gives again
        con.execute(
            "DELETE FROM source_customers s USING _cin_t c WHERE NOT c._dup AND "
            "s.source = c.source AND s.source_customer_id = c.source_customer_id")
        columns = ", ".join(("file_id", "source_row", "source", "source_customer_id")
                            + _CUSTOMER_COLUMNS)
        con.execute(f"INSERT INTO source_customers ({columns}) SELECT {columns} FROM _cin_t "
                    "WHERE NOT _dup")
        loaded = con.execute("SELECT count(*) FROM _cin_t WHERE NOT _dup").fetchall()[0][0]
        reasons, rejected = _record_file(
            con, file_id=file_id, table="customers", raw=raw, source=source, digest=digest,
            loaded=loaded, columns=match.describe(), options=json.dumps(asdict(options), default=str),
            column_map=_column_map(match, options))
        con.execute("DROP TABLE _cin_t")
    return LoadReport(file=raw.name, table="customers", rows_read=raw.rows_read,
                      rows_loaded=loaded, rows_rejected=rejected, reasons=reasons,
                      columns=match.describe(), file_id=file_id)
