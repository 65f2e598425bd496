"""The README's "Cross-sell and uplift" commands run as written, on the files they name:
Groceries as a basket file, transactions with products made from the demo's receipts and order
lines, and the demo's past campaign (the files ``cvm demo`` writes)."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

from test_readme_examples import _blocks, _commands, _section, cvm


def test_cross_sell_and_uplift_commands_run_as_written(tmp_path):
    from cvm.demo import write_demo_data
    from cvm.demo_orders import write_demo_campaign, write_order_lines

    data = tmp_path / "demo"
    tx, _ = write_demo_data(data, customers=300)
    write_order_lines(data, tx)
    write_demo_campaign(data, tx)
    groceries = Path(__file__).parent / "data" / "groceries.csv.gz"
    (tmp_path / "groceries.csv").write_bytes(gzip.decompress(groceries.read_bytes()))
    (tmp_path / "campaign.csv").write_bytes((data / "demo_campaign.csv").read_bytes())
    # transactions with a product on each line: the demo's receipts and their order lines
    receipts = {}
    with (data / "demo_transactions.csv").open(encoding="utf-8") as fh:
        for row in list(csv.reader(fh))[1:]:
            receipts.setdefault(row[5], row)
    with (data / "demo_order_lines.csv").open(encoding="utf-8") as fh, \
            (tmp_path / "order-lines.csv").open("w", newline="", encoding="utf-8") as out:
        w = csv.writer(out)
        w.writerow(["会员编号", "交易时间", "订单号", "商品", "金额", "毛利"])
        for order, product, _qty, amount, margin in list(csv.reader(fh))[1:]:
            r = receipts[order]
            w.writerow([r[0], r[1], order, product, amount, margin])
    commands = [c for b in _blocks(_section("## Cross-sell and uplift")) for c in _commands(b)]
    assert len(commands) == 3
    for command in commands:
        cvm(command, tmp_path)
    with (tmp_path / "basket" / "rules.csv").open(encoding="utf-8") as fh:
        assert sum(1 for _ in fh) == 463 + 1  # as the README says
    offers = list(csv.DictReader((tmp_path / "shop-basket" / "next_best_offers.csv").open(
        encoding="utf-8")))
    assert offers and all(float(o["expected_offer_value"]) > 0 for o in offers
                          if o["next_best_offer"])
    scores = list(csv.DictReader((tmp_path / "uplift" / "uplift_scores.csv").open(
        encoding="utf-8")))
    assert list(scores[0]) == ["id", "uplift", "treated", "outcome"]
