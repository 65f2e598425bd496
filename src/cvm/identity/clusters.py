"""Records → customers: clusters from scored pairs, people's decisions and earlier links, and
unified ids that stay the same from one linkage to the next.

Clustering joins records along these edges, strongest first:

1. pairs a person said are the same customer (accepted pairs, must-link);
2. records that were one customer in the previous linkage (so a customer keeps its records);
3. pairs the model scored at or above the match threshold, most probable first.

Without cannot-link decisions this is the connected components of those edges. A pair a person
said are different customers (rejected pairs, cannot-link) is never joined, directly or through
other records: in a component holding such a pair the edges are replayed in the order above and
an edge that would put the two in one customer is skipped. So a person can split a customer,
and no model score can undo it.

Ids: each new cluster takes the id that most of its records had before (ties: the smaller id);
an id goes to the cluster holding most of its records. A cluster whose records had several ids
keeps one and records the others as merged into it; records that leave a customer form new
customers (a split). A cluster of records never linked before gets the id the first of them
would have had on its own (its source id, or ``source:id`` outside the default source).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

__all__ = ["Clustering", "cluster_records", "assign_ids", "IdAssignment"]


@dataclass
class Clustering:
    """A cluster label per record, and how many joins the cannot-link decisions prevented."""

    labels: np.ndarray
    prevented: int = 0
    conflicts: list[tuple[int, int]] = field(default_factory=list)


def _edges(*groups: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    left = [np.asarray(l, dtype=np.int64) for l, _ in groups]
    right = [np.asarray(r, dtype=np.int64) for _, r in groups]
    return (np.concatenate(left) if left else np.empty(0, np.int64),
            np.concatenate(right) if right else np.empty(0, np.int64))


def cluster_records(n: int, *, must: tuple[np.ndarray, np.ndarray],
                    prior: tuple[np.ndarray, np.ndarray],
                    scored: tuple[np.ndarray, np.ndarray, np.ndarray],
                    cannot: tuple[np.ndarray, np.ndarray]) -> Clustering:
    """Cluster ``n`` records (ids ``0 … n-1``).

    ``must``, ``prior`` and ``cannot`` are pairs of id arrays; ``scored`` is (left, right,
    probability) of the model's pairs at or above the threshold.

    >>> import numpy as np
    >>> e = (np.array([], int), np.array([], int))
    >>> c = cluster_records(4, must=e, prior=e, cannot=(np.array([0]), np.array([2])),
    ...                     scored=(np.array([0, 1]), np.array([1, 2]), np.array([0.99, 0.95])))
    >>> c.labels.tolist(), c.prevented
    ([0, 0, 2, 3], 1)
    """
    order = np.argsort(-np.asarray(scored[2], dtype=float), kind="stable")
    scored_l = np.asarray(scored[0], dtype=np.int64)[order]
    scored_r = np.asarray(scored[1], dtype=np.int64)[order]
    left, right = _edges(must, prior, (scored_l, scored_r))
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    labels = labels.astype(np.int64)
    cannot_l = np.asarray(cannot[0], dtype=np.int64)
    cannot_r = np.asarray(cannot[1], dtype=np.int64)
    inside = labels[cannot_l] == labels[cannot_r] if len(cannot_l) else np.zeros(0, bool)
    if not inside.any():
        return Clustering(_canonical(labels))
    # replay the edges of the components that hold a cannot-link pair, refusing those joins
    affected = set(labels[cannot_l[inside]].tolist())
    in_affected = np.isin(labels[left], list(affected))
    parent = {}

    def find(x: int) -> int:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    apart: dict[int, set[int]] = defaultdict(set)
    for a, b in zip(cannot_l.tolist(), cannot_r.tolist()):
        apart[a].add(b)
        apart[b].add(a)
    prevented = 0
    conflicts: list[tuple[int, int]] = []
    n_must = len(must[0])
    positions = np.flatnonzero(in_affected)
    for k, (a, b) in enumerate(zip(left[in_affected].tolist(), right[in_affected].tolist())):
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        if rb in apart[ra]:
            prevented += 1
            if positions[k] < n_must:
                conflicts.append((a, b))
            continue
        if len(apart[ra]) < len(apart[rb]):
            ra, rb = rb, ra
        parent[rb] = ra
        for other in apart.pop(rb, set()):
            apart[other].discard(rb)
            apart[other].add(ra)
            apart[ra].add(other)
    members = np.flatnonzero(np.isin(labels, list(affected)))
    base = labels.max() + 1
    for x in members.tolist():
        labels[x] = base + find(x)
    return Clustering(_canonical(labels), prevented, conflicts)


def _canonical(labels: np.ndarray) -> np.ndarray:
    """Label each cluster by its smallest record id."""
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_labels)) + 1]
    first = np.minimum.reduceat(order, starts) if len(order) else order
    out = np.empty_like(labels)
    for s, e, f in zip(starts, np.r_[starts[1:], len(order)], first):
        out[order[s:e]] = f
    return out


@dataclass
class IdAssignment:
    """The unified id of each record, and the merges and splits against the previous ids."""

    customer_ids: list[str]
    merges: list[tuple[str, str, int]] = field(default_factory=list)  # (surviving, merged, records)
    splits: list[tuple[str, str, int]] = field(default_factory=list)  # (original, new, records)


def assign_ids(labels: np.ndarray, previous: list[str | None], default_ids: list[str],
               taken: set[str] | None = None) -> IdAssignment:
    """Give each cluster an id, keeping earlier ids (see the module documentation).

    ``previous`` is each record's earlier unified id (``None`` for a new record);
    ``default_ids`` the id each record would have on its own; ``taken`` ids in use elsewhere.

    >>> r = assign_ids(np.array([0, 0, 2, 2]), ["A", "B", "B", None], ["a", "b", "c", "d"])
    >>> r.customer_ids, r.merges, r.splits
    (['A', 'A', 'B', 'B'], [], [('B', 'A', 1)])
    """
    n = len(labels)
    counts: dict[tuple[int, str], int] = defaultdict(int)
    for lab, prev in zip(labels.tolist(), previous):
        if prev is not None:
            counts[(lab, prev)] += 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][1], kv[0][0]))
    cluster_id: dict[int, str] = {}
    owner: dict[str, int] = {}
    for (lab, prev), _ in ranked:
        if lab in cluster_id or prev in owner:
            continue
        cluster_id[lab] = prev
        owner[prev] = lab
    used = set(taken or ()) | set(owner)
    first_record: dict[int, int] = {}
    for i, lab in enumerate(labels.tolist()):
        first_record.setdefault(lab, i)
    for lab, i in sorted(first_record.items(), key=lambda kv: kv[1]):
        if lab in cluster_id:
            continue
        base = default_ids[i]
        candidate, k = base, 1
        while candidate in used:
            k += 1
            candidate = f"{base}~{k}"
        cluster_id[lab] = candidate
        used.add(candidate)
    ids = [cluster_id[lab] for lab in labels.tolist()]
    merges, splits = [], []
    moved: dict[tuple[str, str], int] = defaultdict(int)
    for prev, new in zip(previous, ids):
        if prev is not None and prev != new:
            moved[(prev, new)] += 1
    for (prev, new), k in sorted(moved.items()):
        if prev in owner:
            splits.append((prev, new, k))
        else:
            merges.append((new, prev, k))
    assert len(ids) == n
    return IdAssignment(ids, merges, splits)
