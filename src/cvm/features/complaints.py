"""Complaint features, as engine-neutral Ibis expressions over a service log's contacts.

:func:`complaint_features` gives one row per customer with at least one complaint on or before
``as_of``:

``complaint_count``
    the complaints on or before ``as_of``, each contact of kind ``complaint`` one;
``days_since_complaint``
    calendar days from the last of them to ``as_of`` (0 for a complaint on the as-of day).

A customer without a row has ``complaint_count`` 0 and ``days_since_complaint`` null (the
``complaints`` stage fills them in, :mod:`cvm.stages.complaints`).
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

__all__ = ["complaint_features", "COMPLAINT_COLUMNS"]

#: the columns the complaint features add (customer_id aside)
COMPLAINT_COLUMNS = ("complaint_count", "days_since_complaint")


def complaint_features(contacts: ir.Table, *, as_of: dt.date) -> ir.Table:
    """``customer_id``, ``complaint_count`` and ``days_since_complaint`` (module doc) from
    ``contacts`` (``customer_id``, ``interaction_date``, ``kind``)."""
    c = contacts.filter((contacts.kind == "complaint")
                        & (contacts.interaction_date <= ibis.literal(as_of)))
    per = c.group_by("customer_id").aggregate(complaint_count=c.count(),
                                              last_complaint=c.interaction_date.max())
    return per.select(
        "customer_id",
        complaint_count=per.complaint_count.cast("int64"),
        days_since_complaint=ibis.literal(as_of).delta(per.last_complaint, unit="day")
        .cast("float64"))

