"""Loading: every row loaded or rejected with its reason; formats; reloads; clear errors."""

from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cvm.config import IngestOptions
from cvm.ingest.columns import MappingError
from cvm.ingest.load import load_transactions
from cvm.ingest.readers import SourceError

AS_OF = dt.date(2024, 6, 30)

GOOD = [
    ("A1", "2024-03-05", "120.50"),
    ("A1", "2024/3/9", "¥1,280.00"),
    ("B2", "2024年3月5日", "８８"),
    ("B2", "05.04.2024", "$15"),
    ("C3", "20240601", "€7.25"),
]


def _csv(path, rows, header=("customer_id", "date", "amount"), sep=","):
    if sep == "   ":
        lines = [sep.join(header)] + [sep.join(r) for r in rows]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=sep, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _transactions(ws):
    return ws.query("SELECT source_customer_id, purchase_date, amount FROM transactions "
                    "ORDER BY file_id, source_row")


def _cdnow_figures(path):
    """Rows, total dollars and rows identical to an earlier row, read with plain Python."""
    lines = path.read_text(encoding="ascii").splitlines()[1:]
    rows = [tuple(line.split()) for line in lines if line.strip()]
    total = sum(Decimal(r[3]) for r in rows)
    return len(rows), total, len(rows) - len(set(rows))


def test_cdnow_master_loads_with_its_real_format(workspace, cdnow_master_path):
    n_file, total_file, identical_file = _cdnow_figures(cdnow_master_path)
    report = load_transactions(workspace, cdnow_master_path, as_of=dt.date(1998, 6, 30))
    assert report.rows_read == n_file
    # identical rows cannot be told from repeat purchases without an order id: all are kept
    assert (report.rows_loaded, report.rows_rejected, report.reasons) == (n_file, 0, {})
    assert report.identical_rows_kept == identical_file
    assert "amount ← 'dollar_value'" in report.columns
    n, ids, first, last, total = workspace.query(
        "SELECT count(*), count(DISTINCT source_customer_id), min(purchase_date), "
        "max(purchase_date), sum(amount::DECIMAL(18, 2)) FROM transactions")[0]
    assert (n, ids, total) == (n_file, 23570, total_file)
    assert (first, last) == (dt.date(1997, 1, 1), dt.date(1998, 6, 30))
    assert workspace.query("SELECT count(*) FROM transactions WHERE source_customer_id = '00001'")[0][0] == 1


def test_cdnow_sample_without_header_is_read_by_content(workspace, cdnow_sample_path):
    report = load_transactions(workspace, cdnow_sample_path, as_of=dt.date(1998, 6, 30))
    assert report.rows_read == 6919
    assert "no header row" in report.columns
    assert report.rows_loaded + report.rows_rejected == 6919
    assert workspace.query("SELECT count(DISTINCT source_customer_id) FROM transactions")[0][0] == 2357


def test_values_people_write_are_parsed(workspace, tmp_path):
    report = load_transactions(workspace, _csv(tmp_path / "t.csv", GOOD), as_of=AS_OF)
    assert (report.rows_loaded, report.rows_rejected) == (5, 0)
    assert _transactions(workspace) == [
        ("A1", dt.date(2024, 3, 5), 120.5), ("A1", dt.date(2024, 3, 9), 1280.0),
        ("B2", dt.date(2024, 3, 5), 88.0), ("B2", dt.date(2024, 4, 5), 15.0),
        ("C3", dt.date(2024, 6, 1), 7.25)]


def test_every_reject_reason_names_file_row_and_field(workspace, tmp_path):
    rows = GOOD + [
        ("", "2024-03-05", "10"),            # line 7: no customer id
        ("D4", "2024-02-30", "10"),          # line 8: not a date
        ("D4", "2024-03-01", "ten"),         # line 9: not a number
        ("D4", "2024-03-02", "-5"),          # line 10: negative, refunds off
        ("D4", "2024-07-01", "5"),           # line 11: after the as-of date
    ]
    path = _csv(tmp_path / "sales.csv", rows)
    report = load_transactions(workspace, path, as_of=AS_OF)
    assert report.rows_read == 10
    assert (report.rows_loaded, report.rows_rejected) == (5, 5)
    got = workspace.query('SELECT file, "row", field, code, reason FROM rejects ORDER BY "row"')
    assert [(f, r, fld, c) for f, r, fld, c, _ in got] == [
        ("sales.csv", 7, "customer_id", "missing_customer_id"),
        ("sales.csv", 8, "date", "bad_date"),
        ("sales.csv", 9, "amount", "bad_amount"),
        ("sales.csv", 10, "amount", "negative_amount"),
        ("sales.csv", 11, "date", "future_date"),
    ]
    reasons = [r for *_, r in got]
    assert "2024-02-30" in reasons[1] and "ten" in reasons[2]
    assert reasons[4] == "date after the as-of date 2024-06-30"


def test_identical_rows_are_kept_and_counted_without_an_order_id(workspace, tmp_path):
    rows = GOOD + [("A1", "2024-03-05", "120.50"),   # line 7: same as line 2
                   ("A1", "2024-03-05", "120.50")]   # line 8: and again
    report = load_transactions(workspace, _csv(tmp_path / "sales.csv", rows), as_of=AS_OF)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (7, 7, 0)
    assert report.identical_rows_kept == 2
    assert workspace.query("SELECT count(*), sum(amount) FROM transactions "
                           "WHERE source_customer_id = 'A1' AND amount = 120.5") == [(3, 361.5)]


def test_a_repeated_order_line_is_rejected_naming_the_row_it_repeats(workspace, tmp_path):
    header = ("order_id", "line", "customer_id", "date", "amount")
    rows = [("1001", "1", "A1", "2024-03-05", "12.00"),
            ("1001", "2", "A1", "2024-03-05", "12.00"),   # another line, same goods: kept
            ("1002", "1", "B2", "2024-03-06", "8.00"),
            ("1001", "1", "A1", "2024-03-05", "12.00"),   # line 5: line 1 of 1001 again
            ("1002", "1", "B2", "2024-03-06", "8.00")]    # line 6: line 1 of 1002 again
    path = _csv(tmp_path / "orders.csv", rows, header=header)
    report = load_transactions(workspace, path, as_of=AS_OF)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (5, 3, 2)
    assert (report.reasons, report.identical_rows_kept) == ({"duplicate": 2}, 0)
    assert "order_id ← 'order_id', order_line ← 'line'" in report.columns
    assert workspace.query('SELECT "row", code, reason FROM rejects ORDER BY "row"') == [
        (5, "duplicate", "duplicate of row 2: the same line of order 1001"),
        (6, "duplicate", "duplicate of row 4: the same line of order 1002")]
    assert workspace.query("SELECT order_id, order_line FROM transactions ORDER BY source_row") \
        == [("1001", "1"), ("1001", "2"), ("1002", "1")]


def test_keep_duplicates_keeps_repeated_order_lines_and_rows_already_loaded(workspace, tmp_path):
    header = ("order_id", "line", "customer_id", "date", "amount")
    rows = [("1001", "1", "A1", "2024-03-05", "12.00"),
            ("1001", "1", "A1", "2024-03-05", "12.00")]   # line 3: line 1 of 1001 again
    keep = IngestOptions(keep_duplicates=True)
    report = load_transactions(workspace, _csv(tmp_path / "a.csv", rows, header=header),
                               as_of=AS_OF, options=keep)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (2, 2, 0)
    # the same order line from another file: loaded a third time
    more = load_transactions(workspace, _csv(tmp_path / "b.csv", rows[:1], header=header),
                             as_of=AS_OF, options=keep)
    assert (more.rows_read, more.rows_loaded, more.rows_rejected) == (1, 1, 0)
    assert workspace.query("SELECT count(*) FROM rejects") == [(0,)]
    assert workspace.query("SELECT file_id, source_row, order_id FROM transactions "
                           "ORDER BY 1, 2") == [(1, 2, "1001"), (1, 3, "1001"), (2, 2, "1001")]


def test_refunds_net_off_when_enabled(workspace, tmp_path):
    path = _csv(tmp_path / "r.csv", [("A", "2024-01-02", "100"), ("A", "2024-01-03", "-30")])
    report = load_transactions(workspace, path, as_of=AS_OF,
                               options=IngestOptions(allow_refunds=True))
    assert report.rows_loaded == 2
    assert workspace.query("SELECT sum(amount) FROM transactions")[0][0] == 70.0


def test_same_file_twice_adds_nothing_and_overlap_adds_only_new_rows(workspace, tmp_path):
    first = _csv(tmp_path / "jan.csv", GOOD[:3])
    load_transactions(workspace, first, as_of=AS_OF)
    again = load_transactions(workspace, first, as_of=AS_OF)
    assert again.skipped and "already loaded" in again.message
    assert workspace.count("transactions") == 3
    overlap = _csv(tmp_path / "jan-feb.csv", GOOD)
    report = load_transactions(workspace, overlap, as_of=AS_OF)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (5, 2, 3)
    assert workspace.count("transactions") == 5
    reasons = [r[0] for r in workspace.query(
        "SELECT reason FROM rejects WHERE file = 'jan-feb.csv' ORDER BY \"row\"")]
    assert reasons == ["duplicate: already loaded from jan.csv row 2",
                       "duplicate: already loaded from jan.csv row 3",
                       "duplicate: already loaded from jan.csv row 4"]


def test_overlapping_exports_are_matched_as_a_multiset(workspace, tmp_path):
    x, y, z = ("A1", "2024-03-05", "10"), ("B2", "2024-03-06", "20"), ("C3", "2024-03-07", "30")
    first = load_transactions(workspace, _csv(tmp_path / "mon.csv", [x, y, x]), as_of=AS_OF)
    assert (first.rows_loaded, first.rows_rejected, first.identical_rows_kept) == (3, 0, 1)
    # the same rows under another name and order, with nothing new: nothing added
    again = load_transactions(workspace, _csv(tmp_path / "mon-copy.csv", [x, x, y]), as_of=AS_OF)
    assert (again.rows_read, again.rows_loaded, again.rows_rejected) == (3, 0, 3)
    # x three times where the workspace holds it twice: one more x; y once more is y again
    week = load_transactions(workspace, _csv(tmp_path / "week.csv", [y, x, z, x, x]), as_of=AS_OF)
    assert (week.rows_read, week.rows_loaded, week.rows_rejected) == (5, 2, 3)
    assert week.identical_rows_kept == 1
    assert workspace.query('SELECT "row", reason FROM rejects WHERE file = \'week.csv\' '
                           'ORDER BY "row"') == [
        (2, "duplicate: already loaded from mon.csv row 3"),
        (3, "duplicate: already loaded from mon.csv row 2"),
        (5, "duplicate: already loaded from mon.csv row 4")]
    assert workspace.query("SELECT file_id, source_row FROM transactions WHERE file_id = 3 "
                           "ORDER BY 2") == [(3, 4), (3, 6)]
    assert workspace.query("SELECT source_customer_id, count(*) FROM transactions GROUP BY 1 "
                           "ORDER BY 1") == [("A1", 3), ("B2", 1), ("C3", 1)]
    # a row twice in the new file and once in the workspace adds one
    more = load_transactions(workspace, _csv(tmp_path / "more.csv", [z, z]), as_of=AS_OF)
    assert (more.rows_loaded, more.rows_rejected, more.identical_rows_kept) == (1, 1, 1)


def test_rows_already_loaded_are_named_in_load_order(workspace, tmp_path):
    x, y, z = ("A1", "2024-03-05", "10"), ("B2", "2024-03-06", "20"), ("C3", "2024-03-07", "30")
    load_transactions(workspace, _csv(tmp_path / "mon.csv", [y, z, x]), as_of=AS_OF)
    # x once more than mon.csv holds it: row 3 is new, at a lower row than x in mon.csv
    tue = load_transactions(workspace, _csv(tmp_path / "tue.csv", [x, x]), as_of=AS_OF)
    assert (tue.rows_loaded, tue.rows_rejected) == (1, 1)
    # the copies stand for the earlier file's row first, then the later file's
    wed = load_transactions(workspace, _csv(tmp_path / "wed.csv", [x, x, x]), as_of=AS_OF)
    assert (wed.rows_read, wed.rows_loaded, wed.rows_rejected) == (3, 1, 2)
    assert workspace.query('SELECT "row", reason FROM rejects WHERE file = \'wed.csv\' '
                           'ORDER BY "row"') == [
        (2, "duplicate: already loaded from mon.csv row 4"),
        (3, "duplicate: already loaded from tue.csv row 3")]


@pytest.mark.parametrize("fmt", ["csv", "tsv", "semicolon", "whitespace", "parquet", "excel",
                                 "jsonl", "gb18030"])
def test_every_format_loads_the_same_rows(workspace, tmp_path, fmt):
    rows = [("客户A", "2024-03-05", "120.5"), ("客户B", "2024-03-06", "88"),
            ("客户A", "2024-04-01", "15.25")]
    header = ("会员编号", "交易日期", "实付金额")
    if fmt == "csv":
        path = _csv(tmp_path / "t.csv", rows, header)
    elif fmt == "tsv":
        path = _csv(tmp_path / "t.tsv", rows, header, sep="\t")
    elif fmt == "semicolon":
        path = _csv(tmp_path / "t.csv", rows, header, sep=";")
    elif fmt == "whitespace":
        path = _csv(tmp_path / "t.txt", rows, header, sep="   ")
    elif fmt == "gb18030":
        path = tmp_path / "t.csv"
        text = "\n".join(",".join(r) for r in [header, *rows]) + "\n"
        path.write_bytes(text.encode("gb18030"))
    elif fmt == "parquet":
        path = tmp_path / "t.parquet"
        pq.write_table(pa.table({
            header[0]: [r[0] for r in rows],
            header[1]: pa.array([dt.date.fromisoformat(r[1]) for r in rows]),
            header[2]: [float(r[2]) for r in rows]}), path)
    elif fmt == "excel":
        import openpyxl

        path = tmp_path / "t.xlsx"
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(list(header))
        for r in rows:
            ws.append([r[0], dt.datetime.fromisoformat(r[1]), float(r[2])])
        wb.save(path)
    else:
        path = tmp_path / "t.jsonl"
        path.write_text("\n".join(json.dumps(dict(zip(header, r)), ensure_ascii=False)
                                  for r in rows) + "\n", encoding="utf-8")
    report = load_transactions(workspace, path, as_of=AS_OF)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (3, 3, 0)
    assert _transactions(workspace) == [
        ("客户A", dt.date(2024, 3, 5), 120.5), ("客户B", dt.date(2024, 3, 6), 88.0),
        ("客户A", dt.date(2024, 4, 1), 15.25)]


def test_malformed_records_are_rejected_with_their_line(workspace, tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("customer,date,amount\nA,2024-01-01,5\nB,2024-01-02\nC,2024-01-03,7\n",
                    encoding="utf-8")
    report = load_transactions(workspace, path, as_of=AS_OF)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (3, 2, 1)
    assert workspace.query('SELECT "row", code FROM rejects') == [(3, "malformed_record")]
    assert workspace.query("SELECT source_row FROM transactions ORDER BY 1") == [(2,), (4,)]


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    (b"\x00\x01\x02binary\x00junk" * 50, "looks like a binary file"),
    (b"just one column\nvalue\nvalue\n", "single column"),
])
def test_files_that_are_not_tables_get_one_clear_sentence(workspace, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(SourceError, match=message) as info:
        load_transactions(workspace, path, as_of=AS_OF)
    assert "bad.csv" in str(info.value)
    assert workspace.count("transactions") == 0 and workspace.count("files") == 0


def test_no_usable_column_names_the_columns_and_the_fix(workspace, tmp_path):
    path = _csv(tmp_path / "odd.csv", [("x", "y", "z")], header=("foo", "bar", "baz"))
    with pytest.raises(MappingError) as info:
        load_transactions(workspace, path, as_of=AS_OF)
    text = str(info.value)
    assert "odd.csv" in text and "'foo'" in text and "--mapping" in text


def test_failed_load_leaves_the_workspace_as_it_was(workspace, tmp_path, monkeypatch):
    load_transactions(workspace, _csv(tmp_path / "a.csv", GOOD[:2]), as_of=AS_OF)
    before = (workspace.count("transactions"), workspace.count("files"), workspace.count("rejects"))
    import cvm.ingest.load as load_module

    def broken(*args, **kwargs):  # fault injected inside the load's transaction
        raise OSError("disk full")

    monkeypatch.setattr(load_module._Rejects, "table", broken)
    with pytest.raises(OSError):
        load_transactions(workspace, _csv(tmp_path / "b.csv", GOOD[2:] + [("", "x", "y")]),
                          as_of=AS_OF)
    after = (workspace.count("transactions"), workspace.count("files"), workspace.count("rejects"))
    assert after == before


DAY_FIRST = [("A1", "05/04/2024", "10"), ("B2", "25/03/2024", "20"), ("C3", "12/01/2024", "30")]


def test_day_first_file_is_read_day_first_without_being_told(workspace, tmp_path):
    path = _csv(tmp_path / "uk.csv", DAY_FIRST, header=("customer_id", "Date", "amount"))
    report = load_transactions(workspace, path, as_of=AS_OF)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (3, 3, 0)
    assert _transactions(workspace) == [("A1", dt.date(2024, 4, 5), 10.0),
                                        ("B2", dt.date(2024, 3, 25), 20.0),
                                        ("C3", dt.date(2024, 1, 12), 30.0)]
    assert report.columns == (
        "columns guessed: customer_id ← 'customer_id', purchase_time ← 'Date' "
        "(day/month/year, decided from 25/03/2024), amount ← 'amount'")


def test_month_first_file_and_undecidable_file_say_which_order_was_used(workspace, tmp_path):
    us = _csv(tmp_path / "us.csv", [("A1", "05/04/2024", "10"), ("B2", "03/25/2024", "20")])
    report = load_transactions(workspace, us, as_of=AS_OF)
    assert report.rows_loaded == 2
    assert "purchase_time ← 'date' (month/day/year, decided from 03/25/2024)" in report.columns
    assert _transactions(workspace)[0] == ("A1", dt.date(2024, 5, 4), 10.0)
    unsure = _csv(tmp_path / "unsure.csv", [("C3", "06/04/2024", "10")])
    report = load_transactions(workspace, unsure, as_of=AS_OF)
    assert ("purchase_time ← 'date' (month/day/year assumed: no value decides; pass --dayfirst "
            "for day/month/year)") in report.columns
    told = _csv(tmp_path / "told.csv", [("D4", "07/04/2024", "10")])
    report = load_transactions(workspace, told, as_of=AS_OF,
                               options=IngestOptions(dayfirst=True))
    assert ("purchase_time ← 'date' (day/month/year as the dayfirst option says: no value "
            "decides)") in report.columns
    assert workspace.query("SELECT source_customer_id, purchase_date FROM transactions "
                           "WHERE source_customer_id IN ('C3', 'D4') ORDER BY 1") == [
        ("C3", dt.date(2024, 6, 4)), ("D4", dt.date(2024, 4, 7))]


def test_a_column_mixing_both_orders_is_one_clear_error(workspace, tmp_path):
    rows = [("A1", "01/02/2024", "10"), ("B2", "25/03/2024", "20"), ("C3", "02/02/2024", "5"),
            ("D4", "03/25/2024", "30"), ("E5", "26/03/2024", "1")]
    path = _csv(tmp_path / "mixed.csv", rows, header=("customer_id", "Date", "amount"))
    with pytest.raises(SourceError) as info:
        load_transactions(workspace, path, as_of=AS_OF)
    assert str(info.value) == (
        "mixed.csv: column 'Date' mixes day/month/year and month/day/year dates: row 3 has "
        "'25/03/2024', which only day/month/year can read, and row 5 has '03/25/2024', which "
        "only month/day/year can read. Export the column in one order (ISO dates such as "
        "2024-03-25 are never ambiguous).")
    assert workspace.count("transactions") == 0 and workspace.count("files") == 0


def test_a_day_first_file_sets_the_as_of_date_right(tmp_path):
    from cvm.pipeline import run

    path = _csv(tmp_path / "uk.csv", DAY_FIRST, header=("customer_id", "Date", "amount"))
    result = run([path], workspace=tmp_path / "w.duckdb", out=tmp_path / "out")
    assert result.as_of == dt.date(2024, 4, 5)


@pytest.mark.parametrize("header", ["id", "ID", "source_id", "cust_no", "customer_no",
                                    "Customer No.", "member_no", "客户编码", "会员卡号"])
def test_a_customer_list_is_recognised_by_its_key_column(workspace, tmp_path, header):
    from cvm.ingest.load import load_customers

    path = tmp_path / "members.csv"
    path.write_text(f"{header},name,phone\nK1,Ann,13800000001\nK2,Bo,13800000002\n",
                    encoding="utf-8")
    report = load_customers(workspace, path)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (2, 2, 0)
    assert report.columns == (f"columns guessed: customer_id ← {header!r}, name ← 'name', "
                              "phone ← 'phone'")
    assert workspace.query("SELECT source_customer_id, name FROM source_customers "
                           "ORDER BY 1") == [("K1", "Ann"), ("K2", "Bo")]


def test_a_customer_lists_slash_dates_are_read_as_the_column_decides(workspace, tmp_path):
    from cvm.ingest.load import load_customers

    path = tmp_path / "members.csv"
    path.write_text("id,birth_date,signup_date\nK1,05/04/1990,2024-01-02\n"
                    "K2,25/12/1985,2024-01-03\n", encoding="utf-8")
    report = load_customers(workspace, path)
    # the slash column says how it was read; the ISO column, which no order concerns, nothing
    assert report.columns == (
        "columns guessed: customer_id ← 'id', birth_date ← 'birth_date' (day/month/year, "
        "decided from 25/12/1985), signup_date ← 'signup_date'")
    assert workspace.query("SELECT source_customer_id, birth_date, signup_date FROM "
                           "source_customers ORDER BY 1") == [
        ("K1", dt.date(1990, 4, 5), dt.date(2024, 1, 2)),
        ("K2", dt.date(1985, 12, 25), dt.date(2024, 1, 3))]


def test_cvm_xref_is_read_by_its_source_ids(workspace, tmp_path):
    from cvm.ingest.load import load_customers

    path = tmp_path / "xref.csv"
    path.write_text("source,source_id,customer_id\ncrm,C1,U1\npos,P9,U1\n", encoding="utf-8")
    report = load_customers(workspace, path)
    assert report.columns == ("columns guessed: customer_id ← 'source_id', source ← 'source'")
    assert workspace.query("SELECT source, source_customer_id FROM source_customers "
                           "ORDER BY 1") == [("crm", "C1"), ("pos", "P9")]


def test_an_id_column_alone_is_a_valid_customer_list(tmp_path):
    from cvm.ingest.load import load_customers
    from cvm.pipeline import run
    from cvm.workspace import Workspace

    prospects = tmp_path / "prospects.csv"
    prospects.write_text("客户编码\nP1\nP2\nA1\n", encoding="utf-8")
    sales = _csv(tmp_path / "sales.csv", [("A1", "2024-03-05", "10"), ("B2", "2024-03-06", "5")])
    result = run([sales], customers=[prospects], workspace=tmp_path / "w.duckdb", out=None)
    assert result.loads[0].rows_loaded == 3
    assert result.info["n_prospects"] == 2  # P1 and P2 have not bought yet
    # one column whose lines hold a separator is still a wrong delimiter
    wrong = tmp_path / "crm.csv"
    wrong.write_text("id;name\nK1;Ann\n", encoding="utf-8")
    with Workspace(tmp_path / "w2.duckdb") as ws, pytest.raises(SourceError) as info:
        load_customers(ws, wrong, options=IngestOptions(delimiter=","))
    assert "crm.csv has a single column: the delimiter is probably wrong" in str(info.value)
