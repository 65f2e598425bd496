"""Unified customers: one ``customer_id`` for each person across source systems."""

from .xref import unify

__all__ = ["unify"]
