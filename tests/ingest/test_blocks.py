"""A source read and loaded a block of rows at a time: the same rows, row numbers, rejects and
stored transactions as the source read whole, whatever the block size; repeats found across
blocks; the order of slash dates decided by the whole column; a failure in a later block leaves
the workspace as it was."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cvm.ingest.load import load_transactions
from cvm.ingest.readers import SourceError, read_blocks, read_source
from cvm.workspace import Workspace

AS_OF = dt.date(2024, 6, 30)

# 12 records after the header; lines 4 and 9 (records 3 and 8) cannot be split into fields
CSV = ("customer_id,date,amount\n"
       "A1,2024-03-05,120.50\n"
       "A1,2024-03-09,12\n"
       "A1,2024-03-10\n"
       "B2,2024-03-05,88\n"
       "B2,2024-04-05,15\n"
       "C3,2024-06-01,7.25\n"
       "C3,2024-06-02,8\n"
       "C3,2024-06-03,9,extra\n"
       "D4,2024-01-02,1\n"
       "D4,2024-01-03,2\n"
       "D4,2024-01-04,3\n"
       "E5,2024-02-01,4\n")


def _pieces(path, block_rows):
    return list(read_blocks(path, block_rows=block_rows))


@pytest.mark.parametrize("block_rows", [1, 2, 3, 4, 7, 10])
def test_text_blocks_hold_the_rows_numbers_and_bad_records_of_the_whole_read(tmp_path,
                                                                            block_rows):
    path = tmp_path / "t.csv"
    path.write_text(CSV, encoding="utf-8")
    whole = read_source(path)
    assert whole.table.num_rows == 10
    assert whole.rows.tolist() == [2, 3, 5, 6, 7, 8, 10, 11, 12, 13]
    assert [n for n, _ in whole.bad_records] == [4, 9]
    pieces = _pieces(path, block_rows)
    # every block but the last holds block_rows good rows
    assert [p.table.num_rows for p in pieces[:-1]] == [block_rows] * (len(pieces) - 1)
    assert 0 < pieces[-1].table.num_rows <= block_rows
    assert pa.concat_tables([p.table for p in pieces]).equals(whole.table)
    assert np.concatenate([p.rows for p in pieces]).tolist() == whole.rows.tolist()
    assert [b for p in pieces for b in p.bad_records] == whole.bad_records
    assert sum(p.rows_read for p in pieces) == whole.rows_read == 12
    assert {p.header for p in pieces} == {True}


def test_a_headerless_file_in_blocks_keeps_its_generated_names_and_numbers(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("A1,2024-03-05,1\nB2,2024-03-06,2\nC3,2024-03-07,3\n", encoding="utf-8")
    pieces = _pieces(path, 2)
    assert [p.table.column_names for p in pieces] == [["column_1", "column_2", "column_3"]] * 2
    assert [p.rows.tolist() for p in pieces] == [[1, 2], [3]]


def test_a_file_of_a_header_alone_gives_one_empty_block(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("customer_id,date,amount\n", encoding="utf-8")
    (piece,) = _pieces(path, 2)
    assert (piece.table.num_rows, piece.table.column_names) == (0, ["customer_id", "date",
                                                                    "amount"])


def test_parquet_and_data_frame_blocks_number_their_rows_from_the_first(tmp_path):
    frame = pd.DataFrame({"customer_id": ["A1", "A2", "A3", "A4", "A5"],
                          "amount": [1.5, 2.0, None, 4.25, 5.0]})
    path = tmp_path / "t.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    for source in (path, frame):
        pieces = list(read_blocks(source, block_rows=2))
        assert [p.rows.tolist() for p in pieces] == [[1, 2], [3, 4], [5]]
        whole = read_source(source)
        assert pa.concat_tables([p.table for p in pieces]).equals(whole.table)
        assert whole.table.column("amount").to_pylist() == ["1.5", "2", None, "4.25", "5"]
    # a data frame of no row or one row, read whole or in blocks: one block
    for rows, block_rows in itertools.product((0, 1), (None, 2)):
        (piece,) = read_blocks(frame.iloc[:rows], block_rows=block_rows)
        assert (piece.table.num_rows, piece.table.column_names) == (rows, ["customer_id",
                                                                           "amount"])
    empty = tmp_path / "empty.parquet"
    pq.write_table(pa.table({"customer_id": pa.array([], pa.string())}), empty)
    (piece,) = read_blocks(empty, block_rows=2)
    assert (piece.table.num_rows, piece.table.column_names) == (0, ["customer_id"])


def _stored(ws):
    transactions = ws.query(
        "SELECT source_row, source, source_customer_id, purchase_time, amount FROM transactions "
        "ORDER BY file_id, source_row")
    rejects = ws.query("SELECT row, field, value, code, reason FROM rejects ORDER BY row, code")
    return transactions, rejects


REPEATS = ("customer_id,date,amount,order_id\n"
           "A1,2024-03-05,10,O1\n"
           "A1,2024-03-05,10,O1\n"       # the same line of order O1: rejected
           "B2,2024-03-06,5,\n"
           "B2,2024-03-06,5,\n"          # identical, no order id: kept and counted
           "C3,2099-01-01,1,O2\n"        # after the as-of date
           "C3,2024-03-07,x,O3\n"        # not a number
           ",2024-03-07,1,O4\n"          # no customer
           "A1,2024-03-05,10,O1\n"       # O1 a third time, in a later block
           "D4,2024-03-08,-3,O5\n"       # negative
           "B2,2024-03-06,5,\n")         # identical a third time


@pytest.mark.parametrize("block_rows", [1, 3, 4])
def test_a_load_in_blocks_stores_and_rejects_what_the_whole_load_does(tmp_path, block_rows):
    path = tmp_path / "t.csv"
    path.write_text(REPEATS, encoding="utf-8")
    whole_ws = Workspace(tmp_path / "whole.duckdb")
    whole = load_transactions(whole_ws, path, as_of=AS_OF, block_rows=None)
    blocks_ws = Workspace(tmp_path / f"blocks{block_rows}.duckdb")
    blocks = load_transactions(blocks_ws, path, as_of=AS_OF, block_rows=block_rows)
    assert (whole.rows_read, whole.rows_loaded, whole.rows_rejected,
            whole.identical_rows_kept) == (10, 4, 6, 2)
    assert whole.reasons == {"duplicate": 2, "bad_amount": 1, "future_date": 1,
                             "missing_customer_id": 1, "negative_amount": 1}
    assert (blocks.rows_read, blocks.rows_loaded, blocks.rows_rejected, blocks.reasons,
            blocks.identical_rows_kept, blocks.columns) == (
        whole.rows_read, whole.rows_loaded, whole.rows_rejected, whole.reasons,
        whole.identical_rows_kept, whole.columns)
    stored, rejects = _stored(blocks_ws)
    assert (stored, rejects) == _stored(whole_ws)
    assert [row[0] for row in stored] == [2, 4, 5, 11]
    assert [(row, reason) for row, _, _, code, reason in rejects if code == "duplicate"] == [
        (3, "duplicate of row 2: the same line of order O1"),
        (9, "duplicate of row 2: the same line of order O1")]
    # the same rows again (other bytes: a blank line at the end), in blocks: the six that
    # passed the checks are each a row already stored, the four others fail them again
    again = tmp_path / "again.csv"
    again.write_text(REPEATS + "\n", encoding="utf-8")
    report = load_transactions(blocks_ws, again, as_of=AS_OF, block_rows=block_rows)
    assert (report.rows_read, report.rows_loaded, report.reasons["duplicate"]) == (10, 0, 6)


def _dates_csv(path, dates):
    path.write_text("customer_id,date,amount\n"
                    + "".join(f"C{i},{d},1\n" for i, d in enumerate(dates)), encoding="utf-8")
    return path


def test_slash_dates_decided_in_a_later_block_are_read_again_in_that_order(tmp_path):
    # block 1 (rows 2-3) cannot tell 05/04 from 04/05; block 3 (row 6) can: 25/03 is day first
    path = _dates_csv(tmp_path / "d.csv", ["05/04/2024", "06/04/2024", "07/04/2024",
                                           "08/04/2024", "25/03/2024"])
    whole_ws = Workspace(tmp_path / "whole.duckdb")
    whole = load_transactions(whole_ws, path, as_of=AS_OF, block_rows=None)
    ws = Workspace(tmp_path / "blocks.duckdb")
    report = load_transactions(ws, path, as_of=AS_OF, block_rows=2)
    assert "(day/month/year, decided from 25/03/2024)" in report.columns
    assert report.columns == whole.columns
    days = ws.query("SELECT purchase_date FROM transactions ORDER BY source_row")
    assert [str(d) for (d,) in days] == [
        "2024-04-05", "2024-04-06", "2024-04-07", "2024-04-08", "2024-03-25"]
    assert days == whole_ws.query("SELECT purchase_date FROM transactions ORDER BY source_row")
    # the first reading, undone, left nothing behind
    assert ws.query("SELECT count(*) FROM files") == [(1,)]
    assert ws.query("SELECT count(*) FROM rejects") == [(0,)]


def test_orders_mixed_across_blocks_are_one_error_and_nothing_is_stored(tmp_path):
    ws = Workspace(tmp_path / "w.duckdb")
    good = _dates_csv(tmp_path / "good.csv", ["2024-01-02"])
    load_transactions(ws, good, as_of=AS_OF)
    path = _dates_csv(tmp_path / "mixed.csv", ["25/03/2024", "01/02/2024", "03/26/2024"])
    with pytest.raises(SourceError) as error:
        load_transactions(ws, path, as_of=AS_OF, block_rows=1)
    assert str(error.value) == (
        "mixed.csv: column 'date' mixes day/month/year and month/day/year dates: row 2 has "
        "'25/03/2024', which only day/month/year can read, and row 4 has '03/26/2024', which "
        "only month/day/year can read. Export the column in one order (ISO dates such as "
        "2024-03-25 are never ambiguous).")
    assert ws.query("SELECT count(*) FROM transactions") == [(1,)]
    assert ws.query("SELECT name FROM files") == [("good.csv",)]


def test_a_later_block_that_cannot_be_read_leaves_the_workspace_as_it_was(tmp_path):
    ws = Workspace(tmp_path / "w.duckdb")
    load_transactions(ws, _dates_csv(tmp_path / "good.csv", ["2024-01-02"]), as_of=AS_OF)
    path = tmp_path / "broken.csv"
    # 19 MB of good rows (more than Arrow's first block of text, 16 MiB), then bytes that are
    # not UTF-8: the first blocks are parsed and staged before the error
    body = "".join(f"C{i:07d},2024-01-03,1\n" for i in range(900_000))
    path.write_bytes(b"customer_id,date,amount\n" + body.encode() + b"X\xff\xfe,2024-01-04,1\n")
    with pytest.raises(SourceError, match="broken.csv could not be read as delimited text"):
        load_transactions(ws, path, as_of=AS_OF, block_rows=100_000)
    assert ws.query("SELECT count(*) FROM transactions") == [(1,)]
    assert ws.query("SELECT count(*) FROM rejects") == [(0,)]
    assert ws.query("SELECT name FROM files") == [("good.csv",)]


def test_a_load_removes_the_staging_folders_of_loads_whose_process_is_gone(tmp_path,
                                                                          monkeypatch):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setenv("TMPDIR", str(temporary))
    monkeypatch.setattr(tempfile, "tempdir", None)   # read TMPDIR again
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()                                     # a process that is gone
    gone = temporary / f"cvm-load-{ended.pid}-k1ll3d"
    gone.mkdir()
    (gone / "incoming.parquet").write_bytes(b"PAR1")
    running = temporary / f"cvm-load-{os.getpid()}-l0ad1n"   # a load of a live process
    running.mkdir()
    other = temporary / "cvm-load-notes-x"            # not named by a process
    other.mkdir()
    # a file under such a name, which cannot be removed as a folder: the load goes on
    odd = temporary / f"cvm-load-{ended.pid}-file"
    odd.write_text("not a folder", encoding="utf-8")
    ws = Workspace(tmp_path / "w.duckdb")
    report = load_transactions(ws, _dates_csv(tmp_path / "d.csv", ["2024-01-02"]), as_of=AS_OF)
    assert report.rows_loaded == 1
    # the ended load's folder is removed; this load's own folder went with it
    assert sorted(p.name for p in temporary.iterdir()) == sorted([running.name, other.name,
                                                                 odd.name])
