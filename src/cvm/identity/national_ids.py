"""Chinese resident identity numbers (居民身份证号码), GB 11643-1999.

An 18-character number is six digits of region, eight of birth date (YYYYMMDD), three of
sequence (odd for men, even for women) and a check character. The check character is
``(12 - Σ aᵢ·Wᵢ mod 11) mod 11`` with weights ``Wᵢ = 2^(17-i) mod 11``, written ``X`` for 10.
Old 15-digit numbers (six of region, YYMMDD, three of sequence, all born in the 1900s) are
widened to 18 characters by inserting ``19`` and computing the check character.

A number that passes every check is a strong key for linking; one that fails is kept, flagged
with the reason, and never trusted to link records.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from .text import fold

__all__ = ["NationalId", "parse_national_id", "check_character"]

_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
_CHECK = "10X98765432"  # indexed by the weighted sum mod 11
_SHAPE18 = re.compile(r"^\d{17}[\dX]$")
_SHAPE15 = re.compile(r"^\d{15}$")
_EARLIEST_BIRTH = dt.date(1880, 1, 1)
#: province-level codes (first two digits), GB/T 2260; 71 Taiwan, 81/82 Hong Kong and Macau,
#: 83 residence permits of Taiwan residents
_PROVINCES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82", "83"})


@dataclass(frozen=True)
class NationalId:
    """A parsed identity number.

    ``value`` is the canonical 18-character form (upper-case ``X``) when the number is valid,
    else ``None``; ``status`` is ``valid``, ``missing`` or the reason it was not accepted;
    ``birth_date`` and ``gender`` (``M``/``F``) are read from a valid number.
    """

    value: str | None
    status: str
    birth_date: dt.date | None = None
    gender: str | None = None

    @property
    def valid(self) -> bool:
        return self.status == "valid"


def check_character(first17: str) -> str:
    """The GB 11643-1999 check character of the first 17 digits.

    >>> check_character("11010519491231002")
    'X'
    >>> check_character("44030819900307123")
    '5'
    """
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS))
    return _CHECK[total % 11]


@lru_cache(maxsize=1 << 16)
def parse_national_id(text: str | None, today: dt.date | None = None) -> NationalId:
    """Check an identity number as written (spaces, dashes, full-width digits are ignored).

    >>> parse_national_id("11010519491231002x")
    NationalId(value='11010519491231002X', status='valid', birth_date=datetime.date(1949, 12, 31), gender='F')
    >>> parse_national_id("110105194912310021").status
    'bad check character: expected X'
    >>> parse_national_id("440308900307123").value   # 15-digit form widened
    '440308199003071235'
    >>> parse_national_id(None).status
    'missing'
    """
    folded = fold(text)
    if folded is None:
        return NationalId(None, "missing")
    compact = re.sub(r"[\s\-_.]", "", folded).upper()
    if _SHAPE15.match(compact):
        compact = compact[:6] + "19" + compact[6:]
        compact += check_character(compact)
    elif not _SHAPE18.match(compact):
        return NationalId(None, "not 18 digits (or 17 and X)")
    try:
        born = dt.date(int(compact[6:10]), int(compact[10:12]), int(compact[12:14]))
    except ValueError:
        return NationalId(None, f"no such birth date: {compact[6:14]}")
    if born < _EARLIEST_BIRTH or born > (today or dt.date.today()):
        return NationalId(None, f"implausible birth date: {born.isoformat()}")
    if compact[:2] not in _PROVINCES:
        return NationalId(None, f"no such region code: {compact[:6]}")
    expected = check_character(compact[:17])
    if compact[17] != expected:
        return NationalId(None, f"bad check character: expected {expected}")
    gender = "M" if int(compact[16]) % 2 == 1 else "F"
    return NationalId(compact, "valid", born, gender)
