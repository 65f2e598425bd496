"""The customer list's fields per unified customer: name, contacts, city, owner, sign-up date
and, where a list gives them, the credit fields.

Across the linked records of one customer, any name or contact serves, the earliest sign-up
date counts, and for credit the most cautious value wins: the lowest score, the most late
payments and defaults, the highest use of the credit limit.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from ..schema import CREDIT_FIELDS
from ..workspace import Workspace

__all__ = ["LIST_FIELDS", "attributes_on_engine", "credit_fields", "customer_attributes",
           "prospects_sql", "with_attributes"]

#: The list fields every run carries (credit fields travel only when a list gives them).
LIST_FIELDS = ("name", "phone", "email", "city", "owner", "signup_date")

_AGGREGATE = {"name": "any_value(s.name)", "phone": "any_value(s.phone)",
              "email": "any_value(s.email)", "city": "any_value(s.city)",
              "owner": "any_value(s.owner)", "signup_date": "min(s.signup_date)",
              "credit_score": "min(s.credit_score)", "late_payments": "max(s.late_payments)",
              "defaults": "max(s.defaults)", "credit_limit_use": "max(s.credit_limit_use)"}


def credit_fields(ws: Workspace) -> list[str]:
    """The credit fields that some loaded customer list gives."""
    return [c for c in CREDIT_FIELDS
            if ws.query(f"SELECT count({c}) FROM source_customers")[0][0] > 0]


def _attributes_sql(fields, where: str = "") -> str:
    selected = ", ".join(f"{_AGGREGATE[f]} AS {f}" for f in fields)
    return (f"SELECT x.customer_id, {selected} "
            "FROM source_customers s JOIN xref x USING (source, source_customer_id) "
            f"{where} GROUP BY x.customer_id")


def customer_attributes(ws: Workspace, *, without_purchase_by: dt.date) -> pa.Table:
    """The list fields of the customers in the list without any purchase on or before
    ``without_purchase_by`` (the prospects), ordered by id."""
    sql = prospects_sql(ws, without_purchase_by)
    if sql is None:
        return pa.table({"customer_id": pa.array([], pa.string())})
    return ws.arrow(sql + " ORDER BY x.customer_id")


def prospects_sql(ws: Workspace, as_of: dt.date) -> str | None:
    """The query of :func:`customer_attributes` (without its order); None without a customer
    list."""
    if ws.count("source_customers") == 0:
        return None
    where = ("WHERE x.customer_id NOT IN (SELECT DISTINCT customer_id FROM unified_transactions "
             f"WHERE purchase_date <= DATE '{as_of.isoformat()}')")
    return _attributes_sql(LIST_FIELDS, where)


def with_attributes(ws: Workspace, customers: pa.Table) -> pa.Table:
    """``customers`` (ordered by ``value_rank``) with the list fields added, where a customer
    list was loaded."""
    if ws.count("source_customers") == 0:
        return customers
    fields = [*LIST_FIELDS, *credit_fields(ws)]
    # the attribute query always carries the credit aggregates it may need: the same plan
    # whichever fields travel
    attrs = _attributes_sql([*LIST_FIELDS, *CREDIT_FIELDS])
    ws.con.register("_cust", customers)
    try:
        return ws.arrow(f"WITH attrs AS ({attrs}) SELECT c.*, "
                        + ", ".join(f"a.{f}" for f in fields)
                        + " FROM _cust c LEFT JOIN attrs a USING (customer_id) "
                        "ORDER BY c.value_rank")
    finally:
        ws.con.unregister("_cust")


def attributes_on_engine(ws: Workspace, engine, customers):
    """:func:`with_attributes` for a customer table on an engine (an Ibis table): the list
    fields are read from the workspace (:meth:`cvm.engine.Engine.workspace_query`) and joined
    there."""
    if ws.count("source_customers") == 0:
        return customers
    fields = [*LIST_FIELDS, *credit_fields(ws)]
    attrs = engine.workspace_query(ws, _attributes_sql(fields), "cvm_customer_attributes")
    joined = customers.left_join(attrs, "customer_id")
    return joined.select(*customers.columns, *fields)
