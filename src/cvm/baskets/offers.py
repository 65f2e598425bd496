"""The next best offer: for each customer, the product not yet bought with the highest expected
margin × probability of purchase.

The probability that a customer buys product ``p`` is the highest confidence among the
association rules ``X ⇒ p`` whose antecedent ``X`` the customer has already bought (every item of
``X`` in some order of theirs) — even below ``p``'s overall rate, as a rule of lift < 1 says its
buyers take ``p`` less often; where no rule applies, the share of baskets holding ``p`` (its
support, the rate at which any basket takes it). The expected margin of ``p`` is its mean margin
per order line — the line's ``margin`` where the data has one, else ``margin_rate`` × the line's
amount. The offer's expected value is their product::

    expected_offer_value = probability_offer_purchase × expected_offer_margin

:func:`offer_plays` hands the offers to the playbook's ``cross_sell`` and ``up_sell`` actions: the
customers the playbook tells to cross-sell or up-sell (as the main action, or among their
cell's actions), each with the product to offer. The playbook's own figures (action, expected
gain) are left as they are.
"""

from __future__ import annotations

from collections import defaultdict

import pyarrow as pa

from .rules import BasketError

__all__ = ["next_best_offers", "offer_plays", "OFFER_ACTIONS"]

#: the playbook actions that an offer of a product serves
OFFER_ACTIONS = ("cross_sell", "up_sell")

_OFFER_SCHEMA = pa.schema([("customer_id", pa.string()), ("next_best_offer", pa.string()),
                           ("probability_offer_purchase", pa.float64()),
                           ("expected_offer_margin", pa.float64()),
                           ("expected_offer_value", pa.float64()),
                           ("offer_basis", pa.string())])


def _column(table: pa.Table, name: str) -> list:
    if name not in table.column_names:
        raise BasketError(f"the transactions have no {name} column; next best offers need "
                          "customer_id, order_id, product and amount")
    return table.column(name).to_pylist()


def next_best_offers(transactions: pa.Table, rules: pa.Table, *, item: str = "product",
                     margin_rate: float = 1.0) -> pa.Table:
    """One row per customer who bought something: ``next_best_offer`` (None when the customer
    has bought every product), ``probability_offer_purchase``, ``expected_offer_margin``,
    ``expected_offer_value`` and ``offer_basis`` (the rule's antecedent, or ``support``); sorted
    by expected value, highest first. ``rules`` is an :func:`~cvm.baskets.rules.association_rules`
    table over the same items (single-item consequents are used)."""
    customers = _column(transactions, "customer_id")
    orders = _column(transactions, "order_id")
    items = _column(transactions, item)
    amounts = _column(transactions, "amount")
    margins = (transactions.column("margin").to_pylist()
               if "margin" in transactions.column_names else [None] * len(items))
    bought: dict[str, set[str]] = defaultdict(set)
    baskets: dict[str, set[str]] = defaultdict(set)
    line_margin: dict[str, list[float]] = defaultdict(list)
    for c, o, p, a, m in zip(customers, orders, items, amounts, margins):
        if c is None or p is None or str(p).strip() == "":
            continue
        p = str(p).strip()
        bought[str(c)].add(p)
        if o is not None:
            baskets[str(o)].add(p)
        value = m if m is not None else (margin_rate * a if a is not None else None)
        if value is not None:
            line_margin[p].append(float(value))
    n_baskets = len(baskets)
    if n_baskets == 0:
        raise BasketError("no order holds a product: next best offers need order ids and "
                          "products on the transactions")
    in_baskets: dict[str, int] = defaultdict(int)
    for b in baskets.values():
        for p in b:
            in_baskets[p] += 1
    margin = {p: sum(v) / len(v) for p, v in line_margin.items() if v}
    products = sorted(margin)
    # rules by consequent: (antecedent items, confidence), highest confidence first
    by_consequent: dict[str, list[tuple[frozenset, float, str]]] = defaultdict(list)
    for r in rules.to_pylist():
        if " & " in r["consequent"]:
            continue
        by_consequent[r["consequent"]].append(
            (frozenset(r["antecedent"].split(" & ")), r["confidence"], r["antecedent"]))
    for v in by_consequent.values():
        v.sort(key=lambda t: -t[1])
    rows = []
    for c in sorted(bought):
        have = bought[c]
        best = None
        for p in products:
            if p in have:
                continue
            prob, basis = in_baskets[p] / n_baskets, "support"
            for ante, confidence, text in by_consequent.get(p, ()):  # highest confidence first
                if ante <= have:
                    prob, basis = confidence, text
                    break
            value = prob * margin[p]
            if best is None or value > best[3]:
                best = (p, prob, margin[p], value, basis)
        rows.append((c,) + best if best else (c, None, None, None, None, None))
    rows.sort(key=lambda r: (-(r[4] if r[4] is not None else float("-inf")), r[0]))
    return pa.Table.from_pylist([dict(zip(_OFFER_SCHEMA.names, r)) for r in rows],
                                schema=_OFFER_SCHEMA)


def offer_plays(customers: pa.Table, offers: pa.Table,
                cell_actions: dict[str, tuple[str, ...]] | None = None) -> pa.Table:
    """The customers the playbook tells to cross-sell or up-sell, each with its next best offer;
    sorted by the offer's expected value, highest first (customers without an offer last).

    Without ``cell_actions`` that is the customers whose ``recommended_action`` (the matrix
    stage's main action) is ``cross_sell`` or ``up_sell``. With ``cell_actions`` (each matrix
    cell's play actions, in order) it is the customers whose cell's play names either among its
    actions, the first of them taken — unless the customer is told to win back or let go."""
    needed = ("customer_id", "recommended_action") + (("matrix_cell",) if cell_actions else ())
    for name in needed:
        if name not in customers.column_names:
            raise BasketError(f"the customers have no {name} column; run the matrix stage first")
    offer = {r["customer_id"]: r for r in offers.to_pylist()}
    cells = (customers.column("matrix_cell").to_pylist() if cell_actions
             else [None] * customers.num_rows)
    rows = []
    for cid, action, cell in zip(customers.column("customer_id").to_pylist(),
                                 customers.column("recommended_action").to_pylist(), cells):
        if cell_actions is not None and action not in ("win_back", "let_go",
                                                                "service_recovery"):
            action = next((a for a in cell_actions.get(cell, ()) if a in OFFER_ACTIONS), action)
        if action not in OFFER_ACTIONS:
            continue
        o = offer.get(str(cid), {})
        rows.append({"customer_id": str(cid), "recommended_action": action,
                     "next_best_offer": o.get("next_best_offer"),
                     "probability_offer_purchase": o.get("probability_offer_purchase"),
                     "expected_offer_margin": o.get("expected_offer_margin"),
                     "expected_offer_value": o.get("expected_offer_value")})
    rows.sort(key=lambda r: (-(r["expected_offer_value"] if r["expected_offer_value"] is not None
                               else float("-inf")), r["customer_id"]))
    return pa.Table.from_pylist(rows, schema=pa.schema([
        ("customer_id", pa.string()), ("recommended_action", pa.string()),
        ("next_best_offer", pa.string()), ("probability_offer_purchase", pa.float64()),
        ("expected_offer_margin", pa.float64()), ("expected_offer_value", pa.float64())]))
