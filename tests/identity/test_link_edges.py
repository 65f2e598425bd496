"""Linking by hand: the options' bounds, the helpers that read earlier links and decisions, and
a small linkage followed by a decision, in real DuckDB workspaces."""

from __future__ import annotations

import dataclasses
import json
import time

import numpy as np
import pyarrow as pa
import pytest

from cvm.identity import LinkError, LinkOptions, link
from cvm.identity.decisions import Decision
from cvm.identity.link import (
    IDENTITY_DDL,
    _decided_mask,
    _decision_edges,
    _pair_table,
    _previous,
    _source_pairs,
)
from cvm.identity.model import COMPARISONS
from cvm.workspace import Workspace


@pytest.mark.parametrize("kwargs, message", [
    ({"threshold": 0.0}, "the match threshold must be between 0 and 1, not 0.0"),
    ({"threshold": 1.0}, "the match threshold must be between 0 and 1, not 1.0"),
    ({"review_threshold": 0.0}, "the review threshold must be above 0 and at most the match "
                                "threshold 0.9, not 0.0"),
    ({"threshold": 0.6, "review_threshold": 0.61}, "at most the match threshold 0.6, not 0.61"),
    ({"region": "cn"}, "region must be a two-letter country code like CN, not 'cn'"),
    ({"region": "CHN"}, "not 'CHN'"), ({"region": "C1"}, "not 'C1'"),
    ({"engine": "polars"}, "engine must be duckdb or spark, not 'polars'"),
])
def test_options_out_of_bounds_are_refused(kwargs, message):
    with pytest.raises(LinkError) as refused:
        LinkOptions(**kwargs)
    assert message in str(refused.value)


def test_options_at_their_bounds_are_taken():
    options = LinkOptions()
    with pytest.raises(dataclasses.FrozenInstanceError):   # checked once: not changed after
        options.threshold = 1.5
    assert LinkOptions(threshold=0.6, review_threshold=0.6).review_threshold == 0.6
    assert LinkOptions(threshold=1e-9, review_threshold=1e-9, region="HK",
                       engine="spark").engine == "spark"


def test_customers_shared_by_sources_by_hand():
    sources = ["crm", "crm", "web", "web", "shop", "crm", "web", "crm"]
    customer_ids = ["a", "a", "a", "b", "b", "d", "d", "c"]
    # a: twice in crm and once in web; b: web and shop; d: crm and web; c alone
    assert list(_source_pairs(sources, customer_ids).items()) == [
        ("crm – web", 2), ("crm – crm", 1), ("shop – web", 1)]
    assert _source_pairs(["crm"], ["a"]) == {}


def test_decided_pairs_by_hand():
    left, right = np.array([0, 1, 2]), np.array([1, 2, 3])
    must = (np.array([1]), np.array([0]))    # either order of the pair
    cannot = (np.array([2]), np.array([3]))
    none = (np.array([], np.int64), np.array([], np.int64))
    assert _decided_mask(left, right, must, cannot).tolist() == [True, False, True]
    assert _decided_mask(left, right, none, cannot).tolist() == [False, False, True]
    assert _decided_mask(left, right, none, none).tolist() == [False, False, False]
    assert _decided_mask(np.array([], np.int64), np.array([], np.int64), must, cannot).size == 0


@pytest.fixture
def ws(tmp_path):
    with Workspace(tmp_path / "ws.duckdb") as w:
        w.con.execute(IDENTITY_DDL)
        yield w


def test_earlier_links_by_hand(ws):
    ws.con.execute("INSERT INTO xref VALUES ('crm', '1', 'X', 'linked', now()), "
                   "('crm', '2', 'X', 'linked', now()), ('web', '3', 'X', 'unlinkable', now()), "
                   "('web', '4', 'Y', 'model', now())")
    records = pa.table({"record_id": [0, 1, 2, 3, 4],
                        "source": ["crm", "crm", "web", "web", "shop"],
                        "source_customer_id": ["1", "2", "3", "4", "5"]})
    previous, (left, right) = _previous(ws, records)
    assert previous == ["X", "X", "X", "Y", None]
    # the linked and unlinkable records of X held together; Y came from elsewhere
    assert (left.tolist(), right.tolist()) == ([0, 0], [1, 2])


def test_decisions_by_hand(ws):
    ws.con.execute("INSERT INTO identity_decisions VALUES "
                   "('crm', '1', 'crm', '2', 'link', 'file', now()), "
                   "('web', '3', 'crm', '2', 'separate', 'file', now()), "
                   "('crm', '1', 'crm', '9', 'link', 'file', now()), "      # no such record
                   "('crm', '9', 'crm', '1', 'separate', 'file', now()), "  # nor here
                   "('crm', '1', 'crm', '1', 'link', 'file', now())")       # a record with itself
    key_to_record = {("crm", "1"): 0, ("crm", "2"): 1, ("web", "3"): 2}
    (must_l, must_r), (cannot_l, cannot_r), unknown = _decision_edges(ws, key_to_record)
    assert (must_l.tolist(), must_r.tolist()) == ([0], [1])
    assert (cannot_l.tolist(), cannot_r.tolist()) == ([1], [2])
    assert unknown == 2    # the pair with crm 9 (its latest decision), and 1 with itself


def test_pair_table_by_hand():
    records = pa.table({"source": ["crm", "web", "crm"], "source_customer_id": ["1", "2", "3"]})
    pairs = pa.table({"record_id_l": pa.array([0, 1], pa.int64()),
                      "record_id_r": pa.array([1, 2], pa.int64()),
                      "match_probability": [0.95, 0.6], "match_weight": [4.2, 0.6],
                      **{f"gamma_{c}": pa.array([i, -1], pa.int32())
                         for i, c in enumerate(COMPARISONS)}})
    table = _pair_table(7, records, ["A", "A", "B"], pairs, np.array(["linked", "review"]))
    rows = table.to_pylist()
    assert rows[0] == {"link_id": 7, "source_l": "crm", "source_customer_id_l": "1",
                       "source_r": "web", "source_customer_id_r": "2", "customer_id_l": "A",
                       "customer_id_r": "A", "match_probability": 0.95, "match_weight": 4.2,
                       "status": "linked", **{f"gamma_{c}": i for i, c in enumerate(COMPARISONS)}}
    assert (rows[1]["source_customer_id_l"], rows[1]["customer_id_r"], rows[1]["status"],
            rows[1]["gamma_name"]) == ("2", "B", "review", -1)
    empty = _pair_table(1, records, ["A", "A", "B"], pairs.slice(0, 0), np.array([]))
    assert empty.num_rows == 0 and empty.schema.field("status").type == pa.string()


def test_a_small_linkage_and_a_decision_that_splits_it(tmp_path):
    crm = tmp_path / "crm.csv"
    crm.write_text("customer_id,name,phone,email,birth_date,city\n"
                   "C1,张伟,13812345678,zw@qq.com,1990-01-02,上海\n"
                   "C2,張偉,+86 138-1234-5678,,1990-01-02,上海市\n"
                   "C3,,,,,\n"
                   "C5,王芳,13900001111,,1985-05-05,北京\n", encoding="utf-8")
    web = tmp_path / "shop.csv"
    web.write_text("customer_id,name,email\nW2,李娜,ln@163.com\n", encoding="utf-8")
    with Workspace(tmp_path / "ws.duckdb") as ws:
        started = time.perf_counter()
        first = link(ws, [crm, web])
        took = time.perf_counter() - started
        assert set(first.seconds) == {"normalise", "score", "cluster", "golden", "store"}
        assert all(0 <= v <= took for v in first.seconds.values())
        assert (first.link_id, first.records, first.linkable, first.customers) == (1, 5, 4, 4)
        assert (first.pairs_scored, first.review_pairs, first.multi_record_customers) == (1, 0, 1)
        assert first.source_pairs == {"crm – crm": 1}
        assert [(load.file.split("/")[-1], load.rows_loaded) for load in first.loads] == [
            ("crm.csv", 4), ("shop.csv", 1)]
        assert ws.query("SELECT source, source_customer_id, customer_id, method FROM xref "
                        "ORDER BY 1, 2") == [
            ("crm", "C1", "crm:C1", "linked"), ("crm", "C2", "crm:C1", "linked"),
            ("crm", "C3", "crm:C3", "unlinkable"), ("crm", "C5", "crm:C5", "linked"),
            ("shop", "W2", "shop:W2", "linked")]
        assert ws.query("SELECT source_customer_id_l, source_customer_id_r, customer_id_l, "
                        "customer_id_r, status FROM identity_pairs") == [
            ("C1", "C2", "crm:C1", "crm:C1", "linked")]
        assert ws.query("SELECT link_id, source, source_customer_id, customer_id "
                        "FROM identity_rejects") == [(1, "crm", "C3", "crm:C3")]
        row = ws.query("SELECT link_id, engine, records, linkable, customers, pairs_scored, "
                       "review_pairs, merges, splits, options, summary FROM identity_links")[0]
        assert row[:9] == (1, "duckdb", 5, 4, 4, 1, 0, 0, 0)
        started_at, finished_at = ws.query("SELECT started_at, finished_at FROM identity_links")[0]
        assert started_at.microsecond == finished_at.microsecond == 0
        assert json.loads(row[9])["threshold"] == 0.9
        summary = json.loads(row[10])
        assert "levels" not in summary and summary["source_pairs"] == {"crm – crm": 1}
        assert ws.count("identity_golden") == 4

        second = link(ws, decisions=[
            Decision("crm", "C1", "crm", "C2", "separate", "test"),
            Decision("crm", "C1", "crm", "C404", "link", "test")])
        assert (second.link_id, second.customers, second.splits, second.merges) == (2, 5, 1, 0)
        assert (second.unknown_decisions, second.source_pairs, second.loads) == (1, {}, [])
        assert ws.query("SELECT customer_id FROM xref WHERE source_customer_id = 'C2'") == [
            ("crm:C2",)]
        assert ws.query("SELECT status, customer_id_l, customer_id_r FROM identity_pairs") == [
            ("decided", "crm:C1", "crm:C2")]
        assert ws.query("SELECT link_id, event, customer_id, other_id, records "
                        "FROM identity_events") == [(2, "split", "crm:C1", "crm:C2", 1)]
        assert ws.query("SELECT link_id FROM identity_rejects") == [(2,)]
        assert ws.query("SELECT link_id FROM identity_links ORDER BY 1") == [(1,), (2,)]


def test_an_empty_workspace_and_a_single_linkable_record(tmp_path):
    with Workspace(tmp_path / "ws.duckdb") as ws:
        with pytest.raises(LinkError, match="holds no customer records"):
            link(ws)
        # an id held by a record that is no longer in the lists is not given out again
        ws.con.execute(IDENTITY_DDL)
        ws.con.execute("INSERT INTO xref VALUES ('gone', '1', 'crm:C1', 'linked', now())")
        crm = tmp_path / "crm.csv"
        crm.write_text("customer_id,name,phone\nC1,张伟,13812345678\nC3,,\n", encoding="utf-8")
        result = link(ws, [crm])   # one linkable record: nothing to score
        assert (result.records, result.linkable, result.customers) == (2, 1, 2)
        assert (result.pairs_scored, result.review_pairs, result.levels) == (0, 0, [])
        assert result.prior_match_weight == 0.0
        assert ws.count("identity_pairs") == 0
        assert ws.query("SELECT source_customer_id, customer_id FROM xref WHERE source = 'crm' "
                        "ORDER BY 1") == [("C1", "crm:C1~2"), ("C3", "crm:C3")]


def test_two_linkable_records_are_scored_and_a_pair_at_the_threshold_is_one_customer(tmp_path):
    crm = tmp_path / "crm.csv"
    crm.write_text("customer_id,name,phone,birth_date,city\n"
                   "C1,张伟,13812345678,1990-01-02,上海\n"
                   "C2,張偉,+86 138-1234-5678,1990-01-02,上海市\n", encoding="utf-8")
    with Workspace(tmp_path / "first.duckdb") as ws:
        first = link(ws, [crm])
        assert (first.pairs_scored, first.customers) == (1, 1)
        (p,) = ws.query("SELECT match_probability FROM identity_pairs")[0]
    assert 0.9 <= p < 1.0
    # the same pair with the match threshold exactly at its probability: still one customer
    with Workspace(tmp_path / "second.duckdb") as ws:
        again = link(ws, [crm], options=LinkOptions(threshold=p))
        assert again.customers == 1
        assert ws.query("SELECT match_probability, status FROM identity_pairs") == [(p, "linked")]
