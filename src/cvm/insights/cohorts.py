"""A run's cohorts as the API and the dashboard show them: the triangles of one source
(purchases or members) split by one dimension, and the members' retention curves, read from
the tables the cohort stage stored (:mod:`cvm.stages.cohorts`). Nothing is computed here."""

from __future__ import annotations

import math

from ..features.cohorts import ACQUISITION_COLUMNS, VALUE_TIERS
from .stored import BadQuery, StoredResults, run_table

__all__ = ["cohorts", "COHORT_METRICS", "SOURCES"]

#: the figures of each cohort and period the answer carries, as triangles
COHORT_METRICS = ("active", "active_share", "lost", "survivors", "revenue", "margin",
                  "cumulative_revenue_per_customer", "cumulative_margin_per_customer")
SOURCES = ("purchases", "members")
#: the order the splits are offered in: value tier, channel, store; a member's plan
_ORDER = ("value_tier", *ACQUISITION_COLUMNS, "plan")


def _plain(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def cohorts(results: StoredResults, run_id: int, source: str = "purchases",
            by: str = "all") -> dict:
    """The cohort triangles of ``source`` for every group of dimension ``by`` ("all" for no
    split), with the dimensions the run has; the members' curves per plan when ``source`` is
    members."""
    if source not in SOURCES:
        raise BadQuery(f"unknown cohort source {source!r}: choose one of {', '.join(SOURCES)}")
    tables = results.run_tables(run_id)
    if "cohorts" not in tables:
        return {"available": False, "reason_code": "not_computed",
                "reason": f"run {run_id} has no cohorts (it was made before cohorts were "
                          "computed): run the analysis again"}
    table = run_table(run_id, "cohorts")
    found = results.rows(f"SELECT DISTINCT source, dimension FROM {table} ORDER BY 1, 2")
    sources = sorted({r["source"] for r in found})
    if source not in sources:
        return {"available": False, "reason_code": "no_members", "sources": sources,
                "reason": "the run had no subscription payments (cvm cohorts --members FILE "
                          "loads them)"}
    dimensions = ["all"] + sorted(
        (r["dimension"] for r in found if r["source"] == source and r["dimension"] != "all"),
        key=lambda d: (_ORDER.index(d) if d in _ORDER else len(_ORDER), d))
    if by not in dimensions:
        raise BadQuery(f"the {source} cohorts of run {run_id} are not split by {by!r}: "
                       f"choose one of {', '.join(dimensions)}")
    rows = results.rows(
        f"SELECT \"group\", strftime(cohort, '%Y-%m-%d') AS cohort, period, customers, "
        f"complete, {', '.join(COHORT_METRICS)} FROM {table} WHERE source = ? AND dimension = ? "
        "ORDER BY \"group\" NULLS FIRST, cohort, period", [source, by])
    groups: dict = {}
    for r in rows:
        g = groups.setdefault(r["group"], {"group": r["group"], "cohorts": [], "customers": [],
                                           "complete": [], **{m: [] for m in COHORT_METRICS}})
        if not g["cohorts"] or g["cohorts"][-1] != r["cohort"]:
            g["cohorts"].append(r["cohort"])
            g["customers"].append(r["customers"])
            g["complete"].append([])
            for m in COHORT_METRICS:
                g[m].append([])
        g["complete"][-1].append(r["complete"])
        for m in COHORT_METRICS:
            g[m][-1].append(_plain(r[m]))
    if by == "value_tier":  # low, mid, high (not in the order of their names)
        groups = dict(sorted(groups.items(), key=lambda kv: (
            VALUE_TIERS.index(kv[0]) if kv[0] in VALUE_TIERS else len(VALUE_TIERS))))
    summary = results.summary(run_id).get("info", {}).get("stages", {}).get("cohorts", {})
    answer = {"available": True, "run_id": run_id, "source": source, "by": by,
              "period": summary.get("period", "month"), "sources": sources,
              "dimensions": dimensions, "metrics": list(COHORT_METRICS),
              "groups": list(groups.values())}
    if source == "members":
        answer["curves"] = summary.get("members", {}).get("curves", [])
        if "retention_fits" in tables:
            # each cohort's own fit (the curves above pool a plan's cohorts)
            fits = run_table(run_id, "retention_fits")
            plan = '"plan"' if "plan" in results.columns(run_id, "retention_fits") else "NULL"
            answer["cohort_fits"] = [
                {k: _plain(v) for k, v in r.items()} for r in results.rows(
                    f"SELECT {plan} AS \"group\", strftime(cohort, '%Y-%m-%d') AS cohort, "
                    "customers, alpha, beta, periods_fitted, holdout_periods, holdout_mae, error "
                    f"FROM {fits} WHERE cohort IS NOT NULL ORDER BY 1, 2")]
    return answer
