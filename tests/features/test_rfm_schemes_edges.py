"""RFM segment schemes at their edges: every form of a cell pattern and of a ``ranges`` entry at
its bounds, every refusal with its message, the mean split at the mean and on either side of it
(on DuckDB), the column checks of ``assign_segments`` and the schemes' titles.

What a pattern claims is read through the public API: a scheme of one segment claiming the
pattern either loads (the pattern covers all 125 cells) or fails with the cells it leaves out as
``gaps``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import ibis
import pyarrow as pa
import pytest

from cvm.features.rfm_schemes import (
    ALL_CELLS,
    RFMScheme,
    SchemeError,
    Segment,
    assign_segments,
    load_scheme,
    scheme_title,
)

CON = ibis.duckdb.connect()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def segment_toml(key: str, claims: str) -> str:
    """One segment table; ``claims`` is its TOML line(s) such as ``cells = ["xxx"]``."""
    return f'[[segments]]\nkey = "{key}"\nlabel_en = "{key}"\nlabel_zh = "{key}"\n{claims}\n'


def claimed_cells(tmp_path: Path, claims: str) -> set[str]:
    """The cells one segment with these claims owns (every cell, or every cell not a gap)."""
    path = write(tmp_path, "one.toml", segment_toml("a", claims))
    try:
        scheme = load_scheme(path)
    except SchemeError as exc:
        assert exc.overlaps == {}
        assert exc.gaps, str(exc)  # a problem other than coverage would have no gaps
        return set(ALL_CELLS) - set(exc.gaps)
    return set(scheme.cell_map)


def cells_where(r=range(1, 6), f=range(1, 6), m=range(1, 6)) -> set[str]:
    return {f"{a}{b}{c}" for a in r for b in f for c in m}


def problem(tmp_path: Path, text: str, name: str = "bad.toml") -> str:
    """The message of the SchemeError the file raises, without its first line."""
    path = write(tmp_path, name, text)
    with pytest.raises(SchemeError) as info:
        load_scheme(path)
    message = str(info.value)
    assert message.startswith(f"scheme file {path}: invalid scheme\n"), message
    return message.split("\n", 1)[1]


# --- cell patterns ---------------------------------------------------------------------------


@pytest.mark.parametrize("pattern, expected", [
    ("[135]xx", cells_where(r=(1, 3, 5))),        # three single scores, no range among them
    ("[531]xx", cells_where(r=(1, 3, 5))),        # order does not matter
    ("[1-24]xx", cells_where(r=(1, 2, 4))),       # a range, then a single score
    ("[1-35]xx", cells_where(r=(1, 2, 3, 5))),    # the score right after a range is read
    ("[4-4]xx", cells_where(r=(4,))),             # a range of one score
    ("[44]xx", cells_where(r=(4,))),
    ("[1-12-2]xx", cells_where(r=(1, 2))),        # two ranges of one score each
    ("[2-3][4-5]x", cells_where(r=(2, 3), f=(4, 5))),
    ("x[1-5]5", cells_where(m=(5,))),
    ("X*?", set(ALL_CELLS)),                      # x, X, * and ? each mean any score
    ("  5x1 ", cells_where(r=(5,), m=(1,))),      # surrounding spaces are ignored
    ("512", {"512"}),
])
def test_cell_patterns_claim_these_cells(tmp_path, pattern, expected):
    assert claimed_cells(tmp_path, f'cells = ["{pattern}"]') == expected


def test_a_whole_number_is_a_cell_but_true_is_not(tmp_path):
    assert claimed_cells(tmp_path, "cells = [345]") == {"345"}
    assert problem(tmp_path, segment_toml("a", "cells = [true]")) == (
        "  segment 1 (a): bad cell pattern True: must be text such as \"5[45]x\"")
    assert problem(tmp_path, segment_toml("a", "cells = [5.5]")) == (
        "  segment 1 (a): bad cell pattern 5.5: must be text such as \"5[45]x\"")


@pytest.mark.parametrize("pattern, reason", [
    ("[]xx", "empty '[]'"),
    ("[4-]xx", "'-' inside [...] is not one of 1, 2, 3, 4, 5"),
    ("[-4]xx", "'-' inside [...] is not one of 1, 2, 3, 4, 5"),
    ("[5-4]xx", "bad range 5-4 inside [...]"),
    ("[2-1]xx", "bad range 2-1 inside [...]"),
    ("[4-x]xx", "bad range 4-x inside [...]"),
    ("[6]xx", "'6' inside [...] is not one of 1, 2, 3, 4, 5"),
    ("[45", "'[' without a closing ']'"),
    ("5555", "has 4 positions, not 3 (R, F, M)"),
    ("", "has 0 positions, not 3 (R, F, M)"),
    ("5]5x", "unexpected character ']'"),
])
def test_bad_cell_patterns(tmp_path, pattern, reason):
    assert problem(tmp_path, segment_toml("a", f'cells = ["{pattern}"]')) == (
        f"  segment 1 (a): bad cell pattern '{pattern}': {reason}")


# --- ranges ----------------------------------------------------------------------------------


@pytest.mark.parametrize("entry, expected", [
    ('{r = "4-4"}', cells_where(r=(4,))),          # a range of one score
    ('{r = "4"}', cells_where(r=(4,))),
    ("{r = 4}", cells_where(r=(4,))),
    ('{r = " 2 - 3 "}', cells_where(r=(2, 3))),    # spaces around the dash
    ('{f = "1-5", m = 5}', cells_where(m=(5,))),
    ('{r = 1, f = "2-3", m = "4-5"}', cells_where(r=(1,), f=(2, 3), m=(4, 5))),
    ("{}", set(ALL_CELLS)),                        # no letter: any score
])
def test_ranges_claim_these_cells(tmp_path, entry, expected):
    assert claimed_cells(tmp_path, f"ranges = [{entry}]") == expected


@pytest.mark.parametrize("entry, reason", [
    ('{r = "3-2"}', "r = '3-2' is not a score 1-5 or a range such as \"3-5\""),
    ('{m = "6"}', "m = '6' is not a score 1-5 or a range such as \"3-5\""),
    ('{f = "0-3"}', "f = '0-3' is not a score 1-5 or a range such as \"3-5\""),
    ('{r = "4-"}', "r = '4-' is not a score 1-5 or a range such as \"3-5\""),
    ("{r = true}", "r = True is not a score 1-5 or a range such as \"3-5\""),
    ("{r = 4.0}", "r = 4.0 is not a score 1-5 or a range such as \"3-5\""),
    ('{q = 1, z = 2, r = 3}', "unknown letter q, z (use r, f, m)"),
    ("5", "must be a table such as {r = \"4-5\", f = \"1-2\"}"),
])
def test_bad_ranges(tmp_path, entry, reason):
    assert problem(tmp_path, segment_toml("a", f"ranges = [{entry}]")) == (
        f"  segment 1 (a): ranges entry 1 {reason}")


def test_every_bad_ranges_entry_is_numbered(tmp_path):
    text = segment_toml("a", 'ranges = [{r = "1-5"}, {r = 9}, {f = "5-1"}]')
    assert problem(tmp_path, text) == (
        "  segment 1 (a): ranges entry 2 r = 9 is not a score 1-5 or a range such as \"3-5\"\n"
        "  segment 1 (a): ranges entry 3 f = '5-1' is not a score 1-5 or a range such as \"3-5\"")


def test_ranges_and_cells_add_up(tmp_path):
    assert claimed_cells(tmp_path, 'cells = ["5xx"]\nranges = [{r = 4}]') == cells_where(r=(4, 5))
    assert claimed_cells(tmp_path, "cells = []\nranges = []") == set()


# --- scheme and segment fields ---------------------------------------------------------------


def test_texts_are_stripped_and_blank_optional_texts_are_empty(tmp_path):
    path = write(tmp_path, "t.toml", 'name = "  padded "\ndescription = "   "\n'
                 '[[segments]]\nkey = "all"\nlabel_en = " All "\nlabel_zh = "全部 "\n'
                 'description_en = " every cell "\ndescription_zh = ""\ncells = ["xxx"]\n')
    scheme = load_scheme(path)
    assert scheme.name == "padded"
    assert scheme.description == ""
    assert scheme.segments == (Segment("all", "All", "全部", "every cell", ""),)


@pytest.mark.parametrize("head, message", [
    ('name = "   "\n', "  name must be non-empty text, not '   '"),
    ("name = 5\n", "  name must be non-empty text, not 5"),
    ("description = 5\n", "  scheme: description must be non-empty text, not 5"),
    ('colour = "red"\nsize = 1\n',
     "  unknown top-level keys colour, size (allowed: name, kind, description, note_en, "
     "note_zh, segments)"),
])
def test_bad_top_level_fields(tmp_path, head, message):
    assert problem(tmp_path, head + segment_toml("a", 'cells = ["xxx"]')) == message


def test_a_bad_name_falls_back_to_the_file_name_in_later_messages(tmp_path):
    # name = 5 is reported and the rest is still checked
    assert problem(tmp_path, "name = 5\n" + segment_toml("A", 'cells = ["xxx"]')) == (
        "  name must be non-empty text, not 5\n"
        "  segment 1: key must be lower-case ASCII letters, digits and '_', starting with a "
        "letter; got 'A'")


@pytest.mark.parametrize("text, message", [
    ("segments = []\n", "  segments must be a non-empty list of segment tables"),
    ('segments = "all"\n', "  segments must be a non-empty list of segment tables"),
    ("segments = [1]\n", "  segment 1: must be a table with key, label_en, label_zh, ..."),
    ('[[segments]]\nkey = 5\nlabel_en = "A"\nlabel_zh = "甲"\ncells = ["xxx"]\n',
     "  segment 1: key must be lower-case ASCII letters, digits and '_', starting with a "
     "letter; got 5"),
    ('[[segments]]\nkey = "1st"\nlabel_en = "A"\nlabel_zh = "甲"\ncells = ["xxx"]\n',
     "  segment 1: key must be lower-case ASCII letters, digits and '_', starting with a "
     "letter; got '1st'"),
    (segment_toml("a", 'cells = ["xxx"]\ncolour = "red"\nsize = 1'),
     "  segment 1 (a): unknown keys colour, size (a cells segment takes key, label_en, "
     "label_zh, description_en, description_zh, cells, ranges)"),
    (segment_toml("a", 'cells = ["xxx"]\ndescription_en = 3'),
     "  segment 1 (a): description_en must be non-empty text, not 3"),
    (segment_toml("a", 'cells = ["xxx"]\nranges = "xxx"'),
     "  segment 1 (a): ranges must be a list"),
])
def test_bad_segments(tmp_path, text, message):
    assert problem(tmp_path, text) == message


def test_segments_after_a_bad_one_are_numbered_from_one(tmp_path):
    text = ("segments = [1, "
            '{key = "b", label_en = "B", label_zh = "乙", cells = ["xxx"]}, '
            '{key = "b", label_en = "B", label_zh = "乙", cells = ["xxx"]}]\n')
    assert problem(tmp_path, text) == (
        "  segment 1: must be a table with key, label_en, label_zh, ...\n"
        "  segment 3: duplicate key 'b'")


# --- mean_split schemes ----------------------------------------------------------------------

SPLIT_HEAD = 'kind = "mean_split"\n'


def test_mean_split_segment_needs_text_splits(tmp_path):
    text = SPLIT_HEAD + segment_toml("a", "") + segment_toml("b", "split = [5]")
    assert problem(tmp_path, text) == (
        "  segment 1 (a): needs split, e.g. split = \"HHL\" (R, F, M high or low)\n"
        "  segment 2 (b): bad split 5: must be text such as \"HHL\" (use H, L or x for each of "
        "R, F, M)")


def test_mean_split_patterns(tmp_path):
    path = write(tmp_path, "s.toml", SPLIT_HEAD
                 + segment_toml("top", 'split = ["H[HL]H", "HHL"]')
                 + segment_toml("rest", 'split = [" hll ", "Lxx"]')
                 + segment_toml("none", "split = []"))
    scheme = load_scheme(path)
    assert scheme.keys == ("top", "rest", "none")
    assert dict(scheme.split_map) == {
        "HHH": "top", "HHL": "top", "HLH": "top", "HLL": "rest",
        "LHH": "rest", "LHL": "rest", "LLH": "rest", "LLL": "rest"}
    assert dict(scheme.cell_map) == {}
    # a segment owning nothing is never assigned, and costs nothing
    rows = [(5, 5, 5), (5, 1, 1), (1, 1, 1)]  # means 11/3: H/L as the scores are 5 or 1
    assert segments_of(rows, scheme) == ["top", "rest", "rest"]


# --- assign_segments on DuckDB ---------------------------------------------------------------


def scored(rows: list[tuple], types: tuple[str, str, str] = ("int8", "int8", "int8")) -> ibis.Table:
    columns = {"id": pa.array(range(1, len(rows) + 1), pa.int64())}
    for i, (name, type_) in enumerate(zip(("r_score", "f_score", "m_score"), types)):
        columns[name] = pa.array([row[i] for row in rows], type_)
    t = ibis.memtable(pa.table(columns))
    return t.mutate(rfm_cell=t.r_score.cast("int64").cast("string")
                    + t.f_score.cast("int64").cast("string")
                    + t.m_score.cast("int64").cast("string"))


def segments_of(rows: list[tuple], scheme: RFMScheme, **kwargs) -> list[str | None]:
    out = assign_segments(scored(rows, **kwargs), scheme).order_by("id")
    return CON.to_pyarrow(out)["rfm_segment"].to_pylist()


def test_cn8_each_score_against_its_own_mean():
    # every mean is 3; each row is above it on one score at most, so the order R, F, M shows
    rows = [(4, 2, 3), (2, 4, 3), (3, 3, 4), (3, 3, 2)]
    assert segments_of(rows, load_scheme("cn8")) == [
        "general_development",   # HLL
        "general_retention",     # LHL
        "important_win_back",    # LLH
        "general_win_back",      # LLL
    ]


@pytest.mark.parametrize("column", [0, 1, 2])
def test_cn8_cut_at_the_mean_on_both_sides(column):
    """Scores 2, 3, 3, 4 (mean 3): 2 and 3 are low, 4 is high; then 3, 3, 4 (mean 10/3): only 4
    is high; then 3, 4, 4 (mean 11/3): 3 is low, 4 is high."""
    high = {0: "general_development", 1: "general_retention", 2: "important_win_back"}[column]
    cn8 = load_scheme("cn8")
    for scores, expected in [((2, 3, 3, 4), ["general_win_back"] * 3 + [high]),
                             ((3, 3, 4), ["general_win_back"] * 2 + [high]),
                             ((3, 4, 4), ["general_win_back", high, high])]:
        rows = [tuple(s if i == column else 1 for i in range(3)) for s in scores]
        assert segments_of(rows, cn8) == expected, scores


def test_cn8_on_float_scores():
    # means R 1.5, F 2.5, M 0.25 (all exact in binary): a score equal to its mean is low
    rows = [(0.5, 2.5, 0.25), (1.5, 2.0, 0.0), (2.5, 3.0, 0.5)]
    got = segments_of(rows, load_scheme("cn8"), types=("float64", "float64", "float64"))
    assert got == ["general_win_back", "general_win_back", "important_value"]


def test_cells_scheme_with_a_segment_owning_nothing(tmp_path):
    path = write(tmp_path, "t.toml", segment_toml("never", "cells = []")
                 + segment_toml("hi", 'cells = ["[45]xx"]')
                 + segment_toml("lo", 'cells = ["[1-3]xx"]'))
    scheme = load_scheme(path)
    assert scheme.keys == ("never", "hi", "lo")
    assert segments_of([(4, 1, 1), (3, 5, 5), (5, 5, 5)], scheme) == ["hi", "lo", "hi"]


def test_assign_segments_column_messages():
    t = ibis.memtable(pa.table({"f_score": pa.array([1], pa.int8())}))
    with pytest.raises(ValueError) as info:
        assign_segments(t, load_scheme("cn8"))
    assert str(info.value) == ("assign_segments needs columns r_score, m_score; "
                               "the table has f_score")
    t = ibis.memtable(pa.table({"r_score": pa.array([1], pa.int8()),
                                "f_score": pa.array([1], pa.int8())}))
    with pytest.raises(ValueError) as info:
        assign_segments(t, load_scheme("cn8"))
    assert str(info.value) == ("assign_segments needs column m_score; "
                               "the table has r_score, f_score")
    t = ibis.memtable(pa.table({"r_score": ["5"], "f_score": [1], "m_score": ["1"]}))
    with pytest.raises(ValueError) as info:
        assign_segments(t, load_scheme("cn8"))
    assert str(info.value) == ("assign_segments needs numeric columns: "
                               "r_score (string), m_score (string)")
    t = ibis.memtable(pa.table({"r_score": ["5"], "f_score": [1], "m_score": [1]}))
    with pytest.raises(ValueError) as info:
        assign_segments(t, load_scheme("cn8"))
    assert str(info.value) == "assign_segments needs a numeric column: r_score (string)"
    t = ibis.memtable(pa.table({"rfm_cell": pa.array([5.5])}))
    with pytest.raises(ValueError) as info:
        assign_segments(t, load_scheme("seed4"))
    assert str(info.value) == "assign_segments needs a string column: rfm_cell (float64)"


def test_assign_segments_refuses_an_unknown_kind():
    odd = RFMScheme(name="odd", kind="quantile", segments=(Segment("a", "A", "甲"),))
    with pytest.raises(ValueError) as info:
        assign_segments(scored([(1, 1, 1)]), odd)
    assert str(info.value) == "scheme 'odd' has unknown kind 'quantile'"


# --- titles, labels, immutability ------------------------------------------------------------


def test_scheme_titles(tmp_path):
    titles = {name: (scheme_title(load_scheme(name)), scheme_title(load_scheme(name), "zh-CN"))
              for name in ("seed4", "cn8", "std11")}
    assert titles == {"seed4": ("RFM four classes", "RFM 四类客户"),
                      "cn8": ("RFM eight classes", "RFM 八类客户"),
                      "std11": ("RFM eleven-segment map", "RFM 十一类客户细分")}
    user = load_scheme(write(tmp_path, "mine.toml", segment_toml("all", 'cells = ["xxx"]')))
    assert scheme_title(user, "en") == scheme_title(user, "zh") == "mine"
    with pytest.raises(ValueError, match="unknown language 'de': use 'en' or 'zh'"):
        scheme_title(user, "de")


def test_labels_and_notes_in_either_language():
    s = Segment("a", "Alpha", "甲", "first", "第一")
    assert (s.label("EN"), s.label(" zh-TW "), s.label("en_GB")) == ("Alpha", "甲", "Alpha")
    scheme = RFMScheme("x", "cells", (s,), note_en="N", note_zh="注")
    assert (scheme.note("en"), scheme.note("zh")) == ("N", "注")
    for bad in ("", "-zh", "english"):
        with pytest.raises(ValueError, match="unknown language"):
            s.label(bad)
    assert scheme.segment("a") is s


def test_segments_and_schemes_are_frozen():
    scheme = load_scheme("seed4")
    with pytest.raises(dataclasses.FrozenInstanceError):
        scheme.segments[0].label_en = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        scheme.name = "x"  # type: ignore[misc]
    assert hash(scheme.segments[0]) == hash(Segment(*dataclasses.astuple(scheme.segments[0])))
