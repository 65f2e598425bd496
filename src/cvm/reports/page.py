"""The page every report is drawn on: the Jinja template ``report.html.j2`` with its fonts and
stylesheets (the main report and the CLV validation report share it)."""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2

from cvm.reports.charts import FONT_STACK

__all__ = ["environment", "page_styles"]

_TEMPLATES = Path(__file__).parent / "templates"


def page_styles() -> dict:
    """What every page drawn from ``report.html.j2`` styles itself with: the font stack, the
    stylesheet for screen and print, and the one for screens only (left out of PDFs)."""
    return {"font_stack": FONT_STACK,
            "css": (_TEMPLATES / "report.css").read_text(encoding="utf-8"),
            "screen_css": (_TEMPLATES / "report-screen.css").read_text(encoding="utf-8")}


@functools.cache
def environment() -> jinja2.Environment:
    """The Jinja environment of the report templates (HTML escaped, undefined names refused)."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES),
                              autoescape=jinja2.select_autoescape(("html", "j2")),
                              trim_blocks=True, lstrip_blocks=True,
                              undefined=jinja2.StrictUndefined)
