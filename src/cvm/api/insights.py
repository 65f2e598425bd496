"""The figures the dashboard shows, read from a run's stored results.

Each function takes a :class:`~cvm.api.reader.ResultsReader`, a run id and the reader's
language, and returns plain JSON-ready data whose labels are in that language (whatever the
language the run was made in: see :mod:`cvm.api.wording`). Optional results (CLV, lifecycle, the value × lifecycle matrix, unified
customers) are used when their columns or tables exist; otherwise the answer says
``available: false`` with the reason, so a page can say so plainly.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from cvm.config import stored_value_column
from cvm.reports.formatting import round_step
from ..vocabulary import key_label
from .redaction import public_error
from .wording import RunWording

if TYPE_CHECKING:  # pragma: no cover
    from .reader import ResultsReader

__all__ = ["overview", "segments", "matrix", "funnel", "flows", "clv", "alerts", "customer_360",
           "STAGE_ORDER", "PERSONAL_COLUMNS"]

#: Lifecycle stages in relationship order (both built-in lifecycle schemes).
STAGE_ORDER = ("prospect", "acquisition", "exploration", "formation", "growth", "stability",
               "maturity", "decline", "churned", "departure")
#: Lifecycle groups of the value × lifecycle matrix, in order.
GROUP_ORDER = ("prospective", "current", "churned")
#: Customer fields that identify a person; masked for viewers.
PERSONAL_COLUMNS = ("name", "phone", "email", "national_id", "id_number", "address",
                    "birth_date")
#: Days without a purchase after which a customer no longer counts as active (when there is no
#: P(alive) to go by).
ACTIVE_DAYS = 90
_ALIVE_THRESHOLD = 0.5


def _table(run_id: int, name: str = "customers") -> str:
    return f'"run_{int(run_id)}_{name}"'


def _value_column(reader: ResultsReader, run_id: int) -> str:
    return stored_value_column(RunWording(reader, run_id, "en").config)


def overview(reader: ResultsReader, run_id: int, lang: str = "en") -> dict:
    """Customers, revenue, active share, the Pareto curve and the RFM segments of a run."""
    summary = reader.summary(run_id)
    info, pareto = summary.get("info") or {}, summary.get("pareto") or {}
    cols = reader.columns(run_id)
    t = _table(run_id)
    buyers = "WHERE frequency IS NOT NULL" if "lifecycle_stage" in cols else ""
    if "probability_alive" in cols:
        active_sql = f"avg(CASE WHEN probability_alive >= {_ALIVE_THRESHOLD} THEN 1 ELSE 0 END)"
        active_rule = {"kind": "probability_alive", "threshold": _ALIVE_THRESHOLD}
    else:
        active_sql = f"avg(CASE WHEN recency_days <= {ACTIVE_DAYS} THEN 1 ELSE 0 END)"
        active_rule = {"kind": "recency_days", "threshold": ACTIVE_DAYS}
    row = reader.rows(f"SELECT count(*) AS customers, sum(monetary_total) AS revenue, "
                      f"{active_sql} AS active_share FROM {t} {buyers}")[0]
    top_share = float(pareto.get("top_share") or 0.2)
    return {
        "run_id": run_id,
        "as_of": info.get("as_of"),
        "customers": int(row["customers"] or 0),
        "prospects": int(info.get("n_prospects") or 0),
        "revenue": float(row["revenue"] or 0.0),
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
        "segments": segments(reader, run_id, lang=lang)["segments"],
        "capabilities": reader.capabilities(run_id),
    }


def segments(reader: ResultsReader, run_id: int, scheme: str | None = None,
             lang: str = "en") -> dict:
    """Segment summary of a run in its own scheme, or re-segmented in another scheme."""
    info = reader.summary(run_id).get("info") or {}
    own = info.get("scheme")
    if scheme is None or scheme == own:
        rows = reader.rows(f"SELECT * FROM {_table(run_id, 'segments')}")
        return {"run_id": run_id, "scheme": own,
                "segments": RunWording(reader, run_id, lang).segment_rows(rows)}
    return {"run_id": run_id, "scheme": scheme,
            "segments": _other_scheme(reader, run_id, scheme, lang)}


def _other_scheme(reader: ResultsReader, run_id: int, scheme_name: str, lang: str) -> list[dict]:
    import ibis

    from ..features.rfm_schemes import assign_segments, load_scheme, list_schemes
    from .reader import BadQuery

    if scheme_name not in list_schemes():
        raise BadQuery(f"unknown scheme {scheme_name!r}: use one of {', '.join(list_schemes())}")
    scheme = load_scheme(scheme_name)
    value = _value_column(reader, run_id)
    con = ibis.duckdb.from_connection(reader.ws.con.cursor())
    try:
        scored = con.table(f"run_{int(run_id)}_customers").drop("rfm_segment")
        seg = assign_segments(scored, scheme)
        counts = seg.group_by("rfm_segment").aggregate(
            customers=seg.count(), value=seg[value].fill_null(0.0).sum(),
            avg_recency_days=seg.recency_days.mean(), avg_frequency=seg.frequency.mean(),
            avg_monetary_total=seg.monetary_total.mean()).to_pyarrow().to_pylist()
    finally:
        con.disconnect()
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


def matrix(reader: ResultsReader, run_id: int, lang: str = "en") -> dict:
    """The value × lifecycle matrix: customers and value per cell, for a heat map.

    Without lifecycle stages and value quadrants (not computed by this run) the answer is
    ``available: false`` and carries the ABC class × RFM segment grid instead, which drills
    down the same way.
    """
    cols = reader.columns(run_id)
    t = _table(run_id)
    value = _value_column(reader, run_id)
    stored = _run_tables(reader, run_id)
    if "matrix" in stored and {"cell", "value_group", "lifecycle_group", "customers"} <= set(
            reader.columns(run_id, "matrix")):
        table = reader.rows(f"SELECT * FROM {_table(run_id, 'matrix')}")
        rows = [{"y": r["value_group"], "x": r["lifecycle_group"], "cell": r["cell"],
                 "customers": r["customers"], "value": r.get("value") or 0.0} for r in table]
        result = {"available": True, "kind": "value_lifecycle", "x": "lifecycle_group",
                  "y": "value_group", "x_values": _ordered({r["x"] for r in rows}, GROUP_ORDER),
                  "y_values": _ordered({r["y"] for r in rows}, ("HH", "HL", "LH", "LL", "high",
                                                                 "middle", "low")),
                  "cells": [dict(r, filters={"cell": r["cell"]}) for r in rows],
                  "playbook": RunWording(reader, run_id, lang).playbook_rows(table)}
        return _with_shares(result)
    if "matrix_cell" in cols:
        rows = reader.rows(f"SELECT matrix_cell AS cell, count(*) AS customers, "
                           f'sum(coalesce("{value}", 0)) AS value FROM {t} GROUP BY 1')
        for r in rows:
            r["y"], _, r["x"] = str(r["cell"]).partition("-")
        result = {"available": True, "kind": "value_lifecycle", "x": "lifecycle_group",
                  "y": "value_group",
                  "x_values": _ordered({r["x"] for r in rows}, GROUP_ORDER + STAGE_ORDER),
                  "y_values": _ordered({r["y"] for r in rows}, ()),
                  "cells": [dict(r, filters={"cell": r["cell"]}) for r in rows]}
        return _with_shares(result)
    rows = reader.rows(
        f"SELECT abc_class AS y, rfm_segment AS x, any_value(rfm_segment_label) AS label, "
        f'count(*) AS customers, sum(coalesce("{value}", 0)) AS value FROM {t} GROUP BY 1, 2')
    words = RunWording(reader, run_id, lang)
    seg_order = [r["segment"] for r in segments(reader, run_id, lang=lang)["segments"]]
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


def _run_tables(reader: ResultsReader, run_id: int) -> set[str]:
    prefix = f"run_{int(run_id)}_"
    return {n[len(prefix):] for n in reader.tables() if n.startswith(prefix)}


def _with_shares(result: dict) -> dict:
    n = sum(c["customers"] for c in result["cells"]) or 1
    total = sum(c["value"] or 0.0 for c in result["cells"])
    for c in result["cells"]:
        c["customer_share"] = c["customers"] / n
        c["value_share"] = (c["value"] or 0.0) / total if total else 0.0
    return result


def _ordered(values: set, order) -> list:
    known = [v for v in order if v in values]
    rest = sorted((v for v in values if v not in order), key=lambda v: (v is None, str(v)))
    return known + rest


def funnel(reader: ResultsReader, run_id: int, lang: str = "en") -> dict:
    """Customers per lifecycle stage, in relationship order."""
    cols = reader.columns(run_id)
    if "lifecycle_stage" not in cols:
        return {"available": False, "run_id": run_id,
                "reason": "this run has no lifecycle stages yet"}
    value = _value_column(reader, run_id)
    rows = reader.rows(f"SELECT lifecycle_stage AS stage, count(*) AS customers, "
                       f'sum(coalesce("{value}", 0)) AS value FROM {_table(run_id)} GROUP BY 1')
    for r in rows:
        r["label"] = key_label(r["stage"], lang)
    order = _ordered({r["stage"] for r in rows}, STAGE_ORDER)
    by = {r["stage"]: r for r in rows}
    return {"available": True, "run_id": run_id, "stages": [by[s] for s in order]}


def flows(reader: ResultsReader, from_run: int, to_run: int) -> dict:
    """How customers moved between two runs: by lifecycle stage when both runs have it, else
    by RFM segment. Customers only in the later run come from ``(new)``; only in the earlier
    one go to ``(gone)``."""
    a, b = reader.columns(from_run), reader.columns(to_run)
    by = "lifecycle_stage" if "lifecycle_stage" in a and "lifecycle_stage" in b else "rfm_segment"
    rows = reader.rows(
        f"SELECT coalesce(a.{by}, '(new)') AS source, coalesce(b.{by}, '(gone)') AS target, "
        f"count(*) AS customers FROM {_table(from_run)} a FULL OUTER JOIN {_table(to_run)} b "
        "ON a.customer_id = b.customer_id GROUP BY 1, 2 ORDER BY 3 DESC")
    return {"from_run": from_run, "to_run": to_run, "by": by, "flows": rows}


def history_flows(reader: ResultsReader, run_id: int) -> dict:
    """Stage flows inside one run's lifecycle history (its last two history dates)."""
    if "lifecycle_flows" not in _run_tables(reader, run_id):
        return {"available": False, "reason": "flows need two complete runs or a lifecycle "
                                               "history", "to_run": run_id, "flows": []}
    t = _table(run_id, "lifecycle_flows")
    last = reader.rows(f"SELECT max(to_date) AS to_date FROM {t}")[0]["to_date"]
    rows = reader.rows(f"SELECT from_stage AS source, to_stage AS target, customers, from_date, "
                       f"to_date FROM {t} WHERE to_date = ? AND customers > 0 "
                       "ORDER BY customers DESC", [last])
    return {"available": bool(rows), "by": "lifecycle_stage", "within_run": run_id,
            "from_run": run_id, "to_run": run_id,
            "from_date": rows[0]["from_date"] if rows else None, "to_date": last,
            "flows": [{"source": r["source"], "target": r["target"], "customers": r["customers"]}
                      for r in rows]}


def clv_validation(reader: ResultsReader, run_id: int) -> dict:
    """Calibration / holdout check of the purchase model on this run's transactions: the last
    quarter of the history (at most 26 weeks) is held out (Fader, Hardie & Lee 2005, sec. 5)."""
    import datetime as dt

    try:
        import ibis

        from ..models.validation import validate_holdout
    except ImportError:
        return {"available": False, "reason_code": "no_model",
                "reason": "this version of cvm has no model validation"}
    if "clv" not in reader.columns(run_id):
        return {"available": False, "reason_code": "no_clv",
                "reason": "this run has no customer lifetime values yet"}
    info = reader.summary(run_id).get("info") or {}
    as_of = dt.date.fromisoformat(info["as_of"])
    first = reader.scalar("SELECT min(purchase_date) FROM unified_transactions")
    days = min(182, (as_of - first).days // 4) if first else 0
    if days < 28:
        return {"available": False, "reason_code": "short_history",
                "reason": "the history is too short to hold out a period"}
    con = ibis.duckdb.from_connection(reader.ws.con.cursor())
    try:
        txns = con.sql("SELECT customer_id, purchase_date, amount, margin, cost FROM "
                       f"unified_transactions WHERE purchase_date <= DATE '{as_of.isoformat()}'")
        result = validate_holdout(txns, lambda e: e.to_pyarrow(),
                                  calibration_end=as_of - dt.timedelta(days=days),
                                  holdout_end=as_of)
    except ValueError as exc:
        return {"available": False, "reason_code": "failed", "reason": str(exc)}
    finally:
        con.disconnect()
    summary = result.summary()
    clean = {k: v for k, v in summary.items() if isinstance(v, (str, int, float)) or v is None}
    tracking = result.tracking.assign(week_start=result.tracking["week_start"].astype(str))
    return {"available": True, "run_id": run_id,
            "summary": {k: (None if isinstance(v, float) and v != v else v) for k, v in clean.items()},
            "model": str((summary.get("model") or {}).get("title")
                         or (summary.get("model") or {}).get("model") or ""),
            "conditional": result.conditional.to_dict(orient="records"),
            "tracking": tracking[["week", "week_start", "period", "actual", "expected"]]
            .to_dict(orient="records")}


def clv(reader: ResultsReader, run_id: int, lang: str = "en", bins: int = 30) -> dict:
    """The distribution of CLV (histogram up to the 99th percentile) and the model's
    validation table when the run stored one."""
    cols = reader.columns(run_id)
    if "clv" not in cols:
        return {"available": False, "run_id": run_id,
                "reason": "this run has no customer lifetime values yet"}
    t = _table(run_id)
    stats = reader.rows(f"SELECT count(clv) AS n, sum(clv) AS total, avg(clv) AS mean, "
                        f"median(clv) AS median, quantile_cont(clv, 0.99) AS p99, "
                        f"min(clv) AS min FROM {t}")[0]
    low = min(0.0, stats["min"] or 0.0)
    high = stats["p99"] or 0.0
    hist = []
    if stats["n"] and high > low:
        width = round_step(high - low, bins)  # bins on round edges: 0, 20, 40 …
        low = math.floor(low / width) * width
        bins = max(1, math.ceil((high - low) / width))
        counts = {r["b"]: r["customers"] for r in reader.rows(
            f"SELECT least(CAST(floor((clv - ?) / ?) AS INTEGER), {bins - 1}) AS b, "
            f"count(*) AS customers FROM {t} WHERE clv IS NOT NULL GROUP BY 1", [low, width])}
        hist = [{"from": low + i * width, "to": low + (i + 1) * width,
                 "customers": int(counts.get(i, 0))} for i in range(bins)]
    by_segment = reader.rows(f"SELECT rfm_segment AS segment, any_value(rfm_segment_label) AS label, "
                             f"sum(clv) AS clv, avg(clv) AS mean FROM {t} GROUP BY 1 ORDER BY 3 DESC")
    by_segment = RunWording(reader, run_id, lang).segment_rows(by_segment)
    validation = []
    for name in reader._validation_tables(run_id):
        validation.append({"table": name.split("_", 2)[-1],
                           "rows": reader.rows(f'SELECT * FROM "{name}" LIMIT 1000')})
    return {"available": True, "run_id": run_id, "stats": stats, "histogram": hist,
            "by_segment": by_segment, "validation": validation,
            "has_potential_value": "potential_value" in cols}


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


def alerts(reader: ResultsReader, run_id: int | None, lang: str = "en") -> list[dict]:
    """Things a manager should look at: a failed last run, valuable customers slipping away,
    large segment shifts since the previous run, many rejected rows."""
    out = []
    runs = reader.runs()
    if runs and runs[-1]["status"] in ("failed", "interrupted") and run_id is not None:
        last = runs[-1]
        error = public_error(last["error"]) or ""
        if last["status"] == "interrupted":
            error = error.removeprefix("interrupted: ")
        out.append(_alert("last_run_failed", "critical", lang, run=last["run_id"],
                          error=error, shown=run_id,
                          how=_ALERT_WORDS[last["status"]][lang == "zh"]))
    if run_id is None:
        return out
    out.extend(reader.cached(("alerts", run_id, lang), lambda: _run_alerts(reader, run_id, lang)))
    return out


def _run_alerts(reader: ResultsReader, run_id: int, lang: str) -> list[dict]:
    out = []
    cols = reader.columns(run_id)
    t = _table(run_id)
    value = _value_column(reader, run_id)
    total = reader.scalar(f'SELECT sum(coalesce("{value}", 0)) FROM {t}') or 0.0
    risk = reader.rows(f'SELECT count(*) AS n, sum(coalesce("{value}", 0)) AS v FROM {t} '
                       "WHERE abc_class = 'A' AND r_score <= 2")[0]
    if risk["n"]:
        out.append(_alert("valuable_at_risk", "warning", lang, count=int(risk["n"]),
                          value_share=(risk["v"] or 0.0) / total if total else 0.0))
    if "probability_alive" in cols:
        lost = reader.scalar(f"SELECT count(*) FROM {t} WHERE abc_class = 'A' AND "
                             f"probability_alive < {_ALIVE_THRESHOLD}")
        if lost:
            out.append(_alert("valuable_unlikely_alive", "warning", lang, count=int(lost)))
    previous = reader.scalar("SELECT max(run_id) FROM runs WHERE status = 'complete' AND run_id < ?",
                             [run_id])
    if previous is not None:
        now = {r["segment"]: r for r in segments(reader, run_id, lang=lang)["segments"]}
        scheme = (reader.summary(run_id).get("info") or {}).get("scheme")
        if (reader.summary(previous).get("info") or {}).get("scheme") == scheme:
            before = {r["segment"]: r for r in segments(reader, previous)["segments"]}
            for key, r in now.items():
                b = before.get(key)
                if b and abs(r["customer_share"] - b["customer_share"]) >= 0.05:
                    out.append(_alert("segment_shift", "info", lang, segment=r["label"],
                                      before=b["customer_share"], after=r["customer_share"],
                                      previous=previous))
    info = reader.summary(run_id).get("info") or {}
    read, rejected = info.get("rows_read") or 0, info.get("rows_rejected") or 0
    if read and rejected / read >= 0.05:
        out.append(_alert("many_rejects", "warning", lang, share=rejected / read, count=rejected))
    return out


def customer_360(reader: ResultsReader, run_id: int, customer_id: str, lang: str = "en") -> dict:
    """Everything known about one customer: the run's row, the history over runs, recent
    purchases, source records and (when unified customers exist) the golden record."""
    from .reader import NotFound

    t = _table(run_id)
    found = reader.rows(f"SELECT * FROM {t} WHERE customer_id = ?", [customer_id])
    if not found:
        raise NotFound(f"no customer {customer_id!r} in run {run_id}")
    history = []
    complete = [r["run_id"] for r in reader.runs() if r["status"] == "complete"][-12:]
    for rid in complete:
        cols = reader.columns(rid)
        pick = [c for c in ("rfm_segment", "rfm_segment_label", "abc_class", "monetary_total",
                            "lifecycle_stage", "clv", "probability_alive") if c in cols]
        row = reader.rows(f"SELECT {', '.join(pick)} FROM {_table(rid)} WHERE customer_id = ?",
                          [customer_id])
        info = reader.summary(rid).get("info") or {}
        past = RunWording(reader, rid, lang).customer(row[0]) if row else {}
        history.append({"run_id": rid, "as_of": info.get("as_of"), **past})
    purchases = reader.rows(
        "SELECT purchase_time, purchase_date, amount, quantity, order_id, product, category, "
        "channel, store, source FROM unified_transactions WHERE customer_id = ? "
        "ORDER BY purchase_time DESC LIMIT 100", [customer_id])
    totals = reader.rows("SELECT count(*) AS transactions, sum(amount) AS amount, "
                         "min(purchase_date) AS first, max(purchase_date) AS last "
                         "FROM unified_transactions WHERE customer_id = ?", [customer_id])[0]
    sources = reader.rows(
        "SELECT x.source, x.source_customer_id, x.method, s.* EXCLUDE (source, source_customer_id, "
        "file_id, source_row) FROM xref x LEFT JOIN source_customers s "
        "USING (source, source_customer_id) WHERE x.customer_id = ?", [customer_id])
    golden = None
    tables = reader.tables()
    for name in ("identity_golden", "golden"):  # unified customer records, when linked
        if name in tables:
            rows = reader.rows(f'SELECT * FROM "{name}" WHERE customer_id = ?', [customer_id])
            golden = rows[0] if rows else None
            break
    return {"run_id": run_id, "customer_id": customer_id,
            "customer": RunWording(reader, run_id, lang).customer(found[0]),
            "history": history, "purchases": purchases, "purchase_totals": totals,
            "sources": sources, "golden": golden}

