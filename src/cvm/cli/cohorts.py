"""``cvm cohorts``: acquisition cohorts of a workspace as a triangle, and the retention curves
of subscription members (``--members``)."""

from __future__ import annotations

import math
from pathlib import Path

import click
from rich.table import Table

from . import friendly_errors, main, note, output
from .analysis import _date

__all__ = ["cohorts"]

#: what ``--metric`` shows, as a column of the cohort table
METRICS = {"retention": "active_share", "survival": "survival_share", "lost": "lost",
           "revenue": "cumulative_revenue_per_customer",
           "margin": "cumulative_margin_per_customer"}
_WORDS = {
    "en": {"cohort": "cohort", "customers": "customers",
           "retention": "Share of each cohort that bought in each period since acquisition",
           "survival": "Share of each cohort not lost by each period (bought then or later)",
           "lost": "Customers lost by each period (no purchase then or later)",
           "revenue": "Cumulative revenue per acquired customer",
           "margin": "Cumulative margin per acquired customer",
           "curves": "Retention curves (shifted-beta-geometric, fitted on periods 0–{cut})",
           "group": "group", "fit": "alpha, beta", "holdout": "holdout error",
           "projected": "projected share at period {h}",
           "written": "Triangle written to {out}", "loaded": "{n:,} payments loaded into {ws}",
           "by_title": "{title} — {dimension}: {group}",
           "value_tier": "first-day spend", "channel": "channel of the first purchase",
           "store": "store of the first purchase", "none": "(none)",
           "low": "low (bottom third of the cohort)", "mid": "middle third",
           "high": "high (top third of the cohort)"},
    "zh": {"cohort": "同期群", "customers": "客户数",
           "retention": "各同期群在获客后每期有购买的客户比例",
           "survival": "各同期群到每期仍未流失的客户比例（当期或之后有购买）",
           "lost": "各同期群到每期已流失的客户数（当期及之后均无购买）",
           "revenue": "每位获客的累计收入", "margin": "每位获客的累计毛利",
           "curves": "留存曲线（移位贝塔几何模型，用第 0–{cut} 期拟合）",
           "group": "分组", "fit": "alpha, beta", "holdout": "验证期误差",
           "projected": "第 {h} 期预测留存",
           "written": "三角表已写入 {out}", "loaded": "已载入 {n:,} 条会员扣费记录到 {ws}",
           "by_title": "{title}——{dimension}：{group}",
           "value_tier": "首日消费", "channel": "首次购买渠道", "store": "首次购买门店",
           "none": "（无）", "low": "低（同期群后三分之一）", "mid": "中（中间三分之一）",
           "high": "高（同期群前三分之一）"},
}


def _cell(metric: str, value) -> str:
    if value is None:
        return "·"
    if metric in ("retention", "survival"):
        return f"{value:.0%}"
    if metric == "lost":
        return f"{value:,}"
    return f"{value:,.0f}"


@main.command()
@click.option("--workspace", default="cvm.duckdb", show_default=True, help="Workspace file.")
@click.option("--period", type=click.Choice(["month", "week", "quarter", "year"]),
              default="month", show_default=True, help="Length of a cohort and of a period.")
@click.option("--metric", type=click.Choice(list(METRICS)), default="retention",
              show_default=True, help="What each cell shows.")
@click.option("--members", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A file of subscription payments: load it into the workspace and show the "
                   "members' cohorts and retention curves.")
@click.option("--by", type=click.Choice(["value_tier", "channel", "store"]), default=None,
              help="Split the buyers' cohorts by what each customer was at acquisition: the "
                   "first day's spend as a third of the cohort, or the first purchase's "
                   "channel or store.")
@click.option("--as-of", "as_of", callback=_date, default=None, metavar="YYYY-MM-DD",
              help="Leave out later purchases (default: the last purchase date).")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Also write the triangle as CSV.")
@friendly_errors
def cohorts(workspace, period, metric, members, by, as_of, lang, out):
    """Customers grouped by the period of their first purchase, followed period by period.

    A customer is lost by a period when they bought neither in it nor in any later period up to
    the as-of date. With --members, the cohorts are of the members' payments and the
    shifted-beta-geometric model is fitted to each plan's survival and projected. With --by,
    one triangle per group of customers as they were at acquisition (never by their current
    segment, which follows what they did after it).
    """
    if by and members:
        raise click.UsageError("--by splits the buyers' cohorts; the members' are split by plan")
    import pyarrow as pa
    import pyarrow.compute as pc

    from ..engine import TRANSACTION_COLUMNS, duckdb_engine
    from ..features.cohorts import VALUE_TIERS, acquisition_attributes, cohort_table
    from ..ingest.members import MEMBER_TABLE, load_member_payments
    from ..workspace import Workspace

    words = _WORDS[lang]
    with Workspace(workspace, create=members is not None) as ws:
        engine = duckdb_engine(ws.con)
        if members:
            n = load_member_payments(ws, members)
            note(words["loaded"].format(n=n, ws=workspace))
            source = engine.backend.table(MEMBER_TABLE)
        else:
            source = engine.transactions(
                ws, (*TRANSACTION_COLUMNS, by) if by in ("channel", "store") else
                TRANSACTION_COLUMNS)
        if as_of is None:
            as_of = engine.to_arrow(source.aggregate(d=source.purchase_date.max())) \
                .column("d")[0].as_py()
        groups = acquisition_attributes(source, as_of=as_of, period=period,
                                        columns=[by]) if by else None
        table = engine.to_arrow(cohort_table(source, as_of=as_of, period=period,
                                             groups=groups, by=[by] if by else []))
        curves = None
        if members:
            from ..stages.cohorts import member_attributes, member_curves

            plans = "plan" in source.columns
            rows = table
            if plans:
                groups = engine.table(member_attributes(ws.arrow(
                    f"SELECT customer_id, purchase_date, plan FROM {MEMBER_TABLE}"), ["plan"]),
                    "cvm_member_plans")
                rows = engine.to_arrow(cohort_table(source, as_of=as_of, period=period,
                                                    groups=groups, by=["plan"]))
            curves = member_curves(rows, ["plan"] if plans else [])
    table = table.append_column("survival_share", pc.divide(
        pc.cast(table.column("survivors"), pa.float64()), table.column("customers")))
    column = METRICS[metric]
    if by:
        values = table.column(by).to_pylist()
        found = sorted(set(values), key=lambda g: (
            g is None, VALUE_TIERS.index(g) if by == "value_tier" and g in VALUE_TIERS else 0,
            g or ""))
        parts = []
        for g in found:
            part = table.filter(pa.array([v == g for v in values]))
            name = words["none"] if g is None else words.get(g, g) if by == "value_tier" else g
            title = words["by_title"].format(title=words[metric], dimension=words[by], group=name)
            output.print(_triangle_table(part, column, metric, words, title))
            parts.append((g, part))
    else:
        output.print(_triangle_table(table, column, metric, words))
    if curves is not None:
        _print_curves(curves, words)
    if out:
        _write_triangle(parts if by else [(None, table)], column, Path(out), by)
        note(words["written"].format(out=out))


def _triangle_table(table, column: str, metric: str, words: dict, title: str | None = None
                    ) -> Table:
    from ..features.cohorts import triangle

    tri = triangle(table, column)
    width = max((len(v) for v in tri["values"]), default=0)
    t = Table(title=title or words[metric], title_justify="left")
    t.add_column(words["cohort"], no_wrap=True)
    t.add_column(words["customers"], justify="right")
    for k in range(width):
        t.add_column(str(k), justify="right")
    for cohort, size, values in zip(tri["cohorts"], tri["customers"], tri["values"]):
        t.add_row(cohort, f"{size:,}", *[_cell(metric, v) for v in values])
    return t


def _print_curves(curves, words: dict) -> None:
    fits = curves.fits_[curves.fits_["cohort"].isna()]
    cut = curves.calibration_periods
    t = Table(title=words["curves"].format(cut=cut), title_justify="left")
    t.add_column(words["group"])
    t.add_column(words["customers"], justify="right")
    t.add_column(words["fit"], justify="right")
    t.add_column(words["holdout"], justify="right")
    t.add_column(words["projected"].format(h=curves.horizon), justify="right")
    by = list(curves.by)
    for _, fit in fits.iterrows():
        group = str(fit[by[0]]) if by else "—"
        curve = curves.curves_[curves.curves_["cohort"].isna()
                               & ((curves.curves_[by[0]] == fit[by[0]]) if by else True)]
        end = curve[curve["period"] == curves.horizon]["expected_share"]
        t.add_row(group, f"{int(fit['customers']):,}",
                  "—" if math.isnan(fit["alpha"]) else f"{fit['alpha']:.3f}, {fit['beta']:.3f}",
                  "—" if math.isnan(fit["holdout_mae"]) else f"{fit['holdout_mae']:.1%}",
                  "—" if end.empty or math.isnan(end.iloc[0]) else f"{end.iloc[0]:.0%}")
    output.print(t)


def _write_triangle(parts, column: str, out: Path, by: str | None) -> None:
    """The triangle as CSV; with ``by``, one block of rows per group, the group first."""
    import csv

    from ..features.cohorts import triangle

    tris = [(g, triangle(part, column)) for g, part in parts]
    width = max((len(v) for _, tri in tris for v in tri["values"]), default=0)
    with out.open("w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow([*([by] if by else []), "cohort", "customers",
                    *[f"period_{k}" for k in range(width)]])
        for g, tri in tris:
            for cohort, size, values in zip(tri["cohorts"], tri["customers"], tri["values"]):
                w.writerow([*([g] if by else []), cohort, size,
                            *["" if v is None else v for v in values]])
