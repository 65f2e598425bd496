"""Association rules from baskets: frequent itemsets by FP-growth, rules with support,
confidence and lift.

FP-growth (Han, Pei & Yin 2000) never generates candidates: the baskets are compressed into
their distinct item paths, each item ordered by descending frequency, with a count (the paths of
an FP-tree); for each frequent item the prefixes of the paths that hold it form its conditional
pattern base, mined the same way with the item appended to the suffix. Paths are kept as tuples
of item ranks in a dictionary, so equal prefixes merge as they do in the tree.

For an itemset ``X ∪ Y`` found in ``n_XY`` of ``N`` baskets (Agrawal, Imieliński & Swami 1993):

* ``support(X ⇒ Y) = n_XY / N``
* ``confidence(X ⇒ Y) = support(X ∪ Y) / support(X)``
* ``lift(X ⇒ Y) = confidence(X ⇒ Y) / support(Y)`` (Brin et al. 1997)

Rules have one item as consequent by default, as arules' ``apriori`` makes them.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Iterable
from itertools import combinations
from pathlib import Path

import pyarrow as pa

from ..errors import CvmError

__all__ = ["read_baskets", "transaction_baskets", "frequent_itemsets", "association_rules",
           "RULE_COLUMNS", "BasketError"]

#: the columns of :func:`association_rules`' table, in order
RULE_COLUMNS = ("antecedent", "consequent", "support", "confidence", "lift")
# thresholds compare with this much room, so that a support of exactly 0.006 passes 0.006
_EPS = 1e-9


class BasketError(CvmError):
    """Baskets or thresholds that cannot be mined; the message says which."""


def read_baskets(path: str | Path) -> list[list[str]]:
    """A basket file: one basket per line, items separated by commas, no header; whitespace
    around an item is ignored, an item repeated in a basket counts once, empty lines are
    skipped."""
    baskets = []
    with Path(path).open(newline="", encoding="utf-8-sig") as fh:
        for row in csv.reader(fh):
            items = list(dict.fromkeys(x.strip() for x in row if x.strip()))
            if items:
                baskets.append(items)
    return baskets


def transaction_baskets(transactions: pa.Table, *, item: str = "product",
                        order: str = "order_id") -> list[list[str]]:
    """The baskets of a transactions table: the ``item`` values (product or category) of each
    ``order`` id; rows without either are left out."""
    for name in (item, order):
        if name not in transactions.column_names:
            raise BasketError(f"the transactions have no {name} column; baskets need an order id "
                              "and a product (or category) on each line")
    groups: dict[str, dict[str, None]] = defaultdict(dict)
    for o, p in zip(transactions.column(order).to_pylist(), transactions.column(item).to_pylist()):
        if o is None or p is None or str(p).strip() == "":
            continue
        groups[str(o)][str(p).strip()] = None
    if not groups:
        raise BasketError(f"no line of the transactions has both an order id and a {item}; "
                          f"baskets need an order id and a product (or category) on each line")
    return [list(items) for items in groups.values()]


def _grow(paths: dict[tuple[int, ...], int], suffix: tuple[int, ...], min_count: int,
          max_length: int, found: dict[frozenset, int]) -> None:
    """Mine the conditional pattern base ``paths`` (item-rank paths with counts) for the itemsets
    that end in ``suffix`` (Han, Pei & Yin 2000, Algorithm 2, FP-growth)."""
    counts: dict[int, int] = defaultdict(int)
    for path, c in paths.items():
        for i in path:
            counts[i] += c
    frequent = {i for i, c in counts.items() if c >= min_count}
    if not frequent:
        return
    # the conditional pattern base of each frequent item: the (frequent part of the) prefix
    # before it on every path that holds it — the header-table links of the tree
    bases: dict[int, dict[tuple[int, ...], int]] = {i: defaultdict(int) for i in frequent}
    for path, c in paths.items():
        kept = tuple(i for i in path if i in frequent)
        for pos in range(1, len(kept)):
            bases[kept[pos]][kept[:pos]] += c
    for i in frequent:
        itemset = suffix + (i,)
        found[frozenset(itemset)] = counts[i]
        if len(itemset) < max_length and bases[i]:
            _grow(bases[i], itemset, min_count, max_length, found)


def frequent_itemsets(baskets: Iterable[Iterable[str]], min_support: float, *,
                      max_length: int = 10) -> tuple[dict[frozenset, int], int]:
    """Every itemset (up to ``max_length`` items) in at least ``min_support`` of the baskets,
    with the number of baskets that hold it; and the number of baskets."""
    if not 0 < min_support <= 1:
        raise BasketError(f"the minimum support must be in (0, 1], not {min_support}")
    sets = [frozenset(b) for b in baskets]
    n = len(sets)
    if n == 0:
        raise BasketError("there are no baskets to mine")
    min_count = max(1, math.ceil(min_support * n * (1 - _EPS)))
    singles: dict[str, int] = defaultdict(int)
    for s in sets:
        for x in s:
            singles[x] += 1
    order = sorted((x for x, c in singles.items() if c >= min_count),
                   key=lambda x: (-singles[x], x))
    rank = {x: r for r, x in enumerate(order)}
    paths: dict[tuple[int, ...], int] = defaultdict(int)
    for s in sets:
        path = tuple(sorted(rank[x] for x in s if x in rank))
        if path:
            paths[path] += 1
    found_ranks: dict[frozenset, int] = {}
    _grow(paths, (), min_count, max_length, found_ranks)
    return {frozenset(order[r] for r in k): c for k, c in found_ranks.items()}, n


def _items_text(items: Iterable[str]) -> str:
    return " & ".join(sorted(items))


def association_rules(baskets: Iterable[Iterable[str]], min_support: float,
                      min_confidence: float, *, single_consequent: bool = True,
                      max_length: int = 10) -> pa.Table:
    """The rules ``antecedent ⇒ consequent`` with at least ``min_support`` and
    ``min_confidence`` (see the module documentation), a non-empty antecedent, and one item as
    consequent (every non-empty proper subset with ``single_consequent=False``); sorted by lift,
    then confidence, then support, descending. The items of an antecedent or consequent are
    joined by `` & `` in alphabetical order."""
    if not 0 <= min_confidence <= 1:
        raise BasketError(f"the minimum confidence must be in [0, 1], not {min_confidence}")
    counts, n = frequent_itemsets(baskets, min_support, max_length=max_length)
    rows = []
    for itemset, c in counts.items():
        if len(itemset) < 2:
            continue
        sizes = [1] if single_consequent else range(1, len(itemset))
        for size in sizes:
            for consequent in combinations(sorted(itemset), size):
                cons = frozenset(consequent)
                ante = itemset - cons
                confidence = c / counts[ante]  # support(X ∪ Y) / support(X)
                if confidence < min_confidence - _EPS:
                    continue
                lift = confidence / (counts[cons] / n)  # confidence / support(Y)
                rows.append((_items_text(ante), _items_text(cons), c / n, confidence, lift))
    rows.sort(key=lambda r: (-r[4], -r[3], -r[2], r[0], r[1]))
    columns = list(zip(*rows)) if rows else [[]] * 5
    return pa.table({name: pa.array(col, type=pa.string() if k < 2 else pa.float64())
                     for k, (name, col) in enumerate(zip(RULE_COLUMNS, columns))})
