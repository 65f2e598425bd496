"""The churn stage on a hand-made workspace and on the demo.

The hand-made workspace: regular buyers (every 10 days up to the as-of date), customers gone
since June, customers silent since August who came back in November, and one-time buyers; a
customer-list entry without purchases (a prospect). The horizon is given (30 days) so that the
reactivations the win-back probability learns from can be counted here by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from cvm.config import AnalysisConfig, ChurnOptions
from cvm.models.winback import SILENCE_EDGES
from cvm.pipeline import run
from cvm.stages.churn import value_after_return

AS_OF = dt.date(2024, 12, 31)
H = 30


def _sales() -> list[tuple[str, dt.date, float]]:
    rows = []
    for i in range(30):  # regular: every 10 days up to the as-of date
        d = dt.date(2024, 1, 5) + dt.timedelta(days=i % 10)
        while d <= AS_OF:
            rows.append((f"r{i:02d}", d, 10.0 + i))
            d += dt.timedelta(days=10)
    for i in range(20):  # gone: every 15 days until the end of June, then silent
        d = dt.date(2024, 1, 1) + dt.timedelta(days=i)
        while d <= dt.date(2024, 6, 30):
            rows.append((f"g{i:02d}", d, 20.0))
            d += dt.timedelta(days=15)
    for i in range(20):  # returners: every 12 days until August, silent, one purchase in Nov
        d = dt.date(2024, 1, 3) + dt.timedelta(days=i)
        while d <= dt.date(2024, 8, 31):
            rows.append((f"w{i:02d}", d, 15.0))
            d += dt.timedelta(days=12)
        rows.append((f"w{i:02d}", dt.date(2024, 11, 15) + dt.timedelta(days=i % 10), 15.0))
    for i in range(10):  # one purchase in spring
        rows.append((f"o{i:02d}", dt.date(2024, 3, 1) + dt.timedelta(days=5 * i), 40.0))
    return rows


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    folder = tmp_path_factory.mktemp("churn")
    sales = folder / "sales.csv"
    sales.write_text("customer,date,amount\n" + "".join(
        f"{c},{d.isoformat()},{a}\n" for c, d, a in _sales()), encoding="utf-8")
    people = folder / "people.csv"
    people.write_text("customer,name\nr00,Ann\nprospect1,Pat\n", encoding="utf-8")
    return run([sales], customers=[people], workspace=folder / "ws.duckdb", out=None,
               config=AnalysisConfig(as_of=AS_OF, churn=ChurnOptions(horizon_days=H,
                                                                     contact_cost=5.0)))


def _rows(result):
    return {r["customer_id"]: r for r in result.customers.to_pylist()}


def _expected_return_probability(sales, customer: str, m: float = 20.0) -> float:
    """The reactivation rate of the customer's silence band and value tier, counted in plain
    Python: at as_of - k H (k = 1..4) every customer with a purchase by then and silent for at
    least a day, their tier (thirds of spend to date by mid-rank), whether they bought in the
    H days after; rates shrunk towards the band's rate (m customers), the band's towards the
    overall rate."""
    def band(days):
        return int(np.searchsorted(SILENCE_EDGES, days, side="right") - 1)

    obs = []
    for k in range(1, 5):
        cut = AS_OF - dt.timedelta(days=k * H)
        spend, last = {}, {}
        for c, d, a in sales:
            if d <= cut:
                spend[c] = spend.get(c, 0.0) + a
                last[c] = max(last.get(c, d), d)
        ids = sorted(spend)
        values = sorted(spend.values())
        for c in ids:
            below = sum(v < spend[c] for v in values)
            equal = sum(v == spend[c] for v in values)
            pct = (below + (equal + 1) / 2) / len(values)
            tier = "high" if pct > 2 / 3 else "middle" if pct > 1 / 3 else "low"
            silence = (cut - last[c]).days
            if silence < 1:
                continue
            back = any(x == c and cut < d <= cut + dt.timedelta(days=H) for x, d, _ in sales)
            obs.append((band(silence), tier, int(back)))
    overall = np.mean([o[2] for o in obs])
    # the customer's own band and tier today
    spend_now = {}
    last_now = {}
    for c, d, a in sales:
        spend_now[c] = spend_now.get(c, 0.0) + a
        last_now[c] = max(last_now.get(c, d), d)
    values = np.array(list(spend_now.values()))
    low, high = np.quantile(values, [1 / 3, 2 / 3])
    s = spend_now[customer]
    tier = "high" if s > high else "middle" if s > low else "low"
    b = band((AS_OF - last_now[customer]).days)
    in_band = [o for o in obs if o[0] == b]
    p_band = (sum(o[2] for o in in_band) + m * overall) / (len(in_band) + m)
    cell = [o for o in in_band if o[1] == tier]
    return (sum(o[2] for o in cell) + m * p_band) / (len(cell) + m)


def test_silent_customers_carry_the_risk_and_prospects_get_nulls(result):
    rows = _rows(result)
    risk = {c: r["churn_risk"] for c, r in rows.items()}
    assert all(0.0 <= v <= 1.0 for c, v in risk.items() if c != "prospect1")
    regular = np.mean([risk[f"r{i:02d}"] for i in range(30)])
    gone = np.mean([risk[f"g{i:02d}"] for i in range(20)])
    assert gone > 0.9 and regular < 0.5, (gone, regular)
    p = rows["prospect1"]
    assert all(p[c] is None for c in ("churn_risk", "churn_model", "churn_reason",
                                      "winback_probability", "winback_value", "winback_rank"))
    # g00: last purchase 2024-06-29 (every 15 days from 1 Jan 2024), 185 days before 31 Dec
    assert rows["g00"]["churn_reason"] == "no purchase for 185 days; usually buys every 15 days"
    assert result.info["stages"]["churn"]["horizon_days"] == H
    assert result.info["stages"]["churn"]["horizon_rule"] == "given"


def test_winback_probability_is_the_counted_reactivation_rate(result):
    rows = _rows(result)
    sales = _sales()
    for c in ("g00", "w05", "o03", "r07"):
        assert rows[c]["winback_probability"] == pytest.approx(
            _expected_return_probability(sales, c), abs=1e-12), c


def test_winback_value_and_rank(result):
    rows = _rows(result)
    info = result.info["stages"]["churn"]
    buyers = [r for c, r in rows.items() if c != "prospect1"]
    for r in buyers:
        # one purchase a day here, so the average spend per purchase day is monetary_avg
        gap = np.nan if r["churn_gap_days"] is None else r["churn_gap_days"]
        value = value_after_return([r["monetary_avg"]], [gap], days=info["value_days"],
                                   typical_gap_days=info["typical_gap_days"],
                                   monetary_total=[r["monetary_total"]],
                                   tenure_days=[r["tenure_days"]])[0]
        assert r["winback_value"] == pytest.approx(r["winback_probability"] * float(value) - 5.0)
    ranked = sorted((r for r in buyers if r["winback_rank"] is not None),
                    key=lambda r: r["winback_rank"])
    assert ranked and all(r["churn_risk"] >= 0.5 for r in ranked)
    assert all(r["winback_rank"] is None for r in buyers if r["churn_risk"] < 0.5)
    values = [r["winback_value"] for r in ranked]
    assert values == sorted(values, reverse=True)
    assert ranked[0]["winback_rank"] == 1


def test_above_its_size_the_check_looks_at_a_sample_and_the_run_says_so(result, tmp_path):
    checked = result.info["stages"]["churn"]["validation"]
    assert checked["status"] == "validated" and "sampled_from" not in checked
    sales = tmp_path / "sales.csv"
    sales.write_text("customer,date,amount\n" + "".join(
        f"{c},{d.isoformat()},{a}\n" for c, d, a in _sales()), encoding="utf-8")
    sampled = run([sales], workspace=tmp_path / "ws.duckdb", out=None,
                  config=AnalysisConfig(as_of=AS_OF, churn=ChurnOptions(
                      horizon_days=H, contact_cost=5.0, check_customers=25)))
    checked = sampled.info["stages"]["churn"]["validation"]
    # the 80 buyers had all bought by the calibration end, a horizon before the as-of date
    assert (checked["status"], checked["customers"], checked["sampled_from"]) == (
        "validated", 25, 80)
    # the run's own scores are those of the run that checked everyone
    risks = {r["customer_id"]: r["churn_risk"] for r in result.customers.to_pylist()}
    assert sampled.customers.num_rows == 80
    assert all(risks[r["customer_id"]] == r["churn_risk"] for r in sampled.customers.to_pylist())


def _sampled_by_hand(ids, size: int) -> set[str]:
    """The ``size`` customers whose rank by id (from 1) × 2654435761 mod 2^32 is smallest."""
    keys = {c: (rank * 2654435761) % 2**32 for rank, c in enumerate(sorted(ids), start=1)}
    return set(sorted(ids, key=lambda c: (keys[c], c))[:size])


def test_above_its_size_the_fit_learns_from_a_sample_and_scores_everyone(result, tmp_path):
    """With more buyers than ``fit_customers`` the models learn from a sample of them drawn
    by hand here, on the engine path as in this process, and every buyer is still scored."""
    from cvm.insights.churn import churn_figures
    from cvm.pipeline import analyse
    from cvm.workspace import Workspace

    stage = result.info["stages"]["churn"]
    assert "fit_customers" not in stage and ChurnOptions().fit_customers == 1_000_000
    sales = _sales()
    path = tmp_path / "sales.csv"
    path.write_text("customer,date,amount\n" + "".join(
        f"{c},{d.isoformat()},{a}\n" for c, d, a in sales), encoding="utf-8")
    config = AnalysisConfig(as_of=AS_OF, churn=ChurnOptions(horizon_days=H, contact_cost=5.0,
                                                            fit_customers=40))
    sampled = run([path], workspace=tmp_path / "ws.duckdb", out=None, config=config)
    churn = sampled.info["stages"]["churn"]
    assert churn["fit_customers"] == {"customers": 40, "sampled_from": 80}
    # the window the classifiers learn from is the sample's: the share of its customers known
    # at the cut-off who made no purchase up to the as-of date, counted by hand
    cutoff = AS_OF - dt.timedelta(days=churn["window_days"])
    sample = _sampled_by_hand({c for c, _, _ in sales}, 40)
    known = {c for c, d, _ in sales if d <= cutoff and c in sample}
    silent = {c for c in known if not any(x == c and cutoff < d <= AS_OF for x, d, _ in sales)}
    assert churn["window_churn_rate"] == pytest.approx(len(silent) / len(known), abs=1e-12)
    assert stage["window_churn_rate"] == pytest.approx(50 / 80, abs=1e-12)  # all 80 known
    # every buyer scored
    assert sampled.customers.column("churn_risk").null_count == 0
    assert sampled.customers.num_rows == 80
    # the same sample and scores with the customer table kept on the engine
    with Workspace(tmp_path / "ws.duckdb") as ws:
        there = analyse(ws, config, keep_on_engine=True)
        there_rows = {r["customer_id"]: r["churn_risk"] for r in there.customers.to_pylist()}
    assert there.info["stages"]["churn"]["fit_customers"] == churn["fit_customers"]
    assert {r["customer_id"]: r["churn_risk"] for r in sampled.customers.to_pylist()} \
        == pytest.approx(there_rows, rel=1e-9)
    # a sample as large as the buyers is all of them: no sample
    exactly = run([path], workspace=tmp_path / "ws80.duckdb", out=None,
                  config=AnalysisConfig(as_of=AS_OF, churn=ChurnOptions(
                      horizon_days=H, contact_cost=5.0, fit_customers=80)))
    assert "fit_customers" not in exactly.info["stages"]["churn"]
    assert exactly.info["stages"]["churn"]["window_churn_rate"] == stage["window_churn_rate"]
    # the report's churn section says so, in both languages
    assert churn_figures(churn)["fit_sample"] == {"customers": 40, "sampled_from": 80}
    assert churn_figures(stage)["fit_sample"] is None
    from cvm.reports.html import render_report

    pages = {lang: render_report(sampled.customers_frame(), sampled.segments_frame(),
                                 sampled.pareto, sampled.info, lang=lang) for lang in ("en", "zh")}
    assert "The models learnt from a sample of 40 of the 80 buyers" in pages["en"]
    assert "模型从 80 位购买客户中抽取的 40 位学习" in pages["zh"]
    assert "learnt from a sample" not in render_report(
        result.customers_frame(), result.segments_frame(), result.pareto, result.info)


@pytest.mark.parametrize("field, what", [("fit_customers", "fit"), ("check_customers", "check")])
def test_a_sample_of_no_customer_is_refused(field, what):
    from cvm.config import ConfigError

    with pytest.raises(ConfigError, match=f"^the churn {what} needs at least 1 customer, not 0$"):
        AnalysisConfig(churn=ChurnOptions(**{field: 0}))
    assert getattr(AnalysisConfig(churn=ChurnOptions(**{field: 1})).churn, field) == 1
    assert getattr(AnalysisConfig(churn=ChurnOptions(**{field: None})).churn, field) is None


def test_the_run_says_when_it_could_not_check_the_risk(tmp_path):
    sales = tmp_path / "sales.csv"
    sales.write_text("customer,date,amount\na,2024-12-01,10\nb,2024-12-20,5\nb,2024-12-30,5\n",
                     encoding="utf-8")
    out = run(sales, workspace=tmp_path / "ws.duckdb", out=None,
              config=AnalysisConfig(as_of=AS_OF))
    churn = out.info["stages"]["churn"]
    assert churn["status"] == "not_scored"
    assert churn["validation"]["status"] == "not_run"
    assert "too short" in churn["validation"]["note"]
    assert out.customers.column("churn_risk").null_count == out.customers.num_rows


def test_the_reactivation_figures_count_every_earlier_silent_customer(result):
    """The run's figures of the reactivation counts: at the four cut-offs, every customer with
    a purchase by then and silent for at least a day, and the share who came back, counted
    here in plain Python."""
    sales = _sales()
    seen, back = 0, 0
    cuts = [AS_OF - dt.timedelta(days=k * H) for k in range(1, 5)]
    for cut in cuts:
        last = {}
        for c, d, _a in sales:
            if d <= cut:
                last[c] = max(last.get(c, d), d)
        for c, d in last.items():
            if (cut - d).days >= 1:
                seen += 1
                back += any(x == c and cut < e <= cut + dt.timedelta(days=H)
                            for x, e, _ in sales)
    figures = result.info["stages"]["churn"]["reactivation"]
    assert figures["observations"] == seen
    assert figures["overall_rate"] == pytest.approx(back / seen, abs=1e-15)
    assert figures["cutoffs"] == sorted(c.isoformat() for c in cuts)
    assert "complained" not in figures   # no service log


def test_the_complained_rates_from_the_counts():
    import pandas as pd

    from cvm.stages.churn import _complained_rates

    counts = pd.DataFrame({"group": ["high complained", "low", "low complained", "middle"],
                           "customers": [3, 10, 1, 5], "returned": [1, 4, 0, 5]})
    assert _complained_rates(counts) == {
        "complained": {"customers": 4, "returned": 1, "rate": 0.25},
        "others": {"customers": 15, "returned": 9, "rate": 0.6}}
    none = _complained_rates(counts[~counts["group"].str.endswith("complained")])
    assert none["complained"] == {"customers": 0, "returned": 0, "rate": None}


def test_no_horizon_from_a_history_of_one_day(tmp_path):
    """Every purchase on the as-of date: no gap between purchase days gives a horizon and no
    customer has a tenure to learn from, so the stage adds no features and scores nobody."""
    sales = tmp_path / "sales.csv"
    sales.write_text("customer,date,amount\na,2024-12-31,10\nb,2024-12-31,5\n", encoding="utf-8")
    out = run(sales, workspace=tmp_path / "ws.duckdb", out=None,
              config=AnalysisConfig(as_of=AS_OF))
    churn = out.info["stages"]["churn"]
    assert churn["status"] == "not_scored" and "horizon_days" not in churn
    assert out.customers.column("churn_risk").null_count == out.customers.num_rows
