"""The value × lifecycle matrix: every customer in exactly one cell.

Two schemes (``MatrixOptions.scheme``):

- ``seed12`` (default) — the 12 customer types of CRM practice (the CRM lecture notes; the K tutoring company's case): the four value
  quadrants (``HH`` high current / high potential, ``HL``, ``LH``, ``LL``) × three relationship
  phases (``prospective``: no purchase yet; ``current``: exploration, formation, stability,
  decline; ``churned``). Cell keys read ``HH-current``.
- ``tiers`` — three value tiers (``high``, ``middle``, ``low``) × the lifecycle stages of the
  chosen lifecycle scheme. Tiers come from composite value (at or above ``tier_cuts[1]`` high, at
  or above ``tier_cuts[0]`` middle) or from the ABC class (A, B, C; prospects are low). Cell keys
  read ``high-decline``.

:func:`matrix_summary` gives per cell: customers, their share, value (revenue or margin, as the
ABC measure) and its share, average composite value and, where a ``clv`` column exists, average
and total CLV.
"""

from __future__ import annotations

import ibis
import numpy as np
import pyarrow as pa

from ..config import MatrixOptions
from ..features.lifecycle import PHASES, STAGES
from ..features.value import QUADRANTS

__all__ = ["PHASE_ORDER", "TIERS", "matrix_cells", "cell_parts", "assign_cells", "value_tiers",
           "matrix_summary", "matrix_summary_on_engine", "summary_from_sums"]

PHASE_ORDER = ("prospective", "current", "churned")
TIERS = ("high", "middle", "low")


def matrix_cells(scheme: str = "seed12", lifecycle_scheme: str = "seed") -> list[str]:
    """Every cell of a scheme, value groups from best to worst, then lifecycle groups."""
    if scheme == "seed12":
        return [f"{q}-{p}" for q in QUADRANTS for p in PHASE_ORDER]
    return [f"{t}-{s}" for t in TIERS for s in STAGES[lifecycle_scheme]]


def cell_parts(cell: str) -> tuple[str, str]:
    """``('HH', 'current')`` for ``'HH-current'``."""
    value, _, life = cell.partition("-")
    return value, life


def value_tiers(customers: pa.Table, options: MatrixOptions | None = None) -> np.ndarray:
    """``high``, ``middle`` or ``low`` per row."""
    o = options or MatrixOptions()
    if o.tier_basis == "abc":
        classes = customers.column("abc_class").to_pylist()
        return np.array([{"A": "high", "B": "middle"}.get(c, "low") for c in classes], dtype=object)
    composite = np.nan_to_num(
        customers.column("composite_value").cast(pa.float64()).to_numpy(zero_copy_only=False),
        nan=0.0)
    lo, hi = o.tier_cuts
    return np.where(composite >= hi, "high", np.where(composite >= lo, "middle", "low")).astype(object)


def assign_cells(customers: pa.Table, options: MatrixOptions | None = None,
                 lifecycle_scheme: str = "seed") -> pa.Array:
    """``matrix_cell`` per row, from ``value_quadrant`` (or the tier) and ``lifecycle_stage``."""
    o = options or MatrixOptions()
    stages = customers.column("lifecycle_stage").to_pylist()
    if any(s is None for s in stages):
        raise ValueError("every customer needs a lifecycle stage before the matrix")
    if o.scheme == "seed12":
        quadrants = customers.column("value_quadrant").to_pylist()
        # prospects are the rows without purchases (in the five-stage scheme they are named
        # "acquisition", like new buyers)
        bought = (customers.column("first_purchase").is_valid().to_pylist()
                  if "first_purchase" in customers.column_names else [True] * len(stages))
        cells = [f"{q}-{PHASES[s] if b else 'prospective'}"
                 for q, s, b in zip(quadrants, stages, bought)]
    else:
        tiers = value_tiers(customers, o)
        cells = [f"{t}-{s}" for t, s in zip(tiers, stages)]
    known = set(matrix_cells(o.scheme, lifecycle_scheme))
    strays = sorted(set(cells) - known)
    if strays:
        raise ValueError(f"cells outside the {o.scheme} matrix: {', '.join(strays[:5])}")
    return pa.array(cells, type=pa.string())


def _mean(values: np.ndarray | None, mask: np.ndarray) -> float | None:
    if values is None:
        return None
    chosen = values[mask]
    chosen = chosen[~np.isnan(chosen)]
    return float(chosen.mean()) if len(chosen) else None


def matrix_summary(customers: pa.Table, options: MatrixOptions | None = None,
                   lifecycle_scheme: str = "seed", *, value_column: str = "monetary_total"
                   ) -> pa.Table:
    """One row per cell (all cells, empty ones with zero customers)."""
    o = options or MatrixOptions()
    cells = np.array(customers.column("matrix_cell").to_pylist(), dtype=object)

    def floats(name: str) -> np.ndarray | None:
        if name not in customers.column_names:
            return None
        return customers.column(name).cast(pa.float64()).to_numpy(zero_copy_only=False)

    value = np.nan_to_num(floats(value_column), nan=0.0)
    composite = floats("composite_value")
    clv = floats("clv")
    sums = {}
    for cell in matrix_cells(o.scheme, lifecycle_scheme):
        mask = cells == cell
        sums[cell] = {"customers": int(mask.sum()), "value": float(value[mask].sum()),
                      "avg_composite_value": _mean(composite, mask),
                      "avg_clv": _mean(clv, mask),
                      "total_clv": float(np.nansum(clv[mask])) if clv is not None else None}
    return summary_from_sums(sums, o, lifecycle_scheme, total=float(value.sum()),
                             has_clv=clv is not None)


def matrix_summary_on_engine(customers, run, options: MatrixOptions | None = None,
                             lifecycle_scheme: str = "seed", *,
                             value_column: str = "monetary_total") -> pa.Table:
    """:func:`matrix_summary` of the customer table on an engine (an Ibis table): one
    grouping by cell there, ``run`` bringing one row per cell to this process."""
    o = options or MatrixOptions()
    t = customers
    value = (t[value_column].cast("float64") if value_column in t.columns
             else None)

    def mean(name):
        if name not in t.columns:
            return None
        x = t[name].cast("float64")
        return x.mean(where=~x.isnan())

    measures = {"customers": t.count()}
    if value is not None:
        value = ibis.ifelse(value.isnan(), 0.0, value).fill_null(0.0)
        measures["value"] = value.sum()
    for name, column in (("avg_composite_value", "composite_value"), ("avg_clv", "clv")):
        if column in t.columns:
            measures[name] = mean(column)
    if "clv" in t.columns:
        clv = t.clv.cast("float64")
        measures["total_clv"] = clv.sum(where=~clv.isnan())
    found = {r["cell"]: r for r in run(t.group_by(cell=t.matrix_cell).aggregate(**measures))
             .to_pylist()}
    sums = {}
    for cell in matrix_cells(o.scheme, lifecycle_scheme):
        r = found.get(cell, {})
        sums[cell] = {"customers": int(r.get("customers") or 0),
                      "value": float(r.get("value") or 0.0),
                      "avg_composite_value": r.get("avg_composite_value"),
                      "avg_clv": r.get("avg_clv"),
                      "total_clv": (float(r.get("total_clv") or 0.0) if "clv" in t.columns
                                    else None)}
    total = sum(v["value"] for v in sums.values())
    return summary_from_sums(sums, o, lifecycle_scheme, total=total, has_clv="clv" in t.columns)


def summary_from_sums(sums: dict[str, dict], options: MatrixOptions, lifecycle_scheme: str, *,
                      total: float, has_clv: bool) -> pa.Table:
    """The summary table from each cell's customers, value, means and CLV total."""
    n = sum(v["customers"] for v in sums.values())
    rows = []
    for cell in matrix_cells(options.scheme, lifecycle_scheme):
        r = sums[cell]
        k, v = r["customers"], r["value"]
        vgroup, lgroup = cell_parts(cell)
        rows.append({
            "cell": cell, "value_group": vgroup, "lifecycle_group": lgroup,
            "customers": k, "customer_share": k / n if n else 0.0,
            "value": v, "value_share": v / total if total else 0.0,
            "avg_composite_value": r["avg_composite_value"],
            "avg_clv": r["avg_clv"] if has_clv else None,
            "total_clv": r["total_clv"] if has_clv else None,
        })
    return pa.Table.from_pylist(rows, schema=pa.schema([
        ("cell", pa.string()), ("value_group", pa.string()), ("lifecycle_group", pa.string()),
        ("customers", pa.int64()), ("customer_share", pa.float64()), ("value", pa.float64()),
        ("value_share", pa.float64()), ("avg_composite_value", pa.float64()),
        ("avg_clv", pa.float64()), ("total_clv", pa.float64())]))
