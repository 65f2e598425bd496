"""The self-contained HTML report: summary, charts and tables in English or Chinese.

>>> from cvm.reports import render_report, write_report  # doctest: +SKIP

The report's modules (matplotlib, Jinja) load on first use, so ``cvm.reports.formatting`` is
light to import on its own.
"""

__all__ = ["render_report", "write_report", "report_columns", "report_customers"]


def __getattr__(name: str):
    if name in __all__:
        from cvm.reports import html

        return getattr(html, name)
    raise AttributeError(f"module 'cvm.reports' has no attribute {name!r}")
