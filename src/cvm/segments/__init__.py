"""Segments over time and the strategies for them."""

from .actions import SegmentError, cell_alerts, target_list
from .matrix import assign_cells, matrix_cells, matrix_summary
from .migration import segment_migration
from .playbook import Playbook, PlaybookError, cell_economics, load_playbook

__all__ = ["segment_migration", "assign_cells", "matrix_cells", "matrix_summary", "Playbook",
           "PlaybookError", "load_playbook", "cell_economics", "SegmentError", "target_list",
           "cell_alerts"]
