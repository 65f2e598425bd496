"""A chart drawn twice from the same inputs in one process is drawn once (the demo writes its
report twice); any change of input, id or title draws it again; large or unpicklable inputs
are never kept."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest

from cvm.reports import charts
from cvm.reports.charts import _figure, _render

CALLS: list[str] = []


@pytest.fixture(autouse=True)
def empty_memory(monkeypatch):
    monkeypatch.setattr(charts, "_DRAWN", {})
    CALLS.clear()


def _bars(values, label):
    CALLS.append(label)
    fig = _figure(3, 2)
    fig.add_subplot().bar([0, 1], [float(np.sum(values)), len(values)])
    return fig


def _lines(values, label):
    CALLS.append(f"lines {label}")
    fig = _figure(3, 2)
    fig.add_subplot().plot([0, 1], [float(np.sum(values)), len(values)])
    return fig


def test_the_same_inputs_draw_once_and_give_the_same_svg():
    first = _render(_bars, np.array([1.0, 2.0]), "a", chart_id="c", title="T")
    again = _render(_bars, np.array([1.0, 2.0]), "a", chart_id="c", title="T")
    assert again == first and CALLS == ["a"]
    assert first.startswith("<svg") and 'aria-label="T"' in first


@pytest.mark.parametrize("values, label, chart_id, title", [
    (np.array([1.0, 2.5]), "a", "c", "T"),  # a value
    (np.array([1.0, 2.0]), "b", "c", "T"),  # another argument
    (np.array([1.0, 2.0]), "a", "d", "T"),  # the id
    (np.array([1.0, 2.0]), "a", "c", "U"),  # the title
])
def test_any_other_input_draws_again(values, label, chart_id, title):
    _render(_bars, np.array([1.0, 2.0]), "a", chart_id="c", title="T")
    other = _render(_bars, values, label, chart_id=chart_id, title=title)
    assert CALLS == ["a", label]
    assert f'id="{chart_id}-' in other and f'aria-label="{title}"' in other


def test_another_drawing_function_with_the_same_inputs_draws_its_own_chart():
    bars = _render(_bars, np.array([1.0]), "a", chart_id="c", title="T")
    lines = _render(_lines, np.array([1.0]), "a", chart_id="c", title="T")
    assert CALLS == ["a", "lines a"] and bars != lines


def test_what_a_drawing_closes_over_is_part_of_its_inputs():
    def closing(n):
        def draw():
            fig = _figure(3, 2)
            fig.add_subplot().plot(range(n))
            return fig
        return draw

    key = charts._chart_key
    assert key(closing(3), (), "c", "T") != key(closing(4), (), "c", "T")
    assert key(closing(3), (), "c", "T") == key(closing(3), (), "c", "T")


def test_large_and_unpicklable_inputs_are_drawn_every_time():
    key = charts._chart_key
    big = pd.Series(np.zeros(charts._KEY_MAX_VALUES + 1))
    fits = pd.Series(np.zeros(charts._KEY_MAX_VALUES))
    assert key(_bars, (big,), "c", "T") is None
    assert key(_bars, (fits,), "c", "T") is not None
    frame = pd.DataFrame({"a": np.zeros(charts._KEY_MAX_VALUES // 2 + 1), "b": 0.0})
    assert key(_bars, (frame,), "c", "T") is None
    assert key(_bars, (frame.iloc[1:],), "c", "T") is not None
    assert key(_bars, (threading.Lock(),), "c", "T") is None
    for _ in range(2):
        _render(_bars, np.zeros(charts._KEY_MAX_VALUES + 1), "a", chart_id="c", title="T")
    assert CALLS == ["a", "a"] and charts._DRAWN == {}


def test_the_memory_keeps_the_latest_charts_only(monkeypatch):
    monkeypatch.setattr(charts, "_DRAWN_MAX", 2)
    for label in ("a", "b", "c", "a"):
        _render(_bars, np.array([1.0]), label, chart_id="c", title="T")
    assert CALLS == ["a", "b", "c", "a"]  # "a" was dropped when "c" came
    assert len(charts._DRAWN) == 2
    _render(_bars, np.array([1.0]), "a", chart_id="c", title="T")
    _render(_bars, np.array([1.0]), "c", chart_id="c", title="T")
    assert CALLS == ["a", "b", "c", "a"]
