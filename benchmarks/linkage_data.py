"""Realistic multi-source customer lists with known truth, for linkage benchmarks and tests.

People are drawn first (the truth), then each person appears in one to four source systems, each
of which writes the person its own way:

- ``crm`` (a card system): names in characters, sometimes traditional; mobile phones in every
  common format (``+86 138-…``, ``0086…``, spaces, full-width digits); ISO birth dates; some
  id numbers;
- ``web`` (a web shop): names often in pinyin, in either order or as ``ZHANG Wei``; emails;
  fewer phones and birth dates, no id numbers;
- ``branch`` (a branch system): names in characters, id numbers, birth dates written
  ``1990年3月5日``, landlines with area codes, gender and city.

Noise that real lists have: typos in names (homophones and other characters, letters in pinyin),
transposed digits in phones, birth dates and id numbers (an id number with transposed digits
almost always fails its check), day and month swapped, a new phone number, missing fields,
households sharing a landline or one mobile, a few customers given twice by the same system,
common names (张伟, 王芳 …) and some non-Chinese names. Surnames and given-name characters
follow skewed frequencies so that common names are common.

Everything is drawn from one ``numpy`` generator seeded by ``random_state``.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np
import pyarrow as pa

__all__ = ["generate", "SOURCES"]

SOURCES = ("crm", "web", "branch")

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫"
)
_COMPOUND = ("欧阳", "司马", "诸葛", "上官", "东方")
_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国文斌宇浩凯晨鑫雪梅琳婷慧颖佳"
    "欣怡子涵梓轩俊博思雨嘉欢晓东海波宁志峰云龙飞玲春燕丹阳亮成新利清飞彬婉淑珍荣德宏健永生振林"
)
# characters often typed in place of another (same or similar sound)
_CONFUSED = {
    "伟": "玮炜纬", "芳": "方昉", "娜": "那纳", "敏": "民闽", "静": "晶靖", "丽": "莉俐", "强": "蔷",
    "磊": "垒", "军": "君钧", "洋": "阳扬", "杰": "洁捷", "明": "铭鸣", "华": "桦骅", "玉": "钰",
    "红": "宏虹", "鹏": "朋", "辉": "晖徽", "文": "雯", "宇": "雨羽", "浩": "皓昊", "晨": "辰",
    "雪": "薛", "琳": "林霖", "婷": "亭", "慧": "惠蕙", "颖": "莹", "佳": "嘉家", "欣": "昕馨",
    "涵": "寒晗", "博": "波", "思": "斯", "东": "冬栋", "海": "凯", "峰": "锋枫", "云": "芸",
    "燕": "艳雁", "丹": "单", "亮": "靓", "梅": "玫", "英": "瑛", "兰": "岚", "平": "萍",
}
_LATIN_FIRST = ("John", "Mary", "David", "Anna", "Michael", "Sarah", "James", "Laura", "Peter",
                "Emma", "Thomas", "Julia", "Daniel", "Sophie", "Mark", "Olga", "Ivan", "Maria")
_LATIN_LAST = ("Smith", "Brown", "Müller", "Garcia", "Rossi", "Martin", "Kim", "Tanaka", "Ivanov",
               "Dubois", "Schmidt", "Nguyen", "Silva", "Jones", "Wilson", "Novak", "Park", "Sato")
# (region code, city in characters, city in pinyin, landline area code)
_PLACES = (
    ("110105", "北京", "Beijing", "10"), ("310104", "上海", "Shanghai", "21"),
    ("440305", "深圳", "Shenzhen", "755"), ("440106", "广州", "Guangzhou", "20"),
    ("330106", "杭州", "Hangzhou", "571"), ("320102", "南京", "Nanjing", "25"),
    ("510107", "成都", "Chengdu", "28"), ("420106", "武汉", "Wuhan", "27"),
    ("500103", "重庆", "Chongqing", "23"), ("610113", "西安", "Xi'an", "29"),
    ("120101", "天津", "Tianjin", "22"), ("370202", "青岛", "Qingdao", "532"),
    ("210102", "沈阳", "Shenyang", "24"), ("350203", "厦门", "Xiamen", "592"),
    ("430104", "长沙", "Changsha", "731"), ("410105", "郑州", "Zhengzhou", "371"),
)
_PLACE_WEIGHTS = np.array([14, 14, 10, 10, 7, 6, 7, 6, 6, 4, 4, 3, 3, 2, 2, 2], dtype=float)
_DOMAINS = ("qq.com", "163.com", "126.com", "gmail.com", "outlook.com", "sina.com", "foxmail.com")
_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))


def _zipf(n: int, s: float) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** s
    return w / w.sum()


def _check(first17: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, _WEIGHTS)) % 11]


@lru_cache(maxsize=1)
def _to_traditional():
    import opencc

    return opencc.OpenCC("s2t")


@lru_cache(maxsize=1 << 16)
def _pinyin_parts(hanzi: str, surname_len: int) -> tuple[str, str]:
    from pypinyin import lazy_pinyin

    syll = lazy_pinyin(hanzi, v_to_u=True)
    fix = {"ü": "u"}
    syll = ["".join(fix.get(c, c) for c in s) for s in syll]
    readings = {"曾": "zeng", "单": "shan"}
    surname = readings.get(hanzi[:surname_len]) or "".join(syll[:surname_len])
    return surname, "".join(syll[surname_len:])


class _People:
    """The truth: one row per person."""

    def __init__(self, n: int, rng: np.random.Generator, today: dt.date):
        self.n = n
        s_p = _zipf(len(_SURNAMES), 0.9)
        g_p = _zipf(len(_GIVEN), 0.8)
        self.latin = rng.random(n) < 0.04
        compound = rng.random(n) < 0.01
        surnames = np.array(list(_SURNAMES))[rng.choice(len(_SURNAMES), n, p=s_p)].astype(object)
        surnames[compound] = np.array(_COMPOUND, dtype=object)[rng.integers(0, len(_COMPOUND),
                                                                            int(compound.sum()))]
        given_chars = np.array(list(_GIVEN))
        g1 = given_chars[rng.choice(len(_GIVEN), n, p=g_p)]
        g2 = given_chars[rng.choice(len(_GIVEN), n, p=g_p)]
        two = rng.random(n) < 0.65
        self.surname = surnames
        self.given = np.where(two, np.char.add(g1, g2), g1).astype(object)
        self.first_latin = np.array(_LATIN_FIRST, dtype=object)[rng.integers(0, len(_LATIN_FIRST), n)]
        self.last_latin = np.array(_LATIN_LAST, dtype=object)[rng.integers(0, len(_LATIN_LAST), n)]
        self.male = rng.random(n) < 0.5
        start = dt.date(1950, 1, 1).toordinal()
        end = dt.date(2005, 12, 31).toordinal()
        self.birth = rng.integers(start, end, n)
        self.place = rng.choice(len(_PLACES), n, p=_PLACE_WEIGHTS / _PLACE_WEIGHTS.sum())
        seq = rng.integers(0, 500, n) * 2 + np.where(self.male, 1, 0)
        self.national_id = np.empty(n, dtype=object)
        issued: set[str] = set()
        for i in range(n):
            d = dt.date.fromordinal(int(self.birth[i]))
            number = int(seq[i])
            first17 = f"{_PLACES[self.place[i]][0]}{d:%Y%m%d}{number:03d}"
            while first17 in issued:  # an id number belongs to one person: next free sequence
                number = (number + 2) % 1000  # number (same parity, so the same gender)
                first17 = f"{_PLACES[self.place[i]][0]}{d:%Y%m%d}{number:03d}"
            issued.add(first17)
            self.national_id[i] = first17 + _check(first17)
        prefixes = np.array([130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 155, 156,
                             158, 159, 166, 176, 177, 180, 181, 185, 186, 187, 188, 189, 199])
        mob = prefixes[rng.integers(0, len(prefixes), n)] * 10**8 + rng.integers(0, 10**8, n)
        self.mobile = mob.astype(str).astype(object)
        self.new_mobile = (prefixes[rng.integers(0, len(prefixes), n)] * 10**8
                           + rng.integers(0, 10**8, n)).astype(str).astype(object)
        self.landline = np.full(n, None, dtype=object)
        self._households(rng)
        self.email_user = np.empty(n, dtype=object)
        self.domain = np.array(_DOMAINS, dtype=object)[rng.integers(0, len(_DOMAINS), n)]
        style = rng.integers(0, 4, n)
        digits = rng.integers(1, 9999, n)
        qq = rng.integers(10**7, 10**10, n)
        taken: set[str] = set()
        for i in range(n):
            if self.latin[i]:
                base = f"{self.first_latin[i]}.{self.last_latin[i]}".lower().replace("ü", "ue")
            else:
                s, g = _pinyin_parts(self.surname[i] + self.given[i], len(self.surname[i]))
                base = (s + g, f"{g}.{s}", f"{s}{g}{digits[i]}", None)[style[i]]
            if base is None:
                user, self.domain[i] = str(qq[i]), "qq.com"
            else:
                user = base if style[i] != 0 else f"{base}{digits[i] % 100}"
            while f"{user}@{self.domain[i]}" in taken:  # an address belongs to one person
                user = f"{user}{rng.integers(0, 10)}"
            taken.add(f"{user}@{self.domain[i]}")
            self.email_user[i] = user

    def _households(self, rng: np.random.Generator) -> None:
        """About one person in ten lives with one to three others sharing a phone."""
        n = self.n
        order = rng.permutation(n)
        i = 0
        while i < n:
            if rng.random() < 0.04:
                size = int(rng.integers(2, 5))
                members = order[i:i + size]
                head = members[0]
                area = _PLACES[self.place[head]][3]
                if rng.random() < 0.6:
                    line = f"0{area}{rng.integers(2 * 10**7, 9 * 10**7)}"
                    self.landline[members] = line
                else:
                    self.mobile[members] = self.mobile[head]
                for m in members[1:]:
                    self.place[m] = self.place[head]
                    if rng.random() < 0.6 and not self.latin[m]:
                        self.surname[m] = self.surname[head]
                i += size
            else:
                i += 1


def _typo_han(name: str, rng: np.random.Generator) -> str:
    positions = [i for i, c in enumerate(name) if i > 0]
    if not positions:
        return name
    i = positions[int(rng.integers(0, len(positions)))]
    c = name[i]
    options = _CONFUSED.get(c) or _GIVEN
    return name[:i] + options[int(rng.integers(0, len(options)))] + name[i + 1:]


def _typo_latin(text: str, rng: np.random.Generator) -> str:
    if len(text) < 4:
        return text
    i = int(rng.integers(1, len(text) - 1))
    kind = rng.integers(0, 3)
    if kind == 0:
        return text[:i] + text[i + 1:]
    if kind == 1:
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    return text[:i] + "abcdefghijklmnopqrstuvwxyz"[int(rng.integers(0, 26))] + text[i + 1:]


def _transpose(digits: str, rng: np.random.Generator, start: int = 3) -> str:
    if len(digits) < start + 2:
        return digits
    i = int(rng.integers(start, len(digits) - 1))
    if digits[i] == digits[i + 1]:
        i = (i + 2) % (len(digits) - 1) if i + 2 < len(digits) - 1 else max(start, i - 1)
    return digits[:i] + digits[i + 1] + digits[i] + digits[i + 2:]


_FULL = str.maketrans("0123456789", "０１２３４５６７８９")


def _phone_text(number: str, rng: np.random.Generator) -> str:
    if number.startswith("0"):  # landline with area code
        area = number[1:3] if number[1] in "12" else number[1:4]
        local = number[1 + len(area):]
        style = rng.integers(0, 4)
        return (f"0{area}-{local}", f"(0{area}) {local[:4]}-{local[4:]}", f"+86 {area} {local}",
                f"0{area}{local}")[style]
    style = rng.integers(0, 7)
    text = (number, f"+86 {number[:3]}-{number[3:7]}-{number[7:]}", f"0086{number}",
            f"{number[:3]} {number[3:7]} {number[7:]}", f"+86{number}",
            f"{number[:3]}-{number[3:7]}-{number[7:]}", number)[style]
    if rng.random() < 0.05:
        text = text.translate(_FULL)
    return text


def _date_text(ordinal: int, source: str, rng: np.random.Generator) -> str:
    d = dt.date.fromordinal(ordinal)
    if source == "branch":
        return f"{d.year}年{d.month}月{d.day}日"
    if source == "web" and rng.random() < 0.5:
        return f"{d.year}/{d.month:02d}/{d.day:02d}"
    return d.isoformat()


def _name_text(p: _People, i: int, source: str, rng: np.random.Generator) -> str:
    if p.latin[i]:
        first, last = p.first_latin[i], p.last_latin[i]
        if rng.random() < 0.06:
            last = _typo_latin(last, rng)
        style = rng.integers(0, 3)
        return (f"{first} {last}", f"{last.upper()} {first}", f"{last}, {first}")[style]
    hanzi = p.surname[i] + p.given[i]
    if rng.random() < 0.07:
        hanzi = _typo_han(hanzi, rng)
    if source == "web" and rng.random() < 0.55:
        s, g = _pinyin_parts(hanzi, len(p.surname[i]))
        s, g = s.capitalize(), g.capitalize()
        if rng.random() < 0.04:
            g = _typo_latin(g, rng)
        style = rng.integers(0, 4)
        return (f"{s} {g}", f"{g} {s}", f"{s.upper()} {g}", f"{s}{g.lower()}")[style]
    if source == "crm" and rng.random() < 0.1:
        hanzi = _to_traditional().convert(hanzi)
    if rng.random() < 0.03:
        hanzi = hanzi[:len(p.surname[i])] + " " + hanzi[len(p.surname[i]):]
    return hanzi


# per source: probability each field is given
_PRESENT = {
    "crm": {"name": 0.98, "phone": 0.95, "email": 0.3, "birth": 0.7, "id": 0.35, "city": 0.6,
            "gender": 0.5},
    "web": {"name": 0.95, "phone": 0.95, "email": 0.95, "birth": 0.35, "id": 0.0, "city": 0.4,
            "gender": 0.3},
    "branch": {"name": 0.99, "phone": 0.97, "email": 0.15, "birth": 0.9, "id": 0.95, "city": 0.9,
               "gender": 0.9},
}


def generate(n_records: int = 100_000, *, random_state: int = 0,
             today: dt.date = dt.date(2026, 1, 1)) -> pa.Table:
    """About ``n_records`` customer records from three source systems, with the truth.

    Columns: ``source``, ``customer_id`` (the id in that source), ``name``, ``phone``,
    ``email``, ``birth_date`` (text as the source writes it), ``national_id``, ``city``,
    ``gender`` and ``person_id`` (the truth: records of one person share it).
    """
    rng = np.random.default_rng(random_state)
    n_people = max(1, int(round(n_records / 1.8)))
    people = _People(n_people, rng, today)
    per_person = rng.choice([1, 2, 3, 4], n_people, p=[0.45, 0.35, 0.15, 0.05])
    total = int(per_person.sum())
    person = np.repeat(np.arange(n_people), per_person)
    if total > n_records:
        person = person[:n_records]
    rows: dict[str, list] = {k: [] for k in ("source", "customer_id", "name", "phone", "email",
                                             "birth_date", "national_id", "city", "gender",
                                             "person_id")}
    counters = {s: 0 for s in SOURCES}
    start = 0
    while start < len(person):
        i = int(person[start])
        end = start
        while end < len(person) and person[end] == i:
            end += 1
        k = end - start
        sources = list(rng.permutation(SOURCES))[:k] if k <= 3 else list(rng.permutation(SOURCES))
        while len(sources) < k:  # the same system gives the customer twice
            sources.append(sources[int(rng.integers(0, len(sources)))])
        if k > 1 and rng.random() < 0.04:
            sources[-1] = sources[0]
        for source in sources:
            counters[source] += 1
            _record(rows, people, i, source, counters[source], rng)
        start = end
    order = rng.permutation(len(rows["source"]))
    return pa.table({k: pa.array([v[j] for j in order], type=pa.string() if k != "person_id"
                                  else pa.int64()) for k, v in rows.items()})


def _record(rows: dict, p: _People, i: int, source: str, number: int,
            rng: np.random.Generator) -> None:
    present = _PRESENT[source]
    u = rng.random(8)
    rows["source"].append(source)
    rows["customer_id"].append(f"{source[0].upper()}{number:08d}")
    rows["person_id"].append(i)
    rows["name"].append(_name_text(p, i, source, rng) if u[0] < present["name"] else None)
    phone = None
    if u[1] < present["phone"]:
        if p.landline[i] is not None and (source == "branch" or rng.random() < 0.3):
            number_text = p.landline[i]
        else:
            number_text = p.new_mobile[i] if rng.random() < 0.06 else p.mobile[i]
            if rng.random() < 0.04:
                number_text = _transpose(number_text, rng)
        phone = _phone_text(number_text, rng)
    rows["phone"].append(phone)
    email = None
    if u[2] < present["email"]:
        user = p.email_user[i]
        if rng.random() < 0.03:
            user = _typo_latin(user, rng)
        email = f"{user}@{p.domain[i]}"
        if rng.random() < 0.1:
            email = email.upper() if rng.random() < 0.5 else f" {email.capitalize()} "
    rows["email"].append(email)
    birth = None
    if u[3] < present["birth"]:
        ordinal = int(p.birth[i])
        d = dt.date.fromordinal(ordinal)
        r = rng.random()
        if r < 0.02 and d.day <= 12 and d.day != d.month:
            ordinal = dt.date(d.year, d.day, d.month).toordinal()
        elif r < 0.04:
            ordinal += int(rng.choice([-1, 1, -10, 10]))
        birth = _date_text(ordinal, source, rng)
    rows["birth_date"].append(birth)
    nid = None
    if u[4] < present["id"] and not p.latin[i]:
        nid = p.national_id[i]
        if rng.random() < 0.03:
            nid = _transpose(nid, rng, start=6)
        elif rng.random() < 0.1:
            nid = nid.lower()
    rows["national_id"].append(nid)
    place = _PLACES[p.place[i]]
    city = None
    if u[5] < present["city"]:
        city = (place[1], place[1] + "市", place[2])[int(rng.integers(0, 3))] \
            if source != "branch" else place[1] + "市"
    rows["city"].append(city)
    gender = None
    if u[6] < present["gender"]:
        gender = ("男", "M", "male")[int(rng.integers(0, 3))] if p.male[i] \
            else ("女", "F", "female")[int(rng.integers(0, 3))]
    rows["gender"].append(gender)
