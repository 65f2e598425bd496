"""Loading a PostgreSQL table by connection string, against a real server on loopback.

The test command (tests/run.sh) installs and starts PostgreSQL and sets CVM_TEST_POSTGRES_URL;
without it these tests are skipped, unless CVM_REQUIRE_POSTGRES is set (as in CI), when they fail.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest

from cvm.ingest.load import load_transactions
from cvm.ingest.readers import SourceError

from postgres_server import server_url

URL = os.environ.get("CVM_TEST_POSTGRES_URL")

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def server():
    server_url()
    import psycopg

    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS cvm_test CASCADE")
        conn.execute("CREATE SCHEMA cvm_test")
        conn.execute("CREATE TABLE cvm_test.sales (member_id text, order_date date, "
                     "amount numeric(12, 2), note text)")
        conn.execute("CREATE TABLE cvm_test.raw_sales (客户 text, 日期 text, 金额 text)")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO cvm_test.sales VALUES (%s, %s, %s, %s)", [
                ("M1", dt.date(2024, 1, 5), 100.50, "first"),
                ("M1", dt.date(2024, 2, 5), 20.00, None),
                ("M2", dt.date(2024, 3, 1), 55.25, "它的备注"),
                (None, dt.date(2024, 3, 2), 10.00, None),
                ("M3", dt.date(2024, 3, 3), -4.00, "refund"),
            ])
            cur.executemany("INSERT INTO cvm_test.raw_sales VALUES (%s, %s, %s)", [
                ("甲", "2024年3月5日", "¥1,200"), ("乙", "not a date", "5"), ("丙", "2024/3/7", "８８")])
    yield URL
    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS cvm_test CASCADE")


def test_typed_table_loads_with_rejects(server, workspace):
    report = load_transactions(workspace, f"{server}?table=cvm_test.sales",
                               as_of=dt.date(2024, 6, 30))
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (5, 3, 2)
    assert workspace.query(
        "SELECT source_customer_id, purchase_date, amount FROM transactions ORDER BY source_row"
    ) == [("M1", dt.date(2024, 1, 5), 100.5), ("M1", dt.date(2024, 2, 5), 20.0),
          ("M2", dt.date(2024, 3, 1), 55.25)]
    assert workspace.query('SELECT "row", code FROM rejects ORDER BY "row"') == [
        (4, "missing_customer_id"), (5, "negative_amount")]
    name, location = workspace.query("SELECT name, location FROM files")[0]
    assert name.endswith("cvm_test.sales")
    if ":" in server.split("@")[0].split("//")[1]:
        assert "***" in location  # the password is not stored


def test_text_table_with_chinese_formats(server, workspace):
    report = load_transactions(workspace, f"{server}?table=cvm_test.raw_sales",
                               as_of=dt.date(2024, 6, 30))
    assert (report.rows_loaded, report.rows_rejected) == (2, 1)
    assert workspace.query("SELECT source_customer_id, amount FROM transactions ORDER BY 1") == [
        ("丙", 88.0), ("甲", 1200.0)]


def test_missing_table_is_a_clear_error(server, workspace):
    with pytest.raises(SourceError, match="cvm_test.nope could not be read"):
        load_transactions(workspace, f"{server}?table=cvm_test.nope")
    with pytest.raises(SourceError, match="name the table"):
        load_transactions(workspace, server)
