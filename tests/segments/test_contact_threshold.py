"""Who is worth a contact: the win-back list ordered by the recovery a customer is actually
offered, and a minimum gain per contact below which a customer is let go with the reason.

Unit cases from their numbers, then the demo's captured outputs (``tests/data/golden``, which
the golden test keeps equal to what ``cvm demo`` makes) and one small run from the command
line."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pytest

from cvm.config import AnalysisConfig, ConfigError, MatrixOptions
from cvm.insights.advice import action_reason
from cvm.models.winback import best_recovery_value
from cvm.segments.playbook import cell_economics, customer_actions, load_playbook

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden" / "demo-outputs.json.gz"


def _customers(**columns) -> pa.Table:
    return pa.table({k: pa.array(v, pa.float64()) for k, v in columns.items()})


# -- the rank ---------------------------------------------------------------------------------

def test_the_best_recovery_value_is_the_better_option_offered():
    # M101998: a win-back offer alone 8.25, a service recovery 731.89; no complaint: win back
    got = best_recovery_value([8.25, 40.0, -3.0, 5.0], [731.89, 12.0, None, float("nan")])
    assert got.tolist() == [731.89, 40.0, -3.0, 5.0]


@pytest.fixture(scope="module")
def demo():
    return json.loads(gzip.decompress(GOLDEN.read_bytes()))


def _number(v):
    return None if v in (None, "") else float(v)


def test_the_demo_winback_list_is_ordered_by_the_recovery_each_customer_is_offered(demo):
    rows = [r for r in demo["en"]["customers"] if r["winback_rank"] not in (None, "")]
    assert len(rows) > 1000
    rows.sort(key=lambda r: int(r["winback_rank"]))
    best = [max(_number(r["winback_value"]),
                _number(r["recovery_value"]) if _number(r["recovery_value"]) is not None
                else -float("inf")) for r in rows]
    # non-increasing down the list, ties sharing the better rank
    assert all(a >= b - 1e-9 for a, b in zip(best, best[1:]))
    for r, b in zip(rows, best):
        assert int(r["winback_rank"]) == 1 + sum(x > b + 1e-9 for x in best)
    # the complained-then-silent customer who spent 11,418: a recovery worth 732 ranks beside
    # the win-backs worth as much, not at the win-back value of 8 alone
    complained = next(r for r in rows if r["customer_id"] == "M101998")
    assert complained["recommended_action"] == "service_recovery"
    assert _number(complained["recovery_value"]) == pytest.approx(731.893, abs=0.01)
    assert int(complained["winback_rank"]) == 14  # was 685 by the win-back value alone


def test_the_demo_names_its_minimum_gain_per_contact(demo):
    matrix = demo["en"]["summary"]["info"]["stages"]["matrix"]
    assert matrix["min_gain"] == 0.0


# -- the minimum gain per contact ---------------------------------------------------------------

def test_a_customer_below_the_minimum_gain_is_let_go_with_that_gain():
    # an at-risk LL-current customer: 2 % chance of return × 300 after return − the play's cost
    playbook = load_playbook(lang="en")
    cost = playbook.play("LL-current").cost_per_customer
    gain = 0.02 * 300.0 - cost
    assert 0 < gain < 8
    table = _customers(clv=[20.0, 20.0], winback_value=[0.02 * 300 - 20, 0.5 * 300 - 20],
                       winback_probability=[0.02, 0.5], value_after_return=[300.0, 300.0],
                       winback_rank=[2.0, 1.0])
    cells = pa.array(["LL-current", "LL-current"])
    actions, gains = customer_actions(table, cells, playbook)
    assert actions.to_pylist() == ["retain", "retain"]
    actions, gains = customer_actions(table, cells, playbook, min_gain=8.0)
    assert actions.to_pylist() == ["let_go", "retain"]
    assert gains.to_pylist() == pytest.approx([gain, 0.5 * 300.0 - cost])
    # a gain exactly at the minimum is contacted
    actions, _ = customer_actions(table, cells, playbook, min_gain=gain)
    assert actions.to_pylist() == ["retain", "retain"]
    row = {"recommended_action": "let_go", "expected_gain": gain, "winback_probability": 0.02,
           "value_after_return": 300.0, "winback_value": 0.02 * 300 - 20}
    en = action_reason(row, "en", contact_cost=20, min_gain=8.0)
    assert en == (f"let go: no action gains the minimum of 8.0 per contact — keeping it: 2.0 % "
                  f"chance of return × 300 value after return − {cost:.1f} cost = {gain:.1f}")
    zh = action_reason(row, "zh", contact_cost=20, min_gain=8.0)
    assert zh.startswith("放弃:没有哪项行动达到每次联系的最低收益 8.0——挽留:回归概率 2.0%")
    # a gain that is not positive still reads as "no action pays"
    assert action_reason({**row, "expected_gain": -1.0}, "en", contact_cost=20,
                         min_gain=8.0).startswith("let go: no action pays")


def test_a_cell_let_go_below_the_minimum_does_not_pay():
    playbook = load_playbook(lang="en")
    summary = pa.table({"cell": ["LL-current"], "customers": [2], "avg_clv": [20.0]})
    customers = pa.table({"matrix_cell": ["LL-current"] * 2,
                          "recommended_action": ["let_go", "let_go"],
                          "expected_gain": [3.0, 1.0]})
    cell = cell_economics(summary, playbook, customers).to_pylist()[0]
    assert (cell["actions"], cell["acted_customers"], cell["let_go_customers"]) == ("let_go", 0, 2)
    assert cell["expected_gain_per_customer"] == pytest.approx(2.0)
    assert cell["pays"] is False and cell["expected_gain_total"] == 0.0
    assert cell["gain_basis"].startswith("let go: no action gains the minimum per contact")


def test_a_negative_minimum_gain_is_refused():
    with pytest.raises(ConfigError, match="minimum gain per contact"):
        AnalysisConfig(matrix=MatrixOptions(min_gain=-1.0))


def test_the_matrix_stage_applies_the_minimum_given_on_the_command_line():
    import click
    from click.testing import CliRunner

    from cvm.cli.segment_options import segment_options, with_segment_options
    from cvm.stages.matrix import MatrixStage, _State

    @click.command()
    @segment_options
    def show(segments):
        click.echo(with_segment_options(AnalysisConfig(), segments).matrix.min_gain)

    assert CliRunner().invoke(show, ["--min-gain", "8"]).output.strip() == "8.0"
    assert CliRunner().invoke(show, []).output.strip() == "0.0"
    assert CliRunner().invoke(show, ["--min-gain", "-1"]).exit_code == 2
    config = with_segment_options(AnalysisConfig(), {
        "lifecycle_scheme": "seed", "period_days": 90, "churn_days": 365, "period_cost": 0.0,
        "contact_costs": {}, "weight_method": "given", "weights": None, "ahp_matrix": None,
        "value_threshold": 70.0, "value_threshold_inclusive": False, "value_quantile": None,
        "matrix_scheme": "seed12", "tier_basis": "composite", "playbook": None,
        "min_gain": 8.0})
    batch = pa.RecordBatch.from_pydict({
        "value_quadrant": ["LL", "LL"], "lifecycle_stage": ["decline", "decline"],
        "clv": [20.0, 20.0], "winback_probability": [0.02, 0.5],
        "value_after_return": [300.0, 300.0], "winback_value": [-14.0, 130.0],
        "winback_rank": pa.array([2, 1], pa.int64())})
    state = _State(config.matrix, "seed", load_playbook(lang="en"), {})
    out = MatrixStage().transform(batch, state)
    assert out.column("recommended_action").to_pylist() == ["let_go", "retain"]
