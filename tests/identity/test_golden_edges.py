"""Golden records by hand: two records of one customer in two lists loaded one after the other,
each field taken by its survivorship rule."""

from __future__ import annotations

import dataclasses

import pytest

from cvm.config import IngestOptions
from cvm.identity.golden import Survivorship, golden_records
from cvm.identity.records import prepare_records
from cvm.ingest.load import load_customers
from cvm.workspace import Workspace

CRM = ("customer_id,name,phone,email,national_id,birth_date,gender,city\n"
       "C1,张伟,13812345678,zw@qq.com,11010519491231002X,1949-12-31,女,上海\n")
SHOP = ("customer_id,name,phone,email,city\n"
        "S1,张伟,13900001111,not-an-email,北京\n")


@pytest.fixture
def two_lists(tmp_path):
    with Workspace(tmp_path / "ws.duckdb") as ws:
        for source, text in (("crm", CRM), ("shop", SHOP)):
            path = tmp_path / f"{source}.csv"
            path.write_text(text, encoding="utf-8")
            load_customers(ws, path, options=IngestOptions(source=source))
        yield ws, prepare_records(ws)


def _golden(ws, records, survivorship=None):
    rows = golden_records(ws, records, ["P"] * records.num_rows, survivorship).to_pylist()
    assert len(rows) == 1
    return rows[0]


def test_default_rules(two_lists):
    ws, records = two_lists
    assert records.column("source").to_pylist() == ["crm", "shop"]
    g = _golden(ws, records)
    # contacts: the record loaded last, unless its value failed its check
    assert (g["phone"], g["phone_source"]) == ("+8613900001111", "shop")
    assert (g["email"], g["email_source"]) == ("zw@qq.com", "crm")
    assert (g["city"], g["city_source"]) == ("北京", "shop")
    # identity fields: the fullest record
    assert (g["name"], g["name_source"]) == ("张伟", "crm")
    assert (g["national_id"], g["gender"], g["gender_source"]) == ("11010519491231002X", "F", "crm")
    assert (g["records"], g["sources"]) == (2, "crm, shop")


def test_rules_given_by_the_caller(two_lists):
    ws, records = two_lists
    g = _golden(ws, records, Survivorship(rules={"phone": "priority", "name": "recent"},
                                          source_priority=("crm",)))
    assert (g["phone"], g["phone_source"]) == ("+8613812345678", "crm")
    assert g["name_source"] == "shop"
    assert (g["city"], g["city_source"]) == ("北京", "shop")   # unlisted: the default rule
    g = _golden(ws, records, Survivorship(rules={"email": "complete"}))
    assert g["email_source"] == "crm"


def test_survivorship_is_checked_and_frozen():
    with pytest.raises(ValueError, match="no golden-record field 'age'"):
        Survivorship(rules={"age": "recent"})
    with pytest.raises(ValueError, match="rule for phone must be one of priority, recent, "
                                         "complete, not 'oldest'"):
        Survivorship(rules={"phone": "oldest"})
    s = Survivorship(rules={"phone": "priority"})
    assert (s.rule("phone"), s.rule("email"), s.rule("name")) == ("priority", "recent", "complete")
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.source_priority = ("crm",)
