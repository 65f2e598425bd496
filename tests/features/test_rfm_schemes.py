"""RFM segment schemes: the built-in maps, user scheme files, their errors, and assign_segments
on DuckDB."""

from __future__ import annotations

import itertools
from collections import Counter
from importlib import resources
from pathlib import Path

import ibis
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cvm.features.rfm_schemes import (
    ALL_CELLS,
    RFMScheme,
    SchemeError,
    Segment,
    assign_segments,
    list_schemes,
    load_scheme,
)
from cvm.features.schemes import generate

CON = ibis.duckdb.connect()


_TYPES = {"id": pa.int64(), "r_score": pa.int8(), "f_score": pa.int8(), "m_score": pa.int8(),
          "rfm_cell": pa.string(), "rfm_segment": pa.string()}


def table(**columns: list) -> ibis.Table:
    """An in-memory table from Arrow columns typed as the RFM stage types them."""
    return ibis.memtable(pa.table({k: pa.array(v, _TYPES[k]) for k, v in columns.items()}))


def segment_column(expr: ibis.Table) -> list[str | None]:
    """The rfm_segment column of ``expr`` ordered by id, as Python values."""
    return CON.to_pyarrow(expr.order_by("id"))["rfm_segment"].to_pylist()


def scored_table(rows: list[tuple[int, int, int]]) -> ibis.Table:
    """A scored table with id, int8 scores and rfm_cell, as the RFM stage produces it."""
    t = table(id=list(range(1, len(rows) + 1)), r_score=[r for r, _, _ in rows],
              f_score=[f for _, f, _ in rows], m_score=[m for _, _, m in rows])
    return t.mutate(
        rfm_cell=t.r_score.cast("string") + t.f_score.cast("string") + t.m_score.cast("string")
    )


def segments_of(rows: list[tuple[int, int, int]], scheme: RFMScheme) -> list[str | None]:
    return segment_column(assign_segments(scored_table(rows), scheme))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- built-in schemes ------------------------------------------------------------------------


def test_list_schemes_and_files():
    assert list_schemes() == ["seed4", "cn8", "std11"]
    folder = resources.files("cvm.features") / "schemes"
    for name in list_schemes():
        assert (folder / f"{name}.toml").is_file()
        assert load_scheme(name).name == name


def test_all_cells_in_order():
    assert len(ALL_CELLS) == 125
    assert ALL_CELLS[:6] == ("111", "112", "113", "114", "115", "121")
    assert ALL_CELLS[-1] == "555"
    assert list(ALL_CELLS) == sorted(ALL_CELLS)


@pytest.mark.parametrize("name", ["seed4", "std11"])
def test_cell_schemes_map_every_cell_to_exactly_one_segment(name):
    scheme = load_scheme(name)
    assert scheme.kind == "cells"
    assert tuple(scheme.cell_map) == ALL_CELLS
    assert set(scheme.cell_map.values()) == set(scheme.keys)
    assert len(set(scheme.keys)) == len(scheme.segments)
    assert dict(scheme.split_map) == {}


def test_cn8_maps_every_high_low_combination_once():
    scheme = load_scheme("cn8")
    assert scheme.kind == "mean_split"
    assert dict(scheme.cell_map) == {}
    assert dict(scheme.split_map) == {
        "HHH": "important_value", "HLH": "important_development",
        "LHH": "important_retention", "LLH": "important_win_back",
        "HHL": "general_value", "HLL": "general_development",
        "LHL": "general_retention", "LLL": "general_win_back",
    }


def test_seed4_segments_and_labels():
    scheme = load_scheme("seed4")
    assert scheme.keys == ("high_value", "important_retain", "new_customer", "low_value")
    assert [s.label("zh") for s in scheme.segments] == [
        "高价值客户", "重要挽留客户", "新客户", "低价值客户"]
    assert [s.label("en") for s in scheme.segments] == [
        "High value", "Important to retain", "New customer", "Low value"]


# The RFM primer (客户关系管理分析模型, 2. RFM模型): "高价值客户:Recency高、Frequency高、Monetary高。
# - 重要挽留客户:Recency低、Frequency高、Monetary中。 - 新客户:Recency高、Frequency低、Monetary低。
# - 低价值客户:Recency低、Frequency低、Monetary低。" Scores 4-5 read as high, 3 middle, 1-2 low.
@pytest.mark.parametrize("cell, key", [
    ("555", "high_value"), ("153", "important_retain"), ("511", "new_customer"),
    ("111", "low_value"),
    ("551", "important_retain"),  # a very frequent buyer is never "new" (was new_customer)
    ("115", "important_retain"),  # a lapsed big spender is important to retain (was low_value)
    ("155", "important_retain"),  # frequent big spender, long gone
    ("553", "important_retain"),  # recent and frequent, middling spend: not all high
    ("345", "important_retain"),  # R middle: not high value (was high_value)
    ("444", "high_value"),        # 4 is high on every score
    ("515", "new_customer"),      # one purchase, big basket: still new
    ("533", "new_customer"),      # recent, a middling number of purchases, middling spend
    ("535", "important_retain"),  # recent high spender, F middle: not all high, not new
    ("333", "low_value"),         # middling on everything: neither recent, frequent nor big
    ("133", "low_value"),         # (was important_retain)
    ("311", "low_value"),
])
def test_seed4_hand_cases(cell, key):
    assert load_scheme("seed4").cell_map[cell] == key


def test_seed4_counts():
    counts = Counter(load_scheme("seed4").cell_map.values())
    assert counts == {"high_value": 8, "important_retain": 64, "new_customer": 26,
                      "low_value": 27}


def level(score: int) -> str:
    return "high" if score >= 4 else "middle" if score == 3 else "low"


def test_seed4_keeps_the_primers_definitions():
    """Every cell that is literally one of the primer's four classes is in that class."""
    source = {"high_value": ("high", "high", "high"),
              "important_retain": ("low", "high", "middle"),
              "new_customer": ("high", "low", "low"),
              "low_value": ("low", "low", "low")}
    cell_map = load_scheme("seed4").cell_map
    literal = {cell: key for cell in ALL_CELLS for key, levels in source.items()
               if tuple(level(int(c)) for c in cell) == levels}
    assert len(literal) == 8 + 4 + 8 + 8  # M middle is the one score 3
    assert {cell: cell_map[cell] for cell in literal} == literal


def test_seed4_rules_as_stated():
    for cell, key in load_scheme("seed4").cell_map.items():
        r, f, m = (int(c) for c in cell)
        # 高价值 is R、F、M 均高, and every customer high on all three is high value
        assert (key == "high_value") == (r >= 4 and f >= 4 and m >= 4), cell
        if f >= 4:  # a frequent buyer is never new and never low value
            assert key in ("high_value", "important_retain"), cell
        if m >= 4:  # a high spender is never low value
            assert key != "low_value", cell
        if m >= 4 and r <= 2:  # a high spender who has lapsed is important to retain
            assert key == "important_retain", cell
        if r >= 4:  # a recent buyer is never low value
            assert key != "low_value", cell
        if key == "new_customer":  # new: recent, and few purchases
            assert r >= 4 and f <= 3, cell
        if key == "low_value":
            assert max(r, f, m) <= 3, cell


def test_seed4_map_recomputed_from_the_rules():
    expected = {}
    for cell in ALL_CELLS:
        r, f, m = (int(c) for c in cell)
        if r >= 4 and f >= 4 and m >= 4:
            expected[cell] = "high_value"
        elif r >= 4 and (f <= 2 or (f == 3 and m <= 3)):
            expected[cell] = "new_customer"
        elif f >= 4 or m >= 4:
            expected[cell] = "important_retain"
        else:
            expected[cell] = "low_value"
    assert dict(load_scheme("seed4").cell_map) == expected
    # the generator's rules are mutually exclusive: exactly one matches each cell
    for cell in ALL_CELLS:
        scores = tuple(int(c) for c in cell)
        assert sum(rule(*scores) for *_, rule in generate.SEED4_RULES) == 1, cell


def test_the_docs_list_every_seed4_cell():
    """docs/rfm-schemes.md lists all 125 cells with their class, as the scheme assigns them."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "rfm-schemes.md").read_text("utf-8")
    assert generate.seed4_cell_table() in doc
    block = doc[doc.index(generate.DOCS_START):doc.index(generate.DOCS_END)]
    scheme = load_scheme("seed4")
    by_label = {s.label_en: s for s in scheme.segments}
    zh = {"high": "高", "middle": "中", "low": "低"}
    listed = {}
    for line in block.splitlines()[3:]:
        cell, r, f, m, label_en, label_zh = [c.strip() for c in line.strip("|").split("|")]
        segment = by_label[label_en]
        assert segment.label_zh == label_zh
        assert [r, f, m] == [f"{level(int(c))} {zh[level(int(c))]}" for c in cell]
        listed[cell] = segment.key
    assert listed == dict(scheme.cell_map)
    assert list(listed) == list(ALL_CELLS)


def test_the_two_meanings_of_zhongyao_wanliu_are_labelled():
    """seed4's 重要挽留客户 (the primer's R low, F high, M middle) and cn8's (R low, F low, M high)
    share the Chinese label; each scheme's note says which meaning it uses, in both languages."""
    seed4, cn8 = load_scheme("seed4"), load_scheme("cn8")
    assert seed4.segment("important_retain").label("zh") == "重要挽留客户"
    assert cn8.segment("important_win_back").label("zh") == "重要挽留客户"
    assert seed4.segment("important_retain").label("en") != cn8.segment(
        "important_win_back").label("en")
    assert cn8.split_map["LLH"] == "important_win_back"
    assert "R low, F high, M middle" in seed4.note("en")
    assert "not the eight-class scheme's 重要挽留客户 (R low, F low, M high)" in seed4.note("en")
    assert "R 低、F 高、M 中" in seed4.note("zh") and "（R 低、F 低、M 高）" in seed4.note("zh")
    assert "重要挽留客户 (important win-back) here means R low, F low, M high" in cn8.note("en")
    assert "not the RFM primer's 重要挽留客户 (R low, F high, M middle)" in cn8.note("en")
    assert "“重要挽留客户”指 R 低、F 低、M 高" in cn8.note("zh")
    assert "R 低、F 高、M 中" in cn8.note("zh")
    assert load_scheme("std11").note("en") == load_scheme("std11").note("zh") == ""


def test_a_note_needs_both_languages(tmp_path):
    path = write(tmp_path, "half.toml", 'note_en = "only English"\n'
                 + segment_toml("all", '["xxx"]'))
    with pytest.raises(SchemeError, match="give both note_en and note_zh, or neither"):
        load_scheme(path)
    both = write(tmp_path, "both.toml", 'note_en = "E"\nnote_zh = "中"\n'
                 + segment_toml("all", '["xxx"]'))
    assert (load_scheme(both).note("en"), load_scheme(both).note("zh-CN")) == ("E", "中")


def test_std11_segments_and_labels():
    scheme = load_scheme("std11")
    assert scheme.keys == (
        "champions", "loyal", "potential_loyalist", "new_customers", "promising",
        "need_attention", "about_to_sleep", "at_risk", "cannot_lose_them", "hibernating", "lost")
    assert [s.label("zh") for s in scheme.segments] == [
        "冠军客户", "忠诚客户", "潜在忠诚客户", "新客户", "有潜力客户", "需要关注客户",
        "即将沉睡客户", "流失风险客户", "不能失去的客户", "休眠客户", "已流失客户"]
    assert scheme.segment("cannot_lose_them").label("en") == "Cannot lose them"


@pytest.mark.parametrize("cell, key", [
    ("555", "champions"), ("444", "champions"), ("111", "lost"), ("113", "lost"),
    ("122", "lost"), ("114", "hibernating"), ("211", "hibernating"), ("223", "hibernating"),
    ("515", "new_customers"), ("511", "new_customers"), ("415", "promising"),
    ("521", "potential_loyalist"), ("435", "potential_loyalist"), ("553", "loyal"),
    ("355", "loyal"), ("451", "loyal"), ("335", "need_attention"), ("315", "need_attention"),
    ("332", "about_to_sleep"), ("311", "about_to_sleep"), ("155", "cannot_lose_them"),
    ("244", "cannot_lose_them"), ("151", "at_risk"), ("215", "at_risk"), ("253", "at_risk"),
])
def test_std11_hand_cases(cell, key):
    assert load_scheme("std11").cell_map[cell] == key


def test_std11_counts_and_meanings():
    cell_map = load_scheme("std11").cell_map
    assert Counter(cell_map.values()) == {
        "champions": 8, "loyal": 22, "potential_loyalist": 20, "new_customers": 5,
        "promising": 5, "need_attention": 6, "about_to_sleep": 9, "at_risk": 22,
        "cannot_lose_them": 8, "hibernating": 14, "lost": 6}
    cells = {key: [tuple(int(c) for c in cell) for cell, k in cell_map.items() if k == key]
             for key in set(cell_map.values())}
    assert all(min(rfm) >= 4 for rfm in cells["champions"])
    assert all(r == 1 and f + m <= 4 for r, f, m in cells["lost"])
    assert all(r <= 2 and f >= 4 and m >= 4 for r, f, m in cells["cannot_lose_them"])
    assert all(r == 5 and f == 1 for r, f, m in cells["new_customers"])
    assert all(r <= 2 for key in ("at_risk", "hibernating") for r, _, _ in cells[key])


def test_std11_map_recomputed_from_the_rule():
    expected = {cell: generate.std11_segment(*(int(c) for c in cell)) for cell in ALL_CELLS}
    assert dict(load_scheme("std11").cell_map) == expected
    # the rules are mutually exclusive: exactly one matches each cell
    for cell in ALL_CELLS:
        scores = tuple(int(c) for c in cell)
        assert sum(rule(*scores) for _, _, rule in generate.STD11_RULES) == 1, cell


def test_generated_files_are_up_to_date():
    folder = resources.files("cvm.features") / "schemes"
    for file_name, text in generate.files().items():
        assert (folder / file_name).read_text("utf-8") == text


# --- assign_segments on DuckDB ---------------------------------------------------------------


def test_cn8_on_hand_table_with_integer_means():
    rows = [(5, 5, 5), (5, 1, 5), (1, 5, 5), (1, 1, 5),
            (5, 5, 1), (5, 1, 1), (1, 5, 1), (1, 1, 1), (3, 3, 3)]  # every mean is exactly 3
    assert segments_of(rows, load_scheme("cn8")) == [
        "important_value", "important_development", "important_retention",
        "important_win_back", "general_value", "general_development", "general_retention",
        "general_win_back",
        "general_win_back",  # 3 equals each mean: not above it, so low on all three
    ]


def test_cn8_on_hand_table_with_fractional_means():
    # means: R 13/4 = 3.25, F 10/4 = 2.5, M 12/4 = 3
    rows = [(4, 3, 3), (3, 2, 4), (4, 4, 1), (2, 1, 4)]
    assert segments_of(rows, load_scheme("cn8")) == [
        "general_value",          # 4 > 3.25, 3 > 2.5, 3 = 3
        "important_win_back",     # 3 < 3.25, 2 < 2.5, 4 > 3
        "general_value",
        "important_win_back",
    ]


def test_cn8_single_customer_is_low_on_everything():
    assert segments_of([(5, 5, 5)], load_scheme("cn8")) == ["general_win_back"]


@pytest.mark.parametrize("name", ["seed4", "std11"])
def test_cells_scheme_on_all_125_cells(name):
    scheme = load_scheme(name)
    rows = [tuple(int(c) for c in cell) for cell in ALL_CELLS]
    assert segments_of(rows, scheme) == [scheme.cell_map[cell] for cell in ALL_CELLS]


def test_assign_keeps_columns_and_replaces_existing_segment():
    t = scored_table([(5, 5, 5), (1, 1, 1)])
    out = assign_segments(t, load_scheme("std11"))
    assert out.columns == ("id", "r_score", "f_score", "m_score", "rfm_cell", "rfm_segment")
    assert out.schema()["rfm_segment"].is_string()
    assert t.columns == ("id", "r_score", "f_score", "m_score", "rfm_cell")
    again = assign_segments(out.mutate(rfm_segment=ibis.literal("old")), load_scheme("seed4"))
    assert again.columns == out.columns
    assert segment_column(again) == [
        "high_value", "low_value"]
    cn8 = assign_segments(t, load_scheme("cn8"))
    assert cn8.columns == out.columns


def test_unknown_cells_and_null_scores_get_no_segment():
    t = table(id=[1, 2, 3], rfm_cell=["555", "605", None])
    assert segment_column(assign_segments(t, load_scheme("std11"))) == ["champions", None, None]
    t = table(id=[1, 2, 3], r_score=[5, 1, None], f_score=[5, 1, 3], m_score=[5, 1, 3])
    # R mean over the two known scores is 3; F and M means over all three are 3
    assert segment_column(assign_segments(t, load_scheme("cn8"))) == [
        "important_value", "general_win_back", None]


def test_assign_segments_checks_columns():
    t = table(r_score=[1], f_score=[1])
    with pytest.raises(ValueError, match=r"needs columns? m_score; the table has r_score, f_score"):
        assign_segments(t, load_scheme("cn8"))
    with pytest.raises(ValueError, match="needs column rfm_cell"):
        assign_segments(t, load_scheme("seed4"))
    t = ibis.memtable(pa.table({"rfm_cell": pa.array([555], pa.int64())}))
    with pytest.raises(ValueError, match=r"needs a string column: rfm_cell \(int64\)"):
        assign_segments(t, load_scheme("std11"))


score_rows = st.lists(
    st.tuples(st.integers(1, 5), st.integers(1, 5), st.integers(1, 5)), min_size=1, max_size=40)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=score_rows)
def test_every_row_gets_exactly_one_segment(rows):
    n = len(rows)
    means = [sum(row[i] for row in rows) / n for i in range(3)]
    for name in list_schemes():
        scheme = load_scheme(name)
        got = segments_of(rows, scheme)
        assert len(got) == n
        assert all(g in scheme.keys for g in got)
        if scheme.kind == "cells":
            assert got == [scheme.cell_map["".join(map(str, row))] for row in rows]
        else:
            splits = ["".join("H" if s > mu else "L" for s, mu in zip(row, means)) for row in rows]
            assert got == [scheme.split_map[s] for s in splits]


# --- Segment and RFMScheme -------------------------------------------------------------------


def test_segment_label_languages():
    s = Segment("champions", "Champions", "冠军客户")
    assert s.label("en") == "Champions"
    assert s.label("en-US") == "Champions"
    assert s.label("zh") == "冠军客户"
    assert s.label("zh_CN") == "冠军客户"
    assert s.label("ZH-Hans") == "冠军客户"
    with pytest.raises(ValueError, match="unknown language 'fr': use 'en' or 'zh'"):
        s.label("fr")


def test_scheme_segment_lookup():
    scheme = load_scheme("cn8")
    assert scheme.segment("important_value").label("zh") == "重要价值客户"
    assert [s.label("en") for s in scheme.segments] == [
        "Important value", "Important development", "Important retention",
        "Important win-back", "General value", "General development", "General retention",
        "General win-back"]
    assert all(s.description_en and s.description_zh for s in scheme.segments)
    with pytest.raises(KeyError, match="scheme 'cn8' has no segment 'vip'"):
        scheme.segment("vip")


def test_schemes_are_immutable():
    scheme = load_scheme("std11")
    with pytest.raises(TypeError):
        scheme.cell_map["555"] = "lost"  # type: ignore[index]
    assert hash(scheme) == hash(load_scheme("std11"))


# --- user scheme files -----------------------------------------------------------------------

USER_TOML = """\
name = "tiers"
description = "Three tiers by recency, with a VIP corner."

[[segments]]
key = "vip"
label_en = "VIP"
label_zh = "贵宾"
description_en = "Recent, frequent, big spenders."
cells = ["5[45][45]", "455"]

[[segments]]
key = "active"
label_en = "Active"
label_zh = "活跃"
cells = ["4[1-4]x", "45[1-4]", "5[1-3]x", "5[45][1-3]"]

[[segments]]
key = "lapsed"
label_en = "Lapsed"
label_zh = "流失"
ranges = [{r = "1-3", f = "1-5"}]
"""


def test_user_toml_scheme(tmp_path):
    scheme = load_scheme(write(tmp_path, "tiers.toml", USER_TOML))
    assert scheme.name == "tiers"
    assert scheme.kind == "cells"
    assert scheme.description == "Three tiers by recency, with a VIP corner."
    assert scheme.keys == ("vip", "active", "lapsed")
    assert scheme.segment("vip").description_en == "Recent, frequent, big spenders."
    assert scheme.segment("vip").description_zh == ""
    assert sorted(c for c, k in scheme.cell_map.items() if k == "vip") == [
        "455", "544", "545", "554", "555"]
    assert Counter(scheme.cell_map.values()) == {"vip": 5, "active": 45, "lapsed": 75}
    assert segments_of([(5, 5, 4), (4, 5, 4), (3, 5, 5)], scheme) == ["vip", "active", "lapsed"]


def test_user_yaml_scheme(tmp_path):
    path = write(tmp_path, "two.yml", """\
# name defaults to the file name
segments:
  - key: recent
    label_en: Recent
    label_zh: 近期客户
    cells: [555, "[3-5]xx"]
    ranges: []
  - key: old
    label_en: Old
    label_zh: 老客户
    ranges:
      - {r: 1, f: 1-5}
      - {r: "2"}
""")
    scheme = load_scheme(str(path))  # 555 twice in one segment is no overlap
    assert scheme.name == "two"
    assert Counter(scheme.cell_map.values()) == {"recent": 75, "old": 50}
    assert scheme.cell_map["311"] == "recent" and scheme.cell_map["255"] == "old"


def test_user_yaml_mean_split_scheme(tmp_path):
    path = write(tmp_path, "recency.yaml", """\
name: recency_only
kind: mean_split
segments:
  - {key: recent, label_en: Recent, label_zh: 近期, split: Hxx}
  - {key: old_big, label_en: Old big spender, label_zh: 老大客户, split: [LxH]}
  - {key: old_small, label_en: Old small spender, label_zh: 老小客户, split: lxl}
""")
    scheme = load_scheme(path)
    assert scheme.name == "recency_only"
    assert dict(scheme.split_map) == {
        "HHH": "recent", "HHL": "recent", "HLH": "recent", "HLL": "recent",
        "LHH": "old_big", "LLH": "old_big", "LHL": "old_small", "LLL": "old_small"}
    # means: R 3, F 3, M 3
    assert segments_of([(5, 1, 1), (1, 1, 5), (1, 5, 1), (3, 3, 3), (5, 5, 5)], scheme) == [
        "recent", "old_big", "old_small", "old_small", "recent"]


# --- malformed schemes -----------------------------------------------------------------------


def segment_toml(key: str, cells: str, extra: str = "") -> str:
    return (f'[[segments]]\nkey = "{key}"\nlabel_en = "{key}"\nlabel_zh = "{key}"\n'
            f"cells = {cells}\n{extra}\n")


def test_gaps_and_overlaps_are_all_listed(tmp_path):
    path = write(tmp_path, "bad.toml",
                 segment_toml("a", '["5xx", "4[1-4]x"]')
                 + segment_toml("b", '["[45]5x"]')
                 + segment_toml("c", '["[1-3]xx"]')
                 + segment_toml("d", '["555", "3[1-2]1"]'))
    with pytest.raises(SchemeError) as info:
        load_scheme(path)
    err = info.value
    assert err.gaps == ()
    assert err.overlaps == {
        "311": ("c", "d"), "321": ("c", "d"),
        "551": ("a", "b"), "552": ("a", "b"), "553": ("a", "b"), "554": ("a", "b"),
        "555": ("a", "b", "d"),
    }
    assert str(err) == (
        f"scheme file {path}: every cell must belong to exactly one segment\n"
        "  7 cells claimed by more than one segment:\n"
        "    311, 321 (claimed by c, d)\n"
        "    551, 552, 553, 554 (claimed by a, b)\n"
        "    555 (claimed by a, b, d)"
    )


def test_gaps_are_listed(tmp_path):
    path = write(tmp_path, "gaps.toml",
                 segment_toml("hi", '["[3-5]xx"]') + segment_toml("lo", '["2xx", "1[2-5]x"]'))
    with pytest.raises(SchemeError) as info:
        load_scheme(path)
    assert info.value.gaps == ("111", "112", "113", "114", "115")
    assert info.value.overlaps == {}
    assert str(info.value) == (
        f"scheme file {path}: every cell must belong to exactly one segment\n"
        "  5 cells with no segment: 111, 112, 113, 114, 115")


def test_mean_split_gaps_and_overlaps(tmp_path):
    path = write(tmp_path, "split.toml", """\
kind = "mean_split"
[[segments]]
key = "a"
label_en = "A"
label_zh = "甲"
split = ["HHx", "xHH"]
[[segments]]
key = "b"
label_en = "B"
label_zh = "乙"
split = "HHH"
""")
    with pytest.raises(SchemeError) as info:
        load_scheme(path)
    assert info.value.gaps == ("HLH", "HLL", "LHL", "LLH", "LLL")
    assert info.value.overlaps == {"HHH": ("a", "b")}
    assert "5 combinations with no segment: HLH, HLL, LHL, LLH, LLL" in str(info.value)


@pytest.mark.parametrize("text, message", [
    ('name = "x"\ncolour = "red"\n' + segment_toml("a", '["xxx"]'),
     "unknown top-level key colour (allowed: name, kind, description, note_en, note_zh, segments)"),
    (segment_toml("a", '["xxx"]', 'colour = "red"'),
     "segment 1 (a): unknown key colour (a cells segment takes key, label_en, label_zh, "
     "description_en, description_zh, cells, ranges)"),
    (segment_toml("a", '["[1-2]xx"]') + segment_toml("a", '["[3-5]xx"]'),
     "segment 2: duplicate key 'a'"),
    ('[[segments]]\nkey = "a"\nlabel_en = "A"\ncells = ["xxx"]\n',
     "segment 1 (a): missing label_zh"),
    ('[[segments]]\nkey = "a"\nlabel_en = ""\nlabel_zh = "甲"\ncells = ["xxx"]\n',
     "segment 1 (a): label_en must be non-empty text, not ''"),
    (segment_toml("Top Tier", '["xxx"]'),
     "segment 1: key must be lower-case ASCII letters, digits and '_', starting with a letter; "
     "got 'Top Tier'"),
    (segment_toml("a", '["5[4-6]x"]'),
     "segment 1 (a): bad cell pattern '5[4-6]x': bad range 4-6 inside [...]"),
    (segment_toml("a", '["55"]'),
     "segment 1 (a): bad cell pattern '55': has 2 positions, not 3 (R, F, M)"),
    (segment_toml("a", '["5a5"]'),
     "segment 1 (a): bad cell pattern '5a5': unexpected character 'a'"),
    (segment_toml("a", '["5[45x"]'),
     "segment 1 (a): bad cell pattern '5[45x': '[' without a closing ']'"),
    (segment_toml("a", '["0xx"]'),
     "segment 1 (a): bad cell pattern '0xx': unexpected character '0'"),
    (segment_toml("a", '"xxx"'), "segment 1 (a): cells must be a list"),
    ('[[segments]]\nkey = "a"\nlabel_en = "A"\nlabel_zh = "甲"\n',
     "segment 1 (a): needs cells or ranges"),
    ('[[segments]]\nkey = "a"\nlabel_en = "A"\nlabel_zh = "甲"\nranges = [{r = "5-4"}]\n',
     "segment 1 (a): ranges entry 1 r = '5-4' is not a score 1-5 or a range such as \"3-5\""),
    ('[[segments]]\nkey = "a"\nlabel_en = "A"\nlabel_zh = "甲"\nranges = [{q = 1}]\n',
     "segment 1 (a): ranges entry 1 unknown letter q (use r, f, m)"),
    ('name = "x"\n', "segments must be a non-empty list of segment tables"),
    ('kind = "mean_split"\n' + segment_toml("a", '["xxx"]'),
     "segment 1 (a): unknown key cells (a mean_split segment takes key, label_en, label_zh, "
     "description_en, description_zh, split)"),
    ('kind = "mean_split"\n[[segments]]\nkey = "a"\nlabel_en = "A"\nlabel_zh = "甲"\n'
     'split = "HHM"\n',
     "segment 1 (a): bad split 'HHM': unexpected character 'M' (use H, L or x for each of "
     "R, F, M)"),
    ('kind = "quantile"\n' + segment_toml("a", '["xxx"]'),
     "kind must be one of cells, mean_split, not 'quantile'"),
])
def test_malformed_scheme_messages(tmp_path, text, message):
    path = write(tmp_path, "bad.toml", text)
    with pytest.raises(SchemeError) as info:
        load_scheme(path)
    assert str(info.value).startswith(f"scheme file {path}: ")
    assert message in str(info.value)


def test_every_problem_in_one_message(tmp_path):
    path = write(tmp_path, "bad.toml",
                 'colour = 1\n' + segment_toml("a", '["9xx"]')
                 + '[[segments]]\nkey = "b"\nlabel_en = "B"\ncells = ["xxx"]\n')
    with pytest.raises(SchemeError) as info:
        load_scheme(path)
    assert str(info.value) == (
        f"scheme file {path}: invalid scheme\n"
        "  unknown top-level key colour (allowed: name, kind, description, note_en, note_zh, segments)\n"
        "  segment 1 (a): bad cell pattern '9xx': unexpected character '9'\n"
        "  segment 2 (b): missing label_zh")


def test_unreadable_and_unparseable_files(tmp_path):
    missing = tmp_path / "nowhere.toml"
    with pytest.raises(SchemeError, match=r"scheme file .*nowhere\.toml: cannot read: "
                                          r"No such file or directory"):
        load_scheme(missing)
    path = write(tmp_path, "broken.toml", 'name = "x\n')
    with pytest.raises(SchemeError, match=r"scheme file .*broken\.toml: not valid TOML: "):
        load_scheme(path)
    path = write(tmp_path, "broken.yaml", "segments: [a, b\n")
    with pytest.raises(SchemeError, match=r"scheme file .*broken\.yaml: not valid YAML: "):
        load_scheme(path)
    path = write(tmp_path, "list.yaml", "- a\n- b\n")
    with pytest.raises(SchemeError, match=r"list\.yaml: must be a table"):
        load_scheme(path)
    path = tmp_path / "binary.toml"
    path.write_bytes(b"\xff\xfe\x00name")
    with pytest.raises(SchemeError, match=r"binary\.toml: cannot read: "):
        load_scheme(path)


def test_unknown_scheme_name():
    with pytest.raises(SchemeError) as info:
        load_scheme("rfm11")
    assert str(info.value) == (
        "unknown scheme 'rfm11': not a built-in scheme (seed4, cn8, std11) and not a file "
        "ending in .toml, .yaml, .yml")


def test_built_in_scheme_files_round_trip_as_user_files(tmp_path):
    folder = resources.files("cvm.features") / "schemes"
    for name in list_schemes():
        path = write(tmp_path, f"copy_{name}.toml", (folder / f"{name}.toml").read_text("utf-8"))
        copy = load_scheme(path)
        assert copy == load_scheme(name)



def test_documented_examples_load(tmp_path):
    doc = Path(__file__).resolve().parents[2] / "docs" / "rfm-schemes.md"
    text = doc.read_text("utf-8")
    blocks = [b.split("\n", 1) for b in text.split("```")[1::2]]
    examples = [(lang, body) for lang, body in blocks if lang in ("toml", "yaml")]
    assert [lang for lang, _ in examples] == ["toml", "yaml", "yaml"]
    loaded = [load_scheme(write(tmp_path, f"example{i}.{lang}", body))
              for i, (lang, body) in enumerate(examples)]
    assert loaded[0].name == loaded[1].name == "three_tiers"
    assert dict(loaded[0].cell_map) == dict(loaded[1].cell_map)
    assert Counter(loaded[0].cell_map.values()) == {"vip": 5, "active": 45, "lapsed": 75}
    assert loaded[2].split_map["LLL"] == "old_small"
