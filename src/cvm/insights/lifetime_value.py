"""The CLV figures of a run: the distribution of customer lifetime values and the stored
calibration / holdout check of the purchase model (:mod:`cvm.insights.holdout` computes it
when the run runs; here it is only read back)."""

from __future__ import annotations

import json
import math

from ..reports.formatting import round_step
from .stored import StoredResults, run_table
from .wording import RunWording

__all__ = ["clv", "clv_validation", "HOLDOUT_TABLE"]

#: the run table holding the outcome of the run's holdout check (one row)
HOLDOUT_TABLE = "holdout"
_NO_CLV = "this run has no customer lifetime values yet"


def clv(results: StoredResults, run_id: int, lang: str = "en", bins: int = 30) -> dict:
    """The distribution of CLV (histogram up to the 99th percentile), CLV by segment, and the
    model's validation tables when the run stored some."""
    cols = results.columns(run_id)
    if "clv" not in cols:
        return {"available": False, "run_id": run_id, "reason": _NO_CLV}
    t = run_table(run_id)
    stats = results.rows(f"SELECT count(clv) AS n, sum(clv) AS total, avg(clv) AS mean, "
                         f"median(clv) AS median, quantile_cont(clv, 0.99) AS p99, "
                         f"min(clv) AS min FROM {t}")[0]
    low = min(0.0, stats["min"] or 0.0)
    high = stats["p99"] or 0.0
    hist = []
    if stats["n"] and high > low:
        width = round_step(high - low, bins)  # bins on round edges: 0, 20, 40 …
        low = math.floor(low / width) * width
        bins = max(1, math.ceil((high - low) / width))
        counts = {r["b"]: r["customers"] for r in results.rows(
            f"SELECT least(CAST(floor((clv - ?) / ?) AS INTEGER), {bins - 1}) AS b, "
            f"count(*) AS customers FROM {t} WHERE clv IS NOT NULL GROUP BY 1", [low, width])}
        hist = [{"from": low + i * width, "to": low + (i + 1) * width,
                 "customers": int(counts.get(i, 0))} for i in range(bins)]
    by_segment = results.rows(f"SELECT rfm_segment AS segment, any_value(rfm_segment_label) "
                              f"AS label, sum(clv) AS clv, avg(clv) AS mean FROM {t} "
                              "GROUP BY 1 ORDER BY 3 DESC")
    by_segment = RunWording(results, run_id, lang).segment_rows(by_segment)
    validation = []
    for name in results.validation_tables(run_id):
        validation.append({"table": name.split("_", 2)[-1],
                           "rows": results.rows(f'SELECT * FROM "{name}" LIMIT 1000')})
    return {"available": True, "run_id": run_id, "stats": stats, "histogram": hist,
            "by_segment": by_segment, "validation": validation,
            "has_potential_value": "potential_value" in cols}


def clv_validation(results: StoredResults, run_id: int) -> dict:
    """The calibration / holdout check of the run's purchase model, as the run stored it:
    the error figures, the weekly tracking of repeat purchases (actual and expected) and the
    holdout purchases by calibration frequency (Fader, Hardie & Lee 2005, sec. 5).

    Nothing is fitted here. A run made before runs stored the check answers
    ``reason_code: not_computed`` (``cvm validate-clv --run`` computes it)."""
    if "clv" not in results.columns(run_id):
        return {"available": False, "reason_code": "no_clv", "reason": _NO_CLV}
    if HOLDOUT_TABLE not in results.run_tables(run_id):
        return {"available": False, "reason_code": "not_computed",
                "reason": f"the model check of run {run_id} was not computed: "
                          f"cvm validate-clv --run {run_id} computes it"}
    stored = results.rows(f"SELECT * FROM {run_table(run_id, HOLDOUT_TABLE)}")[0]
    if not stored["available"]:
        return {"available": False, "reason_code": stored["reason_code"],
                "reason": stored["reason"]}
    summary = json.loads(stored["summary"])
    tracking = results.rows(
        "SELECT week, strftime(week_start, '%Y-%m-%d') AS week_start, period, actual, expected "
        f"FROM {run_table(run_id, HOLDOUT_TABLE + '_tracking')} ORDER BY week")
    conditional = results.rows(
        "SELECT calibration_frequency, customers, actual_mean, predicted_mean FROM "
        f"{run_table(run_id, HOLDOUT_TABLE + '_conditional')} ORDER BY rowid")
    return {"available": True, "run_id": run_id,
            "summary": {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                        for k, v in summary.items()},
            "model": stored["model"], "conditional": conditional, "tracking": tracking}
