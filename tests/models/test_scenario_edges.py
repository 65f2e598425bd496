"""Edges of the scenario calculator (`cvm.models.scenario`): every check of a scenario file at
its bounds with its message, the defaults, and the yearly figures worked by hand."""

from __future__ import annotations

import pytest

from cvm.models.scenario import (
    Scenario,
    ScenarioError,
    ScenarioItem,
    ScenarioResult,
    evaluate_scenario,
    load_scenario,
    parse_scenario,
)

BASE = {"years": 4, "discount_rate": 0.1, "purchase": [{"price": 100, "margin": 0.25}]}


def refused(raw) -> str:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(raw)
    return str(info.value)


def with_item(**fields) -> dict:
    return {**BASE, "purchase": [{"name": "car", **fields}]}


def test_top_level_checks_and_their_bounds():
    assert refused({**BASE, "colour": "red", "age": 3}) == (
        "unknown field(s) age, colour; top-level fields are currency, discount_rate, name, "
        "retention, timing, years and the item lists [[purchase]], [[service]], [[referral]]")
    assert refused({"discount_rate": 0.1, "purchase": []}) == "the scenario needs years"
    assert refused({"years": 2, "purchase": []}) == "the scenario needs discount_rate"
    assert refused({**BASE, "years": 0}) == "years must be between 1 and 200, not 0"
    assert refused({**BASE, "years": 201}) == "years must be between 1 and 200, not 201"
    assert parse_scenario({**BASE, "years": 1}).years == 1
    assert parse_scenario({**BASE, "years": 200}).years == 200
    assert parse_scenario({**BASE, "years": 3.0}).years == 3
    assert refused({**BASE, "years": 2.5}) == "scenario: years must be a whole number of years, not 2.5"
    assert refused({**BASE, "years": True}) == "scenario: years must be a number, not True"
    assert refused({**BASE, "years": "4"}) == "scenario: years must be a number, not '4'"
    assert refused({**BASE, "discount_rate": -0.01}) == (
        "discount_rate is an annual rate such as 0.08, not -0.01")
    assert refused({**BASE, "discount_rate": 10}) == "discount_rate is an annual rate such as 0.08, not 10.0"
    assert parse_scenario({**BASE, "discount_rate": 0}).discount_rate == 0.0
    assert parse_scenario({**BASE, "discount_rate": 9.99}).discount_rate == 9.99
    assert refused({**BASE, "retention": 1.01}) == (
        "retention is a yearly probability between 0 and 1, not 1.01")
    assert refused({**BASE, "retention": -0.5}) == (
        "retention is a yearly probability between 0 and 1, not -0.5")
    assert parse_scenario({**BASE, "retention": 0}).retention == 0.0
    assert parse_scenario({**BASE, "retention": 1}).retention == 1.0
    assert refused({**BASE, "timing": "middle"}) == (
        "timing must be 'start' or 'end' (of each year), not 'middle'")
    assert refused({**BASE, "service": {"price": 1, "margin": 1}}) == (
        "service must be a list of tables, written [[service]]")
    assert refused({**BASE, "purchase": []}) == (
        "the scenario has no [[purchase]], [[service]] or [[referral]] items")


def test_defaults_and_names():
    scenario = parse_scenario(BASE)
    assert (scenario.name, scenario.retention, scenario.timing, scenario.currency) == (
        "scenario", 1.0, "start", "")
    assert parse_scenario(BASE, name="plan").name == "plan"
    named = parse_scenario({**BASE, "name": "family", "currency": "¥", "timing": "end"}, name="plan")
    assert (named.name, named.currency, named.timing) == ("family", "¥", "end")
    item = scenario.items[0]
    assert item == ScenarioItem(name="purchase 1", kind="purchase", price=100.0, margin=0.25)
    assert (item.every_years, item.first_year, item.last_year, item.probability, item.profit) == (
        1, 1, None, 1.0, None)
    two = parse_scenario({**BASE, "service": [{"margin": 0.5, "price": 3}, {"name": "tyres", "profit": 2}]})
    assert [(i.kind, i.name) for i in two.items] == [
        ("purchase", "purchase 1"), ("service", "service 1"), ("service", "tyres")]
    assert two.items[2].price == 0.0 and two.items[2].profit_each == 2.0


def test_item_checks_and_their_bounds():
    assert refused(with_item(margin=0.1, every=2)) == (
        "[[purchase]] #1 (car): unknown field(s) every; fields are name, price, margin, profit, "
        "every_years, first_year, last_year, probability")
    assert refused({**BASE, "referral": [{"price": 1, "margin": 0.1}, {"price": 1}]}) == (
        "[[referral]] #2: give margin (a share of price, e.g. 0.04) or profit")
    assert refused(with_item(price=1, margin=0.1, profit=3)) == (
        "[[purchase]] #1 (car): give either margin (a share of price) or profit, not both")
    assert refused(with_item(price=1, margin=1.5)) == (
        "[[purchase]] #1 (car): margin is a share of price between 0 and 1, not 1.5")
    assert refused(with_item(price=1, margin=-0.1)) == (
        "[[purchase]] #1 (car): margin is a share of price between 0 and 1, not -0.1")
    assert refused(with_item(price=-1, margin=0.1)) == "[[purchase]] #1 (car): price cannot be negative"
    assert refused(with_item(price=1, margin=0.1, every_years=0)) == (
        "[[purchase]] #1 (car): every_years must be at least 1")
    assert refused(with_item(price=1, margin=0.1, first_year=0)) == (
        "[[purchase]] #1 (car): first_year must be between 1 and 4, not 0")
    assert refused(with_item(price=1, margin=0.1, first_year=5)) == (
        "[[purchase]] #1 (car): first_year must be between 1 and 4, not 5")
    assert refused(with_item(price=1, margin=0.1, first_year=3, last_year=2)) == (
        "[[purchase]] #1 (car): last_year comes before first_year")
    assert refused(with_item(price=1, margin=0.1, probability=1.5)) == (
        "[[purchase]] #1 (car): probability must be between 0 and 1")
    assert refused(with_item(price=1, margin=0.1, probability=-0.5)) == (
        "[[purchase]] #1 (car): probability must be between 0 and 1")
    assert refused(with_item(price=1, margin=0.1, every_years=1.5)) == (
        "[[purchase]] #1 (car): every_years must be a whole number of years, not 1.5")
    assert refused(with_item(price=False, margin=0.1)) == (
        "[[purchase]] #1 (car): price must be a number, not False")
    # the bounds themselves are allowed
    fine = parse_scenario(with_item(price=0, margin=0, every_years=1, first_year=4, last_year=4,
                                    probability=0))
    assert fine.items[0].first_year == 4 and fine.items[0].last_year == 4
    assert parse_scenario(with_item(price=5, margin=1, probability=1, first_year=1)).items[0].margin == 1.0
    assert parse_scenario(with_item(profit=-3)).items[0].profit_each == -3.0
    # a name is text
    assert parse_scenario({**BASE, "purchase": [{"name": 7, "profit": 1}]}).items[0].name == "7"


def test_when_an_item_occurs():
    item = ScenarioItem(name="car", every_years=3, first_year=2, last_year=8)
    assert [y for y in range(1, 12) if item.occurs(y, 11)] == [2, 5, 8]
    open_ended = ScenarioItem(name="car", every_years=2, first_year=1)
    assert [y for y in range(1, 9) if open_ended.occurs(y, 6)] == [1, 3, 5]
    assert [y for y in range(1, 9) if open_ended.occurs(y, 7)] == [1, 3, 5, 7]
    assert ScenarioItem(name="x", price=10.0).profit_each == 0.0        # no margin: no profit
    assert ScenarioItem(name="x", price=10.0, margin=0.3).profit_each == 3.0
    assert ScenarioItem(name="x", price=10.0, margin=0.3, profit=1.0).profit_each == 1.0


def test_yearly_figures_by_hand():
    raw = {"years": 3, "discount_rate": 0.25, "retention": 0.8, "timing": "start",
           "purchase": [{"price": 100, "margin": 0.5, "every_years": 2}],
           "service": [{"price": 20, "margin": 0.25, "probability": 0.5, "first_year": 2}],
           "referral": [{"profit": 10, "first_year": 3}]}
    result = evaluate_scenario(parse_scenario(raw))
    # weights by year: 1, 0.8, 0.64
    # year 1: purchase 100 (profit 50)
    # year 2: service 0.8 x 0.5 x 20 = 8 (profit 0.8 x 0.5 x 5 = 2)
    # year 3: purchase 64 (32), service 0.64 x 0.5 x 20 = 6.4 (1.6), referral 0.64 x 10 = 6.4
    assert [y.year for y in result.years] == [1, 2, 3]
    assert [y.revenue for y in result.years] == pytest.approx([100.0, 8.0, 70.4], rel=1e-12)
    assert [y.profit for y in result.years] == pytest.approx([50.0, 2.0, 40.0], rel=1e-12)
    assert result.years[2].by_kind == pytest.approx({"purchase": 32.0, "service": 1.6, "referral": 6.4})
    # start of year: factors 1, 1/1.25, 1/1.5625
    assert [y.discount_factor for y in result.years] == pytest.approx([1.0, 0.8, 0.64], rel=1e-12)
    assert [y.present_value for y in result.years] == pytest.approx([50.0, 1.6, 25.6], rel=1e-12)
    assert [y.cumulative_npv for y in result.years] == pytest.approx([50.0, 51.6, 77.2], rel=1e-12)
    assert (result.revenue, result.profit, result.npv) == pytest.approx((178.4, 92.0, 77.2), rel=1e-12)
    assert result.totals() == {"revenue": 178.4, "profit": 92.0, "npv": 77.2}
    rows = result.rows()
    assert list(rows[2]) == ["year", "revenue", "profit", "profit_purchase", "profit_service",
                             "profit_referral", "discount_factor", "present_value", "cumulative_npv"]
    assert rows[1]["profit_service"] == pytest.approx(2.0) and rows[1]["discount_factor"] == pytest.approx(0.8)
    # end of year: every factor one year further, 0.8, 0.64, 0.512
    end = evaluate_scenario(parse_scenario({**raw, "timing": "end"}))
    assert [y.discount_factor for y in end.years] == pytest.approx([0.8, 0.64, 0.512], rel=1e-12)
    assert end.npv == pytest.approx(50 * 0.8 + 2 * 0.64 + 40 * 0.512, rel=1e-12)
    assert end.totals()["npv"] == 61.76


def test_totals_round_to_cents_and_no_years_is_zero():
    result = evaluate_scenario(parse_scenario({"years": 1, "discount_rate": 0.0,
                                               "purchase": [{"price": 10.004, "margin": 0.5}]}))
    assert result.totals() == {"revenue": 10.0, "profit": 5.0, "npv": 5.0}
    empty = ScenarioResult(Scenario("none", 1, 0.0, ()), ())
    assert (empty.revenue, empty.profit, empty.npv) == (0, 0, 0.0)
    assert (empty.scenario.retention, empty.scenario.timing, empty.scenario.currency) == (1.0, "start", "")


def test_a_scenario_and_its_figures_cannot_be_changed():
    from dataclasses import FrozenInstanceError

    result = evaluate_scenario(parse_scenario(BASE))
    for obj, name in ((result, "years"), (result.scenario, "years"), (result.scenario.items[0], "price"),
                      (result.years[0], "profit")):
        with pytest.raises(FrozenInstanceError):
            setattr(obj, name, 0)


def test_a_file_names_itself_in_its_errors(tmp_path):
    good = tmp_path / "family plan.toml"
    good.write_text('years = 2\ndiscount_rate = 0.1\n[[purchase]]\nprice = 10\nmargin = 0.5\n',
                    encoding="utf-8")
    assert load_scenario(good).name == "family plan"
    assert evaluate_scenario(load_scenario(str(good))).totals() == {"revenue": 20.0, "profit": 10.0, "npv": 9.55}
    bad = tmp_path / "bad.toml"
    bad.write_text("years = 5\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(bad)
    assert str(info.value) == f"scenario file {bad}: the scenario needs discount_rate"
