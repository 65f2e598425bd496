"""Segments over time and the strategies for them."""

from .migration import segment_migration

__all__ = ["segment_migration"]
