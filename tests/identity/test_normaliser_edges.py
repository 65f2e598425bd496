"""The normalisers at their edges: the region a number is read for, the reason a foreign number
fails, the earliest plausible birth date, and parsed values that cannot be changed after the fact
(they are cached and shared between rows)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pyarrow as pa
import pytest

from cvm.identity.emails import parse_email
from cvm.identity.national_ids import check_character, parse_national_id
from cvm.identity.phones import parse_phone


def test_the_mainland_mobile_shortcut_is_only_taken_for_cn():
    assert parse_phone("13812345678").value == "+8613812345678"
    # read for the US, the same eleven digits are a US number (country code 1), not a
    # mainland mobile
    us = parse_phone("13812345678", "US")
    assert us.value != "+8613812345678"
    assert us.status == "not a valid number for US"


def test_an_invalid_number_names_the_region_only_when_it_is_that_regions():
    assert parse_phone("1381234567").status == "not a valid number for CN"
    assert parse_phone("+44 20 7946 095").status == "not a valid number"


@pytest.mark.parametrize("parsed, valid", [
    (parse_phone("+86 138-1234-5678"), True), (parse_phone("12345"), False),
    (parse_phone(None), False),
    (parse_email("li@163.com"), True), (parse_email("li at 163.com"), False),
    (parse_email(None), False),
    (parse_national_id("11010519491231002X"), True),
    (parse_national_id("110105194912310021"), False),
])
def test_valid_says_whether_the_status_is_valid(parsed, valid):
    assert parsed.valid is valid
    assert (parsed.status == "valid") is valid


@pytest.mark.parametrize("parsed", [parse_phone("13812345678"), parse_email("li@163.com"),
                                    parse_national_id("11010519491231002X")])
def test_parsed_values_cannot_be_changed(parsed):
    # parse results are cached and handed to every row with the same text: a change to one
    # would change them all
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.status = "edited"


def _id(birth: str, sequence: str = "001") -> str:
    first17 = "110105" + birth + sequence
    return first17 + check_character(first17)


def test_the_earliest_plausible_birth_date_is_1880_01_01():
    first = parse_national_id(_id("18800101"), today=dt.date(2026, 1, 1))
    assert first.valid and first.birth_date == dt.date(1880, 1, 1)
    before = parse_national_id(_id("18791231"), today=dt.date(2026, 1, 1))
    assert before.status == "implausible birth date: 1879-12-31"


def test_a_birth_date_after_today_is_implausible():
    today = dt.date(2026, 1, 1)
    assert parse_national_id(_id("20260101"), today=today).valid
    assert (parse_national_id(_id("20260102"), today=today).status
            == "implausible birth date: 2026-01-02")


def test_the_reasons_quote_the_birth_date_and_region_as_written():
    assert parse_national_id(_id("19490230")).status == "no such birth date: 19490230"
    first17 = "990105" + "19491231" + "002"
    assert (parse_national_id(first17 + check_character(first17)).status
            == "no such region code: 990105")


def test_map_distinct_calls_once_per_distinct_value_for_lists_and_arrow():
    from cvm.identity.text import map_distinct

    calls = []

    def seen(v):
        calls.append(v)
        return None if v is None else v * 2

    # a plain list, with pandas' NaN read as missing
    assert map_distinct([1.5, float("nan"), 1.5, None], seen) == [3.0, None, 3.0, None]
    assert sorted(calls, key=str) == [1.5, None]
    assert map_distinct(pa.chunked_array([["x"], ["y", "x"]]),
                        lambda v: v and v.upper()) == ["X", "Y", "X"]
    assert map_distinct(["only"], lambda v: f"{v}!") == ["only!"]
    assert map_distinct([], seen) == [] and map_distinct(pa.chunked_array([], pa.string()),
                                                         seen) == []


def test_name_edges():
    from cvm.identity.names import parse_name

    # characters are kept, the Latin letters written next to them dropped
    assert parse_name("张伟 Wei").hanzi == "张伟" and parse_name("张伟 Wei").key == "zhangwei"
    # an initial in capitals is not taken for a surname written in capitals
    assert parse_name("John A Smith").surname == "smith"
    # a surname in capitals wins over the more common surname
    assert parse_name("Zhang XU").surname == "xu" and parse_name("ZHANG Xu").surname == "zhang"
    # a given name without a surname, and nothing at all around the comma
    given_only = parse_name(", John")
    assert (given_only.surname, given_only.given, given_only.key) == (None, "john", "john")
    assert parse_name(",").script == "missing" and parse_name("123").script == "missing"
    assert parse_name("Smith,").key == "smith" and parse_name("Smith,").given is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        parse_name("Zhang Wei").key = "edited"
