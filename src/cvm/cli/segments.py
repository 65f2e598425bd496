"""Commands on the value × lifecycle matrix: ``targets``, ``alerts`` and ``matrix``."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from . import friendly_errors, main, note, output
from .summary import count_text, print_matrix


@main.command()
@click.argument("cells", nargs=-1)
@click.option("--out", type=click.Path(dir_okay=False), required=True,
              help="Target list file: .csv or .xlsx.")
@click.option("--workspace", default="cvm.duckdb", show_default=True, help="Workspace file.")
@click.option("--run", "run_id", type=int, default=None, help="Run [default: the latest].")
@click.option("--winback", is_flag=True,
              help="The win-back list instead of matrix cells: churned and at-risk customers "
                   "ranked by win-back value (P(returns) x value after return - contact cost), "
                   "or by the service recovery's value where that is higher.")
@click.option("--top", type=click.IntRange(min=1), default=None,
              help="With --winback: only the first N customers.")
@friendly_errors
def targets(cells, out, workspace, run_id, winback, top):
    """Export the customers of matrix CELLS (e.g. HH-churned, or patterns like 'HH-*') with
    contact fields, scores and the recommended action, for a CRM or campaign tool; or, with
    --winback, the customers most worth winning back."""
    from ..segments.actions import target_list, winback_list
    from ..workspace import Workspace

    if winback:
        if cells:
            raise click.UsageError("give either matrix cells or --winback, not both")
        with Workspace(workspace, read_only=True) as ws:
            table = winback_list(ws, run_id=run_id, top=top)
        from ..results import write_table

        write_table(table, Path(out))
        worth = sum(1 for v in table.column("winback_value").to_pylist() if v and v > 0)
        output.print(f"{count_text(table.num_rows, 'customer')} written to [bold]{out}[/], "
                     f"{worth:,} with a positive win-back value")
        return
    if not cells:
        raise click.UsageError("give matrix cells (e.g. 'HH-*') or --winback")
    if top is not None:
        raise click.UsageError("--top goes with --winback")
    with Workspace(workspace, read_only=True) as ws:
        table = target_list(ws, list(cells), run_id=run_id)
    from ..results import write_table

    write_table(table, Path(out))
    counts: dict[str, int] = {}
    for cell in table.column("matrix_cell").to_pylist():
        counts[cell] = counts.get(cell, 0) + 1
    output.print(f"{count_text(table.num_rows, 'customer')} written to [bold]{out}[/]"
                 + (": " + ", ".join(f"{c} {n:,}" for c, n in counts.items()) if counts else ""))


@main.command()
@click.option("--workspace", default="cvm.duckdb", show_default=True, help="Workspace file.")
@click.option("--run", "run_id", type=int, default=None, help="Run [default: the latest].")
@click.option("--previous", type=int, default=None,
              help="Run to compare with [default: the one before].")
@click.option("--owner", default=None, help="Only this account manager's customers.")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Also write the alerts as .csv or .xlsx.")
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True,
              help="Customers shown per owner.")
@friendly_errors
def alerts(workspace, run_id, previous, owner, out, limit):
    """Customers whose matrix cell got worse since the previous run (e.g. a high-value customer
    entering decline), by account manager where the customer list names one."""
    from ..segments.actions import cell_alerts
    from ..workspace import Workspace

    with Workspace(workspace, read_only=True) as ws:
        table, now, before = cell_alerts(ws, run_id=run_id, previous=previous, owner=owner)
    output.print(f"Run {now} against run {before}: {count_text(table.num_rows, 'customer')} "
                 "moved to a worse cell or stage.")
    groups: dict = {}
    for row in table.to_pylist():
        groups.setdefault(row["owner"], []).append(row)
    for who, rows in groups.items():
        t = Table(title=f"{who or '(no owner)'}: {len(rows):,}", title_justify="left")
        for col in ("customer", "name", "from", "to", "value before", "what changed"):
            t.add_column(col, justify="right" if col == "value before" else "left")
        for r in rows[:limit]:
            t.add_row(r["customer_id"], r["name"] or "", r["from_cell"], r["to_cell"],
                      f"{r['composite_before']:.0f}" if r["composite_before"] is not None else "",
                      r["change"])
        output.print(t)
    if out:
        from ..results import write_table

        write_table(table, Path(out))
        note(f"Alerts written to [bold]{out}[/]")


@main.command()
@click.option("--workspace", default="cvm.duckdb", show_default=True, help="Workspace file.")
@click.option("--run", "run_id", type=int, default=None, help="Run [default: the latest].")
@friendly_errors
def matrix(workspace, run_id):
    """The value × lifecycle matrix of a run: customers, value share and the play per cell."""
    from ..segments.actions import matrix_run
    from ..workspace import Workspace

    with Workspace(workspace, read_only=True) as ws:
        rid = matrix_run(ws, run_id)
        table = ws.result("matrix", rid)
        info = ws.run_summary(rid).get("info", {}).get("stages", {})
    print_matrix(table, info.get("value"))
    if "gain_basis" in table.column_names:
        # cells whose response a campaign measured against its control group
        for cell, basis in zip(table.column("cell").to_pylist(),
                               table.column("gain_basis").to_pylist()):
            if basis and basis.startswith("measured in campaign"):
                output.print(f"{cell}: expected gain by the response {basis}")
