"""The font a printed report draws Chinese with, so that a PDF made on a server reads.

A browser showing ``report.html`` draws Chinese with the reader's own fonts (the page's font
stack names them for Windows, macOS and Linux). A PDF is drawn with the fonts of the machine that
prints it, and a server often has no Chinese font at all. cvm therefore ships "cvm Sans SC"
(``fonts/``, a subset of Noto Sans CJK SC under the SIL Open Font License, made by
``scripts/cjk_font.py``): every character of cvm's own text and the 3,755 most frequent Chinese
characters, in regular and bold. It comes last in the printed page's font stack, after every
system font, so it draws what no installed font can. WeasyPrint takes it from the page's
``@font-face`` rules; headless chromium (which draws some runs of a print with a fallback box
while a web font loads) finds it through fontconfig, in a configuration that adds its folder.

>>> print(font_stack('Arial, "PingFang SC", sans-serif'))
Arial, "PingFang SC", "cvm Sans SC", sans-serif
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from ..errors import CvmError

__all__ = ["FAMILY", "FONTS", "FontMissing", "font_stack", "fontconfig_file", "for_print",
           "shipped_fonts"]

FAMILY = "cvm Sans SC"
#: Where the shipped font files are (package data).
FONTS = Path(__file__).resolve().parent / "fonts"
_FILES = {400: "cvm-sans-sc-regular.otf", 700: "cvm-sans-sc-bold.otf"}
_CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
_MESSAGE = {
    "en": "the PDF has Chinese text and no font on this machine can draw it: reinstall cvm "
          "(its fonts are in cvm/reports/fonts) or install a Chinese font, for example "
          "`apt-get install fonts-noto-cjk`",
    "zh": "PDF 含有中文，而本机没有能显示中文的字体：请重新安装 cvm（其字体位于 "
          "cvm/reports/fonts）或安装中文字体，例如 `apt-get install fonts-noto-cjk`",
}


class FontMissing(CvmError, RuntimeError):
    """A PDF with Chinese text, and no font to draw it with."""


def shipped_fonts(folder: Path = FONTS) -> dict[int, Path]:
    """The shipped font file of each weight (400, 700) found in ``folder``."""
    return {weight: folder / name for weight, name in _FILES.items() if (folder / name).is_file()}


def font_stack(stack: str) -> str:
    """``stack`` with the shipped family before its closing generic family."""
    head, sep, generic = stack.rpartition(",")
    if not sep:
        return f'"{FAMILY}", {stack}'
    return f'{head}, "{FAMILY}",{generic}'


def for_print(page: str, stack: str, lang: str = "en", folder: Path = FONTS, *,
              faces: bool = True) -> str:
    """``page`` (a report drawn with the font stack ``stack``) ready to be printed: the shipped
    family added to the stack, and declared by ``@font-face`` rules unless not ``faces`` (when
    fontconfig knows it: :func:`fontconfig_file`). Without the shipped fonts, the page as it is
    when the machine has a Chinese font or the page has no Chinese; else :class:`FontMissing`."""
    fonts = shipped_fonts(folder)
    if fonts:
        rules = "".join(
            f'@font-face {{ font-family: "{FAMILY}"; font-weight: {weight}; '
            f'src: url("{path.as_uri()}") format("opentype"); }}\n'
            for weight, path in sorted(fonts.items())) if faces else ""
        css = f"<style>\n{rules}:root {{ --font: {font_stack(stack)}; }}\n</style>\n"
        head_end = page.index("</head>")
        return page[:head_end] + css + page[head_end:]
    if _CHINESE.search(_text(page)) and not system_has_chinese_font():
        raise FontMissing(_MESSAGE.get(lang, _MESSAGE["en"]))
    return page


def fontconfig_file(directory: Path, folder: Path = FONTS) -> Path:
    """A fontconfig configuration, written in ``directory``, that reads the one in force and adds
    the shipped fonts' folder: for a program given it as ``FONTCONFIG_FILE``."""
    current = os.environ.get("FONTCONFIG_FILE", "")
    if not os.path.isabs(current):
        current = "/etc/fonts/fonts.conf"
    path = directory / "fonts.conf"
    path.write_text('<?xml version="1.0"?>\n'
                    '<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
                    f'<fontconfig>\n  <include ignore_missing="yes">{_xml(current)}</include>\n'
                    f"  <dir>{_xml(str(folder))}</dir>\n</fontconfig>\n", encoding="utf-8")
    return path


def system_has_chinese_font() -> bool:
    """Whether fontconfig knows a font for Chinese (Windows and macOS always have one)."""
    if sys.platform in ("win32", "darwin"):
        return True
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    found = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True,
                           timeout=60)
    return bool(found.stdout.strip())


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _text(page: str) -> str:
    """The page's text, its styles and markup left out (a rough cut, enough to find Chinese)."""
    return re.sub(r"<style.*?</style>|<[^>]*>", " ", page, flags=re.DOTALL)
