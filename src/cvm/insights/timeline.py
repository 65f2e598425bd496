"""One customer's timeline: purchases and service contacts (and, once they exist, survey
answers and campaign contacts) as one list of events, newest first.

The timeline is built from a list of event sources (:data:`EVENT_SOURCES`). A source is a
function ``source(rows, customer_id, limit) -> list[dict]``: ``rows(sql, params)`` runs a query
on the workspace and returns dicts; the source returns at most ``limit`` events of the
customer (a unified id), newest first, each a dict with

- ``time`` (a timestamp) and ``event`` (what kind of source: ``purchase``, ``contact`` …);
- ``kind``: the event's own kind (a contact's ``complaint``, ``visit`` …; a purchase's
  ``purchase``), ``channel`` (``phone``, ``branch`` … or the purchase's channel or store);
- ``amount`` (money, for purchases), ``detail`` (a purchase's store, product and order; a
  contact's outcome) and ``note`` (a contact's free text, which may hold personal data: the
  API masks it for viewers, :data:`FREE_TEXT_FIELDS`).

A source that has nothing in the workspace (no service log loaded) returns ``[]``. Adding a
source (survey answers, campaign contacts) is adding a function to the list, or passing one's
own list to :func:`customer_timeline`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

__all__ = ["EVENT_SOURCES", "FREE_TEXT_FIELDS", "customer_timeline", "purchase_events",
           "contact_events", "TIMELINE_EVENTS"]

Rows = Callable[[str, list], list[dict]]
EventSource = Callable[[Rows, str, int], list[dict]]

#: event fields that hold free text (masked for viewers)
FREE_TEXT_FIELDS = ("note",)
#: how many events the 360° view lists
TIMELINE_EVENTS = 200


def _has_table(rows: Rows, name: str) -> bool:
    return bool(rows("SELECT 1 AS found FROM information_schema.tables WHERE table_name = ?",
                     [name]))


def purchase_events(rows: Rows, customer_id: str, limit: int) -> list[dict]:
    """The customer's purchases (one event per transaction row)."""
    return rows(
        "SELECT purchase_time AS time, 'purchase' AS event, 'purchase' AS kind, "
        "channel, amount, nullif(concat_ws(' · ', store, product, order_id), '') AS detail, "
        "NULL::VARCHAR AS note "
        "FROM unified_transactions WHERE customer_id = ? "
        f"ORDER BY purchase_time DESC LIMIT {int(limit)}", [customer_id])


def contact_events(rows: Rows, customer_id: str, limit: int) -> list[dict]:
    """The customer's service contacts (``cvm load-interactions``)."""
    if not _has_table(rows, "interactions"):
        return []
    return rows(
        "SELECT interaction_time AS time, 'contact' AS event, kind, channel, "
        "NULL::DOUBLE AS amount, outcome AS detail, note FROM unified_interactions "
        f"WHERE customer_id = ? ORDER BY interaction_time DESC LIMIT {int(limit)}",
        [customer_id])


#: the sources a timeline is built from, in the order events of the same time are listed
EVENT_SOURCES: tuple[EventSource, ...] = (purchase_events, contact_events)


def customer_timeline(rows: Rows, customer_id: str, *, limit: int = TIMELINE_EVENTS,
                      sources: Sequence[EventSource] = EVENT_SOURCES) -> list[dict]:
    """The customer's latest ``limit`` events from every source, newest first (events of the
    same time in the order of ``sources``)."""
    events = []
    for rank, source in enumerate(sources):
        events += [(e["time"], -rank, i, e) for i, e in enumerate(source(rows, customer_id,
                                                                         limit))]
    events.sort(key=lambda x: (str(x[0]), x[1], -x[2]), reverse=True)
    return [e for *_, e in events[:limit]]
