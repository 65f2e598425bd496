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


def test_without_clv_or_composite_value_the_summary_leaves_them_out(engine_name):
    table = customers().drop_columns(["clv", "composite_value"])
    engine = get_engine(engine_name)
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
