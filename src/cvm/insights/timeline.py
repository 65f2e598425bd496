"""One customer's timeline: purchases, service contacts, survey answers and campaigns as one
list of events, newest first.

The timeline is built from a list of event sources (:data:`EVENT_SOURCES`). A source is a
function ``source(rows, customer_id, limit) -> list[dict]``: ``rows(sql, params)`` runs a query
on the workspace and returns dicts; the source returns at most ``limit`` events of the
customer (a unified id), newest first, each a dict with

- ``time`` (a timestamp) and ``event`` (what kind of source: ``purchase``, ``contact``,
  ``survey``, ``campaign``);
- ``kind``: the event's own kind (a contact's ``complaint``, ``visit`` …; a purchase's
  ``purchase``; a survey answer's ``survey``; a campaign's arm, ``treatment`` or ``control``),
  ``channel`` (``phone``, ``branch`` … or the purchase's or survey's channel or store);
- ``amount`` (money, for purchases), ``detail`` (a purchase's store, product and order; a
  contact's outcome; a survey answer's overall and recommend answers under the survey's own
  item names; a campaign's name) and ``note`` (a contact's free text, which may hold personal
  data: the API masks it for viewers, :data:`FREE_TEXT_FIELDS`).

A source that has nothing in the workspace (no service log, survey or campaign) returns ``[]``.
Adding a source is adding a function to the list, or passing one's own list to
:func:`customer_timeline`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

__all__ = ["EVENT_SOURCES", "FREE_TEXT_FIELDS", "customer_timeline", "purchase_events",
           "contact_events", "survey_events", "campaign_events", "TIMELINE_EVENTS"]

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


def survey_events(rows: Rows, customer_id: str, limit: int) -> list[dict]:
    """The customer's survey answers (``cvm survey load``): one event per response, on its
    date, with the overall satisfaction and likelihood-to-recommend answers in ``detail`` (a
    "don't know" left out). A respondent id is read through the unified ids as the survey's
    own figures read it."""
    if not _has_table(rows, "survey_responses"):
        return []
    answer = ("CASE WHEN a.answer = round(a.answer) THEN CAST(CAST(a.answer AS BIGINT) AS VARCHAR)"
              " ELSE CAST(a.answer AS VARCHAR) END")
    return rows(
        "WITH mine AS (SELECT r.file_id, r.source_row, r.response_date, r.channel "
        "  FROM survey_responses r LEFT JOIN xref x ON x.source = r.source "
        "  AND x.source_customer_id = r.respondent_id "
        "  WHERE coalesce(x.customer_id, r.respondent_id) = ?), "
        "said AS (SELECT a.file_id, a.source_row, "
        f"  string_agg(i.item || ' ' || {answer}, ' · ' ORDER BY i.role, i.position) AS detail "
        "  FROM survey_answers a JOIN survey_items i ON i.file_id = a.file_id "
        "  AND i.item = a.item WHERE i.role IN ('overall', 'recommend') AND a.answer IS NOT NULL "
        "  GROUP BY a.file_id, a.source_row) "
        "SELECT CAST(m.response_date AS TIMESTAMP) AS time, 'survey' AS event, 'survey' AS kind, "
        "m.channel, NULL::DOUBLE AS amount, s.detail, NULL::VARCHAR AS note FROM mine m "
        "LEFT JOIN said s ON s.file_id = m.file_id AND s.source_row = m.source_row "
        f"ORDER BY m.response_date DESC, m.source_row DESC LIMIT {int(limit)}", [customer_id])


def campaign_events(rows: Rows, customer_id: str, limit: int) -> list[dict]:
    """The campaigns the customer was drawn into (``cvm campaign create``), on each campaign's
    start date: ``kind`` is the arm (``treatment``: contacted; ``control``: held out, not
    contacted), ``detail`` the campaign's name."""
    if not _has_table(rows, "campaign_members"):
        return []
    return rows(
        "SELECT CAST(c.start_date AS TIMESTAMP) AS time, 'campaign' AS event, m.arm AS kind, "
        "NULL::VARCHAR AS channel, NULL::DOUBLE AS amount, c.name AS detail, "
        "NULL::VARCHAR AS note FROM campaign_members m JOIN campaigns c ON c.name = m.campaign "
        "WHERE m.customer_id = ? "
        f"ORDER BY c.start_date DESC, c.name DESC LIMIT {int(limit)}", [customer_id])


#: the sources a timeline is built from, in the order events of the same time are listed
EVENT_SOURCES: tuple[EventSource, ...] = (purchase_events, contact_events, survey_events,
                                          campaign_events)


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
