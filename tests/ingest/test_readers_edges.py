"""The readers on small files written by hand: how a source's kind and name are told, binary and
encoded text, the delimiter and header guesses, row numbers around bad records, whitespace
tables, typed columns as text, workbooks and JSON records."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import re

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cvm.config import IngestOptions
from cvm.ingest.readers import (
    SourceError,
    _decode_head,
    _looks_binary,
    _looks_like_header,
    _row_numbers,
    _short,
    _sniff_delimiter,
    _unique,
    read_source,
    source_kind,
    source_name,
)


def _columns(raw) -> dict[str, list]:
    return raw.table.to_pydict()


def test_the_kind_of_a_source_comes_from_its_url_or_suffix():
    assert source_kind("postgres://u@h/db") == source_kind("postgresql://u@h/db") == "postgresql"
    assert source_kind("x.postgresql://") == "text"
    assert source_kind("Sales.XLSX") == source_kind("a.xlsm") == "excel"
    assert source_kind("a.pq") == source_kind("a.PARQUET") == "parquet"
    assert source_kind("a.ndjson") == source_kind("a.json") == source_kind("a.jsonl") == "jsonl"
    assert source_kind("a.dat") == source_kind("a") == "text"


def test_a_source_is_named_without_its_password():
    assert source_name("postgresql://ana:s3cret@db.example/shop?table=sales") == \
        "postgresql://ana:***@db.example/shop?table=sales"
    assert source_name("postgresql://ana@db.example/shop") == "postgresql://ana@db.example/shop"
    assert source_name("data/sales.csv") == "data/sales.csv"
    assert source_name(pa.table({"a": [1]})) == "Arrow table"


def test_binary_means_more_than_one_percent_control_bytes_and_at_least_nine():
    assert _looks_binary(b"") is False
    assert not _looks_binary(b"a\x00" * 8 + b"b" * 10)        # 8 controls: text
    assert _looks_binary(b"a\x00" * 9 + b"b" * 10)            # 9: binary
    # tab, line feed, carriage return and form feed are text
    assert not _looks_binary(b"\t\n\r\x0c" * 100)
    # 2,000 bytes: 20 controls are 1 %, text; 21 are more
    assert not _looks_binary(b"\x01" * 20 + b"x" * 1980)
    assert _looks_binary(b"\x01" * 21 + b"x" * 1979)
    assert _looks_binary(b"\x1f" * 9)


def test_text_is_decoded_as_utf8_then_gb18030_or_as_told(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("\ufeffid,名\n1,张三\n".encode("utf-8"))
    assert _decode_head(path, None) == ("id,名\n1,张三\n", "utf-8-sig")
    path.write_bytes("id,名\n1,张三\n".encode("gb18030"))
    assert _decode_head(path, None) == ("id,名\n1,张三\n", "gb18030")
    path.write_bytes("id,nom\n1,é\n".encode("latin-1"))
    assert _decode_head(path, "latin-1")[0] == "id,nom\n1,é\n"
    with pytest.raises(SourceError, match="unknown text encoding 'klingon'"):
        _decode_head(path, "klingon")
    path.write_bytes(b"id,x\n" + b"\xff\xfe\xfd\x80\x81" * 10 + b"\n1,2\n" * 10)
    with pytest.raises(SourceError, match="is not UTF-8 or GB18030 text"):
        _decode_head(path, "utf-8")
    # a character cut by the end of the first MiB is not an error: the sample stops before it
    text = "a" * ((1 << 20) - 1) + "é"
    path.write_bytes(text.encode("utf-8"))
    head, enc = _decode_head(path, "utf-8")
    assert enc == "utf-8" and head == "a" * ((1 << 20) - 1)
    path.write_bytes(b"a" * ((1 << 20) - 6) + b"\xff" + b"abcdefgh")
    with pytest.raises(SourceError):
        _decode_head(path, "utf-8")
    # a character is at most 4 bytes: a bad byte 4 bytes before the sample's end may be the
    # start of one that was cut; 5 bytes before, it is not
    path.write_bytes(b"a" * ((1 << 20) - 4) + b"\xff" + b"abcdefgh")
    assert _decode_head(path, "utf-8") == ("a" * ((1 << 20) - 4), "utf-8")
    path.write_bytes(b"a" * ((1 << 20) - 5) + b"\xff" + b"abcdefgh")
    with pytest.raises(SourceError, match="is not UTF-8"):
        _decode_head(path, "utf-8")


def test_the_delimiter_is_the_one_found_most_and_most_evenly():
    assert _sniff_delimiter([]) == _sniff_delimiter(["", "  "]) == ","
    assert _sniff_delimiter(["a;b;c", "d;e;f"]) == ";"
    assert _sniff_delimiter(["a|b", "c|d"]) == "|"
    assert _sniff_delimiter(["a\tb", "c\td"]) == "\t"
    # commas in every line but unevenly (1 and 2), semicolons evenly: 0.5 · 1 < 1 · 1
    assert _sniff_delimiter(["a;b,c", "d;e,f,g"]) == ";"
    # two semicolons in each line beat one comma in each
    assert _sniff_delimiter(["a,b;c;d", "e,f;g;h"]) == ";"
    # equal scores: the first in the order , tab ; |
    assert _sniff_delimiter(["a,b;c", "d,e;f"]) == ","
    # a delimiter missing from one line does not count
    assert _sniff_delimiter(["a;b|c", "d;e|f", "g|h"]) == "|"
    assert _sniff_delimiter(["a b  c", "d e f"]) == "whitespace"
    assert _sniff_delimiter(["abc", "d e"]) == ","
    # only the first 50 lines with text
    assert _sniff_delimiter(["a;b"] * 50 + ["c,d"] * 100) == ";"
    assert _sniff_delimiter([""] * 10 + ["a;b"] * 2) == ";"


def test_a_first_row_of_words_over_data_is_a_header():
    assert _looks_like_header([], ["1"]) is False
    assert _looks_like_header(["2024-03-05", "12.50", "¥3", ""], ["x", "y", "z", "w"]) is False
    assert _looks_like_header(["id", "date"], None)
    assert _looks_like_header(["id", "amount"], ["A1", "12.5"])
    assert not _looks_like_header(["A1", "12.5"], ["B2", "13"])
    # every cell a word is a header even over words
    assert _looks_like_header(["name", "city"], ["Ana", "Lyon"])
    assert not _looks_like_header(["name", "7"], ["Ana", "Lyon"])
    # an empty cell below is not data
    assert not _looks_like_header(["A1", "7"], ["", "8"])
    assert _looks_like_header(["id", "7"], ["", "8"]) is False
    assert _looks_like_header(["id", ""], ["1", ""])


def test_row_numbers_skip_the_header_and_the_bad_records():
    assert list(_row_numbers(3, [], 1)) == [2, 3, 4]
    assert list(_row_numbers(3, [], 0)) == [1, 2, 3]
    assert list(_row_numbers(3, [3], 1)) == [2, 4, 5]
    assert list(_row_numbers(2, [2, 5], 0)) == [1, 3]
    # a bad record without a known line: the good ones keep the first numbers
    assert list(_row_numbers(2, [None], 1)) == [2, 3]
    # bad lines that do not fit leave the plain numbering
    assert list(_row_numbers(3, [99], 1)) == [2, 3, 4]
    assert _row_numbers(0, [], 1).dtype == np.int64


def test_repeated_names_are_numbered():
    assert _unique(["a", "b", "a", "a", "b"]) == ["a", "b", "a_1", "a_2", "b_1"]
    assert _unique([]) == []


def test_long_text_is_cut_with_an_ellipsis():
    assert _short("a  b\n c") == "a b c"
    assert _short("x" * 120) == "x" * 120
    assert _short("x" * 121) == "x" * 119 + "…"
    assert _short("abcdef", limit=4) == "abc…"


def test_read_source_refuses_what_is_not_a_table_file(tmp_path):
    with pytest.raises(SourceError, match="cannot read a source of type int"):
        read_source(3)
    with pytest.raises(SourceError, match="no such file"):
        read_source(tmp_path / "none.csv")
    with pytest.raises(SourceError, match="is a folder"):
        read_source(tmp_path)
    (tmp_path / "e.csv").write_bytes(b"")
    with pytest.raises(SourceError, match="is empty"):
        read_source(tmp_path / "e.csv")
    (tmp_path / "b.csv").write_bytes(b"\x00\x01" * 10 + b"abc")
    with pytest.raises(SourceError, match="looks like a binary file"):
        read_source(tmp_path / "b.csv")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0 not a zip")
    with pytest.raises(SourceError, match="old .xls workbook"):
        read_source(tmp_path / "old.xls")


def test_a_csv_with_a_header_and_a_bad_record(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text('id,note,amount\nA,"two\nlines",5\nB,short\nC,x,7\n', encoding="utf-8")
    raw = read_source(path)
    assert (raw.name, raw.kind, raw.header) == ("s.csv", "text", True)
    assert _columns(raw) == {"id": ["A", "C"], "note": ["two\nlines", "x"], "amount": ["5", "7"]}
    assert list(raw.rows) == [2, 4]
    assert raw.bad_records == [(3, "expected 3 fields: B,short")]
    assert raw.rows_read == 3


def test_a_csv_without_a_header_gets_numbered_columns(tmp_path):
    path = tmp_path / "n.csv"
    path.write_text("A1,2024-01-05,12.5\nB2,2024-01-06,3\n", encoding="utf-8")
    raw = read_source(path)
    assert raw.header is False
    assert _columns(raw) == {"column_1": ["A1", "B2"], "column_2": ["2024-01-05", "2024-01-06"],
                             "column_3": ["12.5", "3"]}
    assert list(raw.rows) == [1, 2]
    # told there is a header: the first row names the columns
    raw = read_source(path, IngestOptions(header=True))
    assert raw.table.column_names == ["A1", "2024-01-05", "12.5"] and list(raw.rows) == [2]
    # told there is none: a wordy first row is data
    path.write_text("id,amount\nA,1\n", encoding="utf-8")
    raw = read_source(path, IngestOptions(header=False))
    assert _columns(raw) == {"column_1": ["id", "A"], "column_2": ["amount", "1"]}


def test_the_delimiter_can_be_given_as_tab(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("id\tnote\nA\tx;y\nB\tz;w\n", encoding="utf-8")
    for given in ("\\t", "tab", "\t"):
        raw = read_source(path, IngestOptions(delimiter=given))
        assert _columns(raw) == {"id": ["A", "B"], "note": ["x;y", "z;w"]}
    # guessed from the lines below the header
    assert read_source(path).table.column_names == ["id", "note"]


def test_one_column_is_a_wrong_delimiter_unless_a_list_of_ids(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("customer_id\nA1\nB2\n", encoding="utf-8")
    with pytest.raises(SourceError, match="single column"):
        read_source(path)
    raw = read_source(path, one_column=True)
    assert _columns(raw) == {"customer_id": ["A1", "B2"]}
    # a separator anywhere says the delimiter is wrong, not that the table has one column
    path.write_text("customer_id\nA1\nB2;x\n", encoding="utf-8")
    with pytest.raises(SourceError, match="single column"):
        read_source(path, IngestOptions(delimiter="|"), one_column=True)


def test_a_whitespace_table(tmp_path):
    path = tmp_path / "w.txt"
    path.write_text("id  date      amount\n\nA   20240105  12.5\nB   20240106\nC 20240107 3\n",
                    encoding="utf-8")
    raw = read_source(path)
    assert raw.header is True
    assert _columns(raw) == {"id": ["A", "C"], "date": ["20240105", "20240107"],
                             "amount": ["12.5", "3"]}
    assert list(raw.rows) == [3, 5]
    assert raw.bad_records == [(4, "expected 3 fields: B 20240106")]
    path.write_text("A 20240105 12.5\nB 20240106 3\n", encoding="utf-8")
    raw = read_source(path)
    assert raw.header is False and raw.table.column_names == ["column_1", "column_2", "column_3"]
    assert list(raw.rows) == [1, 2]
    raw = read_source(path, IngestOptions(header=True))
    assert raw.table.column_names == ["A", "20240105", "12.5"] and list(raw.rows) == [2]
    path.write_text("a a b\n1 2 3\n", encoding="utf-8")
    assert read_source(path).table.column_names == ["a", "a_1", "b"]
    path.write_text("\n   \n", encoding="utf-8")
    with pytest.raises(SourceError, match="holds no rows"):
        read_source(path, IngestOptions(delimiter="whitespace"))
    # undecodable bytes at the end pass the sample's check but not the full read
    path.write_bytes(b"id amount\nA 1\nB 2\n\xff\xfe")
    with pytest.raises(SourceError, match="text is not utf-8"):
        read_source(path, IngestOptions(encoding="utf-8"))


def test_typed_columns_are_read_as_text(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({
        "id": pa.array(["A", None], pa.large_string()),
        "when": pa.array([dt.datetime(2024, 3, 5, 10, 0, 37, 250000), None],
                         pa.timestamp("ms", tz="Asia/Shanghai")),
        "day": pa.array([dt.date(2024, 3, 5), dt.date(2024, 12, 31)]),
        "amount": pa.array([decimal.Decimal("12.50"), decimal.Decimal(3)],
                           pa.decimal128(6, 2)),
        "n": [1, 2], "tags": [["a", "b"], []], "ok": [True, False]}), path)
    raw = read_source(path)
    assert (raw.kind, raw.name, list(raw.rows)) == ("parquet", "t.parquet", [1, 2])
    cols = _columns(raw)
    assert cols["id"] == ["A", None]
    # the time zone is dropped: Arrow keeps the UTC time
    assert cols["when"] == ["2024-03-05 10:00:37.250", None]
    assert cols["day"] == ["2024-03-05", "2024-12-31"]
    assert cols["amount"] == ["12.50", "3.00"] and cols["n"] == ["1", "2"]
    assert cols["tags"] == ["['a', 'b']", "[]"] and cols["ok"] == ["true", "false"]
    assert all(t == pa.string() for t in raw.table.schema.types)
    # a Parquet file named .csv is still read as Parquet
    (tmp_path / "p.csv").write_bytes(path.read_bytes())
    assert read_source(tmp_path / "p.csv").kind == "parquet"
    (tmp_path / "x.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(SourceError, match="not a readable Parquet file"):
        read_source(tmp_path / "x.parquet")


def test_tables_in_memory(tmp_path):
    pd = pytest.importorskip("pandas")
    raw = read_source(pd.DataFrame({"id": ["A", "B"], "n": [1.5, 2.0]}))
    assert (raw.name, raw.kind, list(raw.rows)) == ("pandas DataFrame", "table", [1, 2])
    assert _columns(raw) == {"id": ["A", "B"], "n": ["1.5", "2"]}
    batch = pa.RecordBatch.from_pydict({"id": ["A"]})
    assert _columns(read_source(batch)) == {"id": ["A"]}
    with pytest.raises(SourceError, match="the Arrow table has no columns"):
        read_source(pa.table({}))


def _workbook(path, rows, *, sheet="Sheet", extra=None):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for r in rows:
        ws.append(r)
    if extra:
        wb.create_sheet(extra).append(["other"])
    wb.save(path)
    return path


def test_a_workbook_with_blank_rows_dates_and_extra_cells(tmp_path):
    path = _workbook(tmp_path / "w.xlsx", [
        ["id", None, "amount"],
        [None, None, None],
        ["A", dt.datetime(2024, 3, 5), 12.0],
        ["B", dt.datetime(2024, 3, 6, 14, 30, 5), 3.25, None],
        ["C", dt.date(2024, 3, 7), 7, "late note"],
        ["", "  ", None],
    ])
    raw = read_source(path)
    assert (raw.kind, raw.name, raw.header) == ("excel", "w.xlsx", True)
    assert _columns(raw) == {
        "id": ["A", "B", "C"],
        "column_2": ["2024-03-05", "2024-03-06 14:30:05", "2024-03-07"],
        "amount": ["12", "3.25", "7"],
        "column_4": [None, None, "late note"]}
    assert list(raw.rows) == [3, 4, 5]


def test_a_workbook_without_a_header_and_its_sheets(tmp_path):
    path = _workbook(tmp_path / "n.xlsx", [["A", 1.5], ["B", 2]], sheet="data", extra="notes")
    raw = read_source(path)
    assert raw.table.column_names == ["column_1", "column_2"] and list(raw.rows) == [1, 2]
    assert raw.header is False
    assert _columns(raw)["column_2"] == ["1.5", "2"]
    assert read_source(path, IngestOptions(header=True)).table.column_names == ["A", "1.5"]
    assert _columns(read_source(path, IngestOptions(sheet="notes"))) == {"other": []}
    with pytest.raises(SourceError, match="has no sheet 'x'; sheets: data, notes"):
        read_source(path, IngestOptions(sheet="x"))
    empty = _workbook(tmp_path / "e.xlsx", [[None, ""]])
    with pytest.raises(SourceError, match="the sheet holds no rows"):
        read_source(empty)
    # a workbook found by its content is read as one (openpyxl wants its own suffix)
    (tmp_path / "w.csv").write_bytes(path.read_bytes())
    with pytest.raises(SourceError, match="w.csv is not a readable Excel workbook"):
        read_source(tmp_path / "w.csv")


def test_json_records_lines_and_arrays(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text('{"id": "A", "n": 1, "ok": true}\n\n[1, 2]\n{"id": "B", "tags": ["x"], '
                    '"o": {"k": "名"}}\nnot json\n{"id": null, "n": 2.5}\n', encoding="utf-8")
    raw = read_source(path)
    assert (raw.kind, list(raw.rows)) == ("jsonl", [1, 4, 6])
    assert _columns(raw) == {"id": ["A", "B", None], "n": ["1", None, "2.5"],
                             "ok": ["true", None, None], "tags": [None, '["x"]', None],
                             "o": [None, '{"k": "名"}', None]}
    assert raw.bad_records[0] == (3, "record is not a JSON object")
    assert raw.bad_records[1][0] == 5 and raw.bad_records[1][1].startswith("not valid JSON (")
    path.write_text(json.dumps([{"id": "A"}, 3, {"id": "B", "ok": False}]), encoding="utf-8")
    raw = read_source(path)
    assert _columns(raw) == {"id": ["A", "B"], "ok": [None, "false"]}
    assert list(raw.rows) == [1, 3] and raw.bad_records == [(2, "record is not a JSON object")]
    path.write_text("[1, 2", encoding="utf-8")
    with pytest.raises(SourceError, match="is not valid JSON"):
        read_source(path)
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(SourceError, match="holds no JSON records"):
        read_source(path)
    # a text file whose first character is { is read as JSON lines
    (tmp_path / "j.txt").write_text('  {"id": "C"}\n', encoding="utf-8")
    assert _columns(read_source(tmp_path / "j.txt")) == {"id": ["C"]}


def test_headerless_rows_load_alike_from_csv_whitespace_text_and_a_workbook(tmp_path):
    from cvm.ingest.load import load_transactions
    from cvm.workspace import Workspace

    rows = [("A1", "2024-01-05", 12.5), ("B2", "2024-01-06", 3.0), ("C3", "2024-01-07", 4.0)]
    (tmp_path / "t.csv").write_text("".join(f"{a},{b},{c}\n" for a, b, c in rows))
    (tmp_path / "t.txt").write_text("".join(f"{a} {b} {c}\n" for a, b, c in rows))
    _workbook(tmp_path / "t.xlsx", [[a, dt.datetime.fromisoformat(b), c] for a, b, c in rows])
    for name in ["t.csv", "t.txt", "t.xlsx"]:
        ws = Workspace(tmp_path / f"{name}.duckdb")
        try:
            report = load_transactions(ws, tmp_path / name, as_of=dt.date(2024, 6, 30))
            assert (report.rows_read, report.rows_loaded) == (3, 3), name
            assert "no header row" in report.columns
            assert ws.query("SELECT source_customer_id, amount FROM transactions "
                            "ORDER BY 1") == [("A1", 12.5), ("B2", 3.0), ("C3", 4.0)]
        finally:
            ws.close()


def _zip(path, parts: dict[str, bytes]):
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for name, data in parts.items():
            book.writestr(name, data)
    with zipfile.ZipFile(path) as book:
        return {p.filename: (p.file_size, p.compress_size) for p in book.infolist()}


def test_a_workbooks_parts_are_held_to_the_ratio_from_one_mib_and_to_the_total(tmp_path):
    from cvm.ingest.readers import check_workbook

    path = tmp_path / "b.xlsx"
    # just under 1 MiB unpacked: not held to the ratio, however well it packs
    _zip(path, {"xl/small.xml": b"0" * ((1 << 20) - 1)})
    check_workbook(path)
    sizes = _zip(path, {"a.xml": b"x" * 10, "xl/big.xml": b"0" * (1 << 20)})
    size, packed = sizes["xl/big.xml"]
    with pytest.raises(SourceError) as err:
        check_workbook(path, name="sales.xlsx")
    assert str(err.value) == (
        f"sales.xlsx: part xl/big.xml unpacks from {packed / 1024:,.0f} KB to 1 MB "
        f"({size / packed:,.0f} times; cvm reads parts that grow at most 100 times, as real "
        "sheets do): save the sheet as CSV, or split the workbook")
    # growing exactly max_ratio times is allowed, more is not
    check_workbook(path, max_ratio=size / packed)
    with pytest.raises(SourceError, match="grow at most"):
        check_workbook(path, max_ratio=size / packed * 0.999)
    # the total: up to max_bytes is read
    total = size + 10
    check_workbook(path, max_bytes=total, max_ratio=1e9)
    with pytest.raises(SourceError, match=rf"{re.escape(str(path))} would unpack to 1\.0 MB"):
        check_workbook(path, max_bytes=total - 1, max_ratio=1e9)
    path.write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(SourceError, match="w.xlsx is not a readable Excel workbook"):
        check_workbook(path, name="w.xlsx")


def test_a_csv_of_one_line_and_the_sample_of_sixty_lines(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("id,amount\n", encoding="utf-8")
    raw = read_source(path)
    assert raw.header is True and raw.table.column_names == ["id", "amount"]
    assert raw.table.num_rows == 0 and raw.rows_read == 0
    # a list of ids: only the first 60 lines are looked at for separators
    ids = "customer_id\n" + "".join(f"C{i}\n" for i in range(59))
    path.write_text(ids + "X;Y\n", encoding="utf-8")
    raw = read_source(path, one_column=True)
    assert raw.table.num_rows == 60 and raw.table.column("customer_id")[59].as_py() == "X;Y"
    path.write_text(ids[:-len("C58\n")] + "X;Y\nC58\n", encoding="utf-8")
    with pytest.raises(SourceError, match="single column"):
        read_source(path, one_column=True)


def test_a_header_is_told_by_the_row_below_it(tmp_path):
    # "2024" looks like data, but "spend" stands over a number: a header
    path = tmp_path / "y.csv"
    path.write_text("spend,2024\n12.5,7\n3,4\n", encoding="utf-8")
    raw = read_source(path)
    assert raw.header is True and raw.table.column_names == ["spend", "2024"]
    assert list(raw.rows) == [2, 3]


def test_encoded_csvs_and_empty_cells(tmp_path):
    path = tmp_path / "g.csv"
    path.write_bytes("会员,金额,备注\n张三,12,\n李四,3,好\n".encode("gb18030"))
    raw = read_source(path)
    # an empty cell is empty text, not missing; every column is text
    assert _columns(raw) == {"会员": ["张三", "李四"], "金额": ["12", "3"], "备注": ["", "好"]}
    assert all(t == pa.string() for t in raw.table.schema.types)
    path.write_bytes("\ufeffid,amount\nA,\"\"\n".encode("utf-8"))
    assert _columns(read_source(path)) == {"id": ["A"], "amount": [""]}


def test_the_first_record_sets_the_column_count(tmp_path):
    # Arrow takes its columns from the first record: one field there is one column, however
    # many fields the rows below have
    path = tmp_path / "f.csv"
    path.write_text("A1\nB2,5\nC3,6\n", encoding="utf-8")
    with pytest.raises(SourceError, match="single column"):
        read_source(path)


def test_cell_values_as_text():
    from cvm.ingest.readers import _excel_text, _json_text

    assert _excel_text(None, dt) is None
    assert _excel_text(dt.datetime(2024, 3, 5), dt) == "2024-03-05"
    assert _excel_text(dt.datetime(2024, 3, 5, 0, 0, 1), dt) == "2024-03-05 00:00:01"
    assert _excel_text(dt.date(2024, 3, 7), dt) == "2024-03-07"
    assert _excel_text(12.0, dt) == "12" and _excel_text(12.5, dt) == "12.5"
    assert _excel_text(7, dt) == "7" and _excel_text("x", dt) == "x"
    assert _json_text(None) is None and _json_text(False) == "false"
    assert _json_text([1, "名"]) == '[1, "名"]' and _json_text(2.5) == "2.5"
