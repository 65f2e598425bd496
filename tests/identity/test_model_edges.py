"""The linkage model's levels, blocking keys and training corrections, on hand-made records."""

from __future__ import annotations

import math
import time

import duckdb
import pyarrow as pa
import pytest
from hand_records import level, records

from cvm.identity.model import (
    _MODEL_COLUMNS,
    COMPARISONS,
    _deduct_matches_from_u,
    _floor_m,
    _levels,
    _settings,
    _with_name_records,
    score_pairs,
)


def model_table(*rows: dict) -> pa.Table:
    return _with_name_records(records(*rows).select(list(_MODEL_COLUMNS)))


@pytest.mark.parametrize("comparison, left, right, expected", [
    # a given name one letter off (a typing error in the pinyin), the surname the same
    ("name", {"name": "Zhang Wei"}, {"name": "Zhang Wie"}, "same surname, given name one letter off"),
    ("name", {"name": "Li Na"}, {"name": "Li Mo"}, "else"),   # two letters off
    ("phone", {"phone": "13812345678"}, {"phone": "13812345678"}, "same number"),
    ("phone", {"phone": "13812345678"}, {"phone": "13812345679"}, "one digit wrong or swapped"),
    ("phone", {"phone": "13812345678"}, {"phone": "13812345687"}, "one digit wrong or swapped"),
    # two digits wrong: another number
    ("phone", {"phone": "13812345678"}, {"phone": "13812345699"}, "else"),
    ("phone", {"phone": "13812345678"}, {}, "phone is NULL"),
    # two typing errors in an address are another address
    ("email", {"email": "zhangwei88@qq.com"}, {"email": "zhagnwie88@qq.com"}, "else"),
])
def test_levels_by_hand(comparison, left, right, expected):
    assert level(comparison, left, right) == expected


def test_a_name_is_a_blocking_key_on_its_own_when_at_most_20_records_hold_it():
    rule = next(r for r in _settings().blocking_rules_to_generate_predictions
                if isinstance(r, str) and r.startswith("l.name_key = r.name_key"))
    for holders, pairs in ((20, 20 * 19 // 2), (21, 0)):
        table = model_table(*[{"name": "王艳志"}] * holders)
        assert table.column("name_records").to_pylist() == [holders] * holders
        con = duckdb.connect()
        con.register("t", table)
        assert con.execute(f"SELECT count(*) FROM t l JOIN t r ON {rule} "
                           "WHERE l.record_id < r.record_id").fetchone()[0] == pairs


@pytest.fixture
def linker():
    from splink import DuckDBAPI, Linker

    return Linker(DuckDBAPI().register(model_table({"name": "张伟"}, {"name": "李娜"})),
                  _settings())


def comparison(linker, name: str) -> list:
    """The non-null levels of a comparison, strongest first."""
    found = next(c for c in linker._settings_obj.comparisons if c.output_column_name == name)
    return [lv for lv in found.comparison_levels if not lv.is_null_level]


def set_mu(levels: list, m: list, u: list) -> None:
    for lv, mv, uv in zip(levels, m, u):
        lv.m_probability, lv.u_probability = mv, uv


def test_matches_are_taken_out_of_the_sampled_u_by_hand(linker):
    linker._settings_obj._probability_two_random_records_match = 0.2   # λ
    gender, city, nid = (comparison(linker, c) for c in ("gender", "city", "national_id"))
    # sample share 0.5 of pairs of the same gender: (0.5 - 0.2·0.9) / 0.8 = 0.4 and
    # (0.5 - 0.2·0.1) / 0.8 = 0.6, already summing to 1
    set_mu(gender, [0.9, 0.1], [0.5, 0.5])
    # below one pair in ten (the floor): kept at one pair, 0.1, then renormalised with
    # (0.85 - 0.02) / 0.8 = 1.0375
    set_mu(city, [0.9, 0.1], [0.15, 0.85])
    # a share below the floor itself is kept as it is: 0.01, and (0.99 - 0.1) / 0.8 = 1.1125
    set_mu(nid, [0.5, 0.5], [0.01, 0.99])
    _deduct_matches_from_u(linker, sampled_pairs=10)
    assert [lv.u_probability for lv in gender] == pytest.approx([0.4, 0.6], rel=1e-12)
    assert [lv.u_probability for lv in city] == pytest.approx(
        [0.1 / 1.1375, 1.0375 / 1.1375], rel=1e-12)
    assert [lv.u_probability for lv in nid] == pytest.approx(
        [0.01 / 1.1225, 1.1125 / 1.1225], rel=1e-12)


def test_a_level_without_u_is_left_out_of_the_correction(linker):
    linker._settings_obj._probability_two_random_records_match = 0.2
    gender = comparison(linker, "gender")
    set_mu(gender, [0.9, 0.1], [0.5, 0.5])
    gender[0]._u_probability, gender[0].default_u_probability = None, None
    _deduct_matches_from_u(linker, sampled_pairs=10)
    assert gender[0].u_probability is None
    assert gender[1].u_probability == pytest.approx(1.0, rel=1e-12)  # 0.6 alone, renormalised


def test_m_probabilities_are_floored_by_hand(linker):
    gender, city = comparison(linker, "gender"), comparison(linker, "city")
    set_mu(gender, [0.9995, 0.0005], [0.5, 0.5])
    set_mu(city, [0.3, 0.7], [0.5, 0.5])
    _floor_m(linker)
    # 0.0005 raised to 0.001, then both divided by 1.0005
    assert [lv.m_probability for lv in gender] == pytest.approx(
        [0.9995 / 1.0005, 0.001 / 1.0005], rel=1e-12)
    assert [lv.m_probability for lv in city] == pytest.approx([0.3, 0.7], rel=1e-12)


def test_match_weights_and_prior_by_hand(linker):
    settings = linker._settings_obj
    set_mu(comparison(linker, "gender"), [0.8, 0.2], [0.1, 0.4])
    set_mu(comparison(linker, "city"), [0.5, 0.5], [0.5, 0.5])
    settings._probability_two_random_records_match = 0.2
    rows, prior = _levels(linker)
    assert prior == pytest.approx(-2.0, rel=1e-12)   # log2(0.2 / 0.8)
    gender = [r for r in rows if r["comparison"] == "gender"]
    assert [(r["level"], r["gamma"]) for r in gender] == [("same gender", 1),
                                                          ("All other comparisons", 0)]
    assert [r["match_weight"] for r in gender] == pytest.approx([3.0, -1.0], rel=1e-12)
    assert [r["match_weight"] for r in rows if r["comparison"] == "city"] == [0.0, 0.0]
    # null levels are not listed
    assert not [r for r in rows if r["level"] in ("name missing", "gender is NULL")]
    assert {r["comparison"] for r in rows} == set(COMPARISONS)
    for p in (0.0, 1.0):  # no finite prior: none drawn
        settings._probability_two_random_records_match = p
        assert _levels(linker)[1] == 0.0


def test_a_level_without_m_has_no_weight(linker):
    gender = comparison(linker, "gender")
    set_mu(gender, [0.5, 0.5], [0.5, 0.5])
    gender[0]._m_probability, gender[0].default_m_probability = None, None
    rows, _ = _levels(linker)
    assert [r["match_weight"] for r in rows if r["comparison"] == "gender"] == [None, 0.0]


def test_a_list_that_trains_nothing_keeps_every_comparison_and_its_prior(tmp_path):
    # no two records share an id, a phone, an email or a birth date: the prior is one pair in
    # the list's six, and every expectation-maximisation session fails for want of pairs; the
    # model must come out of those failures whole (it came out without the name and phone
    # comparisons and with a prior of 23 bits, and merged 0 and 1 at 0.999998)
    started = time.perf_counter()
    got = score_pairs(records(
        {"name": "张伟", "phone": "13800000001", "city": "上海"},
        {"name": "Wei Zhang", "phone": "13900000002", "city": "北京"},  # a namesake
        {"name": "李娜", "phone": "13700000003"},
        {"name": "王芳", "phone": "13600000004"}), threshold=0.0,
        workdir=tmp_path / "work" / "splink")
    took = time.perf_counter() - started
    assert (tmp_path / "work" / "splink").is_dir()
    assert set(got.seconds) == {"prior", "u", "train", "predict"}
    assert all(0 <= v <= took for v in got.seconds.values())
    assert got.seconds["prior"] + got.seconds["u"] <= got.seconds["train"]
    lam = 1 / 6
    assert got.model["probability_two_random_records_match"] == pytest.approx(lam, rel=1e-12)
    assert got.prior_match_weight == pytest.approx(math.log2(1 / 5), rel=1e-12)
    assert [c["output_column_name"] for c in got.model["comparisons"]] == list(COMPARISONS)
    assert {r["comparison"] for r in got.levels} == set(COMPARISONS)
    assert got.pairs.schema.names == ["record_id_l", "record_id_r", "match_probability",
                                      "match_weight"] + [f"gamma_{c}" for c in COMPARISONS]
    (pair,) = got.pairs.to_pylist()   # the rare name is the only blocking key met
    assert (pair["record_id_l"], pair["record_id_r"]) == (0, 1)
    assert (pair["gamma_name"], pair["gamma_phone"], pair["gamma_city"]) == (6, 0, 0)
    assert (pair["gamma_email"], pair["gamma_national_id"]) == (-1, -1)
    assert pair["match_probability"] < 0.001
    # the phones: the 6 random pairs (all of them) differ in two digits, so the two agreeing
    # levels get u = 1/6 (none in 6 pairs) and no weight (EM never saw them); the matches are
    # taken out of each u with Splink's starting m (0.95, 0.025, 0.025), kept at least 1/6
    phone = [r for r in got.levels if r["comparison"] == "phone"]
    corrected = [max((1 / 6 - lam * 0.95) / (1 - lam), 1 / 6),
                 max((1 / 6 - lam * 0.025) / (1 - lam), 1 / 6),
                 max((1.0 - lam * 0.025) / (1 - lam), 1 / 6)]
    u = [c / sum(corrected) for c in corrected]
    assert [r["u_probability"] for r in phone] == pytest.approx(u, rel=1e-9)
    assert [r["match_weight"] for r in phone] == pytest.approx(
        [0.0, 0.0, math.log2(0.025 / u[2])], rel=1e-9)


def test_the_prior_from_the_pairs_that_agree_on_a_phone_and_a_name():
    # 张伟 and 張偉 share a phone and a name: one pair of three found by the prior's rules,
    # which find 80 % of the matches, so 1 / 0.8 / 3 = 5/12 of the pairs match
    got = score_pairs(records({"name": "张伟", "phone": "13812345678"},
                              {"name": "張偉", "phone": "+86 138-1234-5678"},
                              {"name": "王芳", "phone": "13600000004"}))
    assert got.model["probability_two_random_records_match"] == pytest.approx(5 / 12, rel=1e-12)
    assert got.prior_match_weight == pytest.approx(math.log2(5 / 7), rel=1e-12)
    (pair,) = got.pairs.to_pylist()   # at 0.505, just above the default threshold of 0.5
    assert (pair["record_id_l"], pair["record_id_r"]) == (0, 1)
    assert (pair["gamma_name"], pair["gamma_phone"], pair["gamma_email"]) == (7, 2, -1)
    assert 0.5 <= pair["match_probability"] < 0.51
    assert pair["match_probability"] == pytest.approx(
        2 ** pair["match_weight"] / (1 + 2 ** pair["match_weight"]), rel=1e-12)


def test_the_work_folder_made_for_a_scoring_goes_with_it(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    score_pairs(records({"name": "张伟", "phone": "13812345678"},
                        {"name": "張偉", "phone": "+86 138-1234-5678"}))
    assert list(tmp_path.glob("cvm-link-*")) == []
