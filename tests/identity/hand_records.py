"""Normalised identity records written by hand, and the comparison level a pair of them
reaches, for the linkage model's tests."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa

from cvm.identity.model import _MODEL_COLUMNS, _settings, _with_name_records
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


def level(comparison_name: str, left: dict, right: dict) -> str:
    """The label of the first level of a comparison that the pair reaches."""
    table = _with_name_records(records(left, right).select(list(_MODEL_COLUMNS)))
    comparison = next(c.get_comparison("duckdb") for c in _settings().comparisons
                      if c.get_comparison("duckdb").output_column_name == comparison_name)
    levels = [lv for lv in comparison.comparison_levels if not lv._is_else_level]
    cases = " ".join(f"WHEN {lv.sql_condition} THEN {i}" for i, lv in enumerate(levels))
    columns = ", ".join(f"l.{c} AS {c}_l, r.{c} AS {c}_r" for c in table.column_names)
    con = duckdb.connect()
    con.register("t", table)
    first = con.execute(
        f"SELECT CASE {cases} END FROM (SELECT {columns} FROM t l, t r "
        "WHERE l.record_id = 0 AND r.record_id = 1)").fetchone()[0]
    return "else" if first is None else levels[first].label_for_charts
