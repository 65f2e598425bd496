"""Customer value columns: historical/current value by hand on both engines, potential value and
CLV from the fitted model, the CLV stage inside ``cvm run`` (demo data, a data set without
repeat buyers), and the property that CLV falls as the discount rate rises."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cvm.config import AnalysisConfig, CLVOptions, ConfigError
from cvm.engine import get_engine
from cvm.features.summary import purchase_days
from cvm.features.value_history import value_history
from cvm.models import BGNBD, discounted_expected_transactions
from cvm.models.lifetime_value import predict_customer_value, value_columns
from cvm.workspace import Workspace

AS_OF = dt.date(2024, 12, 31)


def _transactions() -> pa.Table:
    """c1: margin given, cost given, neither; c2: one old purchase with neither."""
    return pa.table({
        "customer_id": ["c1", "c1", "c1", "c2"],
        "purchase_date": [dt.date(2024, 1, 10), dt.date(2024, 6, 1), dt.date(2024, 12, 1),
                          dt.date(2023, 6, 30)],
        "amount": [100.0, 200.0, 50.0, 400.0],
        "margin": [30.0, None, None, None],
        "cost": [None, 150.0, None, None],
    })


def _history(engine_name, **kwargs) -> dict:
    engine = get_engine(engine_name)
    table = engine.table(_transactions(), "clv_test_transactions")
    out = engine.to_arrow(value_history(purchase_days(table), as_of=AS_OF, **kwargs)).to_pylist()
    return {row["customer_id"]: row for row in out}


def test_historical_and_current_value_by_hand(engine_name):
    rows = _history(engine_name, margin_rate=0.2)
    # c1: 30 (margin) + 200 - 150 (amount - cost) + 50 x 0.2 (margin rate) = 90, all in the year
    assert rows["c1"]["historical_value"] == pytest.approx(90.0, abs=1e-12)
    assert rows["c1"]["current_value"] == pytest.approx(90.0, abs=1e-12)
    assert rows["c1"]["margin_share"] == pytest.approx(90.0 / 350.0, rel=1e-15)
    # c2: 400 x 0.2 = 80, bought 2023-06-30, before the last 365 days
    assert rows["c2"]["historical_value"] == pytest.approx(80.0, abs=1e-12)
    assert rows["c2"]["current_value"] == 0.0
    assert rows["c2"]["margin_share"] == pytest.approx(0.2, rel=1e-15)


def test_without_margin_rate_the_whole_amount_counts(engine_name):
    rows = _history(engine_name, current_period_days=30)
    assert rows["c1"]["historical_value"] == pytest.approx(30.0 + 50.0 + 50.0, abs=1e-12)
    # only 2024-12-01 is within the 30 days up to 2024-12-31 (from 2024-12-02 on: not it)
    assert rows["c1"]["current_value"] == 0.0
    rows = _history(engine_name, current_period_days=31)
    assert rows["c1"]["current_value"] == pytest.approx(50.0, abs=1e-12)
    assert rows["c2"]["historical_value"] == pytest.approx(400.0, abs=1e-12)


def test_historical_value_compounded_to_the_as_of_date(engine_name):
    rows = _history(engine_name, margin_rate=0.2, compounding_rate=0.10)
    # days before 2024-12-31: 356, 213, 30; c2: 550
    c1 = 30 * 1.1 ** (356 / 365.25) + 50 * 1.1 ** (213 / 365.25) + 10 * 1.1 ** (30 / 365.25)
    assert rows["c1"]["historical_value"] == pytest.approx(c1, rel=1e-12)
    assert rows["c2"]["historical_value"] == pytest.approx(80 * 1.1 ** (550 / 365.25), rel=1e-12)
    assert rows["c1"]["current_value"] == pytest.approx(90.0, abs=1e-12)  # never compounded


def _summary() -> pd.DataFrame:
    """Four customers as the feature stage summarises them (days)."""
    return pd.DataFrame({
        "frequency": [0, 2, 5, 1],
        "recency_days": [100, 60, 3, 200],
        "tenure_days": [100, 270, 270, 250],
        "repeat_monetary_avg": [0.0, 40.0, 55.0, 20.0],
        "monetary_avg": [30.0, 45.0, 50.0, 25.0],
    })


def test_potential_value_is_discounted_purchases_times_spend_times_margin():
    summary = _summary()
    share = np.array([0.3, 0.25, 0.4, 1.0])
    opts = CLVOptions(model="bgnbd", discount_rate=0.0, service_cost=2.0)
    cols, info = predict_customer_value(summary, share, opts)
    assert info["status"] == "fitted" and info["model"]["model"] == "bgnbd"
    expected = cols["expected_purchases_365d"]
    # with no discounting the weekly sums telescope to E[Y(horizon)]
    np.testing.assert_allclose(cols["potential_value"],
                               expected * cols["expected_average_spend"] * share, rtol=1e-12)
    np.testing.assert_allclose(cols["clv"], cols["potential_value"] - expected * 2.0, rtol=1e-12)
    assert np.all((cols["probability_alive"] >= 0) & (cols["probability_alive"] <= 1))
    discounted, _ = predict_customer_value(summary, share, CLVOptions(model="bgnbd",
                                                                      discount_rate=0.2))
    assert np.all(discounted["potential_value"] < cols["potential_value"])


def _cdnow_summary(cdnow_sample_path) -> pd.DataFrame:
    """The CDNOW sample as the feature stage summarises it at 1997-09-30 (same-day purchases
    merged)."""
    raw = pd.read_csv(cdnow_sample_path, sep=r"\s+", header=None,
                      names=["master", "customer", "date", "cds", "amount"])
    raw["date"] = pd.to_datetime(raw["date"].astype(str), format="%Y%m%d")
    days = raw[raw["date"] <= "1997-09-30"].groupby(["customer", "date"], as_index=False)["amount"].sum()
    g = days.groupby("customer")
    end = pd.Timestamp("1997-09-30")
    return pd.DataFrame({
        "frequency": g.size() - 1,
        "recency_days": (end - g["date"].max()).dt.days,
        "tenure_days": (end - g["date"].min()).dt.days,
        "repeat_monetary_avg": 0.0,
        "monetary_avg": g["amount"].mean(),
    }).reset_index(drop=True)


def test_time_unit_changes_the_scale_not_the_predictions(cdnow_sample_path):
    summary = _cdnow_summary(cdnow_sample_path)
    share = np.ones(len(summary))
    weeks, _ = predict_customer_value(summary, share, CLVOptions(model="bgnbd", time_unit="week"))
    days, _ = predict_customer_value(summary, share, CLVOptions(model="bgnbd", time_unit="day"))
    np.testing.assert_allclose(days["probability_alive"], weeks["probability_alive"], rtol=1e-4)
    np.testing.assert_allclose(days["expected_purchases_365d"], weeks["expected_purchases_365d"],
                               rtol=1e-4)


def _cdnow_master_summary(path) -> pd.DataFrame:
    """The whole CDNOW file as the feature stage summarises it at 1998-06-30, with the mean
    spend of the repeat purchase days (same-day purchases merged)."""
    raw = pd.read_csv(path, sep=r"\s+", dtype={"customer_id": str})
    raw["date"] = pd.to_datetime(raw["date"].astype(str), format="%Y%m%d")
    days = raw.groupby(["customer_id", "date"], as_index=False)["dollar_value"].sum()
    days = days.sort_values(["customer_id", "date"])
    repeat = days[days.groupby("customer_id").cumcount() > 0]
    g = days.groupby("customer_id")
    end = pd.Timestamp("1998-06-30")
    return pd.DataFrame({
        "frequency": g.size() - 1,
        "recency_days": (end - g["date"].max()).dt.days,
        "tenure_days": (end - g["date"].min()).dt.days,
        "repeat_monetary_avg": repeat.groupby("customer_id")["dollar_value"].mean(),
        "monetary_avg": g["dollar_value"].mean(),
    }).fillna({"repeat_monetary_avg": 0.0}).reset_index()


def test_a_customer_with_zero_repeat_spend_is_left_out_of_the_spend_model_alone(
        cdnow_master_path):
    from cvm.models import GammaGamma
    from cvm.models.lifetime_value import model_input

    summary = _cdnow_master_summary(cdnow_master_path)
    zero = summary.index[(summary["frequency"] > 0) & (summary["repeat_monetary_avg"] <= 0)]
    assert summary.loc[zero, "customer_id"].tolist() == ["10244"]  # CDNOW's only such customer
    cols, info = predict_customer_value(summary, np.ones(len(summary)),
                                        CLVOptions(model="bgnbd"))
    spend = info["spend_model"]
    assert (spend["model"], spend["left_out"], spend["left_out_customers"]) == (
        "gammagamma", 1, ["10244"])
    assert spend["customers"] == int((summary["frequency"] > 0).sum()) - 1 == 11_515
    assert spend["message"] == ("1 repeat customer whose repeat purchases average no positive "
                                "spend (10244) is left out of the spend model and keeps their "
                                "own mean spend")
    # the fit is the fit on everyone else; 10244 keeps their own mean spend per purchase day
    others = model_input(summary.drop(index=zero), 7.0)
    alone = GammaGamma().fit(others)
    assert spend["params"] == pytest.approx(dict(alone.params_), rel=1e-9)
    spend_values = cols["expected_average_spend"]
    np.testing.assert_allclose(np.delete(spend_values, zero),
                               alone.expected_average_spend(others), rtol=1e-9)
    assert spend_values[zero[0]] == summary.loc[zero[0], "monetary_avg"]


def test_the_stage_fits_from_arrow_ids_and_names_the_customers_left_out():
    """The stage's fit keeps the ids as Arrow strings (no Python string per customer) and
    still names the customers its spend model leaves out, with the fit of a pandas frame."""
    from types import SimpleNamespace

    from cvm.models.lifetime_value import fit_customer_value
    from cvm.stages.clv import CLVStage

    frame = _summary().assign(customer_id=["A", "B", "C", "D"],
                              repeat_monetary_avg=[0.0, 55.0, 0.0, -3.0],
                              frequency=[0, 2, 5, 1])
    options = CLVOptions(model="bgnbd")
    ctx = SimpleNamespace(config=AnalysisConfig(clv=options))
    fit, info = CLVStage().fit(ctx, pa.Table.from_pandas(frame))
    assert info["spend_model"]["left_out_customers"] == ["C", "D"]
    assert "(C, D)" in info["spend_model"]["message"]
    _, by_pandas = fit_customer_value(frame, options)
    # (equal as text: the fit's unidentified standard errors are NaN, unequal to themselves)
    assert repr(info) == repr(by_pandas)


def test_a_summary_frame_keeps_text_as_arrow_strings():
    from cvm.models.lifetime_value import summary_frame

    frame = summary_frame(pa.table({"customer_id": pa.array(["b", "a"], pa.large_string()),
                                    "code": pa.array(["x", None]), "frequency": [1.0, 2.0]}))
    assert frame["customer_id"].dtype == pd.ArrowDtype(pa.large_string())
    assert frame["code"].dtype == pd.ArrowDtype(pa.string())
    assert frame["frequency"].dtype == np.float64
    assert frame["customer_id"].tolist() == ["b", "a"] and frame["code"].isna().tolist() == [
        False, True]


def test_spend_model_messages_name_customers_not_rows():
    summary = _summary().assign(customer_id=["A", "B", "C", "D"],
                                repeat_monetary_avg=[0.0, 0.0, 55.0, -3.0])
    cols, info = predict_customer_value(summary, np.ones(4), CLVOptions(model="bgnbd"))
    spend = info["spend_model"]
    # two customers are left out: one left to fit cannot give the spread of spend
    assert (spend["model"], spend["left_out_customers"]) == ("observed_mean", ["B", "D"])
    assert spend["message"].startswith("2 repeat customers whose repeat purchases average no "
                                       "positive spend (B, D) are left out")
    assert "row" not in spend["message"] + spend["reason"]
    np.testing.assert_array_equal(cols["expected_average_spend"], [30.0, 45.0, 50.0, 25.0])


def test_no_repeat_buyer_leaves_the_model_columns_empty():
    summary = _summary().assign(frequency=0, recency_days=[100, 270, 270, 250],
                                repeat_monetary_avg=0.0)
    cols, info = predict_customer_value(summary, np.ones(4), CLVOptions())
    assert info["status"] == "no_repeat" and "more than one day" in info["message"]
    assert all(np.isnan(v).all() for v in cols.values())


def test_clv_options_are_checked():
    with pytest.raises(ConfigError, match="CLV model"):
        AnalysisConfig(clv=CLVOptions(model="lifetimes"))
    with pytest.raises(ConfigError, match="margin rate"):
        AnalysisConfig(clv=CLVOptions(margin_rate=1.5))
    with pytest.raises(ConfigError, match="time unit"):
        AnalysisConfig(clv=CLVOptions(time_unit="year"))


_PUBLISHED = BGNBD()
_PUBLISHED.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


@settings(max_examples=60, deadline=None)
@given(x=st.integers(0, 60), recency_share=st.floats(1e-9, 1), T=st.floats(0.5, 300),
       low=st.floats(0, 0.5), step_up=st.floats(0.01, 1), horizon=st.floats(1, 260))
def test_clv_falls_as_the_discount_rate_rises(x, recency_share, T, low, step_up, horizon):
    t_x = 0.0 if x == 0 else recency_share * T
    data = {"frequency": [x], "recency": [t_x], "T": [T]}
    kwargs = dict(horizon=horizon, time_units_per_year=52.18)
    near = discounted_expected_transactions(_PUBLISHED, data, discount_rate=low, **kwargs)[0]
    far = discounted_expected_transactions(_PUBLISHED, data, discount_rate=low + step_up,
                                           **kwargs)[0]
    assert far < near or near == 0.0
    assert far >= 0.0


# -- the stage inside cvm run -----------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_results(tmp_path_factory):
    from cvm.demo import DEMO_AS_OF, write_demo_data
    from cvm.pipeline import run

    tmp = tmp_path_factory.mktemp("clv-demo")
    tx, cust = write_demo_data(tmp / "data", customers=400)
    result = run([tx], customers=[cust], workspace=tmp / "ws.duckdb", out=tmp / "out",
                 config=AnalysisConfig(as_of=DEMO_AS_OF, clv=CLVOptions(margin_rate=0.3)))
    return result, tmp


def test_cvm_run_adds_the_value_columns(demo_results):
    result, tmp = demo_results
    frame = pd.read_parquet(tmp / "out" / "customers.parquet")
    columns = value_columns(CLVOptions())
    assert set(columns) <= set(frame.columns)
    buyers = frame[frame["frequency"].notna()]
    values = buyers[columns].to_numpy(dtype=float)
    assert np.isfinite(values).all()
    assert buyers["probability_alive"].between(0, 1).all()
    assert (buyers["expected_purchases_365d"] >= 0).all()
    # no margin or cost column in the demo: margin is 30 % of spend
    np.testing.assert_allclose(buyers["historical_value"], 0.3 * buyers["monetary_total"],
                               rtol=1e-9)
    assert (buyers["current_value"] <= buyers["historical_value"] + 1e-9).all()
    np.testing.assert_allclose(buyers["clv"], buyers["potential_value"])
    stage = result.info["stages"]["clv"]
    assert stage["status"] == "fitted" and len(stage["model"]["candidates"]) == 3
    assert stage["model"]["model"] in ("bgnbd", "paretonbd", "mbgnbd")
    report = (tmp / "out" / "report.html").read_text(encoding="utf-8")
    assert 'id="clv-model"' in report and stage["model"]["title"] in report
    with Workspace(tmp / "ws.duckdb") as ws:
        models = ws.result("clv_models").to_pylist()
    assert sum(row["chosen"] for row in models) == 1


def test_run_without_repeat_buyers_says_why(tmp_path):
    csv = tmp_path / "once.csv"
    csv.write_text("customer,date,amount\nA,2024-01-05,10\nB,2024-02-01,20\nC,2024-03-09,5\n",
                   encoding="utf-8")
    env = dict(os.environ, COLUMNS="120")
    proc = subprocess.run([sys.executable, "-m", "cvm", "run", str(csv), "--workspace",
                           str(tmp_path / "ws.duckdb"), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    frame = pd.read_parquet(tmp_path / "out" / "customers.parquet")
    assert frame["clv"].isna().all() and frame["probability_alive"].isna().all()
    assert frame["historical_value"].tolist() == [20.0, 10.0, 5.0]
    report = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "No CLV model: no customer has bought on more than one day" in report


def test_on_the_engine_the_fit_reads_grouped_histories_and_is_the_same_to_the_last_bit(
        tmp_path):
    """Kept on the engine, the CLV stage fits on the histories the engine groups and the
    repeat spend it filters; the fit and its messages are those of the run in this process,
    bit for bit, and the customers the spend model leaves out are named in the same order."""
    from cvm.ingest.load import load_transactions
    from cvm.pipeline import analyse
    from cvm.stages.clv import CLVStage
    from cvm.stages.features import FeatureStage

    rng = np.random.default_rng(11)
    rows = []
    for i in range(400):
        # purchases at the customer's own rate while they are active (a Pareto/NBD story)
        start, rate = rng.uniform(0, 700), rng.gamma(0.8, 1 / 40)
        end = min(700.0, start + rng.exponential(300))
        days = [start]
        while (nxt := days[-1] + rng.exponential(1 / rate)) < end:
            days.append(nxt)
        for k, day in enumerate(sorted({int(d) for d in days})):
            # every 40th customer spends nothing after their first day
            amount = 0.0 if (i % 40 == 3 and k) else float(rng.gamma(3.0, 20.0))
            rows.append({"customer_id": f"K{i:03d}", "amount": amount,
                         "purchase_date": AS_OF - dt.timedelta(days=700 - day)})
    path = tmp_path / "transactions.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    config = AnalysisConfig(as_of=AS_OF, clv=CLVOptions(model="auto"))
    with Workspace(tmp_path / "ws.duckdb") as ws:
        load_transactions(ws, path, as_of=AS_OF)
        here = analyse(ws, config, stages=[FeatureStage(), CLVStage()])
        kept = analyse(ws, config, stages=[FeatureStage(), CLVStage()], keep_on_engine=True)
    fit_here, fit_kept = here.info["stages"]["clv"], kept.info["stages"]["clv"]
    spend = fit_here["spend_model"]
    # the every-40th customers who came back on another day
    days = pd.DataFrame(rows).groupby("customer_id")["purchase_date"].nunique()
    left_out = sorted(c for c, n in days.items() if int(c[1:]) % 40 == 3 and n > 1)
    assert spend["left_out"] == len(left_out) == 6
    # the first five in the run's customer order are named
    in_order = [c for c in here.customers.column("customer_id").to_pylist() if c in left_out]
    assert spend["left_out_customers"] == in_order[:5]
    assert "and 1 more" in spend["message"] and spend["model"] == "gammagamma"
    assert fit_here["status"] == "fitted"
    # the fit, its candidates and messages bit for bit (equal as text: NaN standard errors
    # are unequal to themselves); the totals are sums the engine adds in its own order
    totals = [k for k in fit_here if k.endswith("_total")]
    assert len(totals) == 5
    assert repr({k: v for k, v in fit_kept.items() if k not in totals}) == \
        repr({k: v for k, v in fit_here.items() if k not in totals})
    for key in totals:
        assert fit_kept[key] == pytest.approx(fit_here[key], rel=1e-12)
    assert kept.info["customers_collected_for"] is None


@pytest.mark.parametrize("spends, left_out", [
    # a repeat customer spending 0.50 a day is fitted; none, nothing or a refund is left out
    ([0.5, None, 0.0, -2.0, 30.0, 12.0], 3),
    ([0.5, 8.0, 3.0, 1.0, 30.0, 12.0], 0),
])
def test_the_engine_computes_the_fit_inputs_a_frame_gives(spends, left_out):
    """The CLV fit's inputs computed on the engine (grouped histories, repeat spend, the
    customers left out) are the ones computed from the same rows in this process."""
    from cvm.models.lifetime_value import value_fit_inputs
    from cvm.stages.clv import _engine_fit_inputs

    frame = pd.DataFrame({
        "customer_id": ["r1", "r2", "r3", "r4", "r5", "r6", "o1", "o2", "o3"],
        "frequency": [2, 1, 3, 2, 2, 4, 0, 0, 0],
        "recency_days": [10, 40, 5, 10, 10, 3, 90, 90, 200],
        "tenure_days": [100, 300, 200, 100, 100, 50, 90, 90, 200],
        "repeat_monetary_avg": [*spends, 0.0, 0.0, 0.0],
        "value_rank": [3, 1, 2, 9, 5, 4, 6, 8, 7],
    }).astype({"repeat_monetary_avg": "float64"})
    engine = get_engine("duckdb")
    rows = engine.table(pa.Table.from_pandas(frame), "clv_fit_inputs")
    on_engine = _engine_fit_inputs(engine, rows, 7.0)
    here = value_fit_inputs(frame.sort_values("value_rank"), 7.0)
    assert on_engine.customers == here.customers == 9
    assert on_engine.left_out == here.left_out == left_out
    assert on_engine.left_out_ids == here.left_out_ids
    assert on_engine.repeat_customers == here.repeat_customers == 6
    # the grouped histories, each repeated by its weight, are the sorted histories
    grouped = on_engine.histories
    expanded = grouped.loc[grouped.index.repeat(grouped["weights"].astype(int)),
                           ["frequency", "recency", "T"]]
    np.testing.assert_array_equal(expanded.to_numpy(), here.histories.to_numpy())
    assert len(grouped) == 6      # r1, r4 and r5 share a history, as do o1 and o2
    np.testing.assert_array_equal(on_engine.spend.to_numpy(), here.spend.to_numpy())
    assert len(here.spend) == 6 - left_out
