"""One customer's 360° view: golden record, source records, transactions, scores and segment
history.

A customer is found by unified id, by any of its source ids (``source:id`` or a bare id), or by
an id that was merged into it. The score and segment history reads each complete run's
``run_<id>_customers`` table, under the customer's id and the ids merged into it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import CvmError
from ..workspace import Workspace

__all__ = ["CustomerView", "customer_view", "CustomerNotFound"]

_SCORE_COLUMNS = ("rfm_cell", "rfm_segment_label", "abc_class", "monetary_total",
                  "lifecycle_stage", "value_quadrant", "clv", "probability_alive")


class CustomerNotFound(CvmError, LookupError):
    """No customer has this id."""


@dataclass
class CustomerView:
    customer_id: str
    golden: dict | None
    records: list[dict]
    transactions: dict
    history: list[dict] = field(default_factory=list)
    merged_ids: list[str] = field(default_factory=list)
    #: the latest purchases, newest first (as many as asked for)
    purchases: list[dict] = field(default_factory=list)


class _Reader:
    """Queries on the workspace: under its lock, or on a cursor of the caller's (a reader on
    another thread reads through its own cursor, and does not wait for a run writing)."""

    def __init__(self, ws: Workspace, cursor=None):
        self.ws, self.cursor = ws, cursor

    def query(self, sql: str, params: list) -> list[tuple]:
        if self.cursor is not None:
            return self.cursor.execute(sql, params).fetchall()
        return self.ws.query(sql, params)

    def dicts(self, sql: str, params: list) -> list[dict]:
        if self.cursor is not None:
            cur = self.cursor.execute(sql, params)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row)) for row in cur.fetchall()]
        with self.ws._lock:
            cur = self.ws.con.execute(sql, params)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row)) for row in cur.fetchall()]

    def has_table(self, name: str) -> bool:
        return bool(self.query("SELECT 1 FROM information_schema.tables WHERE table_name = ?",
                               [name]))


def _resolve(db: _Reader, ident: str) -> str:
    rows = db.query("SELECT DISTINCT customer_id FROM xref WHERE customer_id = ?", [ident])
    if rows:
        return rows[0][0]
    source, _, sid = ident.partition(":")
    if sid:
        rows = db.query("SELECT customer_id FROM xref WHERE source = ? AND source_customer_id = ?",
                        [source, sid])
        if rows:
            return rows[0][0]
    rows = db.query("SELECT DISTINCT customer_id FROM xref WHERE source_customer_id = ?", [ident])
    if len(rows) == 1:
        return rows[0][0]
    if len(rows) > 1:
        raise CustomerNotFound(f"{ident!r} is an id in several sources; write it as source:id "
                               f"({', '.join(sorted(r[0] for r in rows))})")
    if db.has_table("identity_events"):
        rows = db.query("SELECT customer_id FROM identity_events WHERE event = 'merge' AND "
                        "other_id = ? ORDER BY link_id DESC LIMIT 1", [ident])
        if rows:
            return _resolve(db, rows[0][0])
    close = _close_ids(db, sid or ident)
    raise CustomerNotFound(f"no customer {ident!r} in workspace {db.ws.path}"
                           + (f"; did you mean {' or '.join(map(repr, close))}?" if close else ""))


def _close_ids(db: _Reader, ident: str, limit: int = 5) -> list[str]:
    """Ids that differ from ``ident`` only by leading zeros, letter case or surrounding spaces
    (``1`` → ``00001``, ``c001`` → ``C001``), as unified ids or as source ids."""
    key = "ltrim(lower(trim({})), '0')"
    rows = db.query(
        f"SELECT DISTINCT id FROM (SELECT customer_id AS id FROM xref WHERE "
        f"{key.format('customer_id')} = {key.format('?')} UNION ALL "
        f"SELECT source || ':' || source_customer_id FROM xref WHERE "
        f"{key.format('source_customer_id')} = {key.format('?')} AND "
        f"source_customer_id <> customer_id) ORDER BY id LIMIT {limit}", [ident, ident])
    return [r[0] for r in rows if r[0] != ident]


def customer_view(ws: Workspace, ident: str, *, history_columns: tuple[str, ...] = _SCORE_COLUMNS,
                  last_runs: int | None = None, recent_purchases: int = 0,
                  cursor=None) -> CustomerView:
    """The 360° view of the customer ``ident`` names.

    ``history_columns`` are the run columns the history shows (those a run has), over the last
    ``last_runs`` complete runs (all by default); ``recent_purchases`` the number of latest
    purchases listed. ``cursor``: a cursor on the workspace to read through instead of the
    workspace's own connection.
    """
    db = _Reader(ws, cursor)
    cid = _resolve(db, ident)
    merged = []
    if db.has_table("identity_events"):
        merged = [r[0] for r in db.query(
            "SELECT DISTINCT other_id FROM identity_events WHERE event = 'merge' AND "
            "customer_id = ? ORDER BY 1", [cid])]
    golden = None
    if db.has_table("identity_golden"):
        rows = db.dicts("SELECT * FROM identity_golden WHERE customer_id = ?", [cid])
        golden = rows[0] if rows else None
    # every source id linked to the customer, with its customer record when a list gave one
    records = db.dicts("""
        SELECT x.source, x.source_customer_id,
               s.* EXCLUDE (source, source_customer_id, file_id, source_row), x.method,
               f.name AS file
        FROM xref x LEFT JOIN source_customers s USING (source, source_customer_id)
        LEFT JOIN files f ON f.file_id = s.file_id
        WHERE x.customer_id = ? ORDER BY x.source, x.source_customer_id""", [cid])
    tx = db.dicts("""
        SELECT count(*) AS transactions, count(DISTINCT purchase_date) AS purchase_days,
               min(purchase_date) AS first_purchase, max(purchase_date) AS last_purchase,
               sum(amount) AS total_amount, avg(amount) AS average_amount,
               string_agg(DISTINCT source, ', ' ORDER BY source) AS sources
        FROM unified_transactions WHERE customer_id = ?""", [cid])[0]
    purchases = db.dicts(
        "SELECT purchase_time, purchase_date, amount, quantity, order_id, product, category, "
        "channel, store, source FROM unified_transactions WHERE customer_id = ? "
        f"ORDER BY purchase_time DESC LIMIT {int(recent_purchases)}",
        [cid]) if recent_purchases > 0 else []
    history = []
    ids = [cid, *merged]
    marks = ", ".join("?" for _ in ids)
    runs = db.query("SELECT run_id, as_of FROM runs WHERE status = 'complete' ORDER BY run_id",
                    [])
    for run_id, as_of in runs[-last_runs:] if last_runs else runs:
        table = Workspace.run_table(run_id, "customers")
        if not db.has_table(table):
            continue
        available = {r[0] for r in db.query(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table])}
        cols = [c for c in history_columns if c in available]
        if not cols:
            continue
        rows = db.dicts(f'SELECT customer_id, {", ".join(cols)} FROM "{table}" '
                        f"WHERE customer_id IN ({marks})", ids)
        for row in sorted(rows, key=lambda r: ids.index(r["customer_id"])):
            history.append({"run_id": run_id, "as_of": as_of, **row})
    return CustomerView(cid, golden, records, tx, history, merged, purchases)
