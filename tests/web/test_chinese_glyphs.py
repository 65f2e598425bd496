"""The Chinese dashboard draws its characters with a font that has them, not as boxes.

Two measurements of the overview page in Chinese, taken in the browser:

- the advance of every Chinese character of the page's visible text, where it is laid out
  (a DOM range around the one character): an ideograph of a CJK font is one em wide (plus the
  element's letter spacing), whereas a missing glyph is drawn with the .notdef box of the
  Latin font, narrower;
- the bitmaps of the page's distinct Chinese characters drawn on a canvas in the page's font:
  a CJK font draws each differently, a missing glyph is the same box for every character.

The second test launches the same browser with fontconfig reading a configuration that lists
DejaVu alone (no Chinese font) and shows that both measurements then fail, so the first test
cannot pass on boxes."""

from __future__ import annotations

import os
from pathlib import Path

from .conftest import ARGS, CHROMIUM, shot
from .test_dashboard import sign_in

MEASURE = r"""() => {
  const CJK = /[\u3400-\u4dbf\u4e00-\u9fff]/;
  const wrong = [], chars = new Set();
  let measured = 0;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const style = getComputedStyle(node.parentElement);
    const em = parseFloat(style.fontSize) + (parseFloat(style.letterSpacing) || 0);
    const text = node.data;
    for (let i = 0; i < text.length; i++) {
      if (!CJK.test(text[i])) continue;
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      const rect = range.getBoundingClientRect();
      if (rect.width === 0 && rect.height === 0) continue;  // not displayed
      measured += 1;
      chars.add(text[i]);
      if (Math.abs(rect.width - em) > 0.5) wrong.push([text[i], rect.width, em]);
    }
  }
  // each distinct character on a canvas, in the body's font
  const canvas = document.createElement('canvas');
  canvas.width = 40; canvas.height = 40;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  const body = getComputedStyle(document.body);
  const bitmaps = new Set();
  for (const ch of chars) {
    ctx.clearRect(0, 0, 40, 40);
    ctx.font = `32px ${body.fontFamily}`;
    ctx.fillText(ch, 2, 34);
    bitmaps.add(Array.from(ctx.getImageData(0, 0, 40, 40).data.filter((_, k) => k % 4 === 3)).join(','));
  }
  return {measured, distinct: chars.size, bitmaps: bitmaps.size, wrong: wrong.slice(0, 10),
          wrongCount: wrong.length};
}"""


def _measure_overview(browser, server, name: str) -> dict:
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, server, "viewer")
        page.goto(server.url + "/?lang=zh")
        page.wait_for_selector("#kpis .kpi")
        page.wait_for_selector("#segments-table tbody tr")
        shot(page, name)
        return page.evaluate(MEASURE)
    finally:
        context.close()


def test_the_chinese_dashboard_draws_every_character_with_a_cjk_glyph(browser, web_server):
    found = _measure_overview(browser, web_server, "chinese-glyphs")
    assert found["measured"] >= 100 and found["distinct"] >= 40  # nav, tiles, tables, notes
    assert found["wrong"] == []
    assert found["bitmaps"] == found["distinct"]


def test_without_a_chinese_font_both_measurements_fail(browser, web_server, tmp_path):
    conf = tmp_path / "fonts.conf"
    dejavu = Path("/usr/share/fonts/truetype/dejavu")
    fonts = f"<dir>{dejavu}</dir>" if dejavu.is_dir() else ""
    conf.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM '
                    '"urn:fontconfig:fonts.dtd">\n'
                    f"<fontconfig>{fonts}<cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>\n")
    bare = browser.browser_type.launch(executable_path=CHROMIUM, args=ARGS,
                                       env={**os.environ, "FONTCONFIG_FILE": str(conf)})
    try:
        found = _measure_overview(bare, web_server, "chinese-glyphs-without-font")
    finally:
        bare.close()
    assert found["distinct"] >= 40
    assert found["wrongCount"] == found["measured"]  # no character one em wide
    assert found["bitmaps"] == 1                      # one box for all
