"""The linkage folder's tables by hand: the review pairs' agreeing, partly agreeing, disagreeing
and missing fields read against the last linkage's levels, and the folder a small linkage
writes."""

from __future__ import annotations

import csv
import json

from cvm.identity import link, write_linkage
from cvm.identity.exports import golden_table, review_table, xref_table
from cvm.identity.link import IDENTITY_DDL
from cvm.identity.model import COMPARISONS
from cvm.workspace import Workspace

# the top level of each comparison in the last linkage (name 4, phone 1, the others 2)
TOP = {c: 2 for c in COMPARISONS} | {"name": 4, "phone": 1}


def _levels(top):
    # every level from 0 up, the top one listed first
    return [{"comparison": c, "gamma": g, "level": str(g)}
            for c, t in top.items() for g in range(t, -1, -1)]


def test_review_pairs_name_the_fields_against_the_last_linkages_levels(tmp_path):
    with Workspace(tmp_path / "ws.duckdb") as ws:
        ws.con.execute(IDENTITY_DDL)
        ws.con.execute("INSERT INTO source_customers (source, source_customer_id, name, phone) "
                       "VALUES ('crm', '1', '张伟', '+8613812345678'), ('shop', '2', '张卫', NULL),"
                       " ('shop', '3', 'Li', NULL)")
        ws.con.execute("INSERT INTO xref (source, source_customer_id, customer_id, method) "
                       "VALUES ('crm', '1', 'crm:1', 'model'), ('shop', '2', 'shop:2', 'model'),"
                       " ('shop', '3', 'crm:1', 'model')")
        # an earlier linkage with other levels: only the last one counts
        for link_id, top in ((1, {c: 9 for c in COMPARISONS}), (2, TOP)):
            ws.con.execute("INSERT INTO identity_links (link_id, levels) VALUES (?, ?)",
                           [link_id, json.dumps(_levels(top))])
        gammas = {"name": 2, "phone": -1, "email": -1, "birth_date": 2, "national_id": 0,
                  "city": 1, "gender": 0}
        ws.con.execute(
            "CREATE TABLE identity_pairs AS SELECT 'crm' AS source_l, '1' AS source_customer_id_l,"
            " 'shop' AS source_r, '2' AS source_customer_id_r, 0.7::DOUBLE AS match_probability,"
            " 'crm:1' AS customer_id_l, 'shop:2' AS customer_id_r, 'review' AS status, "
            + ", ".join(f"{g} AS gamma_{c}" for c, g in gammas.items())
            + " UNION ALL SELECT 'crm', '1', 'shop', '3', 0.95, 'crm:1', 'crm:1', 'linked', "
            + ", ".join("1" for _ in gammas))
        rows = review_table(ws).to_pylist()
        assert len(rows) == 1
        row = rows[0]
        assert (row["source_id_l"], row["source_id_r"], row["match_probability"]) == ("1", "2", 0.7)
        assert row["agree"] == "birth_date"
        assert row["partly_agree"] == "name city"
        assert row["disagree"] == "national_id gender"
        assert row["missing"] == "phone email"
        assert (row["name_l"], row["name_r"], row["phone_r"], row["decision"]) == \
            ("张伟", "张卫", None, None)
        assert xref_table(ws).to_pylist() == [
            {"source": "crm", "source_id": "1", "customer_id": "crm:1", "method": "model"},
            {"source": "shop", "source_id": "3", "customer_id": "crm:1", "method": "model"},
            {"source": "shop", "source_id": "2", "customer_id": "shop:2", "method": "model"}]


def test_a_small_linkage_writes_its_folder(tmp_path):
    # two records that share nothing: one pair, whose prior was once taken as 1 (no weight)
    people = tmp_path / "crm.csv"
    people.write_text("customer_id,name,phone\nB2,Li Si,13900000002\nA1,Zhang San,13800000001\n",
                      encoding="utf-8")
    with Workspace(tmp_path / "ws.duckdb") as ws:
        result = link(ws, [people])
        assert (result.records, result.linkable, result.customers) == (2, 2, 2)
        assert [r["customer_id"] for r in golden_table(ws).to_pylist()] == ["crm:A1", "crm:B2"]
        folder = write_linkage(ws, tmp_path / "out")
    assert folder == tmp_path / "out"
    assert sorted(p.name for p in folder.iterdir()) == ["golden.csv", "linkage-report.html",
                                                        "review.csv", "xref.csv"]
    with (folder / "xref.csv").open(encoding="utf-8-sig") as fh:
        assert [(r["source_id"], r["customer_id"]) for r in csv.DictReader(fh)] == [
            ("A1", "crm:A1"), ("B2", "crm:B2")]
