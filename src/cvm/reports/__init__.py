"""The self-contained HTML report: summary, charts and tables in English or Chinese.

>>> from cvm.reports import render_report, write_report  # doctest: +SKIP
"""

from cvm.reports.html import render_report, write_report

__all__ = ["render_report", "write_report"]
