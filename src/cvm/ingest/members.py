"""Subscription payments: the billing records of a contractual business (memberships,
subscriptions, loan instalments), kept apart from the purchases.

A file of payments has one row per payment: the member, the day it was paid and the amount,
and optionally the plan and the store (or channel) the member signed up with. Its headers may be
English or Chinese (:data:`MEMBER_HEADERS`). The payments are stored in the workspace's
``member_payments`` table, replaced by each load, where a run's cohort stage finds them
(:mod:`cvm.stages.cohorts`): cohorts of members and their retention curves.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..errors import CvmError

__all__ = ["MEMBER_HEADERS", "MEMBER_TABLE", "MemberFileError", "read_member_payments",
           "load_member_payments", "member_payments"]

#: the workspace table that holds the payments
MEMBER_TABLE = "member_payments"
#: the canonical column and the headers a file may give it
MEMBER_HEADERS = {
    "customer_id": ("member_id", "customer_id", "会员编号", "会员号"),
    "purchase_date": ("paid_on", "payment_date", "date", "扣费日期", "付款日期", "日期"),
    "amount": ("fee", "amount", "金额", "费用"),
    "plan": ("plan", "套餐", "会员类型"),
    "store": ("store", "channel", "门店", "渠道"),
}
_REQUIRED = ("customer_id", "purchase_date", "amount")


class MemberFileError(CvmError, ValueError):
    """A payments file lacks a needed column or holds an unreadable date or amount."""


def read_member_payments(path: str | Path) -> pa.Table:
    """The payments of a CSV file as a table with ``customer_id``, ``purchase_date`` (date),
    ``amount`` (float) and, when the file has them, ``plan`` and ``store``."""
    raw = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(strings_can_be_null=True))
    raw = raw.cast(pa.schema([pa.field(n, pa.string()) for n in raw.column_names]))
    found = {}
    for name, headers in MEMBER_HEADERS.items():
        for h in headers:
            if h in raw.column_names:
                found[name] = h
                break
    missing = [n for n in _REQUIRED if n not in found]
    if missing:
        wanted = "; ".join(f"{n}: one of {', '.join(MEMBER_HEADERS[n])}" for n in missing)
        raise MemberFileError(f"{Path(path).name} has no column for {wanted}")
    columns = {}
    try:
        columns["customer_id"] = raw.column(found["customer_id"])
        days = pc.strptime(pc.utf8_slice_codeunits(raw.column(found["purchase_date"]), 0, 10),
                           format="%Y-%m-%d", unit="s")
        columns["purchase_date"] = pc.cast(days, pa.date32())
        columns["amount"] = pc.cast(raw.column(found["amount"]), pa.float64())
    except pa.ArrowInvalid as exc:
        raise MemberFileError(f"{Path(path).name}: a date (YYYY-MM-DD) or an amount cannot be "
                              f"read ({exc})") from None
    for name in ("plan", "store"):
        if name in found:
            columns[name] = raw.column(found[name])
    return pa.table(columns)


def load_member_payments(ws, path: str | Path) -> int:
    """Store a payments file in the workspace (replacing earlier payments); the rows stored."""
    table = read_member_payments(path)
    with ws.transaction() as con:
        con.register("_cvm_members", table)
        con.execute(f"CREATE OR REPLACE TABLE {MEMBER_TABLE} AS SELECT * FROM _cvm_members")
        con.unregister("_cvm_members")
    return table.num_rows


def member_payments(ws) -> pa.Table | None:
    """The workspace's stored payments, or None when none were loaded."""
    found = ws.query("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                     [MEMBER_TABLE])[0][0]
    return ws.arrow(f"SELECT * FROM {MEMBER_TABLE}") if found else None
