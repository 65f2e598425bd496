"""In-memory tables (pandas, Polars, Arrow, Ibis) are loaded as files are: same columns guessed,
same checks, every row loaded or rejected with its position."""

from __future__ import annotations

import ibis
import pandas as pd
import pyarrow as pa
import pytest

import cvm
from cvm.ingest.readers import SourceError

polars = pytest.importorskip("polars")

SALES = pd.DataFrame({
    "会员编号": ["A", "A", "B", None, "C"],
    "交易时间": pd.to_datetime(["2024-01-05 10:30", "2024-03-01 00:00", "2024-02-10 00:00",
                            "2024-02-11 00:00", "2024-02-12 00:00"]),
    "实付金额": [120.0, 80.0, float("nan"), 3.0, 5.0],
})


@pytest.mark.parametrize("make, name", [
    (lambda: SALES, "pandas DataFrame"),
    (lambda: polars.from_pandas(SALES), "Polars DataFrame"),
    (lambda: polars.from_pandas(SALES).lazy(), "Polars DataFrame"),
    (lambda: pa.Table.from_pandas(SALES), "Arrow table"),
    (lambda: ibis.memtable(SALES), "Ibis table"),
])
def test_a_table_is_loaded_like_a_file(make, name):
    with cvm.Workspace(":memory:") as ws:
        report = cvm.load_transactions(ws, make(), as_of=pd.Timestamp("2024-06-30").date())
        assert (report.file, report.rows_read, report.rows_loaded, report.rows_rejected) == (
            name, 5, 3, 2)
        assert report.reasons == {"bad_amount": 1, "missing_customer_id": 1}
        assert report.columns == ("columns guessed: customer_id ← '会员编号', purchase_time ← "
                                  "'交易时间', amount ← '实付金额'")
        assert ws.query('SELECT file, "row", field, code FROM rejects ORDER BY "row"') == [
            (name, 3, "实付金额", "bad_amount"), (name, 4, "会员编号", "missing_customer_id")]
        assert ws.query("SELECT source_customer_id, CAST(purchase_time AS VARCHAR), amount "
                        "FROM transactions ORDER BY source_row") == [
            ("A", "2024-01-05 10:30:00", 120.0), ("A", "2024-03-01 00:00:00", 80.0),
            ("C", "2024-02-12 00:00:00", 5.0)]
        assert ws.query("SELECT name, location, kind FROM files") == [(name, name, "table")]


def test_a_customer_list_from_a_frame_with_the_id_in_its_index():
    frame = pd.DataFrame({"name": ["Ann", "Bo", "Cy"], "city": ["Oslo", "Rome", None]},
                         index=pd.Index(["C1", "C2", "C1"], name="customer_id"))
    with cvm.Workspace(":memory:") as ws:
        report = cvm.load_customers(ws, frame)
        assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (3, 2, 1)
        assert ws.query("SELECT source_customer_id, name, city FROM source_customers "
                        "ORDER BY 1") == [("C1", "Ann", "Oslo"), ("C2", "Bo", "Rome")]
        assert ws.query('SELECT "row", reason FROM rejects') == [
            (3, "duplicate customer id: first given in row 1")]


@pytest.mark.parametrize("given, kind", [(42, "int"), ({"customer": ["A"]}, "dict"),
                                         (b"sales.csv", "bytes")])
def test_anything_else_is_refused_naming_what_is_accepted(given, kind, tmp_path):
    with pytest.raises(SourceError) as caught:
        cvm.run(given, workspace=tmp_path / "w.duckdb", out=None)
    assert str(caught.value) == (
        f"cannot read a source of type {kind}: give a file path, a postgresql:// URL, or a "
        "table: a pandas or Polars DataFrame, an Arrow table or an Ibis table")
    assert list(tmp_path.iterdir()) == []
