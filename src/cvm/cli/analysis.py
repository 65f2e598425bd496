"""Commands that load data and analyse it: ``demo``, ``run``, ``compare``, ``schemes``, ``runs``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import console, friendly_errors, main, note, output, quiet
from .spark_settings import spark_conf_option
from .segment_options import segment_options, with_segment_options
from .summary import print_run_summary, run_document, warn_about_loads


def _date(ctx, param, value):
    if value is None:
        return None
    if isinstance(value, tuple):
        return tuple(_date(ctx, param, v) for v in value)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date as YYYY-MM-DD") from None


def _thresholds(ctx, param, value):
    if value is None:
        return None
    try:
        a, b = (float(x) for x in value.split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r}: give two shares like 0.7,0.9") from None
    return (a, b)


def _analysis_options(func):
    options = [
        click.option("--as-of", "as_of", callback=_date, metavar="YYYY-MM-DD",
                     help="Date the analysis looks back from [default: the last purchase date]."),
        click.option("--window-days", type=click.IntRange(min=1), default=None,
                     help="Only count purchases in this many days up to the as-of date "
                          "[default: all history]."),
        click.option("--rfm-scheme", default="std11", show_default=True,
                     help="Segment scheme: std11, seed4, cn8, or a scheme file (TOML/YAML)."),
        click.option("--monetary", type=click.Choice(["total", "avg"]), default="total",
                     show_default=True, help="M measure: total spend or average per purchase day."),
        click.option("--abc-basis", type=click.Choice(["value", "customers"]), default="value",
                     show_default=True,
                     help="Cut ABC classes by cumulative share of value or of customers."),
        click.option("--abc-thresholds", callback=_thresholds, metavar="A,B",
                     help="Cumulative cut-offs [default: 0.7,0.9 for value; 0.2,0.5 for customers]."),
        click.option("--abc-measure", type=click.Choice(["revenue", "margin"]), default="revenue",
                     show_default=True,
                     help="Rank ABC classes and the Pareto figures by revenue or by margin "
                          "(profit; needs a margin or cost column)."),
        click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
                     help="Language of labels and the report."),
        click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb",
                     show_default=True,
                     help="Where computations run (spark needs: pip install 'cvm[spark]')."),
        *_clv_options(),
    ]
    for option in reversed(options):
        func = option(func)
    return spark_conf_option(func)


def _clv_options():
    """Options of the customer value columns (see docs/clv.md)."""
    return [
        click.option("--clv-model", type=click.Choice(["bgnbd", "paretonbd", "mbgnbd", "auto"]),
                     default="auto", show_default=True,
                     help="Purchase model for CLV; auto fits all three and keeps the lowest BIC."),
        click.option("--clv-horizon-days", type=click.IntRange(min=1), default=365,
                     show_default=True, help="Horizon of expected purchases and potential value."),
        click.option("--discount-rate", type=click.FloatRange(min=0), default=0.10,
                     show_default=True, help="Annual discount rate of future margin."),
        click.option("--margin-rate", type=click.FloatRange(0, 1), default=None,
                     help="Share of spend that is margin where the data have no margin or cost "
                          "[default: count the whole amount]."),
        click.option("--service-cost", type=click.FloatRange(min=0), default=0.0,
                     show_default=True, help="Known cost of serving one purchase, netted off CLV."),
        click.option("--acquisition-cost", type=click.FloatRange(min=0), default=0.0,
                     show_default=True,
                     help="Cost of acquiring one customer: netted off lifetime value "
                          "(lifetime_value_net) and booked to the stage of the first purchase."),
        click.option("--time-unit", type=click.Choice(["day", "week", "month"]), default="week",
                     show_default=True,
                     help="Time unit the purchase models are fitted in; discounting steps by it."),
        click.option("--compounding-rate", type=click.FloatRange(min=0), default=0.0,
                     show_default=True,
                     help="Annual rate at which past margin is carried to the as-of date in "
                          "historical value."),
        click.option("--current-period-days", type=click.IntRange(min=1), default=365,
                     show_default=True,
                     help="Current value is the margin of this many days up to the as-of date."),
    ]


def _clv_config(clv_model="auto", clv_horizon_days=365, discount_rate=0.10, margin_rate=None,
                service_cost=0.0, acquisition_cost=0.0, time_unit="week", compounding_rate=0.0,
                current_period_days=365):
    from ..config import CLVOptions

    return CLVOptions(model=clv_model, horizon_days=clv_horizon_days, discount_rate=discount_rate,
                      margin_rate=margin_rate, service_cost=service_cost,
                      acquisition_cost=acquisition_cost, time_unit=time_unit,
                      compounding_rate=compounding_rate, current_period_days=current_period_days)


def _config(as_of, window_days, rfm_scheme, monetary, abc_basis, abc_thresholds, lang, clv=None,
            abc_measure="revenue"):
    from ..config import ABCOptions, AnalysisConfig, CLVOptions, RFMOptions

    return AnalysisConfig(
        as_of=as_of, window_days=window_days, lang=lang,
        rfm=RFMOptions(scheme=rfm_scheme, monetary=monetary),
        abc=ABCOptions(basis=abc_basis, thresholds=abc_thresholds, measure=abc_measure),
        clv=clv or CLVOptions(),
    )


class _Steps:
    """Progress on standard error: on a terminal one line with a spinner, a bar and elapsed
    time; otherwise (a log file, a pipe) one plain line per step; nothing under --quiet."""

    def __init__(self, total: int):
        self.live = console.is_terminal and not quiet()
        self.total = total
        self.done = 0
        if self.live:
            self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                     BarColumn(), TextColumn("{task.completed}/{task.total}"),
                                     TimeElapsedColumn(), console=console, transient=False)
            self.task = self.progress.add_task("starting", total=total)

    def __enter__(self):
        if self.live:
            self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        if not self.live:
            return
        if exc[0] is None:
            self.progress.update(self.task, description="done",
                                 completed=self.progress.tasks[0].total)
        self.progress.__exit__(*exc)

    def __call__(self, message: str) -> None:
        self.done += 1
        if self.live:
            self.progress.update(self.task, description=message, advance=1)
        elif not quiet():
            console.print(f"[{min(self.done, self.total)}/{self.total}] {message}",
                          markup=False, soft_wrap=True)


def _analysis_steps() -> int:
    """Progress steps of an analysis: each stage, the segments, the results."""
    from ..stages import run_stages

    return 2 + len(run_stages())


@main.command()
@click.argument("transactions", nargs=-1, required=True)
@click.option("--customers", "customer_files", multiple=True, metavar="FILE",
              help="A customer list (names, contacts, sign-up dates); repeatable.")
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Mapping file (TOML) naming which column is which field; used exactly.")
@click.option("--workspace", default="cvm.duckdb", show_default=True,
              help="Workspace file that keeps loaded data and results between runs.")
@click.option("--out", default="cvm-results", show_default=True, help="Results folder.")
@click.option("--refunds", is_flag=True, help="Negative amounts are refunds that net off.")
@click.option("--dayfirst", is_flag=True,
              help="Read 05/03/2024 as 5 March in a date column where no value decides the "
                   "order (25/03/2024 decides day first, 03/25/2024 month first).")
@click.option("--keep-duplicates", is_flag=True,
              help="Keep repeated order lines and rows already loaded [default: rejected; "
                   "identical rows without an order id are always kept].")
@click.option("--table", default=None,
              help="Table to read when TRANSACTIONS is a postgresql:// connection string.")
@click.option("--source", default=None,
              help="Source system the customer ids belong to [default: 'default'].")
@click.option("--uplift-campaign", default=None, metavar="NAME",
              help="Also fit an uplift model on campaign NAME of the workspace (its arms and "
                   "who bought in its window) and score every buyer: target the persuadable.")
@_analysis_options
@segment_options
@click.option("--json", "as_json", is_flag=True,
              help="Print the run summary as one JSON document on standard output.")
@friendly_errors
def run(transactions, customer_files, mapping, workspace, out, refunds, dayfirst,
        keep_duplicates, table, source, uplift_campaign, as_of, window_days, rfm_scheme,
        monetary, abc_basis, abc_thresholds, lang, engine, abc_measure="revenue", segments=None,
        as_json=False, **clv_args):
    """Load TRANSACTIONS (files or a postgresql:// table) and analyse them.

    TRANSACTIONS can be CSV, TSV or whitespace-separated text, Parquet, Excel (.xlsx) or JSON
    lines, or a PostgreSQL connection string such as
    postgresql://user:password@localhost/shop?table=sales. Without --mapping, columns are
    guessed from common names (customer/客户/会员, date/日期/时间, amount/金额/sales …) and the
    guess is printed.

    Every row read is either loaded or listed in rejects.csv with its file, row, field and
    reason. Loading the same file again adds nothing.

    The summary goes to standard output (with --json as one JSON document); progress and
    warnings (rejected rows) to standard error.
    """
    from dataclasses import replace

    from ..config import IngestOptions, load_mapping
    from ..pipeline import run as run_pipeline

    config = _config(as_of, window_days, rfm_scheme, monetary, abc_basis, abc_thresholds, lang,
                     clv=_clv_config(**clv_args), abc_measure=abc_measure)
    config = with_segment_options(config, segments)
    mapping_obj = load_mapping(mapping) if mapping else None
    options = mapping_obj.options if mapping_obj else IngestOptions()
    overrides = {k: v for k, v in (("allow_refunds", refunds or None), ("dayfirst", dayfirst or None),
                                   ("keep_duplicates", keep_duplicates or None), ("table", table),
                                   ("source", source)) if v is not None}
    options = replace(options, **overrides)
    stages = _uplift_stages(workspace, uplift_campaign) if uplift_campaign else None
    steps_total = len(transactions) + len(customer_files) + _analysis_steps() + bool(stages)
    with _Steps(total=steps_total) as steps:
        result = run_pipeline(list(transactions), customers=list(customer_files),
                              workspace=workspace, out=out, mapping=mapping_obj, options=options,
                              config=config, engine=engine, progress=steps, stages=stages)
    _print_summary(result, Path(out), workspace, lang, as_json)
    note("Export a cell's customers with [bold]cvm targets CELL --out FILE[/]; see what got "
         "worse since the last run with [bold]cvm alerts[/].")


def _uplift_stages(workspace: str, name: str) -> list:
    """The default stages, then the uplift stage learning from campaign ``name``, which the
    workspace must hold already (checked before anything is loaded)."""
    from ..campaigns.design import CampaignError, get_campaign
    from ..stages import run_stages
    from ..stages.uplift import UpliftStage
    from ..workspace import Workspace

    if not Path(workspace).exists():
        raise CampaignError(f"there is no campaign {name!r}: the workspace {workspace} does "
                            "not exist yet (create the campaign with cvm campaign create)")
    with Workspace(workspace, read_only=True) as ws:
        get_campaign(ws, name)
    return [*run_stages(), UpliftStage.from_campaign(name)]


def _print_summary(result, out: Path, workspace, lang: str, as_json: bool) -> None:
    warn_about_loads(result, out, lang)
    if as_json:
        click.echo(json.dumps(run_document(result, out, workspace), ensure_ascii=False, indent=2))
    else:
        print_run_summary(result, out, lang)


@main.command()
@click.option("--out", default="cvm-demo", show_default=True, help="Results folder.")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of labels and the report.")
@click.option("--customers", "n_customers", type=click.IntRange(min=50), default=3000,
              show_default=True, help="How many demo customers to generate.")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb",
              show_default=True, help="Where computations run.")
@spark_conf_option
@click.option("--json", "as_json", is_flag=True,
              help="Print the run summary as one JSON document on standard output.")
@friendly_errors
def demo(out, lang, n_customers, engine, as_json):
    """Analyse built-in demo data (a fictional tea-shop chain) end to end.

    Writes the demo's input files, a workspace and the results folder (with report.html)
    into OUT, so you can see every output before using your own data.
    """
    from ..config import AnalysisConfig
    from ..campaigns.demo_campaign import DEMO_CAMPAIGN
    from ..demo import DEMO_AS_OF, service_log_path, write_demo_data, write_demo_members
    from ..demo_orders import demo_stages
    from ..ingest.load import load_customers, load_transactions
    from ..ingest.members import load_member_payments
    from ..interactions import load_interactions
    from ..pipeline import analyse
    from ..satisfaction.demo import write_demo_survey, write_demo_survey_model
    from ..satisfaction.survey import load_survey
    from ..satisfaction.survey_model import store_survey_model
    from ..workspace import Workspace

    out = Path(out)
    data = out / "data"
    tx, cust = write_demo_data(data, customers=n_customers)
    # products of each receipt, a past campaign and a survey: files of their own, drawn after
    # the rest
    stages = demo_stages(data, tx)
    survey, definition = write_demo_survey(data, tx)
    survey_model = write_demo_survey_model(data)
    log = service_log_path(data)
    members = write_demo_members(data)
    ws_path = out / "demo.duckdb"
    if ws_path.exists():
        ws_path.unlink()
    note(f"Demo data written to {data}")
    config = AnalysisConfig(as_of=DEMO_AS_OF, lang=lang)
    with _Steps(total=4 + len(stages) + 2) as steps, Workspace(ws_path) as ws:
        load_member_payments(ws, members)  # the tea club's payments: the members' cohorts
        steps(f"loading customers {cust}")
        loads = [load_customers(ws, cust)]
        steps(f"loading {tx}")
        loads.append(load_transactions(ws, tx, as_of=config.as_of))
        steps(f"loading contacts {log}")
        loads.append(load_interactions(ws, log, as_of=config.as_of))
        steps(f"loading survey {survey}")
        load_survey(ws, survey, definition=definition)  # after them: their file ids stay 1-3
        store_survey_model(ws, survey_model)  # the survey's structural model: runs fit it
        result = analyse(ws, config, engine=engine, progress=steps, out=out / "results",
                         loads=loads, stages=stages)
    _add_demo_campaign(result, ws_path, data, out / "results", lang)
    _print_summary(result, out / "results", ws_path, lang, as_json)
    note(f"Open [bold]{out / 'results' / 'report.html'}[/] in a browser.")
    note(f"The demo's campaign: [bold]cvm campaign results {DEMO_CAMPAIGN} --workspace "
         f"{ws_path}[/].")


def _add_demo_campaign(result, ws_path: Path, data: Path, results: Path, lang: str) -> None:
    """The demo's past campaign (its own random stream: the demo's figures stay as they are),
    its results file, and the report written again with its campaigns section."""
    from ..campaigns.demo_campaign import add_demo_campaign
    from ..campaigns.registry import registry_snapshot
    from ..reports import report_customers, write_report
    from ..workspace import Workspace

    with Workspace(ws_path) as ws:
        add_demo_campaign(ws, data, results)
        campaigns = registry_snapshot(ws)
    write_report(results / "report.html", report_customers(results / "customers.parquet"),
                 result.segments_frame(),
                 result.pareto, {**result.info, "campaigns": campaigns}, lang=lang)


@main.command()
@click.option("--as-of", "as_of", multiple=True, required=True, callback=_date,
              metavar="YYYY-MM-DD", help="Give twice: the earlier and the later date.")
@click.option("--workspace", default="cvm.duckdb", show_default=True, help="Workspace file.")
@click.option("--rfm-scheme", default="std11", show_default=True, help="Segment scheme.")
@click.option("--window-days", type=click.IntRange(min=1), default=None,
              help="Only count purchases in this many days up to each date.")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Also write the transitions as CSV.")
@friendly_errors
def compare(as_of, workspace, rfm_scheme, window_days, lang, out):
    """Segment migration between two as-of dates: who moved from which segment to which."""
    from ..config import AnalysisConfig, RFMOptions
    from ..features.rfm_schemes import load_scheme
    from ..segments.migration import NEW, segment_migration
    from ..workspace import Workspace

    if len(as_of) != 2:
        raise click.UsageError("give --as-of exactly twice: the earlier and the later date")
    first, second = sorted(as_of)
    config = AnalysisConfig(rfm=RFMOptions(scheme=rfm_scheme), window_days=window_days, lang=lang)
    scheme = load_scheme(rfm_scheme)
    with Workspace(workspace, create=False) as ws:
        table = segment_migration(ws, first, second, config)
    labels = {s.key: s.label(lang) for s in scheme.segments}
    labels[NEW] = "(new)" if lang == "en" else "(新增)"
    rows = table.to_pylist()
    froms = [k for k in [NEW] + list(scheme.keys) if any(r["from_segment"] == k for r in rows)]
    tos = list(scheme.keys)
    grid = {(r["from_segment"], r["to_segment"]): r["customers"] for r in rows}
    number = {k: str(i + 1) for i, k in enumerate(tos)}
    t = Table(title=f"Customers by segment on {first} (rows) and on {second} (columns "
                    "numbered as the rows)", title_justify="left")
    t.add_column("from \\ to", no_wrap=True)
    for k in tos:
        t.add_column(number[k], justify="right")
    t.add_column("total", justify="right")
    for f in froms:
        label = f"{number[f]:>2} {labels[f]}" if f in number else f"   {labels[f]}"
        counts = [grid.get((f, k), 0) for k in tos]
        t.add_row(label, *[f"{c:,}" if c else "·" for c in counts], f"{sum(counts):,}")
    output.print(t)
    if out:
        import pyarrow.csv as pacsv

        from ..spreadsheet import formula_safe

        pacsv.write_csv(formula_safe(table), out)
        note(f"Transitions written to {out}")


@main.command()
def schemes():
    """List the built-in RFM segment schemes and their segments."""
    from ..features.rfm_schemes import list_schemes, load_scheme

    for name in list_schemes():
        scheme = load_scheme(name)
        output.print(f"[bold]{name}[/] ({scheme.kind}): "
                     + ", ".join(f"{s.label_en} / {s.label_zh}" for s in scheme.segments),
                     highlight=False)
        for lang in ("en", "zh"):
            if scheme.note(lang):
                output.print(f"  {scheme.note(lang)}", highlight=False)


@main.command()
@click.option("--workspace", default="cvm.duckdb", show_default=True, help="Workspace file.")
@friendly_errors
def runs(workspace):
    """List the runs stored in a workspace."""
    from ..workspace import Workspace

    # opened for writing (never created): the opening marks interrupted the runs whose
    # process is gone, so that the list tells the truth
    with Workspace(workspace, create=False) as ws:
        t = Table()
        for col in ("run", "status", "as of", "engine", "started", "finished", "error"):
            t.add_column(col)
        for r in ws.runs():
            t.add_row(str(r["run_id"]), r["status"], str(r["as_of"] or ""), r["engine"] or "",
                      str(r["started_at"]), str(r["finished_at"] or ""), r["error"] or "")
        output.print(t)
