"""The contract between the report and the capabilities that contribute its sections.

The report (:mod:`cvm.reports.html`) draws its page frame: title, key figures, summary, data
sources and the glossary. Every section in between comes from a capability: RFM
(:mod:`cvm.reports.rfm`), ABC concentration (:mod:`cvm.reports.pareto`), CLV
(:mod:`cvm.reports.clv`), lifecycle, composite value and the matrix
(:mod:`cvm.reports.segments`). A capability contributes by defining, in its own module of
``cvm.reports``, a tuple ``SECTIONS`` of :class:`ReportSection`; the report finds every such
module, so adding a capability's sections is adding one file::

    # cvm/reports/churn.py
    from cvm.reports.sections import Content, ReportSection, RunResults, Table

    def _churn(results: RunResults) -> Content | None:
        if "probability_churn" not in results.buyers.columns:
            return None                      # the run has no churn scores: no section
        ...
        return Content(note=..., charts=[svg], tables=[table])

    SECTIONS = (ReportSection("churn", {"en": "Churn risk", "zh": "流失风险"}, 75, _churn),)

A section has

- a ``key``: its anchor in the page (``<section id="churn">``), unique in the report;
- a ``title`` in every report language (``{"en": …, "zh": …}``);
- a ``position``: sections are shown by position (then key); the built-in ones use 10 … 130;
- ``render``: a function from the run's stored results (:class:`RunResults`) to the section's
  :class:`Content` (a note, charts as inline SVG, tables), or ``None`` when the run has nothing
  for it (its stage did not run, its column is missing);
- ``needs_buyers``: shown only when the run has customers with purchases (all built-in ones).

A render function reads only what the run stored: the customer table, the segment summary, the
ABC results and the run summary (``run_info["stages"][name]`` holds what each stage reported).
It computes nothing that the run did not store, and it draws its charts from aggregates so that
the report does not grow with the number of customers. The customer table is read a column at
a time: a section holds the columns it reads, not the table.

This module imports nothing else from cvm, so a capability's module can import it without
importing the report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from cvm.reports.customer_columns import CustomerColumns

__all__ = ["Column", "Table", "Content", "Section", "RunResults", "ReportSection",
           "assemble"]


@dataclass(frozen=True)
class Column:
    """A table column: its heading, and whether it holds numbers (right-aligned) or code."""

    text: str
    numeric: bool = False
    code: bool = False


@dataclass
class Table:
    """A table of formatted cells (strings), with an optional total row and caption."""

    columns: list[Column]
    rows: list[list[str]]
    total: list[str] | None = None
    caption: str | None = None
    narrow: bool = False


@dataclass
class Content:
    """What a section shows under its title: a note, charts (inline SVG) and tables."""

    note: str | None = None
    charts: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


@dataclass
class Section:
    """A section as the page template shows it."""

    id: str
    title: str
    note: str | None = None
    charts: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


@dataclass(frozen=True)
class RunResults:
    """A run's stored results as the sections read them, in the report's language."""

    #: customers with at least one purchase (the purchase-based sections use these), read a
    #: column at a time (:class:`cvm.reports.customer_columns.CustomerColumns`: ``columns``,
    #: ``len()``, ``buyers["clv"]`` a pandas Series, ``buyers[mask]`` the selected rows)
    buyers: CustomerColumns
    #: every customer of the run, with the prospects the lifecycle stage appends (the same)
    everyone: CustomerColumns
    #: the segment summary, labels in the report's language
    segments: pd.DataFrame
    #: the ABC / concentration results
    pareto: Mapping[str, Any]
    #: the run summary (provenance, ``stages`` with each stage's figures), in the language
    run_info: Mapping[str, Any]
    #: "en" or "zh"
    lang: str
    #: the report's words (:class:`cvm.reports.labels.Labels`) for the language and value measure
    labels: Any
    #: the currency symbol amounts are shown with ("" when none)
    symbol: str = ""


@dataclass(frozen=True)
class ReportSection:
    """One section a capability contributes to the report (see the module's docstring)."""

    key: str
    title: Mapping[str, str]
    position: int
    render: Callable[[RunResults], Content | None]
    needs_buyers: bool = True


def assemble(contributed: Iterable[ReportSection], results: RunResults) -> list[Section]:
    """The sections of the report, in order: each contribution rendered, those that have
    nothing to show left out. Keys must be unique."""
    ordered = sorted(contributed, key=lambda s: (s.position, s.key))
    keys = [s.key for s in ordered]
    if len(set(keys)) != len(keys):
        raise ValueError(f"report sections with the same key: {sorted(keys)}")
    sections = []
    for spec in ordered:
        if spec.needs_buyers and len(results.buyers) == 0:
            continue
        content = spec.render(results)
        if content is not None:
            sections.append(Section(spec.key, spec.title[results.lang], content.note,
                                    list(content.charts), list(content.tables)))
    return sections
