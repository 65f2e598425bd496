"""Workbooks are checked for what they would unpack to before they are parsed, so a zip bomb
is refused with a clear message by the CLI and the server alike."""

from __future__ import annotations

import csv
import re
import time

import pytest
from click.testing import CliRunner

from cvm.cli import main
from cvm.ingest.readers import SourceError, check_workbook, read_source


def test_a_zip_bomb_is_refused_before_it_is_parsed(xlsx_bomb):
    started = time.monotonic()
    with pytest.raises(SourceError) as caught:
        read_source(xlsx_bomb)
    assert time.monotonic() - started < 1
    assert re.fullmatch(re.escape(str(xlsx_bomb)) + r": part xl/worksheets/sheet1\.xml unpacks "
                        r"from \d{3} KB to 108 MB \(\d{3} times; cvm reads parts that grow at "
                        r"most 100 times, as real sheets do\): save the sheet as CSV, or split "
                        r"the workbook", str(caught.value)), str(caught.value)


def test_the_cli_refuses_a_zip_bomb_naming_the_file(xlsx_bomb, tmp_path):
    result = CliRunner().invoke(main, ["run", str(xlsx_bomb), "--workspace",
                                       str(tmp_path / "w.duckdb")])
    assert result.exit_code != 0
    assert "bomb.xlsx: part xl/worksheets/sheet1.xml unpacks" in " ".join(result.output.split())


def test_a_real_workbook_is_read(tmp_path):
    from openpyxl import Workbook

    from cvm.demo import write_demo_data

    tx, _ = write_demo_data(tmp_path / "data", customers=300)
    rows = list(csv.reader(tx.open(encoding="utf-8")))
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in rows:
        sheet.append(row)
    path = tmp_path / "sales.xlsx"
    book.save(path)
    check_workbook(path)
    assert read_source(path).table.num_rows == len(rows) - 1 - sum(
        1 for r in rows[1:] if all(not v.strip() for v in r))


def test_the_total_size_is_bounded(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["customer", "date", "amount"])
    path = tmp_path / "small.xlsx"
    book.save(path)
    with pytest.raises(SourceError, match=re.escape(
            f"{path} would unpack to 0.0 MB of XML, more than cvm reads from one workbook "
            "(0.0 MB): save the sheet as CSV, or split the workbook")):
        check_workbook(path, max_bytes=1000)


def test_a_file_that_is_not_a_zip_is_named(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(SourceError, match=r"fake\.xlsx is not a readable Excel workbook"):
        read_source(path)
