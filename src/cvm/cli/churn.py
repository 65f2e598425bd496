"""Churn commands: ``cvm churn validate``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click
from rich.table import Table

from . import friendly_errors, main, note, output
from .spark_settings import spark_conf_option
from .analysis import _date


@main.group("churn")
def churn() -> None:
    """Churn risk: the probability of no purchase in the next H days, checked on a holdout."""


@churn.command("validate")
@click.option("--workspace", default="cvm.duckdb", show_default=True,
              help="Workspace with the loaded transactions.")
@click.option("--calibration-end", required=True, callback=_date, metavar="YYYY-MM-DD",
              help="Last day of the data the candidates are fitted on.")
@click.option("--horizon-days", type=click.IntRange(min=1), default=None,
              help="H: churn is no purchase in the next H days, and the holdout is that long "
                   "[default: from the data's purchase cycle].")
@click.option("--out", default="cvm-churn-validation", show_default=True,
              help="Folder for churn_scores.csv, churn-validation.json and the HTML pages.")
@click.option("--calibration", type=click.Choice(["auto", "isotonic", "platt"]), default="auto",
              show_default=True, help="How the scores are calibrated: auto takes, for each "
              "candidate, isotonic or Platt, whichever has the lower held-out log loss.")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb",
              show_default=True, help="Where the table computations run.")
@spark_conf_option
@friendly_errors
def validate(workspace, calibration_end, horizon_days, out, calibration, engine):
    """Fit every churn candidate on the data up to --calibration-end and compare with what
    customers did in the next H days.

    Candidates: each purchase model's P(no purchase in H) (Pareto/NBD, BG/NBD, MBG/NBD), a
    recency rule, gradient boosting and logistic regression on behaviour features (trained on
    features at an earlier cut-off and the purchases up to the calibration end). Writes
    OUT/churn_scores.csv, OUT/churn-validation.json and OUT/churn-validation.html (English)
    and OUT/churn-validation.zh.html (Chinese).
    """
    from ..stages.churn import validate_churn_workspace
    from ..reports.churn import render_churn_report
    from ..workspace import Workspace

    with Workspace(workspace, create=False) as ws:
        validation = validate_churn_workspace(ws, calibration_end=calibration_end,
                                              horizon_days=horizon_days, engine=engine,
                                              calibration=calibration)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    names = validation.candidates
    columns = (["customer_id"] + [f"score_{c}" for c in names]
               + ["churn_risk", "churn_model", "churned_in_holdout"])
    validation.scores[columns].to_csv(folder / "churn_scores.csv", index=False,
                                      float_format="%.6g")
    summary = validation.summary()
    (folder / "churn-validation.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    created = dt.datetime.now().replace(microsecond=0).isoformat(sep=" ")
    for lang, name in (("en", "churn-validation.html"), ("zh", "churn-validation.zh.html")):
        (folder / name).write_text(render_churn_report(validation, lang=lang, created=created),
                                   encoding="utf-8")
    table = Table(title=f"Churn in the {summary['horizon_days']} days after "
                        f"{summary['calibration_end']}: {summary['holdout_churn_rate']:.1%} "
                        f"of {summary['customers']:,} customers", title_justify="left")
    for col in ("candidate", "AUC", "PR-AUC", "lift@10%", "Brier", "ECE", "ECE calibrated"):
        table.add_column(col, justify="left" if col == "candidate" else "right")
    for name, m in summary["candidates"].items():
        s, c = m["score"], m["calibrated"]
        table.add_row(m["title"] + (" (chosen)" if name == summary["chosen"] else ""),
                      f"{s['auc']:.3f}", f"{s['pr_auc']:.3f}", f"{s['lift_at_10']:.2f}",
                      f"{s['brier']:.3f}", f"{s['ece']:.3f}", f"{c['ece']:.3f}")
    output.print(table)
    r = summary["churn_risk"]
    output.print(f"churn_risk ({summary['chosen_title']}, calibrated): AUC {r['auc']:.3f}, "
                 f"PR-AUC {r['pr_auc']:.3f}, Brier {r['brier']:.3f}, ECE {r['ece']:.3f}.")
    output.print(summary["reason"])
    check = summary.get("complaint_features") or {}
    if check.get("used"):
        output.print("With the service log's complaints as features, holdout AUC with / without: "
                     + "; ".join(f"{v['title']} {v['auc_with']:.3f} / {v['auc_without']:.3f}"
                                 for v in check["auc"].values()) + ".")
    check = summary.get("survey_features") or {}
    if check.get("used"):
        output.print(f"With the survey's answers as features ({', '.join(check['features'])}), "
                     "holdout AUC with / without: "
                     + "; ".join(f"{v['title']} {v['auc_with']:.3f} / {v['auc_without']:.3f}"
                                 for v in check["auc"].values()) + ".")
    note(f"Scores in [bold]{folder / 'churn_scores.csv'}[/], figures in "
         f"[bold]{folder / 'churn-validation.json'}[/], page in "
         f"[bold]{folder / 'churn-validation.html'}[/].")
