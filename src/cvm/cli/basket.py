"""Basket commands: ``cvm basket rules``."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from . import friendly_errors, main, note, output


@main.group("basket")
def basket() -> None:
    """Cross-sell: what is bought together, and each customer's next best offer."""


def _transactions(path: str):
    """The transactions of a file, read by the ordinary loader (column guessing, parsing,
    rejects) into a throwaway workspace."""
    from ..ingest.load import load_transactions
    from ..workspace import Workspace

    with Workspace(":memory:") as ws:
        load_transactions(ws, path)
        return ws.arrow("SELECT source_customer_id AS customer_id, order_id, product, category, "
                        "amount, margin "
                        "FROM transactions ORDER BY file_id, source_row")


@basket.command("rules")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--min-support", type=click.FloatRange(0, 1, min_open=True), default=0.01,
              show_default=True, help="Least share of baskets that hold a rule's items.")
@click.option("--min-confidence", type=click.FloatRange(0, 1), default=0.5, show_default=True,
              help="Least share of the antecedent's baskets that hold the consequent too.")
@click.option("--baskets", "basket_file", is_flag=True,
              help="FILE is a basket file: one basket per line, items separated by commas, no "
                   "header (otherwise FILE holds transactions, one line per product of an order).")
@click.option("--item", type=click.Choice(["product", "category"]), default="product",
              show_default=True, help="For transactions: mine products or categories.")
@click.option("--all-consequents", is_flag=True,
              help="Rules with several items as consequent too (default: one item).")
@click.option("--margin-rate", type=click.FloatRange(0, 1), default=1.0, show_default=True,
              help="For transactions without a margin column: the share of a line's amount that "
                   "is margin, for the next best offers.")
@click.option("--out", default="cvm-basket", show_default=True,
              help="Folder for rules.csv (and next_best_offers.csv for transactions).")
@friendly_errors
def rules(file, min_support, min_confidence, basket_file, item, all_consequents, margin_rate,
          out):
    """Association rules by FP-growth, with support, confidence and lift.

    Reads transactions (the lines of one order id are one basket, each line's product or
    category an item) or, with --baskets, a basket file. Writes OUT/rules.csv (antecedent,
    consequent, support, confidence, lift; the items of a multi-item antecedent joined by
    " & "); for transactions with customer ids also OUT/next_best_offers.csv: per customer the
    product not yet bought with the highest expected margin × probability of purchase.
    """
    from ..baskets.offers import next_best_offers
    from ..baskets.rules import association_rules, read_baskets, transaction_baskets

    transactions = None
    if basket_file:
        baskets = read_baskets(file)
    else:
        transactions = _transactions(file)
        baskets = transaction_baskets(transactions, item=item)
    table = association_rules(baskets, min_support, min_confidence,
                              single_consequent=not all_consequents)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    table.to_pandas().to_csv(folder / "rules.csv", index=False, float_format="%.6g")
    written = [folder / "rules.csv"]
    if transactions is not None:
        offers = next_best_offers(transactions, table, item=item, margin_rate=margin_rate)
        offers.to_pandas().to_csv(folder / "next_best_offers.csv", index=False,
                                  float_format="%.6g")
        written.append(folder / "next_best_offers.csv")
    shown = Table(title=f"{table.num_rows:,} rules from {len(baskets):,} baskets "
                        f"(support ≥ {min_support:g}, confidence ≥ {min_confidence:g})",
                  title_justify="left")
    for col in ("antecedent", "consequent", "support", "confidence", "lift"):
        shown.add_column(col, justify="left" if col in ("antecedent", "consequent") else "right")
    for r in table.slice(0, 10).to_pylist():
        shown.add_row(r["antecedent"], r["consequent"], f"{r['support']:.4f}",
                      f"{r['confidence']:.3f}", f"{r['lift']:.2f}")
    output.print(shown)
    note("Written: " + ", ".join(f"[bold]{p}[/]" for p in written) + ".")
