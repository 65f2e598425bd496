"""Personal names → comparable keys, for Chinese names in characters or in pinyin and for
Latin names.

Steps for a name in Chinese characters: fold full-width forms, drop spaces and the middle dot,
convert traditional characters to simplified (OpenCC ``t2s``), split off the surname (two-
character surnames such as 欧阳 and 司马 first), and spell both parts in toneless pinyin, with
the surname readings that differ from the everyday reading of the character (单 Shan, 曾 Zeng,
解 Xie, 仇 Qiu …).

A Latin name is folded, stripped of accents and lower-cased; its surname is found the way a
person would: before a comma (``ZHANG, Wei``), the only upper-case word (``ZHANG Wei``), or the
end word that is a Chinese surname (the more common one when both are: ``Wei Zhang`` → Zhang);
otherwise the last word (``John Smith``). The key is surname then given name without spaces, so
张伟, 張偉, ``Zhang Wei``, ``WEI ZHANG`` and ``zhang, wei`` all have the key ``zhangwei``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .text import fold, strip_accents

__all__ = ["Name", "parse_name", "SURNAMES"]

# Common single-character surnames, most frequent first (population rank, approximately).
_COMMON = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫"
    "孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅"
    "童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车"
    "项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛"
    "仲虞敖巩明佘池查麻苑迟邝"
)
_COMPOUND = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "令狐", "慕容", "司徒", "公孙", "夏侯", "尉迟",
    "宇文", "长孙", "独孤", "澹台", "端木", "轩辕", "万俟", "南宫", "西门", "呼延", "申屠", "钟离",
    "闻人", "赫连", "百里", "东郭", "第五", "司空", "左丘", "太史",
)
# Surname readings that differ from the character's most common reading.
_READINGS = {
    "单": "shan", "曾": "zeng", "解": "xie", "仇": "qiu", "区": "ou", "查": "zha", "朴": "piao",
    "盖": "ge", "缪": "miao", "秘": "bi", "种": "chong", "乐": "yue", "覃": "qin", "翟": "zhai",
    "尉迟": "yuchi", "万俟": "moqi", "长孙": "zhangsun", "澹台": "tantai", "员": "yun",
    "那": "na", "适": "kuo", "召": "shao", "宿": "su", "阚": "kan", "沈": "shen", "燕": "yan",
    "折": "she", "繁": "po", "过": "guo", "谌": "chen", "句": "gou", "纪": "ji", "葛": "ge",
    "重": "chong", "能": "nai", "华": "hua", "任": "ren", "黑": "he", "蕃": "pi",
}
SURNAMES: tuple[str, ...] = _COMPOUND + tuple(_COMMON)
"""Chinese surnames recognised when splitting a name (two-character surnames first)."""

# ü written as v or yu in Latin script (吕 Lü: Lv, Lyu; 女 Nü: Nv, Nyu)
_LATIN_SURNAME = {"lv": "lu", "lyu": "lu", "nv": "nu", "nyu": "nu"}
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_DROP = re.compile(r"[\s·•‧・.\-_'’]")
_WORDS = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Name:
    """A parsed name.

    - ``hanzi``: the name in simplified characters (``None`` for a Latin name);
    - ``surname`` / ``given``: toneless pinyin (or lower-case Latin) of each part;
    - ``key``: surname + given without spaces, the form names are compared in;
    - ``syllables``: the given name's syllables (one per character) or words;
    - ``script``: ``han``, ``latin`` or ``missing``.
    """

    hanzi: str | None
    surname: str | None
    given: str | None
    key: str | None
    script: str
    syllables: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → simplified characters.

    >>> to_simplified("陳曉東")
    '陈晓东'
    """
    return _converter().convert(text)


@lru_cache(maxsize=1 << 14)
def _pinyin(text: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(strip_accents(s) for s in lazy_pinyin(text, v_to_u=True)).lower()


def _surname_pinyin(surname: str) -> str:
    return _READINGS.get(surname) or _pinyin(surname)


@lru_cache(maxsize=1)
def _surname_rank() -> dict[str, int]:
    """Pinyin of Chinese surnames → rank of the most common surname spelled that way."""
    rank: dict[str, int] = {}
    for i, s in enumerate(_COMMON):
        rank.setdefault(_surname_pinyin(s), i)
    for s in _COMPOUND:
        rank.setdefault(_surname_pinyin(s), len(_COMMON))
    return rank


@lru_cache(maxsize=1 << 17)
def parse_name(text: str | None) -> Name:
    """Parse one name as written.

    >>> parse_name("張偉").key, parse_name("Zhang Wei").key, parse_name("WEI ZHANG").key
    ('zhangwei', 'zhangwei', 'zhangwei')
    >>> parse_name("欧阳 修")
    Name(hanzi='欧阳修', surname='ouyang', given='xiu', key='ouyangxiu', script='han', syllables=('xiu',))
    >>> parse_name("单田芳").surname, parse_name("曾国藩").surname
    ('shan', 'zeng')
    >>> parse_name("Smith, John").key, parse_name("John Smith").key
    ('smithjohn', 'smithjohn')
    >>> parse_name("  ").script
    'missing'
    """
    folded = fold(text)
    if folded is None:
        return Name(None, None, None, None, "missing")
    if _HAN.search(folded):
        return _han_name(folded)
    return _latin_name(folded)


def _han_name(folded: str) -> Name:
    hanzi = to_simplified(_DROP.sub("", folded))
    # keep only the characters (a name written "张伟 Wei" keeps 张伟)
    hanzi = "".join(_HAN.findall(hanzi)) or hanzi
    if len(hanzi) >= 3 and hanzi[:2] in _COMPOUND:
        surname, given = hanzi[:2], hanzi[2:]
    else:
        surname, given = hanzi[:1], hanzi[1:]
    s = _surname_pinyin(surname)
    syllables = tuple(_pinyin(c) for c in given)
    g = "".join(syllables)
    return Name(hanzi, s, g or None, s + g, "han", syllables)


def _latin_name(folded: str) -> Name:
    plain = strip_accents(folded)
    if "," in plain:
        before, _, after = plain.partition(",")
        surname_words, given_words = _WORDS.findall(before), _WORDS.findall(after)
    else:
        words = _WORDS.findall(plain)
        if not words:
            return Name(None, None, None, None, "missing")
        # one word in capitals (not an initial) is the surname, as in "Wei ZHANG"
        upper = [i for i, w in enumerate(words) if len(w) > 1 and w.isupper()]
        if len(upper) == 1:
            i = upper[0]
        else:
            lowered = [w.lower() for w in words]
            i = _surname_position([_LATIN_SURNAME.get(w, w) for w in lowered])
        surname_words, given_words = [words[i]], words[:i] + words[i + 1:]
    surname = "".join(surname_words).lower()
    surname = _LATIN_SURNAME.get(surname, surname)
    given = "".join(given_words).lower()
    if not surname and not given:
        return Name(None, None, None, None, "missing")
    return Name(None, surname or None, given or None, surname + given, "latin",
                tuple(w.lower() for w in given_words))


def _surname_position(words: list[str]) -> int:
    """Where the surname is: the first or last word, whichever is the more common Chinese
    surname, else the last (a single word is both)."""
    rank = _surname_rank()
    first, last = rank.get(words[0]), rank.get(words[-1])
    if first is not None and last is not None:
        return 0 if first <= last else len(words) - 1
    if first is not None:
        return 0
    return len(words) - 1
