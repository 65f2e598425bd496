"""The win-back module at its edges: the silence bands' bounds, the default shrinkage, who
counts as a silent complainer at the boundary, and the service recovery's response range."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvm.models.winback import (
    SILENCE_EDGES,
    ReactivationModel,
    best_recovery_value,
    complained_silent,
    recovery_value,
)


def _purchases(rows, name):
    """A DuckDB engine and a table of (customer_id, purchase_date, amount) rows on it."""
    from cvm.engine import duckdb_engine

    frame = pd.DataFrame(rows, columns=["customer_id", "purchase_date", "amount"])
    frame["purchase_date"] = pd.to_datetime(frame["purchase_date"]).dt.date
    eng = duckdb_engine()
    return eng, eng.backend.create_table(name, frame)


def test_silence_bands_start_at_each_edge():
    # one customer silent exactly at each edge (came back) and one a day short of it (did
    # not): each pair falls in two bands, 0 days in the first
    assert SILENCE_EDGES == (0, 30, 60, 90, 180, 365, 730)
    edges = [30, 60, 90, 180, 365, 730]
    history = pd.DataFrame({
        "silence_days": [0] + [e - 1 for e in edges] + edges,
        "group": ["high"] * 13,
        "returned": [0] + [0] * 6 + [1] * 6})
    model = ReactivationModel(prior_customers=0).fit(history)
    assert model.band_rates_.index.tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert model.band_rates_["customers"].tolist() == [2, 2, 2, 2, 2, 2, 1]
    p = model.predict([e - 1 for e in edges] + edges, ["high"] * 12)
    # the band below each edge holds that edge's silent-a-day-less customer and the previous
    # edge's returner; the last band [730, inf) only the returner at 730
    assert p.tolist() == [0.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1.0]
    assert model.rates_.loc[model.rates_["band"] == 0, "customers"].tolist() == [2]


def test_groups_are_shrunk_with_20_customers_by_default():
    # band 90-179: 9 of 20 came back, overall 9 of 40; the high group 8 of 10
    history = pd.DataFrame({
        "silence_days": [120] * 10 + [150] * 10 + [400] * 20,
        "group": ["high"] * 10 + ["low"] * 10 + ["high"] * 20,
        "returned": [1] * 8 + [0] * 2 + [1] + [0] * 9 + [0] * 20})
    model = ReactivationModel().fit(history)
    assert model.prior_customers == 20.0
    band = (9 + 20 * 9 / 40) / (20 + 20)
    assert model.predict([130], ["high"])[0] == pytest.approx((8 + 20 * band) / (10 + 20))


def test_a_complaint_counts_up_to_the_horizon_before_the_last_purchase():
    # silent 10 days; the complaint 66 days ago is 56 days (the horizon) before the last
    # purchase: it counts; a day earlier it does not; no complaint (NaN) never does
    got = complained_silent([10, 10, 10, 400], [66, 67, np.nan, 900], 56)
    assert got.tolist() == [True, False, False, False]


def test_service_recovery_response_from_0_to_1():
    assert recovery_value([100.0], response=0.0, cost=5.0).tolist() == [-5.0]
    assert recovery_value([100.0], response=1.0, cost=5.0).tolist() == [95.0]
    for bad in (-0.1, 1.01, 2.0):
        with pytest.raises(ValueError, match="response"):
            recovery_value([100.0], response=bad, cost=5.0)


def test_the_best_recovery_value_keeps_the_win_back_where_no_recovery_is_priced():
    got = best_recovery_value(np.array([8.0, 8.0, 8.0]), np.array([np.nan, 7.0, 9.0]))
    assert got.tolist() == [8.0, 8.0, 9.0]


def test_one_silent_customer_is_enough_to_learn_from_and_none_is_not():
    one = pd.DataFrame({"silence_days": [40], "group": ["low"], "returned": [1]})
    assert ReactivationModel(prior_customers=0).fit(one).predict([45], ["low"]).tolist() == [1.0]
    with pytest.raises(ValueError, match="no earlier silent customers"):
        ReactivationModel().fit(one.iloc[:0])


def test_reactivation_history_reads_four_cut_offs_and_a_purchase_on_the_as_of_date():
    import datetime as dt

    from cvm.models.winback import reactivation_history

    # a year of monthly purchases by A; B silent from January 15 until the as-of date itself
    rows = [("A", f"2024-{m:02d}-01", 10.0) for m in range(1, 13)] + [
        ("B", "2024-01-15", 30.0), ("B", "2024-12-31", 30.0)]
    eng, t = _purchases(rows, "reactivation_edges_tx")
    h = reactivation_history(t, eng.to_arrow, as_of=dt.date(2024, 12, 31), horizon_days=30)
    assert sorted({str(c) for c in h["cutoff"]}) == [
        "2024-09-02", "2024-10-02", "2024-11-01", "2024-12-01"]
    b = h[h["customer_id"] == "B"].sort_values("cutoff")
    # B's return on December 31, the as-of date, counts for the last cut-off
    assert b["returned"].tolist() == [0, 0, 0, 1]
    assert b["silence_days"].tolist() == [231.0, 261.0, 291.0, 321.0]


def test_value_tiers_at_a_cut_off_count_the_spend_up_to_it_to_a_billionth():
    import datetime as dt

    from cvm.models.winback import reactivation_history

    # at the cut-off (December 1): X spent 20 (and 5 more after it), Y 22, Z 100; A and B 1,
    # A's sum off by 6e-11 (what another engine's order of adding can give): a tie
    rows = [("X", "2024-11-01", 20.0), *[("X", f"2024-12-{d:02d}", 1.0) for d in (5, 10, 15, 20, 25)],
            ("Y", "2024-11-02", 22.0), ("Z", "2024-11-03", 100.0),
            ("A", "2024-11-04", 1.00000000006), ("B", "2024-11-05", 1.0)]
    eng, t = _purchases(rows, "reactivation_tiers_tx")
    h = reactivation_history(t, eng.to_arrow, as_of=dt.date(2024, 12, 31), horizon_days=30,
                             cutoffs=1)
    got = dict(zip(h["customer_id"], zip(h["group"], h["returned"])))
    assert got == {"A": ("low", 0), "B": ("low", 0), "X": ("middle", 1), "Y": ("high", 0),
                   "Z": ("high", 0)}


def test_a_purchase_on_the_cut_off_day_is_not_a_return_after_it():
    import datetime as dt

    from cvm.models.winback import reactivation_history

    rows = [("S", "2024-12-01", 5.0), ("T", "2024-11-01", 5.0), ("T", "2024-12-02", 5.0)]
    eng, t = _purchases(rows, "reactivation_cut_day_tx")
    h = reactivation_history(t, eng.to_arrow, as_of=dt.date(2024, 12, 31), horizon_days=30,
                             cutoffs=1, min_silence_days=0)
    got = dict(zip(h["customer_id"], zip(h["silence_days"], h["returned"])))
    assert got == {"S": (0.0, 0), "T": (30.0, 1)}


def test_reactivation_history_rows_are_numbered_and_empty_without_earlier_customers():
    import datetime as dt

    from cvm.models.winback import reactivation_history

    rows = [("P", "2024-01-10", 10.0), ("Q", "2024-02-01", 10.0), ("P", "2024-12-20", 10.0)]
    eng, t = _purchases(rows, "reactivation_index_tx")
    h = reactivation_history(t, eng.to_arrow, as_of=dt.date(2024, 12, 31), horizon_days=30)
    assert len(h) == 8 and h.index.tolist() == list(range(8))  # 2 customers x 4 cut-offs
    none = reactivation_history(t, eng.to_arrow, as_of=dt.date(2024, 2, 15), horizon_days=60)
    assert none.empty
    assert none.columns.tolist() == ["cutoff", "customer_id", "silence_days", "group", "returned"]


def test_winback_value_takes_probabilities_from_0_to_1():
    from cvm.models.winback import winback_value

    assert winback_value([0.0, 1.0], [100.0, 100.0], 20.0).tolist() == [-20.0, 80.0]
    for bad in (-0.01, 1.01):
        with pytest.raises(ValueError, match="probability_return"):
            winback_value([bad], [100.0], 20.0)


# a hand log for the counted history: at the one cut-off (December 1, horizon 30 days) the
# spend to date is U 10, V 10, W 10, X 40, Y 50, Z 60 (U, V, W tie: average rank 2 of 6,
# share 1/3, low; X 4/6 = 2/3, middle; Y, Z high). V complained 30 days before its last
# purchase (the horizon's length: a silent complainer); W 31 days before it (not one); Z
# complained after the cut-off (not counted then).
_COUNTED = [("U", "2024-10-01", 10.0), ("V", "2024-10-01", 10.0), ("W", "2024-10-01", 10.0),
            ("X", "2024-11-01", 40.0), ("Y", "2024-11-01", 50.0), ("Z", "2024-11-01", 60.0),
            ("U", "2024-12-10", 1.0), ("Z", "2024-12-20", 1.0)]
_CONTACTS = [("V", "2024-09-01", "complaint"), ("W", "2024-08-31", "complaint"),
             ("Z", "2024-12-05", "complaint"), ("X", "2024-10-01", "question")]


def _counted_tables(engine, name):
    import datetime as dt

    frame = pd.DataFrame(_COUNTED, columns=["customer_id", "purchase_date", "amount"])
    frame["purchase_date"] = pd.to_datetime(frame["purchase_date"]).dt.date
    said = pd.DataFrame(_CONTACTS, columns=["customer_id", "interaction_date", "kind"])
    said["interaction_date"] = pd.to_datetime(said["interaction_date"]).dt.date
    import pyarrow as pa

    t = engine.table(pa.Table.from_pandas(frame, preserve_index=False), f"{name}_tx")
    c = engine.table(pa.Table.from_pandas(said, preserve_index=False), f"{name}_contacts")
    return t, c, dt.date(2024, 12, 31)


def _counted_checks(engine, name):
    from cvm.models.winback import reactivation_counts, reactivation_history

    t, contacts, as_of = _counted_tables(engine, name)
    kw = dict(as_of=as_of, horizon_days=30, cutoffs=1, contacts=contacts)
    rows = reactivation_history(t, engine.to_arrow, **kw)
    got = {r.customer_id: (r.silence_days, r.group, r.returned) for r in rows.itertuples()}
    assert got == {"U": (61.0, "low", 1), "V": (61.0, "low complained", 0),
                   "W": (61.0, "low", 0), "X": (30.0, "middle", 0), "Y": (30.0, "high", 0),
                   "Z": (30.0, "high", 1)}
    counts = reactivation_counts(t, engine.to_arrow, **kw)
    assert [tuple(r) for r in counts[["silence_days", "group", "customers", "returned"]]
            .itertuples(index=False)] == [(30.0, "high", 2, 1), (30.0, "middle", 1, 0),
                                          (61.0, "low", 2, 1), (61.0, "low complained", 1, 0)]
    # the model learns the same from the counts as from the rows
    by_rows, by_counts = ReactivationModel().fit(rows), ReactivationModel().fit(counts)
    assert by_counts.overall_rate_ == by_rows.overall_rate_ == 2 / 6
    pd.testing.assert_frame_equal(by_counts.rates_, by_rows.rates_)
    pd.testing.assert_frame_equal(by_counts.band_rates_, by_rows.band_rates_)


def test_the_counted_history_on_duckdb():
    from cvm.engine import duckdb_engine

    _counted_checks(duckdb_engine(), "reactivation_counted")


def test_the_counted_history_on_spark(spark_engine):
    _counted_checks(spark_engine, "reactivation_counted_spark")


def test_counts_fit_only_whole_returns_up_to_the_customers():
    bad = pd.DataFrame({"silence_days": [40.0], "group": ["low"], "customers": [2],
                        "returned": [3]})
    with pytest.raises(ValueError, match="whole number from 0 to 'customers'"):
        ReactivationModel().fit(bad)
    with pytest.raises(ValueError, match="0 or 1"):
        ReactivationModel().fit(bad.drop(columns="customers").assign(returned=0.5))


def test_by_default_four_cut_offs_and_no_customer_silent_for_no_day():
    """The defaults of the history and of its counts: four cut-offs, and a customer who bought
    on a cut-off day (silent 0 days) left out at that cut-off. At the first cut-off (December
    1) two customers are known: spends 5 and 7, average ranks 1 and 2 of 2, shares 1/2 and 1:
    middle and high."""
    import datetime as dt

    from cvm.models.winback import reactivation_counts, reactivation_history

    rows = [("S", "2024-12-01", 5.0), ("T", "2024-06-01", 7.0), ("T", "2024-12-20", 1.0)]
    eng, t = _purchases(rows, "reactivation_defaults_tx")
    kw = dict(as_of=dt.date(2024, 12, 31), horizon_days=30)
    h = reactivation_history(t, eng.to_arrow, **kw)
    c = reactivation_counts(t, eng.to_arrow, **kw)
    cuts = ["2024-09-02", "2024-10-02", "2024-11-01", "2024-12-01"]
    assert sorted({str(x) for x in h["cutoff"]}) == sorted({str(x) for x in c["cutoff"]}) == cuts
    # S only at December 1, silent 0 days: left out; T at every cut-off, alone before it
    assert h["customer_id"].tolist() == ["T"] * 4
    assert h["group"].tolist() == ["high"] * 4 and h["returned"].tolist() == [0, 0, 0, 1]
    assert int(c["customers"].sum()) == 4 and int(c["returned"].sum()) == 1
    both = reactivation_history(t, eng.to_arrow, cutoffs=1, min_silence_days=0, **kw)
    assert dict(zip(both["customer_id"], both["group"])) == {"S": "middle", "T": "high"}


def test_by_default_a_customer_silent_for_one_day_counts():
    import datetime as dt

    from cvm.models.winback import reactivation_counts, reactivation_history

    eng, t = _purchases([("X", "2024-11-30", 5.0)], "reactivation_one_day_tx")
    kw = dict(as_of=dt.date(2024, 12, 31), horizon_days=30, cutoffs=1)
    assert reactivation_history(t, eng.to_arrow, **kw)["silence_days"].tolist() == [1.0]
    assert reactivation_counts(t, eng.to_arrow, **kw)["customers"].tolist() == [1]
