"""The report's charts, each a function that returns one inline SVG string.

Charts are drawn from aggregates (score counts, histograms, 5 × 5 cells, at most a few hundred curve
points), never from one mark per customer, so a report for millions of customers stays small and
fast. Text is written as SVG ``<text>`` (``svg.fonttype = "none"``): the browser draws it with its
own fonts, which keeps the file small and shows Chinese labels on any machine that can display
Chinese. The font stack is set once on each ``<svg>`` element.

Colours are the Okabe–Ito palette, which stays distinguishable with the common colour-vision
deficiencies.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import re
import warnings
from collections.abc import Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import (
    FuncFormatter,
    LogLocator,
    MaxNLocator,
    NullFormatter,
    PercentFormatter,
)

from cvm.reports.formatting import format_compact, format_int, format_percent, round_step
from cvm.reports.labels import Labels

__all__ = [
    "FONT_STACK",
    "rfm_distributions_svg",
    "segment_shares_svg",
    "concentration_svg",
    "rf_heatmap_svg",
    "rf_cells",
    "distribution_svg",
    "distribution_figure",
]


#: Okabe & Ito (2008), "Color Universal Design".
BLUE, ORANGE, SKY, GREEN, YELLOW, VERMILLION, PURPLE, GREY = (
    "#0072B2", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#D55E00", "#CC79A7", "#999999")
TEXT = "#333333"
MUTED = "#666666"
GRID = "#e6e6e6"
CLASS_COLOURS = {"A": BLUE, "B": SKY, "C": GREY}
_HEAT = LinearSegmentedColormap.from_list("cvm_heat", ["#f3f8fc", "#9ecae1", "#2171b5", "#08306b"])

#: Fonts for chart text, Latin first then Chinese; browsers fall back per character.
FONT_STACK = ('system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", '
              '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", '
              '"Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif')

_RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "cvm-report",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 10,
    "axes.titlesize": 10.5,
    "axes.titleweight": "bold",
    "axes.labelsize": 9.5,
    "axes.edgecolor": "#bbbbbb",
    "axes.labelcolor": TEXT,
    "axes.titlecolor": TEXT,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "text.color": TEXT,
    "hatch.linewidth": 0.5,
}

#: Browser pixels per figure inch: 96 px is the CSS inch, so 10 pt text shows at about 13 px.
_PX_PER_INCH = 96


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _style(ax, grid: str = "y") -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if grid:
        ax.grid(axis=grid, color=GRID, linewidth=0.8)
        ax.set_axisbelow(True)
    ax.tick_params(length=3)


def _to_svg(fig: Figure, chart_id: str, title: str) -> str:
    """Serialise ``fig`` as an inline ``<svg>`` element: no XML prolog, ids prefixed with
    ``chart_id`` so several charts can share one page, fonts from the page's font stack."""
    buffer = io.StringIO()
    with warnings.catch_warnings():
        # Chinese glyphs are not in matplotlib's bundled font; the browser draws them.
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font")
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.DOTALL)
    svg = re.sub(r"font-family: [^;\"]*;?\s?", "", svg)
    svg = _presentation_attributes(svg)
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{chart_id}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{chart_id}-\1)", svg)
    svg = re.sub(r'href="#([^"]+)"', rf'href="#{chart_id}-\1"', svg)
    width_px = round(fig.get_figwidth() * _PX_PER_INCH)
    head_end = svg.index(">")
    head = svg[:head_end]
    head = re.sub(r'\s(width|height)="[^"]*"', "", head)
    title_text = (title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                  .replace('"', "&quot;"))
    head += (f' class="chart-svg" role="img" aria-label="{title_text}"'
             f' stroke-linejoin="round" stroke-linecap="butt" style="max-width:{width_px}px"')
    return head + svg[head_end:]


#: matplotlib's page-wide rule for its line ends; the same defaults go on the <svg> element.
_DEFAULT_STROKE_RULE = re.compile(
    r'\s*<style type="text/css">\*\{stroke-linejoin: round; stroke-linecap: butt\}</style>')
_STYLE_ATTRIBUTE = re.compile(r'\sstyle="([^"]*)"')


def _presentation_attributes(svg: str) -> str:
    """matplotlib's ``style="fill: …; stroke: …"`` as SVG presentation attributes
    (``fill="…" stroke="…"``), and its ``*{…}`` style rule as attributes of the root element.

    An inline SVG's style attributes and <style> rules are CSS of the whole HTML page: a PDF
    renderer reads them as page CSS and reports each SVG property as unknown, and the ``*`` rule
    reaches every element of the page. Presentation attributes are read by the SVG renderer
    only and draw the same."""
    svg = _DEFAULT_STROKE_RULE.sub("", svg)
    svg = re.sub(r"<defs>\s*</defs>\s*", "", svg)

    def attributes(match: re.Match) -> str:
        pairs = (part.split(":", 1) for part in match.group(1).split(";") if ":" in part)
        return "".join(f' {name.strip()}="{value.strip()}"' for name, value in pairs)

    return _STYLE_ATTRIBUTE.sub(attributes, svg)


#: The charts this process drew, by what they were drawn from (:func:`_chart_key`): a report
#: written twice (the demo's, again with its campaigns) draws each unchanged chart once.
_DRAWN: dict[bytes, str] = {}
_DRAWN_MAX = 64
#: Arguments with more values than this are not hashed: a chart of millions of customers is
#: drawn again rather than its inputs copied to be compared.
_KEY_MAX_VALUES = 1_000_000


def _render(draw, *args, chart_id: str, title: str) -> str:
    key = _chart_key(draw, args, chart_id, title)
    if key is not None and key in _DRAWN:
        return _DRAWN[key]
    with matplotlib.rc_context(_RC):
        fig = draw(*args)
        svg = _to_svg(fig, chart_id, title)
    if key is not None:
        if len(_DRAWN) >= _DRAWN_MAX:
            _DRAWN.pop(next(iter(_DRAWN)))
        _DRAWN[key] = svg
    return svg


def _chart_key(draw, args: tuple, chart_id: str, title: str) -> bytes | None:
    """A digest of everything a chart is drawn from: the drawing function (and what it closes
    over), its arguments, its id and title; the chart's look is fixed (``_RC``). None (drawn
    every time) when an argument is large or cannot be pickled."""
    parts = args + tuple(cell.cell_contents for cell in (draw.__closure__ or ()))
    if any(part.size > _KEY_MAX_VALUES for part in parts
           if isinstance(part, (pd.DataFrame, pd.Series, np.ndarray))):
        return None
    try:
        blob = pickle.dumps((draw.__module__, draw.__qualname__, parts, chart_id, title),
                            protocol=5)
    except Exception:  # a lambda or an open handle among the inputs: not worth a key
        return None
    return hashlib.sha256(blob).digest()


def _numeric(series: pd.Series | None) -> np.ndarray:
    if series is None:
        return np.array([], dtype=float)
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return values[np.isfinite(values)]


def _no_data(ax, labels: Labels) -> None:
    ax.text(0.5, 0.5, "–", ha="center", va="center", color=MUTED, transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def _money_axis(axis, lang: str, symbol: str, log: bool, max_ticks: int = 6) -> None:
    """Amounts on ``axis`` as short money (¥1.2k, ¥120万); on a log scale at powers of ten, and
    also at 2 and 5 × 10^k when there is room for them (at most ``max_ticks`` labels)."""
    if log:
        low, high = axis.get_view_interval()
        decades = np.log10(max(high, 1e-12) / max(low, 1e-12))
        subs = (1.0, 2.0, 5.0) if 3 * decades <= max_ticks else (1.0,)
        axis.set_major_locator(LogLocator(base=10, subs=subs))
        axis.set_minor_locator(LogLocator(base=10, subs=tuple(range(1, 10))))
        axis.set_minor_formatter(NullFormatter())
    axis.set_major_formatter(FuncFormatter(lambda x, _pos: _tick_money(x, lang, symbol)))


def _tick_money(x: float, lang: str, symbol: str) -> str:
    """A tick's amount: short money from 1 up (1, 10, 1k, 10k), plain decimals below (0.1)."""
    if 0 < abs(x) < 1:
        return f"{'-' if x < 0 else ''}{symbol}{abs(x):g}"
    return format_compact(x, lang, symbol)


def _count_formatter(lang: str) -> FuncFormatter:
    def fmt(x, _pos):
        if x >= 10_000:
            return format_compact(x, lang)
        return format_int(x)
    return FuncFormatter(fmt)


#: A log axis spans at most this many powers of ten below its top: amounts a millionth of the
#: largest (the CLV of long-gone customers) would stretch it without telling anything.
_LOG_DECADES = 5
#: Log-scale bins per power of ten; edges fall on the powers of ten.
_BINS_PER_DECADE = 8


def _log_floor(values: np.ndarray) -> float:
    """Where a log axis of the positive ``values`` starts: the power of ten at or below the
    smallest, but no more than :data:`_LOG_DECADES` powers of ten below the top."""
    top = np.ceil(np.log10(values.max()))
    return float(10.0 ** max(np.floor(np.log10(values.min())), top - _LOG_DECADES))


def _edges(values: np.ndarray, n_bins: int, log: bool) -> np.ndarray:
    """Bin edges on round numbers: on a log scale ``_BINS_PER_DECADE`` per power of ten from
    :func:`_log_floor`; on a linear one at most about ``n_bins`` bins of a 1/2/5 × 10^k width."""
    lo, hi = float(values.min()), float(values.max())
    if log:
        start = np.log10(_log_floor(values)) * _BINS_PER_DECADE
        stop = np.ceil(np.log10(hi) * _BINS_PER_DECADE - 1e-9)
        steps = np.arange(round(start), max(round(stop), round(start) + 1) + 1)
        return 10.0 ** (steps / _BINS_PER_DECADE)
    if hi <= lo:
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    step = round_step(hi - lo, n_bins)
    first, last = np.floor(lo / step + 1e-9), np.ceil(hi / step - 1e-9)
    return np.round(np.arange(first, max(last, first + 1) + 1) * step, 10)


def _histogram(ax, values: np.ndarray, colour: str, *, log: bool, n_bins: int = 30) -> None:
    edges = _edges(values, n_bins, log)
    counts, edges = np.histogram(values, bins=edges)
    ax.stairs(counts, edges, fill=True, color=colour, alpha=0.85, linewidth=0)
    if log:
        ax.set_xscale("log")
    ax.set_xlim(edges[0], edges[-1])


def _log_shown(values: np.ndarray) -> tuple[np.ndarray, str | None]:
    """The values a log axis shows (positive, from :func:`_log_floor` up) and the floor when
    it hides small positive values too, else None."""
    positive = values[values > 0]
    if not positive.size:
        return positive, None
    floor = _log_floor(positive)
    shown = positive[positive >= floor]
    return shown, (floor if shown.size < positive.size else None)


def _hidden_note(ax, labels: Labels, values: np.ndarray, shown: np.ndarray, floor, symbol: str,
                 loc: str) -> None:
    hidden = int(values.size - shown.size)
    if not hidden:
        return
    if floor is None:
        text = labels.fmt("non_positive", count=format_int(hidden))
    else:
        text = labels.fmt("below_floor", count=format_int(hidden),
                          amount=_tick_money(floor, labels.lang, symbol))
    ax.set_title(text, fontsize=8, fontweight="normal", color=MUTED, loc=loc)


def _wants_log(values: np.ndarray) -> bool:
    positive = values[values > 0]
    if positive.size < 2:
        return False
    return bool(positive.max() / positive.min() > 30)


def _frequency_buckets(frequency: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Repeat-purchase counts in readable buckets: each value up to 9, then wider ranges."""
    top = int(frequency.max()) if frequency.size else 0
    if top <= 12:
        counts = np.bincount(frequency.astype(np.int64).clip(0), minlength=top + 1)
        return [str(i) for i in range(top + 1)], counts
    edges = [0, 1, 2, 3, 4, 5, 10, 20, 50, 100, 200, 500, 1000]
    edges = [e for e in edges if e <= top] + [top + 1]
    counts, _ = np.histogram(frequency, bins=edges)
    names = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        if hi - lo == 1:
            names.append(str(lo))
        elif hi == top + 1:
            names.append(f"{lo}+")
        else:
            names.append(f"{lo}–{hi - 1}")
    return names, counts


def _score_counts(series: pd.Series | None) -> np.ndarray:
    scores = _numeric(series)
    scores = scores[(scores >= 1) & (scores <= 5)].round().astype(np.int64)
    return np.bincount(scores, minlength=6)[1:6]


def rfm_distributions_svg(customers: pd.DataFrame, labels: Labels, symbol: str = "") -> str:
    """Top row: recency, repeat purchases and total spend; bottom row: the R, F and M scores."""
    return _render(_draw_rfm, customers, labels, symbol, chart_id="rfm",
                   title=labels["section_rfm"])


def _draw_rfm(customers: pd.DataFrame, labels: Labels, symbol: str) -> Figure:
    fig = _figure(10, 5.6)
    axes = fig.subplots(2, 3)
    lang = labels.lang

    recency = _numeric(customers.get("recency_days"))
    ax = axes[0, 0]
    _style(ax)
    if recency.size:
        _histogram(ax, recency, BLUE, log=False)
        ax.set_xlim(left=0)
    else:
        _no_data(ax, labels)
    ax.set_xlabel(labels["axis_recency"])
    ax.set_ylabel(labels["axis_customers"])

    frequency = _numeric(customers.get("frequency"))
    ax = axes[0, 1]
    _style(ax)
    if frequency.size:
        names, counts = _frequency_buckets(frequency)
        ax.bar(range(len(names)), counts, color=BLUE, alpha=0.85, width=0.8)
        ax.set_xticks(range(len(names)), names)
        if sum(len(name) for name in names) > 22:
            ax.tick_params(axis="x", labelrotation=45)
            for tick in ax.get_xticklabels():
                tick.set_horizontalalignment("right")
                tick.set_rotation_mode("anchor")
    else:
        _no_data(ax, labels)
    ax.set_xlabel(labels["axis_frequency"])

    monetary = _numeric(customers.get("monetary_total"))
    ax = axes[0, 2]
    _style(ax)
    log = _wants_log(monetary)
    shown, floor = _log_shown(monetary) if log else (monetary, None)
    if shown.size:
        _histogram(ax, shown, BLUE, log=log)
        _money_axis(ax.xaxis, lang, symbol, log, max_ticks=5)
    else:
        _no_data(ax, labels)
    ax.set_xlabel(labels["axis_monetary"] if log else labels["axis_monetary_linear"])
    _hidden_note(ax, labels, monetary, shown, floor, symbol, "right")

    for ax, column, key in zip(axes[1], ("r_score", "f_score", "m_score"),
                               ("axis_r_score", "axis_f_score", "axis_m_score")):
        _style(ax)
        counts = _score_counts(customers.get(column))
        ax.bar(range(1, 6), counts, color=GREEN, alpha=0.85, width=0.7)
        ax.set_xticks(range(1, 6))
        ax.set_xlabel(labels[key])
    axes[1, 0].set_ylabel(labels["axis_customers"])
    for ax in axes.flat:
        ax.yaxis.set_major_formatter(_count_formatter(lang))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    fig.get_layout_engine().set(h_pad=0.12, w_pad=0.08)
    return fig


def segment_shares_svg(names: Sequence[str], customer_shares: Sequence[float],
                       value_shares: Sequence[float], labels: Labels, *,
                       chart_id: str = "segments", title: str | None = None) -> str:
    """Paired horizontal bars: each group's share of customers next to its share of value."""
    return _render(_draw_shares, list(names), np.asarray(customer_shares, dtype=float),
                   np.asarray(value_shares, dtype=float), labels, chart_id=chart_id,
                   title=title or labels["section_segments"])


def _draw_shares(names: list[str], customer_shares: np.ndarray, value_shares: np.ndarray,
                 labels: Labels) -> Figure:
    n = max(len(names), 1)
    fig = _figure(10, 0.9 + 0.46 * n)
    ax = fig.add_subplot()
    _style(ax, grid="x")
    ax.spines["left"].set_visible(False)
    positions = np.arange(len(names))
    height = 0.38
    bars_c = ax.barh(positions - height / 2, customer_shares, height=height, color=SKY,
                     label=labels["legend_customers"])
    bars_v = ax.barh(positions + height / 2, value_shares, height=height, color=BLUE,
                     label=labels["legend_value"])
    top = float(np.nanmax(np.concatenate([customer_shares, value_shares, [0.0]])))
    for bars, shares in ((bars_c, customer_shares), (bars_v, value_shares)):
        for bar, share in zip(bars, shares):
            ax.text(bar.get_width() + top * 0.01, bar.get_y() + bar.get_height() / 2,
                    format_percent(share, 1) if share < 0.1 else format_percent(share),
                    va="center", ha="left", fontsize=8, color=MUTED)
    ax.set_yticks(positions, names)
    ax.tick_params(axis="y", length=0, labelsize=9.5, labelcolor=TEXT)
    ax.invert_yaxis()
    ax.set_xlim(0, max(top * 1.12, 0.05))
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2, borderaxespad=0.2)
    return fig


def concentration_svg(pareto: dict, labels: Labels) -> str:
    """The concentration (Lorenz) curve with the A/B/C bands, the top-x % point and the Gini."""
    return _render(_draw_concentration, pareto, labels, chart_id="pareto",
                   title=labels["section_concentration"])


def _class_bounds(classes: list[dict]) -> list[tuple[str, float, float, float]]:
    """(class, start and end of its customer share, cumulative value share at its end)."""
    bounds, cum_c, cum_v = [], 0.0, 0.0
    for row in classes:
        start = cum_c
        cum_c += float(row.get("customer_share") or 0.0)
        cum_v += float(row.get("value_share") or 0.0)
        bounds.append((str(row.get("class")), start, min(cum_c, 1.0), min(cum_v, 1.0)))
    return bounds


def _draw_concentration(pareto: dict, labels: Labels) -> Figure:
    fig = _figure(10, 5.4)
    ax = fig.add_subplot()
    _style(ax, grid="both")
    points = np.asarray(pareto.get("lorenz") or [[0.0, 0.0], [1.0, 1.0]], dtype=float)
    gini = pareto.get("gini")
    gini_text = "–" if gini is None else f"{float(gini):.2f}"
    measure = labels.value

    for cls, start, end, cum_value in _class_bounds(list(pareto.get("classes") or [])):
        colour = CLASS_COLOURS.get(cls, GREY)
        if end > start:
            ax.axvspan(start, end, color=colour, alpha=0.10, linewidth=0)
            if end - start >= 0.04:
                ax.text((start + end) / 2, 1.015, cls, ha="center", va="bottom",
                        fontweight="bold", color=colour, transform=ax.get_xaxis_transform())
        if end < 1.0 - 1e-9:
            y = float(np.interp(end, points[:, 0], points[:, 1]))
            ax.plot([end, end], [0, y], color=colour, linewidth=1, linestyle=":")
            ax.plot([end], [y], marker="o", markersize=5, color=colour, zorder=5)
            ax.annotate(labels.fmt("class_cut", cls=cls, customers=format_percent(end),
                                   value=format_percent(cum_value), measure=measure),
                        (end, y), xytext=(10, -14), textcoords="offset points", fontsize=8.5,
                        color=TEXT, va="top")

    ax.plot([0, 1], [0, 1], color=GREY, linewidth=1, linestyle="--",
            label=labels["legend_equality"])
    ax.plot(points[:, 0], points[:, 1], color=VERMILLION, linewidth=2.2,
            label=labels.fmt("legend_curve", gini=gini_text))
    top = pareto.get("top_share")
    top_value = pareto.get("top_value_share")
    if top is not None and top_value is not None:
        top, top_value = float(top), float(top_value)
        ax.plot([top, top, 0], [0, top_value, top_value], color=ORANGE, linewidth=1,
                linestyle="--")
        ax.plot([top], [top_value], marker="s", markersize=6, color=ORANGE, zorder=6,
                linestyle="none",
                label=labels.fmt("legend_top", top=format_percent(top),
                                 share=format_percent(top_value)))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.0)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(labels["axis_cum_customers"])
    ax.set_ylabel(labels["axis_cum_value"])
    ax.legend(loc="lower right")
    return fig


def rf_heatmap_svg(customers: pd.DataFrame, labels: Labels, symbol: str = "") -> str:
    """A 5 × 5 grid of customers by R score (rows, 5 on top) and F score (columns), with the
    number of customers and their average total spend in each cell."""
    counts, mean_spend = rf_cells(customers)
    return _render(_draw_heatmap, counts, mean_spend, labels, symbol, chart_id="rf",
                   title=labels["section_heatmap"])


def rf_cells(customers: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Customers and average ``monetary_total`` per (R, F) cell, as 5 × 5 arrays indexed
    ``[r - 1, f - 1]``; the average is NaN in an empty cell."""
    if len(customers) == 0 or not {"r_score", "f_score"} <= set(customers.columns):
        return np.zeros((5, 5)), np.full((5, 5), np.nan)

    def column(name: str) -> np.ndarray:
        if name not in customers.columns:
            return np.zeros(len(customers))
        return pd.to_numeric(customers[name], errors="coerce").to_numpy(dtype=float,
                                                                         na_value=np.nan)

    r, f, m = column("r_score"), column("f_score"), column("monetary_total")
    keep = (r >= 1) & (r <= 5) & (f >= 1) & (f <= 5)
    cell = ((r[keep].round() - 1) * 5 + (f[keep].round() - 1)).astype(np.int64)
    spend = np.nan_to_num(m[keep])
    counts = np.bincount(cell, minlength=25).astype(float)
    totals = np.bincount(cell, weights=spend, minlength=25)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(counts > 0, totals / np.where(counts > 0, counts, 1), np.nan)
    return counts.reshape(5, 5), mean.reshape(5, 5)


def _draw_heatmap(counts: np.ndarray, mean_spend: np.ndarray, labels: Labels,
                  symbol: str) -> Figure:
    fig = _figure(8.2, 5.6)
    ax = fig.add_subplot()
    grid = counts[::-1]  # R = 5 on the top row
    spend = mean_spend[::-1]
    top = max(float(grid.max()), 1.0)
    image = ax.imshow(grid, cmap=_HEAT, vmin=0, vmax=top, aspect="auto")
    for i in range(5):
        for j in range(5):
            n = grid[i, j]
            dark = n / top > 0.55
            colour = "white" if dark else TEXT
            amount = format_compact(spend[i, j], labels.lang, symbol) if n else "–"
            ax.text(j, i - 0.13, format_int(n), ha="center", va="center", color=colour,
                    fontsize=10, fontweight="bold")
            ax.text(j, i + 0.2, amount, ha="center", va="center", color=colour, fontsize=8)
    ax.set_xticks(range(5), [str(s) for s in range(1, 6)])
    ax.set_yticks(range(5), [str(s) for s in range(5, 0, -1)])
    ax.set_xlabel(labels["axis_f_score"])
    ax.set_ylabel(labels["axis_r_score"])
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_xticks(np.arange(-0.5, 5, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, 5, 1), minor=True)
    ax.grid(which="minor", color="white", linewidth=2)
    ax.tick_params(which="minor", length=0)
    bar = fig.colorbar(image, ax=ax, shrink=0.85, pad=0.02)
    bar.set_label(labels["heatmap_colorbar"])
    bar.outline.set_visible(False)
    bar.ax.yaxis.set_major_formatter(_count_formatter(labels.lang))
    return fig


def distribution_svg(values: pd.Series, labels: Labels, *, axis_key: str, chart_id: str,
                     title: str, symbol: str = "", money: bool = True,
                     bounds: tuple[float, float] | None = None) -> str:
    """A histogram of one per-customer measure (CLV, probability alive…), with median and mean.

    Money with a wide positive range is binned on a log scale (``axis_key`` then names the log
    axis, ``axis_key + "_linear"`` the linear one); ``bounds`` fixes the range (e.g. 0–1).
    """
    return _render(distribution_figure, values, labels, axis_key, symbol, money, bounds,
                   chart_id=chart_id, title=title)


def distribution_figure(values: pd.Series, labels: Labels, axis_key: str, symbol: str = "",
                        money: bool = True,
                        bounds: tuple[float, float] | None = None) -> Figure:
    """The figure :func:`distribution_svg` draws, for a look at its axes."""
    return _draw_distribution(_numeric(values), labels, axis_key, symbol, money, bounds)


def _draw_distribution(values: np.ndarray, labels: Labels, axis_key: str, symbol: str,
                       money: bool, bounds: tuple[float, float] | None) -> Figure:
    fig = _figure(10, 3.6)
    ax = fig.add_subplot()
    _style(ax)
    lang = labels.lang
    log = money and bounds is None and _wants_log(values)
    shown, floor = _log_shown(values) if log else (values, None)
    if shown.size:
        if bounds is not None:
            counts, edges = np.histogram(shown, bins=20, range=bounds)
            ax.stairs(counts, edges, fill=True, color=BLUE, alpha=0.85, linewidth=0)
            ax.set_xlim(*bounds)
            if not money:
                ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        else:
            _histogram(ax, shown, BLUE, log=log, n_bins=40)
        if money:
            _money_axis(ax.xaxis, lang, symbol, log, max_ticks=10)

        def amount(x):
            return format_compact(x, lang, symbol) if money else format_percent(x)

        median, mean = float(np.median(values)), float(np.mean(values))
        ax.axvline(median, color=ORANGE, linewidth=1.5, linestyle="--",
                   label=labels.fmt("legend_median", amount=amount(median)))
        if not log or mean > 0:
            ax.axvline(mean, color=VERMILLION, linewidth=1.5, linestyle=":",
                       label=labels.fmt("legend_mean", amount=amount(mean)))
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2, borderaxespad=0.2)
    else:
        _no_data(ax, labels)
    ax.set_xlabel(labels[axis_key] if (log or not money) else labels[axis_key + "_linear"])
    ax.set_ylabel(labels["axis_customers"])
    ax.yaxis.set_major_formatter(_count_formatter(lang))
    _hidden_note(ax, labels, values, shown, floor, symbol, "left")
    return fig
