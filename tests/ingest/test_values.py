"""Parsing the numbers, dates, ids and text people really write."""

from __future__ import annotations

import dataclasses
import datetime as dt
import doctest
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cvm.ingest import dates, parsed_column, values
from cvm.ingest.dates import DateOrder
from cvm.ingest.values import ParsedColumn, clean_ids, clean_text, parse_dates, parse_numbers

FULL_WIDTH = str.maketrans("0123456789,.-/:()", "０１２３４５６７８９，．－／：（）")


def one(parsed: ParsedColumn):
    assert len(parsed.values) == len(parsed.errors) == 1
    return parsed.values[0], parsed.errors[0]


def ts(text: str) -> np.datetime64:
    return np.datetime64(text, "us")


# --------------------------------------------------------------------------------------------
# Numbers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12.0),
        ("0", 0.0),
        ("-12.5", -12.5),
        ("+5", 5.0),
        ("(12.50)", -12.5),
        ("( 12.50 )", -12.5),
        ("12.50-", -12.5),
        ("12.50 -", -12.5),
        ("1,234.56", 1234.56),
        ("1,234,567", 1234567.0),
        ("1'234.56", 1234.56),
        ("1 234.56", 1234.56),
        ("1\u00a0234.56", 1234.56),
        ("１，２３４", 1234.0),
        ("１２３", 123.0),
        ("（１２）", -12.0),
        ("¥12", 12.0),
        ("￥1,234.00", 1234.0),
        ("$12.99", 12.99),
        ("€12", 12.0),
        ("£12", 12.0),
        ("RMB 12", 12.0),
        ("rmb12", 12.0),
        ("CNY12", 12.0),
        ("12 USD", 12.0),
        ("12元", 12.0),
        ("1,234.5 元", 1234.5),
        ("US$12", 12.0),
        ("HK$ 1,000", 1000.0),
        ("-$12", -12.0),
        ("$-12", -12.0),
        ("($12.50)", -12.5),
        ("¥12.50-", -12.5),
        ("  12  ", 12.0),
        ("1e3", 1000.0),
        ("1.5E-3", 0.0015),
        ("-2e+5", -200000.0),
        ("1.2万", 12000.0),
        ("3万", 30000.0),
        ("0.07万", 700.0),
        ("3亿", 300000000.0),
        ("¥1.2万", 12000.0),
        ("1.2 万元", 12000.0),
        (".5", 0.5),
        ("5.", 5.0),
        ("007", 7.0),
        ("-0", 0.0),
        ("(0.00)", 0.0),
    ],
)
def test_numbers_as_written(text, expected):
    value, error = one(parse_numbers([text]))
    assert error is None
    assert value == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.234,56", 1234.56),
        ("1 234,56", 1234.56),
        ("1'234,5", 1234.5),
        ("1,5", 1.5),
        ("12,50 €", 12.5),
        ("(12,50)", -12.5),
        ("1.234", 1234.0),
        ("1,5e3", 1500.0),
        ("１．２３４，５", 1234.5),
    ],
)
def test_numbers_with_decimal_comma(text, expected):
    value, error = one(parse_numbers([text], decimal_comma=True))
    assert error is None
    assert value == expected


@pytest.mark.parametrize(
    ("text", "decimal_comma", "reason"),
    [
        ("", False, "missing"),
        ("   ", False, "missing"),
        (None, False, "missing"),
        ("NA", False, "missing"),
        ("n/a", False, "missing"),
        ("#N/A", False, "missing"),
        ("null", False, "missing"),
        ("None", False, "missing"),
        ("-", False, "missing"),
        ("--", False, "missing"),
        ("12%", False, "percent not accepted: '12%'"),
        ("12 %", False, "percent not accepted: '12 %'"),
        ("12x", False, "not a number: '12x'"),
        ("inf", False, "not a number: 'inf'"),
        ("-inf", False, "not a number: '-inf'"),
        ("nan", False, "not a number: 'nan'"),
        ("NaN", False, "not a number: 'NaN'"),
        ("Infinity", False, "not a number: 'Infinity'"),
        ("1,23", False, "not a number: '1,23'"),
        ("1,5", False, "not a number: '1,5'"),
        ("1.234.567", False, "not a number: '1.234.567'"),
        ("1.5", True, "not a number: '1.5'"),
        ("0-000", True, "not a number: '0-000'"),
        ("1x234", True, "not a number: '1x234'"),
        ("(12", False, "not a number: '(12'"),
        ("12)", False, "not a number: '12)'"),
        ("-12-", False, "not a number: '-12-'"),
        ("(-12)", False, "not a number: '(-12)'"),
        ("0x10", False, "not a number: '0x10'"),
        ("1/2", False, "not a number: '1/2'"),
        ("1.5e3万", False, "not a number: '1.5e3万'"),
        ("1,234e3", False, "not a number: '1,234e3'"),
        ("abc", False, "not a number: 'abc'"),
        ("1e400", False, "number too large: '1e400'"),
        ("-1e400", False, "number too large: '-1e400'"),
    ],
)
def test_number_errors(text, decimal_comma, reason):
    value, error = one(parse_numbers([text], decimal_comma=decimal_comma))
    assert np.isnan(value)
    assert error == reason


def test_long_values_are_cut_in_reasons():
    text = "x" * 100
    _, error = one(parse_numbers([text]))
    assert error == "not a number: '" + "x" * 40 + "…'"
    _, error = one(parse_numbers(["a\nb"]))
    assert error == "not a number: 'a b'"


def test_minus_zero_is_returned_as_zero():
    # Arrow's cast (plain "-0") and the pattern path (brackets, trailing minus, currency) both
    # give -0.0, which prints as "-0.0" in a report; the docstring promises 0.0
    for texts in (["-0"], ["-0.00", "1"], ["(0)"], ["0-"], ["¥-0.00"], ["-0", "x"]):
        values = parse_numbers(texts).values
        assert values[0] == 0.0 and not np.signbit(values[0]), texts


def test_numbers_keep_positions_in_a_large_vector():
    rng = np.random.default_rng(7)
    cents = rng.integers(-10**7, 10**7, 300_000)
    texts = [f"{c / 100:.2f}" for c in cents]
    bad = rng.choice(len(texts), 500, replace=False)
    for i in bad[:250]:
        texts[i] = "oops"
    for i in bad[250:]:
        texts[i] = f"¥{abs(cents[i]) / 100:,.2f}" + ("-" if cents[i] < 0 else "")
    parsed = parse_numbers(pa.array(texts))
    expected = cents / 100
    expected[bad[:250]] = np.nan
    np.testing.assert_array_equal(parsed.values, expected)
    assert sorted(np.flatnonzero(~parsed.ok)) == sorted(bad[:250])
    assert set(parsed.errors[bad[:250]]) == {"not a number: 'oops'"}


# --------------------------------------------------------------------------------------------
# Dates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-05", "2024-03-05"),
        ("2024-3-5", "2024-03-05"),
        ("2024-03-05 14:22:01", "2024-03-05T14:22:01"),
        ("2024-03-05T14:22:01", "2024-03-05T14:22:01"),
        ("2024-03-05 14:22", "2024-03-05T14:22"),
        ("2024-03-05 14", "2024-03-05T14:00"),
        ("2024-03-05T14:22:01.5", "2024-03-05T14:22:01.500000"),
        ("2024-03-05 14:22:01.123456789", "2024-03-05T14:22:01.123456"),
        ("2024-03-05T14:22:01Z", "2024-03-05T14:22:01"),
        ("2024-03-05T14:22:01+08:00", "2024-03-05T14:22:01"),
        ("2024-03-05T23:30:00+0800", "2024-03-05T23:30:00"),
        ("2024-03-05T01:30:00-05", "2024-03-05T01:30:00"),
        ("2024-03-05T14:22:01.25Z", "2024-03-05T14:22:01.250000"),
        ("2024-03-05 14:22:01 UTC", "2024-03-05T14:22:01"),
        ("2024/3/5", "2024-03-05"),
        ("2024/03/05 14:22", "2024-03-05T14:22"),
        ("2024.3.5", "2024-03-05"),
        ("05.03.2024", "2024-03-05"),
        ("5.3.2024 14:22", "2024-03-05T14:22"),
        ("20240305", "2024-03-05"),
        ("20240305.0", "2024-03-05"),
        ("19970101", "1997-01-01"),
        ("2024年3月5日", "2024-03-05"),
        ("2024年03月05日", "2024-03-05"),
        ("2024年3月5号", "2024-03-05"),
        ("2024年3月5日 14时22分", "2024-03-05T14:22"),
        ("2024年3月5日14时22分01秒", "2024-03-05T14:22:01"),
        ("2024年3月5日 14点", "2024-03-05T14:00"),
        ("2024年3月5日下午2点30分", "2024-03-05T14:30"),
        ("2024年3月5日 上午12点", "2024-03-05T00:00"),
        ("2024年03月05日 14:22", "2024-03-05T14:22"),
        ("2024/3/5 下午2:22", "2024-03-05T14:22"),
        ("２０２４年３月５日", "2024-03-05"),
        ("２０２４－０３－０５", "2024-03-05"),
        ("２０２４／３／５　１４：２２", "2024-03-05T14:22"),
        ("  2024-03-05  ", "2024-03-05"),
        ("Mar 5, 2024", "2024-03-05"),
        ("March 5, 2024", "2024-03-05"),
        ("march 5th 2024", "2024-03-05"),
        ("Sept 5, 2024", "2024-09-05"),
        ("5 March 2024", "2024-03-05"),
        ("05-Mar-2024", "2024-03-05"),
        ("05MAR2024", "2024-03-05"),
        ("5 Mar. 2024", "2024-03-05"),
        ("2024-Mar-05", "2024-03-05"),
        ("Tue, 05 Mar 2024 14:22:01 +0000", "2024-03-05T14:22:01"),
        ("March 5, 2024 2:22 PM", "2024-03-05T14:22"),
        ("3/5/2024 2:22:01 PM", "2024-03-05T14:22:01"),
        ("3/5/2024 12:05 am", "2024-03-05T00:05"),
        ("3/5/2024 12:05 p.m.", "2024-03-05T12:05"),
        ("2024-02-29", "2024-02-29"),
        ("2000-02-29", "2000-02-29"),
        ("0001-01-01", "0001-01-01"),
        ("9999-12-31 23:59:59", "9999-12-31T23:59:59"),
    ],
)
def test_dates_as_written(text, expected):
    value, error = one(parse_dates([text]))
    assert error is None
    assert value == ts(expected)
    assert parse_dates([text]).values.dtype == np.dtype("datetime64[us]")


@pytest.mark.parametrize(
    ("text", "month_first", "day_first"),
    [
        ("5/3/2024", "2024-05-03", "2024-03-05"),
        ("05/03/2024", "2024-05-03", "2024-03-05"),
        ("5-3-2024", "2024-05-03", "2024-03-05"),
        ("12/1/2024 08:00", "2024-12-01T08:00", "2024-01-12T08:00"),
        ("05.03.2024", "2024-03-05", "2024-03-05"),  # dots are always day first
        ("2024/3/5", "2024-03-05", "2024-03-05"),  # year first is never affected
    ],
)
def test_dayfirst(text, month_first, day_first):
    assert one(parse_dates([text]))[0] == ts(month_first)
    assert one(parse_dates([text], dayfirst=True))[0] == ts(day_first)


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        ("45356", "2024-03-05"),
        ("45356.5", "2024-03-05T12:00"),
        ("45356.25", "2024-03-05T06:00"),
        ("45356.6159722222", "2024-03-05T14:47:00"),
        ("45356.0", "2024-03-05"),
        ("45356.", "2024-03-05"),
        ("1", "1900-01-01"),
        ("59", "1900-02-28"),
        ("61", "1900-03-01"),
        ("25569", "1970-01-01"),
        ("36526", "2000-01-01"),
        ("2958465", "9999-12-31"),
        ("４５３５６", "2024-03-05"),
    ],
)
def test_excel_serials(serial, expected):
    value, error = one(parse_dates([serial]))
    assert error is None
    assert value == ts(expected)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "missing"),
        ("  ", "missing"),
        (None, "missing"),
        ("NA", "missing"),
        ("null", "missing"),
        ("2024-02-30", "not a date: '2024-02-30'"),
        ("2023-02-29", "not a date: '2023-02-29'"),
        ("2024-13-45", "not a date: '2024-13-45'"),
        ("2024-00-10", "not a date: '2024-00-10'"),
        ("2024-04-31", "not a date: '2024-04-31'"),
        ("2024年2月30日", "not a date: '2024年2月30日'"),
        ("20241301", "not a date: '20241301'"),
        ("2024-03-05 24:00", "not a date: '2024-03-05 24:00'"),
        ("2024-03-05 14:60", "not a date: '2024-03-05 14:60'"),
        ("2024-03-05 14:22:60", "not a date: '2024-03-05 14:22:60'"),
        ("2024-03-05 13:00 PM", "not a date: '2024-03-05 13:00 PM'"),
        ("2024-03-05 0:30 AM", "not a date: '2024-03-05 0:30 AM'"),
        ("0000-01-01", "not a date: '0000-01-01'"),
        ("10000-01-01", "not a date: '10000-01-01'"),
        ("13/13/2024", "not a date: '13/13/2024' (read as month/day/year)"),
        ("32.01.2024", "not a date: '32.01.2024'"),
        ("05/03/24", "ambiguous two-digit year: '05/03/24'"),
        ("24-03-05", "ambiguous two-digit year: '24-03-05'"),
        ("5-Mar-24", "ambiguous two-digit year: '5-Mar-24'"),
        ("Mar 5, 24", "ambiguous two-digit year: 'Mar 5, 24'"),
        ("24年3月5日", "ambiguous two-digit year: '24年3月5日'"),
        ("0", "not a date: '0'"),
        ("60", "not a date: '60'"),
        ("2958466", "not a date: '2958466'"),
        ("-45356", "not a date: '-45356'"),
        ("45356,5", "not a date: '45356,5'"),
        ("2024-03-05Z", "not a date: '2024-03-05Z'"),
        ("Foo 5, 2024", "not a date: 'Foo 5, 2024'"),
        ("12:30", "not a date: '12:30'"),
        ("yesterday", "not a date: 'yesterday'"),
        ("2024-03-05 soon", "not a date: '2024-03-05 soon'"),
    ],
)
def test_date_errors(text, reason):
    value, error = one(parse_dates([text]))
    assert np.isnat(value)
    assert error == reason


def test_dayfirst_reason_names_the_reading():
    assert parse_dates(["13/13/2024"], dayfirst=True).errors.tolist() == [
        "not a date: '13/13/2024' (read as day/month/year)"
    ]


def test_the_order_is_decided_per_column_from_all_its_values():
    day_first = parse_dates(["05/04/2024", "25/03/2024", "2024-01-02", "31-12-2023"])
    assert day_first.values.tolist() == [dt.datetime(2024, 4, 5), dt.datetime(2024, 3, 25),
                                         dt.datetime(2024, 1, 2), dt.datetime(2023, 12, 31)]
    assert day_first.errors.tolist() == [None] * 4
    assert (day_first.order.dayfirst_example, day_first.order.monthfirst_example) == (
        "25/03/2024", None)
    assert day_first.order.describe() == "day/month/year, decided from 25/03/2024"
    # the values decide even against the setting, which only serves undecidable columns
    month_first = parse_dates(["05/04/2024", "3/25/2024 10:00"], dayfirst=True)
    assert month_first.values.tolist() == [dt.datetime(2024, 5, 4), dt.datetime(2024, 3, 25, 10)]
    assert month_first.order.describe() == (
        "month/day/year, decided from 3/25/2024 10:00, not as the dayfirst option says")
    undecided = parse_dates(["05/04/2024", "12/12/2024"])
    assert undecided.values.tolist() == [dt.datetime(2024, 5, 4), dt.datetime(2024, 12, 12)]
    assert undecided.order.describe() == (
        "month/day/year assumed: no value decides; pass --dayfirst for day/month/year")
    assert parse_dates(["05/04/2024"], dayfirst=True).order.describe() == (
        "day/month/year as the dayfirst option says: no value decides")
    assert parse_dates(["05/04/2024"], dayfirst=True).values.tolist() == [dt.datetime(2024, 4, 5)]
    mixed = parse_dates(["01/02/2024", "25/03/2024", "03/25/2024", "26/03/2024"])
    assert (mixed.order.mixed, mixed.order.dayfirst_example, mixed.order.monthfirst_example) == (
        True, "25/03/2024", "03/25/2024")
    # values no order can read, and columns without such dates, decide nothing
    assert parse_dates(["13/13/2024", "05/04/2024"]).order.dayfirst_example is None
    assert parse_dates(["2024-03-05", "2024/3/25"]).order is None


@pytest.mark.parametrize(
    ("text", "day_first", "month_first"),
    [
        # only day/month/year reads it: a first field of 13 to 31, a second of 1 to 12
        ("13/05/2024", "13/05/2024", None),
        ("31/12/2024", "31/12/2024", None),
        ("25/01/2024", "25/01/2024", None),
        ("25/00/2024", None, None),
        ("32/05/2024", None, None),
        ("12/12/2024", None, None),
        # only month/day/year reads it
        ("05/13/2024", None, "05/13/2024"),
        ("12/31/2024", None, "12/31/2024"),
        ("01/25/2024", None, "01/25/2024"),
        ("00/25/2024", None, None),
        ("05/32/2024", None, None),
    ],
)
def test_which_values_decide_the_order(text, day_first, month_first):
    order = parse_dates([text]).order
    assert (order.dayfirst_example, order.monthfirst_example) == (day_first, month_first)


def test_date_order_descriptions_and_readings():
    by_values = DateOrder(monthfirst_example="03/25/2024", setting=False)
    assert by_values.dayfirst is False
    assert by_values.describe() == "month/day/year, decided from 03/25/2024"
    both = DateOrder("25/03/2024", "03/25/2024")
    assert (both.mixed, both.dayfirst) == (True, False)
    assert both.describe() == "month/day/year as set, although values of both orders occur"
    both_set = DateOrder("25/03/2024", "03/25/2024", setting=True)
    assert both_set.dayfirst is True
    assert both_set.describe() == "day/month/year as set, although values of both orders occur"
    assert DateOrder(None, None, setting=False).dayfirst is False
    assert {DateOrder("25/03/2024"), DateOrder("25/03/2024")} == {DateOrder("25/03/2024")}
    with pytest.raises(dataclasses.FrozenInstanceError):
        by_values.setting = True


def test_years_1_and_9999_are_the_ends_of_the_calendar():
    parsed = parse_dates(["0001/03/05", "03/05/0001", "9999/12/31 23:59", "05/03/0000",
                          "2024/03/00", "2024年3月0日"])
    assert parsed.values[:3].tolist() == [dt.datetime(1, 3, 5), dt.datetime(1, 3, 5),
                                          dt.datetime(9999, 12, 31, 23, 59)]
    assert parsed.errors.tolist() == [None, None, None, "not a date: '05/03/0000' (read as "
                                      "month/day/year)", "not a date: '2024/03/00'",
                                      "not a date: '2024年3月0日'"]


def test_dates_keep_positions_in_a_large_vector():
    rng = np.random.default_rng(3)
    n = 300_000
    seconds = rng.integers(0, 10**9, n).astype("timedelta64[s]")
    stamps = np.datetime64("2000-01-01T00:00:00") + seconds
    texts = np.char.replace(stamps.astype(str), "T", " ").tolist()
    odd = rng.choice(n, 600, replace=False)
    for i in odd[:200]:
        texts[i] = ""
    for i in odd[200:400]:
        texts[i] = "2024-02-30"
    for i in odd[400:]:
        d = stamps[i].astype(dt.datetime)
        texts[i] = f"{d.year}年{d.month}月{d.day}日 {d.hour}时{d.minute}分{d.second}秒"
    parsed = parse_dates(pa.array(texts))
    expected = stamps.astype("datetime64[us]")
    expected[odd[:400]] = np.datetime64("NaT")
    np.testing.assert_array_equal(parsed.values, expected)
    assert set(parsed.errors[odd[:200]]) == {"missing"}
    assert set(parsed.errors[odd[200:400]]) == {"not a date: '2024-02-30'"}
    assert parsed.ok.sum() == n - 400


def test_repeated_dates_in_other_forms():
    texts = ["2024/3/5", "5/3/2024", "2024年3月5日", None, "bad"] * 50_000
    parsed = parse_dates(texts, dayfirst=True)
    assert (parsed.values[0::5] == ts("2024-03-05")).all()
    assert (parsed.values[1::5] == ts("2024-03-05")).all()
    assert (parsed.values[2::5] == ts("2024-03-05")).all()
    assert set(parsed.errors[3::5]) == {"missing"}
    assert set(parsed.errors[4::5]) == {"not a date: 'bad'"}


# --------------------------------------------------------------------------------------------
# Ids and text


def test_clean_ids():
    parsed = clean_ids(
        [" 00001 ", "ＡＢ１２３", "12345.0", "0012.00", "12.5", "a \u3000 b", "A-1", "1E5",
         "", "  ", None, "NULL", "1.23457E+11", "ｃｕｓｔ　７"]
    )
    assert parsed.values.tolist() == [
        "00001", "AB123", "12345", "0012", "12.5", "a b", "A-1", "1E5",
        None, None, None, None, None, "cust 7",
    ]
    assert parsed.errors.tolist() == [None] * 8 + ["missing"] * 4 + [
        "id in scientific notation, digits lost: '1.23457E+11'", None
    ]
    assert parsed.values.dtype == object


def test_clean_ids_large_vector_keeps_order():
    ids = [f"{i:07d}" for i in range(100_000)] * 3
    parsed = clean_ids(pa.chunked_array([ids[:150_000], ids[150_000:]]))
    assert parsed.values.tolist() == ids
    assert parsed.ok.all()


def test_clean_text():
    parsed = clean_text([" 上海 ", "ＶＩＰ　客户", "", "   ", None, "a  b", "NA", "①"])
    assert parsed.values.tolist() == ["上海", "VIP 客户", None, None, None, "a  b", "NA", "1"]
    assert parsed.ok.all()


# --------------------------------------------------------------------------------------------
# Inputs and the result


@pytest.mark.parametrize(
    "column",
    [
        ["12", None, "x"],
        np.array(["12", None, "x"], dtype=object),
        pd.Series(["12", None, "x"]),
        pd.Series(["12", None, "x"], dtype="str"),
        pa.array(["12", None, "x"]),
        pa.array(["12", None, "x"], pa.large_string()),
        pa.chunked_array([["12"], [None, "x"]]),
        pa.array(["12", None, "x"]).dictionary_encode(),
    ],
)
def test_accepted_inputs(column):
    parsed = parse_numbers(column)
    assert parsed.values[0] == 12.0
    assert parsed.errors.tolist() == [None, "missing", "not a number: 'x'"]
    assert parsed.ok.tolist() == [True, False, False]


def test_non_string_columns():
    parsed = parse_numbers(pa.array([1.5, None, float("nan")]))
    assert parsed.values[0] == 1.5
    assert parsed.errors.tolist() == [None, "missing", "missing"]
    assert clean_ids(pa.array([7, None])).values.tolist() == ["7", None]


@pytest.mark.parametrize("parse", [parse_numbers, parse_dates, clean_ids, clean_text])
def test_empty_columns(parse):
    for column in ([], pa.array([], pa.string()), pa.chunked_array([], pa.string()), [None]):
        parsed = parse(column)
        assert len(parsed.values) == len(parsed.errors) == len(column)


def test_inputs_are_not_modified():
    column = pa.array(["", " 12 "])
    parse_numbers(column)
    assert column.to_pylist() == ["", " 12 "]


def test_docstring_examples():
    for module in (values, dates, parsed_column):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.attempted > 0
        assert result.failed == 0, module.__name__


# --------------------------------------------------------------------------------------------
# Properties

anything = st.lists(st.one_of(st.none(), st.text(max_size=30)), max_size=40)
nearly_dates = st.lists(
    st.one_of(
        st.none(),
        st.from_regex(r"\A[0-9]{1,4}[-/.年][0-9]{1,2}[-/.月][0-9]{1,4}日?( [0-9]{1,2}:[0-9]{2})?\Z"),
        st.from_regex(r"\A[0-9 .,()$¥%+eE万-]{0,12}\Z"),
    ),
    max_size=40,
)


def check_accounted(parsed: ParsedColumn, column: list, invalid) -> None:
    assert len(parsed.values) == len(parsed.errors) == len(column)
    ok = parsed.ok
    assert ok.dtype == bool
    assert not invalid(parsed.values[ok]).any()
    assert invalid(parsed.values[~ok]).all()
    for error in parsed.errors[~ok]:
        assert isinstance(error, str) and 0 < len(error) <= 120


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(anything, nearly_dates), st.booleans())
def test_random_strings_are_all_accounted_for(column, flag):
    check_accounted(parse_numbers(column, decimal_comma=flag), column, np.isnan)
    check_accounted(parse_dates(column, dayfirst=flag), column, np.isnat)
    ids = clean_ids(column)
    check_accounted(ids, column, lambda v: np.equal(v, None))
    text = clean_text(column)
    assert len(text.values) == len(column) and text.ok.all()


def _date_styles(moment: dt.datetime, with_time: bool) -> list[tuple[str, bool]]:
    """The same moment written in every supported style, with the ``dayfirst`` each needs."""
    d, t = moment, moment
    clock = f" {t:%H:%M:%S}" if with_time else ""
    styles = [
        (f"{d:%Y-%m-%d}{clock}", False),
        (f"{d:%Y-%m-%d}T{t:%H:%M:%S}Z" if with_time else f"{d:%Y-%m-%d}", False),
        (f"{d:%Y-%m-%d}T{t:%H:%M:%S}+08:00" if with_time else f"{d:%Y-%m-%d}", False),
        (f"{d.year:04d}/{d.month}/{d.day}{clock}", False),
        (f"{d.year:04d}.{d.month}.{d.day}{clock}", False),
        (f"{d:%d}.{d:%m}.{d.year:04d}{clock}", False),
        (f"{d.month}/{d.day}/{d.year:04d}{clock}", False),
        (f"{d.day}/{d.month}/{d.year:04d}{clock}", True),
        (f"{d.year:04d}{d:%m%d}" + clock, False),
        (f"{d.year:04d}年{d.month}月{d.day}日" + (f" {t.hour}时{t.minute}分{t.second}秒"
                                                 if with_time else ""), False),
        (f"{d.year:04d}年{d:%m}月{d:%d}日{clock}", False),
        (f"{d:%b} {d.day}, {d.year:04d}{clock}", False),
        (f"{d.day} {d:%B} {d.year:04d}{clock}", False),
        (f"{d:%d}-{d:%b}-{d.year:04d}{clock}", False),
    ]
    if with_time:
        hour12 = t.hour % 12 or 12
        half = "PM" if t.hour >= 12 else "AM"
        styles.append((f"{d.month}/{d.day}/{d.year:04d} {hour12}:{t:%M:%S} {half}", False))
        styles.append((f"{d.year:04d}/{d.month}/{d.day} {'下午' if t.hour >= 12 else '上午'}"
                       f"{hour12}:{t:%M:%S}", False))
    styles += [(text.translate(FULL_WIDTH), first) for text, first in styles[:4]]
    return styles


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=dt.datetime(1000, 1, 1), max_value=dt.datetime(9999, 12, 31)),
       st.booleans())
def test_dates_round_trip(moment, with_time):
    moment = moment.replace(microsecond=0) if with_time else moment.replace(
        hour=0, minute=0, second=0, microsecond=0)
    styles = _date_styles(moment, with_time)
    expected = np.datetime64(moment, "us")
    for dayfirst in (False, True):
        texts = [text for text, first in styles if first == dayfirst]
        parsed = parse_dates(texts, dayfirst=dayfirst)
        assert parsed.errors.tolist() == [None] * len(texts), texts
        assert (parsed.values == expected).all(), list(zip(texts, parsed.values))


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 2958465), st.integers(0, 86_399_999))
def test_excel_serials_round_trip(days, millisecond):
    if days == 60:
        return
    text = f"{days}" + f"{millisecond / 86_400_000:.15f}".removeprefix("0").rstrip("0")
    value, error = one(parse_dates([text]))
    excel_days = days + 1 if days < 60 else days
    expected = np.datetime64("1899-12-30", "us") + np.timedelta64(excel_days, "D")
    assert error is None
    assert value == expected + np.timedelta64(millisecond, "ms")


def _number_styles(number: Decimal) -> list[tuple[str, bool, float]]:
    """``number`` written in every supported style: (text, decimal_comma, expected value)."""
    size = abs(number)
    plain = f"{size:f}"
    grouped = f"{size:,f}"
    minus = number < 0
    value = float(number)
    dot = [
        plain, grouped, grouped.replace(",", "'"), grouped.replace(",", " "),
        f"¥{grouped}", f"{grouped}元", f"RMB {grouped}", f"US${plain}", f"{grouped} USD",
        f"€ {plain}", f"£{grouped}", grouped.translate(FULL_WIDTH), f"￥{grouped}",
    ]
    comma = [grouped.translate(str.maketrans(",.", ".,")), plain.replace(".", ","),
             grouped.translate(str.maketrans(",.", " ,")) + " €"]
    styles = []
    for texts, decimal_comma in ((dot, False), (comma, True)):
        for text in texts:
            if not minus:
                styles.append((text, decimal_comma, value))
                styles.append((f"+{text}", decimal_comma, value))
            else:
                styles += [(f"-{text}", decimal_comma, value), (f"({text})", decimal_comma, value),
                           (f"{text}-", decimal_comma, value)]
    styles.append((f"{number:e}", False, float(f"{number:e}")))
    styles.append((f"{plain}万".replace("-", ""), False, float(f"{plain}e4".replace("-", ""))))
    return styles


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 6).flatmap(lambda places: st.decimals(
    min_value=-10**12, max_value=10**12, places=places, allow_nan=False, allow_infinity=False)))
def test_numbers_round_trip(number):
    number = number.normalize() if number == number.to_integral() else number
    styles = _number_styles(number)
    for decimal_comma in (False, True):
        texts = [text for text, comma, _ in styles if comma == decimal_comma]
        expected = [value for _, comma, value in styles if comma == decimal_comma]
        parsed = parse_numbers(texts, decimal_comma=decimal_comma)
        assert parsed.errors.tolist() == [None] * len(texts), texts
        assert parsed.values.tolist() == expected, texts


iso_like = st.from_regex(
    r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}(:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,7})?)?)?)?\Z"
)


@settings(max_examples=150, deadline=None)
@given(st.lists(iso_like, min_size=1, max_size=20))
def test_fast_and_pattern_paths_agree_on_dates(texts):
    fast = parse_dates(texts)
    pattern_values, pattern_errors, _ = dates._parse_date_text(pa.array(texts), False)
    np.testing.assert_array_equal(fast.values, pattern_values)
    assert fast.ok.tolist() == np.equal(pattern_errors, None).tolist()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.from_regex(r"\A[-+]?[0-9]{0,8}(\.[0-9]{0,8})?([eE][-+]?[0-9]{1,3})?\Z"),
                min_size=1, max_size=20))
def test_fast_and_pattern_paths_agree_on_numbers(texts):
    fast = parse_numbers(texts)
    pattern_values, pattern_errors = values._parse_number_text(pa.array(texts), False)
    np.testing.assert_array_equal(fast.values, pattern_values)
    assert fast.ok.tolist() == np.equal(pattern_errors, None).tolist()
