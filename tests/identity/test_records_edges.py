"""The normalised record table at its edges: the bounds of a plausible birth date, what an id
number fills in and what it does not replace, what makes a record linkable, the reasons given,
and the records read from a real workspace."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from cvm.identity.records import city_key, normalise_records, parse_gender, prepare_records
from cvm.ingest.load import load_customers
from cvm.workspace import Workspace

ID_F_1949 = "11010519491231002X"   # valid: born 1949-12-31, female
NOTHING = "nothing to link on: no name, phone, email or valid id number"


def _raw(*rows: dict) -> pa.Table:
    n = len(rows)
    return pa.table({
        "source": ["s"] * n, "source_customer_id": [str(i) for i in range(n)],
        **{c: [r.get(c) for r in rows] for c in ("name", "phone", "email")},
        "birth_date": pa.array([r.get("birth_date") for r in rows], pa.date32()),
        **{c: [r.get(c) for r in rows] for c in ("national_id", "city", "gender")}})


def test_birth_dates_between_1900_and_today_are_kept():
    today = dt.date(2026, 1, 1)
    births = [dt.date(1900, 1, 1), dt.date(1899, 12, 31), today, dt.date(2026, 1, 2)]
    rows = normalise_records(_raw(*({"name": "Li Wei", "birth_date": b} for b in births)),
                             today=today).to_pylist()
    assert [r["birth_date"] for r in rows] == [dt.date(1900, 1, 1), None, today, None]
    assert [r["birth_year"] for r in rows] == [1900, None, 2026, None]
    # without a date given, today is the day the records are read
    rows = normalise_records(_raw({"name": "Li Wei", "birth_date": dt.date(1990, 5, 6)}))
    assert rows.column("birth_date").to_pylist() == [dt.date(1990, 5, 6)]


def test_a_valid_id_number_fills_birth_date_and_gender_but_replaces_neither():
    rows = normalise_records(_raw(
        {"national_id": ID_F_1949, "birth_date": dt.date(1950, 1, 1), "gender": "男"},
        {"national_id": ID_F_1949},
        {"national_id": "110105194912310021", "name": "Li Wei"},   # bad check character
    ), today=dt.date(2026, 1, 1)).to_pylist()
    assert [(r["birth_date"], r["gender"]) for r in rows] == [
        (dt.date(1950, 1, 1), "M"), (dt.date(1949, 12, 31), "F"), (None, None)]
    assert [r["national_id"] for r in rows] == [ID_F_1949, ID_F_1949, None]


def test_any_one_of_name_phone_email_or_id_makes_a_record_linkable():
    rows = normalise_records(_raw(
        {"name": "Li Wei"}, {"phone": "13812345678"}, {"email": "li@qq.com"},
        {"national_id": ID_F_1949}, {"city": "上海", "gender": "男"},
        {"phone": "12", "email": "bad"},
    ), today=dt.date(2026, 1, 1)).to_pylist()
    assert [r["linkable"] for r in rows] == [True, True, True, True, False, False]
    assert [r["reason"] for r in rows[:4]] == [None] * 4
    assert rows[4]["reason"] == NOTHING
    assert rows[5]["reason"].startswith(NOTHING + " (phone ") and "; email " in rows[5]["reason"]
    assert rows[0]["given_syllables"] == ["wei"] and rows[1]["given_syllables"] is None


def test_cities_and_genders_that_say_nothing():
    assert city_key(None) is None and city_key("市") is None and city_key("123") is None
    assert city_key("Beijing Shi") == "beijing"
    assert parse_gender(None) is None and parse_gender("  ") is None
    assert parse_gender(" 女士 ") == "F"


def test_records_are_read_from_the_workspace_in_source_and_id_order(tmp_path):
    (tmp_path / "list.csv").write_text(
        "source,customer_id,name,phone\nshop,2,Wang Fang,\ncrm,9,Li Wei,13812345678\n"
        "crm,10,,\n", encoding="utf-8")
    with Workspace(tmp_path / "ws.duckdb") as ws:
        load_customers(ws, tmp_path / "list.csv")
        rows = prepare_records(ws, today=dt.date(2026, 1, 1)).to_pylist()
    assert [(r["record_id"], r["source"], r["source_customer_id"]) for r in rows] == [
        (0, "crm", "10"), (1, "crm", "9"), (2, "shop", "2")]
    assert rows[1]["phone"] == "+8613812345678" and not rows[0]["linkable"]
