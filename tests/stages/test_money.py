"""Purchase logs without amounts: they load (amounts stored as missing), and a run computes
what needs no money — R and F, segments, lifecycle, the purchase model, churn risk — leaves
every money column empty (never zero) and says so in the CLI and the report, in English and
Chinese. The purchase model's parameters are those of the same log with amounts: BG/NBD reads
only the purchase days."""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pyarrow.compute as pc
import pytest

from cvm.config import AnalysisConfig, CLVOptions
from cvm.features.rfm_schemes import load_scheme
from cvm.ingest.load import load_transactions
from cvm.pipeline import analyse
from cvm.stages import CLVStage, FeatureStage
from cvm.stages.money import MONEY_COLUMNS, money_note, rf_segments
from cvm.workspace import Workspace

AS_OF = dt.date(1998, 6, 30)
REPO = Path(__file__).resolve().parents[2]

# 14 customers over 18 months: regular, lapsed, once-only and bursty buyers
_VISITS = {
    "A": ["1997-01-03", "1997-02-10", "1997-04-01", "1997-06-15", "1997-09-01", "1997-12-20",
          "1998-03-01", "1998-06-01"],
    "B": ["1997-01-05", "1997-01-20"],
    "C": ["1997-02-01"],
    "D": ["1997-03-03", "1997-05-05", "1997-07-07", "1997-09-09", "1997-11-11", "1998-01-13",
          "1998-03-15", "1998-05-17"],
    "E": ["1997-06-01", "1998-06-20"],
    "F": ["1998-05-01", "1998-05-02", "1998-05-20"],
    "G": ["1997-01-15", "1997-03-15", "1997-05-15"],
    "H": ["1997-08-08"],
    "I": ["1997-10-10", "1998-02-02", "1998-06-06"],
    "J": ["1997-01-01", "1997-01-02", "1997-01-03", "1997-01-04"],
    "K": ["1998-01-20", "1998-04-20"],
    "L": ["1997-04-04", "1997-10-04", "1998-04-04"],
    "M": ["1997-12-01"],
    "N": ["1997-02-14", "1997-08-14", "1998-02-14", "1998-06-14"],
}


def _write(folder: Path, *, amounts: bool) -> Path:
    path = folder / ("with_amounts.csv" if amounts else "visits.csv")
    lines = ["customer_id,date,amount" if amounts else "customer_id,date"]
    for i, (cid, days) in enumerate(_VISITS.items()):
        for j, day in enumerate(days):
            lines.append(f"{cid},{day},{10 + 3 * i + j}.50" if amounts else f"{cid},{day}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_r_and_f_segments_follow_the_scheme():
    pairs = rf_segments(load_scheme("std11"))
    # R 5, F 5: champions own M 4-5 (2 cells), loyal M 1-3 (3 cells)
    assert pairs["55"] == "loyal" and pairs["11"] == "lost"
    assert set(pairs) == {r + f for r in "12345" for f in "12345"}
    cn8 = rf_segments(load_scheme("cn8"))
    assert len(cn8) == 4 and all(v for v in cn8.values())
    assert money_note(2, 5, "zh").startswith("5 笔购买中有 2 笔没有金额")
    assert sum(len(v) for v in _VISITS.values()) == 45


@pytest.fixture(scope="module")
def bare_run(tmp_path_factory):
    """The README's command (section "Purchase logs without amounts") run as written on the
    hand-made log without amounts, saved as ``visits.csv``."""
    folder = tmp_path_factory.mktemp("visits")
    _write(folder, amounts=False).rename(folder / "visits.csv")
    section = (REPO / "README.md").read_text(encoding="utf-8").split(
        "### Purchase logs without amounts", 1)[1].split("\n### ", 1)[0]
    [command] = [re.sub(r"\s+#.*$", "", line.strip()) for line in section.splitlines()
                 if line.strip().startswith("cvm ")]
    assert command == "cvm run visits.csv --as-of 1998-06-30 --out results"
    done = subprocess.run([sys.executable, "-m", *shlex.split(command)], cwd=folder,
                          capture_output=True, text=True, env=_ENV, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    return folder, done.stdout


_ENV = {**os.environ, "PYTHONPATH": str(REPO / "src")}


def test_a_log_without_amounts_runs_without_money(bare_run):
    folder, _ = bare_run
    with Workspace(folder / "cvm.duckdb") as ws:
        assert ws.query("SELECT count(*), count(amount) FROM transactions")[0] == (45, 0)
        assert "amount: no amount column" in ws.query("SELECT columns FROM files")[0][0]
        run_id = ws.query("SELECT max(run_id) FROM runs")[0][0]
        customers = ws.con.execute(
            f'SELECT * FROM "{Workspace.run_table(run_id, "customers")}"').to_arrow_table()
        info = json.loads(ws.query("SELECT summary FROM runs")[0][0])["info"]
        matrix = ws.con.execute(
            f'SELECT * FROM "{Workspace.run_table(run_id, "matrix")}"').to_arrow_table()
    buyers = customers.filter(pc.is_valid(customers.column("first_purchase")))
    assert buyers.num_rows == 14
    # every customer has a segment, R and F scores and a two-digit cell; no M score
    assert buyers.column("rfm_segment").null_count == 0
    assert all(len(c) == 2 for c in buyers.column("rfm_cell").to_pylist())
    assert buyers.column("r_score").null_count == buyers.column("f_score").null_count == 0
    # no money column holds a value, zero or otherwise
    present = [c for c in MONEY_COLUMNS if c in customers.column_names]
    assert {"monetary_total", "m_score", "clv", "abc_class", "winback_value",
            "repeat_monetary_avg", "current_value", "spend_last_period"} <= set(present)
    for name in present:
        assert customers.column(name).null_count == customers.num_rows, name
    # what needs no money is there: the purchase model, lifecycle, churn, the matrix
    for name in ("probability_alive", "expected_purchases_365d", "churn_risk",
                 "lifecycle_stage", "value_quadrant", "matrix_cell"):
        assert buyers.column(name).null_count == 0, name
    assert info["total_value"] is None
    assert info["amounts"]["missing"] == info["amounts"]["transactions"] == 45
    assert info["stages"]["clv"]["spend_model"]["status"] == "skipped"
    assert info["stages"]["clv"]["clv_total"] is None
    assert info["stages"]["churn"]["winback_value_total"] is None
    for name in ("value", "value_share", "avg_clv", "expected_gain_per_customer"):
        assert matrix.column(name).null_count == matrix.num_rows, name
    for row in info["stages"]["lifecycle"]["economics"]:  # purchases are not revenue
        assert row["revenue"] is None and row["revenue_last_period"] is None, row
    segments = (folder / "results" / "segments.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(segments) == 1 + len(load_scheme("std11").segments)


def test_the_notes_in_both_languages(bare_run):
    folder, stdout = bare_run
    note = money_note(45, 45, "en")
    assert note in stdout and "total value" not in stdout
    assert note in html.unescape((folder / "results" / "report.html").read_text(encoding="utf-8"))
    chinese = subprocess.run(
        [sys.executable, "-m", "cvm", "report", "--workspace", str(folder / "cvm.duckdb"),
         "--lang", "zh", "--out", str(folder / "zh.html")], capture_output=True, text=True,
        env=_ENV, timeout=600, check=False)
    assert chinese.returncode == 0, chinese.stderr
    assert money_note(45, 45, "zh") in (folder / "zh.html").read_text(encoding="utf-8")


def _fit(path: Path, folder: Path):
    """The features and the purchase model (BG/NBD) of a log, as a run computes them."""
    with Workspace(folder / (path.stem + ".duckdb")) as ws:
        load_transactions(ws, path, as_of=AS_OF)
        return analyse(ws, AnalysisConfig(as_of=AS_OF, clv=CLVOptions(model="bgnbd")),
                       stages=[FeatureStage(), CLVStage()])


def test_the_purchase_model_is_the_one_of_the_log_with_amounts(tmp_path):
    priced = _fit(_write(tmp_path, amounts=True), tmp_path)
    bare = _fit(_write(tmp_path, amounts=False), tmp_path)
    a, b = priced.info["stages"]["clv"]["model"], bare.info["stages"]["clv"]["model"]
    assert a["model"] == b["model"] == "bgnbd"
    # the same (x, t_x, T), though the rows come in another order (ranked by value with
    # amounts, by purchases without): the fit reads them in one order, so to the last bit
    assert a["params"] == b["params"]
    for name in ("r_score", "f_score", "recency_days", "frequency", "probability_alive",
                 "expected_purchases_365d"):
        assert _by_customer(priced, name) == _by_customer(bare, name), name
    assert priced.customers.column("m_score").null_count == 0
    assert bare.customers.column("m_score").null_count == 14


def _by_customer(result, name: str) -> dict:
    t = result.customers
    return dict(zip(t.column("customer_id").to_pylist(), t.column(name).to_pylist()))


def _cdnow_csv(master: Path, folder: Path, *, amounts: bool) -> Path:
    """CDNOW master as CSV: customer, date (and amount); the number of CDs left out."""
    path = folder / ("cdnow_amounts.csv" if amounts else "cdnow_visits.csv")
    out = ["customer_id,date,amount" if amounts else "customer_id,date"]
    with master.open(encoding="utf-8") as f:
        next(f)
        for line in f:
            cid, date, _cds, dollars = line.split()
            out.append(f"{cid},{date},{dollars}" if amounts else f"{cid},{date}")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def test_cdnow_without_its_amounts_fits_the_same_purchase_model(cdnow_master_path, tmp_path):
    priced = _fit(_cdnow_csv(cdnow_master_path, tmp_path, amounts=True), tmp_path)
    bare = _fit(_cdnow_csv(cdnow_master_path, tmp_path, amounts=False), tmp_path)
    assert [r.rows_loaded for r in (*priced.loads, *bare.loads)] in ([], [69_659, 69_659])
    assert priced.info["stages"]["clv"]["model"]["params"] == \
        bare.info["stages"]["clv"]["model"]["params"]
    customers = bare.customers
    assert customers.num_rows == 23_570
    assert customers.column("rfm_segment").null_count == 0
    for name in ("monetary_total", "m_score", "clv", "abc_class", "potential_value",
                 "expected_average_spend"):
        assert customers.column(name).null_count == 23_570, name
    assert customers.column("expected_purchases_365d").null_count == 0


def test_mean_split_segments_from_r_and_f_leave_prospects_without_one():
    import pyarrow as pa

    from cvm.stages.money import without_money

    scheme = load_scheme("cn8")
    table = pa.table({"customer_id": ["a", "b", "c", "p"], "r_score": [5, 1, 4, None],
                      "f_score": [5, 1, 1, None], "m_score": [3, 3, 3, None],
                      "rfm_cell": ["553", "113", "413", None], "rfm_score": [4.3, 1.7, 2.7, None],
                      "rfm_segment": ["x", "y", "z", None], "rfm_segment_label": ["x", "y", "z", None],
                      "monetary_total": [5.0, 1.0, 2.0, None]})
    out = without_money(table, scheme, {}, (1.0, 1.0, 1.0))
    pairs = rf_segments(scheme)
    # means over the buyers: R 10/3, F 7/3 — a is HH, b LL, c HL; the prospect has none
    assert out.column("rfm_segment").to_pylist() == [pairs["HH"], pairs["LL"], pairs["HL"], None]
    assert out.column("rfm_cell").to_pylist() == ["55", "11", "41", None]
    assert out.column("rfm_score").to_pylist() == [5.0, 1.0, 2.5, None]
    assert out.column("m_score").null_count == out.column("monetary_total").null_count == 4
