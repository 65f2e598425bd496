"""The demo's products and its past campaign, drawn after the demo's transactions with random
streams of their own, so that the demo's customers and transactions stay exactly as they are.

* ``demo_order_lines.csv``: the products of each demo receipt (``订单号`` order id, ``商品``
  product, ``数量`` quantity, ``金额`` amount, ``毛利`` margin). Each customer has a favourite tea;
  a receipt holds a tea (the favourite seven times in ten) and what goes with it — a cake knife
  with pu'er, a celadon cup with Longjing, a clay teapot now and then with an oolong, a
  pastry with any tea — so that the basket rules have something to find.
* ``demo_campaign.csv``: a text-message campaign sent at random to half of the demo's buyers
  (``会员编号`` customer id, ``分组`` group: ``短信`` sent or ``对照`` control, ``是否购买`` bought in
  the campaign's fortnight, and what the campaign team knew: ``购买次数`` receipts so far,
  ``门店`` store). Known effects: customers with 2–6 receipts are persuadable (+25
  points), those with 15 or more are annoyed (−8 points), the rest do not move; the chance of
  buying anyway rises with the number of receipts.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import numpy as np

__all__ = ["PRODUCTS", "write_order_lines", "write_demo_campaign"]

# separate streams: never the demo's own seed
_LINES_SEED = 7_201_412
_CAMPAIGN_SEED = 7_201_413

#: product: (unit price, margin rate)
PRODUCTS = {
    "西湖龙井": (168.0, 0.45), "安溪铁观音": (128.0, 0.42), "云南普洱": (198.0, 0.50),
    "武夷大红袍": (228.0, 0.48), "茉莉花茶": (68.0, 0.40),
    "青瓷茶杯": (58.0, 0.60), "紫砂壶": (388.0, 0.55), "茶饼刀": (38.0, 0.65),
    "旅行茶具": (158.0, 0.50), "绿豆糕": (28.0, 0.55), "凤梨酥": (36.0, 0.55),
    "桂花糕": (26.0, 0.55),
}
_TEAS = ["西湖龙井", "安溪铁观音", "云南普洱", "武夷大红袍", "茉莉花茶"]
_PASTRIES = ["绿豆糕", "凤梨酥", "桂花糕"]
# what goes with a tea: (product, probability)
_WITH = {"云南普洱": [("茶饼刀", 0.45)], "西湖龙井": [("青瓷茶杯", 0.35)],
         "安溪铁观音": [("紫砂壶", 0.12)], "武夷大红袍": [("紫砂壶", 0.18)],
         "茉莉花茶": [("桂花糕", 0.45)]}


def _receipts(tx_path: Path) -> list[tuple[str, str]]:
    """(order id, customer id) of each receipt of the demo file, in file order, once each."""
    seen, out = set(), []
    with tx_path.open(newline="", encoding="utf-8") as fh:
        rows = csv.reader(fh)
        next(rows)
        for row in rows:
            if row[5] not in seen:
                seen.add(row[5])
                out.append((row[5], row[0]))
    return out


def _stores(tx_path: Path) -> dict[str, str]:
    """Each customer's store: the one of its first receipt in the file."""
    out: dict[str, str] = {}
    with tx_path.open(newline="", encoding="utf-8") as fh:
        rows = csv.reader(fh)
        next(rows)
        for row in rows:
            out.setdefault(row[0], row[4])
    return out


def write_order_lines(folder: str | Path, tx_path: str | Path) -> Path:
    """Write ``demo_order_lines.csv`` for the receipts of ``tx_path``; return its path."""
    rng = np.random.default_rng(_LINES_SEED)
    receipts = _receipts(Path(tx_path))
    customers = sorted({c for _, c in receipts})
    favourite = dict(zip(customers, rng.choice(_TEAS, size=len(customers),
                                               p=[0.3, 0.2, 0.2, 0.1, 0.2])))
    path = Path(folder) / "demo_order_lines.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["订单号", "商品", "数量", "金额", "毛利"])
        for order, customer in receipts:
            tea = favourite[customer] if rng.random() < 0.7 else _TEAS[rng.integers(len(_TEAS))]
            items = [tea]
            for product, p in _WITH[tea]:
                if rng.random() < p:
                    items.append(product)
            if rng.random() < 0.3:
                items.append(_PASTRIES[rng.integers(len(_PASTRIES))])
            if rng.random() < 0.08:
                items.append("旅行茶具")
            for product in dict.fromkeys(items):
                qty = 1 + int(rng.random() < 0.2)
                price, rate = PRODUCTS[product]
                w.writerow([order, product, qty, f"{price * qty:.2f}",
                            f"{price * qty * rate:.2f}"])
    return path


def write_demo_campaign(folder: str | Path, tx_path: str | Path) -> Path:
    """Write ``demo_campaign.csv`` for the buyers of ``tx_path``; return its path."""
    rng = np.random.default_rng(_CAMPAIGN_SEED)
    counts = Counter(c for _, c in _receipts(Path(tx_path)) if c)
    store = _stores(Path(tx_path))
    path = Path(folder) / "demo_campaign.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["会员编号", "分组", "是否购买", "购买次数", "门店"])
        for customer in sorted(counts):
            n = counts[customer]
            base = 0.04 + 0.5 * min(n, 20) / 20  # buying anyway rises with the receipts
            effect = 0.25 if 2 <= n <= 6 else (-0.08 if n >= 15 else 0.0)
            sent = rng.random() < 0.5
            bought = rng.random() < min(max(base + sent * effect, 0.0), 1.0)
            w.writerow([customer, "短信" if sent else "对照", int(bought), n, store[customer]])
    return path


def demo_stages(folder: str | Path, tx_path: str | Path) -> list:
    """Write the demo's order lines and campaign beside ``tx_path``; return the stages of a
    demo run: the default ones (and any registered), then cross-sell and uplift over those
    files."""
    from .stages import run_stages
    from .stages.cross_sell import CrossSellStage
    from .stages.uplift import UpliftStage

    lines = write_order_lines(folder, tx_path)
    campaign = write_demo_campaign(folder, tx_path)
    return [*run_stages(), CrossSellStage(lines),
            UpliftStage(campaign, group_column="分组", control="对照", outcome="是否购买",
                        id_column="会员编号")]
