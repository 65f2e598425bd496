"""The dashboard under attack in a real browser: a page on another loopback port trying to use
the signed-in session, a redirect to another origin after sign-in, markup in a customer's URL,
and every page working under the Content-Security-Policy."""

from __future__ import annotations

import http.server
import re
import threading

import httpx
import pytest

from .conftest import sign_in

ATTACK = """<!doctype html><html><body><p id="done">…</p>
<form id="form" method="post" enctype="multipart/form-data" action="{target}/api/v1/runs/upload">
<input type="file" name="transactions" id="file"></form>
<script>
const csv = "customer,date,amount\\nEVIL1,2024-01-01,10.00\\nEVIL2,2024-01-02,20.00\\n";
async function attack() {{
  const body = new FormData();
  body.append("transactions", new Blob([csv], {{type: "text/csv"}}), "evil.csv");
  await fetch("{target}/api/v1/runs/upload", {{method: "POST", body, mode: "no-cors",
                                              credentials: "include"}});
  document.getElementById("done").textContent = "sent";
}}
function submitForm() {{
  const files = new DataTransfer();
  files.items.add(new File([csv], "evil.csv", {{type: "text/csv"}}));
  document.getElementById("file").files = files.files;
  document.getElementById("form").submit();
}}
</script></body></html>"""


@pytest.fixture
def other_origin(web_server):
    """A page served from another loopback port (another origin, the same site)."""
    page = ATTACK.format(target=web_server.url).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _jobs(server) -> list[dict]:
    with server.client("admin") as admin:
        return admin.get("/jobs").json()


def test_a_page_on_another_port_cannot_upload_with_the_session(page, web_server, other_origin):
    sign_in(page, web_server, "admin")
    cookie = next(c for c in page.context.cookies() if c["name"] == "cvm_session")
    assert (cookie["sameSite"], cookie["httpOnly"]) == ("Strict", True)
    before = _jobs(web_server)

    page.goto(other_origin + "/attack.html")
    with page.expect_response(web_server.url + "/api/v1/runs/upload") as fetched:
        page.evaluate("attack()")
    assert fetched.value.status == 403
    page.wait_for_function("document.getElementById('done').textContent === 'sent'")

    with page.expect_navigation() as posted:
        page.evaluate("submitForm()")
    assert posted.value.status == 403
    assert "cross-origin request refused" in page.inner_text("body")

    assert _jobs(web_server) == before  # no run was queued
    # the same session still works from the dashboard itself
    page.goto(web_server.url + "/runs?lang=en")
    page.wait_for_selector("#runs-table tbody tr")
    assert page.evaluate("""async () => (await fetch('/api/v1/tokens', {method: 'POST',
        headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({role: 'viewer', name: 'from the dashboard'})})).status""") == 201


@pytest.mark.parametrize("hostile", ["/%5C{host}/", "/%09/{host}/", "%2F%2F{host}/"])
def test_sign_in_does_not_redirect_to_another_origin(page, web_server, other_origin, hostile):
    host = other_origin.removeprefix("http://")
    page.goto(web_server.url + "/login?lang=en&next=" + hostile.format(host=host))
    page.fill("#token", web_server.tokens["viewer"])
    with page.expect_navigation() as landed:
        page.click("#login-form button[type=submit]")
    assert landed.value.url == web_server.url + "/"
    page.wait_for_selector("#kpis .kpi")
    assert page.url == web_server.url + "/"


def test_sign_in_returns_to_the_page_asked_for(page, web_server):
    page.goto(web_server.url + "/matrix?lang=en")
    page.wait_for_url("**/login?next=%2Fmatrix%3Flang%3Den")
    page.fill("#token", web_server.tokens["viewer"])
    page.click("#login-form button[type=submit]")
    page.wait_for_url(web_server.url + "/matrix?lang=en")
    page.wait_for_selector("#matrix-chart canvas")


def test_markup_in_a_customer_url_does_not_break_the_page(page, web_server):
    sign_in(page, web_server, "viewer")
    page.goto(web_server.url + "/customers/%3C!--%3Cscript%3E?lang=en")
    page.wait_for_selector("#no-run:not([hidden])")
    assert page.inner_text("#customer-title") == "Customer <!--<script>"
    assert re.fullmatch(r"no customer '<!--<script>' in run \d+", page.inner_text("#no-run"))
    assert page.is_visible("#sign-out") and page.inner_text("footer").startswith("cvm ")


def test_every_page_works_under_the_content_security_policy(page, web_server):
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text)
            if "Content Security Policy" in m.text else None)
    sign_in(page, web_server, "admin")
    checks = {"/": "#pareto-chart canvas", "/matrix": "#matrix-chart canvas",
              "/lifecycle": "#funnel-chart canvas", "/clv": "#content",
              "/cohorts": "#cohort-table tbody tr",
              "/customers": "#customers-table tbody tr", "/runs": "#runs-table tbody tr",
              "/api/v1/docs": ".opblock"}
    for path, selector in checks.items():
        response = page.goto(web_server.url + path)
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_selector(selector)
        page.wait_for_load_state("networkidle")
    page.goto(web_server.url + "/")
    page.wait_for_selector("#segments-table tbody tr")
    page.hover("#pareto-chart")  # the chart tooltip sets inline styles
    assert refused == []
    # an injected inline script would be refused
    assert httpx.get(web_server.url + "/login").headers["content-security-policy"].count(
        "'unsafe-inline'") == 1
