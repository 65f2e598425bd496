"""The value × lifecycle matrix on the demo data: the segmentation separates, the best customer
is not in a low-value quadrant, and nobody valuable is let go while winning them back pays."""

from __future__ import annotations

import collections

import pyarrow as pa
import pytest

import cvm
from cvm.demo import write_demo_data
from cvm.stages import DEFAULT_STAGES
from cvm.stages.contract import Stage


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    tx, cu = write_demo_data(folder)
    return cvm.run(tx, customers=cu, workspace=folder / "ws.duckdb", out=None)


def test_no_quadrant_holds_more_than_80_percent(demo):
    rows = demo.customers.to_pylist()
    counts = collections.Counter(r["value_quadrant"] for r in rows)
    assert max(counts.values()) / len(rows) <= 0.8, counts


def test_the_best_customer_is_high_value(demo):
    buyers = [r for r in demo.customers.to_pylist() if r["monetary_total"] is not None]
    best = max(buyers, key=lambda r: r["monetary_total"])
    assert best["customer_id"] == "M100500" and best["lifecycle_stage"] == "churned"
    assert best["value_quadrant"][0] == "H"
    assert best["recommended_action"] == "win_back" and best["expected_gain"] > 0


def test_valuable_customers_are_let_go_only_where_win_back_does_not_pay(demo):
    rows = demo.customers.to_pylist()
    for r in rows:
        if r["recommended_action"] == "let_go":
            assert r["expected_gain"] is not None and r["expected_gain"] <= 0
    top = [r for r in rows if r["rfm_segment"] in ("champions", "cannot_lose_them")]
    assert top and not [r for r in top if r["recommended_action"] == "let_go"
                        and r["expected_gain"] > 0]


class _Winback(Stage):
    """A stand-in churn stage: winback_value set by hand (+100 for even ids, −1 for odd)."""

    name = "winback"

    def adds(self, config):
        return ("winback_value",)

    def transform(self, batch, state):
        ids = batch.column(batch.schema.get_field_index("customer_id")).to_pylist()
        values = [100.0 if int(i[1:]) % 2 == 0 else -1.0 for i in ids]
        return pa.RecordBatch.from_arrays([pa.array(values, pa.float64())],
                                          names=["winback_value"])


def test_winback_value_decides_win_back_or_let_go(tmp_path):
    tx, cu = write_demo_data(tmp_path, customers=600)
    stages = [*DEFAULT_STAGES[:2], _Winback(), *DEFAULT_STAGES[2:]]
    result = cvm.run(tx, customers=cu, workspace=tmp_path / "ws.duckdb", out=None, stages=stages)
    churned = [r for r in result.customers.to_pylist()
               if r["matrix_cell"] and r["matrix_cell"].endswith("-churned")]
    assert churned
    for r in churned:
        want = "win_back" if r["winback_value"] > 0 else "let_go"
        assert (r["recommended_action"], r["expected_gain"]) == (want, r["winback_value"])
    cells = {c["cell"]: c for c in result.info["stages"]["matrix"]["cells"]}
    assert cells["LL-churned"]["gain_basis"].startswith("churn stage winback_value")
