"""Baskets: what is bought together (association rules by FP-growth) and, per customer, the next
best offer — the product not yet bought with the highest expected margin × probability of
purchase."""

from .offers import next_best_offers, offer_plays
from .rules import association_rules, frequent_itemsets, read_baskets, transaction_baskets

__all__ = ["association_rules", "frequent_itemsets", "read_baskets", "transaction_baskets",
           "next_best_offers", "offer_plays"]
