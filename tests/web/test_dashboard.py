"""The dashboard in a real browser: sign in, overview, matrix drill-down, one customer,
Chinese, a target-list export, upload-and-run with its progress bar. Every page is saved as a
screenshot under test-output/screenshots/."""

from __future__ import annotations

import pytest
from api.server import Server, build_workspace

from .conftest import shot, sign_in


def test_a_manager_reads_the_dashboard(page, web_server):
    page.goto(web_server.url + "/login?lang=en")
    page.fill("#token", "cvm_wrong_token")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#login-error:not([hidden])")
    shot(page, "01-sign-in")
    sign_in(page, web_server, "analyst")

    # overview: key figures, Pareto curve with its "top x % bring y %" line, segments
    page.wait_for_selector("#kpis .kpi")
    kpis = page.inner_text("#kpis")
    assert "Customers" in kpis and "Top 20% of customers bring" in kpis
    page.wait_for_selector("#pareto-chart canvas")
    page.wait_for_selector("#segments-table tbody tr")
    assert page.locator("#segments-table tbody tr").count() >= 5
    shot(page, "02-overview")

    # matrix: click the busiest cell of the heat map, see its customers
    page.click("[data-nav=matrix]")
    page.wait_for_selector("#matrix-chart canvas")
    page.wait_for_function("window.CVM.matrixCells !== undefined")
    x, y, cell = page.evaluate("""() => {
        const chart = echarts.getInstanceByDom(document.getElementById('matrix-chart'));
        const opt = chart.getOption();
        const xs = opt.xAxis[0].data, ys = opt.yAxis[0].data;
        const cells = window.CVM.matrixCells;
        const best = cells.reduce((a, b) => (b.customers > a.customers ? b : a));
        const i = opt.series[0].data.findIndex(d => d.cell.cell === best.cell);
        const [px, py] = chart.convertToPixel({seriesIndex: 0}, opt.series[0].data[i].value.slice(0, 2));
        return [px, py, best];
    }""")
    box = page.locator("#matrix-chart").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_selector("#cell-table tbody tr")
    assert f"({cell['customers']:,})" in page.inner_text("#cell-title")
    assert page.locator("#cell-actions #export-csv").count() == 1
    shot(page, "03-matrix-cell")

    # one customer's 360° page, from the cell's list
    first = page.locator("#cell-table a.customer-link").first
    customer_id = first.inner_text()
    first.click()
    page.wait_for_url(f"**/customers/{customer_id}")
    page.wait_for_selector("#customer-kpis .kpi")
    page.wait_for_selector("#purchases-table tbody tr")
    assert customer_id in page.inner_text("#customer-title")
    shot(page, "04-customer-360")

    # switch to Chinese: every label follows and the choice is remembered
    page.click("#lang-switch")
    page.wait_for_selector("html[lang=zh-CN]")
    page.wait_for_selector("#customer-kpis .kpi")
    assert "客户" in page.inner_text("#customer-title")
    assert "概览" in page.inner_text("header")
    shot(page, "05-customer-360-zh")
    page.click("[data-nav=overview]")
    page.wait_for_selector("#kpis .kpi")
    assert "客户数" in page.inner_text("#kpis")
    page.wait_for_selector("#pareto-chart canvas")
    shot(page, "06-overview-zh")

    # the customer list, filtered and sorted, exported as a target list
    page.goto(web_server.url + "/customers?abc=A&sort=monetary_total&order=desc")
    page.wait_for_selector("#customers-table tbody tr")
    assert "位客户" in page.inner_text("#list-count")
    shot(page, "07-customers-zh")
    with page.expect_download() as download:
        page.click("#export-csv")
    path = download.value.path()
    text = open(path, encoding="utf-8-sig").read().splitlines()
    assert text[0].startswith('"客户编号"')
    shown = int(page.inner_text("#list-count").split(" ")[0].replace(",", ""))
    assert len(text) == shown + 1


def test_lifecycle_and_clv_pages(page, web_server):
    sign_in(page, web_server, "analyst")
    page.goto(web_server.url + "/lifecycle?lang=en")
    page.wait_for_load_state("networkidle")
    shown = page.locator("#funnel-chart canvas").count() + page.locator(
        "#funnel-missing:not([hidden])").count()
    assert shown >= 1
    shot(page, "08-lifecycle")
    page.goto(web_server.url + "/clv")
    page.wait_for_load_state("networkidle")
    page.wait_for_selector("#clv-content:not([hidden]), #clv-missing:not([hidden])")
    shot(page, "09-clv")


def test_viewer_sees_masked_customers(page, web_server):
    sign_in(page, web_server, "viewer")
    page.goto(web_server.url + "/customers?lang=en")
    page.wait_for_selector("#customers-table tbody tr")
    assert page.is_visible("#masked-note")
    assert "***" in page.inner_text("#customers-table")
    assert "analyst" in page.inner_text("#list-actions")
    shot(page, "10-customers-viewer")


def test_viewer_list_offers_no_sort_or_search_on_masked_fields(page, web_server):
    sign_in(page, web_server, "viewer")
    page.goto(web_server.url + "/customers?lang=en")
    page.wait_for_selector("#customers-table tbody tr")
    sortable = page.eval_on_selector_all("#customers-table th[data-sort]",
                                          "ths => ths.map((th) => th.dataset.sort)")
    headers = page.eval_on_selector_all("#customers-table th", "ths => ths.map((th) => th.textContent)")
    assert "Name" in headers and "Phone" in headers
    assert "name" not in sortable and "phone" not in sortable
    assert "monetary_total" in sortable and "customer_id" in sortable
    assert page.inner_text("label.grow").strip() == "Search customer id"
    assert page.inner_text("#masked-note") == ("Personal fields are masked for your role (viewer): "
                                               "they are not searched and cannot be sorted by.")


def test_analyst_list_sorts_by_name(page, web_server):
    sign_in(page, web_server, "analyst")
    page.goto(web_server.url + "/customers?lang=en")
    page.wait_for_selector("#customers-table tbody tr")
    assert page.inner_text("label.grow").strip() == "Search id, name, phone"
    page.click("#customers-table th[data-sort=name]")
    page.wait_for_url("**sort=name**")
    page.wait_for_selector("#customers-table th.sorted[data-sort=name]")


@pytest.fixture(scope="module")
def upload_server(tmp_path_factory):
    """A server of its own: the run the upload starts would become the latest run, which every
    other page test (on the shared server, in whatever order the files run) reads."""
    folder = tmp_path_factory.mktemp("upload")
    path, tokens, files = build_workspace(folder, customers=200)
    server = Server(path, tokens, files, max_upload_mb=20).start(folder / "serve.log")
    yield server
    server.stop()


def test_upload_and_run_with_a_progress_bar(page, upload_server):
    sign_in(page, upload_server, "admin")
    page.goto(upload_server.url + "/runs?lang=en")
    page.wait_for_selector("#runs-table tbody tr")
    before = page.locator("#runs-table tbody tr").count()
    tx, cust = upload_server.demo_files
    page.set_input_files("#u-transactions", str(tx))
    page.set_input_files("#u-customers", str(cust))
    page.fill("#u-as-of", "2024-12-31")
    page.click("#u-submit")
    page.wait_for_selector("#job:not([hidden])")
    page.wait_for_selector("#job-status.complete", timeout=120_000)
    assert page.evaluate("document.getElementById('job-bar').style.width") == "100%"
    page.wait_for_function(f"document.querySelectorAll('#runs-table tbody tr').length > {before}")
    shot(page, "11-upload-and-run")
