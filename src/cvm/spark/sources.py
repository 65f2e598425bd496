"""Transactions that a Spark cluster reads itself: no copy through DuckDB or the driver.

A Spark source is one of

- a Parquet or CSV path or glob (``s3://bucket/sales/*.parquet``, ``/data/sales.csv``, a folder of
  Parquet part files), read by the executors;
- ``table:NAME``: a table or view in the session's catalog (``table:sales.orders``);
- a PySpark DataFrame, or an Ibis table on the PySpark backend, in the caller's own session.

:func:`spark_transactions` maps its columns to the canonical transaction fields the way a load
into the workspace does (:func:`cvm.ingest.columns.resolve_columns`: a mapping file's columns
exactly, else guessed from the headers) and applies the same row checks, as Spark expressions on
the executors: a missing customer id, an unreadable date, an amount that is not a number, a
negative amount while refunds are off, a date after the as-of date. Only the counts of rejected
rows per reason reach the driver.

What differs from a load into the workspace (:func:`cvm.ingest.load.load_transactions`):

- rejected rows are counted per reason, not listed row by row (no ``rejects.csv`` rows);
- dates in text are read in the ISO forms, ``yyyyMMdd``, ``yyyy/MM/dd`` and ``dd/MM/yyyy`` or
  ``MM/dd/yyyy`` (``--dayfirst``); the day/month order is not decided from the values;
- numbers in text may carry currency signs and thousands commas; decimal commas are not read;
- ids are trimmed, inner whitespace collapsed and Excel's ``.0`` undone, without folding
  full-width characters;
- repeated order lines and rows loaded before are not rejected (nothing is stored between runs);
- CSV files must have a header row (whitespace-separated text and Excel are not read by Spark).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..engine import TRANSACTION_COLUMNS
from ..errors import CvmError
from ..ingest.columns import resolve_columns
from ..ingest.parsed_column import MISSING_TOKENS
from ..schema import TRANSACTION_FIELDS
from .batches import spark_frame

__all__ = ["SparkSourceError", "SparkSource", "is_spark_source", "is_spark_path",
           "spark_transactions", "source_label"]

_TABLE_PREFIX = "table:"
_names = itertools.count(1)


class SparkSourceError(CvmError, ValueError):
    """A source given to the Spark engine cannot be read there; the message says why."""


@dataclass
class SparkSource:
    """Canonical transactions on the Spark engine and what the checks found."""

    #: customer_id, purchase_date, amount, margin, cost, category (an Ibis table on Spark)
    table: Any
    name: str
    rows_read: int
    rows_loaded: int
    reasons: dict[str, int]
    columns: str

    @property
    def rows_rejected(self) -> int:
        return self.rows_read - self.rows_loaded


def _is_frame(source) -> bool:
    try:
        from pyspark.sql import DataFrame
    except ImportError:  # pragma: no cover - depends on the install
        return False
    return isinstance(source, DataFrame)


def _is_spark_ibis(source) -> bool:
    try:
        import ibis.expr.types as ir
    except ImportError:  # pragma: no cover
        return False
    if not isinstance(source, ir.Table):
        return False
    try:
        return source._find_backend().name == "pyspark"
    except Exception:  # noqa: BLE001 - an in-memory table has no backend
        return False


def is_spark_source(source) -> bool:
    """Whether ``source`` is read by Spark itself: ``table:NAME``, a Spark DataFrame or an Ibis
    table on Spark (a path is a Spark source only when the engine is Spark)."""
    return (isinstance(source, str) and source.startswith(_TABLE_PREFIX)) or _is_frame(source) \
        or _is_spark_ibis(source)


def source_label(source) -> str:
    """How a source is named in the run's record."""
    if isinstance(source, str):
        return source
    if _is_frame(source):
        return "Spark DataFrame"
    return "Ibis table on Spark"


def _read(session, source):
    """The source as a DataFrame, read by the cluster."""
    if _is_frame(source):
        return source
    if _is_spark_ibis(source):
        return spark_frame(source)
    text = str(source)
    if text.startswith(_TABLE_PREFIX):
        name = text[len(_TABLE_PREFIX):].strip()
        if not name:
            raise SparkSourceError("table: needs a table name, e.g. table:sales.orders")
        if not session.catalog.tableExists(name):
            raise SparkSourceError(f"there is no table {name!r} in the Spark session's catalog")
        return session.table(name)
    lower = text.lower().rstrip("/")
    try:
        if lower.endswith((".csv", ".csv.gz", ".tsv", ".tsv.gz")):
            sep = "\t" if ".tsv" in lower else ","
            return session.read.csv(text, header=True, sep=sep, inferSchema=False)
        if lower.endswith(".parquet") or "." not in lower.rsplit("/", 1)[-1]:
            return session.read.parquet(text)
    except Exception as exc:  # noqa: BLE001 - Spark's AnalysisException names the path
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SparkSourceError(f"Spark cannot read {text}: {first}") from None
    raise SparkSourceError(
        f"{text}: the Spark engine reads Parquet (a file, a folder of part files or a glob) "
        "and CSV with a header row (.csv, .tsv); load other files with --engine duckdb")


def _sql_list(values) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in sorted(values))


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _id_expr(column: str, kind: str) -> tuple[str, str]:
    """(the cleaned id, the condition that rejects it) as Spark SQL."""
    c = f"regexp_replace(trim(CAST({_quoted(column)} AS STRING)), '\\\\s+', ' ')"
    value = f"regexp_replace({c}, '^([0-9]+)\\\\.0$', '$1')"
    missing = f"({c} IS NULL OR lower({c}) IN ({_sql_list(MISSING_TOKENS)}))"
    scientific = f"{c} RLIKE '^[0-9]+(\\\\.[0-9]+)?[eE][+]?[0-9]+$'"
    return value, f"({missing} OR {scientific})"


_DATE_FORMATS = ("yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm",
                 "yyyy-MM-dd", "yyyyMMdd", "yyyy/MM/dd HH:mm:ss", "yyyy/MM/dd", "yyyy/M/d",
                 "yyyy.MM.dd", "yyyy-M-d")


def _date_expr(column: str, kind: str, dayfirst: bool | None) -> str:
    """The purchase date as Spark SQL (null when it cannot be read)."""
    c = _quoted(column)
    if kind in ("date",):
        return c
    if kind.startswith("timestamp"):
        return f"to_date({c})"
    text = f"trim(CAST({c} AS STRING))"
    local = ("dd/MM/yyyy", "d/M/yyyy", "dd.MM.yyyy") if dayfirst else ("MM/dd/yyyy", "M/d/yyyy",
                                                                       "dd.MM.yyyy")
    tries = ", ".join("try_to_timestamp({}, '{}')".format(text, f.replace("'", "\\'"))
                      for f in (*_DATE_FORMATS, *local))
    return f"to_date(coalesce({tries}))"


def _number_expr(column: str, kind: str) -> tuple[str, str]:
    """(the number, whether a value was given) as Spark SQL."""
    c = _quoted(column)
    if kind in ("double", "float", "int", "bigint", "smallint", "tinyint") \
            or kind.startswith("decimal"):
        return f"CAST({c} AS DOUBLE)", f"{c} IS NOT NULL"
    text = f"trim(CAST({c} AS STRING))"
    given = f"({text} IS NOT NULL AND lower({text}) NOT IN ({_sql_list(MISSING_TOKENS)}))"
    cleaned = f"regexp_replace({text}, '[,\\\\s$€£¥￥]', '')"
    return f"try_cast({cleaned} AS DOUBLE)", given


def _text_expr(column: str) -> str:
    text = f"trim(CAST({_quoted(column)} AS STRING))"
    return f"CASE WHEN {text} = '' THEN NULL ELSE {text} END"


def spark_transactions(engine, source, *, mapping=None, options=None,
                       as_of: dt.date | None = None) -> SparkSource:
    """The canonical transactions of ``source`` on the Spark ``engine`` (see the module
    documentation), with the rows that fail the checks left out and counted per reason."""
    from ..config import IngestOptions

    options = options or (mapping.options if mapping else IngestOptions())
    session = engine.backend._session
    frame = _read(session, source)
    name = source_label(source)
    kinds = dict(frame.dtypes)
    match = resolve_columns(name, list(frame.columns), TRANSACTION_FIELDS,
                            mapping.transactions if mapping else None)
    cols = match.columns
    select: dict[str, str] = {}
    checks: list[tuple[str, str]] = []  # (reject code, condition), in the load's order
    cid, cid_bad = _id_expr(cols["customer_id"], kinds[cols["customer_id"]])
    checks.append(("missing_customer_id", cid_bad))
    date = _date_expr(cols["purchase_time"], kinds[cols["purchase_time"]], options.dayfirst)
    checks.append(("bad_date", f"({date}) IS NULL"))
    if "amount" in cols:
        amount, _ = _number_expr(cols["amount"], kinds[cols["amount"]])
        checks.append(("bad_amount", f"({amount}) IS NULL"))
    else:  # a purchase log without amounts
        amount = "CAST(NULL AS DOUBLE)"
    for field in ("margin", "cost"):
        if field in cols:
            value, given = _number_expr(cols[field], kinds[cols[field]])
            checks.append(("bad_value", f"({given} AND ({value}) IS NULL)"))
            select[field] = value
        else:
            select[field] = "CAST(NULL AS DOUBLE)"
    if "amount" in cols and not options.allow_refunds:
        checks.append(("negative_amount", f"({amount}) < 0"))
    limit = as_of or dt.date.today()
    checks.append(("future_date", f"({date}) > DATE '{limit.isoformat()}'"))
    source_name = options.source
    if "source" in cols:
        src = f"coalesce({_text_expr(cols['source'])}, '{source_name}')"
        cid = f"CASE WHEN {src} = 'default' THEN {cid} ELSE concat({src}, ':', {cid}) END"
    elif source_name != "default":
        cid = f"concat('{source_name.replace(chr(39), chr(39) * 2)}:', {cid})"
    reject = "CASE " + " ".join(f"WHEN {cond} THEN '{code}'" for code, cond in checks) \
        + " ELSE NULL END"
    category = _text_expr(cols["category"]) if "category" in cols else "CAST(NULL AS STRING)"
    exprs = {"customer_id": cid, "purchase_date": f"CAST({date} AS DATE)",
             "amount": amount, "margin": select["margin"], "cost": select["cost"],
             "category": category, "_reject": reject}
    checked = frame.selectExpr(*(f"{e} AS {n}" for n, e in exprs.items()))
    counts = {r["_reject"]: int(r["n"]) for r in
              checked.groupBy("_reject").count().withColumnRenamed("count", "n").collect()}
    read = sum(counts.values())
    loaded = counts.pop(None, 0)
    good = checked.where("_reject IS NULL").select(*TRANSACTION_COLUMNS)
    view = f"cvm_spark_source_{next(_names)}"
    good.createOrReplaceTempView(view)
    return SparkSource(engine.backend.table(view), name, read, loaded, counts, match.describe())


def is_spark_path(source) -> bool:
    """Whether a path (or glob) names files the Spark engine reads itself: Parquet (a file, a
    folder of part files) or CSV/TSV with a header row."""
    if not isinstance(source, (str, Path)):
        return False
    text = str(source)
    if "://" in text and text.split("://", 1)[0] in ("postgresql", "postgres"):
        return False
    lower = text.lower().rstrip("/")
    last = lower.rsplit("/", 1)[-1]
    return lower.endswith((".parquet", ".csv", ".csv.gz", ".tsv", ".tsv.gz")) or "." not in last
