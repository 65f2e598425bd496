"""GET /churn and GET /churn/winback over HTTP: the figures add up to each other (the win-back
list holds exactly the customers counted at risk, its positive values sum to the stated total),
the decile lift is the churn share over the holdout's, and viewers see contact details
masked."""

from __future__ import annotations

import math
import re
from pathlib import Path

import httpx


def _whole_list(client, **params) -> list[dict]:
    rows, page = [], 1
    while True:
        answer = client.get("/churn/winback", params={"page": page, "page_size": 500,
                                                      **params}).json()
        rows += answer["rows"]
        if len(rows) >= answer["total"]:
            return rows
        page += 1


def test_the_summary_and_the_list_agree(analyst):
    summary = analyst.get("/churn").json()
    assert summary["available"] is True
    assert summary["customers_scored"] > 0
    assert sum(b["customers"] for b in summary["risk_histogram"]) == summary["customers_scored"]
    # at risk: churn_risk of at least the threshold; the histogram's bins above it count them
    above = sum(b["customers"] for b in summary["risk_histogram"]
                if b["from"] >= summary["at_risk"] - 1e-12)
    assert summary["at_risk_customers"] == above
    rows = _whole_list(analyst)
    assert len(rows) == summary["at_risk_customers"]
    assert all(r["churn_risk"] >= summary["at_risk"] for r in rows)
    worth = [r["winback_value"] for r in rows if r["winback_value"] > 0]
    assert len(worth) == summary["winback_worth_contacting"]
    assert math.isclose(sum(worth), summary["winback_value_total"], rel_tol=1e-9)
    values = [r["winback_value"] for r in rows]
    assert values == sorted(values, reverse=True)
    assert [r["winback_rank"] for r in rows][:1] == [1]
    for r in rows[:20]:
        # win-back value = P(returns) × value after return − contact cost
        assert math.isclose(r["winback_value"], r["winback_probability"]
                            * r["value_after_return"] - r["contact_cost"], abs_tol=1e-6)
        assert r["contact_cost"] == summary["contact_cost"]
        assert r["churn_reason"].startswith(("no purchase for", "bought on the as-of date"))


def test_the_holdout_check_is_served(viewer):
    check = viewer.get("/churn").json()["validation"]
    assert check["available"] is True
    deciles = check["deciles"]
    assert [d["decile"] for d in deciles] == list(range(1, 11))
    assert sum(d["customers"] for d in deciles) == check["customers"]
    for d in deciles:
        assert math.isclose(d["lift"], d["churn_rate"] / check["holdout_churn_rate"],
                            rel_tol=1e-9)
    bins = check["calibration_bins"]
    assert sum(b["customers"] for b in bins) == check["customers"]
    # the bins' churn shares, weighted by their customers, give the holdout's churn share
    churned = sum(b["churn_rate"] * b["customers"] for b in bins)
    assert math.isclose(churned / check["customers"], check["holdout_churn_rate"], rel_tol=1e-9)
    assert 0.5 < check["auc"] <= 1.0


def test_viewers_see_contact_details_masked(viewer, analyst):
    clear = analyst.get("/churn/winback", params={"page_size": 5}).json()
    masked = viewer.get("/churn/winback", params={"page_size": 5}).json()
    assert [r["customer_id"] for r in clear["rows"]] == [r["customer_id"] for r in masked["rows"]]
    assert clear["masked"] == [] and masked["masked"] == ["name", "phone", "email"]
    assert all(r["name"] != "***" and len(r["phone"]) == 11 for r in clear["rows"])
    for seen, shown in zip(clear["rows"], masked["rows"]):
        for field in ("name", "phone", "email"):  # a missing email stays missing
            assert shown[field] == ("***" if seen[field] is not None else None)
    assert [r["winback_value"] for r in clear["rows"]] == \
        [r["winback_value"] for r in masked["rows"]]


def test_chinese_words_and_paging(analyst):
    first = analyst.get("/churn/winback", params={"page_size": 3, "lang": "zh"}).json()
    second = analyst.get("/churn/winback", params={"page_size": 3, "page": 2}).json()
    assert first["rows"][0]["churn_reason"].startswith(("已 ", "截止日当天"))
    assert [r["winback_rank"] for r in first["rows"] + second["rows"]] == sorted(
        r["winback_rank"] for r in first["rows"] + second["rows"])
    assert analyst.get("/churn", params={"lang": "zh"}).json()["model_title"] in (
        "Pareto/NBD", "BG/NBD", "MBG/NBD", "最近购买规则", "梯度提升", "逻辑回归")


def test_signing_in_is_needed(api_server):
    for path in ("/churn", "/churn/winback"):
        assert httpx.get(api_server.url + "/api/v1" + path).status_code == 401


def test_the_readme_requests_answer_what_it_says(api_server):
    """The churn section's curl lines, sent to the test server with an analyst's token."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Churn risk", 1)[1].split("\n## ", 1)[0]
    urls = re.findall(r'curl -H "Authorization: Bearer \$TOKEN" "http://127\.0\.0\.1:8000(\S+)"',
                      section)
    assert [u.split("?")[0] for u in urls] == ["/api/v1/churn", "/api/v1/churn/winback"]
    token = {"Authorization": f"Bearer {api_server.tokens['analyst']}"}
    summary, listing = (httpx.get(api_server.url + u, headers=token).json() for u in urls)
    named = re.findall(r"`(\w+)`", section.split("`GET /churn` answers", 1)[1])
    assert {"customers_scored", "at_risk_customers", "risk_histogram", "validation"} <= set(named)
    for key in ("customers_scored", "at_risk_customers", "risk_histogram",
                "winback_worth_contacting", "winback_value_total", "validation"):
        assert key in summary
    for key in ("auc", "ece", "calibration_bins", "deciles"):
        assert key in summary["validation"]
    assert listing["total"] == summary["at_risk_customers"] and len(listing["rows"]) == 50
    assert listing["rows"][0]["churn_reason"].startswith(("已 ", "截止日当天"))
