"""Customer lifetime value commands: ``validate-clv`` and ``clv-scenario``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click
from rich.table import Table

from . import friendly_errors, main, note, output
from .spark_settings import spark_conf_option
from .analysis import _date


def _write_csv(frame, path: Path) -> None:
    # UTF-8 with a byte-order mark so that Excel shows Chinese text correctly; text cells that
    # a spreadsheet would run as formulas quoted
    from ..spreadsheet import formula_safe_frame

    formula_safe_frame(frame).to_csv(path, index=False, encoding="utf-8-sig")


@main.command("validate-clv")
@click.option("--calibration-end", callback=_date, metavar="YYYY-MM-DD",
              help="Last day of the calibration period the model is fitted on (required "
                   "unless --run gives it).")
@click.option("--holdout-end", callback=_date, metavar="YYYY-MM-DD",
              help="Last day of the holdout period [default: the last purchase date, or the "
                   "run's as-of date with --run].")
@click.option("--run", "run_id", type=click.IntRange(min=1), default=None,
              help="Check the model of this complete run and keep the figures with it (the "
                   "dashboard shows them): the holdout ends at the run's as-of date and, "
                   "unless --calibration-end is given, is the last quarter of its history "
                   "(at most 26 weeks).")
@click.option("--workspace", default="cvm.duckdb", show_default=True,
              help="Workspace with the loaded transactions.")
@click.option("--out", default="cvm-clv-validation", show_default=True,
              help="Folder for report.html and the CSV files.")
@click.option("--clv-model", type=click.Choice(["bgnbd", "paretonbd", "mbgnbd", "auto"]),
              default="auto", show_default=True, help="Purchase model to validate.")
@click.option("--time-unit", type=click.Choice(["week", "day", "month"]), default="week",
              show_default=True, help="Time unit the model is fitted in.")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of the report.")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb",
              show_default=True, help="Where the table computations run.")
@spark_conf_option
@friendly_errors
def validate_clv(calibration_end, holdout_end, run_id, workspace, out, clv_model, time_unit, lang,
                 engine):
    """Check the CLV purchase model against what customers did next.

    Fits the model on purchases up to --calibration-end, predicts each customer's repeat
    purchases up to --holdout-end and compares with the actual ones: totals, MAE, RMSE and
    bias per customer, the weekly and cumulative tracking plots and the conditional
    expectations by calibration frequency. Writes OUT/report.html, OUT/clv_validation.csv (per
    customer), OUT/clv_tracking.csv, OUT/clv_conditional.csv and OUT/summary.json, and keeps
    the figures in the workspace (table clv_validations; with --run, also as the run's model
    check, which the dashboard shows).
    """
    from ..insights.holdout import run_as_of, run_calibration_end, store_run_holdout
    from ..models.validation import store_validation
    from ..stages.clv import validate_workspace
    from ..reports.clv import render_validation_report
    from ..workspace import Workspace

    if calibration_end is None and run_id is None:
        raise click.UsageError("give --calibration-end, or --run to check a run's model")
    with Workspace(workspace, create=False) as ws:
        if run_id is not None:
            as_of = run_as_of(ws, run_id)
            holdout_end = holdout_end or as_of
            calibration_end = calibration_end or run_calibration_end(ws, as_of)
        validation = validate_workspace(ws, calibration_end=calibration_end,
                                        holdout_end=holdout_end, model=clv_model,
                                        time_unit=time_unit, engine=engine)
        vid = store_validation(ws, validation)
        if run_id is not None:
            store_run_holdout(ws, run_id, validation)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    created = dt.datetime.now().replace(microsecond=0).isoformat(sep=" ")
    (folder / "report.html").write_text(
        render_validation_report(validation, lang=lang, created=created), encoding="utf-8")
    _write_csv(validation.customers, folder / "clv_validation.csv")
    _write_csv(validation.tracking, folder / "clv_tracking.csv")
    _write_csv(validation.conditional, folder / "clv_conditional.csv")
    (folder / "summary.json").write_text(
        json.dumps({"validation_id": vid, **validation.summary()}, ensure_ascii=False, indent=2,
                   default=str), encoding="utf-8")
    m = validation.metrics
    model = validation.choice.as_dict()
    output.print(f"{model['title']} fitted on {m['customers']:,} customers up to "
                 f"{validation.calibration_end} (log-likelihood {model['log_likelihood']:,.1f}).")
    output.print(validation.choice.reason)
    table = Table(title=f"Holdout {validation.calibration_end} to {validation.holdout_end}",
                  title_justify="left")
    for col in ("figure", "value"):
        table.add_column(col, justify="left" if col == "figure" else "right")
    for label, value in (("actual repeat purchases", f"{m['actual_total']:,.0f}"),
                         ("predicted", f"{m['predicted_total']:,.1f}"),
                         ("total error", f"{m['total_error_share']:+.1%}"),
                         ("MAE per customer", f"{m['mae']:.3f}"),
                         ("RMSE per customer", f"{m['rmse']:.3f}"),
                         ("bias per customer", f"{m['bias']:+.3f}")):
        table.add_row(label, value)
    output.print(table)
    note(f"Report in [bold]{folder / 'report.html'}[/]; figures kept in the workspace as "
         f"validation {vid}.")


_SCENARIO_TEXT = {
    "en": {
        "title": "{name}: {years} years, discount rate {rate}, cash flows at the {timing} of each "
                 "year",
        "retention": ", yearly retention {retention}",
        "start": "start", "end": "end",
        "columns": ("year", "revenue", "profit", "discount factor", "present value",
                    "NPV to date"),
        "total": "total",
        "summary": "Undiscounted, years 1-{years}: revenue {revenue}, profit {profit}. "
                   "Discounted at {rate}: net present value of the profit {npv}.",
        "csv": "Yearly figures written to {path}",
    },
    "zh": {
        "title": "{name}：{years} 年，折现率 {rate}，现金流计于每年{timing}",
        "retention": "，年保留率 {retention}",
        "start": "年初", "end": "年末",
        "columns": ("年", "收入", "利润", "折现系数", "现值", "累计净现值"),
        "total": "合计",
        "summary": "不折现，第 1–{years} 年：收入 {revenue}，利润 {profit}。按 {rate} 折现："
                   "利润的净现值 {npv}。",
        "csv": "逐年数据已写入 {path}",
    },
}


@main.command("clv-scenario")
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the yearly figures as CSV.")
@click.option("--json", "as_json", is_flag=True,
              help='Print only {"revenue", "profit", "npv"}: undiscounted revenue and profit, '
                   "and the net present value of the profit.")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of the printed table.")
@friendly_errors
def clv_scenario(scenario, csv_path, as_json, lang):
    """Value a planned relationship year by year: revenue, profit and NPV.

    SCENARIO is a TOML file of recurring purchases, yearly services and referred purchases
    (see docs/clv-scenario.md and docs/clv-scenario-car-buyer.toml). Revenue and profit are
    totalled undiscounted; the NPV discounts the profit.
    """
    from ..models.scenario import evaluate_scenario, load_scenario

    result = evaluate_scenario(load_scenario(scenario))
    t = _SCENARIO_TEXT[lang]
    if as_json:
        click.echo(json.dumps(result.totals()))
    else:
        _print_scenario(result, t)
    if csv_path:
        import pyarrow as pa

        from ..results import write_table

        write_table(pa.Table.from_pylist(result.rows()), Path(csv_path))
        note(t["csv"].format(path=csv_path))


def _print_scenario(result, t: dict) -> None:
    sc = result.scenario
    cur = sc.currency
    rate = f"{sc.discount_rate:.1%}"
    title = t["title"].format(name=sc.name, years=sc.years, rate=rate, timing=t[sc.timing])
    if sc.retention < 1:
        title += t["retention"].format(retention=f"{sc.retention:.0%}")
    table = Table(title=title, title_justify="left")
    for col in t["columns"]:
        table.add_column(col, justify="right")
    for y in result.years:
        table.add_row(str(y.year), f"{cur}{y.revenue:,.0f}", f"{cur}{y.profit:,.0f}",
                      f"{y.discount_factor:.4f}", f"{cur}{y.present_value:,.0f}",
                      f"{cur}{y.cumulative_npv:,.0f}")
    table.add_row(t["total"], f"{cur}{result.revenue:,.0f}", f"{cur}{result.profit:,.0f}", "",
                  f"{cur}{result.npv:,.0f}", "", style="bold")
    output.print(table, markup=False)
    output.print(t["summary"].format(years=sc.years, revenue=f"{cur}{result.revenue:,.0f}",
                                     profit=f"{cur}{result.profit:,.0f}", rate=rate,
                                     npv=f"{cur}{result.npv:,.0f}"), markup=False)
