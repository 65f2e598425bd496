"""Next best offers: hand-computed expected margin × probability of purchase, and the
playbook's cross-sell and up-sell customers."""

from __future__ import annotations

import pyarrow as pa
import pytest

from cvm.baskets.offers import next_best_offers, offer_plays
from cvm.baskets.rules import BasketError, association_rules, transaction_baskets


def _lines():
    # orders: o1 tea+cake, o2 tea+cake, o3 tea+cup, o4 cake, o5 tea (customer C: tea only)
    rows = [("A", "o1", "tea", 10.0), ("A", "o1", "cake", 30.0),
            ("B", "o2", "tea", 10.0), ("B", "o2", "cake", 30.0),
            ("B", "o3", "tea", 12.0), ("B", "o3", "cup", 100.0),
            ("D", "o4", "cake", 30.0), ("C", "o5", "tea", 8.0)]
    return pa.table({"customer_id": [r[0] for r in rows], "order_id": [r[1] for r in rows],
                     "product": [r[2] for r in rows], "amount": [r[3] for r in rows]})


def test_offer_is_highest_expected_margin_times_probability():
    t = _lines()
    rules = association_rules(transaction_baskets(t), 0.2, 0.5)
    # tea ⇒ cake: 2 of the 4 tea orders → 0.5; cake ⇒ tea: 2 of 3 → 2/3
    r = {(x["antecedent"], x["consequent"]): x["confidence"] for x in rules.to_pylist()}
    assert r[("tea", "cake")] == pytest.approx(0.5)
    assert r[("cake", "tea")] == pytest.approx(2 / 3)
    offers = {o["customer_id"]: o for o in next_best_offers(t, rules, margin_rate=0.5).to_pylist()}
    # C bought tea: cake by the rule tea ⇒ cake, 0.5 × 0.5·30 = 7.5, loses to cup by its
    # support (no rule), 1/5 × 0.5·100 = 10 — a rare but rich product can be the better offer
    c = offers["C"]
    assert (c["next_best_offer"], c["offer_basis"]) == ("cup", "support")
    assert c["probability_offer_purchase"] == pytest.approx(1 / 5)
    assert c["expected_offer_margin"] == pytest.approx(50.0)
    assert c["expected_offer_value"] == pytest.approx(10.0)
    # D bought cake: tea by the rule cake ⇒ tea, 2/3 × 0.5·mean(10, 10, 12, 8) = 2/3 × 5 = 3.33;
    # cup 1/5 × 50 = 10 wins again
    assert offers["D"]["next_best_offer"] == "cup"
    # A bought tea and cake: only cup is left
    assert offers["A"]["next_best_offer"] == "cup"
    # B bought everything: no offer
    assert offers["B"]["next_best_offer"] is None
    # with margins on the lines, they are used as they are
    priced = t.append_column("margin", pa.array([1.0, 20.0, 1.0, 20.0, 1.0, 2.0, 20.0, 1.0]))
    offers = {o["customer_id"]: o for o in next_best_offers(priced, rules).to_pylist()}
    # C: cake 0.5 × 20 = 10 beats cup 0.2 × 2 = 0.4
    assert (offers["C"]["next_best_offer"], offers["C"]["offer_basis"]) == ("cake", "tea")
    assert offers["C"]["expected_offer_value"] == pytest.approx(10.0)
    # D: tea 2/3 × 1 beats cup 0.2 × 2
    assert offers["D"]["next_best_offer"] == "tea"
    assert offers["D"]["probability_offer_purchase"] == pytest.approx(2 / 3)
    values = [o["expected_offer_value"] for o in next_best_offers(priced, rules).to_pylist()
              if o["expected_offer_value"] is not None]
    assert values == sorted(values, reverse=True)


def test_offer_plays_take_the_cross_sell_and_up_sell_customers():
    t = _lines()
    offers = next_best_offers(t, association_rules(transaction_baskets(t), 0.2, 0.5))
    customers = pa.table({"customer_id": ["A", "B", "C", "D", "E"],
                          "recommended_action": ["cross_sell", "up_sell", "retain",
                                                 "cross_sell", "cross_sell"]})
    plays = offer_plays(customers, offers).to_pylist()
    assert [p["customer_id"] for p in plays] == ["A", "D", "B", "E"]
    assert [p["next_best_offer"] for p in plays] == ["cup", "cup", None, None]
    assert plays[2]["recommended_action"] == "up_sell"
    with pytest.raises(BasketError, match="recommended_action"):
        offer_plays(customers.drop_columns(["recommended_action"]), offers)
    with pytest.raises(BasketError, match="no product column"):
        next_best_offers(t.drop_columns(["product"]), association_rules([["x", "y"]], 0.5, 0.5))


def test_offer_plays_take_the_cells_cross_sell_and_up_sell_actions():
    t = _lines()
    offers = next_best_offers(t, association_rules(transaction_baskets(t), 0.2, 0.5))
    customers = pa.table({"customer_id": ["A", "B", "C", "D"],
                          "matrix_cell": ["HH-current", "LL-current", "HH-current", "HH-churned"],
                          "recommended_action": ["loyalty", "nurture", "loyalty", "win_back"]})
    cells = {"HH-current": ("loyalty", "cross_sell", "up_sell"), "LL-current": ("nurture",),
             "HH-churned": ("win_back", "cross_sell")}
    plays = offer_plays(customers, offers, cells).to_pylist()
    # B's cell has no offer action; D is to be won back first
    assert [(p["customer_id"], p["recommended_action"]) for p in plays] == [
        ("A", "cross_sell"), ("C", "cross_sell")]
    assert [p["next_best_offer"] for p in plays] == ["cup", "cup"]
