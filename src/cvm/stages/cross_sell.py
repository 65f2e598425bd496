"""The cross-sell stage: association rules over the run's orders and each customer's next best
offer (:mod:`cvm.baskets`), handed to the playbook's ``cross_sell`` and ``up_sell`` customers.

The baskets are the products of each order id: the run's transactions where they carry a
product, or an order-lines file (``order_lines``: order id, product, amount, optional margin,
columns named as the transaction loader knows them) joined to the run's transactions by order
id. A run without products gets no rules and no section; the stage adds no customer column, so
every other figure of the run stays as it is. It is not in the default stages: a run takes it
with ``stages=[*DEFAULT_STAGES, CrossSellStage()]`` (``cvm demo`` does).

Stored with the run: ``basket_rules``, ``next_best_offers`` (every customer) and
``offer_plays`` (the playbook's cross-sell and up-sell customers with their offers); figures for the report under
``info["stages"]["cross_sell"]``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa

from ..baskets.offers import next_best_offers, offer_plays
from ..baskets.rules import association_rules, transaction_baskets
from ..schema import TRANSACTION_FIELDS
from ..segments.playbook import load_playbook
from .contract import Stage, StageResult

__all__ = ["CrossSellStage"]

TOP = 10


def _key(name: str) -> str:
    return "".join(ch for ch in str(name).lower() if ch not in " _-")


def _order_lines(path: Path) -> pd.DataFrame:
    """An order-lines file with its columns named by the loader's aliases."""
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    wanted = {f.name: f for f in TRANSACTION_FIELDS
              if f.name in ("order_id", "product", "category", "amount", "margin")}
    rename = {}
    for col in frame.columns:
        for name, f in wanted.items():
            if _key(col) == name.replace("_", "") or _key(col) in f.aliases:
                rename.setdefault(col, name)
    frame = frame.rename(columns=rename)
    for name in ("amount", "margin"):
        if name in frame.columns:
            frame[name] = pd.to_numeric(frame[name].str.replace(",", ""), errors="coerce")
    return frame


class CrossSellStage(Stage):
    name = "cross_sell"
    needs = ("customer_id",)
    uses = ("recommended_action", "matrix_cell")

    def __init__(self, order_lines: str | Path | None = None, *, min_support: float = 0.01,
                 min_confidence: float = 0.2, margin_rate: float = 1.0):
        self.order_lines = order_lines
        self.min_support = min_support
        self.min_confidence = min_confidence
        self.margin_rate = margin_rate

    def adds(self, config) -> tuple[str, ...]:
        return ()

    def _lines(self, ctx) -> pa.Table | None:
        if self.order_lines is None:
            lines = ctx.ws.arrow(
                "SELECT customer_id, order_id, product, amount, margin FROM unified_transactions"
                " WHERE order_id IS NOT NULL AND product IS NOT NULL")
            return lines if lines.num_rows else None
        owners = ctx.ws.arrow("SELECT DISTINCT order_id, customer_id FROM unified_transactions "
                              "WHERE order_id IS NOT NULL").to_pandas()
        owners = owners.drop_duplicates("order_id")
        lines = _order_lines(Path(self.order_lines)).merge(owners, on="order_id", how="inner")
        if not len(lines) or "product" not in lines.columns:
            return None
        columns = [c for c in ("customer_id", "order_id", "product", "amount", "margin")
                   if c in lines.columns]
        return pa.Table.from_pandas(lines[columns], preserve_index=False)

    def finish(self, ctx, customers: pa.Table, state) -> StageResult:
        lines = self._lines(ctx)
        if lines is None:
            return StageResult(customers)
        baskets = transaction_baskets(lines)
        rules = association_rules(baskets, self.min_support, self.min_confidence)
        offers = next_best_offers(lines, rules, margin_rate=self.margin_rate)
        summary = {
            "orders": len(baskets), "products": len({p for b in baskets for p in b}),
            "min_support": self.min_support, "min_confidence": self.min_confidence,
            "rules": rules.num_rows, "top_rules": rules.slice(0, TOP).to_pylist(),
            "customers_with_offer": int(sum(o is not None for o in
                                            offers.column("next_best_offer").to_pylist())),
        }
        if {"recommended_action", "matrix_cell"} <= set(customers.column_names):
            cfg = ctx.config
            playbook = load_playbook(cfg.matrix.playbook, lang=cfg.lang, scheme=cfg.matrix.scheme,
                                     lifecycle_scheme=cfg.lifecycle.scheme)
            plays = offer_plays(customers, offers,
                                {c: p.actions for c, p in playbook.plays.items()})
            counts = pd.Series(plays.column("next_best_offer").to_pylist()).value_counts()
            summary.update({
                "offer_customers": plays.num_rows,
                "offer_value_total": float(sum(v for v in plays.column(
                    "expected_offer_value").to_pylist() if v is not None)),
                "top_offers": plays.slice(0, TOP).to_pylist(),
                "offer_products": [{"product": p, "customers": int(n)}
                                   for p, n in counts.head(TOP).items()],
            })
        tables = {"basket_rules": rules, "next_best_offers": offers}
        if "top_offers" in summary:
            tables["offer_plays"] = plays
        return StageResult(customers, tables, summary)
