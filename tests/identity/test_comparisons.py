"""The model's name comparison and blocking rules, evaluated by DuckDB on hand-made records."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest
from hand_records import level, records

from cvm.identity.model import (
    _MODEL_COLUMNS,
    _no_weight_unless_seen,
    _settings,
    _settle_unobserved_u,
    _with_name_records,
)


@pytest.mark.parametrize("left, right, expected", [
    ({"name": "張偉"}, {"name": "张伟"}, "same characters"),
    ({"name": "张伟"}, {"name": "Wei Zhang"}, "same pinyin"),
    ({"name": "张伟"}, {"name": "WEI Zhang"}, "surname and given name swapped"),  # capitals misused
    # a web-shop record without a name, its address built from the name
    ({"name": "王艳志", "phone": "13812345678"}, {"email": "yanzhi.wang@sina.com"},
     "the email of one spells the other's name"),
    # the web shop mistyped the name (曹阳 for 曹健); its address still spells 曹健
    ({"name": "曹阳", "email": "caojian4434@foxmail.com"}, {"name": "曹健"},
     "the email of one spells the other's name"),
    # an address that spells its own record's name is no evidence about the other record
    ({"name": "曹阳"}, {"name": "曹健", "email": "caojian4434@foxmail.com"}, "else"),
    # an address that spells nobody's name here, and a QQ number, say nothing
    ({"email": "zhangwei88@qq.com"}, {"name": "王芳"}, "name missing"),
    ({"email": "5761940205@qq.com"}, {"name": "黄琳"}, "name missing"),
    # a true swap in both directions, not merely one record's surname as the other's given name
    ({"name": "Li Wang"}, {"name": "王力"}, "same pinyin"),
    ({"name": "HAO Wang"}, {"name": "Wang, Hao"}, "surname and given name swapped"),
    ({"name": "李娜"}, {"name": "王丽"}, "else"),
    ({"name": "张伟"}, {"name": "张玮"}, "same pinyin"),
    ({"name": "张小明"}, {"name": "张晓明"}, "same pinyin"),
    ({"name": "张小明"}, {"name": "张晓东"}, "same surname, a given-name syllable the same"),
])
def test_name_levels(left, right, expected):
    assert level("name", left, right) == expected


@pytest.mark.parametrize("left, right, expected", [
    ("zhangwei88@qq.com", " ZhangWei88@QQ.com ", "same address"),
    # a typing error in the name part: the same number follows
    ("zhangwei88@qq.com", "zhagnwei88@qq.com", "one character off, not in the number after a name"),
    ("zhangwei88@qq.com", "zhangwe88@qq.com", "one character off, not in the number after a name"),
    # a QQ number mistyped: no name, so any one character counts as a typing error
    ("5761940205@qq.com", "5761940250@qq.com", "one character off, not in the number after a name"),
    # two namesakes: the name the same, the number after it not
    ("wangfang12@qq.com", "wangfang13@qq.com", "else"),
    ("wangfang1@163.com", "wangfang@163.com", "else"),
    # the same bare name at two providers; the same handle with a number at two providers
    ("wei.zhang@qq.com", "wei.zhang@163.com", "same name before @, another provider"),
    ("zhangwei88@qq.com", "zhangwei88@163.com", "same user name"),
    ("zhangwei88@qq.com", "lina1990@qq.com", "else"),
])
def test_email_levels(left, right, expected):
    assert level("email", {"email": left}, {"email": right}) == expected


def test_name_records_counts_the_records_holding_each_name():
    table = _with_name_records(records({"name": "张伟"}, {"name": "Zhang Wei"}, {"name": "李娜"},
                                       {"email": "x@qq.com"}).select(list(_MODEL_COLUMNS)))
    assert table.column("name_records").to_pylist()[:3] == [2, 2, 1]


def test_rare_names_and_names_in_emails_are_blocking_keys():
    rules = [r for r in _settings().blocking_rules_to_generate_predictions if isinstance(r, str)]
    table = _with_name_records(records(
        {"name": "王艳志", "phone": "13812345678"},       # 0
        {"name": "Wang Yanzhi", "phone": "13987654321"},  # 1: the same rare name, another phone
        {"email": "yanzhi.wang@sina.com"},                # 2: the name in the address
        {"name": "李娜"}, {"name": "李娜"}, {"name": "李娜"},  # 3-5: a name many records hold
    ).select(list(_MODEL_COLUMNS)))
    con = duckdb.connect()
    con.register("t", table)
    found = set()
    for rule in rules:
        found |= set(con.execute(
            f"SELECT l.record_id, r.record_id FROM t l JOIN t r ON {rule} "
            "WHERE l.record_id < r.record_id").fetchall())
    assert {(0, 1), (0, 2), (1, 2)} <= found
    assert (3, 4) in found  # three records are still few
    con.register("many", pa.concat_tables([table] + [table.slice(3, 1)] * 20))
    counted = _with_name_records(con.execute("SELECT * EXCLUDE (name_records) FROM many")
                                 .to_arrow_table())
    assert max(counted.column("name_records").to_pylist()) == 23
    con.register("t", counted)
    rare = rules[0]
    assert con.execute(f"SELECT count(*) FROM t l JOIN t r ON {rare} WHERE l.name_key = 'lina'"
                       ).fetchone()[0] == 0


def test_levels_training_never_saw_get_an_estimate_not_a_placeholder():
    from splink import DuckDBAPI, Linker

    table = _with_name_records(records({"name": "张伟"}, {"name": "李娜"})
                               .select(list(_MODEL_COLUMNS)))
    linker = Linker(DuckDBAPI().register(table), _settings())
    unseen = _settle_unobserved_u(linker, sampled_pairs=2e6)
    levels = [lv for c in linker._settings_obj.comparisons for lv in c.comparison_levels
              if not lv.is_null_level and not lv._is_else_level]
    assert {id(lv) for lv in unseen} == {id(lv) for lv in levels}   # nothing trained yet
    assert all(lv.u_probability == pytest.approx(5e-7) for lv in levels)  # none in 2e6 pairs
    _no_weight_unless_seen(unseen)
    assert all(lv.m_probability == lv.u_probability for lv in levels)   # weight log2(m/u) = 0
