"""The report's histograms read in round numbers: a log axis at 1, 10, 100, 1k, 10k; linear bins
on 1/2/5 × 10^k steps. Read off the matplotlib Axes the charts are drawn from."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cvm.reports.charts import distribution_figure
from cvm.reports.labels import labels_for


def _axis(values, lang="en", symbol="$"):
    fig = distribution_figure(pd.Series(values), labels_for(lang, "revenue"), "axis_clv", symbol)
    fig.draw_without_rendering()
    return fig.axes[0]


def _tick_labels(ax) -> list[str]:
    low, high = ax.get_xlim()
    return [t.get_text() for t in ax.get_xticklabels()
            if low * (1 - 1e-9) <= t.get_position()[0] <= high * (1 + 1e-9)]


def test_clv_on_a_log_axis_reads_in_powers_of_ten():
    # a long-gone customer's CLV of a millionth would stretch the axis over twelve decades
    ax = _axis([0.0, 1e-6, 0.5, 3.0, 25.0, 250.0, 2_500.0, 12_000.0])
    assert _tick_labels(ax) == ["$1", "$10", "$100", "$1k", "$10k"]
    assert ax.get_title(loc="left") == "3 at or below zero or under $1 not shown"
    edges = ax.patches[0].get_data().edges
    assert edges[0] == 1.0
    assert np.allclose(edges[::8][:5], [1.0, 10.0, 100.0, 1_000.0, 10_000.0])


def test_small_amounts_on_a_log_axis_keep_their_decimals():
    ax = _axis([0.02, 0.3, 4.0, 55.0, 800.0], lang="zh", symbol="¥")
    assert _tick_labels(ax) == ["¥0.01", "¥0.1", "¥1", "¥10", "¥100", "¥1,000"]


def test_linear_bins_have_round_edges():
    ax = _axis(np.linspace(291.1, 2_911.0, 50))
    assert ax.get_xscale() == "linear"
    edges = ax.patches[0].get_data().edges
    assert edges.tolist() == [float(x) for x in range(200, 3_001, 100)]
    assert _tick_labels(ax) == ["$500", "$1k", "$1.5k", "$2k", "$2.5k", "$3k"]
