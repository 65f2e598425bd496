"""The report says which 重要挽留客户 a run's scheme means, next to the segment table: the RFM
primer's (R low, F high, M middle; seed4) or the eight-class one (R low, F low, M high; cn8)."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from cvm.config import AnalysisConfig, RFMOptions
from cvm.features.rfm_schemes import load_scheme
from cvm.ingest.load import load_transactions
from cvm.pipeline import analyse
from cvm.results import write_results
from cvm.workspace import Workspace


def _segments_section(html: str) -> str:
    return re.search(r'<section id="segments">(.*?)</section>', html, re.S).group(1)


@pytest.fixture(scope="module")
def reports(cdnow_sample_path, tmp_path_factory):
    """The report of a CDNOW-sample run in each scheme and language: {(scheme, lang): html}."""
    folder = tmp_path_factory.mktemp("scheme-note")
    pages = {}
    with Workspace(folder / "w.duckdb") as ws:
        load_transactions(ws, cdnow_sample_path, as_of=dt.date(1998, 6, 30))
        for scheme in ("seed4", "cn8", "std11"):
            # one run per scheme, its results written in each language
            result = analyse(ws, AnalysisConfig(rfm=RFMOptions(scheme=scheme)))
            for lang in ("en", "zh"):
                out = write_results(ws, result, folder / f"{scheme}-{lang}", lang=lang)
                pages[scheme, lang] = (out / "report.html").read_text(encoding="utf-8")
    return pages


@pytest.mark.parametrize("scheme, lang, says", [
    ("seed4", "en", "the primer&#39;s case being R low, F high, M middle. It is not the "
                    "eight-class scheme&#39;s 重要挽留客户 (R low, F low, M high)."),
    ("seed4", "zh", "资料中的典型为 R 低、F 高、M 中；不同于八类客户中的“重要挽留客户”（R 低、F 低、M 高）。"),
    ("cn8", "en", "重要挽留客户 (important win-back) here means R low, F low, M high"),
    ("cn8", "zh", "此处的“重要挽留客户”指 R 低、F 低、M 高"),
])
def test_the_segment_table_says_which_definition_applies(reports, scheme, lang, says):
    section = _segments_section(reports[scheme, lang])
    assert says in section
    assert "重要挽留客户" in section  # the label the note explains is in the table


def test_the_whole_note_follows_the_section_note(reports):
    for scheme in ("seed4", "cn8"):
        for lang in ("en", "zh"):
            note = re.search(r'<p class="note">(.*?)</p>',
                             _segments_section(reports[scheme, lang]), re.S).group(1)
            assert html.unescape(note).endswith(load_scheme(scheme).note(lang)), (scheme, lang)


def test_a_scheme_without_a_note_adds_nothing(reports):
    for lang in ("en", "zh"):
        section = _segments_section(reports["std11", lang])
        assert "重要挽留" not in section and "R low" not in section and "R 低" not in section

