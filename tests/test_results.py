"""Files for people are rounded to each figure's precision; the results folder keeps it all."""

from __future__ import annotations

import errno
import os

import pandas as pd
import pyarrow as pa

from cvm.results import place_file, write_table


def _table():
    return pa.table({
        "customer_id": ["00001", "C2"],
        "clv": [81.39726027397259, 1234.5678],
        "probability_alive": [0.123456789, 0.99999],
        "value_share": [0.3333333333, 0.6666666667],
        "recency_days": [12.6, 3.0],
        "composite_value": [81.39726027397259, 50.0],
        "frequency": pa.array([3, 1], pa.int64()),
    })


def test_a_csv_for_people_has_rounded_figures(tmp_path):
    path = tmp_path / "targets.csv"
    write_table(_table(), path)
    assert path.read_text(encoding="utf-8-sig").splitlines() == [
        '"customer_id","clv","probability_alive","value_share","recency_days",'
        '"composite_value","frequency"',
        '"00001",81.4,0.1235,0.3333,13,81.4,3',
        '"C2",1234.57,1,0.6667,3,50,1',
    ]


def test_a_workbook_for_people_has_rounded_figures(tmp_path):
    path = tmp_path / "targets.xlsx"
    write_table(_table(), path)
    sheet = pd.read_excel(path, dtype={"customer_id": str})
    assert sheet.to_dict("list") == {
        "customer_id": ["00001", "C2"], "clv": [81.4, 1234.57],
        "probability_alive": [0.1235, 1.0], "value_share": [0.3333, 0.6667],
        "recency_days": [13.0, 3.0], "composite_value": [81.4, 50.0], "frequency": [3, 1]}


def test_the_run_table_is_placed_in_the_folder_without_a_copy_where_it_can_be(tmp_path,
                                                                             monkeypatch):
    """The run's Parquet file goes into the results folder as a second name of the same file
    on one file system (no bytes copied; the first name can go and the folder keeps it), and as
    a copy where a hard link cannot be made (another file system)."""
    source = tmp_path / "scratch" / "customers.parquet"
    source.parent.mkdir()
    source.write_bytes(b"PAR1" + bytes(range(256)) * 64 + b"PAR1")
    placed = tmp_path / "folder" / "customers.parquet"
    placed.parent.mkdir()
    place_file(source, placed)
    assert os.stat(placed).st_ino == os.stat(source).st_ino
    source.unlink()  # the engine's scratch folder goes
    assert placed.read_bytes()[:4] == b"PAR1" and placed.stat().st_size == 8 + 256 * 64
    copied = tmp_path / "elsewhere.parquet"

    def no_link(a, b):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_link)
    place_file(placed, copied)
    assert os.stat(copied).st_ino != os.stat(placed).st_ino
    assert copied.read_bytes() == placed.read_bytes()
