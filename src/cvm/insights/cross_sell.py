"""The cross-sell and uplift figures of a run, for the REST API and the dashboard: the basket
rules, the next best offers and the uplift models' held-out figures, as the run's cross-sell and
uplift stages stored them (:mod:`cvm.stages.cross_sell`, :mod:`cvm.stages.uplift`)."""

from __future__ import annotations

from ..workspace import Workspace
from .stored import StoredResults

__all__ = ["cross_sell"]

RULES = 50
OFFERS = 100
_NO_PRODUCTS = ("this run has no cross-sell results: its transactions carry no products by "
                "order (cvm demo has them)")


def cross_sell(results: StoredResults, run_id: int) -> dict:
    """``rules`` (the strongest ``RULES``), ``offers`` (the ``OFFERS`` next best offers of
    highest expected value: of the playbook's cross-sell and up-sell customers when the run had
    the matrix stage, with that action), the stage figures under
    ``summary``, and ``uplift`` (the uplift stage's figures, or None)."""
    info = results.summary(run_id).get("info") or {}
    stages = info.get("stages") or {}
    tables = results.run_tables(run_id)
    uplift = stages.get("uplift") or None
    if "basket_rules" not in tables:
        return {"available": False, "run_id": run_id, "as_of": info.get("as_of"),
                "reason": _NO_PRODUCTS, "uplift": uplift}
    rules = results.rows(f'SELECT * FROM "{Workspace.run_table(run_id, "basket_rules")}" '
                         f"ORDER BY lift DESC, confidence DESC, support DESC, antecedent, "
                         f"consequent LIMIT {RULES}")
    if "offer_plays" in tables:  # the playbook's cross-sell and up-sell customers
        offers = results.rows(
            f'SELECT * FROM "{Workspace.run_table(run_id, "offer_plays")}" '
            f"WHERE next_best_offer IS NOT NULL "
            f"ORDER BY expected_offer_value DESC, customer_id LIMIT {OFFERS}")
    else:
        offers = results.rows(
            f'SELECT *, NULL AS recommended_action '
            f'FROM "{Workspace.run_table(run_id, "next_best_offers")}" '
            f"WHERE next_best_offer IS NOT NULL "
            f"ORDER BY expected_offer_value DESC, customer_id LIMIT {OFFERS}")
    summary = {k: v for k, v in (stages.get("cross_sell") or {}).items() if k != "top_rules"}
    return {"available": True, "run_id": run_id, "as_of": info.get("as_of"), "rules": rules, "offers": offers,
            "summary": summary, "uplift": uplift}
