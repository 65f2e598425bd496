"""The stage profit curve: revenue and profit per customer and period in each lifecycle stage,
in the relationship's order (:mod:`cvm.segments.economics` books each period to its stage).
The customer-lifecycle literature's curve: exploration costs more than it earns, formation
starts to pay, stability pays most, an ended relationship costs a little and earns nothing."""

from __future__ import annotations

import numpy as np

from cvm.reports.charts import BLUE, GREEN, MUTED, TEXT, _figure, _render, _style
from cvm.reports.labels import Labels, stage_text

__all__ = ["stage_curve_svg"]


def stage_curve_svg(economics: list[dict], labels: Labels, title: str,
                    legend: tuple[str, str]) -> str:
    """Bars of revenue per customer-period, and a line of profit per customer-period where it
    is known, one point per stage."""
    return _render(_draw, economics, labels, legend, chart_id="stage_curve", title=title)


def _draw(economics: list[dict], labels: Labels, legend: tuple[str, str]):
    fig = _figure(8.5, 3.6)
    ax = fig.add_subplot()
    x = np.arange(len(economics))
    revenue = [r.get("revenue_per_customer_period") for r in economics]
    profit = [r.get("profit_per_customer_period") for r in economics]
    ax.bar(x, [v if v is not None else 0.0 for v in revenue], width=0.6, color=BLUE, alpha=0.35,
           label=legend[0])
    known = [(i, v) for i, v in enumerate(profit) if v is not None]
    if known:
        ax.plot([i for i, _ in known], [v for _, v in known], color=GREEN, marker="o",
                linewidth=2, label=legend[1])
        for i, v in known:
            ax.annotate(f"{v:,.0f}", (i, v), textcoords="offset points", xytext=(0, 6),
                        ha="center", fontsize=8.5, color=TEXT)
    ax.axhline(0, color=MUTED, linewidth=0.8)
    ax.set_xticks(x, [stage_text(r["stage"], labels) for r in economics])
    ax.legend(frameon=False, fontsize=8.5, loc="upper left")
    _style(ax)
    return fig
