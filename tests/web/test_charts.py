"""What a manager sees in the dashboard's charts, read from the live ECharts instances: round
CLV bins, lifecycle stages as bars in stage order, every chart label inside its canvas, and the
matrix playbook without a horizontal scroll bar at 1280 px."""

from __future__ import annotations

import math

from .conftest import shot, sign_in

#: Every visible run of text a chart draws (zrender draws a label as "tspan" elements), its box
#: in canvas pixels, and the canvas size.
LABEL_BOXES = """(id) => {
    const chart = echarts.getInstanceByDom(document.getElementById(id));
    const boxes = [];
    for (const el of chart.getZr().storage.getDisplayList(true)) {
        if (el.type !== "tspan" || el.invisible || el.ignore || !el.style || !el.style.text) continue;
        const r = el.getBoundingRect().clone();
        r.applyTransform(el.getComputedTransform());
        boxes.push({ text: String(el.style.text), x: r.x, y: r.y, w: r.width, h: r.height });
    }
    return { width: chart.getWidth(), height: chart.getHeight(), boxes };
}"""


def _outside(canvas: dict) -> list[str]:
    return [b["text"] for b in canvas["boxes"]
            if b["x"] < -0.5 or b["y"] < -0.5 or b["x"] + b["w"] > canvas["width"] + 0.5
            or b["y"] + b["h"] > canvas["height"] + 0.5]


def _is_round(step: float) -> bool:
    mantissa = step / 10 ** math.floor(math.log10(step))
    return any(abs(mantissa - m) < 1e-9 for m in (1, 2, 5))


def test_clv_histogram_bins_start_on_round_numbers(page, web_server):
    sign_in(page, web_server, "analyst")
    page.goto(web_server.url + "/clv?lang=en")
    page.wait_for_selector("#clv-content:not([hidden])")
    page.wait_for_selector("#clv-hist canvas")
    page.wait_for_timeout(500)
    labels = page.evaluate(
        "echarts.getInstanceByDom(document.getElementById('clv-hist')).getOption().xAxis[0].data")
    edges = page.evaluate("fetch('/api/v1/clv').then(r => r.json()).then(d => d.histogram.map(b => b.from))")
    step = edges[1] - edges[0]
    assert _is_round(step)
    assert all(abs(e / step - round(e / step)) < 1e-9 for e in edges)
    assert labels[:3] == ["0", f"{step:g}", f"{2 * step:g}"]
    assert _outside(page.evaluate(LABEL_BOXES, "clv-hist")) == []


def test_lifecycle_stages_are_bars_in_stage_order_with_labels_inside(page, web_server):
    sign_in(page, web_server, "analyst")
    page.goto(web_server.url + "/lifecycle?lang=en")
    page.wait_for_selector("#funnel-chart canvas")
    page.wait_for_selector("#flows-chart canvas")
    page.wait_for_timeout(800)
    option = page.evaluate(
        "echarts.getInstanceByDom(document.getElementById('funnel-chart')).getOption()")
    stages = page.evaluate("fetch('/api/v1/lifecycle/funnel').then(r => r.json()).then(d => d.stages)")
    assert [s["type"] for s in option["series"]] == ["bar"]
    assert option["yAxis"][0]["data"] == [s["label"] or s["stage"] for s in stages]
    assert option["series"][0]["data"] == [s["customers"] for s in stages]
    assert option["yAxis"][0]["data"][:3] == ["prospect", "exploration", "formation"]
    funnel = page.evaluate(LABEL_BOXES, "funnel-chart")
    assert _outside(funnel) == []
    assert sum(b["text"].endswith("%") for b in funnel["boxes"]) == len(stages)
    flows = page.evaluate(LABEL_BOXES, "flows-chart")
    assert any(b["text"].startswith("exploration 2024-12-31") for b in flows["boxes"])
    assert _outside(flows) == []
    shot(page, "12-lifecycle-bars")


def test_matrix_playbook_fits_1280_pixels_without_scrolling(page, web_server):
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, web_server, "analyst")
    page.goto(web_server.url + "/matrix?lang=en")
    page.wait_for_selector("#playbook-table tbody tr")
    scroll, client = page.evaluate(
        "(() => { const w = document.getElementById('playbook-table').parentElement;"
        " return [w.scrollWidth, w.clientWidth]; })()")
    assert scroll <= client
    assert page.locator("#playbook-table thead th").count() >= 6
    shot(page, "13-matrix-playbook-1280")
