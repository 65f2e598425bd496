"""A Chinese PDF report reads on a machine without a Chinese font: cvm ships one (a subset of Noto
Sans CJK SC) and both printers, WeasyPrint and headless chromium, draw with it; without it and
without a font on the machine, the report is refused in one sentence.

"A machine without a Chinese font" is this one with fontconfig told to read a configuration that
lists DejaVu alone (``FONTCONFIG_FILE``): ``fc-list :lang=zh`` then finds nothing. A PDF is read
back with pypdf: the names of its embedded fonts and its text layer. Glyphs drawn as boxes leave
no Chinese in the text layer (WeasyPrint writes other characters, chromium none), which
``test_the_checks_tell_a_pdf_drawn_without_a_chinese_font`` shows."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cvm.reports.charts import FONT_STACK
from cvm.reports.typeface import FAMILY, FONTS, FontMissing, for_print, system_has_chinese_font

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from api.server import build_workspace  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CVM = [sys.executable, "-m", "cvm"]
#: Labels of the Chinese report: its title, section titles, a tile label and the as-of date
#: (chromium once drew the last three as boxes while a web font loaded).
LABELS = ("客户价值分析报告", "数据来源", "摘要", "客户数", "2024年12月31日")
#: Fonts that draw Chinese, as a PDF names them (WeasyPrint writes spaces as "-").
CJK_FONT = re.compile(r"cvm-?Sans-?SC|Noto-?Sans-?CJK|Noto-?Sans-?SC|Source-?Han|WenQuanYi|"
                      r"PingFang|YaHei|Hiragino|SimHei|SimSun|Droid-?Sans-?Fallback", re.I)


def _script():
    spec = importlib.util.spec_from_file_location("cjk_font", ROOT / "scripts" / "cjk_font.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def no_chinese_font(tmp_path_factory) -> Path:
    """A fontconfig configuration with DejaVu alone (or no font at all)."""
    folder = tmp_path_factory.mktemp("fontconfig")
    dejavu = Path("/usr/share/fonts/truetype/dejavu")
    fonts = f"<dir>{dejavu}</dir>" if dejavu.is_dir() else ""
    conf = folder / "fonts.conf"
    conf.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM '
                    '"urn:fontconfig:fonts.dtd">\n'
                    f"<fontconfig>{fonts}<cachedir>{folder / 'cache'}</cachedir></fontconfig>\n")
    if shutil.which("fc-list"):
        found = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True,
                               env=dict(os.environ, FONTCONFIG_FILE=str(conf)), check=True)
        assert found.stdout.strip() == ""
    return conf


@pytest.fixture(scope="module")
def zh_workspace(tmp_path_factory) -> Path:
    path, _, _ = build_workspace(tmp_path_factory.mktemp("zh"), customers=150, lang="zh")
    return path


@pytest.fixture(scope="module")
def zh_page(zh_workspace) -> str:
    from cvm.reports import render_report
    from cvm.workspace import Workspace

    with Workspace(zh_workspace, read_only=True) as ws:
        run_id = ws.latest_run()
        summary = ws.run_summary(run_id)
        customers = ws.result("customers", run_id).to_pandas(date_as_object=False)
        segments = ws.result("segments", run_id).to_pandas()
    return render_report(customers, segments, summary["pareto"], summary["info"], lang="zh")


def _read(pdf: Path) -> tuple[set[str], str]:
    """The PDF's embedded font names (subset prefixes cut) and its text."""
    from pypdf import PdfReader

    reader = PdfReader(str(pdf))
    names = set()
    for page in reader.pages:
        for font in (page.get("/Resources", {}).get("/Font") or {}).values():
            base = font.get_object().get("/BaseFont")
            if base:
                names.add(str(base).lstrip("/").split("+")[-1])
    return names, "\n".join(page.extract_text() for page in reader.pages)


def _report(workspace: Path, out: Path, env: dict, *, weasyprint: bool = True):
    hide = "" if weasyprint else "sys.modules['weasyprint'] = None; "
    code = f"import sys; {hide}from cvm.cli import main; sys.exit(main())"
    return subprocess.run([sys.executable, "-c", code, "report", "--workspace", str(workspace),
                           "--format", "pdf", "--lang", "zh", "--out", str(out)],
                          capture_output=True, text=True, env=env, timeout=300)


def test_the_shipped_fonts_hold_every_chinese_character_of_cvm_text():
    script = _script()
    chinese = {c for c in script.text_characters() if script.is_chinese(c)}
    assert len(chinese) > 800  # the labels, playbooks, schemes and demo data of both interfaces
    assert script.missing(chinese) == {}
    assert script.missing(script.gb2312_level_1()) == {}
    sizes = {p.name: p.stat().st_size for p in FONTS.glob("*.otf")}
    assert sorted(sizes) == ["cvm-sans-sc-bold.otf", "cvm-sans-sc-regular.otf"]
    assert sum(sizes.values()) < 2_000_000
    assert "SIL OPEN FONT LICENSE Version 1.1" in (FONTS / "OFL.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("printer", ["weasyprint", "chromium"])
def test_a_chinese_pdf_made_where_no_chinese_font_is_installed_reads(
        printer, zh_workspace, no_chinese_font, tmp_path):
    if printer == "weasyprint":
        pytest.importorskip("weasyprint")
    elif not (shutil.which("chromium") or os.environ.get("CI")):
        pytest.skip("chromium is not installed")
    out = tmp_path / "report.pdf"
    done = _report(zh_workspace, out, dict(os.environ, FONTCONFIG_FILE=str(no_chinese_font)),
                   weasyprint=printer == "weasyprint")
    assert done.returncode == 0, done.stderr
    names, text = _read(out)
    text = re.sub(r"\s+", "", text)
    assert [label for label in LABELS if label not in text] == []
    if printer == "weasyprint":  # chromium embeds CFF fonts as nameless Type 3 fonts
        assert {"cvm-Sans-SC", "cvm-Sans-SC-Bold"} <= names
        assert not any("Noto" in n for n in names)


def test_on_this_machine_the_chinese_pdf_embeds_a_chinese_font(zh_page, tmp_path):
    """With the machine's fonts (``scripts/test.sh`` installs fonts-noto-cjk): a CJK font drawn
    from the page's stack, the machine's or the shipped one."""
    weasyprint = pytest.importorskip("weasyprint")
    weasyprint.HTML(string=for_print(zh_page, FONT_STACK, "zh")).write_pdf(tmp_path / "zh.pdf")
    names, text = _read(tmp_path / "zh.pdf")
    assert [n for n in names if CJK_FONT.search(n)]
    assert [label for label in LABELS if label not in re.sub(r"\s+", "", text)] == []


def test_the_checks_tell_a_pdf_drawn_without_a_chinese_font(zh_page, no_chinese_font, tmp_path):
    """The HTML report as it is (no shipped font declared), printed where no font has Chinese:
    no CJK font among the embedded ones, and not one label in the text layer.

    Printed by another process: fontconfig reads its configuration once per process, and this
    one's later PDFs must keep the machine's fonts."""
    pytest.importorskip("weasyprint")
    (tmp_path / "zh.html").write_text(zh_page, encoding="utf-8")
    subprocess.run([sys.executable, "-c", "import sys, weasyprint; "
                    "weasyprint.HTML(filename=sys.argv[1]).write_pdf(sys.argv[2])",
                    str(tmp_path / "zh.html"), str(tmp_path / "boxes.pdf")],
                   env=dict(os.environ, FONTCONFIG_FILE=str(no_chinese_font)), check=True)
    names, text = _read(tmp_path / "boxes.pdf")
    assert names and [n for n in names if CJK_FONT.search(n)] == []
    assert [label for label in LABELS if label in re.sub(r"\s+", "", text)] == []


def test_the_printed_page_declares_the_shipped_fonts_after_every_system_font(zh_page):
    page = for_print(zh_page, FONT_STACK, "zh")
    urls = re.findall(r'@font-face \{ font-family: "cvm Sans SC"; font-weight: (\d+); '
                      r'src: url\("file://([^"]+)"\)', page)
    assert [weight for weight, _ in urls] == ["400", "700"]
    assert all(Path(path).is_file() for _, path in urls)
    stack = re.findall(r":root \{ --font: (.*?); \}", page)[-1]
    assert stack.endswith(f'"Source Han Sans SC", "WenQuanYi Micro Hei", "{FAMILY}", sans-serif')
    assert page.index("@font-face") < page.index("</head>")
    # for chromium, which finds the fonts through fontconfig: the stack, no @font-face
    bare = for_print(zh_page, FONT_STACK, "zh", faces=False)
    assert "@font-face" not in bare and f'"{FAMILY}", sans-serif' in bare


def test_without_any_chinese_font_the_chinese_pdf_is_refused_in_one_sentence(
        zh_page, no_chinese_font, tmp_path, monkeypatch):
    empty = tmp_path / "no-fonts"
    empty.mkdir()
    monkeypatch.setenv("FONTCONFIG_FILE", str(no_chinese_font))
    assert not system_has_chinese_font()
    with pytest.raises(FontMissing) as refused:
        for_print(zh_page, FONT_STACK, "zh", folder=empty)
    assert "apt-get install fonts-noto-cjk" in str(refused.value)
    assert "。" not in str(refused.value)  # one sentence
    with pytest.raises(FontMissing, match="fonts-noto-cjk") as refused:
        for_print(zh_page, FONT_STACK, "en", folder=empty)
    assert ". " not in str(refused.value)
    # an English page without Chinese prints with the Latin fonts
    english = "<html><head></head><body><h1>Customer value report</h1></body></html>"
    assert for_print(english, FONT_STACK, "en", folder=empty) == english


def test_without_the_shipped_fonts_the_machine_s_chinese_font_does(zh_page, tmp_path):
    if not system_has_chinese_font():
        if os.environ.get("CI"):
            pytest.fail("no Chinese font on this machine: apt-get install fonts-noto-cjk")
        pytest.skip("no Chinese font on this machine")
    assert for_print(zh_page, FONT_STACK, "zh", folder=tmp_path) == zh_page


def test_the_command_refuses_when_cvm_lost_its_fonts(zh_workspace, no_chinese_font, tmp_path):
    """cvm installed without its font files, on a machine without a Chinese font: exit code 2,
    one sentence that names what to install, no PDF."""
    copy = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "cvm", copy / "cvm",
                    ignore=shutil.ignore_patterns("fonts", "__pycache__"))
    out = tmp_path / "report.pdf"
    env = dict(os.environ, FONTCONFIG_FILE=str(no_chinese_font), PYTHONPATH=str(copy))
    done = _report(zh_workspace, out, env)
    assert done.returncode == 2
    message = " ".join(done.stderr.split())
    assert message.startswith("error: PDF 含有中文，而本机没有能显示中文的字体")
    assert "apt-get install fonts-noto-cjk" in message
    assert not out.exists()
