"""The value × lifecycle matrix, the lifecycle funnel and the flows between stages."""

from __future__ import annotations

from ..vocabulary import key_label
from .overview import segments
from .stored import StoredResults, run_table
from .wording import RunWording

__all__ = ["matrix", "funnel", "flows", "history_flows", "STAGE_ORDER", "GROUP_ORDER"]

#: Lifecycle stages in relationship order (both built-in lifecycle schemes).
STAGE_ORDER = ("prospect", "acquisition", "exploration", "formation", "growth", "stability",
               "maturity", "decline", "churned", "departure")
#: Lifecycle groups of the value × lifecycle matrix, in order.
GROUP_ORDER = ("prospective", "current", "churned")


def matrix(results: StoredResults, run_id: int, lang: str = "en") -> dict:
    """The value × lifecycle matrix: customers and value per cell, for a heat map.

    Without lifecycle stages and value quadrants (not computed by this run) the answer is
    ``available: false`` and carries the ABC class × RFM segment grid instead, which drills
    down the same way.
    """
    cols = results.columns(run_id)
    t = run_table(run_id)
    value = results.value_column(run_id)
    if "matrix" in results.run_tables(run_id) and {
            "cell", "value_group", "lifecycle_group", "customers"} <= set(
            results.columns(run_id, "matrix")):
        table = results.rows(f"SELECT * FROM {run_table(run_id, 'matrix')}")
        rows = [{"y": r["value_group"], "x": r["lifecycle_group"], "cell": r["cell"],
                 "customers": r["customers"], "value": r.get("value") or 0.0} for r in table]
        result = {"available": True, "kind": "value_lifecycle", "x": "lifecycle_group",
                  "y": "value_group", "x_values": _ordered({r["x"] for r in rows}, GROUP_ORDER),
                  "y_values": _ordered({r["y"] for r in rows}, ("HH", "HL", "LH", "LL", "high",
                                                                 "middle", "low")),
                  "cells": [dict(r, filters={"cell": r["cell"]}) for r in rows],
                  "playbook": RunWording(results, run_id, lang).playbook_rows(table)}
        return _with_shares(result)
    if "matrix_cell" in cols:
        rows = results.rows(f"SELECT matrix_cell AS cell, count(*) AS customers, "
                            f'sum(coalesce("{value}", 0)) AS value FROM {t} GROUP BY 1')
        for r in rows:
            r["y"], _, r["x"] = str(r["cell"]).partition("-")
        result = {"available": True, "kind": "value_lifecycle", "x": "lifecycle_group",
                  "y": "value_group",
                  "x_values": _ordered({r["x"] for r in rows}, GROUP_ORDER + STAGE_ORDER),
                  "y_values": _ordered({r["y"] for r in rows}, ()),
                  "cells": [dict(r, filters={"cell": r["cell"]}) for r in rows]}
        return _with_shares(result)
    rows = results.rows(
        f"SELECT abc_class AS y, rfm_segment AS x, any_value(rfm_segment_label) AS label, "
        f'count(*) AS customers, sum(coalesce("{value}", 0)) AS value FROM {t} GROUP BY 1, 2')
    words = RunWording(results, run_id, lang)
    seg_order = [r["segment"] for r in segments(results, run_id, lang=lang)["segments"]]
    result = {
        "available": False,
        "reason": "this run has no lifecycle stages and value quadrants yet; showing ABC class "
                  "× RFM segment instead",
        "kind": "abc_rfm", "x": "rfm_segment", "y": "abc_class",
        "x_values": _ordered({r["x"] for r in rows}, seg_order),
        "y_values": _ordered({r["y"] for r in rows}, ("A", "B", "C")),
        "x_labels": {r["x"]: words.segment(r["x"], r["label"]) for r in rows},
        "cells": [dict(r, cell=f"{r['y']}|{r['x']}", filters={"abc": r["y"], "segment": r["x"]})
                  for r in rows],
    }
    return _with_shares(result)


def _with_shares(result: dict) -> dict:
    n = sum(c["customers"] for c in result["cells"]) or 1
    total = sum(c["value"] or 0.0 for c in result["cells"])
    for c in result["cells"]:
        c["customer_share"] = c["customers"] / n
        c["value_share"] = (c["value"] or 0.0) / total if total else 0.0
    return result


def _ordered(values: set, order) -> list:
    known = [v for v in dict.fromkeys(order) if v in values]  # "churned" is a group and a stage
    rest = sorted((v for v in values if v not in order), key=lambda v: (v is None, str(v)))
    return known + rest


def funnel(results: StoredResults, run_id: int, lang: str = "en") -> dict:
    """Customers and value per lifecycle stage, in relationship order."""
    cols = results.columns(run_id)
    if "lifecycle_stage" not in cols:
        return {"available": False, "run_id": run_id,
                "reason": "this run has no lifecycle stages yet"}
    value = results.value_column(run_id)
    rows = results.rows(f"SELECT lifecycle_stage AS stage, count(*) AS customers, "
                        f'sum(coalesce("{value}", 0)) AS value FROM {run_table(run_id)} '
                        "GROUP BY 1")
    for r in rows:
        r["label"] = key_label(r["stage"], lang)
    order = _ordered({r["stage"] for r in rows}, STAGE_ORDER)
    by = {r["stage"]: r for r in rows}
    return {"available": True, "run_id": run_id, "stages": [by[s] for s in order]}


def flows(results: StoredResults, from_run: int, to_run: int) -> dict:
    """How customers moved between two runs: by lifecycle stage when both runs have it, else
    by RFM segment. Customers only in the later run come from ``(new)``; only in the earlier
    one go to ``(gone)``."""
    a, b = results.columns(from_run), results.columns(to_run)
    by = "lifecycle_stage" if "lifecycle_stage" in a and "lifecycle_stage" in b else "rfm_segment"
    rows = results.rows(
        f"SELECT coalesce(a.{by}, '(new)') AS source, coalesce(b.{by}, '(gone)') AS target, "
        f"count(*) AS customers FROM {run_table(from_run)} a FULL OUTER JOIN "
        f"{run_table(to_run)} b ON a.customer_id = b.customer_id GROUP BY 1, 2 ORDER BY 3 DESC")
    return {"from_run": from_run, "to_run": to_run, "by": by, "flows": rows}


def history_flows(results: StoredResults, run_id: int) -> dict:
    """Stage flows inside one run's lifecycle history (its last two history dates)."""
    if "lifecycle_flows" not in results.run_tables(run_id):
        return {"available": False, "reason": "flows need two complete runs or a lifecycle "
                                               "history", "to_run": run_id, "flows": []}
    t = run_table(run_id, "lifecycle_flows")
    last = results.rows(f"SELECT max(to_date) AS to_date FROM {t}")[0]["to_date"]
    rows = results.rows(f"SELECT from_stage AS source, to_stage AS target, customers, "
                        f"from_date, to_date FROM {t} WHERE to_date = ? AND customers > 0 "
                        "ORDER BY customers DESC", [last])
    return {"available": bool(rows), "by": "lifecycle_stage", "within_run": run_id,
            "from_run": run_id, "to_run": run_id,
            "from_date": rows[0]["from_date"] if rows else None, "to_date": last,
            "flows": [{"source": r["source"], "target": r["target"], "customers": r["customers"]}
                      for r in rows]}
