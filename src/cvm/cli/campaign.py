"""Campaign commands: ``cvm campaign create | export | plan | analyse | results | list``.

Other modules add commands to the group with ``from .campaign import campaign``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import click
from rich.table import Table

from . import friendly_errors, main, note, output
from .analysis import _date


@main.group("campaign")
def campaign() -> None:
    """Test and learn: campaigns with control groups, their plan and their measured lift."""


def _cells(values) -> list[str]:
    return [c for v in values for c in v.replace(",", " ").split() if c]


def _pct(v) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:+.2%}"


def _num(v, digits=2) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:,.{digits}f}"


@campaign.command("create")
@click.argument("name")
@click.option("--cells", multiple=True, metavar="CELL",
              help="Matrix cells of the latest run (patterns like 'HH-*'); repeat or separate "
                   "with commas.")
@click.option("--list", "list_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A list of customers (CSV or Excel; its customer_id column, else its first).")
@click.option("--control-share", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=0.1, show_default=True, help="Share of customers held out as control.")
@click.option("--stratify", default=None, metavar="COLUMN",
              help="Hold out the control share within each value of COLUMN (e.g. matrix_cell).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the random assignment: the same seed gives the same groups.")
@click.option("--cost-per-contact", type=click.FloatRange(min=0), default=0.0,
              show_default=True, help="What contacting one customer costs (for the ROI).")
@click.option("--start", required=True, callback=_date, metavar="YYYY-MM-DD",
              help="First day of the campaign window.")
@click.option("--end", required=True, callback=_date, metavar="YYYY-MM-DD",
              help="Last day of the campaign window.")
@click.option("--min-lift", type=click.FloatRange(min=0, min_open=True), default=None,
              help="The response lift the test was planned to detect (tunes the monitor).")
@click.option("--export", "export_to", type=click.Path(dir_okay=False), default=None,
              help="Also write the treatment list (.csv or .xlsx); the control is never in it.")
@click.option("--workspace", default="cvm.duckdb", show_default=True, help="Workspace file.")
@friendly_errors
def create(name, cells, list_file, control_share, stratify, seed, cost_per_contact, start, end,
           min_lift, export_to, workspace):
    """Create campaign NAME: assign its customers at random to treatment and control, and
    store the design in the workspace."""
    from ..campaigns.design import create_campaign, treatment_list
    from ..results import write_table
    from ..workspace import Workspace

    with Workspace(workspace, create=False) as ws:
        c = create_campaign(ws, name, cells=_cells(cells) or None, list_file=list_file,
                            control_share=control_share, stratify=stratify, seed=seed,
                            cost_per_contact=cost_per_contact, start=start, end=end,
                            min_lift=min_lift)
        if export_to:
            write_table(treatment_list(ws, name), Path(export_to))
    output.print(f"Campaign {c.name}: {c.customers:,} customers, {c.treated:,} to contact, "
                 f"{c.control:,} held out as control ({c.control_share:.0%}"
                 + (f" within each {c.stratify}" if c.stratify else "") + f", seed {c.seed}); "
                 f"{c.start_date} to {c.end_date}.")
    if c.overlapping:
        output.print(f"[yellow]{c.overlapping:,} customers are also in another campaign whose "
                     "window overlaps this one (column other_campaign of the list).[/]")
    if export_to:
        note(f"Treatment list written to [bold]{export_to}[/] (the control group is not in it).")
    else:
        note(f"Write the list to contact with [bold]cvm campaign export {name} --out FILE[/].")


@campaign.command("export")
@click.argument("name")
@click.option("--out", type=click.Path(dir_okay=False), required=True,
              help="Treatment list: .csv or .xlsx.")
@click.option("--workspace", default="cvm.duckdb", show_default=True, help="Workspace file.")
@friendly_errors
def export(name, out, workspace):
    """Write the treatment list of campaign NAME for a campaign tool (never the control)."""
    from ..campaigns.design import treatment_list
    from ..results import write_table
    from ..workspace import Workspace

    with Workspace(workspace, read_only=True) as ws:
        table = treatment_list(ws, name)
    write_table(table, Path(out))
    output.print(f"{table.num_rows:,} customers to contact written to [bold]{out}[/]")


@campaign.command("plan")
@click.option("--baseline-rate", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=None, help="Response rate without the campaign (the control's).")
@click.option("--min-lift", type=click.FloatRange(min=0, min_open=True), required=True,
              help="Smallest lift worth detecting: rate points (0.02 = 2 pp) or, with --sd, "
                   "the difference in the mean.")
@click.option("--power", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=0.8, show_default=True)
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=0.05, show_default=True, help="Two-sided significance level.")
@click.option("--list-size", type=click.IntRange(min=4), default=None,
              help="Customers on the list: also give the minimum detectable lift for it.")
@click.option("--control-share", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=0.5, show_default=True, help="Control share of that list.")
@click.option("--sd", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Plan for a mean (revenue per customer) with this standard deviation.")
@click.option("--sd-from", "sd_from", default=None, metavar="WORKSPACE",
              help="Plan for revenue per customer, its standard deviation over the last "
                   "--window-days of the workspace's transactions.")
@click.option("--window-days", type=click.IntRange(min=1), default=30, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@friendly_errors
def plan(baseline_rate, min_lift, power, alpha, list_size, control_share, sd, sd_from,
         window_days, as_json):
    """Customers needed in each group to detect --min-lift (two-sided test, equal groups, as R's
    power.prop.test / power.t.test), and the minimum detectable lift of a list."""
    from ..campaigns.power import plan_means, plan_proportions

    baseline = baseline_rate
    if sd_from:
        from ..workspace import Workspace

        with Workspace(sd_from, read_only=True) as ws:
            mean, sd = ws.query(f"""
                WITH last AS (SELECT max(purchase_date) AS d FROM unified_transactions),
                people AS (SELECT DISTINCT customer_id FROM unified_transactions),
                spend AS (SELECT customer_id, sum(amount) AS s FROM unified_transactions, last
                          WHERE purchase_date > d - INTERVAL {int(window_days)} DAY
                          GROUP BY customer_id)
                SELECT avg(coalesce(s, 0)), stddev_samp(coalesce(s, 0))
                FROM people LEFT JOIN spend USING (customer_id)""")[0]
        if sd is None or not sd > 0:
            raise click.UsageError("the workspace's revenue per customer has no spread to plan on")
        baseline = float(mean)
    if sd is not None:
        p = plan_means(baseline or 0.0, min_lift, float(sd), power=power, alpha=alpha,
                       list_size=list_size, control_share=control_share)
    else:
        if baseline is None:
            raise click.UsageError("give --baseline-rate (or --sd / --sd-from for a mean)")
        try:
            p = plan_proportions(baseline, min_lift, power=power, alpha=alpha,
                                 list_size=list_size, control_share=control_share)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
    doc = p.as_dict()
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    what = (f"a lift of {min_lift:.2%} over a {baseline:.2%} rate" if p.metric == "proportion"
            else f"a difference of {min_lift:,.2f} in a mean with standard deviation {p.sd:,.2f}")
    output.print(f"To detect {what} with power {power:.0%} at α = {alpha:g} (two-sided): "
                 f"{p.per_group:,} customers in each group ({p.per_group_exact:,.1f}).")
    if p.mde is not None:
        shown = (f"{p.mde:.2%}" if p.metric == "proportion" else f"{p.mde:,.2f}") \
            if not math.isnan(p.mde) else "none (the list is too small)"
        output.print(f"A list of {list_size:,} with {control_share:.0%} control detects a lift "
                     f"of {shown}.")


def _print_results(frame, title: str) -> None:
    table = Table(title=title, title_justify="left")
    for col in ("segment", "group", "outcome", "n", "control n", "treated", "control", "lift",
                "95% CI", "p", "p (BH)", "ROI"):
        table.add_column(col, justify="left" if col in ("segment", "group", "outcome")
                         else "right")
    for r in frame.itertuples(index=False):
        rate = r.kind == "rate"
        fmt = (lambda v: _pct(v).lstrip("+")) if rate else _num
        lift = _pct(r.lift) if rate else f"{r.lift:+,.2f}" if r.lift == r.lift else "–"
        ci = (f"{_pct(r.ci_low)} … {_pct(r.ci_high)}" if rate
              else f"{_num(r.ci_low)} … {_num(r.ci_high)}")
        roi = (f"{r.roi:.0%} ({r.roi_low:.0%} … {r.roi_high:.0%})" if r.roi == r.roi else "")
        table.add_row(r.segment, r.group, r.outcome, f"{r.n:,}", f"{r.control_n:,}",
                      fmt(r.treated_value), fmt(r.control_value), lift, ci,
                      _num(r.p_value, 4), _num(r.p_adjusted, 4), roi)
    output.print(table)


def _write_results(frame, out: str | None) -> Path | None:
    if not out:
        return None
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "campaign-results.csv"
    frame.to_csv(path, index=False, float_format="%.6g")
    return path


@campaign.command("analyse")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--group-column", required=True, help="Column naming each customer's group.")
@click.option("--control", required=True, help="The value of --group-column for the control.")
@click.option("--outcome", "outcomes", multiple=True, required=True, metavar="COL",
              help="Outcome column (0/1 for a rate, else a mean); repeatable.")
@click.option("--segment-column", default=None, help="Also a result per value of this column.")
@click.option("--cost-per-contact", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Cost of one contact: gives the ROI on the value outcome.")
@click.option("--value-outcome", default=None,
              help="Outcome the ROI is computed on [default: the first that is not a rate].")
@click.option("--margin-rate", type=click.FloatRange(0, 1), default=1.0, show_default=True,
              help="Share of the value outcome that is margin.")
@click.option("--out", default="cvm-campaign", show_default=True,
              help="Folder for campaign-results.csv.")
@click.option("--campaign", "campaign_name", default=None,
              help="Store the results with this campaign of --workspace.")
@click.option("--date-column", default=None,
              help="With --campaign: the date of each response, for the monitor's looks.")
@click.option("--workspace", default="cvm.duckdb", show_default=True, help="Workspace file.")
@friendly_errors
def analyse(file, group_column, control, outcomes, segment_column, cost_per_contact,
            value_outcome, margin_rate, out, campaign_name, date_column, workspace):
    """Measure a test from an outcomes FILE (CSV or Excel, one row per customer): every
    treated group against the control for each outcome, with 95 % CI, p-values adjusted by
    Benjamini–Hochberg, relative lift and ROI; writes OUT/campaign-results.csv."""
    import pandas as pd

    from ..campaigns.design import CampaignError
    from ..campaigns.measure import compare_groups

    path = Path(file)
    data = (pd.read_excel(path) if path.suffix.lower() in (".xlsx", ".xls")
            else pd.read_csv(path, sep=None, engine="python"))
    if group_column in data.columns:
        data[group_column] = data[group_column].astype(str)
    try:
        if campaign_name:
            from ..campaigns.registry import measure_campaign
            from ..workspace import Workspace

            if segment_column:
                data = data.rename(columns={segment_column: "stratum"})
            with Workspace(workspace, create=False) as ws:
                frame = measure_campaign(ws, campaign_name, data, group_column=group_column,
                                         control=control, outcome_columns=list(outcomes),
                                         margin_rate=margin_rate, value_outcome=value_outcome,
                                         date_column=date_column or "response_date")
        else:
            frame = compare_groups(data, group_column, control, list(outcomes),
                                   segment_column=segment_column,
                                   cost_per_contact=cost_per_contact,
                                   value_outcome=value_outcome, margin_rate=margin_rate)
    except (KeyError, ValueError) as exc:
        if isinstance(exc, CampaignError):
            raise
        raise CampaignError(str(exc).strip("'\"")) from None
    _print_results(frame, f"{path.name}: each group against {control!r}")
    written = _write_results(frame, out)
    note(f"Results written to [bold]{written}[/].")


@campaign.command("results")
@click.argument("name")
@click.option("--workspace", default="cvm.duckdb", show_default=True, help="Workspace file.")
@click.option("--out", default=None, help="Also write OUT/campaign-results.csv.")
@click.option("--remeasure", is_flag=True,
              help="Measure again from the transactions even when results are stored.")
@click.option("--margin-rate", type=click.FloatRange(0, 1), default=1.0, show_default=True,
              help="Share of revenue that is margin, for the ROI when there are no margins.")
@click.option("--retention-days", type=click.IntRange(1), default=None,
              help="Retained = a purchase in this many days after the end (default: as many "
                   "days as the campaign ran).")
@click.option("--json", "as_json", is_flag=True, help="Print design, results and looks as JSON.")
@friendly_errors
def results(name, workspace, out, remeasure, margin_rate, retention_days, as_json):
    """The results of campaign NAME: measured from the transactions in its window (response =
    a purchase, revenue per customer, margin when known; retention = a purchase in the period
    after the end, once the transactions cover it), unless stored already."""
    from ..campaigns.design import get_campaign
    from ..campaigns.registry import campaign_report, campaign_results, measure_campaign
    from ..workspace import Workspace

    with Workspace(workspace, create=False) as ws:
        c = get_campaign(ws, name)
        frame = campaign_results(ws, name)
        if remeasure or frame.empty:
            frame = measure_campaign(ws, name, margin_rate=margin_rate,
                                     retention_days=retention_days)
            c = get_campaign(ws, name)
        report = campaign_report(ws, name)
    looks = (c.results or {}).get("looks", [])
    retention = (c.results or {}).get("retention")
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    else:
        _print_results(frame, f"Campaign {c.name} ({c.start_date} to {c.end_date}, "
                              f"{c.status()}): treatment against control")
        if looks:
            first = next((k for k in looks if k["significant"]), None)
            output.print("Always-valid monitor (mSPRT): " + (
                f"significant from {first['day']} on (p = {first['p_value']:.4f})" if first
                else f"not significant at any look (last p = {looks[-1]['p_value']:.4f})"))
        if retention and retention["measured"]:
            output.print(f"Retained: a purchase from {retention['from']} to {retention['to']}.")
        elif retention:
            note(f"Retention not measured yet: it needs the transactions up to "
                 f"{retention['to']} (a purchase from {retention['from']} on).")
    written = _write_results(frame, out)
    if written:
        note(f"Results written to [bold]{written}[/].")


@campaign.command("list")
@click.option("--workspace", default="cvm.duckdb", show_default=True, help="Workspace file.")
@click.option("--json", "as_json", is_flag=True, help="Print the registry as JSON.")
@friendly_errors
def list_(workspace, as_json):
    """Every campaign: design, status and headline result (the test registry)."""
    from ..campaigns.registry import list_campaigns
    from ..workspace import Workspace

    with Workspace(workspace, create=False) as ws:
        rows = list_campaigns(ws)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return
    table = Table(title=f"{len(rows):,} campaigns", title_justify="left")
    for col in ("campaign", "status", "window", "customers", "control", "lift", "95% CI", "p"):
        table.add_column(col, justify="left" if col in ("campaign", "status", "window")
                         else "right")
    for r in rows:
        h = r.get("headline") or {}
        table.add_row(r["name"], r["status"], f"{r['start']} – {r['end']}", f"{r['customers']:,}",
                      f"{r['control']:,}", _pct(h.get("lift")) if h else "",
                      f"{_pct(h.get('ci_low'))} … {_pct(h.get('ci_high'))}" if h else "",
                      _num(h.get("p_value"), 4) if h else "")
    output.print(table)


from .uplift import uplift  # noqa: E402  (cvm campaign uplift)

campaign.add_command(uplift)
