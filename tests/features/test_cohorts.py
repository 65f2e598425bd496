"""The cohort table on a hand-worked case: twelve customers in three monthly cohorts."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from cvm.engine import get_engine
from cvm.features.cohorts import (acquisition_attributes, cohort_table, period_start,
                                 periods_between)

AS_OF = dt.date(2024, 3, 31)

# (customer, day, amount); the margin is half the amount, except C's (unknown)
ROWS = [
    # January cohort: A buys in periods 0, 1, 2; B in 0 and 2 (skips 1); C and E only in 0;
    # D in 0 and 1 (31 Jan and 1 Feb are two months)
    ("A", "2024-01-05", 100.0), ("A", "2024-01-20", 50.0), ("A", "2024-02-10", 30.0),
    ("A", "2024-03-03", 20.0),
    ("B", "2024-01-10", 200.0), ("B", "2024-03-15", 100.0),
    ("C", "2024-01-15", 80.0),
    ("D", "2024-01-31", 60.0), ("D", "2024-02-01", 40.0),
    ("E", "2024-01-02", 10.0),
    # February cohort: F and H come back in March; G and I do not (I's April purchase is after
    # the as-of date)
    ("F", "2024-02-03", 40.0), ("F", "2024-03-04", 40.0),
    ("G", "2024-02-14", 100.0),
    ("H", "2024-02-28", 25.0), ("H", "2024-02-29", 25.0), ("H", "2024-03-31", 50.0),
    ("I", "2024-02-10", 70.0), ("I", "2024-04-02", 999.0),
    # March cohort
    ("J", "2024-03-01", 30.0), ("K", "2024-03-30", 45.0),
    ("L", "2024-03-31", 15.0), ("L", "2024-03-31", 5.0),
]

# cohort, period: customers, active, lost, survivors, revenue, margin, cumulative revenue per
# acquired customer, cumulative margin per acquired customer
EXPECTED = [
    ("2024-01-01", 0, 5, 5, 0, 5, 500.0, 210.0, 100.0, 42.0),
    ("2024-01-01", 1, 5, 2, 2, 3, 70.0, 35.0, 114.0, 49.0),       # C, E lost
    ("2024-01-01", 2, 5, 2, 3, 2, 120.0, 60.0, 138.0, 61.0),      # D lost too; B is back
    ("2024-02-01", 0, 4, 4, 0, 4, 260.0, 130.0, 65.0, 32.5),
    ("2024-02-01", 1, 4, 2, 2, 2, 90.0, 45.0, 87.5, 43.75),       # G, I lost
    ("2024-03-01", 0, 3, 3, 0, 3, 95.0, 47.5, 95.0 / 3, 47.5 / 3),
]


def _transactions(engine, name):
    table = pa.table({
        "customer_id": [r[0] for r in ROWS],
        "purchase_date": pa.array([dt.date.fromisoformat(r[1]) for r in ROWS], pa.date32()),
        "amount": [r[2] for r in ROWS],
        "margin": pa.array([None if r[0] == "C" else r[2] / 2 for r in ROWS], pa.float64()),
        "cost": pa.nulls(len(ROWS), pa.float64()),
    })
    return engine.table(table, name)


def test_hand_worked_monthly_cohorts(engine_name):
    engine = get_engine(engine_name)
    got = engine.to_arrow(cohort_table(_transactions(engine, f"coh_{engine_name}"),
                                       as_of=AS_OF)).to_pylist()
    assert [(r["cohort"].isoformat(), r["period"]) for r in got] == \
        [(e[0], e[1]) for e in EXPECTED]
    for row, (cohort, k, size, active, lost, surv, rev, mar, cum_rev, cum_mar) in zip(got, EXPECTED):
        assert (row["customers"], row["active"], row["lost"], row["survivors"]) == \
            (size, active, lost, surv), (cohort, k)
        assert row["active_share"] == pytest.approx(active / size)
        assert row["revenue"] == pytest.approx(rev)
        assert row["margin"] == pytest.approx(mar)
        assert row["cumulative_revenue_per_customer"] == pytest.approx(cum_rev)
        assert row["cumulative_margin_per_customer"] == pytest.approx(cum_mar)
        assert row["complete"] is True
    assert [r["period_start"].isoformat() for r in got] == \
        ["2024-01-01", "2024-02-01", "2024-03-01", "2024-02-01", "2024-03-01", "2024-03-01"]


def test_cohorts_split_by_a_customer_column_and_partial_periods(engine_name):
    """By segment: January's customers A, B in 'loyal', the rest in 'new'; on 15 March the
    March period is shown but not complete, and the purchases after it are left out."""
    engine = get_engine(engine_name)
    groups = engine.table(pa.table({"customer_id": ["A", "B"], "segment": ["loyal", "loyal"]}),
                          f"coh_groups_{engine_name}")
    expr = cohort_table(_transactions(engine, f"coh_by_{engine_name}"), as_of=dt.date(2024, 3, 15),
                        groups=groups, by=["segment"])
    got = engine.to_arrow(expr).to_pylist()
    loyal = [(r["period"], r["customers"], r["active"], r["lost"], r["revenue"], r["complete"])
             for r in got if r["segment"] == "loyal"]
    # A buys in 0, 1, 2; B in 0 and on 15 March
    assert loyal == [(0, 2, 2, 0, 350.0, True), (1, 2, 1, 0, 30.0, True),
                     (2, 2, 2, 0, 120.0, False)]
    rest_jan = [(r["period"], r["customers"], r["active"], r["lost"])
                for r in got if r["segment"] is None and r["cohort"] == dt.date(2024, 1, 1)]
    assert rest_jan == [(0, 3, 3, 0), (1, 3, 1, 2), (2, 3, 0, 3)]
    march = [r for r in got if r["cohort"] == dt.date(2024, 3, 1)]
    assert [(r["customers"], r["revenue"]) for r in march] == [(1, 30.0)]  # J; K came on 30 March
    assert len(got) == 3 + 3 + 2 + 1


def test_quarter_and_week_periods(engine_name):
    engine = get_engine(engine_name)
    t = _transactions(engine, f"coh_q_{engine_name}")
    quarters = engine.to_arrow(cohort_table(t, as_of=AS_OF, period="quarter")).to_pylist()
    assert [(r["cohort"], r["period"], r["customers"], r["active"]) for r in quarters] == \
        [(dt.date(2024, 1, 1), 0, 12, 12)]
    weeks = engine.to_arrow(cohort_table(t, as_of=AS_OF, period="week")).to_pylist()
    # the first purchase, Tuesday 2 January, is in the week of Monday 1 January; the as-of
    # date, Sunday 31 March, ends week 12 of that cohort
    first = [r for r in weeks if r["cohort"] == dt.date(2024, 1, 1)]
    assert [r["period"] for r in first] == list(range(13))
    assert first[0]["customers"] == 2 and first[0]["active"] == 2  # A (5 Jan) and E (2 Jan)
    assert all(r["complete"] for r in weeks)
    assert sum(r["active"] for r in weeks if r["period"] == 0) == 12


def test_period_arithmetic():
    assert period_start(dt.date(2024, 5, 17), "quarter") == dt.date(2024, 4, 1)
    assert period_start(dt.date(2024, 3, 31), "week") == dt.date(2024, 3, 25)
    assert periods_between(dt.date(2025, 2, 1), dt.date(2023, 11, 1), "month") == 15
    assert periods_between(dt.date(2025, 1, 1), dt.date(2023, 10, 1), "quarter") == 5
    with pytest.raises(ValueError, match="unknown cohort period"):
        period_start(dt.date(2024, 1, 1), "fortnight")


def test_period_starts_and_distances_of_every_period():
    friday = dt.date(2024, 5, 17)
    assert [period_start(friday, p) for p in ("month", "quarter", "year", "week")] == [
        dt.date(2024, 5, 1), dt.date(2024, 4, 1), dt.date(2024, 1, 1), dt.date(2024, 5, 13)]
    assert period_start(dt.date(2024, 12, 31), "quarter") == dt.date(2024, 10, 1)
    assert period_start(dt.date(2024, 7, 1), "quarter") == dt.date(2024, 7, 1)
    # the last months of quarters: 4 × 1 + quarter 2 − quarter 1 = 5
    assert periods_between(dt.date(2024, 6, 30), dt.date(2023, 3, 31), "quarter") == 5
    # 86 days: 12 whole weeks; 2 calendar years; 2 years × 4 + quarter 3 − quarter 2 = 9
    assert periods_between(dt.date(2024, 3, 27), dt.date(2024, 1, 1), "week") == 12
    assert periods_between(dt.date(2025, 3, 1), dt.date(2023, 12, 31), "year") == 2
    assert periods_between(dt.date(2025, 8, 20), dt.date(2023, 5, 1), "quarter") == 9


@pytest.mark.parametrize("period, later, earlier, expected", [
    ("month", "2025-02-01", "2023-11-01", 15), ("quarter", "2025-07-01", "2023-04-01", 9),
    ("year", "2026-01-01", "2023-01-01", 3), ("week", "2024-03-25", "2023-12-25", 13)])
def test_period_distances_on_the_engine_equal_python(period, later, earlier, expected):
    import ibis

    a, b = dt.date.fromisoformat(later), dt.date.fromisoformat(earlier)
    engine = get_engine("duckdb")
    expr = periods_between(ibis.literal(a), ibis.literal(b), period)
    value = engine.backend.execute(expr)
    assert int(value) == periods_between(a, b, period) == expected


def test_empty_weeks_count_no_revenue_and_no_one_lost():
    """The week cohort of Monday 1 January: A buys in weeks 0, 2, 5 and 8, E in week 0 only."""
    engine = get_engine("duckdb")
    weeks = engine.to_arrow(cohort_table(_transactions(engine, "coh_weeks"), as_of=AS_OF,
                                         period="week")).to_pylist()
    first = [r for r in weeks if r["cohort"] == dt.date(2024, 1, 1)]
    assert [r["revenue"] for r in first] == [110.0, 0, 50.0, 0, 0, 30.0, 0, 0, 20.0, 0, 0, 0, 0]
    assert [r["lost"] for r in first] == [0] + [1] * 8 + [2] * 4
    assert [r["survivors"] for r in first] == [2] + [1] * 8 + [0] * 4
    assert first[-1]["cumulative_revenue_per_customer"] == pytest.approx(105.0)
    assert [r["period_start"] for r in first] == \
        [dt.date(2024, 1, 1) + dt.timedelta(days=7 * k) for k in range(13)]


def test_quarters_and_years_later_periods_and_the_last_incomplete_one():
    engine = get_engine("duckdb")
    t = _transactions(engine, "coh_later")
    quarters = engine.to_arrow(cohort_table(t, as_of=dt.date(2024, 8, 15),
                                            period="quarter")).to_pylist()
    # one cohort of twelve; I comes back on 2 April; July's quarter has begun, not ended
    assert [(r["period"], r["period_start"], r["active"], r["complete"]) for r in quarters] == [
        (0, dt.date(2024, 1, 1), 12, True), (1, dt.date(2024, 4, 1), 1, True),
        (2, dt.date(2024, 7, 1), 0, False)]
    # a quarter that ends the day after the as-of date is not complete yet
    early = engine.to_arrow(cohort_table(t, as_of=dt.date(2024, 3, 30), period="quarter"))
    assert early.column("complete").to_pylist() == [False]
    years = engine.to_arrow(cohort_table(t, as_of=dt.date(2025, 6, 30), period="year"))
    assert years.column("period_start").to_pylist() == [dt.date(2024, 1, 1), dt.date(2025, 1, 1)]


def test_margin_from_cost_and_the_missing_margins():
    engine = get_engine("duckdb")
    days = pa.array([dt.date(2024, 1, 5), dt.date(2024, 1, 9)], pa.date32())
    base = {"customer_id": ["A", "B"], "purchase_date": days, "amount": [100.0, 60.0]}

    def margin(**cols):
        table = engine.table(pa.table({**base, **cols}), f"coh_m_{len(cols)}_{sorted(cols)[0]}")
        return engine.to_arrow(cohort_table(table, as_of=AS_OF)).column("margin")[0].as_py()

    # cost only: 100 − 70 + 60 − 20; margin where known, else amount − cost: 25 + 60 − 20
    assert margin(cost=[70.0, 20.0]) == pytest.approx(70.0)
    assert margin(margin=pa.array([25.0, None], pa.float64()), cost=[70.0, 20.0]) == \
        pytest.approx(65.0)
    assert margin(margin=[25.0, 10.0]) == pytest.approx(35.0)


def test_triangle_of_the_hand_worked_cohorts():
    from cvm.features.cohorts import triangle

    engine = get_engine("duckdb")
    table = engine.to_arrow(cohort_table(_transactions(engine, "coh_tri"), as_of=AS_OF))
    got = triangle(table, "active")
    assert got == {"cohorts": ["2024-01-01", "2024-02-01", "2024-03-01"],
                   "customers": [5, 4, 3], "values": [[5, 2, 2], [4, 2], [3]]}


# Twelve customers whose attributes at acquisition differ from their later ones: (customer,
# day, amount, store). a moves from store N to S; b buys in both stores on its first day (the
# smaller name, N, counts); f spends 30 on its first day and 300 three days later, so its first
# month is the cohort's largest but its first day is not; g, h and l tie on 40.
ORIGIN_ROWS = [
    ("a", "2024-01-03", 100.0, "N"), ("a", "2024-02-05", 50.0, "S"), ("a", "2024-03-07", 60.0, "S"),
    ("b", "2024-01-10", 20.0, "S"), ("b", "2024-01-10", 30.0, "N"), ("b", "2024-03-02", 40.0, "S"),
    ("c", "2024-01-12", 10.0, "S"),
    ("d", "2024-01-15", 80.0, "S"), ("d", "2024-02-20", 10.0, "N"),
    ("e", "2024-01-20", 5.0, "N"),
    ("f", "2024-01-25", 30.0, "S"), ("f", "2024-01-28", 300.0, "S"),
    ("g", "2024-02-01", 40.0, "N"), ("g", "2024-03-01", 40.0, "S"),
    ("h", "2024-02-03", 40.0, "S"),
    ("i", "2024-02-10", 70.0, "N"),
    ("j", "2024-02-14", 15.0, "S"), ("j", "2024-03-20", 15.0, "S"),
    ("k", "2024-02-20", 200.0, "N"),
    ("l", "2024-02-28", 40.0, "S"),
]


def _origin_transactions(engine, name):
    return engine.table(pa.table({
        "customer_id": [r[0] for r in ORIGIN_ROWS],
        "purchase_date": pa.array([dt.date.fromisoformat(r[1]) for r in ORIGIN_ROWS],
                                  pa.date32()),
        "amount": [r[2] for r in ORIGIN_ROWS],
        "store": [r[3] for r in ORIGIN_ROWS]}), name)


def test_attributes_at_acquisition_come_from_the_first_purchase_day(engine_name):
    """January's first-day spends 5 (e), 10 (c), 30 (f), 50 (b), 80 (d), 100 (a): with k the
    customers spending at most as much, 3k ≤ 6 is low (e, c), 3k > 12 high (d, a). February's
    15 (j), 40 (g, h, l: k = 4 for all three), 70 (i), 200 (k): j low, i and k high, the
    tied three mid."""
    engine = get_engine(engine_name)
    t = _origin_transactions(engine, f"coh_origin_{engine_name}")
    got = engine.to_arrow(acquisition_attributes(t, as_of=AS_OF)).to_pylist()
    got = {r["customer_id"]: (r["first_purchase"].isoformat(), r["first_spend"], r["value_tier"],
                              r["store"]) for r in got}
    assert got == {
        "a": ("2024-01-03", 100.0, "high", "N"), "b": ("2024-01-10", 50.0, "mid", "N"),
        "c": ("2024-01-12", 10.0, "low", "S"), "d": ("2024-01-15", 80.0, "high", "S"),
        "e": ("2024-01-20", 5.0, "low", "N"), "f": ("2024-01-25", 30.0, "mid", "S"),
        "g": ("2024-02-01", 40.0, "mid", "N"), "h": ("2024-02-03", 40.0, "mid", "S"),
        "i": ("2024-02-10", 70.0, "high", "N"), "j": ("2024-02-14", 15.0, "low", "S"),
        "k": ("2024-02-20", 200.0, "high", "N"), "l": ("2024-02-28", 40.0, "mid", "S")}
    # the store of the last purchase would put a, b, d and g elsewhere: a, b and g in S, d in N
    last = {r[0]: r[3] for r in ORIGIN_ROWS}
    assert sorted(c for c in got if got[c][3] != last[c]) == ["a", "b", "d", "g"]


def test_cohorts_split_by_the_value_tier_at_acquisition(engine_name):
    engine = get_engine(engine_name)
    t = _origin_transactions(engine, f"coh_split_{engine_name}")
    rows = engine.to_arrow(cohort_table(t, as_of=AS_OF, groups=acquisition_attributes(
        t, as_of=AS_OF), by=["value_tier"])).to_pylist()
    assert {(r["value_tier"], r["cohort"].month, r["period"]):
            (r["customers"], r["active"], r["lost"]) for r in rows} == {
        # January: low c, e (neither back); mid b, f (b back in March); high a, d
        ("low", 1, 0): (2, 2, 0), ("low", 1, 1): (2, 0, 2), ("low", 1, 2): (2, 0, 2),
        ("mid", 1, 0): (2, 2, 0), ("mid", 1, 1): (2, 0, 1), ("mid", 1, 2): (2, 1, 1),
        ("high", 1, 0): (2, 2, 0), ("high", 1, 1): (2, 2, 0), ("high", 1, 2): (2, 1, 1),
        # February: low j (back); mid g, h, l (g back); high i, k (neither)
        ("low", 2, 0): (1, 1, 0), ("low", 2, 1): (1, 1, 0),
        ("mid", 2, 0): (3, 3, 0), ("mid", 2, 1): (3, 1, 2),
        ("high", 2, 0): (2, 2, 0), ("high", 2, 1): (2, 0, 2)}


def test_cohorts_split_by_the_store_at_acquisition():
    """On DuckDB only: the store comes from the same expression as the tier (checked on both
    engines above), and a split by a column of ``groups`` is checked on Spark already."""
    engine = get_engine("duckdb")
    t = _origin_transactions(engine, "coh_store")
    rows = engine.to_arrow(cohort_table(t, as_of=AS_OF, groups=acquisition_attributes(
        t, as_of=AS_OF), by=["store"])).to_pylist()
    assert {(r["store"], r["cohort"].month, r["period"]): (r["customers"], r["active"], r["lost"])
            for r in rows} == {
        # January: N a, b, e; S c, d, f. February: N g, i, k; S h, j, l
        ("N", 1, 0): (3, 3, 0), ("N", 1, 1): (3, 1, 1), ("N", 1, 2): (3, 2, 1),
        ("S", 1, 0): (3, 3, 0), ("S", 1, 1): (3, 1, 2), ("S", 1, 2): (3, 0, 3),
        ("N", 2, 0): (3, 3, 0), ("N", 2, 1): (3, 1, 2),
        ("S", 2, 0): (3, 3, 0), ("S", 2, 1): (3, 1, 2)}


def test_an_unknown_first_day_spend_has_no_tier_and_does_not_move_the_others(engine_name):
    """Three known spends and one unknown in a cohort: the thirds are of the three known. s buys
    first on the as-of date (counted); u after it (left out: with u, r would be mid, s high)."""
    engine = get_engine(engine_name)
    t = engine.table(pa.table({
        "customer_id": ["p", "q", "r", "s", "u"],
        "purchase_date": pa.array([dt.date(2024, 1, d) for d in (1, 2, 3, 4, 5)], pa.date32()),
        "amount": pa.array([None, 30.0, 10.0, 20.0, 5.0], pa.float64())}),
        f"coh_null_{engine_name}")
    got = engine.to_arrow(acquisition_attributes(t, as_of=dt.date(2024, 1, 4))).to_pylist()
    assert {r["customer_id"]: r["value_tier"] for r in got} == \
        {"p": None, "q": "high", "r": "low", "s": "mid"}
    assert all("store" not in r for r in got)
