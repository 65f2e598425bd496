"""The rules behind the built-in cell schemes ``seed4`` and ``std11``, and the writer that expands
them into ``seed4.toml`` and ``std11.toml``.

The TOML files hold the expanded 125-cell maps so that anyone can read which segment a cell is in
without running code; this module is where those maps come from. After changing a rule, a label
or a description here, rewrite the files with::

    python -m cvm.features.schemes.generate

The test suite recomputes both maps from these rules and compares them with the files.

``seed4`` — the RFM primer's four classes, with explicit rules for the open cells
    The primer names four classes: "高价值客户:Recency高、Frequency高、Monetary高", "重要挽留客户:
    Recency低、Frequency高、Monetary中", "新客户:Recency高、Frequency低、Monetary低" and
    "低价值客户:Recency低、Frequency低、Monetary低". Reading a score of 4–5 as high, 3 as middle
    and 1–2 as low, the four rules of :data:`SEED4_RULES` keep each class's meaning on the other
    cells: high value is only R, F and M all high; a frequent buyer (F 4–5) is never new and
    never low value; a high spender (M 4–5) is never low value, and one who has lapsed is
    important to retain; a recent buyer (R 4–5) is never low value. The rules are mutually
    exclusive and cover all 125 cells.

``std11`` — recency against frequency and spend
    The first matching row of :data:`STD11_RULES` decides; the rows are written so that no two
    can match the same cell, so the order only documents intent.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "ALL_CELLS",
    "SEED4_LEVELS",
    "SEED4_RULES",
    "SEED4_SOURCE",
    "STD11_RULES",
    "level",
    "seed4_segment",
    "std11_segment",
    "render",
    "seed4_cell_table",
    "update_docs",
    "files",
    "main",
]

ALL_CELLS: tuple[str, ...] = tuple(
    f"{r}{f}{m}" for r, f, m in itertools.product(range(1, 6), repeat=3)
)

# key, label_en, label_zh, description_en, description_zh
_Meta = tuple[str, str, str, str, str]

SEED4_SEGMENTS: tuple[_Meta, ...] = (
    ("high_value", "High value", "高价值客户",
     "Bought recently, often and for a lot: R, F and M all high (4-5).",
     "最近有购买、购买频繁且金额高：R、F、M 均高（4–5 分）。"),
    ("important_retain", "Important to retain", "重要挽留客户",
     "Buys often or spends a lot but falls short of high value: the RFM primer's lapsed frequent "
     "buyer (R low, F high, M middle), a big spender who has lapsed, a frequent buyer with "
     "smaller baskets. Worth the effort to keep.",
     "购买频繁或消费高，但未达到高价值：如资料中很久没有购买的频繁购买者（R 低、F 高、M 中）、"
     "已很久没有购买的高消费客户、购买频繁但金额较小的客户，值得花力气挽留。"),
    ("new_customer", "New customer", "新客户",
     "Bought recently but not often yet: R 4-5 with F 1-2, or F 3 without high spend.",
     "最近有购买，但购买次数还少：R 4–5 分且 F 1–2 分，或 F 3 分且消费不高。"),
    ("low_value", "Low value", "低价值客户",
     "Neither recent, nor frequent, nor a high spender: R, F and M all 1-3.",
     "既不是最近购买，也不频繁、消费也不高：R、F、M 均为 1–3 分。"),
)

#: how the primer's words read on a 1-5 score
SEED4_LEVELS = {"high": (4, 5), "middle": (3,), "low": (1, 2)}

#: the primer's own definition of each class: R, F and M as high, middle or low
SEED4_SOURCE = {
    "high_value": ("high", "high", "high"),
    "important_retain": ("low", "high", "middle"),
    "new_customer": ("high", "low", "low"),
    "low_value": ("low", "low", "low"),
}


def level(score: int) -> str:
    """"high" (4-5), "middle" (3) or "low" (1-2).

    >>> level(5), level(3), level(2)
    ('high', 'middle', 'low')
    """
    return next(name for name, scores in SEED4_LEVELS.items() if score in scores)


def _high(score: int) -> bool:
    return score >= 4


def _all_high(r: int, f: int, m: int) -> bool:
    return _high(r) and _high(f) and _high(m)


def _new(r: int, f: int, m: int) -> bool:
    return _high(r) and (f <= 2 or (f == 3 and not _high(m)))


# (key, rule in English, rule in Chinese, predicate on (r, f, m)); mutually exclusive, and
# together they cover all 125 cells.
SEED4_RULES: tuple[tuple[str, str, str, Callable[[int, int, int], bool]], ...] = (
    ("high_value", "R, F and M all 4-5", "R、F、M 均为 4–5 分",
     _all_high),
    ("new_customer", "R 4-5 and F 1-2; or R 4-5, F 3 and M 1-3",
     "R 4–5 分且 F 1–2 分；或 R 4–5 分、F 3 分且 M 1–3 分",
     _new),
    ("important_retain", "F 4-5 or M 4-5, and neither high value nor new customer",
     "F 或 M 为 4–5 分，且不属于高价值客户或新客户",
     lambda r, f, m: (_high(f) or _high(m)) and not _all_high(r, f, m) and not _new(r, f, m)),
    ("low_value", "R, F and M all 1-3", "R、F、M 均为 1–3 分",
     lambda r, f, m: r <= 3 and f <= 3 and m <= 3),
)


def seed4_segment(r: int, f: int, m: int) -> str:
    """The seed4 class of one cell: the one rule of :data:`SEED4_RULES` that matches.

    >>> seed4_segment(5, 5, 5), seed4_segment(5, 5, 1), seed4_segment(1, 1, 5)
    ('high_value', 'important_retain', 'important_retain')
    """
    for key, _en, _zh, matches in SEED4_RULES:
        if matches(r, f, m):
            return key
    raise AssertionError(f"no seed4 rule matches {r}{f}{m}")  # the rules cover every cell


STD11_SEGMENTS: tuple[_Meta, ...] = (
    ("champions", "Champions", "冠军客户",
     "Bought very recently, buy often and spend the most.",
     "最近刚购买、购买频繁、消费最多。"),
    ("loyal", "Loyal", "忠诚客户",
     "Buy often and are still active, but not top on both recency and spend.",
     "购买频繁且仍然活跃，但最近购买或消费金额未同时居前。"),
    ("potential_loyalist", "Potential loyalist", "潜在忠诚客户",
     "Recent customers with a few purchases: could become loyal.",
     "最近有购买、已购买过几次，有望成为忠诚客户。"),
    ("new_customers", "New customers", "新客户",
     "Bought for the first time very recently.",
     "最近刚刚首次购买。"),
    ("promising", "Promising", "有潜力客户",
     "Bought fairly recently, but only once so far.",
     "较近有购买，但目前只买过一次。"),
    ("need_attention", "Need attention", "需要关注客户",
     "Middling recency with above-average frequency and spend; worth a nudge before they drift.",
     "最近购买时间居中，购买频次和金额偏高；趁其流失前给予关注。"),
    ("about_to_sleep", "About to sleep", "即将沉睡客户",
     "Middling recency with below-average frequency and spend; slipping away.",
     "最近购买时间居中，购买频次和金额偏低，正在流失。"),
    ("at_risk", "At risk", "流失风险客户",
     "Bought often or spent well, but not for a long time.",
     "曾经购买较多或消费较高，但已很久没有购买。"),
    ("cannot_lose_them", "Cannot lose them", "不能失去的客户",
     "Among the most frequent and highest spenders, but long gone.",
     "曾是购买最频繁、消费最高的客户之一，但已很久没有购买。"),
    ("hibernating", "Hibernating", "休眠客户",
     "Long gone, with low frequency and spend.",
     "很久没有购买，购买频次和金额都低。"),
    ("lost", "Lost", "已流失客户",
     "The lowest recency, frequency and spend.",
     "最近购买时间、购买频次和金额都处于最低。"),
)

# (key, rule as text, predicate on (r, f, m)); the rules are mutually exclusive and cover all 125.
STD11_RULES: tuple[tuple[str, str, Callable[[int, int, int], bool]], ...] = (
    ("champions", "R 4-5, F 4-5, M 4-5",
     lambda r, f, m: r >= 4 and f >= 4 and m >= 4),
    ("loyal", "R 3-5, F 4-5, not champions",
     lambda r, f, m: r >= 3 and f >= 4 and not (r >= 4 and m >= 4)),
    ("potential_loyalist", "R 4-5, F 2-3",
     lambda r, f, m: r >= 4 and 2 <= f <= 3),
    ("new_customers", "R 5, F 1",
     lambda r, f, m: r == 5 and f == 1),
    ("promising", "R 4, F 1",
     lambda r, f, m: r == 4 and f == 1),
    ("need_attention", "R 3, F 1-3, F + M >= 6",
     lambda r, f, m: r == 3 and f <= 3 and f + m >= 6),
    ("about_to_sleep", "R 3, F 1-3, F + M <= 5",
     lambda r, f, m: r == 3 and f <= 3 and f + m <= 5),
    ("cannot_lose_them", "R 1-2, F 4-5, M 4-5",
     lambda r, f, m: r <= 2 and f >= 4 and m >= 4),
    ("at_risk", "R 1-2, F + M >= 6, not cannot lose them",
     lambda r, f, m: r <= 2 and f + m >= 6 and not (f >= 4 and m >= 4)),
    ("hibernating", "R 2 with F + M <= 5, or R 1 with F + M = 5",
     lambda r, f, m: (r == 2 and f + m <= 5) or (r == 1 and f + m == 5)),
    ("lost", "R 1, F + M <= 4",
     lambda r, f, m: r == 1 and f + m <= 4),
)


def std11_segment(r: int, f: int, m: int) -> str:
    """The std11 segment of one cell: the first rule of :data:`STD11_RULES` that matches.

    >>> std11_segment(5, 5, 5), std11_segment(5, 1, 5), std11_segment(1, 1, 1)
    ('champions', 'new_customers', 'lost')
    """
    for key, _text, matches in STD11_RULES:
        if matches(r, f, m):
            return key
    raise AssertionError(f"no std11 rule matches {r}{f}{m}")  # the rules cover every cell


def _cells_of(rule: Callable[[int, int, int], str], key: str) -> list[str]:
    return [cell for cell in ALL_CELLS if rule(*(int(c) for c in cell)) == key]


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(name: str, description: str, segments: tuple[_Meta, ...],
           rule: Callable[[int, int, int], str], rule_notes: dict[str, str] | None = None,
           note: tuple[str, str] | None = None) -> str:
    """The TOML text of a cell scheme whose map is ``rule`` applied to all 125 cells;
    ``note`` is the scheme's (English, Chinese) note for reports."""
    lines = [
        f"# Built-in RFM segment scheme '{name}'.",
        "# Generated by cvm/features/schemes/generate.py from the rule described below;",
        "# change the rule there and rerun `python -m cvm.features.schemes.generate`.",
        "",
        f"name = {_quote(name)}",
        'kind = "cells"',
        f"description = {_quote(description)}",
    ]
    if note:
        lines += [f"note_en = {_quote(note[0])}", f"note_zh = {_quote(note[1])}"]
    for key, label_en, label_zh, description_en, description_zh in segments:
        cells = _cells_of(rule, key)
        lines += ["", "[[segments]]"]
        if rule_notes and key in rule_notes:
            lines.append(f"# rule: {rule_notes[key]}")
        lines += [
            f"key = {_quote(key)}",
            f"label_en = {_quote(label_en)}",
            f"label_zh = {_quote(label_zh)}",
            f"description_en = {_quote(description_en)}",
            f"description_zh = {_quote(description_zh)}",
            f"# {len(cells)} cells",
            "cells = [",
        ]
        for start in range(0, len(cells), 10):
            lines.append("    " + ", ".join(_quote(c) for c in cells[start:start + 10]) + ",")
        lines.append("]")
    return "\n".join(lines) + "\n"


SEED4_DESCRIPTION = (
    "The four classes of the RFM primer: high value (R, F, M high), important to retain (R low, "
    "F high, M middle), new customer (R high, F low, M low), low value (R, F, M low). A score of "
    "4-5 is high, 3 middle, 1-2 low. The other cells keep the classes' meaning: high value is "
    "only R, F and M all high; a frequent buyer (F 4-5) is never new or low value; a high "
    "spender (M 4-5) is never low value, and one who has lapsed is important to retain; a "
    "recent buyer (R 4-5) is never low value. Each segment's rule is written above its cells."
)

#: shown with the segment table: which of the two 重要挽留客户 this scheme means
SEED4_NOTE = (
    "Four classes of the RFM primer (a score of 4-5 is high, 3 middle, 1-2 low). 重要挽留客户 "
    "(important to retain) here is the primer's class: frequent buyers or high spenders who fall "
    "short of high value, the primer's case being R low, F high, M middle. It is not the "
    "eight-class scheme's 重要挽留客户 (R low, F low, M high).",
    "RFM 资料中的四类客户（4–5 分为高，3 分为中，1–2 分为低）。此处的“重要挽留客户”采用资料的定义："
    "购买频繁或消费高但未达到高价值的客户，资料中的典型为 R 低、F 高、M 中；"
    "不同于八类客户中的“重要挽留客户”（R 低、F 低、M 高）。",
)

STD11_DESCRIPTION = (
    "The widely used eleven-segment map. Segments are decided on recency R and on frequency F "
    "and spend M; each segment's rule is written above its cells, and the rules are mutually "
    "exclusive."
)


_LEVEL_ZH = {"high": "高", "middle": "中", "low": "低"}
DOCS_START = "<!-- seed4 cells: generated by python -m cvm.features.schemes.generate -->"
DOCS_END = "<!-- end of seed4 cells -->"


def seed4_cell_table() -> str:
    """The Markdown table of all 125 cells and their seed4 class, as in ``docs/rfm-schemes.md``
    (between :data:`DOCS_START` and :data:`DOCS_END`)."""
    labels = {key: (en, zh) for key, en, zh, _de, _dz in SEED4_SEGMENTS}
    lines = ["| cell | R | F | M | class | 类别 |", "|---|---|---|---|---|---|"]
    for cell in ALL_CELLS:
        key = seed4_segment(*(int(c) for c in cell))
        levels = " | ".join(f"{level(int(c))} {_LEVEL_ZH[level(int(c))]}" for c in cell)
        lines.append(f"| {cell} | {levels} | {labels[key][0]} | {labels[key][1]} |")
    return "\n".join([DOCS_START, *lines, DOCS_END])


def files() -> dict[str, str]:
    """File name → TOML text of every generated built-in scheme."""
    return {
        "seed4.toml": render("seed4", SEED4_DESCRIPTION, SEED4_SEGMENTS, seed4_segment,
                             {key: text for key, text, _zh, _ in SEED4_RULES}, SEED4_NOTE),
        "std11.toml": render("std11", STD11_DESCRIPTION, STD11_SEGMENTS, std11_segment,
                             {key: text for key, text, _ in STD11_RULES}),
    }


def update_docs(path: Path) -> None:
    """Rewrite the seed4 cell table in ``path`` (the Markdown between the two markers)."""
    text = path.read_text(encoding="utf-8")
    start, end = text.index(DOCS_START), text.index(DOCS_END) + len(DOCS_END)
    path.write_text(text[:start] + seed4_cell_table() + text[end:], encoding="utf-8")


def main() -> None:
    """Rewrite the generated scheme files next to this module, and the seed4 cell table of
    ``docs/rfm-schemes.md`` when run from a source checkout."""
    here = Path(__file__).resolve().parent
    for file_name, text in files().items():
        (here / file_name).write_text(text, encoding="utf-8")
    docs = here.parents[3] / "docs" / "rfm-schemes.md"
    if docs.is_file():
        update_docs(docs)


if __name__ == "__main__":
    main()
