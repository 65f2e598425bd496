"""One customer's 360° view: the identity view's, with the ids merged into the customer."""

from __future__ import annotations

import datetime as dt

import pytest

from cvm.insights import NotFound, customer_360


def test_a_merged_id_finds_the_customer_it_was_merged_into(merged):
    view = customer_360(merged, 2, "X")
    assert view["customer_id"] == "A"
    assert view["customer"]["monetary_total"] == 35.0
    # run 1 held A and X apart: both rows are A's history, X's under its own id
    assert [(h["run_id"], h.get("customer_id"), h["monetary_total"]) for h in view["history"]] \
        == [(1, None, 15.0), (1, "X", 20.0), (2, None, 35.0)]
    assert [h["as_of"] for h in view["history"]] == ["2024-03-01", "2024-03-01", "2024-03-31"]
    assert view["purchase_totals"] == {"transactions": 3, "amount": 35.0,
                                       "first": dt.date(2024, 1, 5),
                                       "last": dt.date(2024, 3, 1)}
    assert [p["amount"] for p in view["purchases"]] == [5.0, 20.0, 10.0]
    assert [(s["source_customer_id"], s["name"], s["method"]) for s in view["sources"]] == \
        [("A", "Li Wei", "rule"), ("X", "Li W.", "model")]
    assert view["history"][0]["rfm_segment_label"] == "Loyal"


def test_a_source_id_and_the_unified_id_give_the_same_view(merged):
    assert customer_360(merged, 2, "shop:X") == customer_360(merged, 2, "A")


def test_an_unknown_customer_is_not_found_in_the_run(merged):
    with pytest.raises(NotFound, match=r"^no customer 'nobody' in run 2$"):
        customer_360(merged, 2, "nobody")
