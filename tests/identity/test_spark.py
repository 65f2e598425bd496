"""Linking on the Spark engine, with tiny data."""

from __future__ import annotations

import pytest

from cvm.identity import LinkOptions, link
from cvm.workspace import Workspace

pytestmark = pytest.mark.spark


def test_link_on_spark_matches_duckdb(spark_engine, tmp_path):
    people = tmp_path / "crm.csv"
    people.write_text(
        "customer_id,name,phone,email,birth_date,city,national_id\n"
        "C1,张伟,13812345678,zw@qq.com,1990-01-02,上海,\n"
        "C2,張偉,+86 138-1234-5678,,1990-01-02,上海市,\n"
        "C3,Zhang Wei,0086 13812345678,ZW@QQ.COM,,Shanghai,\n"
        "C4,王芳,13900001111,wf@163.com,1985-05-05,北京,11010519491231002X\n"
        "C5,王芳,139 0000 1111,,1985-05-05,北京,11010519491231002x\n"
        "C6,李娜,13700002222,ln@126.com,1979-09-09,广州,\n"
        "C7,刘洋,13600003333,,1992-02-02,深圳,\n"
        "C8,陈静,13500004444,cj@qq.com,1988-08-08,杭州,\n", encoding="utf-8")
    ids = {}
    for engine in ("duckdb", "spark"):
        with Workspace(tmp_path / f"{engine}.duckdb") as ws:
            result = link(ws, [people], options=LinkOptions(engine=engine))
            assert result.engine == engine and result.records == 8
            ids[engine] = dict(((s, i), c) for s, i, c in ws.query(
                "SELECT source, source_customer_id, customer_id FROM xref"))
    spark = ids["spark"]
    assert spark[("crm", "C1")] == spark[("crm", "C2")] == spark[("crm", "C3")]
    assert spark[("crm", "C4")] == spark[("crm", "C5")]
    assert len(set(spark.values())) == 5
    assert spark == ids["duckdb"]
