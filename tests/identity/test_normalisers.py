"""Normalisers against hand-made cases."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from cvm.identity.emails import email_name_key, email_number, parse_email
from cvm.identity.names import parse_name
from cvm.identity.national_ids import check_character, parse_national_id
from cvm.identity.phones import parse_phone
from cvm.identity.records import city_key, normalise_records, parse_gender

# GB 11643-1999: weights 2^(17-i) mod 11, check = "10X98765432"[sum mod 11]
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def gb_check(first17: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


@pytest.mark.parametrize("first17", [
    "11010519491231002", "44030819900307123", "31010419850517301", "51010719700101888",
    "65010220001229004", "81000019800808000", "50010320030115023"])
def test_check_character_follows_gb_11643(first17):
    assert check_character(first17) == gb_check(first17)
    number = first17 + gb_check(first17)
    parsed = parse_national_id(number)
    assert parsed.valid and parsed.value == number


def test_known_valid_id_and_what_it_says():
    parsed = parse_national_id("11010519491231002X")
    assert parsed.valid
    assert parsed.birth_date == dt.date(1949, 12, 31)
    assert parsed.gender == "F"  # 17th digit 2 is even
    male = parse_national_id("440308199003071235")
    assert male.valid and male.gender == "M" and male.birth_date == dt.date(1990, 3, 7)


@pytest.mark.parametrize("text, value", [
    ("11010519491231002x", "11010519491231002X"),       # lower-case x
    (" 110105 19491231 002X ", "11010519491231002X"),    # spaces
    ("１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X"),  # full width
    ("440308900307123", "440308199003071235"),           # 15 digits widened
])
def test_ids_written_differently_are_one_number(text, value):
    assert parse_national_id(text).value == value


@pytest.mark.parametrize("text, reason", [
    ("110105194912310021", "bad check character: expected X"),
    ("110105194912130021", "bad check character"),             # transposed digits
    ("11010519491331002X", "no such birth date: 19491331"),
    ("110105208001010011", "implausible birth date"),
    ("991105194912310021", "no such region code"),
    ("1101051949123100", "not 18 digits"),
    ("11010519491231002Y", "not 18 digits"),
])
def test_invalid_ids_are_flagged_not_trusted(text, reason):
    parsed = parse_national_id(text)
    assert not parsed.valid
    assert parsed.value is None
    assert parsed.status.startswith(reason)


def test_transposed_id_digits_fail_the_check():
    good = "11010519491231002X"
    failing = 0
    for i in range(6, 16):
        swapped = good[:i] + good[i + 1] + good[i] + good[i + 2:]
        if swapped != good and not parse_national_id(swapped).valid:
            failing += 1
    assert failing >= 8


@pytest.mark.parametrize("text", [
    "13812345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678", "+86-138-1234-5678",
    "0086 13812345678", "008613812345678", "+8613812345678", "(+86) 138.1234.5678",
    "１３８１２３４５６７８"])
def test_mobile_formats_agree(text):
    parsed = parse_phone(text)
    assert parsed.value == "+8613812345678"
    assert parsed.kind == "mobile"


@pytest.mark.parametrize("text, value", [
    ("010-65529988", "+861065529988"),
    ("(010) 6552-9988", "+861065529988"),
    ("+86 10 6552 9988", "+861065529988"),
    ("0755-86013388", "+8675586013388"),
    ("021 6432 1234 转 808", "+862164321234"),
])
def test_landlines_keep_their_area_code(text, value):
    parsed = parse_phone(text)
    assert parsed.value == value
    assert parsed.kind in ("landline", "landline_or_mobile")


def test_foreign_numbers_and_invalid_numbers():
    assert parse_phone("+1 212 555 0100").status in ("valid", "not a valid number")
    assert parse_phone("+44 20 7946 0958").value == "+442079460958"
    assert parse_phone("1381234567").value is None          # a digit short
    assert parse_phone("12345").value is None
    assert parse_phone("call me").status == "not a phone number"
    assert parse_phone(None).status == "missing"
    assert parse_phone("65529988").value is None           # landline without area code


@pytest.mark.parametrize("text, value", [
    ("Zhang.Wei@QQ.com", "zhang.wei@qq.com"), (" li@163.com ", "li@163.com"),
    ("ＷＡＮＧ＠１２６．ＣＯＭ", "wang@126.com"), ("<li@163.com>", "li@163.com")])
def test_emails(text, value):
    assert parse_email(text).value == value


@pytest.mark.parametrize("text", ["zhangwei", "zhang@", "@qq.com", "a@b", "a@@b.com", "a..b@qq.com"])
def test_not_emails(text):
    assert parse_email(text).value is None
    assert parse_email(text).status == "not an email address"


@pytest.mark.parametrize("user, key", [
    ("zhangwei88", "zhangwei"),          # surname + given name + digits
    ("wei.zhang", "zhangwei"),           # given name first, as in the West
    ("yanzhi.wang", "wangyanzhi"),       # a two-syllable given name
    ("zhang_wei_1990", "zhangwei"),      # digits and underscores separate words
    ("haolong.zhuge", "zhugehaolong"),   # two-character surname 诸葛
    ("lv.bu", "lubu"),                   # 吕 written lv
    ("john.smith", "smithjohn"),         # a Latin name: surname last
    ("lina", "lina"),                    # four letters: 李娜 is a name
    ("5761940205", None),                # a QQ number spells no name
    ("li88", None),                      # too short to be a full name
    (None, None)])
def test_email_local_part_read_as_a_name(user, key):
    assert email_name_key(user) == key


@pytest.mark.parametrize("user, number", [
    ("zhangwei88", "88"), ("wei.zhang", ""), ("5761940205", "5761940205"), ("li2024.na7", "20247"),
    (None, None)])
def test_email_number(user, number):
    assert email_number(user) == number


def test_email_spells_the_name_written_elsewhere():
    # the same person: a web-shop address and a card-system name
    assert email_name_key(parse_email("YanZhi.Wang@163.com").user) == parse_name("王艳志").key
    assert email_name_key(parse_email("zhangwei88@qq.com").user) == parse_name("ZHANG Wei").key
    assert email_name_key(parse_email("zhangwei88@qq.com").user) != parse_name("张维嘉").key


@pytest.mark.parametrize("text", ["张伟", "張偉", "Zhang Wei", "ZHANG Wei", "Wei ZHANG", "Wei Zhang",
                                  "zhang, wei", "ＺＨＡＮＧ　ＷＥＩ", "张 伟", "Zhangwei"])
def test_one_name_many_ways(text):
    assert parse_name(text).key == "zhangwei"


def test_surnames():
    assert parse_name("欧阳修").surname == "ouyang"
    assert parse_name("司马相如").given == "xiangru"
    assert parse_name("单雄信").surname == "shan"     # not dan
    assert parse_name("曾国藩").surname == "zeng"     # not ceng
    assert parse_name("解缙").surname == "xie"
    assert parse_name("Ouyang Xiu").key == parse_name("欧阳修").key
    assert parse_name("Lv Bu").key == parse_name("吕布").key == "lubu"
    assert parse_name("John Smith").key == parse_name("SMITH, John").key == "smithjohn"
    assert parse_name("陳曉東").hanzi == "陈晓东"
    assert parse_name("张晓明").syllables == ("xiao", "ming")
    assert parse_name("").script == "missing"


def test_city_and_gender():
    assert city_key("上海市") == city_key("Shanghai") == city_key("上海") == "shanghai"
    assert city_key("廣州") == "guangzhou"
    assert [parse_gender(g) for g in ("男", "female", "F", "2", "x")] == ["M", "F", "F", "F", None]


def test_record_table_fills_birth_date_and_gender_from_a_valid_id():
    raw = pa.table({
        "source": ["a", "a", "b"], "source_customer_id": ["1", "2", "3"],
        "name": ["張偉", None, None], "phone": ["138 1234 5678", None, "12"],
        "email": [None, None, "bad"], "birth_date": pa.array([None, None, dt.date(2099, 1, 1)],
                                                             pa.date32()),
        "national_id": ["11010519491231002X", None, "110105194912310021"],
        "city": ["北京市", None, None], "gender": [None, None, "男"]})
    rec = normalise_records(raw, today=dt.date(2026, 1, 1))
    rows = rec.to_pylist()
    assert rows[0]["birth_date"] == dt.date(1949, 12, 31) and rows[0]["gender"] == "F"
    assert rows[0]["name_key"] == "zhangwei" and rows[0]["city"] == "beijing"
    assert [r["email_name"] for r in rows] == [None, None, None]   # no valid address
    assert rows[0]["linkable"] and rows[0]["reason"] is None
    assert not rows[1]["linkable"]
    assert rows[1]["reason"].startswith("nothing to link on")
    assert not rows[2]["linkable"]                   # invalid phone, email and id; future birth
    assert rows[2]["birth_date"] is None
    assert "bad check character" in rows[2]["reason"]


def test_record_table_reads_the_name_in_the_email():
    raw = pa.table({
        "source": ["web", "web"], "source_customer_id": ["1", "2"],
        "name": [None, "Wang Fang"], "phone": [None, None],
        "email": ["Wei.Zhang@QQ.com", "38291042@qq.com"],
        "birth_date": pa.array([None, None], pa.date32()),
        "national_id": [None, None], "city": [None, None], "gender": [None, None]})
    rows = normalise_records(raw, today=dt.date(2026, 1, 1)).to_pylist()
    assert rows[0]["email_user"] == "wei.zhang" and rows[0]["email_name"] == "zhangwei"
    assert rows[0]["email_number"] == "" and rows[1]["email_number"] == "38291042"
    assert rows[1]["email_name"] is None and rows[1]["name_key"] == "wangfang"
