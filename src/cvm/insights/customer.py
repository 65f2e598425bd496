"""One customer's 360° view as the interfaces show it: the run's row worded in the reader's
language, beside the workspace's view of the customer (:func:`cvm.identity.customer_view`:
source records, golden record, purchases and the history over runs, ids merged into the
customer included)."""

from __future__ import annotations

from ..identity.view import CustomerNotFound, customer_view
from .stored import NotFound, StoredResults, json_safe, run_table
from .timeline import customer_timeline
from .wording import RunWording

__all__ = ["customer_360", "HISTORY_COLUMNS", "HISTORY_RUNS", "RECENT_PURCHASES"]

#: the run columns the history over runs shows
HISTORY_COLUMNS = ("rfm_segment", "rfm_segment_label", "abc_class", "monetary_total",
                   "lifecycle_stage", "clv", "probability_alive")
#: how many of the latest complete runs the history covers, and how many purchases are listed
HISTORY_RUNS, RECENT_PURCHASES = 12, 100


def customer_360(results: StoredResults, run_id: int, customer_id: str,
                 lang: str = "en") -> dict:
    """Everything known about one customer: the run's row, the history over the last
    :data:`HISTORY_RUNS` complete runs, recent purchases, source records, the golden record
    (when customers were linked) and the timeline of purchases, service contacts, survey answers
    and campaigns (:func:`cvm.insights.timeline.customer_timeline`, newest first).

    ``customer_id`` is a unified id, a source id (``source:id``, or bare when one source has
    it) or an id merged into another customer; the view is the customer's it names. History
    rows found under a merged id carry that ``customer_id``."""
    missing = NotFound(f"no customer {customer_id!r} in run {run_id}")
    try:
        view = customer_view(results.ws, customer_id, history_columns=HISTORY_COLUMNS,
                             last_runs=HISTORY_RUNS, recent_purchases=RECENT_PURCHASES,
                             cursor=results.cursor())
    except CustomerNotFound:
        raise missing from None
    found = []
    for cid in (view.customer_id, *view.merged_ids):
        found = results.rows(f"SELECT * FROM {run_table(run_id)} WHERE customer_id = ?", [cid])
        if found:
            break
    if not found:
        raise missing
    history = []
    for run in _runs(results):
        rows = [r for r in view.history if r["run_id"] == run["run_id"]] or [None]
        for row in rows:
            past = {}
            if row is not None:
                past = {k: v for k, v in row.items() if k not in ("run_id", "as_of")}
                if past["customer_id"] == view.customer_id:
                    del past["customer_id"]
                past = RunWording(results, run["run_id"], lang).customer(past)
            history.append({"run_id": run["run_id"], "as_of": run["as_of"], **past})
    tx = view.transactions
    return {"run_id": run_id, "customer_id": view.customer_id,
            "customer": RunWording(results, run_id, lang).customer(found[0]),
            "history": history, "purchases": _json_safe(view.purchases),
            "purchase_totals": {"transactions": tx["transactions"], "amount": tx["total_amount"],
                                "first": tx["first_purchase"], "last": tx["last_purchase"]},
            "sources": _json_safe(view.records), "golden": view.golden,
            "timeline": _json_safe(customer_timeline(results.rows, view.customer_id))}


def _runs(results: StoredResults) -> list[dict]:
    """The complete runs the history covers, with their as-of dates as the runs state them."""
    complete = [r["run_id"] for r in results.runs() if r["status"] == "complete"]
    return [{"run_id": rid, "as_of": (results.summary(rid).get("info") or {}).get("as_of")}
            for rid in complete[-HISTORY_RUNS:]]


def _json_safe(rows: list[dict]) -> list[dict]:
    return [{k: json_safe(v) for k, v in r.items()} for r in rows]
