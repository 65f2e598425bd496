"""Source customer records → the normalised table the linkage model compares.

One row per record in ``source_customers``, with a ``record_id`` (its position in source, id
order), the normalised fields, the status of each checked field, and whether the record can be
linked at all: a record with no name, phone, email or valid id number has nothing a match could
rest on; it is kept as a customer of its own and reported with that reason, never compared.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

import numpy as np
import pyarrow as pa

from ..workspace import Workspace
from .emails import email_name_key, email_number, parse_email
from .names import parse_name, to_simplified
from .national_ids import parse_national_id
from .phones import parse_phone
from .text import fold, map_distinct, strip_accents

__all__ = ["RECORD_COLUMNS", "prepare_records", "normalise_records", "parse_gender", "city_key"]

#: Columns of the normalised record table, with meaning.
RECORD_COLUMNS: dict[str, str] = {
    "record_id": "row number of the record in this linkage (source, source id order)",
    "source": "source system",
    "source_customer_id": "the customer's id in the source system",
    "name_hanzi": "name in simplified Chinese characters (empty for Latin names)",
    "name_key": "surname + given name in toneless pinyin or lower-case Latin, no spaces",
    "surname": "surname, pinyin or Latin",
    "given_name": "given name, pinyin or Latin",
    "given_syllables": "the given name's syllables (pinyin per character) or Latin words",
    "phone": "phone number in E.164 (valid numbers only)",
    "email": "email address, lower-case (valid addresses only)",
    "email_user": "the part of the email before @",
    "email_name": "the name key the part before @ spells (zhangwei88 → zhangwei), if any",
    "email_number": "the digits of the part before @ (zhangwei88 → 88; empty when none)",
    "national_id": "18-character id number (valid numbers only)",
    "birth_date": "date of birth (plausible dates only; else read from a valid id number)",
    "birth_year": "year of birth",
    "gender": "M or F",
    "city": "city, toneless pinyin without 市",
    "phone_status": "valid, missing or why the phone was not accepted",
    "email_status": "valid, missing or why the email was not accepted",
    "national_id_status": "valid, missing or why the id number was not accepted",
    "linkable": "the record has a name, phone, email or valid id number",
    "reason": "why the record cannot be linked (empty when it can)",
}

_GENDERS = {
    "m": "M", "male": "M", "man": "M", "男": "M", "男性": "M", "先生": "M", "1": "M",
    "f": "F", "female": "F", "woman": "F", "女": "F", "女性": "F", "女士": "F", "2": "F",
}
_CITY_SUFFIX = re.compile(r"(市|省|地区|特别行政区|\s+city|\s+shi)$", re.IGNORECASE)


def parse_gender(text: str | None) -> str | None:
    """``男``/``M``/``male``/``1`` → ``M``; ``女``/``F``/``female``/``2`` → ``F``; else ``None``.

    >>> [parse_gender(g) for g in ("男", "Female", " m ", "未知", None)]
    ['M', 'F', 'M', None, None]
    """
    folded = fold(text)
    return None if folded is None else _GENDERS.get(folded.lower())


@lru_cache(maxsize=1 << 14)
def city_key(text: str | None) -> str | None:
    """A city as toneless pinyin without ``市``, so that 上海市, 上海 and Shanghai agree.

    >>> city_key("上海市"), city_key("Shanghai"), city_key("廣州"), city_key("Xi'an")
    ('shanghai', 'shanghai', 'guangzhou', 'xian')
    """
    folded = fold(text)
    if folded is None:
        return None
    folded = _CITY_SUFFIX.sub("", folded).strip()
    if re.search(r"[\u4e00-\u9fff]", folded):
        from pypinyin import lazy_pinyin

        folded = "".join(lazy_pinyin(to_simplified(folded)))
    key = re.sub(r"[^a-z]", "", strip_accents(folded).lower())
    return key or None


def prepare_records(ws: Workspace, *, region: str = "CN",
                    today: dt.date | None = None) -> pa.Table:
    """The normalised record table for every record in the workspace's ``source_customers``."""
    raw = ws.arrow(
        "SELECT source, source_customer_id, name, phone, email, birth_date, national_id, city, "
        "gender FROM source_customers ORDER BY source, source_customer_id")
    return normalise_records(raw, region=region, today=today)


def normalise_records(raw: pa.Table, *, region: str = "CN",
                      today: dt.date | None = None) -> pa.Table:
    """Normalise a table with the ``source_customers`` columns (see :data:`RECORD_COLUMNS`)."""
    today = today or dt.date.today()
    n = raw.num_rows
    names = map_distinct(raw.column("name"), parse_name)
    phones = map_distinct(raw.column("phone"), lambda v: parse_phone(v, region))
    emails = map_distinct(raw.column("email"), parse_email)
    ids = map_distinct(raw.column("national_id"), parse_national_id)
    email_users = pa.array([e.user for e in emails], pa.string())
    genders = map_distinct(raw.column("gender"), parse_gender)
    cities = map_distinct(raw.column("city"), city_key)

    births = raw.column("birth_date").to_pylist()
    earliest = dt.date(1900, 1, 1)
    birth = [b if b is not None and earliest <= b <= today else None for b in births]
    birth = [b if b is not None or not i.valid else i.birth_date for b, i in zip(birth, ids)]
    gender = [g if g is not None or not i.valid else i.gender for g, i in zip(genders, ids)]

    linkable = np.array([nm.key is not None or p.valid or e.valid or i.valid
                         for nm, p, e, i in zip(names, phones, emails, ids)], dtype=bool)
    reasons = [None if ok else _reason(p, e, i) for ok, p, e, i in zip(linkable, phones, emails, ids)]
    return pa.table({
        "record_id": pa.array(np.arange(n, dtype=np.int64)),
        "source": raw.column("source"),
        "source_customer_id": raw.column("source_customer_id"),
        "name_hanzi": pa.array([nm.hanzi for nm in names], pa.string()),
        "name_key": pa.array([nm.key for nm in names], pa.string()),
        "surname": pa.array([nm.surname for nm in names], pa.string()),
        "given_name": pa.array([nm.given for nm in names], pa.string()),
        "given_syllables": pa.array([list(nm.syllables) if nm.syllables else None for nm in names],
                                    pa.list_(pa.string())),
        "phone": pa.array([p.value for p in phones], pa.string()),
        "email": pa.array([e.value for e in emails], pa.string()),
        "email_user": email_users,
        "email_name": pa.array(map_distinct(email_users, email_name_key), pa.string()),
        "email_number": pa.array(map_distinct(email_users, email_number), pa.string()),
        "national_id": pa.array([i.value for i in ids], pa.string()),
        "birth_date": pa.array(birth, pa.date32()),
        "birth_year": pa.array([None if b is None else b.year for b in birth], pa.int32()),
        "gender": pa.array(gender, pa.string()),
        "city": pa.array(cities, pa.string()),
        "phone_status": pa.array([p.status for p in phones], pa.string()),
        "email_status": pa.array([e.status for e in emails], pa.string()),
        "national_id_status": pa.array([i.status for i in ids], pa.string()),
        "linkable": pa.array(linkable),
        "reason": pa.array(reasons, pa.string()),
    })


def _reason(phone, email, nid) -> str:
    flagged = [f"{label} {obj.status}" for label, obj in
               (("phone", phone), ("email", email), ("id number", nid))
               if obj.status not in ("valid", "missing")]
    text = "nothing to link on: no name, phone, email or valid id number"
    return text + (f" ({'; '.join(flagged)})" if flagged else "")
