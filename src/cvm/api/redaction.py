"""Error texts as the API shows them: what went wrong, without the server's insides.

A run's or a job's error names the file it failed on. Readers and loaders name files by their
full path, which tells a caller where the workspace, its uploads and temporary files live on
the server; a traceback tells more. What callers see keeps each file's own name and the first
line of the message.

>>> public_error("SourceError: /srv/cvm/.shop.duckdb.uploads/3f2a/transactions/sales.xlsx "
...              "is not a readable Excel workbook")
'SourceError: sales.xlsx is not a readable Excel workbook'
>>> public_error("IOError: 'C:\\\\Users\\\\li\\\\AppData\\\\Local\\\\Temp\\\\x.csv' is locked")
"IOError: 'x.csv' is locked"
>>> public_error("Traceback (most recent call last):\\n  File \\"/usr/lib/x.py\\", line 3\\nKeyError: 'a'")
"KeyError: 'a'"
>>> public_error("see https://example.org/docs/a for help")
'see https://example.org/docs/a for help'
"""

from __future__ import annotations

import re

__all__ = ["public_error"]

# an absolute POSIX path (two parts at least) or a Windows drive path, not part of a URL
_POSIX = re.compile(r"(?<![\w.:/~-])/(?:[^\s/\\'\"()<>,;:]+/)+([^\s/\\'\"()<>,;:]*)")
_WINDOWS = re.compile(r"(?<![\w])[A-Za-z]:\\(?:[^\s\\'\"<>,;]+\\)+([^\s\\'\"<>,;]*)")
_HOME = re.compile(r"(?<![\w.])~/(?:[^\s/'\"()<>,;:]+/)*([^\s/'\"()<>,;:]*)")


def public_error(text: str | None) -> str | None:
    """``text`` with every server path shortened to its last part and a traceback reduced to
    its last line (the exception itself)."""
    if text is None:
        return None
    lines = text.strip().splitlines()
    if lines and lines[0].startswith("Traceback (most recent call last)"):
        lines = [next((ln for ln in reversed(lines) if ln and not ln[0].isspace()), "")]
    shown = "\n".join(ln for ln in lines if not ln.lstrip().startswith('File "'))
    for pattern in (_WINDOWS, _POSIX, _HOME):
        shown = pattern.sub(lambda m: m.group(1), shown)
    return shown
