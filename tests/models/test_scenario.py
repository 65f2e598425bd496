"""The scenario calculator against figures worked by hand, and the seed's car buyer."""

from __future__ import annotations

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


def test_the_seed_car_buyer_example():
    result = evaluate_scenario(load_scenario(DOCS / "clv-scenario-car-buyer.toml"))
    # own cars in years 1, 5, 9, 13, 17: 5 x 500,000 revenue, 5 x 20,000 profit; trade-ins
    # 4 x 10,000; own service 20 x 2,800 at 50 %; wife's cars in years 2, 8, 14, 20 with
    # probability 0.9: 4 x 0.9 x 450,000 at 4 %; daughter's in 6, 12, 18: 3 x 750,000 at 4 %;
    # family service 19 x 5,600 at 50 %
    revenue = 2_500_000 + 56_000 + 1_620_000 + 2_250_000 + 106_400
    profit = 100_000 + 40_000 + 28_000 + 64_800 + 90_000 + 53_200
    assert result.revenue == pytest.approx(revenue, abs=1e-6)
    assert result.profit == pytest.approx(profit, abs=1e-6)
    assert result.years[0].profit == pytest.approx(20_000 + 1_400, abs=1e-9)
    assert result.years[0].discount_factor == 1.0
    assert result.npv == pytest.approx(sum(y.profit / 1.08 ** (y.year - 1) for y in result.years))


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
    assert "¥6,532,400" in proc.stdout and "¥376,000" in proc.stdout
    assert len(out.read_text(encoding="utf-8-sig").splitlines()) == 21
    bad = tmp_path / "bad.toml"
    bad.write_text("years = 5\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "cvm", "clv-scenario", str(bad)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 2 and "discount_rate" in proc.stderr
