"""The demo campaign end to end on a real workspace: measured lifts replace the playbook's
assumed response in the next run, and the dashboard's campaigns page (a real `cvm serve`)
shows the registry, the results with their intervals and the monitor."""

import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from api.server import Server, build_workspace  # noqa: E402

from cvm.campaigns.demo_campaign import DEMO_CAMPAIGN, RATES, add_demo_campaign  # noqa: E402
from cvm.campaigns.registry import measured_cells  # noqa: E402
from cvm.workspace import Workspace  # noqa: E402


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    folder = tmp_path_factory.mktemp("campaign-shop")
    path, tokens, files = build_workspace(folder, customers=150)
    with Workspace(path) as ws:
        before = {r["cell"]: r for r in ws.result("matrix").to_pylist()}
        results = add_demo_campaign(ws, folder / "data", folder)
    return folder, path, tokens, files, before, results


def test_demo_campaign_and_the_next_run_uses_its_lifts(shop):
    from cvm.config import AnalysisConfig
    from cvm.demo import DEMO_AS_OF
    from cvm.pipeline import run

    folder, path, tokens, files, before, results = shop
    assert (folder / "campaign-results.csv").exists()
    assert (folder / "data" / "demo_campaign_outcomes.csv").exists()
    head = results[(results.segment == "all") & (results.outcome == "responded")].iloc[0]
    # the built-in effect is positive in every tier: the overall lift is above zero and the
    # interval holds the weighted true lift
    assert head.ci_low < sum(r[1] for r in RATES.values()) / len(RATES) * 2
    assert head.control_n == round(0.2 * (head.n + head.control_n)) or abs(
        head.control_n - 0.2 * (head.n + head.control_n)) <= len(RATES)
    with Workspace(path) as ws:
        measured = measured_cells(ws)
    assert measured and all(c.endswith("-current") for c in measured)
    run([files[0]], customers=[files[1]], workspace=path, out=None,
        config=AnalysisConfig(as_of=DEMO_AS_OF))
    with Workspace(path) as ws:
        after = {r["cell"]: r for r in ws.result("matrix").to_pylist()}
    for cell, m in measured.items():
        assert after[cell]["expected_response"] == pytest.approx(m.lift)
        assert after[cell]["gain_basis"].startswith(f"measured in campaign {DEMO_CAMPAIGN}: "
                                                    f"{m.lift * 100:+.1f} pp response, 95 % CI")
    from click.testing import CliRunner

    from cvm.cli import main

    shown = CliRunner().invoke(main, ["matrix", "--workspace", str(path)]).output
    assert f"expected gain by the response measured in campaign {DEMO_CAMPAIGN}" in shown
    # the cells no campaign measured keep the playbook's numbers
    for cell in set(before) - set(measured):
        assert after[cell]["expected_response"] == before[cell]["expected_response"]
        assert after[cell]["expected_gain_per_customer"] == pytest.approx(
            before[cell]["expected_gain_per_customer"], nan_ok=True)


def test_campaigns_page(shop, tmp_path):
    folder, path, tokens, files, before, results = shop
    server = Server(path, tokens, files).start(tmp_path / "serve.log")
    try:
        auth = {"Authorization": f"Bearer {tokens['viewer']}"}
        page = httpx.get(server.url + "/campaigns?lang=en", headers=auth, timeout=30)
        assert page.status_code == 200
        html = page.text
        assert "Campaigns: test and learn" in html and DEMO_CAMPAIGN in html
        assert 'id="registry-table"' in html and "looks-table" in html and "<svg" in html
        head = results[(results.segment == "all") & (results.outcome == "responded")].iloc[0]
        assert f"{head.lift * 100:+.1f} pp" in html
        zh = httpx.get(server.url + "/campaigns?lang=zh", headers=auth, timeout=30).text
        assert "营销活动：测试与学习" in zh and "实时监测" in zh and "已测量" in zh
        assert f"{head.lift * 100:+.1f} 个百分点" in zh and "矩阵单元格" in zh
        # the page needs a sign-in
        anonymous = httpx.get(server.url + "/campaigns", timeout=30)
        assert anonymous.status_code == 303 or "/login" in str(anonymous.url)
    finally:
        server.stop()
