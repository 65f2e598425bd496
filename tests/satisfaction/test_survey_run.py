"""The satisfaction stage in a run: survey columns for the customers who answered, the
breakdowns stored, and a run without a survey left as it was."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cvm.config import AnalysisConfig
from cvm.pipeline import analyse
from cvm.ingest.load import load_transactions
from cvm.satisfaction.survey import load_survey
from cvm.stages import FeatureStage, SatisfactionStage
from cvm.workspace import Workspace

AS_OF = dt.date(2024, 12, 31)
SALES = "customer,date,amount,store\na,2024-01-01,100,S1\na,2024-07-01,50,S1\n" \
        "b,2024-06-01,200,S2\nc,2024-12-30,10,S2\n"
DEFINITION = """
[groups]
service = 1
[items.service]
scale = "1-5"
[items.overall]
scale = "1-5"
role = "overall"
[items.recommend]
scale = "0-10"
role = "recommend"
"""
SURVEY = "member,date,service,overall,recommend\n" \
         "a,2024-03-01,2,2,3\n" \
         "a,2024-09-01,5,4,9\n" \
         "b,2024-06-15,4,5,7\n" \
         "z,2024-06-20,1,1,0\n"   # answered, bought nothing


@pytest.fixture
def shop(tmp_path):
    (tmp_path / "sales.csv").write_text(SALES, encoding="utf-8")
    (tmp_path / "survey.csv").write_text(SURVEY, encoding="utf-8")
    (tmp_path / "survey.toml").write_text(DEFINITION, encoding="utf-8")
    return tmp_path


def _run(folder, with_survey: bool):
    ws = Workspace(folder / ("with.duckdb" if with_survey else "without.duckdb"))
    load_transactions(ws, folder / "sales.csv", as_of=AS_OF)
    if with_survey:
        load_survey(ws, folder / "survey.csv", definition=folder / "survey.toml")
    result = analyse(ws, AnalysisConfig(as_of=AS_OF), stages=[FeatureStage(), SatisfactionStage()])
    return ws, result


def test_customers_who_answered_get_their_latest_answer(shop):
    ws, result = _run(shop, True)
    rows = {r["customer_id"]: r for r in result.customers.to_pylist()}
    # a's latest answer (September): service 5 → 1000; overall 4 on 1-5 → 75; 9 → promoter
    assert rows["a"]["satisfaction_index"] == 1000.0
    assert rows["a"]["overall_satisfaction"] == 75.0
    assert (rows["a"]["likelihood_to_recommend"], rows["a"]["nps_group"]) == (9.0, "promoter")
    assert rows["a"]["survey_date"] == dt.date(2024, 9, 1)
    assert (rows["b"]["satisfaction_index"], rows["b"]["nps_group"]) == (750.0, "passive")
    assert rows["c"]["satisfaction_index"] is None and rows["c"]["nps_group"] is None
    assert "z" not in rows  # a respondent is not made a customer
    doc = result.info["stages"]["satisfaction"]
    # every response counts in the survey's own figures: service 250, 1000, 750, 0 → 500
    assert doc["respondents"] == 4 and doc["index"]["index"] == 500.0
    # NPS: 1 promoter, 2 detractors (3, 0), 1 passive of 4 → −25
    assert doc["nps"]["nps"] == -25.0
    stored = {(r["breakdown"], r["key"]): r for r in ws.result("satisfaction").to_pylist()}
    assert stored[("month", "2024-06")]["respondents"] == 2
    assert stored[("month", "2024-06")]["index"] == 375.0
    ws.close()


def test_a_run_without_a_survey_is_unchanged(shop):
    ws, result = _run(shop, False)
    plain = analyse(ws, AnalysisConfig(as_of=AS_OF), stages=[FeatureStage()])
    assert result.customers.equals(plain.customers)
    assert "satisfaction" not in result.info["stages"]
    assert "satisfaction" not in {t[len("run_1_"):] for (t,) in ws.query(
        "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'run_1_%'")}
    ws.close()


def test_breakdowns_read_the_last_run_of_the_workspace(shop):
    from cvm.satisfaction.breakdown import with_customers
    from cvm.satisfaction.survey import read_survey

    ws, _ = _run(shop, True)
    survey = read_survey(ws)
    r = with_customers(survey, ws).responses
    # the run has RFM segments but no matrix or lifecycle stage: those stay empty;
    # z answered without being a customer of the run
    assert r["segment"].tolist()[:3] == ["At risk", "At risk", "Hibernating"]
    assert pd.isna(r["segment"].tolist()[3])
    assert r["cell"].isna().all() and r["stage"].isna().all()
    assert r["month"].tolist() == ["2024-03", "2024-09", "2024-06", "2024-06"]
    # no workspace and no customer table: the breakdown columns are empty
    alone = with_customers(survey).responses
    assert alone["segment"].isna().all() and alone["month"].tolist() == r["month"].tolist()
    ws.close()
