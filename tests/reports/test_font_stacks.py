"""The report and the dashboard name fonts that cover Chinese on Windows, macOS and Linux, after
the Latin ones, ending in the generic family."""

from __future__ import annotations

import re
from pathlib import Path

from cvm.reports.charts import FONT_STACK

APP_CSS = Path(__file__).resolve().parents[2] / "src" / "cvm" / "web" / "static" / "app.css"
#: macOS, Windows, Linux (Noto / Source Han, WenQuanYi) — in the order a browser should try them.
CHINESE = ['"PingFang SC"', '"Microsoft YaHei"', '"Noto Sans CJK SC"', '"Source Han Sans SC"',
           '"WenQuanYi Micro Hei"']


def _families(stack: str) -> list[str]:
    return [f.strip() for f in re.sub(r"\s+", " ", stack).split(",")]


def _check(stack: str) -> None:
    families = _families(stack)
    assert [f for f in families if f in CHINESE] == CHINESE
    assert families.index('"PingFang SC"') > families.index("Arial")
    assert families[-1] == "sans-serif"


def test_report_font_stack_covers_chinese(make_inputs):
    from cvm.reports import render_report

    html = render_report(*make_inputs(50, lang="zh"), lang="zh")
    declared = re.search(r":root \{ --font: (.*?); \}", html).group(1)
    assert declared == FONT_STACK
    _check(declared)
    assert "font-family: var(--font)" in html


def test_dashboard_font_stack_covers_chinese():
    css = APP_CSS.read_text(encoding="utf-8")
    _check(re.search(r"--font:(.*?);", css, flags=re.DOTALL).group(1))
    assert "font-family: var(--font)" in css
