"""What lands on standard output and standard error, and the messages a new user meets.

Each test runs ``cvm`` as a real process on a small file whose figures are known by hand:
five rows, of which customer D's date and customer E's amount cannot be read; A, B and C buy
once each (10, 5 and 20.5), so no purchase model is fitted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

CVM = [sys.executable, "-m", "cvm"]
SALES = ("customer,date,amount\nA,2024-01-05,10\nB,2024-01-10,5\nC,2024-02-01,20.5\n"
         "D,bad,5\nE,2024-03-01,x\n")


def cvm(*args, cwd=None):
    env = dict(os.environ, COLUMNS="120")
    return subprocess.run([*CVM, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=600)


@pytest.fixture
def sales(tmp_path):
    path = tmp_path / "sales.csv"
    path.write_text(SALES, encoding="utf-8")
    return path


def _warning(out):
    return (f"warning: sales.csv: 2 rows rejected (bad_amount 1, bad_date 1); each is listed "
            f"with its row, field and reason in {out / 'rejects.csv'}\n")


def test_json_summary_is_the_only_thing_on_stdout(sales, tmp_path):
    out, ws = tmp_path / "o", tmp_path / "w.duckdb"
    proc = cvm("run", sales, "--workspace", ws, "--out", out, "--as-of", "2024-03-31", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["files"] == [{
        "file": "sales.csv", "table": "transactions", "rows_read": 5, "rows_loaded": 3,
        "rows_rejected": 2, "reject_reasons": {"bad_amount": 1, "bad_date": 1},
        "columns": "columns guessed: customer_id ← 'customer', purchase_time ← 'date', "
                   "amount ← 'amount'",
        "identical_rows_kept": 0, "skipped": False, "message": ""}]
    assert (doc["rows_read"], doc["rows_loaded"], doc["rows_rejected"]) == (5, 3, 2)
    assert (doc["run_id"], doc["as_of"], doc["window_days"]) == (1, "2024-03-31", None)
    assert (doc["customers"], doc["prospects"], doc["total_value"]) == (3, 0, 35.5)
    assert (doc["clv_model"], doc["clv_status"]) == (None, "no_repeat")
    assert sum(doc["segments"].values()) == 3 and len(doc["segments"]) == 11
    assert doc["abc_classes"] == {"A": 2, "B": 1, "C": 0}
    assert doc["lifecycle"] == {"exploration": 3}
    assert sum(doc["value_quadrants"].values()) == 3 and sum(doc["matrix_cells"].values()) == 3
    assert doc["workspace"] == str(ws.resolve())
    assert doc["results"] == str(out.resolve())
    assert doc["report"] == str(out.resolve() / "report.html")
    # progress, the warning about the rejected rows and the hint: all on stderr
    lines = proc.stderr.splitlines(keepends=True)
    assert lines[0] == f"[1/12] loading {sales}\n" and "[12/12] writing results\n" in lines
    assert _warning(out) in lines


def test_summary_on_stdout_progress_on_stderr(sales, tmp_path):
    out = tmp_path / "o"
    proc = cvm("run", sales, "--workspace", tmp_path / "w.duckdb", "--out", out, "--as-of",
               "2024-03-31")
    assert proc.returncode == 0, proc.stderr
    summary = proc.stdout.splitlines()
    assert summary[:4] == [
        "• sales.csv: 5 rows read, 3 loaded, 2 rejected",
        "  columns guessed: customer_id ← 'customer', purchase_time ← 'date', amount ← 'amount'",
        "",
        "As of 2024-03-31: 3 customers, total value 35.50.",
    ]
    assert summary[-1] == (f"Results in {out}: customers.parquet, customers.csv, segments.csv, "
                           "rejects.csv, summary.json, report.html")
    assert "Value × lifecycle matrix" in proc.stdout
    assert "loading" not in proc.stdout and "warning" not in proc.stdout
    assert "[3/12] summarising segments\n" in proc.stderr and _warning(out) in proc.stderr
    assert "As of" not in proc.stderr and "RFM segments" not in proc.stderr


def test_quiet_leaves_only_the_warnings_on_stderr(sales, tmp_path):
    out = tmp_path / "o"
    proc = cvm("--quiet", "run", sales, "--workspace", tmp_path / "w.duckdb", "--out", out,
               "--as-of", "2024-03-31")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == _warning(out)
    assert proc.stdout.startswith("• sales.csv: 5 rows read, 3 loaded, 2 rejected\n")
    # the same file again: nothing added, said as a warning; the listing of runs on stdout
    again = cvm("-q", "run", sales, "--workspace", tmp_path / "w.duckdb", "--out", out,
                "--as-of", "2024-03-31", "--json")
    assert again.stderr.startswith("warning: sales.csv: same content already loaded on ")
    assert json.loads(again.stdout)["files"][0]["skipped"] is True
    runs = cvm("runs", "--workspace", tmp_path / "w.duckdb")
    assert runs.stderr == ""
    assert [line.split("│")[1:3] for line in runs.stdout.splitlines() if "complete" in line] == [
        [" 1   ", " complete "], [" 2   ", " complete "]]


def test_the_summary_follows_lang(sales, tmp_path):
    out = tmp_path / "o"
    proc = cvm("run", sales, "--workspace", tmp_path / "w.duckdb", "--out", out, "--as-of",
               "2024-03-31", "--lang", "zh")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "• sales.csv：读取 5 行，载入 3 行，拒收 2 行"
    assert lines[3] == "截至 2024-03-31：3 位客户，总价值 35.50。"
    assert "生命周期：考察期 3" in lines
    assert (f"warning: sales.csv：拒收 2 行（金额不是数字 1，日期无法解析 1），每行的行号、字段和原因见 "
            f"{out / 'rejects.csv'}\n") in proc.stderr


def test_read_commands_without_a_workspace_say_how_to_make_one(tmp_path):
    ws = tmp_path / "none.duckdb"
    expected = (f"error: there is no workspace at {ws}: make one by loading your transactions "
                "(cvm run FILE), or try cvm on demo data (cvm demo); give another workspace "
                "with --workspace\n")
    for command in (["matrix"], ["runs"], ["customer", "1"], ["report"],
                    ["alerts"], ["targets", "HH-*", "--out", tmp_path / "t.csv"],
                    ["compare", "--as-of", "2024-01-01", "--as-of", "2024-06-30"]):
        proc = cvm(*command, "--workspace", ws)
        assert (proc.returncode, proc.stderr, proc.stdout) == (2, expected, ""), command
    assert list(tmp_path.iterdir()) == []  # and none was made on the way


def test_a_failed_input_check_leaves_no_workspace(tmp_path):
    ws = tmp_path / "w.duckdb"
    proc = cvm("-q", "run", tmp_path / "nosuch.csv", "--workspace", ws, "--out", tmp_path / "o")
    assert (proc.returncode, proc.stderr) == (2, f"error: {tmp_path / 'nosuch.csv'}: no such file\n")
    columns = tmp_path / "columns.csv"
    columns.write_text("foo,bar\n1,2\n", encoding="utf-8")
    proc = cvm("-q", "run", columns, "--workspace", ws, "--out", tmp_path / "o")
    assert proc.returncode == 2 and "could not tell which column holds" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["columns.csv"]


def test_customer_suggests_close_ids_and_counts_in_good_english(tmp_path):
    sales = tmp_path / "ids.csv"
    sales.write_text("customer,date,amount\n00001,2024-01-05,10\nAb7,2024-01-10,5\n",
                     encoding="utf-8")
    ws = tmp_path / "w.duckdb"
    assert cvm("-q", "run", sales, "--workspace", ws, "--out", tmp_path / "o", "--as-of",
               "2024-03-31", "--json").returncode == 0
    for asked, meant in (("1", "00001"), (" 001", "00001"), ("ab7", "Ab7"), ("AB7", "Ab7")):
        proc = cvm("customer", asked, "--workspace", ws)
        assert (proc.returncode, proc.stderr) == (
            2, f"error: no customer {asked!r} in workspace {ws}; did you mean {meant!r}?\n")
    proc = cvm("customer", "zz", "--workspace", ws)
    assert proc.stderr == f"error: no customer 'zz' in workspace {ws}\n"
    proc = cvm("customer", "00001", "--workspace", ws)
    assert ("Purchases: 1 transaction on 1 day, 2024-01-05 to 2024-01-05, total 10.00 "
            "(average 10.00); sources: default") in proc.stdout.splitlines()


def test_the_demo_folder_is_ignored_by_git():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        pytest.skip("not a git checkout")
    for path in ("cvm-demo/results/report.html", "cvm-results/customers.csv", "cvm.duckdb"):
        proc = subprocess.run(["git", "-C", str(root), "check-ignore", "-q", path])
        assert proc.returncode == 0, path


def test_a_warning_shows_the_file_name_as_named(tmp_path):
    # square brackets in a file name are text, not console markup
    named = tmp_path / "sales[bold][2024].csv"
    named.write_text(SALES, encoding="utf-8")
    out = tmp_path / "o"
    proc = cvm("-q", "run", named, "--workspace", tmp_path / "w.duckdb", "--out", out,
               "--as-of", "2024-03-31")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == _warning(out).replace("sales.csv", "sales[bold][2024].csv")
