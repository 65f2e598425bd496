"""Association rules: a hand-computed case, arules' published rule counts on Groceries, and
mlxtend's FP-growth rules on the same baskets."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyarrow as pa
import pytest

from cvm.baskets.rules import (BasketError, association_rules, frequent_itemsets, read_baskets,
                               transaction_baskets)

GROCERIES = Path(__file__).parents[1] / "data" / "groceries.csv.gz"
SMALL = [["a", "b", "c"], ["a", "b"], ["a", "c"], ["b", "c"], ["a", "b", "c", "d"]]


@pytest.fixture(scope="module")
def groceries(tmp_path_factory):
    path = tmp_path_factory.mktemp("groceries") / "groceries.csv"
    path.write_bytes(gzip.decompress(GROCERIES.read_bytes()))
    return read_baskets(path)


def _rules(table):
    return {(r["antecedent"], r["consequent"]): r for r in table.to_pylist()}


def test_hand_computed_support_confidence_lift():
    # a, b, c in 4 of 5 baskets; each pair in 3; a & b & c in 2; d in 1
    counts, n = frequent_itemsets(SMALL, 0.4)
    assert n == 5
    assert counts == {frozenset("a"): 4, frozenset("b"): 4, frozenset("c"): 4,
                      frozenset("ab"): 3, frozenset("ac"): 3, frozenset("bc"): 3,
                      frozenset("abc"): 2}
    rules = _rules(association_rules(SMALL, 0.4, 0.6))
    assert len(rules) == 9
    r = rules[("a", "b")]  # 3/5; 3/4; 0.75 / (4/5)
    assert (r["support"], r["confidence"], r["lift"]) == pytest.approx((0.6, 0.75, 0.9375))
    r = rules[("a & b", "c")]  # 2/5; 2/3; (2/3) / (4/5)
    assert (r["support"], r["confidence"], r["lift"]) == pytest.approx((0.4, 2 / 3, 5 / 6))
    assert len(association_rules(SMALL, 0.4, 0.7)) == 6  # the pairs' 0.75 only
    # several items as consequent: a ⇒ b & c has confidence 2/4
    multi = _rules(association_rules(SMALL, 0.4, 0.5, single_consequent=False))
    assert len(multi) == 12
    assert multi[("a", "b & c")]["confidence"] == pytest.approx(0.5)
    assert multi[("a", "b & c")]["lift"] == pytest.approx(0.5 / 0.6)
    # sorted by lift, highest first: a & b & c ⇒ d, (1/2) / (1/5)
    table = association_rules(SMALL, 0.2, 0.1)
    lifts = table.column("lift").to_pylist()
    assert lifts == sorted(lifts, reverse=True) and lifts[0] == pytest.approx(2.5)
    assert table.slice(0, 1).to_pylist()[0]["antecedent"] == "a & b & c"


def test_support_threshold_is_inclusive_and_thresholds_are_checked():
    # d is in exactly 1 of 5 baskets: support 0.2 passes a minimum of 0.2
    counts, _ = frequent_itemsets(SMALL, 0.2)
    assert counts[frozenset("abcd")] == 1
    with pytest.raises(BasketError, match="minimum support"):
        association_rules(SMALL, 0, 0.5)
    with pytest.raises(BasketError, match="minimum confidence"):
        association_rules(SMALL, 0.1, 1.5)
    with pytest.raises(BasketError, match="no baskets"):
        association_rules([], 0.1, 0.5)
    empty = association_rules(SMALL, 0.9, 0.5)
    assert empty.num_rows == 0
    assert empty.column_names == ["antecedent", "consequent", "support", "confidence", "lift"]


def test_basket_file_ignores_whitespace_repeats_and_empty_lines(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text(" milk , bread\n\nbread,milk,milk\n  eggs\n", encoding="utf-8")
    assert read_baskets(path) == [["milk", "bread"], ["bread", "milk"], ["eggs"]]


def test_transaction_baskets_group_lines_by_order():
    t = pa.table({"order_id": ["o1", "o1", "o2", "o2", None, "o3"],
                  "product": ["tea", "cake", "tea", " tea ", "cake", None]})
    assert transaction_baskets(t) == [["tea", "cake"], ["tea"]]
    with pytest.raises(BasketError, match="no category column"):
        transaction_baskets(t, item="category")


@pytest.mark.parametrize("support, confidence, published", [
    (0.006, 0.25, 463),  # Lantz, Machine Learning with R (2nd ed. 2015), ch. 8, minlen = 2
    (0.001, 0.5, 5668),  # arules apriori(Groceries, parameter = list(supp = 0.001, conf = 0.5))
    (0.001, 0.8, 410),   # arules apriori(Groceries, parameter = list(supp = 0.001, conf = 0.8))
])
def test_groceries_rule_counts_equal_arules(groceries, support, confidence, published):
    assert len(groceries) == 9835
    assert association_rules(groceries, support, confidence).num_rows == published


def test_groceries_strongest_rule_as_published(groceries):
    # Lantz (2015), ch. 8: {herbs} => {root vegetables}, support 0.007, confidence 0.431,
    # lift 3.956 — the highest lift at support 0.006, confidence 0.25
    top = association_rules(groceries, 0.006, 0.25).slice(0, 1).to_pylist()[0]
    assert (top["antecedent"], top["consequent"]) == ("herbs", "root vegetables")
    assert top["support"] == pytest.approx(69 / 9835)
    assert top["confidence"] == pytest.approx(0.43125)
    assert round(top["lift"], 3) == 3.956


def test_groceries_rules_equal_mlxtend(groceries):
    pd = pytest.importorskip("pandas")
    mlx = pytest.importorskip("mlxtend.frequent_patterns")
    from mlxtend.preprocessing import TransactionEncoder

    enc = TransactionEncoder()
    onehot = pd.DataFrame(enc.fit(groceries).transform(groceries), columns=enc.columns_)
    itemsets = mlx.fpgrowth(onehot, min_support=0.004, use_colnames=True)
    ref = mlx.association_rules(itemsets, metric="confidence", min_threshold=0.3)
    ref = ref[ref["consequents"].apply(len) == 1]
    ours = _rules(association_rules(groceries, 0.004, 0.3))
    assert len(ours) == len(ref) > 500
    for r in ref.itertuples():
        mine = ours[(" & ".join(sorted(r.antecedents)), next(iter(r.consequents)))]
        assert mine["support"] == pytest.approx(r.support, rel=1e-12)
        assert mine["confidence"] == pytest.approx(r.confidence, rel=1e-12)
        assert mine["lift"] == pytest.approx(r.lift, rel=1e-12)
    # several items as consequent too: every rule mlxtend finds
    ref_all = mlx.association_rules(itemsets, metric="confidence", min_threshold=0.3)
    assert association_rules(groceries, 0.004, 0.3, single_consequent=False).num_rows == len(ref_all)


#: 20 baskets: A always with B (2 of B's 5), C always with D (4 of D's 5), X, Y and Z always
#: together (3), and 7 baskets of W alone; every rule of a group has the same lift
TIES = ([["A", "B"]] * 2 + [["B"]] * 3 + [["C", "D"]] * 4 + [["D"]] + [["X", "Y", "Z"]] * 3
        + [["W"]] * 7)


def test_rules_with_equal_lift_are_ordered_by_confidence_support_then_names():
    rules = [(r["antecedent"], r["consequent"]) for r in
             association_rules(TIES, 0.1, 0).to_pylist()]
    # lift 1 / (3/20) for the X, Y, Z rules: every other figure equal, so by antecedent and then
    # consequent; lift 1 / (5/20) = 4 for the others: C ⇒ D and A ⇒ B (confidence 1, support
    # 0.2 before 0.1), then D ⇒ C (0.8) and B ⇒ A (0.4)
    assert rules == [("X", "Y"), ("X", "Z"), ("X & Y", "Z"), ("X & Z", "Y"), ("Y", "X"),
                     ("Y", "Z"), ("Y & Z", "X"), ("Z", "X"), ("Z", "Y"),
                     ("C", "D"), ("A", "B"), ("D", "C"), ("B", "A")]


def test_max_length_bounds_the_itemsets_and_the_rules():
    counts, _ = frequent_itemsets(TIES, 0.1, max_length=2)
    assert max(len(s) for s in counts) == 2
    assert frozenset("XY") in counts and frozenset("XYZ") not in counts
    # 11 items bought together: every itemset of 1 to 10 of them (2^11 − 2) by default
    eleven = [list("abcdefghijk")] * 2
    counts, _ = frequent_itemsets(eleven, 1.0)
    assert len(counts) == 2**11 - 2
    # each itemset of k ≥ 2 items gives k single-consequent rules: Σ k·C(11, k), k = 2 … 10
    assert association_rules(eleven, 1.0, 1.0).num_rows == 11 * 2**10 - 11 - 11


def test_support_and_confidence_bounds_are_inclusive():
    counts, _ = frequent_itemsets(TIES, 1.0)  # nothing is in every basket: nothing found
    assert counts == {}
    with pytest.raises(BasketError, match="support"):
        frequent_itemsets(TIES, 1.5)
    assert association_rules(TIES, 0.1, 0.0).num_rows == 13
    # confidence 1 keeps the rules that always hold (9 in X, Y, Z; C ⇒ D; A ⇒ B)
    assert association_rules(TIES, 0.1, 1.0).num_rows == 11
    with pytest.raises(BasketError, match="confidence"):
        association_rules(TIES, 0.1, 1.01)
