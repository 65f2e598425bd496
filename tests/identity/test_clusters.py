"""Clustering with decisions and stable ids, on hand-made graphs."""

from __future__ import annotations

import numpy as np

from cvm.identity.clusters import assign_ids, cluster_records

NONE = (np.array([], np.int64), np.array([], np.int64))


def pairs(*edges):
    return (np.array([a for a, _ in edges], np.int64), np.array([b for _, b in edges], np.int64))


def scored(*edges):
    return (np.array([a for a, _, _ in edges], np.int64), np.array([b for _, b, _ in edges]),
            np.array([p for _, _, p in edges], float))


def test_connected_components_without_decisions():
    c = cluster_records(6, must=NONE, prior=NONE, cannot=NONE,
                        scored=scored((0, 1, 0.99), (1, 2, 0.95), (4, 5, 0.97)))
    assert c.labels.tolist() == [0, 0, 0, 3, 4, 4]
    assert c.prevented == 0


def test_cannot_link_holds_through_other_records():
    # 0-1 and 1-2 are strong, but a person said 0 and 2 are different people:
    # 1 joins 0 (the stronger edge) and 2 stays apart
    c = cluster_records(3, must=NONE, prior=NONE, cannot=pairs((0, 2)),
                        scored=scored((1, 2, 0.95), (0, 1, 0.99)))
    labels = c.labels.tolist()
    assert labels[0] == labels[1] != labels[2]
    assert c.prevented == 1


def test_must_link_joins_what_the_model_kept_apart():
    c = cluster_records(4, must=pairs((0, 3)), prior=NONE, cannot=NONE,
                        scored=scored((0, 1, 0.99)))
    assert c.labels.tolist() == [0, 0, 2, 0]


def test_must_link_against_cannot_link_is_a_conflict_not_a_join():
    c = cluster_records(3, must=pairs((0, 1), (1, 2)), prior=NONE, cannot=pairs((0, 2)),
                        scored=NONE + (np.array([], float),))
    labels = c.labels.tolist()
    assert labels[0] == labels[1] != labels[2]
    assert c.conflicts == [(1, 2)]


def test_earlier_customers_stay_together_unless_split_by_a_person():
    prior = pairs((0, 1), (0, 2))
    kept = cluster_records(3, must=NONE, prior=prior, cannot=NONE,
                           scored=NONE + (np.array([], float),))
    assert len(set(kept.labels.tolist())) == 1
    split = cluster_records(3, must=NONE, prior=prior, cannot=pairs((0, 2)),
                            scored=NONE + (np.array([], float),))
    assert split.labels[0] == split.labels[1] != split.labels[2]


def test_every_record_in_exactly_one_cluster_at_scale():
    rng = np.random.default_rng(0)
    n = 20_000
    left = rng.integers(0, n, 30_000)
    right = rng.integers(0, n, 30_000)
    cannot = (rng.integers(0, n, 500), rng.integers(0, n, 500))
    keep = cannot[0] != cannot[1]
    cannot = (cannot[0][keep], cannot[1][keep])
    c = cluster_records(n, must=NONE, prior=NONE, cannot=cannot,
                        scored=(left, right, rng.random(30_000)))
    assert len(c.labels) == n
    # a cluster is labelled by its smallest member
    for label in np.unique(c.labels)[:200]:
        assert np.flatnonzero(c.labels == label).min() == label
    # no cannot-link pair shares a cluster
    assert not np.any(c.labels[cannot[0]] == c.labels[cannot[1]])
    assert c.prevented > 0


def test_ids_are_kept_merged_and_split():
    # records 0,1 were customer A; 2 was B; 3 is new; now 0,1,2,3 are one cluster
    merged = assign_ids(np.array([0, 0, 0, 0]), ["A", "A", "B", None], list("abcd"))
    assert merged.customer_ids == ["A"] * 4
    assert merged.merges == [("A", "B", 1)]
    # customer A's records 0 and 1 are split: the bigger part keeps A
    split = assign_ids(np.array([0, 0, 2]), ["A", "A", "A"], list("abc"))
    assert split.customer_ids == ["A", "A", "c"]
    assert split.splits == [("A", "c", 1)]
    # new clusters take the id of their first record; taken ids are not reused
    fresh = assign_ids(np.array([0, 0, 2]), [None, None, None], ["x", "y", "x"], taken={"y"})
    assert fresh.customer_ids == ["x", "x", "x~2"]
    # tie: the smaller id survives
    tie = assign_ids(np.array([0, 0]), ["K", "B"], ["k", "b"])
    assert tie.customer_ids == ["B", "B"] and tie.merges == [("B", "K", 1)]
