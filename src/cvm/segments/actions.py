"""Target lists and alerts from stored runs — what ``cvm targets`` and ``cvm alerts`` show.

- :func:`target_list`: the customers of the chosen matrix cells (names or shell-style patterns
  such as ``HH-*``), with contact fields where the customer list had them, the cell, key scores,
  the recommended action and the cell's objective, highest composite value first.
- :func:`winback_list`: the churned and at-risk customers in ``winback_rank`` order: by
  ``winback_value`` (the churn stage's P(returns) × value expected after return − contact
  cost), or the service recovery's ``recovery_value`` where that is higher, with the values,
  the cost and the reason, the most worth recovering first.
- :func:`cell_alerts`: customers whose position got worse between two runs: their lifecycle
  stage moved into decline or churned (or from decline to churned), or their value quadrant lost
  a "high" (current or potential). High-value customers first; with the ``owner`` column so each
  account manager sees their own.
"""

from __future__ import annotations

import fnmatch

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import CvmError
from ..workspace import Workspace, WorkspaceError

__all__ = ["SegmentError", "target_list", "winback_list", "cell_alerts", "runs_with_cells", "matrix_run"]


class SegmentError(CvmError, ValueError):
    """Targets or alerts cannot be produced as asked; the message says why."""


_CONTACT = ("name", "phone", "email", "city", "owner")
_SCORES = ("lifecycle_stage", "value_quadrant", "composite_value", "current_value_score",
           "potential_value_score", "clv", "probability_alive", "monetary_total",
           "recency_days")
_BAD_STAGES = {"decline", "churned", "departure"}


def runs_with_cells(ws: Workspace) -> list[int]:
    """Complete runs whose customer table has ``matrix_cell``, oldest first."""
    out = []
    for r in ws.runs():
        if r["status"] != "complete":
            continue
        cols = ws.query("SELECT column_name FROM information_schema.columns "
                        "WHERE table_name = ?", [ws.run_table(r["run_id"], "customers")])
        if any(c[0] == "matrix_cell" for c in cols):
            out.append(r["run_id"])
    return out


def matrix_run(ws: Workspace, run_id: int | None = None) -> int:
    """``run_id`` if it has a segment matrix (else a clear error), or the latest run that has."""
    return _latest(ws, run_id)


def _latest(ws: Workspace, run_id: int | None) -> int:
    runs = runs_with_cells(ws)
    if run_id is not None:
        if run_id not in runs:
            raise SegmentError(f"run {run_id} in {ws.path} has no segment matrix; runs with one: "
                               f"{', '.join(map(str, runs)) or 'none'}")
        return run_id
    if not runs:
        raise WorkspaceError(f"workspace {ws.path} has no run with a segment matrix yet: "
                             "run `cvm run` first")
    return runs[-1]


def target_list(ws: Workspace, cells: list[str], *, run_id: int | None = None) -> pa.Table:
    """The customers of ``cells`` (exact names or patterns) in a run (default: the latest)."""
    run_id = _latest(ws, run_id)
    customers = ws.result("customers", run_id)
    matrix = ws.result("matrix", run_id)
    known = matrix.column("cell").to_pylist()
    chosen: list[str] = []
    for pattern in cells:
        hits = [c for c in known if fnmatch.fnmatchcase(c, pattern)]
        if not hits:
            raise SegmentError(f"no matrix cell matches {pattern!r}; cells are "
                               f"{', '.join(known)}")
        chosen += [c for c in hits if c not in chosen]
    rows = customers.filter(pc.is_in(customers.column("matrix_cell"),
                                     value_set=pa.array(chosen, pa.string())))
    objective = dict(zip(known, matrix.column("objective").to_pylist()))
    columns = ["customer_id"] + [c for c in _CONTACT if c in rows.column_names] + [
        "matrix_cell"] + [c for c in _SCORES if c in rows.column_names] + [
        "recommended_action", "lifecycle_reason"]
    out = rows.select(columns)
    out = out.append_column("objective", pa.array(
        [objective[c] for c in out.column("matrix_cell").to_pylist()], pa.string()))
    order = pc.sort_indices(out, sort_keys=[("composite_value", "descending"),
                                            ("customer_id", "ascending")])
    return out.take(order)


_WINBACK = ("winback_rank", "winback_value", "winback_probability", "value_after_return",
            "recovery_value", "churn_risk", "churn_reason", "complaint_count",
            "days_since_complaint", "lifecycle_stage", "matrix_cell", "recommended_action",
            "expected_gain", "monetary_total", "recency_days")


def winback_list(ws: Workspace, *, run_id: int | None = None, top: int | None = None
                 ) -> pa.Table:
    """The win-back list of a run (default: the latest with one): customers with a
    ``winback_rank``, best first, with contact fields, ``winback_value``, its parts
    (``winback_probability``, ``value_after_return``, ``contact_cost``), the service recovery's
    value for a silent complainer, the churn reason (naming the complaints) and the complaints,
    and the action recommended with its expected gain; the first ``top`` when given."""
    runs = [r["run_id"] for r in ws.runs() if r["status"] == "complete" and any(
        c[0] == "winback_rank" for c in ws.query(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
            [ws.run_table(r["run_id"], "customers")]))]
    if run_id is None:
        if not runs:
            raise WorkspaceError(f"workspace {ws.path} has no run with churn risk and win-back "
                                 "values yet: run `cvm run` first")
        run_id = runs[-1]
    elif run_id not in runs:
        raise SegmentError(f"run {run_id} in {ws.path} has no win-back values; runs with them: "
                           f"{', '.join(map(str, runs)) or 'none'}")
    customers = ws.result("customers", run_id)
    rows = customers.filter(pc.is_valid(customers.column("winback_rank")))
    order = pc.sort_indices(rows, sort_keys=[("winback_rank", "ascending"),
                                             ("customer_id", "ascending")])
    rows = rows.take(order)
    if top is not None:
        rows = rows.slice(0, top)
    columns = ["customer_id"] + [c for c in _CONTACT if c in rows.column_names] + [
        c for c in _WINBACK if c in rows.column_names]
    out = rows.select(columns)
    cost = _contact_cost(ws, run_id)
    at = out.column_names.index("value_after_return") + 1
    return out.add_column(at, "contact_cost", pa.array([cost] * out.num_rows, pa.float64()))


def _contact_cost(ws: Workspace, run_id: int) -> float | None:
    import json

    config = ws.query("SELECT config FROM runs WHERE run_id = ?", [run_id])[0][0]
    churn = (json.loads(config) if isinstance(config, str) else config or {}).get("churn") or {}
    return churn.get("contact_cost")


def _worse(before: dict, after: dict) -> list[str]:
    reasons = []
    s0, s1 = before["lifecycle_stage"], after["lifecycle_stage"]
    if s1 in _BAD_STAGES and s0 != s1 and not (s0 in ("churned", "departure")):
        reasons.append(f"stage {s0} → {s1}")
    q0, q1 = before["value_quadrant"] or "LL", after["value_quadrant"] or "LL"
    if q0[0] == "H" and q1[0] == "L":
        reasons.append("current value high → low")
    if q0[1] == "H" and q1[1] == "L":
        reasons.append("potential value high → low")
    return reasons


def cell_alerts(ws: Workspace, *, run_id: int | None = None, previous: int | None = None,
                owner: str | None = None) -> tuple[pa.Table, int, int]:
    """Customers whose cell got worse from run ``previous`` (default: the run before) to run
    ``run_id`` (default: the latest); returns the table and the two run ids."""
    runs = runs_with_cells(ws)
    run_id = _latest(ws, run_id)
    if previous is None:
        earlier = [r for r in runs if r < run_id]
        if not earlier:
            raise SegmentError(f"alerts compare two runs, and {ws.path} has only run {run_id} "
                               "with a segment matrix: run `cvm run` again later")
        previous = earlier[-1]
    elif previous not in runs:
        raise SegmentError(f"run {previous} in {ws.path} has no segment matrix")
    keep = ["customer_id", "matrix_cell", "lifecycle_stage", "value_quadrant", "composite_value"]
    old = {r["customer_id"]: r for r in ws.result("customers", previous).select(keep).to_pylist()}
    now = ws.result("customers", run_id)
    extra = [c for c in ("owner", "name", "phone", "clv", "lifecycle_reason",
                         "recommended_action") if c in now.column_names]
    rows = []
    for r in now.select(keep + extra).to_pylist():
        before = old.get(r["customer_id"])
        if before is None:
            continue
        reasons = _worse(before, r)
        if not reasons:
            continue
        if owner is not None and r.get("owner") != owner:
            continue
        rows.append({
            "owner": r.get("owner"), "customer_id": r["customer_id"], "name": r.get("name"),
            "phone": r.get("phone"), "from_cell": before["matrix_cell"],
            "to_cell": r["matrix_cell"], "from_stage": before["lifecycle_stage"],
            "to_stage": r["lifecycle_stage"], "composite_before": before["composite_value"],
            "composite_now": r["composite_value"], "clv": r.get("clv"),
            "change": "; ".join(reasons), "lifecycle_reason": r.get("lifecycle_reason"),
            "recommended_action": r.get("recommended_action"),
        })
    rows.sort(key=lambda x: (x["owner"] is None, x["owner"] or "",
                             -(x["composite_before"] or 0.0), x["customer_id"]))
    schema = pa.schema([
        ("owner", pa.string()), ("customer_id", pa.string()), ("name", pa.string()),
        ("phone", pa.string()), ("from_cell", pa.string()), ("to_cell", pa.string()),
        ("from_stage", pa.string()), ("to_stage", pa.string()),
        ("composite_before", pa.float64()), ("composite_now", pa.float64()),
        ("clv", pa.float64()), ("change", pa.string()), ("lifecycle_reason", pa.string()),
        ("recommended_action", pa.string())])
    return pa.Table.from_pylist(rows, schema=schema), run_id, previous
