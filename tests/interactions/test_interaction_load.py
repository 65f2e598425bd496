"""Loading service logs: every row loaded or rejected with file, row, field and reason; Chinese
headers and values; the same readers as transactions (CSV, Excel, JSON lines, Parquet, tables,
PostgreSQL); ids linked through the customer cross-reference."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os

import pyarrow as pa
import pytest

from cvm.interactions import channel_key, kind_key, load_interactions
from cvm.workspace import Workspace

from postgres_server import server_url

AS_OF = dt.date(2024, 6, 30)

MESSY = [  # 会员编号, 联系时间, 客服渠道, 投诉类型, 处理结果, 投诉内容
    ("M1", "2024-03-01 10:00", "电话", "投诉", "已解决", "手机 13812345678 打不通"),  # row 2
    ("M1", "2024/3/5", "网点", "到访", "", ""),                                        # row 3
    ("M2", "2024-02-30", "网站", "咨询", "", "bad date"),                               # row 4
    ("", "2024-03-01", "APP", "服务", "", "no id"),                                     # row 5
    ("M3", "2024-03-02", "传真", "投诉", "", "fax: unknown channel"),                   # row 6
    ("M3", "2024年3月3日", "", "投诉", "", "no channel: kept"),                         # row 7
    ("M4", "2024-03-04", "邮件", "表扬", "", "unknown kind"),                           # row 8
    ("M4", "2025-03-04", "邮件", "咨询", "", "after the as-of date"),                   # row 9
    ("M5", "2024-03-04", "门店", "", "", "no kind"),                                    # row 10
    ("M5", "2024-03-05", "ＡＰＰ", "客服", "处理中", "full-width APP"),                  # row 11
    ("M6", "yesterday", "Phone", "Complaint", "", "unreadable date"),                   # row 12
    ("M6", "2024-03-06", "e-mail", "Enquiry", "", ""),                                  # row 13
]
HEADER = ("会员编号", "联系时间", "客服渠道", "投诉类型", "处理结果", "投诉内容")


def _write_csv(path, rows, header=HEADER):
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def _rejects(ws):
    return ws.query('SELECT "row", field, value, code FROM rejects ORDER BY "row"')


def test_a_messy_chinese_log_loses_no_row(tmp_path):
    ws = Workspace(":memory:")
    report = load_interactions(ws, _write_csv(tmp_path / "客服记录.csv", MESSY), as_of=AS_OF)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (12, 5, 7)
    assert report.rows_read == report.rows_loaded + report.rows_rejected
    assert "interaction_time ← '联系时间'" in report.columns
    assert "channel ← '客服渠道'" in report.columns and "kind ← '投诉类型'" in report.columns
    assert "note ← '投诉内容'" in report.columns
    assert _rejects(ws) == [
        (4, "联系时间", "2024-02-30", "bad_date"),
        (5, "会员编号", "", "missing_customer_id"),
        (6, "客服渠道", "传真", "unknown_channel"),
        (8, "投诉类型", "表扬", "unknown_kind"),
        (9, "联系时间", "2025-03-04", "future_date"),
        (10, "投诉类型", "", "unknown_kind"),
        (12, "联系时间", "yesterday", "bad_date"),
    ]
    assert report.reasons == {"bad_date": 2, "unknown_kind": 2, "future_date": 1,
                              "missing_customer_id": 1, "unknown_channel": 1}
    loaded = ws.query("SELECT source_row, source_customer_id, CAST(interaction_time AS VARCHAR), "
                      "channel, kind, outcome, note FROM interactions ORDER BY source_row")
    assert loaded == [
        (2, "M1", "2024-03-01 10:00:00", "phone", "complaint", "已解决", "手机 13812345678 打不通"),
        (3, "M1", "2024-03-05 00:00:00", "branch", "visit", None, None),
        (7, "M3", "2024-03-03 00:00:00", None, "complaint", None, "no channel: kept"),
        (11, "M5", "2024-03-05 00:00:00", "app", "service", "处理中", "full-width APP"),
        (13, "M6", "2024-03-06 00:00:00", "email", "enquiry", None, None),
    ]
    files = ws.query("SELECT table_kind, rows_read, rows_loaded, rows_rejected FROM files")
    assert files == [("interactions", 12, 5, 7)]


def test_the_reason_names_the_value_and_what_is_known(tmp_path):
    ws = Workspace(":memory:")
    load_interactions(ws, _write_csv(tmp_path / "log.csv", MESSY[4:5]), as_of=AS_OF)
    (reason,), = ws.query("SELECT reason FROM rejects")
    assert reason.startswith("unknown channel '传真' (known: phone, branch, web, app, email")


def test_the_same_file_twice_adds_nothing(tmp_path):
    ws = Workspace(":memory:")
    path = _write_csv(tmp_path / "log.csv", MESSY)
    load_interactions(ws, path, as_of=AS_OF)
    again = load_interactions(ws, path, as_of=AS_OF)
    assert again.skipped and again.rows_loaded == 0
    assert ws.query("SELECT count(*) FROM interactions") == [(5,)]
    assert ws.query("SELECT count(*) FROM rejects") == [(7,)]


@pytest.mark.parametrize("kind", ["xlsx", "jsonl", "parquet", "arrow"])
def test_every_reader_gives_the_same_rows(tmp_path, kind):
    header = ["customer", "time", "channel", "type", "outcome", "notes"]
    rows = [list(r) for r in MESSY]
    if kind == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        wb.active.append(header)
        for r in rows:
            wb.active.append(r)
        source = tmp_path / "log.xlsx"
        wb.save(source)
    elif kind == "jsonl":
        source = tmp_path / "log.jsonl"
        source.write_text("".join(json.dumps(dict(zip(header, r)), ensure_ascii=False) + "\n"
                                  for r in rows), encoding="utf-8")
    else:
        table = pa.table({h: [r[i] for r in rows] for i, h in enumerate(header)})
        if kind == "parquet":
            import pyarrow.parquet as pq

            source = tmp_path / "log.parquet"
            pq.write_table(table, source)
        else:
            source = table
    ws = Workspace(":memory:")
    report = load_interactions(ws, source, as_of=AS_OF)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (12, 5, 7)
    assert [r[3] for r in _rejects(ws)] == ["bad_date", "missing_customer_id", "unknown_channel",
                                            "unknown_kind", "future_date", "unknown_kind",
                                            "bad_date"]


def test_a_malformed_record_is_rejected_and_counted(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("customer,time,kind\nA,2024-01-02,complaint\nB,2024-01-03,visit,extra,x\n"
                    "C,\"2024-01-04,enquiry\n", encoding="utf-8")
    ws = Workspace(":memory:")
    report = load_interactions(ws, path, as_of=AS_OF)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (3, 1, 2)
    assert ws.query('SELECT "row", code FROM rejects ORDER BY 1') == [
        (3, "malformed_record"), (4, "malformed_record")]


def test_ids_link_through_the_customer_cross_reference():
    ws = Workspace(":memory:")
    ws.con.execute("INSERT INTO xref VALUES ('crm', 'c-7', 'U1', 'linkage', now()), "
                   "('default', 'M1', 'U1', 'linkage', now())")
    log = pa.table({"member": ["c-7", "M1", "M9", "z"], "date": ["2024-01-02"] * 4,
                    "kind": ["complaint", "visit", "enquiry", "service"],
                    "source": ["crm", None, None, "shop"]})
    load_interactions(ws, log, as_of=AS_OF)
    assert ws.query("SELECT customer_id, kind FROM unified_interactions ORDER BY kind") == [
        ("U1", "complaint"), ("M9", "enquiry"), ("shop:z", "service"), ("U1", "visit")]


def test_a_file_without_the_kind_column_is_refused(tmp_path):
    from cvm.ingest.columns import MappingError

    path = _write_csv(tmp_path / "log.csv", [("A", "2024-01-02")], header=("客户", "时间"))
    with pytest.raises(MappingError, match="kind"):
        load_interactions(Workspace(":memory:"), path, as_of=AS_OF)


def test_columns_named_exactly_are_used_without_guessing(tmp_path):
    path = _write_csv(tmp_path / "log.csv", [("A", "2024-01-02", "投诉", "x")],
                      header=("c1", "c2", "c3", "c4"))
    ws = Workspace(":memory:")
    report = load_interactions(ws, path, as_of=AS_OF, columns={
        "customer_id": "c1", "interaction_time": 2, "kind": "c3", "note": "c4"})
    assert report.rows_loaded == 1 and "columns mapped" in report.columns


def test_the_vocabulary_maps_english_and_chinese_words():
    assert [channel_key(v) for v in ("电话", "Call centre", "门店", "网点", "网站", "应用", "APP",
                                      "邮件", "E-Mail", "fax", "")] == [
        "phone", "phone", "branch", "branch", "web", "app", "app", "email", "email", None, None]
    assert [kind_key(v) for v in ("服务", "客服", "投诉", "咨询", "到访", "Complaint", "inquiry",
                                  "表扬")] == [
        "service", "service", "complaint", "enquiry", "visit", "complaint", "enquiry", None]


def test_the_command_loads_writes_rejects_and_keeps_the_count(tmp_path):
    from click.testing import CliRunner

    from cvm.cli import main

    path = _write_csv(tmp_path / "log.csv", MESSY)
    ws = tmp_path / "shop.duckdb"
    result = CliRunner().invoke(main, ["load-interactions", str(path), "--workspace", str(ws),
                                       "--as-of", "2024-06-30", "--rejects",
                                       str(tmp_path / "rej.csv")])
    assert result.exit_code == 0, result.output
    assert "12 rows read, 5 loaded, 7 rejected" in result.output
    with (tmp_path / "rej.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["row"], r["field"]) for r in rows][:3] == [
        ("4", "联系时间"), ("5", "会员编号"), ("6", "客服渠道")]
    assert len(rows) == 7


URL = os.environ.get("CVM_TEST_POSTGRES_URL")


@pytest.mark.postgres
def test_a_postgresql_table_is_read_as_a_file_is():
    server_url()
    import psycopg

    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS cvm_service_log")
        conn.execute("CREATE TABLE cvm_service_log (客户 text, 时间 timestamp, 渠道 text, "
                     "类型 text, 备注 text)")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO cvm_service_log VALUES (%s, %s, %s, %s, %s)", [
                ("M1", dt.datetime(2024, 1, 5, 9, 30), "电话", "投诉", "慢"),
                ("M2", dt.datetime(2024, 2, 5), "传真", "咨询", None),
                (None, dt.datetime(2024, 3, 1), "邮件", "服务", None)])
    try:
        ws = Workspace(":memory:")
        report = load_interactions(ws, f"{URL}?table=cvm_service_log", as_of=AS_OF)
        assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (3, 1, 2)
        assert report.reasons == {"missing_customer_id": 1, "unknown_channel": 1}
    finally:
        with psycopg.connect(URL, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS cvm_service_log")


def test_the_as_of_day_is_kept_to_its_last_minute_and_the_next_day_rejected():
    ws = Workspace(":memory:")
    log = pa.table({"customer": ["A", "A", "B"],
                    "time": ["2024-06-30 23:59", "2024-07-01 00:00", "2024-06-29"],
                    "kind": ["visit", "visit", "complaint"]})
    report = load_interactions(ws, log, as_of=AS_OF)
    assert (report.rows_loaded, report.reasons) == (2, {"future_date": 1})
    assert ws.query('SELECT "row" FROM rejects') == [(2,)]


def test_a_log_whose_every_row_is_bad_is_all_rejected():
    ws = Workspace(":memory:")
    log = pa.table({"customer": ["A", "B"], "time": ["nope", "2024-13-01"],
                    "kind": ["visit", "visit"]})
    report = load_interactions(ws, log, as_of=AS_OF)
    assert (report.rows_read, report.rows_loaded, report.reasons) == (2, 0, {"bad_date": 2})


def test_a_long_unknown_value_is_quoted_cut_to_40_characters(tmp_path):
    ws = Workspace(":memory:")
    log = pa.table({"customer": ["A"], "time": ["2024-01-02"], "kind": ["visit"],
                    "channel": ["x" * 39 + "yz"]})
    load_interactions(ws, log, as_of=AS_OF)
    (reason,), = ws.query("SELECT reason FROM rejects")
    assert reason.startswith("unknown channel '" + "x" * 39 + "y' (known:")


def test_the_workspace_says_whether_it_holds_a_service_log(tmp_path):
    from cvm.interactions import has_interactions

    ws = Workspace(":memory:")
    assert has_interactions(ws.con) is False
    path = _write_csv(tmp_path / "log.csv", MESSY[:1])
    first = load_interactions(ws, path, as_of=AS_OF)
    assert has_interactions(ws.con) is True
    again = load_interactions(ws, path, as_of=AS_OF)
    assert (again.rows_read, again.rows_loaded, again.rows_rejected, again.file_id) == (
        0, 0, 0, first.file_id)
    assert again.message.startswith("log.csv: same content already loaded on ")
