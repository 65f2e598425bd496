"""Behaviour features at their edges, by hand: purchases exactly on the as-of date and on the
windows' bounds, one repeat purchase a day apart, a trend from a single purchase, money rounded
to 1e-9, no category column, and the checks of the arguments."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from cvm.engine import get_engine
from cvm.features.behaviour import (behaviour_features, behaviour_features_at_cutoff,
                                    no_purchase_labels, purchase_gap_quantile)

AS_OF = dt.date(2024, 3, 31)   # with 30-day windows: recent (Mar 1, Mar 31], prior (Jan 31, Mar 1]
ROWS = [  # customer, date, amount, category
    ("D", "2024-01-31", 7.0, "q"),    # exactly two windows back: in neither window
    ("D", "2024-03-01", 11.0, None),  # exactly one window back: prior, not recent
    ("D", "2024-03-31", 13.0, "p"),   # on the as-of date: counted, recent
    ("E", "2024-03-15", 1.00000000006, "q"),  # rounded to 1e-9: 1.0
    ("F", "2024-03-30", 2.0, None), ("F", "2024-03-31", 4.0, None),
    ("G", "2024-03-31", 3.0, None),   # a first purchase on the as-of date
    ("H", "2024-03-01", 5.0, None),
    ("Z", "2024-04-01", 99.0, "z"),   # after the as-of date
]


def _table(engine_name, name, rows=ROWS, category=True):
    frame = pd.DataFrame(rows, columns=["customer_id", "purchase_date", "amount", "category"])
    frame["purchase_date"] = pd.to_datetime(frame["purchase_date"]).dt.date
    if not category:
        frame = frame.drop(columns="category")
    engine = get_engine(engine_name)
    return engine, engine.table(pa.Table.from_pandas(frame, preserve_index=False),
                                f"{name}_{engine_name}")


def _rows(engine, expr) -> pd.DataFrame:
    return engine.to_arrow(expr).to_pandas().set_index("customer_id").sort_index()


def test_purchases_on_the_bounds_of_the_windows():
    # DuckDB only: test_behaviour.py runs the hand-computed case on both engines
    engine, t = _table("duckdb", "behaviour_bounds")
    f = _rows(engine, behaviour_features(t, as_of=AS_OF, window_days=30))
    assert f.index.tolist() == ["D", "E", "F", "G", "H"]
    d, e, fc = f.loc["D"], f.loc["E"], f.loc["F"]
    assert (d.n_purchase_days, d.frequency, d.recency_days, d.tenure_days) == (3, 2, 0, 60)
    assert (d.monetary_total, d.monetary_avg) == (31.0, pytest.approx(31 / 3))
    assert (d.mean_gap_days, d.silence_ratio, d.recency_share) == (30.0, 0.0, 0.0)
    assert (d.recent_purchase_days, d.recent_spend) == (1, 13.0)
    assert (d.prior_purchase_days, d.prior_spend) == (1, 11.0)
    assert (d.purchase_trend, d.spend_trend) == (0.0, pytest.approx(2 / 24))
    assert d.category_count == 2   # q, and p bought on the as-of date
    # one purchase day: a single recent purchase and a spend of exactly 1 make trends of 1
    assert (e.monetary_total, e.recent_spend) == (1.0, 1.0)
    assert (e.purchase_trend, e.spend_trend) == (1.0, 1.0)
    assert (e.frequency, e.recency_days, e.tenure_days, e.recency_share) == (0, 16, 16, 1.0)
    # one repeat purchase a day after the first: a gap of 1 day, a tenure of 1 day
    assert (fc.frequency, fc.tenure_days, fc.mean_gap_days, fc.recency_share) == (1, 1, 1.0, 0.0)
    # no repeat purchase: no gap (null, not 0 / 0 = NaN); no tenure: no share of it
    raw = engine.to_arrow(behaviour_features(t, as_of=AS_OF, window_days=30)).to_pylist()
    by_id = {r["customer_id"]: r for r in raw}
    assert (by_id["E"]["mean_gap_days"], by_id["E"]["silence_ratio"]) == (None, None)
    assert (by_id["G"]["tenure_days"], by_id["G"]["recency_share"]) == (0, None)


def test_features_at_a_cutoff_count_categories_up_to_each_date():
    engine, t = _table("duckdb", "behaviour_cut_categories")
    f = _rows(engine, behaviour_features_at_cutoff(t, as_of=AS_OF, cutoff=dt.date(2024, 3, 1),
                                                   window_days=30))
    d = f.loc["D"]
    assert (d.cutoff_category_count, d.category_count) == (1, 2)
    assert (d.cutoff_n_purchase_days, d.cutoff_recency_days) == (2, 0)
    # at the cut-off, Mar 1 is its own day: recent (Jan 31, Mar 1], prior (Jan 1, Jan 31]
    assert (d.cutoff_recent_purchase_days, d.cutoff_prior_purchase_days) == (1, 1)
    assert (d.recent_purchase_days, d.prior_purchase_days) == (1, 1)
    assert f.loc["H"].cutoff_n_purchase_days == 1
    assert f.loc["F"].cutoff_n_purchase_days == 0 and np.isnan(f.loc["F"].cutoff_frequency)


def test_without_a_category_column_every_count_is_zero():
    engine, t = _table("duckdb", "behaviour_no_category", category=False)
    f = _rows(engine, behaviour_features(t, as_of=AS_OF, window_days=30))
    assert f["category_count"].tolist() == [0.0] * 5
    pair = _rows(engine, behaviour_features_at_cutoff(t, as_of=AS_OF, cutoff=dt.date(2024, 3, 1),
                                                      window_days=30))
    assert pair["cutoff_category_count"].tolist() == [0.0] * 5


def test_labels_count_purchases_on_the_as_of_date_and_the_windows_last_day():
    engine, t = _table("duckdb", "behaviour_labels")
    labels = _rows(engine, no_purchase_labels(t, as_of=dt.date(2024, 3, 1), window_days=30))
    # D bought on Mar 31, the window's last day; H's only purchase is on the as-of date
    assert labels["no_purchase"].to_dict() == {"D": 0, "H": 1}
    assert str(labels["no_purchase"].dtype) == "int8"


def test_the_default_gap_quantile_is_the_ninetieth_percentile():
    rows = [("G", f"2024-01-{d:02d}", 1.0, "x") for d in (1, 2, 4, 8, 16)]   # gaps 1, 2, 4, 8
    engine, t = _table("duckdb", "behaviour_gaps", rows=rows)

    def value(expr):
        return engine.to_arrow(expr.name("g").as_table()).to_pandas()["g"][0]

    default = value(purchase_gap_quantile(t, as_of=AS_OF))
    assert default == value(purchase_gap_quantile(t, as_of=AS_OF, quantile=0.9))
    assert default != value(purchase_gap_quantile(t, as_of=AS_OF, quantile=0.5))
    assert default == pytest.approx(np.quantile([1, 2, 4, 8], 0.9))   # 6.8, interpolated


def test_the_arguments_are_checked():
    engine, t = _table("duckdb", "behaviour_args")
    with pytest.raises(ValueError, match="window_days must be at least 1, got 0"):
        behaviour_features(t, as_of=AS_OF, window_days=0)
    one = _rows(engine, behaviour_features(t, as_of=AS_OF, window_days=1))
    # a one-day window: recent is the as-of date, prior the day before
    assert (one.loc["F"].recent_purchase_days, one.loc["F"].prior_purchase_days) == (1, 1)
    with pytest.raises(ValueError, match="must come before the as-of date"):
        behaviour_features_at_cutoff(t, as_of=AS_OF, cutoff=AS_OF, window_days=30)
