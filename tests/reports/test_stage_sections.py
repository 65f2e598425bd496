"""The report's lifecycle, value and matrix sections, from a real run of the small workspace."""

from __future__ import annotations

import re

import pytest

from cvm.reports import render_report
from cvm.reports.segment_text import (
    ACTION_NAMES,
    PHASE_NAMES,
    QUADRANT_NAMES,
    SEGMENT_GLOSSARY,
    SEGMENT_TEXT,
    TIER_NAMES,
)


@pytest.fixture
def result(run_stages):
    return run_stages(with_clv=True)


def _render(result, lang="en"):
    return render_report(result.customers_frame(), result.segments_frame(), result.pareto,
                         result.info, lang=lang)


def _rows(html: str, section: str) -> list[list[str]]:
    part = html.split(f'id="{section}"', 1)[1].split("</section>", 1)[0]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row)
            for row in re.findall(r"<tr>(.*?)</tr>", part, flags=re.S)]


def _section_ids(html: str) -> list[str]:
    return re.findall(r'<section id="([^"]+)">', html)


def test_sections_appear_in_order(result):
    html = _render(result)
    assert _section_ids(html) == [
        "todo", "rfm", "segments", "concentration", "heatmap", "clv", "alive", "lifecycle",
        "matrix", "quadrants", "funnel", "flows", "glossary"]
    headings = re.findall(r"<h2[^>]*>(.*?)</h2>", html)
    assert [h for h in headings if h in (
        "What to do: one page", "Value × lifecycle matrix", "Current and potential value",
        "Lifecycle funnel and stage economics", "Stage flows")] == [
        "What to do: one page", "Value × lifecycle matrix", "Current and potential value",
        "Lifecycle funnel and stage economics", "Stage flows"]
    assert "There is no credit data, so every customer has the neutral credit score (5 of 10)." \
        in html


def test_funnel_table_has_the_stage_economics(result):
    rows = {r[0]: r for r in _rows(_render(result), "funnel") if r}
    # stage, customers now, customer-periods, revenue booked, last 90 days, per customer and
    # period, cost, profit, profit per customer and period (see test_stages.BOOKED; here the
    # CLV stand-in churns "trial" now, by P(alive) 0.05). "steady" is stable in the last period
    # only: 100 with a margin of 40
    assert rows["Stability"] == ["Stability", "1", "1", "100.00", "100.00", "100.00", "60.00",
                                 "40.00", "40.00"]
    # "gone" in periods 1 and 0, "trial" in period 0: nothing booked, nothing earned
    assert rows["Churned"] == ["Churned", "2", "3", "0.00", "0.00", "0.00", "0.00", "0.00",
                               "0.00"]
    assert rows["Prospect"][:4] == ["Prospect", "2", "12", "0.00"]
    # "steady" and "faller" in period 3, "trial" in periods 2 and 1, "newbie" in period 0; their
    # purchases have no margin: profit unknown
    assert rows["Exploration"] == ["Exploration", "1", "5", "490.00", "110.00", "98.00", "–",
                                   "–", "–"]
    html = _render(result)
    part = html.split('id="funnel"', 1)[1].split("</section>", 1)[0]
    assert part.count("<svg") == 2 and "Per customer and period, by stage" in part


def test_todo_lists_cells_with_customers_by_priority(result):
    rows = [r for r in _rows(_render(result), "todo") if r]
    priorities = [int(r[0]) for r in rows]
    assert priorities == sorted(priorities)
    assert sum(int(r[2]) for r in rows) == result.customers.num_rows
    # the prospects look like the average buyer, whose potential ranks high in this run
    [prospects] = [r for r in rows if r[1] == "LH · Prospective"]
    assert prospects[2] == "2"  # "pros" and "pros2"
    assert prospects[4] == "Start a relationship that can grow"
    assert prospects[-1] == "–"  # no CLV for prospects in this run


def test_purchase_sections_count_buyers_only(result):
    html = _render(result)
    # the key figure counts the five buyers, not the two prospects of the customer list
    assert re.search(r'<div class="figure-value">5</div><div class="figure-label">Customers',
                     html)


def test_chinese_sections(result):
    html = _render(result, "zh")
    for title in ("行动要点（一页纸）", "价值 × 生命周期矩阵", "当前价值与潜在价值",
                  "生命周期漏斗与各阶段经济效益", "阶段流转"):
        assert f">{title}</h2>" in html
    assert "没有信用数据" in html


def test_no_sections_without_the_stages(result):
    info = dict(result.info)
    info.pop("stages")
    html = render_report(result.customers_frame(), result.segments_frame(), result.pareto, info)
    # the sections of the stages' columns stay; those of their run summaries go
    assert _section_ids(html) == ["rfm", "segments", "concentration", "heatmap", "clv", "alive",
                                  "lifecycle", "glossary"]


def test_both_languages_have_the_same_keys():
    for table in (SEGMENT_TEXT, QUADRANT_NAMES, PHASE_NAMES, TIER_NAMES, ACTION_NAMES,
                  SEGMENT_GLOSSARY):
        assert set(table["en"]) == set(table["zh"])
