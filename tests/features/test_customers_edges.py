"""The feature table's edges: its summary per RFM segment by hand, the as-of date it needs, and
the purchase-day table and scheme a caller may give."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from cvm.config import AnalysisConfig
from cvm.engine import get_engine
from cvm.features.customers import customer_features, segment_summary
from cvm.features.rfm_schemes import load_scheme
from cvm.features.summary import purchase_days

# segment, value, recency, frequency, monetary total
FEATURES = [
    ("loyal", 10.0, 5.0, 1, 10.0),
    ("loyal", None, 15.0, 3, 20.0),   # no known value: counts as 0 in the sums
    ("lost", 30.0, 90.0, 0, 30.0),
    ("lost", 2.5, 100.0, 0, 4.0),
]


def _summary(engine_name, rows, name):
    engine = get_engine(engine_name)
    table = pa.table({
        "rfm_segment": [r[0] for r in rows],
        "clv": pa.array([r[1] for r in rows], pa.float64()),
        "recency_days": [r[2] for r in rows],
        "frequency": [r[3] for r in rows],
        "monetary_total": [r[4] for r in rows],
    })
    out = engine.to_arrow(segment_summary(engine.table(table, f"{name}_{engine_name}"), "clv"))
    return {r["rfm_segment"]: r for r in out.to_pylist()}


def test_segment_summary_by_hand(engine_name):
    got = _summary(engine_name, FEATURES, "seg_features")
    # 4 customers, value 10 + 0 + 30 + 2.5 = 42.5
    loyal, lost = got["loyal"], got["lost"]
    assert (loyal["customers"], lost["customers"]) == (2, 2)
    assert loyal["value"] == 10.0 and lost["value"] == 32.5
    assert loyal["customer_share"] == 0.5 and lost["customer_share"] == 0.5
    assert loyal["value_share"] == pytest.approx(10 / 42.5, rel=1e-12)
    assert lost["value_share"] == pytest.approx(32.5 / 42.5, rel=1e-12)
    assert (loyal["avg_recency_days"], loyal["avg_frequency"], loyal["avg_monetary_total"]) \
        == (10.0, 2.0, 15.0)
    assert (lost["avg_recency_days"], lost["avg_frequency"], lost["avg_monetary_total"]) \
        == (95.0, 0.0, 17.0)


def test_segment_summary_of_values_summing_to_zero_or_one():
    # a total of 0 gives shares of 0, not a division by 0 (DuckDB only: the by-hand case above
    # runs on both engines)
    engine_name = "duckdb"
    got = _summary(engine_name, [("a", 5.0, 1.0, 0, 5.0), ("b", -5.0, 1.0, 0, 5.0),
                                 ("c", None, 1.0, 0, 5.0)], "seg_zero")
    assert {k: v["value_share"] for k, v in got.items()} == {"a": 0.0, "b": 0.0, "c": 0.0}
    assert {k: v["customer_share"] for k, v in got.items()} == pytest.approx(
        {"a": 1 / 3, "b": 1 / 3, "c": 1 / 3})
    # a total of exactly 1 is divided like any other
    got = _summary(engine_name, [("a", 0.25, 1.0, 0, 5.0), ("b", 0.75, 1.0, 0, 5.0)], "seg_one")
    assert (got["a"]["value_share"], got["b"]["value_share"]) == (0.25, 0.75)


ROWS = [
    ("c1", "2024-01-01", 10.0, None), ("c1", "2024-01-31", 30.0, None),
    ("c2", "2024-01-21", 100.0, None),
    ("c3", "2023-12-01", 8.0, None),
]


def test_customer_features_need_an_as_of_date(make_transactions):
    engine = get_engine("duckdb")
    txns = engine.table(make_transactions(ROWS), "edge_txns_no_as_of")
    with pytest.raises(ValueError, match="needs an as-of date"):
        customer_features(txns, AnalysisConfig())


def test_a_given_purchase_day_table_and_scheme_are_used(make_transactions):
    engine = get_engine("duckdb")
    txns = engine.table(make_transactions(ROWS), "edge_txns_days")
    config = AnalysisConfig(as_of=dt.date(2024, 1, 31))
    plain = engine.to_arrow(customer_features(txns, config)).sort_by("customer_id")
    # the days of c1 only: the other customers are not in the table
    days = purchase_days(txns.filter(txns.customer_id == "c1"))
    given = engine.to_arrow(customer_features(txns, config, days=days))
    assert given["customer_id"].to_pylist() == ["c1"]
    row, alone = given.to_pylist()[0], plain.to_pylist()[0]
    for column in ("n_purchase_days", "frequency", "recency_days", "tenure_days",
                   "monetary_total"):
        assert row[column] == alone[column]
    assert (row["monetary_total"], row["value_rank"], row["cumulative_value_share"]) == (40, 1, 1)
    assert alone["value_rank"] == 2  # behind c2's 100 among all three
    # a scheme given by the caller names the segments, not the configured one (std11)
    assert config.rfm.scheme == "std11"
    scheme = load_scheme("seed4")
    segments = engine.to_arrow(customer_features(txns, config, scheme=scheme))["rfm_segment"]
    assert set(segments.to_pylist()) <= set(scheme.keys)
    assert set(plain["rfm_segment"].to_pylist()) <= set(load_scheme("std11").keys)
    assert not set(segments.to_pylist()) & set(plain["rfm_segment"].to_pylist())
