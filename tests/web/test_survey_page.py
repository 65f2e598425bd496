"""The dashboard's satisfaction page and a customer's survey answers, in a real browser."""

from __future__ import annotations

import datetime as dt

import pytest

from cvm.api.tokens import create_token
from cvm.config import AnalysisConfig
from cvm.ingest.load import load_transactions
from cvm.pipeline import analyse
from cvm.satisfaction.survey import load_survey
from cvm.stages import FeatureStage, SatisfactionStage
from cvm.workspace import Workspace

from api.server import Server  # noqa: E402  (tests/ is on the path: see conftest)
from .conftest import shot

AS_OF = dt.date(2024, 12, 31)
DEFINITION = """
[groups]
service = 1
store = 1
[items."服务"]
scale = "1-5"
group = "service"
[items."环境"]
scale = "1-5"
group = "store"
[items."总体"]
scale = "1-5"
role = "overall"
[items."推荐"]
scale = "0-10"
role = "recommend"
[items."期望服务"]
scale = "1-5"
role = "expectation"
expectation_of = "服务"
"""


@pytest.fixture(scope="module")
def survey_site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("survey-web")
    sales = folder / "sales.csv"
    people = [f"C{i:02d}" for i in range(12)]
    sales.write_text("customer,date,amount\n" + "".join(
        f"{p},2024-0{1 + i % 9}-10,{50 + 10 * i}\n" for i, p in enumerate(people)),
        encoding="utf-8")
    survey = folder / "survey.csv"
    survey.write_text("会员编号,日期,服务,环境,总体,推荐,期望服务\n" + "".join(
        f"{p},2024-{3 + i % 3:02d}-01,{1 + i % 5},{1 + (i + 2) % 5},{1 + (i + 1) % 5},"
        f"{(3 * i) % 11},{1 + (i + 3) % 5}\n" for i, p in enumerate(people)), encoding="utf-8")
    definition = folder / "survey.toml"
    definition.write_text(DEFINITION, encoding="utf-8")
    path = folder / "shop.duckdb"
    with Workspace(path) as ws:
        load_transactions(ws, sales, as_of=AS_OF)
        load_survey(ws, survey, definition=definition)
        analyse(ws, AnalysisConfig(as_of=AS_OF), stages=[FeatureStage(), SatisfactionStage()])
        tokens = {"analyst": create_token(ws, "analyst", name="test analyst")}
    server = Server(path, tokens, (sales, sales)).start(folder / "serve.log")
    yield server
    server.stop()


def _sign_in(page, server, target: str) -> None:
    page.goto(server.url + "/login?next=" + target)
    page.fill("#token", server.tokens["analyst"])
    page.click("#login-form button[type=submit]")
    page.wait_for_url(server.url + target)


def test_the_satisfaction_page(page, survey_site):
    _sign_in(page, survey_site, "/satisfaction")
    page.wait_for_selector("#survey-content:not([hidden])")
    kpis = page.locator("#survey-kpis .kpi .value").all_inner_texts()
    # 12 respondents, given equal weights: service answers 1 + i % 5 average 1.75 of 4 points
    # above the lowest (437.5), store 1 + (i + 2) % 5 average 25/12 (520.8) → 479.2
    assert kpis[0] == "479" and kpis[1] == "12"
    assert page.locator("#survey-gauge canvas").count() == 1
    assert page.locator("#survey-trend canvas").count() == 1
    assert page.locator("#survey-ipa canvas").count() == 1
    assert page.locator("#survey-path").is_visible()
    assert page.locator("#survey-gap tbody tr").count() == 1
    months = page.locator("#survey-by").evaluate("s => [...s.options].map(o => o.value)")
    assert "month" in months
    page.select_option("#survey-by", "month")
    assert page.locator("#survey-by-table tbody tr").count() == 3
    shot(page, "satisfaction")
    page.goto(survey_site.url + "/satisfaction?lang=zh")
    page.wait_for_selector("#survey-content:not([hidden])")
    assert page.locator("h1").inner_text() == "满意度：问卷、指数与净推荐值"


def test_a_customers_answers_on_the_360_page(page, survey_site):
    _sign_in(page, survey_site, "/customers/C03")
    page.wait_for_selector("#survey-answers:not([hidden])")
    rows = page.locator("#survey-answers tbody tr").all_inner_texts()
    assert len(rows) == 5
    assert rows[0].split("\t")[0] == "服务" and rows[0].split("\t")[-1] == "4"
