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


def _resolve(ws: Workspace, ident: str) -> str:
    rows = ws.query("SELECT DISTINCT customer_id FROM xref WHERE customer_id = ?", [ident])
    if rows:
        return rows[0][0]
    source, _, sid = ident.partition(":")
    if sid:
        rows = ws.query("SELECT customer_id FROM xref WHERE source = ? AND source_customer_id = ?",
                        [source, sid])
        if rows:
            return rows[0][0]
    rows = ws.query("SELECT DISTINCT customer_id FROM xref WHERE source_customer_id = ?", [ident])
    if len(rows) == 1:
        return rows[0][0]
    if len(rows) > 1:
        raise CustomerNotFound(f"{ident!r} is an id in several sources; write it as source:id "
                               f"({', '.join(sorted(r[0] for r in rows))})")
    if _has_table(ws, "identity_events"):
        rows = ws.query("SELECT customer_id FROM identity_events WHERE event = 'merge' AND "
                        "other_id = ? ORDER BY link_id DESC LIMIT 1", [ident])
        if rows:
            return _resolve(ws, rows[0][0])
    close = _close_ids(ws, sid or ident)
    raise CustomerNotFound(f"no customer {ident!r} in workspace {ws.path}"
                           + (f"; did you mean {' or '.join(map(repr, close))}?" if close else ""))


def _close_ids(ws: Workspace, ident: str, limit: int = 5) -> list[str]:
    """Ids that differ from ``ident`` only by leading zeros, letter case or surrounding spaces
    (``1`` → ``00001``, ``c001`` → ``C001``), as unified ids or as source ids."""
    key = "ltrim(lower(trim({})), '0')"
    rows = ws.query(
        f"SELECT DISTINCT id FROM (SELECT customer_id AS id FROM xref WHERE "
        f"{key.format('customer_id')} = {key.format('?')} UNION ALL "
        f"SELECT source || ':' || source_customer_id FROM xref WHERE "
        f"{key.format('source_customer_id')} = {key.format('?')} AND "
        f"source_customer_id <> customer_id) ORDER BY id LIMIT {limit}", [ident, ident])
    return [r[0] for r in rows if r[0] != ident]


def _has_table(ws: Workspace, name: str) -> bool:
    return bool(ws.query("SELECT 1 FROM information_schema.tables WHERE table_name = ?", [name]))


def _dicts(ws: Workspace, sql: str, params: list) -> list[dict]:
    with ws._lock:
        cur = ws.con.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]


def customer_view(ws: Workspace, ident: str) -> CustomerView:
    """The 360° view of the customer ``ident`` names."""
    cid = _resolve(ws, ident)
    merged = []
    if _has_table(ws, "identity_events"):
        merged = [r[0] for r in ws.query(
            "SELECT DISTINCT other_id FROM identity_events WHERE event = 'merge' AND "
            "customer_id = ? ORDER BY 1", [cid])]
    golden = None
    if _has_table(ws, "identity_golden"):
        rows = _dicts(ws, "SELECT * FROM identity_golden WHERE customer_id = ?", [cid])
        golden = rows[0] if rows else None
    records = _dicts(ws, """
        SELECT s.source, s.source_customer_id, s.name, s.phone, s.email, s.birth_date,
               s.national_id, s.city, s.gender, s.address, s.signup_date, s.owner, x.method,
               f.name AS file
        FROM source_customers s JOIN xref x USING (source, source_customer_id)
        LEFT JOIN files f ON f.file_id = s.file_id
        WHERE x.customer_id = ? ORDER BY s.source, s.source_customer_id""", [cid])
    tx = _dicts(ws, """
        SELECT count(*) AS transactions, count(DISTINCT purchase_date) AS purchase_days,
               min(purchase_date) AS first_purchase, max(purchase_date) AS last_purchase,
               sum(amount) AS total_amount, avg(amount) AS average_amount,
               string_agg(DISTINCT source, ', ' ORDER BY source) AS sources
        FROM unified_transactions WHERE customer_id = ?""", [cid])[0]
    history = []
    ids = [cid, *merged]
    marks = ", ".join("?" for _ in ids)
    for run in ws.runs():
        if run["status"] != "complete":
            continue
        table = ws.run_table(run["run_id"], "customers")
        if not _has_table(ws, table):
            continue
        available = {r[0] for r in ws.query(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table])}
        cols = [c for c in _SCORE_COLUMNS if c in available]
        if not cols:
            continue
        rows = _dicts(ws, f'SELECT customer_id, {", ".join(cols)} FROM "{table}" '
                          f"WHERE customer_id IN ({marks})", ids)
        for row in rows:
            history.append({"run_id": run["run_id"], "as_of": run["as_of"], **row})
    return CustomerView(cid, golden, records, tx, history, merged)
