"""One language at a time: every dashboard page reads in the interface's language, whatever the
language the run was made in. The English pages show no Chinese but customer data (names,
cities, stores, account managers, the source file's column names); the Chinese pages show no
English word but customer data and the words both label tables share (CSV, RFM, API …)."""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

import pytest

from cvm.api.columns import COLUMN_LABELS
from cvm.web.labels import labels

from .conftest import shot

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from api.server import Server, build_workspace, wait_job  # noqa: E402

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")
WORD = re.compile(r"[A-Za-z][A-Za-z']+")
PAGES = ("/", "/matrix", "/lifecycle", "/clv", "/churn", "/cross-sell", "/satisfaction", "/cohorts",
         "/campaigns",
         "/customers", "/runs")
# the text an ECharts chart draws on its canvas: axis names and categories, series and item names
CHART_TEXT = """() => {
  const out = [];
  document.querySelectorAll('.chart').forEach((node) => {
    const chart = echarts.getInstanceByDom(node);
    if (!chart) return;
    const o = chart.getOption();
    for (const ax of [...(o.xAxis || []), ...(o.yAxis || [])]) {
      if (ax.name) out.push(ax.name);
      (ax.data || []).forEach((d) => out.push(typeof d === 'object' ? d.value : d));
    }
    for (const s of o.series || []) {
      if (s.name) out.push(s.name);
      (s.data || []).forEach((d) => { if (d && d.name) out.push(d.name); });
      (s.links || []).forEach((l) => { out.push(l.source); out.push(l.target); });
    }
  });
  return out.map(String).join('\\n');
}"""


@pytest.fixture(scope="module")
def zh_run_server(tmp_path_factory):
    """A workspace whose one run was made in Chinese, with a service log and a survey (so the
    pages' contact, complaint and survey parts are walked too). No subscription members: the
    walk shows the buyers' cohorts, and the members' curves cost seconds in both runs."""
    folder = tmp_path_factory.mktemp("language")
    path, tokens, files = build_workspace(folder, customers=300, lang="zh", contacts=True)
    server = Server(path, tokens, files, max_upload_mb=20).start(folder / "serve.log")
    yield server
    server.stop()


def _data_strings(server) -> list[str]:
    """Every value and column name of the demo's input files (and the Chinese names a survey's
    definition and model files give its questions and constructs), their file names, the
    signed-in token's name and the source's name (``default``, where the input names none):
    data, not labels."""
    out = {"test admin", "default"}
    for path in server.demo_files:
        out.add(path.name)
        if path.suffix != ".csv":  # a survey's definition or model: the names it gives
            out.update(CJK.findall(path.read_text(encoding="utf-8")))
            continue
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for row in csv.reader(fh):
                out.update(v.strip() for v in row if v.strip())
    return sorted(out, key=len, reverse=True)


# a cvm command shown as one (``<code class="command">``): the program, its command words, its
# options and their placeholders, nothing else; it reads the same in both languages
COMMAND = r"^cvm( [a-z][a-z-]*)+( (--[a-z][a-z-]*|[A-Z][A-Z_]*))*$"


def _page_text(page) -> str:
    page.evaluate("document.getElementById('lang-switch').remove()")  # names the other language
    # hidden while the text is read (inner_text skips what is not displayed), then shown again
    page.evaluate("""(pattern) => document.querySelectorAll('code.command').forEach((node) => {
        if (new RegExp(pattern).test(node.textContent)) node.style.display = 'none'; })""",
                  COMMAND)
    text = page.inner_text("body") + "\n" + page.evaluate(CHART_TEXT)
    page.evaluate("document.querySelectorAll('code.command').forEach((n) => { n.style.display = ''; })")
    return text


def _without(text: str, data: list[str]) -> str:
    for value in data:
        text = text.replace(value, " ")
    return text


def _walk(page, server, lang: str) -> dict[str, str]:
    """Each page's visible text (and chart text) in ``lang``, customer data removed."""
    data = _data_strings(server)
    texts = {}
    for path in PAGES:
        page.goto(f"{server.url}{path}?lang={lang}")
        page.wait_for_load_state("networkidle")
        if path == "/matrix":  # open the busiest cell's customer list and the playbook
            page.wait_for_function("window.CVM.matrixCells !== undefined")
            page.evaluate("""() => { const cells = window.CVM.matrixCells;
                const best = cells.reduce((a, b) => (b.customers > a.customers ? b : a));
                return window.CVM.showCell(best, window.CVM.segmentLabel, window.CVM.segmentLabel); }""")
            page.wait_for_selector("#cell-table tbody tr")
            page.wait_for_selector("#playbook-table tbody tr")
        if path == "/customers":
            page.wait_for_selector("#customers-table tbody tr")
        texts[path] = _without(_page_text(page), data)
        shot(page, f"lang-{lang}{path.replace('/', '-') or '-overview'}")
    # the customer with the most purchases: segment, stage, cell, action and reason all shown
    page.goto(f"{server.url}/customers?sort=monetary_total&order=desc&lang={lang}")
    page.wait_for_selector("#customers-table a.customer-link")
    page.locator("#customers-table a.customer-link").first.click()
    page.wait_for_selector("#advice:not([hidden])")
    page.wait_for_selector("#sources-table tbody tr")
    texts["/customers/<id>"] = _without(_page_text(page), data)
    shot(page, f"lang-{lang}-customer")
    return texts


def _sign_in(page, server) -> None:
    page.goto(server.url + "/login")
    page.fill("#token", server.tokens["admin"])
    page.click("#login-form button[type=submit]")
    page.wait_for_url(server.url + "/")


def _english_table_words() -> set[str]:
    """The words of the English labels that the Chinese labels do not use themselves."""
    from cvm.features.rfm_schemes import list_schemes, load_scheme
    from cvm.segments.playbook import load_playbook

    en, zh = labels("en"), labels("zh")
    english = list(en.values())
    for name in list_schemes():
        english += [s.label("en") for s in load_scheme(name).segments]
    english += [f"{p.objective} {p.budget}" for p in load_playbook(lang="en").plays.values()]
    shared = {w.lower() for text in zh.values() for w in WORD.findall(text)}
    return {w.lower() for text in english for w in WORD.findall(text)} - shared


def _shared_words() -> set[str]:
    """Words both interfaces show: those of the Chinese labels (CSV, RFM, API, cvm …), model
    names and the scheme keys offered on the upload page."""
    from cvm.features.rfm_schemes import list_schemes

    zh = labels("zh")
    words = {w.lower() for text in zh.values() for w in WORD.findall(text)}
    words |= {w.lower() for pair in COLUMN_LABELS.values() for w in WORD.findall(pair[1])}
    words |= {"mbg", "nbd", "bg", "pareto", "gg", "bb", "sbg"}
    words |= {w.lower() for name in list_schemes() for w in re.findall("[A-Za-z]+", name)}
    return words


def test_every_page_in_english_shows_no_chinese_and_in_chinese_no_english(
        browser, zh_run_server):
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        _sign_in(page, zh_run_server)
        # a run made in Chinese, read in English
        english = _walk(page, zh_run_server, "en")
        leaks = {path: CJK.findall(text) for path, text in english.items() if CJK.search(text)}
        assert leaks == {}
        assert "Champions" in english["/"] and "Keep and deepen" in english["/matrix"]
        assert "cross-sell" in english["/matrix"] and "cross_sell" not in english["/matrix"]

        # a run made in English (the same data again), read in Chinese: the run before it, made
        # in Chinese, is in the customer's history and the flows between the two runs
        with zh_run_server.client("admin") as admin:
            job = admin.post("/runs", json={"source": "demo", "lang": "en",
                                            "as_of": "2024-12-31"}).json()
            assert wait_job(admin, job["job_id"])["status"] == "complete"
        chinese = _walk(page, zh_run_server, "zh")
        foreign = _english_table_words()
        shared = _shared_words()
        found = {path: sorted({w for w in WORD.findall(text) if w.lower() not in shared})
                 for path, text in chinese.items()}
        assert {p: w for p, w in found.items() if w} == {}
        assert not foreign & {w.lower() for text in chinese.values() for w in WORD.findall(text)}
        assert "冠军客户" in chinese["/"] and "保持并深化：核心客户" in chinese["/matrix"]
        assert "交叉销售" in chinese["/matrix"]
    finally:
        context.close()
    assert not errors, f"JavaScript errors: {errors}"


def test_the_sign_in_page_in_each_language(browser, zh_run_server):
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(zh_run_server.url + "/login?lang=zh")
        text = _page_text(page)
        assert [w for w in WORD.findall(text) if w.lower() not in _shared_words()] == []
        page.goto(zh_run_server.url + "/login?lang=en")
        assert CJK.findall(_page_text(page)) == []
    finally:
        context.close()


def test_the_upload_form_offers_no_second_language(browser, zh_run_server):
    context = browser.new_context()
    page = context.new_page()
    try:
        _sign_in(page, zh_run_server)
        page.goto(zh_run_server.url + "/runs?lang=zh")
        page.wait_for_selector("#u-scheme option", state="attached")
        assert page.locator("#upload-form select[name=lang]").count() == 0
        assert page.inner_text("#upload-form").count("English") == 0
    finally:
        context.close()
