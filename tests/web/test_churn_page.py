"""The churn and win-back page in a real browser: its figures are the API's (the number at
risk, the histogram, the calibration bins, the decile lift, the win-back list in rank order),
in English and Chinese, with contact details masked for viewers."""

from __future__ import annotations

from .conftest import shot, sign_in

_OPTION = """(id) => {
    const opt = echarts.getInstanceByDom(document.getElementById(id)).getOption();
    return opt.series.map((s) => s.data.map((d) => (d && d.value !== undefined ? d.value : d)));
}"""


def test_the_churn_page_shows_the_api_figures(page, web_server):
    sign_in(page, web_server, "analyst")
    with web_server.client("analyst") as api:
        summary = api.get("/churn").json()
        first = api.get("/churn/winback", params={"page_size": 20}).json()
    assert summary["available"] and summary["validation"]["available"]
    page.goto(web_server.url + "/churn?lang=en")
    page.wait_for_selector("#kpi-at-risk")
    kpi = page.inner_text("#kpi-at-risk .value")
    assert int(kpi.replace(",", "")) == summary["at_risk_customers"]
    assert int(page.inner_text("#kpi-scored .value").replace(",", "")) == \
        summary["customers_scored"]
    assert int(page.inner_text("#kpi-worth .value").replace(",", "")) == \
        summary["winback_worth_contacting"]
    assert f"{summary['at_risk_customers']:,} churned or at-risk customers" == \
        page.inner_text("#winback-count")

    page.wait_for_selector("#churn-hist canvas")
    page.wait_for_selector("#calibration-chart canvas")
    page.wait_for_selector("#lift-chart canvas")
    [bars] = page.evaluate(_OPTION, "churn-hist")
    assert bars == [b["customers"] for b in summary["risk_histogram"]]
    observed, _diagonal = page.evaluate(_OPTION, "calibration-chart")
    check = summary["validation"]
    assert observed == [[b["mean_score"], b["churn_rate"], b["customers"]]
                        for b in check["calibration_bins"]]
    rates, lifts = page.evaluate(_OPTION, "lift-chart")
    assert rates == [d["churn_rate"] for d in check["deciles"]]
    assert lifts == [d["lift"] for d in check["deciles"]]
    assert f"AUC {check['auc']:.3f}" in page.inner_text("#calibration-note")

    rows = page.locator("#winback-table tbody tr")
    assert rows.count() == 20
    ids = page.eval_on_selector_all("#winback-table a.customer-link", "a => a.map(x => x.textContent)")
    assert ids == [r["customer_id"] for r in first["rows"]]
    headers = page.eval_on_selector_all("#winback-table th", "ths => ths.map(th => th.textContent)")
    assert {"Win-back value", "Contact cost", "P(returns)", "Why", "Name"} <= set(headers)
    assert page.inner_text("#winback-page") == \
        f"Page 1 of {-(-summary['at_risk_customers'] // 20)}"
    shot(page, "12-churn")

    page.click("#winback-next")
    page.wait_for_selector("#winback-page:has-text('Page 2 of')")
    assert page.inner_text("#winback-table tbody tr:first-child td:first-child") == "21"

    page.click("#lang-switch")
    page.wait_for_selector("html[lang=zh-CN]")
    page.wait_for_selector("#winback-table tbody tr")
    assert "流失风险与赢回" in page.inner_text("h1")
    assert page.inner_text("#winback-table tbody tr:first-child td:last-child").startswith(
        ("已 ", "截止日当天"))
    shot(page, "13-churn-zh")


def test_a_viewer_sees_the_win_back_list_masked(page, web_server):
    sign_in(page, web_server, "viewer")
    page.goto(web_server.url + "/churn?lang=en")
    page.wait_for_selector("#winback-table tbody tr")
    assert page.is_visible("#winback-masked")
    names = page.eval_on_selector_all(
        "#winback-table tbody tr td:nth-child(3)", "tds => tds.map(td => td.textContent)")
    assert names and set(names) == {"***"}
