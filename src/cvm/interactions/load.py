"""Loading a service log: contacts with customers (calls, branch visits, web and app messages,
e-mails), losing none.

As for transactions (:mod:`cvm.ingest.load`): the same readers (CSV, Excel, JSON lines, Parquet,
PostgreSQL, in-memory tables), the same column guessing (English and Chinese headers, the
fields in :data:`~cvm.interactions.vocabulary.INTERACTION_FIELDS`) and the same rejects table:
every row read ends either in ``interactions`` or in ``rejects`` with its file, row, field,
value and reason, so ``rows_read = rows_loaded + rows_rejected``. A row is rejected when it has
no customer id (``missing_customer_id``), no readable time (``bad_date``), a time after the
as-of date (``future_date``), no kind or one the vocabulary does not know (``unknown_kind``), or
a channel it does not know (``unknown_channel``; an empty channel is kept as unknown). The same
file loaded twice adds nothing. Identical rows are kept: two calls in the same minute about
the same thing happen.

The workspace table (made on the first load)::

    interactions(file_id, source_row, source, source_customer_id, interaction_time,
                 interaction_date, channel, kind, outcome, note)

and the view ``unified_interactions`` adds the unified ``customer_id`` through the customer
cross-reference, as ``unified_transactions`` does.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..config import IngestOptions
from ..ingest.columns import resolve_columns
from ..ingest.load import (
    LoadReport,
    _column_map,
    _column_text,
    _insert_rejects,
    _parse,
    _record_file,
    _Rejects,
    _sha256,
)
from ..ingest.readers import read_source
from ..workspace import Workspace
from .vocabulary import CHANNELS, INTERACTION_FIELDS, KINDS, channel_key, kind_key

__all__ = ["load_interactions", "ensure_tables", "has_interactions", "TABLE_KIND"]

#: the ``table_kind`` of a service log in the workspace's ``files`` table
TABLE_KIND = "interactions"

_DDL = """
CREATE TABLE IF NOT EXISTS interactions (
    file_id INTEGER, source_row BIGINT, source VARCHAR, source_customer_id VARCHAR,
    interaction_time TIMESTAMP, interaction_date DATE, channel VARCHAR, kind VARCHAR,
    outcome VARCHAR, note VARCHAR);
CREATE OR REPLACE VIEW unified_interactions AS
    SELECT coalesce(x.customer_id, CASE WHEN i.source = 'default' THEN i.source_customer_id
                                        ELSE i.source || ':' || i.source_customer_id END)
           AS customer_id, i.*
    FROM interactions i
    LEFT JOIN xref x ON x.source = i.source AND x.source_customer_id = i.source_customer_id;
"""


def ensure_tables(con) -> None:
    """Make the ``interactions`` table and the ``unified_interactions`` view if missing."""
    con.execute(_DDL)


def has_interactions(con) -> bool:
    """Whether the workspace (a DuckDB connection or cursor) holds a service log."""
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'interactions'"
    ).fetchall()[0][0])


def _vocabulary_rejects(rejects: _Rejects, raw, column: str, values: np.ndarray, kind: str,
                        required: bool) -> np.ndarray:
    """Map the written values to keys (each distinct value once); reject what the vocabulary
    does not know, and a missing value when the field is ``required``."""
    lookup = channel_key if kind == "channel" else kind_key
    distinct = {v: lookup(v) for v in set(values.tolist())}
    keys = np.array([distinct[v] for v in values], dtype=object)
    unknown = np.array([k is None and (v is not None or required)
                        for k, v in zip(keys, values)], dtype=bool)
    if unknown.any():
        text = _column_text(raw, column)
        known = ", ".join(CHANNELS if kind == "channel" else KINDS)
        reasons = np.full(len(values), None, dtype=object)
        for i in np.flatnonzero(unknown):
            shown = text[i] if text[i] is None else str(text[i])[:40]
            reasons[i] = (f"no {kind}" if values[i] is None else f"unknown {kind} {shown!r}") \
                + f" (known: {known}, or as in docs/interactions.md)"
        rejects.add(unknown, rows=raw.rows, field_name=column, values=text,
                    code=f"unknown_{kind}", reasons=reasons)
    return keys


def load_interactions(ws: Workspace, source, *, columns: dict[str, str | int] | None = None,
                      options: IngestOptions | None = None,
                      as_of: dt.date | None = None) -> LoadReport:
    """Load a service log into the workspace (a file, a ``postgresql://`` table or an
    in-memory table); ``columns`` names the source column of each field (as a mapping file's
    section does) instead of guessing. Rows dated after ``as_of`` (default: today) are
    rejected as in the future."""
    options = options or IngestOptions()
    fingerprint = json.dumps({"options": asdict(options), "mapping": columns,
                              "as_of": str(as_of)}, sort_keys=True, default=str)
    digest = _sha256(source)
    with ws.transaction() as con:
        ensure_tables(con)
    if digest is not None:
        known = ws.find_file(TABLE_KIND, digest, fingerprint)
        if known is not None:
            name = Path(str(source)).name
            return LoadReport(
                file=name, table=TABLE_KIND, rows_read=0, rows_loaded=0, rows_rejected=0,
                skipped=True, file_id=known["file_id"],
                message=(f"{name}: same content already loaded on "
                         f"{known['loaded_at']:%Y-%m-%d %H:%M} as {known['name']}; nothing added"))
    raw = read_source(source, options)
    match = resolve_columns(raw.name, raw.table.column_names, INTERACTION_FIELDS, columns,
                            header=raw.header)
    rejects = _Rejects(raw.table.num_rows)
    field_by_name = {f.name: f for f in INTERACTION_FIELDS}
    code_for = {"customer_id": "missing_customer_id", "interaction_time": "bad_date"}
    parsed: dict[str, np.ndarray] = {}
    notes: dict[str, str] = {}
    # the checks in order: id, time, then kind and channel (the first problem of a row wins)
    for name in ("customer_id", "interaction_time"):
        column = match.columns[name]
        result = _parse(field_by_name[name], raw, column, options, notes)
        if (~result.ok).any():
            rejects.add(~result.ok, rows=raw.rows, field_name=column,
                        values=_column_text(raw, column), code=code_for[name],
                        reasons=result.errors)
        parsed[name] = result.values
    for name in ("channel", "kind", "outcome", "note", "source"):
        if name in match.columns:
            parsed[name] = _parse(field_by_name[name], raw, match.columns[name], options,
                                  notes).values
    match = replace(match, notes=notes)
    when = parsed["interaction_time"].astype("datetime64[us]")
    limit = as_of or dt.date.today()
    future = ~np.isnat(when) & (when >= np.datetime64(limit + dt.timedelta(days=1), "us"))
    kinds = _vocabulary_rejects(rejects, raw, match.columns["kind"], parsed["kind"], "kind",
                                required=True)
    n = raw.table.num_rows
    channels = np.full(n, None, dtype=object)
    if "channel" in parsed:
        channels = _vocabulary_rejects(rejects, raw, match.columns["channel"], parsed["channel"],
                                       "channel", required=False)
    if future.any():
        column = match.columns["interaction_time"]
        rejects.add(future, rows=raw.rows, field_name=column, values=_column_text(raw, column),
                    code="future_date", reasons=f"date after the as-of date {limit.isoformat()}")
    good = ~rejects.bad
    count = int(good.sum())
    sources = parsed.get("source")
    source_col = (np.where(sources[good] == None, options.source, sources[good])  # noqa: E711
                  if sources is not None else np.full(count, options.source, dtype=object))

    def text(name: str, values: np.ndarray | None = None) -> pa.Array:
        values = parsed.get(name) if values is None else values
        if values is None:
            return pa.nulls(count, pa.string())
        return pa.array([None if v is None else str(v) for v in values[good]], pa.string())

    incoming = pa.table({
        "source_row": pa.array(raw.rows[good], pa.int64()),
        "source": pa.array(source_col.tolist(), pa.string()),
        "source_customer_id": text("customer_id"),
        "interaction_time": pa.array(when[good], pa.timestamp("us")),
        "channel": text("channel", channels), "kind": text("kind", kinds),
        "outcome": text("outcome"), "note": text("note"),
    })
    with ws.transaction() as con:
        file_id = con.execute("SELECT nextval('file_ids')").fetchall()[0][0]
        _insert_rejects(con, rejects.table(file_id, raw.name, raw.bad_records))
        con.register("_interactions_in", incoming)
        con.execute(
            "INSERT INTO interactions SELECT ?, source_row, source, source_customer_id, "
            "interaction_time, CAST(interaction_time AS DATE), channel, kind, outcome, note "
            "FROM _interactions_in", [file_id])
        con.unregister("_interactions_in")
        reasons, rejected = _record_file(
            con, file_id=file_id, table=TABLE_KIND, raw=raw, source=source, digest=digest,
            loaded=count, columns=match.describe(), options=fingerprint,
            column_map=_column_map(match, options))
    return LoadReport(file=raw.name, table=TABLE_KIND, rows_read=raw.rows_read,
                      rows_loaded=count, rows_rejected=rejected, reasons=reasons,
                      columns=match.describe(), file_id=file_id)
