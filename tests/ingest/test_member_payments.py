"""Reading and storing a file of subscription payments (`cvm.ingest.members`): the headers it
may use, the columns it gives, what it refuses, and the stored table."""

from __future__ import annotations

import datetime as dt

import pytest

from cvm.ingest.members import (MEMBER_TABLE, MemberFileError, load_member_payments,
                                member_payments, read_member_payments)
from cvm.workspace import Workspace


def _file(tmp_path, text: str, name: str = "payments.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_english_headers_timestamps_and_empty_plans(tmp_path):
    # both member_id and customer_id: the first name of the list (member_id) is the member
    path = _file(tmp_path, "customer_id,member_id,paid_on,fee,plan,channel\n"
                           "c1,m1,2024-01-31 23:59:59,68.5,gold,app\n"
                           "c2,m2,2024-02-29,0,,\n")
    table = read_member_payments(path)
    assert table.column_names == ["customer_id", "purchase_date", "amount", "plan", "store"]
    assert table.to_pylist() == [
        {"customer_id": "m1", "purchase_date": dt.date(2024, 1, 31), "amount": 68.5,
         "plan": "gold", "store": "app"},
        {"customer_id": "m2", "purchase_date": dt.date(2024, 2, 29), "amount": 0.0,
         "plan": None, "store": None},
    ]


def test_chinese_headers_without_plan_or_store(tmp_path):
    path = _file(tmp_path, "会员号,付款日期,费用\nm1,2023-12-01,168\n")
    table = read_member_payments(path)
    assert table.column_names == ["customer_id", "purchase_date", "amount"]
    assert table.to_pylist() == [{"customer_id": "m1", "purchase_date": dt.date(2023, 12, 1),
                                  "amount": 168.0}]


def test_missing_columns_are_named_with_the_headers_looked_for(tmp_path):
    with pytest.raises(MemberFileError) as refused:
        read_member_payments(_file(tmp_path, "who,fee\nm1,10\n", "few.csv"))
    assert str(refused.value) == (
        "few.csv has no column for customer_id: one of member_id, customer_id, 会员编号, 会员号; "
        "purchase_date: one of paid_on, payment_date, date, 扣费日期, 付款日期, 日期")
    with pytest.raises(MemberFileError, match="cannot be read"):
        read_member_payments(_file(tmp_path, "member_id,date,fee\nm1,2024-01-01,ten\n"))


def test_stored_payments_replace_earlier_ones(tmp_path):
    first = _file(tmp_path, "member_id,date,amount\nm1,2024-01-01,10\nm2,2024-01-02,20\n", "a.csv")
    second = _file(tmp_path, "member_id,date,amount\nm3,2024-03-01,30\n", "b.csv")
    with Workspace(tmp_path / "ws.duckdb") as ws:
        assert member_payments(ws) is None
        assert load_member_payments(ws, first) == 2
        assert member_payments(ws).to_pylist() == [
            {"customer_id": "m1", "purchase_date": dt.date(2024, 1, 1), "amount": 10.0},
            {"customer_id": "m2", "purchase_date": dt.date(2024, 1, 2), "amount": 20.0}]
        assert load_member_payments(ws, second) == 1
        assert member_payments(ws)["customer_id"].to_pylist() == ["m3"]
        assert ws.query(f"SELECT count(*) FROM {MEMBER_TABLE}")[0][0] == 1
