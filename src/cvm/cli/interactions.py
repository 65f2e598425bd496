"""``cvm load-interactions``: load service logs (calls, visits, complaints …) into a workspace."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import click

from . import friendly_errors, main, note, output, warn
from .analysis import _date
from .summary import count_text


@main.command("load-interactions")
@click.argument("sources", nargs=-1, required=True)
@click.option("--workspace", default="cvm.duckdb", show_default=True,
              help="Workspace the contacts are loaded into (the one `cvm run` analyses).")
@click.option("--as-of", "as_of", callback=_date, default=None,
              help="Contacts after this date (YYYY-MM-DD) are rejected [default: today].")
@click.option("--source", default=None,
              help="Source system the customer ids belong to [default: 'default', the one "
                   "transactions are loaded under].")
@click.option("--dayfirst", is_flag=True,
              help="Read 05/03/2024 as 5 March where no value decides the order.")
@click.option("--table", default=None,
              help="Table to read when SOURCE is a postgresql:// connection string.")
@click.option("--rejects", "rejects_path", type=click.Path(dir_okay=False), default=None,
              help="Write the rejected rows (file, row, field, value, reason) to this CSV.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the load report as one JSON document on standard output.")
@friendly_errors
def load_interactions_command(sources, workspace, as_of, source, dayfirst, table, rejects_path,
                              as_json):
    """Load service logs: each row one contact with a customer.

    SOURCES are CSV, Excel, JSON lines or Parquet files, or a postgresql:// table, with the
    customer id, the time, the kind of contact (service, complaint, enquiry, visit — also
    服务/客服, 投诉, 咨询, 到访) and optionally the channel (phone, branch, web, app, e-mail —
    电话, 门店/网点, 网站, 应用/APP, 邮件), the outcome and a free-text note. Columns are
    guessed from their names (客户/会员, 时间, 渠道, 类型, 结果, 备注/内容 …).

    Every row read is loaded or rejected with its file, row, field and reason. The next
    `cvm run` on the workspace shows the contacts on each customer's timeline, counts
    complaints as churn features and adds complaints per matrix cell to the report.
    """
    from ..config import IngestOptions
    from ..interactions import load_interactions
    from ..workspace import Workspace

    options = IngestOptions()
    overrides = {k: v for k, v in (("dayfirst", dayfirst or None), ("table", table),
                                   ("source", source)) if v is not None}
    options = replace(options, **overrides)
    reports = []
    with Workspace(workspace) as ws:
        for src in sources:
            reports.append(load_interactions(ws, src, options=options, as_of=as_of))
        rows = []
        ids = [r.file_id for r in reports if not r.skipped and r.rows_rejected]
        if rejects_path and ids:
            rows = ws.query("SELECT file, \"row\", field, value, reason FROM rejects WHERE "
                            f"file_id IN ({', '.join('?' * len(ids))}) ORDER BY file_id, \"row\"",
                            ids)
    if rejects_path:
        with Path(rejects_path).open("w", newline="", encoding="utf-8-sig") as fh:
            writer = csv.writer(fh)
            writer.writerow(["file", "row", "field", "value", "reason"])
            writer.writerows(rows)
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in reports], ensure_ascii=False, indent=2))
    for r in reports:
        if r.skipped:
            warn(r.message)
            continue
        if not as_json:
            output.print(f"• {r.file}: {count_text(r.rows_read, 'row')} read, "
                         f"{r.rows_loaded:,} loaded, {r.rows_rejected:,} rejected", markup=False)
            output.print(f"  {r.columns}", markup=False)
        if r.reasons:
            where = rejects_path or "the workspace's rejects table"
            warn(f"{r.file}: {count_text(r.rows_rejected, 'row')} rejected ("
                 + ", ".join(f"{code} {n:,}" for code, n in r.reasons.items())
                 + f"); see {where}")
    note(f"Contacts are in [bold]{workspace}[/]; [bold]cvm run[/] on it shows them on the "
         "customers' timelines and counts complaints.")
