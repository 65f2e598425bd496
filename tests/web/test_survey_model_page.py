"""The survey's structural model on the dashboard's satisfaction page and in its API answer,
on a real server and in a real browser."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from cvm.api.tokens import create_token
from cvm.config import AnalysisConfig
from cvm.demo import write_demo_data
from cvm.ingest.load import load_transactions
from cvm.pipeline import analyse
from cvm.satisfaction.demo import write_demo_survey, write_demo_survey_model
from cvm.satisfaction.survey import load_survey
from cvm.satisfaction.survey_model import store_survey_model
from cvm.stages import FeatureStage, SatisfactionStage
from cvm.workspace import Workspace

from api.server import Server  # noqa: E402  (tests/ is on the path: see conftest)
from .conftest import shot

AS_OF = dt.date(2024, 12, 31)


@pytest.fixture(scope="module")
def model_site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("survey-model-web")
    tx, _ = write_demo_data(folder, customers=600)
    survey, definition = write_demo_survey(folder, tx)
    path = folder / "shop.duckdb"
    with Workspace(path) as ws:
        load_transactions(ws, tx, as_of=AS_OF)
        load_survey(ws, survey, definition=definition)
        store_survey_model(ws, write_demo_survey_model(folder))
        analyse(ws, AnalysisConfig(as_of=AS_OF), stages=[FeatureStage(), SatisfactionStage()])
        tokens = {"analyst": create_token(ws, "analyst", name="test analyst")}
    server = Server(path, tokens, (tx, tx)).start(folder / "serve.log")
    yield server
    server.stop()


def test_the_api_answer_holds_the_model_and_its_diagram(model_site):
    with model_site.client("analyst") as c:
        en = c.get("/satisfaction").json()
        zh = c.get("/satisfaction", params={"lang": "zh"}).json()
    model = en["model"]
    assert [p["from"] for p in model["paths"]] == ["茶饮", "店员", "速度", "门店", "价格",
                                                  "Satisfaction"]
    assert all(p["ci_lower"] <= p["estimate"] <= p["ci_upper"] for p in model["paths"])
    assert model["labels"]["Satisfaction"] == "Satisfaction"
    assert zh["model"]["labels"]["Satisfaction"] == "顾客满意"
    assert en["importance"][0]["importance_source"] == "total effects of the structural model"
    svg = ET.fromstring(zh["path_diagram_svg"])
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "顾客满意" in texts and "顾客忠诚" in texts


def _sign_in(page, server, target: str) -> None:
    page.goto(server.url + "/login?next=" + target)
    page.fill("#token", server.tokens["analyst"])
    page.click("#login-form button[type=submit]")
    page.wait_for_url(server.url + target)


def test_the_model_on_the_satisfaction_page(page, model_site):
    _sign_in(page, model_site, "/satisfaction?lang=zh")
    page.wait_for_selector("#survey-model:not([hidden])")
    assert page.locator("#survey-path-diagram svg line").count() == 6
    assert page.locator("#survey-path-diagram svg").is_visible()
    rows = page.locator("#survey-model-paths tbody tr").all_inner_texts()
    assert len(rows) == 6 and rows[-1].split("\t")[:2] == ["顾客满意", "顾客忠诚"]
    quality = page.locator("#survey-model-quality tbody tr").all_inner_texts()
    assert len(quality) == 7 and quality[0].split("\t")[0] == "茶饮"
    assert "结构模型" in page.locator("#survey-path-note").inner_text()
    assert "结构模型的总效应" in page.locator("#survey-ipa-note").inner_text()
    shot(page, "satisfaction-model")
