"""The matrix's cell summary and the cells' economics from groupings on an engine
(:func:`cvm.segments.matrix.matrix_summary_on_engine`,
:func:`cvm.segments.playbook.action_gains_on_engine`) against the same figures from the whole
table here, on DuckDB and Spark, with cases worked by hand."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest

from cvm.config import MatrixOptions
from cvm.engine import get_engine
from cvm.segments.matrix import matrix_summary, matrix_summary_on_engine
from cvm.segments.playbook import (action_gains, action_gains_on_engine, cell_economics,
                                   load_playbook)

NAN = float("nan")


def customers() -> pa.Table:
    """Nine customers in three cells; unknown values (null and NaN) where the summary and the
    economics must leave them out."""
    return pa.table({
        "customer_id": [f"C{i}" for i in range(9)],
        "matrix_cell": ["HH-current"] * 4 + ["LL-churned"] * 3 + ["LH-prospective"] * 2,
        "monetary_total": [100.0, 50.0, None, 50.0, 10.0, NAN, 30.0, None, None],
        "composite_value": [80.0, 60.0, NAN, None, 20.0, 30.0, 10.0, 40.0, None],
        "clv": [300.0, None, 100.0, NAN, 5.0, 0.0, 1.0, None, None],
        "recommended_action": ["loyalty", "loyalty", "retain", "let_go",
                               "win_back", "let_go", "let_go", "acquire", "acquire"],
        "expected_gain": [12.0, 8.0, 30.0, -1.0, -2.0, 0.5, NAN, 4.0, None],
    })


def test_the_cell_summary_from_a_grouping_equals_the_one_here(engine_name):
    table = customers()
    here = matrix_summary(table, MatrixOptions(), "seed")
    engine = get_engine(engine_name)
    there = matrix_summary_on_engine(engine.table(table, "cvm_cells"), engine.to_arrow,
                                     MatrixOptions(), "seed")
    assert there.schema.equals(here.schema)
    for a, b in zip(here.to_pylist(), there.to_pylist(), strict=True):
        for key, value in a.items():
            if isinstance(value, float):
                assert b[key] == pytest.approx(value, rel=1e-12), (a["cell"], key)
            else:
                assert b[key] == value, (a["cell"], key)
    by_cell = {r["cell"]: r for r in there.to_pylist()}
    hh = by_cell["HH-current"]
    # 4 of 9 customers; value 100 + 50 + 50 (the null counts 0) of 240 (NaN counts 0)
    assert hh["customers"] == 4 and hh["customer_share"] == pytest.approx(4 / 9)
    assert hh["value"] == 200.0 and hh["value_share"] == pytest.approx(200 / 240)
    # means over the known values only: (80 + 60) / 2, (300 + 100) / 2; total CLV 400
    assert (hh["avg_composite_value"], hh["avg_clv"], hh["total_clv"]) == (70.0, 200.0, 400.0)
    prospects = by_cell["LH-prospective"]
    assert prospects["value"] == 0.0 and prospects["avg_clv"] is None
    assert prospects["total_clv"] == 0.0
    assert by_cell["HL-churned"]["customers"] == 0 and by_cell["HL-churned"]["avg_clv"] is None


def test_without_clv_or_composite_value_the_summary_leaves_them_out():
    table = customers().drop_columns(["clv", "composite_value"])
    engine = get_engine("duckdb")
    there = matrix_summary_on_engine(engine.table(table, "cvm_cells"), engine.to_arrow)
    here = matrix_summary(table)
    assert there.to_pylist() == here.to_pylist()
    assert {r["total_clv"] for r in there.to_pylist()} == {None}


def test_the_gains_per_cell_and_action_from_a_grouping(engine_name):
    table = customers()
    engine = get_engine(engine_name)
    there = action_gains_on_engine(engine.table(table, "cvm_cells"), engine.to_arrow)
    assert there == action_gains(table)
    # unknown gains (NaN, null) left out; count, sum and the largest per action
    assert there == {
        "HH-current": {"loyalty": (2, 20.0, 12.0), "retain": (1, 30.0, 30.0),
                       "let_go": (1, -1.0, -1.0)},
        "LL-churned": {"win_back": (1, -2.0, -2.0), "let_go": (1, 0.5, 0.5)},
        "LH-prospective": {"acquire": (1, 4.0, 4.0)},
    }


def test_the_cells_economics_from_the_gains_equal_those_from_the_customers():
    table = customers()
    playbook = load_playbook(lang="en")
    summary = matrix_summary(table)
    from_rows = cell_economics(summary, playbook, table)
    from_gains = cell_economics(summary, playbook, gains=action_gains(table), winback=False)
    assert from_gains.to_pylist() == from_rows.to_pylist()
    rows = {r["cell"]: r for r in from_rows.to_pylist()}
    hh = rows["HH-current"]
    # loyalty (mean 10) and retain (30) pay, acted on by 3: (12 + 8 + 30) / 3; one let go
    assert (hh["acted_customers"], hh["let_go_customers"]) == (3, 1)
    assert hh["expected_gain_per_customer"] == pytest.approx(50 / 3)
    # loyalty first (two customers), the play's further actions after it, then retain
    actions = hh["actions"].split(", ")
    assert actions[0] == "loyalty" and actions[-1] == "let_go"
    assert actions.index("retain") > 0
    # no action pays in the churned cell: the let-go mean, (−2 + 0.5) / 2, and its largest
    # gain, 0.5, is positive (below the minimum gain, not unprofitable)
    churned = rows["LL-churned"]
    assert churned["acted_customers"] == 0 and churned["let_go_customers"] == 2
    assert churned["expected_gain_per_customer"] == pytest.approx(-0.75)
    assert churned["gain_basis"].startswith("let go: no action gains the minimum")
    assert not math.isnan(rows["LH-prospective"]["expected_gain_per_customer"])


@pytest.mark.parametrize("rows", [0, 3], ids=["no-customers", "no-value"])
def test_shares_of_nothing_are_zero(rows):
    # no customers: every share 0 (not 0 / 0); customers without value: value shares 0
    engine_name = "duckdb"
    table = customers().slice(0, rows)
    table = table.set_column(table.column_names.index("monetary_total"), "monetary_total",
                             pa.array([0.0] * rows, pa.float64()))
    engine = get_engine(engine_name)
    there = matrix_summary_on_engine(engine.table(table, "cvm_cells"), engine.to_arrow)
    assert there.to_pylist() == matrix_summary(table).to_pylist()
    shares = {(r["customer_share"], r["value_share"]) for r in there.to_pylist()
              if r["customers"] == 0 or rows}
    assert shares <= {(0.0, 0.0), (1.0, 0.0)}
    assert {r["value_share"] for r in there.to_pylist()} == {0.0}
    assert sum(r["customer_share"] for r in there.to_pylist()) == (1.0 if rows else 0.0)


def _economics(gains, **kwargs):
    rows = cell_economics(matrix_summary(customers()), load_playbook(lang="en"), gains=gains,
                          **kwargs).to_pylist()
    return {r["cell"]: r for r in rows}


def test_the_actions_of_a_cell_from_its_gains_by_hand():
    found = _economics({
        # the play's main action acted on: its further actions follow it, but not one that
        # customers were told already (cross_sell); retain (mean 0.5) pays, loyalty's own
        # customers first by number
        "HH-current": {"loyalty": (3, 30.0, 20.0), "cross_sell": (1, 2.0, 2.0),
                       "retain": (2, 1.0, 0.9), "let_go": (1, -1.0, -1.0)},
        # retain (the main action) pays: loyalty, the play's next action, follows it
        "HL-current": {"retain": (2, 1.0, 0.9)},
        # a mean gain of exactly 0 does not pay, whatever its best customer (max 3)
        "LH-current": {"nurture": (2, 0.0, 3.0), "service_recovery": (1, 6.0, 6.0)},
        # no action pays; the best customer's gain is above 0 (below the minimum per contact)
        "LL-churned": {"win_back": (2, -4.0, 1.0)},
        # no action pays and the best gain is 0: unprofitable; one let go with gain 0 still
        # counts as let go
        "HL-churned": {"win_back": (1, 0.0, 0.0), "let_go": (1, 0.0, 0.0)},
        # let go with a positive mean gain (below the minimum): not paying, as no one is acted on
        "LH-churned": {"let_go": (1, 3.0, 3.0)},
        "HH-churned": {"win_back": (2, 10.0, 8.0)},
    })
    hh = found["HH-current"]
    assert hh["actions"] == "loyalty, up_sell, referral, retain, cross_sell, let_go"
    assert (hh["acted_customers"], hh["let_go_customers"]) == (6, 1)
    assert hh["expected_gain_per_customer"] == pytest.approx(33 / 6) and hh["pays"]
    assert hh["gain_basis"] == ("playbook response × own clv − cost; retain: measured return "
                                "rate × value after return − cost")
    hl = found["HL-current"]
    assert hl["actions"] == "retain, loyalty" and hl["let_go_customers"] == 0
    assert hl["expected_gain_per_customer"] == 0.5 and hl["pays"]
    lh = found["LH-current"]
    assert lh["actions"] == "service_recovery, let_go"
    assert (lh["acted_customers"], lh["let_go_customers"]) == (1, 2)
    # (the retain wording comes with service recovery too, as the code has it)
    assert lh["gain_basis"] == ("playbook response × own clv − cost; retain: measured return "
                                "rate × value after return − cost; service recovery: assumed "
                                "recovery response × value after return − recovery cost")
    churned = "playbook response × value_if_returned − cost"
    ll = found["LL-churned"]
    assert ll["actions"] == "let_go" and ll["expected_gain_per_customer"] == -2.0
    assert ll["gain_basis"] == ("let go: no action gains the minimum per contact for these "
                                f"customers (the best expected gain per customer: {churned})")
    assert ll["pays"] is False
    hlc = found["HL-churned"]
    assert (hlc["actions"], hlc["let_go_customers"], hlc["acted_customers"]) == ("let_go", 2, 0)
    assert hlc["gain_basis"] == ("let go: no action pays for these customers (the best "
                                 f"expected gain per customer is not positive: {churned})")
    assert found["LH-churned"]["pays"] is False
    assert found["LH-churned"]["expected_gain_per_customer"] == 3.0
    hhc = found["HH-churned"]
    assert hhc["gain_basis"] == churned and hhc["expected_gain_per_customer"] == 5.0
    # cells without gains: nothing acted on, no one let go, no value to judge by
    empty = found["HH-prospective"]
    assert (empty["acted_customers"], empty["let_go_customers"]) == (0, 0)
    assert empty["gain_basis"] == "no value to judge by" and empty["pays"] is None


def test_the_basis_names_the_churn_stage_and_a_measured_campaign():
    gains = {"HH-churned": {"win_back": (2, 10.0, 8.0)}, "HL-current": {"retain": (1, 2.0, 2.0)},
             "LL-current": {"nurture": (1, 2.0, 2.0)}}
    found = _economics(gains, winback=True,
                       measured_basis={"HL-current": "campaign C1 (lift 4.0 pp)"})
    assert found["HH-churned"]["gain_basis"] == \
        "churn stage winback_value (measured reactivation rate)"
    assert found["HL-current"]["gain_basis"] == "campaign C1 (lift 4.0 pp)"
    assert found["LL-current"]["gain_basis"] == "playbook response × own clv − cost"
    # from the customers: their winback_value column says the same
    table = customers().append_column("winback_value", pa.array([1.0] * 9))
    table = table.set_column(table.column_names.index("matrix_cell"), "matrix_cell",
                             pa.array(["HH-churned"] * 9))
    table = table.set_column(table.column_names.index("recommended_action"),
                             "recommended_action", pa.array(["win_back"] * 9))
    row = [r for r in cell_economics(matrix_summary(table), load_playbook(lang="en"), table)
           .to_pylist() if r["cell"] == "HH-churned"][0]
    assert row["gain_basis"] == "churn stage winback_value (measured reactivation rate)"


def test_without_the_customers_gains_a_cell_pays_on_its_average_clv():
    # HH-current: response 0.4 × avg CLV 25 − cost 10 = 0, which does not pay; 20 does not
    summary = pa.table({"cell": ["HH-current", "HL-current"], "customers": [3, 2],
                        "avg_clv": [25.0, 20.0]})
    rows = {r["cell"]: r for r in cell_economics(summary, load_playbook(lang="en")).to_pylist()}
    assert rows["HH-current"]["expected_gain_per_customer"] == 0.0
    assert rows["HH-current"]["pays"] is False
    # HL-current: 0.3 × 20 − 4 = 2: pays, every customer of the cell acted on
    assert rows["HL-current"]["expected_gain_per_customer"] == pytest.approx(2.0)
    assert rows["HL-current"]["pays"] is True and rows["HL-current"]["acted_customers"] == 2
