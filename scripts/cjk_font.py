"""Build the Chinese font that cvm's PDF reports embed: a subset of Noto Sans CJK SC.

The subset holds every character that cvm's own text uses (labels, playbooks, scheme titles,
vocabulary, demo data: every non-ASCII character of ``src/cvm`` but the vendored scripts), the
3,755 characters of GB2312 level 1 (the most frequent Chinese characters, so that customer data
such as store or playbook names mostly prints too), printable ASCII, CJK punctuation and the
full-width forms. It is renamed "cvm Sans SC": the SIL Open Font License lets a subset be
redistributed under the same licence, under a name of its own.

The source is Debian's ``fonts-noto-cjk`` (Noto Sans CJK 2.004):

    apt-get install fonts-noto-cjk
    python scripts/cjk_font.py            # writes src/cvm/reports/fonts/cvm-sans-sc-*.otf
    python scripts/cjk_font.py --check    # exit 1 when cvm's text uses a character not in them

Run it again when a label brings a character the fonts lack (``tests/reports/
test_typeface.py`` says which).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "cvm"
TARGET = PACKAGE / "reports" / "fonts"
SOURCES = {"Regular": Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
           "Bold": Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")}
SC = 2  # the collection's fonts: JP, KR, SC, TC, HK, then the Mono ones
FAMILY = "cvm Sans SC"
TEXT_FILES = {".py", ".toml", ".j2", ".js", ".css", ".html", ".json", ".txt", ".csv"}


def text_characters() -> set[str]:
    """Every non-ASCII character of cvm's own text files (the vendored scripts left out)."""
    found: set[str] = set()
    for path in PACKAGE.rglob("*"):
        if path.is_file() and path.suffix in TEXT_FILES and "vendor" not in path.parts:
            found.update(c for c in path.read_text(encoding="utf-8") if ord(c) > 0x7E)
    return found


def is_chinese(c: str) -> bool:
    """A CJK ideograph, CJK punctuation or a full-width form."""
    code = ord(c)
    return (0x3000 <= code <= 0x303F or 0x3400 <= code <= 0x4DBF or 0x4E00 <= code <= 0x9FFF
            or 0xFF00 <= code <= 0xFFEF)


def gb2312_level_1() -> set[str]:
    """GB2312's level-1 characters: rows 16 to 55 (bytes 0xB0A1–0xD7F9), 3,755 in all."""
    out = set()
    for high in range(0xB0, 0xD8):
        for low in range(0xA1, 0xFF):
            try:
                out.add(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                pass  # row 55 ends at 0xF9
    return out


def wanted() -> set[str]:
    ascii_ = {chr(c) for c in range(0x20, 0x7F)}
    cjk_punctuation = {chr(c) for c in range(0x3000, 0x3040)}
    full_width = {chr(c) for c in range(0xFF01, 0xFF5F)}
    return text_characters() | gb2312_level_1() | ascii_ | cjk_punctuation | full_width


def build(weight: str, characters: set[str]) -> Path:
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    font = TTCollection(str(SOURCES[weight])).fonts[SC]
    options = subset.Options()
    options.hinting = False            # PDF viewers draw CFF outlines unhinted anyway
    options.layout_features = ["kern"]  # no vertical, Japanese or Korean alternates
    options.drop_tables += ["vhea", "vmtx", "VORG"]
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 10, 13, 14]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(ord(c) for c in characters))
    subsetter.subset(font)
    _rename(font, weight)
    font.recalcTimestamp = False  # the same bytes from the same source: rebuilding changes nothing
    TARGET.mkdir(parents=True, exist_ok=True)
    out = TARGET / f"cvm-sans-sc-{weight.lower()}.otf"
    font.save(str(out))
    return out


def _rename(font, weight: str) -> None:
    """A name of its own (the licence's condition for a modified version), the origin told."""
    postscript = f"{FAMILY.replace(' ', '')}-{weight}"
    names = font["name"]
    version = names.getDebugName(5)
    for record in list(names.names):
        if record.nameID in (1, 3, 4, 6, 10, 16, 17):
            names.removeNames(nameID=record.nameID)
    for name_id, text in ((1, FAMILY), (2, weight), (3, f"{postscript};subset of {version}"),
                          (4, f"{FAMILY} {weight}"), (6, postscript),
                          (10, "A subset of Noto Sans CJK SC for cvm's PDF reports")):
        names.setName(text, name_id, 3, 1, 0x409)
    cff = font["CFF "].cff
    top = cff[cff.fontNames[0]]
    cff.fontNames = [postscript]
    top.FullName, top.FamilyName = f"{FAMILY} {weight}", FAMILY
    if hasattr(top, "CIDFontName"):
        top.CIDFontName = postscript


def missing(characters: set[str]) -> dict[str, str]:
    """The ``characters`` that each shipped font cannot draw."""
    from fontTools.ttLib import TTFont

    out = {}
    for weight in SOURCES:
        path = TARGET / f"cvm-sans-sc-{weight.lower()}.otf"
        cmap = TTFont(str(path))["cmap"].getBestCmap() if path.exists() else {}
        lacking = "".join(sorted(c for c in characters if ord(c) not in cmap))
        if lacking:
            out[path.name] = lacking
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="only check that the shipped fonts hold every Chinese character of cvm's text")
    args = parser.parse_args(argv)
    if args.check:
        lacking = missing({c for c in text_characters() if is_chinese(c)})
        for name, chars in lacking.items():
            print(f"{name} lacks {chars}")
        return 1 if lacking else 0
    characters = wanted()
    for weight in SOURCES:
        path = build(weight, characters)
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
