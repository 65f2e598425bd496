"""The demo's customer survey: a satisfaction questionnaire answered by a fifth of the tea-shop
chain's buyers in 2024, with its definition file.

It draws from a random stream of its own (its own seed), and reads the demo's transactions only
to find who bought, where and how often, so the demo's customers and purchases are the same with
or without it. A customer's satisfaction is a latent score (standard normal, plus 0.25 for
each standard deviation of their purchase count above the mean: loyal buyers are more
satisfied); each attribute group is that score plus noise, each answer the group's score
rounded onto its scale. Overall satisfaction weighs the groups 0.35 (tea), 0.25 (staff), 0.2
(speed), 0.1 (store) and 0.1 (price), so the derived importance has something to find. The
file has the mess of real exports: "不知道" and "99" for don't know, full-width digits, a
response without a member number, an unreadable date and a 6 on a 1-5 item.

:data:`DEMO_SURVEY_MODEL` is the survey's structural model (the five groups → Satisfaction →
Loyalty), written beside the survey by :func:`write_demo_survey_model`.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path

import numpy as np

from ..demo import fault_row

__all__ = ["DEMO_SURVEY_DEFINITION", "DEMO_SURVEY_MODEL", "write_demo_survey",
           "write_demo_survey_model"]

DEMO_SURVEY_DEFINITION = """\
# The demo's satisfaction survey: each answer column, its scale, group and role.
source = "default"
dont_know = ["不知道", "99"]

# the attribute groups' weights in the 1000-point index (normalised to sum to one)
[groups]
"茶饮" = 0.30
"店员" = 0.25
"速度" = 0.20
"门店" = 0.15
"价格" = 0.10

[items."茶饮口味"]
scale = "1-5"
group = "茶饮"
[items."茶饮品质"]
scale = "1-5"
group = "茶饮"
[items."店员态度"]
scale = "1-5"
group = "店员"
[items."店员专业"]
scale = "1-5"
group = "店员"
[items."出餐速度"]
scale = "1-5"
group = "速度"
[items."排队太久"]      # "I waited too long": agreeing is bad, so the item is reversed
scale = "1-5"
group = "速度"
reversed = true
[items."门店环境"]
scale = "1-5"
group = "门店"
[items."性价比"]
scale = "1-5"
group = "价格"
[items."总体满意度"]
scale = "1-10"
role = "overall"
[items."推荐意愿"]
scale = "0-10"
role = "recommend"
[items."期望出餐速度"]
scale = "1-5"
role = "expectation"
expectation_of = "出餐速度"
[items."期望茶饮品质"]
scale = "1-5"
role = "expectation"
expectation_of = "茶饮品质"
"""

DEMO_SURVEY_MODEL = """\
# The demo survey's structural model (PLS path model; the format of cvm.satisfaction.pls_model).
# Each attribute group is a construct measured by its items (mode A). 排队太久 ("I waited too
# long") is reversed by the survey definition when the answers are loaded, so it enters the
# 速度 construct already turned round, in the same direction as 出餐速度.
# Satisfaction is measured by the overall-satisfaction item, Loyalty by the likelihood to
# recommend. The answers were drawn with loyalty driven by satisfaction alone, so there are no
# direct paths from the groups to Loyalty.

[constructs."茶饮"]
indicators = ["茶饮口味", "茶饮品质"]
mode = "A"

[constructs."店员"]
indicators = ["店员态度", "店员专业"]
mode = "A"

[constructs."速度"]
indicators = ["出餐速度", "排队太久"]
mode = "A"

[constructs."门店"]
indicators = ["门店环境"]
mode = "A"

[constructs."价格"]
indicators = ["性价比"]
mode = "A"

[constructs.Satisfaction]
indicators = ["总体满意度"]
mode = "A"

[constructs.Loyalty]
indicators = ["推荐意愿"]
mode = "A"

[[paths]]
from = "茶饮"
to = ["Satisfaction"]

[[paths]]
from = "店员"
to = ["Satisfaction"]

[[paths]]
from = "速度"
to = ["Satisfaction"]

[[paths]]
from = "门店"
to = ["Satisfaction"]

[[paths]]
from = "价格"
to = ["Satisfaction"]

[[paths]]
from = "Satisfaction"
to = ["Loyalty"]
"""

_GROUPS = {"茶饮": ("茶饮口味", "茶饮品质"), "店员": ("店员态度", "店员专业"),
           "速度": ("出餐速度", "排队太久"), "门店": ("门店环境",), "价格": ("性价比",)}
_OVERALL_WEIGHTS = {"茶饮": 0.35, "店员": 0.25, "速度": 0.2, "门店": 0.1, "价格": 0.1}
_LEVEL = {"茶饮": 0.5, "店员": 0.3, "速度": -0.3, "门店": 0.4, "价格": -0.1}
_CHANNELS = ["小程序", "短信", "店内扫码"]


def _buyers(transactions: Path) -> tuple[list[str], dict[str, int], dict[str, str]]:
    counts: Counter[str] = Counter()
    stores: dict[str, str] = {}
    with transactions.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        for row in reader:
            if row and row[0]:
                counts[row[0]] += 1
                stores.setdefault(row[0], row[4])
    return sorted(counts), counts, stores


def _scale(rng, latent: np.ndarray, low: int, high: int, centre: float, spread: float
           ) -> np.ndarray:
    return np.clip(np.round(centre + spread * latent + rng.normal(0, 0.45, len(latent))),
                   low, high).astype(int)


def write_demo_survey(folder: str | Path, transactions: str | Path, *, share: float = 0.2,
                      seed: int = 20150601) -> tuple[Path, Path]:
    """Write ``demo_survey.csv`` and ``demo_survey.toml`` into ``folder``; return their paths."""
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    ids, counts, stores = _buyers(Path(transactions))
    chosen = rng.choice(len(ids), size=max(5, int(share * len(ids))), replace=False)
    people = [ids[i] for i in chosen]
    n = len(people)
    bought = np.log1p(np.array([counts[p] for p in people], dtype=float))
    latent = rng.normal(0, 1, n) + 0.25 * (bought - bought.mean()) / max(bought.std(), 1e-9)
    columns: dict[str, np.ndarray] = {}
    groups = {}
    for group, items in _GROUPS.items():
        g = 0.8 * latent + 0.6 * rng.normal(0, 1, n)
        groups[group] = g
        for item in items:
            answer = _scale(rng, g, 1, 5, 3.6 + _LEVEL[group], 0.9)
            columns[item] = 6 - answer if item == "排队太久" else answer
    drive = sum(w * groups[g] for g, w in _OVERALL_WEIGHTS.items())
    columns["总体满意度"] = _scale(rng, drive / drive.std(), 1, 10, 7.5, 1.6)
    columns["推荐意愿"] = _scale(rng, 0.8 * drive / drive.std() + 0.4 * rng.normal(0, 1, n),
                                 0, 10, 7.6, 1.9)
    columns["期望出餐速度"] = _scale(rng, rng.normal(0, 1, n), 1, 5, 3.9, 0.7)
    columns["期望茶饮品质"] = _scale(rng, rng.normal(0, 1, n), 1, 5, 4.1, 0.6)
    start = dt.date(2024, 1, 1)
    days = np.sort(rng.integers(0, 366, n))
    header = ["会员编号", "填写日期", "门店", "渠道", *columns]
    rows = []
    for k, person in enumerate(people):
        answers = []
        for name, values in columns.items():
            text = str(int(values[k]))
            roll = rng.random()
            if roll < 0.03 and name not in ("总体满意度", "推荐意愿"):
                text = "不知道" if rng.random() < 0.7 else "99"
            elif roll < 0.05:
                text = text.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
            answers.append(text)
        when = start + dt.timedelta(days=int(days[k]))
        rows.append([person, when.isoformat(), stores[person],
                     _CHANNELS[int(rng.integers(len(_CHANNELS)))], *answers])
    # the mess of real exports
    def spot(k: int) -> int:
        return fault_row(k, len(rows))

    at = spot(7)
    rows.insert(at, ["", "2024-01-20", rows[at - 1][2], "短信", *rows[at - 1][4:]])
    at = spot(40)
    rows.insert(at, [rows[at - 1][0], "2024-02-30", rows[at - 1][2], "小程序", *rows[at - 1][4:]])
    at = spot(81)
    bad = list(rows[at - 1])
    bad[header.index("门店环境")] = "6"
    rows.insert(at, bad)
    path = folder / "demo_survey.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    definition = folder / "demo_survey.toml"
    definition.write_text(DEMO_SURVEY_DEFINITION, encoding="utf-8")
    return path, definition


def write_demo_survey_model(folder: str | Path) -> Path:
    """Write the demo survey's structural model, ``demo_survey_model.toml``, into ``folder``
    (beside ``demo_survey.csv``); return its path."""
    path = Path(folder) / "demo_survey_model.toml"
    path.write_text(DEMO_SURVEY_MODEL, encoding="utf-8")
    return path
