"""The generator of the built-in cell schemes (cvm.features.schemes.generate): both maps written
out by hand, every rule's own cells, the TOML writer on a small scheme, the docs table, and the
command that rewrites the files."""

from __future__ import annotations

import runpy
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from cvm.features.schemes import generate

# Rows F = 1..5, columns M = 1..5, one grid for each R, worked out from the rules' wording.
# seed4: V high value, I important to retain, N new customer, W low value.
_SEED4_RECENT = ("NNNNN", "NNNNN", "NNNII", "IIIVV", "IIIVV")    # R 4 and R 5
_SEED4_LAPSED = ("WWWII", "WWWII", "WWWII", "IIIII", "IIIII")    # R 1, 2 and 3
SEED4_GRID = {1: _SEED4_LAPSED, 2: _SEED4_LAPSED, 3: _SEED4_LAPSED,
              4: _SEED4_RECENT, 5: _SEED4_RECENT}
SEED4_CODES = {"V": "high_value", "I": "important_retain", "N": "new_customer",
               "W": "low_value"}

# std11: C champions, L loyal, P potential loyalist, N new customers, O promising,
# A need attention, S about to sleep, K at risk, X cannot lose them, H hibernating, Z lost.
STD11_GRID = {
    5: ("NNNNN", "PPPPP", "PPPPP", "LLLCC", "LLLCC"),
    4: ("OOOOO", "PPPPP", "PPPPP", "LLLCC", "LLLCC"),
    3: ("SSSSA", "SSSAA", "SSAAA", "LLLLL", "LLLLL"),
    2: ("HHHHK", "HHHKK", "HHKKK", "HKKXX", "KKKXX"),
    1: ("ZZZHK", "ZZHKK", "ZHKKK", "HKKXX", "KKKXX"),
}
STD11_CODES = {"C": "champions", "L": "loyal", "P": "potential_loyalist", "N": "new_customers",
               "O": "promising", "A": "need_attention", "S": "about_to_sleep", "K": "at_risk",
               "X": "cannot_lose_them", "H": "hibernating", "Z": "lost"}


def expected_map(grid: dict[int, tuple[str, ...]], codes: dict[str, str]) -> dict[str, str]:
    return {f"{r}{f}{m}": codes[grid[r][f - 1][m - 1]]
            for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)}


SEED4_MAP = expected_map(SEED4_GRID, SEED4_CODES)
STD11_MAP = expected_map(STD11_GRID, STD11_CODES)


def scores(cell: str) -> tuple[int, int, int]:
    r, f, m = (int(c) for c in cell)
    return r, f, m


# --- the cells and the levels ----------------------------------------------------------------


def test_all_cells():
    assert len(generate.ALL_CELLS) == 125
    assert generate.ALL_CELLS[:7] == ("111", "112", "113", "114", "115", "121", "122")
    assert generate.ALL_CELLS[-2:] == ("554", "555")
    assert generate.ALL_CELLS == tuple(SEED4_MAP)


def test_level_of_every_score():
    assert [generate.level(s) for s in (1, 2, 3, 4, 5)] == [
        "low", "low", "middle", "high", "high"]
    assert generate.SEED4_LEVELS == {"high": (4, 5), "middle": (3,), "low": (1, 2)}
    with pytest.raises(StopIteration):
        generate.level(0)
    with pytest.raises(StopIteration):
        generate.level(6)


def test_every_cell_of_a_primer_class_is_in_that_class():
    for cell in generate.ALL_CELLS:
        levels = tuple(generate.level(s) for s in scores(cell))
        for key, source in generate.SEED4_SOURCE.items():
            if levels == source:
                assert generate.seed4_segment(*scores(cell)) == key, cell


# --- the two maps, cell by cell --------------------------------------------------------------


def test_seed4_every_cell():
    got = {cell: generate.seed4_segment(*scores(cell)) for cell in generate.ALL_CELLS}
    assert got == SEED4_MAP


def test_std11_every_cell():
    got = {cell: generate.std11_segment(*scores(cell)) for cell in generate.ALL_CELLS}
    assert got == STD11_MAP


@pytest.mark.parametrize("rules, expected", [
    (generate.SEED4_RULES, SEED4_MAP), (generate.STD11_RULES, STD11_MAP)])
def test_each_rule_matches_exactly_its_own_cells(rules, expected):
    """Every predicate taken alone, not only the first that matches."""
    assert len({rule[0] for rule in rules}) == len(rules) == len(set(expected.values()))
    for key, *_, predicate in rules:
        own = [cell for cell in generate.ALL_CELLS if predicate(*scores(cell))]
        assert own == [cell for cell, k in expected.items() if k == key], key


def test_rule_boundaries_by_hand():
    rule = {key: predicate for key, _text, predicate in generate.STD11_RULES}
    # F + M at 5 and 6 decides between about to sleep and need attention at R 3
    assert rule["about_to_sleep"](3, 1, 4) and not rule["need_attention"](3, 1, 4)
    assert rule["need_attention"](3, 1, 5) and not rule["about_to_sleep"](3, 1, 5)
    assert rule["need_attention"](3, 3, 3) and not rule["need_attention"](3, 4, 3)
    # at R 1: F + M of 4 is lost, 5 hibernating, 6 at risk
    assert rule["lost"](1, 2, 2) and not rule["hibernating"](1, 2, 2)
    assert rule["hibernating"](1, 2, 3) and not rule["lost"](1, 2, 3)
    assert rule["at_risk"](1, 3, 3) and not rule["hibernating"](1, 3, 3)
    assert rule["hibernating"](2, 4, 1) and rule["at_risk"](2, 4, 2)
    assert rule["cannot_lose_them"](2, 4, 4) and not rule["at_risk"](2, 4, 4)
    assert not rule["cannot_lose_them"](3, 5, 5) and rule["loyal"](3, 5, 5)
    seed = {key: predicate for key, _en, _zh, predicate in generate.SEED4_RULES}
    assert seed["new_customer"](4, 3, 3) and not seed["new_customer"](4, 3, 4)
    assert seed["important_retain"](4, 3, 4) and seed["low_value"](3, 3, 3)
    assert not seed["low_value"](3, 3, 4) and seed["important_retain"](3, 3, 4)


def test_segment_functions_name_a_cell_no_rule_matches(monkeypatch):
    monkeypatch.setattr(generate, "SEED4_RULES", generate.SEED4_RULES[:1])
    monkeypatch.setattr(generate, "STD11_RULES", generate.STD11_RULES[:1])
    assert generate.seed4_segment(5, 4, 4) == "high_value"
    assert generate.std11_segment(4, 5, 4) == "champions"
    with pytest.raises(AssertionError, match="no seed4 rule matches 345"):
        generate.seed4_segment(3, 4, 5)
    with pytest.raises(AssertionError, match="no std11 rule matches 111"):
        generate.std11_segment(1, 1, 1)


# --- the TOML writer -------------------------------------------------------------------------

_TINY = (("a", "A", "甲", 'Says "hi"', "说\\明"), ("b", "B", "乙", "none", "无"))


def _tiny_rule(r: int, f: int, m: int) -> str:
    """12 cells: R 1 with F 1-2, and 554, 555; everything else a key not in the scheme."""
    return "a" if (r == 1 and f <= 2) or (r == 5 and f == 5 and m >= 4) else "z"


_HEADER = [
    "# Built-in RFM segment scheme 'tiny'.",
    "# Generated by cvm/features/schemes/generate.py from the rule described below;",
    "# change the rule there and rerun `python -m cvm.features.schemes.generate`.",
    "",
    'name = "tiny"',
    'kind = "cells"',
    'description = "A \\"tiny\\" scheme"',
]
_A_CELLS = [
    '    "111", "112", "113", "114", "115", "121", "122", "123", "124", "125",',
    '    "554", "555",',
]


def test_render_a_small_scheme_by_hand():
    text = generate.render("tiny", 'A "tiny" scheme', _TINY, _tiny_rule,
                           {"a": "R 1 and F 1-2"}, ("Note", "注"))
    assert text == "\n".join([
        *_HEADER,
        'note_en = "Note"',
        'note_zh = "注"',
        "",
        "[[segments]]",
        "# rule: R 1 and F 1-2",
        'key = "a"',
        'label_en = "A"',
        'label_zh = "甲"',
        'description_en = "Says \\"hi\\""',
        'description_zh = "说\\\\明"',
        "# 12 cells",
        "cells = [",
        *_A_CELLS,
        "]",
        "",
        "[[segments]]",
        'key = "b"',
        'label_en = "B"',
        'label_zh = "乙"',
        'description_en = "none"',
        'description_zh = "无"',
        "# 0 cells",
        "cells = [",
        "]",
    ]) + "\n"
    data = tomllib.loads(text)
    assert data["description"] == 'A "tiny" scheme'
    assert (data["note_en"], data["note_zh"]) == ("Note", "注")
    assert data["segments"][0]["description_en"] == 'Says "hi"'
    assert data["segments"][0]["description_zh"] == "说\\明"
    assert data["segments"][0]["cells"] == [c for c in generate.ALL_CELLS if _tiny_rule(
        *scores(c)) == "a"]
    assert data["segments"][1]["cells"] == []


def test_render_without_notes():
    text = generate.render("tiny", 'A "tiny" scheme', _TINY[:1], _tiny_rule)
    assert text == "\n".join([
        *_HEADER, "", "[[segments]]", 'key = "a"', 'label_en = "A"', 'label_zh = "甲"',
        'description_en = "Says \\"hi\\""', 'description_zh = "说\\\\明"', "# 12 cells",
        "cells = [", *_A_CELLS, "]"]) + "\n"
    assert "note_en" not in tomllib.loads(text)


@pytest.mark.parametrize("count, rows", [
    (1, [1]), (9, [9]), (10, [10]), (11, [10, 1]), (20, [10, 10]), (21, [10, 10, 1]),
    (125, [10] * 12 + [5])])
def test_render_ten_cells_a_row(count, rows):
    first = set(generate.ALL_CELLS[:count])
    text = generate.render("n", "d", (("k", "K", "K", "d", "d"),),
                           lambda r, f, m: "k" if f"{r}{f}{m}" in first else "other")
    lines = text.splitlines()
    body = lines[lines.index("cells = [") + 1:lines.index("]")]
    assert [line.count('"') // 2 for line in body] == rows
    assert all(line.startswith('    "') and line.endswith('",') for line in body)
    assert f"# {count} cells" in lines
    assert tomllib.loads(text)["segments"][0]["cells"] == list(generate.ALL_CELLS[:count])


def test_rule_notes_only_for_the_keys_they_name():
    text = generate.render("n", "d", _TINY, _tiny_rule, {"b": "no cell"})
    assert text.count("# rule:") == 1
    assert '# rule: no cell\nkey = "b"' in text
    assert '[[segments]]\nkey = "a"' in text


def test_files_are_the_stored_schemes():
    folder = resources.files("cvm.features") / "schemes"
    files = generate.files()
    assert list(files) == ["seed4.toml", "std11.toml"]
    for name, text in files.items():
        assert (folder / name).read_text("utf-8") == text
    seed4, std11 = (tomllib.loads(files[name]) for name in files)
    assert seed4["note_en"] == generate.SEED4_NOTE[0]
    assert seed4["note_zh"] == generate.SEED4_NOTE[1]
    assert "note_en" not in std11
    for data, expected in ((seed4, SEED4_MAP), (std11, STD11_MAP)):
        assert {cell: s["key"] for s in data["segments"] for cell in s["cells"]} == expected
    assert "# rule: R 4-5 and F 1-2; or R 4-5, F 3 and M 1-3\n" in files["seed4.toml"]
    assert '# rule: R 1, F + M <= 4\nkey = "lost"' in files["std11.toml"]
    assert "# 64 cells" in files["seed4.toml"]


# --- the docs table and the command ----------------------------------------------------------


def test_seed4_cell_table_rows_by_hand():
    table = generate.seed4_cell_table().split("\n")
    assert len(table) == 2 + 2 + 125
    assert table[:4] == [
        generate.DOCS_START,
        "| cell | R | F | M | class | 类别 |",
        "|---|---|---|---|---|---|",
        "| 111 | low 低 | low 低 | low 低 | Low value | 低价值客户 |",
    ]
    assert table[-1] == generate.DOCS_END
    rows = {line.split(" | ")[0][2:]: line for line in table[3:-1]}
    assert rows["345"] == "| 345 | middle 中 | high 高 | high 高 | Important to retain | 重要挽留客户 |"
    assert rows["533"] == "| 533 | high 高 | middle 中 | middle 中 | New customer | 新客户 |"
    assert rows["444"] == "| 444 | high 高 | high 高 | high 高 | High value | 高价值客户 |"
    assert rows["233"] == "| 233 | low 低 | middle 中 | middle 中 | Low value | 低价值客户 |"


_TABLE_STUB = f"{generate.DOCS_START}\n| old | table |\n{generate.DOCS_END}"


def test_update_docs_replaces_only_the_table(tmp_path):
    path = tmp_path / "page.md"
    path.write_text(f"# Title\n\nbefore\n{_TABLE_STUB}\nafter\n", encoding="utf-8")
    generate.update_docs(path)
    assert path.read_text("utf-8") == (
        f"# Title\n\nbefore\n{generate.seed4_cell_table()}\nafter\n")
    tight = tmp_path / "tight.md"
    tight.write_text(f"x{_TABLE_STUB}y", encoding="utf-8")
    generate.update_docs(tight)
    assert tight.read_text("utf-8") == f"x{generate.seed4_cell_table()}y"


def test_update_docs_on_the_project_page_changes_nothing(tmp_path):
    page = Path(__file__).resolve().parents[2] / "docs" / "rfm-schemes.md"
    copy = tmp_path / "rfm-schemes.md"
    copy.write_text(page.read_text("utf-8"), encoding="utf-8")
    generate.update_docs(copy)
    assert copy.read_text("utf-8") == page.read_text("utf-8")


def _checkout(root: Path) -> Path:
    """A source tree under ``root`` with the module's place in it; returns the module's path."""
    package = root / "src" / "cvm" / "features" / "schemes"
    package.mkdir(parents=True)
    return package / "generate.py"


def test_main_writes_the_files_and_the_docs_table(tmp_path, monkeypatch):
    module = _checkout(tmp_path)
    (tmp_path / "docs").mkdir()
    page = tmp_path / "docs" / "rfm-schemes.md"
    page.write_text(f"top\n{_TABLE_STUB}\nbottom\n", encoding="utf-8")
    (tmp_path / "src" / "docs").mkdir()  # one level too shallow: must not be used
    (tmp_path / "src" / "docs" / "rfm-schemes.md").write_text(_TABLE_STUB, encoding="utf-8")
    monkeypatch.setattr(generate, "__file__", str(module))
    generate.main()
    written = sorted(p.name for p in module.parent.iterdir())
    assert written == ["seed4.toml", "std11.toml"]
    for name, text in generate.files().items():
        assert (module.parent / name).read_text("utf-8") == text
    assert page.read_text("utf-8") == f"top\n{generate.seed4_cell_table()}\nbottom\n"
    assert (tmp_path / "src" / "docs" / "rfm-schemes.md").read_text("utf-8") == _TABLE_STUB


def test_main_without_docs_writes_only_the_files(tmp_path, monkeypatch):
    module = _checkout(tmp_path)
    monkeypatch.setattr(generate, "__file__", str(module))
    generate.main()
    assert sorted(p.name for p in module.parent.iterdir()) == ["seed4.toml", "std11.toml"]
    assert not (tmp_path / "docs").exists()


@pytest.mark.parametrize("run_name, writes", [("__main__", True),
                                              ("cvm.features.schemes.generate", False)])
def test_the_module_writes_only_when_run_as_a_command(monkeypatch, run_name, writes):
    written: list[tuple[Path, str]] = []
    monkeypatch.setattr(Path, "write_text",
                        lambda self, text, encoding=None: written.append((self, text)))
    runpy.run_path(generate.__file__, run_name=run_name)
    here = Path(generate.__file__).resolve().parent
    expected = [(here / name, text) for name, text in generate.files().items()]
    assert written[:2] == (expected if writes else [])
