"""Clustering and id assignment at their edges, on hand-made graphs: split clusters beside
untouched ones, a split of an earlier customer that is not a person's conflict, no records,
and ids already in use."""

from __future__ import annotations

import numpy as np

from cvm.identity.clusters import assign_ids, cluster_records

NONE = (np.array([], np.int64), np.array([], np.int64))
NO_SCORES = NONE + (np.array([], float),)


def pairs(*edges):
    return (np.array([a for a, _ in edges], np.int64), np.array([b for _, b in edges], np.int64))


def test_a_split_cluster_keeps_apart_from_the_clusters_beside_it():
    # 0-1 scored but said to be different people; 2 and 3 alone (component labels 1 and 2):
    # the split parts must not take the labels of 2 or 3
    c = cluster_records(4, must=NONE, prior=NONE, cannot=pairs((0, 1)),
                        scored=(np.array([0]), np.array([1]), np.array([0.99])))
    assert c.labels.tolist() == [0, 1, 2, 3]
    assert (c.prevented, c.conflicts) == (1, [])
    # the module's example: 0-1 and 1-2 scored, 0 and 2 apart, 3 alone
    c = cluster_records(4, must=NONE, prior=NONE, cannot=pairs((0, 2)),
                        scored=(np.array([0, 1]), np.array([1, 2]), np.array([0.99, 0.95])))
    assert c.labels.tolist() == [0, 0, 2, 3] and c.prevented == 1


def test_a_person_splitting_an_earlier_customer_is_no_conflict():
    # records 1, 2 and 3 were one customer; a person says 1 and 3 are different people
    prior = pairs((1, 2), (2, 3))
    c = cluster_records(5, must=NONE, prior=prior, cannot=pairs((1, 3)), scored=NO_SCORES)
    assert c.labels.tolist() == [0, 1, 1, 3, 4]
    assert (c.prevented, c.conflicts) == (1, [])
    # the same split asked of a must-link pair is a conflict
    c = cluster_records(5, must=pairs((1, 2), (2, 3)), prior=NONE, cannot=pairs((1, 3)),
                        scored=NO_SCORES)
    assert (c.prevented, c.conflicts) == (1, [(2, 3)])


def test_long_chains_are_followed_to_their_roots():
    # 0-1-2-3-4-5 scored in an order that builds deep trees; 0 and 5 apart
    scored = (np.array([4, 3, 2, 1, 0]), np.array([5, 4, 3, 2, 1]),
              np.array([0.99, 0.98, 0.97, 0.96, 0.95]))
    c = cluster_records(7, must=NONE, prior=NONE, cannot=pairs((0, 5)), scored=scored)
    assert c.labels.tolist() == [0, 1, 1, 1, 1, 1, 6]
    assert c.prevented == 1


def test_no_records():
    c = cluster_records(0, must=NONE, prior=NONE, cannot=NONE, scored=NO_SCORES)
    assert c.labels.tolist() == [] and c.prevented == 0


def test_new_ids_avoid_ids_in_use():
    # a new cluster whose own id is taken elsewhere, or is an existing customer's id
    r = assign_ids(np.array([0, 1, 2]), [None, "K", None], ["y", "k", "K"], taken={"y"})
    assert r.customer_ids == ["y~2", "K", "K~2"]
    assert (r.merges, r.splits) == ([], [])
    # three clusters wanting the same id: ~2 and ~3
    r = assign_ids(np.array([0, 1, 2]), [None, None, None], ["x", "x", "x"])
    assert r.customer_ids == ["x", "x~2", "x~3"]


def test_merges_and_splits_count_their_records():
    # A's three records: two stay, one leaves A for B's two (a split of A, as A lives on);
    # C's only record joins B too (a merge, as C is gone)
    labels = np.array([0, 0, 2, 2, 2, 2])
    r = assign_ids(labels, ["A", "A", "A", "B", "B", "C"], list("abcdef"))
    assert r.customer_ids == ["A", "A", "B", "B", "B", "B"]
    assert r.merges == [("B", "C", 1)]
    assert r.splits == [("A", "B", 1)]
    r = assign_ids(np.array([0, 0, 0]), ["E", "F", "F"], list("abc"))
    assert r.customer_ids == ["F", "F", "F"] and r.merges == [("F", "E", 1)]
    # most records decide: D keeps the cluster holding two of its three records
    r = assign_ids(np.array([0, 1, 1]), ["D", "D", "D"], list("abc"))
    assert r.customer_ids == ["a", "D", "D"] and r.splits == [("D", "a", 1)]
