"""The dashboard's pages: server-rendered shells that draw their figures from the REST API.

A page needs a signed-in session (else it redirects to the sign-in page, which returns to the
page after signing in: only to a path on this server, see :func:`safe_next`). The language comes
from ``?lang=en|zh`` (remembered in a cookie), else the cookie, else the browser's preference.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote, unquote

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from .. import __version__
from .labels import LANGS, labels

__all__ = ["router", "safe_next", "boot_json"]

router = APIRouter(include_in_schema=False)
_LANG_COOKIE = "cvm_lang"
_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True, trim_blocks=True, lstrip_blocks=True)

_NAV = (("overview", "/", "nav_overview"), ("matrix", "/matrix", "nav_matrix"),
        ("lifecycle", "/lifecycle", "nav_lifecycle"), ("clv", "/clv", "nav_clv"),
        ("churn", "/churn", "nav_churn"), ("cross_sell", "/cross-sell", "nav_cross_sell"),
        ("campaigns", "/campaigns", "nav_campaigns"),
        ("satisfaction", "/satisfaction", "nav_satisfaction"),
        ("cohorts", "/cohorts", "nav_cohorts"), ("customers", "/customers", "nav_customers"),
        ("runs", "/runs", "nav_runs"))


#: Characters that could end or alter the <script> element holding the page's startup data.
_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028",
                   "\u2029": "\\u2029"}


def safe_next(target: str | None) -> str:
    r"""Where to go after signing in: ``target`` when it is a path on this server, else ``/``.

    A path on this server starts with one ``/`` that no ``/`` or ``\`` follows, and has no
    scheme, no control character or space (browsers drop tabs and newlines, so ``/<tab>/host``
    becomes ``//host``) and no backslash, neither as sent nor once percent-decoded.

    >>> [safe_next(t) for t in ("/customers?segment=a", "//evil.test", "/\\evil.test",
    ...                         "/\t/evil.test", "https://evil.test", "/%2F%2Fevil.test")]
    ['/customers?segment=a', '/', '/', '/', '/', '/']
    """
    if not target:
        return "/"
    for text in (target, unquote(target)):
        if not text.startswith("/") or text.startswith(("//", "/\\")) or "\\" in text \
                or any(c.isspace() or not c.isprintable() for c in text):
            return "/"
    return target


def boot_json(data: dict) -> str:
    """The page's startup data as JSON that is safe inside a ``<script>`` element: ``<``, ``>``,
    ``&`` and the line separators U+2028/2029 written as ``\\u`` escapes, so that no value
    (a customer id such as ``<!--<script>``) can close or alter the element.

    >>> boot_json({"id": "<!--<script></script>&\u2028"})
    '{"id": "\\\\u003c!--\\\\u003cscript\\\\u003e\\\\u003c/script\\\\u003e\\\\u0026\\\\u2028"}'
    """
    text = json.dumps(data, ensure_ascii=False)
    return re.sub("[<>&\u2028\u2029]", lambda m: _SCRIPT_ESCAPES[m.group()], text)


def _lang(request: Request) -> tuple[str, bool]:
    asked = request.query_params.get("lang")
    if asked in LANGS:
        return asked, True
    saved = request.cookies.get(_LANG_COOKIE)
    if saved in LANGS:
        return saved, False
    accept = request.headers.get("accept-language", "").lower()
    return ("zh" if accept.startswith("zh") else "en"), False


def _render(request: Request, template: str, page: str, *, who=None, extra: dict | None = None):
    lang, chosen = _lang(request)
    words = labels(lang)
    data = {"page": page, "lang": lang, "labels": words, "version": __version__,
            "role": who.role if who else None, **(extra or {})}
    html = _ENV.get_template(template).render(
        t=words, lang=lang, page=page, nav=_NAV, who=who, version=__version__,
        path=request.url.path, query=str(request.url.query),
        other_lang="zh" if lang == "en" else "en",
        switch_href=_switch_href(request, "zh" if lang == "en" else "en"),
        boot=boot_json(data))
    response = HTMLResponse(html)
    if chosen:
        response.set_cookie(_LANG_COOKIE, lang, max_age=365 * 86400, samesite="strict", path="/")
    return response


def _switch_href(request: Request, lang: str) -> str:
    url = request.url.include_query_params(lang=lang)
    return f"{url.path}?{url.query}"


def _page(template: str, page: str):
    def view(request: Request):
        who = request.app.state.cvm.access.principal(request)
        if who is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        return _render(request, template, page, who=who)
    view.__name__ = f"page_{page}"
    return view


for _path, _name in (("/", "overview"), ("/matrix", "matrix"), ("/lifecycle", "lifecycle"),
                     ("/clv", "clv"), ("/churn", "churn"), ("/cross-sell", "cross_sell"),
                     ("/satisfaction", "satisfaction"), ("/cohorts", "cohorts"),
                     ("/customers", "customers"), ("/runs", "runs")):
    router.add_api_route(_path, _page(f"{_name}.html.j2", _name), methods=["GET"],
                         response_class=HTMLResponse)


@router.get("/customers/{customer_id:path}", response_class=HTMLResponse)
def customer_page(customer_id: str, request: Request):
    who = request.app.state.cvm.access.principal(request)
    if who is None:
        return RedirectResponse(f"/login?next={quote(request.url.path, safe='')}",
                                status_code=303)
    return _render(request, "customer.html.j2", "customer", who=who,
                   extra={"customer_id": customer_id})


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request):
    """The sign-in page; when already signed in, straight on to ``next`` (if safe)."""
    target = safe_next(request.query_params.get("next"))
    if request.app.state.cvm.access.principal(request) is not None:
        return RedirectResponse(target, status_code=303)
    return _render(request, "login.html.j2", "login", extra={"next": target})


@router.get("/favicon.ico")
def favicon():
    return RedirectResponse("/static/favicon.svg", status_code=308)
