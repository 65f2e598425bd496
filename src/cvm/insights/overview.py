"""The overview of a run: customers, revenue, active share, the Pareto curve, the RFM segments
(in the run's scheme or another one) and the alerts a manager should look at."""

from __future__ import annotations

from ..engine import duckdb_engine
from ..features.rfm_schemes import assign_segments, list_schemes, load_scheme
from ..workspace import Workspace
from .stored import BadQuery, StoredResults, run_table
from .wording import RunWording

__all__ = ["overview", "segments", "alerts", "ACTIVE_DAYS", "ALIVE_THRESHOLD"]

#: Days without a purchase after which a customer no longer counts as active (when there is no
#: P(alive) to go by).
ACTIVE_DAYS = 90
#: P(alive) from which a customer counts as active.
ALIVE_THRESHOLD = 0.5


def overview(results: StoredResults, run_id: int, lang: str = "en") -> dict:
    """Customers, revenue, active share, the Pareto curve and the RFM segments of a run."""
    summary = results.summary(run_id)
    info, pareto = summary.get("info") or {}, summary.get("pareto") or {}
    cols = results.columns(run_id)
    buyers = "WHERE frequency IS NOT NULL" if "lifecycle_stage" in cols else ""
    if "probability_alive" in cols:
        active_sql = f"avg(CASE WHEN probability_alive >= {ALIVE_THRESHOLD} THEN 1 ELSE 0 END)"
        active_rule = {"kind": "probability_alive", "threshold": ALIVE_THRESHOLD}
    else:
        active_sql = f"avg(CASE WHEN recency_days <= {ACTIVE_DAYS} THEN 1 ELSE 0 END)"
        active_rule = {"kind": "recency_days", "threshold": ACTIVE_DAYS}
    row = results.rows(f"SELECT count(*) AS customers, sum(monetary_total) AS revenue, "
                       f"{active_sql} AS active_share FROM {run_table(run_id)} {buyers}")[0]
    top_share = float(pareto.get("top_share") or 0.2)
    return {
        "run_id": run_id,
        "as_of": info.get("as_of"),
        "customers": int(row["customers"] or 0),
        "prospects": int(info.get("n_prospects") or 0),
        # a purchase log without amounts has no revenue (not zero revenue)
        "revenue": None if info.get("amounts") else float(row["revenue"] or 0.0),
        "active_share": float(row["active_share"] or 0.0),
        "active_rule": active_rule,
        "rows_loaded": info.get("rows_loaded"),
        "rows_rejected": info.get("rows_rejected"),
        "scheme": info.get("scheme"),
        "pareto": {
            "curve": pareto.get("lorenz") or [],
            "top_share": top_share,
            "top_value_share": float(pareto.get("top_value_share") or 0.0),
            "gini": float(pareto.get("gini") or 0.0),
            "classes": pareto.get("classes") or [],
            "value_measure": pareto.get("value_measure") or "revenue",
        },
        "segments": segments(results, run_id, lang=lang)["segments"],
        "capabilities": results.capabilities(run_id),
        # a purchase log without amounts: what the run did instead (absent otherwise)
        **({"amounts_note": info["amounts"]["note_zh" if lang == "zh" else "note"]}
           if info.get("amounts") else {}),
    }


def segments(results: StoredResults, run_id: int, scheme: str | None = None,
             lang: str = "en") -> dict:
    """Segment summary of a run in its own scheme, or re-segmented in another scheme."""
    info = results.summary(run_id).get("info") or {}
    own = info.get("scheme")
    if scheme is None or scheme == own:
        rows = results.rows(f"SELECT * FROM {run_table(run_id, 'segments')}")
        return {"run_id": run_id, "scheme": own,
                "segments": RunWording(results, run_id, lang).segment_rows(rows)}
    return {"run_id": run_id, "scheme": scheme,
            "segments": _other_scheme(results, run_id, scheme, lang)}


def _other_scheme(results: StoredResults, run_id: int, scheme_name: str,
                  lang: str) -> list[dict]:
    """The run's customers segmented by another built-in scheme (their R, F and M scores
    stay as the run computed them)."""
    if scheme_name not in list_schemes():
        raise BadQuery(f"unknown scheme {scheme_name!r}: use one of {', '.join(list_schemes())}")
    scheme = load_scheme(scheme_name)
    value = results.value_column(run_id)
    eng = duckdb_engine(results.ws.con.cursor())
    try:
        scored = eng.backend.table(Workspace.run_table(run_id, "customers")).drop("rfm_segment")
        seg = assign_segments(scored, scheme)
        counts = eng.to_arrow(seg.group_by("rfm_segment").aggregate(
            customers=seg.count(), value=seg[value].fill_null(0.0).sum(),
            avg_recency_days=seg.recency_days.mean(), avg_frequency=seg.frequency.mean(),
            avg_monetary_total=seg.monetary_total.mean())).to_pylist()
    finally:
        eng.backend.disconnect()
    by_key = {r["rfm_segment"]: r for r in counts}
    n = sum(r["customers"] for r in counts) or 1
    total = sum(r["value"] for r in counts) or 0.0
    out = []
    for s in scheme.segments:
        r = by_key.get(s.key) or {}
        out.append({"segment": s.key, "label": s.label(lang), "customers": int(r.get("customers", 0)),
                    "customer_share": r.get("customers", 0) / n,
                    "value": float(r.get("value", 0.0)),
                    "value_share": (r.get("value", 0.0) / total) if total else 0.0,
                    "avg_recency_days": r.get("avg_recency_days"),
                    "avg_frequency": r.get("avg_frequency"),
                    "avg_monetary_total": r.get("avg_monetary_total")})
    return out


_ALERT_TEXT = {
    "last_run_failed": ("The last run (#{run}) {how}: {error}. The results shown are from run "
                        "#{shown}.", "最近一次运行（#{run}）{how}：{error}。当前显示运行 #{shown} 的结果。"),
    "valuable_at_risk": ("{count:,} A-class customers ({value_share:.0%} of value) have not "
                         "bought recently (recency score 1–2).",
                         "{count:,} 位 A 类客户（占价值 {value_share:.0%}）近期未购买（R 分 1–2）。"),
    "valuable_unlikely_alive": ("{count:,} A-class customers are probably lost "
                                "(P(alive) < 50 %).",
                                "{count:,} 位 A 类客户很可能已流失（存活概率 < 50%）。"),
    "segment_shift": ("Segment “{segment}” moved from {before:.1%} to {after:.1%} of customers "
                      "since run #{previous}.",
                      "细分“{segment}”的客户占比自运行 #{previous} 起由 {before:.1%} 变为 {after:.1%}。"),
    "many_rejects": ("{share:.1%} of input rows were rejected ({count:,} rows).",
                     "{share:.1%} 的输入行被拒绝（{count:,} 行）。"),
}

#: how a last run ended, in the alert's words (English, Chinese)
_ALERT_WORDS = {"failed": ("failed", "失败"), "interrupted": ("was interrupted", "被中断")}


def _alert(code: str, level: str, lang: str, **params) -> dict:
    en, zh = _ALERT_TEXT[code]
    text = zh if lang == "zh" else en
    return {"code": code, "level": level, "message": text.format(**params),
            "params": {k: v for k, v in params.items()}}


def alerts(results: StoredResults, run_id: int | None, lang: str = "en", *,
           error_text=lambda error: error) -> list[dict]:
    """Things a manager should look at: a failed last run, valuable customers slipping away,
    large segment shifts since the previous run, many rejected rows.

    ``error_text`` words a failed run's stored error for the reader (an interface that shows
    errors to viewers passes one that leaves out server paths)."""
    out = []
    runs = results.runs()
    if runs and runs[-1]["status"] in ("failed", "interrupted") and run_id is not None:
        last = runs[-1]
        error = error_text(last["error"]) or ""
        if last["status"] == "interrupted":
            error = error.removeprefix("interrupted: ")
        out.append(_alert("last_run_failed", "critical", lang, run=last["run_id"],
                          error=error, shown=run_id,
                          how=_ALERT_WORDS[last["status"]][lang == "zh"]))
    if run_id is None:
        return out
    out.extend(results.cached(("alerts", run_id, lang),
                              lambda: _run_alerts(results, run_id, lang)))
    return out


def _run_alerts(results: StoredResults, run_id: int, lang: str) -> list[dict]:
    out = []
    cols = results.columns(run_id)
    t = run_table(run_id)
    value = results.value_column(run_id)
    total = results.scalar(f'SELECT sum(coalesce("{value}", 0)) FROM {t}') or 0.0
    risk = results.rows(f'SELECT count(*) AS n, sum(coalesce("{value}", 0)) AS v FROM {t} '
                        "WHERE abc_class = 'A' AND r_score <= 2")[0]
    if risk["n"]:
        out.append(_alert("valuable_at_risk", "warning", lang, count=int(risk["n"]),
                          value_share=(risk["v"] or 0.0) / total if total else 0.0))
    if "probability_alive" in cols:
        lost = results.scalar(f"SELECT count(*) FROM {t} WHERE abc_class = 'A' AND "
                              f"probability_alive < {ALIVE_THRESHOLD}")
        if lost:
            out.append(_alert("valuable_unlikely_alive", "warning", lang, count=int(lost)))
    previous = results.scalar("SELECT max(run_id) FROM runs WHERE status = 'complete' "
                              "AND run_id < ?", [run_id])
    if previous is not None:
        now = {r["segment"]: r for r in segments(results, run_id, lang=lang)["segments"]}
        scheme = (results.summary(run_id).get("info") or {}).get("scheme")
        if (results.summary(previous).get("info") or {}).get("scheme") == scheme:
            before = {r["segment"]: r for r in segments(results, previous)["segments"]}
            for key, r in now.items():
                b = before.get(key)
                if b and abs(r["customer_share"] - b["customer_share"]) >= 0.05:
                    out.append(_alert("segment_shift", "info", lang, segment=r["label"],
                                      before=b["customer_share"], after=r["customer_share"],
                                      previous=previous))
    info = results.summary(run_id).get("info") or {}
    read, rejected = info.get("rows_read") or 0, info.get("rows_rejected") or 0
    if read and rejected / read >= 0.05:
        out.append(_alert("many_rejects", "warning", lang, share=rejected / read, count=rejected))
    return out
