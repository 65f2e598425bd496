"""Credit fields from the customer list and category breadth from transactions reach the
composite value's credit and growth-potential indicators (worked by hand)."""

from __future__ import annotations

import datetime as dt

import pytest

from cvm.config import AnalysisConfig
from cvm.pipeline import run

AS_OF = dt.date(2024, 6, 30)


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_credit_and_category_breadth_by_hand(tmp_path):
    customers = _write(tmp_path / "members.csv",
                       "会员编号,姓名,逾期次数,违约次数,额度使用率\n"
                       "A,甲,1,0,0.5\n"
                       "B,乙,0,2,0.2\n"
                       "C,丙,,,\n"
                       "D,丁,3,,\n")
    sales = _write(tmp_path / "sales.csv",
                   "会员编号,交易日期,金额,品类\n"
                   "A,2024-06-01,100,茶叶\n"
                   "A,2024-06-10,50,茶具\n"
                   "B,2024-06-05,80,茶叶\n"
                   "C,2024-06-07,60,点心\n"
                   "D,2024-06-08,40,\n")
    result = run([sales], customers=[customers], workspace=tmp_path / "w.duckdb", out=None,
                 config=AnalysisConfig(as_of=AS_OF))
    rows = {r["customer_id"]: r for r in result.customers.to_pylist()}
    # credit = mean of the figures a customer has: late payments 10/(1+n), defaults 0 or 10,
    # limit use 10·(1 − use); none at all → neutral 5
    assert rows["A"]["score_credit"] == pytest.approx((10 / 2 + 10 + 5) / 3)
    assert rows["B"]["score_credit"] == pytest.approx((10 + 0 + 8) / 3)
    assert rows["C"]["score_credit"] == pytest.approx(5.0)
    assert rows["D"]["score_credit"] == pytest.approx(10 / 4)
    assert rows["A"]["late_payments"] == 1.0 and rows["B"]["defaults"] == 2.0
    # three categories in all (茶叶, 茶具, 点心); growth = ½·5 (no earlier period) + ½·room,
    # room = 10·(1 − bought / 3)
    assert rows["A"]["categories_bought"] == 2 and rows["A"]["categories_total"] == 3
    assert rows["A"]["score_growth_potential"] == pytest.approx(0.5 * 5 + 0.5 * 10 * (1 - 2 / 3))
    assert rows["B"]["score_growth_potential"] == pytest.approx(0.5 * 5 + 0.5 * 10 * (1 - 1 / 3))
    assert rows["D"]["categories_bought"] == 0
    value = result.info["stages"]["value"]
    assert value["credit_available"] is True
    assert value["sources"]["growth_potential"] == "spend_change, category breadth"


def test_without_credit_data_everyone_is_neutral(tmp_path):
    sales = _write(tmp_path / "sales.csv", "customer,date,amount\nA,2024-06-01,10\nB,2024-06-02,20\n")
    result = run([sales], workspace=tmp_path / "w.duckdb", out=None,
                 config=AnalysisConfig(as_of=AS_OF))
    assert set(result.customers.column("score_credit").to_pylist()) == {5.0}
    assert "categories_bought" not in result.customers.column_names
    assert result.info["stages"]["value"]["credit_available"] is False
