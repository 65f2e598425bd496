"""After an upload and run the dashboard shows what the load did: rows read, loaded and
rejected per file, which source column became which field, the date order assumed, and the
rejected rows themselves (paged, and as a formula-safe CSV); viewers see reasons, not values."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import pytest

from .conftest import shot

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from api.server import Server, build_workspace  # noqa: E402

#: Rows added to the demo transactions: 20 amounts that are words, one that is a formula.
# the demo file's columns: customer, time, amount, quantity, store, order id
BAD_ROWS = [f"M1000{i:02d},2024-03-05 10:00,abc{i},1,SZ-01 南山,BAD{i:02d}" for i in range(20)] + [
    "M100001,2024-03-06 10:00,=1+2,1,SZ-01 南山,BAD20"]


@pytest.fixture(scope="module")
def fresh_server(tmp_path_factory):
    """A workspace without runs yet, and demo files with 21 more bad rows to upload."""
    folder = tmp_path_factory.mktemp("load-report")
    path, tokens, files = build_workspace(folder, customers=200, analysed=False,
                                          extra_transactions="\n".join(BAD_ROWS) + "\n")
    server = Server(path, tokens, files, max_upload_mb=20).start(folder / "serve.log")
    yield server
    server.stop()


def _rows(path: Path) -> int:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


def _sign_in(page, server, role: str) -> None:
    page.goto(server.url + "/login?lang=en")
    page.fill("#token", server.tokens[role])
    page.click("#login-form button[type=submit]")
    page.wait_for_url(server.url + "/")


def test_upload_and_run_shows_the_load_and_its_rejects(browser, fresh_server):
    tx, cust = fresh_server.demo_files
    context = browser.new_context(viewport={"width": 1360, "height": 900}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        _sign_in(page, fresh_server, "admin")
        page.goto(fresh_server.url + "/runs?lang=en")
        page.wait_for_selector("#u-scheme option", state="attached")
        assert page.is_hidden("#load-report")  # no run yet
        page.set_input_files("#u-transactions", str(tx))
        page.set_input_files("#u-customers", str(cust))
        page.fill("#u-as-of", "2024-12-31")
        page.click("#u-submit")
        page.wait_for_selector("#job-status.complete", timeout=120_000)
        page.wait_for_selector("#load-report:not([hidden]) #load-files tbody tr")

        read = _rows(tx) + _rows(cust)
        rejected = 6 + len(BAD_ROWS)  # the demo's own six bad rows, and ours
        assert page.inner_text("#load-summary") == (
            f"Run #1: {read:,} rows read, {read - rejected:,} loaded, {rejected} rejected.")
        files = page.locator("#load-files tbody tr")
        assert files.count() == 2
        customers_row, tx_row = files.nth(0).inner_text(), files.nth(1).inner_text()
        assert customers_row.split("\t")[:5] == [cust.name, "customer list", f"{_rows(cust):,}",
                                                 f"{_rows(cust):,}", "0"]
        assert tx_row.split("\t")[:5] == [tx.name, "transactions", f"{_rows(tx):,}",
                                          f"{_rows(tx) - rejected:,}", f"{rejected}"]
        for text in ("guessed from the headers", "Customer ← 会员编号",
                     "Purchase time ← 交易时间", "Amount ← 实付金额", "Store ← 门店",
                     "month first: 5 March is 03/05", "the amount is not a number: 22",
                     "the date cannot be read: 1", "no customer id: 1"):
            assert text in tx_row, text

        # the rejects, 20 a page: file, line of the file (the header is line 1), column, reason,
        # the raw value
        assert page.inner_text("#rejects-count") == f"{rejected} rejected rows"
        assert page.locator("#rejects-table tbody tr").count() == 20
        assert page.inner_text("#rejects-page") == "Page 1 of 2"
        first = page.locator("#rejects-table tbody tr").first.inner_text().split("\t")
        assert first == [tx.name, "7", "会员编号", "no customer id", ""]
        shot(page, "12-load-report")
        page.click("#rejects-next")
        page.locator("#rejects-page", has_text="Page 2 of 2").wait_for()
        last_rows = page.locator("#rejects-table tbody tr")
        assert last_rows.count() == rejected - 20
        assert last_rows.last.inner_text().split("\t") == [
            tx.name, f"{_rows(tx) + 1:,}", "实付金额", "the amount is not a number", "=1+2"]

        # the CSV download: every reject, the formula quoted so a spreadsheet shows it as text
        with page.expect_download() as download:
            page.click("#rejects-csv")
        text = Path(download.value.path()).read_text(encoding="utf-8-sig")
        table = list(csv.reader(io.StringIO(text)))
        assert table[0] == ["File", "Row", "Column", "Reason code", "Reason", "Value", "Detail"]
        assert len(table) == rejected + 1
        assert table[-1][:6] == [tx.name, str(_rows(tx) + 1), "实付金额", "bad_amount",
                                 "the amount is not a number", "'=1+2"]
        assert sum(1 for r in table[1:] if r[3] == "bad_amount") == 22

        # the same in Chinese
        page.goto(fresh_server.url + "/runs?lang=zh")
        page.wait_for_selector("#load-files tbody tr")
        assert page.inner_text("#load-summary") == (
            f"运行 #1：读取 {read:,} 行，载入 {read - rejected:,} 行，拒绝 {rejected} 行。")
        zh_row = page.locator("#load-files tbody tr").nth(1).inner_text()
        for text in ("按列名猜测", "客户编号 ← 会员编号", "月在前：03/05 为 3 月 5 日",
                     "金额不是数字: 22"):
            assert text in zh_row, text
    finally:
        context.close()
    assert not errors, f"JavaScript errors: {errors}"


def test_a_viewer_sees_reasons_not_rejected_values(browser, fresh_server):
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    try:
        _sign_in(page, fresh_server, "viewer")
        page.goto(fresh_server.url + "/runs?lang=en")
        page.wait_for_selector("#rejects-table tbody tr")
        assert page.is_visible("#rejects-masked")
        assert page.locator("#rejects-csv").count() == 0
        values = page.eval_on_selector_all("#rejects-table tbody tr td:last-child",
                                           "tds => tds.map((td) => td.textContent)")
        # a duplicate row has no value of its own to show ("–"); every other value is masked
        assert values.count("***") == 19 and values.count("–") == 1
        assert "the amount is not a number" in page.inner_text("#rejects-table")
        assert "the amount is not a number: 22" in page.inner_text("#load-files")
    finally:
        context.close()
    with fresh_server.client("viewer") as viewer:
        assert viewer.get("/runs/1/rejects", params={"format": "csv"}).status_code == 403
        page_ = viewer.get("/runs/1/rejects", params={"page_size": 500}).json()
        assert page_["masked"] is True and page_["total"] == 6 + len(BAD_ROWS)
        assert sorted(map(str, (r["value"] for r in page_["rows"]))) == (
            ["***"] * (page_["total"] - 1) + ["None"])
        assert {r["detail"] for r in page_["rows"]} == {None}
    with fresh_server.client("analyst") as analyst:
        rows = analyst.get("/runs/1/rejects", params={"page_size": 500, "code": "bad_amount"}
                           ).json()["rows"]
        assert len(rows) == 22 and rows[-1]["value"] == "=1+2"
        assert analyst.get("/runs/99/load-report").status_code == 404
