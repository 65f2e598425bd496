"""The readers' sources at their bounds: tables told by their package and not by a name alone,
the workbook bounds at their defaults (1 GiB unpacked in all, parts that grow 100 times), and
the first 64 KiB of a file that decide whether it is binary."""

from __future__ import annotations

import re
import struct
import zipfile

import pytest

from cvm.ingest.readers import SourceError, check_workbook, read_source, table_kind


class DataFrame:
    """A frame of some other package, named as pandas' and Polars' are."""


class LazyFrame:
    """Named as Polars' lazy frame."""


class Exportable:
    """Not an Ibis table, although it can give Arrow."""

    def to_pyarrow(self):  # pragma: no cover - never called
        raise AssertionError("not a table cvm reads")


@pytest.mark.parametrize("given", [DataFrame(), LazyFrame(), Exportable()])
def test_a_table_is_told_by_its_package_not_by_its_name(given):
    assert table_kind(given) is None
    with pytest.raises(SourceError, match=f"cannot read a source of type {type(given).__name__}: "
                                          "give a file path"):
        read_source(given)


def _declared(path, sizes: dict[str, int], packed: int = 20_000):
    """A zip of stored parts of 20,000 bytes each whose directory declares the unpacked
    ``sizes`` (and ``packed`` bytes packed); only the directory is read by
    :func:`check_workbook`."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as book:
        for name in sizes:
            book.writestr(name, b"x" * 20_000)
    data = bytearray(path.read_bytes())
    at = 0
    for name, size in sizes.items():
        at = data.index(b"PK\x01\x02", at)          # the part's central directory entry
        assert data[at + 46:at + 46 + len(name)] == name.encode()
        struct.pack_into("<II", data, at + 20, packed, size)  # its packed and unpacked sizes
        at += 46
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as book:
        assert [(p.file_size, p.compress_size) for p in book.infolist()] == [
            (s, packed) for s in sizes.values()]
    return path


def test_a_workbook_may_unpack_to_one_gib_and_no_byte_more(tmp_path):
    path = _declared(tmp_path / "big.xlsx", {"xl/a.xml": 1 << 29, "xl/b.xml": 1 << 29})
    check_workbook(path, max_ratio=1e12)
    path = _declared(tmp_path / "big.xlsx", {"xl/a.xml": 1 << 29, "xl/b.xml": (1 << 29) + 1})
    with pytest.raises(SourceError) as err:
        check_workbook(path, max_ratio=1e12)
    assert str(err.value) == (
        f"{path} would unpack to 1,024.0 MB of XML, more than cvm reads from one workbook "
        "(1,024.0 MB): save the sheet as CSV, or split the workbook")


def test_a_part_may_grow_one_hundred_times_and_no_byte_more(tmp_path):
    path = _declared(tmp_path / "r.xlsx", {"xl/worksheets/sheet1.xml": 2_000_000})
    check_workbook(path)
    path = _declared(tmp_path / "r.xlsx", {"xl/worksheets/sheet1.xml": 2_000_001})
    with pytest.raises(SourceError) as err:
        read_source(path)
    assert str(err.value) == (
        f"{path}: part xl/worksheets/sheet1.xml unpacks from 20 KB to 2 MB (100 times; cvm "
        "reads parts that grow at most 100 times, as real sheets do): save the sheet as CSV, "
        "or split the workbook")


@pytest.mark.parametrize("packed, size, message", [
    # no packed bytes at all count as one: the ratio is still a number
    (0, 1 << 20, "from 0 KB to 1 MB (1,048,576 times"),
    (1, 1 << 20, "from 0 KB to 1 MB (1,048,576 times"),
    (2, 1 << 20, "from 0 KB to 1 MB (524,288 times"),
    # 10,760 bytes are 10.51 KB of 1,024 bytes
    (10_760, 1 << 21, "from 11 KB to 2 MB (195 times"),
])
def test_the_packed_size_of_a_part_that_grows_too_much(tmp_path, packed, size, message):
    path = _declared(tmp_path / "z.xlsx", {"xl/styles.xml": size}, packed=packed)
    with pytest.raises(SourceError) as err:
        check_workbook(path, name="z.xlsx")
    assert str(err.value).startswith(f"z.xlsx: part xl/styles.xml unpacks {message}; ")


def _with_nuls(in_head: int, after: int) -> bytes:
    """A CSV whose first 65,536 bytes hold ``in_head`` NUL bytes, followed by ``after`` more."""
    data = b"id,note\n" + b"A,x\x00y\n" * in_head
    data += b"B," + b"z" * (65_536 - len(data) - 3) + b"\n"
    assert len(data) == 65_536
    return data + b"\x00" * after + b",w\n"


def test_the_first_64_kib_decide_whether_a_file_is_binary(tmp_path):
    # 655 control bytes of 65,536 are 0.9995 %: text, whatever follows
    path = tmp_path / "t.csv"
    path.write_bytes(_with_nuls(655, 10))
    raw = read_source(path)
    assert (raw.kind, raw.table.num_rows, raw.table.column_names) == ("text", 657, ["id", "note"])
    # 656 are more than 1 %
    path.write_bytes(_with_nuls(656, 0))
    with pytest.raises(SourceError, match=re.escape(f"{path} looks like a binary file")):
        read_source(path)


def _rewritten(path, sheet: str, edit) -> None:
    """``path`` with its part ``sheet`` rewritten by ``edit`` (text to text)."""
    with zipfile.ZipFile(path) as book:
        parts = {p.filename: book.read(p) for p in book.infolist()}
    parts[sheet] = edit(parts[sheet].decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for name, data in parts.items():
            book.writestr(name, data)


def test_a_workbook_is_read_whole_whatever_size_its_sheet_declares(tmp_path):
    """Some programs write a sheet's size (its <dimension>) wrong, A1:A1 say; every row and
    cell is read all the same (a cell past the header's makes a column where it holds a
    value), and a formula gives the value its program saved with it."""
    import openpyxl

    book = openpyxl.Workbook()
    for row in [["id", "date", "amount"], ["A", "2024-01-05", 1],
                ["B", "2024-01-06", 2, "late note"], [], ["C", "2024-01-07", "=1+2"],
                ["D", "2024-01-08", 4, None, ""]]:
        book.active.append(row)
    path = tmp_path / "d.xlsx"
    book.save(path)

    def edit(xml):
        assert '<dimension ref="A1:E6" />' in xml and "<f>1+2</f><v />" in xml
        return xml.replace("A1:E6", "A1:A1").replace("<f>1+2</f><v />", "<f>1+2</f><v>3</v>")

    _rewritten(path, "xl/worksheets/sheet1.xml", edit)
    raw = read_source(path)
    assert raw.table.to_pydict() == {
        "id": ["A", "B", "C", "D"],
        "date": ["2024-01-05", "2024-01-06", "2024-01-07", "2024-01-08"],
        "amount": ["1", "2", "3", "4"], "column_4": [None, "late note", None, None]}
    assert raw.rows.tolist() == [2, 3, 5, 6] and raw.header is True
