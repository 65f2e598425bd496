"""The cross-reference from every source customer id to the unified ``customer_id``.

Until records are linked across systems, each source id is its own customer: the unified id is
the source id itself for the default source, and ``source:id`` for any other source system, so
that the same raw id in two systems is never merged by accident. Ids already in the
cross-reference keep their unified id: linking decisions, once made, are honoured.

Linking (:func:`cvm.identity.link`, ``cvm link``) rewrites the entries of every customer-list
record with its unified id; this stage then only adds the source ids that appear in
transactions but in no customer list.
"""

from __future__ import annotations

from ..workspace import Workspace

__all__ = ["unify"]


def unify(ws: Workspace) -> int:
    """Give every source customer id seen in transactions or customer lists a unified id.

    Returns the number of ids added to the cross-reference.
    """
    with ws.transaction() as con:
        before = con.execute("SELECT count(*) FROM xref").fetchall()[0][0]
        con.execute(
            """
            INSERT INTO xref
            SELECT source, source_customer_id,
                   CASE WHEN source = 'default' THEN source_customer_id
                        ELSE source || ':' || source_customer_id END,
                   'identity', now()::TIMESTAMP
            FROM (SELECT DISTINCT source, source_customer_id FROM transactions
                  UNION SELECT DISTINCT source, source_customer_id FROM source_customers) s
            WHERE NOT EXISTS (SELECT 1 FROM xref x WHERE x.source = s.source
                              AND x.source_customer_id = s.source_customer_id)
            """
        )
        after = con.execute("SELECT count(*) FROM xref").fetchall()[0][0]
    return after - before
