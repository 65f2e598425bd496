"""The printed report (WeasyPrint): no complaints about its CSS, and every table fits the page.

The report comes from a real run on the CDNOW sample, so it has the wide "What to do" table."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

weasyprint = pytest.importorskip("weasyprint")

DATA = Path(__file__).resolve().parents[1] / "data" / "CDNOW_sample.txt"


@pytest.fixture(scope="module")
def report_html(tmp_path_factory) -> str:
    from cvm.config import AnalysisConfig
    from cvm.pipeline import run
    from cvm.reports import render_report
    from cvm.workspace import Workspace

    folder = tmp_path_factory.mktemp("pdf")
    path = folder / "cdnow.duckdb"
    run([DATA], workspace=path, out=None, config=AnalysisConfig())
    with Workspace(path) as ws:
        run_id = ws.latest_run()
        summary = ws.run_summary(run_id)
        customers = ws.result("customers", run_id).to_pandas(date_as_object=False)
        segments = ws.result("segments", run_id).to_pandas()
    return render_report(customers, segments, summary["pareto"], summary["info"], lang="en")


def test_the_report_has_the_wide_what_to_do_table(report_html):
    assert '<section id="todo">' in report_html
    assert "Expected gain per customer" in report_html


def test_printing_the_report_logs_no_weasyprint_warnings(report_html, tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        weasyprint.HTML(string=report_html).write_pdf(tmp_path / "report.pdf")
    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")


def test_every_word_of_the_printed_report_is_inside_the_page(report_html):
    from weasyprint.formatting_structure.boxes import TextBox

    document = weasyprint.HTML(string=report_html).render()
    outside = []
    for number, page in enumerate(document.pages, start=1):
        box = page._page_box
        left, right = box.content_box_x(), box.content_box_x() + box.width
        for text in _descendants(box):
            if isinstance(text, TextBox) and (text.position_x < left - 0.5
                                              or text.position_x + text.width > right + 0.5):
                outside.append((number, text.text))
    assert outside == []
    assert len(document.pages) >= 10


def _descendants(box):
    for child in getattr(box, "children", None) or ():
        yield child
        yield from _descendants(child)
