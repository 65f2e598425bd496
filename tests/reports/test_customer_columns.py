"""The report reads the run's customer table a column at a time: from the Parquet file of the
results folder it gives the page the whole table gives, and holds a fraction of the table."""

from __future__ import annotations

import re
import tracemalloc

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cvm.config import AnalysisConfig
from cvm.demo import DEMO_AS_OF, write_demo_data
from cvm.pipeline import run
from cvm.reports import render_report, report_columns, report_customers


@pytest.fixture(scope="module")
def demo(demo_run):
    result, folder = demo_run
    path = folder / "customers.parquet"
    pq.write_table(result.customers, path)
    return result, path


def _frame(table: pa.Table) -> pd.DataFrame:
    return table.select(report_columns(table.column_names)).to_pandas(date_as_object=False)


def _page(customers, result, lang="en") -> str:
    # the charts' element ids are drawn at random for each page: they are not compared
    page = render_report(customers, result.segments_frame(), result.pareto, result.info,
                         lang=lang)
    return re.sub(r'(id|href|clip-path)="[^"]*"', "", page)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_from_the_parquet_file_is_the_page_from_the_whole_table(demo, lang):
    result, path = demo
    from_file = _page(report_customers(path), result, lang)
    assert from_file == _page(_frame(result.customers), result, lang)
    # the sections that read customer rows are there: the win-back list names customers
    assert "id=" not in from_file and from_file.count("<section") >= 10
    top = result.customers.sort_by("winback_rank").column("customer_id")[0].as_py()
    assert top in from_file


def test_columns_rows_and_masks_read_as_a_frame_does(demo):
    result, path = demo
    frame = _frame(result.customers)
    table = report_customers(path)
    assert list(table.columns) == list(frame.columns) and len(table) == len(frame) == 600
    pd.testing.assert_series_equal(table["clv"], frame["clv"])
    pd.testing.assert_series_equal(table["first_purchase"], frame["first_purchase"])
    assert table.get("no_such_column") is None and table.get("clv") is not None
    with pytest.raises(KeyError):
        table["no_such_column"]
    buyers_mask = frame["first_purchase"].notna()
    buyers = table.where(buyers_mask)
    assert len(buyers) == int(buyers_mask.sum()) < 600      # the demo has prospects
    pd.testing.assert_series_equal(buyers["clv"], frame[buyers_mask]["clv"])
    # a mask over the buyers shown selects among them
    high = (buyers["clv"] > buyers["clv"].median()).to_numpy()
    pd.testing.assert_frame_equal(buyers[high], frame[buyers_mask][high])
    # as a list of booleans too, as a frame takes it
    pd.testing.assert_frame_equal(buyers[high.tolist()], frame[buyers_mask][high.tolist()])
    assert len(buyers.where(high)) == int(high.sum())
    pd.testing.assert_frame_equal(buyers[["clv", "churn_risk"]],
                                  frame[buyers_mask][["clv", "churn_risk"]])
    with pytest.raises(ValueError, match="a mask of 600 rows for a table of"):
        buyers.where(np.ones(600, dtype=bool))


def test_a_table_read_by_column_holds_one_column_at_a_time(demo, tmp_path, monkeypatch):
    """From 60,000 to 240,000 customers read from their Parquet file, the report's peak memory
    grows by less than a fifth of what the whole table's frame grows by (Python and NumPy
    allocations, traced, plus Arrow's as each column read returns; the whole frame's own peak
    grows by more than the frame)."""
    from cvm.reports.customer_columns import CustomerColumns

    result, _ = demo
    column = CustomerColumns._column
    held = [0]

    def read(self, name, keep):
        values = column(self, name, keep)
        held[0] = max(held[0], tracemalloc.get_traced_memory()[0] + pa.total_allocated_bytes())
        return values

    monkeypatch.setattr(CustomerColumns, "_column", read)

    def traced_peak(customers) -> int:
        tracemalloc.start()
        held[0] = 0
        try:
            render_report(customers, result.segments_frame(), result.pareto, result.info)
            return max(tracemalloc.get_traced_memory()[1], held[0])
        finally:
            tracemalloc.stop()

    traced_peak(_frame(result.customers))  # the first page loads fonts and draws its charts
    peaks, frames = [], []
    for copies in (100, 400):
        many = pa.concat_tables([result.customers] * copies)
        path = tmp_path / f"x{copies}.parquet"
        pq.write_table(many, path)
        frames.append(int(_frame(many).memory_usage(deep=True).sum()))
        del many
        table = report_customers(path)
        assert len(table) == 600 * copies
        peaks.append(traced_peak(table))
    grown, frame_grown = peaks[1] - peaks[0], frames[1] - frames[0]
    assert 0 < grown < frame_grown / 5, (peaks, frames)


def test_the_report_command_reads_the_stored_table_by_column_and_writes_the_same_page(
        tmp_path):
    """``cvm report`` reads the run's table from the workspace a column at a time (a plain
    scan, in the order stored) and writes the page the run's results folder holds."""
    import subprocess
    import sys

    tx, cust = write_demo_data(tmp_path, customers=400)
    run([tx], customers=[cust], workspace=tmp_path / "ws.duckdb", out=tmp_path / "results",
        config=AnalysisConfig(as_of=DEMO_AS_OF))
    done = subprocess.run([sys.executable, "-m", "cvm", "report", "--workspace",
                           str(tmp_path / "ws.duckdb"), "--out", str(tmp_path / "again.html")],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr

    def text(path):
        page = path.read_text(encoding="utf-8")
        return re.sub(r'(id|href|clip-path)="[^"]*"', "", page)

    again, first = text(tmp_path / "again.html"), text(tmp_path / "results" / "report.html")
    assert again == first
    assert "Churn risk and win-back" in first and first.count("<svg") >= 8
    assert '<section id="campaigns">' not in first
    # a campaign made after the run: the report written again has its section
    from cvm.campaigns.demo_campaign import add_demo_campaign
    from cvm.workspace import Workspace

    with Workspace(tmp_path / "ws.duckdb") as ws:
        assert add_demo_campaign(ws, tmp_path) is not None
    done = subprocess.run([sys.executable, "-m", "cvm", "report", "--workspace",
                           str(tmp_path / "ws.duckdb"), "--out", str(tmp_path / "later.html")],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert '<section id="campaigns">' in (tmp_path / "later.html").read_text(encoding="utf-8")


def test_the_quadrant_chart_counts_buyers_only(demo):
    """Without the value stage's own counts, the quadrant chart counts the customers it draws:
    the buyers, not the prospects the lifecycle stage appends (which have scores too)."""
    result, path = demo
    frame = _frame(result.customers)
    prospects = frame["first_purchase"].isna()
    assert prospects.any() and frame.loc[prospects, "current_value_score"].notna().all()
    stages = dict(result.info["stages"])
    value = {k: v for k, v in stages["value"].items() if k != "quadrants"}
    info = {**result.info, "stages": {**stages, "value": value}}
    page = render_report(report_customers(path), result.segments_frame(), result.pareto, info)
    shown = {m.group(1): int(m.group(2).replace(",", ""))
             for m in re.finditer(r">(HH|HL|LH|LL) ([\d,]+)</text>", page)}
    buyers = frame[~prospects]
    high_c = buyers["current_value_score"] >= value["threshold_current"]
    high_p = buyers["potential_value_score"] >= value["threshold_potential"]
    assert shown == {"HH": int((high_c & high_p).sum()), "HL": int((high_c & ~high_p).sum()),
                     "LH": int((~high_c & high_p).sum()), "LL": int((~high_c & ~high_p).sum())}
    assert sum(shown.values()) == len(buyers) < len(frame)


@pytest.mark.parametrize("source", ["parquet", "arrow"])
def test_rows_chosen_while_reading_read_as_a_frame_does(tmp_path, source):
    """A few rows of a column (the lifecycle reasons, in the report's top list) are chosen
    while the values are Arrow's: from the Parquet file a batch at a time, from a reader of
    whole Arrow columns by a filter, so that pandas converts those rows only. The values,
    their row numbers and the types are the frame's, for texts, dates, floats, and integers
    and booleans with and without nulls (whose pandas types depend on the rows), across the
    file's row groups."""
    from cvm.reports.customer_columns import CustomerColumns

    n = 300_000
    text = pa.array([f"reason {i:06d} " + "x" * 200 for i in range(n)])
    ints = pa.array([None if i == 5 else i for i in range(n)], pa.int64())
    table = pa.table({"text": text, "ints": ints, "whole": pa.array(range(n), pa.int64()),
                      "flag": pa.array([i % 3 == 0 for i in range(n)]),
                      "day": pa.array(np.arange(n) % 400, pa.int32()).cast(pa.date32()),
                      "x": pa.array(np.arange(n) / 7)})
    path = tmp_path / "t.parquet"
    pq.write_table(table, path, row_group_size=100_000)
    columns = (CustomerColumns.of_parquet(path) if source == "parquet" else
               CustomerColumns(lambda name: table.column(name), table.column_names, n))
    frame = table.to_pandas(date_as_object=False)
    if source == "parquet":  # rows chosen from the file's batches, never the whole column
        whole = columns._read

        def whole_integers_only(name):
            assert name in ("ints", "whole", "flag"), name
            return whole(name)

        columns._read = whole_integers_only
    mask = np.zeros(n, dtype=bool)
    mask[[3, 5, 99_999, 100_000, 299_999]] = True
    kept = columns.where(mask)
    for name in table.column_names:
        pd.testing.assert_series_equal(kept[name], frame[name][mask])
    pd.testing.assert_frame_equal(columns[mask], frame[mask])
    assert kept["text"].tolist() == [text[i].as_py() for i in (3, 5, 99_999, 100_000, 299_999)]
