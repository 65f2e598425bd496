"""``cvm targets``, ``cvm alerts`` and ``cvm matrix`` run as a user runs them, on the demo data."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pyarrow.parquet as pq
import pytest

CVM = [sys.executable, "-m", "cvm"]


def cvm(*args, check=True):
    env = dict(os.environ, COLUMNS="160")
    proc = subprocess.run([*CVM, *map(str, args)], capture_output=True, text=True, env=env,
                          timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"cvm {' '.join(map(str, args))} failed ({proc.returncode}):\n"
                             f"{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo (run 1, as of 2024-12-31), then runs as of 2024-09-30 (2) and 2024-12-31 (3)."""
    root = tmp_path_factory.mktemp("segdemo")
    cvm("demo", "--out", root / "d", "--customers", "300")
    ws = root / "d" / "demo.duckdb"
    tx = root / "d" / "data" / "demo_transactions.csv"
    for as_of in ("2024-09-30", "2024-12-31"):
        cvm("run", tx, "--workspace", ws, "--out", root / f"out-{as_of}", "--as-of", as_of)
    return root, ws


def test_targets_csv_and_excel(demo):
    root, ws = demo
    customers = pq.read_table(root / "out-2024-12-31" / "customers.parquet").to_pandas()
    proc = cvm("targets", "LL-churned", "HH-*", "--out", root / "t.csv", "--workspace", ws)
    table = pd.read_csv(root / "t.csv", encoding="utf-8-sig", dtype={"phone": str})
    want = customers[(customers.matrix_cell == "LL-churned")
                     | customers.matrix_cell.str.startswith("HH-")]
    assert len(table) == len(want) > 0
    assert set(table.customer_id) == set(want.customer_id)
    assert {"name", "phone", "owner", "matrix_cell", "composite_value", "recommended_action",
            "objective", "lifecycle_reason"} <= set(table.columns)
    assert list(table.composite_value) == sorted(table.composite_value, reverse=True)
    assert f"{len(table):,} customers written" in proc.stdout
    cvm("targets", "LL-prospective", "--out", root / "t.xlsx", "--workspace", ws)
    sheet = pd.read_excel(root / "t.xlsx")
    assert len(sheet) == (customers.matrix_cell == "LL-prospective").sum() > 0
    assert (sheet.recommended_action == "acquire").all()
    # figures rounded to their precision: money and scores 2 decimals, probabilities 4
    for frame, column, digits in ((table, "composite_value", 2), (table, "clv", 2),
                                  (table, "probability_alive", 4), (table, "monetary_total", 2),
                                  (sheet, "composite_value", 2)):
        values = frame[column].dropna()
        assert len(values) and ((values.round(digits) - values).abs() < 1e-9).all(), column


def test_targets_unknown_cell_is_a_clear_error(demo):
    root, ws = demo
    proc = cvm("targets", "XX-current", "--out", root / "x.csv", "--workspace", ws, check=False)
    assert proc.returncode == 2
    assert "no matrix cell matches 'XX-current'; cells are HH-prospective" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_alerts_by_owner(demo):
    root, ws = demo
    proc = cvm("alerts", "--workspace", ws, "--out", root / "alerts.csv")
    assert "Run 3 against run 2:" in proc.stdout
    alerts = pd.read_csv(root / "alerts.csv", encoding="utf-8-sig")
    assert len(alerts) > 0
    # every alert is a real worsening between the two runs' tables
    before = pq.read_table(root / "out-2024-09-30" / "customers.parquet").to_pandas()
    after = pq.read_table(root / "out-2024-12-31" / "customers.parquet").to_pandas()
    b = before.set_index("customer_id")
    a = after.set_index("customer_id")
    for r in alerts.itertuples():
        assert b.loc[r.customer_id, "matrix_cell"] == r.from_cell
        assert a.loc[r.customer_id, "matrix_cell"] == r.to_cell
        worse_stage = (r.to_stage in ("decline", "churned") and r.from_stage != r.to_stage
                       and r.from_stage != "churned")
        worse_value = ((r.from_cell[0] == "H" and r.to_cell[0] == "L")
                       or (r.from_cell[1] == "H" and r.to_cell[1] == "L"))
        assert worse_stage or worse_value, r
    owners = set(alerts.owner.dropna())
    assert owners <= {"赵经理", "钱经理", "孙经理", "李经理"} and owners
    for owner in owners:
        assert f"{owner}:" in proc.stdout
    one = sorted(owners)[0]
    cvm("alerts", "--workspace", ws, "--owner", one, "--out", root / "one.csv")
    only = pd.read_csv(root / "one.csv", encoding="utf-8-sig")
    assert set(only.owner) == {one} and len(only) == (alerts.owner == one).sum()


def test_matrix_command_and_run_output(demo):
    root, ws = demo
    proc = cvm("matrix", "--workspace", ws)
    assert "Composite value weights (given)" in proc.stdout
    assert "No credit data" in proc.stdout
    assert "LL-churned" in proc.stdout
    for cmd in ("targets", "alerts", "matrix"):
        assert cmd in cvm("--help").stdout


def test_run_options_and_an_inconsistent_ahp_matrix(demo, tmp_path):
    root, _ = demo
    tx = root / "d" / "data" / "demo_transactions.csv"
    bad = tmp_path / "bad.csv"
    bad.write_text("1,9,1/9,1,1\n1/9,1,9,1,1\n9,1/9,1,1,1\n1,1,1,1,1\n1,1,1,1,1\n")
    proc = cvm("run", tx, "--workspace", tmp_path / "w.duckdb", "--out", tmp_path / "o",
               "--weight-method", "ahp", "--ahp-matrix", bad, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "consistency ratio 1.293 > 0.1" in proc.stderr
    assert not (tmp_path / "w.duckdb").exists()  # refused before anything was loaded
    good = tmp_path / "good.csv"
    good.write_text("1,3,5,3,3\n1/3,1,3,1,1\n1/5,1/3,1,1/3,1/3\n1/3,1,3,1,1\n1/3,1,3,1,1\n")
    proc = cvm("run", tx, "--workspace", tmp_path / "w.duckdb", "--out", tmp_path / "o",
               "--as-of", "2024-12-31", "--weight-method", "ahp", "--ahp-matrix", good,
               "--matrix-scheme", "tiers", "--lifecycle-scheme", "five")
    assert "Composite value weights (ahp)" in proc.stdout and "consistency ratio 0.009" in proc.stdout
    table = pq.read_table(tmp_path / "o" / "customers.parquet").to_pandas()
    assert set(table.lifecycle_stage) <= {"acquisition", "growth", "maturity", "decline",
                                          "departure"}
    assert table.matrix_cell.str.match(r"^(high|middle|low)-").all()
