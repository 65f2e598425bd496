"""Which source column is which field (`cvm.ingest.columns`): headers guessed exactly and by
containment, files without a header row told apart by their content, and mapping files."""

from __future__ import annotations

import dataclasses

import pyarrow as pa
import pytest

from cvm.ingest.columns import (ColumnMatch, MappingError, guess_by_content, guess_columns,
                                normalise_header, resolve_columns)
from cvm.schema import CUSTOMER_FIELDS, TRANSACTION_FIELDS, Field

TX = TRANSACTION_FIELDS


# -- the match and how it reads ------------------------------------------------------------

def test_column_match_reads_how_it_was_found():
    guessed = ColumnMatch({"customer_id": "cust", "purchase_time": "Date"}, guessed=True,
                          notes={"purchase_time": "day/month/year", "margin": "no column"})
    assert guessed.from_content is False and guessed.how == "guessed"
    assert guessed.as_dict() == {"how": "guessed",
                                 "columns": {"customer_id": "cust", "purchase_time": "Date"}}
    assert guessed.describe() == ("columns guessed: customer_id ← 'cust', purchase_time ← 'Date' "
                                  "(day/month/year); margin: no column")
    mapped = ColumnMatch({"amount": "Amt"}, guessed=False)
    assert mapped.how == "mapped" and mapped.describe() == "columns mapped: amount ← 'Amt'"
    content = ColumnMatch({"amount": "f3"}, guessed=True, from_content=True)
    assert content.how == "content" and content.as_dict()["how"] == "content"
    assert content.describe() == ("columns guessed from their content (no header row): "
                                  "amount ← 'f3'")
    with pytest.raises(dataclasses.FrozenInstanceError):
        mapped.guessed = True


def test_normalise_header():
    assert normalise_header("Dollar Value ($)") == "dollarvalue"
    assert normalise_header("实付金额（元）") == "实付金额"
    assert normalise_header(" Order-ID #/No.:") == "orderidno"
    assert normalise_header("【会员】卡·号") == "卡号"


# -- guessed from the headers --------------------------------------------------------------

def test_exact_names_come_before_containment():
    # 消费金额 names amount exactly; 实付金额 only contains 金额 (and is an exact alias too, so
    # the first exact hit in the order of the aliases wins)
    match = guess_columns("f", ["客户编号", "实付", "消费金额", "交易日期", "毛利率%"], TX)
    assert match.columns == {"customer_id": "客户编号", "purchase_time": "交易日期",
                             "amount": "消费金额", "margin": "毛利率%"}
    assert match.guessed is True and match.how == "guessed"


def test_a_column_named_exactly_is_not_taken_by_containment():
    # 客户 (customer) is inside 客户经理 (account manager), which names the owner exactly
    match = guess_columns("people.csv", ["客户经理", "客户"], CUSTOMER_FIELDS)
    assert match.columns == {"customer_id": "客户", "owner": "客户经理"}


def test_containment_of_two_characters_and_more_outside_ascii():
    fields = (Field("customer_id", "id", True, ("customerid", "客户"), "who"),
              Field("amount", "number", True, ("amount", "金额"), "how much"),
              Field("store", "id", False, ("store", "店"), "where"),
              Field("margin", "number", False, ("margin",), "profit"))
    match = guess_columns("f", ["所属客户", "本单金额(元)", "分店名", "marginal_note"], fields)
    # 金额 (two characters) is found inside a longer header; 店 (one) and ASCII aliases are not
    assert match.columns == {"customer_id": "所属客户", "amount": "本单金额(元)"}
    assert list(match.columns) == ["customer_id", "amount"]  # in the order of the fields
    # a column is taken once: the second field naming it finds the next one
    twice = (Field("a", "id", True, ("x",), ""), Field("b", "id", True, ("x", "y"), ""))
    assert guess_columns("f", ["X", "Y"], twice).columns == {"a": "X", "b": "Y"}


def test_a_file_without_amounts_is_guessed_without_one():
    match = guess_columns("log.csv", ["member", "date", "qty"], TX)
    assert match.columns == {"customer_id": "member", "purchase_time": "date", "quantity": "qty"}


def test_a_missing_required_column_is_explained():
    fields = (Field("customer_id", "id", True, ("c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8",
                                                  "c9", "c10"), "who bought"),
              Field("purchase_time", "date", True, ("date",), "when"),
              Field("amount", "number", True, ("amount",), "how much", column_optional=True),
              Field("store", "id", False, ("store",), "where"))
    with pytest.raises(MappingError) as refused:
        guess_columns("sales.csv", ["who", "what"], fields)
    assert str(refused.value) == (
        "sales.csv: could not tell which column holds customer_id, purchase_time. "
        "Its columns are: 'who', 'what'.\n"
        "  customer_id (who bought) is looked for under names such as "
        "c1, c2, c3, c4, c5, c6, c7, c8\n"
        "  purchase_time (when) is looked for under names such as date\n"
        "Give a mapping file (--mapping mapping.toml) naming the columns, e.g.\n"
        "  [transactions]\n"
        "  customer_id = \"…\"\n"
        "  purchase_time = \"…\"\n"
        "  amount = \"…\"")


# -- guessed from the content (no header row) ----------------------------------------------

def _table(**columns) -> pa.Table:
    return pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()})


def test_content_at_the_edges_of_the_calendar():
    n = 4
    table = _table(f1=[f"C{i}" for i in range(n)],
                   f2=["1949-12-31", "2024-01-01", "2024-01-02", "2024-01-03"],  # too early
                   f3=["2101-01-01", "2024-01-01", "2024-01-02", "2024-01-03"],  # too late
                   f4=["1950-01-01", "2100-12-31", "2024-01-02", "2024-01-03"],
                   f5=["1", "2", "3", "4"],
                   f6=["12.50", "3", "1,234", "7"],
                   f7=["1", "1", "2", "1"])
    match = guess_by_content("nohead.csv", table, TX)
    assert match.columns == {"customer_id": "f1", "purchase_time": "f4", "amount": "f6"}
    assert match.guessed is True and match.from_content is True and match.how == "content"


def test_content_reads_the_first_2000_rows_and_takes_95_percent():
    # 1,900 of the first 2,000 values read (exactly 95 %); the 2,001st does not
    n = 2001
    bad = [i % 20 == 19 or i == 2000 for i in range(n)]
    table = _table(f1=[f"C{i}" for i in range(n)],
                   f2=["x" if b else f"2024-03-{1 + i % 28:02d}" for i, b in enumerate(bad)],
                   f3=["x" if b else f"{i}.5" for i, b in enumerate(bad)])
    assert bad[:2000].count(True) == 100
    match = guess_by_content("nohead.csv", table, TX)
    assert match.columns == {"customer_id": "f1", "purchase_time": "f2", "amount": "f3"}
    with pytest.raises(MappingError, match="no header row"):  # one row more: below 95 %
        guess_by_content("nohead.csv", table, TX, sample=2001)
    with pytest.raises(MappingError, match="no header row"):  # from the second row: 1,899
        guess_by_content("nohead.csv", table.slice(1), TX)


@pytest.mark.parametrize("columns", [
    {"f1": ["C1", "C2"], "f2": ["2024-01-01", "2024-01-02"], "f3": ["3", "4"]},  # no decimals
    {"f1": ["C1", "C2"], "f2": ["a", "b"], "f3": ["3.5", "4.5"]},  # no dates
    {"f2": ["2024-01-01", "2024-01-02"], "f3": ["3.5", "4.5"]},  # no column left for the id
])
def test_content_that_cannot_be_told_apart(columns):
    with pytest.raises(MappingError) as refused:
        guess_by_content("nohead.csv", _table(**columns), TX)
    assert str(refused.value).startswith("nohead.csv has no header row and its columns could not "
                                         "be told apart by their content")


def test_content_guesses_only_transactions():
    table = _table(f1=["C1"], f2=["2024-01-01"], f3=["3.5"])
    with pytest.raises(MappingError, match="no header row"):
        guess_by_content("people.csv", table, CUSTOMER_FIELDS)


# -- mapping files -------------------------------------------------------------------------

COLUMNS = ["Kunde", "Datum", "Betrag ($)", "Laden"]


def test_a_mapping_by_name_and_position():
    match = resolve_columns("s.csv", COLUMNS, TX, {"customer_id": 1, "purchase_time": "Datum",
                                                   "amount": 3, "store": 4, "unknown": "x"})
    assert match.columns == {"customer_id": "Kunde", "purchase_time": "Datum",
                             "amount": "Betrag ($)", "store": "Laden"}
    assert match.guessed is False and match.how == "mapped"
    # amount may be left out (a log without amounts), the others may not
    assert resolve_columns("s.csv", COLUMNS, TX, {"customer_id": "Kunde", "purchase_time": 2}) \
        .columns == {"customer_id": "Kunde", "purchase_time": "Datum"}
    with pytest.raises(MappingError) as refused:
        resolve_columns("s.csv", COLUMNS, TX, {"customer_id": "Kunde", "store": "Laden"})
    assert str(refused.value) == ("s.csv: the mapping file does not name a column for "
                                  "purchase_time, which is required")


@pytest.mark.parametrize("position", [0, 5, -1])
def test_a_position_outside_the_columns(position):
    with pytest.raises(MappingError) as refused:
        resolve_columns("s.csv", COLUMNS, TX, {"customer_id": position, "purchase_time": 2})
    assert str(refused.value) == (f"s.csv: the mapping puts customer_id in column {position}, "
                                  "but the source has 4 columns")


def test_an_unknown_column_name_suggests_a_close_one():
    with pytest.raises(MappingError) as refused:
        resolve_columns("s.csv", COLUMNS, TX, {"customer_id": "Kunde", "purchase_time": "Datum",
                                               "amount": "betrag"})
    assert str(refused.value) == (
        "s.csv: the mapping names column 'betrag' for amount, but there is no such column "
        "(did you mean 'Betrag ($)'?); columns are: 'Kunde', 'Datum', 'Betrag ($)', 'Laden'")
    with pytest.raises(MappingError) as refused:
        resolve_columns("s.csv", COLUMNS, TX, {"customer_id": "client"})
    assert "no such column;" in str(refused.value)


def test_without_a_mapping_the_columns_are_guessed():
    table = _table(cust_id=["C1"], date=["2024-01-01"], amount=["3.5"])
    names = table.column_names
    for mapping in (None, {}):
        by_header = resolve_columns("s.csv", names, TX, mapping, table=table)
        assert by_header.how == "guessed"
        assert by_header.columns == {"customer_id": "cust_id", "purchase_time": "date",
                                     "amount": "amount"}
    headless = _table(f1=["C1"], f2=["2024-01-01"], f3=["3.5"])
    by_content = resolve_columns("s.csv", headless.column_names, TX, None, table=headless,
                                 header=False)
    assert by_content.how == "content"
    # no table to read: the names are all there is
    assert resolve_columns("s.csv", names, TX, None, header=False).how == "guessed"
