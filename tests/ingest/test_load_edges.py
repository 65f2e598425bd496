"""The load's edges: what a rejected row keeps (file, row, field, value, reason), the report of
a plain load and of a customer list, and the rejects of a customer list."""

from __future__ import annotations

import csv
import datetime as dt

from cvm.ingest.load import load_customers, load_transactions

AS_OF = dt.date(2024, 6, 30)


def _csv(path, rows, header=("customer_id", "date", "amount")):
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_each_reject_keeps_the_value_it_could_not_read(workspace, tmp_path):
    rows = [("A1", "2024-03-05", "12"),
            ("D4", "2024-03-01", "ten"),          # line 3: not a number
            ("D4", "2024-03-02", "-5"),           # line 4: negative, refunds off
            ("D4", "2024-07-01", "5"),            # line 5: after the as-of date
            ("E5", "2024-03-03", "0"), ("E5", "2024-03-04", "0.5"),   # not negative: loaded
            ("E5", "2024-06-30", "3")]            # the as-of date itself: loaded
    report = load_transactions(workspace, _csv(tmp_path / "sales.csv", rows), as_of=AS_OF)
    assert (report.rows_loaded, report.rows_rejected) == (4, 3)
    assert workspace.query("SELECT source_row, amount FROM transactions ORDER BY 1") == [
        (2, 12.0), (6, 0.0), (7, 0.5), (8, 3.0)]
    assert report.reasons == {"bad_amount": 1, "future_date": 1, "negative_amount": 1}
    got = workspace.query('SELECT file, "row", field, value, code, reason FROM rejects '
                          'ORDER BY "row"')
    assert [g[:5] for g in got] == [
        ("sales.csv", 3, "amount", "ten", "bad_amount"),
        ("sales.csv", 4, "amount", "-5", "negative_amount"),
        ("sales.csv", 5, "date", "2024-07-01", "future_date")]
    assert got[1][5] == ("negative amount: refunds are off (set allow_refunds = true in the "
                         "mapping options, or --refunds, to net them off)")
    assert got[2][5] == "date after the as-of date 2024-06-30"


def test_a_plain_load_reports_itself_as_a_dict(workspace, tmp_path):
    path = _csv(tmp_path / "sales.csv", [("A1", "2024-03-05", "12"), ("B2", "2024-03-06", "8")])
    report = load_transactions(workspace, path, as_of=AS_OF)
    assert report.as_dict() == {
        "file": "sales.csv", "table": "transactions", "rows_read": 2, "rows_loaded": 2,
        "rows_rejected": 0, "reasons": {}, "columns": report.columns, "skipped": False,
        "message": "", "identical_rows_kept": 0, "file_id": report.file_id}
    assert report.columns.startswith("columns guessed: customer_id ← 'customer_id'")
    again = load_transactions(workspace, path, as_of=AS_OF)
    assert (again.skipped, again.file_id) == (True, report.file_id)
    assert (again.rows_read, again.rows_loaded, again.rows_rejected) == (0, 0, 0)
    assert again.message.startswith("sales.csv: same content already loaded on ")
    assert again.message.endswith(" as sales.csv; nothing added")


def test_a_customer_list_rejects_missing_and_repeated_ids(workspace, tmp_path):
    path = tmp_path / "members.csv"
    path.write_text("id,name\nK1,Ann\n,Nobody\nK2,Bo\nK1,Ann again\n", encoding="utf-8")
    report = load_customers(workspace, path)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (4, 2, 2)
    assert (report.skipped, report.identical_rows_kept, report.message) == (False, 0, "")
    assert report.reasons == {"duplicate": 1, "missing_customer_id": 1}
    got = workspace.query('SELECT file, "row", field, value, code, reason FROM rejects '
                          'ORDER BY "row"')
    assert [g[:5] for g in got] == [("members.csv", 3, "id", "", "missing_customer_id"),
                                    ("members.csv", 5, "", "K1", "duplicate")]
    assert got[1][5] == "duplicate customer id: first given in row 2"
    assert workspace.query("SELECT source_customer_id, name FROM source_customers "
                           "ORDER BY 1") == [("K1", "Ann"), ("K2", "Bo")]


def test_the_file_record_keeps_the_column_map_and_the_date_order(workspace, tmp_path):
    import json

    from cvm.config import IngestOptions

    path = tmp_path / "m.csv"
    path.write_text("客户,日期,金额\nA,05/03/2024,5\nB,2024-01-02\nC,06/03/2024,7\n",
                    encoding="utf-8")
    report = load_transactions(workspace, path, as_of=AS_OF,
                               options=IngestOptions(dayfirst=True))
    assert (report.rows_loaded, report.reasons) == (2, {"malformed_record": 1})
    # the short record keeps its text as the reason and has no value
    assert workspace.query('SELECT "row", field, value, reason FROM rejects') == [
        (3, "", None, "expected 3 fields: B,2024-01-02")]
    assert workspace.query("SELECT purchase_date FROM transactions ORDER BY 1") == [
        (dt.date(2024, 3, 5),), (dt.date(2024, 3, 6),)]
    (stored,), = workspace.query("SELECT column_map FROM files")
    assert '"客户"' in stored          # written as it is, not as \\u escapes
    assert json.loads(stored) == {"how": "guessed", "date_order": "day_first", "columns": {
        "customer_id": "客户", "purchase_time": "日期", "amount": "金额"}}
    month_first = _csv(tmp_path / "us.csv", [("A1", "2024-03-05", "12")])
    load_transactions(workspace, month_first, as_of=AS_OF)
    (stored,), = workspace.query("SELECT column_map FROM files WHERE name = 'us.csv'")
    assert json.loads(stored)["date_order"] == "month_first"


def test_a_long_rejected_value_is_cut_after_200_characters(workspace, tmp_path):
    rows = [("A1", "2024-03-05", "x" * 200), ("A1", "2024-03-05", "y" * 201)]
    load_transactions(workspace, _csv(tmp_path / "long.csv", rows), as_of=AS_OF)
    assert workspace.query('SELECT "row", value FROM rejects ORDER BY "row"') == [
        (2, "x" * 200), (3, "y" * 199 + "…")]


def test_the_load_fingerprint_is_stored_with_sorted_keys(workspace, tmp_path):
    # the fingerprint a reload is compared with: keys sorted, so it does not depend on the
    # order in which the options are declared
    path = _csv(tmp_path / "sales.csv", [("A1", "2024-03-05", "12")])
    load_transactions(workspace, path, as_of=AS_OF)
    assert workspace.query("SELECT options FROM files") == [(
        '{"as_of": "2024-06-30", "mapping": null, "options": {"allow_refunds": false, '
        '"dayfirst": null, "decimal_comma": false, "delimiter": null, "encoding": null, '
        '"header": null, "keep_duplicates": false, "sheet": null, "source": "default", '
        '"table": null}}',)]


def test_an_unreadable_optional_field_rejects_the_row_and_an_empty_one_does_not(workspace,
                                                                                  tmp_path):
    rows = [("A1", "2024-03-05", "12", "4"), ("A1", "2024-03-06", "10", ""),
            ("B2", "2024-03-07", "8", "abc")]                 # line 4: a margin that is no number
    path = _csv(tmp_path / "m.csv", rows, header=("customer_id", "date", "amount", "margin"))
    report = load_transactions(workspace, path, as_of=AS_OF)
    assert (report.rows_loaded, report.reasons) == (2, {"bad_value": 1})
    assert workspace.query('SELECT "row", field, value, code, reason FROM rejects') == [
        (4, "margin", "abc", "bad_value", "not a number: 'abc'")]
    assert workspace.query("SELECT source_row, amount, margin FROM transactions ORDER BY 1") == [
        (2, 12.0, 4.0), (3, 10.0, None)]


def test_the_file_record_locates_a_file_by_its_full_path_and_a_table_by_its_name(workspace,
                                                                                  tmp_path):
    import hashlib

    import pyarrow as pa

    path = _csv(tmp_path / "sales.csv", [("A1", "2024-03-05", "12")])
    load_transactions(workspace, path, as_of=AS_OF)
    load_transactions(workspace, pa.table({"customer_id": ["B2"], "date": ["2024-03-06"],
                                           "amount": ["8"]}), as_of=AS_OF)
    assert workspace.query("SELECT name, location, kind, sha256 FROM files ORDER BY file_id") == [
        ("sales.csv", str(path.resolve()), "text", hashlib.sha256(path.read_bytes()).hexdigest()),
        ("Arrow table", "Arrow table", "table", None)]


def test_a_list_of_ids_alone_is_a_customer_list(workspace, tmp_path):
    path = tmp_path / "prospects.csv"
    path.write_text("客户编码\nP1\nP2\n", encoding="utf-8")
    report = load_customers(workspace, path)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (2, 2, 0)
    assert workspace.query("SELECT source, source_customer_id FROM source_customers "
                           "ORDER BY 2") == [("default", "P1"), ("default", "P2")]


def test_an_empty_number_in_a_customer_list_is_missing_not_nan(workspace, tmp_path):
    path = tmp_path / "credit.csv"
    path.write_text("id,credit_score\nK1,640\nK2,\n", encoding="utf-8")
    load_customers(workspace, path)
    assert workspace.query("SELECT source_customer_id, credit_score FROM source_customers "
                           "ORDER BY 1") == [("K1", 640.0), ("K2", None)]
