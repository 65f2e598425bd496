"""Email addresses: folded to half-width, trimmed, lower-cased; flagged when not an address.

The local part is compared case-insensitively too: mail systems in practice (QQ, 163, Gmail,
Outlook) ignore its case, and customer lists write it both ways.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .text import fold

__all__ = ["Email", "parse_email"]

_ADDRESS = re.compile(r"^[a-z0-9._%+\-']+@(?:[a-z0-9\-]+\.)+[a-z]{2,}$")


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
