"""The matrix cells, the playbook files and their validation, and the economics per cell."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from cvm.config import MatrixOptions
from cvm.segments.matrix import assign_cells, matrix_cells, matrix_summary
from cvm.segments.playbook import PlaybookError, cell_economics, load_playbook

QUADRANT_OF = {"HH": (80, 90), "HL": (80, 10), "LH": (10, 90), "LL": (10, 10)}
PHASE_STAGE = {"prospective": "prospect", "current": "formation", "churned": "churned"}


def _twelve() -> pa.Table:
    """One hand-made customer per cell of the seed's 12 types (and one more in decline)."""
    rows = []
    for q in ("HH", "HL", "LH", "LL"):
        for phase, stage in PHASE_STAGE.items():
            rows.append({"customer_id": f"{q}-{phase}", "value_quadrant": q,
                         "lifecycle_stage": stage,
                         "first_purchase": None if phase == "prospective" else dt.date(2024, 1, 1),
                         "composite_value": float(sum(QUADRANT_OF[q]) / 2),
                         "abc_class": {"HH": "A", "HL": "B", "LH": "C", "LL": None}[q],
                         "monetary_total": 0.0 if phase == "prospective" else 100.0,
                         "clv": None if phase == "prospective" else {"HH": 1000.0, "HL": 400.0,
                                                                     "LH": 300.0, "LL": 20.0}[q]})
    rows.append({"customer_id": "HH-decline", "value_quadrant": "HH", "lifecycle_stage": "decline",
                 "first_purchase": dt.date(2024, 1, 1), "composite_value": 85.0,
                 "abc_class": "A", "monetary_total": 300.0, "clv": 2000.0})
    return pa.Table.from_pylist(rows)


def test_each_hand_made_customer_lands_in_its_cell():
    table = _twelve()
    cells = assign_cells(table).to_pylist()
    ids = table.column("customer_id").to_pylist()
    assert dict(zip(ids[:12], cells[:12])) == {i: i for i in ids[:12]}
    assert cells[12] == "HH-current"  # decline is a current relationship
    assert sorted(set(cells)) == sorted(matrix_cells())  # all twelve, each exactly once or more


def test_five_stage_prospects_are_still_prospective():
    table = _twelve()
    five = {"prospect": "acquisition", "formation": "growth", "churned": "departure",
            "decline": "decline"}
    table = table.set_column(2, "lifecycle_stage", pa.array(
        [five[s] for s in table.column("lifecycle_stage").to_pylist()]))
    cells = assign_cells(table, lifecycle_scheme="five").to_pylist()
    assert cells[0] == "HH-prospective" and cells[1] == "HH-current" and cells[2] == "HH-churned"


def test_tiers_by_composite_value_and_by_abc():
    table = _twelve()
    by_value = assign_cells(table, MatrixOptions(scheme="tiers")).to_pylist()
    # composite (80 + 90) / 2 = 85 → high; (80 + 10) / 2 = 45 → middle; 10 → low
    assert by_value[:3] == ["high-prospect", "high-formation", "high-churned"]
    assert by_value[3] == "middle-prospect" and by_value[9] == "low-prospect"
    by_abc = assign_cells(table, MatrixOptions(scheme="tiers", tier_basis="abc")).to_pylist()
    assert by_abc[3] == "middle-prospect" and by_abc[6] == "low-prospect"
    assert by_abc[12] == "high-decline"


def test_summary_counts_value_share_and_clv():
    table = _twelve()
    table = table.append_column("matrix_cell", assign_cells(table))
    summary = {r["cell"]: r for r in matrix_summary(table).to_pylist()}
    assert list(summary) == matrix_cells()
    assert sum(r["customers"] for r in summary.values()) == table.num_rows
    assert sum(r["value_share"] for r in summary.values()) == pytest.approx(1.0)
    # HH-current: the formation customer (100, CLV 1,000) and the declining one (300, 2,000)
    hh = summary["HH-current"]
    assert (hh["customers"], hh["value"], hh["avg_clv"], hh["total_clv"]) == (2, 400.0, 1500.0,
                                                                               3000.0)
    assert hh["value_share"] == pytest.approx(400 / 1100)
    assert summary["LL-prospective"]["avg_clv"] is None


def test_economics_make_win_back_a_number():
    table = _twelve()
    table = table.append_column("matrix_cell", assign_cells(table))
    eco = {r["cell"]: r for r in cell_economics(matrix_summary(table), load_playbook()).to_pylist()}
    # en.toml: HH-current cost 10 (keeping costs a fifth of winning, 50), response 0.4:
    # 0.4 · 1,500 − 10 = 590 per customer
    assert eco["HH-current"]["expected_gain_per_customer"] == pytest.approx(590.0)
    assert eco["HH-current"]["expected_gain_total"] == pytest.approx(1180.0)
    assert eco["HH-current"]["gain_basis"] == "playbook response × cell average clv − cost"
    # LH-churned: 0.08 · 300 − 15 = 9 → pays; LL-current: 0.1 · 20 − 1 = 1 → pays
    assert eco["LH-churned"]["expected_gain_per_customer"] == pytest.approx(9.0)
    assert eco["LH-churned"]["pays"] is True
    assert eco["LL-current"]["expected_gain_per_customer"] == pytest.approx(1.0)
    assert eco["LL-prospective"]["pays"] is None  # no CLV for prospects here


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("scheme, lifecycle, n", [("seed12", "seed", 12), ("tiers", "seed", 18),
                                                  ("tiers", "five", 15)])
def test_builtin_playbooks_cover_every_cell(lang, scheme, lifecycle, n):
    book = load_playbook(lang=lang, scheme=scheme, lifecycle_scheme=lifecycle)
    assert sorted(book.plays) == sorted(matrix_cells(scheme, lifecycle))
    assert len(book.plays) == n


def test_languages_give_the_same_numbers():
    for scheme in ("seed12", "tiers"):
        en, zh = load_playbook(lang="en", scheme=scheme), load_playbook(lang="zh", scheme=scheme)
        for cell, play in en.plays.items():
            other = zh.plays[cell]
            assert (play.actions, play.priority, play.cost_per_customer,
                    play.expected_response) == (other.actions, other.priority,
                                                other.cost_per_customer, other.expected_response)
            assert play.objective != other.objective  # translated


def _write(tmp_path, text):
    path = tmp_path / "book.toml"
    path.write_text(text, encoding="utf-8")
    return path


ENTRY = ('objective = "x"\nactions = ["retain"]\npriority = 2\nbudget = "b"\n'
         'cost_per_customer = 1.0\nexpected_response = 0.1\n')


def test_playbook_errors_name_every_problem(tmp_path):
    cells = matrix_cells()
    text = "".join(f"[seed12.{c}]\n{ENTRY}\n" for c in cells[2:])
    text = text.replace('actions = ["retain"]', 'actions = ["retain", "spam"]', 1)
    text = text.replace("priority = 2", "priority = 9", 1)
    text += f"[seed12.XX-current]\n{ENTRY}"
    with pytest.raises(PlaybookError) as err:
        load_playbook(_write(tmp_path, text))
    message = str(err.value)
    assert "no entry for cell(s) HH-prospective, HH-current" in message
    assert "unknown cell(s) XX-current" in message
    assert "[seed12.HH-churned].actions has unknown action(s) spam" in message
    assert "[seed12.HH-churned].priority must be 1 (first) … 5, not 9" in message


def test_playbook_file_problems(tmp_path):
    with pytest.raises(PlaybookError, match="does not exist"):
        load_playbook(tmp_path / "nope.toml")
    with pytest.raises(PlaybookError, match="not valid TOML"):
        load_playbook(_write(tmp_path, "[seed12\n"))
    with pytest.raises(PlaybookError, match=r"no \[seed12\] section"):
        load_playbook(_write(tmp_path, "[playbook]\nname = 'x'\n"))
    with pytest.raises(PlaybookError, match=r"needs \[tiers\.\*\] and \[stages\.\*\]"):
        load_playbook(_write(tmp_path, "[playbook]\nname = 'x'\n"), scheme="tiers")
    tiers = "".join(f"[tiers.{t}]\npriority = 1\nbudget = 'b'\ncost_factor = 1.0\n"
                    for t in ("high", "middle"))
    stages = "[stages.prospect]\nobjective = 'o'\nactions = ['acquire']\ncost_per_customer = 1\n"
    with pytest.raises(PlaybookError) as err:
        load_playbook(_write(tmp_path, tiers + stages), scheme="tiers")
    assert "no entry for tiers.low, stages.exploration" in str(err.value)
    assert "[stages.prospect] has no expected_response" in str(err.value)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_prospects_are_won_by_referral(lang):
    # K institution (seed 002, 5.5.2): prospects learn about a school through "熟悉的亲友的介绍、
    # 学员同学或同学家长的介绍" and "这种口碑效应对预期客户的影响力远大于其它影响因素"; the CLV
    # slides (seed 003) ask "如何获得客户的推荐?". Every prospect cell offers a referral — first
    # where a personal approach pays (high current or potential value), after the mass channel
    # for LL — and the core customers (HH-current) are asked for introductions.
    from cvm.segments.playbook import ACTIONS
    from cvm.vocabulary import action_label

    seed = load_playbook(lang=lang).plays
    assert "referral" in ACTIONS
    assert {c: seed[c].actions for c in matrix_cells() if c.endswith("-prospective")} == {
        "HH-prospective": ("referral", "acquire"), "HL-prospective": ("referral", "acquire"),
        "LH-prospective": ("referral", "acquire", "nurture"),
        "LL-prospective": ("acquire", "referral")}
    assert seed["HH-current"].actions[-1] == "referral"
    assert not any("referral" in seed[c].actions for c in matrix_cells()
                   if c.endswith("-churned"))
    stages = load_playbook(lang=lang, scheme="tiers").plays
    assert "referral" in stages["high-prospect"].actions
    five = load_playbook(lang=lang, scheme="tiers", lifecycle_scheme="five").plays
    assert "referral" in five["low-acquisition"].actions
    assert action_label("referral", lang) == {"en": "referral (word of mouth)",
                                              "zh": "口碑推荐"}[lang]
