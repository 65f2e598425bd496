"""The HTML report: self-contained, in English and Chinese, with the numbers it was given."""

from __future__ import annotations

import re
import string
import warnings

import pandas as pd
import pytest

from cvm.reports import render_report, write_report
from cvm.reports.formatting import format_compact, format_percent
from cvm.reports.labels import GLOSSARY, LABELS, STAGES, labels_for, window_text
from cvm.schema import CUSTOMER_FEATURE_COLUMNS, SEGMENT_SUMMARY_COLUMNS

SEGMENT_NAMES = {
    "en": ["Champions", "Loyal", "At Risk", "Hibernating"],
    "zh": ["重要价值客户", "忠诚客户", "流失风险客户", "沉睡客户"],
}


def handmade(make_inputs, lang: str = "en", **options):
    """Customers from the generator; segments and Pareto results with round, known numbers."""
    customers, _, _, run_info = make_inputs(400, lang=lang, symbol="$", **options)
    segments = pd.DataFrame({
        "segment": ["champions", "loyal", "at_risk", "hibernating"],
        "label": SEGMENT_NAMES[lang],
        "customers": [1234, 2466, 2200, 4100],
        "customer_share": [0.1234, 0.2466, 0.22, 0.41],
        "value": [410_000.0, 300_000.0, 200_000.0, 90_000.0],
        "value_share": [0.41, 0.30, 0.20, 0.09],
        "avg_recency_days": [12.4, 40.0, 210.5, 400.2],
        "avg_frequency": [8.26, 4.0, 3.1, 0.4],
        "avg_monetary_total": [332.25, 121.65, 90.91, 21.95],
    })
    pareto = {
        "basis": "value", "value_measure": "revenue", "thresholds": {"A": 0.7, "B": 0.9},
        "gini": 0.6234,
        "lorenz": [[0.0, 0.0], [0.15, 0.7], [0.2, 0.6834], [0.4, 0.9], [1.0, 1.0]],
        "classes": [
            {"class": "A", "customers": 1500, "customer_share": 0.15, "value": 700_000.0,
             "value_share": 0.70},
            {"class": "B", "customers": 2500, "customer_share": 0.25, "value": 200_000.0,
             "value_share": 0.20},
            {"class": "C", "customers": 6000, "customer_share": 0.60, "value": 100_000.0,
             "value_share": 0.10},
        ],
        "top_share": 0.2, "top_value_share": 0.6834,
    }
    run_info = {**run_info, "n_customers": 10_000, "total_value": 1_000_000.0}
    return customers, segments, pareto, run_info


def text_of(html: str) -> str:
    """The visible text of the page outside the charts, tags removed."""
    html = re.sub(r"<svg.*?</svg>", " ", html, flags=re.DOTALL)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture(scope="module")
def report_en(make_inputs):
    return render_report(*handmade(make_inputs, "en"), lang="en")


@pytest.fixture(scope="module")
def report_zh(make_inputs):
    return render_report(*handmade(make_inputs, "zh"), lang="zh")


# --- self-contained -------------------------------------------------------------------------

@pytest.mark.parametrize("fixture", ["report_en", "report_zh"])
def test_report_fetches_nothing(fixture, request):
    html = request.getfixturevalue(fixture)
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html
    assert "<link" not in html
    assert "@import" not in html
    assert not re.search(r"\bsrc\s*=", html)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html)
    # the only URLs are the SVG namespace names, which browsers never fetch
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", html))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    for url in urls:
        assert not re.search(rf"(?<!xmlns)(?<!xmlns:xlink)=\"{re.escape(url)}\"", html)


def test_charts_are_inline_svg_with_text(report_en):
    assert report_en.count("<svg") == 4
    assert report_en.count("</svg>") == 4
    assert "<?xml" not in report_en and "<!DOCTYPE svg" not in report_en
    # text stays text (the browser's fonts draw it), not glyph outlines
    assert re.search(r"<text[^>]*>Champions</text>", report_en)
    # element ids are unique across the charts on the page
    ids = re.findall(r'\bid="([^"]+)"', report_en)
    assert len(ids) == len(set(ids))


# --- the numbers, in English ---------------------------------------------------------------

def test_english_summary_sentences(report_en):
    text = text_of(report_en)
    for sentence in [
        "As of 2024-06-30, 10,000 customers brought a total revenue of $1M.",
        "The top 20% of customers bring 68% of revenue.",
        "1,234 customers (12%) are Champions, bringing 41% of revenue.",
        "The largest segment is Hibernating: 4,100 customers (41%), with 9% of revenue.",
        "Class A holds 1,500 customers (15%) and 70% of revenue.",
        "Gini 0.62: revenue is highly concentrated.",
        "45 of 61,215 input rows (0.1%) were rejected; the most common reason: "
        "unparseable date.",
    ]:
        assert sentence in text


def test_english_figures_tables_and_chart_labels(report_en):
    text = text_of(report_en)
    assert "Customer value report" in text
    assert "10,000 Customers" in text
    assert "$1,000,000 Total revenue" in text
    assert "$100.00 Revenue per customer" in text
    assert "68% Revenue from the top 20%" in text
    assert "0.62 Gini coefficient" in text
    for name in SEGMENT_NAMES["en"]:
        assert f"<td>{name}</td>" in report_en
    # right-aligned numbers with thousands separators, in the segment table and its total
    assert ('<td>Champions</td><td class="num">1,234</td><td class="num">12.3%</td>'
            '<td class="num">$410,000</td><td class="num">41.0%</td><td class="num">12</td>'
            '<td class="num">8.3</td><td class="num">$332.25</td>') in report_en
    assert ('<td>Total</td><td class="num">10,000</td><td class="num">100.0%</td>'
            '<td class="num">$1,000,000</td><td class="num">100.0%</td>') in report_en
    # ABC classes with cumulative shares
    assert ('<td>B</td><td class="num">2,500</td><td class="num">25.0%</td>'
            '<td class="num">$200,000</td><td class="num">20.0%</td><td class="num">40.0%</td>'
            '<td class="num">90.0%</td>') in report_en
    # data sources and reject reasons
    assert ('<td>data/transactions_2023.csv</td><td class="num">40,210</td>'
            '<td class="num">40,180</td><td class="num">30</td>') in report_en
    assert '<td>unparseable date</td><td class="num">21</td>' in report_en
    # the Gini in the concentration chart's legend, the cut-offs marked on it
    assert ">Concentration curve (Gini 0.62)</text>" in report_en
    assert ">A: 15% of customers, 70% of revenue</text>" in report_en
    assert ">B: 40% of customers, 90% of revenue</text>" in report_en
    assert ">Top 20%: 68% of revenue</text>" in report_en
    # sections in order
    headings = re.findall(r"<h2>(.*?)</h2>", report_en)
    assert headings == ["Data sources", "Summary", "Recency, frequency and spend", "Segments",
                        "Value concentration", "Recency × frequency", "Glossary"]


def test_glossary_lists_every_column(report_en):
    for column, meaning in CUSTOMER_FEATURE_COLUMNS.items():
        assert f"<code>{column}</code>" in report_en
    assert "<td>Repeat purchases: distinct purchase days minus one</td>" in report_en


# --- Chinese -------------------------------------------------------------------------------

def test_chinese_report(report_zh):
    text = text_of(report_zh)
    assert '<html lang="zh-CN">' in report_zh
    headings = re.findall(r"<h2>(.*?)</h2>", report_zh)
    assert headings == ["数据来源", "摘要", "最近购买、购买频率与消费金额", "客户分群", "价值集中度",
                        "最近购买 × 购买频率", "字段说明"]
    assert "<h1>客户价值分析报告</h1>" in report_zh
    for sentence in [
        "截至2024年6月30日，共有10,000名客户，收入合计$100万。",
        "前20%的客户贡献了68%的收入。",
        "1,234名客户（12%）属于“重要价值客户”，贡献了41%的收入。",
        "人数最多的分群是“沉睡客户”：4,100名客户（41%），贡献了9%的收入。",
        "A 类客户有1,500名客户（15%），贡献了70%的收入。",
        "基尼系数为0.62：收入高度集中。",
        "读取的61,215行中有45行（0.1%）被拒绝，最常见的原因：日期无法解析。",
    ]:
        assert sentence in text
    for name in SEGMENT_NAMES["zh"]:
        assert f"<td>{name}</td>" in report_zh
        assert re.search(rf"<text[^>]*>{name}</text>", report_zh)  # on the segment chart
    assert ">集中度曲线（基尼系数 0.62）</text>" in report_zh
    assert ">距最近一次购买天数</text>" in report_zh
    assert "<td>重复购买次数：有购买的不同天数减一</td>" in report_zh
    assert "<td>日期无法解析</td>" in report_zh
    # no English headings or sentences left over
    for english in ("Summary", "Segments", "Glossary", " customers ", "revenue", "Customers"):
        assert english not in text


def test_rendering_chinese_raises_no_glyph_warnings(make_inputs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        render_report(*handmade(make_inputs, "zh"), lang="zh")


# --- optional sections and edge cases ------------------------------------------------------

def test_clv_section_only_with_a_clv_column(make_inputs, report_en):
    assert "Customer lifetime value" not in report_en
    customers, segments, pareto, run_info = handmade(make_inputs, "en", clv=True)
    html = render_report(customers, segments, pareto, run_info)
    assert html.count("<svg") == 5
    assert "<h2>Customer lifetime value</h2>" in html
    clv = customers["clv"]
    top = clv.nlargest(round(0.2 * len(clv))).sum() / clv.sum()
    assert (f"Predicted customer lifetime value totals {format_compact(clv.sum(), 'en', '$')}; "
            f"the top 20% of customers hold {format_percent(top)} of it.") in text_of(html)
    zh = render_report(*handmade(make_inputs, "zh", clv=True), lang="zh")
    assert "<h2>客户终身价值</h2>" in zh


def test_alive_and_lifecycle_sections(make_inputs):
    customers, segments, pareto, run_info = handmade(make_inputs, "zh")
    stages = ["exploration", "formation", "stability", "decline", "churned"]
    customers = customers.assign(
        probability_alive=[(i % 10) / 10 for i in range(len(customers))],
        lifecycle_stage=[stages[i % 5] for i in range(len(customers))])
    html = render_report(customers, segments, pareto, run_info, lang="zh")
    assert html.count("<svg") == 6
    assert "<h2>客户存活概率</h2>" in html and "<h2>生命周期阶段</h2>" in html
    assert '<td>考察期</td><td class="num">80</td><td class="num">20.0%</td>' in html
    assert '<td>概率低于 50% 的客户</td><td class="num">50.0%</td>' in html


def test_one_customer_in_one_segment(make_inputs):
    customers, segments, pareto, run_info = make_inputs(1, symbol="")
    assert len(segments) == 1 and segments["customers"].tolist() == [1]
    html = render_report(customers, segments, pareto, run_info)
    text = text_of(html)
    assert "1 customer (100%) is Champions, bringing 100% of revenue." in text
    assert "The top 20% of customers bring 100% of revenue." in text
    assert html.count("<svg") == 4


def test_no_customers(make_inputs):
    customers, segments, _, run_info = make_inputs(1)
    pareto = {"basis": "value", "value_measure": "revenue", "thresholds": {"A": 0.7, "B": 0.9},
              "gini": 0.0, "lorenz": [[0.0, 0.0], [1.0, 1.0]], "classes": [], "top_share": 0.2,
              "top_value_share": None}
    run_info = {**run_info, "n_customers": 0, "total_value": 0.0}
    html = render_report(customers.iloc[0:0], segments.iloc[0:0], pareto, run_info)
    assert "No customers in this run." in html
    assert "<svg" not in html


def test_margin_as_the_value_measure(make_inputs):
    customers, segments, pareto, run_info = handmade(make_inputs)
    html = render_report(customers, segments, {**pareto, "value_measure": "margin"}, run_info)
    text = text_of(html)
    assert "The top 20% of customers bring 68% of margin." in text
    assert "$1,000,000 Total margin" in text


def test_missing_inputs_are_named(make_inputs):
    customers, segments, pareto, run_info = handmade(make_inputs)
    with pytest.raises(ValueError, match="customers lacks column.*r_score"):
        render_report(customers.drop(columns="r_score"), segments, pareto, run_info)
    with pytest.raises(ValueError, match="pareto lacks key.*gini"):
        render_report(customers, segments, {k: v for k, v in pareto.items() if k != "gini"},
                      run_info)
    with pytest.raises(ValueError, match="lang must be one of en, zh"):
        render_report(customers, segments, pareto, run_info, lang="fr")


def test_inputs_are_not_modified(make_inputs):
    customers, segments, pareto, run_info = handmade(make_inputs)
    before = customers.copy(), segments.copy(), repr(pareto), repr(run_info)
    render_report(customers, segments, pareto, run_info)
    pd.testing.assert_frame_equal(customers, before[0])
    pd.testing.assert_frame_equal(segments, before[1])
    assert (repr(pareto), repr(run_info)) == before[2:]


def test_same_inputs_same_report(make_inputs):
    inputs = handmade(make_inputs)
    assert render_report(*inputs) == render_report(*inputs)


def test_charts_do_not_grow_with_customers(make_inputs):
    small = render_report(*make_inputs(300, random_state=1))
    large = render_report(*make_inputs(30_000, random_state=1))
    assert len(large) < 1.3 * len(small)


def test_write_report(make_inputs, tmp_path):
    inputs = handmade(make_inputs, "zh")
    path = write_report(tmp_path / "out" / "report.html", *inputs, lang="zh")
    assert path == tmp_path / "out" / "report.html"
    assert path.read_text(encoding="utf-8") == render_report(*inputs, lang="zh")
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]


def test_real_segment_frame_columns_are_the_contract(make_inputs):
    _, segments, _, _ = make_inputs(50)
    assert tuple(segments.columns) == SEGMENT_SUMMARY_COLUMNS


# --- labels --------------------------------------------------------------------------------

def _placeholders(template: str) -> set[str]:
    """The named fields of a template ({Value} is {value} capitalised)."""
    return {name.lower() for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_languages_have_the_same_labels():
    assert set(LABELS["en"]) == set(LABELS["zh"])
    for key in LABELS["en"]:
        assert _placeholders(LABELS["en"][key]) == _placeholders(LABELS["zh"][key]), key
    assert set(GLOSSARY["en"]) == set(GLOSSARY["zh"])
    assert set(CUSTOMER_FEATURE_COLUMNS) <= set(GLOSSARY["zh"])
    assert set(STAGES["en"]) == set(STAGES["zh"])
    assert not any(re.search(r"[\u4e00-\u9fff]", text) for text in LABELS["en"].values())


@pytest.mark.parametrize("window, lang, expected", [
    ("all history", "en", "all history"), ("all history", "zh", "全部历史"),
    ("365 days", "en", "last 365 days"), ("365 days", "zh", "最近365天"),
    (None, "zh", "全部历史"),
])
def test_window_text(window, lang, expected):
    assert window_text(window, labels_for(lang)) == expected


@pytest.mark.parametrize("share, digits, expected", [
    (0.6834, 0, "68%"), (0.123, 1, "12.3%"), (0.004, 0, "0.4%"), (0.0003, 1, "0.03%"),
    (0.9996, 0, "99.96%"), (0.0, 0, "0%"), (1.0, 1, "100.0%"), (None, 0, "–"),
])
def test_format_percent(share, digits, expected):
    assert format_percent(share, digits) == expected


@pytest.mark.parametrize("value, lang, expected", [
    (2_437_869, "en", "¥2.44M"), (2_437_869, "zh", "¥244万"), (123_456_789, "zh", "¥1.23亿"),
    (1_500, "en", "¥1.5k"), (88.95, "en", "¥89"), (5.5, "en", "¥5.5"), (-2_000, "en", "-¥2k"),
])
def test_format_compact(value, lang, expected):
    assert format_compact(value, lang, "¥") == expected


def test_the_report_file_gets_the_mode_of_any_new_file(make_inputs, tmp_path):
    import os
    import stat

    customers, segments, pareto, run_info = handmade(make_inputs)
    previous = os.umask(0o022)
    try:
        target = write_report(tmp_path / "report.html", customers, segments, pareto, run_info)
        (tmp_path / "other.csv").write_text("a\n")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "other.csv").stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.csv", "report.html"]
