"""The churn stage in a demo run: every buyer scored, BG/NBD's P(alive) never the score, and
``cvm targets --winback`` ranked by win-back value (run as a user would)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import numpy as np
import pytest



@pytest.fixture(scope="module")
def demo(demo_run):
    result, folder = demo_run
    return result, folder / "ws.duckdb"


def _column(result, name):
    return np.array(result.customers.column(name).to_pylist(), dtype=float)


def test_every_buyer_has_a_churn_risk_in_0_1_and_prospects_none(demo):
    result, _ = demo
    buyer = ~np.isnan(_column(result, "frequency"))
    risk = _column(result, "churn_risk")
    assert buyer.sum() == result.info["n_customers"] and (~buyer).sum() > 0
    assert np.all((risk[buyer] >= 0) & (risk[buyer] <= 1))
    assert np.all(np.isnan(risk[~buyer]))
    churn = result.info["stages"]["churn"]
    assert churn["customers_scored"] == buyer.sum()
    assert churn["validation"]["status"] == "validated"
    assert 0.5 < churn["validation"]["churn_risk"]["auc"] <= 1
    assert sum(b["customers"] for b in churn["risk_distribution"]) == buyer.sum()


def test_bgnbd_probability_alive_is_never_the_churn_score(demo):
    result, _ = demo
    churn = result.info["stages"]["churn"]
    frequency = _column(result, "frequency")
    risk = _column(result, "churn_risk")
    alive = _column(result, "probability_alive")
    buyer = ~np.isnan(frequency)
    # BG/NBD's P(alive) is 1 for every one-time buyer, so 1 - P(alive) would call them all safe;
    # the churn risk of one-time buyers silent for more than twice the horizon is high
    silent_once = buyer & (frequency == 0) & (_column(result, "recency_days")
                                              > 2 * churn["horizon_days"])
    assert silent_once.sum() > 10
    assert risk[silent_once].mean() > 0.7
    assert not np.allclose(risk[buyer], 1 - alive[buyer], atol=1e-6)
    assert not np.allclose(risk[buyer], alive[buyer], atol=1e-6)


def test_targets_winback_lists_the_customers_by_winback_value(demo, tmp_path):
    result, ws = demo
    out = tmp_path / "winback.csv"
    proc = subprocess.run([sys.executable, "-m", "cvm", "targets", "--winback", "--top", "25",
                           "--workspace", str(ws), "--out", str(out)], capture_output=True,
                          text=True, timeout=300, env=dict(os.environ, COLUMNS="160"))
    assert proc.returncode == 0, proc.stderr
    with open(out, encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 25
    for c in ("winback_rank", "winback_value", "winback_probability", "value_after_return",
              "contact_cost", "churn_risk", "churn_reason"):
        assert c in rows[0], c
    values = [float(r["winback_value"]) for r in rows]
    assert values == sorted(values, reverse=True)
    assert [int(r["winback_rank"]) for r in rows][:1] == [1]
    stored_rows = {r["customer_id"]: r for r in result.customers.to_pylist()}
    for r in rows:
        assert float(r["churn_risk"]) >= 0.495  # two decimals in the file
        assert float(r["contact_cost"]) == 20.0
        s = stored_rows[r["customer_id"]]  # the file rounds money to cents
        assert s["winback_value"] == pytest.approx(
            s["winback_probability"] * s["value_after_return"] - 20.0, rel=1e-12)
        assert float(r["winback_value"]) == pytest.approx(s["winback_value"], abs=0.006)
    # the best of the whole run
    stored = _column(result, "winback_value")
    ranked = ~np.isnan(_column(result, "winback_rank"))
    assert values[0] == pytest.approx(stored[ranked].max(), abs=0.006)


@pytest.mark.parametrize("lang, said", [
    ("en", ("customers are churned or at risk (risk at least 0.5)",
            "Win-back value = P(returns) × value expected after return − contact cost")),
    ("zh", ("位客户已流失或有流失风险(风险不低于 0.5)", "赢回价值 = 回归概率 × 回归后预期价值 − 联系成本")),
])
def test_the_report_explains_the_winback_list(demo, tmp_path, lang, said):
    """The churn section's note says how many are at risk and how the win-back value is made,
    above the list whose column is headed by the value's name."""
    _, ws = demo
    out = tmp_path / f"report-{lang}.html"
    done = subprocess.run([sys.executable, "-m", "cvm", "report", "--workspace", str(ws),
                           "--lang", lang, "--out", str(out)], capture_output=True, text=True,
                          env={**os.environ})
    assert done.returncode == 0, done.stderr
    html = out.read_text(encoding="utf-8")
    for sentence in said:
        assert sentence in html
    # each listed customer's row names the action it is offered, as the results store it
    import re

    from cvm.vocabulary import action_label

    result, _ = demo
    ids = result.customers.column("customer_id").to_pylist()
    ranks = result.customers.column("winback_rank").to_pylist()
    actions = result.customers.column("recommended_action").to_pylist()
    header = {"en": "Recommended action", "zh": "建议行动"}[lang]
    table = next(t for t in re.findall(r"<table.*?</table>", html, re.DOTALL) if header in t)
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.DOTALL)[1:]
    assert len(rows) == 10
    listed = {i: a for i, r, a in zip(ids, ranks, actions) if r is not None and r <= 10}
    assert len(listed) == 10
    kinds = set()
    for row in rows:
        cells = [re.sub(r"<.*?>", "", c).strip() for c in re.findall(r"<td.*?</td>", row,
                                                                     re.DOTALL)]
        assert cells[6] == action_label(listed[cells[0]], lang)
        kinds.add(listed[cells[0]])
    assert kinds <= {"retain", "win_back", "service_recovery"}
