"""Email addresses: folded to half-width, trimmed, lower-cased; flagged when not an address.

The local part is compared case-insensitively too: mail systems in practice (QQ, 163, Gmail,
Outlook) ignore its case, and customer lists write it both ways.

Many people make the local part from their name in pinyin (``zhangwei88``, ``wei.zhang``,
``yanzhi.wang``) or in Latin letters (``john.smith``). :func:`email_name_key` reads the letters
of the local part as a name, in the form names are compared in (surname first, see
:mod:`cvm.identity.names`), so that an address can be held against a name written elsewhere.
Namesakes then have addresses that differ only in the number after the name (``wangfang12``,
``wangfang7``): :func:`email_number` gives that number, so that two such addresses are not
taken for one address with a typing error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .names import parse_name
from .text import fold

__all__ = ["Email", "parse_email", "email_name_key", "email_number"]

_ADDRESS = re.compile(r"^[a-z0-9._%+\-']+@(?:[a-z0-9\-]+\.)+[a-z]{2,}$")
_LETTERS = re.compile(r"[a-z]+")
_DIGITS = re.compile(r"[^0-9]+")
# fewer letters than the shortest two-syllable name (li + na) say nothing about a name
_MIN_NAME_LETTERS = 4


@dataclass(frozen=True)
class Email:
    """A parsed email: ``value`` when it is an address, else ``None``; ``user`` is the part
    before ``@``; ``status`` is ``valid``, ``missing`` or the reason."""

    value: str | None
    status: str
    user: str | None = None

    @property
    def valid(self) -> bool:
        return self.status == "valid"


@lru_cache(maxsize=1 << 17)
def parse_email(text: str | None) -> Email:
    """Read one email address as written.

    >>> parse_email("  Zhang.Wei＠QQ.com ")
    Email(value='zhang.wei@qq.com', status='valid', user='zhang.wei')
    >>> parse_email("mailto:Li@163.COM").value
    'li@163.com'
    >>> parse_email("zhangwei at qq.com").status
    'not an email address'
    """
    folded = fold(text)
    if folded is None:
        return Email(None, "missing")
    compact = "".join(folded.split()).lower()
    if compact.startswith("mailto:"):
        compact = compact[len("mailto:"):]
    compact = compact.strip("<>\"'.,;")
    if not _ADDRESS.match(compact) or ".." in compact:
        return Email(None, "not an email address")
    return Email(compact, "valid", compact.split("@", 1)[0])


def email_name_key(user: str | None) -> str | None:
    """The name key the local part of an email spells, if it can be one.

    The runs of letters are read as the words of a name (digits and ``._-+`` separate words
    and are dropped), so the surname is found as for any Latin name: the word that is a
    Chinese surname, else the last word. A single run is taken as written (``zhangwei``); a
    local part of digits only (QQ numbers) or under four letters spells no name.

    >>> email_name_key("zhangwei88"), email_name_key("wei.zhang"), email_name_key("yanzhi.wang")
    ('zhangwei', 'zhangwei', 'wangyanzhi')
    >>> email_name_key("john.smith"), email_name_key("5761940205"), email_name_key("li")
    ('smithjohn', None, None)
    """
    if user is None:
        return None
    return _name_key_of_words(" ".join(_LETTERS.findall(user.lower())))


@lru_cache(maxsize=1 << 17)
def _name_key_of_words(words: str) -> str | None:
    if len(words.replace(" ", "")) < _MIN_NAME_LETTERS:
        return None
    return parse_name(words).key


def email_number(user: str | None) -> str | None:
    """The digits of the local part of an email, in order (``''`` when it has none).

    >>> email_number("zhangwei88"), email_number("wei.zhang"), email_number("li2024.na7")
    ('88', '', '20247')
    """
    return None if user is None else _DIGITS.sub("", user)
