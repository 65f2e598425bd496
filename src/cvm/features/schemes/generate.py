"""The rules behind the built-in cell schemes ``seed4`` and ``std11``, and the writer that expands
them into ``seed4.toml`` and ``std11.toml``.

The TOML files hold the expanded 125-cell maps so that anyone can read which segment a cell is in
without running code; this module is where those maps come from. After changing a rule, a label
or a description here, rewrite the files with::

    python -m cvm.features.schemes.generate

The test suite recomputes both maps from these rules and compares them with the files.

``seed4`` — nearest prototype
    Each of the RFM primer's four classes is a prototype score triple, reading "high" as 5, "middle"
    as 3 and "low" as 1: high value (5, 5, 5), important to retain (1, 5, 3), new customer
    (5, 1, 1), low value (1, 1, 1). A cell goes to the prototype at the smallest Euclidean
    distance. When two or more prototypes are equally near, the class listed later in the seed
    wins (low value, then new customer, then important to retain, then high value): a customer
    is only put in a more valuable class when strictly nearer to it.

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
    "SEED4_PROTOTYPES",
    "SEED4_TIE_ORDER",
    "STD11_RULES",
    "seed4_segment",
    "std11_segment",
    "render",
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
     "Bought recently, often and for a lot (R, F and M all high).",
     "最近有购买、购买频繁且金额高（R、F、M 均高）。"),
    ("important_retain", "Important to retain", "重要挽留客户",
     "Used to buy often with middling spend but has not bought for a long time (R low, F high, "
     "M middle).",
     "曾经频繁购买、金额中等，但已很久没有购买（R 低、F 高、M 中）。"),
    ("new_customer", "New customer", "新客户",
     "Bought recently but only a little so far (R high, F and M low).",
     "最近刚有购买，但次数和金额都还少（R 高，F、M 低）。"),
    ("low_value", "Low value", "低价值客户",
     "Long gone, rarely bought and spent little (R, F and M all low).",
     "很久没有购买、购买少且金额低（R、F、M 均低）。"),
)

SEED4_PROTOTYPES: dict[str, tuple[int, int, int]] = {
    "high_value": (5, 5, 5),
    "important_retain": (1, 5, 3),
    "new_customer": (5, 1, 1),
    "low_value": (1, 1, 1),
}

# On equal distance the first key in this tuple wins.
SEED4_TIE_ORDER: tuple[str, ...] = ("low_value", "new_customer", "important_retain", "high_value")


def seed4_segment(r: int, f: int, m: int) -> str:
    """The seed4 class of one cell: the nearest prototype, ties to the less valuable class.

    >>> seed4_segment(5, 5, 5), seed4_segment(1, 5, 3), seed4_segment(5, 3, 3)
    ('high_value', 'important_retain', 'new_customer')
    """
    def distance(key: str) -> int:
        pr, pf, pm = SEED4_PROTOTYPES[key]
        return (r - pr) ** 2 + (f - pf) ** 2 + (m - pm) ** 2  # squared: same order, exact ints

    return min(SEED4_TIE_ORDER, key=distance)  # min keeps the first of equal keys


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
           rule: Callable[[int, int, int], str], rule_notes: dict[str, str] | None = None) -> str:
    """The TOML text of a cell scheme whose map is ``rule`` applied to all 125 cells."""
    lines = [
        f"# Built-in RFM segment scheme '{name}'.",
        "# Generated by cvm/features/schemes/generate.py from the rule described below;",
        "# change the rule there and rerun `python -m cvm.features.schemes.generate`.",
        "",
        f"name = {_quote(name)}",
        'kind = "cells"',
        f"description = {_quote(description)}",
    ]
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
    "The four classes of the seed text. Each class is a prototype score triple (high = 5, "
    "middle = 3, low = 1): high value 555, important to retain 153, new customer 511, low value "
    "111. A cell belongs to the nearest prototype by Euclidean distance; on a tie the less "
    "valuable class wins, in the order low value, new customer, important to retain, high value."
)

STD11_DESCRIPTION = (
    "The widely used eleven-segment map. Segments are decided on recency R and on frequency F "
    "and spend M; each segment's rule is written above its cells, and the rules are mutually "
    "exclusive."
)


def files() -> dict[str, str]:
    """File name → TOML text of every generated built-in scheme."""
    return {
        "seed4.toml": render("seed4", SEED4_DESCRIPTION, SEED4_SEGMENTS, seed4_segment,
                             {key: "nearest to prototype "
                              + "".join(str(v) for v in SEED4_PROTOTYPES[key])
                              for key in SEED4_PROTOTYPES}),
        "std11.toml": render("std11", STD11_DESCRIPTION, STD11_SEGMENTS, std11_segment,
                             {key: text for key, text, _ in STD11_RULES}),
    }


def main() -> None:
    """Rewrite the generated scheme files next to this module."""
    here = Path(__file__).resolve().parent
    for file_name, text in files().items():
        (here / file_name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
