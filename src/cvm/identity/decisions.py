"""Decisions people make about pairs of records, stored in the workspace and honoured in every
later linkage.

A decision names two records by source and source id and says ``link`` (the same customer: an
accepted review pair, or a must-link) or ``separate`` (different customers: a rejected pair, or
a cannot-link). The latest decision about a pair replaces earlier ones.

Pair files are CSV (UTF-8, or GB18030) with the columns ``source_l, source_id_l, source_r,
source_id_r`` — the first four columns of ``review.csv``, so a reviewed ``review.csv`` can be
given back as it is. A file may instead have a ``decision`` column (``accept``/``reject``,
``link``/``separate``, ``yes``/``no``, ``是``/``否``); rows with an empty decision are skipped.
A file with just the two ids (``source_id_l, source_id_r``) is read in the default source.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from ..errors import CvmError
from ..spreadsheet import formula_text
from ..workspace import Workspace

__all__ = ["DecisionError", "Decision", "read_decisions", "store_decisions", "stored_decisions",
           "DECISIONS_DDL"]

DECISIONS_DDL = """
CREATE TABLE IF NOT EXISTS identity_decisions (
    source_l VARCHAR, source_customer_id_l VARCHAR, source_r VARCHAR,
    source_customer_id_r VARCHAR, decision VARCHAR, origin VARCHAR, decided_at TIMESTAMP);
"""

_YES = {"accept", "accepted", "link", "yes", "y", "same", "match", "1", "true", "是", "同一人",
        "合并", "接受"}
_NO = {"reject", "rejected", "separate", "no", "n", "different", "nonmatch", "0", "false", "否",
       "不是", "拆分", "拒绝"}
_KINDS = {"accept": "link", "must-link": "link", "reject": "separate", "cannot-link": "separate"}


class DecisionError(CvmError, ValueError):
    """A pair file cannot be read; the message names the file, row and problem."""


@dataclass(frozen=True)
class Decision:
    source_l: str
    source_id_l: str
    source_r: str
    source_id_r: str
    decision: str  # "link" or "separate"
    origin: str


def read_decisions(path: str | Path, kind: str) -> list[Decision]:
    """Read a pair file given as ``accept``, ``reject``, ``must-link`` or ``cannot-link``.

    With ``accept``/``reject`` and a ``decision`` column, each row's own decision is used and
    ``kind`` only says what an empty one means (nothing: the row is skipped).
    """
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {', '.join(_KINDS)}, not {kind!r}")
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DecisionError(f"pair file {path} does not exist") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        return []
    header = [h.strip().lower() for h in rows[0]]
    cols = {name: header.index(name) for name in header}
    if "source_id_l" not in cols or "source_id_r" not in cols:
        raise DecisionError(
            f"{path.name}: needs the columns source_l, source_id_l, source_r, source_id_r "
            f"(as in review.csv); found {', '.join(header)}")
    out = []
    default = _KINDS[kind]
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        # review.csv quotes ids a spreadsheet would run as formulas: read them back unquoted
        cell = lambda name: formula_text(row[cols[name]]).strip() if name in cols and cols[name] < len(row) else ""  # noqa: E731
        decision = default
        if "decision" in cols:
            word = cell("decision").lower()
            if not word:
                continue
            if word in _YES:
                decision = "link"
            elif word in _NO:
                decision = "separate"
            else:
                raise DecisionError(f"{path.name} row {number}: decision {word!r} is neither "
                                    "accept nor reject")
        left, right = cell("source_id_l"), cell("source_id_r")
        if not left or not right:
            raise DecisionError(f"{path.name} row {number}: both source ids are needed")
        out.append(Decision(cell("source_l") or "default", left, cell("source_r") or "default",
                            right, decision, f"{kind}:{path.name}"))
    return out


def store_decisions(ws: Workspace, decisions: list[Decision]) -> int:
    """Add decisions to the workspace (later ones replace earlier ones about the same pair)."""
    ws.con.execute(DECISIONS_DDL)
    if not decisions:
        return 0
    now = dt.datetime.now().replace(microsecond=0)
    table = pa.table({
        "source_l": [d.source_l for d in decisions],
        "source_customer_id_l": [d.source_id_l for d in decisions],
        "source_r": [d.source_r for d in decisions],
        "source_customer_id_r": [d.source_id_r for d in decisions],
        "decision": [d.decision for d in decisions],
        "origin": [d.origin for d in decisions],
        "decided_at": pa.array([now] * len(decisions), pa.timestamp("s")),
    })
    with ws.transaction() as con:
        con.register("_decisions", table)
        con.execute("INSERT INTO identity_decisions SELECT * FROM _decisions")
        con.unregister("_decisions")
    return len(decisions)


def stored_decisions(ws: Workspace) -> pa.Table:
    """The decision in force for each pair (the latest), with the pair in a fixed order."""
    ws.con.execute(DECISIONS_DDL)
    return ws.arrow(
        """
        WITH ordered AS (
            SELECT CASE WHEN (source_l, source_customer_id_l) <= (source_r, source_customer_id_r)
                        THEN source_l ELSE source_r END AS a_source,
                   CASE WHEN (source_l, source_customer_id_l) <= (source_r, source_customer_id_r)
                        THEN source_customer_id_l ELSE source_customer_id_r END AS a_id,
                   CASE WHEN (source_l, source_customer_id_l) <= (source_r, source_customer_id_r)
                        THEN source_r ELSE source_l END AS b_source,
                   CASE WHEN (source_l, source_customer_id_l) <= (source_r, source_customer_id_r)
                        THEN source_customer_id_r ELSE source_customer_id_l END AS b_id,
                   decision, origin, decided_at,
                   row_number() OVER () AS seq
            FROM identity_decisions)
        SELECT a_source, a_id, b_source, b_id,
               arg_max(decision, (decided_at, seq)) AS decision,
               arg_max(origin, (decided_at, seq)) AS origin
        FROM ordered GROUP BY ALL ORDER BY ALL
        """)
