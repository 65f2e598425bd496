"""The cohort stage in a run: purchase cohorts and, from the workspace's subscription payments,
member cohorts split by plan (a member counted once, under the plan of the first payment) with
their curves; stored with the run and summarised for the report."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa

from cvm.config import AnalysisConfig
from cvm.ingest.members import load_member_payments, read_member_payments
from cvm.pipeline import run
from cvm.stages import CohortStage, FeatureStage
from cvm.stages.cohorts import member_attributes
from cvm.workspace import Workspace

# x and z move from store A to B after their first purchase: they count under A
SALES = """customer,date,amount,store
x,2024-01-05,100,A
x,2024-02-10,50,B
y,2024-01-20,30,B
z,2024-02-03,70,A
z,2024-03-01,20,B
"""
# m4 changes plan: it counts under its first one, 尊享
MEMBERS = """会员编号,套餐,扣费日期,金额
m1,标准,2024-01-03,68
m1,标准,2024-02-03,68
m1,标准,2024-03-03,68
m2,标准,2024-01-10,68
m2,标准,2024-02-10,68
m3,尊享,2024-01-15,168
m4,尊享,2024-02-01,168
m4,标准,2024-03-01,68
"""


def _rows(ws, run_id, source, dimension):
    return ws.arrow(
        f"SELECT \"group\", cohort, period, customers, active, lost, survivors, revenue "
        f"FROM run_{run_id}_cohorts WHERE source = ? AND dimension = ? "
        "ORDER BY \"group\", cohort, period", [source, dimension]).to_pylist()


def test_the_stage_stores_purchase_and_member_cohorts(tmp_path):
    (tmp_path / "sales.csv").write_text(SALES, encoding="utf-8")
    (tmp_path / "members.csv").write_text(MEMBERS, encoding="utf-8")
    path = tmp_path / "ws.duckdb"
    with Workspace(path) as ws:
        assert load_member_payments(ws, tmp_path / "members.csv") == 8
    result = run(tmp_path / "sales.csv", workspace=path, out=None,
                 config=AnalysisConfig(as_of=dt.date(2024, 3, 31)),
                 stages=[FeatureStage(), CohortStage()])
    with Workspace(path) as ws:
        buyers = _rows(ws, result.run_id, "purchases", "all")
        members = _rows(ws, result.run_id, "members", "all")
        plans = _rows(ws, result.run_id, "members", "plan")
        tiers = _rows(ws, result.run_id, "purchases", "value_tier")
        stores = _rows(ws, result.run_id, "purchases", "store")
        dimensions = ws.query(f"SELECT DISTINCT source, dimension FROM run_{result.run_id}_cohorts "
                              "ORDER BY 1, 2")
        fits = ws.arrow(f"SELECT * FROM run_{result.run_id}_retention_fits").to_pylist()
        summary = json.loads(ws.query("SELECT summary FROM runs")[0][0])
    # January: x and y; x comes back in February, y is lost from February; February: z
    assert [(r["cohort"], r["period"], r["customers"], r["active"], r["lost"], r["revenue"])
            for r in buyers] == [
        (dt.date(2024, 1, 1), 0, 2, 2, 0, 130.0), (dt.date(2024, 1, 1), 1, 2, 1, 1, 50.0),
        (dt.date(2024, 1, 1), 2, 2, 0, 2, 0.0),
        (dt.date(2024, 2, 1), 0, 1, 1, 0, 70.0), (dt.date(2024, 2, 1), 1, 1, 1, 0, 20.0)]
    assert [(r["cohort"].month, r["period"], r["survivors"]) for r in members] == [
        (1, 0, 3), (1, 1, 2), (1, 2, 1), (2, 0, 1), (2, 1, 1)]
    assert [(r["group"], r["cohort"].month, r["period"], r["survivors"]) for r in plans] == [
        ("尊享", 1, 0, 1), ("尊享", 1, 1, 0), ("尊享", 1, 2, 0),
        ("尊享", 2, 0, 1), ("尊享", 2, 1, 1),
        ("标准", 1, 0, 2), ("标准", 1, 1, 2), ("标准", 1, 2, 1)]
    # split at acquisition only: January's x (100) is the top third of two, y (30) in between
    # (3k = 3 is neither ≤ 2 nor > 4); February's z alone is its top third. By the store of
    # the first purchase: x and z in A, y in B
    assert dimensions == [("members", "all"), ("members", "plan"), ("purchases", "all"),
                          ("purchases", "store"), ("purchases", "value_tier")]
    assert [(r["group"], r["cohort"].month, r["period"], r["customers"], r["active"])
            for r in tiers] == [
        ("high", 1, 0, 1, 1), ("high", 1, 1, 1, 1), ("high", 1, 2, 1, 0),
        ("high", 2, 0, 1, 1), ("high", 2, 1, 1, 1),
        ("mid", 1, 0, 1, 1), ("mid", 1, 1, 1, 0), ("mid", 1, 2, 1, 0)]
    assert [(r["group"], r["cohort"].month, r["period"], r["customers"], r["lost"])
            for r in stores] == [
        ("A", 1, 0, 1, 0), ("A", 1, 1, 1, 0), ("A", 1, 2, 1, 1),
        ("A", 2, 0, 1, 0), ("A", 2, 1, 1, 0),
        ("B", 1, 0, 1, 0), ("B", 1, 1, 1, 1), ("B", 1, 2, 1, 1)]
    # one pooled curve per plan (no cohort reaches 30 members of its own)
    assert sorted(f["plan"] for f in fits) == ["尊享", "标准"]
    assert all(f["cohort"] is None for f in fits)
    stage = summary["info"]["stages"]["cohorts"]
    assert stage["period"] == "month"
    assert stage["purchases"]["active_share"] == {
        "cohorts": ["2024-01-01", "2024-02-01"], "customers": [2, 1],
        "values": [[1.0, 0.5, 0.0], [1.0, 1.0]]}
    assert stage["members"]["n_members"] == 4
    assert sorted(c["group"] for c in stage["members"]["curves"]) == ["尊享", "标准"]
    assert result.customers.num_rows == 3  # no customer rows added or removed


def test_a_member_takes_the_plan_of_the_first_payment(tmp_path):
    (tmp_path / "members.csv").write_text(MEMBERS, encoding="utf-8")
    payments = read_member_payments(tmp_path / "members.csv")
    assert payments.schema.field("purchase_date").type == pa.date32()
    first = member_attributes(payments, ["plan"]).to_pylist()
    assert first == [{"customer_id": "m1", "plan": "标准"}, {"customer_id": "m2", "plan": "标准"},
                     {"customer_id": "m3", "plan": "尊享"}, {"customer_id": "m4", "plan": "尊享"}]


def test_a_payments_file_without_dates_is_refused(tmp_path):
    import pytest

    from cvm.ingest.members import MemberFileError

    (tmp_path / "bad.csv").write_text("member_id,fee\nm1,10\n", encoding="utf-8")
    with pytest.raises(MemberFileError, match="paid_on"):
        read_member_payments(tmp_path / "bad.csv")
    (tmp_path / "bad2.csv").write_text("member_id,paid_on,fee\nm1,3 March,10\n", encoding="utf-8")
    with pytest.raises(MemberFileError, match="cannot be read"):
        read_member_payments(tmp_path / "bad2.csv")
