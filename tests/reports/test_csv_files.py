"""CSV files of the results folder: written in parts, the same bytes as in one pass."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.csv as pacsv

from cvm import results


def _table(n: int) -> pa.Table:
    return pa.table({
        "customer_id": [f"客户{i}" if i % 3 else f'c,"{i}"\nx' for i in range(n)],
        "first_purchase": pa.array([dt.date(2024, 1, 1 + i % 28) for i in range(n)]),
        "value": [None if i % 5 == 0 else i / 7 for i in range(n)],
        "score": pa.array([i % 5 + 1 for i in range(n)], pa.int8()),
    })


def test_a_table_written_in_parts_matches_one_pass(tmp_path, monkeypatch):
    table = _table(103)
    monkeypatch.setattr(results, "_CSV_PART_ROWS", 10)  # 11 parts, the last of 3 rows
    results.write_csv(table, tmp_path / "parts.csv")
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink)
    expected = "\ufeff".encode("utf-8") + sink.getvalue().to_pybytes()
    got = (tmp_path / "parts.csv").read_bytes()
    assert got == expected
    back = pacsv.read_csv(tmp_path / "parts.csv")  # Arrow skips the byte-order mark
    assert back.column("customer_id").to_pylist() == table.column("customer_id").to_pylist()


def test_an_empty_table_keeps_its_header(tmp_path):
    results.write_csv(_table(0), tmp_path / "empty.csv")
    assert (tmp_path / "empty.csv").read_bytes() == \
        '\ufeff"customer_id","first_purchase","value","score"\n'.encode("utf-8")


def test_record_batches_read_as_they_come_match_one_pass(tmp_path):
    """A table that comes as record batches (a run's table read from the workspace a part at a
    time): the same bytes as the table in one pass, however many parts; one empty part is the
    header alone."""
    table = _table(103)
    results.write_csv(table, tmp_path / "one.csv")  # 103 rows: one pass
    for size in (10, 50, 103):
        path = tmp_path / f"batches-{size}.csv"
        results.write_csv_parts(iter(table.to_batches(max_chunksize=size)), path)
        assert path.read_bytes() == (tmp_path / "one.csv").read_bytes(), size
    results.write_csv_parts([pa.RecordBatch.from_pylist([], schema=table.schema)],
                            tmp_path / "empty.csv")
    results.write_csv(_table(0), tmp_path / "empty-table.csv")
    assert (tmp_path / "empty.csv").read_bytes() == (tmp_path / "empty-table.csv").read_bytes()
