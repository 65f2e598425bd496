"""The command line, run as a user runs it: a real process, real files, exit codes and messages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

CVM = [sys.executable, "-m", "cvm"]


def cvm(*args, cwd=None, check=True):
    env = dict(os.environ, COLUMNS="120")
    proc = subprocess.run([*CVM, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"cvm {' '.join(map(str, args))} failed ({proc.returncode}):\n"
                             f"{proc.stdout}\n{proc.stderr}")
    return proc


def test_help_lists_every_command():
    out = cvm("--help").stdout
    for command in ("demo", "run", "compare", "schemes", "runs"):
        assert command in out
    run_help = cvm("run", "--help").stdout
    for option in ("--customers", "--mapping", "--as-of", "--workspace", "--out", "--lang",
                   "--rfm-scheme", "--engine", "--refunds", "--dayfirst"):
        assert option in run_help


def test_demo_writes_results_and_report(tmp_path):
    proc = cvm("demo", "--out", tmp_path / "d", "--customers", "300", "--lang", "zh")
    # --lang zh: the summary (stdout) and the warning about rejected rows (stderr) in Chinese
    assert "warning: demo_transactions.csv：拒收 " in proc.stderr and "report.html" in proc.stderr
    assert "位客户" in proc.stdout and "rejected" not in proc.stdout
    results = tmp_path / "d" / "results"
    assert (results / "report.html").stat().st_size > 10_000
    html = (results / "report.html").read_text(encoding="utf-8")
    assert "客户" in html
    table = pq.read_table(results / "customers.parquet")
    assert table.num_rows > 200


def test_run_with_mapping_file_and_options(tmp_path):
    data = tmp_path / "sales.csv"
    data.write_text("卡号;when;paid\nA;05/03/2024;10\nA;06/03/2024;-2\nB;07/03/2024;5\n",
                    encoding="utf-8")
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('[transactions]\ncustomer_id = "卡号"\npurchase_time = "when"\n'
                       'amount = 3\n\n[options]\ndayfirst = true\nallow_refunds = true\n',
                       encoding="utf-8")
    cvm("run", data, "--mapping", mapping, "--workspace", tmp_path / "w.duckdb",
        "--out", tmp_path / "out", "--as-of", "2024-03-31", "--rfm-scheme", "cn8")
    rows = {r["customer_id"]: r for r in pq.read_table(tmp_path / "out" / "customers.parquet").to_pylist()}
    assert rows["A"]["monetary_total"] == 8.0  # the refund nets off
    assert rows["A"]["last_purchase"].isoformat() == "2024-03-06"  # day first
    assert rows["A"]["recency_days"] == 25
    assert rows["B"]["rfm_segment"] in {"important_value", "general_development",
                                        "important_development", "general_value",
                                        "important_retention", "important_win_back",
                                        "general_retention", "general_win_back"}


def test_run_takes_the_clv_period_options(tmp_path):
    import json
    import random

    rng = random.Random(7)
    lines = ["customer,date,amount"]
    for i in range(300):  # enough customers for the purchase model to be fitted
        for _ in range(rng.randint(1, 6)):
            lines.append(f"C{i},2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d},"
                         f"{rng.randint(5, 200)}")
    # by hand: 100 a year before the as-of date and 100 eleven days before it
    lines += ["H,2023-12-31,100", "H,2024-12-20,100"]
    data = tmp_path / "sales.csv"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cvm("run", data, "--workspace", tmp_path / "w.duckdb", "--out", tmp_path / "out",
        "--as-of", "2024-12-31", "--clv-model", "bgnbd", "--time-unit", "day",
        "--compounding-rate", "0.1", "--current-period-days", "30")
    rows = {r["customer_id"]: r for r in
            pq.read_table(tmp_path / "out" / "customers.parquet").to_pylist()}
    h = rows["H"]
    assert h["current_value"] == pytest.approx(100.0)  # only the December purchase
    assert h["historical_value"] == pytest.approx(100 * 1.1 ** (366 / 365.25)
                                                  + 100 * 1.1 ** (11 / 365.25))
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["info"]["stages"]["clv"]["time_unit"] == "day"


def test_run_decides_the_date_order_from_the_values_and_says_so(tmp_path):
    data = tmp_path / "uk.csv"
    data.write_text("customer,Date,amount\nA,05/04/2024,10\nB,25/03/2024,20\n",
                    encoding="utf-8")
    proc = cvm("run", data, "--workspace", tmp_path / "w.duckdb", "--out", tmp_path / "out")
    # the load report and the run summary are results: standard output
    assert "purchase_time ← 'Date' (day/month/year, decided from 25/03/2024)" in proc.stdout
    assert "As of 2024-04-05:" in proc.stdout
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("customer,Date,amount\nA,25/03/2024,10\nB,03/26/2024,20\n",
                     encoding="utf-8")
    proc = cvm("run", mixed, "--workspace", tmp_path / "w2.duckdb", check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "mixed.csv: column 'Date' mixes day/month/year and month/day/year dates: row 2" \
        in " ".join(proc.stderr.split())


def test_link_takes_dayfirst_for_dates_no_value_decides(tmp_path):
    import duckdb

    people = tmp_path / "crm.csv"
    people.write_text("customer_id,name,phone,birth_date,city\n"
                      "C1,张伟,13812345678,05/04/1990,上海\n"
                      "C2,張偉,+86 138-1234-5678,05/04/1990,上海市\n"
                      "C3,王芳,13900001111,06/04/1985,北京\n", encoding="utf-8")
    ws = tmp_path / "w.duckdb"
    cvm("link", people, "--dayfirst", "--workspace", ws, "--out", tmp_path / "linkage")
    with duckdb.connect(str(ws), read_only=True) as con:
        births = con.execute("SELECT source_customer_id, birth_date FROM source_customers "
                             "ORDER BY 1").fetchall()
    assert [(c, d.isoformat()) for c, d in births] == [
        ("C1", "1990-04-05"), ("C2", "1990-04-05"), ("C3", "1985-04-06")]


@pytest.mark.parametrize("content, expected", [
    (b"\x00\x01binary" * 100, "looks like a binary file"),
    (b"", "is empty"),
    (b"foo,bar\n1,2\n", "could not tell which column holds"),
])
def test_bad_input_gets_one_clear_sentence_and_exit_code_2(tmp_path, content, expected):
    path = tmp_path / "input.csv"
    path.write_bytes(content)
    proc = cvm("run", path, "--workspace", tmp_path / "w.duckdb", "--out", tmp_path / "o",
               check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "input.csv" in proc.stderr and expected in proc.stderr


def test_missing_file_and_bad_date_option(tmp_path):
    proc = cvm("run", tmp_path / "nope.csv", "--workspace", tmp_path / "w.duckdb", check=False)
    assert proc.returncode == 2 and "no such file" in proc.stderr
    proc = cvm("run", tmp_path / "nope.csv", "--as-of", "31/12/2024", check=False)
    assert proc.returncode == 2 and "YYYY-MM-DD" in proc.stderr


def test_compare_prints_the_transition_matrix(tmp_path):
    cvm("demo", "--out", tmp_path / "d", "--customers", "300")
    proc = cvm("compare", "--workspace", tmp_path / "d" / "demo.duckdb", "--as-of", "2024-06-30",
               "--as-of", "2024-12-31", "--out", tmp_path / "moves.csv")
    assert " 1 Champions" in proc.stdout and "(new)" in proc.stdout and "11 Lost" in proc.stdout
    assert (tmp_path / "moves.csv").read_text().startswith('"from_segment","to_segment"')


def _cdnow_with_margins(tmp_path) -> Path:
    """The CDNOW sample as a CSV with a margin per line: 10 % of the amount for odd customer
    ids, 40 % for even ones, so that ranking by margin differs from ranking by revenue."""
    sample = Path(__file__).parents[1] / "data" / "CDNOW_sample.txt"
    lines = ["customer,date,amount,margin"]
    for row in sample.read_text().split("\n"):
        if row.strip():
            cid, _, day, _, amount = row.split()
            rate = 0.1 if int(cid) % 2 else 0.4
            lines.append(f"{cid},{day[:4]}-{day[4:6]}-{day[6:]},{amount},"
                         f"{float(amount) * rate:.4f}")
    path = tmp_path / "cdnow_margins.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_abc_and_the_pareto_sentence_by_margin_and_clv_net_of_acquisition(tmp_path):
    # The source's 二八 is about profit (seed 001: "C企业80%以上的利润实际是由不到20%的客户所创造"):
    # --abc-measure margin
    # ranks the ABC classes and the top-20 % share by margin; the CLV slides (seed 003) name
    # 认知成本 (acquisition cost) among the factors of lifetime value, netted off with
    # --acquisition-cost.
    import json

    import pandas as pd

    data = _cdnow_with_margins(tmp_path)
    frame = pd.read_csv(data)
    per = frame.groupby("customer")[["amount", "margin"]].sum()
    days = frame.groupby("customer")["date"].nunique()
    k = -(-len(per) * 2 // 10)  # ceil(20 % of the customers)

    def top(column):
        values = per[column].sort_values(ascending=False)
        return values.iloc[:k].sum() / values.sum()

    assert abs(top("margin") - top("amount")) > 0.01  # the two measures rank differently
    proc = cvm("run", data, "--workspace", tmp_path / "m.duckdb", "--out", tmp_path / "m",
               "--abc-measure", "margin", "--acquisition-cost", "15", "--service-cost", "0.5",
               "--as-of", "1998-06-30")
    assert ("The top 20 % of customers bring "
            f"{top('margin'):.0%} of profit (margin); Gini") in proc.stdout
    doc = json.loads(cvm("run", data, "--workspace", tmp_path / "m2.duckdb", "--out",
                         tmp_path / "m2", "--abc-measure", "margin", "--acquisition-cost", "15",
                         "--service-cost", "0.5", "--as-of", "1998-06-30", "--json").stdout)
    assert doc["value_measure"] == "margin"
    assert doc["top_20_value_share"] == pytest.approx(top("margin"), abs=5e-5)
    customers = pq.read_table(tmp_path / "m2" / "customers.parquet").to_pandas()
    buyers = customers[customers["first_purchase"].notna()].set_index("customer_id")
    # class A: the largest margins that together first reach 70 % of all margin
    a = buyers[buyers["abc_class"] == "A"]
    ranked = per["margin"].sort_values(ascending=False)
    assert len(a) == int((ranked.cumsum() / ranked.sum() < 0.7 - 1e-12).sum()) + 1
    assert a["margin_total"].min() >= buyers.loc[buyers["abc_class"] != "A", "margin_total"].max()
    # lifetime_value_net = historical value − 0.5 per past purchase day + clv − 15
    fitted = buyers[buyers["clv"].notna()]
    assert len(fitted) == len(buyers)
    ids = [int(i) for i in fitted.index]
    want = (per.loc[ids, "margin"].to_numpy() - 0.5 * days.loc[ids].to_numpy()
            + fitted["clv"].to_numpy() - 15.0)
    assert fitted["lifetime_value_net"].to_numpy() == pytest.approx(want, rel=1e-9, abs=1e-6)
    # without an acquisition cost there is no such column
    cvm("run", data, "--workspace", tmp_path / "m3.duckdb", "--out", tmp_path / "m3",
        "--as-of", "1998-06-30")
    assert "lifetime_value_net" not in pq.read_table(tmp_path / "m3" / "customers.parquet").schema.names


def test_abc_by_margin_without_margin_data_is_refused(tmp_path):
    data = tmp_path / "sales.csv"
    data.write_text("customer,date,amount\na,2024-01-01,10\nb,2024-01-02,20\n", encoding="utf-8")
    proc = cvm("run", data, "--workspace", tmp_path / "w.duckdb", "--out", tmp_path / "o",
               "--abc-measure", "margin", check=False)
    assert proc.returncode == 2
    assert "ABC by margin needs a margin or cost column" in proc.stderr
