"""Survey load: messy files keep read = loaded + rejected; each reject names row, field, reason;
don't-know codes are missing (never 0); reversed items are turned round; ids are linked."""

from __future__ import annotations

import json
import math

import pytest

from cvm.satisfaction.survey import (SurveyError, guess_definition, load_survey,
                                     read_definition, read_survey)
from cvm.ingest.readers import read_source

DEFINITION = """
source = "pos"
dont_know = ["不知道", "99"]

[groups]
delivery = 3
salesperson = 1

[items."交车速度"]
scale = "1-5"
group = "delivery"
[items."交车说明"]
scale = "1-5"
group = "delivery"
[items."顾问态度"]
scale = "1-7"
group = "salesperson"
[items."等待太久"]
scale = "1-5"
group = "salesperson"
reversed = true
[items."总体满意度"]
scale = "1-10"
role = "overall"
[items."推荐意愿"]
scale = "0-10"
role = "recommend"
[items."期望交车速度"]
scale = "1-5"
role = "expectation"
expectation_of = "交车速度"
"""

HEADER = "会员编号,填写日期,门店,交车速度,交车说明,顾问态度,等待太久,总体满意度,推荐意愿,期望交车速度\n"
ROWS = [
    "C1,2024-03-01,SH,５,4,７,1,10,１０,4",        # 2 full-width digits
    "C2,2024年3月2日,SH,不知道,3,6,2,8,9,不知道",   # don't know (common code)
    ",2024-03-03,BJ,3,3,3,3,5,5,3",               # row 4: no id
    "C4,2024-02-30,BJ,3,3,3,3,5,5,3",             # row 5: no such date
    "C5,2024-03-05,BJ,6,3,3,3,5,5,3",             # row 6: 6 on a 1-5 item
    "C6,2024-03-05,BJ,3,3,3.5,3,5,5,3",           # row 7: 3.5 on a 1-7 item
    "C7,2024-03-06,BJ,3,很好,3,3,5,5,3",          # row 8: not a number
    "C8,2024-03-07,BJ,2,99,1,5,1,0,3",            # 99 = don't know
    "C9,2024-03-07,BJ,4,4,5,2,7,11,3",            # row 10: 11 on the 0-10 item
]


@pytest.fixture
def survey_file(tmp_path):
    path = tmp_path / "回访.csv"
    path.write_text(HEADER + "\n".join(ROWS) + "\n", encoding="utf-8")
    definition = tmp_path / "survey.toml"
    definition.write_text(DEFINITION, encoding="utf-8")
    return path, definition


def test_read_equals_loaded_plus_rejected_with_reasons(workspace, survey_file):
    path, definition = survey_file
    report = load_survey(workspace, path, definition=definition)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (9, 3, 6)
    assert report.reasons == {"out_of_scale": 3, "bad_answer": 1, "bad_date": 1,
                              "missing_customer_id": 1}
    rejects = workspace.query('SELECT "row", field, value, code, reason FROM rejects '
                              'ORDER BY "row"')
    assert [(r[0], r[1], r[3]) for r in rejects] == [
        (4, "会员编号", "missing_customer_id"), (5, "填写日期", "bad_date"),
        (6, "交车速度", "out_of_scale"), (7, "顾问态度", "out_of_scale"),
        (8, "交车说明", "bad_answer"), (10, "推荐意愿", "out_of_scale")]
    assert rejects[2][4] == "'6' is not an answer on the 1-5 scale"
    assert rejects[5][2] == "11"
    files = workspace.query("SELECT rows_read, rows_loaded, rows_rejected, table_kind FROM files")
    assert files == [(9, 3, 6, "survey")]


def test_a_row_with_two_problems_is_rejected_once(workspace, tmp_path, survey_file):
    _, definition = survey_file
    path = tmp_path / "two.csv"
    path.write_text(HEADER + "C1,2024-03-01,SH,6,9,3,3,5,5,3\n", encoding="utf-8")
    report = load_survey(workspace, path, definition=definition)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (1, 0, 1)
    assert workspace.query('SELECT "row", field FROM rejects') == [(2, "交车速度")]


def test_answers_full_width_dont_know_and_reversed(workspace, survey_file):
    path, definition = survey_file
    load_survey(workspace, path, definition=definition)
    survey = read_survey(workspace)
    r = survey.responses.set_index("respondent_id")
    assert list(r.index) == ["C1", "C2", "C8"]
    assert r.loc["C1", "交车速度"] == 5 and r.loc["C1", "推荐意愿"] == 10  # full width
    assert math.isnan(r.loc["C2", "交车速度"]) and math.isnan(r.loc["C2", "期望交车速度"])
    assert math.isnan(r.loc["C8", "交车说明"])  # 99 is don't know: missing, not 0 or 99
    # reversed 1-5: 1 → 5, 2 → 4, 5 → 1
    assert (r.loc["C1", "等待太久"], r.loc["C2", "等待太久"], r.loc["C8", "等待太久"]) == (5, 4, 1)
    assert str(r.loc["C2", "response_date"].date()) == "2024-03-02"
    dk = workspace.query("SELECT count(*) FROM survey_answers WHERE dont_know")[0][0]
    assert dk == 3


def test_same_file_twice_adds_nothing(workspace, survey_file):
    path, definition = survey_file
    load_survey(workspace, path, definition=definition)
    again = load_survey(workspace, path, definition=definition)
    assert again.skipped and again.rows_read == 0
    assert workspace.count("survey_responses") == 3


def test_excel_and_json_lines_load_the_same(workspace, survey_file, tmp_path):
    from openpyxl import Workbook

    path, definition = survey_file
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    for row in ROWS:
        sheet.append(row.split(","))
    xlsx = tmp_path / "survey.xlsx"
    book.save(xlsx)
    names = HEADER.strip().split(",")
    jsonl = tmp_path / "survey.jsonl"
    jsonl.write_text("\n".join(json.dumps(dict(zip(names, r.split(","))), ensure_ascii=False)
                               for r in ROWS) + "\n", encoding="utf-8")
    a = load_survey(workspace, xlsx, definition=definition)
    b = load_survey(workspace, jsonl, definition=definition)
    assert (a.rows_read, a.rows_loaded, a.rows_rejected) == (9, 3, 6)
    assert (b.rows_read, b.rows_loaded, b.rows_rejected) == (9, 3, 6)
    # Excel rows count from the header (row 1), JSON lines from the first line
    assert workspace.query('SELECT "row" FROM rejects WHERE file_id = ? ORDER BY "row"',
                           [a.file_id]) == [(4,), (5,), (6,), (7,), (8,), (10,)]
    assert workspace.query('SELECT "row" FROM rejects WHERE file_id = ? ORDER BY "row"',
                           [b.file_id]) == [(3,), (4,), (5,), (6,), (7,), (9,)]


def test_respondents_are_linked_to_unified_customers(workspace, survey_file):
    path, definition = survey_file
    workspace.query("INSERT INTO xref VALUES ('pos', 'C1', 'U001', 'test', now())")
    workspace.query("INSERT INTO xref VALUES ('default', 'C2', 'U002', 'test', now())")
    load_survey(workspace, path, definition=definition)
    r = read_survey(workspace).responses.set_index("respondent_id")
    assert r.loc["C1", "customer_id"] == "U001"  # the definition's source system
    assert r.loc["C2", "customer_id"] == "C2"    # another system's link does not apply


def test_guessed_items_and_scales():
    raw = read_source(_csv_table())
    definition = guess_definition(raw.table, {"respondent_id": "id", "response_date": "date"})
    got = {i.name: (i.scale, i.role, i.expectation_of) for i in definition.items}
    assert got == {"服务": ("1-5", "attribute", None), "环境": ("1-7", "attribute", None),
                   "总体满意度": ("1-10", "overall", None),
                   "推荐意愿": ("0-10", "recommend", None),
                   "期望服务": ("1-5", "expectation", "服务")}
    assert definition.guessed


def _csv_table():
    import pyarrow as pa

    n = 40
    return pa.table({
        "id": [f"C{i}" for i in range(n)],
        "date": ["2024-01-05"] * n,
        "服务": [str(1 + i % 5) for i in range(n - 1)] + ["6"],   # one stray 6: still 1-5
        "环境": [str(1 + i % 7) for i in range(n)],
        "总体满意度": [str(1 + i % 10) for i in range(n)],
        "推荐意愿": [str(i % 11) for i in range(n)],
        "期望服务": [str(1 + i % 5) for i in range(n)],
        "备注": ["很好"] * n,                                      # text: not an item
    })


def test_definition_errors_are_one_sentence(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[items."a"]\nscale = "1-6"\n', encoding="utf-8")
    with pytest.raises(SurveyError, match="scale '1-6' is not one of 1-5, 1-7, 1-10, 0-10"):
        read_definition(bad)
    bad.write_text('[items."a"]\nscale = "1-5"\nrole = "recommend"\n', encoding="utf-8")
    with pytest.raises(SurveyError, match="0-10"):
        read_definition(bad)
    bad.write_text('[groups]\nx = 1\n[items."a"]\nscale = "1-5"\ngroup = "y"\n',
                   encoding="utf-8")
    with pytest.raises(SurveyError, match="weighs x"):
        read_definition(bad)


def test_without_a_definition_the_guess_is_printed(tmp_path):
    from click.testing import CliRunner

    from cvm.cli import main

    path = tmp_path / "s.csv"
    rows = [f"C{i},2024-05-0{1 + i % 9},{1 + i % 5},{1 + i % 10},{i % 11}" for i in range(30)]
    path.write_text("会员编号,填写日期,服务,总体满意度,推荐意愿\n" + "\n".join(rows) + "\n",
                    encoding="utf-8")
    done = CliRunner().invoke(main, ["survey", "load", str(path), "--workspace",
                                     str(tmp_path / "ws.duckdb"), "--lang", "zh"])
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert lines[0] == "s.csv：读取 30 份答卷，载入 30 份，拒收 0 份"
    assert lines[1].startswith("没有定义文件")
    assert "  '服务': 1-5, attribute of 服务" in lines
    assert "  '总体满意度': 1-10, overall" in lines
    assert "  '推荐意愿': 0-10, recommend" in lines


def test_every_word_in_both_languages():
    from cvm.satisfaction.wording import SURVEY_LABELS

    assert set(SURVEY_LABELS["en"]) == set(SURVEY_LABELS["zh"])
