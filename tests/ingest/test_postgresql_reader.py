"""The PostgreSQL reader on its own, against a real server on loopback: the table named in the
connection string or by ``--table`` (which wins), the connection string's other settings kept,
every column as text as the server writes it (NULL as a missing value), records numbered from 1.

Skipped without CVM_TEST_POSTGRES_URL, as tests/ingest/test_postgresql.py is."""

from __future__ import annotations

import os

import pytest

from cvm.config import IngestOptions
from cvm.ingest.readers import SourceError, read_source

from postgres_server import server_url

URL = os.environ.get("CVM_TEST_POSTGRES_URL")

pytestmark = pytest.mark.postgres

SCHEMA = "cvm_test_reader"


@pytest.fixture(scope="module")
def server():
    server_url()
    import psycopg

    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        conn.execute(f"CREATE SCHEMA {SCHEMA}")
        conn.execute(f'CREATE TABLE {SCHEMA}.sales (code text, "price, net" numeric(6, 2), '
                     "note text)")
        conn.execute(f"CREATE TABLE {SCHEMA}.other (x text)")
        with conn.cursor() as cur:
            cur.executemany(f"INSERT INTO {SCHEMA}.sales VALUES (%s, %s, %s)", [
                ("007", 1.5, None), ("A 1", None, "two\nlines"), ('say "hi"', 12, "备注")])
            cur.execute(f"INSERT INTO {SCHEMA}.other VALUES ('only')")
    yield URL
    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


SALES = {"code": ["007", "A 1", 'say "hi"'], "price, net": ["1.50", None, "12.00"],
         "note": [None, "two\nlines", "备注"]}


def test_a_table_is_read_as_text_with_its_records_numbered_from_one(server):
    raw = read_source(f"{server}?table={SCHEMA}.sales")
    database = server.rsplit("/", 1)[1]
    assert (raw.name, raw.kind, raw.header, raw.bad_records) == (
        f"{database}.{SCHEMA}.sales", "postgresql", True, [])
    assert raw.rows.tolist() == [1, 2, 3] and raw.rows_read == 3
    # numbers as the server writes them, leading zeros kept, NULL missing
    assert raw.table.to_pydict() == SALES


def test_the_connection_strings_other_settings_are_kept(server):
    raw = read_source(f"{server}?application_name=cvm-reader&table={SCHEMA}.sales"
                      "&connect_timeout=5")
    assert raw.table.to_pydict() == SALES


def test_the_table_option_names_the_table_and_wins_over_the_url(server):
    assert read_source(server, IngestOptions(table=f"{SCHEMA}.other")).table.to_pydict() == {
        "x": ["only"]}
    both = read_source(f"{server}?table={SCHEMA}.sales",
                       IngestOptions(table=f"{SCHEMA}.other"))
    assert both.table.to_pydict() == {"x": ["only"]}
    assert both.name.endswith(f".{SCHEMA}.other")


def test_an_empty_table_has_its_columns_and_no_rows(server):
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE IF NOT EXISTS {SCHEMA}.empty (a text, b int)")
    raw = read_source(f"{server}?table={SCHEMA}.empty")
    assert raw.table.column_names == ["a", "b"] and raw.table.num_rows == 0
    assert raw.rows.tolist() == []


def test_a_table_that_cannot_be_read_is_named_without_the_password(server):
    with pytest.raises(SourceError) as err:
        read_source(f"{server}?table={SCHEMA}.nope")
    message = str(err.value)
    assert f"table {SCHEMA}.nope could not be read: " in message
    if ":" in server.split("@")[0].split("//")[1]:
        assert ":***@" in message and server.split("@")[0].rsplit(":", 1)[1] not in message
