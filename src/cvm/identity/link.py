"""Linking the workspace's customer records into unified customers.

:func:`link_customers` normalises every record in ``source_customers``, scores candidate pairs
with the Splink model, clusters them honouring people's decisions and earlier links, gives each
cluster a stable unified id, builds golden records, and stores everything in one workspace
transaction:

- ``xref``: every (source, source id) → ``customer_id`` (method ``linked``, or ``unlinkable``
  for a record with nothing to link on, which stays a customer of its own);
- ``identity_golden``: one golden record per unified customer (:mod:`cvm.identity.golden`);
- ``identity_pairs``: the last linkage's scored pairs at or above the review threshold, with
  the level each field reached and what became of the pair (``linked``: same customer;
  ``review``: below the match threshold, different customers; ``decided``: a person decided;
  ``separated``: above the threshold but kept apart by a cannot-link through other records);
- ``identity_events``: merges (two earlier customers became one; the surviving id is kept) and
  splits (records left a customer), per linkage;
- ``identity_rejects``: the records that could not be linked, with the reason;
- ``identity_links``: one row per linkage with its counts, settings and the trained model;
- ``identity_decisions``: people's decisions (:mod:`cvm.identity.decisions`).

:func:`link` is the one-call job: load customer files, store decisions, link.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..config import IngestOptions, Mapping
from ..engine import ENGINES
from ..ingest.load import LoadReport, load_customers
from ..workspace import Workspace
from .clusters import assign_ids, cluster_records
from ..errors import CvmError
from .decisions import DECISIONS_DDL, Decision, store_decisions, stored_decisions
from .golden import Survivorship, golden_records
from .model import COMPARISONS, score_pairs
from .records import prepare_records

__all__ = ["LinkOptions", "LinkResult", "LinkError", "link", "link_customers", "IDENTITY_DDL"]

log = logging.getLogger(__name__)

Progress = Callable[[str], None]

IDENTITY_DDL = DECISIONS_DDL + """
CREATE TABLE IF NOT EXISTS identity_links (
    link_id INTEGER PRIMARY KEY, started_at TIMESTAMP, finished_at TIMESTAMP, engine VARCHAR,
    records BIGINT, linkable BIGINT, customers BIGINT, pairs_scored BIGINT, review_pairs BIGINT,
    merges BIGINT, splits BIGINT, options VARCHAR, levels VARCHAR, prior_match_weight DOUBLE,
    model VARCHAR, summary VARCHAR);
CREATE TABLE IF NOT EXISTS identity_events (
    link_id INTEGER, happened_at TIMESTAMP, event VARCHAR, customer_id VARCHAR, other_id VARCHAR,
    records BIGINT);
CREATE TABLE IF NOT EXISTS identity_rejects (
    link_id INTEGER, source VARCHAR, source_customer_id VARCHAR, customer_id VARCHAR,
    reason VARCHAR);
"""


class LinkError(CvmError, RuntimeError):
    """Linking cannot run (no customer records, or settings that contradict each other)."""


@dataclass(frozen=True)
class LinkOptions:
    """How records are linked, checked in one place.

    - ``engine``: ``duckdb`` (default) or ``spark``: where Splink trains and scores;
    - ``threshold``: a pair at or above this match probability is the same customer (0.9);
    - ``review_threshold``: pairs from here up to ``threshold`` that end in different
      customers go to the review list (0.5);
    - ``region``: country whose numbering plan reads phones without a country code (``CN``);
    - ``survivorship``: golden-record rules (:class:`~cvm.identity.golden.Survivorship`);
    - ``random_state``: seed of Splink's random sampling of pairs;
    - ``memory_limit``: DuckDB memory limit for Splink (e.g. ``"6GB"``; default DuckDB's).
    """

    engine: str = "duckdb"
    threshold: float = 0.9
    review_threshold: float = 0.5
    region: str = "CN"
    survivorship: Survivorship = field(default_factory=Survivorship)
    random_state: int = 0
    memory_limit: str | None = None

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise LinkError(f"engine must be duckdb or spark, not {self.engine!r}")
        if not 0 < self.threshold < 1:
            raise LinkError(f"the match threshold must be between 0 and 1, not {self.threshold}")
        if not 0 < self.review_threshold <= self.threshold:
            raise LinkError(f"the review threshold must be above 0 and at most the match "
                            f"threshold {self.threshold}, not {self.review_threshold}")
        if not (len(self.region) == 2 and self.region.isalpha() and self.region.isupper()):
            raise LinkError(f"region must be a two-letter country code like CN, not "
                            f"{self.region!r}")


@dataclass
class LinkResult:
    """What one linkage did."""

    link_id: int
    records: int
    linkable: int
    customers: int
    pairs_scored: int
    review_pairs: int
    merges: int
    splits: int
    prevented: int
    conflicts: int
    unknown_decisions: int
    multi_record_customers: int
    source_pairs: dict[str, int]
    levels: list[dict]
    prior_match_weight: float
    engine: str
    seconds: dict[str, float]
    loads: list[LoadReport] = field(default_factory=list)

    def as_dict(self) -> dict:
        out = asdict(self)
        out["loads"] = [load.as_dict() for load in self.loads]
        return out


def _ensure_tables(ws: Workspace) -> None:
    ws.con.execute(IDENTITY_DDL)


def _default_id(source: str, source_id: str) -> str:
    return source_id if source == "default" else f"{source}:{source_id}"


def link(ws: Workspace, files: list[str | Path] | None = None, *, mapping: Mapping | None = None,
         source: str | None = None, options: LinkOptions | None = None,
         decisions: list[Decision] | None = None,
         progress: Progress | None = None) -> LinkResult:
    """Load customer files (each a source system's list), store decisions, and link.

    A file's source system is, in order: its ``source`` column, ``source`` here, the
    mapping's ``[options] source``, or the file's name without extension.
    """
    say = progress or (lambda _msg: None)
    loads = []
    for path in files or []:
        say(f"loading {Path(str(path)).name}")
        ingest = mapping.options if mapping else IngestOptions()
        name = source or (ingest.source if ingest.source != "default" else Path(str(path)).stem)
        loads.append(load_customers(ws, path, mapping=mapping,
                                    options=_with_source(ingest, name)))
    if decisions:
        store_decisions(ws, decisions)
    result = link_customers(ws, options, progress=progress)
    result.loads = loads
    return result


def _with_source(options: IngestOptions, source: str) -> IngestOptions:
    from dataclasses import replace

    return replace(options, source=source)


def link_customers(ws: Workspace, options: LinkOptions | None = None, *,
                   progress: Progress | None = None) -> LinkResult:
    """Link every customer record in the workspace (see the module documentation)."""
    opts = options or LinkOptions()
    say = progress or (lambda _msg: None)
    _ensure_tables(ws)
    started_at = dt.datetime.now().replace(microsecond=0)
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    say("normalising records")
    records = prepare_records(ws, region=opts.region)
    n = records.num_rows
    if n == 0:
        raise LinkError(f"workspace {ws.path} holds no customer records: give customer files")
    seconds["normalise"] = time.perf_counter() - t0
    key_to_record = {key: i for i, key in enumerate(zip(
        records.column("source").to_pylist(), records.column("source_customer_id").to_pylist()))}

    previous, prior_edges = _previous(ws, records)
    must, cannot, unknown = _decision_edges(ws, key_to_record)

    linkable_mask = records.column("linkable").to_numpy(zero_copy_only=False)
    linkable = records.filter(pa.array(linkable_mask))
    t0 = time.perf_counter()
    if linkable.num_rows >= 2:
        say(f"scoring pairs of {linkable.num_rows:,} records on {opts.engine}")
        scored = score_pairs(linkable, engine=opts.engine, threshold=opts.review_threshold,
                             random_state=opts.random_state, memory_limit=opts.memory_limit)
        pairs, levels, prior = scored.pairs, scored.levels, scored.prior_match_weight
        model = scored.model
    else:
        pairs = pa.table({"record_id_l": pa.array([], pa.int64()),
                          "record_id_r": pa.array([], pa.int64()),
                          "match_probability": pa.array([], pa.float64()),
                          "match_weight": pa.array([], pa.float64()),
                          **{f"gamma_{c}": pa.array([], pa.int32()) for c in COMPARISONS}})
        levels, prior, model = [], 0.0, {}
    seconds["score"] = time.perf_counter() - t0

    say("clustering")
    t0 = time.perf_counter()
    prob = pairs.column("match_probability").to_numpy()
    left = pairs.column("record_id_l").to_numpy()
    right = pairs.column("record_id_r").to_numpy()
    strong = prob >= opts.threshold
    clustering = cluster_records(n, must=must, prior=prior_edges,
                                 scored=(left[strong], right[strong], prob[strong]),
                                 cannot=cannot)
    sources = records.column("source").to_pylist()
    source_ids = records.column("source_customer_id").to_pylist()
    defaults = [_default_id(s, i) for s, i in zip(sources, source_ids)]
    taken = {row[0] for row in ws.query(
        "SELECT DISTINCT x.customer_id FROM xref x ANTI JOIN source_customers s "
        "USING (source, source_customer_id)")}
    ids = assign_ids(clustering.labels, previous, defaults, taken)
    seconds["cluster"] = time.perf_counter() - t0

    say("building golden records")
    t0 = time.perf_counter()
    golden = golden_records(ws, records, ids.customer_ids, opts.survivorship)
    seconds["golden"] = time.perf_counter() - t0

    customer_of = np.asarray(ids.customer_ids, dtype=object)
    same = customer_of[left] == customer_of[right] if len(left) else np.zeros(0, bool)
    decided = _decided_mask(left, right, must, cannot)
    status = np.where(decided, "decided", np.where(
        same, "linked", np.where(prob < opts.threshold, "review", "separated")))
    n_review = int((status == "review").sum())
    source_pairs = _source_pairs(sources, ids.customer_ids)
    multi = int(sum(1 for c in Counter(ids.customer_ids).values() if c > 1))
    say("storing")
    t0 = time.perf_counter()
    with ws.transaction() as con:
        link_id = con.execute(
            "SELECT coalesce(max(link_id), 0) + 1 FROM identity_links").fetchall()[0][0]
        now = dt.datetime.now().replace(microsecond=0)
        xref = pa.table({
            "source": records.column("source"),
            "source_customer_id": records.column("source_customer_id"),
            "customer_id": pa.array(ids.customer_ids, pa.string()),
            "method": pa.array(np.where(linkable_mask, "linked", "unlinkable").tolist(),
                               pa.string()),
            "linked_at": pa.array([now] * n, pa.timestamp("s")),
        })
        con.register("_xref_new", xref)
        con.execute("DELETE FROM xref x USING _xref_new n WHERE x.source = n.source AND "
                    "x.source_customer_id = n.source_customer_id")
        con.execute("INSERT INTO xref SELECT source, source_customer_id, customer_id, method, "
                    "linked_at FROM _xref_new")
        con.unregister("_xref_new")
        con.register("_golden", golden)
        con.execute("CREATE OR REPLACE TABLE identity_golden AS SELECT * FROM _golden")
        con.unregister("_golden")
        pair_table = _pair_table(link_id, records, ids.customer_ids, pairs, status)
        con.register("_pairs", pair_table)
        con.execute("CREATE OR REPLACE TABLE identity_pairs AS SELECT * FROM _pairs")
        con.unregister("_pairs")
        events = [(link_id, now, "merge", a, b, k) for a, b, k in ids.merges] + \
                 [(link_id, now, "split", a, b, k) for a, b, k in ids.splits]
        if events:
            con.executemany("INSERT INTO identity_events VALUES (?, ?, ?, ?, ?, ?)", events)
        con.execute("DELETE FROM identity_rejects")
        rejected = np.flatnonzero(~linkable_mask)
        if len(rejected):
            con.executemany(
                "INSERT INTO identity_rejects VALUES (?, ?, ?, ?, ?)",
                [(link_id, sources[i], source_ids[i], ids.customer_ids[i],
                  records.column("reason")[int(i)].as_py()) for i in rejected])
        result = LinkResult(
            link_id=link_id, records=n, linkable=int(linkable_mask.sum()),
            customers=golden.num_rows, pairs_scored=pairs.num_rows, review_pairs=n_review,
            merges=len(ids.merges), splits=len(ids.splits), prevented=clustering.prevented,
            conflicts=len(clustering.conflicts), unknown_decisions=unknown,
            multi_record_customers=multi, source_pairs=source_pairs, levels=levels,
            prior_match_weight=prior, engine=opts.engine, seconds=seconds)
        con.execute(
            "INSERT INTO identity_links VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [link_id, started_at, now, opts.engine, n, result.linkable, result.customers,
             result.pairs_scored, n_review, result.merges, result.splits,
             json.dumps(asdict(opts), default=str), json.dumps(levels), prior,
             json.dumps(model, default=str),
             json.dumps({k: v for k, v in result.as_dict().items() if k != "levels"},
                        default=str)])
    seconds["store"] = time.perf_counter() - t0
    return result


def _previous(ws: Workspace, records: pa.Table) -> tuple[list[str | None], tuple]:
    """Each record's earlier unified id, and the edges holding earlier linked customers."""
    ws.con.register("_keys", records.select(["record_id", "source", "source_customer_id"]))
    try:
        rows = ws.arrow(
            "SELECT k.record_id, x.customer_id, x.method FROM _keys k JOIN xref x "
            "USING (source, source_customer_id) ORDER BY k.record_id")
    finally:
        ws.con.unregister("_keys")
    previous: list[str | None] = [None] * records.num_rows
    groups: dict[str, list[int]] = {}
    for rid, cid, method in zip(rows.column("record_id").to_pylist(),
                                rows.column("customer_id").to_pylist(),
                                rows.column("method").to_pylist()):
        previous[rid] = cid
        if method in ("linked", "unlinkable"):
            groups.setdefault(cid, []).append(rid)
    left, right = [], []
    for members in groups.values():
        for other in members[1:]:
            left.append(members[0])
            right.append(other)
    return previous, (np.asarray(left, np.int64), np.asarray(right, np.int64))


def _decision_edges(ws: Workspace, key_to_record: dict) -> tuple[tuple, tuple, int]:
    decisions = stored_decisions(ws)
    must_l, must_r, cannot_l, cannot_r = [], [], [], []
    unknown = 0
    for a_s, a_id, b_s, b_id, decision in zip(
            *(decisions.column(c).to_pylist() for c in
              ("a_source", "a_id", "b_source", "b_id", "decision"))):
        a, b = key_to_record.get((a_s, a_id)), key_to_record.get((b_s, b_id))
        if a is None or b is None or a == b:
            unknown += 1
            continue
        if decision == "link":
            must_l.append(a)
            must_r.append(b)
        else:
            cannot_l.append(a)
            cannot_r.append(b)
    arr = lambda x: np.asarray(x, np.int64)  # noqa: E731
    return (arr(must_l), arr(must_r)), (arr(cannot_l), arr(cannot_r)), unknown


def _decided_mask(left, right, must, cannot) -> np.ndarray:
    if not len(left):
        return np.zeros(0, bool)
    keys = set()
    for l_arr, r_arr in (must, cannot):
        for a, b in zip(l_arr.tolist(), r_arr.tolist()):
            keys.add((min(a, b), max(a, b)))
    if not keys:
        return np.zeros(len(left), bool)
    return np.array([(a, b) in keys for a, b in zip(left.tolist(), right.tolist())], bool)


def _source_pairs(sources: list[str], customer_ids: list[str]) -> dict[str, int]:
    """Customers found in both of two sources (or twice in one), per source pair."""
    by_customer: dict[str, Counter] = {}
    for s, c in zip(sources, customer_ids):
        by_customer.setdefault(c, Counter())[s] += 1
    out: Counter = Counter()
    for counts in by_customer.values():
        if sum(counts.values()) < 2:
            continue
        names = sorted(counts)
        for i, a in enumerate(names):
            if counts[a] > 1:
                out[f"{a} – {a}"] += 1
            for b in names[i + 1:]:
                out[f"{a} – {b}"] += 1
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


def _pair_table(link_id: int, records: pa.Table, customer_ids: list[str], pairs: pa.Table,
                status: np.ndarray) -> pa.Table:
    left = pairs.column("record_id_l")
    right = pairs.column("record_id_r")
    cid = pa.array(customer_ids, pa.string())
    cols = {
        "link_id": pa.array(np.full(pairs.num_rows, link_id, np.int32)),
        "source_l": pc.take(records.column("source"), left),
        "source_customer_id_l": pc.take(records.column("source_customer_id"), left),
        "source_r": pc.take(records.column("source"), right),
        "source_customer_id_r": pc.take(records.column("source_customer_id"), right),
        "customer_id_l": pc.take(cid, left),
        "customer_id_r": pc.take(cid, right),
        "match_probability": pairs.column("match_probability"),
        "match_weight": pairs.column("match_weight"),
        "status": pa.array(status.tolist() if len(status) else [], pa.string()),
    }
    for c in COMPARISONS:
        cols[f"gamma_{c}"] = pairs.column(f"gamma_{c}")
    return pa.table(cols)
