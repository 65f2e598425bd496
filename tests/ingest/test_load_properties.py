"""Property-based: whatever rows a file holds, a load never crashes and loses nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cvm.ingest.load import load_transactions
from cvm.workspace import Workspace

valid_id = st.sampled_from(["A1", "b-2", "客户3", "０４", " 5 "])
valid_date = st.sampled_from(["2024-03-05", "2024/3/5", "2024年3月5日", "20240305",
                              "05.03.2024", "45356", "2024-03-05T10:00:00Z"])
valid_amount = st.sampled_from(["12.5", "¥1,234.00", "$7", "８８", "(3.00)", "1e3", "0"])
# any printable text, plus the separators and line breaks that break naive readers
junk = st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc")) | st.sampled_from(
    ',;"\t\r\n\x00'), max_size=12)
cell = st.one_of(valid_id, valid_date, valid_amount, junk)
row = st.tuples(st.one_of(valid_id, junk), st.one_of(valid_date, cell),
                st.one_of(valid_amount, cell))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row, min_size=1, max_size=40), refunds=st.booleans())
def test_random_rows_are_all_accounted_for(tmp_path_factory, rows, refunds):
    from cvm.config import IngestOptions

    folder = tmp_path_factory.mktemp("prop")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # quotes values holding \r or \n
    writer.writerow(["customer_id", "date", "amount"])
    writer.writerows(rows)
    path = folder / "random.csv"
    path.write_bytes(buf.getvalue().encode("utf-8"))
    with Workspace(folder / "w.duckdb") as ws:
        report = load_transactions(ws, path, as_of=dt.date(2024, 12, 31),
                                   options=IngestOptions(allow_refunds=refunds, header=True))
        assert report.rows_read == len(rows)
        assert report.rows_loaded + report.rows_rejected == report.rows_read
        assert ws.count("transactions") == report.rows_loaded
        assert ws.count("rejects") == report.rows_rejected
        rejected_rows = [r[0] for r in ws.query('SELECT "row" FROM rejects')]
        loaded_rows = [r[0] for r in ws.query("SELECT source_row FROM transactions")]
        # every data row (2 … n+1) is in exactly one of the two tables
        assert sorted(rejected_rows + loaded_rows) == list(range(2, len(rows) + 2))
        assert ws.query("SELECT count(*) FROM transactions WHERE amount IS NULL OR "
                        "purchase_date IS NULL OR source_customer_id IS NULL")[0][0] == 0
