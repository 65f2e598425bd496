"""The timeline's survey and campaign events, on a hand-made workspace: a response given under
a source id reaches the unified customer, its overall and recommend answers are quoted under the
survey's own item names (a "don't know" left out), and each campaign shows on its start date
with the arm the customer was drawn into."""

from __future__ import annotations

import datetime as dt

import pytest

from cvm.campaigns.design import _DDL as CAMPAIGN_TABLES
from cvm.insights.timeline import campaign_events, customer_timeline, survey_events
from cvm.satisfaction.survey import _DDL as SURVEY_TABLES
from cvm.workspace import Workspace


@pytest.fixture
def rows(tmp_path):
    ws = Workspace(tmp_path / "w.duckdb")
    con = ws.con
    con.execute(SURVEY_TABLES)
    con.execute(CAMPAIGN_TABLES)
    con.execute("INSERT INTO xref VALUES ('crm', 'K-7', 'C1', 'exact', now())")
    con.execute("INSERT INTO survey_items (file_id, item, role, position) VALUES "
                "(1, '总体满意度', 'overall', 2), (1, '推荐意愿', 'recommend', 3), "
                "(1, '茶品', 'attribute', 1)")
    con.execute("INSERT INTO survey_responses VALUES "
                "(1, 2, 'crm', 'K-7', DATE '2024-03-01', 'HZ-01', '短信'), "
                "(1, 3, 'default', 'C1', DATE '2024-05-10', NULL, NULL), "
                "(1, 4, 'default', 'C2', DATE '2024-05-11', NULL, NULL)")
    con.execute("INSERT INTO survey_answers VALUES "
                "(1, 2, '总体满意度', 4, false), (1, 2, '推荐意愿', 9, false), "
                "(1, 2, '茶品', 5, false), "
                "(1, 3, '总体满意度', 3.5, false), (1, 3, '推荐意愿', NULL, true), "
                "(1, 4, '总体满意度', 1, false)")
    con.execute("INSERT INTO campaigns (name, start_date, end_date) VALUES "
                "('spring', DATE '2024-04-01', DATE '2024-04-30'), "
                "('summer', DATE '2024-07-01', DATE '2024-07-31')")
    con.execute("INSERT INTO campaign_members (campaign, customer_id, arm) VALUES "
                "('spring', 'C1', 'treatment'), ('summer', 'C1', 'control'), "
                "('summer', 'C2', 'treatment')")
    con.execute("INSERT INTO transactions (source, source_customer_id, purchase_time, "
                "purchase_date, amount) VALUES ('default', 'C1', TIMESTAMP '2024-04-01 10:00', "
                "DATE '2024-04-01', 12.5)")

    def query(sql, params):
        cur = con.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]

    yield query
    ws.close()


def test_survey_answers_reach_the_unified_customer_with_their_answers(rows):
    events = survey_events(rows, "C1", 10)
    assert [(e["time"], e["channel"], e["detail"]) for e in events] == [
        (dt.datetime(2024, 5, 10), None, "总体满意度 3.5"),
        (dt.datetime(2024, 3, 1), "短信", "总体满意度 4 · 推荐意愿 9")]
    assert {(e["event"], e["kind"], e["amount"], e["note"]) for e in events} == {
        ("survey", "survey", None, None)}
    assert len(survey_events(rows, "C1", 1)) == 1
    assert survey_events(rows, "K-7", 10) == []


def test_campaigns_show_on_their_start_date_with_the_arm(rows):
    events = campaign_events(rows, "C1", 10)
    assert [(e["time"], e["kind"], e["detail"]) for e in events] == [
        (dt.datetime(2024, 7, 1), "control", "summer"),
        (dt.datetime(2024, 4, 1), "treatment", "spring")]
    assert campaign_events(rows, "C3", 10) == []


def test_one_timeline_newest_first_purchases_before_campaigns_on_the_same_day(rows):
    events = customer_timeline(rows, "C1")
    assert [(e["time"].date().isoformat(), e["event"]) for e in events] == [
        ("2024-07-01", "campaign"), ("2024-05-10", "survey"), ("2024-04-01", "purchase"),
        ("2024-04-01", "campaign"), ("2024-03-01", "survey")]


def test_a_workspace_without_surveys_or_campaigns_has_no_such_events(tmp_path):
    with Workspace(tmp_path / "empty.duckdb") as ws:
        def query(sql, params):
            cur = ws.con.execute(sql, params)
            return [dict(zip([d[0] for d in cur.description], r)) for r in cur.fetchall()]

        assert survey_events(query, "C1", 10) == [] and campaign_events(query, "C1", 10) == []
