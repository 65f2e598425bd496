"""``cvm basket rules`` and ``cvm campaign uplift`` run as a user would."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CVM = [sys.executable, "-m", "cvm"]


def _cvm(*args):
    return subprocess.run([*CVM, *map(str, args)], capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, COLUMNS="160"))


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_basket_rules_from_a_basket_file(tmp_path):
    path = tmp_path / "baskets.txt"
    path.write_text("a, b, c\na,b\na ,c\nb,c\na,b,c,d\n", encoding="utf-8")
    out = tmp_path / "rules"
    proc = _cvm("basket", "rules", path, "--baskets", "--min-support", "0.4",
                "--min-confidence", "0.6", "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "9 rules from 5 baskets" in proc.stdout
    rows = _rows(out / "rules.csv")
    assert list(rows[0]) == ["antecedent", "consequent", "support", "confidence", "lift"]
    assert len(rows) == 9
    r = {(x["antecedent"], x["consequent"]): x for x in rows}
    assert float(r[("a & b", "c")]["confidence"]) == pytest.approx(2 / 3, abs=1e-6)
    assert float(r[("a", "b")]["lift"]) == pytest.approx(0.9375)
    assert not (out / "next_best_offers.csv").exists()


def test_basket_rules_from_transactions_with_offers(tmp_path):
    path = tmp_path / "sales.csv"
    lines = [("A", "o1", "tea", 10), ("A", "o1", "cake", 30), ("B", "o2", "tea", 10),
             ("B", "o2", "cake", 30), ("B", "o3", "tea", 12), ("B", "o3", "cup", 100),
             ("D", "o4", "cake", 30), ("C", "o5", "tea", 8)]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["customer_id", "date", "amount", "order_id", "product"])
        for c, o, p, a in lines:
            w.writerow([c, "2024-03-01", a, o, p])
    out = tmp_path / "basket"
    proc = _cvm("basket", "rules", path, "--min-support", "0.2", "--min-confidence", "0.5",
                "--margin-rate", "0.5", "--out", out)
    assert proc.returncode == 0, proc.stderr
    rules = {(x["antecedent"], x["consequent"]): x for x in _rules(out)}
    assert float(rules[("cake", "tea")]["confidence"]) == pytest.approx(2 / 3, abs=1e-6)
    offers = {o["customer_id"]: o for o in _rows(out / "next_best_offers.csv")}
    assert offers["C"]["next_best_offer"] == "cup"
    assert float(offers["C"]["expected_offer_value"]) == pytest.approx(10.0)
    assert offers["B"]["next_best_offer"] == ""
    # a file without products: one clear sentence, no traceback
    bare = tmp_path / "bare.csv"
    bare.write_text("customer_id,date,amount\nA,2024-03-01,10\n", encoding="utf-8")
    proc = _cvm("basket", "rules", bare, "--out", tmp_path / "bare")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "order id and a product" in proc.stderr


def _rules(out: Path) -> list[dict]:
    return _rows(out / "rules.csv")


def test_campaign_uplift_writes_scores_and_metrics(tmp_path):
    sys.path.insert(0, str(Path(__file__).parents[1] / "models"))
    from test_uplift import simulated_campaign

    frame, _ = simulated_campaign(2000, seed=4)
    path = tmp_path / "campaign.csv"
    frame.to_csv(path, index=False)
    now = tmp_path / "now.csv"
    simulated_campaign(500, seed=5)[0].drop(columns=["arm", "bought"]).to_csv(now, index=False)
    out = tmp_path / "uplift"
    proc = _cvm("campaign", "uplift", path, "--group-column", "arm", "--control", "holdout",
                "--outcome", "bought", "--id-column", "member", "--score", now, "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "Qini AUC" in proc.stdout and "(chosen)" in proc.stdout
    rows = _rows(out / "uplift_scores.csv")
    assert list(rows[0]) == ["id", "uplift", "treated", "outcome"]
    assert len(rows) == 600 and rows[0]["id"].startswith("C")
    by_id = frame.set_index("member")
    for r in rows[:50]:
        assert r["treated"] == ("1" if by_id.loc[r["id"], "arm"] == "mail" else "0")
        assert int(r["outcome"]) == by_id.loc[r["id"], "bought"]
    metrics = json.loads((out / "uplift_metrics.json").read_text(encoding="utf-8"))
    assert metrics["held_out"] == 600
    for m in metrics["models"].values():
        assert m["uplift_at_30"] > metrics["average_uplift"]
    assert sum(metrics["targets"].values()) == 500
    targets = _rows(out / "uplift_targets.csv")
    assert {t["uplift_segment"] for t in targets} <= {"persuadable", "sure_thing", "lost_cause",
                                                      "do_not_disturb"}
    curve = _rows(out / "qini_curve.csv")
    assert {c["model"] for c in curve} == {"two_model", "class_transformation", "perfect"}
    # without an id column: the 1-based data row number
    from cvm.models.uplift_evaluation import evaluate_uplift

    ev = evaluate_uplift(frame.drop(columns=["member"]), group_column="arm", control="holdout",
                         outcome="bought")
    for r in ev.scores.head(50).itertuples():
        assert r.outcome == frame["bought"].iloc[int(r.id) - 1]
        assert r.treated == (frame["arm"].iloc[int(r.id) - 1] == "mail")


def test_campaign_uplift_error_is_one_sentence(tmp_path):
    from click.testing import CliRunner

    from cvm.cli import main

    path = tmp_path / "campaign.csv"
    path.write_text("arm,bought,x\nmail,1,1\nholdout,0,2\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["campaign", "uplift", str(path), "--group-column", "arm",
                                       "--control", "nobody", "--outcome", "bought",
                                       "--out", str(tmp_path / "bad")])
    assert result.exit_code == 2
    assert "control value 'nobody'" in result.output and "Traceback" not in result.output


def test_a_campaign_too_small_leaves_the_run_without_an_uplift_model(tmp_path):
    import pyarrow as pa

    from cvm.stages.uplift import FEATURES, UpliftStage

    ids = [f"M{i}" for i in range(12)]
    customers = pa.table({"customer_id": ids, **{f: [float(i + 1) for i in range(12)]
                                                 for f in FEATURES}})
    path = tmp_path / "campaign.csv"
    path.write_text("id,arm,bought\n" + "".join(
        f"{c},{'mail' if i % 2 else 'none'},{int(i % 3 == 0)}\n" for i, c in enumerate(ids)),
        encoding="utf-8")
    stage = UpliftStage(path, group_column="arm", control="none", outcome="bought",
                        id_column="id")
    result = stage.finish(None, customers, None)
    assert result.customers is customers and result.tables == {}
    assert result.summary["status"] == "not_fitted"
    assert "at least 4 customers" in result.summary["reason"]
