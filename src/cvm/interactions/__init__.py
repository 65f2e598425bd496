"""Contacts with customers — service calls, complaints, enquiries, visits — loaded from a
service log (:func:`load_interactions`), shown on the customer's timeline
(:mod:`cvm.insights.timeline`) and counted as churn features (:mod:`cvm.features.complaints`).
See docs/interactions.md."""

from .load import TABLE_KIND, ensure_tables, has_interactions, load_interactions
from .vocabulary import (
    CHANNEL_LABELS,
    CHANNELS,
    INTERACTION_FIELDS,
    KIND_LABELS,
    KINDS,
    channel_key,
    kind_key,
)

__all__ = ["load_interactions", "ensure_tables", "has_interactions", "TABLE_KIND",
           "INTERACTION_FIELDS", "CHANNELS", "KINDS", "CHANNEL_LABELS", "KIND_LABELS",
           "channel_key", "kind_key"]
