"""The scenario calculator against figures worked by hand, and the seed's car buyer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cvm.models.scenario import ScenarioError, evaluate_scenario, load_scenario, parse_scenario

DOCS = Path(__file__).resolve().parents[2] / "docs"

SMALL = {
    "name": "small", "years": 3, "discount_rate": 0.10, "timing": "end",
    # years 1 and 3: revenue 100, profit 20
    "purchase": [{"name": "product", "price": 100, "margin": 0.2, "every_years": 2}],
    # every year: revenue 10, profit 5
    "service": [{"name": "service", "price": 10, "margin": 0.5}],
}


def test_small_scenario_by_hand():
    result = evaluate_scenario(parse_scenario(SMALL))
    assert [y.revenue for y in result.years] == [110.0, 10.0, 110.0]
    assert [y.profit for y in result.years] == [25.0, 5.0, 25.0]
    # end of year: 25/1.1 + 5/1.1^2 + 25/1.1^3 = 22.727273 + 4.132231 + 18.782870
    assert result.npv == pytest.approx(45.642374, abs=1e-6)
    assert result.years[1].cumulative_npv == pytest.approx(26.859504, abs=1e-6)
    start = evaluate_scenario(parse_scenario({**SMALL, "timing": "start"}))
    # start of year: 25 + 5/1.1 + 25/1.1^2 = 25 + 4.545455 + 20.661157
    assert start.npv == pytest.approx(50.206612, abs=1e-6)


def test_retention_probability_and_profit_items():
    raw = {**SMALL, "retention": 0.5, "referral": [
        {"name": "friend", "price": 200, "margin": 0.1, "first_year": 2, "last_year": 2,
         "probability": 0.5}],
        "purchase": [*SMALL["purchase"], {"name": "trade-in", "profit": 8, "first_year": 3}]}
    result = evaluate_scenario(parse_scenario(raw))
    # year 2: weight 0.5; service 5 x 0.5 + referral 0.5 x 0.5 x 20 = 2.5 + 5 = 7.5
    # year 3: weight 0.25; (20 + 5 + 8) x 0.25 = 8.25; revenue (100 + 10) x 0.25 = 27.5
    assert [y.profit for y in result.years] == [25.0, 7.5, 8.25]
    assert [y.revenue for y in result.years] == [110.0, 0.5 * 10 + 0.25 * 200, 27.5]
    assert result.years[1].by_kind == {"purchase": 0.0, "service": 2.5, "referral": 5.0}


# The lecture notes' slide (客户生命周期的价值): "这位客户带来的 总收入=~800万 总利润=~51万".
# Both totals are written to two significant figures (80 × ¥100,000 and 51 × ¥10,000), so a
# reconstruction reproduces them when it rounds to them: within half a unit of the second figure.
SLIDE_REVENUE, REVENUE_TOLERANCE = 8_000_000, 50_000
SLIDE_PROFIT, PROFIT_TOLERANCE = 510_000, 5_000


def test_the_car_buyer_item_by_item():
    """"车价¥50万;利润率4%;每4年换车 | 二手车交易利润¥1万 | ¥2,800/年;利润率50% |
    ¥45万元;利润率4%;每6年换车 | ¥75万元;利润…" over the slide's years 0 … 20."""
    result = evaluate_scenario(load_scenario(DOCS / "clv-scenario-car-buyer.toml"))
    # own cars today and every 4 years to year 20: 6 x 500,000 at 4 %; the wife's A4 and the
    # daughter's TT today and every 6 years: 4 x 450,000 and 4 x 750,000 at 4 %; service on
    # three cars for 20 years: 60 x 2,800 at 50 %; trade-ins at every replacement: 5 own + 3 + 3
    revenue = 6 * 500_000 + 4 * 450_000 + 4 * 750_000 + 60 * 2_800
    profit = 6 * 20_000 + 4 * 18_000 + 4 * 30_000 + 60 * 1_400 + 11 * 10_000
    assert (revenue, profit) == (7_968_000, 506_000)
    assert result.revenue == pytest.approx(revenue, abs=1e-6)
    assert result.profit == pytest.approx(profit, abs=1e-6)
    # today (cvm's year 1, undiscounted): three cars bought, no service or trade-in yet
    assert result.years[0].revenue == 1_700_000
    assert result.years[0].profit == pytest.approx(68_000, abs=1e-9)
    assert result.years[0].discount_factor == 1.0
    # the slide's year 20 (cvm's year 21): the sixth own car, its trade-in, three services
    assert result.years[-1].revenue == 500_000 + 3 * 2_800
    assert result.npv == pytest.approx(sum(y.profit / 1.08 ** (y.year - 1) for y in result.years))


def test_the_car_buyer_reproduces_the_slides_totals():
    totals = evaluate_scenario(load_scenario(DOCS / "clv-scenario-car-buyer.toml")).totals()
    assert abs(totals["revenue"] - SLIDE_REVENUE) <= REVENUE_TOLERANCE, totals
    assert abs(totals["profit"] - SLIDE_PROFIT) <= PROFIT_TOLERANCE, totals
    # the discount rate (not on the slide) moves the NPV only
    assert totals["npv"] < totals["profit"]


@pytest.mark.parametrize("change, message", [
    ({"years": 0}, "years must be between"),
    ({"discount_rate": -0.1}, "discount_rate"),
    ({"timing": "middle"}, "timing"),
    ({"colour": "red"}, "unknown field"),
    ({"purchase": [{"price": 10}]}, "give margin"),
    ({"purchase": [{"price": 10, "margin": 4}]}, "between 0 and 1"),
    ({"purchase": [{"price": 10, "margin": 0.1, "first_year": 9}]}, "first_year"),
    ({"purchase": [{"price": 10, "margin": 0.1, "every": 2}]}, "unknown field"),
])
def test_mistakes_are_named(change, message):
    with pytest.raises(ScenarioError, match=message):
        parse_scenario({**SMALL, **change})


def test_clv_scenario_command(tmp_path):
    env = dict(os.environ, COLUMNS="120")
    out = tmp_path / "years.csv"
    proc = subprocess.run([sys.executable, "-m", "cvm", "clv-scenario",
                           str(DOCS / "clv-scenario-car-buyer.toml"), "--csv", str(out)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "revenue ¥7,968,000, profit ¥506,000" in proc.stdout
    assert len(out.read_text(encoding="utf-8-sig").splitlines()) == 22
    proc = subprocess.run([sys.executable, "-m", "cvm", "clv-scenario",
                           str(DOCS / "clv-scenario-car-buyer.toml"), "--json"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    totals = json.loads(proc.stdout)
    assert list(totals) == ["revenue", "profit", "npv"]
    assert totals["revenue"] == 7_968_000 and totals["profit"] == 506_000
    npv = sum(p / 1.08 ** k for k, p in enumerate([68_000] + [4_200] * 3 + [34_200, 4_200, 72_200,
              4_200, 34_200, 4_200, 4_200, 4_200, 102_200, 4_200, 4_200, 4_200, 34_200, 4_200,
              72_200, 4_200, 34_200]))
    assert totals["npv"] == pytest.approx(npv, abs=0.005)
    bad = tmp_path / "bad.toml"
    bad.write_text("years = 5\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "cvm", "clv-scenario", str(bad)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 2 and "discount_rate" in proc.stderr


def test_clv_scenario_command_in_chinese():
    env = dict(os.environ, COLUMNS="160")
    proc = subprocess.run([sys.executable, "-m", "cvm", "clv-scenario",
                           str(DOCS / "clv-scenario-car-buyer.toml"), "--lang", "zh"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "不折现，第 1–21 年：收入 ¥7,968,000，利润 ¥506,000。按 8.0% 折现" in proc.stdout
    assert "累计净现值" in proc.stdout and "revenue" not in proc.stdout
