"""Unified customer view commands: ``link`` and ``customer``."""

from __future__ import annotations

import click
from rich.table import Table

from . import friendly_errors, main, note, output
from .spark_settings import spark_conf_option
from .summary import count_text


def _probability(ctx, param, value):
    if value is None:
        return None
    if not 0 < value < 1:
        raise click.BadParameter(f"{value} is not a probability between 0 and 1")
    return value


@main.command("link")
@click.argument("customer_files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False),
              help="Mapping file (TOML) naming the customer columns ([customers] section).")
@click.option("--source", help="Source system of every file given [default: each file's "
                               "source column, else the mapping's source, else the file name].")
@click.option("--dayfirst", is_flag=True,
              help="Read 05/03/2024 as 5 March in a date column where no value decides the "
                   "order (25/03/2024 decides day first, 03/25/2024 month first).")
@click.option("--workspace", default="cvm.duckdb", show_default=True,
              help="Workspace the records are loaded into and linked in.")
@click.option("--out", default="cvm-linkage", show_default=True,
              help="Folder for xref.csv, golden.csv, review.csv and linkage-report.html.")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb",
              show_default=True, help="Where Splink trains and scores pairs.")
@spark_conf_option
@click.option("--accept", "accept", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Pairs (CSV, e.g. a reviewed review.csv) that are the same customer.")
@click.option("--reject", "reject", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Pairs (CSV) that are different customers.")
@click.option("--must-link", "must_link", multiple=True,
              type=click.Path(exists=True, dir_okay=False),
              help="Pairs (CSV) always to be one customer.")
@click.option("--cannot-link", "cannot_link", multiple=True,
              type=click.Path(exists=True, dir_okay=False),
              help="Pairs (CSV) never to be one customer.")
@click.option("--threshold", type=float, default=0.9, show_default=True, callback=_probability,
              help="Match probability from which two records are one customer.")
@click.option("--review-threshold", type=float, default=0.5, show_default=True,
              callback=_probability,
              help="Match probability from which a pair kept apart goes to review.csv.")
@click.option("--source-priority", help="Sources from most to least trusted, comma-separated, "
                                        "for golden records.")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of the linkage report.")
@friendly_errors
def link_command(customer_files, mapping, source, dayfirst, workspace, out, engine, accept,
                 reject, must_link, cannot_link, threshold, review_threshold, source_priority,
                 lang):
    """Link customer lists from several systems into one customer id each.

    Each CUSTOMER_FILE is one source system's customer list (name, phone, email, birth date,
    id number, city, gender …). Records are normalised, scored in pairs by a probabilistic
    model (Splink, trained on the data itself) and clustered; people's decisions given now or
    earlier are honoured. Unified ids stay the same across runs. Without files, the records
    already in the workspace are linked again (with any new decisions).

    \b
    Writes into --out:
      xref.csv              every record once: source, source_id, customer_id
      golden.csv            one row per customer: the surviving value of each field, and its source
      review.csv            borderline pairs; fill in `decision` and give it back with --accept
      linkage-report.html   records, customers, shared customers per source pair, match weights

    `cvm run` then analyses transactions under the unified ids.
    """
    from dataclasses import replace

    from ..config import Mapping, load_mapping
    from ..identity import LinkOptions, Survivorship, link, read_decisions, write_linkage
    from ..workspace import Workspace
    from .analysis import _Steps

    decisions = []
    for kind, paths in (("accept", accept), ("reject", reject), ("must-link", must_link),
                        ("cannot-link", cannot_link)):
        for path in paths:
            decisions.extend(read_decisions(path, kind))
    priority = tuple(s.strip() for s in source_priority.split(",") if s.strip()) \
        if source_priority else ()
    options = LinkOptions(engine=engine, threshold=threshold, review_threshold=review_threshold,
                          survivorship=Survivorship(source_priority=priority))
    mapping_obj = load_mapping(mapping) if mapping else None
    if dayfirst:
        mapping_obj = mapping_obj or Mapping()
        mapping_obj = replace(mapping_obj, options=replace(mapping_obj.options, dayfirst=True))
    with Workspace(workspace) as ws:
        with _Steps(total=len(customer_files) + 6) as steps:
            result = link(ws, list(customer_files), mapping=mapping_obj, source=source,
                          options=options, decisions=decisions, progress=steps)
        folder = write_linkage(ws, out, lang=lang)
    for load in result.loads:
        output.print(f"[green]•[/] {load.file}: {count_text(load.rows_read, 'record')} read, "
                     f"{load.rows_loaded:,} loaded, {load.rows_rejected:,} rejected")
    output.print(
        f"\n{count_text(result.records, 'record')} → {count_text(result.customers, 'customer')} "
        f"({result.multi_record_customers:,} with several records); "
        f"{count_text(result.review_pairs, 'pair')} to review; "
        f"{count_text(result.merges, 'merge')} and {count_text(result.splits, 'split')} of "
        f"earlier customers; {count_text(result.records - result.linkable, 'record')} with "
        "nothing to link on.")
    if decisions:
        output.print(f"{count_text(len(decisions), 'decision')} stored"
                     + (f"; {result.unknown_decisions:,} name records not in the workspace"
                        if result.unknown_decisions else "") + ".")
    if result.source_pairs:
        table = Table(title="Customers shared by source systems", title_justify="left")
        table.add_column("sources")
        table.add_column("customers", justify="right")
        for pair, count in list(result.source_pairs.items())[:10]:
            table.add_row(pair, f"{count:,}")
        output.print(table)
    note(f"Written to {folder}/ (xref.csv, golden.csv, review.csv, "
         "linkage-report.html)")


def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


@main.command("customer")
@click.argument("customer_id")
@click.option("--workspace", default="cvm.duckdb", show_default=True,
              help="Workspace to read.")
@friendly_errors
def customer_command(customer_id, workspace):
    """Show one customer: golden record, source records, purchases, scores and segments.

    CUSTOMER_ID is a unified id, a source id (`crm:C001`, or bare when only one source has
    it), or an id that was merged into another customer.
    """
    from ..identity import customer_view
    from ..workspace import Workspace

    with Workspace(workspace, create=False) as ws:
        view = customer_view(ws, customer_id)
    click.echo(f"Customer {view.customer_id}"
               + (f" (also known as {', '.join(view.merged_ids)})" if view.merged_ids else ""))
    if view.golden:
        table = Table(title="Golden record", title_justify="left")
        for col in ("field", "value", "from"):
            table.add_column(col)
        for key, value in view.golden.items():
            if key.endswith("_source") or key in ("customer_id",) or value is None:
                continue
            table.add_row(key, _fmt(value), _fmt(view.golden.get(f"{key}_source")))
        _echo(table)
    if view.records:
        table = Table(title=f"Source records ({len(view.records)})", title_justify="left")
        cols = ("source", "source_customer_id", "name", "phone", "email", "birth_date",
                "national_id", "city", "file")
        for col in cols:
            table.add_column(col)
        for rec in view.records:
            table.add_row(*(_fmt(rec.get(c)) for c in cols))
        _echo(table)
    tx = view.transactions
    if tx["transactions"]:
        click.echo(f"Purchases: {count_text(tx['transactions'], 'transaction')} on "
                   f"{count_text(tx['purchase_days'], 'day')}, {tx['first_purchase']} to {tx['last_purchase']}, total "
                   f"{tx['total_amount']:,.2f} (average {tx['average_amount']:,.2f}); "
                   f"sources: {tx['sources']}")
    else:
        click.echo("Purchases: none recorded.")
    if view.history:
        keys = [k for k in view.history[0] if k not in ("customer_id",)]
        table = Table(title="Scores and segments by run", title_justify="left")
        for key in keys:
            table.add_column(key)
        for row in view.history:
            table.add_row(*(_fmt(row.get(k)) for k in keys))
        _echo(table)
    else:
        click.echo("Scores and segments: no analysis run yet (cvm run).")


def _echo(table: Table) -> None:
    from rich.console import Console

    Console(highlight=False, width=160).print(table)
