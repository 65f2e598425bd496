"""All twelve customer types of the value × lifecycle matrix are reachable: churned customers are
judged by the value they had and could have again, prospects by the buyers who look like them.

The fixture: 64 buyers and 20 prospects, scored with the default options (share scale, "above
70 is high", look-alike groups of at least 5 buyers). On the share scale a buyer is high when
more than 70 % of the buyers (more than 44.8 of 64) have points at most its own: the 20 rows
designed to be high are exactly the high ones."""

from __future__ import annotations

import datetime as dt
import math

import pyarrow as pa

from cvm.config import ValueOptions
from cvm.features.value import composite_value
from cvm.segments.matrix import assign_cells, matrix_cells

NAN = math.nan
# kind: (spend_last, previous_avg, change, previous_periods, active_share, recency, tenure,
#        monetary_total, credit_score, lifecycle_stage, city)
KINDS = {
    # high now (spend, credit, loyalty), growing future
    "HH-current": (1000, 1000, 0.0, 4, 1.0, 5, 730, 5000, 100, "stability", "A"),
    # modest spend, best credit and loyalty, falling: high now, low potential
    "HL-current": (200, 400, -0.5, 4, 1.0, 5, 730, 1800, 100, "decline", "B"),
    # a new customer doubling its spend, no credit record of note: low now, high potential
    "LH-current": (300, 150, 1.0, 1, 0.5, 10, 100, 450, 0, "exploration", "C"),
    # small regular buyers
    "LL-current": (20, 20, 0.0, 1, 0.25, 30, 200, 40, 0, "formation", "D"),
    # churned (last purchase 400 days ago after 400 active days): judged by what they had
    "HH-churned": (0, 500, -1.0, 4, 0.5, 400, 800, 6000, 100, "churned", "E"),
    "HL-churned": (0, 100, -1.0, 4, 0.5, 400, 800, 1000, 100, "churned", "E"),
    "LH-churned": (0, 500, -1.0, 4, 0.0, 400, 800, 6000, 0, "churned", "E"),
    "LL-churned": (0, 10, -1.0, 4, 0.0, 400, 800, 100, 0, "churned", "E"),
}
# prospects: the city of the buyers they look like, and their own credit score
PROSPECTS = {"HH-prospective": ("A", 100), "HL-prospective": ("B", 100),
             "LH-prospective": ("C", 0), "LL-prospective": ("D", 0)}


def _table() -> pa.Table:
    rows = []
    for kind, k in KINDS.items():
        for i in range(29 if kind == "LL-current" else 5):
            rows.append({"customer_id": f"{kind}-{i}", "first_purchase": dt.date(2023, 1, 1),
                         "spend_last_period": float(k[0]), "spend_previous_avg": float(k[1]),
                         "spend_change": k[2], "previous_periods": float(k[3]),
                         "active_period_share": k[4], "recency_days": float(k[5]),
                         "tenure_days": float(k[6]), "monetary_total": float(k[7]),
                         "credit_score": float(k[8]), "lifecycle_stage": k[9], "city": k[10]})
    for kind, (city, credit) in PROSPECTS.items():
        for i in range(5):
            rows.append({"customer_id": f"{kind}-{i}", "first_purchase": None,
                         "spend_last_period": None, "spend_previous_avg": None,
                         "spend_change": None, "previous_periods": None,
                         "active_period_share": None, "recency_days": None, "tenure_days": None,
                         "monetary_total": None, "credit_score": float(credit),
                         "lifecycle_stage": "prospect", "city": city})
    return pa.Table.from_pylist(rows)


def test_all_twelve_cells_fill():
    table = _table()
    buyers = table.column("first_purchase").is_valid().to_numpy(zero_copy_only=False)
    assert buyers.sum() == 64
    scored, summary = composite_value(table, ValueOptions(lookalike_min=5), buyers=buyers)
    assert summary["score_scale"] == "share" and summary["lookalike_fields"] == ["city"]
    cells = assign_cells(scored).to_pylist()
    want = [r["customer_id"].rsplit("-", 1)[0] for r in table.to_pylist()]
    assert cells == want
    assert set(cells) == set(matrix_cells())
    # the 20 buyers designed high are the high ones: the lowest of them come as five tied rows
    # with 49 of 64 buyers at or below them (76.6 > 70), the highest low row has 44 (68.75)
    rows = scored.to_pylist()
    for part in ("current_value_score", "potential_value_score"):
        ranked = sorted((r[part] for r, b in zip(rows, buyers) if b), reverse=True)
        assert sum(s > 70 for s in ranked) == 20
        assert (ranked[19], ranked[20]) == (100 * 49 / 64, 100 * 44 / 64)


def test_churned_customers_are_judged_by_what_they_had():
    scored, _ = composite_value(_table(), ValueOptions(lookalike_min=5))
    row = next(r for r in scored.to_pylist() if r["customer_id"] == "HH-churned-0")
    # 6,000 over 400 active days and the last 90-day period: 6000 · 90 / 490 per period, the
    # same over one period again (the trend proxy's horizon) if it returns
    assert row["value_if_returned"] == 6000 * 90 / 490
    assert row["score_growth_potential"] == 5.0  # the fall that ended it is not its potential
    prospect = next(r for r in scored.to_pylist() if r["customer_id"] == "HH-prospective-0")
    assert prospect["value_if_returned"] is None


def test_each_customer_is_judged_on_its_own_value():
    from cvm.segments.playbook import customer_actions, load_playbook

    playbook = load_playbook(lang="en")
    table = pa.table({"clv": [100.0, 0.4, 0.1, 0.2, None],
                      "value_if_returned": [None, 1000.0, 50.0, 200.0, 40.0]})
    cells = pa.array(["HH-current", "HH-churned", "LL-churned", "LL-churned", "HL-churned"])
    actions, gains = customer_actions(table, cells, playbook)
    # HH-current: 0.4 · 100 − 10; HH-churned: 0.2 · 1000 − 50; LL-churned: 0.05 · 50 − 5 and
    # 0.05 · 200 − 5; HL-churned: 0.15 · 40 − 20
    assert actions.to_pylist() == ["loyalty", "win_back", "let_go", "win_back", "let_go"]
    assert gains.to_pylist() == [0.4 * 100 - 10, 0.2 * 1000 - 50, 0.05 * 50 - 5,
                                 0.05 * 200 - 5, 0.15 * 40 - 20]
    # the churn stage's winback_value, when there, decides instead
    table = table.append_column("winback_value", pa.array([None, -3.0, 7.0, -1.0, 2.0]))
    actions, gains = customer_actions(table, cells, playbook)
    assert actions.to_pylist() == ["loyalty", "let_go", "win_back", "let_go", "win_back"]
    assert gains.to_pylist()[1:] == [-3.0, 7.0, -1.0, 2.0]


def test_a_current_customer_at_risk_is_valued_by_its_winback_value():
    """A current customer the churn stage ranks at risk (winback_rank set) whose clv counts it
    as gone: its gain is the measured return rate × its value after a return less its play's
    cost, its action the cell's own; one not at risk keeps r · clv − c; a churned one its
    winback_value."""
    from cvm.segments.playbook import customer_actions, load_playbook

    playbook = load_playbook(lang="en")
    table = pa.table({"clv": [0.35, 100.0, 0.4],
                      "winback_probability": [0.2, 0.5, 0.01],
                      "value_after_return": [8000.0, 900.0, 300.0],
                      "winback_value": [1580.0, 430.0, -17.0],
                      "winback_rank": pa.array([1, None, 2], type=pa.int64())})
    cells = pa.array(["HL-current", "HH-current", "HH-churned"])
    actions, gains = customer_actions(table, cells, playbook)
    assert actions.to_pylist() == ["retain", "loyalty", "let_go"]
    # HL-current keeps at a fifth of winning back: 20 / 5 = 4; HH-current 0.4 · 100 − 10
    assert gains.to_pylist() == [0.2 * 8000 - 4, 0.4 * 100 - 10, -17.0]


def test_the_churned_stages_are_the_churned_phase():
    from cvm.features.lifecycle import PHASES
    from cvm.features.value import CHURNED_STAGES

    assert CHURNED_STAGES == {s for s, p in PHASES.items() if p == "churned"}
