"""Complaint features and complaints per matrix cell and lifecycle stage, against hand counts;
a run without a service log is unchanged, and the churn risk does not depend on one."""

from __future__ import annotations

import csv
import datetime as dt

import pandas as pd
import pyarrow as pa
import pytest

from cvm.config import AnalysisConfig
from cvm.demo import DEMO_AS_OF, service_log_path, write_demo_data
from cvm.engine import get_engine
from cvm.features.complaints import COMPLAINT_COLUMNS, complaint_features
from cvm.interactions import load_interactions
from cvm.pipeline import analyse, run
from cvm.stages import ComplaintStage, FeatureStage, LifecycleStage, MatrixStage, ValueStage
from cvm.stages.complaints import complaints_by
from cvm.workspace import Workspace

CONTACTS = [  # customer, date, kind
    ("A", "2024-01-10", "complaint"), ("A", "2024-03-01", "complaint"),
    ("A", "2024-03-05", "visit"), ("A", "2024-04-01", "complaint"),  # after the as-of date
    ("B", "2024-02-01", "enquiry"),
    ("C", "2024-03-10", "complaint"),
]


def test_complaint_features_by_hand(engine_name):
    frame = pd.DataFrame(CONTACTS, columns=["customer_id", "interaction_date", "kind"])
    frame["interaction_date"] = pd.to_datetime(frame["interaction_date"]).dt.date
    engine = get_engine(engine_name)
    t = engine.table(pa.Table.from_pandas(frame, preserve_index=False), f"c_{engine_name}")
    out = engine.to_arrow(complaint_features(t, as_of=dt.date(2024, 3, 10)))
    rows = sorted(zip(*(out.column(c).to_pylist() for c in ("customer_id", *COMPLAINT_COLUMNS))))
    # A: 10 Jan and 1 Mar (the April one is after the as-of date), last 9 days before;
    # B never complained (no row); C complained on the as-of day
    assert rows == [("A", 2, 9.0), ("C", 1, 0.0)]


def test_complaints_per_cell_by_hand():
    customers = pa.table({
        "matrix_cell": ["HH-current", "HH-current", "LL-churned", "HH-current", "LL-churned",
                        "LL-prospective"],
        "lifecycle_stage": ["stability", "decline", "churned", "stability", "churned",
                            "prospect"],
        "complaint_count": [0, 3, 1, 1, 0, 0]})
    assert complaints_by(customers, "matrix_cell") == [
        # 3 customers, 2 complained, 3 + 1 = 4 complaints, 4 / 3 × 100
        {"matrix_cell": "HH-current", "customers": 3, "complainants": 2, "complaints": 4,
         "complaints_per_100": 133.3333},
        {"matrix_cell": "LL-churned", "customers": 2, "complainants": 1, "complaints": 1,
         "complaints_per_100": 50.0},
        {"matrix_cell": "LL-prospective", "customers": 1, "complainants": 0, "complaints": 0,
         "complaints_per_100": 0.0}]
    by_stage = complaints_by(customers, "lifecycle_stage",
                             ("prospect", "exploration", "formation", "stability", "decline",
                              "churned"))
    assert [(g["lifecycle_stage"], g["customers"], g["complaints"]) for g in by_stage] == [
        ("prospect", 1, 0), ("stability", 2, 1), ("decline", 1, 3), ("churned", 2, 1)]


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    """A small demo workspace analysed without and then with its service log (the stages up to
    the matrix and the complaints: the model stages read no contact, and the demo's golden
    outputs check that they keep their numbers)."""
    folder = tmp_path_factory.mktemp("complaints")
    tx, cust = write_demo_data(folder / "data", customers=150)
    path = folder / "shop.duckdb"
    config = AnalysisConfig(as_of=DEMO_AS_OF)
    stages = [FeatureStage(), LifecycleStage(), ValueStage(), MatrixStage(), ComplaintStage()]
    before = run([tx], customers=[cust], workspace=path, out=None, config=config,
                 stages=stages)
    with Workspace(path) as ws:
        report = load_interactions(ws, service_log_path(folder / "data"), as_of=DEMO_AS_OF)
        after = analyse(ws, config, stages=stages)
    return before, after, report, service_log_path(folder / "data")


def test_without_a_service_log_the_run_has_no_complaints(small_demo):
    before, *_ = small_demo
    assert not set(COMPLAINT_COLUMNS) & set(before.customers.column_names)
    assert "complaints" not in before.info["stages"]


def test_a_service_log_adds_complaints_and_moves_no_other_column(small_demo):
    before, after, report, log = small_demo
    assert report.rows_rejected == 0 and report.rows_loaded == report.rows_read
    a = after.customers.to_pandas().set_index("customer_id")
    b = before.customers.to_pandas().set_index("customer_id")
    assert list(a.columns) == list(b.columns) + list(COMPLAINT_COLUMNS)
    pd.testing.assert_frame_equal(a[b.columns], b, check_exact=False, rtol=1e-9)
    # the counts are the log's complaints, customer by customer, counted here by hand
    with log.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["类型"] == "投诉"]
    counted: dict[str, int] = {}
    last: dict[str, str] = {}
    for r in rows:
        counted[r["会员编号"]] = counted.get(r["会员编号"], 0) + 1
        last[r["会员编号"]] = max(last.get(r["会员编号"], ""), r["联系时间"][:10])
    assert counted, "the demo's service log has complaints"
    assert a["complaint_count"][a["complaint_count"] > 0].to_dict() == counted
    for cid, day in last.items():
        assert a.loc[cid, "days_since_complaint"] == (DEMO_AS_OF - dt.date.fromisoformat(day)).days
    assert a.loc[~a.index.isin(list(counted)), "days_since_complaint"].isna().all()
    figures = after.info["stages"]["complaints"]
    assert figures["complaints"] == len(rows) == sum(g["complaints"] for g in figures["by_cell"])
    assert figures["complainants"] == len(counted)
    # each cell's figures are its customers' counts
    for g in figures["by_cell"]:
        members = a[a["matrix_cell"] == g["matrix_cell"]]
        assert (g["customers"], g["complainants"], g["complaints"]) == (
            len(members), int((members["complaint_count"] > 0).sum()),
            int(members["complaint_count"].sum()))
    assert sum(g["customers"] for g in figures["by_stage"]) == len(a)


def _section(run_info: dict, lang: str = "en"):
    from cvm.reports.complaints import SECTIONS
    from cvm.reports.labels import labels_for
    from cvm.reports.sections import RunResults

    frame = pd.DataFrame({"customer_id": ["a"]})
    results = RunResults(buyers=frame, everyone=frame, segments=pd.DataFrame(), pareto={},
                         run_info=run_info, lang=lang, labels=labels_for(lang))
    return SECTIONS[0].render(results)


def test_the_report_section_shows_the_hand_counts_in_both_languages():
    customers = pa.table({
        "matrix_cell": ["LL-churned", "HH-current", "HH-current", "LL-churned", "HH-current"],
        "lifecycle_stage": ["churned", "stability", "decline", "churned", "stability"],
        "complaint_count": [1, 0, 3, 0, 1]})
    figures = {"contacts": 9, "contacts_outside_run": 2,
               "by_kind": {"complaint": 5, "visit": 4}, "by_channel": {"phone": 6, "unknown": 3},
               "complaints": 5, "complainants": 3, "customers": 5,
               "by_stage": complaints_by(customers, "lifecycle_stage",
                                         ("stability", "decline", "churned")),
               "by_cell": complaints_by(customers, "matrix_cell")}
    # the matrix's own order of cells: HH-current before LL-churned
    info = {"stages": {"complaints": figures,
                       "matrix": {"cells": [{"cell": "HH-current"}, {"cell": "LL-churned"}]}}}
    content = _section(info)
    assert content.note.startswith("9 contacts with the run's customers in the service log "
                                   "(complaint 5, visit 4); 3 customers complained, 5 complaints")
    assert content.note.endswith(" 2 contacts name customers the run does not have.")
    stages, cells, channels = content.tables
    assert stages.rows == [["stability", "2", "1", "50.0%", "1", "50.0"],
                           ["decline", "1", "1", "100.0%", "3", "300.0"],
                           ["churned", "2", "1", "50.0%", "1", "50.0"]]
    assert cells.rows == [
        ["HH · high now, high potential · current", "3", "2", "66.7%", "4", "133.3"],
        ["LL · low now, low potential · churned", "2", "1", "50.0%", "1", "50.0"]]
    assert channels.rows == [["phone", "6"], ["not given", "3"]]
    zh = _section(info, "zh")
    assert zh.tables[1].rows[0][0] == "HH · 高当前 · 高潜力 · 现有"
    assert zh.tables[0].rows[2][0] == "已流失" and zh.tables[2].rows == [["电话", "6"],
                                                                      ["未注明", "3"]]
    assert _section({"stages": {}}) is None
