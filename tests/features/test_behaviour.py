"""Behaviour features for churn risk on every engine, against hand-computed figures."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from cvm.engine import get_engine
from cvm.features.behaviour import (BEHAVIOUR_COLUMNS, behaviour_features,
                                    behaviour_features_at_cutoff, no_purchase_labels)

ROWS = [  # customer, date, amount, category
    ("A", "2024-01-01", 10.0, "x"), ("A", "2024-01-11", 20.0, "y"), ("A", "2024-01-21", 30.0, "x"),
    ("A", "2024-03-01", 15.0, "x"),
    ("B", "2024-02-01", 50.0, None), ("B", "2024-02-01", 5.0, None),
    ("C", "2024-03-20", 8.0, "z"),
]


def _table(engine_name, name):
    frame = pd.DataFrame(ROWS, columns=["customer_id", "purchase_date", "amount", "category"])
    frame["purchase_date"] = pd.to_datetime(frame["purchase_date"]).dt.date
    engine = get_engine(engine_name)
    return engine, engine.table(pa.Table.from_pandas(frame, preserve_index=False),
                                f"{name}_{engine_name}")


def _rows(engine, expr) -> pd.DataFrame:
    return engine.to_arrow(expr).to_pandas().set_index("customer_id").sort_index()


def test_behaviour_features_by_hand(engine_name):
    engine, t = _table(engine_name, "behaviour_tx")
    f = _rows(engine, behaviour_features(t, as_of=dt.date(2024, 3, 10), window_days=30))
    assert f.index.tolist() == ["A", "B"] and list(f.columns) == list(BEHAVIOUR_COLUMNS)
    a, b = f.loc["A"], f.loc["B"]
    assert (a.frequency, a.recency_days, a.tenure_days) == (3, 9, 69)
    assert a.mean_gap_days == pytest.approx(60 / 3) and a.silence_ratio == pytest.approx(9 / 20)
    assert a.recency_share == pytest.approx(9 / 69)
    # last 30 days: (Feb 9, Mar 10] holds Mar 1; the 30 before: (Jan 10, Feb 9] holds Jan 11, 21
    assert (a.recent_purchase_days, a.recent_spend) == (1, 15.0)
    assert (a.prior_purchase_days, a.prior_spend) == (2, 50.0)
    assert a.purchase_trend == pytest.approx((1 - 2) / 3)
    assert a.spend_trend == pytest.approx((15 - 50) / 65)
    assert (a.category_count, b.category_count) == (2, 0)
    # B: one purchase day (two lines) on Feb 1, 38 days before Mar 10 (2024 is a leap year)
    assert (b.frequency, b.recency_days, b.monetary_total, b.monetary_avg) == (0, 38, 55.0, 55.0)
    assert b.recency_share == 1.0 and np.isnan(b.mean_gap_days) and np.isnan(b.silence_ratio)
    assert (b.prior_purchase_days, b.purchase_trend, b.spend_trend) == (1, -1.0, -1.0)
    labels = _rows(engine, no_purchase_labels(t, as_of=dt.date(2024, 2, 15), window_days=30))
    assert labels["no_purchase"].to_dict() == {"A": 0, "B": 1}
    # with the tenure at Feb 15: A's first purchase Jan 1 (45 days), B's Feb 1 (14 days)
    both = _rows(engine, no_purchase_labels(t, as_of=dt.date(2024, 2, 15), window_days=30,
                                            tenure=True))
    assert both["no_purchase"].to_dict() == {"A": 0, "B": 1}
    assert both["tenure_days"].to_dict() == {"A": 45.0, "B": 14.0}


def test_features_at_the_cutoff_and_the_as_of_date_by_hand(engine_name):
    engine, t = _table(engine_name, "behaviour_pair_tx")
    as_of, cutoff = dt.date(2024, 3, 31), dt.date(2024, 2, 15)
    f = _rows(engine, behaviour_features_at_cutoff(t, as_of=as_of, cutoff=cutoff, window_days=30))
    assert f.index.tolist() == ["A", "B", "C"]
    # at the as-of date: the same as behaviour_features there
    alone = _rows(engine, behaviour_features(t, as_of=as_of, window_days=30))
    pd.testing.assert_frame_equal(f[list(BEHAVIOUR_COLUMNS)], alone, check_dtype=False)
    a, b, c = f.loc["A"], f.loc["B"], f.loc["C"]
    # A at Feb 15: purchase days Jan 1, 11, 21 (x, y, x); silent 25 days of 45
    assert (a.cutoff_frequency, a.cutoff_recency_days, a.cutoff_tenure_days) == (2, 25, 45)
    assert (a.cutoff_mean_gap_days, a.cutoff_monetary_total, a.cutoff_category_count) == (10, 60, 2)
    # (Jan 16, Feb 15] holds Jan 21; (Dec 17, Jan 16] holds Jan 1 and 11
    assert (a.cutoff_recent_purchase_days, a.cutoff_prior_purchase_days) == (1, 2)
    assert (b.cutoff_frequency, b.cutoff_recency_days, b.cutoff_monetary_total) == (0, 14, 55)
    # C's first purchase is after the cut-off: no purchase days there, the rest null
    assert (c.cutoff_n_purchase_days, c.cutoff_category_count) == (0, 0)
    assert np.isnan(c.cutoff_recency_days) and np.isnan(c.cutoff_frequency)
    assert (c.recency_days, c.tenure_days, c.category_count) == (11, 11, 1)
    # the window label needs no query: no purchase in (cut-off, as_of] <=> recency >= 45 days
    labels = _rows(engine, no_purchase_labels(t.filter(t.purchase_date <= as_of), as_of=cutoff,
                                              window_days=(as_of - cutoff).days))
    assert labels["no_purchase"].to_dict() == {"A": 0, "B": 1}
    assert (f.loc[["A", "B"], "recency_days"] >= 45).astype(int).to_dict() == {"A": 0, "B": 1}
