"""``GET /cohorts`` over a real server: the stored cohort triangles add up to the run's
customers and revenue, splits add up to the whole, and the answer respects roles."""

from __future__ import annotations

import pytest


def test_cohorts_add_up_to_the_run(viewer):
    c = viewer.get("/cohorts").json()
    o = viewer.get("/overview").json()
    assert c["available"] and c["period"] == "month" and c["by"] == "all"
    # splits fixed at acquisition only: no current segment (survivorship-biased)
    assert c["sources"] == ["purchases"] and c["dimensions"] == ["all", "value_tier", "store"]
    (whole,) = c["groups"]
    assert sum(whole["customers"]) == o["customers"]
    revenue = 0.0
    for size, active, lost, survivors, cum in zip(
            whole["customers"], whole["active"], whole["lost"], whole["survivors"],
            whole["cumulative_revenue_per_customer"]):
        assert active[0] == size and lost[0] == 0
        assert all(b >= a for a, b in zip(lost, lost[1:]))          # lost never decreases
        assert [size - x for x in lost] == survivors
        assert all(a <= s for a, s in zip(active, survivors))       # a buyer is a survivor
        revenue += cum[-1] * size
    assert revenue == pytest.approx(o["revenue"], rel=1e-9)
    # each cohort has a period for every month from its own to the as-of month of the run the
    # server holds last (other tests start runs on the shared server with other as-of dates;
    # a month in which no one was acquired has no cohort)
    year, month = int(o["as_of"][:4]), int(o["as_of"][5:7])
    assert whole["cohorts"][-1] <= f"{year:04d}-{month:02d}-01"
    months = [(year - int(c[:4])) * 12 + month - int(c[5:7]) + 1 for c in whole["cohorts"]]
    assert [len(v) for v in whole["active"]] == months
    assert months == sorted(months, reverse=True) and len(set(months)) == len(months)


@pytest.mark.parametrize("by", ["value_tier", "store"])
def test_cohorts_split_at_acquisition_add_up_to_the_whole(viewer, by):
    whole = viewer.get("/cohorts").json()["groups"][0]
    split = viewer.get("/cohorts", params={"by": by}).json()
    assert len(split["groups"]) >= 3
    sizes: dict = {}
    active: dict = {}
    for g in split["groups"]:
        for cohort, n, a in zip(g["cohorts"], g["customers"], g["active"]):
            sizes[cohort] = sizes.get(cohort, 0) + n
            active[cohort] = [x + y for x, y in zip(active.get(cohort, [0] * len(a)), a)]
    assert [sizes[c] for c in whole["cohorts"]] == whole["customers"]
    assert [active[c] for c in whole["cohorts"]] == whole["active"]


def test_value_tiers_are_thirds_of_each_cohort(viewer):
    """Low holds the customers with 3k ≤ n (k: those of the cohort spending at most as much on
    their first day), so at most a third; every customer below high has 3k ≤ 2n, so high holds
    at least a third."""
    whole = viewer.get("/cohorts").json()["groups"][0]
    split = viewer.get("/cohorts", params={"by": "value_tier"}).json()
    assert [g["group"] for g in split["groups"]] == ["low", "mid", "high"]
    tiers = {g["group"]: dict(zip(g["cohorts"], g["customers"])) for g in split["groups"]}
    for cohort, n in zip(whole["cohorts"], whole["customers"]):
        low, high = tiers["low"].get(cohort, 0), tiers["high"].get(cohort, 0)
        assert 3 * low <= n <= 3 * high, cohort


def test_cohorts_refusals(viewer, api_server):
    missing = viewer.get("/cohorts", params={"source": "members"}).json()
    assert missing == {"available": False, "reason_code": "no_members", "sources": ["purchases"],
                       "reason": missing["reason"]}
    bad = viewer.get("/cohorts", params={"by": "favourite_colour"})
    assert bad.status_code == 400 and "value_tier" in bad.json()["detail"]
    assert viewer.get("/cohorts", params={"by": "rfm_segment"}).status_code == 400
    assert viewer.get("/cohorts", params={"by": "phone"}).status_code == 403
    assert viewer.get("/cohorts", params={"source": "loans"}).status_code == 422
    with api_server.client() as anonymous:
        assert anonymous.get("/cohorts").status_code == 401
