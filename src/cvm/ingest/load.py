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
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..config import IngestOptions, Mapping
from ..schema import CUSTOMER_FIELDS, TRANSACTION_FIELDS, Field
from ..workspace import Workspace
from .columns import resolve_columns
from .dates import DateOrder
from .readers import RawTable, SourceError, read_source, source_name
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
           notes: dict[str, str]):
    """Parse one source column as ``field_`` says; a note on how it was read goes to ``notes``."""
    values = raw.table.column(column)
    if field_.kind == "id":
        return clean_ids(values)
    if field_.kind == "date":
        parsed = parse_dates(values, dayfirst=options.dayfirst)
        if parsed.order is not None:
            if parsed.order.mixed:
                raise SourceError(_mixed_orders(raw, column, parsed.order))
            notes[field_.name] = parsed.order.describe()
        return parsed
    if field_.kind == "number":
        return parse_numbers(values, decimal_comma=options.decimal_comma)
    return clean_text(values)


def _mixed_orders(raw: RawTable, column: str, order: DateOrder) -> str:
    """The error for a date column holding values of both orders, with a row of each."""
    def row(example: str) -> int:
        return int(raw.rows[pc.index(raw.table.column(column), example).as_py()])

    day, month = order.dayfirst_example, order.monthfirst_example
    return (f"{raw.name}: column {column!r} mixes day/month/year and month/day/year dates: "
            f"row {row(day)} has {day!r}, which only day/month/year can read, and row "
            f"{row(month)} has {month!r}, which only month/day/year can read. Export the column "
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
                 loaded: int, columns: str, options: str, column_map: str
                 ) -> tuple[dict[str, int], int]:
    """Count the file's rejects by reason, record the file, and check nothing was lost."""
    reasons = dict(con.execute(
        "SELECT code, count(*) FROM rejects WHERE file_id = ? GROUP BY code ORDER BY 2 DESC, 1",
        [file_id]).fetchall())
    rejected = sum(reasons.values())
    if loaded + rejected != raw.rows_read:  # the central invariant: nothing lost
        raise AssertionError(
            f"{raw.name}: {raw.rows_read} rows read but {loaded} loaded + {rejected} rejected")
    con.execute(
        "INSERT INTO files (file_id, table_kind, name, location, kind, sha256, loaded_at, "
        "rows_read, rows_loaded, rows_rejected, columns, options, column_map) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [file_id, table, raw.name, _location(source), raw.kind, digest, dt.datetime.now(),
         raw.rows_read, loaded, rejected, columns, options, column_map])
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
                      as_of: dt.date | None = None) -> LoadReport:
    """Load a transactions source into the workspace: a file, a ``postgresql://`` table, or a
    pandas or Polars DataFrame, Arrow table or Ibis table (read as a Parquet file is: the same
    column guessing and checks; a rejected row is numbered by its position, from 1).

    Rows dated after ``as_of`` (default: today) are rejected as in the future.
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
    raw = read_source(source, options)
    match = resolve_columns(raw.name, raw.table.column_names, TRANSACTION_FIELDS,
                            mapping.transactions if mapping else None, table=raw.table,
                            header=raw.header)
    n = raw.table.num_rows
    rejects = _Rejects(n)
    parsed: dict[str, np.ndarray] = {}
    field_by_name = {f.name: f for f in TRANSACTION_FIELDS}
    code_for = {"customer_id": "missing_customer_id", "purchase_time": "bad_date",
                "amount": "bad_amount"}
    notes: dict[str, str] = {}
    for name, column in match.columns.items():
        f = field_by_name[name]
        result = _parse(f, raw, column, options, notes)
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
                        reasons=np.where(errors == None, "", errors) if errors.dtype == object  # noqa: E711
                        else errors)
        parsed[name] = result.values
    match = replace(match, notes=notes)
    has_amount = "amount" in parsed
    if not has_amount:  # a purchase log without amounts: stored as missing, never as zero
        notes["amount"] = NO_AMOUNT_NOTE
    amount = parsed["amount"].astype(float) if has_amount else np.full(n, np.nan)
    when = parsed["purchase_time"].astype("datetime64[us]")
    if has_amount and not options.allow_refunds:
        neg = np.nan_to_num(amount, nan=0.0) < 0
        rejects.add(neg, rows=raw.rows, field_name=match.columns["amount"],
                    values=_column_text(raw, match.columns["amount"]) if neg.any() else None,
                    code="negative_amount",
                    reasons="negative amount: refunds are off (set allow_refunds = true in the "
                            "mapping options, or --refunds, to net them off)")
    limit = as_of or dt.date.today()
    limit_ts = np.datetime64(limit + dt.timedelta(days=1), "us")
    future = ~np.isnat(when) & (when >= limit_ts)
    if future.any():
        rejects.add(future, rows=raw.rows, field_name=match.columns["purchase_time"],
                    values=_column_text(raw, match.columns["purchase_time"]), code="future_date",
                    reasons=f"date after the as-of date {limit.isoformat()}")
    good = ~rejects.bad
    sources = parsed.get("source")
    canon = {
        "source_row": pa.array(raw.rows[good], type=pa.int64()),
        # a row naming no source system gets the load's own in the view _incoming_t
        "source": pa.array(sources[good].tolist(), type=pa.string()) if sources is not None
        else pa.nulls(int(good.sum()), type=pa.string()),
        "source_customer_id": pa.array(parsed["customer_id"][good].tolist(), type=pa.string()),
        "purchase_time": pa.array(when[good], type=pa.timestamp("us")),
        "amount": pa.array(amount[good], type=pa.float64()) if has_amount
        else pa.nulls(int(good.sum()), type=pa.float64()),
    }
    for name, kind in (("margin", "number"), ("cost", "number"), ("quantity", "number"),
                       ("order_id", "text"), ("order_line", "text"), ("product", "text"),
                       ("category", "text"),
                       ("channel", "text"), ("store", "text")):
        if name in parsed:
            values = parsed[name][good]
            if kind == "number":
                canon[name] = pa.array(values.astype(float), type=pa.float64(),
                                       from_pandas=True)
            else:
                canon[name] = pa.array([None if v is None else str(v) for v in values],
                                       type=pa.string())
        else:
            canon[name] = pa.nulls(int(good.sum()), type=pa.float64() if kind == "number"
                                   else pa.string())
    incoming = pa.table(canon)
    with ws.transaction() as con, _incoming_view(con, incoming, options.source) as file_id:
        if options.keep_duplicates:
            no_repeats(con)
        else:
            mark_repeats(con)
        _insert_rejects(con, rejects.table(file_id, raw.name, raw.bad_records))
        con.execute("INSERT INTO rejects SELECT ?, ?, source_row, '', NULL, 'duplicate', _reason "
                    "FROM _marks WHERE _reason IS NOT NULL", [file_id, raw.name])
        con.execute(
            "INSERT INTO transactions (file_id, source_row, source, source_customer_id, "
            "purchase_time, purchase_date, amount, margin, cost, quantity, order_id, order_line, "
            "product, category, channel, store) SELECT file_id, source_row, source, "
            "source_customer_id, purchase_time, CAST(purchase_time AS DATE), amount, margin, "
            "cost, quantity, order_id, order_line, product, category, channel, store "
            "FROM _incoming_t ANTI JOIN (SELECT source_row FROM _marks WHERE _reason IS NOT NULL) "
            "USING (source_row)")
        loaded, identical = con.execute(
            "SELECT (SELECT count(*) FROM _incoming_t) - count(_reason), "
            "count(*) - count(_reason) FROM _marks").fetchall()[0]
        reasons, rejected = _record_file(
            con, file_id=file_id, table="transactions", raw=raw, source=source, digest=digest,
            loaded=loaded, columns=match.describe(), options=fingerprint,
            column_map=_column_map(match, options))
        con.execute("DROP TABLE _marks")
    return LoadReport(file=raw.name, table="transactions", rows_read=raw.rows_read,
                      rows_loaded=loaded, rows_rejected=rejected, reasons=reasons,
                      columns=match.describe(), identical_rows_kept=identical,
                      file_id=file_id)


@contextmanager
def _incoming_view(con, incoming: pa.Table, source: str) -> Iterator[int]:
    """The incoming rows as the view ``_incoming_t`` over the Arrow table ``incoming`` (read
    where it is, not copied into a table first), with the new file's id (given to the block)
    and, for rows that name no source system, the load's ``source``."""
    file_id = con.execute("SELECT nextval('file_ids')").fetchall()[0][0]
    con.register("_incoming", incoming)
    con.register("_this_load", pa.table({"file_id": pa.array([file_id], pa.int32()),
                                         "source": pa.array([source], pa.string())}))
    columns = ", ".join("coalesce(i.source, l.source) AS source" if c == "source" else f"i.{c}"
                        for c in incoming.column_names)
    try:
        con.execute(f"CREATE OR REPLACE TEMP VIEW _incoming_t AS SELECT l.file_id, {columns} "
                    "FROM _incoming i CROSS JOIN _this_load l")
        yield file_id
        con.execute("DROP VIEW _incoming_t")
    finally:
        con.unregister("_incoming")
        con.unregister("_this_load")


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
