"""``cvm campaign uplift``: an uplift model from a past campaign's results."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.table import Table

from . import friendly_errors, note, output


def _read(path: str):
    import pandas as pd

    from ..models.uplift_evaluation import UpliftError

    try:
        return pd.read_csv(path, dtype=str, keep_default_na=True, encoding="utf-8-sig")
    except (ValueError, UnicodeDecodeError) as exc:
        raise UpliftError(f"{path} cannot be read as a CSV file: {exc}") from None


@click.command("uplift")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--group-column", required=True,
              help="The column naming each customer's group in the campaign.")
@click.option("--control", required=True,
              help="The group column's value of the control group (every other value is treated).")
@click.option("--outcome", required=True, help="The outcome column: 1 if the customer responded.")
@click.option("--id-column", default=None,
              help="The customer id column [default: rows are numbered from 1].")
@click.option("--test-share", type=click.FloatRange(0.05, 0.9), default=0.3, show_default=True,
              help="Share of the customers held out to measure the models on.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the split.")
@click.option("--score", "score_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Current customers (the campaign's feature columns) to score and sort into "
                   "uplift groups: writes OUT/uplift_targets.csv.")
@click.option("--min-uplift", type=click.FloatRange(0, 1), default=0.02, show_default=True,
              help="Least predicted uplift for a customer to count as persuadable.")
@click.option("--out", default="cvm-uplift", show_default=True,
              help="Folder for uplift_scores.csv, uplift_metrics.json and qini_curve.csv.")
@friendly_errors
def uplift(file, group_column, control, outcome, id_column, test_share, seed, score_file,
           min_uplift, out):
    """Fit uplift models (two-model, class transformation) on a past campaign and measure them
    on a held-out part: Qini curve, Qini AUC and uplift@k.

    Every column besides the group, the outcome and the id is a feature. Writes
    OUT/uplift_scores.csv (held-out customers: id, uplift, treated, outcome),
    OUT/uplift_metrics.json and OUT/qini_curve.csv; with --score, OUT/uplift_targets.csv: the
    current customers with their uplift and group — target the persuadable, skip the sure
    things, the lost causes and the do-not-disturbs.
    """
    import pandas as pd

    from ..models.uplift_evaluation import evaluate_uplift, score_customers

    frame = _read(file)
    ev = evaluate_uplift(frame, group_column=group_column, control=control, outcome=outcome,
                         id_column=id_column, test_share=test_share, seed=seed)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    ev.scores.to_csv(folder / "uplift_scores.csv", index=False, float_format="%.6g")
    curve_rows = [pd.DataFrame({"model": name, "customers": x.astype(int), "qini": q})
                  for name, (x, q) in ev.curves.items()]
    pd.concat(curve_rows).to_csv(folder / "qini_curve.csv", index=False, float_format="%.6g")
    written = [folder / "uplift_scores.csv", folder / "uplift_metrics.json",
               folder / "qini_curve.csv"]
    summary = dict(ev.summary)
    if score_file:
        targets = score_customers(ev, _read(score_file), id_column=id_column,
                                  min_uplift=min_uplift)
        targets.to_csv(folder / "uplift_targets.csv", index=False, float_format="%.6g")
        written.append(folder / "uplift_targets.csv")
        summary["targets"] = {s: int(n) for s, n in
                              targets["uplift_segment"].value_counts().sort_index().items()}
    (folder / "uplift_metrics.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    s = ev.summary
    table = Table(title=f"Uplift on {s['held_out']:,} held-out customers (average effect "
                        f"{s['average_uplift']:+.3f}: random targeting)", title_justify="left")
    for col in ("model", "Qini AUC", "uplift@10%", "uplift@30%", "uplift@50%"):
        table.add_column(col, justify="left" if col == "model" else "right")
    for name, m in s["models"].items():
        table.add_row(m["title"] + (" (chosen)" if name == s["chosen"] else ""),
                      f"{m['qini_auc']:.3f}", f"{m['uplift_at_10']:+.3f}",
                      f"{m['uplift_at_30']:+.3f}", f"{m['uplift_at_50']:+.3f}")
    output.print(table)
    if "targets" in summary:
        output.print("Current customers: " + ", ".join(
            f"{n:,} {g.replace('_', ' ')}" for g, n in summary["targets"].items()))
    note("Written: " + ", ".join(f"[bold]{p}[/]" for p in written) + ".")
