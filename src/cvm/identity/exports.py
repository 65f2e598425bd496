"""The linkage folder: ``xref.csv``, ``golden.csv``, ``review.csv`` and ``linkage-report.html``.

The folder is written beside its final place and swapped in at the end, so a failed write
leaves the previous folder as it was. CSV files are UTF-8 with a byte-order mark, so that Excel
shows Chinese text correctly.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

from ..results import staged_folder, write_csv
from ..workspace import Workspace
from .model import COMPARISONS

__all__ = ["xref_table", "golden_table", "review_table", "write_linkage"]


def xref_table(ws: Workspace) -> pa.Table:
    """Every customer record once: ``source``, ``source_id``, ``customer_id``, ``method``."""
    return ws.arrow(
        "SELECT s.source, s.source_customer_id AS source_id, x.customer_id, x.method "
        "FROM source_customers s JOIN xref x USING (source, source_customer_id) "
        "ORDER BY x.customer_id, s.source, s.source_customer_id")


def golden_table(ws: Workspace) -> pa.Table:
    return ws.arrow("SELECT * FROM identity_golden ORDER BY customer_id")


def _levels_top(ws: Workspace) -> dict[str, int]:
    rows = ws.query("SELECT levels FROM identity_links ORDER BY link_id DESC LIMIT 1")
    top: dict[str, int] = {}
    for level in json.loads(rows[0][0]) if rows else []:
        top[level["comparison"]] = max(top.get(level["comparison"], 0), int(level["gamma"]))
    return top


def review_table(ws: Workspace) -> pa.Table:
    """Borderline pairs that ended in different customers and nobody has decided yet.

    Per pair: both records, the match probability, the fields that agree, partly agree,
    disagree or are missing on a side, both records' values, and an empty ``decision``
    column to fill in with ``accept`` or ``reject`` and give back with ``cvm link --accept``.
    """
    top = _levels_top(ws)
    def lists(kind: str) -> str:
        parts = []
        for c in COMPARISONS:
            g = f"p.gamma_{c}"
            cond = {"agree": f"{g} = {top.get(c, 1)}",
                    "partly": f"{g} > 0 AND {g} < {top.get(c, 1)}",
                    "disagree": f"{g} = 0",
                    "missing": f"{g} = -1"}[kind]
            parts.append(f"CASE WHEN {cond} THEN '{c}' END")
        return f"concat_ws(' ', {', '.join(parts)})"

    fields = ("name", "phone", "email", "birth_date", "national_id", "city", "gender")
    values = ", ".join(f"l.{f} AS {f}_l, r.{f} AS {f}_r" for f in fields)
    return ws.arrow(
        f"""
        SELECT p.source_l, p.source_customer_id_l AS source_id_l, p.source_r,
               p.source_customer_id_r AS source_id_r,
               round(p.match_probability, 4) AS match_probability,
               p.customer_id_l, p.customer_id_r,
               {lists('agree')} AS agree, {lists('partly')} AS partly_agree,
               {lists('disagree')} AS disagree, {lists('missing')} AS missing,
               {values}, CAST(NULL AS VARCHAR) AS decision
        FROM identity_pairs p
        JOIN source_customers l ON l.source = p.source_l
             AND l.source_customer_id = p.source_customer_id_l
        JOIN source_customers r ON r.source = p.source_r
             AND r.source_customer_id = p.source_customer_id_r
        WHERE p.status = 'review'
        ORDER BY p.match_probability DESC, 1, 2, 3, 4
        """)


def write_linkage(ws: Workspace, out: str | Path, *, lang: str = "en") -> Path:
    """Write the linkage folder ``out`` from the workspace's last linkage."""
    from .report import render_linkage_report

    with staged_folder(out) as staging:
        write_csv(xref_table(ws), staging / "xref.csv")
        write_csv(golden_table(ws), staging / "golden.csv")
        write_csv(review_table(ws), staging / "review.csv")
        (staging / "linkage-report.html").write_text(render_linkage_report(ws, lang=lang),
                                                    encoding="utf-8")
    return Path(out)
