"""A run's report reads in one language, whatever the language the run was made in: the
segment names, the scheme's title and the built-in playbook's objectives and budgets follow
the report's language."""

from __future__ import annotations

import re

import pytest

from cvm.config import AnalysisConfig
from cvm.demo import DEMO_AS_OF, write_demo_data
from cvm.pipeline import run
from cvm.reports import render_report
from cvm.segments.playbook import load_playbook
from cvm.workspace import Workspace

CJK = re.compile(r"[\u4e00-\u9fff]+")


def _visible(page: str) -> str:
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"<[^>]+>", " ", text)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A workspace with a run made in Chinese (run 1) and one made in English (run 2)."""
    folder = tmp_path_factory.mktemp("report-language")
    tx, cust = write_demo_data(folder / "data", customers=300)
    path = folder / "shop.duckdb"
    for lang in ("zh", "en"):
        run([tx], customers=[cust], workspace=path, out=None,
            config=AnalysisConfig(as_of=DEMO_AS_OF, lang=lang))
    return path


def _report(path, run_id: int, lang: str) -> str:
    with Workspace(path) as ws:
        summary = ws.run_summary(run_id)
        customers = ws.result("customers", run_id).to_pandas(date_as_object=False)
        segments = ws.result("segments", run_id).to_pandas()
    return render_report(customers, segments, summary["pareto"], summary["info"], lang=lang)


def test_an_english_report_of_a_run_made_in_chinese_has_no_chinese(workspace):
    text = _visible(_report(workspace, 1, "en"))
    assert CJK.findall(text) == []
    assert "Champions" in text and "Keep and deepen: the core customers" in text
    assert "RFM eleven-segment map" in text


def test_a_chinese_report_of_a_run_made_in_english_names_nothing_in_english(workspace):
    zh = _visible(_report(workspace, 2, "zh"))
    english_plays = load_playbook(lang="en").plays.values()
    found = [p.objective for p in english_plays if p.objective in zh]
    found += [p.budget for p in english_plays if p.budget in zh]
    for label in ("Champions", "Loyal", "Potential loyalist", "Cannot lose them", "Hibernating"):
        if re.search(rf"\b{label}\b", zh):
            found.append(label)
    assert found == []
    assert "冠军客户" in zh and "保持并深化：核心客户" in zh
    # the same report as that of the run made in Chinese, but for the run's own numbers
    assert _visible(_report(workspace, 1, "zh")).count("冠军客户") == zh.count("冠军客户")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_report_is_the_same_without_the_columns_it_does_not_read(workspace, lang):
    """The report is rendered from the columns it reads (``report_columns``): the same page,
    to the byte, as from the whole table, which holds every column the report leaves out
    (the customer list's contact fields, the reasons in words …)."""
    from cvm.reports import report_columns
    from cvm.reports.html import REPORT_UNREAD_COLUMNS

    with Workspace(workspace) as ws:
        summary = ws.run_summary(2)
        table = ws.result("customers", 2)
        segments = ws.result("segments", 2).to_pandas()
    kept = report_columns(table.column_names)
    left = set(table.column_names) - set(kept)
    assert {"name", "phone", "churn_reason", "lifecycle_rule", "expected_purchases_365d"} <= left
    assert left <= REPORT_UNREAD_COLUMNS | {"expected_purchases_365d"}
    pages = [render_report(t.to_pandas(date_as_object=False), segments, summary["pareto"],
                           summary["info"], lang=lang) for t in (table, table.select(kept))]
    assert pages[0] == pages[1]
