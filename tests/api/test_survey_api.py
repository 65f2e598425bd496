"""The satisfaction endpoints over HTTP, on a real server: the run's survey figures and a
customer's answers (a run without a survey says it has none)."""

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

from .server import Server

AS_OF = dt.date(2024, 12, 31)


@pytest.fixture(scope="module")
def survey_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("survey-api")
    sales = folder / "sales.csv"
    sales.write_text("customer,date,amount\na,2024-01-01,100\na,2024-07-01,50\n"
                     "b,2024-06-01,200\n", encoding="utf-8")
    survey = folder / "survey.csv"
    survey.write_text("member,date,service,recommend\na,2024-03-01,2,3\na,2024-09-01,不知道,9\n"
                      "b,2024-06-15,4,10\n", encoding="utf-8")
    definition = folder / "survey.toml"
    definition.write_text('[items.service]\nscale = "1-5"\n[items.recommend]\nscale = "0-10"\n'
                          'role = "recommend"\n', encoding="utf-8")
    path = folder / "shop.duckdb"
    with Workspace(path) as ws:
        load_transactions(ws, sales, as_of=AS_OF)
        load_survey(ws, survey, definition=definition)
        analyse(ws, AnalysisConfig(as_of=AS_OF), stages=[FeatureStage(), SatisfactionStage()])
        tokens = {"viewer": create_token(ws, "viewer", name="test viewer")}
    server = Server(path, tokens, (sales, sales)).start(folder / "serve.log")
    yield server
    server.stop()


def test_the_runs_survey_figures(survey_server):
    with survey_server.client("viewer") as c:
        body = c.get("/satisfaction").json()
    assert body["available"] is True and body["respondents"] == 3
    # service: 250 (a, March), don't know (a, September), 750 (b) → 500
    assert body["index"]["index"] == 500.0
    assert body["weights"]["rule"] == "equal group weights"
    # recommend 3, 9, 10: 2 promoters, 1 detractor of 3
    assert body["nps"]["nps"] == pytest.approx(100 / 3)
    assert [m["key"] for m in body["by"]["month"]] == ["2024-03", "2024-06", "2024-09"]


def test_a_customers_answers_newest_first(survey_server):
    with survey_server.client("viewer") as c:
        body = c.get("/survey/customers/a").json()
        none = c.get("/survey/customers/nobody").json()
    dates = [r["response_date"] for r in body["responses"]]
    assert dates == ["2024-09-01", "2024-03-01"]
    latest = {a["item"]: a for a in body["responses"][0]["answers"]}
    assert latest["service"]["answer"] is None and latest["service"]["dont_know"] is True
    assert latest["recommend"]["answer"] == 9.0 and latest["recommend"]["role"] == "recommend"
    assert none["responses"] == []


def test_the_endpoints_need_a_token(survey_server):
    with survey_server.client() as c:
        assert c.get("/satisfaction").status_code == 401
        assert c.get("/survey/customers/a").status_code == 401
