"""Report sections are contributed by the capabilities: the contract of
``cvm.reports.sections``, the sections the built-in capabilities contribute, and a new
capability that adds its section by adding one file."""

from __future__ import annotations

import re
import textwrap

import pandas as pd
import pytest

import cvm.reports
from cvm.reports import html, render_report
from cvm.reports.labels import LANGUAGES, labels_for
from cvm.reports.sections import Content, ReportSection, RunResults, Section, Table, assemble

#: the built-in sections in the order the report shows them
BUILT_IN = ["todo", "rfm", "segments", "concentration", "heatmap", "clv", "alive", "churn",
            "complaints", "lifecycle", "clv-model", "matrix", "quadrants", "funnel", "flows",
            "cohorts", "campaigns", "cross-sell", "uplift", "satisfaction"]


def _results(buyers: int = 2, lang: str = "en") -> RunResults:
    frame = pd.DataFrame({"customer_id": [f"c{i}" for i in range(buyers)]})
    return RunResults(buyers=frame, everyone=frame, segments=pd.DataFrame(), pareto={},
                      run_info={}, lang=lang, labels=labels_for(lang))


def _toy(key: str, position: int, note: str | None, *, needs_buyers: bool = True):
    def render(results: RunResults) -> Content | None:
        if note is None:
            return None
        return Content(f"{note} ({len(results.buyers)} buyers)", ["<svg/>"],
                       [Table([], [["1"]])])
    return ReportSection(key, {"en": f"{key} title", "zh": f"{key}标题"}, position, render,
                         needs_buyers=needs_buyers)


def test_assemble_orders_by_position_then_key_and_leaves_out_empty_sections():
    sections = assemble([_toy("b", 20, "second"), _toy("nothing", 15, None),
                         _toy("a", 20, "first"), _toy("z", 5, "zeroth")], _results(3, "zh"))
    assert [(s.id, s.title, s.note) for s in sections] == [
        ("z", "z标题", "zeroth (3 buyers)"), ("a", "a标题", "first (3 buyers)"),
        ("b", "b标题", "second (3 buyers)")]
    assert sections[0] == Section("z", "z标题", "zeroth (3 buyers)", ["<svg/>"],
                                  [Table([], [["1"]])])


def test_without_buyers_only_the_sections_that_do_not_need_them():
    sections = assemble([_toy("a", 1, "x"), _toy("b", 2, "y", needs_buyers=False)], _results(0))
    assert [s.id for s in sections] == ["b"]


def test_two_sections_with_one_key_are_refused():
    with pytest.raises(ValueError, match=r"report sections with the same key: \['a', 'a'\]"):
        assemble([_toy("a", 1, "x"), _toy("a", 2, "y")], _results())


def test_the_built_in_capabilities_contribute_their_sections_in_reading_order():
    contributed = sorted(html.contributed_sections(), key=lambda s: (s.position, s.key))
    assert [s.key for s in contributed] == BUILT_IN
    for section in contributed:
        assert set(section.title) == set(LANGUAGES)
        assert section.title["en"] != section.title["zh"]
        assert section.needs_buyers


def test_a_new_capability_adds_its_section_with_one_file(make_inputs, tmp_path, monkeypatch):
    (tmp_path / "toy_capability.py").write_text(textwrap.dedent('''
        from cvm.reports.sections import Column, Content, ReportSection, Table

        def _toy(results):
            top = results.buyers["monetary_total"].max()
            return Content("The largest spend.",
                           tables=[Table([Column("Spend", numeric=True)], [[f"{top:.2f}"]])])

        SECTIONS = (ReportSection("toy", {"en": "Toy", "zh": "玩具"}, 45, _toy),)
    '''), encoding="utf-8")
    # the file sits in a folder of the cvm.reports package, as a new module of it would
    monkeypatch.setattr(cvm.reports, "__path__", [*cvm.reports.__path__, str(tmp_path)])
    html.contributed_sections.cache_clear()
    try:
        customers, segments, pareto, run_info = make_inputs(50)
        page = render_report(customers, segments, pareto, run_info)
    finally:
        html.contributed_sections.cache_clear()
    ids = re.findall(r'<section id="([^"]+)">', page)
    assert ids == ["rfm", "segments", "concentration", "toy", "heatmap", "glossary"]
    top = customers["monetary_total"].max()
    assert ('<section id="toy">\n  <h2>Toy</h2>\n<p class="note">The largest spend.</p>'
            in page)
    assert f'<td class="num">{top:.2f}</td>' in page
