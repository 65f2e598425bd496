"""The dashboard's campaigns page: the test registry, and for each campaign its design, its
results with 95 % intervals and the always-valid monitor's looks. Rendered on the server from
the workspace's registry (:func:`cvm.campaigns.registry.registry_snapshot`)."""

from __future__ import annotations

import math
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from .. import __version__
from ..reports.campaigns import WORDS, forest_svg
from .labels import labels
from .pages import _ENV, _LANG_COOKIE, _NAV, _lang, _switch_href, boot_json

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _pp(v, lang: str = "en") -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{v * 100:+.1f} pp" if lang == "en" else f"{v * 100:+.1f} 个百分点"


def _num(v, digits: int = 2) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else \
        f"{v:,.{digits}f}"


def _p(v) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else (
        "< 0.001" if v < 0.001 else f"{v:.3f}")


def _row(r: dict, lang: str) -> dict:
    rate = r["kind"] == "rate"
    value = (lambda v: "–" if v is None else f"{v * 100:.1f}%") if rate else _num
    lift = (lambda v: _pp(v, lang)) if rate else (lambda v: "–" if v is None else f"{v:+,.2f}")
    roi = r.get("roi")
    return {"segment": r["segment"], "outcome": r["outcome"], "n": f"{r['n']:,}",
            "control_n": f"{r['control_n']:,}", "treated": value(r["treated_value"]),
            "control": value(r["control_value"]), "lift": lift(r["lift"]),
            "ci": f"{lift(r['ci_low'])} … {lift(r['ci_high'])}", "p": _p(r["p_adjusted"]),
            "significant": bool(r.get("significant")),
            "roi": (f"{roi:.0%} ({r['roi_low']:.0%} … {r['roi_high']:.0%})"
                    if roi is not None and not math.isnan(roi) else "")}


@router.get("/campaigns", response_class=HTMLResponse)
def campaigns_page(request: Request):
    state = request.app.state.cvm
    who = state.access.principal(request)
    if who is None:
        return RedirectResponse(f"/login?next={quote(request.url.path, safe='')}",
                                status_code=303)
    from ..campaigns.registry import registry_snapshot

    lang, chosen = _lang(request)
    w = WORDS[lang]
    campaigns = []
    for c in registry_snapshot(state.ws):
        rates = [r for r in c["results"] if r["kind"] == "rate" and r["segment"] != "all"]
        h = c.get("headline")
        head = _row({**h, "segment": "all", "n": 0, "control_n": 0, "treated_value": None,
                     "control_value": None, "significant": False,
                     "kind": "rate" if h["outcome"] in ("responded", "retained") else "mean"},
                    lang) if h else None
        campaigns.append({**c, "head": head, "rows": [_row(r, lang) for r in c["results"]],
                          "forest": forest_svg([(r["segment"], r["lift"], r["ci_low"],
                                                 r["ci_high"]) for r in rates
                                                if r["lift"] is not None],
                                               w["forest_caption"]),
                          "looks_rows": [{"day": k["day"],
                                          "treated": f"{k['treated_value'] * 100:.1f}%",
                                          "control": f"{k['control_value'] * 100:.1f}%",
                                          "lift": _pp(k["lift"], lang), "p": _p(k["p_value"]),
                                          "significant": k["significant"]}
                                         for k in c["looks"]]})
    words = labels(lang)
    html = _ENV.get_template("campaigns.html.j2").render(
        t=words, w=w, lang=lang, page="campaigns", nav=_NAV, who=who, version=__version__,
        path=request.url.path, query=str(request.url.query), campaigns=campaigns,
        other_lang="zh" if lang == "en" else "en",
        switch_href=_switch_href(request, "zh" if lang == "en" else "en"),
        boot=boot_json({"page": "campaigns", "lang": lang, "labels": words,
                        "version": __version__, "role": who.role}))
    response = HTMLResponse(html)
    if chosen:
        response.set_cookie(_LANG_COOKIE, lang, max_age=365 * 86400, samesite="strict", path="/")
    return response
