"""Phone numbers → E.164 (``+8613812345678``), read with Google's libphonenumber rules.

People write the same number as ``138 1234 5678``, ``+86-138-1234-5678``, ``0086 13812345678``,
``(010) 6552-9988`` or ``010-65529988``. Numbers without a country code are read as numbers of
``region`` (China by default), so landlines keep their area code. A number that
``phonenumbers`` does not accept as valid is flagged with the reason and not used for linking.

Plain Chinese mobile numbers (the bulk of most lists) are recognised by a pattern without
calling the library, which keeps a million rows fast.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from .text import fold

__all__ = ["Phone", "parse_phone"]

_MOBILE_CN = re.compile(r"^(?:\+?86|0086)?(1[3-9]\d{9})$")
_PUNCT = re.compile(r"[\s\-().·/]")
_EXTENSION = re.compile(r"(?:转|ext\.?|x|#)\s*\d{1,6}$", re.IGNORECASE)
_KINDS = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "landline",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "landline_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.VOIP: "voip",
}


@dataclass(frozen=True)
class Phone:
    """A parsed phone number: ``value`` (E.164) when valid, else ``None``; ``status`` is
    ``valid``, ``missing`` or the reason; ``kind`` is ``mobile``, ``landline`` …"""

    value: str | None
    status: str
    kind: str | None = None

    @property
    def valid(self) -> bool:
        return self.status == "valid"


@lru_cache(maxsize=1 << 17)
def parse_phone(text: str | None, region: str = "CN") -> Phone:
    """Read one phone number as written.

    >>> parse_phone("+86 138-1234-5678")
    Phone(value='+8613812345678', status='valid', kind='mobile')
    >>> parse_phone("0086 13812345678").value
    '+8613812345678'
    >>> parse_phone("(010) 6552-9988")
    Phone(value='+861065529988', status='valid', kind='landline')
    >>> parse_phone("1381234567").status
    'not a valid number for CN'
    """
    folded = fold(text)
    if folded is None:
        return Phone(None, "missing")
    folded = _EXTENSION.sub("", folded).strip()
    compact = _PUNCT.sub("", folded)
    quick = _MOBILE_CN.match(compact)
    if quick and region == "CN":
        return Phone("+86" + quick.group(1), "valid", "mobile")
    try:
        number = phonenumbers.parse(folded, region)
    except NumberParseException:
        return Phone(None, "not a phone number")
    if not phonenumbers.is_valid_number(number):
        return Phone(None, f"not a valid number for {region}"
                     if number.country_code == phonenumbers.country_code_for_region(region)
                     else "not a valid number")
    kind = _KINDS.get(phonenumbers.number_type(number), "other")
    return Phone(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
                 "valid", kind)
