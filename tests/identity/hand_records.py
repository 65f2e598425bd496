"""Normalised identity records written by hand, for the linkage model's tests."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from cvm.identity.records import normalise_records


def records(*rows: dict) -> pa.Table:
    """Normalised records from hand-written ones (fields left out are empty)."""
    n = len(rows)
    raw = pa.table({
        "source": ["s"] * n, "source_customer_id": [str(i) for i in range(n)],
        "name": [r.get("name") for r in rows], "phone": [r.get("phone") for r in rows],
        "email": [r.get("email") for r in rows],
        "birth_date": pa.array([r.get("birth_date") for r in rows], pa.date32()),
        "national_id": [r.get("national_id") for r in rows],
        "city": [r.get("city") for r in rows], "gender": [r.get("gender") for r in rows]})
    return normalise_records(raw, today=dt.date(2026, 1, 1))
