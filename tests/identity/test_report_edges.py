"""The linkage report and its match-weight chart, from linkages written by hand into a workspace."""

from __future__ import annotations

import json
import re

import pytest

from cvm.identity.link import IDENTITY_DDL
from cvm.identity.report import match_weight_svg, render_linkage_report
from cvm.workspace import Workspace

LEVELS = [
    {"comparison": "phone", "level": "same number", "match_weight": 10.0},
    {"comparison": "gender", "level": "All other comparisons", "match_weight": -2.5},
    {"comparison": "city", "level": "same city", "match_weight": None},   # never drawn
    {"comparison": "gender", "level": "same gender", "match_weight": 0.0},
    {"comparison": "email", "level": "no such level", "match_weight": 0.5},
]


def rects(svg: str) -> list[tuple]:
    return re.findall(r'<rect x="([^"]+)" y="([^"]+)" width="([^"]+)" height="([^"]+)" '
                      r'fill="([^"]+)"><title>([^<]+)</title>', svg)


def texts(svg: str) -> list[tuple]:
    return re.findall(r'<text x="([^"]+)" y="([^"]+)" text-anchor="([^"]+)"[^>]*>([^<]+)</text>',
                      svg)


def test_match_weight_chart_geometry_by_hand():
    svg = match_weight_svg(LEVELS, prior=-3.0)
    # four bars of 16 + 4: height 4 · 20 + 30 = 110; the widest weight 10, so the axis
    # runs to 11.5 either side over half of (900 - 330 - 20) = 275 pixels, zero at 605
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" width="900" height="110" ')
    assert rects(svg) == [
        ("605.0", "10", "239.1", "16", "#2e8b57", "phone: same number: +10.00"),  # 10/11.5·275
        ("545.2", "30", "59.8", "16", "#c0392b",                                  # 2.5/11.5·275
         "gender: All other comparisons: -2.50"),
        ("605.0", "50", "1.0", "16", "#2e8b57", "gender: same gender: +0.00"),    # at least 1
        ("605.0", "70", "12.0", "16", "#2e8b57", "email: no such level: +0.50"),
    ]
    assert texts(svg) == [
        ("324", "22", "end", "phone: same number"), ("848.1", "22", "start", "+10.0"),
        ("324", "42", "end", "gender: All other comparisons"), ("541.2", "42", "end", "-2.5"),
        ("324", "62", "end", "gender: same gender"), ("609.0", "62", "start", "+0.0"),
        ("324", "82", "end", "email: no such level"), ("621.0", "82", "start", "+0.5"),
        # the axis: ticks at ±11.5 and ±5.75
        ("330.0", "108", "middle", "-12"), ("467.5", "108", "middle", "-6"),
        ("605.0", "108", "middle", "+0"), ("742.5", "108", "middle", "+6"),
        ("880.0", "108", "middle", "+12")]
    assert '<line x1="605.0" y1="4" x2="605.0" y2="96" stroke="#333"/>' in svg
    assert svg.endswith("</svg>")


def test_small_weights_keep_an_axis_of_five_bits():
    svg = match_weight_svg([{"comparison": "city", "level": "same city", "match_weight": 2.0},
                            {"comparison": "city", "level": "x", "match_weight": -1.0}], 0.0)
    # the axis runs to 5 · 1.15 = 5.75: 2 bits are 2/5.75 · 275 = 95.65 pixels
    assert [r[:3] for r in rects(svg)] == [("605.0", "10", "95.7"), ("557.2", "30", "47.8")]
    assert ("880.0", "68", "middle", "+6") in texts(svg)


def test_chart_in_chinese_and_without_weights():
    svg = match_weight_svg(LEVELS, prior=0.0, lang="zh")
    assert [t[3] for t in texts(svg)][:8:2] == ["电话: 号码相同", "性别: 其他（不一致）",
                                                "性别: 性别相同", "邮箱: no such level"]
    assert match_weight_svg([LEVELS[2]], 0.0) == ""
    assert match_weight_svg([], 0.0) == ""


def add_linkage(ws: Workspace, link_id: int, summary: dict, levels=LEVELS, prior=1.5) -> None:
    ws.con.execute(
        "INSERT INTO identity_links VALUES (?, now(), now(), ?, ?, ?, ?, 0, ?, ?, ?, '{}', ?, ?, "
        "'{}', ?)",
        [link_id, "duckdb", summary["records"], summary["linkable"], summary["customers"],
         summary["review_pairs"], summary["merges"], summary["splits"], json.dumps(levels),
         prior, json.dumps(summary)])


SUMMARY = {"records": 1234, "linkable": 1200, "customers": 1000, "multi_record_customers": 150,
           "review_pairs": 17, "merges": 2, "splits": 1, "prevented": 0, "conflicts": 0,
           "source_pairs": {"crm – web": 120, "crm – crm": 3},
           "seconds": {"normalise": 1.25, "score": 2.5, "store": 0.3}}


@pytest.fixture
def ws(tmp_path):
    with Workspace(tmp_path / "ws.duckdb") as w:
        w.con.execute(IDENTITY_DDL)
        yield w


def tiles(page: str) -> list[tuple[str, str]]:
    return re.findall(r'<div class="tile">([^<]+)<b>([^<]+)</b></div>', page)


def test_report_of_the_last_linkage_by_hand(ws):
    add_linkage(ws, 1, dict(SUMMARY, records=9, linkable=9, customers=9), prior=-7.0)
    add_linkage(ws, 2, SUMMARY, prior=1.5)
    ws.con.execute("INSERT INTO identity_decisions VALUES "
                   "('crm', '1', 'web', '2', 'link', 'file', now()), "
                   "('crm', '1', 'web', '2', 'link', 'api', now()), "   # the same pair again
                   "('crm', '3', 'web', '4', 'separate', 'file', now())")
    ws.con.execute("INSERT INTO identity_events VALUES "
                   "(2, now(), 'merge', 'crm:1', 'web:9', 2), "
                   "(2, now(), 'split', 'crm:5', 'crm:6', 1), "
                   "(1, now(), 'merge', 'old:1', 'old:2', 5)")      # an earlier linkage's
    ws.con.execute("INSERT INTO identity_rejects VALUES (2, 'web', 'w7', 'web:w7', "
                   "'nothing to link on: no name, phone, email or id number')")
    page = render_linkage_report(ws)
    assert '<html lang="en">' in page and "<title>Customer linkage report</title>" in page
    assert '<p class="note">Linkage 2 · Engine duckdb · Seconds 4.0</p>' in page  # 4.05
    assert tiles(page) == [
        ("Customer records", "1,234"), ("Records linked on", "1,200"),
        ("Unified customers", "1,000"), ("Customers with several records", "150"),
        ("Pairs to review", "17"), ("Merges of earlier customers", "2"),
        ("Records that left a customer", "1"), ("Records with nothing to link on", "34"),
        ("Decisions in force", "2")]
    assert "Joins prevented" not in page
    assert ('<tr><td>crm – web</td><td class="n">120</td></tr>\n'
            '<tr><td>crm – crm</td><td class="n">3</td></tr>') in page
    assert "<h2>Match weights (bits of evidence; prior +1.5)</h2>" in page
    assert match_weight_svg(LEVELS, 1.5) in page
    assert ("<tr><td>web:9</td><td>merged into</td><td>crm:1</td><td class='n'>2</td></tr>\n"
            "<tr><td>crm:5</td><td>records moved to</td><td>crm:6</td><td class='n'>1</td>"
            "</tr>") in page
    assert "old:2" not in page
    assert ("<tr><td>web</td><td>w7</td><td>nothing to link on: no name, phone, email or id "
            "number</td></tr>") in page
    assert "<p>None.</p>" not in page
    assert page.endswith("</body></html>")


def test_an_empty_linkage_in_chinese(ws):
    add_linkage(ws, 1, dict(SUMMARY, records=3, linkable=3, customers=3, multi_record_customers=0,
                            merges=0, splits=0, prevented=4, conflicts=1, source_pairs={}),
                levels=[], prior=0.0)
    page = render_linkage_report(ws, lang="zh")
    assert '<html lang="zh-CN">' in page and "<h1>客户数据匹配报告</h1>" in page
    assert ("<p>因“不可合并”而未合并的连接: 4; 因“不可合并”而未执行的“必须合并”: 1</p>"
            in page)
    assert ("无可匹配信息的记录", "0") in tiles(page) and ("有效的人工决定", "0") in tiles(page)
    assert page.count("<p>无。</p>") == 3   # no shared customers, no changes, no rejects
    assert "<h2>匹配权重（证据比特数；先验 +0.0）</h2>" in page
    assert "<svg" not in page


def test_prevented_joins_alone_are_reported(ws):
    add_linkage(ws, 1, dict(SUMMARY, prevented=2, conflicts=0))
    assert ("<p>Joins prevented by cannot-link: 2; Must-link refused because of a "
            "cannot-link: 0</p>") in render_linkage_report(ws)


def test_report_needs_a_linkage_and_a_known_language(ws):
    with pytest.raises(ValueError, match="has no linkage yet"):
        render_linkage_report(ws)
    add_linkage(ws, 1, SUMMARY)
    with pytest.raises(ValueError, match="language must be 'en' or 'zh', not 'fr'"):
        render_linkage_report(ws, lang="fr")
