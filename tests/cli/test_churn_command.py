"""``cvm churn validate`` on a real workspace (the CDNOW 1/10 sample), run as a user would."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import subprocess
import sys

CVM = [sys.executable, "-m", "cvm"]


def _cvm(*args):
    return subprocess.run([*CVM, *map(str, args)], capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, COLUMNS="160"))


def test_churn_validate_writes_scores_figures_and_pages(tmp_path, cdnow_sample_path):
    from cvm.ingest.load import load_transactions
    from cvm.workspace import Workspace

    path = tmp_path / "ws.duckdb"
    with Workspace(path) as ws:
        load_transactions(ws, cdnow_sample_path, as_of=dt.date(1998, 6, 30))
    out = tmp_path / "churn"
    proc = _cvm("churn", "validate", "--workspace", path, "--calibration-end", "1997-09-30",
                "--horizon-days", "273", "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "churn_risk (" in proc.stdout and "Pareto/NBD" in proc.stdout
    with open(out / "churn_scores.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2357
    assert list(rows[0]) == ["customer_id", "score_paretonbd", "score_bgnbd", "score_mbgnbd",
                             "score_recency", "score_gradient_boosting", "score_logistic",
                             "churn_risk", "churn_model", "churned_in_holdout"]
    assert {r["churned_in_holdout"] for r in rows} == {"0", "1"}
    assert all(0 <= float(r["churn_risk"]) <= 1 for r in rows)
    summary = json.loads((out / "churn-validation.json").read_text(encoding="utf-8"))
    churned = sum(r["churned_in_holdout"] == "1" for r in rows)
    assert summary["holdout_churn_rate"] == churned / 2357
    assert summary["chosen"] == rows[0]["churn_model"]
    for figures in summary["candidates"].values():
        assert set(figures["score"]) >= {"auc", "pr_auc", "lift_at_10", "brier", "ece"}
    assert len(summary["deciles"]["churn_risk"]) == 10
    assert summary["candidates"]["paretonbd"]["score"]["auc"] > 0.7
    en = (out / "churn-validation.html").read_text(encoding="utf-8")
    zh = (out / "churn-validation.zh.html").read_text(encoding="utf-8")
    assert "Churn risk validation" in en and "<svg" in en
    assert "流失风险验证" in zh and "校准" in zh


def test_churn_validate_says_when_the_holdout_runs_past_the_data(tmp_path, cdnow_sample_path):
    from cvm.ingest.load import load_transactions
    from cvm.workspace import Workspace

    path = tmp_path / "ws.duckdb"
    with Workspace(path) as ws:
        load_transactions(ws, cdnow_sample_path, as_of=dt.date(1998, 6, 30))
    proc = _cvm("churn", "validate", "--workspace", path, "--calibration-end", "1998-01-31",
                "--horizon-days", "273", "--out", tmp_path / "o")
    assert proc.returncode == 2
    assert "after the last purchase date 1998-06-30" in proc.stderr
