"""Rows that repeat other rows: which are kept, which are rejected, and why.

A row *repeats* another when every field is the same (customer, time, amount, margin, cost,
quantity, order id and line, product, category, channel, store and source system; empty equals
empty). Without an order id, an identical row cannot be told from a second real purchase (the
same customer buying the same thing for the same amount on the same day: the CDNOW file has 255
such rows), so it is **kept** and counted. A repeat is rejected only when

* it carries an order id: the same order line given twice is one line (``duplicate of row 2:
  the same line of order 1001``); or
* it was already loaded: the rows of a new file are matched to the rows in the workspace as a
  *multiset*. A row given k times in the file and m times in the workspace adds k − m rows when
  k > m and none otherwise, so loading a file again adds nothing and an overlapping export adds
  only its new rows, identical purchases included (``duplicate: already loaded from jan.csv row
  4`` names the row it stands for).

The work is set-based SQL over the incoming rows (``_incoming_t``): rows are first grouped by a
hash of the whole row, and only the rows whose hash repeats (the repeats, and in theory a hash
collision) are numbered within their group of equal rows by a window; the copies already stored
are counted by a join with the workspace, skipped when the workspace is empty. Only the rows
that repeat something are written down (``_marks``); a load inserts the incoming rows without
the rejected ones.
"""

from __future__ import annotations

__all__ = ["KEY", "mark_repeats", "no_repeats"]

KEY = ("source", "source_customer_id", "purchase_time", "amount", "margin", "cost", "quantity",
       "order_id", "order_line", "product", "category", "channel", "store")
"""The fields that make two rows the same row."""


def mark_repeats(con) -> None:
    """Write ``_marks``: the rows of ``_incoming_t`` that repeat another row, with the reason
    when the repeat is rejected (``_reason``) or ``NULL`` when it is kept as an identical row.

    Rows that repeat nothing are not in ``_marks``, so the incoming rows are never rewritten.
    """
    key = ", ".join(KEY)
    same = " AND ".join(f"i.{c} IS NOT DISTINCT FROM t.{c}" for c in KEY)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _copies AS "
        f"WITH hashed AS (SELECT source_row, hash({key}) AS _hash FROM _incoming_t), "
        "repeated AS (SELECT _hash FROM hashed GROUP BY _hash HAVING count(*) > 1) "
        "SELECT source_row, order_id, "
        f"row_number() OVER (PARTITION BY {key} ORDER BY source_row) AS _copy, "
        f"min(source_row) OVER (PARTITION BY {key}) AS _first_row FROM _incoming_t "
        "WHERE source_row IN (SELECT source_row FROM hashed SEMI JOIN repeated USING (_hash))")
    # Copies already in the workspace, in load order; a first load skips the join (which costs
    # about as much as the grouping above even when the workspace holds nothing).
    empty = not con.execute("SELECT EXISTS (SELECT 1 FROM transactions)").fetchall()[0][0]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _stored AS SELECT i.source_row, any_value(i.order_id) "
        "AS order_id, count(*) AS _stored, "
        "list(f.name || ' row ' || t.source_row ORDER BY t.file_id, t.source_row) AS _originals "
        f"FROM _incoming_t i JOIN transactions t ON {same} JOIN files f ON f.file_id = t.file_id "
        + ("WHERE false " if empty else "") + "GROUP BY i.source_row")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _marks AS "
        "WITH numbered AS (SELECT source_row, coalesce(c._copy, 1) AS _copy, c._first_row, "
        "coalesce(s._stored, 0) AS _stored, s._originals, "
        "coalesce(c.order_id, s.order_id) AS order_id "
        "FROM _copies c FULL JOIN _stored s USING (source_row)) "
        "SELECT source_row, CASE WHEN _copy <= _stored THEN 'duplicate: already loaded from ' "
        "|| _originals[_copy] WHEN order_id IS NOT NULL THEN 'duplicate of row ' "
        "|| _first_row || ': the same line of order ' || order_id END AS _reason "
        "FROM numbered WHERE _copy > 1 OR _stored > 0")
    con.execute("DROP TABLE _copies")
    con.execute("DROP TABLE _stored")


def no_repeats(con) -> None:
    """Keep every incoming row (``keep_duplicates``): nothing is compared, nothing marked."""
    con.execute("CREATE OR REPLACE TEMP TABLE _marks (source_row BIGINT, _reason VARCHAR)")
