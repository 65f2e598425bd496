"""The feature stage (summary, RFM scores, segments, ABC) on hand-computed cases, on DuckDB and
on Spark, and its invariants on real data."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from cvm.config import ABCOptions, AnalysisConfig, RFMOptions
from cvm.engine import get_engine
from cvm.features.customers import customer_features
from cvm.features.pareto import pareto_summary
from cvm.features.rfm_schemes import list_schemes

AS_OF = dt.date(2024, 1, 31)

# customer, date, amount, margin
ROWS = [
    ("c1", "2024-01-01", 10.0, None), ("c1", "2024-01-01", 5.0, None),
    ("c1", "2024-01-11", 20.0, None), ("c1", "2024-01-31", 30.0, None),
    ("c2", "2024-01-21", 100.0, None),
    ("c3", "2023-12-01", 8.0, None), ("c3", "2024-01-16", 12.0, None),
    ("c4", "2023-11-01", 40.0, 10.0),
    ("c5", "2024-01-26", 50.0, None), ("c5", "2024-01-28", 50.0, None),
    ("c5", "2024-02-05", 999.0, None),  # after the as-of date: not counted
]

# worked by hand (see the module docstring of cvm.features.rfm for the scoring rule)
EXPECTED = {
    #      first         last          ntx days freq rec ten  total  avg        rep   r f m cell   segment (std11)       rank share        class
    "c1": ("2024-01-01", "2024-01-31", 4, 3, 2, 0, 30, 65.0, 65 / 3, 25.0, 5, 5, 3, "553", "loyal", 3, 65 / 325, "A"),
    "c2": ("2024-01-21", "2024-01-21", 1, 1, 0, 10, 10, 100.0, 100.0, 0.0, 3, 1, 4, "314", "about_to_sleep", 1, 100 / 325, "A"),
    "c3": ("2023-12-01", "2024-01-16", 2, 2, 1, 15, 61, 20.0, 10.0, 12.0, 2, 3, 1, "231", "hibernating", 5, 20 / 325, "C"),
    "c4": ("2023-11-01", "2023-11-01", 1, 1, 0, 91, 91, 40.0, 40.0, 0.0, 1, 1, 2, "112", "lost", 4, 40 / 325, "B"),
    "c5": ("2024-01-26", "2024-01-28", 2, 2, 1, 3, 5, 100.0, 50.0, 50.0, 4, 3, 4, "434", "potential_loyalist", 2, 100 / 325, "A"),
}
COLUMNS = ("first_purchase", "last_purchase", "n_transactions", "n_purchase_days", "frequency",
           "recency_days", "tenure_days", "monetary_total", "monetary_avg", "repeat_monetary_avg",
           "r_score", "f_score", "m_score", "rfm_cell", "rfm_segment", "value_rank", "value_share",
           "abc_class")




@pytest.fixture
def hand_rows(make_transactions):
    return make_transactions(ROWS)


def _features(engine_name, rows, config=None):
    engine = get_engine(engine_name)
    txns = engine.table(rows, f"hand_txns_{engine_name}")
    config = config or AnalysisConfig(as_of=AS_OF)
    table = engine.to_arrow(customer_features(txns, config))
    return {r["customer_id"]: r for r in table.to_pylist()}


def test_every_column_matches_the_hand_computed_case(engine_name, hand_rows):
    got = _features(engine_name, hand_rows)
    assert sorted(got) == sorted(EXPECTED)
    for cid, expected in EXPECTED.items():
        row = got[cid]
        for col, want in zip(COLUMNS, expected):
            have = row[col]
            if col in ("first_purchase", "last_purchase"):
                have = have.isoformat() if hasattr(have, "isoformat") else str(have)[:10]
                assert have[:10] == want, (cid, col)
            elif isinstance(want, float):
                assert have == pytest.approx(want, rel=1e-12), (cid, col)
            else:
                assert have == want, (cid, col, have, want)
    assert got["c4"]["margin_total"] == pytest.approx(10.0)
    assert got["c1"]["margin_total"] is None or np.isnan(got["c1"]["margin_total"])
    assert got["c1"]["rfm_score"] == pytest.approx(13 / 3)
    assert got["c5"]["cumulative_value_share"] == pytest.approx(200 / 325)


def test_purchase_days_merge_same_day_lines_by_hand(engine_name):
    import pyarrow as pa

    from cvm.features.summary import purchase_days

    rows = pa.table({
        "customer_id": ["a", "a", "a", "a", "b"],
        "purchase_date": pa.array([dt.date(2024, 1, 5)] * 3 + [dt.date(2024, 1, 9)] * 2,
                                  type=pa.date32()),
        "amount": [10.0, 20.0, 30.0, 7.0, 5.0],
        "margin": pa.array([4.0, None, None, None, None], type=pa.float64()),
        "cost": pa.array([None, 15.0, None, None, None], type=pa.float64()),
    })
    engine = get_engine(engine_name)
    got = engine.to_arrow(purchase_days(engine.table(rows, f"days_{engine_name}")))
    got = {(r["customer_id"], r["purchase_date"]): r for r in got.to_pylist()}
    assert len(got) == 3
    # 5 Jan: margin 4 given, 20 - 15 from the cost, the 30 line has neither
    day = got[("a", dt.date(2024, 1, 5))]
    assert (day["day_amount"], day["day_transactions"], day["day_margin"],
            day["day_unpriced_amount"]) == (60.0, 3, 9.0, 30.0)
    day = got[("a", dt.date(2024, 1, 9))]
    assert (day["day_amount"], day["day_transactions"], day["day_margin"],
            day["day_unpriced_amount"]) == (7.0, 1, None, 7.0)
    assert got[("b", dt.date(2024, 1, 9))]["day_unpriced_amount"] == 5.0


def test_purchase_days_without_margins_skip_the_margin_sums(engine_name):
    import ibis
    import pyarrow as pa

    from cvm.features.summary import carries_margins, purchase_days

    rows = pa.table({
        "customer_id": ["a", "a", "b"],
        "purchase_date": pa.array([dt.date(2024, 1, 5)] * 2 + [dt.date(2024, 1, 9)],
                                  type=pa.date32()),
        "amount": [10.0, 20.0, 5.0],
        "margin": pa.array([None] * 3, type=pa.float64()),
        "cost": pa.array([None] * 3, type=pa.float64()),
    })
    engine = get_engine(engine_name)
    plain = engine.table(rows, f"no_margins_{engine_name}")
    assert carries_margins(plain) is False
    costed = engine.table(rows.set_column(4, "cost", pa.array([None, None, 1.0], pa.float64())),
                          f"one_cost_{engine_name}")
    assert carries_margins(costed) is True

    def days(table, **kwargs):
        got = engine.to_arrow(purchase_days(table, **kwargs)).sort_by("customer_id")
        return got.to_pylist(), got.schema

    # a schema alone (no data to ask) keeps the margin sums
    unbound = ibis.table({"customer_id": "string", "purchase_date": "date", "amount": "float64",
                          "margin": "float64", "cost": "float64"}, name="schema_only")
    assert carries_margins(unbound) is True
    assert "day_margin" in purchase_days(unbound).columns

    skipped, asked, summed = days(plain), days(plain, margins=False), days(plain, margins=True)
    assert skipped == asked == summed
    assert skipped[0] == [
        {"customer_id": "a", "purchase_date": dt.date(2024, 1, 5), "day_amount": 30.0,
         "day_transactions": 2, "day_margin": None, "day_unpriced_amount": 30.0},
        {"customer_id": "b", "purchase_date": dt.date(2024, 1, 9), "day_amount": 5.0,
         "day_transactions": 1, "day_margin": None, "day_unpriced_amount": 5.0}]


def test_money_score_ranks_equal_values_together_by_hand(engine_name):
    import pyarrow as pa

    from cvm.features.rfm import money_score

    engine = get_engine(engine_name)
    t = engine.table(pa.table({"customer_id": ["a", "b", "c", "d", "e"],
                               "spend": pa.array([30.0, 20.0, 20.0, 10.0, None], pa.float64())}),
                     f"money_{engine_name}")
    got = engine.to_arrow(t.mutate(m=money_score(t, "spend")))
    # customers below: a 4, b and c 2 (they tie), d 1, e (no spend: 0) none; 1 + floor(5·below/5)
    assert dict(zip(got["customer_id"].to_pylist(), got["m"].to_pylist())) == {
        "a": 5, "b": 3, "c": 3, "d": 2, "e": 1}


def test_m_score_is_the_same_with_or_without_the_shared_value_sort(engine_name, hand_rows):
    shared = _features(engine_name, hand_rows)  # M and ABC both rank monetary_total
    apart = _features(engine_name, hand_rows, AnalysisConfig(as_of=AS_OF, abc=ABCOptions(measure="margin")))
    assert {c: r["m_score"] for c, r in shared.items()} == {c: r["m_score"] for c, r in apart.items()}
    assert {c: r["m_score"] for c, r in shared.items()} == {c: e[12] for c, e in EXPECTED.items()}
    # ranked by margin instead (known only for c4): c4 first, then the rest by customer id
    assert {c: r["value_rank"] for c, r in apart.items()} == {"c4": 1, "c1": 2, "c2": 3, "c3": 4, "c5": 5}


def test_quantile_cuts_leave_a_score_empty_when_customers_tie(engine_name):
    import pyarrow as pa

    from cvm.features.rfm import scores

    engine = get_engine(engine_name)
    # ten customers: six bought once; recency 10 days for six of them, then 20, 30, 40, 50
    t = engine.table(pa.table({
        "customer_id": [f"c{i}" for i in range(10)],
        "frequency": pa.array([0] * 6 + [1, 2, 3, 4], pa.int64()),
        "recency_days": pa.array([10] * 6 + [20, 30, 40, 50], pa.int64()),
    }), f"ties_{engine_name}")
    got = engine.to_arrow(scores(t, RFMOptions(), "rf")).sort_by("customer_id").to_pylist()
    # F: customers below 0, 6, 7, 8, 9 → 1 + floor(5 · below / 10) = 1, 4, 4, 5, 5 (2, 3 empty)
    assert [r["f_score"] for r in got] == [1] * 6 + [4, 4, 5, 5]
    # R (fewer days is better): customers worse than 10 days 4, 20 → 3, 30 → 2, 40 → 1, 50 → 0
    assert [r["r_score"] for r in got] == [3] * 6 + [2, 2, 1, 1]
    assert got[0].keys() == {"customer_id", "frequency", "recency_days", "r_score", "f_score"}


def test_equal_totals_rank_as_equal_whatever_the_order_of_addition(engine_name, make_transactions):
    # a's 0.1 + 0.2 is 0.30000000000000004 in floating point, b's single 0.3 is 0.3
    rows = make_transactions([("a", "2024-01-02", 0.1, None), ("a", "2024-01-03", 0.2, None),
                              ("b", "2024-01-03", 0.3, None), ("c", "2024-01-03", 5.0, None)])
    got = _features(engine_name, rows, AnalysisConfig(as_of=dt.date(2024, 1, 31)))
    assert got["a"]["monetary_total"] != got["b"]["monetary_total"]
    # tied: no customer below either (score 1); two below c: 1 + floor(5 · 2 / 3) = 4; ranked by
    # customer id after the larger c
    assert got["a"]["m_score"] == got["b"]["m_score"] == 1 and got["c"]["m_score"] == 4
    assert [got[c]["value_rank"] for c in "cab"] == [1, 2, 3]


def test_abc_by_share_of_customers(engine_name, hand_rows):
    got = _features(engine_name, hand_rows, AnalysisConfig(as_of=AS_OF, abc=ABCOptions(basis="customers")))
    # ranks 1..5 at positions 0, .2, .4, .6, .8: A < 20 %, B < 50 %, C the rest
    assert {c: r["abc_class"] for c, r in got.items()} == {
        "c2": "A", "c5": "B", "c1": "B", "c4": "C", "c3": "C"}


def test_fixed_breakpoints_and_weights(engine_name, hand_rows):
    rfm = RFMOptions(breakpoints={"r": (0, 5, 10, 30), "m": (30, 50, 70, 100)},
                     weights=(2.0, 1.0, 1.0))
    got = _features(engine_name, hand_rows, AnalysisConfig(as_of=AS_OF, rfm=rfm))
    # recency 0 → 5, 3 → 4, 10 → 3, 15 → 2, 91 → 1; spend 65 → 3, 100 → 5, 20 → 1, 40 → 2
    assert {c: r["r_score"] for c, r in got.items()} == {"c1": 5, "c5": 4, "c2": 3, "c3": 2, "c4": 1}
    assert {c: r["m_score"] for c, r in got.items()} == {"c1": 3, "c2": 5, "c3": 1, "c4": 2, "c5": 5}
    assert got["c1"]["rfm_score"] == pytest.approx((2 * 5 + 5 + 3) / 4)


def test_window_limits_the_purchases_counted(engine_name, hand_rows):
    got = _features(engine_name, hand_rows, AnalysisConfig(as_of=AS_OF, window_days=30))
    # the window is (2024-01-01, 2024-01-31]: c1's first day and c3's and c4's old purchases drop
    assert sorted(got) == ["c1", "c2", "c3", "c5"]
    assert got["c1"]["frequency"] == 1 and got["c1"]["monetary_total"] == pytest.approx(50.0)
    assert got["c3"]["frequency"] == 0 and got["c3"]["tenure_days"] == 15


def test_pareto_summary_hand_case():
    values = np.array([100.0, 100.0, 65.0, 40.0, 20.0])
    s = pareto_summary(values, np.array(["A", "A", "A", "B", "C"]))
    # Gini = 2·Σ i·x_(i) / (n·Σx) − (n+1)/n with ascending x: 2·1195/1625 − 1.2
    assert s["gini"] == pytest.approx(2 * 1195 / 1625 - 1.2)
    assert s["top_value_share"] == pytest.approx(100 / 325)
    assert [c["customers"] for c in s["classes"]] == [3, 1, 1]
    assert sum(c["value_share"] for c in s["classes"]) == pytest.approx(1.0)
    assert s["lorenz"][0] == [0.0, 0.0] and s["lorenz"][-1] == [1.0, 1.0]


@pytest.mark.parametrize("scheme", list_schemes())
def test_every_customer_in_exactly_one_segment_on_cdnow(scheme, cdnow_sample_path, tmp_path):
    from cvm.ingest.load import load_transactions
    from cvm.pipeline import analyse
    from cvm.workspace import Workspace

    with Workspace(tmp_path / "w.duckdb") as ws:
        load_transactions(ws, cdnow_sample_path, as_of=dt.date(1998, 6, 30))
        result = analyse(ws, AnalysisConfig(rfm=RFMOptions(scheme=scheme)))
        customers = result.customers
        assert customers.num_rows == 2357
        assert customers.column("rfm_segment").null_count == 0
        segs = result.segments.to_pylist()
        assert sum(s["customers"] for s in segs) == 2357
        assert sum(s["customer_share"] for s in segs) == pytest.approx(1.0)
        assert sum(s["value_share"] for s in segs) == pytest.approx(1.0)
        assert len({s["segment"] for s in segs}) == len(segs)
        shares = customers.column("value_share").to_numpy()
        assert shares.sum() == pytest.approx(1.0)
        assert set(customers.column("abc_class").to_pylist()) == {"A", "B", "C"}
        for col in ("r_score", "f_score", "m_score"):
            scores = customers.column(col).to_numpy()
            assert scores.min() >= 1 and scores.max() <= 5
